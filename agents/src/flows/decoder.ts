import type { FlowMalformedReason } from '@tianshu/protocol';
import { createFlowDecoder, newFlowDecodeCounters } from './decode/index.js';
import type { FlowDecodeCounters } from './decode/index.js';
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
  /** Forgets an exporter's templates and state (no longer allowed). */
  forget?(exporter: string): void;
}

/**
 * A NetFlow v5 decoder, small and separate from `decode/`: the collector's tests use it to check
 * the collector alone (it was the stand-in before the full decoder existed).
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

/**
 * The decoder the collector uses: `decode/` (NetFlow v5, v9, IPFIX, sFlow v5) behind the
 * collector's interface. Per exporter it keeps the decoder's running counters and adds what one
 * datagram changed to the minute's `counters`. A reordered datagram can take back a sequence gap
 * counted earlier: the minute's count is then lowered (never below zero when sent).
 */
export function createDecoder(options: { templateTimeoutMillis: number; now: () => number }): FlowDecoder {
  const decoder = createFlowDecoder({
    templateTimeoutMillis: options.templateTimeoutMillis,
    now: options.now,
  });
  const perExporter = new Map<string, FlowDecodeCounters>();
  let onRecord: (r: FlowRecord) => void = () => {};
  const sink = { onFlow: (r: FlowRecord) => onRecord(r) };
  return {
    decode(buf, exporter, handler, counters) {
      let c = perExporter.get(exporter);
      if (!c) {
        if (perExporter.size >= 100_000) perExporter.clear();
        perExporter.set(exporter, (c = newFlowDecodeCounters()));
      }
      const missing = c.missingTemplates;
      const gaps = c.sequenceGaps;
      onRecord = handler;
      const result = decoder.decode(buf, exporter, sink, c);
      if (result !== 'ok') counters.malformed[result] = (counters.malformed[result] ?? 0) + 1;
      counters.missingTemplates += c.missingTemplates - missing;
      counters.sequenceGaps += c.sequenceGaps - gaps;
    },
    forget(exporter) {
      perExporter.delete(exporter);
      decoder.forget(exporter);
    },
  };
}
