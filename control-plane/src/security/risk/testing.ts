import { fileURLToPath } from 'node:url';
import { systemIdentity } from '../../auth/identity.js';
import { PrefixTrie } from '../../flows/prefix-lookup.js';
import { applyInventory, loadInventoryFile } from '../../inventory/file.js';
import { DEMO_INVENTORY, openTestInventory, type TestInventory } from '../../inventory/testing.js';
import { createLogger } from '../../logger.js';
import type { ModuleDeps } from '../../modules/contract.js';
import { PolicyStore } from '../../policies/index.js';
import type { StateStore } from '../../store/state/index.js';
import type { SecurityAlerts } from '../alerts/service.js';
import type { Attribution, OrgAttribution } from '../types.js';
import type { Severity } from './findings.js';
import { RISK_POLICY, type RiskPolicy } from './policy.js';
import { decay } from './score.js';
import { SecurityRisk } from './service.js';
import type { AlertAggregate, IncidentAggregate, RiskSignals } from './signals.js';

const POLICIES_DIR = fileURLToPath(new URL('../../../../policies', import.meta.url));

/**
 * A test double of the events part's attribution (longest prefix in the IP prefix registry), over
 * the same prefixes and the flows module's trie, for the risk part's tests.
 */
export class PrefixAttribution implements OrgAttribution {
  private trie = new PrefixTrie();
  private units: Attribution[] = [];
  constructor(private readonly db: StateStore) {}
  byAddress(address: string): Attribution | undefined {
    const i = this.trie.lookupText(address);
    return i >= 0 ? this.units[i] : undefined;
  }
  async refresh(): Promise<void> {
    const r = await this.db.query<{ prefix: string; org_unit_id: string; path: string }>(
      `SELECT p.prefix::text AS prefix, p.org_unit_id, u.path FROM ip_prefixes p JOIN org_units u ON u.id = p.org_unit_id
        ORDER BY masklen(p.prefix)`,
    );
    this.trie = new PrefixTrie();
    this.units = [];
    for (const row of r.rows) {
      this.units.push({ orgUnitId: row.org_unit_id, orgPath: row.path });
      this.trie.add(row.prefix, this.units.length - 1);
    }
  }
}

/** An open alert or incident as the fake signals hold it. */
export interface FakeAlert {
  orgUnitId: string;
  orgPath: string;
  assetAddress: string | null;
  severity: Severity;
  lastSeen: number;
}
export interface FakeIncident {
  orgUnitId: string;
  orgPath: string;
  topPath?: string;
  severity: Severity;
  updatedAt: number;
}

/** Alerts and incidents held in memory, aggregated as the SQL does (for the formula's tests). */
export class FakeSignals implements RiskSignals {
  alertList: FakeAlert[] = [];
  incidentList: FakeIncident[] = [];
  alerts(rootPath: string, now: number, halfLifeDays: number): Promise<AlertAggregate[]> {
    const out = new Map<string, AlertAggregate>();
    for (const a of this.alertList) {
      if (!a.orgPath.startsWith(rootPath)) continue;
      const key = `${a.orgUnitId}|${a.assetAddress}|${a.severity}`;
      const x = out.get(key) ?? { ...a, count: 0, decayed: 0 };
      x.count++;
      x.decayed += decay(now - a.lastSeen, halfLifeDays);
      out.set(key, x);
    }
    return Promise.resolve(
      [...out.values()].map(({ orgUnitId, orgPath, assetAddress, severity, count, decayed }) => ({
        orgUnitId,
        orgPath,
        assetAddress,
        severity,
        count,
        decayed,
      })),
    );
  }
  incidents(rootPath: string, now: number, halfLifeDays: number): Promise<IncidentAggregate[]> {
    return Promise.resolve(
      this.incidentList
        .filter((i) => i.orgPath.startsWith(rootPath))
        .map((i) => ({
          orgUnitId: i.orgUnitId,
          orgPath: i.orgPath,
          topPath: i.topPath ?? i.orgPath,
          severity: i.severity,
          count: 1,
          decayed: decay(now - i.updatedAt, halfLifeDays),
        })),
    );
  }
}

/** The shipped `policies/risk.yaml`. */
export function loadRiskPolicy(): RiskPolicy {
  return PolicyStore.load(POLICIES_DIR, createLogger('silent'), [RISK_POLICY]).get(RISK_POLICY);
}

export interface TestRisk extends TestInventory {
  risk: SecurityRisk;
  signals: FakeSignals | undefined;
  policies: PolicyStore;
}

/**
 * The risk part over the demo province in PGlite, with the events part's attribution replaced by
 * {@link PrefixAttribution}; `signals` replaces the alerts' tables when given.
 */
export async function openTestRisk(
  opts: { fakeSignals?: boolean; alerts?: SecurityAlerts } = {},
): Promise<TestRisk> {
  const inv = await openTestInventory();
  // The demo province's prefixes, and host space for the scanner fixtures' addresses: 10.99.0.0/16
  // (report_detail_v2.xml's 10.99.99.99) for 锦江区, 10.0.101.0/24 (one_vuln.xml) for 涪城区.
  const demo = loadInventoryFile(DEMO_INVENTORY);
  await applyInventory(
    inv.db,
    inv.orgUnits,
    inv.system,
    { version: 1, prefixes: demo.prefixes ?? [] },
    {
      inventory: inv.inventory,
    },
  );
  await inv.inventory.prefixes.create(inv.system, {
    prefix: '10.0.0.0/8',
    orgUnitId: 'sc',
    purpose: 'hosts',
  });
  await inv.inventory.prefixes.create(inv.system, {
    prefix: '10.99.0.0/16',
    orgUnitId: 'sc-cd',
    purpose: 'hosts',
  });
  await inv.inventory.prefixes.create(inv.system, {
    prefix: '10.99.99.0/24',
    orgUnitId: 'sc-cd-jj',
    purpose: 'hosts',
  });
  await inv.inventory.prefixes.create(inv.system, {
    prefix: '10.0.101.0/24',
    orgUnitId: 'sc-my',
    purpose: 'hosts',
  });
  await inv.inventory.prefixes.create(inv.system, {
    prefix: '10.0.101.0/25',
    orgUnitId: 'sc-my-fc',
    purpose: 'hosts',
  });
  const policies = PolicyStore.load(POLICIES_DIR, createLogger('silent'), [RISK_POLICY]);
  const signals = opts.fakeSignals ? new FakeSignals() : undefined;
  const deps = {
    db: inv.db,
    audit: inv.audit,
    orgUnits: inv.orgUnits,
    inventory: inv.inventory,
    policies,
    log: createLogger('silent'),
  } as unknown as ModuleDeps;
  const attribution = new PrefixAttribution(inv.db);
  const risk = new SecurityRisk(deps, {
    alerts: opts.alerts ?? ({} as SecurityAlerts),
    attribution,
    ...(signals ? { signals } : {}),
  });
  return { ...inv, risk, signals, policies };
}

export { systemIdentity };
