// STUB — replaced by the flow-detections part (helper F).
import type { AgentPrincipal } from '../../fleet/service.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { AlertSink, OrgAttribution } from '../types.js';

export class FlowDetections {
  constructor(
    readonly d: ModuleDeps,
    readonly parts: { alerts: AlertSink; attribution: OrgAttribution },
  ) {}
  /** The `detections` section of an edge agent's config, or undefined. */
  agentConfig(_agent: AgentPrincipal): Promise<Record<string, unknown> | undefined> {
    return Promise.resolve(undefined);
  }
  jobs(): ModuleJob[] {
    return [];
  }
}
