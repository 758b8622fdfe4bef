import { msg } from '@lit/localize';
import { apiFetch } from './api.js';

export type AgentStatus = 'online' | 'stale' | 'offline' | 'never';

export const agentStatuses: readonly AgentStatus[] = ['online', 'stale', 'offline', 'never'];

/** An agent role (`host`, `edge`, `lab`) as the console's language calls it; others as they come. */
export function agentRoleLabel(role: string): string {
  switch (role) {
    case 'host':
      return msg('host', { id: 'agents.role.host' });
    case 'edge':
      return msg('edge', { id: 'agents.role.edge' });
    case 'lab':
      return msg('lab', { id: 'agents.role.lab' });
    default:
      return role;
  }
}

/** Why an agent dropped batches: queue bound reached, disk full, other write error. */
export type DropReason = 'full' | 'enospc' | 'write_error';

export const dropReasonKinds: readonly DropReason[] = ['full', 'enospc', 'write_error'];

/** What a drop reason is called in the console's language; `unknown` is an agent that gave none. */
export function dropReasonLabel(reason: DropReason | 'unknown'): string {
  switch (reason) {
    case 'full':
      return msg('queue full', { id: 'agents.dropReason.full' });
    case 'enospc':
      return msg('disk full', { id: 'agents.dropReason.enospc' });
    case 'write_error':
      return msg('write error', { id: 'agents.dropReason.writeError' });
    case 'unknown':
      return msg('reason not reported', { id: 'agents.dropReason.unknown' });
  }
}

export interface AgentQueue {
  pendingBatches: number;
  pendingBytes: number;
  droppedBatches: number;
  /** Absent from agents older than this field. */
  droppedReasons?: Record<DropReason, number>;
  lastDropAt?: string;
}

/**
 * The reasons an agent dropped batches, largest first, as `{ reason, label, count }`; a drop count
 * without reasons (older agents) is one entry with reason `unknown`.
 */
export function dropReasons(
  queue: AgentQueue | null | undefined,
): { reason: DropReason | 'unknown'; label: string; count: number }[] {
  if (!queue || queue.droppedBatches <= 0) return [];
  const by = queue.droppedReasons;
  if (!by) return [{ reason: 'unknown', label: dropReasonLabel('unknown'), count: queue.droppedBatches }];
  return dropReasonKinds
    .filter((r) => (by[r] ?? 0) > 0)
    .map((r) => ({ reason: r, label: dropReasonLabel(r), count: by[r] }))
    .sort((a, b) => b.count - a.count);
}

/** The last host sample; a figure is null when the agent did not report it. */
export interface AgentLatest {
  cpuPercent: number | null;
  memoryPercent: number | null;
  load1: number | null;
  at: string;
}

/** An enrolled agent with its liveness and the last host sample it reported. */
export interface Agent {
  id: string;
  hostname: string;
  roles: string[];
  orgUnitId: string;
  version: string;
  os?: string | null;
  arch?: string | null;
  revoked?: boolean;
  status: AgentStatus;
  enrolledAt: string;
  lastSeenAt: string | null;
  lastReportAt: string | null;
  queue: AgentQueue | null;
  /** Absent in live events, which carry the fleet record only. */
  latest?: AgentLatest | null;
}

export interface AgentList {
  items: Agent[];
}

export const fetchAgents = (signal?: AbortSignal): Promise<AgentList> =>
  apiFetch<AgentList>('/api/v1/agents', { signal });

/**
 * The agent whose charts the overview shows first: an online host agent, else any online agent, else
 * the first one listed.
 */
export function defaultChartAgent(agents: readonly Agent[]): Agent | undefined {
  return (
    agents.find((a) => a.status === 'online' && a.roles.includes('host')) ??
    agents.find((a) => a.status === 'online') ??
    agents.find((a) => a.roles.includes('host')) ??
    agents[0]
  );
}

/** Orders agents for display: problems first (offline, stale), then by hostname. */
export function sortAgents(agents: readonly Agent[]): Agent[] {
  const rank: Record<AgentStatus, number> = { offline: 0, stale: 1, online: 2, never: 3 };
  return [...agents].sort((a, b) => rank[a.status] - rank[b.status] || a.hostname.localeCompare(b.hostname));
}

/**
 * Applies a live event to the agent's known state. Events carry the fleet record without the latest
 * host figures, so those are kept from before.
 */
export function mergeAgentEvent(previous: Agent | undefined, event: Agent): Agent {
  if (!previous) return { ...event, latest: event.latest ?? null };
  return { ...previous, ...event, latest: event.latest ?? previous.latest ?? null };
}
