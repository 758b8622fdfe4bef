import { requirePermission, type Identity } from '../../auth/identity.js';
import { InputError } from '../../errors.js';
import { ORG_LEVELS, type OrgLevel } from '../../inventory/org-units.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { SecurityAlerts } from '../alerts/service.js';
import type { OrgAttribution } from '../types.js';
import type { Severity } from './findings.js';
import { RISK_POLICY, type Criticality, type RiskPolicy } from './policy.js';
import { assetPoints, rankByScore, toScore, unitPoints, zero, type BySeverity } from './score.js';
import { StateRiskSignals, type RiskSignals } from './signals.js';
import { Vulnerabilities } from './vulnerabilities.js';

/** The risk of one org unit: its subtree's assets, alerts, incidents and vulnerabilities. */
export interface UnitRisk {
  orgUnitId: string;
  name: string;
  path: string;
  level: OrgLevel;
  parentId: string | null;
  score: number;
  points: number;
  openAlerts: number;
  openIncidents: number;
  /** Open vulnerabilities by CVSS rating. */
  vulnerabilities: BySeverity;
}

export interface AssetRisk {
  assetAddress: string;
  /** The inventory device or host with this address, when there is one. */
  deviceId?: string;
  hostId?: string;
  name?: string;
  orgUnitId: string;
  criticality: Criticality;
  score: number;
  points: number;
  openAlerts: number;
  vulnerabilities: BySeverity;
}

export interface RiskComputation {
  at: number;
  units: Map<string, UnitRisk>;
  assets: AssetRisk[];
}

interface UnitRow {
  id: string;
  parent_id: string | null;
  level: OrgLevel;
  name: string;
  path: string;
}

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const round1 = (x: number) => Math.round(x * 10) / 10;

/** The ids of a path's units, root first: `/sc/sc-cd/` → sc, sc-cd. */
const idsOf = (path: string) => path.split('/').filter(Boolean);

/**
 * Risk per org unit and asset (docs/api-security.md, "Risk"): computed on demand for a subtree from
 * SQL aggregates (a few hundred rows however many alerts), and by a job for every unit, which keeps
 * a row per unit per day for the trend (a year) and the comparison across the units of one level.
 */
export class SecurityRisk {
  readonly vulnerabilities: Vulnerabilities;
  private readonly signals: RiskSignals;

  constructor(
    readonly d: ModuleDeps,
    readonly parts: { alerts: SecurityAlerts; attribution: OrgAttribution; signals?: RiskSignals },
  ) {
    this.vulnerabilities = new Vulnerabilities(d, parts.attribution);
    this.signals = parts.signals ?? new StateRiskSignals(d.db);
  }

  policy(): RiskPolicy {
    return this.d.policies.get(RISK_POLICY);
  }

  /** The local day (YYYY-MM-DD) of `at`. */
  day(at: number, offsetDays = 0): string {
    return new Date(at + this.policy().utcOffsetMinutes * MINUTE + offsetDays * DAY)
      .toISOString()
      .slice(0, 10);
  }

