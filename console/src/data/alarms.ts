import { apiFetch, query } from './api.js';

export type AlarmSeverity = 'critical' | 'major' | 'minor' | 'warning';

export const alarmSeverities: readonly AlarmSeverity[] = ['critical', 'major', 'minor', 'warning'];

export type AlarmState = 'firing' | 'resolved';

export type AlarmStateFilter = AlarmState | 'all';

/** The kinds the network module raises; the server may add others, which are shown as they come. */
export const networkAlarmKinds = [
  'link-down',
  'link-flapping',
  'link-saturated',
  'redundancy-lost',
  'failed-over',
  'below-tier',
  'device-unreachable',
  'device-poll-failed',
  'device-unpolled',
] as const;

export type NetworkAlarmKind = (typeof networkAlarmKinds)[number];

/** One deduplicated alarm: raised when a condition starts, resolved when it ends. */
export interface Alarm {
  id: string;
  kind: NetworkAlarmKind | (string & {});
  severity: AlarmSeverity;
  state: AlarmState;
  orgUnitId: string;
  targetType: string;
  targetId: string;
  summary: string;
  labels: Record<string, string>;
  startsAt: string;
  lastSeenAt: string;
  endsAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

export interface AlarmPage {
  items: Alarm[];
  /** Pass as `before` to get the next, older page; null when there is none. */
  nextBefore: string | null;
}

export interface AlarmQuery {
  state?: AlarmStateFilter;
  orgUnitId?: string;
  kind?: string;
  limit?: number;
  before?: string | null;
}

export const fetchNetworkAlarms = (options: AlarmQuery = {}, signal?: AbortSignal): Promise<AlarmPage> =>
  apiFetch<AlarmPage>(`/api/v1/network/alarms${query({ ...options })}`, { signal });

export const acknowledgeAlarm = (alarmId: string, comment?: string): Promise<Alarm> =>
  apiFetch<Alarm>(`/api/v1/alarms/${encodeURIComponent(alarmId)}/acknowledge`, {
    method: 'POST',
    body: comment ? { comment } : {},
  });

/** Counts alarms by severity, every severity present with zero when none. */
export function countBySeverity(alarms: readonly Alarm[]): Record<AlarmSeverity, number> {
  const counts: Record<AlarmSeverity, number> = { critical: 0, major: 0, minor: 0, warning: 0 };
  for (const alarm of alarms) {
    if (alarm.severity in counts) counts[alarm.severity] += 1;
  }
  return counts;
}
