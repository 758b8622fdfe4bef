import { randomUUID } from 'node:crypto';
import { Counter } from 'prom-client';
import { alarmsRef } from '../../alerting/module.js';
import type { AlarmSink } from '../../alerting/types.js';
import { inScope, requirePermission, systemIdentity, type Identity } from '../../auth/identity.js';
import { ConflictError, InputError, NotFoundError } from '../../errors.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { Queryable } from '../../store/state/index.js';
import type { QuotasPolicy } from '../policy.js';
import type { QuotaReconciler } from '../reconcile/service.js';
import type { QuotaRequests } from '../requests/service.js';
import type { AdapterFactory, Amounts, CloudDirectory, QuotaLedger } from '../types.js';
import {
  clampToCurrent,
  coverageSlices,
  DAY_SECONDS,
  judgeProject,
  monthRange,
  round,
  score,
  showback,
  type ClassJudgement,
  type DailyRow,
  type SeriesStats,
  type ShowbackClass,
} from './model.js';
import { QUOTA_TELEMETRY_TABLES } from './telemetry-schema.js';

const MINUTE = 60_000;
/** The usage sampler's period: every 15 minutes a sample of every project's quota, used and physical. */
export const SAMPLE_EVERY_MILLIS = 15 * MINUTE;
/** Physical usage is measured every 5 minutes (host agents over the last 10 minutes; cloud metrics). */
export const PHYSICAL_EVERY_MILLIS = 5 * MINUTE;
const PHYSICAL_LOOKBACK_MILLIS = 10 * MINUTE;
/** Due reclaims are applied every 15 seconds (so a small `graceDays` in tests is honoured quickly). */
export const APPLY_EVERY_MILLIS = 15_000;
export const REVIEW_EVERY_MILLIS = 24 * 60 * MINUTE;
const GIB = 1024 ** 3;

/** One sample of a project's class on a cloud (`ts` in unix milliseconds). */
export interface UsageSample {
  ts: number;
  cloudId: string;
  projectId: string;
  orgUnitId: string;
  orgPath: string;
  class: string;
  quota: number;
  used: number;
  /** Measured use, or null when nothing measures this class. */
  physical: number | null;
}

export type ReclaimStatus = 'proposed' | 'declined' | 'applied' | 'cancelled';

export interface ReclaimEvidence {
  windowDays: number;
  from: string;
  to: string;
  idleThreshold: number;
  headroom: number;
  peakUsed: Amounts;
  peakPhysical: Amounts;
  quota: Amounts;
  used: Amounts;
  /** What stays per reclaimed class: max(ceil(peak × (1 + headroom)), used). */
  keep: Amounts;
  samples: Record<string, number>;
}

export interface Reclaim {
  id: string;
  cloudId: string;
  projectId: string;
  orgUnitId: string;
  amounts: Amounts;
  evidence: ReclaimEvidence;
  status: ReclaimStatus;
  proposedAt: string;
  applyAfter: string;
  decidedAt: string | null;
  decidedBy: string | null;
  reason: string | null;
  /** What was really taken back (the amounts clamped to the quota left above usage at that time). */
  applied: Amounts | null;
  /** The last failure to apply it, kept until it is applied. */
  error: { message: string; at: string } | null;
}

interface ReclaimRow {
  id: string;
  cloud_id: string;
  project_id: string;
  org_unit_id: string;
  org_path: string;
  amounts: Amounts | string;
  evidence: ReclaimEvidence | string;
  applied: Amounts | string | null;
  status: ReclaimStatus;
  proposed_at: Date | string;
  apply_after: Date | string;
  decided_at: Date | string | null;
  decided_by: string | null;
  reason: string | null;
  error: string | null;
  error_at: Date | string | null;
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());
const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

const toReclaim = (r: ReclaimRow): Reclaim => ({
  id: r.id,
  cloudId: r.cloud_id,
  projectId: r.project_id,
  orgUnitId: r.org_unit_id,
  amounts: json(r.amounts),
  evidence: json(r.evidence),
  status: r.status,
  proposedAt: iso(r.proposed_at)!,
  applyAfter: iso(r.apply_after)!,
  decidedAt: iso(r.decided_at),
  decidedBy: r.decided_by,
  reason: r.reason,
  applied: r.applied === null ? null : json(r.applied),
  error: r.error ? { message: r.error, at: iso(r.error_at)! } : null,
});

export interface ReviewRunResult {
  clouds: number;
  /** Projects whose samples were judged (at least one class covered by samples). */
  judged: number;
  /** Projects with a quota whose samples do not cover the window yet (younger than it, gaps). */
  notJudged: number;
  proposed: number;
  /** Idle projects left alone because their owner declined a proposal less than a window ago. */
  declinedRecently: number;
  /** Open proposals whose project is no longer idle. */
  cancelled: number;
  /** Clouds whose review failed, with the reason (the others went on). */
  errors: Array<{ cloudId: string; message: string }>;
}

export interface ShowbackItem {
  orgUnitId: string;
  name: string;
  byClass: Record<string, ShowbackClass>;
  total: number;
}

export interface Scorecard {
  cloudId: string;
  name: string;
  availability: number | null;
  apiAvailability: number | null;
  agentAvailability: number | null;
  fulfilmentHoursMedian: number | null;
  fulfilledRequests: number;
  utilisation: Record<string, number>;
  physicalEfficiency: Record<string, number>;
  passes: number;
  failedPasses: number;
  drift: number;
  errors: number;
  score: number | null;
}

export interface ProjectHost {
  hostId: string;
  hostname: string;
  cloudId: string | null;
  agentId: string | null;
  tiedBy: string;
  tiedAt: string;
}

/**
 * Utilisation review and reclaim (云资源使用效率核查和动态调优), physical usage, monthly showback and
 * provider scorecards (绩效考核). See `docs/api-quotas.md` ("Review, showback and scorecards").
 */
export class QuotaReview {
  private readonly now: () => number;
  private readonly alarms: AlarmSink;
  private readonly outcomes: Counter<'outcome'>;
  private readonly failures: Counter<'stage'>;

  constructor(
    readonly d: ModuleDeps,
    readonly parts: {
      policy: () => QuotasPolicy;
      clouds: CloudDirectory;
      ledger: QuotaLedger;
      sync: QuotaReconciler;
      requests: QuotaRequests;
      adapters: Readonly<Record<'kubernetes' | 'openstack', AdapterFactory>>;
      /** Tests: the clock (unix milliseconds) and the alarm sink. */
      now?: () => number;
      alarms?: AlarmSink;
    },
  ) {
    this.now = parts.now ?? Date.now;
    this.alarms = parts.alarms ?? d.use(alarmsRef);
    this.outcomes = new Counter({
      name: 'tianshu_quota_reclaims_total',
      help: 'Reclaim proposals by outcome (proposed, declined, applied, cancelled, failed).',
      labelNames: ['outcome'] as const,
      registers: [d.metrics.registry],
    });
    this.failures = new Counter({
      name: 'tianshu_quota_review_failures_total',
      help: 'Failures of the review part by stage (sample, physical, review, apply).',
      labelNames: ['stage'] as const,
      registers: [d.metrics.registry],
    });
  }

