import type { AlarmService, AlarmSink } from '../alerting/types.js';
import { systemIdentity, requirePermission, type Identity } from '../auth/identity.js';
import { InputError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { TelemetryStore } from '../store/telemetry/index.js';
import { NETWORK_TABLES } from '../network/telemetry-schema.js';
import { FLOW_RECONCILIATION_DIVERGING } from './alarms.js';
import { FLOWS_TABLES } from './telemetry-schema.js';

/**
 * Flow vs SNMP reconciliation. For every interface of an exporter, the bytes its flows say crossed
 * the interface (in_if = X: inbound on X; out_if = X: outbound on X; already sampling-corrected) are
 * compared with the bytes the interface's SNMP octet counters say, over the same minutes: the
 * minutes in which the exporter reported (a `flow_exporter_stats` row) and which the interface's
 * SNMP samples cover completely. A divergence beyond the policy's threshold (on at least its minimum
 * volume) flags the interface, with a hint of the likely cause.
 */

const MINUTE = 60_000;
/** A gap between two SNMP samples longer than this is not attributed (the device was not polled). */
const MAX_SAMPLE_GAP_MS = 15 * MINUTE;
/** The longest range the reconciliation reads (raw SNMP samples of every interface). */
export const MAX_RECONCILIATION_MS = 24 * 60 * MINUTE;

export interface ReconciliationSettings {
  /** Divergence (percent of the SNMP bytes) beyond which an interface is diverging. */
  thresholdPercent: number;
  /** Interfaces where neither side reaches this many bytes over the window are not judged. */
  minBytes: number;
  /** The window the periodic check (and the default of the API) looks at. */
  windowMinutes: number;
}

export const DEFAULT_RECONCILIATION: ReconciliationSettings = {
  thresholdPercent: 20,
  minBytes: 10_000_000,
  windowMinutes: 15,
};

export type ReconciliationStatus = 'ok' | 'diverging' | 'no-snmp' | 'no-flows';
export type HintCode = 'sampling-rate' | 'not-exported' | 'lost-datagrams' | 'unknown';

export interface ReconciliationHint {
  code: HintCode;
  /** One English sentence; the console translates by `code` with the values below. */
  message: string;
  /** For `sampling-rate`: the rate that would make flows and SNMP agree. */
  likelySamplingRate?: number;
  /** For `lost-datagrams`: the share of the exporter's datagrams lost (from its sequence numbers). */
  lossPercent?: number;
}

export interface InterfaceReconciliation {
  exporter: string;
  deviceId: string;
  ifIndex: number;
  ifName: string;
  direction: 'in' | 'out';
  /** Minutes compared (exporter reporting and SNMP covering the interface). */
  minutes: number;
  flowBytes: number;
  snmpBytes: number;
  /** flowBytes / snmpBytes; null when SNMP saw nothing. */
  ratio: number | null;
  /** (flowBytes − snmpBytes) / snmpBytes × 100; null when SNMP saw nothing. */
  divergencePercent: number | null;
  /** The sampling rate of most of the interface's flow bytes (0 when it has none). */
  samplingRate: number;
  status: ReconciliationStatus;
  /** Neither side reached the policy's minimum volume: shown, not judged. */
  belowMinimum: boolean;
  hint: ReconciliationHint | null;
}

export interface ExporterReconciliation {
  exporter: string;
  deviceId: string;
  orgUnitId: string;
  status: ReconciliationStatus;
  /** One sentence saying why the status is what it is. */
  reason: string;
  diverging: number;
  /** The diverging interface with the largest divergence (or null). */
  worst: InterfaceReconciliation | null;
  interfaces: InterfaceReconciliation[];
}

// ---- pure parts --------------------------------------------------------------------------------

/** One SNMP sample of an interface: its rates cover the time since the previous sample. */
export interface SnmpSample {
  t: number;
  inBps: number | null;
  outBps: number | null;
}

/**
 * Spreads an interface's SNMP rates over minutes: a sample at `t` with the previous at `p` says the
 * interface carried `bps × (t − p)` bits during (p, t]. Returns, per minute start (ms) fully covered
 * by such intervals in [from, to), the bytes in and out. A gap longer than 15 minutes or a sample
 * without rates (counter reset or wrap) covers nothing.
 */
export function snmpBytesPerMinute(
  samples: readonly SnmpSample[],
  from: number,
  to: number,
): Map<number, { in: number; out: number }> {
  const cover = new Map<number, { in: number; out: number; ms: number }>();
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  for (let i = 1; i < sorted.length; i++) {
    const p = sorted[i - 1]!.t;
    const s = sorted[i]!;
    if (s.t <= p || s.t - p > MAX_SAMPLE_GAP_MS) continue;
    if (s.inBps === null || s.outBps === null) continue;
    if (!Number.isFinite(s.inBps) || !Number.isFinite(s.outBps)) continue;
    const lo = Math.max(p, from);
    const hi = Math.min(s.t, to);
    for (let m = Math.floor(lo / MINUTE) * MINUTE; m < hi; m += MINUTE) {
      const a = Math.max(lo, m);
      const b = Math.min(hi, m + MINUTE);
      if (b <= a) continue;
      const sec = (b - a) / 1000;
      const c = cover.get(m) ?? { in: 0, out: 0, ms: 0 };
      c.in += (s.inBps * sec) / 8;
      c.out += (s.outBps * sec) / 8;
      c.ms += b - a;
      cover.set(m, c);
    }
  }
  const out = new Map<number, { in: number; out: number }>();
  for (const [m, c] of cover) if (c.ms >= MINUTE - 1) out.set(m, { in: c.in, out: c.out });
  return out;
}

/** Rates exporters are commonly set to; a likely rate within 10 % of one of these is rounded to it. */
const NICE_RATES = (() => {
  const s = new Set<number>();
  for (let e = 0; e <= 6; e++) for (const m of [1, 2, 4, 5, 8]) s.add(m * 10 ** e);
  for (let e = 1; e <= 20; e++) s.add(2 ** e);
  return [...s].sort((a, b) => a - b);
})();

function niceRate(x: number): number {
  let best = Math.max(1, Math.round(x));
  let err = Infinity;
  for (const r of NICE_RATES) {
    const e = Math.abs(r / x - 1);
    if (e < err) {
      err = e;
      if (e <= 0.1) best = r;
    }
  }
  return best;
}

/**
 * Why flows and SNMP disagree, from the factor between them and the exporter's own loss figures:
 * - the lost share of its datagrams (sequence gaps) explains the shortfall → `lost-datagrams`;
 * - flows ≈ 0 (under 1 % of SNMP) → `not-exported` (flow export not enabled on that interface);
 * - SNMP / flows near an integer n ≥ 2 (or flows / SNMP is) → `sampling-rate`, likely rate = the
 *   rate used × that integer (÷ when flows are too high, rounded to a common rate when within 10 %);
 * - some datagrams lost, not all the shortfall → `lost-datagrams`; otherwise `unknown`.
 */
export function hintFor(
  flowBytes: number,
  snmpBytes: number,
  samplingRate: number,
  loss: { packets: number; gaps: number },
): ReconciliationHint {
  const lossPercent = loss.gaps > 0 ? Math.round((loss.gaps / (loss.packets + loss.gaps)) * 10_000) / 100 : 0;
  if (snmpBytes <= 0) {
    return {
      code: 'unknown',
      message:
        'flows report traffic on an interface whose SNMP counters show none: check the exporter’s interface numbering (ifIndex) and the sampling rate',
    };
  }
  const factor = snmpBytes / Math.max(flowBytes, 1e-9);
  if (loss.gaps > 0 && loss.packets > 0 && factor > 1) {
    const expected = (loss.packets + loss.gaps) / loss.packets;
    if (Math.abs(factor / expected - 1) <= 0.1) {
      return {
        code: 'lost-datagrams',
        message: `the exporter’s sequence numbers show ${lossPercent}% of its datagrams lost on the way, which accounts for the missing flow bytes`,
        lossPercent,
      };
    }
  }
  if (flowBytes < snmpBytes * 0.01) {
    return {
      code: 'not-exported',
      message:
        'SNMP counts traffic on this interface but almost no flows name it: flow export is probably not enabled on this interface (or in this direction)',
    };
  }
  const rate = samplingRate > 0 ? samplingRate : 1;
  const near = (f: number) => f >= 1.5 && Math.abs(f / Math.round(f) - 1) <= 0.1;
  if (near(factor) || near(1 / factor)) {
    // The integer factor between them, applied to the rate used (a divisor when flows are too high).
    const likely = factor >= 1 ? rate * Math.round(factor) : niceRate(rate / Math.round(1 / factor));
    return {
      code: 'sampling-rate',
      message: `flows are ${factor >= 1 ? `${round2(factor)}× below` : `${round2(1 / factor)}× above`} SNMP: the sampling rate ${rate} looks wrong, the exporter probably samples 1 in ${likely}`,
      likelySamplingRate: likely,
    };
  }
  if (loss.gaps > 0 && factor > 1) {
    return {
      code: 'lost-datagrams',
      message: `the exporter’s sequence numbers show ${lossPercent}% of its datagrams lost, part of the missing flow bytes`,
      lossPercent,
    };
  }
  return {
    code: 'unknown',
    message: `flows and SNMP differ by ${round2((factor >= 1 ? 1 - 1 / factor : 1 / factor - 1) * 100)}% without a sampling factor or lost datagrams to explain it`,
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Judges one interface direction (pure). */
export function judge(
  flowBytes: number,
  snmpBytes: number,
  samplingRate: number,
  loss: { packets: number; gaps: number },
  s: ReconciliationSettings,
): Pick<InterfaceReconciliation, 'ratio' | 'divergencePercent' | 'status' | 'belowMinimum' | 'hint'> {
  const ratio = snmpBytes > 0 ? flowBytes / snmpBytes : null;
  const divergencePercent = ratio === null ? null : round2((ratio - 1) * 100);
  const belowMinimum = Math.max(flowBytes, snmpBytes) < s.minBytes;
  const off = ratio === null ? flowBytes > 0 : Math.abs(ratio - 1) * 100 > s.thresholdPercent;
  if (belowMinimum || !off) return { ratio, divergencePercent, status: 'ok', belowMinimum, hint: null };
  return {
    ratio,
    divergencePercent,
    status: 'diverging',
    belowMinimum,
    hint: hintFor(flowBytes, snmpBytes, samplingRate, loss),
  };
}

// ---- the service ---------------------------------------------------------------------------------

interface ExporterRow {
  exporter: string;
  device_id: string;
  org_unit: string;
  packets: number;
  gaps: number;
  minutes: number[];
}

export interface ReconcilerDeps {
  telemetry: TelemetryStore;
  alarms: AlarmSink & Pick<AlarmService, 'list'>;
  settings: () => ReconciliationSettings;
  log: Logger;
}

export class Reconciler {
  constructor(private readonly deps: ReconcilerDeps) {}

  /** The window of the API's default and of the periodic check: the last complete minutes. */
  defaultWindow(now = Date.now()): { from: number; to: number } {
    // Flows of a minute arrive after it ends (the agent flushes it) and the SNMP sample covering it
    // after the next poll: the window ends two minutes before now.
    const to = Math.floor(now / MINUTE) * MINUTE - 2 * MINUTE;
    return { from: to - this.deps.settings().windowMinutes * MINUTE, to };
  }

  /** Checks and aligns a range to minutes; at most 24 h. */
  range(from: number | undefined, to: number | undefined, now = Date.now()): { from: number; to: number } {
    const d = this.defaultWindow(now);
    const t = to === undefined ? d.to : Math.floor(to / MINUTE) * MINUTE;
    const f = from === undefined ? t - (d.to - d.from) : Math.floor(from / MINUTE) * MINUTE;
    if (f >= t) throw new InputError('from must be before to (at least one minute apart)');
    if (t - f > MAX_RECONCILIATION_MS) {
      throw new InputError('the reconciliation covers at most 24 hours (from → to)');
    }
    return { from: f, to: t };
  }

  /** Per exporter in the caller's scope: every interface direction judged, and the exporter's status. */
  async reconcile(
    identity: Identity,
    opts: { from?: number | undefined; to?: number | undefined; exporter?: string | undefined },
    now = Date.now(),
  ): Promise<{ from: number; to: number; items: ExporterReconciliation[] }> {
    requirePermission(identity, 'flows:read');
    const { from, to } = this.range(opts.from, opts.to, now);
    const exporters = await this.exporters(identity.orgUnitPath, from, to, opts.exporter);
    const items: ExporterReconciliation[] = [];
    for (const e of exporters) items.push(await this.exporter(e, from, to));
    return { from, to, items };
  }

  private async exporters(
    scopePath: string,
    from: number,
    to: number,
    exporter?: string,
  ): Promise<ExporterRow[]> {
    const rows = await this.deps.telemetry.query<{
      exporter: string;
      device_id: string;
      org_unit: string;
      pk: number;
      gaps: number;
      minutes: number[];
    }>(
      `SELECT exporter, argMax(exporter_device_id, ts) AS device_id, argMax(exporter_org_unit, ts) AS org_unit,
         toFloat64(sum(packets)) AS pk, toFloat64(sum(sequence_gaps)) AS gaps,
         groupUniqArray(toUInt32(toUnixTimestamp(ts))) AS minutes
       FROM ${FLOWS_TABLES.exporterStats}
       WHERE ts >= toDateTime({from:UInt32}) AND ts < toDateTime({to:UInt32})
         AND startsWith(exporter_org_path, {scope:String})
         ${exporter === undefined ? '' : 'AND exporter = {exporter:String}'}
       GROUP BY exporter ORDER BY exporter LIMIT 10000`,
      { from: from / 1000, to: to / 1000, scope: scopePath, ...(exporter === undefined ? {} : { exporter }) },
    );
    return rows.map((r) => ({
      exporter: r.exporter,
      device_id: r.device_id,
      org_unit: r.org_unit,
      packets: Number(r.pk),
      gaps: Number(r.gaps),
      minutes: r.minutes.map((m) => Number(m) * 1000),
    }));
  }

  private async exporter(e: ExporterRow, from: number, to: number): Promise<ExporterReconciliation> {
    const s = this.deps.settings();
    const alive = new Set(e.minutes);
    // Flow bytes per (interface, direction, minute), with the sampling rate of most of the bytes.
    const flowRows = await this.deps.telemetry.query<{
      if_index: number;
      dir: 'in' | 'out';
      m: number;
      b: number;
      rate: number;
      if_name: string;
    }>(
      `SELECT iface.1 AS if_index, iface.2 AS dir, toUInt32(toUnixTimestamp(ts)) AS m,
         toFloat64(sum(bytes)) AS b, toUInt32(argMax(sampling_rate, bytes)) AS rate,
         toString(any(iface.3)) AS if_name
       FROM ${FLOWS_TABLES.minute}
       ARRAY JOIN [(in_if, 'in', toString(in_if_name)), (out_if, 'out', toString(out_if_name))] AS iface
       WHERE exporter = {exporter:String} AND ts >= toDateTime({from:UInt32}) AND ts < toDateTime({to:UInt32})
         AND iface.1 != 0
       GROUP BY if_index, dir, m`,
      { exporter: e.exporter, from: from / 1000, to: to / 1000 },
    );
    const snmp = e.device_id ? await this.snmp(e.device_id, from, to) : new Map<number, IfSnmp>();
    const key = (ifIndex: number, dir: string) => `${ifIndex}/${dir}`;
    const flows = new Map<
      string,
      {
        ifIndex: number;
        dir: 'in' | 'out';
        name: string;
        perMinute: Map<number, number>;
        rates: Map<number, number>;
      }
    >();
    let flowTotal = 0;
    for (const r of flowRows) {
      const ifIndex = Number(r.if_index);
      const k = key(ifIndex, r.dir);
      const f = flows.get(k) ?? {
        ifIndex,
        dir: r.dir,
        name: r.if_name,
        perMinute: new Map<number, number>(),
        rates: new Map<number, number>(),
      };
      const m = Number(r.m) * 1000;
      const b = Number(r.b);
      f.perMinute.set(m, (f.perMinute.get(m) ?? 0) + b);
      f.rates.set(Number(r.rate), (f.rates.get(Number(r.rate)) ?? 0) + b);
      if (!f.name && r.if_name) f.name = r.if_name;
      flows.set(k, f);
      flowTotal += b;
    }
    const keys = new Set<string>(flows.keys());
    for (const [ifIndex, sn] of snmp) {
      if (sn.minutes.size) {
        keys.add(key(ifIndex, 'in'));
        keys.add(key(ifIndex, 'out'));
      }
    }
    const loss = { packets: e.packets, gaps: e.gaps };
    const interfaces: InterfaceReconciliation[] = [];
    for (const k of keys) {
      const [idx, dir] = k.split('/') as [string, 'in' | 'out'];
      const ifIndex = Number(idx);
      const f = flows.get(k);
      const sn = snmp.get(ifIndex);
      let rate = 0;
      let rateBytes = -1;
      for (const [r, b] of f?.rates ?? []) {
        if (b > rateBytes) {
          rate = r;
          rateBytes = b;
        }
      }
      const base = {
        exporter: e.exporter,
        deviceId: e.device_id,
        ifIndex,
        ifName: sn?.name || f?.name || '',
        direction: dir,
        samplingRate: rate,
      };
      let minutes = 0;
      let flowBytes = 0;
      let snmpBytes = 0;
      for (const [m, c] of sn?.minutes ?? []) {
        if (!alive.has(m)) continue;
        minutes++;
        snmpBytes += dir === 'in' ? c.in : c.out;
        flowBytes += f?.perMinute.get(m) ?? 0;
      }
      snmpBytes = Math.round(snmpBytes);
      flowBytes = Math.round(flowBytes);
      if (!minutes) {
        // Nothing to compare: flows on an interface SNMP does not cover, or SNMP with no flows at all.
        const fb = Math.round([...(f?.perMinute.values() ?? [])].reduce((a, b) => a + b, 0));
        if (!fb && !sn?.minutes.size) continue;
        interfaces.push({
          ...base,
          minutes: 0,
          flowBytes: fb,
          snmpBytes: 0,
          ratio: null,
          divergencePercent: null,
          status: fb ? 'no-snmp' : 'no-flows',
          belowMinimum: fb < s.minBytes,
          hint: null,
        });
        continue;
      }
      if (flowTotal === 0) {
        interfaces.push({
          ...base,
          minutes,
          flowBytes,
          snmpBytes,
          ratio: null,
          divergencePercent: null,
          status: 'no-flows',
          belowMinimum: snmpBytes < s.minBytes,
          hint: null,
        });
        continue;
      }
      interfaces.push({
        ...base,
        minutes,
        flowBytes,
        snmpBytes,
        ...judge(flowBytes, snmpBytes, rate, loss, s),
      });
    }
    interfaces.sort((a, b) => a.ifIndex - b.ifIndex || a.direction.localeCompare(b.direction));
    const diverging = interfaces.filter((i) => i.status === 'diverging');
    const worst =
      diverging.sort(
        (a, b) => Math.abs(b.divergencePercent ?? Infinity) - Math.abs(a.divergencePercent ?? Infinity),
      )[0] ?? null;
    let status: ReconciliationStatus;
    let reason: string;
    if (!e.device_id) {
      status = 'no-snmp';
      reason = 'no inventory device has the exporter’s address as its management address';
    } else if (![...snmp.values()].some((x) => x.minutes.size)) {
      status = 'no-snmp';
      reason = `device ${e.device_id} has no SNMP interface samples in the window (not polled?)`;
    } else if (flowTotal === 0) {
      status = 'no-flows';
      reason = 'the exporter reported no flow bytes in the window';
    } else if (worst) {
      status = 'diverging';
      reason = `${diverging.length} interface direction(s) diverge; worst ${worst.ifName || worst.ifIndex} ${worst.direction}: ${worst.hint?.message ?? ''}`;
    } else {
      status = 'ok';
      reason = `flows agree with SNMP within ${s.thresholdPercent}%`;
    }
    return {
      exporter: e.exporter,
      deviceId: e.device_id,
      orgUnitId: e.org_unit,
      status,
      reason,
      diverging: diverging.length,
      worst,
      interfaces,
    };
  }

  private async snmp(deviceId: string, from: number, to: number): Promise<Map<number, IfSnmp>> {
    const rows = await this.deps.telemetry.query<{
      if_index: number;
      t: number;
      in_bps: number | null;
      out_bps: number | null;
      if_name: string;
    }>(
      `SELECT if_index, toUnixTimestamp64Milli(ts) AS t, in_bps, out_bps, toString(if_name) AS if_name
       FROM ${NETWORK_TABLES.interfaces}
       WHERE device_id = {device:String}
         AND ts >= fromUnixTimestamp64Milli(toInt64({from:Int64}))
         AND ts <= fromUnixTimestamp64Milli(toInt64({to:Int64}))
       ORDER BY if_index, ts`,
      { device: deviceId, from: from - MAX_SAMPLE_GAP_MS, to: to + MAX_SAMPLE_GAP_MS },
    );
    const per = new Map<number, { name: string; samples: SnmpSample[] }>();
    for (const r of rows) {
      const ifIndex = Number(r.if_index);
      const x = per.get(ifIndex) ?? { name: '', samples: [] };
      if (r.if_name) x.name = r.if_name;
      x.samples.push({
        t: Number(r.t),
        inBps: r.in_bps === null ? null : Number(r.in_bps),
        outBps: r.out_bps === null ? null : Number(r.out_bps),
      });
      per.set(ifIndex, x);
    }
    const out = new Map<number, IfSnmp>();
    for (const [ifIndex, x] of per) {
      out.set(ifIndex, { name: x.name, minutes: snmpBytesPerMinute(x.samples, from, to) });
    }
    return out;
  }

  /**
   * The periodic check: fires `flow-reconciliation-diverging` for every diverging exporter of the
   * last window, and resolves it for the others.
   */
  async check(now = Date.now()): Promise<{ diverging: number; resolved: number }> {
    const { items } = await this.reconcile(systemIdentity(), {}, now);
    const at = new Date(now);
    const firingNow = new Set<string>();
    for (const e of items) {
      if (e.status !== 'diverging' || !e.worst) continue;
      firingNow.add(e.exporter);
      const w = e.worst;
      const rateHint = e.interfaces.find((i) => i.hint?.code === 'sampling-rate')?.hint;
      await this.deps.alarms.fire(
        {
          kind: FLOW_RECONCILIATION_DIVERGING,
          severity: 'minor',
          orgUnitId: e.orgUnitId,
          targetType: 'flow-exporter',
          targetId: e.exporter,
          summary: `Flows of exporter ${e.exporter} diverge from SNMP on ${e.diverging} interface direction(s); worst ${w.ifName || w.ifIndex} ${w.direction} ${w.divergencePercent ?? '∞'}%: ${w.hint?.message ?? ''}`,
          labels: {
            exporter: e.exporter,
            deviceId: e.deviceId,
            ifIndex: String(w.ifIndex),
            direction: w.direction,
            hint: w.hint?.code ?? 'unknown',
            hints: [...new Set(e.interfaces.flatMap((i) => (i.hint ? [i.hint.code] : [])))].sort().join(','),
            ...(rateHint?.likelySamplingRate
              ? { likelySamplingRate: String(rateHint.likelySamplingRate) }
              : {}),
          },
        },
        at,
      );
    }
    let resolved = 0;
    let before: string | undefined;
    for (let page = 0; page < 100; page++) {
      const firing = await this.deps.alarms.list(systemIdentity(), {
        kind: FLOW_RECONCILIATION_DIVERGING,
        limit: 1000,
        ...(before ? { before } : {}),
      });
      for (const a of firing.items) {
        if (firingNow.has(a.targetId)) continue;
        await this.deps.alarms.resolve(FLOW_RECONCILIATION_DIVERGING, 'flow-exporter', a.targetId, at);
        resolved++;
      }
      if (!firing.nextBefore) break;
      before = firing.nextBefore;
    }
    if (firingNow.size) this.deps.log.info({ diverging: firingNow.size }, 'flow exporters diverge from SNMP');
    return { diverging: firingNow.size, resolved };
  }
}

interface IfSnmp {
  name: string;
  minutes: Map<number, { in: number; out: number }>;
}
