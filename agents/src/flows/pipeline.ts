import type {
  FlowAggregatesPayload,
  FlowDetectionConfig,
  FlowKeyField,
  FlowSamplingOverride,
} from '@tianshu/protocol';
import type { FlowAggregatorOptions, FlowAggregatorStats, StatsAccumulator } from './aggregator.js';
import { FlowAggregator, addStats, newStats } from './aggregator.js';
import type { FlowDecoder } from './decoder.js';
import { DetectSlicer, type DetectSlice } from './detect/slicer.js';
import { createDecoder } from './decoder.js';
import type { FlowRecord } from './record.js';
import { SamplingResolver } from './sampling.js';

/** What the decode/aggregate side needs of the `flows` config section. */
export interface PipelineConfig {
  key: FlowKeyField[];
  sampling: FlowSamplingOverride[];
  defaultSamplingRate: number;
  templateTimeoutSeconds: number;
  /** The `detections` section: the edge detections count every record before aggregation. */
  detections?: FlowDetectionConfig | undefined;
}

/** Aggregator tunables a collector may pass (tests shorten or shrink them). */
export type PipelineTunables = Pick<
  FlowAggregatorOptions,
  | 'maxKeysPerMinute'
  | 'maxRowsTotal'
  | 'graceMillis'
  | 'maxRowsPerPayload'
  | 'maxAgeMillis'
  | 'maxAheadMillis'
>;

/** Datagram flag: received on the sFlow socket. */
export const FLAG_SFLOW = 1;

/**
 * A batch of datagrams as the receiving thread hands them to a pipeline, in one transferable
 * buffer: per datagram `[u16 length][u8 address length][u8 flags][address ASCII][datagram]`.
 */
export function* batchEntries(
  buf: Buffer,
  used: number,
): Generator<{ exporter: string; flags: number; data: Buffer }> {
  let o = 0;
  while (o + 4 <= used) {
    const len = buf.readUInt16BE(o);
    const alen = buf[o + 2]!;
    const flags = buf[o + 3]!;
    const exporter = buf.toString('latin1', o + 4, o + 4 + alen);
    const start = o + 4 + alen;
    yield { exporter, flags, data: buf.subarray(start, start + len) };
    o = start + len;
  }
}

/** Writes one datagram into a batch at `o`; returns the new end, or -1 when it does not fit. */
export function writeEntry(buf: Buffer, o: number, exporter: string, flags: number, data: Buffer): number {
  const need = 4 + exporter.length + data.length;
  if (o + need > buf.length) return -1;
  buf.writeUInt16BE(data.length, o);
  buf[o + 2] = exporter.length;
  buf[o + 3] = flags;
  buf.write(exporter, o + 4, 'latin1');
  data.copy(buf, o + 4 + exporter.length);
  return o + need;
}

/**
 * Decode and aggregation of datagrams of accepted exporters, one thread's worth: the collector
 * runs one per worker thread (exporters are spread over workers by address, so an exporter's
 * templates and minutes live in one place), or one in its own thread.
 */
export class FlowPipeline {
  readonly #agg: FlowAggregator;
  #decoder: FlowDecoder;
  #templateTimeout: number;
  readonly #reported = new Map<string, StatsAccumulator>();
  #now = 0;
  #ex: ReturnType<FlowAggregator['exporter']> | undefined;
  #cfg: ReturnType<SamplingResolver['exporter']>;
  readonly #onRecord = (r: FlowRecord): void => {
    // Decoded records → the detections' per-second counters (sampling-corrected), then the minutes.
    if (this.#slicer.enabled)
      this.#slicer.add(r, this.#sampling.resolve(this.#cfg, r), this.#now, this.#exAddr);
    this.#agg.add(this.#ex!, r, this.#now, this.#cfg);
  };
  #sampling: SamplingResolver;
  readonly #slicer: DetectSlicer;
  #exAddr = '';

  constructor(
    config: PipelineConfig,
    onPayload: (p: FlowAggregatesPayload) => void,
    tunables: PipelineTunables = {},
    decoder?: FlowDecoder,
  ) {
    this.#sampling = new SamplingResolver(config.sampling, config.defaultSamplingRate);
    this.#agg = new FlowAggregator({ ...tunables, key: config.key, sampling: this.#sampling, onPayload });
    this.#templateTimeout = config.templateTimeoutSeconds;
    this.#slicer = new DetectSlicer(config.detections);
    this.#decoder =
      decoder ??
      createDecoder({
        templateTimeoutMillis: config.templateTimeoutSeconds * 1000,
        now: () => this.#now || Date.now(),
      });
  }

