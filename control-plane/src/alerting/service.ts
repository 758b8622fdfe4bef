import { z } from 'zod';
import { ConflictError, InputError, NotFoundError, zodDetails } from '../errors.js';
import type { AuditLog } from '../auth/audit.js';
import { inScope, requirePermission, type Identity } from '../auth/identity.js';
import type { Permission } from '../auth/permissions.js';
import type { OrgUnitService } from '../inventory/org-units.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Queryable, StateStore } from '../store/state/index.js';
import { AlertingConfig } from './config.js';
import { AlertingMetrics } from './metrics.js';
import type { NotificationsPolicy } from './policy.js';
import { receiversFor } from './routing.js';
import {
  ALARM_SEVERITIES,
  type Alarm,
  type AlarmCondition,
  type AlarmDomain,
  type AlarmListOptions,
  type AlarmPage,
  type AlarmService,
  type AlarmSeverity,
  type AlarmSummary,
  type DeliveryReport,
} from './types.js';
import { buildPayload, fingerprintOf, postWebhook, type NotifiedAlarm } from './webhook.js';

const Name = z.string().regex(/^[a-z][a-z0-9.-]{0,62}$/, 'must be lowercase letters, digits, "." and "-"');

/** Validates what other modules fire; a bad condition is a programming error named precisely. */
export const AlarmConditionSchema = z
  .object({
    kind: Name,
    severity: z.enum(ALARM_SEVERITIES),
    orgUnitId: z.string().min(1).max(63),
    targetType: Name,
    targetId: z.string().min(1).max(200),
    summary: z.string().trim().min(1).max(1000),
    labels: z
      .record(
        z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]{0,62}$/, 'label names are Prometheus label names'),
        z.string().max(1000),
      )
      .refine((l) => Object.keys(l).length <= 32, 'at most 32 labels')
      .optional(),
  })
  .strict();

export interface AlarmServiceDeps {
  db: StateStore;
  orgUnits: OrgUnitService;
  audit: AuditLog;
  /** The notification policy in force (hot-reloaded by the caller). */
  notifications: () => NotificationsPolicy;
  metrics: Metrics;
  log: Logger;
  /** Partial configuration; defaults fill the rest. */
  config?: Partial<AlertingConfig> | undefined;
  /** The control plane's public URL, for `externalURL` and `generatorURL` in notifications. */
  externalUrl?: string | undefined;
  /** Sent as the User-Agent of webhook requests. */
  userAgent?: string | undefined;
  /** The alarm domains the modules declare (see `ModuleDefinition.alarmDomains`), beside the configured ones. */
  domains?: readonly AlarmDomain[] | undefined;
}

interface AlarmRow {
  id: string;
  kind: string;
  severity: AlarmSeverity;
  state: 'firing' | 'resolved';
  org_unit_id: string;
  target_type: string;
  target_id: string;
  summary: string;
  labels: Record<string, string> | string;
  starts_at: Date | string;
  last_seen_at: Date | string;
  ends_at: Date | string | null;
  acknowledged_at: Date | string | null;
  acknowledged_by: string | null;
  path: string;
}

interface ClaimRow {
  id: string;
  alarm_id: string;
  receiver: string;
  event: 'firing' | 'resolved';
  version: number;
  attempts: number;
}

const ALARM_COLUMNS = `a.id::text AS id, a.kind, a.severity, a.state, a.org_unit_id, a.target_type, a.target_id,
  a.summary, a.labels, a.starts_at, a.last_seen_at, a.ends_at, a.acknowledged_at, a.acknowledged_by, o.path`;

const iso = (d: Date | string) => new Date(d).toISOString();
const labelsOf = (l: AlarmRow['labels']): Record<string, string> =>
  typeof l === 'string' ? (JSON.parse(l) as Record<string, string>) : l;

