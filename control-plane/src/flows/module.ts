import type { FlowAggregatesPayload } from '@tianshu/protocol';
import { FlowAggregatesPayload as FlowAggregatesSchema } from '@tianshu/protocol';
import { alarmsRef } from '../alerting/module.js';
import { can } from '../auth/identity.js';
import type { AlarmDomain } from '../alerting/types.js';
import type { Router } from '../api/route.js';
import { defineModule, moduleRef, payloadKind, policyRef, type ModuleJob } from '../modules/contract.js';
import { FlowAnalytics } from './query.js';
import { FlowsPolicy } from './policy.js';
import { flowRoutes } from './routes.js';
import { FlowsService, type FlowBatch } from './service.js';
import { FLOWS_TELEMETRY_MIGRATIONS } from './telemetry-schema.js';
import { FLOW_ALARM_DOMAIN } from './alarms.js';
import { EgressService } from './egress.js';
import { ExporterHealthService } from './exporters.js';
import { healthRoutes } from './health-routes.js';
import { Reconciler } from './reconcile.js';

/** `policies/flows.yaml`: retention, collectors, key, sampling, apps, GeoIP, egress, reconciliation. */
export const FLOWS_POLICY = policyRef('flows.yaml', FlowsPolicy);

/** What the flows module offers: ingest and enrichment, and the analytics over the stored flows. */
export interface FlowsModule {
  flows: FlowsService;
  analytics: FlowAnalytics;
  /** Internet egress per org unit against its allowance. */
  egress: EgressService;
  /** Flow bytes against SNMP octets per exporter interface. */
  reconciler: Reconciler;
  /** What each exporter sent, its errors and its reconciliation. */
  exporterHealth: ExporterHealthService;
}

export const flowsRef = moduleRef<FlowsModule>('flows');

// ---- hooks for the egress, reconciliation and exporter-health parts (their own files) -----------
/** Routes of the other flow features (egress, reconciliation, exporters), added after the analytics. */
const EXTRA_ROUTES: Array<(r: Router, svc: FlowsModule) => void> = [
  (r, svc) =>
    healthRoutes(r, { egress: svc.egress, reconciler: svc.reconciler, exporters: svc.exporterHealth }),
];
/** Their periodic jobs. */
const EXTRA_JOBS: Array<(svc: FlowsModule) => ModuleJob[]> = [
  (svc) => [
    {
      name: 'flows.egress-allowances',
      everyMillis: 5 * 60_000,
      run: async () => {
        await svc.egress.check();
      },
    },
    {
      name: 'flows.reconciliation',
      everyMillis: 5 * 60_000,
      run: async () => {
        await svc.reconciler.check();
      },
    },
    {
      name: 'flows.exporter-malformed',
      everyMillis: 5 * 60_000,
      run: async () => {
        await svc.exporterHealth.checkMalformed();
      },
    },
  ],
];
/** Their alarm domains. */
const EXTRA_ALARM_DOMAINS: AlarmDomain[] = [FLOW_ALARM_DOMAIN];

/**
 * Flows: the ingest of edge agents' per-minute flow aggregates into the telemetry store, enriched
 * (org units by longest prefix, interface names and speeds, direction, application, AS and
 * country), the edge agents' collector config, and the scoped analytics API (top-N, series, Sankey).
 */
export const flowsModule = defineModule<FlowsModule>({
  name: 'flows',
  migrations: { telemetry: FLOWS_TELEMETRY_MIGRATIONS },
  policies: [FLOWS_POLICY],
  alarmDomains: EXTRA_ALARM_DOMAINS,
  create: (d) => {
    const policy = () => d.policies.get(FLOWS_POLICY);
    const flows = new FlowsService({
      db: d.db,
      telemetry: d.telemetry,
      policy,
      settings: {
        ...d.config.flows,
        embedded: d.config.databaseUrl === undefined && d.config.clickhouseUrl === undefined,
      },
      log: d.log,
      metrics: d.metrics,
    });
    const analytics = new FlowAnalytics({ telemetry: d.telemetry, flows });
    const alarms = d.use(alarmsRef);
    const egress = new EgressService({
      db: d.db,
      telemetry: d.telemetry,
      orgUnits: d.orgUnits,
      alarms,
      settings: () => policy().egress,
      log: d.log,
    });
    const reconciler = new Reconciler({
      telemetry: d.telemetry,
      alarms,
      settings: () => policy().reconciliation,
      log: d.log,
    });
    const exporterHealth = new ExporterHealthService({
      db: d.db,
      telemetry: d.telemetry,
      reconciler,
      alarms,
    });
    return { flows, analytics, egress, reconciler, exporterHealth };
  },
  routes: (r, svc) => {
    flowRoutes(r, svc.analytics);
    for (const add of EXTRA_ROUTES) add(r, svc);
  },
  payloads: {
    'flow-aggregates': payloadKind<FlowsModule, FlowAggregatesPayload, FlowBatch>({
      schema: FlowAggregatesSchema,
      prepare: (svc, agent, payloads) => svc.flows.prepare(agent, payloads),
      store: (svc, batch, payload, token) => svc.flows.store(batch, payload, token),
    }),
  },
  jobs: (svc) => [
    {
      name: 'flows.retention',
      everyMillis: 10 * 60_000,
      run: () => svc.flows.reconcileRetention(),
    },
    ...EXTRA_JOBS.flatMap((j) => j(svc)),
  ],
  agentConfig: async (svc, agent) => {
    const flows = await svc.flows.agentConfig(agent);
    return flows ? { flows } : undefined;
  },
  overview: async (svc, identity) => {
    if (!can(identity, 'flows:read')) return {};
    return { ...(await svc.analytics.overview(identity)) };
  },
});
