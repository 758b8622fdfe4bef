import { randomUUID } from 'node:crypto';
import { alarmsRef } from '../../alerting/module.js';
import type { AlarmSink } from '../../alerting/types.js';
import { can, inScope, requirePermission, systemIdentity, type Identity } from '../../auth/identity.js';
import {
  ConflictError,
  DomainError,
  InputError,
  NotAllowedError,
  NotFoundError,
  notAvailable,
} from '../../errors.js';
import { ORG_LEVELS, type OrgLevel } from '../../inventory/org-units.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { Queryable } from '../../store/state/index.js';
import type { QuotasPolicy } from '../policy.js';
import type { Amounts, CloudDirectory, CloudKind, ProjectSync, QuotaLedger, SyncStatus } from '../types.js';
import {
  buildChain,
  expandAmounts,
  levelRank,
  mayDecide,
  monthlyCost,
  type RequestStatus,
  type StepState,
  type TimelineKind,
} from './model.js';

/** What an applicant sends (`POST /quotas/requests`). */
export interface ApplyInput {
  cloudId: string;
  projectId?: string | undefined;
  newProject?: { id: string; name: string; orgUnitId?: string | undefined } | undefined;
  package?: string | undefined;
  quantity?: number | undefined;
  amounts?: Record<string, number> | undefined;
  justification: string;
  durationDays: number;
}

export interface RequestStep {
  level: number;
  /** null on the system's automatic approval. */
  approverLevel: OrgLevel | null;
  /** The unit that must act (the nearest unit at or above the request's at the approver level). */
  orgUnitId: string | null;
  orgUnitName: string | null;
  state: StepState;
  by: string | null;
  at: string | null;
  comment: string | null;
}

export interface RequestError {
  /** `allocation` (the ledger refused at approval), `release` (expiry could not release), or the cloud's error kind. */
  kind: string;
  /** The API error code of a refusal (`quota.exceeds_parent` …), when there is one. */
  code: string | null;
  message: string;
  at: string;
}

export interface RequestView {
  id: string;
  cloudId: string;
  projectId: string;
  /** The project the approval will create (null for an existing project). */
  newProject: { name: string } | null;
  orgUnitId: string;
  orgUnitName: string;
  applicant: string;
  amounts: Amounts;
  /** The amounts given beside the package. */
  extraAmounts: Amounts;
  package: string | null;
  quantity: number | null;
  monthlyCost: number;
  justification: string;
  durationDays: number;
  status: RequestStatus;
  steps: RequestStep[];
  createdAt: string;
  decidedAt: string | null;
  enforcedAt: string | null;
  expiresAt: string | null;
  error: RequestError | null;
}

export interface TimelineEntry {
  at: string;
  actor: string;
  kind: TimelineKind;
  step: number | null;
  from: RequestStatus | null;
  to: RequestStatus | null;
  text: string | null;
}

export interface Enforcement {
  /** The project's desired version the allocation produced (null before allocation). */
  version: number | null;
  /** Whether the cloud has applied that version. */
  applied: boolean;
  /** The reconcile part's status of the project on the cloud (null when it has none yet). */
  sync: SyncStatus | null;
}

export interface RequestDetail extends RequestView {
  timeline: TimelineEntry[];
  enforcement: Enforcement;
}

export interface RequestListQuery {
  status?: RequestStatus[] | undefined;
  mine?: boolean | undefined;
  /** `me`: pending requests whose current step the caller may decide (the approval inbox). */
  awaiting?: 'me' | undefined;
  orgUnit?: string | undefined;
  cloud?: string | undefined;
  limit?: number | undefined;
  cursor?: string | undefined;
}

interface Row {
  id: string;
  cloud_id: string;
  project_id: string;
  new_project_name: string | null;
  org_unit_id: string;
  org_path: string;
  org_unit_name: string;
  applicant_id: string;
  applicant_name: string;
  package: string | null;
  quantity: number | null;
  extra_amounts: Amounts;
  amounts: Amounts;
  monthly_cost: number;
  justification: string;
  duration_days: number;
  status: RequestStatus;
  current_step: number | null;
  current_rank: number | null;
  created_at: Date | string;
  decided_at: Date | string | null;
  expires_at: Date | string | null;
  enforced_at: Date | string | null;
  notice_at: Date | string | null;
  released_at: Date | string | null;
  allocated_version: number | null;
  error: RequestError | null;
}

interface StepRow {
  request_id: string;
  step: number;
  approver_level: OrgLevel | null;
  acting_org_unit_id: string | null;
  acting_name: string | null;
  state: StepState;
  by_name: string | null;
  at: Date | string | null;
  comment: string | null;
}

const COLUMNS = `r.*, o.name AS org_unit_name`;
const FROM = `quota_requests r JOIN org_units o ON o.id = r.org_unit_id`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MANAGED_KINDS: readonly CloudKind[] = ['kubernetes', 'openstack', 'manual'];
const DAY = 86_400_000;

const iso = (v: Date | string | null): string | null => (v === null ? null : new Date(v).toISOString());
const callerId = (identity: Identity): string => identity.userId ?? identity.id;

/** Rolls back the dry run of an allocation at apply time. */
class DryRun extends Error {}

function encodeCursor(at: Date | string, id: string): string {
  return Buffer.from(JSON.stringify([new Date(at).toISOString(), id])).toString('base64url');
}
function decodeCursor(s: string): { at: string; id: string } | undefined {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(v) &&
      typeof v[0] === 'string' &&
      !Number.isNaN(Date.parse(v[0])) &&
      typeof v[1] === 'string' &&
      UUID.test(v[1])
    )
      return { at: v[0], id: v[1] };
  } catch {
    /* answered below */
  }
  return undefined;
}

