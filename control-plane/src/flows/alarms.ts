import type { AlarmDomain } from '../alerting/types.js';

/** An org unit's internet egress exceeded its monthly volume or peak allowance (policy `egress.allowances`). */
export const FLOW_EGRESS_ALLOWANCE_EXCEEDED = 'flow-egress-allowance-exceeded';
/** An exporter's flows diverge from its interfaces' SNMP counters (policy `reconciliation`). */
export const FLOW_RECONCILIATION_DIVERGING = 'flow-reconciliation-diverging';

/** An exporter sends malformed datagrams (at least 10 and 1 % of its datagrams over 15 minutes). */
export const FLOW_EXPORTER_MALFORMED = 'flow-exporter-malformed';

/** The kinds the flows module raises. */
export const FLOW_ALARM_KINDS = [
  FLOW_EGRESS_ALLOWANCE_EXCEEDED,
  FLOW_RECONCILIATION_DIVERGING,
  FLOW_EXPORTER_MALFORMED,
] as const;

/**
 * The flows' alarm domain: its kinds, acknowledged with `network:write` (flows have no write
 * permission of their own; the network operators act on them).
 */
export const FLOW_ALARM_DOMAIN: AlarmDomain = {
  name: 'flows',
  kindPrefixes: [...FLOW_ALARM_KINDS],
  writePermission: 'network:write',
};
