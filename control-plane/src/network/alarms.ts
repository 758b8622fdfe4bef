import type { AlarmDomain } from '../alerting/types.js';

/** The kinds the network module raises; `GET /api/v1/network/alarms` shows these. */
export const NETWORK_ALARM_KINDS = [
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

/** The network's alarm domain: its kinds, acknowledged with `network:write`. */
export const NETWORK_ALARM_DOMAIN: AlarmDomain = {
  name: 'network',
  kindPrefixes: [...NETWORK_ALARM_KINDS],
  writePermission: 'network:write',
};
