import type {
  FlowAggregatesPayload,
  FlowColumns,
  FlowExporterStats,
  FlowKeyField,
  FlowMalformedReason,
} from '@tianshu/protocol';
import { FLOW_KEY_FIELDS } from '@tianshu/protocol';
import type { FlowRecord } from './record.js';
import { SFLOW_VERSION, addressText } from './record.js';
import type { SamplingResolver } from './sampling.js';

const MINUTE = 60_000;
/** The schema's largest payload. */
export const MAX_ROWS_PER_PAYLOAD = 200_000;

/** Counters of one exporter during one minute of receive time (the payload's `stats`). */
export interface StatsAccumulator {
  packets: number;
  records: number;
  dropped: number;
  malformed: Partial<Record<FlowMalformedReason, number>>;
  missingTemplates: number;
  sequenceGaps: number;
  /** Bit set: 1 = v5, 2 = v9, 4 = IPFIX, 8 = sFlow. */
  versions: number;
  samplingExporter: number;
  samplingConfigured: number;
  samplingDefault: number;
  /** Records folded into the catch-all row because the minute's key cap was reached. */
  detailDropped: number;
}

export function newStats(): StatsAccumulator {
  return {
    packets: 0,
    records: 0,
    dropped: 0,
    malformed: {},
    missingTemplates: 0,
    sequenceGaps: 0,
    versions: 0,
    samplingExporter: 0,
    samplingConfigured: 0,
    samplingDefault: 0,
    detailDropped: 0,
  };
}

function statsEmpty(s: StatsAccumulator): boolean {
  return (
    s.packets === 0 &&
    s.records === 0 &&
    s.dropped === 0 &&
    s.missingTemplates === 0 &&
    s.sequenceGaps === 0 &&
    Object.keys(s.malformed).length === 0
  );
}

export function versionBit(version: number): number {
  return version === 5 ? 1 : version === 9 ? 2 : version === 10 ? 4 : version === SFLOW_VERSION ? 8 : 0;
}

function statsPayload(s: StatsAccumulator | undefined): FlowExporterStats {
  if (!s) {
    return {
      packets: 0,
      records: 0,
      dropped: 0,
      malformed: {},
      missingTemplates: 0,
      sequenceGaps: 0,
      versions: [],
      samplingSources: { exporter: 0, configured: 0, default: 0 },
    };
  }
  const versions: FlowExporterStats['versions'] = [];
  if (s.versions & 1) versions.push(5);
  if (s.versions & 2) versions.push(9);
  if (s.versions & 4) versions.push(10);
  if (s.versions & 8) versions.push('sflow');
  return {
    packets: s.packets,
    records: s.records,
    dropped: s.dropped,
    malformed: { ...s.malformed },
    missingTemplates: s.missingTemplates,
    sequenceGaps: Math.max(0, s.sequenceGaps),
    versions,
    samplingSources: {
      exporter: s.samplingExporter,
      configured: s.samplingConfigured,
      default: s.samplingDefault,
    },
    ...(s.detailDropped > 0 ? { detailDropped: s.detailDropped } : {}),
  };
}

type NumField = Exclude<FlowKeyField, 'srcAddr' | 'dstAddr' | 'nextHop' | 'ipVersion'>;

/** The rows of one exporter-minute: key columns as received, measures sampling-corrected. */
class MinuteTable {
  readonly index = new Map<string, number>();
  rows = 0;
  readonly num = new Map<NumField, number[]>();
  readonly addr = new Map<'srcAddr' | 'dstAddr' | 'nextHop', string[]>();
  readonly ipVersion: number[] = [];
  readonly samplingRate: number[] = [];
  readonly bytes: number[] = [];
  readonly packets: number[] = [];
  readonly flows: number[] = [];

  constructor(readonly key: readonly FlowKeyField[]) {
    for (const f of key) {
      if (f === 'ipVersion') continue;
      if (f === 'srcAddr' || f === 'dstAddr' || f === 'nextHop') this.addr.set(f, []);
      else this.num.set(f, []);
    }
  }

