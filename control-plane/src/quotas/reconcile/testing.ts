import type { AlarmService } from '../../alerting/types.js';
import type { AuditLog } from '../../auth/audit.js';
import type { OrgUnitService } from '../../inventory/org-units.js';
import { createLogger } from '../../logger.js';
import type { ModuleDeps } from '../../modules/contract.js';
import type { StateStore } from '../../store/state/index.js';
import { QuotasPolicy } from '../policy.js';
import type {
  Amounts,
  CloudConnection,
  CloudDirectory,
  CloudKind,
  DesiredProject,
  QuotaLedger,
} from '../types.js';

/**
 * Test doubles for the reconcile part's neighbours (used beside the real parts: the fake Kubernetes
 * API server, PGlite/PostgreSQL, the real alarm service): a ledger holding desired limits in memory
 * and a cloud directory of fixed clouds.
 */

export interface MemoryLedger extends QuotaLedger {
  /** Sets a project's desired limits on a cloud (a new version each time). */
  set(cloudId: string, projectId: string, hard: Amounts, orgUnitId?: string, orgPath?: string): DesiredProject;
  usage: Map<string, Amounts>;
}

export function memoryLedger(): MemoryLedger {
  const desired = new Map<string, DesiredProject>();
  const usage = new Map<string, Amounts>();
  const nope = () => Promise.reject(new Error('not part of this double'));
  return {
    usage,
    set(cloudId, projectId, hard, orgUnitId = 'sc-cd', orgPath = '/sc/sc-cd/') {
      const key = `${cloudId}/${projectId}`;
      const prev = desired.get(key);
      const dp: DesiredProject = {
        cloudId,
        hard: { ...hard },
        version: (prev?.version ?? 0) + 1,
        target: {
          projectId,
          externalName: `ts-${projectId}`,
          orgUnitId,
          orgPath,
          labels: {
            'tianshu.gov.cn/org-unit': orgUnitId,
            'tianshu.gov.cn/project': projectId,
            'app.kubernetes.io/managed-by': 'tianshu',
          },
        },
      };
      desired.set(key, dp);
      return dp;
    },
    desired(cloudId, projectIds) {
      const ids = projectIds ? new Set(projectIds) : undefined;
      return Promise.resolve(
        [...desired.values()]
          .filter((d) => d.cloudId === cloudId && (!ids || ids.has(d.target.projectId)))
          .map((d) => structuredClone(d)),
      );
    },
    recordUsage(cloudId, used) {
      for (const u of used) usage.set(`${cloudId}/${u.projectId}`, { ...u.used });
      return Promise.resolve();
    },
    allocate: nope,
    release: nope,
    ensureProject: nope,
    recordPhysical: nope,
    projectsOf: nope,
    totals: nope,
  };
}

export function staticClouds(
  clouds: Array<{
    cloudId: string;
    kind: CloudKind;
    orgUnitId: string;
    orgPath: string;
    connection?: CloudConnection;
    /** Allocatable per class (entered capacity, overcommit 1). */
    allocatable?: Amounts;
  }>,
): CloudDirectory & { setConnection(cloudId: string, c: CloudConnection | undefined): void } {
  const conns = new Map(clouds.map((c) => [c.cloudId, c.connection]));
  return {
    capacity: (id) => {
      const c = clouds.find((x) => x.cloudId === id);
      if (!c?.allocatable) return Promise.resolve(undefined);
      const at = new Date().toISOString();
      return Promise.resolve({
        cloudId: id,
        capacity: Object.fromEntries(
          Object.entries(c.allocatable).map(([k, v]) => [k, { amount: v, source: 'manual' as const, observedAt: at }]),
        ),
        overcommit: Object.fromEntries(Object.keys(c.allocatable).map((k) => [k, 1])),
        allocatable: { ...c.allocatable },
      });
    },
    connection: (id) => Promise.resolve(conns.get(id)),
    managedClouds: () =>
      Promise.resolve(clouds.map(({ cloudId, kind, orgUnitId, orgPath }) => ({ cloudId, kind, orgUnitId, orgPath }))),
    setConnection(id, c) {
      conns.set(id, c);
    },
  };
}

/** The module deps the reconciler uses, over a test store, audit log and alarm service. */
export function reconcileDeps(t: {
  db: StateStore;
  audit: AuditLog;
  alarms?: AlarmService;
  orgUnits?: OrgUnitService;
}): ModuleDeps {
  return {
    db: t.db,
    audit: t.audit,
    orgUnits: t.orgUnits,
    log: createLogger(process.env.RECONCILE_TEST_LOG ? 'debug' : 'silent'),
    use: (ref: { name: string }) => {
      if (ref.name === 'alerting' && t.alarms) return t.alarms;
      throw new Error(`no module ${ref.name} in this test`);
    },
  } as unknown as ModuleDeps;
}

/** A minimal valid quotas policy with the shipped classes' ids and the reconcile settings given. */
export function testPolicy(reconcile: { drift?: 'restore' | 'report'; intervalSeconds?: number } = {}): QuotasPolicy {
  const names = (en: string) => ({ 'zh-CN': en, en });
  return QuotasPolicy.parse({
    version: 1,
    classes: [
      { id: 'vcpu', names: names('vCPU'), unit: 'vCPU', monthlyPrice: 45 },
      { id: 'memory', names: names('Memory'), unit: 'GiB', monthlyPrice: 20 },
      { id: 'block-storage', names: names('Block storage'), unit: 'GiB', monthlyPrice: 1 },
      { id: 'gpu', names: names('GPU'), unit: 'card', monthlyPrice: 4500 },
      { id: 'public-ip', names: names('Public IP'), unit: 'address', monthlyPrice: 30 },
    ],
    reconcile: { intervalSeconds: reconcile.intervalSeconds ?? 60, drift: reconcile.drift ?? 'restore' },
  });
}
