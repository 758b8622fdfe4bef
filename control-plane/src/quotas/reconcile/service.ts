import { alarmsRef } from '../../alerting/module.js';
import type { AlarmSink } from '../../alerting/types.js';
import { inScope, requirePermission, type Identity } from '../../auth/identity.js';
import { ConflictError, InputError, NotFoundError } from '../../errors.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { QuotasPolicy } from '../policy.js';
import {
  CloudError,
  type AdapterFactory,
  type Amounts,
  type CloudAdapter,
  type CloudConnection,
  type CloudDirectory,
  type CloudKind,
  type DesiredProject,
  type ProjectState,
  type ProjectSync,
  type QuotaLedger,
  type SyncState,
  type SyncStatus,
} from '../types.js';

/** Writes to one cloud in flight at once (per pass). */
export const RECONCILE_CONCURRENCY = 16;
/** Rows written to the state store per statement. */
const FLUSH_ROWS = 500;
const KICK_DELAY_MS = 200;
const WATCH_DEBOUNCE_MS = 500;
/** A watch change of more names than this runs a full pass instead of a targeted one. */
const TARGETED_MAX = 200;

export const QUOTA_DRIFT = 'quota-drift';
export const QUOTA_CLOUD_ERROR = 'quota-cloud-error';

/** What one pass of one cloud did. */
export interface PassReport {
  cloudId: string;
  kind: CloudKind;
  /** `ok`: the cloud answered; `error`: it could not be read (nothing written), or some projects failed. */
  state: 'ok' | 'error';
  projects: number;
  /** Projects written to the cloud (created or changed). */
  written: number;
  unchanged: number;
  drift: number;
  restored: number;
  errors: number;
  awaiting: number;
  error: { kind: string; message: string } | null;
  millis: number;
}

export interface CloudSyncStatus {
  state: 'ok' | 'error' | 'never';
  error: { kind: string; message: string; at: string } | null;
  checkedAt: string | null;
}

interface SyncRow {
  cloud_id: string;
  project_id: string;
  org_unit_id: string;
  org_path: string;
  external_name: string;
  state: SyncState;
  applied_version: string | number;
  applied_hard: Amounts | string;
  error: SyncStatus['error'] | string | null;
  drift: SyncStatus['drift'] | string | null;
  checked_at: Date | string | null;
}

interface RowOut {
  project_id: string;
  org_unit_id: string;
  org_path: string;
  external_name: string;
  state: SyncState;
  applied_version: number;
  applied_hard: Amounts;
  error: SyncStatus['error'];
  drift: SyncStatus['drift'];
}

function json<T>(v: T | string | null): T | null {
  if (v === null || v === undefined) return null;
  return typeof v === 'string' ? (JSON.parse(v) as T) : v;
}

function iso(v: Date | string | null): string | null {
  if (v === null) return null;
  return (v instanceof Date ? v : new Date(v)).toISOString();
}

/** Equal limits on the classes either side names (amounts compared to a millionth). */
export function sameAmounts(a: Amounts, b: Amounts): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const x = a[k];
    const y = b[k];
    if (x === undefined || y === undefined) return false;
    if (Math.abs(x - y) > 1e-6) return false;
  }
  return true;
}

/** Runs `fn` over `items` with at most `limit` in flight. */
async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

function cloudErrorOf(err: unknown): CloudError {
  if (err instanceof CloudError) return err;
  return new CloudError('invalid-answer', (err as Error)?.message?.slice(0, 300) ?? String(err));
}

/**
 * The reconcile loops. Each pass of a cloud: the ledger's desired limits → what the cloud has →
 * for each project, a write when our version is newer than the one applied (`ensure`), nothing when
 * the cloud holds what we applied (a second pass writes nothing), drift when the cloud's limits
 * differ from what we applied and nobody here changed them (a `quota-drift` alarm, then `restore` or
 * `report` per policy); `status.used` goes to the ledger. Writes go per project, at most
 * {@link RECONCILE_CONCURRENCY} in flight; a failed write leaves the applied version where it was,
 * with the error on the project, so a cloud that is down is never half-applied from our side.
 *
 * Claiming: the periodic job `quotas.reconcile` is claimed by the scheduler (one replica per
 * period), and every pass of a cloud — periodic, kicked after an allocation, or asked for through
 * the API — runs under the cluster-wide lock `quotas.reconcile:<cloud>`, so two replicas never
 * reconcile the same cloud at once. While the control plane runs, a watch on each cloud that has one
 * notices changes between passes and reconciles the changed projects.
 */
