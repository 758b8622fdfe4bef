/**
 * A tiny pcap writer (libpcap format, Ethernet link type) for tests: flows of IPv4/IPv6 TCP/UDP
 * packets with known addresses, ports and sizes, so an exporter we did not write (softflowd) can turn
 * them into NetFlow/IPFIX and the test knows the truth.
 */
import { isIPv4 } from 'node:net';
import { ipv6Bytes } from './packets.js';

export interface PcapFlow {
  src: string;
  dst: string;
  /** 6 = TCP, 17 = UDP. */
  proto: 6 | 17;
  srcPort: number;
  dstPort: number;
  /** IP length (header + payload) of each packet, in order. */
  sizes: number[];
  tos?: number;
}

export interface PcapTruth {
  key: string;
  bytes: number;
  packets: number;
}

/** The key the tests compare flows by: `src|dst|srcPort|dstPort|proto`. */
export function flowKey(src: string, dst: string, srcPort: number, dstPort: number, proto: number): string {
  return `${src}|${dst}|${srcPort}|${dstPort}|${proto}`;
}

function ipv4(s: string): Buffer {
  return Buffer.from(s.split('.').map(Number));
}

function checksum(b: Buffer): number {
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += (b[i]! << 8) | (b[i + 1] ?? 0);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

/** One Ethernet frame carrying an IP packet of `ipLength` bytes. */
function frame(f: PcapFlow, ipLength: number, seq: number, last: boolean): Buffer {
  const v6 = !isIPv4(f.src);
  const l4Length = f.proto === 6 ? 20 : 8;
  const ipHeader = v6 ? 40 : 20;
  if (ipLength < ipHeader + l4Length) throw new Error(`packet of ${ipLength} bytes is too small`);
  const eth = Buffer.alloc(14);
  eth.set([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1]);
  eth.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
  const ip = Buffer.alloc(ipHeader);
  if (v6) {
    ip.writeUInt32BE(((6 << 28) | ((f.tos ?? 0) << 20)) >>> 0, 0);
    ip.writeUInt16BE(ipLength - 40, 4);
    ip[6] = f.proto;
    ip[7] = 64;
    ipv6Bytes(f.src).copy(ip, 8);
    ipv6Bytes(f.dst).copy(ip, 24);
  } else {
    ip[0] = 0x45;
    ip[1] = f.tos ?? 0;
    ip.writeUInt16BE(ipLength, 2);
    ip.writeUInt16BE(seq & 0xffff, 4);
    ip[8] = 64;
    ip[9] = f.proto;
    ipv4(f.src).copy(ip, 12);
    ipv4(f.dst).copy(ip, 16);
    ip.writeUInt16BE(checksum(ip), 10);
  }
  const l4 = Buffer.alloc(l4Length);
  l4.writeUInt16BE(f.srcPort, 0);
  l4.writeUInt16BE(f.dstPort, 2);
  if (f.proto === 6) {
    l4.writeUInt32BE(seq, 4);
    l4[12] = 0x50;
    // SYN on the first packet, ACK|PSH after, FIN|ACK on the last
    l4[13] = seq === 0 ? 0x02 : last ? 0x11 : 0x18;
    l4.writeUInt16BE(65535, 14);
  } else {
    l4.writeUInt16BE(ipLength - ipHeader, 4);
  }
  const payload = Buffer.alloc(ipLength - ipHeader - l4Length, 0x61);
  return Buffer.concat([eth, ip, l4, payload]);
}

/**
 * A pcap file of the flows, packets interleaved round-robin, `gapMicros` apart from `startSeconds`.
 * Returns the file and the truth: per flow (by `flowKey`) the sum of IP lengths and the packets.
 */
export function writePcap(
  flows: PcapFlow[],
  startSeconds = 1_700_000_000,
  gapMicros = 1000,
): { file: Buffer; truth: Map<string, PcapTruth> } {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(0, 8);
  header.writeUInt32LE(0, 12);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20); // LINKTYPE_ETHERNET
  const parts: Buffer[] = [header];
  const truth = new Map<string, PcapTruth>();
  let t = startSeconds * 1e6;
  const longest = Math.max(0, ...flows.map((f) => f.sizes.length));
  for (let i = 0; i < longest; i++) {
    for (const f of flows) {
      const size = f.sizes[i];
      if (size === undefined) continue;
      const data = frame(f, size, i, i === f.sizes.length - 1);
      const rec = Buffer.alloc(16);
      rec.writeUInt32LE(Math.floor(t / 1e6), 0);
      rec.writeUInt32LE(t % 1e6, 4);
      rec.writeUInt32LE(data.length, 8);
      rec.writeUInt32LE(data.length, 12);
      parts.push(rec, data);
      t += gapMicros;
      const key = flowKey(f.src, f.dst, f.srcPort, f.dstPort, f.proto);
      const known = truth.get(key) ?? { key, bytes: 0, packets: 0 };
      known.bytes += size;
      known.packets += 1;
      truth.set(key, known);
    }
  }
  return { file: Buffer.concat(parts), truth };
}

/** A UDP datagram read from a capture: its source address and payload. */
export interface CapturedDatagram {
  src: string;
  payload: Buffer;
}

/**
 * The UDP payloads of a pcap file (Ethernet, Linux cooked or raw IP link types; IPv4/IPv6; 802.1Q),
 * in capture order. Throws on a file that is not pcap (these are test fixtures).
 */
export function readPcapUdp(file: Buffer): CapturedDatagram[] {
  const magic = file.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && file.readUInt32BE(0) !== 0xa1b2c3d4 && file.readUInt32BE(0) !== 0xa1b23c4d)
    throw new Error('not a pcap file');
  const u32 = (o: number) => (le ? file.readUInt32LE(o) : file.readUInt32BE(o));
  const link = u32(20);
  const out: CapturedDatagram[] = [];
  for (let o = 24; o + 16 <= file.length;) {
    const caplen = u32(o + 8);
    const data = file.subarray(o + 16, o + 16 + caplen);
    o += 16 + caplen;
    let p = 0;
    let ether = 0;
    if (link === 1) {
      ether = data.readUInt16BE(12);
      p = 14;
      while (ether === 0x8100 || ether === 0x88a8) {
        ether = data.readUInt16BE(p + 2);
        p += 4;
      }
    } else if (link === 113) {
      ether = data.readUInt16BE(14);
      p = 16;
    } else if (link === 101 || link === 12) {
      ether = data[0]! >> 4 === 6 ? 0x86dd : 0x0800;
    } else throw new Error(`pcap link type ${link} not supported`);
    let src: string;
    let udp: number;
    if (ether === 0x0800) {
      if (data[p + 9] !== 17) continue;
      src = `${data[p + 12]}.${data[p + 13]}.${data[p + 14]}.${data[p + 15]}`;
      udp = p + (data[p]! & 15) * 4;
    } else if (ether === 0x86dd) {
      if (data[p + 6] !== 17) continue;
      const groups: string[] = [];
      for (let i = 0; i < 8; i++) groups.push(data.readUInt16BE(p + 8 + 2 * i).toString(16));
      src = groups.join(':');
      udp = p + 40;
    } else continue;
    const length = data.readUInt16BE(udp + 4);
    out.push({ src, payload: Buffer.from(data.subarray(udp + 8, udp + length)) });
  }
  return out;
}