  /** Adds a row for `r` (or the catch-all row: every detail field zero or empty). */
  addRow(k: string, r: FlowRecord, rate: number, catchAll: boolean): number {
    const i = this.rows++;
    this.index.set(k, i);
    for (const [f, col] of this.num) col.push(catchAll ? 0 : r[f]);
    for (const [f, col] of this.addr) {
      col.push(catchAll ? '' : addressText(r, f === 'srcAddr' ? 'src' : f === 'dstAddr' ? 'dst' : 'nextHop'));
    }
    this.ipVersion.push(r.ipVersion);
    this.samplingRate.push(rate);
    this.bytes.push(0);
    this.packets.push(0);
    this.flows.push(0);
    return i;
  }

  columns(from: number, to: number): FlowColumns {
    const cols: Record<string, unknown> = {
      ipVersion: this.ipVersion.slice(from, to),
      samplingRate: this.samplingRate.slice(from, to),
      bytes: this.bytes.slice(from, to),
      packets: this.packets.slice(from, to),
      flows: this.flows.slice(from, to),
    };
    for (const [f, col] of this.num) cols[f] = col.slice(from, to);
    for (const [f, col] of this.addr) cols[f] = col.slice(from, to);
    return cols as FlowColumns;
  }
}

const enum F {
  inIf,
  outIf,
  srcAddr,
  dstAddr,
  srcPort,
  dstPort,
  proto,
  tcpFlags,
  tos,
  nextHop,
  srcAs,
  dstAs,
}

const FIELD_CODE: Partial<Record<FlowKeyField, F>> = {
  inIf: F.inIf,
  outIf: F.outIf,
  srcAddr: F.srcAddr,
  dstAddr: F.dstAddr,
  srcPort: F.srcPort,
  dstPort: F.dstPort,
  proto: F.proto,
  tcpFlags: F.tcpFlags,
  tos: F.tos,
  nextHop: F.nextHop,
  srcAs: F.srcAs,
  dstAs: F.dstAs,
};

/** The text that identifies a record's row: ipVersion, rate and the key fields, in key order. */
function rowKey(codes: readonly F[], r: FlowRecord, rate: number): string {
  const v6 = r.ipVersion === 6;
  let k = (v6 ? '6|' : '4|') + rate;
  for (const c of codes) {
    switch (c) {
      case F.inIf:
        k += '|' + r.inIf;
        break;
      case F.outIf:
        k += '|' + r.outIf;
        break;
      case F.srcAddr:
        k += '|' + (v6 ? r.srcV6 : r.srcV4);
        break;
      case F.dstAddr:
        k += '|' + (v6 ? r.dstV6 : r.dstV4);
        break;
      case F.srcPort:
        k += '|' + r.srcPort;
        break;
      case F.dstPort:
        k += '|' + r.dstPort;
        break;
      case F.proto:
        k += '|' + r.proto;
        break;
      case F.tcpFlags:
        k += '|' + r.tcpFlags;
        break;
      case F.tos:
        k += '|' + r.tos;
        break;
      case F.nextHop:
        k += '|' + (v6 ? r.nextHopV6 : r.nextHopV4);
        break;
      case F.srcAs:
        k += '|' + r.srcAs;
        break;
      case F.dstAs:
        k += '|' + r.dstAs;
        break;
    }
  }
  return k;
}

/** Options of a {@link FlowAggregator}. */
export interface FlowAggregatorOptions {
  /** Aggregation key (`ipVersion` is added when missing). */
  key: readonly FlowKeyField[];
  sampling: SamplingResolver;
  /** Receives every payload (one exporter × one minute, at most `maxRowsPerPayload` rows). */
  onPayload: (payload: FlowAggregatesPayload) => void;
  /** Rows per exporter-minute before new keys fold into the catch-all row; default 100,000. */
  maxKeysPerMinute?: number;
  /** Rows over all open minutes before new keys fold into catch-all rows; default 2,000,000. */
  maxRowsTotal?: number;
  /** How long after a minute ends it stays open for records that arrive late; default 10 s. */
  graceMillis?: number;
  /** Split payloads at this many rows; default (and at most) 200,000. */
  maxRowsPerPayload?: number;
  /** How far before receive time a record's end time is believed; default 5 minutes. */
  maxAgeMillis?: number;
  /** How far after receive time a record's end time is believed (clock skew); default 60 s. */
  maxAheadMillis?: number;
}

