import type { AlarmDomain } from '../../alerting/types.js';

/**
 * The security alarm domain: a new incident (`security-incident`, of the owner unit) and each
 * escalation (`security-incident-escalated`, of the unit escalated to) raise an alarm, routed to
 * receivers by `policies/notifications.yaml`, acknowledged with `security:write`.
 */
export const SECURITY_ALARM_DOMAIN: AlarmDomain = {
  name: 'security',
  kindPrefixes: ['security-incident'],
  writePermission: 'security:write',
};
