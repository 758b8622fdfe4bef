import { parseIpv4, parseIpv6Groups } from '../addresses.js';

/** One packet of a generated capture. */
export interface PcapPacket {
  timeMillis: number;
  src: string;
  dst: string;
  /** 6 TCP, 17 UDP. */
  proto: 6 | 17;
  srcPort: number;
  dstPort: number;
  /** Bytes of transport payload (the IP packet is headers + this). */
  payloadBytes: number;
  /** TCP flags (SYN 0x02, ACK 0x10, FIN 0x01...). */
  tcpFlags?: number;
  tos?: number;
}

/** The IP length of a generated packet (what NetFlow exporters count as bytes). */
export function ipLength(p: PcapPacket): number {
  const l4 = p.proto === 6 ? 20 : 8;
  return (p.src.includes(':') ? 40 : 20) + l4 + p.payloadBytes;
}

function checksum(buf: Buffer, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i < to; i += 2) sum += (buf[i]! << 8) | (i + 1 < to ? buf[i + 1]! : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * A classic pcap file (little-endian, microsecond times, Ethernet link type) of IPv4/IPv6 TCP/UDP
 * packets, for feeding real exporters (`softflowd -r`) in tests.
 */
export function pcapFile(packets: readonly PcapPacket[]): Buffer {
  const parts: Buffer[] = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(65_535, 16);
  gh.writeUInt32LE(1, 20);
  parts.push(gh);
  for (const p of packets) {
    const v6 = p.src.includes(':');
    const ipLen = ipLength(p);
    const frame = Buffer.alloc(14 + ipLen);
    Buffer.from([0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1]).copy(frame, 0);
    frame.writeUInt16BE(v6 ? 0x86dd : 0x0800, 12);
    let o = 14;
    if (v6) {
      frame.writeUInt32BE((6 << 28) | ((p.tos ?? 0) << 20), o);
      frame.writeUInt16BE(ipLen - 40, o + 4);
      frame[o + 6] = p.proto;
      frame[o + 7] = 64;
      const s = parseIpv6Groups(p.src)!;
      const d = parseIpv6Groups(p.dst)!;
      for (let i = 0; i < 8; i++) {
        frame.writeUInt16BE(s[i]!, o + 8 + i * 2);
        frame.writeUInt16BE(d[i]!, o + 24 + i * 2);
      }
      o += 40;
    } else {
      frame[o] = 0x45;
      frame[o + 1] = p.tos ?? 0;
      frame.writeUInt16BE(ipLen, o + 2);
      frame[o + 8] = 64;
      frame[o + 9] = p.proto;
      frame.writeUInt32BE(parseIpv4(p.src)!, o + 12);
      frame.writeUInt32BE(parseIpv4(p.dst)!, o + 16);
      frame.writeUInt16BE(checksum(frame, o, o + 20), o + 10);
      o += 20;
    }
    frame.writeUInt16BE(p.srcPort, o);
    frame.writeUInt16BE(p.dstPort, o + 2);
    if (p.proto === 6) {
      frame[o + 12] = 5 << 4;
      frame[o + 13] = p.tcpFlags ?? 0x10;
      frame.writeUInt16BE(65_535, o + 14);
    } else {
      frame.writeUInt16BE(8 + p.payloadBytes, o + 4);
    }
    const rh = Buffer.alloc(16);
    rh.writeUInt32LE(Math.floor(p.timeMillis / 1000), 0);
    rh.writeUInt32LE((p.timeMillis % 1000) * 1000, 4);
    rh.writeUInt32LE(frame.length, 8);
    rh.writeUInt32LE(frame.length, 12);
    parts.push(rh, frame);
  }
  return Buffer.concat(parts);
}
