import type {
  IfStatus,
  InterfacePollPayload,
  InterfaceSample,
  PollOutcome,
  PollTarget,
} from '@tianshu/protocol';
import type { Logger } from '../runtime/logger.js';
import { silentLogger } from '../runtime/logger.js';
import type { CounterSnapshot, InterfaceCounters } from './counters.js';
import { computeRates } from './counters.js';
import type { EdgeMetrics } from './metrics.js';
import { runPool } from './pool.js';
import { withDeviceSession } from './device-session.js';
import type { SnmpSession, SnmpSessionFactory, Varbind, WalkColumnsOptions } from './snmp-client.js';
import { SnmpError, SnmpType, createSnmpSession, defaultMaxVarbinds } from './snmp-client.js';

/** sysUpTime.0 (TimeTicks). */
export const sysUpTimeOid = '1.3.6.1.2.1.1.3.0';

/** One table column the poller walks, with the SMI type it must have. */
export interface ColumnSpec {
  name: string;
  oid: string;
  type: number;
}

/** The IF-MIB columns an interface poll walks: ifXTable and ifTable, nothing else. */
export const pollColumns = {
  ifName: { name: 'ifName', oid: '1.3.6.1.2.1.31.1.1.1.1', type: SnmpType.OctetString },
  ifHCInOctets: { name: 'ifHCInOctets', oid: '1.3.6.1.2.1.31.1.1.1.6', type: SnmpType.Counter64 },
  ifHCOutOctets: { name: 'ifHCOutOctets', oid: '1.3.6.1.2.1.31.1.1.1.10', type: SnmpType.Counter64 },
  ifHighSpeed: { name: 'ifHighSpeed', oid: '1.3.6.1.2.1.31.1.1.1.15', type: SnmpType.Gauge32 },
  ifAlias: { name: 'ifAlias', oid: '1.3.6.1.2.1.31.1.1.1.18', type: SnmpType.OctetString },
  ifSpeed: { name: 'ifSpeed', oid: '1.3.6.1.2.1.2.2.1.5', type: SnmpType.Gauge32 },
  ifAdminStatus: { name: 'ifAdminStatus', oid: '1.3.6.1.2.1.2.2.1.7', type: SnmpType.Integer },
  ifOperStatus: { name: 'ifOperStatus', oid: '1.3.6.1.2.1.2.2.1.8', type: SnmpType.Integer },
  ifInOctets: { name: 'ifInOctets', oid: '1.3.6.1.2.1.2.2.1.10', type: SnmpType.Counter32 },
  ifInDiscards: { name: 'ifInDiscards', oid: '1.3.6.1.2.1.2.2.1.13', type: SnmpType.Counter32 },
  ifInErrors: { name: 'ifInErrors', oid: '1.3.6.1.2.1.2.2.1.14', type: SnmpType.Counter32 },
  ifOutOctets: { name: 'ifOutOctets', oid: '1.3.6.1.2.1.2.2.1.16', type: SnmpType.Counter32 },
  ifOutDiscards: { name: 'ifOutDiscards', oid: '1.3.6.1.2.1.2.2.1.19', type: SnmpType.Counter32 },
  ifOutErrors: { name: 'ifOutErrors', oid: '1.3.6.1.2.1.2.2.1.20', type: SnmpType.Counter32 },
} as const satisfies Record<string, ColumnSpec>;

type PollColumn = keyof typeof pollColumns;
const pollColumnList = Object.values(pollColumns) as ColumnSpec[];
const pollColumnNames = Object.keys(pollColumns) as PollColumn[];

const typeNames: Record<number, string> = Object.fromEntries(
  Object.entries(SnmpType).map(([k, v]) => [v, k]),
);

/** Name of an SMI type tag for messages. */
export function typeName(type: number): string {
  return typeNames[type] ?? `tag ${type}`;
}

const ifStatuses: readonly IfStatus[] = [
  'up',
  'down',
  'testing',
  'unknown',
  'dormant',
  'notPresent',
  'lowerLayerDown',
];

/** Maps an IF-MIB ifOperStatus / ifAdminStatus integer to its name (`unknown` when out of range). */
export function ifStatus(value: number | undefined): IfStatus {
  return (value !== undefined && ifStatuses[value - 1]) || 'unknown';
}

/** Decodes an OctetString for display: UTF-8, control characters dropped, at most `max` characters. */
export function displayString(value: unknown, max = 256): string {
  const s = Buffer.isBuffer(value) ? value.toString('utf8') : typeof value === 'string' ? value : '';
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, max);
}

