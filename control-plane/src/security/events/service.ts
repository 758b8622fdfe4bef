// STUB — replaced by the events part (helper C). Signatures used by ../module.ts.
import type { SecurityEventsPayload } from '@tianshu/protocol';
import type { Identity } from '../../auth/identity.js';
import type { AgentPrincipal } from '../../fleet/service.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { AlertSink, OrgAttribution, RuleEngine } from '../types.js';
import type { SecurityPolicy } from './policy.js';

export interface EventBatch {
  agent: AgentPrincipal;
}

export class SecurityEvents {
  constructor(
    readonly d: ModuleDeps,
    readonly parts: {
      policy: () => SecurityPolicy;
      rules: RuleEngine;
      alerts: AlertSink;
      attribution: OrgAttribution;
    },
  ) {}
  prepare(agent: AgentPrincipal, _payloads: SecurityEventsPayload[]): Promise<EventBatch> {
    return Promise.resolve({ agent });
  }
  store(_batch: EventBatch, _payload: SecurityEventsPayload, _token: string): Promise<number> {
    return Promise.resolve(0);
  }
  apply(_batch: EventBatch): Promise<void> {
    return Promise.resolve();
  }
  agentConfig(_agent: AgentPrincipal): Promise<Record<string, unknown> | undefined> {
    return Promise.resolve(undefined);
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