export class QuotaReconciler implements ProjectSync {
  private readonly adapters = new Map<string, { key: string; adapter: CloudAdapter; watch?: { stop(): void } }>();
  private readonly kicks = new Map<string, NodeJS.Timeout>();
  private readonly changed = new Map<string, { names: Set<string>; timer: NodeJS.Timeout }>();
  private readonly inFlight = new Map<string, Promise<PassReport>>();
  private stopped = false;
  /** External name → project id per cloud, from the last pass (for watch events). */
  private readonly names = new Map<string, Map<string, string>>();
  /** Watches start only when the control plane runs (the first periodic job), not in one-off passes. */
  private watching = false;

  constructor(
    readonly d: ModuleDeps,
    readonly parts: {
      policy: () => QuotasPolicy;
      clouds: CloudDirectory;
      ledger: QuotaLedger;
      adapters: Readonly<Record<'kubernetes' | 'openstack', AdapterFactory>>;
    },
  ) {}

  private alarms(): AlarmSink | undefined {
    try {
      return this.d.use(alarmsRef);
    } catch {
      return undefined;
    }
  }

  private async fire(
    kind: string,
    orgUnitId: string,
    targetType: string,
    targetId: string,
    summary: string,
    labels: Record<string, string>,
  ): Promise<void> {
    const alarms = this.alarms();
    if (!alarms) {
      this.d.log.warn({ kind, targetId, summary }, 'quota alarm not raised: no alerting module');
      return;
    }
    try {
      await alarms.fire({
        kind,
        severity: kind === QUOTA_DRIFT ? 'warning' : 'major',
        orgUnitId,
        targetType,
        targetId,
        summary: summary.slice(0, 1000),
        labels,
      });
    } catch (err) {
      this.d.log.error({ kind, targetId, err: (err as Error).message }, 'cannot raise quota alarm');
    }
  }

  private async resolve(kind: string, targetType: string, targetId: string): Promise<void> {
    try {
      await this.alarms()?.resolve(kind, targetType, targetId);
    } catch (err) {
      this.d.log.error({ kind, targetId, err: (err as Error).message }, 'cannot resolve quota alarm');
    }
  }

  /* ───────────────────────────── reading ───────────────────────────── */

  private toStatus(r: SyncRow): SyncStatus {
    return {
      projectId: r.project_id,
      cloudId: r.cloud_id,
      state: r.state,
      appliedVersion: Number(r.applied_version),
      error: json(r.error),
      drift: json(r.drift),
      checkedAt: iso(r.checked_at),
    };
  }

  async status(cloudId: string, projectIds: readonly string[]): Promise<Map<string, SyncStatus>> {
    const out = new Map<string, SyncStatus>();
    if (projectIds.length === 0) return out;
    const rows = await this.d.db.query<SyncRow>(
      'SELECT * FROM quota_sync WHERE cloud_id = $1 AND project_id = ANY($2::text[])',
      [cloudId, [...projectIds]],
    );
    for (const r of rows.rows) out.set(r.project_id, this.toStatus(r));
    for (const id of projectIds) {
      if (!out.has(id)) {
        out.set(id, { projectId: id, cloudId, state: 'pending', appliedVersion: 0, error: null, drift: null, checkedAt: null });
      }
    }
    return out;
  }