function stateError(row: { status: RequestStatus }, action: string): ConflictError {
  const message = `the request is ${row.status}; only a pending request can be ${action}`;
  return new ConflictError(message, {
    code: 'quota.request_state',
    details: [
      { path: 'status', message, code: 'quota.request_state', params: { status: row.status, action } },
    ],
  });
}

/**
 * Quota requests (统一申请、统一分配): a department applies for a catalogue package or resources on a
 * cloud with a justification and a duration; the approval chain comes from `quotas.yaml` (automatic
 * up to a monthly cost, then one step per level the cost passes, lowest first); the last approval
 * allocates in the same transaction through the quota ledger (which refuses what the parent does not
 * have, leaving the request pending with the reason); the request is enforced once the reconcile
 * part has applied the version the allocation produced; it expires after its duration, with notice.
 * Every step is on the request's timeline with its actor and reason, and audited.
 */
export class QuotaRequests {
  private readonly alarms: AlarmSink;
  private readonly now: () => number;

  constructor(
    readonly d: ModuleDeps,
    readonly parts: {
      policy: () => QuotasPolicy;
      clouds: CloudDirectory;
      ledger: QuotaLedger;
      sync: ProjectSync;
      /** Unix milliseconds (tests move it). */
      now?: () => number;
      /** The alarm sink (the alerting module's by default). */
      alarms?: AlarmSink;
    },
  ) {
    this.now = parts.now ?? Date.now;
    this.alarms = parts.alarms ?? d.use(alarmsRef);
  }

  // --- reading ------------------------------------------------------------------------------

  async list(
    identity: Identity,
    query: RequestListQuery = {},
  ): Promise<{ items: RequestView[]; nextCursor: string | null }> {
    requirePermission(identity, 'quotas:read');
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 500);
    const params: unknown[] = [];
    const where: string[] = [];
    const path = query.orgUnit
      ? await this.d.orgUnits.assertInScope(identity, query.orgUnit)
      : identity.orgUnitPath;
    params.push(`${escapeLike(path)}%`);
    where.push(`r.org_path LIKE $${params.length}`);
    if (query.status?.length) {
      params.push(query.status);
      where.push(`r.status = ANY($${params.length}::text[])`);
    }
    if (query.mine) {
      params.push(callerId(identity));
      where.push(`r.applicant_id = $${params.length}`);
    }
    if (query.cloud) {
      params.push(query.cloud);
      where.push(`r.cloud_id = $${params.length}`);
    }
    if (query.awaiting === 'me') {
      if (!can(identity, 'quotas:approve')) return { items: [], nextCursor: null };
      const rank = await this.rankOf(identity);
      params.push(rank, callerId(identity));
      where.push(
        `r.status = 'pending' AND r.current_rank >= $${params.length - 1} AND r.applicant_id <> $${params.length}`,
      );
    }
    if (query.cursor) {
      const c = decodeCursor(query.cursor);
      if (!c) throw new InputError('cursor is not valid: pass the nextCursor of the previous page');
      params.push(new Date(c.at), c.id);
      where.push(`(r.created_at, r.id) < ($${params.length - 1}, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const r = await this.d.db.query<Row>(
      `SELECT ${COLUMNS} FROM ${FROM} WHERE ${where.join(' AND ')}
       ORDER BY r.created_at DESC, r.id DESC LIMIT $${params.length}`,
      params,
    );
    const rows = r.rows.slice(0, limit);
    const views = await this.views(this.d.db, rows);
    const last = rows[rows.length - 1];
    return {
      items: views.map((v) => v.view),
      nextCursor: r.rows.length > limit && last ? encodeCursor(last.created_at, last.id) : null,
    };
  }

  async get(identity: Identity, id: string): Promise<RequestDetail> {
    requirePermission(identity, 'quotas:read');
    const row = await this.visibleRow(this.d.db, identity, id);
    const [v] = await this.views(this.d.db, [row]);
    const timeline = await this.d.db.query<{
      at: Date | string;
      actor: string;
      kind: TimelineKind;
      step: number | null;
      from_status: RequestStatus | null;
      to_status: RequestStatus | null;
      text: string | null;
    }>(
      `SELECT at, actor, kind, step, from_status, to_status, text FROM quota_request_timeline
       WHERE request_id = $1 ORDER BY id`,
      [row.id],
    );
    return {
      ...v!.view,
      timeline: timeline.rows.map((t) => ({
        at: iso(t.at)!,
        actor: t.actor,
        kind: t.kind,
        step: t.step,
        from: t.from_status,
        to: t.to_status,
        text: t.text,
      })),
      enforcement: v!.enforcement,
    };
  }

  /** `quotas.pendingRequests` (pending in the caller's subtree) and `quotas.requestsAwaitingMe` (the inbox). */
  async overview(identity: Identity): Promise<Record<string, unknown>> {
    if (!can(identity, 'quotas:read')) return {};
    const r = await this.d.db.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM quota_requests WHERE status = 'pending' AND org_path LIKE $1`,
      [`${escapeLike(identity.orgUnitPath)}%`],
    );
    let awaiting = 0;
    if (can(identity, 'quotas:approve')) {
      const a = await this.d.db.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM quota_requests WHERE status = 'pending' AND org_path LIKE $1
           AND current_rank >= $2 AND applicant_id <> $3`,
        [`${escapeLike(identity.orgUnitPath)}%`, await this.rankOf(identity), callerId(identity)],
      );
      awaiting = Number(a.rows[0]?.n ?? 0);
    }
    return { pendingRequests: Number(r.rows[0]?.n ?? 0), requestsAwaitingMe: awaiting };
  }

  /** Requests of a cloud enforced in [from, to): how many, and the median hours from apply to enforced (scorecards). */
  async fulfilment(
    cloudId: string,
    from: Date,
    to: Date,
  ): Promise<{ count: number; medianHours: number | null }> {
    const r = await this.d.db.query<{ n: string; median: number | null }>(
      `SELECT count(*)::text AS n,
              percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM enforced_at - created_at) / 3600.0) AS median
         FROM quota_requests WHERE cloud_id = $1 AND enforced_at >= $2 AND enforced_at < $3`,
      [cloudId, from, to],
    );
    const n = Number(r.rows[0]?.n ?? 0);
    const median = r.rows[0]?.median;
    return { count: n, medianHours: n && median !== null && median !== undefined ? Number(median) : null };
  }

  // --- applying -----------------------------------------------------------------------------

  async apply(identity: Identity, input: ApplyInput): Promise<RequestDetail> {
    requirePermission(identity, 'quotas:apply');
    const policy = this.parts.policy();
    if (!input.projectId === !input.newProject) {
      throw new InputError('give either projectId (an existing project) or newProject', {
        details: [{ path: 'projectId', message: 'exactly one of projectId and newProject' }],
      });
    }
    const justification = input.justification.trim();
    if (!justification) {
      throw new InputError('a justification is required', {
        details: [{ path: 'justification', message: 'required' }],
      });
    }
    const max = policy.requests.maxDurationDays;
    if (!Number.isInteger(input.durationDays) || input.durationDays < 1 || input.durationDays > max) {
      const message = `durationDays is a whole number of days from 1 to ${max} (the policy's maxDurationDays)`;
      throw new InputError(message, { details: [{ path: 'durationDays', message, params: { max } }] });
    }
    const amounts = expandAmounts(policy, input);
    const cost = monthlyCost(policy, amounts);

