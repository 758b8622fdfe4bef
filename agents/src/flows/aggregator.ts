import type {
  FlowAggregatesPayload,
  FlowColumns,
  FlowExporterStats,
  FlowKeyField,
  FlowMalformedReason,
} from '@tianshu/protocol';
import { FLOW_KEY_FIELDS } from '@tianshu/protocol';
import type { FlowRecord } from './record.js';
import { SFLOW_VERSION, ipv4Text } from './record.js';
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

// Key fields by code; addresses are codes ADDR_FIRST.. (IPv4 held as uint32, IPv6 as text).
const IN_IF = 0;
const OUT_IF = 1;
const SRC_PORT = 2;
const DST_PORT = 3;
const PROTO = 4;
const TCP_FLAGS = 5;
const TOS = 6;
const SRC_AS = 7;
const DST_AS = 8;
const SRC_ADDR = 9;
const DST_ADDR = 10;
const NEXT_HOP = 11;

const FIELD_CODE: Partial<Record<FlowKeyField, number>> = {
  inIf: IN_IF,
  outIf: OUT_IF,
  srcPort: SRC_PORT,
  dstPort: DST_PORT,
  proto: PROTO,
  tcpFlags: TCP_FLAGS,
  tos: TOS,
  srcAs: SRC_AS,
  dstAs: DST_AS,
  srcAddr: SRC_ADDR,
  dstAddr: DST_ADDR,
  nextHop: NEXT_HOP,
};

function fieldText(code: number, r: FlowRecord): string {
  return code === SRC_ADDR ? r.srcV6 : code === DST_ADDR ? r.dstV6 : r.nextHopV6;
}

function stringHash(h: number, s: string): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h;
}

type Finder = (t: MinuteTable, r: FlowRecord, rate: number) => number;
const finders = new Map<string, Finder>();

const VALUE_EXPR = [
  'r.inIf',
  'r.outIf',
  'r.srcPort',
  'r.dstPort',
  'r.proto',
  'r.tcpFlags',
  'r.tos',
  'r.srcAs',
  'r.dstAs',
];
const ADDR_V4 = ['r.srcV4', 'r.dstV4', 'r.nextHopV4'];
const ADDR_V6 = ['r.srcV6', 'r.dstV6', 'r.nextHopV6'];

/**
 * The lookup of a record's row in a {@link MinuteTable}, compiled for one key (the field list
 * unrolled: no loop, no switch per field). It hashes exactly as `MinuteTable.#rehash` does (per
 * field `h = imul(h ^ value)`, then the IPv6 text of address fields) and, on a miss, leaves the
 * probe slot and the field values for `insert`. The source is built only from the fixed
 * expressions above, never from input.
 */
function finder(codes: readonly number[]): Finder {
  const id = codes.join(',');
  let f = finders.get(id);
  if (f) return f;
  const lines: string[] = [
    'const v6 = r.ipVersion === 6;',
    'let h = Math.imul(r.ipVersion * 0x9e3779b1 + rate, 0x85ebca6b);',
  ];
  const cmp: string[] = [];
  codes.forEach((c, k) => {
    if (c >= SRC_ADDR) {
      lines.push(
        `const a${k} = v6 ? 0 : ${ADDR_V4[c - SRC_ADDR]!};`,
        `const s${k} = v6 ? ${ADDR_V6[c - SRC_ADDR]!} : '';`,
        `h = Math.imul(h ^ a${k}, 0x01000193);`,
        `if (v6) h = sh(h, s${k});`,
      );
      cmp.push(`t.vals[${k}][row] === a${k} && (!v6 || t.text[${k}][row] === s${k})`);
    } else {
      lines.push(`const a${k} = ${VALUE_EXPR[c]!};`, `h = Math.imul(h ^ a${k}, 0x01000193);`);
      cmp.push(`t.vals[${k}][row] === a${k}`);
    }
  });
  const body = `"use strict"; return function find(t, r, rate) {
    ${lines.join('\n    ')}
    h ^= h >>> 15;
    const slots = t.slots, mask = slots.length - 1, ver = t.ver, rt = t.rate;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const row = slots[i];
      if (row < 0) {
        t.probe = i;
        const cur = t.cur;
        ${codes.map((_, k) => `cur[${k}] = a${k};`).join(' ')}
        return -1;
      }
      if (ver[row] === r.ipVersion && rt[row] === rate${cmp.map((x) => ' && ' + x).join('')}) return row;
    }
  };`;
  f = (new Function('sh', body) as (sh: typeof stringHash) => Finder)(stringHash);
  finders.set(id, f);
  return f;
}

/**
 * The rows of one exporter-minute: an open-addressing hash table over typed-array columns (no
 * string or object per record), key columns as received, measures sampling-corrected.
 */
class MinuteTable {
  rows = 0;
  #cap = 64;
  readonly #codes: readonly number[];
  /** Per key field: its values (IPv4 addresses as uint32; 0 for IPv6 rows). */
  vals: Float64Array[];
  /** Per address field: IPv6 text (undefined entries for IPv4 rows). */
  text: (string[] | undefined)[];
  ver = new Uint8Array(64);
  rate = new Float64Array(64);
  bytes = new Float64Array(64);
  packets = new Float64Array(64);
  flows = new Float64Array(64);
  slots = new Int32Array(256).fill(-1);
  readonly #catchAll = new Map<number, number>();
  readonly #catchAllRows = new Set<number>();
  readonly cur: Float64Array;

