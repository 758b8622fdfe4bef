import type { AlarmDomain } from '../alerting/types.js';

/**
 * The quotas alarm domain, acknowledged with `quotas:write`, routed by `policies/notifications.yaml`:
 * `quota-cloud-error` (a cloud unreachable or refusing, of the cloud's owner unit; reconcile),
 * `quota-drift` (a quota changed on the cloud; reconcile), `quota-expiry` (an allocation expires
 * soon, of the project's unit; requests), `quota-request-pending` (a request waits for approval, of
 * the approving unit; requests), `quota-reclaim-proposed` (idle resources to take back, of the
 * project's unit; review).
 */
export const QUOTAS_ALARM_DOMAIN: AlarmDomain = {
  name: 'quotas',
  kindPrefixes: ['quota-'],
  writePermission: 'quotas:write',
};
