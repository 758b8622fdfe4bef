// STUB — replaced by the alerts and incidents part (helper D).
import type { AlertInput } from '@tianshu/protocol';
import type { Identity } from '../../auth/identity.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { AlertOrigin, AlertSink, OrgAttribution, RaiseResult } from '../types.js';

export class SecurityAlerts implements AlertSink {
  constructor(
    readonly d: ModuleDeps,
    readonly parts: { attribution: OrgAttribution },
  ) {}
  raise(_inputs: readonly AlertInput[], _origin: AlertOrigin): Promise<RaiseResult> {
    return Promise.resolve({ created: 0, updated: 0, suppressed: 0 });
  }
  overview(_identity: Identity): Promise<Record<string, unknown>> {
    return Promise.resolve({});
  }
  jobs(): ModuleJob[] {
    return [];
  }
}