function toAlarm(r: AlarmRow): Alarm {
  return {
    id: r.id,
    kind: r.kind,
    severity: r.severity,
    state: r.state,
    orgUnitId: r.org_unit_id,
    targetType: r.target_type,
    targetId: r.target_id,
    summary: r.summary,
    labels: labelsOf(r.labels),
    startsAt: iso(r.starts_at),
    lastSeenAt: iso(r.last_seen_at),
    endsAt: r.ends_at ? iso(r.ends_at) : null,
    acknowledgedAt: r.acknowledged_at ? iso(r.acknowledged_at) : null,
    acknowledgedBy: r.acknowledged_by,
  };
}

/** Lower is more urgent. */
const rank = (s: AlarmSeverity) => ALARM_SEVERITIES.indexOf(s);

const ALARM_ID = /^[1-9][0-9]{0,17}$/;

/**
 * Alarms in PostgreSQL: deduplicated by fingerprint, scoped by org unit, acknowledged with an audit
 * entry, and notified through Alertmanager-compatible webhooks by `deliver()`, which a scheduler job
 * runs on every replica (claims make each notification go out once).
 */
export class DefaultAlarmService implements AlarmService {
  readonly config: AlertingConfig;
  readonly metrics: AlertingMetrics;
  private readonly runner = `${process.pid}@${Math.random().toString(36).slice(2, 10)}`;

  constructor(private readonly deps: AlarmServiceDeps) {
    const configured = AlertingConfig.parse(deps.config ?? {});
    this.config = { ...configured, domains: [...configured.domains, ...(deps.domains ?? [])] };
    if (deps.externalUrl !== undefined && !/^https?:\/\//.test(deps.externalUrl)) {
      throw new Error('alarm service requires "externalUrl" to be an http:// or https:// URL');
    }
    this.metrics = new AlertingMetrics(deps.metrics.registry, async () => {
      const r = await deps.db.query<{ kind: string; severity: string; n: number }>(
        `SELECT kind, severity, count(*)::int AS n FROM alarms WHERE state = 'firing' GROUP BY kind, severity`,
      );
      return r.rows;
    });
  }

  /** The domains configured, for callers that filter by one (`GET /api/v1/network/alarms`). */
  get domains(): readonly AlarmDomain[] {
    return this.config.domains;
  }

  // --- The sink -------------------------------------------------------------------------------------

  async fire(condition: AlarmCondition, at: Date = new Date(), tx?: Queryable): Promise<void> {
    const parsed = AlarmConditionSchema.safeParse(condition);
    if (!parsed.success) {
      const details = zodDetails(parsed.error.issues);
      throw new InputError(
        `alarm condition is not valid: ${details[0]!.path}: ${details[0]!.message}`,
        details,
      );
    }
    const c = parsed.data;
    const fp = fingerprintOf(c.kind, c.targetType, c.targetId);
    const labels = JSON.stringify(c.labels ?? {});
    const run = async (q: Queryable) => {
      const path = await this.deps.orgUnits.pathOf(c.orgUnitId, q);
      if (!path)
        throw new InputError(`alarm condition is not valid: org unit "${c.orgUnitId}" does not exist`);
      // Another replica may open the same alarm between our look and our insert; the insert then does
      // nothing and the next look finds (and locks) that replica's row.
      for (let attempt = 0; attempt < 3; attempt++) {
        const existing = await q.query<{ id: string; severity: AlarmSeverity }>(
          `SELECT id::text AS id, severity FROM alarms WHERE fingerprint = $1 AND state = 'firing' FOR UPDATE`,
          [fp],
        );
        const row = existing.rows[0];
        if (row) {
          await q.query(
            `UPDATE alarms SET severity = $2, summary = $3, labels = $4::jsonb, org_unit_id = $5,
               last_seen_at = GREATEST(last_seen_at, $6::timestamptz)
             WHERE id = $1`,
            [row.id, c.severity, c.summary, labels, c.orgUnitId, at],
          );
          if (rank(c.severity) < rank(row.severity)) {
            await this.queueFiring(q, row.id, { kind: c.kind, severity: c.severity, orgUnitPath: path }, 0);
          }
          return;
        }
        const inserted = await q.query<{ id: string }>(
          `INSERT INTO alarms (fingerprint, kind, severity, state, org_unit_id, target_type, target_id, summary,
             labels, starts_at, last_seen_at)
           VALUES ($1, $2, $3, 'firing', $4, $5, $6, $7, $8::jsonb, $9, $9)
           ON CONFLICT (fingerprint) WHERE state = 'firing' DO NOTHING
           RETURNING id::text AS id`,
          [fp, c.kind, c.severity, c.orgUnitId, c.targetType, c.targetId, c.summary, labels, at],
        );
        const id = inserted.rows[0]?.id;
        if (id) {
          const policy = this.deps.notifications();
          await this.queueFiring(
            q,
            id,
            { kind: c.kind, severity: c.severity, orgUnitPath: path },
            policy.groupWaitSeconds,
          );
          return;
        }
      }
      throw new ConflictError(
        `alarm ${c.kind} on ${c.targetType} ${c.targetId} is changing too fast; try again`,
      );
    };
    await (tx ? run(tx) : this.deps.db.transaction(run));
  }

