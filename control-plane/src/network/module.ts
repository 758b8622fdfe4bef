import type { DiscoveryPayload, InterfacePollReport, SweepPayload } from '@tianshu/protocol';
import {
  DiscoveryPayload as DiscoverySchema,
  InterfacePollReport as PollSchema,
  SweepPayload as SweepSchema,
} from '@tianshu/protocol';
import { alarmsRef } from '../alerting/module.js';
import { can } from '../auth/identity.js';
import type { Logger } from '../logger.js';
import { defineModule, moduleRef, payloadKind, policyRef } from '../modules/contract.js';
import { SnmpCredentialService, credentialCheck, loadCredentialsFile } from './credentials.js';
import { NETWORK_STATE_MIGRATIONS } from './migrations/index.js';
import { NetworkPolicy } from './policy.js';
import { AssignmentCheck } from './assignment.js';
import { NETWORK_ALARM_DOMAIN } from './alarms.js';
import { networkRoutes } from './routes.js';
import { deviceRoutes } from './device-routes.js';
import { DeviceViews } from './devices.js';
import { NetworkService, type NetworkBatch } from './service.js';
import { NETWORK_TELEMETRY_MIGRATIONS } from './telemetry-schema.js';

/** `policies/network.yaml`: bandwidth tiers and thresholds per level. */
export const NETWORK_POLICY = policyRef('network.yaml', NetworkPolicy);

/** What the network module offers: link health and poll assignment, and the SNMP credentials. */
export interface NetworkModule {
  links: NetworkService;
  /** Device and port views, add by address or sweep, discovery on demand. */
  devices: DeviceViews;
  credentials: SnmpCredentialService;
  /** Devices no edge agent polls, each with a `device-unpolled` alarm naming why. */
  assignments: AssignmentCheck;
  /** The credentials file loaded at start (`snmpCredentialsFile`, the embedded lab's). */
  credentialsFile: string | undefined;
  log: Logger;
}

export const networkRef = moduleRef<NetworkModule>('network');

/**
 * Extranet monitoring: SNMP credentials, which devices each edge agent polls, the ingest of
 * interface polls and discovery, link evaluation with alarms, and the network views.
 */
export const networkModule = defineModule<NetworkModule>({
  name: 'network',
  migrations: { state: NETWORK_STATE_MIGRATIONS, telemetry: NETWORK_TELEMETRY_MIGRATIONS },
  policies: [NETWORK_POLICY],
  alarmDomains: [NETWORK_ALARM_DOMAIN],
  create: (d) => {
    // Without the secret key (a server database and no secretKey) the control plane refuses to
    // start when it must load credentials; otherwise every credential use fails naming the setting.
    if (d.config.snmpCredentialsFile && d.sealerProblem) throw new Error(d.sealerProblem);
    const credentials = new SnmpCredentialService({
      db: d.db,
      audit: d.audit,
      orgUnits: d.orgUnits,
      box: d.sealer,
    });
    d.inventory.devices.addCheck(credentialCheck);
    const links = new NetworkService({
      db: d.db,
      telemetry: d.telemetry,
      audit: d.audit,
      orgUnits: d.orgUnits,
      inventory: d.inventory,
      credentials,
      policy: () => d.policies.get(NETWORK_POLICY),
      alarms: d.use(alarmsRef),
      settings: d.config.network,
      log: d.log,
    });
    const devices = new DeviceViews({
      db: d.db,
      telemetry: d.telemetry,
      audit: d.audit,
      orgUnits: d.orgUnits,
      inventory: d.inventory,
      credentials,
      links,
      staleAfterMs: () => Math.max(3 * d.config.network.pollIntervalSeconds, 90) * 1000,
      log: d.log,
    });
    const assignments = new AssignmentCheck({ db: d.db, alarms: d.use(alarmsRef), log: d.log });
    return {
      links,
      devices,
      credentials,
      assignments,
      credentialsFile: d.config.snmpCredentialsFile,
      log: d.log,
    };
  },
  seed: async (svc, system) => {
    const file = svc.credentialsFile;
    if (!file) return;
    const r = await svc.credentials.applyFile(system, loadCredentialsFile(file));
    if (r.created || r.updated) svc.log.info({ file, ...r }, 'snmp credentials loaded');
  },
  routes: (r, svc) => {
    deviceRoutes(r, svc.devices);
    networkRoutes(r, svc);
  },
  payloads: {
    'interface-poll': payloadKind<NetworkModule, InterfacePollReport, NetworkBatch>({
      schema: PollSchema,
      prepare: (svc, agent, polls) => svc.links.prepare(agent, polls),
      store: (svc, batch, poll, token) => svc.links.storePoll(batch, poll, token),
      apply: (svc, batch) => svc.links.apply(batch),
    }),
    discovery: payloadKind<NetworkModule, DiscoveryPayload, NetworkBatch>({
      schema: DiscoverySchema,
      prepare: (svc, agent, found) => svc.links.prepare(agent, found),
      apply: (svc, batch) => svc.links.apply(batch),
    }),
    sweep: payloadKind<NetworkModule, SweepPayload, Awaited<ReturnType<DeviceViews['prepareSweeps']>>>({
      schema: SweepSchema,
      prepare: (svc, agent, found) => svc.devices.prepareSweeps(agent, found),
      apply: (svc, batch) => svc.devices.applySweeps(batch),
    }),
  },
  jobs: (svc) => [
    {
      name: 'network.assignment-check',
      everyMillis: 60_000,
      run: async () => {
        await svc.assignments.run();
      },
    },
  ],
  agentConfig: async (svc, agent) => {
    const edge = await svc.links.edgeConfigFor(agent);
    if (!edge) return undefined;
    const sweeps = await svc.devices.sweepTargets(agent);
    return { edge: sweeps.length ? { ...edge, sweeps } : edge };
  },
  overview: async (svc, identity) => {
    if (!can(identity, 'network:read')) return {};
    const links = await svc.links.listLinks(identity);
    return {
      links: {
        total: links.length,
        up: links.filter((l) => l.status === 'up').length,
        down: links.filter((l) => l.status === 'down').length,
        unknown: links.filter((l) => l.status === 'unknown').length,
        failedOver: links.filter((l) => l.failedOver).length,
      },
      devices: await svc.devices.summary(identity),
    };
  },
});