  /** Per-project sync status in the caller's scope (`GET /sync`). */
  async list(
    identity: Identity,
    q: { cloud?: string | undefined; state?: SyncState | undefined; limit?: number | undefined },
  ): Promise<SyncStatus[]> {
    requirePermission(identity, 'quotas:read');
    const params: unknown[] = [identity.orgUnitPath.replace(/[\\%_]/g, (c) => `\\${c}`) + '%'];
    let where = 'org_path LIKE $1';
    if (q.cloud) {
      params.push(q.cloud);
      where += ` AND cloud_id = $${params.length}`;
    }
    if (q.state) {
      params.push(q.state);
      where += ` AND state = $${params.length}`;
    }
    params.push(Math.min(Math.max(q.limit ?? 1000, 1), 10_000));
    const rows = await this.d.db.query<SyncRow>(
      `SELECT * FROM quota_sync WHERE ${where} ORDER BY cloud_id, project_id LIMIT $${params.length}`,
      params,
    );
    return rows.rows.map((r) => this.toStatus(r));
  }

  /** The cloud's API as the last passes found it (for GET /clouds). */
  async cloudStatus(cloudId: string): Promise<CloudSyncStatus> {
    const r = await this.d.db.query<{ state: 'ok' | 'error'; error: unknown; checked_at: Date | string }>(
      'SELECT state, error, checked_at FROM quota_cloud_sync WHERE cloud_id = $1',
      [cloudId],
    );
    const row = r.rows[0];
    if (!row) return { state: 'never', error: null, checkedAt: null };
    return {
      state: row.state,
      error: json(row.error as CloudSyncStatus['error'] | string | null),
      checkedAt: iso(row.checked_at),
    };
  }

  /** Passes, failed passes, drift found and errors of a cloud in [from, to) (scorecards; per day). */
  async history(
    cloudId: string,
    from: Date,
    to: Date,
  ): Promise<{ passes: number; failedPasses: number; drift: number; errors: number }> {
    const r = await this.d.db.query<{ p: string | null; f: string | null; d: string | null; e: string | null }>(
      `SELECT sum(passes) AS p, sum(failed_passes) AS f, sum(drift) AS d, sum(errors) AS e
         FROM quota_sync_daily WHERE cloud_id = $1 AND day >= $2::date AND day < $3::date`,
      [cloudId, from.toISOString().slice(0, 10), to.toISOString().slice(0, 10)],
    );
    const x = r.rows[0];
    return {
      passes: Number(x?.p ?? 0),
      failedPasses: Number(x?.f ?? 0),
      drift: Number(x?.d ?? 0),
      errors: Number(x?.e ?? 0),
    };
  }