  configure(config: PipelineConfig): void {
    this.#sampling = new SamplingResolver(config.sampling, config.defaultSamplingRate);
    this.#agg.configure(config.key, this.#sampling);
    this.#slicer.configure(config.detections);
    if (config.templateTimeoutSeconds !== this.#templateTimeout) {
      // The decoder's template timeout is fixed when it is made, and a new decoder would forget
      // every template learned (data would count as missing templates until the exporters resend
      // them), so a new timeout takes effect when the agent restarts.
      this.#templateTimeout = config.templateTimeoutSeconds;
    }
  }

  /** Decodes one datagram of an accepted exporter received at `now`. */
  datagram(data: Buffer, exporter: string, flags: number, now: number): void {
    const ex = this.#agg.exporter(exporter, now);
    const s = ex.stats;
    s.packets += 1;
    // The version is told by the datagram itself (sFlow starts with the 32-bit version 5), so
    // either port accepts any of them; `flags` only says which socket it came from.
    void flags;
    if (data.length >= 4) {
      const v = data.readUInt16BE(0);
      if (v === 5) s.versions |= 1;
      else if (v === 9) s.versions |= 2;
      else if (v === 10) s.versions |= 4;
      else if (v === 0 && data.readUInt16BE(2) === 5) s.versions |= 8;
    }
    this.#ex = ex;
    this.#exAddr = exporter;
    this.#now = now;
    this.#cfg = this.#sampling.exporter(exporter);
    try {
      this.#decoder.decode(data, exporter, this.#onRecord, s, now);
    } catch (err) {
      // The decoder promises never to throw; if it does, the datagram counts as malformed.
      s.malformed['bad-field'] = (s.malformed['bad-field'] ?? 0) + 1;
      void err;
    }
  }

  /** Datagrams of `exporter` the receiving thread dropped (queue full), counted in its stats. */
  dropped(exporter: string, n: number, now: number): void {
    const s = this.#agg.exporter(exporter, now).stats;
    s.packets += n;
    s.dropped += n;
  }

  batch(buf: Buffer, used: number, now: number): void {
    for (const e of batchEntries(buf, used)) this.datagram(e.data, e.exporter, e.flags, now);
  }

  tick(now: number): void {
    this.#agg.flush(now);
  }

  flushAll(now: number): void {
    this.#agg.flushAll(now);
  }

  /** The detections' slices of the seconds before `now` (every one with `all`: stopping). */
  takeSlices(now: number, all = false): DetectSlice[] {
    return all ? this.#slicer.takeAll() : this.#slicer.take(now);
  }

  /** Per-exporter counters since the last call (for metrics). */
  takeDeltas(): [string, StatsAccumulator][] {
    const out: [string, StatsAccumulator][] = [];
    const totals = this.#agg.exporterTotals();
    for (const [a, t] of totals) {
      const last = this.#reported.get(a);
      const d = diffStats(t, last);
      this.#reported.set(a, t);
      if (d) out.push([a, d]);
    }
    for (const a of [...this.#reported.keys()]) if (!totals.has(a)) this.#reported.delete(a);
    return out;
  }

  stats(): FlowAggregatorStats {
    return this.#agg.stats();
  }
}

function diffStats(t: StatsAccumulator, last: StatsAccumulator | undefined): StatsAccumulator | undefined {
  if (!last) return t.packets > 0 || t.records > 0 ? addStats(newStats(), t) : undefined;
  const d = newStats();
  d.packets = t.packets - last.packets;
  d.records = t.records - last.records;
  d.dropped = t.dropped - last.dropped;
  d.missingTemplates = t.missingTemplates - last.missingTemplates;
  d.sequenceGaps = t.sequenceGaps - last.sequenceGaps;
  d.detailDropped = t.detailDropped - last.detailDropped;
  d.samplingExporter = t.samplingExporter - last.samplingExporter;
  d.samplingConfigured = t.samplingConfigured - last.samplingConfigured;
  d.samplingDefault = t.samplingDefault - last.samplingDefault;
  d.versions = t.versions;
  let any = d.packets | d.records | d.dropped | d.missingTemplates | d.sequenceGaps | d.detailDropped;
  for (const [r, n] of Object.entries(t.malformed) as [keyof StatsAccumulator['malformed'], number][]) {
    const x = n - (last.malformed[r] ?? 0);
    if (x > 0) {
      d.malformed[r] = x;
      any |= x;
    }
  }
  return any ? d : undefined;
}
