// STUB — replaced by the reconcile part (helper D).
import type { Identity } from '../../auth/identity.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { QuotasPolicy } from '../policy.js';
import type { AdapterFactory, CloudDirectory, ProjectSync, QuotaLedger, SyncStatus } from '../types.js';

export class QuotaReconciler implements ProjectSync {
  constructor(
    readonly d: ModuleDeps,
    readonly parts: {
      policy: () => QuotasPolicy;
      clouds: CloudDirectory;
      ledger: QuotaLedger;
      adapters: Readonly<Record<'kubernetes' | 'openstack', AdapterFactory>>;
    },
  ) {}
  status(_cloudId: string, _projectIds: readonly string[]): Promise<Map<string, SyncStatus>> {
    return Promise.resolve(new Map());
  }
  kick(_cloudId: string): void {}
  confirmManual(_identity: Identity, _cloudId: string, _projectId: string, _version: number): Promise<void> {
    return Promise.reject(new Error('reconcile is not built yet'));
  }
  /** The cloud's API as the last passes found it (for GET /clouds). */
  cloudStatus(_cloudId: string): Promise<{
    state: 'ok' | 'error' | 'never';
    error: { kind: string; message: string; at: string } | null;
    checkedAt: string | null;
  }> {
    return Promise.resolve({ state: 'never', error: null, checkedAt: null });
  }
  /** Passes, failed passes, drift found and errors of a cloud in [from, to) (scorecards). */
  history(
    _cloudId: string,
    _from: Date,
    _to: Date,
  ): Promise<{ passes: number; failedPasses: number; drift: number; errors: number }> {
    return Promise.resolve({ passes: 0, failedPasses: 0, drift: 0, errors: 0 });
  }
  overview(_identity: Identity): Promise<Record<string, unknown>> {
    return Promise.resolve({});
  }
  jobs(): ModuleJob[] {
    return [];
  }
  stop(): Promise<void> {
    return Promise.resolve();
  }
}
