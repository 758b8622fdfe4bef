// STUB — replaced by the rules part (helper B).
import type { AlertInput } from '@tianshu/protocol';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { RuleEngine, StoredEvent } from '../types.js';

export class SecurityRules implements RuleEngine {
  constructor(readonly d: ModuleDeps) {}
  /** Loads the rules of `policies/detections/sigma/` and those added through the API. */
  load(): Promise<void> {
    return Promise.resolve();
  }
  evaluate(_events: readonly StoredEvent[]): AlertInput[] {
    return [];
  }
  jobs(): ModuleJob[] {
    return [];
  }
}
