import { policyRef, type PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';
import { sql as securityAlerts } from './0014-security-alerts.js';
import { IncidentsPolicy } from './policy.js';

/** Alerts, incidents (with their alerts and timeline) and suppressions. */
export const ALERTS_STATE_MIGRATIONS: readonly Migration[] = [
  { id: 14, name: 'security-alerts', sql: securityAlerts },
];

/** `policies/incidents.yaml`: correlation, bulk and suppression bounds, notifications. */
export const INCIDENTS_POLICY = policyRef('incidents.yaml', IncidentsPolicy);

/** This part's policy files (besides `security.yaml`). */
export const ALERTS_POLICIES: readonly PolicyRef<unknown>[] = [INCIDENTS_POLICY as PolicyRef<unknown>];
