import type { StateStore } from '../../store/state/index.js';
import type { Severity } from './findings.js';

/** Open alerts of one asset (or of no asset) in one org unit, of one severity. */
export interface AlertAggregate {
  orgUnitId: string;
  orgPath: string;
  /** null: alerts that name no asset (they count for their unit). */
  assetAddress: string | null;
  severity: Severity;
  count: number;
  /** Σ over the alerts of 0.5^(age / half-life), the age since each was last seen. */
  decayed: number;
}

/** Open incidents owned by one org unit, of one severity, with the top of their escalation chain. */
export interface IncidentAggregate {
  orgUnitId: string;
  orgPath: string;
  /** The path of the highest unit the incidents were escalated to or opened by (the owner's when none). */
  topPath: string;
  severity: Severity;
  count: number;
  /** Σ 0.5^(age / half-life), the age since each last changed. */
  decayed: number;
}

/** What the risk score reads of the alerts and incidents (helper D's tables). */
export interface RiskSignals {
  alerts(rootPath: string, now: number, halfLifeDays: number): Promise<AlertAggregate[]>;
  incidents(rootPath: string, now: number, halfLifeDays: number): Promise<IncidentAggregate[]>;
}

const decayed = (col: string) =>
  `sum(power(0.5, GREATEST(0, extract(epoch FROM ($2::timestamptz - ${col}))) / ($3::float8 * 86400)))`;

/**
 * The open alerts and incidents of the state store, aggregated in SQL (one row per unit, asset and
 * severity), so that a computation reads a few hundred rows however many alerts there are.
 */
export class StateRiskSignals implements RiskSignals {
  constructor(private readonly db: StateStore) {}

  async alerts(rootPath: string, now: number, halfLifeDays: number): Promise<AlertAggregate[]> {
    const r = await this.db.query<{
      org_unit_id: string;
      org_path: string;
      asset: string | null;
      severity: Severity;
      n: number;
      d: number;
    }>(
      `SELECT org_unit_id, org_path, asset_address AS asset, severity, count(*)::int AS n, ${decayed('last_seen')} AS d
         FROM security_alerts
        WHERE status IN ('new', 'acknowledged') AND org_path LIKE $1
        GROUP BY org_unit_id, org_path, asset_address, severity`,
      [rootPath + '%', new Date(now).toISOString(), halfLifeDays],
    );
    return r.rows.map((x) => ({
      orgUnitId: x.org_unit_id,
      orgPath: x.org_path,
      assetAddress: x.asset || null,
      severity: x.severity,
      count: Number(x.n),
      decayed: Number(x.d),
    }));
  }

  async incidents(rootPath: string, now: number, halfLifeDays: number): Promise<IncidentAggregate[]> {
    const r = await this.db.query<{
      org_unit_id: string;
      org_path: string;
      top: string;
      severity: Severity;
      n: number;
      d: number;
    }>(
      `SELECT org_unit_id, org_path, chain_top_path AS top, severity, count(*)::int AS n,
              ${decayed('updated_at')} AS d
         FROM security_incidents
        WHERE status NOT IN ('resolved', 'false-positive') AND org_path LIKE $1
        GROUP BY org_unit_id, org_path, chain_top_path, severity`,
      [rootPath + '%', new Date(now).toISOString(), halfLifeDays],
    );
    return r.rows.map((x) => ({
      orgUnitId: x.org_unit_id,
      orgPath: x.org_path,
      topPath: x.top,
      severity: x.severity,
      count: Number(x.n),
      decayed: Number(x.d),
    }));
  }
}