  constructor(readonly key: readonly FlowKeyField[]) {
    this.#codes = codesOf(key);
    this.vals = this.#codes.map(() => new Float64Array(64));
    this.text = this.#codes.map((c) => (c >= SRC_ADDR ? [] : undefined));
    this.cur = new Float64Array(this.#codes.length);
    this.#find = finder(this.#codes);
  }

  readonly #find: Finder;

  /** The row of `r` at `rate`, or -1 when it has none yet (then call `insert`); see {@link finder}. */
  find(r: FlowRecord, rate: number): number {
    return this.#find(this, r, rate);
  }

  probe = 0;

  /** Adds the row `find` did not find (call right after it). */
  insert(r: FlowRecord, rate: number): number {
    const row = this.#newRow(r.ipVersion, rate);
    const v6 = r.ipVersion === 6;
    for (let k = 0; k < this.#codes.length; k++) {
      this.vals[k]![row] = this.cur[k]!;
      const t = this.text[k];
      if (t) t[row] = v6 ? fieldText(this.#codes[k]!, r) : '';
    }
    this.slots[this.probe] = row;
    if (this.rows * 2 > this.slots.length) this.#rehash();
    return row;
  }

  /** The catch-all row of (ipVersion, rate): every detail field 0 or empty. */
  catchAll(ipVersion: number, rate: number): number {
    const k = rate * 8 + ipVersion;
    let row = this.#catchAll.get(k);
    if (row === undefined) {
      row = this.#newRow(ipVersion, rate);
      for (let j = 0; j < this.#codes.length; j++) {
        this.vals[j]![row] = 0;
        const t = this.text[j];
        if (t) t[row] = '';
      }
      this.#catchAll.set(k, row);
      this.#catchAllRows.add(row);
    }
    return row;
  }

  #newRow(ipVersion: number, rate: number): number {
    if (this.rows === this.#cap) this.#grow();
    const row = this.rows++;
    this.ver[row] = ipVersion;
    this.rate[row] = rate;
    return row;
  }

  #grow(): void {
    const cap = this.#cap * 2;
    const grow = <T extends Float64Array | Uint8Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    const f64 = (n: number) => new Float64Array(n);
    this.vals = this.vals.map((a) => grow(a, f64));
    this.ver = grow(this.ver, (n) => new Uint8Array(n));
    this.rate = grow(this.rate, f64);
    this.bytes = grow(this.bytes, f64);
    this.packets = grow(this.packets, f64);
    this.flows = grow(this.flows, f64);
    this.#cap = cap;
  }

  #rehash(): void {
    const slots = new Int32Array(this.slots.length * 2).fill(-1);
    const mask = slots.length - 1;
    const old = this.slots;
    for (let i = 0; i < old.length; i++) {
      const row = old[i]!;
      if (row < 0) continue;
      let h = Math.imul(this.ver[row]! * 0x9e3779b1 + this.rate[row]!, 0x85ebca6b);
      for (let k = 0; k < this.#codes.length; k++) {
        const v = this.vals[k]![row]!;
        h = Math.imul(h ^ v, 0x01000193);
        const t = this.text[k];
        if (this.ver[row] === 6 && t) h = stringHash(h, t[row]!);
      }
      h ^= h >>> 15;
      let j = h & mask;
      while (slots[j]! >= 0) j = (j + 1) & mask;
      slots[j] = row;
    }
    this.slots = slots;
  }

  columns(from: number, to: number): FlowColumns {
    const num = (a: Float64Array | Uint8Array): number[] => Array.from(a.subarray(from, to));
    const cols: Record<string, unknown> = {
      ipVersion: num(this.ver),
      samplingRate: num(this.rate),
      bytes: num(this.bytes),
      packets: num(this.packets),
      flows: num(this.flows),
    };
    this.#codes.forEach((c, k) => {
      const name = FLOW_KEY_FIELDS.find((f) => FIELD_CODE[f] === c)!;
      const vals = this.vals[k]!;
      const text = this.text[k];
      if (!text) {
        cols[name] = num(vals);
        return;
      }
      const out: string[] = new Array<string>(to - from);
      for (let i = from; i < to; i++) {
        const v = vals[i]!;
        out[i - from] =
          this.ver[i] === 6
            ? text[i]!
            : c === NEXT_HOP && v === 0
              ? ''
              : text[i] === '' && this.#isCatchAll(i)
                ? ''
                : ipv4Text(v);
      }
      cols[name] = out;
    });
    return cols as FlowColumns;
  }

  #isCatchAll(row: number): boolean {
    return this.#catchAllRows.has(row);
  }
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
  /** The open table last added to (most records of a datagram share a minute). */
  cacheMinute: number;
  cacheTable: MinuteTable | undefined;
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
      ex.cacheTable = undefined;
    }
    this.#openRows = 0;
    this.#key = next;
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
        cacheMinute: -1,
        cacheTable: undefined,
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
    } else if (minute === ex.cacheMinute && ex.cacheTable) {
      table = ex.cacheTable;
    } else {
      table = ex.tables.get(minute);
      if (!table) ex.tables.set(minute, (table = new MinuteTable(this.#key)));
      ex.cacheMinute = minute;
      ex.cacheTable = table;
    }
    let i = table.find(r, rate);
    if (i < 0) {
      if (table.rows >= this.#maxKeys || this.#openRows >= this.#maxRowsTotal) {
        s.detailDropped += 1;
        this.#stats.detailDropped += 1;
        const before = table.rows;
        i = table.catchAll(r.ipVersion, rate);
        if (table.rows > before) this.#openRows += 1;
      } else {
        i = table.insert(r, rate);
        this.#openRows += 1;
      }
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
      ex.cacheTable = undefined;
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
      ex.cacheTable = undefined;
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

function codesOf(key: readonly FlowKeyField[]): number[] {
  const out: number[] = [];
  for (const f of key) {
    const c = FIELD_CODE[f];
    if (c !== undefined) out.push(c);
  }
  return out;
}
