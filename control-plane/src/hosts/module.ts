import { HostMetricsPayload } from '@tianshu/protocol';
import type { AgentPrincipal } from '../fleet/service.js';
import { defineModule, payloadKind } from '../modules/contract.js';
import type { TelemetryStore } from '../store/telemetry/index.js';
import { insertHostMetricsPayload } from '../store/telemetry/index.js';

/** What the hosts module needs: where host metrics go and how often agents collect them. */
export interface HostsModule {
  telemetry: TelemetryStore;
  intervalSeconds: number;
}

/**
 * Host telemetry: the host role's section of the agent config and the `host-metrics` payloads its
 * /proc collector reports (columnar from current agents, the series shape from older ones; both
 * stored alike as one Native insert per payload), stored in the telemetry store's `host_metrics` (raw → 1 min → 1 h).
 */
export const hostsModule = defineModule<HostsModule>({
  name: 'hosts',
  create: (d) => ({ telemetry: d.telemetry, intervalSeconds: d.config.fleet.hostIntervalSeconds }),
  payloads: {
    'host-metrics': payloadKind<HostsModule, HostMetricsPayload, AgentPrincipal>({
      schema: HostMetricsPayload,
      prepare: async (_svc, agent) => agent,
      store: (svc, agent, payload, token) =>
        insertHostMetricsPayload(
          svc.telemetry,
          { agentId: agent.agentId, orgUnitId: agent.orgUnitId, host: payload.host },
          payload,
          { dedupToken: token },
        ),
    }),
  },
  // Every agent runs the host collector's configuration; agents without the host role ignore it.
  agentConfig: async (svc) => ({ host: { enabled: true, intervalSeconds: svc.intervalSeconds } }),
});