  /**
   * Queues a 'firing' notification of an alarm to every receiver its routes name now, and to the
   * receivers it already had (a raised severity concerns them too).
   */
  private async queueFiring(
    q: Queryable,
    alarmId: string,
    alarm: { kind: string; severity: AlarmSeverity; orgUnitPath: string },
    waitSeconds: number,
  ): Promise<void> {
    const receivers = receiversFor(this.deps.notifications(), alarm);
    await q.query(
      `UPDATE alarm_deliveries SET event = 'firing', status = 'pending', due_at = now(), version = version + 1,
         attempts = 0, last_error = NULL
       WHERE alarm_id = $1`,
      [alarmId],
    );
    if (!receivers.length) return;
    await q.query(
      `INSERT INTO alarm_deliveries (alarm_id, receiver, event, status, due_at)
       SELECT $1, r, 'firing', 'pending', now() + make_interval(secs => $3) FROM unnest($2::text[]) AS r
       ON CONFLICT (alarm_id, receiver) DO NOTHING`,
      [alarmId, receivers, waitSeconds],
    );
  }

  async resolve(
    kind: string,
    targetType: string,
    targetId: string,
    at: Date = new Date(),
    tx?: Queryable,
  ): Promise<void> {
    const fp = fingerprintOf(kind, targetType, targetId);
    const run = async (q: Queryable) => {
      const r = await q.query<{ id: string }>(
        `UPDATE alarms SET state = 'resolved', ends_at = GREATEST($2::timestamptz, starts_at)
         WHERE fingerprint = $1 AND state = 'firing' RETURNING id::text AS id`,
        [fp, at],
      );
      const id = r.rows[0]?.id;
      if (!id) return;
      const sendResolved = this.deps
        .notifications()
        .receivers.filter((x) => x.sendResolved)
        .map((x) => x.name);
      // A receiver hears of the end only if it heard of the start (or may be hearing of it right now).
      await q.query(
        `UPDATE alarm_deliveries SET event = 'resolved', due_at = now(), version = version + 1, attempts = 0,
           last_error = NULL,
           status = CASE WHEN receiver = ANY($2::text[]) AND (sent_at IS NOT NULL OR claimed_until > now())
                         THEN 'pending' ELSE 'done' END
         WHERE alarm_id = $1 AND status <> 'done'`,
        [id, sendResolved],
      );
    };
    await (tx ? run(tx) : this.deps.db.transaction(run));
  }

  // --- Reads and acknowledgement ----------------------------------------------------------------

  private domain(name: string): AlarmDomain {
    const d = this.config.domains.find((x) => x.name === name);
    if (!d) throw new NotFoundError(`no alarm domain named "${name}"`);
    return d;
  }

  /** The permission that acknowledges alarms of `kind`. */
  writePermissionFor(kind: string): Permission {
    const d = this.config.domains.find((x) => x.kindPrefixes.some((p) => kind.startsWith(p)));
    return d?.writePermission ?? this.config.defaultWritePermission;
  }

  /** The path prefix a read covers: the caller's subtree, or `orgUnitId`'s inside it. */
  private async scopePath(identity: Identity, orgUnitId: string | undefined): Promise<string> {
    if (!orgUnitId) return identity.orgUnitPath;
    return this.deps.orgUnits.assertInScope(identity, orgUnitId);
  }

