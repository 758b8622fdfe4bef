import { can } from '../auth/identity.js';
import { defineModule, moduleRef, policyRef } from '../modules/contract.js';
import { VERSION } from '../version.js';
import { ALERTING_STATE_MIGRATIONS } from './migrations/index.js';
import { NotificationsPolicy } from './policy.js';
import { alarmRoutes } from './routes.js';
import { DefaultAlarmService } from './service.js';
import type { AlarmService } from './types.js';

/** `policies/notifications.yaml`: where alarm notifications go. */
export const NOTIFICATIONS_POLICY = policyRef('notifications.yaml', NotificationsPolicy);

/** The alarm sink other modules fire into (list alerting before them). */
export const alarmsRef = moduleRef<AlarmService>('alerting');

/** Operational alarms: deduplicated, scoped, acknowledged, and sent as Alertmanager webhooks. */
export const alertingModule = defineModule<DefaultAlarmService>({
  name: 'alerting',
  migrations: { state: ALERTING_STATE_MIGRATIONS },
  policies: [NOTIFICATIONS_POLICY],
  create: (d) =>
    new DefaultAlarmService({
      db: d.db,
      orgUnits: d.orgUnits,
      audit: d.audit,
      notifications: () => d.policies.get(NOTIFICATIONS_POLICY),
      metrics: d.metrics,
      log: d.log,
      externalUrl: d.config.publicUrl,
      userAgent: `Tianshu/${VERSION}`,
      domains: d.alarmDomains,
    }),
  routes: (r, svc) => alarmRoutes(r, svc),
  jobs: (svc) => [
    {
      name: 'alerting.notify',
      everyMillis: svc.config.notifyIntervalMillis,
      run: async () => {
        await svc.deliver();
      },
    },
  ],
  overview: async (svc, identity) => {
    if (!can(identity, svc.config.readPermission)) return {};
    return { alarms: await svc.summary(identity) };
  },
});
