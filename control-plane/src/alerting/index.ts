export type {
  Alarm,
  AlarmCondition,
  AlarmDomain,
  AlarmListOptions,
  AlarmPage,
  AlarmService,
  AlarmSeverity,
  AlarmSink,
  AlarmState,
  AlarmSummary,
  DeliveryReport,
} from './types.js';
export { ALARM_SEVERITIES } from './types.js';
export { AlertingConfig, defaultAlertingConfig } from './config.js';
export { NotificationsPolicy, Receiver, Route } from './policy.js';
export { receiversFor, routeMatches, type RoutableAlarm } from './routing.js';
export { AlarmConditionSchema, DefaultAlarmService, type AlarmServiceDeps } from './service.js';
export { buildPayload, fingerprintOf, type AlertmanagerPayload, type AlertmanagerAlert } from './webhook.js';