  async overview(identity: Identity): Promise<Record<string, unknown>> {
    const r = await this.d.db.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM quota_cloud_sync WHERE state = 'error' AND org_path LIKE $1`,
      [identity.orgUnitPath.replace(/[\\%_]/g, (c) => `\\${c}`) + '%'],
    );
    return { cloudErrors: Number(r.rows[0]?.n ?? 0) };
  }

  /* ───────────────────────────── passes ───────────────────────────── */

  jobs(): ModuleJob[] {
    const every = Math.max(5, this.parts.policy().reconcile.intervalSeconds) * 1000;
    return [
      {
        name: 'quotas.reconcile',
        everyMillis: every,
        run: async () => {
          this.watching = true;
          await this.passAll();
        },
      },
    ];
  }

  /** One pass of every managed cloud (clouds one after another; each pass bounded in itself). */
  async passAll(): Promise<PassReport[]> {
    const clouds = await this.parts.clouds.managedClouds();
    const out: PassReport[] = [];
    for (const c of clouds) {
      if (this.stopped) break;
      out.push(await this.pass(c.cloudId));
    }
    return out;
  }

  /** Asks for a reconcile pass of the cloud soon (after an allocation or a release). */
  kick(cloudId: string): void {
    if (this.stopped || this.kicks.has(cloudId)) return;
    const t = setTimeout(() => {
      this.kicks.delete(cloudId);
      void this.pass(cloudId).catch((err: unknown) =>
        this.d.log.error({ cloudId, err: (err as Error).message }, 'kicked reconcile pass failed'),
      );
    }, KICK_DELAY_MS);
    t.unref();
    this.kicks.set(cloudId, t);
  }

  /** Reconciles the cloud now (`POST /clouds/{id}/reconcile`), in the caller's scope. */
  async reconcileNow(identity: Identity, cloudId: string): Promise<PassReport> {
    requirePermission(identity, 'quotas:write');
    const cloud = await this.cloudOf(identity, cloudId);
    const report = await this.pass(cloudId);
    await this.d.audit.record(identity, {
      action: 'quotas.cloud.reconcile',
      targetType: 'cloud',
      targetId: cloudId,
      orgUnitId: cloud.orgUnitId,
      outcome: report.state === 'ok' ? 'success' : 'failure',
      details: { written: report.written, drift: report.drift, errors: report.errors, error: report.error },
    });
    return report;
  }

  private async cloudOf(identity: Identity, cloudId: string) {
    const cloud = (await this.parts.clouds.managedClouds()).find((c) => c.cloudId === cloudId);
    if (!cloud || !inScope(identity, cloud.orgPath)) throw new NotFoundError(`no cloud "${cloudId}"`);
    return cloud;
  }

  /**
   * One pass of one cloud; a pass already running for the cloud in this process is joined. `names`
   * limits it to those external names (a watch's changes).
   */
  pass(cloudId: string, names?: readonly string[]): Promise<PassReport> {
    const running = this.inFlight.get(cloudId);
    if (running && !names) return running;
    const p = (running ? running.catch(() => undefined) : Promise.resolve())
      .then(() => this.d.db.withLock(`quotas.reconcile:${cloudId}`, () => this.runPass(cloudId, names)))
      .finally(() => {
        if (this.inFlight.get(cloudId) === p) this.inFlight.delete(cloudId);
      });
    this.inFlight.set(cloudId, p);
    return p;
  }

  private adapterFor(c: CloudConnection): CloudAdapter {
    const key = JSON.stringify([c.kind, c.endpoint, c.region, c.settings, c.secrets]);
    const have = this.adapters.get(c.cloudId);
    if (have && have.key === key) return have.adapter;
    if (have) {
      have.watch?.stop();
      void have.adapter.close().catch(() => undefined);
      this.adapters.delete(c.cloudId);
    }
    if (c.kind === 'manual') throw new CloudError('rejected', 'manual clouds have no adapter');
    const factory = this.parts.adapters[c.kind];
    const adapter = factory(c);
    this.adapters.set(c.cloudId, { key, adapter });
    return adapter;
  }

  private startWatch(cloudId: string): void {
    const entry = this.adapters.get(cloudId);
    if (!entry || entry.watch || !entry.adapter.watch || !this.watching || this.stopped) return;
    entry.watch = entry.adapter.watch(
      (externalName) => this.onWatchChange(cloudId, externalName),
      (err) => this.d.log.warn({ cloudId, kind: err.kind, err: err.message }, 'quota watch interrupted'),
    );
  }

  /** Starts watching the clouds whose adapters have a watch (tests; the periodic job does it too). */
  startWatches(): void {
    this.watching = true;
    for (const id of this.adapters.keys()) this.startWatch(id);
  }

  private onWatchChange(cloudId: string, externalName: string): void {
    if (this.stopped) return;
    let c = this.changed.get(cloudId);
    if (!c) {
      const names = new Set<string>();
      const timer = setTimeout(() => {
        this.changed.delete(cloudId);
        const list = [...names];
        void this.pass(cloudId, list.length > TARGETED_MAX ? undefined : list).catch((err: unknown) =>
          this.d.log.error({ cloudId, err: (err as Error).message }, 'watch reconcile pass failed'),
        );
      }, WATCH_DEBOUNCE_MS);
      timer.unref();
      c = { names, timer };
      this.changed.set(cloudId, c);
    }
    c.names.add(externalName);
  }

  private async runPass(cloudId: string, names?: readonly string[]): Promise<PassReport> {
    const t0 = Date.now();
    const cloud = (await this.parts.clouds.managedClouds()).find((c) => c.cloudId === cloudId);
    const report: PassReport = {
      cloudId,
      kind: cloud?.kind ?? 'manual',
      state: 'ok',
      projects: 0,
      written: 0,
      unchanged: 0,
      drift: 0,
      restored: 0,
      errors: 0,
      awaiting: 0,
      error: null,
      millis: 0,
    };
    if (!cloud) {
      report.state = 'error';
      report.error = { kind: 'not-found', message: `cloud ${cloudId} is not under quota management` };
      report.millis = Date.now() - t0;
      return report;
    }
    let projectIds: string[] | undefined;
    if (names) {
      const byName = this.names.get(cloudId);
      projectIds = names.map((n) => byName?.get(n)).filter((x): x is string => x !== undefined);
      if (projectIds.length === 0) {
        report.millis = Date.now() - t0;
        return report;
      }
    }
    const desired = await this.parts.ledger.desired(cloudId, projectIds);
    report.projects = desired.length;
    const byName = this.names.get(cloudId) ?? new Map<string, string>();
    for (const dp of desired) byName.set(dp.target.externalName, dp.target.projectId);
    this.names.set(cloudId, byName);
    const rows = await this.loadRows(cloudId, projectIds);
    const now = new Date().toISOString();

    if (cloud.kind === 'manual') {
      const out: RowOut[] = [];
      for (const dp of desired) {
        const row = rows.get(dp.target.projectId);
        const applied = row ? Number(row.applied_version) : 0;
        const state: SyncState = applied >= dp.version ? 'applied' : 'awaiting-confirmation';
        if (state === 'awaiting-confirmation') report.awaiting++;
        else report.unchanged++;
        if (!row || row.state !== state) {
          out.push(this.rowOut(dp, state, applied, json<Amounts>(row?.applied_hard ?? '{}') ?? {}, null, null));
        }
      }
      await this.flush(cloudId, out, now);
      await this.finishCloud(cloud, report, now);
      report.millis = Date.now() - t0;
      return report;
    }

    // Kubernetes / OpenStack: reach the cloud.
    let adapter: CloudAdapter;
    let found: Map<string, ProjectState>;
    try {
      const conn = await this.parts.clouds.connection(cloudId);
      if (!conn) throw new CloudError('rejected', `cloud ${cloudId} has no connection set (PUT /api/v1/quotas/clouds/${cloudId}/connection)`);
      adapter = this.adapterFor(conn);
      const states = await adapter.read(names ? desired.map((dp) => dp.target.externalName) : undefined);
      found = new Map(states.map((s) => [s.externalName, s]));
    } catch (err) {
      const e = cloudErrorOf(err);
      // Nothing was written; projects not yet applied show the cloud's error, applied ones keep their state.
      const out: RowOut[] = [];
      for (const dp of desired) {
        const row = rows.get(dp.target.projectId);
        const applied = row ? Number(row.applied_version) : 0;
        if (applied >= dp.version) continue;
        report.errors++;
        out.push(
          this.rowOut(dp, 'error', applied, json<Amounts>(row?.applied_hard ?? '{}') ?? {}, { kind: e.kind, message: e.message, at: now }, null),
        );
      }
      await this.flush(cloudId, out, now);
      report.state = 'error';
      report.error = { kind: e.kind, message: e.message };
      await this.finishCloud(cloud, report, now);
      report.millis = Date.now() - t0;
      return report;
    }

    const policy = this.parts.policy().reconcile;
    const out: RowOut[] = [];
    const used: Array<{ projectId: string; used: Amounts }> = [];
    const flushing: Promise<void>[] = [];
    let firstError: { kind: string; message: string } | null = null;
    const push = (r: RowOut) => {
      out.push(r);
      if (out.length >= FLUSH_ROWS) flushing.push(this.flush(cloudId, out.splice(0, out.length), now));
    };

    await pool(desired, RECONCILE_CONCURRENCY, async (dp) => {
      const row = rows.get(dp.target.projectId);
      const applied = row ? Number(row.applied_version) : 0;
      const appliedHard = json<Amounts>(row?.applied_hard ?? '{}') ?? {};
      const st = found.get(dp.target.externalName);
      const write = async (): Promise<ProjectState | CloudError> => {
        try {
          return await adapter.ensure(dp.target, dp.hard);
        } catch (err) {
          return cloudErrorOf(err);
        }
      };
      const failed = (e: CloudError, drift: SyncStatus['drift']) => {
        report.errors++;
        firstError ??= { kind: e.kind, message: e.message };
        push(this.rowOut(dp, 'error', applied, appliedHard, { kind: e.kind, message: e.message, at: now }, drift));
      };

      if (!row || applied < dp.version || !st?.exists) {
        // Ours is newer (or never applied, or the namespace is gone): write it.
        if (row && applied >= dp.version && !st?.exists) {
          report.drift++;
          await this.fire(
            QUOTA_DRIFT,
            dp.target.orgUnitId,
            'quota-project',
            `${cloudId}/${dp.target.projectId}`,
            `Project ${dp.target.projectId} is gone from cloud ${cloudId} (${dp.target.externalName}); ${policy.drift === 'restore' ? 'recreated' : 'reported'}`,
            { cloud: cloudId, project: dp.target.projectId },
          );
          if (policy.drift === 'report') {
            push(this.rowOut(dp, 'drift', applied, appliedHard, null, { found: {}, expected: appliedHard, at: now }));
            return;
          }
        }
        const r = await write();
        if (r instanceof CloudError) return failed(r, null);
        report.written++;
        push(this.rowOut(dp, 'applied', dp.version, r.hard, null, null));
        used.push({ projectId: dp.target.projectId, used: r.used });
        return;
      }

      // Applied at this version: does the cloud still hold what we applied?
      used.push({ projectId: dp.target.projectId, used: st.used });
      if (sameAmounts(st.hard, appliedHard)) {
        report.unchanged++;
        if (row.state !== 'applied') {
          push(this.rowOut(dp, 'applied', applied, appliedHard, null, null));
          if (row.state === 'drift') await this.resolve(QUOTA_DRIFT, 'quota-project', `${cloudId}/${dp.target.projectId}`);
        }
        return;
      }
      // Drift: someone changed the limits on the cloud.
      report.drift++;
      const drift = { found: st.hard, expected: appliedHard, at: now };
      const restore = policy.drift === 'restore';
      await this.fire(
        QUOTA_DRIFT,
        dp.target.orgUnitId,
        'quota-project',
        `${cloudId}/${dp.target.projectId}`,
        `The limits of project ${dp.target.projectId} were changed on cloud ${cloudId}: found ${JSON.stringify(st.hard)}, expected ${JSON.stringify(appliedHard)}; ${restore ? 'restored' : 'reported, not restored (policy)'}`,
        { cloud: cloudId, project: dp.target.projectId, policy: policy.drift },
      );
      if (!restore) {
        push(this.rowOut(dp, 'drift', applied, appliedHard, null, drift));
        return;
      }
      const r = await write();
      if (r instanceof CloudError) return failed(r, drift);
      report.restored++;
      report.written++;
      push(this.rowOut(dp, 'applied', dp.version, r.hard, null, null));
    });
    if (out.length > 0) flushing.push(this.flush(cloudId, out.splice(0, out.length), now));
    await Promise.all(flushing);
    await this.d.db.query('UPDATE quota_sync SET checked_at = $2 WHERE cloud_id = $1' + (projectIds ? ' AND project_id = ANY($3::text[])' : ''), [
      cloudId,
      now,
      ...(projectIds ? [projectIds] : []),
    ]);
    if (used.length > 0) {
      try {
        await this.parts.ledger.recordUsage(cloudId, used);
      } catch (err) {
        this.d.log.error({ cloudId, err: (err as Error).message }, 'cannot record the usage the cloud reported');
        firstError ??= { kind: 'invalid-answer', message: `usage not recorded: ${(err as Error).message}` };
      }
    }
    if (firstError) {
      report.state = 'error';
      report.error =
        report.errors > 1
          ? { kind: (firstError as { kind: string }).kind, message: `${report.errors} projects failed; the first: ${(firstError as { message: string }).message}` }
          : firstError;
    }
    await this.finishCloud(cloud, report, now);
    this.startWatch(cloudId);
    report.millis = Date.now() - t0;
    return report;
  }

  private rowOut(
    dp: DesiredProject,
    state: SyncState,
    applied: number,
    appliedHard: Amounts,
    error: SyncStatus['error'],
    drift: SyncStatus['drift'],
  ): RowOut {
    return {
      project_id: dp.target.projectId,
      org_unit_id: dp.target.orgUnitId,
      org_path: dp.target.orgPath,
      external_name: dp.target.externalName,
      state,
      applied_version: applied,
      applied_hard: appliedHard,
      error,
      drift,
    };
  }

  private async loadRows(cloudId: string, projectIds?: readonly string[]): Promise<Map<string, SyncRow>> {
    const r = projectIds
      ? await this.d.db.query<SyncRow>('SELECT * FROM quota_sync WHERE cloud_id = $1 AND project_id = ANY($2::text[])', [
          cloudId,
          [...projectIds],
        ])
      : await this.d.db.query<SyncRow>('SELECT * FROM quota_sync WHERE cloud_id = $1', [cloudId]);
    return new Map(r.rows.map((x) => [x.project_id, x]));
  }

  private async flush(cloudId: string, rows: RowOut[], now: string): Promise<void> {
    if (rows.length === 0) return;
    await this.d.db.query(
      `INSERT INTO quota_sync (cloud_id, project_id, org_unit_id, org_path, external_name, state, applied_version,
         applied_hard, error, drift, checked_at, updated_at)
       SELECT $1, x.project_id, x.org_unit_id, x.org_path, x.external_name, x.state, x.applied_version,
              COALESCE(x.applied_hard, '{}'::jsonb), x.error, x.drift, $2::timestamptz, now()
         FROM jsonb_to_recordset($3::jsonb) AS x(project_id text, org_unit_id text, org_path text, external_name text,
              state text, applied_version bigint, applied_hard jsonb, error jsonb, drift jsonb)
       ON CONFLICT (cloud_id, project_id) DO UPDATE SET org_unit_id = EXCLUDED.org_unit_id, org_path = EXCLUDED.org_path,
         external_name = EXCLUDED.external_name, state = EXCLUDED.state,
         applied_version = GREATEST(quota_sync.applied_version, EXCLUDED.applied_version),
         applied_hard = EXCLUDED.applied_hard, error = EXCLUDED.error, drift = EXCLUDED.drift,
         checked_at = EXCLUDED.checked_at, updated_at = now()`,
      [cloudId, now, JSON.stringify(rows)],
    );
  }

  private async finishCloud(
    cloud: { cloudId: string; orgUnitId: string; orgPath: string },
    report: PassReport,
    now: string,
  ): Promise<void> {
    const error = report.error ? { ...report.error, at: now } : null;
    await this.d.db.query(
      `INSERT INTO quota_cloud_sync (cloud_id, org_unit_id, org_path, state, error, checked_at, last_ok_at)
       VALUES ($1, $2, $3, $4, $5::jsonb, $6, CASE WHEN $4 = 'ok' THEN $6::timestamptz END)
       ON CONFLICT (cloud_id) DO UPDATE SET org_unit_id = EXCLUDED.org_unit_id, org_path = EXCLUDED.org_path,
         state = EXCLUDED.state, error = EXCLUDED.error, checked_at = EXCLUDED.checked_at,
         last_ok_at = COALESCE(EXCLUDED.last_ok_at, quota_cloud_sync.last_ok_at)`,
      [cloud.cloudId, cloud.orgUnitId, cloud.orgPath, report.state, error ? JSON.stringify(error) : null, now],
    );
    await this.d.db.query(
      `INSERT INTO quota_sync_daily (cloud_id, day, passes, failed_passes, drift, errors)
       VALUES ($1, $2::date, 1, $3, $4, $5)
       ON CONFLICT (cloud_id, day) DO UPDATE SET passes = quota_sync_daily.passes + 1,
         failed_passes = quota_sync_daily.failed_passes + EXCLUDED.failed_passes,
         drift = quota_sync_daily.drift + EXCLUDED.drift, errors = quota_sync_daily.errors + EXCLUDED.errors`,
      [cloud.cloudId, now.slice(0, 10), report.state === 'error' ? 1 : 0, report.drift, report.errors],
    );
    await this.d.db.query(`DELETE FROM quota_sync_daily WHERE cloud_id = $1 AND day < $2::date - 400`, [
      cloud.cloudId,
      now.slice(0, 10),
    ]);
    if (report.error) {
      await this.fire(
        QUOTA_CLOUD_ERROR,
        cloud.orgUnitId,
        'cloud',
        cloud.cloudId,
        `Cloud ${cloud.cloudId}: ${report.error.kind}: ${report.error.message}`,
        { cloud: cloud.cloudId, error_kind: report.error.kind },
      );
    } else {
      await this.resolve(QUOTA_CLOUD_ERROR, 'cloud', cloud.cloudId);
    }
  }

  /* ───────────────────────────── manual clouds ───────────────────────────── */

  /** A manual cloud's admin confirms that `version` of the project's limits is in place (audited). */
  async confirmManual(identity: Identity, cloudId: string, projectId: string, version: number): Promise<void> {
    requirePermission(identity, 'quotas:write');
    if (!Number.isInteger(version) || version < 1) {
      throw new InputError('version must be a whole number of at least 1', {
        details: [{ path: 'version', message: 'must be a whole number of at least 1' }],
      });
    }
    const cloud = await this.cloudOf(identity, cloudId);
    if (cloud.kind !== 'manual') {
      throw new ConflictError(
        `cloud ${cloudId} is a ${cloud.kind} cloud: its limits are written by the reconcile loop, not confirmed`,
        { details: [{ path: 'cloudId', message: 'not a manual cloud', params: { kind: cloud.kind } }] },
      );
    }
    const [dp] = await this.parts.ledger.desired(cloudId, [projectId]);
    if (!dp || !inScope(identity, dp.target.orgPath)) throw new NotFoundError(`project "${projectId}" has no quota on cloud "${cloudId}"`);
    if (version > dp.version) {
      throw new ConflictError(`version ${version} does not exist yet: the project's limits are at version ${dp.version}`, {
        details: [{ path: 'version', message: 'newer than the desired version', params: { desired: dp.version } }],
      });
    }
    const now = new Date().toISOString();
    await this.d.db.transaction(async (tx) => {
      const r = await tx.query<SyncRow>('SELECT * FROM quota_sync WHERE cloud_id = $1 AND project_id = $2 FOR UPDATE', [
        cloudId,
        projectId,
      ]);
      const applied = r.rows[0] ? Number(r.rows[0].applied_version) : 0;
      const to = Math.max(applied, version);
      const state: SyncState = to >= dp.version ? 'applied' : 'awaiting-confirmation';
      await tx.query(
        `INSERT INTO quota_sync (cloud_id, project_id, org_unit_id, org_path, external_name, state, applied_version,
           applied_hard, checked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9)
         ON CONFLICT (cloud_id, project_id) DO UPDATE SET state = EXCLUDED.state,
           applied_version = EXCLUDED.applied_version, applied_hard = EXCLUDED.applied_hard, error = NULL,
           drift = NULL, checked_at = EXCLUDED.checked_at, updated_at = now()`,
        [
          cloudId,
          projectId,
          dp.target.orgUnitId,
          dp.target.orgPath,
          dp.target.externalName,
          state,
          to,
          JSON.stringify(to >= dp.version ? dp.hard : json<Amounts>(r.rows[0]?.applied_hard ?? '{}') ?? {}),
          now,
        ],
      );
      await this.d.audit.record(
        identity,
        {
          action: 'quotas.sync.confirm',
          targetType: 'quota-project',
          targetId: `${cloudId}/${projectId}`,
          orgUnitId: dp.target.orgUnitId,
          details: { cloudId, projectId, version, desiredVersion: dp.version, hard: dp.hard },
        },
        tx,
      );
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.kicks.values()) clearTimeout(t);
    this.kicks.clear();
    for (const c of this.changed.values()) clearTimeout(c.timer);
    this.changed.clear();
    await Promise.allSettled([...this.inFlight.values()]);
    for (const { adapter, watch } of this.adapters.values()) {
      watch?.stop();
      await adapter.close().catch(() => undefined);
    }
    this.adapters.clear();
  }
}
