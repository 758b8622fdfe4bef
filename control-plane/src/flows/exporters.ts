import type { AlarmService, AlarmSink } from '../alerting/types.js';
import { requirePermission, systemIdentity, type Identity } from '../auth/identity.js';
import { InputError } from '../errors.js';
import type { StateStore } from '../store/state/index.js';
import type { TelemetryStore } from '../store/telemetry/index.js';
import { FLOW_MALFORMED_REASONS, type FlowMalformedReason } from '@tianshu/protocol';
import type { Reconciler, ReconciliationStatus, InterfaceReconciliation } from './reconcile.js';
import { MAX_RECONCILIATION_MS } from './reconcile.js';
import { FLOWS_TABLES } from './telemetry-schema.js';
import { FLOW_EXPORTER_MALFORMED } from './alarms.js';

/**
 * Exporter health: what each exporter sent over a range, from `flow_exporter_stats` (one row per
 * received payload: the exporter's counters of that minute) and `flows_1m` (the bytes and flows it
 * accounted for), with its reconciliation against SNMP. Scoped by the exporter's org unit (that of
 * the inventory device whose management address it is, else the agent's).
 */

const MINUTE = 60_000;
/** The longest range the exporters view reads. */
export const MAX_EXPORTERS_MS = 31 * 24 * 60 * MINUTE;

export interface ExporterHealth {
  address: string;
  deviceId: string | null;
  deviceName: string | null;
  orgUnitId: string;
  agentId: string;
  /** Minutes of the range in which the exporter reported; the rates are over these minutes. */
  minutes: number;
  packetsPerSecond: number;
  recordsPerSecond: number;
  packets: number;
  records: number;
  /** Sampling-corrected, from the stored aggregates. */
  flows: number;
  bytes: number;
  dropped: number;
  malformed: Partial<Record<FlowMalformedReason, number>>;
  malformedTotal: number;
  missingTemplates: number;
  sequenceGaps: number;
  versions: string[];
  samplingRates: number[];
  /** Records whose sampling rate came from the exporter, the configuration, or the default. */
  samplingSources: { exporter: number; configured: number; default: number };
  lastSeen: string;
  reconciliation: {
    status: ReconciliationStatus;
    reason: string;
    diverging: number;
    from: string;
    to: string;
    worstInterface: Pick<
      InterfaceReconciliation,
      'ifIndex' | 'ifName' | 'direction' | 'divergencePercent' | 'hint' | 'flowBytes' | 'snmpBytes'
    > | null;
  };
}

export class ExporterHealthService {
  constructor(
    private readonly deps: {
      db: StateStore;
      telemetry: TelemetryStore;
      reconciler: Reconciler;
      alarms: AlarmSink & Pick<AlarmService, 'list'>;
    },
  ) {}

  /**
   * The periodic check over the last 15 complete minutes: fires `flow-exporter-malformed` for an
   * exporter with at least 10 malformed datagrams making at least 1 % of what it sent (the records
   * in those datagrams are lost), resolves it for the others.
   */
  async checkMalformed(now = Date.now()): Promise<{ malformed: number; resolved: number }> {
    const to = Math.floor(now / MINUTE) * MINUTE - MINUTE;
    const from = to - 15 * MINUTE;
    const rows = await this.deps.telemetry.query<{
      exporter: string;
      org_unit: string;
      pk: number;
      bad: number;
      reasons: [string, number][];
    }>(
      `SELECT exporter, argMax(exporter_org_unit, ts) AS org_unit, toFloat64(sum(packets)) AS pk,
         toFloat64(sum(arraySum(mapValues(malformed)))) AS bad,
         arrayFilter(x -> x.2 > 0, arrayZip(mapKeys(sumMap(malformed)), mapValues(sumMap(malformed)))) AS reasons
       FROM ${FLOWS_TABLES.exporterStats}
       WHERE ts >= toDateTime({from:UInt32}) AND ts < toDateTime({to:UInt32})
       GROUP BY exporter HAVING bad >= 10 AND bad >= pk * 0.01 ORDER BY exporter LIMIT 10000`,
      { from: from / 1000, to: to / 1000 },
    );
    const at = new Date(now);
    const bad = new Set<string>();
    for (const r of rows) {
      bad.add(r.exporter);
      const reasons = r.reasons.map(([k, v]) => `${k} ${Number(v)}`).join(', ');
      const share = Math.round((Number(r.bad) / Math.max(1, Number(r.pk))) * 10_000) / 100;
      await this.deps.alarms.fire(
        {
          kind: FLOW_EXPORTER_MALFORMED,
          severity: 'warning',
          orgUnitId: r.org_unit,
          targetType: 'flow-exporter',
          targetId: r.exporter,
          summary: `Exporter ${r.exporter} sent ${Number(r.bad)} malformed datagrams (${share}% of ${Number(r.pk)}) in 15 minutes: ${reasons}`,
          labels: { exporter: r.exporter, malformed: String(Number(r.bad)), reasons },
        },
        at,
      );
    }
    let resolved = 0;
    let before: string | undefined;
    for (let page = 0; page < 100; page++) {
      const firing = await this.deps.alarms.list(systemIdentity(), {
        kind: FLOW_EXPORTER_MALFORMED,
        limit: 1000,
        ...(before ? { before } : {}),
      });
      for (const a of firing.items) {
        if (bad.has(a.targetId)) continue;
        await this.deps.alarms.resolve(FLOW_EXPORTER_MALFORMED, 'flow-exporter', a.targetId, at);
        resolved++;
      }
      if (!firing.nextBefore) break;
      before = firing.nextBefore;
    }
    return { malformed: bad.size, resolved };
  }