/**
 * The ifIndex of a column varbind: one integer component (1..2^31-1) right below the column, read
 * from the characters without a regex or a substring, since it runs once per varbind of every poll.
 */
export function rowIndex(oid: string, columnOidLength: number): number | undefined {
  const start = columnOidLength + 1;
  const end = oid.length;
  if (end <= start || end - start > 10 || oid.charCodeAt(columnOidLength) !== 46) return undefined;
  let n = 0;
  for (let i = start; i < end; i += 1) {
    const c = oid.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return n >= 1 && n <= 2_147_483_647 ? n : undefined;
}

/** Checks that a varbind has the type its column requires; a device answering otherwise is broken. */
export function expectType(vb: Varbind, column: ColumnSpec): void {
  if (vb.type !== column.type) {
    throw new SnmpError(
      'wrong-type',
      `${column.name} at ${vb.oid} has type ${typeName(vb.type)}, expected ${typeName(column.type)}`,
    );
  }
}

/** One interface as read from the walked columns, before rates. */
export interface InterfaceReading {
  ifIndex: number;
  name: string;
  alias: string;
  operStatus: IfStatus;
  adminStatus: IfStatus;
  speedMbps: number;
  /** 64 when the rates come from ifHCInOctets/ifHCOutOctets, 32 from ifInOctets/ifOutOctets. */
  counterBits?: 32 | 64;
  counters: InterfaceCounters;
}

/** What {@link assembleInterfaces} makes of a poll's columns. */
export interface AssembledPoll {
  /** Interfaces with octet counters (64-bit where the device has them, else 32-bit), by ifIndex. */
  readings: InterfaceReading[];
  /**
   * What the device left out: poll columns it answered for no interface at all (`ifHCInOctets`;
   * the fallbacks ifSpeed, ifInOctets and ifOutOctets only when some interface needed them),
   * `ifTable` when it has no interfaces in either table, and interfaces it gave no octet counters
   * for (`ifIndex 5001: no octet counters`). At most 100 entries.
   */
  missing: string[];
}

// One row of the walked columns; a class so every row has the same shape (the poll's hot path).
class Row {
  ifName: unknown = undefined;
  ifHCInOctets: unknown = undefined;
  ifHCOutOctets: unknown = undefined;
  ifHighSpeed: unknown = undefined;
  ifAlias: unknown = undefined;
  ifSpeed: unknown = undefined;
  ifAdminStatus: unknown = undefined;
  ifOperStatus: unknown = undefined;
  ifInOctets: unknown = undefined;
  ifInDiscards: unknown = undefined;
  ifInErrors: unknown = undefined;
  ifOutOctets: unknown = undefined;
  ifOutDiscards: unknown = undefined;
  ifOutErrors: unknown = undefined;
  constructor(readonly ifIndex: number) {}
}

const maxMissing = 100;

function big(v: unknown): bigint {
  return typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : 0n;
}
function num(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined;
}

/** Mbit/s of an interface: ifHighSpeed when the device has it, else ifSpeed (bit/s) / 10^6. */
export function interfaceSpeedMbps(ifHighSpeed: unknown, ifSpeed: unknown): number {
  const high = num(ifHighSpeed);
  // A Gauge32 may exceed what the wire format (and PostgreSQL's integer) holds; no link is that fast.
  if (high !== undefined) return Math.min(Math.max(0, high), 2_147_483_647);
  // ifSpeed saturates at 4294967295 for 4.29 Gbit/s and more; without ifHighSpeed that is all we know.
  const speed = num(ifSpeed);
  return speed !== undefined ? Math.max(0, Math.round(speed / 1e6)) : 0;
}

/**
 * Builds interfaces from the walked columns (in {@link pollColumns} order). Each interface takes
 * its rates from the 64-bit ifXTable counters when it has both, else from ifTable's 32-bit ones;
 * an interface with neither is named in `missing`, never dropped silently. Missing error and
 * discard counters read as zero.
 */
export function assembleInterfaces(columns: readonly Varbind[][]): AssembledPoll {
  const rows = new Map<number, Row>();
  let sorted = true;
  let last = 0;
  const absent: string[] = [];
  for (let c = 0; c < pollColumnNames.length; c += 1) {
    const key = pollColumnNames[c] as PollColumn;
    const spec = pollColumns[key];
    const list = columns[c];
    if (!list || list.length === 0) {
      absent.push(spec.name);
      continue;
    }
    const len = spec.oid.length;
    for (let i = 0; i < list.length; i += 1) {
      const vb = list[i] as Varbind;
      expectType(vb, spec);
      const idx = rowIndex(vb.oid, len);
      if (idx === undefined) continue;
      let row = rows.get(idx);
      if (!row) {
        row = new Row(idx);
        rows.set(idx, row);
        if (idx < last) sorted = false;
        last = idx;
      }
      row[key] = vb.value;
    }
  }
  const missing: string[] = [];
  if (rows.size === 0) {
    missing.push('ifTable');
    return { readings: [], missing };
  }
  const list = sorted ? [...rows.values()] : [...rows.values()].sort((a, b) => a.ifIndex - b.ifIndex);
  const readings: InterfaceReading[] = [];
  const noCounters: string[] = [];
  let speedFallback = false;
  let octetFallback = false;
  for (const r of list) {
    if (r.ifHighSpeed === undefined) speedFallback = true;
    let inOctets: bigint;
    let outOctets: bigint;
    let bits: 32 | 64;
    if (typeof r.ifHCInOctets === 'bigint' && typeof r.ifHCOutOctets === 'bigint') {
      inOctets = r.ifHCInOctets;
      outOctets = r.ifHCOutOctets;
      bits = 64;
    } else if (typeof r.ifInOctets === 'number' && typeof r.ifOutOctets === 'number') {
      octetFallback = true;
      inOctets = BigInt(r.ifInOctets);
      outOctets = BigInt(r.ifOutOctets);
      bits = 32;
    } else {
      octetFallback = true;
      if (noCounters.length < maxMissing) noCounters.push(`ifIndex ${r.ifIndex}: no octet counters`);
      continue;
    }
    readings.push({
      ifIndex: r.ifIndex,
      name: displayString(r.ifName),
      alias: displayString(r.ifAlias),
      operStatus: ifStatus(num(r.ifOperStatus)),
      adminStatus: ifStatus(num(r.ifAdminStatus)),
      speedMbps: interfaceSpeedMbps(r.ifHighSpeed, r.ifSpeed),
      counterBits: bits,
      counters: {
        inOctets,
        outOctets,
        inErrors: big(r.ifInErrors),
        outErrors: big(r.ifOutErrors),
        inDiscards: big(r.ifInDiscards),
        outDiscards: big(r.ifOutDiscards),
        octetBits: bits,
      },
    });
  }
  // ifSpeed and ifTable's octet counters are fallbacks: their absence matters only when needed.
  for (const name of absent) {
    const needed =
      name === pollColumns.ifSpeed.name
        ? speedFallback
        : name === pollColumns.ifInOctets.name || name === pollColumns.ifOutOctets.name
          ? octetFallback
          : true;
    if (needed && missing.length < maxMissing) missing.push(name);
  }
  for (const m of noCounters) if (missing.length < maxMissing) missing.push(m);
  return { readings, missing };
}

/** Seconds a 32-bit octet counter takes to wrap at `speedMbps`, Infinity when the speed is unknown. */
export function wrapSeconds32(speedMbps: number): number {
  return speedMbps > 0 ? (4_294_967_296 * 8) / (speedMbps * 1e6) : Infinity;
}

/**
 * Warnings for 32-bit interfaces fast enough for their counters to wrap within the poll interval
 * (interval >= 2^32 * 8 / speed in bit/s): two wraps between polls cannot be told from one, so the
 * rates would be too low. At most 100.
 */
export function wrapWarnings(
  readings: readonly InterfaceReading[],
  intervalSeconds: number | undefined,
): string[] {
  const out: string[] = [];
  if (!(intervalSeconds !== undefined && intervalSeconds > 0)) return out;
  for (const r of readings) {
    if (r.counterBits !== 32) continue;
    const wrap = wrapSeconds32(r.speedMbps);
    if (intervalSeconds < wrap) continue;
    if (out.length >= maxMissing) break;
    const label = r.name ? `ifIndex ${r.ifIndex} (${r.name.slice(0, 64)})` : `ifIndex ${r.ifIndex}`;
    out.push(
      `${label}: 32-bit octet counters wrap every ${wrap.toFixed(1)} s at ${r.speedMbps} Mbit/s; ` +
        `the poll interval of ${intervalSeconds} s is too long to tell one wrap from two ` +
        `(poll more often than every ${Math.floor(wrap)} s, or enable ifXTable)`,
    );
  }
  return out;
}

/** What the poller remembers of a device between polls. */
export interface DeviceState {
  address: string;
  port: number;
  sysUpTime: number;
  at: number;
  interfaces: Map<number, InterfaceCounters>;
}

/** Turns readings into payload samples with rates against the device's previous state. */
export function buildSamples(
  readings: readonly InterfaceReading[],
  sysUpTime: number,
  at: number,
  previous: DeviceState | undefined,
): InterfaceSample[] {
  return readings.map((r) => {
    const prevCounters = previous?.interfaces.get(r.ifIndex);
    const prev: CounterSnapshot | undefined =
      previous && prevCounters
        ? { sysUpTime: previous.sysUpTime, at: previous.at, counters: prevCounters }
        : undefined;
    // A device whose sysUpTime went back rebooted: every interface resets, even ones new since.
    const rebooted = previous !== undefined && sysUpTime < previous.sysUpTime;
    const result = rebooted
      ? { rates: null, counterEvent: 'reset' as const }
      : computeRates(prev, { sysUpTime, at, counters: r.counters }, r.speedMbps);
    const c = r.counters;
    const sample: InterfaceSample = {
      ifIndex: r.ifIndex,
      name: r.name,
      alias: r.alias,
      operStatus: r.operStatus,
      adminStatus: r.adminStatus,
      speedMbps: r.speedMbps,
      counterBits: r.counterBits ?? 64,
      inOctets: c.inOctets.toString(),
      outOctets: c.outOctets.toString(),
      inErrors: c.inErrors.toString(),
      outErrors: c.outErrors.toString(),
      inDiscards: c.inDiscards.toString(),
      outDiscards: c.outDiscards.toString(),
      rates: result.rates,
    };
    if (result.counterEvent) sample.counterEvent = result.counterEvent;
    return sample;
  });
}

const pollColumnOids = pollColumnList.map((c) => c.oid);

const noSuchNames: Record<number, string> = {
  [SnmpType.NoSuchObject]: 'noSuchObject',
  [SnmpType.NoSuchInstance]: 'noSuchInstance',
  [SnmpType.EndOfMibView]: 'endOfMibView',
};

/** The name of a noSuchObject / noSuchInstance / endOfMibView answer, undefined for a value. */
export function noSuchName(type: number): string | undefined {
  return noSuchNames[type];
}

/** The sysUpTime.0 of a GET answer; an agent answering without a TimeTicks value is an error. */
export function expectSysUpTime(up: Varbind | undefined): number {
  if (!up) throw new SnmpError('malformed', 'sysUpTime.0: no varbind in the answer');
  const none = noSuchName(up.type);
  if (none) throw new SnmpError('agent-error', `sysUpTime.0: ${none}`);
  if (up.type !== SnmpType.TimeTicks || typeof up.value !== 'number') {
    throw new SnmpError('wrong-type', `sysUpTime.0 has type ${typeName(up.type)}, expected TimeTicks`);
  }
  return up.value;
}

/** The outcome a failed poll or discovery reports for its error. */
export function outcomeOf(error: SnmpError): PollOutcome {
  switch (error.kind) {
    case 'timeout':
      return 'timeout';
    case 'auth':
      return 'auth';
    case 'agent-error':
      return 'agent-error';
    default:
      return 'error';
  }
}

/** Options shared by the poller and discovery. */
export interface EdgeTaskOptions {
  /** Creates sessions; the net-snmp implementation by default (tests pass doubles). */
  sessionFactory?: SnmpSessionFactory;
  metrics?: EdgeMetrics;
  logger?: Logger;
  /** Most varbinds one device may return in one poll; 200,000 by default. */
  maxVarbinds?: number;
  /**
   * How many columns one GETBULK request carries; all of them by default (one request per round
   * for the whole poll), 1 walks each column on its own.
   */
  columnsPerRequest?: number;
  now?: () => number;
}

/** Options of one device poll. */
export interface PollDeviceOptions {
  signal?: AbortSignal;
  /** The whole poll of the device ends with an error after this long. */
  deadlineMillis?: number;
  /**
   * The configured poll interval, seconds: 32-bit interfaces fast enough to wrap within it get a
   * warning. Without it nothing is warned.
   */
  intervalSeconds?: number;
}

/** Result of a poll cycle over all targets. */
export interface PollCycleSummary {
  devices: number;
  ok: number;
  failed: number;
  interfaces: number;
  durationMs: number;
}

/** Walks columns in groups of `perRequest`, in order. */
export async function walkColumnGroups(
  session: SnmpSession,
  oids: readonly string[],
  maxRepetitions: number,
  perRequest: number,
  options?: WalkColumnsOptions,
): Promise<Varbind[][]> {
  const out: Varbind[][] = [];
  for (let i = 0; i < oids.length; i += perRequest) {
    const group = oids.length <= perRequest ? oids : oids.slice(i, i + perRequest);
    const walked = options
      ? await session.walkColumns(group, maxRepetitions, options)
      : await session.walkColumns(group, maxRepetitions);
    for (const rows of walked) out.push(rows);
  }
  return out;
}

/**
 * Polls devices' interfaces (IF-MIB) and computes rates between polls. Keeps one small state per
 * device (sysUpTime and counters of the last good poll); never throws for a device's failure.
 */
export class EdgePoller {
  readonly #factory: SnmpSessionFactory;
  readonly #metrics: EdgeMetrics | undefined;
  readonly #log: Logger;
  readonly #maxVarbinds: number;
  readonly #perRequest: number;
  readonly #now: () => number;
  readonly #state = new Map<string, DeviceState>();
  readonly #failing = new Set<string>();
  readonly #warned = new Set<string>();
  readonly #partial = new Map<string, string>();

  constructor(options: EdgeTaskOptions = {}) {
    this.#factory = options.sessionFactory ?? createSnmpSession;
    this.#metrics = options.metrics;
    this.#log = options.logger ?? silentLogger;
    this.#maxVarbinds = options.maxVarbinds ?? defaultMaxVarbinds;
    this.#perRequest = options.columnsPerRequest ?? pollColumnList.length;
    this.#now = options.now ?? Date.now;
    if (!(this.#maxVarbinds > 0)) throw new Error('edge poller option "maxVarbinds" must be positive');
    if (!(this.#perRequest >= 1))
      throw new Error('edge poller option "columnsPerRequest" must be at least 1');
  }

  /** Forgets the state of devices no longer polled, or whose address changed. */
  retain(targets: readonly PollTarget[]): void {
    const byId = new Map(targets.map((t) => [t.deviceId, t]));
    for (const [id, s] of this.#state) {
      const t = byId.get(id);
      if (!t || t.address !== s.address || t.port !== s.port) this.#state.delete(id);
    }
    for (const id of this.#failing) if (!byId.has(id)) this.#failing.delete(id);
    for (const id of this.#warned) if (!byId.has(id)) this.#warned.delete(id);
    for (const id of this.#partial.keys()) if (!byId.has(id)) this.#partial.delete(id);
  }

  /** Number of devices with remembered counters. */
  get devicesWithState(): number {
    return this.#state.size;
  }

  /**
   * Polls every target, at most `concurrency` at a time, handing each payload to `onPayload` as
   * soon as it is ready. Resolves when all are done or `signal` aborts.
   */
  async pollAll(
    targets: readonly PollTarget[],
    options: {
      concurrency: number;
      deadlineMillis: number;
      signal?: AbortSignal;
      /** The configured poll interval (see {@link PollDeviceOptions.intervalSeconds}). */
      intervalSeconds?: number;
      onPayload: (p: InterfacePollPayload) => void;
    },
  ): Promise<PollCycleSummary> {
    const started = performance.now();
    const summary: PollCycleSummary = { devices: 0, ok: 0, failed: 0, interfaces: 0, durationMs: 0 };
    await runPool(
      targets,
      options.concurrency,
      async (t) => {
        const p = await this.pollDevice(t, {
          deadlineMillis: options.deadlineMillis,
          signal: options.signal,
          ...(options.intervalSeconds !== undefined ? { intervalSeconds: options.intervalSeconds } : {}),
        });
        summary.devices += 1;
        if (p.error) summary.failed += 1;
        else summary.ok += 1;
        summary.interfaces += p.interfaces.length;
        if (options.signal?.aborted) return;
        try {
          options.onPayload(p);
        } catch (err) {
          this.#log.warn('edge payload handler failed', { error: String(err) });
        }
      },
      options.signal,
    );
    summary.durationMs = performance.now() - started;
    return summary;
  }

  /** Polls one device once; resolves with a payload in every case (an error is recorded in it). */
  async pollDevice(target: PollTarget, options: PollDeviceOptions = {}): Promise<InterfacePollPayload> {
    const polledAt = this.#now();
    const t0 = performance.now();
    const run = await withDeviceSession(
      target,
      {
        task: 'poll',
        factory: this.#factory,
        maxVarbinds: this.#maxVarbinds,
        metrics: this.#metrics,
        signal: options.signal,
        deadlineMillis: options.deadlineMillis,
      },
      async (session) => {
        const [up] = await session.get([sysUpTimeOid]);
        const sysUpTime = expectSysUpTime(up);
        const columns = await walkColumnGroups(
          session,
          pollColumnOids,
          target.maxRepetitions,
          this.#perRequest,
        );
        const { readings, missing } = assembleInterfaces(columns);
        const previous = this.#state.get(target.deviceId);
        const interfaces = buildSamples(readings, sysUpTime, polledAt, previous);
        const counters = new Map<number, InterfaceCounters>();
        for (const r of readings) counters.set(r.ifIndex, r.counters);
        this.#state.set(target.deviceId, {
          address: target.address,
          port: target.port,
          sysUpTime,
          at: polledAt,
          interfaces: counters,
        });
        const result: InterfacePollPayload = {
          kind: 'interface-poll',
          deviceId: target.deviceId,
          polledAt,
          durationMs: performance.now() - t0,
          reachable: true,
          outcome: missing.length > 0 ? 'partial' : 'ok',
          sysUpTime,
          interfaces,
        };
        if (missing.length > 0) result.missing = missing;
        const warnings = wrapWarnings(readings, options.intervalSeconds);
        if (warnings.length > 0) result.warnings = warnings;
        this.#metrics?.interfacesPolled.inc(interfaces.length);
        return result;
      },
    );
    const payload: InterfacePollPayload = run.ok
      ? run.value
      : {
          kind: 'interface-poll',
          deviceId: target.deviceId,
          polledAt,
          durationMs: performance.now() - t0,
          reachable: run.reachable,
          error: `${run.error.kind}: ${run.error.message}`.slice(0, 1000),
          outcome: outcomeOf(run.error),
          interfaces: [],
        };
    const outcome = payload.error ? (payload.reachable ? 'error' : 'unreachable') : 'ok';
    this.#metrics?.polls.inc({ outcome });
    this.#metrics?.pollDuration.observe({ outcome }, payload.durationMs / 1000);
    this.#noteOutcome(target, payload);
    return payload;
  }

  #noteWarnings(target: PollTarget, p: InterfacePollPayload): void {
    if (!p.warnings || p.warnings.length === 0) {
      this.#warned.delete(target.deviceId);
      return;
    }
    if (this.#warned.has(target.deviceId)) return;
    this.#warned.add(target.deviceId);
    this.#log.warn('device has 32-bit counters that can wrap within the poll interval', {
      deviceId: target.deviceId,
      address: target.address,
      port: target.port,
      interfaces: p.warnings.length,
      first: p.warnings[0],
    });
  }

  // Failures are logged when a device starts or stops failing, not on every poll; so are partial
  // answers and counter warnings, once per device until they change.
  #noteOutcome(target: PollTarget, p: InterfacePollPayload): void {
    const fields = { deviceId: target.deviceId, address: target.address, port: target.port };
    this.#noteWarnings(target, p);
    const partialKey = p.outcome === 'partial' ? (p.missing ?? []).join(',') : undefined;
    if (partialKey !== this.#partial.get(target.deviceId)) {
      if (partialKey === undefined) this.#partial.delete(target.deviceId);
      else {
        this.#partial.set(target.deviceId, partialKey);
        this.#log.warn('device poll answered partially', { ...fields, missing: p.missing?.slice(0, 10) });
      }
    }
    if (p.error) {
      if (!this.#failing.has(target.deviceId)) {
        this.#failing.add(target.deviceId);
        this.#log.warn('device poll failed', { ...fields, reachable: p.reachable, reason: p.error });
      } else {
        this.#log.debug('device poll failed again', { ...fields, reason: p.error });
      }
    } else if (this.#failing.delete(target.deviceId)) {
      this.#log.info('device poll recovered', fields);
    }
  }
}

/** Polls one target once without remembered state (rates are null); for tests and tools. */
export function pollOnce(
  target: PollTarget,
  options: EdgeTaskOptions & PollDeviceOptions = {},
): Promise<InterfacePollPayload> {
  return new EdgePoller(options).pollDevice(target, options);
}