  private policy() {
    return this.parts.policy();
  }

  private integer(cls: string): boolean {
    return this.policy().classes.find((c) => c.id === cls)?.integer ?? true;
  }

  /* ───────────────────────────── usage history ───────────────────────────── */

  /**
   * Writes usage samples to `quota_usage` (the sampler's path, and the tests' way to make usage
   * "idle for the window": samples with past timestamps). Bad rows are refused with the reason and
   * nothing is written.
   */
  async recordSamples(rows: readonly UsageSample[], opts: { dedupToken?: string } = {}): Promise<number> {
    if (rows.length === 0) return 0;
    const out = rows.map((r, i) => {
      const bad = (why: string) => new InputError(`usage sample ${i}: ${why}`);
      if (!Number.isFinite(r.ts) || r.ts < 0) throw bad('ts must be unix milliseconds');
      for (const k of ['cloudId', 'projectId', 'orgUnitId', 'orgPath', 'class'] as const) {
        if (typeof r[k] !== 'string' || r[k] === '') throw bad(`${k} is required`);
      }
      for (const k of ['quota', 'used'] as const) {
        if (!Number.isFinite(r[k]) || r[k] < 0) throw bad(`${k} must be a finite number ≥ 0`);
      }
      if (!r.orgPath.startsWith('/')) throw bad('orgPath is an org unit path such as /sc/sc-cd/');
      if (r.physical !== null && (!Number.isFinite(r.physical) || r.physical < 0)) {
        throw bad('physical must be null or a finite number ≥ 0');
      }
      return {
        ts: Math.floor(r.ts / 1000),
        cloud_id: r.cloudId,
        project_id: r.projectId,
        org_unit_id: r.orgUnitId,
        // Paths end with "/" (`/sc/sc-cd/`); one written without it is completed, so prefixes stay exact.
        org_path: r.orgPath.endsWith('/') ? r.orgPath : `${r.orgPath}/`,
        class: r.class,
        quota: r.quota,
        used: r.used,
        physical: r.physical,
      };
    });
    return this.d.telemetry.insert(
      QUOTA_TELEMETRY_TABLES.samples,
      out,
      opts.dedupToken ? { dedupToken: opts.dedupToken } : {},
    );
  }

  /** The sampler: one sample per (cloud, project, class with a quota, use or measurement). */
  async sampleUsage(at = this.now()): Promise<number> {
    let written = 0;
    const bucket = Math.floor(at / SAMPLE_EVERY_MILLIS);
    for (const cloud of await this.parts.clouds.managedClouds()) {
      try {
        const rows: UsageSample[] = [];
        for (const p of await this.parts.ledger.projectsOf(cloud.cloudId)) {
          const classes = new Set([
            ...Object.keys(p.quota),
            ...Object.keys(p.used),
            ...Object.keys(p.physical),
          ]);
          for (const cls of classes) {
            rows.push({
              ts: at,
              cloudId: cloud.cloudId,
              projectId: p.projectId,
              orgUnitId: p.orgUnitId,
              orgPath: p.orgPath,
              class: cls,
              quota: p.quota[cls] ?? 0,
              used: p.used[cls] ?? 0,
              physical: p.physical[cls] ?? null,
            });
          }
        }
        written += await this.recordSamples(rows, { dedupToken: `quota-usage:${cloud.cloudId}:${bucket}` });
      } catch (err) {
        this.failures.inc({ stage: 'sample' });
        this.d.log.error(
          { cloudId: cloud.cloudId, err: (err as Error).message },
          'quota usage sample failed',
        );
      }
    }
    return written;
  }

  /* ───────────────────────────── physical usage ───────────────────────────── */

  /**
   * Measures physical use per project on every managed cloud and records it through the ledger:
   * the cloud's own metrics (`adapter.physical()`, when the adapter has it) first, then for classes
   * the cloud did not measure the host agents of the hosts tied to the project on that cloud
   * (vcpu: CPU cores busy; memory: GiB used = total − available; block-storage: GiB used of the
   * filesystems). Resolves with what it recorded per cloud.
   */
  async measurePhysical(): Promise<Map<string, Array<{ projectId: string; physical: Amounts }>>> {
    const out = new Map<string, Array<{ projectId: string; physical: Amounts }>>();
    const hosts = await this.hostAgentUse();
    for (const cloud of await this.parts.clouds.managedClouds()) {
      const perProject = new Map<string, Amounts>();
      if (cloud.kind !== 'manual') {
        try {
          const measured = await this.cloudMetrics(cloud.cloudId, cloud.kind);
          for (const [projectId, amounts] of measured) perProject.set(projectId, { ...amounts });
        } catch (err) {
          this.failures.inc({ stage: 'physical' });
          this.d.log.warn(
            { cloudId: cloud.cloudId, err: (err as Error).message },
            'cannot read physical usage from the cloud; using host agents only',
          );
        }
      }
      for (const [projectId, amounts] of hosts.get(cloud.cloudId) ?? []) {
        const p = perProject.get(projectId) ?? {};
        for (const [cls, v] of Object.entries(amounts)) if (p[cls] === undefined) p[cls] = v;
        perProject.set(projectId, p);
      }
      const rows = [...perProject].map(([projectId, physical]) => ({ projectId, physical }));
      if (rows.length > 0) {
        try {
          await this.parts.ledger.recordPhysical(cloud.cloudId, rows);
        } catch (err) {
          this.failures.inc({ stage: 'physical' });
          this.d.log.error(
            { cloudId: cloud.cloudId, err: (err as Error).message },
            'cannot record physical usage',
          );
          continue;
        }
      }
      out.set(cloud.cloudId, rows);
    }
    return out;
  }

  private async cloudMetrics(
    cloudId: string,
    kind: 'kubernetes' | 'openstack',
  ): Promise<Map<string, Amounts>> {
    const result = new Map<string, Amounts>();
    const conn = await this.parts.clouds.connection(cloudId);
    if (!conn) return result;
    const adapter = this.parts.adapters[kind](conn);
    try {
      if (!adapter.physical) return result;
      const byName = await adapter.physical();
      if (byName.size === 0) return result;
      const names = new Map(
        (await this.parts.ledger.desired(cloudId)).map((p) => [p.target.externalName, p.target.projectId]),
      );
      for (const [name, amounts] of byName) {
        const projectId = names.get(name);
        if (projectId) result.set(projectId, amounts);
      }
      return result;
    } finally {
      await adapter.close().catch(() => undefined);
    }
  }