  /** Computes the risk of every unit and asset under `rootPath` at `now`. */
  async compute(rootPath: string, now = Date.now()): Promise<RiskComputation> {
    const p = this.policy();
    const prefix = rootPath + '%';
    const unitRows = await this.d.db.query<UnitRow>(
      'SELECT id, parent_id, level, name, path FROM org_units WHERE path LIKE $1 ORDER BY path',
      [prefix],
    );
    const alerts = await this.signals.alerts(rootPath, now, p.halfLifeDays);
    const incidents = await this.signals.incidents(rootPath, now, p.halfLifeDays);
    const vulnHl = p.vulnerabilityHalfLifeDays;
    const vulns = await this.d.db.query<{
      org_unit_id: string;
      org_path: string;
      asset: string;
      severity: Severity;
      n: number;
      d: number;
    }>(
      `SELECT org_unit_id, org_path, asset_address AS asset, severity, count(*)::int AS n,
              ${vulnHl > 0 ? `sum(power(0.5, GREATEST(0, extract(epoch FROM ($2::timestamptz - last_seen))) / ($3::float8 * 86400)))` : 'count(*)::float8 + 0 * $3::float8'} AS d
         FROM security_vulnerabilities
        WHERE status = 'open' AND org_path LIKE $1
        GROUP BY org_unit_id, org_path, asset_address, severity`,
      [prefix, new Date(now).toISOString(), vulnHl],
    );

    interface Asset {
      address: string;
      unit: string;
      path: string;
      alerts: BySeverity;
      alertCount: number;
      vulns: BySeverity;
      vulnCounts: BySeverity;
    }
    const assets = new Map<string, Asset>();
    const asset = (unit: string, path: string, address: string): Asset => {
      const key = `${unit}|${address}`;
      let a = assets.get(key);
      if (!a) {
        a = { address, unit, path, alerts: zero(), alertCount: 0, vulns: zero(), vulnCounts: zero() };
        assets.set(key, a);
      }
      return a;
    };
    interface Acc {
      max: number;
      sum: number;
      loose: BySeverity;
      incidents: BySeverity;
      openAlerts: number;
      openIncidents: number;
      vulns: BySeverity;
    }
    const acc = new Map<string, Acc>();
    for (const u of unitRows.rows) {
      acc.set(u.id, {
        max: 0,
        sum: 0,
        loose: zero(),
        incidents: zero(),
        openAlerts: 0,
        openIncidents: 0,
        vulns: zero(),
      });
    }
    /** The accumulators of the unit at `path` and its ancestors under the root. */
    const upward = (path: string): Acc[] =>
      idsOf(path)
        .map((id) => acc.get(id))
        .filter((x): x is Acc => x !== undefined);

    for (const a of alerts) {
      if (!isSeverity(a.severity)) continue;
      if (a.assetAddress) {
        const x = asset(a.orgUnitId, a.orgPath, a.assetAddress);
        x.alerts[a.severity] += a.decayed;
        x.alertCount += a.count;
      } else {
        for (const u of upward(a.orgPath)) {
          u.loose[a.severity] += a.decayed;
          u.openAlerts += a.count;
        }
      }
    }
    for (const v of vulns.rows) {
      if (!isSeverity(v.severity)) continue;
      const x = asset(v.org_unit_id, v.org_path, v.asset);
      x.vulns[v.severity] += Number(v.d);
      x.vulnCounts[v.severity] += Number(v.n);
    }
    for (const i of incidents) {
      if (!isSeverity(i.severity)) continue;
      // An incident counts for its owner and the units it was escalated to (the path from the owner
      // up to the top of its chain), the units that can see it; never for the units above.
      const ids = idsOf(i.orgPath);
      let path = '/';
      for (const id of ids) {
        path += `${id}/`;
        const u = acc.get(id);
        if (!u || !path.startsWith(i.topPath)) continue;
        u.incidents[i.severity] += i.decayed;
        u.openIncidents += i.count;
      }
    }

    const known = await this.inventoryAssets([...new Set([...assets.values()].map((a) => a.address))]);
    const out: AssetRisk[] = [];
    for (const a of assets.values()) {
      const inv = known.get(a.address);
      const criticality = inv?.criticality ?? p.criticality.default;
      const points = assetPoints(p, { criticality, alerts: a.alerts, vulnerabilities: a.vulns });
      for (const u of upward(a.path)) {
        u.max = Math.max(u.max, points);
        u.sum += points;
        u.openAlerts += a.alertCount;
        for (const s of SEVERITY_LIST) u.vulns[s] += a.vulnCounts[s];
      }
      out.push({
        assetAddress: a.address,
        ...(inv?.kind === 'device' ? { deviceId: inv.id } : {}),
        ...(inv?.kind === 'host' ? { hostId: inv.id } : {}),
        ...(inv ? { name: inv.name } : {}),
        orgUnitId: a.unit,
        criticality,
        score: toScore(points, p.scale),
        points: round1(points),
        openAlerts: a.alertCount,
        vulnerabilities: a.vulnCounts,
      });
    }
    const units = new Map<string, UnitRisk>();
    for (const u of unitRows.rows) {
      const x = acc.get(u.id)!;
      const points = unitPoints(p, { max: x.max, sum: x.sum }, x.loose, x.incidents);
      units.set(u.id, {
        orgUnitId: u.id,
        name: u.name,
        path: u.path,
        level: u.level,
        parentId: u.parent_id,
        score: toScore(points, p.scale),
        points: round1(points),
        openAlerts: x.openAlerts,
        openIncidents: x.openIncidents,
        vulnerabilities: x.vulns,
      });
    }
    out.sort((a, b) => b.score - a.score || a.assetAddress.localeCompare(b.assetAddress));
    return { at: now, units, assets: out };
  }

