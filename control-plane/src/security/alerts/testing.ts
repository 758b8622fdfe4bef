import { fileURLToPath } from 'node:url';
import type { AlertInput } from '@tianshu/protocol';
import { NotificationsPolicy } from '../../alerting/policy.js';
import { DefaultAlarmService } from '../../alerting/service.js';
import { NETWORK_ALARM_DOMAIN } from '../../network/alarms.js';
import { Metrics } from '../../observability/metrics.js';
import { SECURITY_ALARM_DOMAIN } from './alarms.js';
import type { AgentPrincipal } from '../../fleet/service.js';
import { openTestInventory, type TestInventory } from '../../inventory/testing.js';
import { createLogger } from '../../logger.js';
import type { ModuleDeps } from '../../modules/contract.js';
import { PolicyStore } from '../../policies/index.js';
import type { Attribution, OrgAttribution } from '../types.js';
import { INCIDENTS_POLICY } from './migrations.js';
import { SecurityAlerts } from './service.js';

const POLICIES_DIR = fileURLToPath(new URL('../../../../policies', import.meta.url));

/**
 * The alerts part on a PGlite store with every migration and the demo org units, the repository's
 * `incidents.yaml`, the real alarm service, a clock the test moves, and an address attribution the
 * test fills (a double of the events part's prefix lookup).
 */
export interface TestAlerts extends TestInventory {
  svc: SecurityAlerts;
  alarms: DefaultAlarmService;
  /** Address → org unit, as the IP prefix registry would answer. */
  addresses: Map<string, string>;
  /** Unix milliseconds. */
  clock: { now: number };
  agent(orgUnitId: string): Promise<AgentPrincipal>;
}

export async function openTestAlerts(): Promise<TestAlerts> {
  const inv = await openTestInventory();
  const policies = PolicyStore.load(POLICIES_DIR, createLogger('silent'), [INCIDENTS_POLICY]);
  const metrics = new Metrics();
  const notifications = NotificationsPolicy.parse({});
  const alarms = new DefaultAlarmService({
    db: inv.db,
    orgUnits: inv.orgUnits,
    audit: inv.audit,
    notifications: () => notifications,
    metrics,
    log: createLogger('silent'),
    domains: [NETWORK_ALARM_DOMAIN, SECURITY_ALARM_DOMAIN],
  });
  const addresses = new Map<string, string>();
  const paths = new Map<string, string>();
  for (const r of (await inv.db.query<{ id: string; path: string }>('SELECT id, path FROM org_units')).rows)
    paths.set(r.id, r.path);
  const attribution: OrgAttribution = {
    byAddress(address: string): Attribution | undefined {
      const id = addresses.get(address);
      const path = id ? paths.get(id) : undefined;
      return id && path ? { orgUnitId: id, orgPath: path } : undefined;
    },
    refresh: () => Promise.resolve(),
  };
  const clock = { now: Date.parse('2026-12-01T08:00:00.000Z') };
  const d = {
    db: inv.db,
    audit: inv.audit,
    orgUnits: inv.orgUnits,
    inventory: inv.inventory,
    policies,
    metrics,
    log: createLogger('silent'),
    use: () => alarms,
  } as unknown as ModuleDeps;
  const svc = new SecurityAlerts(d, { attribution, now: () => clock.now, alarms });
  return {
    ...inv,
    svc,
    alarms,
    addresses,
    clock,
    agent: async (orgUnitId) => ({
      agentId: `agent-${orgUnitId}`,
      hostname: `edge-${orgUnitId}`,
      orgUnitId,
      orgUnitPath: (await inv.orgUnits.pathOf(orgUnitId))!,
      roles: ['edge'],
    }),
  };
}

/** An alert input with sensible defaults (a Suricata scan signature against 10.1.1.10). */
export function alertInput(over: Partial<AlertInput> = {}): AlertInput {
  const at = over.lastSeen ?? Date.parse('2026-12-01T08:00:00.000Z');
  return {
    source: 'suricata',
    reference: 'suricata:2010937',
    title: 'ET SCAN Suspicious inbound to mySQL port 3306',
    severity: 'medium',
    attack: ['T1046'],
    observables: [
      { type: 'ip', value: '203.0.113.7', role: 'source' },
      { type: 'ip', value: '10.1.1.10', role: 'target' },
    ],
    firstSeen: at,
    lastSeen: at,
    count: 1,
    ...over,
  };
}
