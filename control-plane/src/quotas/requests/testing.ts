import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { NotificationsPolicy } from '../../alerting/policy.js';
import { DefaultAlarmService } from '../../alerting/service.js';
import type { AuditLog } from '../../auth/audit.js';
import type { Identity } from '../../auth/identity.js';
import type { Inventory } from '../../inventory/inventory.js';
import type { OrgUnitService } from '../../inventory/org-units.js';
import type { Queryable, StateStore } from '../../store/state/index.js';
import { openTestInventory, type TestInventory } from '../../inventory/testing.js';
import { createLogger } from '../../logger.js';
import type { ModuleDeps } from '../../modules/contract.js';
import { Metrics } from '../../observability/metrics.js';
import { QUOTAS_ALARM_DOMAIN } from '../alarms.js';
import { QuotasPolicy } from '../policy.js';
import { QuotaTree } from '../tree/service.js';
import type { Amounts, CloudCapacity, CloudDirectory, CloudKind, ProjectSync, SyncStatus } from '../types.js';
import { QuotaRequests } from './service.js';

/**
 * The requests part on PGlite with every migration, the demo org units (clouds: `addCloud`), the shipped
 * `policies/quotas.yaml` (which a test may replace), the real quota tree (helper B's ledger, with
 * its locks and invariants), the real alarm service, and a clock the test moves. Two doubles stand
 * beside them: the clouds part's capacity (what the integration test enters through helper A's
 * route) and the reconcile part's sync status (what helper D's reconcile loop records after
 * writing to a cloud), which the test sets.
 */
export interface TestRequests extends TestInventory {
  svc: QuotaRequests;
  tree: QuotaTree;
  alarms: DefaultAlarmService;
  /** The policy in force (replace it to change the chain). */
  policy: { current: QuotasPolicy };
  /** Allocatable (capacity × overcommit) per cloud, as the clouds part would answer. */
  allocatable: Map<string, Amounts>;
  /** Sync status per `${cloudId}/${projectId}`, as the reconcile part would answer; and its kicks. */
  sync: Map<string, SyncStatus>;
  kicks: string[];
  /** Unix milliseconds. */
  clock: { now: number };
}

const SHIPPED = new URL('../../../../policies/quotas.yaml', import.meta.url);

export function shippedPolicy(): QuotasPolicy {
  return QuotasPolicy.parse(parse(readFileSync(SHIPPED, 'utf8')));
}

/** What the replicas of one test share: the doubles' answers and the clock. */
export interface Shared {
  policy: { current: QuotasPolicy };
  allocatable: Map<string, Amounts>;
  sync: Map<string, SyncStatus>;
  kicks: string[];
  clock: { now: number };
}

export function shared(): Shared {
  return {
    policy: { current: shippedPolicy() },
    allocatable: new Map(),
    sync: new Map(),
    kicks: [],
    clock: { now: Date.parse('2026-12-01T08:00:00.000Z') },
  };
}

/** Adds a cloud to the inventory (what the inventory's clouds CRUD writes). */
export async function addCloud(
  db: Queryable,
  c: { id: string; orgUnitId: string; kind?: CloudKind; tier?: string },
): Promise<void> {
  await db.query(`INSERT INTO clouds (id, org_unit_id, name, kind, tier) VALUES ($1, $2, $3, $4, $5)`, [
    c.id,
    c.orgUnitId,
    c.id,
    c.kind ?? 'kubernetes',
    c.tier ?? 'provincial',
  ]);
}

/** The requests part, the real tree and alarm service on `db` (one replica), with the shared doubles. */
export function requestsOn(
  db: StateStore,
  base: { audit: AuditLog; orgUnits: OrgUnitService; inventory?: Inventory },
  sh: Shared,
): { svc: QuotaRequests; tree: QuotaTree; alarms: DefaultAlarmService } {
  const metrics = new Metrics();
  const notifications = NotificationsPolicy.parse({});
  const log = createLogger('silent');
  const alarms = new DefaultAlarmService({
    db,
    orgUnits: base.orgUnits,
    audit: base.audit,
    notifications: () => notifications,
    metrics,
    log,
    domains: [QUOTAS_ALARM_DOMAIN],
  });
  const clouds: CloudDirectory = {
    capacity: (cloudId) => {
      const a = sh.allocatable.get(cloudId);
      const cap: CloudCapacity | undefined = a
        ? {
            cloudId,
            capacity: Object.fromEntries(
              Object.entries(a).map(([k, v]) => [
                k,
                { amount: v, source: 'manual' as const, observedAt: '' },
              ]),
            ),
            overcommit: {},
            allocatable: a,
          }
        : undefined;
      return Promise.resolve(cap);
    },
    connection: () => Promise.resolve(undefined),
    managedClouds: async () =>
      (
        await db.query<{ id: string; kind: CloudKind; org_unit_id: string; path: string }>(
          `SELECT c.id, c.kind, c.org_unit_id, o.path FROM clouds c JOIN org_units o ON o.id = c.org_unit_id`,
        )
      ).rows.map((r) => ({ cloudId: r.id, kind: r.kind, orgUnitId: r.org_unit_id, orgPath: r.path })),
  };
  const projectSync: ProjectSync = {
    status: (cloudId, projectIds) =>
      Promise.resolve(
        new Map(
          projectIds.flatMap((p) => {
            const s = sh.sync.get(`${cloudId}/${p}`);
            return s ? [[p, s] as const] : [];
          }),
        ),
      ),
    kick: (cloudId) => {
      sh.kicks.push(cloudId);
    },
    confirmManual: () => Promise.reject(new Error('not in this test')),
  };
  const d = {
    db,
    audit: base.audit,
    orgUnits: base.orgUnits,
    inventory: base.inventory,
    metrics,
    log,
    use: () => alarms,
  } as unknown as ModuleDeps;
  const tree = new QuotaTree(d, { policy: () => sh.policy.current, clouds });
  const svc = new QuotaRequests(d, {
    policy: () => sh.policy.current,
    clouds,
    ledger: tree,
    sync: projectSync,
    now: () => sh.clock.now,
    alarms,
  });
  return { svc, tree, alarms };
}

export async function openTestRequests(): Promise<TestRequests> {
  const inv = await openTestInventory();
  const sh = shared();
  return { ...inv, ...requestsOn(inv.db, inv, sh), ...sh };
}

/** An identity of `role` at `orgUnitId` with a name of its own (two approvers of one unit differ). */
export async function person(
  t: TestRequests,
  role: string,
  orgUnitId: string,
  name: string,
): Promise<Identity> {
  const base = await t.as(role, orgUnitId);
  return { ...base, id: name, name, userId: name };
}
