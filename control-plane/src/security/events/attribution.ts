// STUB — replaced by the events part (helper C).
import type { ModuleDeps } from '../../modules/contract.js';
import type { Attribution, OrgAttribution } from '../types.js';

export class OrgAttributor implements OrgAttribution {
  constructor(readonly d: ModuleDeps) {}
  byAddress(_address: string): Attribution | undefined {
    return undefined;
  }
  refresh(): Promise<void> {
    return Promise.resolve();
  }
}
