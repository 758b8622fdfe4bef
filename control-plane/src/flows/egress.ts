import type { AlarmService, AlarmSink } from '../alerting/types.js';
import { requirePermission, systemIdentity, type Identity } from '../auth/identity.js';
import { InputError } from '../errors.js';
import type { OrgUnitService } from '../inventory/org-units.js';
import type { Logger } from '../logger.js';
import type { StateStore } from '../store/state/index.js';
import type { TelemetryStore } from '../store/telemetry/index.js';
import { FLOW_EGRESS_ALLOWANCE_EXCEEDED } from './alarms.js';
import { FLOWS_TABLES } from './telemetry-schema.js';

/**
 * Internet egress per org unit. Traffic with direction `egress` (to the internet, out of an egress
 * interface) belongs to the org unit of its source, `ingress` (from the internet) to the org unit of
 * its destination; a unit's figures include its whole subtree. Volume is bytes; peak and 95th
 * percentile are bits per second over 5-minute buckets (the usual burstable-billing method: every
 * 5-minute bucket of the period that has elapsed counts, a bucket without traffic as 0; the buckets
 * are sorted and the highest 5 % dropped, the 95th percentile is the highest one left — the
 * nearest-rank ⌈0.95·N⌉-th smallest). Days and months are local to the province (the policy's
 * `egress.utcOffsetMinutes`, default +08:00).
 */

const MINUTE = 60_000;
const BUCKET_MS = 5 * MINUTE;
const DAY = 24 * 60 * MINUTE;

export interface EgressAllowance {
  /** An org unit id or path. */
  orgUnit: string;
  /** Volume per calendar month, in and out together, in gigabytes (10⁹ bytes). */
  monthlyGigabytes?: number | undefined;
  /** The highest 5-minute rate, in or out, in Mbit/s. */
  peakMbps?: number | undefined;
}

export interface EgressSettings {
  allowances: readonly EgressAllowance[];
  /** The province's offset from UTC for days and months (default 480, UTC+08:00). */
  utcOffsetMinutes?: number | undefined;
}

export type EgressPeriod = 'day' | 'month';

/** The 95th percentile (nearest rank) of `values`; 0 for none. */
export function percentile95(values: readonly number[]): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(0.95 * sorted.length) - 1]!;
}