/** One exporter as the aggregator knows it. */
export interface ExporterState {
  readonly address: string;
  /** Stats of the current receive minute (the decoder counts into it). */
  stats: StatsAccumulator;
  statsMinute: number;
  readonly closedStats: Map<number, StatsAccumulator>;
  readonly tables: Map<number, MinuteTable>;
  /** Rows for minutes already flushed, sent at the next minute's flush. */
  readonly late: Map<number, MinuteTable>;
  /** Counters since start (never reset), for metrics and the role's stats. */
  readonly totals: StatsAccumulator;
}

/** Counters of an aggregator since it started. */
export interface FlowAggregatorStats {
  exporters: number;
  openRows: number;
  payloads: number;
  rows: number;
  lateRecords: number;
  detailDropped: number;
}

/**
 * Per-minute aggregation of decoded flow records, per exporter. A record belongs to the minute of
 * its end time (`endMillis`) when that is within [receive − maxAge, receive + maxAhead]; otherwise
 * (absent, or a clock that is off, or a replayed capture) to the minute it was received. A minute
 * is flushed `graceMillis` after it ends; a record for a minute already flushed is kept in a late
 * table for that minute and sent at the next flush as a further payload (payloads of one exporter
 * and minute add up), so none is lost. Stats are those of the datagrams received during the
 * minute; a minute with stats but no rows (only malformed datagrams) still gets a payload.
 */
export class FlowAggregator {
  #key: FlowKeyField[];
  #codes: F[];
  #sampling: SamplingResolver;
  readonly #onPayload: (payload: FlowAggregatesPayload) => void;
  readonly #maxKeys: number;
  readonly #maxRowsTotal: number;
  readonly #grace: number;
  readonly #maxRowsPerPayload: number;
  readonly #maxAge: number;
  readonly #maxAhead: number;
  readonly #exporters = new Map<string, ExporterState>();
  /** Minutes before this one are closed (flushed). */
  #openFrom = 0;
  #openRows = 0;
  #stats = { payloads: 0, rows: 0, lateRecords: 0, detailDropped: 0 };