  /** Per cloud, per project: what the host agents of its tied hosts measured over the last minutes. */
  private async hostAgentUse(): Promise<Map<string, Map<string, Amounts>>> {
    const ties = await this.d.db.query<{
      project_id: string;
      cloud_id: string | null;
      agent_id: string | null;
    }>(
      `SELECT t.project_id, h.cloud_id, h.agent_id FROM quota_project_hosts t JOIN hosts h ON h.id = t.host_id
        WHERE h.agent_id IS NOT NULL AND h.cloud_id IS NOT NULL`,
    );
    const out = new Map<string, Map<string, Amounts>>();
    if (ties.rows.length === 0) return out;
    const perAgent = await this.agentUse(ties.rows.map((t) => t.agent_id!));
    const classes = new Set(this.policy().classes.map((c) => c.id));
    for (const t of ties.rows) {
      const use = perAgent.get(t.agent_id!);
      if (!use) continue;
      const cloud = out.get(t.cloud_id!) ?? new Map<string, Amounts>();
      const p = cloud.get(t.project_id) ?? {};
      const add = (cls: string, v: number | undefined) => {
        if (v === undefined || !classes.has(cls)) return;
        p[cls] = round((p[cls] ?? 0) + v, 3);
      };
      add('vcpu', use.cpuBusy);
      add('memory', use.memoryGiB);
      add('block-storage', use.diskGiB);
      cloud.set(t.project_id, p);
      out.set(t.cloud_id!, cloud);
    }
    return out;
  }

  /** CPU cores busy, memory GiB used and filesystem GiB used per agent, from `host_metrics`. */
  async agentUse(
    agentIds: readonly string[],
    at = this.now(),
  ): Promise<Map<string, { cpuBusy?: number; memoryGiB?: number; diskGiB?: number }>> {
    const rows = await this.d.telemetry.query<{
      agent_id: string;
      name: string;
      mode: string;
      device: string;
      fstype: string;
      first: number;
      last: number;
      dt: number;
    }>(
      `SELECT agent_id, name, labels['mode'] AS mode, labels['device'] AS device, labels['fstype'] AS fstype,
              argMin(value, ts) AS first, argMax(value, ts) AS last,
              toFloat64(toUnixTimestamp64Milli(max(ts)) - toUnixTimestamp64Milli(min(ts))) / 1000 AS dt
         FROM host_metrics
        WHERE agent_id IN {agents:Array(String)}
          AND name IN ('node_cpu_seconds_total', 'node_memory_total_bytes', 'node_memory_available_bytes',
                       'node_filesystem_size_bytes', 'node_filesystem_avail_bytes')
          AND ts >= fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND ts <= fromUnixTimestamp64Milli({to:Int64}, 'UTC')
          AND (name != 'node_cpu_seconds_total' OR labels['cpu'] = 'all')
          AND (name NOT LIKE 'node_filesystem_%'
               OR labels['fstype'] NOT IN ('tmpfs', 'devtmpfs', 'overlay', 'squashfs', 'ramfs', 'proc', 'sysfs'))
        GROUP BY agent_id, name, cityHash64(mapSort(labels)), mode, device, fstype`,
      { agents: [...new Set(agentIds)], from: at - PHYSICAL_LOOKBACK_MILLIS, to: at },
    );
    interface AgentAcc {
      cpu?: number;
      memTotal?: number;
      memAvail?: number;
      fs: Map<string, { size?: number; avail?: number }>;
    }
    const acc = new Map<string, AgentAcc>();
    for (const r of rows) {
      const a: AgentAcc = acc.get(r.agent_id) ?? { fs: new Map() };
      const first = Number(r.first);
      const last = Number(r.last);
      const dt = Number(r.dt);
      if (r.name === 'node_cpu_seconds_total') {
        if (dt > 0 && last >= first && r.mode !== 'idle' && r.mode !== 'iowait') {
          a.cpu = (a.cpu ?? 0) + (last - first) / dt;
        } else if (dt > 0) a.cpu = a.cpu ?? 0;
      } else if (r.name === 'node_memory_total_bytes') a.memTotal = last;
      else if (r.name === 'node_memory_available_bytes') a.memAvail = last;
      else {
        const f = a.fs.get(r.device) ?? {};
        if (r.name === 'node_filesystem_size_bytes') f.size = last;
        else f.avail = last;
        a.fs.set(r.device, f);
      }
      acc.set(r.agent_id, a);
    }
    const out = new Map<string, { cpuBusy?: number; memoryGiB?: number; diskGiB?: number }>();
    for (const [agent, a] of acc) {
      const use: { cpuBusy?: number; memoryGiB?: number; diskGiB?: number } = {};
      if (a.cpu !== undefined) use.cpuBusy = round(a.cpu, 3);
      if (a.memTotal !== undefined && a.memAvail !== undefined) {
        use.memoryGiB = round(Math.max(0, a.memTotal - a.memAvail) / GIB, 3);
      }
      let disk: number | undefined;
      for (const f of a.fs.values()) {
        if (f.size !== undefined && f.avail !== undefined) disk = (disk ?? 0) + Math.max(0, f.size - f.avail);
      }
      if (disk !== undefined) use.diskGiB = round(disk / GIB, 3);
      out.set(agent, use);
    }
    return out;
  }

  /** The hosts tied to a project (its physical usage), in the caller's scope. */
  async hosts(identity: Identity, projectId: string): Promise<{ projectId: string; hosts: ProjectHost[] }> {
    requirePermission(identity, 'quotas:read');
    await this.visibleProject(identity, projectId);
    const r = await this.d.db.query<{
      host_id: string;
      hostname: string;
      cloud_id: string | null;
      agent_id: string | null;
      tied_by: string;
      tied_at: Date | string;
      path: string;
    }>(
      `SELECT t.host_id, h.hostname, h.cloud_id, h.agent_id, t.tied_by, t.tied_at, u.path
         FROM quota_project_hosts t JOIN hosts h ON h.id = t.host_id JOIN org_units u ON u.id = h.org_unit_id
        WHERE t.project_id = $1 ORDER BY t.host_id`,
      [projectId],
    );
    return {
      projectId,
      hosts: r.rows
        .filter((h) => inScope(identity, h.path))
        .map((h) => ({
          hostId: h.host_id,
          hostname: h.hostname,
          cloudId: h.cloud_id,
          agentId: h.agent_id,
          tiedBy: h.tied_by,
          tiedAt: iso(h.tied_at)!,
        })),
    };
  }

