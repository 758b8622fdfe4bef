import { apiFetch } from './api.js';

/** A store that is full now, as `GET /api/v1/status` reports it. */
export interface StorageCondition {
  store: 'state' | 'telemetry';
  sources: ('write' | 'free-space')[];
  reason: string;
  since: string;
  /** `pending` while the alarm cannot be stored (the state store is the full one). */
  alarm: 'pending' | 'firing';
}

export interface ServerStatus {
  shuttingDown: boolean;
  storage: StorageCondition[];
}

export const fetchStatus = (signal?: AbortSignal): Promise<ServerStatus> =>
  apiFetch<ServerStatus>('/api/v1/status', { signal });

const storeNames: Record<StorageCondition['store'], string> = {
  state: 'state store (configuration, users, alarms)',
  telemetry: 'telemetry store (metrics, flows)',
};

/** One sentence per problem, for the banner above every page; empty when all is well. */
export function statusMessages(status: ServerStatus): string[] {
  const out: string[] = [];
  if (status.shuttingDown) out.push('The control plane is shutting down; the console reconnects by itself.');
  for (const c of status.storage) {
    const since = c.since.slice(0, 16).replace('T', ' ');
    out.push(
      `The ${storeNames[c.store]} is out of storage space since ${since} UTC (${c.reason}); ` +
        'changes are refused until space is freed.' +
        (c.alarm === 'pending' ? ' Its alarm will be recorded once the state store can write again.' : ''),
    );
  }
  return out;
}
