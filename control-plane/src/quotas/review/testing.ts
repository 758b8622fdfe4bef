/**
 * Test helpers of the review part.
 *
 * `idleSamples` makes usage "idle for the window" quickly: samples with past timestamps, written
 * through `QuotaReview.recordSamples` (the sampler's own path), e.g. from an e2e test:
 *
 *   const review = t.cp.services.modules.use(quotasRef).review;
 *   await review.recordSamples(idleSamples({ cloudId, projectId, orgUnitId, orgPath, days: 1,
 *     quota: { vcpu: 16 }, used: { vcpu: 1 } }));
 *   // POST /api/v1/quotas/review/run → a proposal; with graceDays 0.0005 the job applies it ~45 s later.
 *
 * `FakeLedger` is a test double of the quota tree (`QuotaLedger`) beside the real state and telemetry
 * stores: the unit tests of this part check the review's own SQL and rules, not the tree's.
 */
import type { Queryable } from '../../store/state/index.js';
import type { Amounts, DesiredProject, QuotaLedger } from '../types.js';
import type { UsageSample } from './service.js';

/**
 * Samples of one project every `everyMinutes` (default 15) over the last `days` (plus one interval,
 * so the window is covered from its first second), ending `endMs` (default now): constant quota,
 * used (and physical when given) per class.
 */
export function idleSamples(o: {
  cloudId: string;
  projectId: string;
  orgUnitId: string;
  orgPath: string;
  quota: Amounts;
  used: Amounts;
  physical?: Amounts;
  days: number;
  everyMinutes?: number;
  endMs?: number;
}): UsageSample[] {
  const step = (o.everyMinutes ?? 15) * 60_000;
  const end = o.endMs ?? Date.now();
  const start = end - o.days * 86_400_000 - step;
  const out: UsageSample[] = [];
  for (let ts = end; ts >= start; ts -= step) {
    for (const [cls, quota] of Object.entries(o.quota)) {
      out.push({
        ts,
        cloudId: o.cloudId,
        projectId: o.projectId,
        orgUnitId: o.orgUnitId,
        orgPath: o.orgPath,
        class: cls,
        quota,
        used: o.used[cls] ?? 0,
        physical: o.physical?.[cls] ?? null,
      });
    }
  }
  return out;
}

export interface FakeProject {
  projectId: string;
  orgUnitId: string;
  orgPath: string;
  quota: Amounts;
  used: Amounts;
  physical: Amounts;
}

/** An in-memory quota tree: projects per cloud; records releases and physical usage. */
export class FakeLedger implements QuotaLedger {
  readonly projects = new Map<string, FakeProject[]>();
  readonly releases: Array<{
    cloudId: string;
    projectId: string;
    amounts: Amounts;
    reclaim: boolean;
    actor: string;
  }> = [];
  readonly physicalRecorded: Array<{
    cloudId: string;
    rows: Array<{ projectId: string; physical: Amounts }>;
  }> = [];
  /** Makes `release` throw (a refusing tree). */
  failRelease: Error | undefined;

  add(cloudId: string, p: Omit<FakeProject, 'physical'> & { physical?: Amounts }): void {
    const list = this.projects.get(cloudId) ?? [];
    list.push({ physical: {}, ...p });
    this.projects.set(cloudId, list);
  }

  allocate(): Promise<void> {
    return Promise.reject(new Error('not in the fake'));
  }
  release(
    _tx: Queryable,
    a: {
      cloudId: string;
      projectId: string;
      amounts: Amounts;
      actor: string;
      reason: string;
      reclaim: boolean;
    },
  ): Promise<void> {
    if (this.failRelease) return Promise.reject(this.failRelease);
    const p = this.projects.get(a.cloudId)?.find((x) => x.projectId === a.projectId);
    if (!p) return Promise.reject(new Error(`no project ${a.projectId}`));
    for (const [cls, v] of Object.entries(a.amounts)) p.quota[cls] = (p.quota[cls] ?? 0) - v;
    this.releases.push({ ...a });
    return Promise.resolve();
  }
  ensureProject(): Promise<{ id: string; orgUnitId: string; orgPath: string; externalName: string }> {
    return Promise.reject(new Error('not in the fake'));
  }
  desired(cloudId: string): Promise<DesiredProject[]> {
    return Promise.resolve(
      (this.projects.get(cloudId) ?? []).map((p) => ({
        cloudId,
        hard: p.quota,
        version: 1,
        target: {
          projectId: p.projectId,
          externalName: `ts-${p.projectId}`,
          orgUnitId: p.orgUnitId,
          orgPath: p.orgPath,
          labels: {},
        },
      })),
    );
  }
  recordUsage(): Promise<void> {
    return Promise.resolve();
  }
  recordPhysical(
    cloudId: string,
    rows: ReadonlyArray<{ projectId: string; physical: Amounts }>,
  ): Promise<void> {
    this.physicalRecorded.push({ cloudId, rows: rows.map((r) => ({ ...r })) });
    for (const r of rows) {
      const p = this.projects.get(cloudId)?.find((x) => x.projectId === r.projectId);
      if (p) p.physical = { ...r.physical };
    }
    return Promise.resolve();
  }
  projectsOf(cloudId: string): Promise<FakeProject[]> {
    return Promise.resolve(
      (this.projects.get(cloudId) ?? []).map((p) => ({
        ...p,
        quota: { ...p.quota },
        used: { ...p.used },
        physical: { ...p.physical },
      })),
    );
  }
  totals(): Promise<{ allocated: Amounts; used: Amounts; physical: Amounts }> {
    return Promise.resolve({ allocated: {}, used: {}, physical: {} });
  }
}
