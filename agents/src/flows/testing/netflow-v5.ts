import { parseIpv4 } from '../addresses.js';

/** One flow of a hand-built NetFlow v5 datagram (tests and benchmarks). */
export interface V5Flow {
  src: string;
  dst: string;
  nextHop?: string;
  srcPort: number;
  dstPort: number;
  proto: number;
  bytes: number;
  packets: number;
  inIf?: number;
  outIf?: number;
  tcpFlags?: number;
  tos?: number;
  srcAs?: number;
  dstAs?: number;
  /** Milliseconds before the export time when the flow's first / last packet was seen. */
  firstAgoMillis?: number;
  lastAgoMillis?: number;
}

/**
 * A NetFlow v5 datagram (Cisco's format: 24-byte header, 48-byte records) with the given flows,
 * export time and sampling interval (the header's 14-bit interval, mode bits 01 = packet-interval).
 */
export function netflowV5(
  flows: readonly V5Flow[],
  options: { exportMillis: number; sequence?: number; samplingInterval?: number; uptimeMillis?: number },
): Buffer {
  const buf = Buffer.alloc(24 + flows.length * 48);
  const uptime = options.uptimeMillis ?? 3_600_000;
  buf.writeUInt16BE(5, 0);
  buf.writeUInt16BE(flows.length, 2);
  buf.writeUInt32BE(uptime, 4);
  buf.writeUInt32BE(Math.floor(options.exportMillis / 1000), 8);
  buf.writeUInt32BE((options.exportMillis % 1000) * 1e6, 12);
  buf.writeUInt32BE(options.sequence ?? 0, 16);
  const si = options.samplingInterval ?? 0;
  buf.writeUInt16BE(si > 0 ? (1 << 14) | (si & 0x3fff) : 0, 22);
  flows.forEach((f, i) => {
    const o = 24 + i * 48;
    buf.writeUInt32BE(parseIpv4(f.src) ?? 0, o);
    buf.writeUInt32BE(parseIpv4(f.dst) ?? 0, o + 4);
    buf.writeUInt32BE(f.nextHop ? (parseIpv4(f.nextHop) ?? 0) : 0, o + 8);
    buf.writeUInt16BE(f.inIf ?? 0, o + 12);
    buf.writeUInt16BE(f.outIf ?? 0, o + 14);
    buf.writeUInt32BE(f.packets, o + 16);
    buf.writeUInt32BE(f.bytes, o + 20);
    buf.writeUInt32BE(uptime - (f.firstAgoMillis ?? 2000), o + 24);
    buf.writeUInt32BE(uptime - (f.lastAgoMillis ?? 1000), o + 28);
    buf.writeUInt16BE(f.srcPort, o + 32);
    buf.writeUInt16BE(f.dstPort, o + 34);
    buf[o + 37] = f.tcpFlags ?? 0;
    buf[o + 38] = f.proto;
    buf[o + 39] = f.tos ?? 0;
    buf.writeUInt16BE(f.srcAs ?? 0, o + 40);
    buf.writeUInt16BE(f.dstAs ?? 0, o + 42);
  });
  return buf;
}
