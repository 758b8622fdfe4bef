import { msg, str } from '@lit/localize';
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

/** The sentence for one full store; `since` is UTC as `YYYY-MM-DD HH:mm`, `reason` the server's words. */
function storageMessage(c: StorageCondition, since: string): string {
  const reason = c.reason;
  if (c.store === 'state') {
    return c.alarm === 'pending'
      ? msg(
          str`The state store (configuration, users, alarms) is out of storage space since ${since} UTC (${reason}); changes are refused until space is freed. Its alarm will be recorded once the state store can write again.`,
          { id: 'banner.stateFull.alarmPending' },
        )
      : msg(
          str`The state store (configuration, users, alarms) is out of storage space since ${since} UTC (${reason}); changes are refused until space is freed.`,
          { id: 'banner.stateFull' },
        );
  }
  return c.alarm === 'pending'
    ? msg(
        str`The telemetry store (metrics, flows) is out of storage space since ${since} UTC (${reason}); changes are refused until space is freed. Its alarm will be recorded once the state store can write again.`,
        { id: 'banner.telemetryFull.alarmPending' },
      )
    : msg(
        str`The telemetry store (metrics, flows) is out of storage space since ${since} UTC (${reason}); changes are refused until space is freed.`,
        { id: 'banner.telemetryFull' },
      );
}

/**
 * One sentence per problem, for the banner above every page, in the console's language (the
 * server's reason is shown as it words it); empty when all is well.
 */
export function statusMessages(status: ServerStatus): string[] {
  const out: string[] = [];
  if (status.shuttingDown) {
    out.push(
      msg('The control plane is shutting down; the console reconnects by itself.', {
        id: 'banner.shuttingDown',
      }),
    );
  }
  for (const c of status.storage) {
    out.push(storageMessage(c, c.since.slice(0, 16).replace('T', ' ')));
  }
  return out;
}