  /**
   * Sets the hosts whose agents measure a project's physical use (replacing the previous set). Each
   * host must be visible to the caller, run in a cloud where the project holds quota, and serve no
   * other project.
   */
  async setHosts(
    identity: Identity,
    projectId: string,
    hostIds: readonly string[],
  ): Promise<{ projectId: string; hosts: ProjectHost[] }> {
    requirePermission(identity, 'quotas:write');
    const unique = [...new Set(hostIds)];
    const hostClouds = await this.d.db.query<{ cloud_id: string }>(
      'SELECT DISTINCT cloud_id FROM hosts WHERE id = ANY($1::text[]) AND cloud_id IS NOT NULL',
      [unique],
    );
    const project = await this.visibleProject(
      identity,
      projectId,
      hostClouds.rows.map((h) => h.cloud_id),
    );
    await this.d.db.transaction(async (tx) => {
      const found = await tx.query<{
        id: string;
        cloud_id: string | null;
        path: string;
        project_id: string | null;
      }>(
        `SELECT h.id, h.cloud_id, u.path, t.project_id FROM hosts h JOIN org_units u ON u.id = h.org_unit_id
           LEFT JOIN quota_project_hosts t ON t.host_id = h.id
          WHERE h.id = ANY($1::text[]) FOR UPDATE OF h`,
        [unique],
      );
      const byId = new Map(found.rows.map((h) => [h.id, h]));
      for (const [i, id] of unique.entries()) {
        const h = byId.get(id);
        if (!h || !inScope(identity, h.path)) throw new NotFoundError(`host "${id}" not found`);
        if (!h.cloud_id || !project.clouds.includes(h.cloud_id)) {
          throw new InputError(
            `host "${id}" runs ${h.cloud_id ? `in cloud "${h.cloud_id}"` : 'in no cloud'}, where project "${projectId}" holds no quota`,
            [{ path: `hostIds.${i}`, message: 'the host is not in a cloud of the project' }],
          );
        }
        if (h.project_id && h.project_id !== projectId) {
          throw new ConflictError(
            `host "${id}" already serves project "${h.project_id}"; untie it there first`,
          );
        }
      }
      const before = await tx.query<{ host_id: string }>(
        'SELECT host_id FROM quota_project_hosts WHERE project_id = $1 ORDER BY host_id',
        [projectId],
      );
      await tx.query('DELETE FROM quota_project_hosts WHERE project_id = $1', [projectId]);
      if (unique.length > 0) {
        await tx.query(
          `INSERT INTO quota_project_hosts (host_id, project_id, tied_by)
           SELECT unnest($1::text[]), $2, $3`,
          [unique, projectId, identity.name],
        );
      }
      await this.d.audit.record(
        identity,
        {
          action: 'quota.project.hosts',
          targetType: 'quota-project',
          targetId: projectId,
          orgUnitId: project.orgUnitId,
          details: { before: before.rows.map((r) => r.host_id), after: unique.sort() },
        },
        tx,
      );
    });
    return this.hosts(identity, projectId);
  }

  /**
   * A project (the tree's `quota_projects`) whose unit is in the caller's subtree (404 otherwise),
   * with the clouds where it holds quota (read through the ledger, for the clouds asked about).
   */
  private async visibleProject(
    identity: Identity,
    projectId: string,
    cloudIds: readonly string[] = [],
  ): Promise<{ orgUnitId: string; orgPath: string; clouds: string[] }> {
    const r = await this.d.db.query<{ org_unit_id: string; path: string }>(
      `SELECT p.org_unit_id, u.path FROM quota_projects p JOIN org_units u ON u.id = p.org_unit_id WHERE p.id = $1`,
      [projectId],
    );
    const row = r.rows[0];
    if (!row || !inScope(identity, row.path)) throw new NotFoundError(`project "${projectId}" not found`);
    const clouds: string[] = [];
    for (const cloudId of new Set(cloudIds)) {
      const p = (await this.parts.ledger.projectsOf(cloudId)).find((x) => x.projectId === projectId);
      if (p && Object.values(p.quota).some((v) => v > 0)) clouds.push(cloudId);
    }
    return { orgUnitId: row.org_unit_id, orgPath: row.path, clouds };
  }

  /* ───────────────────────────── review ───────────────────────────── */

  /**
   * The review: per managed cloud, per project with quota, judges each class over the policy's window
   * (`model.judgeProject`), proposes reclaiming the idle amounts (one open proposal per project and
   * cloud; none while the owner declined less than a window ago), raises `quota-reclaim-proposed` for
   * the project's unit, and cancels open proposals whose project is no longer idle. Serialized across
   * replicas by a lock; a cloud that fails is reported and the others go on.
   */
  async review(identity: Identity = systemIdentity()): Promise<ReviewRunResult> {
    return this.d.db.withLock('quotas.review', async () => {
      const result: ReviewRunResult = {
        clouds: 0,
        judged: 0,
        notJudged: 0,
        proposed: 0,
        declinedRecently: 0,
        cancelled: 0,
        errors: [],
      };
      for (const cloud of await this.parts.clouds.managedClouds()) {
        result.clouds += 1;
        try {
          await this.reviewCloud(identity, cloud.cloudId, result);
        } catch (err) {
          this.failures.inc({ stage: 'review' });
          result.errors.push({ cloudId: cloud.cloudId, message: (err as Error).message });
          this.d.log.error({ cloudId: cloud.cloudId, err: (err as Error).message }, 'quota review failed');
        }
      }
      await this.d.audit.record(identity, {
        action: 'quota.review.run',
        targetType: 'quota-review',
        details: { ...result },
        outcome: result.errors.length > 0 ? 'failure' : 'success',
      });
      return result;
    });
  }

  /** Window statistics of every (project, class) of a cloud from the raw samples. */
  async windowStats(
    cloudId: string,
    from: number,
    to: number,
    windowDays: number,
  ): Promise<Map<string, Map<string, SeriesStats>>> {
    const { slice, count } = coverageSlices(from, to, windowDays);
    const rows = await this.d.telemetry.query<{
      project_id: string;
      class: string;
      first: number;
      last: number;
      samples: number;
      peak_used: number;
      peak_physical: number | null;
      slices: number;
    }>(
      `SELECT project_id, toString(class) AS class,
              toUInt32(min(ts)) AS first, toUInt32(max(ts)) AS last, toUInt32(count()) AS samples,
              max(used) AS peak_used, maxOrNull(physical) AS peak_physical,
              toUInt32(uniqExactIf(intDiv(toUInt32(ts) - {from:UInt32}, {slice:UInt32}),
                                   intDiv(toUInt32(ts) - {from:UInt32}, {slice:UInt32}) < {count:UInt32})) AS slices
         FROM ${QUOTA_TELEMETRY_TABLES.samples}
        WHERE cloud_id = {cloud:String}
          AND ts >= toDateTime({from:UInt32}, 'UTC') AND ts <= toDateTime({to:UInt32}, 'UTC')
        GROUP BY project_id, class`,
      { cloud: cloudId, from: Math.floor(from), to: Math.floor(to), slice, count },
    );
    const out = new Map<string, Map<string, SeriesStats>>();
    for (const r of rows) {
      const m = out.get(r.project_id) ?? new Map<string, SeriesStats>();
      m.set(r.class, {
        class: r.class,
        first: Number(r.first),
        last: Number(r.last),
        samples: Number(r.samples),
        peakUsed: Number(r.peak_used),
        peakPhysical: r.peak_physical === null ? null : Number(r.peak_physical),
        slicesCovered: Number(r.slices),
      });
      out.set(r.project_id, m);
    }
    return out;
  }