  /** Devices (by management address) and hosts (by any of their addresses) with these addresses. */
  private async inventoryAssets(
    addresses: string[],
  ): Promise<
    Map<string, { kind: 'device' | 'host'; id: string; name: string; criticality: Criticality | null }>
  > {
    const out = new Map<
      string,
      { kind: 'device' | 'host'; id: string; name: string; criticality: Criticality | null }
    >();
    if (!addresses.length) return out;
    const r = await this.d.db.query<{
      address: string;
      kind: 'device' | 'host';
      id: string;
      name: string;
      criticality: Criticality | null;
    }>(
      `SELECT management_address AS address, 'device' AS kind, id, name, criticality
         FROM devices WHERE management_address = ANY($1::text[])
       UNION ALL
       SELECT a AS address, 'host' AS kind, h.id, h.hostname AS name, h.criticality
         FROM hosts h, unnest(h.addresses) AS a WHERE a = ANY($1::text[])
       ORDER BY kind, id`,
      [addresses],
    );
    for (const x of r.rows) if (!out.has(x.address)) out.set(x.address, x);
    return out;
  }

  /** `GET /risk`: the unit (default the caller's) and its children, with each one's change over 7 days. */
  async units(
    identity: Identity,
    parentId?: string,
    now = Date.now(),
  ): Promise<(UnitRisk & { change7d: number | null })[]> {
    requirePermission(identity, 'security:read');
    const id = parentId ?? identity.orgUnitId;
    const path = await this.d.orgUnits.assertInScope(identity, id);
    const c = await this.compute(path, now);
    const self = c.units.get(id);
    const children = [...c.units.values()]
      .filter((u) => u.parentId === id)
      .sort((a, b) => b.score - a.score || a.orgUnitId.localeCompare(b.orgUnitId));
    const list = self ? [self, ...children] : children;
    const before = await this.scoresOn(
      list.map((u) => u.orgUnitId),
      this.day(now, -7),
    );
    return list.map((u) => {
      const b = before.get(u.orgUnitId);
      return { ...u, change7d: b === undefined ? null : round1(u.score - b) };
    });
  }

  /** `GET /risk/compare`: the units of one level under a unit, ranked by score (1 = highest risk). */
  async compare(
    identity: Identity,
    q: { level?: OrgLevel | undefined; parent?: string | undefined },
    now = Date.now(),
  ): Promise<{
    level: OrgLevel;
    items: (UnitRisk & { rank: number; change7d: number | null; previousRank: number | null })[];
  }> {
    requirePermission(identity, 'security:read');
    const id = q.parent ?? identity.orgUnitId;
    const path = await this.d.orgUnits.assertInScope(identity, id);
    const c = await this.compute(path, now);
    const own = c.units.get(id)?.level ?? 'province';
    const level = q.level ?? ORG_LEVELS[Math.min(ORG_LEVELS.indexOf(own) + 1, ORG_LEVELS.length - 1)]!;
    const ofLevel = [...c.units.values()].filter((u) => u.level === level);
    const before = await this.scoresOn(
      ofLevel.map((u) => u.orgUnitId),
      this.day(now, -7),
    );
    const previous = new Map(
      rankByScore([...before].map(([orgUnitId, score]) => ({ orgUnitId, score }))).map((x) => [
        x.orgUnitId,
        x.rank,
      ]),
    );
    return {
      level,
      items: rankByScore(ofLevel)
        .sort((a, b) => a.rank - b.rank || a.orgUnitId.localeCompare(b.orgUnitId))
        .map((u) => {
          const b = before.get(u.orgUnitId);
          return {
            ...u,
            change7d: b === undefined ? null : round1(u.score - b),
            previousRank: previous.get(u.orgUnitId) ?? null,
          };
        }),
    };
  }

  /** `GET /risk/assets`: the riskiest assets under a unit. */
  async assets(
    identity: Identity,
    orgUnitId: string | undefined,
    limit: number,
    now = Date.now(),
  ): Promise<AssetRisk[]> {
    requirePermission(identity, 'security:read');
    const path = await this.d.orgUnits.assertInScope(identity, orgUnitId ?? identity.orgUnitId);
    const c = await this.compute(path, now);
    return c.assets.slice(0, limit);
  }

  /** `GET /risk/trend`: a unit's score per day over the last `days` days (the days the job ran). */
  async trend(
    identity: Identity,
    orgUnitId: string | undefined,
    days: number,
    now = Date.now(),
  ): Promise<{ orgUnitId: string; points: [string, number][] }> {
    requirePermission(identity, 'security:read');
    if (!(days >= 1 && days <= 366)) throw new InputError('days must be between 1 and 366');
    const id = orgUnitId ?? identity.orgUnitId;
    await this.d.orgUnits.assertInScope(identity, id);
    const r = await this.d.db.query<{ day: string; score: number }>(
      `SELECT to_char(day, 'YYYY-MM-DD') AS day, score FROM security_risk_daily
        WHERE org_unit_id = $1 AND day > $2::date AND day <= $3::date ORDER BY day`,
      [id, this.day(now, -days), this.day(now)],
    );
    return { orgUnitId: id, points: r.rows.map((x) => [x.day, round1(Number(x.score))]) };
  }

