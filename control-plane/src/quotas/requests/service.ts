// STUB — replaced by the requests part (helper C).
import type { Identity } from '../../auth/identity.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { QuotasPolicy } from '../policy.js';
import type { CloudDirectory, ProjectSync, QuotaLedger } from '../types.js';

export class QuotaRequests {
  constructor(
    readonly d: ModuleDeps,
    readonly parts: {
      policy: () => QuotasPolicy;
      clouds: CloudDirectory;
      ledger: QuotaLedger;
      sync: ProjectSync;
    },
  ) {}
  /** Requests of a cloud enforced in [from, to): how many, and the median hours from apply to enforced (scorecards). */
  fulfilment(
    _cloudId: string,
    _from: Date,
    _to: Date,
  ): Promise<{ count: number; medianHours: number | null }> {
    return Promise.resolve({ count: 0, medianHours: null });
  }
  overview(_identity: Identity): Promise<Record<string, unknown>> {
    return Promise.resolve({});
  }
  jobs(): ModuleJob[] {
    return [];
  }
}
