import { apiFetch } from './api.js';

export type AgentStatus = 'online' | 'stale' | 'offline' | 'never';

export const agentStatuses: readonly AgentStatus[] = ['online', 'stale', 'offline', 'never'];

/** Why an agent dropped batches: queue bound reached, disk full, other write error. */
export type DropReason = 'full' | 'enospc' | 'write_error';

export const dropReasonLabels: Record<DropReason, string> = {
  full: 'queue full',
  enospc: 'disk full',
  write_error: 'write error',
};

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
  if (!by) return [{ reason: 'unknown', label: 'reason not reported', count: queue.droppedBatches }];
  return (Object.keys(dropReasonLabels) as DropReason[])
    .filter((r) => (by[r] ?? 0) > 0)
    .map((r) => ({ reason: r, label: dropReasonLabels[r], count: by[r] }))
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