  private async reviewCloud(identity: Identity, cloudId: string, result: ReviewRunResult): Promise<void> {
    const settings = this.policy().review;
    const nowMs = this.now();
    const to = Math.floor(nowMs / 1000);
    const from = to - settings.windowDays * DAY_SECONDS;
    const projects = await this.parts.ledger.projectsOf(cloudId);
    if (projects.length === 0) return;
    const stats = await this.windowStats(cloudId, from, to, settings.windowDays);
    const open = await this.d.db.query<ReclaimRow>(
      `SELECT * FROM quota_reclaims WHERE cloud_id = $1 AND status = 'proposed'`,
      [cloudId],
    );
    const openBy = new Map(open.rows.map((r) => [r.project_id, r]));
    const declined = await this.d.db.query<{ project_id: string }>(
      `SELECT DISTINCT project_id FROM quota_reclaims
        WHERE cloud_id = $1 AND status = 'declined' AND decided_at > $2`,
      [cloudId, new Date(nowMs - settings.windowDays * DAY_SECONDS * 1000)],
    );
    const declinedSet = new Set(declined.rows.map((r) => r.project_id));
    for (const p of projects) {
      const judged = judgeProject({
        quota: p.quota,
        used: p.used,
        stats: stats.get(p.projectId) ?? new Map(),
        integer: (c) => this.integer(c),
        settings,
        from,
        to,
      });
      const covered = judged.classes.some((c) => c.verdict !== 'uncovered');
      if (judged.classes.length === 0) continue;
      if (covered) result.judged += 1;
      else result.notJudged += 1;
      const existing = openBy.get(p.projectId);
      const idle = Object.keys(judged.amounts).length > 0;
      if (existing) {
        // Still idle (or not judged: samples missing proves nothing): the proposal stands.
        if (idle || !covered) continue;
        await this.cancel(
          identity,
          existing,
          'the project is no longer idle: its peak use rose above the threshold',
        );
        result.cancelled += 1;
        continue;
      }
      if (!idle) continue;
      if (declinedSet.has(p.projectId)) {
        result.declinedRecently += 1;
        continue;
      }
      if (await this.propose(identity, cloudId, p, judged.classes, judged.amounts, { from, to, nowMs })) {
        result.proposed += 1;
      }
    }
  }

  private async propose(
    identity: Identity,
    cloudId: string,
    p: { projectId: string; orgUnitId: string; orgPath: string },
    classes: readonly ClassJudgement[],
    amounts: Amounts,
    w: { from: number; to: number; nowMs: number },
  ): Promise<boolean> {
    const settings = this.policy().review;
    const pick = (f: (c: ClassJudgement) => number | null): Amounts =>
      Object.fromEntries(
        classes.flatMap((c) => {
          const v = f(c);
          return v === null ? [] : [[c.class, v]];
        }),
      );
    const evidence: ReclaimEvidence = {
      windowDays: settings.windowDays,
      from: new Date(w.from * 1000).toISOString(),
      to: new Date(w.to * 1000).toISOString(),
      idleThreshold: settings.idleThreshold,
      headroom: settings.headroom,
      peakUsed: pick((c) => c.peakUsed),
      peakPhysical: pick((c) => c.peakPhysical),
      quota: pick((c) => c.quota),
      used: pick((c) => c.used),
      keep: pick((c) => (c.verdict === 'idle' ? c.keep : null)),
      samples: Object.fromEntries(classes.map((c) => [c.class, c.samples])),
    };
    const id = randomUUID();
    const applyAfter = new Date(w.nowMs + settings.graceDays * DAY_SECONDS * 1000);
    return this.d.db.transaction(async (tx) => {
      const r = await tx.query(
        `INSERT INTO quota_reclaims (id, cloud_id, project_id, org_unit_id, org_path, amounts, evidence, status,
                                     proposed_at, apply_after)
         VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, 'proposed', $8, $9)
         ON CONFLICT (cloud_id, project_id) WHERE status = 'proposed' DO NOTHING`,
        [
          id,
          cloudId,
          p.projectId,
          p.orgUnitId,
          p.orgPath,
          JSON.stringify(amounts),
          JSON.stringify(evidence),
          new Date(w.nowMs),
          applyAfter,
        ],
      );
      if (r.rowCount === 0) return false;
      await this.d.audit.record(
        identity,
        {
          action: 'quota.reclaim.propose',
          targetType: 'quota-reclaim',
          targetId: id,
          orgUnitId: p.orgUnitId,
          details: {
            cloudId,
            projectId: p.projectId,
            amounts,
            evidence,
            applyAfter: applyAfter.toISOString(),
          },
        },
        tx,
      );
      await this.alarms.fire(
        {
          kind: 'quota-reclaim-proposed',
          severity: 'warning',
          orgUnitId: p.orgUnitId,
          targetType: 'quota-reclaim',
          targetId: id,
          summary: `Idle quota of project ${p.projectId} on cloud ${cloudId} (${describe(amounts)}) will be reclaimed after ${applyAfter.toISOString()} unless its owner declines`,
          labels: { cloudId, projectId: p.projectId },
        },
        new Date(w.nowMs),
        tx,
      );
      this.outcomes.inc({ outcome: 'proposed' });
      return true;
    });
  }

  private async cancel(identity: Identity, row: ReclaimRow, reason: string): Promise<void> {
    await this.d.db.transaction(async (tx) => {
      const r = await tx.query(
        `UPDATE quota_reclaims SET status = 'cancelled', decided_at = $2, decided_by = $3, reason = $4
          WHERE id = $1 AND status = 'proposed'`,
        [row.id, new Date(this.now()), identity.name, reason],
      );
      if (r.rowCount === 0) return;
      await this.d.audit.record(
        identity,
        {
          action: 'quota.reclaim.cancel',
          targetType: 'quota-reclaim',
          targetId: row.id,
          orgUnitId: row.org_unit_id,
          details: { cloudId: row.cloud_id, projectId: row.project_id, reason },
        },
        tx,
      );
      await this.alarms.resolve('quota-reclaim-proposed', 'quota-reclaim', row.id, new Date(this.now()), tx);
      this.outcomes.inc({ outcome: 'cancelled' });
    });
  }

  /* ───────────────────────────── proposals ───────────────────────────── */

