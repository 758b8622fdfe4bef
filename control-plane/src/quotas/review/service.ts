// STUB — replaced by the utilisation review part (helper F).
import type { Identity } from '../../auth/identity.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { QuotasPolicy } from '../policy.js';
import type { QuotaReconciler } from '../reconcile/service.js';
import type { QuotaRequests } from '../requests/service.js';
import type { AdapterFactory, CloudDirectory, QuotaLedger } from '../types.js';

export class QuotaReview {
  constructor(
    readonly d: ModuleDeps,
    readonly parts: {
      policy: () => QuotasPolicy;
      clouds: CloudDirectory;
      ledger: QuotaLedger;
      sync: QuotaReconciler;
      requests: QuotaRequests;
      adapters: Readonly<Record<'kubernetes' | 'openstack', AdapterFactory>>;
    },
  ) {}
  overview(_identity: Identity): Promise<Record<string, unknown>> {
    return Promise.resolve({});
  }
  jobs(): ModuleJob[] {
    return [];
  }
}
