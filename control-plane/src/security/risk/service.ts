// STUB — replaced by the risk part (helper G).
import type { Identity } from '../../auth/identity.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { SecurityAlerts } from '../alerts/service.js';

export class SecurityRisk {
  constructor(
    readonly d: ModuleDeps,
    readonly parts: { alerts: SecurityAlerts },
  ) {}
  overview(_identity: Identity): Promise<Record<string, unknown>> {
    return Promise.resolve({});
  }
  jobs(): ModuleJob[] {
    return [];
  }
}