  async list(
    identity: Identity,
    filter: {
      status?: ReclaimStatus | undefined;
      orgUnit?: string | undefined;
      cloud?: string | undefined;
    } = {},
  ): Promise<{ items: Reclaim[] }> {
    requirePermission(identity, 'quotas:read');
    const path = filter.orgUnit
      ? await this.d.orgUnits.assertInScope(identity, filter.orgUnit)
      : identity.orgUnitPath;
    const where = ['starts_with(org_path, $1)'];
    const params: unknown[] = [path];
    if (filter.status) {
      params.push(filter.status);
      where.push(`status = $${params.length}`);
    }
    if (filter.cloud) {
      params.push(filter.cloud);
      where.push(`cloud_id = $${params.length}`);
    }
    const r = await this.d.db.query<ReclaimRow>(
      `SELECT * FROM quota_reclaims WHERE ${where.join(' AND ')} ORDER BY proposed_at DESC, id LIMIT 1000`,
      params,
    );
    return { items: r.rows.map(toReclaim) };
  }

  async get(identity: Identity, id: string, tx?: Queryable): Promise<Reclaim> {
    requirePermission(identity, 'quotas:read');
    return toReclaim(await this.row(identity, id, tx));
  }

  private async row(identity: Identity, id: string, tx?: Queryable, lock = false): Promise<ReclaimRow> {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
    const r = uuid
      ? await (tx ?? this.d.db).query<ReclaimRow>(
          `SELECT * FROM quota_reclaims WHERE id = $1${lock ? ' FOR UPDATE' : ''}`,
          [id],
        )
      : { rows: [] as ReclaimRow[] };
    const row = r.rows[0];
    if (!row || !inScope(identity, row.org_path))
      throw new NotFoundError(`reclaim proposal "${id}" not found`);
    return row;
  }

  /** The owner (the project's unit or above, `quotas:apply`) declines with a reason. */
  async decline(identity: Identity, id: string, reason: string): Promise<Reclaim> {
    requirePermission(identity, 'quotas:apply');
    const text = reason.trim();
    if (!text)
      throw new InputError('a reason is required to decline', [{ path: 'reason', message: 'required' }]);
    return this.d.db.transaction(async (tx) => {
      const row = await this.row(identity, id, tx, true);
      if (row.status !== 'proposed') {
        throw new ConflictError(
          `reclaim proposal "${id}" is ${row.status}, not proposed: it cannot be declined`,
        );
      }
      const at = new Date(this.now());
      await tx.query(
        `UPDATE quota_reclaims SET status = 'declined', decided_at = $2, decided_by = $3, reason = $4 WHERE id = $1`,
        [id, at, identity.name, text],
      );
      await this.d.audit.record(
        identity,
        {
          action: 'quota.reclaim.decline',
          targetType: 'quota-reclaim',
          targetId: id,
          orgUnitId: row.org_unit_id,
          details: {
            cloudId: row.cloud_id,
            projectId: row.project_id,
            amounts: json(row.amounts),
            reason: text,
          },
        },
        tx,
      );
      await this.alarms.resolve('quota-reclaim-proposed', 'quota-reclaim', id, at, tx);
      this.outcomes.inc({ outcome: 'declined' });
      return toReclaim(
        (await tx.query<ReclaimRow>('SELECT * FROM quota_reclaims WHERE id = $1', [id])).rows[0]!,
      );
    });
  }

  /** A cloud admin (`quotas:write`) applies an open proposal now, before its grace period ends. */
  async apply(identity: Identity, id: string): Promise<Reclaim> {
    requirePermission(identity, 'quotas:write');
    const row = await this.row(identity, id);
    if (row.status !== 'proposed') {
      throw new ConflictError(
        `reclaim proposal "${id}" is ${row.status}, not proposed: it cannot be applied`,
      );
    }
    await this.applyRow(identity, row);
    return this.get(identity, id);
  }

  /** The grace job: applies every open proposal whose grace period is over. */
  async applyDue(): Promise<{ applied: number; cancelled: number; failed: number }> {
    const due = await this.d.db.query<ReclaimRow>(
      `SELECT * FROM quota_reclaims WHERE status = 'proposed' AND apply_after <= $1 ORDER BY apply_after LIMIT 500`,
      [new Date(this.now())],
    );
    const out = { applied: 0, cancelled: 0, failed: 0 };
    const system = systemIdentity();
    for (const row of due.rows) {
      try {
        const outcome = await this.applyRow(system, row);
        if (outcome === 'applied') out.applied += 1;
        else if (outcome === 'cancelled') out.cancelled += 1;
      } catch {
        out.failed += 1;
      }
    }
    return out;
  }

  /**
   * Takes the proposal's amounts back (clamped to what the quota still holds above current usage)
   * through `ledger.release({ reclaim: true })` in one transaction with the proposal's new status,
   * its audit entry and the alarm's resolution; then asks for a reconcile pass. A failure is recorded
   * on the proposal (shown in the list) and audited, and the proposal stays open.
   */
  private async applyRow(identity: Identity, row: ReclaimRow): Promise<'applied' | 'cancelled' | 'gone'> {
    const amounts = json(row.amounts);
    try {
      const current = (await this.parts.ledger.projectsOf(row.cloud_id)).find(
        (p) => p.projectId === row.project_id,
      );
      const take = current
        ? clampToCurrent(amounts, current.quota, current.used, (c) => this.integer(c))
        : {};
      const outcome = await this.d.db.transaction(async (tx) => {
        const locked = await tx.query<{ status: string }>(
          'SELECT status FROM quota_reclaims WHERE id = $1 FOR UPDATE',
          [row.id],
        );
        if (locked.rows[0]?.status !== 'proposed') return 'gone' as const;
        const at = new Date(this.now());
        if (Object.keys(take).length === 0) {
          const reason = 'nothing left to take back: usage grew or the quota was lowered since the proposal';
          await tx.query(
            `UPDATE quota_reclaims SET status = 'cancelled', decided_at = $2, decided_by = $3, reason = $4 WHERE id = $1`,
            [row.id, at, identity.name, reason],
          );
          await this.d.audit.record(
            identity,
            {
              action: 'quota.reclaim.cancel',
              targetType: 'quota-reclaim',
              targetId: row.id,
              orgUnitId: row.org_unit_id,
              details: { cloudId: row.cloud_id, projectId: row.project_id, reason },
            },
            tx,
          );
          await this.alarms.resolve('quota-reclaim-proposed', 'quota-reclaim', row.id, at, tx);
          return 'cancelled' as const;
        }
        const evidence = json(row.evidence);
        await this.parts.ledger.release(tx, {
          cloudId: row.cloud_id,
          projectId: row.project_id,
          amounts: take,
          actor: identity.name,
          reason: `reclaim ${row.id}: idle for ${evidence.windowDays} days (peak under ${evidence.idleThreshold * 100} % of the quota)`,
          reclaim: true,
        });
        await tx.query(
          `UPDATE quota_reclaims SET status = 'applied', applied = $2::jsonb, decided_at = $3, decided_by = $4,
                  error = NULL, error_at = NULL
            WHERE id = $1`,
          [row.id, JSON.stringify(take), at, identity.name],
        );
        await this.d.audit.record(
          identity,
          {
            action: 'quota.reclaim.apply',
            targetType: 'quota-reclaim',
            targetId: row.id,
            orgUnitId: row.org_unit_id,
            details: {
              cloudId: row.cloud_id,
              projectId: row.project_id,
              proposed: amounts,
              applied: take,
              evidence,
            },
          },
          tx,
        );
        await this.alarms.resolve('quota-reclaim-proposed', 'quota-reclaim', row.id, at, tx);
        return 'applied' as const;
      });
      if (outcome !== 'gone') this.outcomes.inc({ outcome });
      if (outcome === 'applied') this.parts.sync.kick(row.cloud_id);
      return outcome;
    } catch (err) {
      const message = (err as Error).message.slice(0, 1000);
      this.failures.inc({ stage: 'apply' });
      this.outcomes.inc({ outcome: 'failed' });
      this.d.log.error({ reclaimId: row.id, err: message }, 'cannot apply a reclaim proposal');
      await this.d.db
        .query('UPDATE quota_reclaims SET error = $2, error_at = $3 WHERE id = $1', [
          row.id,
          message,
          new Date(this.now()),
        ])
        .catch(() => undefined);
      await this.d.audit
        .record(identity, {
          action: 'quota.reclaim.apply',
          targetType: 'quota-reclaim',
          targetId: row.id,
          orgUnitId: row.org_unit_id,
          outcome: 'failure',
          details: { cloudId: row.cloud_id, projectId: row.project_id, amounts, error: message },
        })
        .catch(() => undefined);
      throw err;
    }
  }

