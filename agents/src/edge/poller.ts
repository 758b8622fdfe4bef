import type { IfStatus, InterfacePollPayload, InterfaceSample, PollTarget } from '@tianshu/protocol';
import type { Logger } from '../runtime/logger.js';
import { silentLogger } from '../runtime/logger.js';
import type { CounterSnapshot, InterfaceCounters } from './counters.js';
import { computeRates } from './counters.js';
import type { EdgeMetrics } from './metrics.js';
import { runPool } from './pool.js';
import { withDeviceSession } from './device-session.js';
import type { SnmpSession, SnmpSessionFactory, Varbind } from './snmp-client.js';
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
  ifAdminStatus: { name: 'ifAdminStatus', oid: '1.3.6.1.2.1.2.2.1.7', type: SnmpType.Integer },
  ifOperStatus: { name: 'ifOperStatus', oid: '1.3.6.1.2.1.2.2.1.8', type: SnmpType.Integer },
  ifInDiscards: { name: 'ifInDiscards', oid: '1.3.6.1.2.1.2.2.1.13', type: SnmpType.Counter32 },
  ifInErrors: { name: 'ifInErrors', oid: '1.3.6.1.2.1.2.2.1.14', type: SnmpType.Counter32 },
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

/** The ifIndex of a column varbind: one integer component below the column. */
function rowIndex(vb: Varbind, column: ColumnSpec): number | undefined {
  const rest = vb.oid.slice(column.oid.length + 1);
  if (!/^\d{1,10}$/.test(rest)) return undefined;
  const n = Number(rest);
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
  counters: InterfaceCounters;
}

/**
 * Builds interfaces from the walked columns (in {@link pollColumns} order). Interfaces without both
 * 64-bit octet counters are left out, since a rate cannot be computed for them; missing error and
 * discard counters read as zero.
 */
export function assembleInterfaces(columns: readonly Varbind[][]): InterfaceReading[] {
  const rows = new Map<number, Partial<Record<PollColumn, Varbind['value']>>>();
  pollColumnNames.forEach((key, i) => {
    const spec = pollColumns[key];
    for (const vb of columns[i] ?? []) {
      expectType(vb, spec);
      const idx = rowIndex(vb, spec);
      if (idx === undefined) continue;
      let row = rows.get(idx);
      if (!row) rows.set(idx, (row = {}));
      row[key] = vb.value;
    }
  });
  const out: InterfaceReading[] = [];
  const big = (v: unknown): bigint => (typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : 0n);
  const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
  for (const [ifIndex, r] of [...rows].sort((a, b) => a[0] - b[0])) {
    if (typeof r.ifHCInOctets !== 'bigint' || typeof r.ifHCOutOctets !== 'bigint') continue;
    out.push({
      ifIndex,
      name: displayString(r.ifName),
      alias: displayString(r.ifAlias),
      operStatus: ifStatus(num(r.ifOperStatus)),
      adminStatus: ifStatus(num(r.ifAdminStatus)),
      speedMbps: num(r.ifHighSpeed) ?? 0,
      counters: {
        inOctets: r.ifHCInOctets,
        outOctets: r.ifHCOutOctets,
        inErrors: big(r.ifInErrors),
        outErrors: big(r.ifOutErrors),
        inDiscards: big(r.ifInDiscards),
        outDiscards: big(r.ifOutDiscards),
      },
    });
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

/** Error kinds that mean the device did not answer at all. */

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
): Promise<Varbind[][]> {
  const out: Varbind[][] = [];
  for (let i = 0; i < oids.length; i += perRequest) {
    out.push(...(await session.walkColumns(oids.slice(i, i + perRequest), maxRepetitions)));
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
        if (!up || up.type !== SnmpType.TimeTicks || typeof up.value !== 'number') {
          throw new SnmpError(
            up && up.type >= SnmpType.NoSuchObject ? 'agent-error' : 'wrong-type',
            `sysUpTime.0 has type ${typeName(up?.type ?? -1)}, expected TimeTicks`,
          );
        }
        const sysUpTime = up.value;
        const columns = await walkColumnGroups(
          session,
          pollColumnList.map((c) => c.oid),
          target.maxRepetitions,
          this.#perRequest,
        );
        const readings = assembleInterfaces(columns);
        const previous = this.#state.get(target.deviceId);
        const interfaces = buildSamples(readings, sysUpTime, polledAt, previous);
        this.#state.set(target.deviceId, {
          address: target.address,
          port: target.port,
          sysUpTime,
          at: polledAt,
          interfaces: new Map(readings.map((r) => [r.ifIndex, r.counters])),
        });
        const result: InterfacePollPayload = {
          kind: 'interface-poll',
          deviceId: target.deviceId,
          polledAt,
          durationMs: performance.now() - t0,
          reachable: true,
          sysUpTime,
          interfaces,
        };
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
          interfaces: [],
        };
    const outcome = payload.error ? (payload.reachable ? 'error' : 'unreachable') : 'ok';
    this.#metrics?.polls.inc({ outcome });
    this.#metrics?.pollDuration.observe({ outcome }, payload.durationMs / 1000);
    this.#noteOutcome(target, payload);
    return payload;
  }

  // Failures are logged when a device starts or stops failing, not on every poll.
  #noteOutcome(target: PollTarget, p: InterfacePollPayload): void {
    const fields = { deviceId: target.deviceId, address: target.address, port: target.port };
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
