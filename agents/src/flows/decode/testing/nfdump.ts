/**
 * nfdump's tools as test oracles: `nfcapd` / `sfcapd` listening on a loopback port the test picks,
 * `nfdump` printing what they stored, `nfreplay` sending a stored file as NetFlow v5/v9, and a UDP
 * receiver collecting datagrams. Debian packages `nfdump` and `nfdump-sflow`.
 */
import { spawn, execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A free UDP port on 127.0.0.1 (bound and released; the caller binds it right after). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

export interface Receiver {
  port: number;
  datagrams: Buffer[];
  /** Wait until no datagram arrived for `quietMillis` (at most `maxMillis` in all). */
  settle(quietMillis?: number, maxMillis?: number): Promise<void>;
  close(): Promise<void>;
}

/** A UDP socket on 127.0.0.1 (a free port) collecting every datagram. */
export async function receiver(): Promise<Receiver> {
  const s: Socket = createSocket({ type: 'udp4', recvBufferSize: 8 << 20 });
  const datagrams: Buffer[] = [];
  let last = Date.now();
  s.on('message', (m) => {
    datagrams.push(m);
    last = Date.now();
  });
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => resolve());
  });
  return {
    port: s.address().port,
    datagrams,
    async settle(quietMillis = 300, maxMillis = 10_000) {
      const start = Date.now();
      while (Date.now() - last < quietMillis && Date.now() - start < maxMillis) {
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    close: () => new Promise<void>((resolve) => s.close(() => resolve())),
  };
}

/** Send datagrams to 127.0.0.1:port, paced (a few per millisecond) so none is dropped on loopback. */
export async function sendAll(datagrams: Buffer[], port: number): Promise<void> {
  const s = createSocket('udp4');
  for (let i = 0; i < datagrams.length; i++) {
    await new Promise<void>((resolve, reject) =>
      s.send(datagrams[i]!, port, '127.0.0.1', (err) => (err ? reject(err) : resolve())),
    );
    if (i % 8 === 7) await new Promise((r) => setTimeout(r, 1));
  }
  await new Promise<void>((resolve) => s.close(() => resolve()));
}

export interface Capd {
  port: number;
  dir: string;
  /** Stop (SIGTERM: the daemon flushes its file) and wait for it to exit. */
  stop(): Promise<void>;
}

/** Start `nfcapd` or `sfcapd` on 127.0.0.1 and a free port, writing to a fresh directory. */
export async function startCapd(tool: 'nfcapd' | 'sfcapd'): Promise<Capd> {
  const dir = mkdtempSync(join(tmpdir(), `tianshu-${tool}-`));
  const port = await freeUdpPort();
  const child = spawn(tool, ['-b', '127.0.0.1', '-p', String(port), '-w', dir, '-t', '3600', '-v'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${tool} did not start: ${output}`)), 15_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (/Startup/.test(output)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`${tool} exited: ${output}`));
    });
  });
  return {
    port,
    dir,
    async stop() {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface NfdumpFlow {
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  proto: number;
  packets: number;
  bytes: number;
  inIf: number;
  outIf: number;
}

/** Every flow record nfdump holds in `dirOrFile` (a directory of nfcapd files or one file). */
export async function nfdumpFlows(dirOrFile: string, isDir = true): Promise<NfdumpFlow[]> {
  const { stdout } = await run(
    'nfdump',
    [isDir ? '-R' : '-r', dirOrFile, '-N', '-q', '-6', '-o', 'fmt:%sa|%da|%sp|%dp|%pr|%pkt|%byt|%in|%out'],
    { maxBuffer: 256 << 20 },
  );
  return stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.includes('|'))
    .map((l) => {
      const [src, dst, sp, dp, pr, pkt, byt, inIf, outIf] = l.split('|').map((x) => x.trim()) as string[];
      return {
        src: src!,
        dst: dst!,
        srcPort: Number(sp),
        dstPort: Number(dp),
        proto: Number(pr),
        packets: Number(pkt),
        bytes: Number(byt),
        inIf: Number(inIf),
        outIf: Number(outIf),
      };
    });
}

/** The nfcapd files in a directory. */
export function capdFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('nfcapd.') && !f.includes('current'))
    .map((f) => join(dir, f));
}

/** `nfreplay` a stored file as NetFlow `version` to 127.0.0.1:port. */
export async function nfreplay(file: string, port: number, version: 5 | 9): Promise<void> {
  await run(
    'nfreplay',
    ['-r', file, '-H', '127.0.0.1', '-p', String(port), '-v', String(version), '-d', '200'],
    {
      timeout: 60_000,
    },
  );
}