  private filters(
    path: string,
    opts: { kind?: string | undefined; domain?: string | undefined },
    params: unknown[],
  ): string[] {
    params.push(`${path}%`);
    const where = [`o.path LIKE $${params.length}`];
    if (opts.kind) {
      params.push(opts.kind);
      where.push(`a.kind = $${params.length}`);
    }
    if (opts.domain) {
      params.push(this.domain(opts.domain).kindPrefixes.map((p) => `${p.replace(/[\\%_]/g, '\\$&')}%`));
      where.push(`a.kind LIKE ANY($${params.length}::text[])`);
    }
    return where;
  }

  async list(identity: Identity, opts: AlarmListOptions = {}): Promise<AlarmPage> {
    requirePermission(identity, this.config.readPermission);
    const limit = Math.min(Math.max(opts.limit ?? 100, 1), 1000);
    const path = await this.scopePath(identity, opts.orgUnitId);
    const params: unknown[] = [];
    const where = this.filters(path, opts, params);
    const state = opts.state ?? 'firing';
    if (state !== 'all') {
      params.push(state);
      where.push(`a.state = $${params.length}`);
    }
    if (opts.before !== undefined) {
      if (!ALARM_ID.test(opts.before)) throw new InputError('before must be an alarm id');
      params.push(opts.before);
      where.push(`a.id < $${params.length}::bigint`);
    }
    params.push(limit + 1);
    const r = await this.deps.db.query<AlarmRow>(
      `SELECT ${ALARM_COLUMNS} FROM alarms a JOIN org_units o ON o.id = a.org_unit_id
       WHERE ${where.join(' AND ')} ORDER BY a.id DESC LIMIT $${params.length}`,
      params,
    );
    const rows = r.rows.slice(0, limit);
    return {
      items: rows.map(toAlarm),
      nextBefore: r.rows.length > limit ? rows[rows.length - 1]!.id : null,
    };
  }

  private async load(q: Queryable, identity: Identity, id: string, lock: boolean): Promise<AlarmRow> {
    const notFound = new NotFoundError(`alarm "${id}" not found`);
    if (!ALARM_ID.test(id)) throw notFound;
    const r = await q.query<AlarmRow>(
      `SELECT ${ALARM_COLUMNS} FROM alarms a JOIN org_units o ON o.id = a.org_unit_id WHERE a.id = $1::bigint
       ${lock ? 'FOR UPDATE OF a' : ''}`,
      [id],
    );
    const row = r.rows[0];
    if (!row || !inScope(identity, row.path)) throw notFound;
    return row;
  }

  async get(identity: Identity, id: string): Promise<Alarm> {
    requirePermission(identity, this.config.readPermission);
    return toAlarm(await this.load(this.deps.db, identity, id, false));
  }

  async acknowledge(identity: Identity, id: string, comment?: string): Promise<Alarm> {
    requirePermission(identity, this.config.readPermission);
    if (comment !== undefined && comment.length > 1000)
      throw new InputError('comment is longer than 1000 characters');
    return this.deps.db.transaction(async (q) => {
      const row = await this.load(q, identity, id, true);
      requirePermission(identity, this.writePermissionFor(row.kind));
      if (row.acknowledged_at) {
        throw new ConflictError(
          `alarm "${id}" was already acknowledged by ${row.acknowledged_by ?? 'someone'}`,
          { code: 'alarm.already_acknowledged' },
        );
      }
      const r = await q.query<{ acknowledged_at: Date | string }>(
        `UPDATE alarms SET acknowledged_at = now(), acknowledged_by = $2 WHERE id = $1::bigint
         RETURNING acknowledged_at`,
        [id, identity.name],
      );
      await this.deps.audit.record(
        identity,
        {
          action: 'alarm.acknowledge',
          targetType: 'alarm',
          targetId: id,
          orgUnitId: row.org_unit_id,
          details: {
            kind: row.kind,
            targetType: row.target_type,
            targetId: row.target_id,
            state: row.state,
            ...(comment ? { comment } : {}),
          },
        },
        q,
      );
      return toAlarm({ ...row, acknowledged_at: r.rows[0]!.acknowledged_at, acknowledged_by: identity.name });
    });
  }

