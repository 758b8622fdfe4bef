import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import { AlertInput, type AlertSeverity, type Observable } from '@tianshu/protocol';
import { alarmsRef } from '../../alerting/module.js';
import type { AlarmSink } from '../../alerting/types.js';
import { can, requirePermission, type Identity } from '../../auth/identity.js';
import { ConflictError, InputError, NotFoundError } from '../../errors.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { Queryable } from '../../store/state/index.js';
import type { AlertOrigin, AlertSink, OrgAttribution, RaiseResult } from '../types.js';
import { INCIDENTS_POLICY } from './migrations.js';
import {
  appendBounded,
  CLOSED_INCIDENT_STATUSES,
  containsPattern,
  decodeCursor,
  encodeCursor,
  fingerprintOf,
  INCIDENT_TRANSITIONS,
  maxSeverity,
  mergeObservables,
  observableKey,
  OPEN_ALERT_STATUSES,
  severityRank,
  targetAddress,
  within,
  type AlertStatus,
  type BulkAction,
  type IncidentStatus,
  type TimelineKind,
} from './model.js';
import type { IncidentsPolicy } from './policy.js';

// --- What the API shows ------------------------------------------------------------------------

export interface AlertView {
  id: string;
  fingerprint: string;
  source: string;
  reference: string;
  title: string;
  description: string | null;
  severity: AlertSeverity;
  attack: string[];
  observables: Observable[];
  orgUnitId: string;
  orgUnitName: string;
  assetAddress: string | null;
  status: AlertStatus;
  count: number;
  firstSeen: string;
  lastSeen: string;
  incidentId: string | null;
  assignee: string | null;
}

export interface AlertDetail extends AlertView {
  events: unknown[];
  evidence: string[];
  eventIds: string[];
  details: Record<string, unknown> | null;
}

export interface AlertPage {
  items: AlertView[];
  nextCursor: string | null;
  total: number | null;
  totalIsEstimate: boolean;
}

export interface AlertFilter {
  status?: AlertStatus[] | undefined;
  severity?: AlertSeverity[] | undefined;
  source?: string[] | undefined;
  orgUnit?: string | undefined;
  q?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  incident?: string | undefined;
}