    // The project and its unit: an existing one in the caller's subtree, or a new one of the caller's
    // unit (or of a unit below it).
    let projectId: string;
    let orgUnitId: string;
    let orgPath: string;
    let newProjectName: string | null = null;
    if (input.projectId) {
      const p = await this.findProject(this.d.db, input.projectId);
      if (!p || !inScope(identity, p.orgPath))
        throw new NotFoundError(`project "${input.projectId}" not found`);
      ({ id: projectId, orgUnitId, orgPath } = p);
    } else {
      const np = input.newProject!;
      orgUnitId = np.orgUnitId ?? identity.orgUnitId;
      orgPath = await this.d.orgUnits.assertInScope(identity, orgUnitId);
      projectId = np.id;
      newProjectName = np.name.trim();
      if (await this.findProject(this.d.db, projectId))
        throw notAvailable('newProject.id', `project id "${projectId}"`);
    }
    const cloud = await this.cloudOf(input.cloudId);
    // The cloud serves its owner's subtree: a unit outside it does not see it (404, like absent).
    if (!cloud || !orgPath.startsWith(cloud.orgPath))
      throw new NotFoundError(`cloud "${input.cloudId}" not found`);

    const ancestors = await this.ancestors(this.d.db, orgPath);
    const chain = buildChain(policy, cost, ancestors, cloud.level);
    const id = randomUUID();
    const at = new Date(this.now());
    const actor = identity.name;
    const ask = { cloudId: cloud.cloudId, projectId, amounts, actor, reason: `quota request ${id}` };

    if (!chain.auto) {
      // Refuse at once what the parent cannot give now (the same check the approval makes): a dry
      // run of the allocation, rolled back.
      try {
        await this.d.db.transaction(async (tx) => {
          if (newProjectName !== null)
            await this.parts.ledger.ensureProject(tx, {
              id: projectId,
              orgUnitId,
              name: newProjectName,
              actor,
            });
          await this.parts.ledger.allocate(tx, ask);
          throw new DryRun();
        });
      } catch (err) {
        if (!(err instanceof DryRun)) throw err;
      }
    }