  async summary(
    identity: Identity,
    opts: { orgUnitId?: string | undefined; domain?: string | undefined } = {},
  ): Promise<AlarmSummary> {
    requirePermission(identity, this.config.readPermission);
    const path = await this.scopePath(identity, opts.orgUnitId);
    const params: unknown[] = [];
    const where = this.filters(path, opts, params);
    const r = await this.deps.db.query<{ severity: AlarmSeverity; n: number; unacked: number }>(
      `SELECT a.severity, count(*)::int AS n, count(*) FILTER (WHERE a.acknowledged_at IS NULL)::int AS unacked
       FROM alarms a JOIN org_units o ON o.id = a.org_unit_id
       WHERE ${where.join(' AND ')} AND a.state = 'firing' GROUP BY a.severity`,
      params,
    );
    const bySeverity = Object.fromEntries(ALARM_SEVERITIES.map((s) => [s, 0])) as Record<
      AlarmSeverity,
      number
    >;
    let firing = 0;
    let unacknowledged = 0;
    for (const row of r.rows) {
      bySeverity[row.severity] = row.n;
      firing += row.n;
      unacknowledged += row.unacked;
    }
    return { firing, unacknowledged, bySeverity };
  }

  // --- Delivery ----------------------------------------------------------------------------------

  /**
   * Claims due deliveries (new, escalated, resolved, retries, and repeats of firing alarms nobody
   * acknowledged), sends them grouped by receiver and kind, and records each outcome. A claim is a
   * lease: a replica that dies mid-send leaves rows that others take over when the lease ends.
   */
  async deliver(): Promise<DeliveryReport> {
    const report: DeliveryReport = { sent: 0, failed: 0, dropped: 0 };
    for (let round = 0; round < 10; round++) {
      const claimed = await this.deliverBatch(report);
      if (claimed < this.config.batchSize) break;
    }
    return report;
  }