export interface AlertQuery extends AlertFilter {
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface IncidentView {
  id: string;
  title: string;
  description: string | null;
  severity: AlertSeverity;
  status: IncidentStatus;
  orgUnitId: string;
  orgUnitName: string;
  handlerOrgUnitId: string;
  handlerOrgUnitName: string;
  escalatedTo: { orgUnitId: string; name: string }[];
  assignee: string | null;
  alertCount: number;
  observables: Observable[];
  attack: string[];
  createdAt: string;
  updatedAt: string;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
  timeToAcknowledgeSeconds: number | null;
  timeToResolveSeconds: number | null;
}

export interface TimelineEntry {
  at: string;
  actor: string;
  kind: TimelineKind;
  from?: string;
  to?: string;
  text?: string;
  orgUnitId?: string;
}

export interface IncidentDetail extends IncidentView {
  alerts: AlertView[];
  timeline: TimelineEntry[];
}

export interface IncidentQuery {
  status?: IncidentStatus[] | undefined;
  severity?: AlertSeverity[] | undefined;
  orgUnit?: string | undefined;
  escalated?: boolean | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

export interface SuppressionMatch {
  source?: string | undefined;
  reference?: string | undefined;
  observable?: { type: string; value: string } | undefined;
  orgUnitId?: string | undefined;
}

export interface SuppressionView {
  id: string;
  match: SuppressionMatch;
  reason: string;
  author: string;
  createdAt: string;
  expiresAt: string;
  suppressed: number;
  active: boolean;
}

export interface BulkRequest {
  ids?: string[] | undefined;
  filter?: AlertFilter | undefined;
  action: BulkAction;
  assignee?: string | null | undefined;
  incidentId?: string | undefined;
  comment?: string | undefined;
}

/** Loads stored events by id (the events part's), already limited to what the caller may see. */
export type EventLoader = (identity: Identity, ids: readonly string[]) => Promise<unknown[]>;

// --- Rows ----------------------------------------------------------------------------------------

interface AlertRow {
  id: string;
  fingerprint: string;
  source: string;
  reference: string;
  title: string;
  description: string | null;
  severity: AlertSeverity;
  attack: string[];
  observables: Observable[];
  org_unit_id: string;
  org_unit_name: string;
  org_path: string;
  asset_address: string | null;
  status: AlertStatus;
  count: number;
  first_seen: Date | string;
  last_seen: Date | string;
  incident_id: string | null;
  assignee: string | null;
  event_ids: string[];
  evidence: string[];
  details: Record<string, unknown> | null;
}

const ALERT_COLUMNS = `a.id::text AS id, a.fingerprint, a.source, a.reference, a.title, a.description, a.severity,
  a.attack, a.observables, a.org_unit_id, o.name AS org_unit_name, a.org_path, a.asset_address, a.status,
  a.count::float8 AS count, a.first_seen, a.last_seen, a.incident_id::text AS incident_id, a.assignee`;
const ALERT_DETAIL_COLUMNS = `${ALERT_COLUMNS}, a.event_ids, a.evidence, a.details`;

interface IncidentRow {
  id: string;
  title: string;
  description: string | null;
  severity: AlertSeverity;
  status: IncidentStatus;
  org_unit_id: string;
  org_unit_name: string;
  org_path: string;
  handler_org_unit_id: string;
  handler_org_unit_name: string;
  handler_path: string;
  chain_top_path: string;
  escalated_to: { orgUnitId: string; name: string }[];
  assignee: string | null;
  alert_count: number;
  observables: Observable[];
  attack: string[];
  created_at: Date | string;
  updated_at: Date | string;
  acknowledged_at: Date | string | null;
  resolved_at: Date | string | null;
}

const INCIDENT_COLUMNS = `i.id::text AS id, i.title, i.description, i.severity, i.status, i.org_unit_id,
  o.name AS org_unit_name, i.org_path, i.handler_org_unit_id, h.name AS handler_org_unit_name, h.path AS handler_path,
  i.chain_top_path, i.assignee, i.alert_count, i.observables, i.attack, i.created_at, i.updated_at,
  i.acknowledged_at, i.resolved_at,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('orgUnitId', u.id, 'name', u.name) ORDER BY length(u.path) DESC), '[]'::jsonb)
     FROM org_units u
    WHERE starts_with(i.org_path, u.path) AND starts_with(u.path, i.chain_top_path) AND u.path <> i.org_path) AS escalated_to`;
const INCIDENT_FROM = `security_incidents i JOIN org_units o ON o.id = i.org_unit_id
  JOIN org_units h ON h.id = i.handler_org_unit_id`;

interface SuppressionRow {
  id: string;
  org_unit_id: string;
  org_path: string;
  match_source: string | null;
  match_reference: string | null;
  match_observable_type: string | null;
  match_observable_value: string | null;
  reason: string;
  author: string;
  created_at: Date | string;
  expires_at: Date | string;
  suppressed: number;
  match_org_unit: boolean;
}

const iso = (d: Date | string): string => new Date(d).toISOString();
const seconds = (from: Date | string, to: Date | string | null): number | null =>
  to === null ? null : Math.max(0, Math.round((new Date(to).getTime() - new Date(from).getTime()) / 1000));

function toAlert(r: AlertRow): AlertView {
  return {
    id: r.id,
    fingerprint: r.fingerprint,
    source: r.source,
    reference: r.reference,
    title: r.title,
    description: r.description,
    severity: r.severity,
    attack: r.attack,
    observables: r.observables,
    orgUnitId: r.org_unit_id,
    orgUnitName: r.org_unit_name,
    assetAddress: r.asset_address,
    status: r.status,
    count: Number(r.count),
    firstSeen: iso(r.first_seen),
    lastSeen: iso(r.last_seen),
    incidentId: r.incident_id,
    assignee: r.assignee,
  };
}

function toIncident(r: IncidentRow): IncidentView {
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    severity: r.severity,
    status: r.status,
    orgUnitId: r.org_unit_id,
    orgUnitName: r.org_unit_name,
    handlerOrgUnitId: r.handler_org_unit_id,
    handlerOrgUnitName: r.handler_org_unit_name,
    escalatedTo: r.escalated_to,
    assignee: r.assignee,
    alertCount: r.alert_count,
    observables: r.observables,
    attack: r.attack,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
    acknowledgedAt: r.acknowledged_at ? iso(r.acknowledged_at) : null,
    resolvedAt: r.resolved_at ? iso(r.resolved_at) : null,
    timeToAcknowledgeSeconds: seconds(r.created_at, r.acknowledged_at),
    timeToResolveSeconds: seconds(r.created_at, r.resolved_at),
  };
}

function toSuppression(r: SuppressionRow, now: number): SuppressionView {
  const match: SuppressionMatch = {};
  if (r.match_source) match.source = r.match_source;
  if (r.match_reference) match.reference = r.match_reference;
  if (r.match_observable_type && r.match_observable_value)
    match.observable = { type: r.match_observable_type, value: r.match_observable_value };
  if (r.match_org_unit) match.orgUnitId = r.org_unit_id;
  return {
    id: r.id,
    match,
    reason: r.reason,
    author: r.author,
    createdAt: iso(r.created_at),
    expiresAt: iso(r.expires_at),
    suppressed: Number(r.suppressed),
    active: new Date(r.expires_at).getTime() > now,
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Record ids are uuids; anything else is absent (404), like an id out of scope. */
function assertUuid(id: string, what: string): void {
  if (!UUID.test(id)) throw new NotFoundError(`${what} "${id.slice(0, 80)}" not found`);
}

/** Alert queue totals are counted exactly up to this many rows (when expected so), estimated above. */
const EXACT_TOTAL_LIMIT = 2000;
const MAX_IDS = 1000;

/** Alarm kinds of the `security` alarm domain. */
export const SECURITY_ALARM_KINDS = ['security-incident', 'security-incident-escalated'] as const;

export interface SecurityAlertsParts {
  attribution: OrgAttribution;
  /** The clock (tests set it); Unix milliseconds. */
  now?: (() => number) | undefined;
  /** Where notifications go; the alerting module's alarm sink by default. */
  alarms?: AlarmSink | undefined;
}

/**
 * Alerts and incidents: raising (validation, fingerprint, attribution, suppression, deduplication,
 * correlation into incidents), the alert queue and bulk triage, the incident workflow with its
 * timeline, escalation across levels (escalate, take over, hand back, assign down) under the
 * incident scoping rule, suppressions, and the overview figures.
 */
export class SecurityAlerts implements AlertSink {
  private readonly now: () => number;
  private readonly alarms: AlarmSink | undefined;
  private readonly counter: Counter<'outcome'>;
  private eventLoader: EventLoader | undefined;

  constructor(
    readonly d: ModuleDeps,
    readonly parts: SecurityAlertsParts,
  ) {
    this.now = parts.now ?? Date.now;
    this.alarms = parts.alarms ?? d.use(alarmsRef);
    this.counter = new Counter({
      name: 'tianshu_security_alerts_raised_total',
      help: 'Alerts raised, by outcome (created, updated, suppressed, unchanged, rejected).',
      labelNames: ['outcome'] as const,
      registers: [d.metrics.registry],
    });
  }

  private policy(): IncidentsPolicy {
    return this.d.policies.get(INCIDENTS_POLICY);
  }

  /** The events part's loader of stored events, for an alert's evidence. */
  useEventLoader(loader: EventLoader): void {
    this.eventLoader = loader;
  }

  // --- Raising -----------------------------------------------------------------------------------

  async raise(inputs: readonly AlertInput[], origin: AlertOrigin): Promise<RaiseResult> {
    const result: RaiseResult = { created: 0, updated: 0, suppressed: 0 };
    if (!inputs.length) return result;
    await this.parts.attribution.refresh();
    const suppressions = await this.activeSuppressions();
    const root = await this.d.orgUnits.root();
    for (const [index, raw] of inputs.entries()) {
      const parsed = AlertInput.safeParse(raw);
      if (!parsed.success) {
        // A detector's bug: named in the log and counted, the other alerts still raised.
        const issue = parsed.error.issues[0];
        this.counter.inc({ outcome: 'rejected' });
        this.d.log.error(
          {
            index,
            reference: (raw as { reference?: unknown }).reference,
            issue: issue?.message,
            path: issue?.path,
          },
          'security alert rejected: not a valid AlertInput',
        );
        continue;
      }
      const input = parsed.data;
      const unit = await this.attribute(input, origin, root?.id);
      if (!unit) {
        this.counter.inc({ outcome: 'rejected' });
        this.d.log.error(
          { reference: input.reference },
          'security alert rejected: no org unit to attribute it to',
        );
        continue;
      }
      const suppression = suppressions.find((s) => this.suppresses(s, input, unit.path));
      const outcome = await this.d.db.transaction((tx) =>
        this.raiseOne(tx, input, unit, origin, suppression),
      );
      this.counter.inc({ outcome });
      if (outcome === 'created') result.created++;
      else if (outcome === 'updated') result.updated++;
      else if (outcome === 'suppressed') result.suppressed++;
    }
    return result;
  }

  /**
   * The org unit of an alert: the given one if it lies in the raising agent's subtree, else the
   * unit owning the target address (again only inside the agent's subtree), else the agent's unit.
   * An agent never raises into a unit outside its subtree.
   */
  private async attribute(
    input: AlertInput,
    origin: AlertOrigin,
    rootId: string | undefined,
  ): Promise<{ id: string; path: string } | undefined> {
    const agentPath = origin.agent?.orgUnitPath;
    const allowed = (path: string) => agentPath === undefined || within(path, agentPath);
    if (input.orgUnitId) {
      const path = await this.d.orgUnits.pathOf(input.orgUnitId);
      if (path && allowed(path)) return { id: input.orgUnitId, path };
    }
    const address = targetAddress(input);
    if (address) {
      const a = this.parts.attribution.byAddress(address);
      if (a && allowed(a.orgPath)) return { id: a.orgUnitId, path: a.orgPath };
    }
    if (origin.agent) return { id: origin.agent.orgUnitId, path: origin.agent.orgUnitPath };
    if (rootId) {
      const path = await this.d.orgUnits.pathOf(rootId);
      if (path) return { id: rootId, path };
    }
    return undefined;
  }

  private suppresses(s: SuppressionRow, input: AlertInput, path: string): boolean {
    if (!within(path, s.org_path)) return false;
    if (s.match_source && s.match_source !== input.source) return false;
    if (s.match_reference && s.match_reference !== input.reference) return false;
    if (s.match_observable_type && s.match_observable_value) {
      const key = observableKey({ type: s.match_observable_type, value: s.match_observable_value });
      if (
        !input.observables.some((o) => observableKey(o) === key) &&
        input.assetAddress !== s.match_observable_value
      )
        return false;
    }
    return true;
  }

  private async activeSuppressions(): Promise<SuppressionRow[]> {
    const r = await this.d.db.query<SuppressionRow>(
      `SELECT id::text AS id, org_unit_id, org_path, match_source, match_reference, match_observable_type,
         match_observable_value, reason, author, created_at, expires_at, suppressed::float8 AS suppressed,
         match_org_unit
       FROM security_suppressions WHERE expires_at > $1 ORDER BY created_at`,
      [new Date(this.now())],
    );
    return r.rows;
  }

  private async raiseOne(
    tx: Queryable,
    input: AlertInput,
    unit: { id: string; path: string },
    origin: AlertOrigin,
    suppression: SuppressionRow | undefined,
    retried = false,
  ): Promise<'created' | 'updated' | 'suppressed' | 'unchanged'> {
    const fingerprint = fingerprintOf(input);
    const firstSeen = new Date(input.firstSeen);
    const lastSeen = new Date(Math.max(input.lastSeen, input.firstSeen));
    const statusWhere = suppression ? `status = 'suppressed'` : `status IN ('new', 'acknowledged')`;
    const existing = await tx.query<{
      id: string;
      last_seen: Date | string;
      severity: AlertSeverity;
      observables: Observable[];
      event_ids: string[];
      evidence: string[];
      incident_id: string | null;
      status: AlertStatus;
    }>(
      `SELECT id::text AS id, last_seen, severity, observables, event_ids, evidence, incident_id::text AS incident_id, status
       FROM security_alerts WHERE org_unit_id = $1 AND fingerprint = $2 AND ${statusWhere} FOR UPDATE`,
      [unit.id, fingerprint],
    );
    const row = existing.rows[0];
    const nowDate = new Date(this.now());
    let alertId: string;
    let incidentId: string | null = null;
    if (row) {
      // Idempotent: what the row has already seen (a replayed batch) changes nothing.
      if (lastSeen.getTime() <= new Date(row.last_seen).getTime()) return 'unchanged';
      await tx.query(
        `UPDATE security_alerts SET count = count + $2, last_seen = $3, first_seen = LEAST(first_seen, $4),
           severity = $5, observables = $6::jsonb, event_ids = $7::text[], evidence = $8::jsonb,
           title = $9, description = COALESCE($10, description), attack = $11::text[], updated_at = $12
         WHERE id = $1`,
        [
          row.id,
          input.count,
          lastSeen,
          firstSeen,
          maxSeverity(row.severity, input.severity),
          JSON.stringify(mergeObservables(row.observables, input.observables)),
          appendBounded(row.event_ids, input.eventIds ?? [], 100),
          JSON.stringify(appendBounded(row.evidence, input.evidence ?? [], 20)),
          input.title,
          input.description ?? null,
          input.attack,
          nowDate,
        ],
      );
      alertId = row.id;
      incidentId = row.incident_id;
    } else {
      // A replay of an alert closed since: its history has seen this already.
      const seen = await tx.query(
        `SELECT 1 FROM security_alerts WHERE org_unit_id = $1 AND fingerprint = $2 AND last_seen >= $3 LIMIT 1`,
        [unit.id, fingerprint, lastSeen],
      );
      if (seen.rowCount > 0) return 'unchanged';
      alertId = randomUUID();
      const inserted = await tx.query(
        `INSERT INTO security_alerts (id, fingerprint, source, reference, title, description, severity, attack,
           observables, org_unit_id, org_path, asset_address, status, count, first_seen, last_seen, event_ids,
           evidence, details, suppression_id, agent_id, raised_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text[], $9::jsonb, $10, $11, $12, $13, $14, $15, $16, $17::text[],
           $18::jsonb, $19::jsonb, $20, $21, $22, $23, $23)
         ON CONFLICT DO NOTHING`,
        [
          alertId,
          fingerprint,
          input.source,
          input.reference,
          input.title,
          input.description ?? null,
          input.severity,
          input.attack,
          JSON.stringify(mergeObservables([], input.observables)),
          unit.id,
          unit.path,
          input.assetAddress ?? null,
          suppression ? 'suppressed' : 'new',
          input.count,
          firstSeen,
          lastSeen,
          (input.eventIds ?? []).slice(-100),
          JSON.stringify((input.evidence ?? []).slice(-20)),
          input.details ? JSON.stringify(input.details) : null,
          suppression?.id ?? null,
          origin.agent?.agentId ?? null,
          origin.actor ?? (origin.agent ? `agent:${origin.agent.hostname}` : null),
          nowDate,
        ],
      );
      // Another replica opened the same alert between our look and our insert: count it on that one.
      if (inserted.rowCount === 0) {
        if (retried) throw new ConflictError(`alert ${fingerprint} is changing too fast; try again`);
        return this.raiseOne(tx, input, unit, origin, suppression, true);
      }
    }
    if (suppression) {
      await tx.query(`UPDATE security_suppressions SET suppressed = suppressed + 1 WHERE id = $1`, [
        suppression.id,
      ]);
      return 'suppressed';
    }
    const actor = origin.actor ?? (origin.agent ? `agent:${origin.agent.hostname}` : 'system');
    if (incidentId) {
      await this.joinIncident(tx, incidentId, alertId, input, lastSeen, actor, false);
    } else {
      await this.correlate(tx, alertId, input, unit, lastSeen, actor);
    }
    return row ? 'updated' : 'created';
  }

  /** Joins the alert to a related open incident of its org unit, or opens one when it is severe enough. */
  private async correlate(
    tx: Queryable,
    alertId: string,
    input: AlertInput,
    unit: { id: string; path: string },
    lastSeen: Date,
    actor: string,
  ): Promise<void> {
    const policy = this.policy().correlation;
    const keys = this.keysOf(input.observables);
    const params: unknown[] = [unit.id, new Date(lastSeen.getTime() - policy.windowMinutes * 60_000)];
    const related: string[] = [];
    if (policy.by.includes('asset') && input.assetAddress) {
      params.push(input.assetAddress);
      related.push(`$${params.length} = ANY(assets)`);
    }
    if (policy.by.includes('observable') && keys.length) {
      params.push(keys);
      related.push(`observable_keys && $${params.length}::text[]`);
    }
    if (policy.by.includes('reference')) {
      params.push(input.reference);
      related.push(`$${params.length} = ANY(refs)`);
    }
    if (policy.by.includes('attack') && input.attack.length) {
      params.push(input.attack);
      related.push(`attack && $${params.length}::text[]`);
    }
    if (related.length) {
      const r = await tx.query<{ id: string }>(
        `SELECT id::text AS id FROM security_incidents
         WHERE org_unit_id = $1 AND status NOT IN ('resolved', 'false-positive') AND last_alert_at >= $2
           AND (${related.join(' OR ')})
         ORDER BY last_alert_at DESC LIMIT 1 FOR UPDATE`,
        params,
      );
      const hit = r.rows[0];
      if (hit) {
        await this.joinIncident(tx, hit.id, alertId, input, lastSeen, actor, true);
        return;
      }
    }
    if (severityRank(input.severity) < severityRank(policy.openIncidentAt)) return;
    const id = randomUUID();
    const now = new Date(this.now());
    await tx.query(
      `INSERT INTO security_incidents (id, title, description, severity, status, org_unit_id, org_path,
         handler_org_unit_id, chain_top_path, opened_by, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'new', $5, $6, $5, $6, $7, $8, $8)`,
      [id, input.title, input.description ?? null, input.severity, unit.id, unit.path, actor, now],
    );
    await this.timeline(tx, id, actor, 'created', { to: 'new', orgUnitId: unit.id, text: input.reference });
    await this.joinIncident(tx, id, alertId, input, lastSeen, actor, true);
    await this.notify(
      tx,
      'security-incident',
      id,
      unit.id,
      input.severity,
      `new security incident: ${input.title}`,
    );
  }

  private keysOf(observables: readonly Observable[]): string[] {
    const types = new Set<string>(this.policy().correlation.observableTypes);
    return [...new Set(observables.filter((o) => types.has(o.type)).map(observableKey))];
  }

  /** Adds an alert (new, or seen again) to an incident: its observables, techniques, severity. */
  private async joinIncident(
    tx: Queryable,
    incidentId: string,
    alertId: string,
    input: Pick<AlertInput, 'observables' | 'attack' | 'reference' | 'assetAddress' | 'severity' | 'title'>,
    lastSeen: Date,
    actor: string,
    added: boolean,
  ): Promise<void> {
    const cur = await tx.query<{
      severity: AlertSeverity;
      observables: Observable[];
      observable_keys: string[];
      attack: string[];
      refs: string[];
      assets: string[];
      status: IncidentStatus;
    }>(
      `SELECT severity, observables, observable_keys, attack, refs, assets, status FROM security_incidents WHERE id = $1 FOR UPDATE`,
      [incidentId],
    );
    const inc = cur.rows[0];
    if (!inc) return;
    const now = new Date(this.now());
    if (added) {
      const linked = await tx.query(
        `INSERT INTO security_incident_alerts (incident_id, alert_id, added_at, added_by) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING`,
        [incidentId, alertId, now, actor],
      );
      await tx.query(`UPDATE security_alerts SET incident_id = $2 WHERE id = $1`, [alertId, incidentId]);
      if (linked.rowCount > 0)
        await this.timeline(tx, incidentId, actor, 'alert-added', { to: alertId, text: input.title });
    }
    const severity = maxSeverity(inc.severity, input.severity);
    if (severity !== inc.severity) {
      await this.timeline(tx, incidentId, actor, 'severity', { from: inc.severity, to: severity });
    }
    await tx.query(
      `UPDATE security_incidents SET severity = $2, observables = $3::jsonb, observable_keys = $4::text[],
         attack = $5::text[], refs = $6::text[], assets = $7::text[],
         alert_count = (SELECT count(*) FROM security_incident_alerts WHERE incident_id = $1),
         last_alert_at = GREATEST(last_alert_at, $8), updated_at = $9
       WHERE id = $1`,
      [
        incidentId,
        severity,
        JSON.stringify(mergeObservables(inc.observables, input.observables, 200)),
        appendBounded(inc.observable_keys, this.keysOf(input.observables), 500),
        appendBounded(inc.attack, input.attack, 64),
        appendBounded(inc.refs, [input.reference], 200),
        appendBounded(inc.assets, input.assetAddress ? [input.assetAddress] : [], 200),
        lastSeen,
        now,
      ],
    );
  }

  private async timeline(
    tx: Queryable,
    incidentId: string,
    actor: string,
    kind: TimelineKind,
    e: { from?: string | null; to?: string | null; text?: string | null; orgUnitId?: string | null } = {},
  ): Promise<void> {
    await tx.query(
      `INSERT INTO security_incident_timeline (incident_id, at, actor, kind, from_value, to_value, text, org_unit_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        incidentId,
        new Date(this.now()),
        actor,
        kind,
        e.from ?? null,
        e.to ?? null,
        e.text ?? null,
        e.orgUnitId ?? null,
      ],
    );
  }

  /** An alarm of the `security` domain, routed by `policies/notifications.yaml` like every alarm. */
  private async notify(
    tx: Queryable,
    kind: (typeof SECURITY_ALARM_KINDS)[number],
    incidentId: string,
    orgUnitId: string,
    severity: AlertSeverity,
    summary: string,
  ): Promise<void> {
    const policy = this.policy().notifications;
    if (!policy.enabled || !this.alarms) return;
    await this.alarms.fire(
      {
        kind,
        severity: policy.severity[severity],
        orgUnitId,
        targetType: 'security-incident',
        targetId: kind === 'security-incident' ? incidentId : `${incidentId}/${orgUnitId}`,
        summary: summary.slice(0, 1000),
        labels: { incident: incidentId, incident_severity: severity },
      },
      new Date(this.now()),
      tx,
    );
  }

  /** Resolves the alarms of an incident that ended (the new one and one per escalation). */
  private async endAlarms(tx: Queryable, inc: IncidentRow): Promise<void> {
    if (!this.alarms) return;
    const at = new Date(this.now());
    await this.alarms.resolve('security-incident', 'security-incident', inc.id, at, tx);
    for (const u of inc.escalated_to) {
      await this.alarms.resolve(
        'security-incident-escalated',
        'security-incident',
        `${inc.id}/${u.orgUnitId}`,
        at,
        tx,
      );
    }
  }

  // --- The alert queue ------------------------------------------------------------------------

  /** WHERE conditions of an alert filter in the caller's scope (enums are inlined: validated). */
  private async alertWhere(identity: Identity, f: AlertFilter, params: unknown[]): Promise<string[]> {
    const path = f.orgUnit ? await this.d.orgUnits.assertInScope(identity, f.orgUnit) : identity.orgUnitPath;
    const where: string[] = [];
    if (path !== '/') {
      params.push(`${path}%`);
      where.push(`a.org_path LIKE $${params.length}`);
    }
    const statuses = f.status?.length ? f.status : OPEN_ALERT_STATUSES;
    where.push(`a.status IN (${statuses.map((s) => `'${s}'`).join(', ')})`);
    if (f.severity?.length) where.push(`a.severity IN (${f.severity.map((s) => `'${s}'`).join(', ')})`);
    if (f.source?.length) {
      params.push(f.source);
      where.push(`a.source = ANY($${params.length}::text[])`);
    }
    if (f.from) {
      params.push(new Date(f.from));
      where.push(`a.last_seen >= $${params.length}`);
    }
    if (f.to) {
      params.push(new Date(f.to));
      where.push(`a.last_seen <= $${params.length}`);
    }
    if (f.incident === 'none') where.push('a.incident_id IS NULL');
    else if (f.incident === 'any') where.push('a.incident_id IS NOT NULL');
    else if (f.incident) {
      if (!UUID.test(f.incident)) throw new InputError('incident must be "none", "any" or an incident id');
      params.push(f.incident);
      where.push(`a.incident_id = $${params.length}::uuid`);
    }
    if (f.q) {
      params.push(containsPattern(f.q));
      const like = `$${params.length}`;
      params.push(f.q);
      const exact = `$${params.length}`;
      where.push(
        `(a.title ILIKE ${like} OR a.reference ILIKE ${like} OR a.fingerprint = ${exact} OR a.asset_address = ${exact}
          OR a.observables @> jsonb_build_array(jsonb_build_object('value', ${exact}::text)))`,
      );
    }
    return where;
  }

  /** The alert queue, newest first, by keyset; `total` (first page) is exact up to 2,000, estimated above. */
  async listAlerts(identity: Identity, query: AlertQuery): Promise<AlertPage> {
    requirePermission(identity, 'security:read');
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const params: unknown[] = [];
    const where = await this.alertWhere(identity, query, params);
    const filterParams = [...params];
    const filterWhere = [...where];
    if (query.cursor) {
      const c = decodeCursor(query.cursor);
      if (!c) throw new InputError('cursor is not valid: pass the nextCursor of the previous page');
      params.push(new Date(c.at), c.id);
      where.push(`(a.last_seen, a.id) < ($${params.length - 1}, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const r = await this.d.db.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM security_alerts a JOIN org_units o ON o.id = a.org_unit_id
       WHERE ${where.join(' AND ')} ORDER BY a.last_seen DESC, a.id DESC LIMIT $${params.length}`,
      params,
    );
    const rows = r.rows.slice(0, limit);
    const last = rows[rows.length - 1];
    let total: number | null = null;
    let totalIsEstimate = false;
    if (!query.cursor) {
      if (r.rows.length <= limit) total = rows.length;
      else ({ total, totalIsEstimate } = await this.countAlerts(filterWhere, filterParams));
    }
    return {
      items: rows.map(toAlert),
      nextCursor: r.rows.length > limit && last ? encodeCursor(last.last_seen, last.id) : null,
      total,
      totalIsEstimate,
    };
  }

  /**
   * The number of alerts a filter matches, when it is cheap to count (the planner expects at most
   * EXACT_TOTAL_LIMIT and the count stays under it), else the planner's estimate, flagged.
   */
  private async countAlerts(
    where: string[],
    params: unknown[],
  ): Promise<{ total: number; totalIsEstimate: boolean }> {
    const sql = `SELECT 1 FROM security_alerts a WHERE ${where.join(' AND ')}`;
    const plan = await this.d.db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    const raw = plan.rows[0]?.['QUERY PLAN'];
    const doc = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan?: { 'Plan Rows'?: number } }[];
    const estimate = Math.round(doc[0]?.Plan?.['Plan Rows'] ?? 0);
    if (estimate > EXACT_TOTAL_LIMIT) return { total: estimate, totalIsEstimate: true };
    const c = await this.d.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (${sql} LIMIT ${EXACT_TOTAL_LIMIT + 1}) x`,
      params,
    );
    const n = c.rows[0]?.n ?? 0;
    if (n <= EXACT_TOTAL_LIMIT) return { total: n, totalIsEstimate: false };
    return { total: Math.max(estimate, n), totalIsEstimate: true };
  }

  private async loadAlert(q: Queryable, identity: Identity, id: string, lock = false): Promise<AlertRow> {
    assertUuid(id, 'alert');
    const r = await q.query<AlertRow>(
      `SELECT ${ALERT_DETAIL_COLUMNS} FROM security_alerts a JOIN org_units o ON o.id = a.org_unit_id
       WHERE a.id = $1${lock ? ' FOR UPDATE OF a' : ''}`,
      [id],
    );
    const row = r.rows[0];
    if (!row || !this.seesPath(identity, row.org_path)) throw new NotFoundError(`alert "${id}" not found`);
    return row;
  }

  private seesPath(identity: Identity, path: string): boolean {
    return identity.kind === 'system' || within(path, identity.orgUnitPath);
  }

  /** One alert with the stored events behind it and its raw evidence. */
  async getAlert(identity: Identity, id: string): Promise<AlertDetail> {
    requirePermission(identity, 'security:read');
    const row = await this.loadAlert(this.d.db, identity, id);
    return this.detail(identity, row);
  }

  private async detail(identity: Identity, row: AlertRow): Promise<AlertDetail> {
    const events =
      this.eventLoader && row.event_ids.length ? await this.eventLoader(identity, row.event_ids) : [];
    return {
      ...toAlert(row),
      events,
      evidence: row.evidence,
      eventIds: row.event_ids,
      details: row.details,
    };
  }

  /** Bulk triage by ids (≤ 1000) or by filter (bounded by the policy); audited once with the count. */
  async bulk(identity: Identity, req: BulkRequest): Promise<{ updated: number }> {
    requirePermission(identity, 'security:write');
    if (!req.ids === !req.filter) throw new InputError('give either ids or filter');
    if (req.action === 'to-incident' && !req.incidentId)
      throw new InputError('incidentId is required for the action to-incident');
    if (req.action === 'assign' && req.assignee === undefined)
      throw new InputError('assignee is required for the action assign (null unassigns)');
    const max = this.policy().bulk.maxAlerts;
    return this.d.db.transaction(async (tx) => {
      let ids: string[];
      if (req.ids) {
        if (req.ids.length > MAX_IDS) throw new InputError(`at most ${MAX_IDS} ids at once`);
        for (const id of req.ids) assertUuid(id, 'alert');
        const params: unknown[] = [req.ids];
        let scope = '';
        if (identity.kind !== 'system') {
          params.push(`${identity.orgUnitPath}%`);
          scope = ` AND org_path LIKE $2`;
        }
        const r = await tx.query<{ id: string }>(
          `SELECT id::text AS id FROM security_alerts WHERE id = ANY($1::uuid[])${scope} FOR UPDATE`,
          params,
        );
        ids = r.rows.map((x) => x.id);
        // Out of scope is absent: the same answer as for an id that does not exist.
        if (ids.length < new Set(req.ids).size) {
          const missing = req.ids.find((x) => !ids.includes(x));
          throw new NotFoundError(`alert "${missing ?? ''}" not found`);
        }
      } else {
        const params: unknown[] = [];
        const where = await this.alertWhere(identity, req.filter ?? {}, params);
        const r = await tx.query<{ id: string }>(
          `SELECT a.id::text AS id FROM security_alerts a WHERE ${where.join(' AND ')} LIMIT ${max + 1}`,
          params,
        );
        if (r.rows.length > max) {
          throw new InputError(
            `the filter matches more than ${max} alerts (bulk.maxAlerts in incidents.yaml); narrow it`,
            {
              code: 'security.bulk_too_large',
              details: [{ path: 'filter', message: 'too many alerts', params: { max } }],
            },
          );
        }
        ids = r.rows.map((x) => x.id);
      }
      const updated = await this.applyBulk(tx, identity, ids, req);
      await this.d.audit.record(
        identity,
        {
          action: `security.alert.${req.action}`,
          targetType: 'security-alert',
          targetId: ids.length === 1 ? ids[0] : undefined,
          details: {
            updated,
            matched: ids.length,
            by: req.ids ? 'ids' : 'filter',
            ...(req.filter ? { filter: req.filter } : {}),
            ...(req.assignee !== undefined ? { assignee: req.assignee } : {}),
            ...(req.incidentId ? { incidentId: req.incidentId } : {}),
            ...(req.comment ? { comment: req.comment } : {}),
          },
        },
        tx,
      );
      return { updated };
    });
  }

  private async applyBulk(
    tx: Queryable,
    identity: Identity,
    ids: string[],
    req: BulkRequest,
  ): Promise<number> {
    if (!ids.length) return 0;
    const now = new Date(this.now());
    const set = async (status: AlertStatus, from: readonly AlertStatus[]) => {
      const r = await tx.query(
        `UPDATE security_alerts SET status = $2, updated_at = $3 WHERE id = ANY($1::uuid[]) AND status = ANY($4::text[])`,
        [ids, status, now, from],
      );
      return r.rowCount;
    };
    switch (req.action) {
      case 'acknowledge':
        return set('acknowledged', ['new']);
      case 'close':
        return set('closed', ['new', 'acknowledged', 'suppressed']);
      case 'false-positive':
        return set('false-positive', ['new', 'acknowledged', 'suppressed', 'closed']);
      case 'reopen': {
        // Reopening one whose fingerprint is open again (a newer alert) would make two: those stay.
        const r = await tx.query(
          `UPDATE security_alerts a SET status = 'new', updated_at = $2
           WHERE a.id = ANY($1::uuid[]) AND a.status IN ('acknowledged', 'closed', 'false-positive', 'suppressed')
             AND NOT EXISTS (SELECT 1 FROM security_alerts b WHERE b.org_unit_id = a.org_unit_id
               AND b.fingerprint = a.fingerprint AND b.status IN ('new', 'acknowledged') AND b.id <> a.id)`,
          [ids, now],
        );
        return r.rowCount;
      }
      case 'assign': {
        const r = await tx.query(
          `UPDATE security_alerts SET assignee = $2, updated_at = $3 WHERE id = ANY($1::uuid[])
             AND assignee IS DISTINCT FROM $2`,
          [ids, req.assignee ?? null, now],
        );
        return r.rowCount;
      }
      case 'to-incident': {
        const inc = await this.loadIncident(tx, identity, req.incidentId!, true);
        this.assertActor(identity, inc);
        let n = 0;
        const alerts = await tx.query<AlertRow>(
          `SELECT ${ALERT_COLUMNS} FROM security_alerts a JOIN org_units o ON o.id = a.org_unit_id
           WHERE a.id = ANY($1::uuid[]) AND a.incident_id IS DISTINCT FROM $2::uuid`,
          [ids, inc.id],
        );
        for (const a of alerts.rows) {
          if (a.incident_id) await this.detach(tx, a.incident_id, a.id);
          await this.joinIncident(
            tx,
            inc.id,
            a.id,
            this.asInput(a),
            new Date(a.last_seen),
            identity.name,
            true,
          );
          n++;
        }
        if (req.comment) await this.timeline(tx, inc.id, identity.name, 'comment', { text: req.comment });
        return n;
      }
    }
  }

  private asInput(a: AlertRow) {
    return {
      observables: a.observables,
      attack: a.attack,
      reference: a.reference,
      assetAddress: a.asset_address ?? undefined,
      severity: a.severity,
      title: a.title,
    };
  }

  private async detach(tx: Queryable, incidentId: string, alertId: string): Promise<void> {
    await tx.query(`DELETE FROM security_incident_alerts WHERE incident_id = $1 AND alert_id = $2`, [
      incidentId,
      alertId,
    ]);
    await tx.query(
      `UPDATE security_incidents SET alert_count = (SELECT count(*) FROM security_incident_alerts WHERE incident_id = $1)
       WHERE id = $1`,
      [incidentId],
    );
  }

  // --- Incidents -------------------------------------------------------------------------------

  /**
   * The incident scoping rule: visible to the owner's subtree, and to the units on the path from
   * the owner up to the highest unit it was escalated to (or opened by). Never to a sibling.
   */
  private incidentVisible(identity: Identity, params: unknown[]): string {
    if (identity.kind === 'system') return 'true';
    params.push(identity.orgUnitPath);
    const p = `$${params.length}::text`;
    return `(starts_with(${p}, i.org_path) OR (starts_with(i.org_path, ${p}) AND starts_with(${p}, i.chain_top_path)))`;
  }

  private sees(identity: Identity, inc: Pick<IncidentRow, 'org_path' | 'chain_top_path'>): boolean {
    if (identity.kind === 'system') return true;
    const p = identity.orgUnitPath;
    return within(p, inc.org_path) || (within(inc.org_path, p) && within(p, inc.chain_top_path));
  }

  /** On the chain from the owner up to the top (not merely below the owner): may act on it. */
  private onChain(identity: Identity, inc: Pick<IncidentRow, 'org_path' | 'chain_top_path'>): boolean {
    if (identity.kind === 'system') return true;
    const p = identity.orgUnitPath;
    return within(inc.org_path, p) && within(p, inc.chain_top_path);
  }

  /** Changes (status, assignee, severity, title, alerts) are the handler's, or a unit above it on the chain. */
  private assertActor(identity: Identity, inc: IncidentRow): void {
    if (!this.onChain(identity, inc)) {
      throw new ConflictError(
        `only ${inc.org_unit_name} and the units it was escalated to may change this incident`,
        {
          code: 'security.incident_not_handler',
          details: [
            {
              path: 'orgUnitId',
              message: 'not on the escalation chain',
              params: { handler: inc.handler_org_unit_id },
            },
          ],
        },
      );
    }
    if (identity.kind !== 'system' && !within(inc.handler_path, identity.orgUnitPath)) {
      throw new ConflictError(
        `the incident is handled by ${inc.handler_org_unit_name}: it may change it, or hand it back`,
        {
          code: 'security.incident_not_handler',
          details: [
            {
              path: 'handlerOrgUnitId',
              message: 'handled by another unit',
              params: { handler: inc.handler_org_unit_id },
            },
          ],
        },
      );
    }
  }

  private async loadIncident(
    q: Queryable,
    identity: Identity,
    id: string,
    lock = false,
  ): Promise<IncidentRow> {
    assertUuid(id, 'incident');
    if (lock) await q.query(`SELECT 1 FROM security_incidents WHERE id = $1 FOR UPDATE`, [id]);
    const r = await q.query<IncidentRow>(`SELECT ${INCIDENT_COLUMNS} FROM ${INCIDENT_FROM} WHERE i.id = $1`, [
      id,
    ]);
    const row = r.rows[0];
    if (!row || !this.sees(identity, row)) throw new NotFoundError(`incident "${id}" not found`);
    return row;
  }

  async listIncidents(
    identity: Identity,
    query: IncidentQuery,
  ): Promise<{ items: IncidentView[]; nextCursor: string | null }> {
    requirePermission(identity, 'security:read');
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const params: unknown[] = [];
    const where = [this.incidentVisible(identity, params)];
    if (query.orgUnit) {
      // A unit the caller may name: its own subtree, or a unit above it (incidents escalated there).
      const path = await this.d.orgUnits.pathOf(query.orgUnit);
      if (!path || !(within(path, identity.orgUnitPath) || within(identity.orgUnitPath, path)))
        throw new NotFoundError(`org unit "${query.orgUnit}" not found`);
      params.push(`${path}%`);
      where.push(`i.org_path LIKE $${params.length}`);
    }
    if (query.status?.length) where.push(`i.status IN (${query.status.map((s) => `'${s}'`).join(', ')})`);
    if (query.severity?.length)
      where.push(`i.severity IN (${query.severity.map((s) => `'${s}'`).join(', ')})`);
    if (query.escalated === true) where.push('i.chain_top_path <> i.org_path');
    if (query.escalated === false) where.push('i.chain_top_path = i.org_path');
    if (query.cursor) {
      const c = decodeCursor(query.cursor);
      if (!c) throw new InputError('cursor is not valid: pass the nextCursor of the previous page');
      params.push(new Date(c.at), c.id);
      where.push(`(i.updated_at, i.id) < ($${params.length - 1}, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const r = await this.d.db.query<IncidentRow>(
      `SELECT ${INCIDENT_COLUMNS} FROM ${INCIDENT_FROM} WHERE ${where.join(' AND ')}
       ORDER BY i.updated_at DESC, i.id DESC LIMIT $${params.length}`,
      params,
    );
    const rows = r.rows.slice(0, limit);
    const last = rows[rows.length - 1];
    return {
      items: rows.map(toIncident),
      nextCursor: r.rows.length > limit && last ? encodeCursor(last.updated_at, last.id) : null,
    };
  }

  async getIncident(identity: Identity, id: string): Promise<IncidentDetail> {
    requirePermission(identity, 'security:read');
    const row = await this.loadIncident(this.d.db, identity, id);
    return this.incidentDetail(this.d.db, row);
  }

  private async incidentDetail(q: Queryable, row: IncidentRow): Promise<IncidentDetail> {
    const alerts = await q.query<AlertRow>(
      `SELECT ${ALERT_COLUMNS} FROM security_incident_alerts x JOIN security_alerts a ON a.id = x.alert_id
         JOIN org_units o ON o.id = a.org_unit_id
       WHERE x.incident_id = $1 ORDER BY a.last_seen DESC, a.id DESC LIMIT 1000`,
      [row.id],
    );
    const tl = await q.query<{
      at: Date | string;
      actor: string;
      kind: TimelineKind;
      from_value: string | null;
      to_value: string | null;
      text: string | null;
      org_unit_id: string | null;
    }>(
      `SELECT at, actor, kind, from_value, to_value, text, org_unit_id FROM security_incident_timeline
       WHERE incident_id = $1 ORDER BY id LIMIT 10000`,
      [row.id],
    );
    return {
      ...toIncident(row),
      alerts: alerts.rows.map(toAlert),
      timeline: tl.rows.map((t) => ({
        at: iso(t.at),
        actor: t.actor,
        kind: t.kind,
        ...(t.from_value !== null ? { from: t.from_value } : {}),
        ...(t.to_value !== null ? { to: t.to_value } : {}),
        ...(t.text !== null ? { text: t.text } : {}),
        ...(t.org_unit_id !== null ? { orgUnitId: t.org_unit_id } : {}),
      })),
    };
  }

  /** Runs a change of one incident in a transaction and answers the incident as it is after it. */
  private async change(
    identity: Identity,
    id: string,
    action: string,
    fn: (tx: Queryable, inc: IncidentRow) => Promise<Record<string, unknown>>,
  ): Promise<IncidentDetail> {
    requirePermission(identity, 'security:write');
    return this.d.db.transaction(async (tx) => {
      const inc = await this.loadIncident(tx, identity, id, true);
      const details = await fn(tx, inc);
      await tx.query(`UPDATE security_incidents SET updated_at = $2 WHERE id = $1`, [
        id,
        new Date(this.now()),
      ]);
      await this.d.audit.record(
        identity,
        {
          action: `security.incident.${action}`,
          targetType: 'security-incident',
          targetId: id,
          orgUnitId: inc.org_unit_id,
          details,
        },
        tx,
      );
      const after = await tx.query<IncidentRow>(
        `SELECT ${INCIDENT_COLUMNS} FROM ${INCIDENT_FROM} WHERE i.id = $1`,
        [id],
      );
      return this.incidentDetail(tx, after.rows[0]!);
    });
  }

  /**
   * Opens an incident for `orgUnitId` (the caller's unit or one below it): that unit owns and
   * handles it, and an opener above it stays on the chain (sees it and may act on it).
   */
  async createIncident(
    identity: Identity,
    input: {
      title: string;
      severity: AlertSeverity;
      orgUnitId: string;
      alertIds?: string[] | undefined;
      assignee?: string | undefined;
      description?: string | undefined;
    },
  ): Promise<IncidentDetail> {
    requirePermission(identity, 'security:write');
    return this.d.db.transaction(async (tx) => {
      const path = await this.d.orgUnits.assertInScope(identity, input.orgUnitId, tx);
      const top = identity.kind === 'system' ? path : identity.orgUnitPath;
      const id = randomUUID();
      const now = new Date(this.now());
      await tx.query(
        `INSERT INTO security_incidents (id, title, description, severity, status, org_unit_id, org_path,
           handler_org_unit_id, chain_top_path, assignee, opened_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'new', $5, $6, $5, $7, $8, $9, $10, $10)`,
        [
          id,
          input.title,
          input.description ?? null,
          input.severity,
          input.orgUnitId,
          path,
          top,
          input.assignee ?? null,
          identity.name,
          now,
        ],
      );
      await this.timeline(tx, id, identity.name, 'created', {
        to: 'new',
        orgUnitId: input.orgUnitId,
        text: input.description ?? null,
      });
      if (input.assignee) await this.timeline(tx, id, identity.name, 'assigned', { to: input.assignee });
      const alertIds = [...new Set(input.alertIds ?? [])];
      if (alertIds.length > MAX_IDS) throw new InputError(`at most ${MAX_IDS} alertIds`);
      for (const alertId of alertIds) {
        const a = await this.loadAlert(tx, identity, alertId, true);
        if (a.incident_id) await this.detach(tx, a.incident_id, a.id);
        await this.joinIncident(tx, id, a.id, this.asInput(a), new Date(a.last_seen), identity.name, true);
      }
      await tx.query(
        `UPDATE security_incidents SET last_alert_at = COALESCE(last_alert_at, $2) WHERE id = $1`,
        [id, now],
      );
      await this.d.audit.record(
        identity,
        {
          action: 'security.incident.create',
          targetType: 'security-incident',
          targetId: id,
          orgUnitId: input.orgUnitId,
          details: { ...input },
        },
        tx,
      );
      const row = await tx.query<IncidentRow>(
        `SELECT ${INCIDENT_COLUMNS} FROM ${INCIDENT_FROM} WHERE i.id = $1`,
        [id],
      );
      await this.notify(
        tx,
        'security-incident',
        id,
        input.orgUnitId,
        input.severity,
        `new security incident: ${input.title}`,
      );
      return this.incidentDetail(tx, row.rows[0]!);
    });
  }

  /** Status (by the workflow), assignee, severity, title. */
  async patchIncident(
    identity: Identity,
    id: string,
    patch: {
      status?: IncidentStatus | undefined;
      assignee?: string | null | undefined;
      severity?: AlertSeverity | undefined;
      title?: string | undefined;
    },
  ): Promise<IncidentDetail> {
    return this.change(identity, id, 'update', async (tx, inc) => {
      this.assertActor(identity, inc);
      const now = new Date(this.now());
      const actor = identity.name;
      if (patch.status !== undefined && patch.status !== inc.status) {
        const allowed = INCIDENT_TRANSITIONS[inc.status];
        if (!allowed.includes(patch.status)) {
          throw new ConflictError(
            `an incident cannot go from ${inc.status} to ${patch.status}; from ${inc.status} it may go to ${allowed.join(', ')}`,
            {
              code: 'security.transition_invalid',
              details: [
                {
                  path: 'status',
                  message: 'not allowed from the current status',
                  params: { from: inc.status, to: patch.status, allowed: allowed.join(',') },
                },
              ],
            },
          );
        }
        const closing = CLOSED_INCIDENT_STATUSES.includes(patch.status);
        await tx.query(
          `UPDATE security_incidents SET status = $2,
             acknowledged_at = COALESCE(acknowledged_at, $3),
             resolved_at = CASE WHEN $4::boolean THEN $3 ELSE NULL END
           WHERE id = $1`,
          [id, patch.status, now, closing],
        );
        await this.timeline(tx, id, actor, 'status', { from: inc.status, to: patch.status });
        if (closing) await this.endAlarms(tx, inc);
      }
      if (patch.assignee !== undefined && patch.assignee !== inc.assignee) {
        await tx.query(`UPDATE security_incidents SET assignee = $2 WHERE id = $1`, [id, patch.assignee]);
        await this.timeline(tx, id, actor, 'assigned', { from: inc.assignee, to: patch.assignee });
      }
      if (patch.severity !== undefined && patch.severity !== inc.severity) {
        await tx.query(`UPDATE security_incidents SET severity = $2 WHERE id = $1`, [id, patch.severity]);
        await this.timeline(tx, id, actor, 'severity', { from: inc.severity, to: patch.severity });
      }
      if (patch.title !== undefined && patch.title !== inc.title) {
        await tx.query(`UPDATE security_incidents SET title = $2 WHERE id = $1`, [id, patch.title]);
        await this.timeline(tx, id, actor, 'title', { from: inc.title, to: patch.title });
      }
      return { ...patch, from: { status: inc.status, assignee: inc.assignee, severity: inc.severity } };
    });
  }

  /** Whoever sees the incident may comment on it. */
  async comment(identity: Identity, id: string, text: string): Promise<IncidentDetail> {
    return this.change(identity, id, 'comment', async (tx, inc) => {
      await this.timeline(tx, id, identity.name, 'comment', {
        text,
        orgUnitId: identity.kind === 'system' ? inc.org_unit_id : identity.orgUnitId,
      });
      return { length: text.length };
    });
  }

  /**
   * Sends the incident up: to `toOrgUnitId` (an ancestor of the current top of the chain), by
   * default the parent of the top. The units on the way see it from now on; the target unit is
   * notified.
   */
  async escalate(
    identity: Identity,
    id: string,
    body: { toOrgUnitId?: string | undefined; note?: string | undefined },
  ): Promise<IncidentDetail> {
    return this.change(identity, id, 'escalate', async (tx, inc) => {
      if (!this.onChain(identity, inc)) {
        throw new ConflictError(
          `only ${inc.org_unit_name} and the units it was escalated to may escalate it`,
          {
            code: 'security.incident_not_handler',
          },
        );
      }
      let target: { id: string; path: string; name: string } | undefined;
      if (body.toOrgUnitId) {
        const r = await tx.query<{ id: string; path: string; name: string }>(
          `SELECT id, path, name FROM org_units WHERE id = $1`,
          [body.toOrgUnitId],
        );
        target = r.rows[0];
        // Only an ancestor may be named; anything else (a sibling, a unit below) is as if absent.
        if (!target || !within(inc.org_path, target.path))
          throw new NotFoundError(`org unit "${body.toOrgUnitId}" not found`);
        if (within(target.path, inc.chain_top_path)) {
          throw new InputError(`the incident is already visible to ${target.name}; escalate above it`, {
            code: 'security.escalation_invalid',
          });
        }
      } else {
        const r = await tx.query<{ id: string; path: string; name: string }>(
          `SELECT p.id, p.path, p.name FROM org_units t JOIN org_units p ON p.id = t.parent_id WHERE t.path = $1`,
          [inc.chain_top_path],
        );
        target = r.rows[0];
        if (!target) {
          throw new InputError('the incident is already at the top of the hierarchy', {
            code: 'security.escalation_invalid',
          });
        }
      }
      await tx.query(`UPDATE security_incidents SET chain_top_path = $2 WHERE id = $1`, [id, target.path]);
      await this.timeline(tx, id, identity.name, 'escalated', {
        from: inc.escalated_to[0]?.orgUnitId ?? inc.org_unit_id,
        to: target.id,
        text: body.note ?? null,
        orgUnitId: target.id,
      });
      await this.notify(
        tx,
        'security-incident-escalated',
        id,
        target.id,
        inc.severity,
        `security incident escalated from ${inc.org_unit_name} to ${target.name}: ${inc.title}`,
      );
      return { to: target.id, note: body.note };
    });
  }

  /** A unit above the handler on the chain becomes the handler. */
  async takeOver(identity: Identity, id: string): Promise<IncidentDetail> {
    return this.change(identity, id, 'take-over', async (tx, inc) => {
      if (
        identity.kind === 'system' ||
        !this.onChain(identity, inc) ||
        identity.orgUnitPath === inc.handler_path ||
        !within(inc.handler_path, identity.orgUnitPath)
      ) {
        throw new ConflictError(
          `only a unit above ${inc.handler_org_unit_name} that the incident was escalated to may take it over`,
          {
            code: 'security.incident_not_handler',
          },
        );
      }
      await tx.query(`UPDATE security_incidents SET handler_org_unit_id = $2 WHERE id = $1`, [
        id,
        identity.orgUnitId,
      ]);
      await this.timeline(tx, id, identity.name, 'taken-over', {
        from: inc.handler_org_unit_id,
        to: identity.orgUnitId,
        orgUnitId: identity.orgUnitId,
      });
      return { from: inc.handler_org_unit_id, to: identity.orgUnitId };
    });
  }

  /** The handler (or a unit above it) gives the incident back to its owner. */
  async handBack(identity: Identity, id: string, note?: string): Promise<IncidentDetail> {
    return this.change(identity, id, 'hand-back', async (tx, inc) => {
      if (inc.handler_org_unit_id === inc.org_unit_id) {
        throw new ConflictError(`${inc.org_unit_name} handles the incident already`, {
          code: 'conflict.state',
        });
      }
      this.assertActor(identity, inc);
      await tx.query(`UPDATE security_incidents SET handler_org_unit_id = org_unit_id WHERE id = $1`, [id]);
      await this.timeline(tx, id, identity.name, 'handed-back', {
        from: inc.handler_org_unit_id,
        to: inc.org_unit_id,
        text: note ?? null,
        orgUnitId: inc.org_unit_id,
      });
      return { from: inc.handler_org_unit_id, to: inc.org_unit_id, note };
    });
  }

  /**
   * A unit on the chain moves the incident to a unit below it (which then owns and handles it);
   * the top of the chain stays, so the caller keeps seeing it.
   */
  async assignDown(
    identity: Identity,
    id: string,
    body: { orgUnitId: string; note?: string | undefined },
  ): Promise<IncidentDetail> {
    return this.change(identity, id, 'assign-down', async (tx, inc) => {
      if (!this.onChain(identity, inc)) {
        throw new ConflictError(`only ${inc.org_unit_name} and the units it was escalated to may assign it`, {
          code: 'security.incident_not_handler',
        });
      }
      const path = await this.d.orgUnits.assertInScope(identity, body.orgUnitId, tx);
      if (identity.kind !== 'system' && path === identity.orgUnitPath) {
        throw new InputError(
          'assign the incident to a unit below yours (take it over to handle it yourself)',
          {
            code: 'security.escalation_invalid',
          },
        );
      }
      if (body.orgUnitId === inc.org_unit_id && inc.handler_org_unit_id === inc.org_unit_id) {
        throw new ConflictError(`${inc.org_unit_name} owns and handles the incident already`, {
          code: 'conflict.state',
        });
      }
      // The top stays at least where it was and at least the caller's unit.
      const top =
        identity.kind === 'system' || within(identity.orgUnitPath, inc.chain_top_path)
          ? inc.chain_top_path
          : identity.orgUnitPath;
      await tx.query(
        `UPDATE security_incidents SET org_unit_id = $2, org_path = $3, handler_org_unit_id = $2, chain_top_path = $4 WHERE id = $1`,
        [id, body.orgUnitId, path, within(path, top) ? top : path],
      );
      await this.timeline(tx, id, identity.name, 'assigned', {
        from: inc.org_unit_id,
        to: body.orgUnitId,
        text: body.note ?? null,
        orgUnitId: body.orgUnitId,
      });
      await this.notify(
        tx,
        'security-incident',
        id,
        body.orgUnitId,
        inc.severity,
        `security incident assigned to your unit by ${identity.name}: ${inc.title}`,
      );
      return { from: inc.org_unit_id, to: body.orgUnitId, note: body.note };
    });
  }

  // --- Suppressions ---------------------------------------------------------------------------

  async listSuppressions(
    identity: Identity,
    opts: { all?: boolean | undefined } = {},
  ): Promise<{ items: SuppressionView[] }> {
    requirePermission(identity, 'security:read');
    const params: unknown[] = [];
    const where: string[] = [];
    if (identity.kind !== 'system') {
      params.push(`${identity.orgUnitPath}%`);
      where.push(`org_path LIKE $${params.length}`);
    }
    if (!opts.all) {
      params.push(new Date(this.now()));
      where.push(`expires_at > $${params.length}`);
    }
    const r = await this.d.db.query<SuppressionRow>(
      `SELECT id::text AS id, org_unit_id, org_path, match_source, match_reference, match_observable_type,
         match_observable_value, reason, author, created_at, expires_at, suppressed::float8 AS suppressed, match_org_unit
       FROM security_suppressions ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY created_at DESC LIMIT 1000`,
      params,
    );
    const now = this.now();
    return { items: r.rows.map((x) => toSuppression(x, now)) };
  }

  async createSuppression(
    identity: Identity,
    input: { match: SuppressionMatch; reason: string; expiresAt: string },
  ): Promise<SuppressionView> {
    requirePermission(identity, 'security:write');
    const m = input.match;
    if (!m.source && !m.reference && !m.observable) {
      throw new InputError('a suppression matches by source, reference or observable (at least one)', {
        code: 'security.suppression_invalid',
        details: [{ path: 'match', message: 'give source, reference or observable' }],
      });
    }
    const now = this.now();
    const expires = Date.parse(input.expiresAt);
    const maxDays = this.policy().suppressions.maxDays;
    if (!(expires > now) || expires - now > maxDays * 86_400_000) {
      throw new InputError(`expiresAt must be in the future and at most ${maxDays} days away`, {
        code: 'security.suppression_invalid',
        details: [
          { path: 'expiresAt', message: `in the future, at most ${maxDays} days away`, params: { maxDays } },
        ],
      });
    }
    return this.d.db.transaction(async (tx) => {
      let unitId: string;
      let path: string;
      if (m.orgUnitId) {
        unitId = m.orgUnitId;
        path = await this.d.orgUnits.assertInScope(identity, m.orgUnitId, tx);
      } else if (identity.kind === 'system') {
        const root = await this.d.orgUnits.root();
        if (!root) throw new InputError('no org units yet');
        unitId = root.id;
        path = root.path;
      } else {
        unitId = identity.orgUnitId;
        path = identity.orgUnitPath;
      }
      const id = randomUUID();
      const r = await tx.query<SuppressionRow>(
        `INSERT INTO security_suppressions (id, org_unit_id, org_path, match_org_unit, match_source, match_reference,
           match_observable_type, match_observable_value, reason, author, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         RETURNING id::text AS id, org_unit_id, org_path, match_source, match_reference, match_observable_type,
           match_observable_value, reason, author, created_at, expires_at, suppressed::float8 AS suppressed, match_org_unit`,
        [
          id,
          unitId,
          path,
          Boolean(m.orgUnitId),
          m.source ?? null,
          m.reference ?? null,
          m.observable?.type ?? null,
          m.observable?.value ?? null,
          input.reason,
          identity.name,
          new Date(now),
          new Date(expires),
        ],
      );
      await this.d.audit.record(
        identity,
        {
          action: 'security.suppression.create',
          targetType: 'security-suppression',
          targetId: id,
          orgUnitId: unitId,
          details: { ...input },
        },
        tx,
      );
      return toSuppression(r.rows[0]!, now);
    });
  }

  async deleteSuppression(identity: Identity, id: string): Promise<void> {
    requirePermission(identity, 'security:write');
    assertUuid(id, 'suppression');
    await this.d.db.transaction(async (tx) => {
      const r = await tx.query<{ org_path: string; org_unit_id: string }>(
        `SELECT org_path, org_unit_id FROM security_suppressions WHERE id = $1 FOR UPDATE`,
        [id],
      );
      const row = r.rows[0];
      if (!row || !this.seesPath(identity, row.org_path))
        throw new NotFoundError(`suppression "${id}" not found`);
      await tx.query(`DELETE FROM security_suppressions WHERE id = $1`, [id]);
      await this.d.audit.record(
        identity,
        {
          action: 'security.suppression.delete',
          targetType: 'security-suppression',
          targetId: id,
          orgUnitId: row.org_unit_id,
        },
        tx,
      );
    });
  }

  // --- Figures ---------------------------------------------------------------------------------

  /** `openAlerts`, `openIncidents`, `bySeverity` (open alerts) in the caller's scope. */
  async overview(identity: Identity): Promise<Record<string, unknown>> {
    if (!can(identity, 'security:read')) return {};
    const params: unknown[] = [];
    let scope = '';
    if (identity.kind !== 'system') {
      params.push(`${identity.orgUnitPath}%`);
      scope = ' AND a.org_path LIKE $1';
    }
    const a = await this.d.db.query<{ severity: AlertSeverity; n: number }>(
      `SELECT a.severity, count(*)::int AS n FROM security_alerts a WHERE a.status IN ('new', 'acknowledged')${scope}
       GROUP BY a.severity`,
      params,
    );
    const iparams: unknown[] = [];
    const i = await this.d.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM security_incidents i
       WHERE i.status NOT IN ('resolved', 'false-positive') AND ${this.incidentVisible(identity, iparams)}`,
      iparams,
    );
    const bySeverity: Record<AlertSeverity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
    for (const r of a.rows) bySeverity[r.severity] = r.n;
    return {
      openAlerts: Object.values(bySeverity).reduce((s, n) => s + n, 0),
      openIncidents: i.rows[0]?.n ?? 0,
      bySeverity,
    };
  }

  /**
   * Open alerts and incidents per org unit (the owner's unit), by severity, for the risk part.
   * Not scoped: the risk part scopes what it shows.
   */
  async openByOrgUnit(): Promise<
    { orgUnitId: string; orgPath: string; severity: AlertSeverity; alerts: number; incidents: number }[]
  > {
    const r = await this.d.db.query<{
      org_unit_id: string;
      org_path: string;
      severity: AlertSeverity;
      alerts: number;
      incidents: number;
    }>(
      `SELECT org_unit_id, org_path, severity, sum(alerts)::int AS alerts, sum(incidents)::int AS incidents FROM (
         SELECT org_unit_id, org_path, severity, count(*) AS alerts, 0 AS incidents FROM security_alerts
          WHERE status IN ('new', 'acknowledged') GROUP BY 1, 2, 3
         UNION ALL
         SELECT org_unit_id, org_path, severity, 0, count(*) FROM security_incidents
          WHERE status NOT IN ('resolved', 'false-positive') GROUP BY 1, 2, 3) x
       GROUP BY 1, 2, 3 ORDER BY 2, 3`,
    );
    return r.rows.map((x) => ({
      orgUnitId: x.org_unit_id,
      orgPath: x.org_path,
      severity: x.severity,
      alerts: x.alerts,
      incidents: x.incidents,
    }));
  }

  jobs(): ModuleJob[] {
    return [];
  }
}