  constructor(options: FlowAggregatorOptions) {
    this.#key = normaliseKey(options.key);
    this.#codes = codesOf(this.#key);
    this.#sampling = options.sampling;
    this.#onPayload = options.onPayload;
    this.#maxKeys = options.maxKeysPerMinute ?? 100_000;
    this.#maxRowsTotal = options.maxRowsTotal ?? 2_000_000;
    this.#grace = options.graceMillis ?? 10_000;
    this.#maxRowsPerPayload = Math.min(
      options.maxRowsPerPayload ?? MAX_ROWS_PER_PAYLOAD,
      MAX_ROWS_PER_PAYLOAD,
    );
    this.#maxAge = options.maxAgeMillis ?? 300_000;
    this.#maxAhead = options.maxAheadMillis ?? 60_000;
  }

  get key(): readonly FlowKeyField[] {
    return this.#key;
  }

  /**
   * A new key or sampling configuration. A key change flushes the rows in progress (partial
   * minutes: the rest of those minutes follows in further payloads under the new key), so nothing
   * aggregated is lost; a sampling change applies to records from now on.
   */
  configure(key: readonly FlowKeyField[], sampling: SamplingResolver): void {
    this.#sampling = sampling;
    const next = normaliseKey(key);
    if (next.join(',') === this.#key.join(',')) return;
    for (const ex of this.#exporters.values()) {
      for (const [minute, t] of ex.tables) this.#emit(ex, minute, t, undefined);
      for (const [minute, t] of ex.late) this.#emit(ex, minute, t, undefined);
      ex.tables.clear();
      ex.late.clear();
    }
    this.#openRows = 0;
    this.#key = next;
    this.#codes = codesOf(next);
  }

  /** The exporter's state (created on first use), with its stats rolled to the minute of `now`. */
  exporter(address: string, now: number): ExporterState {
    let ex = this.#exporters.get(address);
    if (!ex) {
      ex = {
        address,
        stats: newStats(),
        statsMinute: now - (now % MINUTE),
        closedStats: new Map(),
        tables: new Map(),
        late: new Map(),
        totals: newStats(),
      };
      this.#exporters.set(address, ex);
    }
    this.#rollStats(ex, now);
    return ex;
  }

  #rollStats(ex: ExporterState, now: number): void {
    const minute = now - (now % MINUTE);
    if (minute === ex.statsMinute) return;
    if (!statsEmpty(ex.stats)) {
      const prev = ex.closedStats.get(ex.statsMinute);
      ex.closedStats.set(ex.statsMinute, prev ? addStats(prev, ex.stats) : ex.stats);
    }
    ex.stats = newStats();
    ex.statsMinute = minute;
  }

  /** Adds a decoded record received at `now` (stats go to the exporter's current minute). */
  add(ex: ExporterState, r: FlowRecord, now: number, cfg = this.#sampling.exporter(ex.address)): void {
    const s = ex.stats;
    s.records += 1;
    s.versions |= versionBit(r.version);
    const rate = this.#sampling.resolve(cfg, r);
    const source = this.#sampling.source;
    if (source === 'exporter') s.samplingExporter += 1;
    else if (source === 'configured') s.samplingConfigured += 1;
    else s.samplingDefault += 1;

    const end = r.endMillis;
    const t = end > 0 && end >= now - this.#maxAge && end <= now + this.#maxAhead ? end : now;
    const minute = t - (t % MINUTE);
    let table: MinuteTable | undefined;
    if (minute < this.#openFrom) {
      this.#stats.lateRecords += 1;
      table = ex.late.get(minute);
      if (!table) ex.late.set(minute, (table = new MinuteTable(this.#key)));
    } else {
      table = ex.tables.get(minute);
      if (!table) ex.tables.set(minute, (table = new MinuteTable(this.#key)));
    }
    let k = rowKey(this.#codes, r, rate);
    let i = table.index.get(k);
    if (i === undefined) {
      if (table.rows >= this.#maxKeys || this.#openRows >= this.#maxRowsTotal) {
        s.detailDropped += 1;
        this.#stats.detailDropped += 1;
        k = (r.ipVersion === 6 ? '*6|' : '*4|') + rate;
        i = table.index.get(k);
        if (i === undefined) {
          i = table.addRow(k, r, rate, true);
          this.#openRows += 1;
        }
      } else {
        i = table.addRow(k, r, rate, false);
        this.#openRows += 1;
      }
    } else if (k.charCodeAt(0) === 42) {
      s.detailDropped += 1;
    }
    table.bytes[i]! += r.bytes * rate;
    table.packets[i]! += r.packets * rate;
    table.flows[i]! += rate;
  }

  /** Emits every minute that ended `graceMillis` before `now`, and late rows once a minute closes. */
  flush(now: number): void {
    const openFrom = now - this.#grace - ((now - this.#grace) % MINUTE);
    const closing = openFrom > this.#openFrom;
    if (closing) this.#openFrom = openFrom;
    for (const ex of this.#exporters.values()) {
      this.#rollStats(ex, now);
      if (!closing) continue;
      const minutes = new Set<number>();
      for (const m of ex.tables.keys()) if (m < openFrom) minutes.add(m);
      for (const m of ex.closedStats.keys()) if (m < openFrom) minutes.add(m);
      for (const m of [...minutes].sort((a, b) => a - b)) {
        const t = ex.tables.get(m);
        const st = ex.closedStats.get(m);
        ex.tables.delete(m);
        ex.closedStats.delete(m);
        this.#emit(ex, m, t, st);
      }
      for (const [m, t] of ex.late) this.#emit(ex, m, t, undefined);
      ex.late.clear();
    }
    if (closing) this.#forgetIdle(now);
  }

  /** Emits everything (stop): open minutes, late rows, and the stats of the current minute. */
  flushAll(now: number): void {
    for (const ex of this.#exporters.values()) {
      this.#rollStats(ex, now + MINUTE);
      const minutes = new Set<number>([...ex.tables.keys(), ...ex.closedStats.keys()]);
      for (const m of [...minutes].sort((a, b) => a - b)) {
        this.#emit(ex, m, ex.tables.get(m), ex.closedStats.get(m));
      }
      ex.tables.clear();
      ex.closedStats.clear();
      for (const [m, t] of ex.late) this.#emit(ex, m, t, undefined);
      ex.late.clear();
    }
    this.#openRows = 0;
  }

  // Exporters silent for ten minutes (nothing open) are forgotten; their totals stay in metrics.
  #forgetIdle(now: number): void {
    for (const [a, ex] of this.#exporters) {
      if (ex.tables.size === 0 && ex.late.size === 0 && ex.closedStats.size === 0 && statsEmpty(ex.stats)) {
        if (now - ex.statsMinute > 10 * MINUTE) this.#exporters.delete(a);
      }
    }
  }

  #emit(
    ex: ExporterState,
    minute: number,
    t: MinuteTable | undefined,
    st: StatsAccumulator | undefined,
  ): void {
    if (st) addStats(ex.totals, st);
    const rows = t?.rows ?? 0;
    if (t) this.#openRows -= rows;
    if (rows === 0 && (!st || statsEmpty(st))) return;
    const key = t ? [...t.key] : [...this.#key];
    for (let from = 0; from === 0 || from < rows; from += this.#maxRowsPerPayload) {
      const to = Math.min(rows, from + this.#maxRowsPerPayload);
      const payload: FlowAggregatesPayload = {
        kind: 'flow-aggregates',
        exporter: ex.address,
        minute,
        key,
        rows: to - from,
        columns: t ? t.columns(from, to) : emptyColumns(key),
        stats: statsPayload(from === 0 ? st : undefined),
      };
      this.#stats.payloads += 1;
      this.#stats.rows += to - from;
      this.#onPayload(payload);
    }
  }

  /** The exporters currently known (address → totals since start, including the open minute). */
  exporterTotals(): Map<string, StatsAccumulator> {
    const out = new Map<string, StatsAccumulator>();
    for (const [a, ex] of this.#exporters) {
      const s = addStats(newStats(), ex.totals);
      for (const c of ex.closedStats.values()) addStats(s, c);
      out.set(a, addStats(s, ex.stats));
    }
    return out;
  }

  stats(): FlowAggregatorStats {
    return { exporters: this.#exporters.size, openRows: this.#openRows, ...this.#stats };
  }
}

function emptyColumns(key: readonly FlowKeyField[]): FlowColumns {
  const cols: Record<string, unknown[]> = {
    ipVersion: [],
    samplingRate: [],
    bytes: [],
    packets: [],
    flows: [],
  };
  for (const f of key) cols[f] = [];
  return cols as unknown as FlowColumns;
}

/** Adds `b` into `a` and returns `a`. */
export function addStats(a: StatsAccumulator, b: StatsAccumulator): StatsAccumulator {
  a.packets += b.packets;
  a.records += b.records;
  a.dropped += b.dropped;
  for (const [r, n] of Object.entries(b.malformed) as [FlowMalformedReason, number][]) {
    a.malformed[r] = (a.malformed[r] ?? 0) + n;
  }
  a.missingTemplates += b.missingTemplates;
  a.sequenceGaps += b.sequenceGaps;
  a.versions |= b.versions;
  a.samplingExporter += b.samplingExporter;
  a.samplingConfigured += b.samplingConfigured;
  a.samplingDefault += b.samplingDefault;
  a.detailDropped += b.detailDropped;
  return a;
}

/** The key in schema order with `ipVersion` always present, duplicates removed. */
export function normaliseKey(key: readonly FlowKeyField[]): FlowKeyField[] {
  const set = new Set<FlowKeyField>(key);
  set.add('ipVersion');
  return FLOW_KEY_FIELDS.filter((f) => set.has(f));
}

function codesOf(key: readonly FlowKeyField[]): F[] {
  const out: F[] = [];
  for (const f of key) {
    const c = FIELD_CODE[f];
    if (c !== undefined) out.push(c);
  }
  return out;
}