  private async deliverBatch(report: DeliveryReport): Promise<number> {
    const policy = this.deps.notifications();
    const leaseSeconds = Math.max(0, ...policy.receivers.map((r) => r.webhook.timeoutMs)) / 1000 + 30;
    const claim = await this.deps.db.query<ClaimRow>(
      `UPDATE alarm_deliveries d SET claimed_by = $1, claimed_until = now() + make_interval(secs => $2)
       WHERE d.id IN (
         SELECT d2.id FROM alarm_deliveries d2 JOIN alarms a ON a.id = d2.alarm_id
         WHERE (d2.claimed_until IS NULL OR d2.claimed_until < now())
           AND ((d2.status = 'pending' AND d2.due_at <= now())
             OR (d2.status = 'sent' AND d2.event = 'firing' AND a.state = 'firing' AND a.acknowledged_at IS NULL
                 AND d2.sent_at <= now() - make_interval(mins => $3)))
         ORDER BY d2.due_at
         LIMIT $4
         FOR UPDATE OF d2 SKIP LOCKED)
       RETURNING d.id::text AS id, d.alarm_id::text AS alarm_id, d.receiver, d.event, d.version, d.attempts`,
      [this.runner, leaseSeconds, policy.repeatIntervalMinutes, this.config.batchSize],
    );
    if (!claim.rowCount) return 0;
    const alarmIds = [...new Set(claim.rows.map((c) => c.alarm_id))];
    const alarms = await this.deps.db.query<AlarmRow>(
      `SELECT ${ALARM_COLUMNS} FROM alarms a JOIN org_units o ON o.id = a.org_unit_id WHERE a.id = ANY($1::bigint[])`,
      [alarmIds],
    );
    const byId = new Map(alarms.rows.map((a) => [a.id, a]));

    // One request per receiver and kind, as Alertmanager groups by alertname.
    const groups = new Map<string, { receiver: string; items: { claim: ClaimRow; alarm: AlarmRow }[] }>();
    for (const c of claim.rows) {
      const alarm = byId.get(c.alarm_id);
      if (!alarm) continue;
      const key = `${c.receiver}\u0000${alarm.kind}`;
      const g = groups.get(key) ?? { receiver: c.receiver, items: [] };
      g.items.push({ claim: c, alarm });
      groups.set(key, g);
    }
    const base = this.deps.externalUrl ?? '';
    await Promise.all(
      [...groups.values()].map(async (g) => {
        const receiver = policy.receivers.find((r) => r.name === g.receiver);
        if (!receiver) {
          report.dropped += g.items.length;
          for (const { claim: c } of g.items)
            await this.drop(c, `receiver "${g.receiver}" is no longer configured`);
          return;
        }
        const notified: NotifiedAlarm[] = g.items.map(({ claim: c, alarm: a }) => ({
          id: a.id,
          status: c.event,
          kind: a.kind,
          severity: a.severity,
          orgUnitId: a.org_unit_id,
          targetType: a.target_type,
          targetId: a.target_id,
          summary: a.summary,
          labels: labelsOf(a.labels),
          startsAt: new Date(a.starts_at),
          endsAt: a.ends_at ? new Date(a.ends_at) : null,
        }));
        let error: string | undefined;
        try {
          await postWebhook(
            receiver,
            buildPayload(receiver.name, notified, base),
            this.deps.userAgent ?? 'Tianshu',
          );
        } catch (err) {
          error = (err as Error).message.slice(0, 500);
        }
        this.metrics.notifications.inc({ receiver: receiver.name, outcome: error ? 'failed' : 'sent' });
        if (error) {
          report.failed++;
          this.deps.log.warn(
            { receiver: receiver.name, alarms: g.items.length, err: error },
            'alarm notification failed, will retry',
          );
        } else {
          report.sent++;
        }
        for (const { claim: c } of g.items) await this.complete(c, error);
        if (!error) {
          await this.deps.db.query('UPDATE alarms SET notified_at = now() WHERE id = ANY($1::bigint[])', [
            g.items.map((i) => i.alarm.id),
          ]);
        }
      }),
    );
    return claim.rowCount;
  }

  private backoffSeconds(attempts: number): number {
    const ms = Math.min(
      this.config.retryBaseMillis * 2 ** Math.min(attempts, 20),
      this.config.retryMaxMillis,
    );
    return ms / 1000;
  }

  /**
   * Records a send's outcome and releases the claim. When the alarm changed while the request was in
   * flight (`version` moved on), the change's new state is kept and only the claim is released.
   */
  private async complete(c: ClaimRow, error: string | undefined): Promise<void> {
    const ok = error === undefined;
    await this.deps.db.query(
      `UPDATE alarm_deliveries SET claimed_by = NULL, claimed_until = NULL, last_attempt_at = now(),
         sent_at = CASE WHEN $3::boolean THEN now() ELSE sent_at END,
         status = CASE WHEN version <> $2 THEN status
                       WHEN $3::boolean THEN (CASE WHEN event = 'resolved' THEN 'done' ELSE 'sent' END)
                       ELSE 'pending' END,
         attempts = CASE WHEN version <> $2 THEN attempts WHEN $3::boolean THEN 0 ELSE attempts + 1 END,
         last_error = CASE WHEN $3::boolean THEN NULL ELSE $4::text END,
         due_at = CASE WHEN version <> $2 OR $3::boolean THEN due_at
                       ELSE now() + make_interval(secs => $5) END
       WHERE id = $1::bigint AND claimed_by = $6`,
      [c.id, c.version, ok, error ?? null, this.backoffSeconds(c.attempts), this.runner],
    );
  }

  private async drop(c: ClaimRow, reason: string): Promise<void> {
    this.deps.log.warn(
      { receiver: c.receiver, alarmId: c.alarm_id },
      'alarm notification dropped, receiver is gone',
    );
    await this.deps.db.query(
      `UPDATE alarm_deliveries SET claimed_by = NULL, claimed_until = NULL, status = 'done', last_error = $2
       WHERE id = $1::bigint AND claimed_by = $3`,
      [c.id, reason, this.runner],
    );
  }
}
