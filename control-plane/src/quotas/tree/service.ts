// STUB — replaced by the quota tree part (helper B).
import type { Identity } from '../../auth/identity.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { Queryable } from '../../store/state/index.js';
import type { QuotasPolicy } from '../policy.js';
import type { Amounts, CloudDirectory, DesiredProject, QuotaLedger } from '../types.js';

const notYet = () => Promise.reject(new Error('the quota tree is not built yet'));

export class QuotaTree implements QuotaLedger {
  constructor(
    readonly d: ModuleDeps,
    readonly parts: { policy: () => QuotasPolicy; clouds: CloudDirectory },
  ) {}
  allocate(
    _tx: Queryable,
    _a: { cloudId: string; projectId: string; amounts: Amounts; actor: string; reason: string },
  ): Promise<void> {
    return notYet();
  }
  release(
    _tx: Queryable,
    _a: {
      cloudId: string;
      projectId: string;
      amounts: Amounts;
      actor: string;
      reason: string;
      reclaim: boolean;
    },
  ): Promise<void> {
    return notYet();
  }
  ensureProject(
    _tx: Queryable,
    _p: { id: string; orgUnitId: string; name: string; actor: string },
  ): Promise<{ id: string; orgUnitId: string; orgPath: string; externalName: string }> {
    return notYet();
  }
  desired(_cloudId: string, _projectIds?: readonly string[]): Promise<DesiredProject[]> {
    return Promise.resolve([]);
  }
  recordUsage(_cloudId: string, _used: ReadonlyArray<{ projectId: string; used: Amounts }>): Promise<void> {
    return Promise.resolve();
  }
  recordPhysical(
    _cloudId: string,
    _physical: ReadonlyArray<{ projectId: string; physical: Amounts }>,
  ): Promise<void> {
    return Promise.resolve();
  }
  projectsOf(_cloudId: string): Promise<
    Array<{
      projectId: string;
      orgUnitId: string;
      orgPath: string;
      quota: Amounts;
      used: Amounts;
      physical: Amounts;
    }>
  > {
    return Promise.resolve([]);
  }
  totals(_cloudId: string): Promise<{ allocated: Amounts; used: Amounts; physical: Amounts }> {
    return Promise.resolve({ allocated: {}, used: {}, physical: {} });
  }
  overview(_identity: Identity): Promise<Record<string, unknown>> {
    return Promise.resolve({});
  }
  jobs(): ModuleJob[] {
    return [];
  }
}