  /* ───────────────────────────── showback ───────────────────────────── */

  private month(month: string | undefined) {
    try {
      return monthRange(month, new Date(this.now()));
    } catch (err) {
      throw new InputError((err as Error).message, [{ path: 'month', message: (err as Error).message }]);
    }
  }

  private async dailyRows(
    from: Date,
    to: Date,
    where: { pathPrefix?: string; cloudId?: string },
  ): Promise<Array<DailyRow & { cloudId: string; projectId: string }>> {
    const rows = await this.d.telemetry.query<{
      cloud_id: string;
      project_id: string;
      class: string;
      series_path: string;
      samples: number;
      quota_sum: number;
      used_sum: number;
      physical_samples: number;
      physical_sum: number;
    }>(
      `SELECT toString(cloud_id) AS cloud_id, project_id, toString(class) AS class, anyLast(org_path) AS series_path,
              toFloat64(sum(samples)) AS samples, sum(quota_sum) AS quota_sum, sum(used_sum) AS used_sum,
              toFloat64(sum(physical_samples)) AS physical_samples, sum(physical_sum) AS physical_sum
         FROM ${QUOTA_TELEMETRY_TABLES.daily}
        WHERE day >= toDate({from:String}) AND day < toDate({to:String})
          ${where.pathPrefix !== undefined ? 'AND startsWith(org_path, {path:String})' : ''}
          ${where.cloudId !== undefined ? 'AND cloud_id = {cloud:String}' : ''}
        GROUP BY cloud_id, project_id, class, day`,
      {
        from: from.toISOString().slice(0, 10),
        to: to.toISOString().slice(0, 10),
        ...(where.pathPrefix !== undefined ? { path: where.pathPrefix } : {}),
        ...(where.cloudId !== undefined ? { cloud: where.cloudId } : {}),
      },
    );
    return rows.map((r) => ({
      cloudId: r.cloud_id,
      projectId: r.project_id,
      orgPath: r.series_path,
      class: r.class,
      samples: Number(r.samples),
      quotaSum: Number(r.quota_sum),
      usedSum: Number(r.used_sum),
      physicalSamples: Number(r.physical_samples),
      physicalSum: Number(r.physical_sum),
    }));
  }

  /**
   * Showback of a month for an org unit (default the caller's) and each of its children, each summing
   * its subtree over every cloud (`model.showback`).
   */
  async showback(
    identity: Identity,
    opts: { month?: string | undefined; orgUnit?: string | undefined } = {},
  ): Promise<{ month: string; currency: 'CNY'; days: number; items: ShowbackItem[] }> {
    requirePermission(identity, 'quotas:read');
    const range = this.month(opts.month);
    const rootId = opts.orgUnit ?? identity.orgUnitId;
    const rootPath = await this.d.orgUnits.assertInScope(identity, rootId);
    const units = await this.d.db.query<{ id: string; name: string; path: string; parent_id: string | null }>(
      `SELECT id, name, path, parent_id FROM org_units WHERE id = $1 OR parent_id = $1 ORDER BY id = $1 DESC, path`,
      [rootId],
    );
    const rows = await this.dailyRows(range.from, range.to, { pathPrefix: rootPath });
    const prices = new Map(this.policy().classes.map((c) => [c.id, c.monthlyPrice]));
    const price = (cls: string) => prices.get(cls) ?? 0;
    const items = units.rows
      .filter((u) => inScope(identity, u.path))
      .map((u) => {
        const s = showback(
          rows.filter((r) => r.orgPath.startsWith(u.path)),
          range.days,
          price,
        );
        return { orgUnitId: u.id, name: u.name, ...s };
      });
    return { month: range.month, currency: 'CNY', days: range.days, items };
  }

  /* ───────────────────────────── scorecards ───────────────────────────── */