    try {
      await this.d.db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO quota_requests (id, cloud_id, project_id, new_project_name, org_unit_id, org_path,
             applicant_id, applicant_name, package, quantity, extra_amounts, amounts, monthly_cost,
             justification, duration_days, status, current_step, current_rank, created_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'pending', 1, $16, $17)`,
          [
            id,
            cloud.cloudId,
            projectId,
            newProjectName,
            orgUnitId,
            orgPath,
            callerId(identity),
            identity.name,
            input.package ?? null,
            input.package ? (input.quantity ?? 1) : null,
            JSON.stringify(input.amounts ?? {}),
            JSON.stringify(amounts),
            cost,
            justification,
            input.durationDays,
            chain.auto ? 0 : levelRank(chain.steps[0]!.approverLevel),
            at,
          ],
        );
        await this.timeline(tx, id, at, actor, 'applied', {
          to: 'pending',
          text: `${describe(amounts)} for ${input.durationDays} days, ${cost} CNY a month: ${justification}`,
        });
        if (chain.auto) {
          await tx.query(
            `INSERT INTO quota_request_steps (request_id, step, approver_level, acting_org_unit_id, state, by_id, by_name, at, comment)
             VALUES ($1, 1, NULL, NULL, 'auto', 'system', 'system', $2, $3)`,
            [id, at, `monthly cost ${cost} CNY is at or below ${policy.approval.autoApproveMonthlyCost} CNY`],
          );
        } else {
          let n = 0;
          for (const s of chain.steps) {
            await tx.query(
              `INSERT INTO quota_request_steps (request_id, step, approver_level, acting_org_unit_id, state)
               VALUES ($1, $2, $3, $4, 'waiting')`,
              [id, ++n, s.approverLevel, s.actingOrgUnitId],
            );
          }
        }
        await this.d.audit.record(
          identity,
          {
            action: 'quota-request.apply',
            targetType: 'quota-request',
            targetId: id,
            orgUnitId,
            details: {
              cloudId: cloud.cloudId,
              projectId,
              newProject: newProjectName !== null,
              amounts,
              monthlyCost: cost,
              durationDays: input.durationDays,
              chain: chain.auto ? 'auto' : chain.steps.map((s) => s.approverLevel).join(' → '),
            },
          },
          tx,
        );
        if (chain.auto) {
          await this.allocateAndApprove(tx, await this.lockRow(tx, id), systemIdentity(), at, {
            text: `approved by the system: monthly cost ${cost} CNY is at or below ${policy.approval.autoApproveMonthlyCost} CNY`,
            kind: 'auto-approved',
          });
        } else {
          await this.firePending(tx, id, cloud.cloudId, chain.steps[0]!.actingOrgUnitId, 1, cost, at);
        }
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw notAvailable('newProject.id', `project id "${projectId}"`);
      throw err;
    }
    if (chain.auto) this.afterAllocation(cloud.cloudId);
    return this.get(identity, id);
  }

  // --- deciding -----------------------------------------------------------------------------

  /**
   * Approves the request's current step. The caller needs `quotas:approve`, the request's unit in
   * their subtree (404 otherwise), an org unit at the step's level or higher (403
   * `quota.approver_level`) and not to be the applicant (403 `quota.self_approval`). The last step
   * allocates in the same transaction; when the ledger refuses, nothing of the approval stays (the
   * request is pending at the same step) and the refusal is answered, recorded on the request's
   * timeline and shown as its error.
   */
  async approve(identity: Identity, id: string, comment?: string): Promise<RequestDetail> {
    requirePermission(identity, 'quotas:approve');
    const at = new Date(this.now());
    const note = comment?.trim() || null;
    let allocated: { cloudId: string; projectId: string } | undefined;
    try {
      allocated = await this.d.db.transaction(async (tx) => {
        const row = await this.decidable(tx, identity, id, 'approved');
        await tx.query(
          `UPDATE quota_request_steps SET state = 'approved', by_id = $3, by_name = $4, at = $5, comment = $6
           WHERE request_id = $1 AND step = $2`,
          [row.id, row.current_step, callerId(identity), identity.name, at, note],
        );
        await this.resolvePending(tx, row.id, row.current_step!, at);
        const next = await tx.query<{ step: number; approver_level: OrgLevel; acting_org_unit_id: string }>(
          `SELECT step, approver_level, acting_org_unit_id FROM quota_request_steps
           WHERE request_id = $1 AND step > $2 AND state = 'waiting' ORDER BY step LIMIT 1`,
          [row.id, row.current_step],
        );
        await this.d.audit.record(
          identity,
          {
            action: 'quota-request.approve',
            targetType: 'quota-request',
            targetId: row.id,
            orgUnitId: row.org_unit_id,
            details: { step: row.current_step!, ...(note ? { comment: note } : {}), last: !next.rows[0] },
          },
          tx,
        );
        const n = next.rows[0];
        if (n) {
          await tx.query(
            `UPDATE quota_requests SET current_step = $2, current_rank = $3, error = NULL WHERE id = $1`,
            [row.id, n.step, levelRank(n.approver_level)],
          );
          await this.timeline(tx, row.id, at, identity.name, 'step-approved', {
            step: row.current_step!,
            text: note ?? `step ${row.current_step} approved; step ${n.step} (${n.approver_level}) is next`,
          });
          await this.firePending(
            tx,
            row.id,
            row.cloud_id,
            n.acting_org_unit_id,
            n.step,
            row.monthly_cost,
            at,
          );
          return undefined;
        }
        await this.timeline(tx, row.id, at, identity.name, 'step-approved', {
          step: row.current_step!,
          text: note ?? `step ${row.current_step} approved (the last)`,
        });
        await this.allocateAndApprove(tx, row, identity, at, { kind: 'allocated' });
        return { cloudId: row.cloud_id, projectId: row.project_id };
      });
    } catch (err) {
      if (err instanceof DomainError && err.status < 500 && !(err instanceof NotFoundError)) {
        await this.recordRefusal(identity, id, at, err);
      }
      throw err;
    }
    if (allocated) this.afterAllocation(allocated.cloudId);
    return this.get(identity, id);
  }

  /** Rejects the request at its current step, with the reason (required); the same rules as approve. */
  async reject(identity: Identity, id: string, reason: string): Promise<RequestDetail> {
    requirePermission(identity, 'quotas:approve');
    const why = reason.trim();
    if (!why) {
      throw new InputError('a reason is required to reject', {
        details: [{ path: 'reason', message: 'required' }],
      });
    }
    const at = new Date(this.now());
    await this.d.db.transaction(async (tx) => {
      const row = await this.decidable(tx, identity, id, 'rejected');
      await tx.query(
        `UPDATE quota_request_steps SET state = 'rejected', by_id = $3, by_name = $4, at = $5, comment = $6
         WHERE request_id = $1 AND step = $2`,
        [row.id, row.current_step, callerId(identity), identity.name, at, why],
      );
      await tx.query(
        `UPDATE quota_requests SET status = 'rejected', current_step = NULL, current_rank = NULL,
           decided_at = $2 WHERE id = $1`,
        [row.id, at],
      );
      await this.resolvePending(tx, row.id, row.current_step!, at);
      await this.timeline(tx, row.id, at, identity.name, 'rejected', {
        step: row.current_step!,
        from: 'pending',
        to: 'rejected',
        text: why,
      });
      await this.d.audit.record(
        identity,
        {
          action: 'quota-request.reject',
          targetType: 'quota-request',
          targetId: row.id,
          orgUnitId: row.org_unit_id,
          details: { step: row.current_step!, reason: why },
        },
        tx,
      );
    });
    return this.get(identity, id);
  }

  /** The applicant withdraws their pending request (403 `quota.not_applicant` for anyone else). */
  async withdraw(identity: Identity, id: string, reason?: string): Promise<RequestDetail> {
    requirePermission(identity, 'quotas:apply');
    const at = new Date(this.now());
    const why = reason?.trim() || null;
    await this.d.db.transaction(async (tx) => {
      const row = await this.visibleRow(tx, identity, id, true);
      if (row.applicant_id !== callerId(identity)) {
        const message = `only the applicant (${row.applicant_name}) can withdraw the request`;
        throw new NotAllowedError(message, {
          code: 'quota.not_applicant',
          details: [
            { path: 'id', message, code: 'quota.not_applicant', params: { applicant: row.applicant_name } },
          ],
        });
      }
      if (row.status !== 'pending') throw stateError(row, 'withdrawn');
      await tx.query(
        `UPDATE quota_requests SET status = 'withdrawn', current_step = NULL, current_rank = NULL,
           decided_at = $2 WHERE id = $1`,
        [row.id, at],
      );
      await this.resolvePending(tx, row.id, row.current_step!, at);
      await this.timeline(tx, row.id, at, identity.name, 'withdrawn', {
        from: 'pending',
        to: 'withdrawn',
        text: why ?? 'withdrawn by the applicant',
      });
      await this.d.audit.record(
        identity,
        {
          action: 'quota-request.withdraw',
          targetType: 'quota-request',
          targetId: row.id,
          orgUnitId: row.org_unit_id,
          details: why ? { reason: why } : {},
        },
        tx,
      );
    });
    return this.get(identity, id);
  }

  // --- jobs ---------------------------------------------------------------------------------

  jobs(): ModuleJob[] {
    return [
      {
        name: 'quotas.requests-enforced',
        everyMillis: 15_000,
        run: async () => {
          await this.checkEnforced();
        },
      },
      {
        name: 'quotas.requests-expiry',
        everyMillis: 60_000,
        run: async () => {
          await this.runExpiry();
        },
      },
    ];
  }

  /**
   * Marks approved requests enforced whose allocation's version the cloud has applied (reads do the
   * same for the requests they show); records a cloud error on the timeline once per message.
   * Resolves with how many became enforced.
   */
  async checkEnforced(): Promise<number> {
    const r = await this.d.db.query<Row>(
      `SELECT ${COLUMNS} FROM ${FROM} WHERE r.status = 'approved' ORDER BY r.decided_at LIMIT 5000`,
    );
    const views = await this.views(this.d.db, r.rows, { recordErrors: true });
    return views.filter((v) => v.view.status === 'enforced').length;
  }

  /**
   * The expiry job: tells the project's unit `expiryNoticeDays` before an allocation ends (a
   * `quota-expiry` alarm), and at the end releases what the request allocated (less what a reclaim
   * already took back), marks it expired and asks for a reconcile pass. A release the ledger refuses
   * leaves the request as it was with the error shown, and is retried on the next run.
   */
  async runExpiry(): Promise<{ noticed: number; expired: number; failed: number }> {
    const policy = this.parts.policy();
    const now = new Date(this.now());
    const noticeFrom = new Date(now.getTime() + policy.requests.expiryNoticeDays * DAY);
    const out = { noticed: 0, expired: 0, failed: 0 };
    const notice = await this.d.db.query<Row>(
      `SELECT ${COLUMNS} FROM ${FROM} WHERE r.status IN ('approved', 'enforced') AND r.notice_at IS NULL
         AND r.expires_at <= $1 AND r.expires_at > $2 ORDER BY r.expires_at LIMIT 1000`,
      [noticeFrom, now],
    );
    for (const row of notice.rows) {
      await this.d.db.transaction(async (tx) => {
        const upd = await tx.query(
          `UPDATE quota_requests SET notice_at = $2 WHERE id = $1 AND notice_at IS NULL`,
          [row.id, now],
        );
        if (!upd.rowCount) return;
        const days = Math.max(0, Math.ceil((new Date(row.expires_at!).getTime() - now.getTime()) / DAY));
        const text = `the allocation of ${describe(row.amounts)} on ${row.cloud_id} for project ${row.project_id} ends on ${iso(row.expires_at)} (in ${days} days); apply again to keep it`;
        await this.timeline(tx, row.id, now, 'system', 'expiry-notice', { text });
        await this.alarms.fire(
          {
            kind: 'quota-expiry',
            severity: 'minor',
            orgUnitId: row.org_unit_id,
            targetType: 'quota-request',
            targetId: row.id,
            summary: text.slice(0, 1000),
            labels: { cloud: row.cloud_id, project: row.project_id, request: row.id },
          },
          now,
          tx,
        );
      });
      out.noticed++;
    }
    const due = await this.d.db.query<{ id: string; cloud_id: string }>(
      `SELECT id, cloud_id FROM quota_requests WHERE status IN ('approved', 'enforced') AND expires_at <= $1
       ORDER BY expires_at LIMIT 1000`,
      [now],
    );
    const kicked = new Set<string>();
    const quotas = new Map<string, Map<string, Amounts>>();
    for (const d of due.rows) {
      if (!quotas.has(d.cloud_id)) {
        const m = new Map<string, Amounts>();
        for (const p of await this.parts.ledger.projectsOf(d.cloud_id)) m.set(p.projectId, p.quota);
        quotas.set(d.cloud_id, m);
      }
      try {
        const done = await this.d.db.transaction(async (tx) => {
          const row = await this.lockRow(tx, d.id);
          if (!row || (row.status !== 'approved' && row.status !== 'enforced')) return false;
          const held = quotas.get(row.cloud_id)!.get(row.project_id) ?? {};
          const amounts: Amounts = {};
          for (const [cls, n] of Object.entries(row.amounts)) {
            const take = Math.min(n, held[cls] ?? 0);
            if (take > 0) amounts[cls] = take;
          }
          const system = systemIdentity();
          const reason = `quota request ${row.id} expired on ${iso(row.expires_at)}`;
          if (Object.keys(amounts).length) {
            await this.parts.ledger.release(tx, {
              cloudId: row.cloud_id,
              projectId: row.project_id,
              amounts,
              actor: 'system',
              reason,
              reclaim: true,
            });
            const m = quotas.get(row.cloud_id)!;
            const left = { ...held };
            for (const [cls, n] of Object.entries(amounts)) left[cls] = (left[cls] ?? 0) - n;
            m.set(row.project_id, left);
          }
          await tx.query(
            `UPDATE quota_requests SET status = 'expired', released_at = $2, error = NULL WHERE id = $1`,
            [row.id, now],
          );
          await this.timeline(tx, row.id, now, 'system', 'expired', {
            from: row.status,
            to: 'expired',
            text: Object.keys(amounts).length
              ? `released ${describe(amounts)} at the end of the request's ${row.duration_days} days`
              : 'nothing left to release (taken back before)',
          });
          await this.alarms.resolve('quota-expiry', 'quota-request', row.id, now, tx);
          await this.d.audit.record(
            system,
            {
              action: 'quota-request.expire',
              targetType: 'quota-request',
              targetId: row.id,
              orgUnitId: row.org_unit_id,
              details: { released: amounts, reason },
            },
            tx,
          );
          return true;
        });
        if (done) {
          out.expired++;
          kicked.add(d.cloud_id);
        }
      } catch (err) {
        out.failed++;
        await this.recordError(d.id, now, 'release', 'release-failed', err);
      }
    }
    for (const c of kicked) this.parts.sync.kick(c);
    return out;
  }

  // --- internals ----------------------------------------------------------------------------

  /** Allocates the request's amounts (creating its new project first) and marks it approved, in `tx`. */
  private async allocateAndApprove(
    tx: Queryable,
    row: Row | undefined,
    identity: Identity,
    at: Date,
    how: { kind: 'auto-approved' | 'allocated'; text?: string },
  ): Promise<void> {
    if (!row) throw new NotFoundError('request not found');
    const actor = identity.name;
    if (row.new_project_name !== null) {
      const p = await this.parts.ledger.ensureProject(tx, {
        id: row.project_id,
        orgUnitId: row.org_unit_id,
        name: row.new_project_name,
        actor,
      });
      if (p.orgUnitId !== row.org_unit_id)
        throw notAvailable('newProject.id', `project id "${row.project_id}"`);
    }
    await this.parts.ledger.allocate(tx, {
      cloudId: row.cloud_id,
      projectId: row.project_id,
      amounts: row.amounts,
      actor,
      reason: `quota request ${row.id}`,
    });
    // The desired version the allocation produced (the tree's row, written under its lock in `tx`).
    const v = await tx.query<{ version: string | number }>(
      'SELECT version FROM quota_project_clouds WHERE cloud_id = $1 AND project_id = $2',
      [row.cloud_id, row.project_id],
    );
    const version = v.rows[0] ? Number(v.rows[0].version) : null;
    const expires = new Date(at.getTime() + row.duration_days * DAY);
    await tx.query(
      `UPDATE quota_requests SET status = 'approved', current_step = NULL, current_rank = NULL,
         decided_at = $2, expires_at = $3, error = NULL, allocated_version = $4 WHERE id = $1`,
      [row.id, at, expires, version],
    );
    await this.timeline(tx, row.id, at, actor, how.kind, {
      from: 'pending',
      to: 'approved',
      text:
        (how.text ? `${how.text}; ` : '') +
        `allocated ${describe(row.amounts)} on ${row.cloud_id} to project ${row.project_id} until ${expires.toISOString()}`,
    });
  }

  /** After the commit: ask for a reconcile pass of the cloud. */
  private afterAllocation(cloudId: string): void {
    this.parts.sync.kick(cloudId);
  }

  /** The pending request the caller may decide now, locked; refusals as documented on approve. */
  private async decidable(tx: Queryable, identity: Identity, id: string, action: string): Promise<Row> {
    const row = await this.visibleRow(tx, identity, id, true);
    if (row.status !== 'pending') throw stateError(row, action);
    const step = await tx.query<{ approver_level: OrgLevel }>(
      `SELECT approver_level FROM quota_request_steps WHERE request_id = $1 AND step = $2`,
      [row.id, row.current_step],
    );
    const approverLevel = step.rows[0]!.approver_level;
    const refusal = mayDecide(
      { id: callerId(identity), level: await this.levelOf(identity, tx) },
      { approverLevel },
      row.applicant_id,
    );
    if (refusal?.kind === 'level') {
      const message = `step ${row.current_step} needs an approver at ${refusal.required} level or higher; your org unit is at ${refusal.level} level`;
      throw new NotAllowedError(message, {
        code: 'quota.approver_level',
        details: [
          {
            path: 'id',
            message,
            code: 'quota.approver_level',
            params: { required: refusal.required, level: refusal.level, step: row.current_step! },
          },
        ],
      });
    }
    if (refusal?.kind === 'self') {
      const message = 'the applicant cannot decide their own request; another approver must';
      throw new NotAllowedError(message, {
        code: 'quota.self_approval',
        details: [{ path: 'id', message, code: 'quota.self_approval' }],
      });
    }
    return row;
  }

  /** The request if the caller sees it (404 otherwise), locked when `lock`. */
  private async visibleRow(q: Queryable, identity: Identity, id: string, lock = false): Promise<Row> {
    if (!UUID.test(id)) throw new NotFoundError(`request "${id.slice(0, 80)}" not found`);
    const r = await q.query<Row>(
      `SELECT ${COLUMNS} FROM ${FROM} WHERE r.id = $1${lock ? ' FOR UPDATE OF r' : ''}`,
      [id],
    );
    const row = r.rows[0];
    if (!row || !inScope(identity, row.org_path)) throw new NotFoundError(`request "${id}" not found`);
    return row;
  }

  private async lockRow(tx: Queryable, id: string): Promise<Row | undefined> {
    const r = await tx.query<Row>(`SELECT ${COLUMNS} FROM ${FROM} WHERE r.id = $1 FOR UPDATE OF r`, [id]);
    return r.rows[0];
  }

  /**
   * A refused approval (the ledger's reason, or a refusal of the caller) leaves the request as it
   * was; the ledger's refusal is also recorded on its timeline and shown as its error, so that the
   * applicant sees why it waits.
   */
  private async recordRefusal(identity: Identity, id: string, at: Date, err: DomainError): Promise<void> {
    if (err.code === 'quota.approver_level' || err.code === 'quota.self_approval') return;
    if (err.code === 'quota.request_state' || err.code === 'permission.denied') return;
    await this.d.db.transaction(async (tx) => {
      const row = await this.lockRow(tx, id);
      if (!row || row.status !== 'pending' || !inScope(identity, row.org_path)) return;
      const error: RequestError = {
        kind: 'allocation',
        code: err.code,
        message: err.message,
        at: at.toISOString(),
      };
      await tx.query(`UPDATE quota_requests SET error = $2 WHERE id = $1`, [id, JSON.stringify(error)]);
      await this.timeline(tx, id, at, identity.name, 'allocation-refused', {
        step: row.current_step,
        text: err.message,
      });
      await this.d.audit.record(
        identity,
        {
          action: 'quota-request.approve',
          targetType: 'quota-request',
          targetId: id,
          orgUnitId: row.org_unit_id,
          outcome: 'failure',
          details: { code: err.code, reason: err.message },
        },
        tx,
      );
    });
  }

  /** Records an error of a job on the request (and on its timeline when the message is new). */
  private async recordError(
    id: string,
    at: Date,
    kind: string,
    tl: TimelineKind,
    err: unknown,
  ): Promise<void> {
    const message = err instanceof Error ? err.message : String(err);
    const code = err instanceof DomainError ? err.code : null;
    try {
      await this.d.db.transaction(async (tx) => {
        const row = await this.lockRow(tx, id);
        if (!row) return;
        if (row.error?.message !== message) {
          await this.timeline(tx, id, at, 'system', tl, { text: message });
        }
        const error: RequestError = { kind, code, message, at: at.toISOString() };
        await tx.query(`UPDATE quota_requests SET error = $2 WHERE id = $1`, [id, JSON.stringify(error)]);
      });
    } catch (e) {
      this.d.log.error({ err: e, requestId: id }, 'quota requests: recording an error failed');
    }
    this.d.log.warn({ err, requestId: id }, `quota requests: ${kind} failed`);
  }

  private async timeline(
    tx: Queryable,
    id: string,
    at: Date,
    actor: string,
    kind: TimelineKind,
    e: { step?: number | null; from?: RequestStatus; to?: RequestStatus; text?: string | null },
  ): Promise<void> {
    await tx.query(
      `INSERT INTO quota_request_timeline (request_id, at, actor, kind, step, from_status, to_status, text)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [id, at, actor, kind, e.step ?? null, e.from ?? null, e.to ?? null, e.text?.slice(0, 4000) ?? null],
    );
  }

  private async firePending(
    tx: Queryable,
    id: string,
    cloudId: string,
    orgUnitId: string,
    step: number,
    cost: number,
    at: Date,
  ): Promise<void> {
    await this.alarms.fire(
      {
        kind: 'quota-request-pending',
        severity: 'warning',
        orgUnitId,
        targetType: 'quota-request',
        targetId: `${id}/${step}`,
        summary: `a quota request (${cost} CNY a month) waits for approval at step ${step}`,
        labels: { request: id, step: String(step), cloud: cloudId },
      },
      at,
      tx,
    );
  }

  private async resolvePending(tx: Queryable, id: string, step: number, at: Date): Promise<void> {
    await this.alarms.resolve('quota-request-pending', 'quota-request', `${id}/${step}`, at, tx);
  }

  /**
   * The views of `rows` with their steps and the enforcement seen from the reconcile part; approved
   * requests whose version the cloud applied become enforced here (persisted), and a cloud error
   * shows as the request's error while it stays approved.
   */
  private async views(
    q: Queryable,
    rows: Row[],
    opts: { recordErrors?: boolean } = {},
  ): Promise<Array<{ view: RequestView; enforcement: Enforcement }>> {
    if (!rows.length) return [];
    const steps = await q.query<StepRow>(
      `SELECT s.*, o.name AS acting_name FROM quota_request_steps s
       LEFT JOIN org_units o ON o.id = s.acting_org_unit_id
       WHERE s.request_id = ANY($1::uuid[]) ORDER BY s.request_id, s.step`,
      [rows.map((r) => r.id)],
    );
    const byRequest = new Map<string, RequestStep[]>();
    for (const s of steps.rows) {
      const list = byRequest.get(s.request_id) ?? [];
      list.push({
        level: s.step,
        approverLevel: s.approver_level,
        orgUnitId: s.acting_org_unit_id,
        orgUnitName: s.acting_name,
        state: s.state,
        by: s.by_name,
        at: iso(s.at),
        comment: s.comment,
      });
      byRequest.set(s.request_id, list);
    }
    // Enforcement: one status call per cloud for the allocated requests.
    const sync = new Map<string, SyncStatus>();
    const live = rows.filter((r) => ['approved', 'enforced', 'expired'].includes(r.status));
    const byCloud = new Map<string, Set<string>>();
    for (const r of live) byCloud.set(r.cloud_id, (byCloud.get(r.cloud_id) ?? new Set()).add(r.project_id));
    const missingVersion = new Map<string, Set<string>>();
    for (const [cloudId, projects] of byCloud) {
      try {
        const m = await this.parts.sync.status(cloudId, [...projects]);
        for (const [p, s] of m) sync.set(`${cloudId}/${p}`, s);
      } catch (err) {
        this.d.log.warn({ err, cloudId }, 'quota requests: reading the sync status failed');
      }
    }
    for (const r of live)
      if (r.status === 'approved' && r.allocated_version === null)
        missingVersion.set(r.cloud_id, (missingVersion.get(r.cloud_id) ?? new Set()).add(r.project_id));
    for (const [cloudId, projects] of missingVersion) {
      try {
        const desired = await this.parts.ledger.desired(cloudId, [...projects]);
        const v = new Map(desired.map((d) => [d.target.projectId, d.version]));
        for (const r of live) {
          const version = v.get(r.project_id);
          if (r.cloud_id === cloudId && r.allocated_version === null && version !== undefined) {
            r.allocated_version = version;
            await this.d.db.query(
              `UPDATE quota_requests SET allocated_version = $2 WHERE id = $1 AND allocated_version IS NULL`,
              [r.id, version],
            );
          }
        }
      } catch (err) {
        this.d.log.warn({ err, cloudId }, 'quota requests: reading desired versions failed');
      }
    }
    const now = new Date(this.now());
    const out: Array<{ view: RequestView; enforcement: Enforcement }> = [];
    for (const r of rows) {
      const s = sync.get(`${r.cloud_id}/${r.project_id}`) ?? null;
      const applied = r.allocated_version !== null && s !== null && s.appliedVersion >= r.allocated_version;
      let status = r.status;
      let error = r.error;
      let enforcedAt = iso(r.enforced_at);
      if (r.status === 'approved' && applied) {
        const upd = await this.d.db.query(
          `UPDATE quota_requests SET status = 'enforced', enforced_at = $2, error = NULL
           WHERE id = $1 AND status = 'approved'`,
          [r.id, now],
        );
        if (upd.rowCount) {
          await this.timeline(this.d.db, r.id, now, 'system', 'enforced', {
            from: 'approved',
            to: 'enforced',
            text: `the cloud applied version ${s!.appliedVersion} of the project's limits`,
          });
        }
        status = 'enforced';
        error = null;
        enforcedAt = enforcedAt ?? now.toISOString();
      } else if (r.status === 'approved' && s?.state === 'error' && s.error) {
        error = { kind: s.error.kind, code: null, message: s.error.message, at: s.error.at };
        if (opts.recordErrors && r.error?.message !== s.error.message) {
          await this.d.db.query(`UPDATE quota_requests SET error = $2 WHERE id = $1`, [
            r.id,
            JSON.stringify(error),
          ]);
          await this.timeline(this.d.db, r.id, now, 'system', 'cloud-error', {
            text: `${s.error.kind}: ${s.error.message}`,
          });
        }
      }
      out.push({
        view: {
          id: r.id,
          cloudId: r.cloud_id,
          projectId: r.project_id,
          newProject: r.new_project_name !== null ? { name: r.new_project_name } : null,
          orgUnitId: r.org_unit_id,
          orgUnitName: r.org_unit_name,
          applicant: r.applicant_name,
          amounts: r.amounts,
          extraAmounts: r.extra_amounts,
          package: r.package,
          quantity: r.quantity,
          monthlyCost: Number(r.monthly_cost),
          justification: r.justification,
          durationDays: r.duration_days,
          status,
          steps: byRequest.get(r.id) ?? [],
          createdAt: iso(r.created_at)!,
          decidedAt: iso(r.decided_at),
          enforcedAt,
          expiresAt: iso(r.expires_at),
          error,
        },
        enforcement: { version: r.allocated_version, applied, sync: s },
      });
    }
    return out;
  }

  /** A project of the quota tree: its unit and path, or undefined. */
  private async findProject(
    q: Queryable,
    id: string,
  ): Promise<{ id: string; orgUnitId: string; orgPath: string } | undefined> {
    const r = await q.query<{ id: string; org_unit_id: string; path: string }>(
      `SELECT p.id, p.org_unit_id, o.path FROM quota_projects p JOIN org_units o ON o.id = p.org_unit_id WHERE p.id = $1`,
      [id],
    );
    const p = r.rows[0];
    return p ? { id: p.id, orgUnitId: p.org_unit_id, orgPath: p.path } : undefined;
  }

  /** A cloud under quota management, with its owner's path and level. */
  private async cloudOf(
    cloudId: string,
  ): Promise<{ cloudId: string; orgUnitId: string; orgPath: string; level: OrgLevel } | undefined> {
    const managed = (await this.parts.clouds.managedClouds()).find((c) => c.cloudId === cloudId);
    if (!managed || !MANAGED_KINDS.includes(managed.kind)) return undefined;
    const r = await this.d.db.query<{ level: OrgLevel }>('SELECT level FROM org_units WHERE id = $1', [
      managed.orgUnitId,
    ]);
    const level = r.rows[0]?.level;
    return level ? { ...managed, level } : undefined;
  }

  /** The unit at `path` and its ancestors, nearest first. */
  private async ancestors(q: Queryable, path: string): Promise<Array<{ id: string; level: OrgLevel }>> {
    const r = await q.query<{ id: string; level: OrgLevel }>(
      `SELECT id, level FROM org_units WHERE starts_with($1, path) ORDER BY length(path) DESC`,
      [path],
    );
    return r.rows;
  }

  private async levelOf(identity: Identity, q: Queryable = this.d.db): Promise<OrgLevel> {
    if (identity.kind === 'system' || !identity.orgUnitId) return ORG_LEVELS[0];
    const r = await q.query<{ level: OrgLevel }>('SELECT level FROM org_units WHERE id = $1', [
      identity.orgUnitId,
    ]);
    return r.rows[0]?.level ?? 'village';
  }

  private async rankOf(identity: Identity): Promise<number> {
    return levelRank(await this.levelOf(identity));
  }
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function describe(a: Amounts): string {
  return (
    Object.entries(a)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ') || 'nothing'
  );
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === '23505';
}