  async list(
    identity: Identity,
    q: { from?: number | undefined; to?: number | undefined },
    now = Date.now(),
  ): Promise<{ from: string; to: string; items: ExporterHealth[] }> {
    requirePermission(identity, 'flows:read');
    const to = Math.floor((q.to ?? now) / MINUTE) * MINUTE;
    const from = Math.floor((q.from ?? to - 60 * MINUTE) / MINUTE) * MINUTE;
    if (from >= to) throw new InputError('from must be before to (at least one minute apart)');
    if (to - from > MAX_EXPORTERS_MS) throw new InputError('the exporters view covers at most 31 days');
    const p = { from: from / 1000, to: to / 1000, scope: identity.orgUnitPath };
    const malformedCols = FLOW_MALFORMED_REASONS.map(
      (r, i) => `toFloat64(sum(malformed['${r}'])) AS m${i}`,
    ).join(', ');
    const [stats, flows] = await Promise.all([
      this.deps.telemetry.query<Record<string, unknown>>(
        `SELECT exporter, argMax(exporter_device_id, ts) AS device_id, argMax(exporter_org_unit, ts) AS org_unit,
           argMax(agent_id, ts) AS agent_id, toUInt32(uniqExact(ts)) AS minutes,
           toFloat64(sum(packets)) AS s_packets, toFloat64(sum(records)) AS s_records, toFloat64(sum(dropped)) AS s_dropped,
           ${malformedCols},
           toFloat64(sum(missing_templates)) AS s_missing, toFloat64(sum(sequence_gaps)) AS s_gaps,
           arraySort(groupUniqArrayArray(versions)) AS s_versions, arraySort(groupUniqArrayArray(sampling_rates)) AS rates,
           toFloat64(sum(sampling_exporter)) AS se, toFloat64(sum(sampling_configured)) AS sc,
           toFloat64(sum(sampling_default)) AS sd,
           toUnixTimestamp(max(ts)) AS last
         FROM ${FLOWS_TABLES.exporterStats}
         WHERE ts >= toDateTime({from:UInt32}) AND ts < toDateTime({to:UInt32})
           AND startsWith(exporter_org_path, {scope:String})
         GROUP BY exporter ORDER BY exporter LIMIT 10000`,
        p,
      ),
      this.deps.telemetry.query<{ exporter: string; b: number; f: number }>(
        `SELECT exporter, toFloat64(sum(bytes)) AS b, toFloat64(sum(flows)) AS f
         FROM ${FLOWS_TABLES.minute}
         WHERE ts >= toDateTime({from:UInt32}) AND ts < toDateTime({to:UInt32})
         GROUP BY exporter`,
        p,
      ),
    ]);
    const totals = new Map(flows.map((f) => [f.exporter, f]));
    const deviceIds = [...new Set(stats.map((s) => String(s.device_id)).filter(Boolean))];
    const names = new Map<string, string>();
    if (deviceIds.length) {
      const r = await this.deps.db.query<{ id: string; name: string }>(
        'SELECT id, name FROM devices WHERE id = ANY($1)',
        [deviceIds],
      );
      for (const d of r.rows) names.set(d.id, d.name);
    }
    // The reconciliation of the last 24 h of the range at most (it reads raw SNMP samples).
    const rFrom = Math.max(from, to - MAX_RECONCILIATION_MS);
    const rec = await this.deps.reconciler.reconcile(identity, { from: rFrom, to }, now);
    const recOf = new Map(rec.items.map((e) => [e.exporter, e]));
    const items = stats.map((s): ExporterHealth => {
      const address = String(s.exporter);
      const minutes = Number(s.minutes);
      const seconds = Math.max(1, minutes * 60);
      const malformed: Partial<Record<FlowMalformedReason, number>> = {};
      let malformedTotal = 0;
      FLOW_MALFORMED_REASONS.forEach((r, i) => {
        const n = Number(s[`m${i}`]);
        if (n) malformed[r] = n;
        malformedTotal += n;
      });
      const deviceId = String(s.device_id) || null;
      const t = totals.get(address);
      const e = recOf.get(address);
      const w = e?.worst;
      return {
        address,
        deviceId,
        deviceName: deviceId ? (names.get(deviceId) ?? null) : null,
        orgUnitId: String(s.org_unit),
        agentId: String(s.agent_id),
        minutes,
        packetsPerSecond: Number(s.s_packets) / seconds,
        recordsPerSecond: Number(s.s_records) / seconds,
        packets: Number(s.s_packets),
        records: Number(s.s_records),
        flows: t ? Number(t.f) : 0,
        bytes: t ? Number(t.b) : 0,
        dropped: Number(s.s_dropped),
        malformed,
        malformedTotal,
        missingTemplates: Number(s.s_missing),
        sequenceGaps: Number(s.s_gaps),
        versions: (s.s_versions as string[]).map(String),
        samplingRates: (s.rates as (number | string)[]).map(Number),
        samplingSources: { exporter: Number(s.se), configured: Number(s.sc), default: Number(s.sd) },
        lastSeen: new Date(Number(s.last) * 1000).toISOString(),
        reconciliation: {
          status: e?.status ?? 'no-flows',
          reason: e?.reason ?? 'the exporter reported nothing in the reconciliation window',
          diverging: e?.diverging ?? 0,
          from: new Date(rec.from).toISOString(),
          to: new Date(rec.to).toISOString(),
          worstInterface: w
            ? {
                ifIndex: w.ifIndex,
                ifName: w.ifName,
                direction: w.direction,
                divergencePercent: w.divergencePercent,
                hint: w.hint,
                flowBytes: w.flowBytes,
                snmpBytes: w.snmpBytes,
              }
            : null,
        },
      };
    });
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), items };
  }
}
