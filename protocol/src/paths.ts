/** HTTP paths shared by agents and the control plane. */
export const paths = {
  enrol: '/api/v1/fleet/enrol',
  heartbeat: (agentId: string) => `/api/v1/agents/${encodeURIComponent(agentId)}/heartbeat`,
  config: (agentId: string) => `/api/v1/agents/${encodeURIComponent(agentId)}/config`,
  reports: (agentId: string) => `/api/v1/agents/${encodeURIComponent(agentId)}/reports`,
} as const;

/** Agents authenticate with `Authorization: Bearer <agentId>.<credential>`. */
export function agentAuthorization(agentId: string, credential: string): string {
  return `Bearer ${agentId}.${credential}`;
}