  private async scoresOn(ids: string[], day: string): Promise<Map<string, number>> {
    if (!ids.length) return new Map();
    const r = await this.d.db.query<{ id: string; score: number }>(
      'SELECT org_unit_id AS id, score FROM security_risk_daily WHERE org_unit_id = ANY($1::text[]) AND day = $2::date',
      [ids, day],
    );
    return new Map(r.rows.map((x) => [x.id, round1(Number(x.score))]));
  }

  /**
   * The job: computes every unit at `now`, writes (or rewrites) today's row of each, and prunes the
   * rows older than the policy's `trendDays`.
   */
  async record(now = Date.now()): Promise<{ units: number; pruned: number }> {
    const c = await this.compute('/', now);
    const day = this.day(now);
    const units = [...c.units.values()];
    await this.d.db.transaction(async (tx) => {
      if (units.length) {
        await tx.query(
          `INSERT INTO security_risk_daily (org_unit_id, day, score, points, open_alerts, open_incidents, vulnerabilities, computed_at)
           SELECT u.id, $2::date, u.score, u.points, u.alerts, u.incidents, u.vulns::jsonb, $3::timestamptz
             FROM unnest($1::text[], $4::real[], $5::float8[], $6::int[], $7::int[], $8::text[])
                  AS u(id, score, points, alerts, incidents, vulns)
           ON CONFLICT (org_unit_id, day) DO UPDATE SET score = EXCLUDED.score, points = EXCLUDED.points,
             open_alerts = EXCLUDED.open_alerts, open_incidents = EXCLUDED.open_incidents,
             vulnerabilities = EXCLUDED.vulnerabilities, computed_at = EXCLUDED.computed_at`,
          [
            units.map((u) => u.orgUnitId),
            day,
            new Date(now).toISOString(),
            units.map((u) => u.score),
            units.map((u) => u.points),
            units.map((u) => u.openAlerts),
            units.map((u) => u.openIncidents),
            units.map((u) => JSON.stringify(u.vulnerabilities)),
          ],
        );
      }
    });
    const pruned = await this.d.db.query('DELETE FROM security_risk_daily WHERE day <= $1::date', [
      this.day(now, -this.policy().trendDays),
    ]);
    return { units: units.length, pruned: pruned.rowCount };
  }

  /** `security.riskScore` (the caller's unit) and `security.riskTop` (its five riskiest children). */
  async overview(identity: Identity): Promise<Record<string, unknown>> {
    const now = Date.now();
    const path = identity.orgUnitPath;
    // The job's latest figures when they are recent; otherwise computed now.
    const r = await this.d.db.query<{
      id: string;
      name: string;
      parent_id: string | null;
      score: number;
      at: Date | string;
    }>(
      `SELECT r.org_unit_id AS id, u.name, u.parent_id, r.score, r.computed_at AS at
         FROM security_risk_daily r JOIN org_units u ON u.id = r.org_unit_id
        WHERE r.day = $1::date AND u.path LIKE $2 AND (u.id = $3 OR u.parent_id = $3)`,
      [this.day(now), path + '%', identity.orgUnitId],
    );
    const self = r.rows.find((x) => x.id === identity.orgUnitId);
    const fresh = self && now - new Date(self.at).getTime() <= 3 * this.policy().everyMinutes * MINUTE;
    let score: number | null;
    let top: { orgUnitId: string; name: string; score: number }[];
    if (fresh) {
      score = round1(Number(self.score));
      top = r.rows
        .filter((x) => x.parent_id === identity.orgUnitId)
        .map((x) => ({ orgUnitId: x.id, name: x.name, score: round1(Number(x.score)) }));
    } else {
      if (!identity.orgUnitId) return {};
      const c = await this.compute(path, now);
      score = c.units.get(identity.orgUnitId)?.score ?? null;
      top = [...c.units.values()]
        .filter((u) => u.parentId === identity.orgUnitId)
        .map((u) => ({ orgUnitId: u.orgUnitId, name: u.name, score: u.score }));
    }
    top.sort((a, b) => b.score - a.score || a.orgUnitId.localeCompare(b.orgUnitId));
    return { riskScore: score, riskTop: top.slice(0, 5) };
  }

  jobs(): ModuleJob[] {
    return [
      {
        name: 'security.risk',
        everyMillis: this.policy().everyMinutes * MINUTE,
        run: async () => {
          await this.record();
        },
      },
    ];
  }
}

const SEVERITY_LIST: readonly Severity[] = ['low', 'medium', 'high', 'critical'];
const isSeverity = (s: string): s is Severity => (SEVERITY_LIST as readonly string[]).includes(s);
