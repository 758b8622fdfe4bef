import type { SecurityAlertsPayload, SecurityEventsPayload } from '@tianshu/protocol';
import {
  SecurityAlertsPayload as SecurityAlertsSchema,
  SecurityEventsPayload as SecurityEventsSchema,
} from '@tianshu/protocol';
import { can } from '../auth/identity.js';
import type { AgentPrincipal } from '../fleet/service.js';
import { defineModule, moduleRef, payloadKind, policyRef } from '../modules/contract.js';
import { SECURITY_ALARM_DOMAIN } from './alerts/alarms.js';
import { SecurityAlerts } from './alerts/service.js';
import { alertRoutes } from './alerts/routes.js';
import { ALERTS_POLICIES, ALERTS_STATE_MIGRATIONS } from './alerts/migrations.js';
import { FlowDetections } from './detections/service.js';
import { detectionRoutes } from './detections/routes.js';
import { DETECTIONS_POLICIES, DETECTIONS_STATE_MIGRATIONS } from './detections/migrations.js';
import { OrgAttributor } from './events/attribution.js';
import { SecurityPolicy } from './events/policy.js';
import { eventRoutes } from './events/routes.js';
import { SecurityEvents, type EventBatch } from './events/service.js';
import { EVENTS_POLICIES, EVENTS_STATE_MIGRATIONS } from './events/migrations.js';
import { SECURITY_TELEMETRY_MIGRATIONS } from './events/telemetry-schema.js';
import { SecurityRisk } from './risk/service.js';
import { riskRoutes } from './risk/routes.js';
import { RISK_POLICIES, RISK_STATE_MIGRATIONS } from './risk/migrations.js';
import { SecurityRules } from './rules/service.js';
import { ruleRoutes } from './rules/routes.js';
import { RULES_POLICIES, RULES_STATE_MIGRATIONS } from './rules/migrations.js';

/** `policies/security.yaml`: event retention (≥ 180 days), upload limit, edge listeners and files. */
export const SECURITY_POLICY = policyRef('security.yaml', SecurityPolicy);

/** What the security module offers; each part in its own folder. */
export interface SecurityModule {
  /** Org unit of an address by the IP prefix registry. */
  attribution: OrgAttributor;
  /** Event ingest (agents' payloads, API uploads), storage, search, per-source counters. */
  events: SecurityEvents;
  /** Sigma rules (files and API), compiled once, evaluated on the ingest path, with hit counts. */
  rules: SecurityRules;
  /** Alerts, incidents, triage, suppression, escalation across levels. */
  alerts: SecurityAlerts;
  /** Risk per org unit and asset, vulnerabilities, daily trend. */
  risk: SecurityRisk;
  /** Flow detections of the edge agents (config, threat intelligence), unusual egress. */
  detections: FlowDetections;
}

export const securityRef = moduleRef<SecurityModule>('security');

/** The alerts of one batch's `security-alerts` payloads, with the agent that raised them. */
interface AlertBatch {
  agent: AgentPrincipal;
  payloads: SecurityAlertsPayload[];
}

/**
 * Security situational awareness: events from Suricata EVE, syslog and CEF (edge listeners, files,
 * API uploads), Sigma and flow detections, alerts deduplicated and correlated into incidents, triage
 * and escalation across levels, and the risk of every org unit.
 */
export const securityModule = defineModule<SecurityModule>({
  name: 'security',
  migrations: {
    state: [
      ...EVENTS_STATE_MIGRATIONS,
      ...RULES_STATE_MIGRATIONS,
      ...ALERTS_STATE_MIGRATIONS,
      ...RISK_STATE_MIGRATIONS,
      ...DETECTIONS_STATE_MIGRATIONS,
    ],
    telemetry: SECURITY_TELEMETRY_MIGRATIONS,
  },
  policies: [
    SECURITY_POLICY,
    ...EVENTS_POLICIES,
    ...RULES_POLICIES,
    ...ALERTS_POLICIES,
    ...RISK_POLICIES,
    ...DETECTIONS_POLICIES,
  ],
  alarmDomains: [SECURITY_ALARM_DOMAIN],
  create: (d) => {
    const policy = () => d.policies.get(SECURITY_POLICY);
    const attribution = new OrgAttributor(d);
    const rules = new SecurityRules(d);
    const alerts = new SecurityAlerts(d, { attribution });
    const detections = new FlowDetections(d, { alerts, attribution });
    const events = new SecurityEvents(d, { policy, rules, alerts, attribution });
    const risk = new SecurityRisk(d, { alerts, attribution });
    return { attribution, events, rules, alerts, risk, detections };
  },
  seed: async (svc) => {
    await svc.rules.load();
  },
  routes: (r, svc) => {
    eventRoutes(r, svc);
    ruleRoutes(r, svc);
    alertRoutes(r, svc);
    riskRoutes(r, svc);
    detectionRoutes(r, svc);
  },
  payloads: {
    'security-events': payloadKind<SecurityModule, SecurityEventsPayload, EventBatch>({
      schema: SecurityEventsSchema,
      prepare: (svc, agent, payloads) => svc.events.prepare(agent, payloads),
      store: (svc, batch, payload, token) => svc.events.store(batch, payload, token),
      apply: (svc, batch) => svc.events.apply(batch),
    }),
    'security-alerts': payloadKind<SecurityModule, SecurityAlertsPayload, AlertBatch>({
      schema: SecurityAlertsSchema,
      prepare: (_svc, agent, payloads) => Promise.resolve({ agent, payloads }),
      // Raising is idempotent (same fingerprint and lastSeen changes nothing), so a replay is safe.
      apply: async (svc, batch) => {
        for (const p of batch.payloads) await svc.alerts.raise(p.alerts, { agent: batch.agent });
      },
    }),
  },
  jobs: (svc) => [
    ...svc.events.jobs(),
    ...svc.rules.jobs(),
    ...svc.alerts.jobs(),
    ...svc.risk.jobs(),
    ...svc.detections.jobs(),
  ],
  agentConfig: async (svc, agent) => {
    const sections = {
      ...(await svc.events.agentConfig(agent)),
      ...(await svc.detections.agentConfig(agent)),
    };
    return Object.keys(sections).length ? sections : undefined;
  },
  overview: async (svc, identity) => {
    if (!can(identity, 'security:read')) return {};
    return {
      ...(await svc.events.overview(identity)),
      ...(await svc.alerts.overview(identity)),
      ...(await svc.risk.overview(identity)),
    };
  },
  stop: (svc) => svc.events.stop(),
});