  /**
   * The month's scorecard of every managed cloud whose owner unit is in the caller's subtree:
   * availability (reconcile passes that reached the cloud, and the hours its hosts' agents reported),
   * the median hours from apply to enforced, utilisation (average used / average quota per class),
   * physical efficiency (physical / used), drift and errors, and the score (`model.score`).
   */
  async scorecards(
    identity: Identity,
    opts: { month?: string | undefined } = {},
  ): Promise<{ month: string; items: Scorecard[] }> {
    requirePermission(identity, 'quotas:read');
    const range = this.month(opts.month);
    const clouds = (await this.parts.clouds.managedClouds()).filter((c) => inScope(identity, c.orgPath));
    const names = new Map(
      (
        await this.d.db.query<{ id: string; name: string }>(
          'SELECT id, name FROM clouds WHERE id = ANY($1::text[])',
          [clouds.map((c) => c.cloudId)],
        )
      ).rows.map((r) => [r.id, r.name]),
    );
    const end = new Date(Math.min(range.to.getTime(), this.now()));
    const items: Scorecard[] = [];
    for (const c of clouds) {
      const history = await this.parts.sync.history(c.cloudId, range.from, range.to);
      const fulfilment = await this.parts.requests.fulfilment(c.cloudId, range.from, range.to);
      const rows = await this.dailyRows(range.from, range.to, { cloudId: c.cloudId });
      const sums = new Map<string, { quota: number; used: number; physical: number; physicalUsed: number }>();
      for (const r of rows) {
        if (r.samples <= 0) continue;
        const s = sums.get(r.class) ?? { quota: 0, used: 0, physical: 0, physicalUsed: 0 };
        s.quota += r.quotaSum / r.samples;
        s.used += r.usedSum / r.samples;
        if (r.physicalSamples > 0) {
          s.physical += r.physicalSum / r.physicalSamples;
          s.physicalUsed += r.usedSum / r.samples;
        }
        sums.set(r.class, s);
      }
      const utilisation: Record<string, number> = {};
      const physicalEfficiency: Record<string, number> = {};
      for (const [cls, s] of [...sums].sort(([a], [b]) => a.localeCompare(b))) {
        if (s.quota > 0) utilisation[cls] = round(s.used / s.quota, 4);
        if (s.physicalUsed > 0) physicalEfficiency[cls] = round(s.physical / s.physicalUsed, 4);
      }
      const apiAvailability = history.passes > 0 ? round(1 - history.failedPasses / history.passes, 4) : null;
      const agentAvailability = await this.agentAvailability(c.cloudId, range.from, end);
      const parts = [apiAvailability, agentAvailability].filter((x): x is number => x !== null);
      const availability = parts.length ? round(parts.reduce((a, b) => a + b, 0) / parts.length, 4) : null;
      const fulfilmentHoursMedian = fulfilment.medianHours === null ? null : round(fulfilment.medianHours, 2);
      items.push({
        cloudId: c.cloudId,
        name: names.get(c.cloudId) ?? c.cloudId,
        availability,
        apiAvailability,
        agentAvailability,
        fulfilmentHoursMedian,
        fulfilledRequests: fulfilment.count,
        utilisation,
        physicalEfficiency,
        passes: history.passes,
        failedPasses: history.failedPasses,
        drift: history.drift,
        errors: history.errors,
        score: score({
          availability,
          fulfilmentHoursMedian,
          utilisation,
          passes: history.passes,
          drift: history.drift,
          errors: history.errors,
        }),
      });
    }
    return { month: range.month, items };
  }

  /**
   * Share of the hours of [from, to) in which each agent of the cloud's hosts reported host metrics
   * (from the 1-hour roll-up), averaged over the agents; null when the cloud has no host with an agent.
   */
  private async agentAvailability(cloudId: string, from: Date, to: Date): Promise<number | null> {
    const hours = Math.floor((to.getTime() - from.getTime()) / 3_600_000);
    if (hours <= 0) return null;
    const agents = await this.d.db.query<{ agent_id: string }>(
      'SELECT agent_id FROM hosts WHERE cloud_id = $1 AND agent_id IS NOT NULL',
      [cloudId],
    );
    if (agents.rows.length === 0) return null;
    const r = await this.d.telemetry.query<{ hours: number }>(
      `SELECT toFloat64(count()) AS hours FROM (
         SELECT DISTINCT agent_id, ts FROM host_metrics_1h
          WHERE agent_id IN {agents:Array(String)}
            AND ts >= toDateTime({from:UInt32}, 'UTC') AND ts < toDateTime({to:UInt32}, 'UTC'))`,
      {
        agents: agents.rows.map((a) => a.agent_id),
        from: Math.floor(from.getTime() / 1000),
        to: Math.floor(to.getTime() / 1000),
      },
    );
    const reported = Number(r[0]?.hours ?? 0);
    return round(Math.min(1, reported / (hours * agents.rows.length)), 4);
  }

  /* ───────────────────────────── overview and jobs ───────────────────────────── */

  /** `quotas.reclaimable`: open proposals in the caller's subtree; `quotas.reclaimableAmounts`: their sums per class. */
  async overview(identity: Identity): Promise<Record<string, unknown>> {
    const r = await this.d.db.query<{ amounts: Amounts | string }>(
      `SELECT amounts FROM quota_reclaims WHERE status = 'proposed' AND starts_with(org_path, $1)`,
      [identity.orgUnitPath],
    );
    const sums: Amounts = {};
    for (const row of r.rows) {
      for (const [cls, v] of Object.entries(json(row.amounts))) sums[cls] = round((sums[cls] ?? 0) + v, 3);
    }
    return { reclaimable: r.rows.length, reclaimableAmounts: sums };
  }

  jobs(): ModuleJob[] {
    return [
      {
        name: 'quotas.usage-sample',
        everyMillis: SAMPLE_EVERY_MILLIS,
        run: async () => {
          await this.sampleUsage();
        },
      },
      {
        name: 'quotas.physical',
        everyMillis: PHYSICAL_EVERY_MILLIS,
        run: async () => {
          await this.measurePhysical();
        },
      },
      {
        name: 'quotas.review',
        everyMillis: REVIEW_EVERY_MILLIS,
        run: async () => {
          const r = await this.review();
          if (r.errors.length > 0) {
            throw new Error(
              `review failed on ${r.errors.map((e) => `${e.cloudId}: ${e.message}`).join('; ')}`,
            );
          }
        },
      },
      {
        name: 'quotas.reclaim-apply',
        everyMillis: APPLY_EVERY_MILLIS,
        run: async () => {
          const r = await this.applyDue();
          if (r.failed > 0)
            throw new Error(`${r.failed} reclaim proposal(s) could not be applied (see each one's error)`);
        },
      },
    ];
  }
}

function describe(amounts: Amounts): string {
  return Object.entries(amounts)
    .map(([cls, v]) => `${cls} ${v}`)
    .join(', ');
}

/** For the routes' CSV export. */
export function showbackCsv(s: { month: string; items: ShowbackItem[] }): string {
  // Quoted when needed; a leading = + - @ is neutralised so spreadsheets do not run it as a formula.
  const esc = (raw: string) => {
    const v = /^[=+\-@]/.test(raw) && !/^-?\d/.test(raw) ? `'${raw}` : raw;
    return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
  };
  const lines = ['month,orgUnitId,name,class,quota,used,cost'];
  for (const item of s.items) {
    for (const [cls, c] of Object.entries(item.byClass)) {
      lines.push(
        [s.month, item.orgUnitId, item.name, cls, String(c.quota), String(c.used), c.cost.toFixed(2)]
          .map(esc)
          .join(','),
      );
    }
    lines.push(
      [s.month, item.orgUnitId, item.name, 'total', '', '', item.total.toFixed(2)].map(esc).join(','),
    );
  }
  return lines.join('\r\n') + '\r\n';
}
