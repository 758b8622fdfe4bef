import dgram from 'node:dgram';

/** A UDP port free on `host` (IPv4 or IPv6) at the moment of the call; for tests. */
export async function freeUdpPort(host = '127.0.0.1'): Promise<number> {
  const sock = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(0, host, () => resolve());
  });
  const { port } = sock.address();
  await new Promise<void>((resolve) => sock.close(() => resolve()));
  return port;
}
