import type { FlowMalformedReason } from '@tianshu/protocol';
import type { FlowRecord } from './record.js';
import { newFlowRecord } from './record.js';

/** What a decoder counts per exporter while decoding a datagram (added to the minute's stats). */
export interface DecodeCounters {
  malformed: Partial<Record<FlowMalformedReason, number>>;
  missingTemplates: number;
  sequenceGaps: number;
}

/**
 * The collector's view of a decoder: one datagram in, one `onRecord` call per flow record (the
 * record object is reused: read it, do not keep it), problems counted into `counters`. Never throws.
 */
export interface FlowDecoder {
  decode(
    buf: Buffer,
    exporter: string,
    onRecord: (r: FlowRecord) => void,
    counters: DecodeCounters,
    nowMillis: number,
  ): void;
}

/**
 * A NetFlow v5 decoder: the collector's own until the full decoder (`decode/`) is wired in; kept
 * as the fallback of {@link createDecoder}. v5 only: other versions count `bad-version`.
 */
export function createV5Decoder(): FlowDecoder {
  const r = newFlowRecord();
  return {
    decode(buf, _exporter, onRecord, counters, nowMillis) {
      const bad = (reason: FlowMalformedReason): void => {
        counters.malformed[reason] = (counters.malformed[reason] ?? 0) + 1;
      };
      if (buf.length < 24) return bad('truncated');
      const version = buf.readUInt16BE(0);
      if (version !== 5) return bad('bad-version');
      const count = buf.readUInt16BE(2);
      if (count === 0 || count > 30) return bad('too-many-records');
      if (buf.length < 24 + count * 48) return bad('truncated');
      const uptime = buf.readUInt32BE(4);
      const secs = buf.readUInt32BE(8);
      const nsecs = buf.readUInt32BE(12);
      const exportMillis = secs > 0 ? secs * 1000 + Math.floor(nsecs / 1e6) : nowMillis;
      const sampling = buf.readUInt16BE(22) & 0x3fff;
      for (let i = 0; i < count; i++) {
        const o = 24 + i * 48;
        r.version = 5;
        r.domain = 0;
        r.ipVersion = 4;
        r.srcV4 = buf.readUInt32BE(o);
        r.dstV4 = buf.readUInt32BE(o + 4);
        r.nextHopV4 = buf.readUInt32BE(o + 8);
        r.srcV6 = '';
        r.dstV6 = '';
        r.nextHopV6 = '';
        r.inIf = buf.readUInt16BE(o + 12);
        r.outIf = buf.readUInt16BE(o + 14);
        r.packets = buf.readUInt32BE(o + 16);
        r.bytes = buf.readUInt32BE(o + 20);
        const first = buf.readUInt32BE(o + 24);
        const last = buf.readUInt32BE(o + 28);
        r.startMillis = exportMillis - (uptime - first);
        r.endMillis = exportMillis - (uptime - last);
        r.srcPort = buf.readUInt16BE(o + 32);
        r.dstPort = buf.readUInt16BE(o + 34);
        r.tcpFlags = buf[o + 37]!;
        r.proto = buf[o + 38]!;
        r.tos = buf[o + 39]!;
        r.srcAs = buf.readUInt16BE(o + 40);
        r.dstAs = buf.readUInt16BE(o + 42);
        r.samplingRate = sampling;
        onRecord(r);
      }
    },
  };
}

/** The decoder the collector uses. */
export function createDecoder(_options: { templateTimeoutMillis: number }): FlowDecoder {
  return createV5Decoder();
}