/** [start, end) in unix ms of the local day or month containing `at` (YYYY-MM-DD or YYYY-MM). */
export function periodBounds(
  period: EgressPeriod,
  at: string | undefined,
  offsetMinutes: number,
  now = Date.now(),
): { start: number; end: number; label: string } {
  const off = offsetMinutes * MINUTE;
  let y: number, mo: number, d: number;
  if (at === undefined) {
    const local = new Date(now + off);
    y = local.getUTCFullYear();
    mo = local.getUTCMonth() + 1;
    d = local.getUTCDate();
  } else {
    const m = /^(\d{4})-(\d{2})(?:-(\d{2}))?$/.exec(at);
    if (!m)
      throw new InputError(`at must be a date such as 2026-12-01 (or 2026-12 for a month), got "${at}"`);
    y = Number(m[1]);
    mo = Number(m[2]);
    d = m[3] === undefined ? 1 : Number(m[3]);
    if (m[3] === undefined && period === 'day')
      throw new InputError('at must name a day (YYYY-MM-DD) for period=day');
    const check = new Date(Date.UTC(y, mo - 1, d));
    if (mo < 1 || mo > 12 || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) {
      throw new InputError(`at is not a calendar date: "${at}"`);
    }
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  if (period === 'day') {
    const start = Date.UTC(y, mo - 1, d) - off;
    return { start, end: start + DAY, label: `${y}-${pad(mo)}-${pad(d)}` };
  }
  return { start: Date.UTC(y, mo - 1, 1) - off, end: Date.UTC(y, mo, 1) - off, label: `${y}-${pad(mo)}` };
}

/** Peak and 95th percentile of 5-minute buckets (bytes per bucket) over the elapsed part of [start, end). */
export function bucketStats(
  buckets: ReadonlyMap<number, number>,
  start: number,
  end: number,
  now: number,
): { peakBps: number; p95Bps: number; buckets: number } {
  const elapsed = Math.max(0, Math.min(end, now) - start);
  const n = Math.max(Math.floor(elapsed / BUCKET_MS), buckets.size);
  const values: number[] = [];
  for (const b of buckets.values()) values.push((b * 8) / (BUCKET_MS / 1000));
  while (values.length < n) values.push(0);
  return { peakBps: values.length ? Math.max(...values) : 0, p95Bps: percentile95(values), buckets: n };
}

export interface EgressDay {
  /** Local date, YYYY-MM-DD. */
  date: string;
  outBytes: number;
  inBytes: number;
  peakOutBps: number;
  peakInBps: number;
  p95OutBps: number;
  p95InBps: number;
}

export interface EgressReport {
  orgUnitId: string;
  orgUnitName: string;
  period: EgressPeriod;
  /** The day or month, local: YYYY-MM-DD or YYYY-MM. */
  label: string;
  from: string;
  to: string;
  utcOffsetMinutes: number;
  outBytes: number;
  inBytes: number;
  peakOutBps: number;
  peakInBps: number;
  p95OutBps: number;
  p95InBps: number;
  /** 5-minute buckets of the period that have elapsed (the percentile's N). */
  buckets: number;
  days: EgressDay[];
  /** For period=day: every 5-minute bucket with traffic, [unixMillis, outBps, inBps]. */
  fiveMinutes: [number, number, number][];
  topDestinations: {
    address: string;
    country: string;
    as: number;
    outBytes: number;
    inBytes: number;
  }[];
  applications: { app: string; outBytes: number; inBytes: number }[];
  internalSources: {
    address: string;
    orgUnitId: string;
    outBytes: number;
    inBytes: number;
  }[];
  allowance: AllowanceState | null;
}

export interface AllowanceState {
  monthlyGigabytes: number | null;
  peakMbps: number | null;
  /** The calendar month the allowance is judged on (the one containing the period). */
  month: string;
  monthBytes: number;
  monthPeakBps: number;
  volumeExceeded: boolean;
  peakExceeded: boolean;
  exceeded: boolean;
}

export interface EgressDeps {
  db: StateStore;
  telemetry: TelemetryStore;
  orgUnits: OrgUnitService;
  alarms: AlarmSink & Pick<AlarmService, 'list'>;
  settings: () => EgressSettings;
  log: Logger;
}

/**
 * `{p:String}` is the unit's path: egress sourced in its subtree, ingress destined to it. When
 * interfaces are marked as internet egress, only flows leaving (egress) or entering (ingress)
 * through one of them count (`{eif:Array(String)}`, `<device id>:<ifIndex>`), so that a flow seen by
 * several exporters on its way out is counted once, at the border; with none marked, every exporter's
 * egress flows count.
 */
function side(marked: boolean): string {
  const through = (col: string) =>
    marked
      ? ` AND has({eif:Array(String)}, concat(toString(exporter_device_id), ':', toString(${col})))`
      : '';
  return `((direction = 'egress' AND startsWith(src_org_path, {p:String})${through('out_if')})
      OR (direction = 'ingress' AND startsWith(dst_org_path, {p:String})${through('in_if')}))
    AND ts >= toDateTime({from:UInt32}) AND ts < toDateTime({to:UInt32})`;
}

type SideParams = {
  p: string;
  from: number;
  to: number;
  eif: string[];
};

export class EgressService {
  constructor(private readonly deps: EgressDeps) {}

  private offset(): number {
    return this.deps.settings().utcOffsetMinutes ?? 480;
  }

  async report(
    identity: Identity,
    q: {
      orgUnitId?: string | undefined;
      period: EgressPeriod;
      at?: string | undefined;
      limit?: number | undefined;
    },
    now = Date.now(),
  ): Promise<EgressReport> {
    requirePermission(identity, 'flows:read');
    const unitId = q.orgUnitId ?? identity.orgUnitId;
    const path = await this.deps.orgUnits.assertInScope(identity, unitId);
    const name = await this.deps.db.query<{ name: string }>('SELECT name FROM org_units WHERE id = $1', [
      unitId,
    ]);
    const off = this.offset();
    const { start, end, label } = periodBounds(q.period, q.at, off, now);
    const limit = q.limit ?? 10;
    const p = { p: path, from: start / 1000, to: end / 1000, eif: await this.egressInterfaces() };
    const SIDE = side(p.eif.length > 0);
    const buckets = await this.buckets(p);
    const outB = new Map<number, number>();
    const inB = new Map<number, number>();
    let outBytes = 0;
    let inBytes = 0;
    for (const b of buckets) {
      if (b.o) outB.set(b.t, b.o);
      if (b.i) inB.set(b.t, b.i);
      outBytes += b.o;
      inBytes += b.i;
    }
    const o = bucketStats(outB, start, end, now);
    const i = bucketStats(inB, start, end, now);
    const days: EgressDay[] = [];
    for (let d = start; d < end; d += DAY) {
      const within = (m: Map<number, number>) => new Map([...m].filter(([t]) => t >= d && t < d + DAY));
      const dayOut = within(outB);
      const dayIn = within(inB);
      const so = bucketStats(dayOut, d, d + DAY, now);
      const si = bucketStats(dayIn, d, d + DAY, now);
      days.push({
        date: new Date(d + off * MINUTE).toISOString().slice(0, 10),
        outBytes: sum(dayOut.values()),
        inBytes: sum(dayIn.values()),
        peakOutBps: so.peakBps,
        peakInBps: si.peakBps,
        p95OutBps: so.p95Bps,
        p95InBps: si.p95Bps,
      });
    }
    const fiveMinutes: [number, number, number][] =
      q.period === 'day'
        ? buckets.map((b) => [b.t, (b.o * 8) / 300, (b.i * 8) / 300] as [number, number, number])
        : [];
    const [topDestinations, applications, internalSources] = await Promise.all([
      this.deps.telemetry.query<{ address: string; country: string; as: number; o: number; i: number }>(
        `SELECT if(direction = 'egress', dst_addr, src_addr) AS address,
           toString(any(if(direction = 'egress', dst_country, src_country))) AS country,
           toUInt32(any(if(direction = 'egress', dst_as, src_as))) AS as,
           toFloat64(sumIf(bytes, direction = 'egress')) AS o, toFloat64(sumIf(bytes, direction = 'ingress')) AS i
         FROM ${FLOWS_TABLES.minute} WHERE ${SIDE}
         GROUP BY address ORDER BY o + i DESC, address LIMIT {limit:UInt32}`,
        { ...p, limit },
      ),
      this.deps.telemetry.query<{ app: string; o: number; i: number }>(
        `SELECT toString(app) AS app, toFloat64(sumIf(bytes, direction = 'egress')) AS o,
           toFloat64(sumIf(bytes, direction = 'ingress')) AS i
         FROM ${FLOWS_TABLES.minute} WHERE ${SIDE}
         GROUP BY app ORDER BY o + i DESC, app LIMIT {limit:UInt32}`,
        { ...p, limit },
      ),
      this.deps.telemetry.query<{ address: string; unit: string; o: number; i: number }>(
        `SELECT if(direction = 'egress', src_addr, dst_addr) AS address,
           toString(any(if(direction = 'egress', src_org_unit, dst_org_unit))) AS unit,
           toFloat64(sumIf(bytes, direction = 'egress')) AS o, toFloat64(sumIf(bytes, direction = 'ingress')) AS i
         FROM ${FLOWS_TABLES.minute} WHERE ${SIDE}
         GROUP BY address ORDER BY o + i DESC, address LIMIT {limit:UInt32}`,
        { ...p, limit },
      ),
    ]);
    const allowance = await this.allowanceOf(
      unitId,
      path,
      q.period === 'month' ? { outB, inB, start, end } : undefined,
      start,
      now,
    );
    return {
      orgUnitId: unitId,
      orgUnitName: name.rows[0]?.name ?? unitId,
      period: q.period,
      label,
      from: new Date(start).toISOString(),
      to: new Date(end).toISOString(),
      utcOffsetMinutes: off,
      outBytes,
      inBytes,
      peakOutBps: o.peakBps,
      peakInBps: i.peakBps,
      p95OutBps: o.p95Bps,
      p95InBps: i.p95Bps,
      buckets: Math.max(o.buckets, i.buckets),
      days,
      fiveMinutes,
      topDestinations: topDestinations.map((r) => ({
        address: r.address,
        country: r.country,
        as: Number(r.as),
        outBytes: Number(r.o),
        inBytes: Number(r.i),
      })),
      applications: applications.map((r) => ({ app: r.app, outBytes: Number(r.o), inBytes: Number(r.i) })),
      internalSources: internalSources.map((r) => ({
        address: r.address,
        orgUnitId: r.unit,
        outBytes: Number(r.o),
        inBytes: Number(r.i),
      })),
      allowance,
    };
  }

  /** Interfaces marked as internet egress, as `<device id>:<ifIndex>`. */
  private async egressInterfaces(): Promise<string[]> {
    const r = await this.deps.db.query<{ k: string }>(
      `SELECT device_id || ':' || if_index::text AS k FROM interfaces WHERE internet_egress ORDER BY 1`,
    );
    return r.rows.map((x) => x.k);
  }

  private async buckets(p: SideParams): Promise<{ t: number; o: number; i: number }[]> {
    const rows = await this.deps.telemetry.query<{ t: number; o: number; i: number }>(
      `SELECT toUInt32(toUnixTimestamp(toStartOfInterval(ts, INTERVAL 5 MINUTE))) AS t,
         toFloat64(sumIf(bytes, direction = 'egress')) AS o, toFloat64(sumIf(bytes, direction = 'ingress')) AS i
       FROM ${FLOWS_TABLES.minute} WHERE ${side(p.eif.length > 0)}
       GROUP BY t ORDER BY t`,
      p,
    );
    return rows.map((r) => ({ t: Number(r.t) * 1000, o: Number(r.o), i: Number(r.i) }));
  }

  /** The allowance configured for exactly this unit (by id or path), resolved to unit ids. */
  private async allowances(): Promise<Map<string, EgressAllowance>> {
    const out = new Map<string, EgressAllowance>();
    for (const a of this.deps.settings().allowances) {
      // A path may be written without its closing slash.
      const key = a.orgUnit.startsWith('/') && !a.orgUnit.endsWith('/') ? `${a.orgUnit}/` : a.orgUnit;
      const r = await this.deps.db.query<{ id: string }>(
        'SELECT id FROM org_units WHERE id = $1 OR path = $1',
        [key],
      );
      const id = r.rows[0]?.id;
      if (id) out.set(id, a);
      else
        this.deps.log.warn(
          { orgUnit: a.orgUnit },
          'flows policy: egress allowance names an unknown org unit',
        );
    }
    return out;
  }

  private async allowanceOf(
    unitId: string,
    path: string,
    month: { outB: Map<number, number>; inB: Map<number, number>; start: number; end: number } | undefined,
    periodStart: number,
    now: number,
  ): Promise<AllowanceState | null> {
    const a = (await this.allowances()).get(unitId);
    if (!a) return null;
    return this.judge(a, path, periodStart, now, month);
  }

  /** The month containing `at` (ms) judged against the allowance. */
  private async judge(
    a: EgressAllowance,
    path: string,
    at: number,
    now: number,
    known?: { outB: Map<number, number>; inB: Map<number, number>; start: number; end: number },
  ): Promise<AllowanceState> {
    const off = this.offset();
    const local = new Date(at + off * MINUTE).toISOString().slice(0, 7);
    const { start, end, label } = periodBounds('month', local, off, now);
    let bytes = 0;
    let peak = 0;
    if (known) {
      for (const v of known.outB.values()) bytes += v;
      for (const v of known.inB.values()) bytes += v;
      for (const v of [...known.outB.values(), ...known.inB.values()]) peak = Math.max(peak, v);
    } else {
      const b = await this.buckets({
        p: path,
        from: start / 1000,
        to: end / 1000,
        eif: await this.egressInterfaces(),
      });
      for (const x of b) {
        bytes += x.o + x.i;
        peak = Math.max(peak, x.o, x.i);
      }
    }
    const peakBps = (peak * 8) / 300;
    const volumeExceeded = a.monthlyGigabytes !== undefined && bytes > a.monthlyGigabytes * 1e9;
    const peakExceeded = a.peakMbps !== undefined && peakBps > a.peakMbps * 1e6;
    return {
      monthlyGigabytes: a.monthlyGigabytes ?? null,
      peakMbps: a.peakMbps ?? null,
      month: label,
      monthBytes: bytes,
      monthPeakBps: peakBps,
      volumeExceeded,
      peakExceeded,
      exceeded: volumeExceeded || peakExceeded,
    };
  }

  /**
   * The periodic check: for every allowance, the current month so far; fires
   * `flow-egress-allowance-exceeded` for a unit over its volume or peak, resolves it for a unit back
   * under (a new month) or whose allowance was raised or removed.
   */
  async check(now = Date.now()): Promise<{ exceeded: number; resolved: number }> {
    const at = new Date(now);
    const over = new Set<string>();
    for (const [unitId, a] of await this.allowances()) {
      const path = await this.deps.orgUnits.pathOf(unitId);
      if (!path) continue;
      const s = await this.judge(a, path, now, now);
      if (!s.exceeded) continue;
      over.add(unitId);
      const what = [
        s.volumeExceeded ? `${gb(s.monthBytes)} GB of ${a.monthlyGigabytes} GB` : '',
        s.peakExceeded ? `peak ${mbps(s.monthPeakBps)} Mbit/s over ${a.peakMbps} Mbit/s` : '',
      ]
        .filter(Boolean)
        .join(', ');
      await this.deps.alarms.fire(
        {
          kind: FLOW_EGRESS_ALLOWANCE_EXCEEDED,
          severity: 'major',
          orgUnitId: unitId,
          targetType: 'org-unit',
          targetId: unitId,
          summary: `Internet egress of ${unitId} in ${s.month} exceeds its allowance: ${what}`,
          labels: {
            month: s.month,
            monthBytes: String(s.monthBytes),
            monthPeakBps: String(Math.round(s.monthPeakBps)),
            volumeExceeded: String(s.volumeExceeded),
            peakExceeded: String(s.peakExceeded),
          },
        },
        at,
      );
    }
    let resolved = 0;
    let before: string | undefined;
    for (let page = 0; page < 100; page++) {
      const firing = await this.deps.alarms.list(systemIdentity(), {
        kind: FLOW_EGRESS_ALLOWANCE_EXCEEDED,
        limit: 1000,
        ...(before ? { before } : {}),
      });
      for (const x of firing.items) {
        if (over.has(x.targetId)) continue;
        await this.deps.alarms.resolve(FLOW_EGRESS_ALLOWANCE_EXCEEDED, 'org-unit', x.targetId, at);
        resolved++;
      }
      if (!firing.nextBefore) break;
      before = firing.nextBefore;
    }
    return { exceeded: over.size, resolved };
  }
}

const sum = (xs: Iterable<number>) => {
  let s = 0;
  for (const x of xs) s += x;
  return s;
};
const gb = (b: number) => Math.round(b / 1e7) / 100;
const mbps = (b: number) => Math.round(b / 1e4) / 100;
