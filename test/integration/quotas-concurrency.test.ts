import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { AuditLog } from '../../control-plane/src/auth/audit.js';
import { systemIdentity } from '../../control-plane/src/auth/identity.js';
import type { DomainError } from '../../control-plane/src/errors.js';
import { applyInventory, loadInventoryFile } from '../../control-plane/src/inventory/file.js';
import { OrgUnitService } from '../../control-plane/src/inventory/org-units.js';
import { DEMO_INVENTORY } from '../../control-plane/src/inventory/testing.js';
import { allStateMigrations } from '../../control-plane/src/modules.js';
import type { QuotaTree } from '../../control-plane/src/quotas/tree/service.js';
import { addCloud, FixedCapacity, quotaTreeFor } from '../../control-plane/src/quotas/tree/testing.js';
import {
  PgliteStateStore,
  PostgresStateStore,
  type StateStore,
} from '../../control-plane/src/store/state/index.js';
import { createDatabase } from '../support/postgres.js';

/*
 * Two admins approving against the same parent quota at once never over-allocate: real concurrent
 * transactions, on a PostgreSQL server (Debian's postgresql, started by the test run's global setup;
 * two replicas with their own connection pools, READ COMMITTED) and on PGlite (one connection, which
 * serialises transactions). N allocations race for a parent whose free amount allows only some of
 * them: exactly that many succeed, the others are refused with quota.exceeds_parent (or
 * quota.exceeds_capacity against the cloud itself), the sum never exceeds the parent, and every
 * transaction settles (no deadlock) within a generous bound. The clouds part's capacity is a fixed
 * double beside the real tables.
 */

const N = 24;
/** Every race settles well within this (a deadlock or a lost wake-up would not). */
const SETTLE_MS = 90_000;

interface Replica {
  db: StateStore;
  tree: QuotaTree;
}

function replica(db: StateStore, caps: FixedCapacity): Replica {
  const audit: AuditLog = new AuditLog(db, (id, tx) => orgUnits.pathOf(id, tx));
  const orgUnits: OrgUnitService = new OrgUnitService(db, () => audit);
  return { db, tree: quotaTreeFor({ db, audit, orgUnits }, caps) };
}

async function settle<T>(ps: Promise<T>[]): Promise<PromiseSettledResult<T>[]> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the race did not settle in ${SETTLE_MS} ms (deadlock?)`)),
      SETTLE_MS,
    );
  });
  try {
    return await Promise.race([Promise.allSettled(ps), bound]);
  } finally {
    clearTimeout(timer);
  }
}

function outcome(results: PromiseSettledResult<unknown>[]): { ok: number; codes: string[] } {
  const codes: string[] = [];
  let ok = 0;
  for (const r of results) {
    if (r.status === 'fulfilled') ok++;
    else codes.push((r.reason as DomainError).code ?? String(r.reason));
  }
  return { ok, codes };
}

async function quotaSum(db: StateStore, cloudId: string, cls: string): Promise<number> {
  const r = await db.query<{ s: number | null }>(
    'SELECT sum(quota)::float8 AS s FROM quota_project_amounts WHERE cloud_id = $1 AND class = $2',
    [cloudId, cls],
  );
  return Number(r.rows[0]?.s ?? 0);
}

function suite(name: string, open: () => Promise<{ stores: StateStore[]; close(): Promise<void> }>) {
  describe(`concurrent quota changes on ${name}`, () => {
    let replicas: Replica[];
    let close: () => Promise<void>;
    const caps = new FixedCapacity();
    const at = (i: number) => replicas[i % replicas.length]!;

    beforeAll(async () => {
      const opened = await open();
      close = opened.close;
      replicas = opened.stores.map((s) => replica(s, caps));
      const db = replicas[0]!.db;
      const system = systemIdentity();
      const audit: AuditLog = new AuditLog(db, (id, tx) => orgUnits.pathOf(id, tx));
      const orgUnits: OrgUnitService = new OrgUnitService(db, () => audit);
      await applyInventory(db, orgUnits, system, {
        version: 1,
        orgUnits: loadInventoryFile(DEMO_INVENTORY).orgUnits,
      });
      for (const id of ['parent', 'capacity', 'units-1', 'units-2', 'units-3', 'mixed']) {
        await addCloud(db, { id, orgUnitId: 'sc' });
        caps.set(id, { vcpu: id === 'capacity' ? 30 : 1000, memory: 4000 });
      }
      const tree = replicas[0]!.tree;
      for (let i = 0; i < N; i++) {
        const orgUnitId = i % 2 ? 'sc-cd-jj' : 'sc-cd-sl';
        await db.transaction((tx) =>
          tree.ensureProject(tx, { id: `p${i}`, orgUnitId, name: `Project ${i}`, actor: 'test' }),
        );
      }
    }, 180_000);
    afterAll(async () => {
      await close?.();
    });

    const allocate = (i: number, cloudId: string, amounts: Record<string, number>) =>
      at(i).db.transaction((tx) =>
        at(i).tree.allocate(tx, {
          cloudId,
          projectId: `p${i}`,
          amounts,
          actor: `approver-${i % 2}`,
          reason: `r${i}`,
        }),
      );

    it('N allocations against one parent: exactly those that fit succeed, the rest are refused', async () => {
      await replicas[0]!.tree.setOrgUnitQuota(systemIdentity(), {
        cloudId: 'parent',
        orgUnitId: 'sc-cd',
        amounts: { vcpu: 50 },
      });
      const results = await settle(Array.from({ length: N }, (_, i) => allocate(i, 'parent', { vcpu: 7 })));
      const { ok, codes } = outcome(results);
      expect(ok).toBe(7); // ⌊50 / 7⌋
      expect(codes).toEqual(Array.from({ length: N - 7 }, () => 'quota.exceeds_parent'));
      expect(await quotaSum(replicas[0]!.db, 'parent', 'vcpu')).toBe(49);
      expect(await replicas[0]!.tree.violations('parent')).toEqual([]);
      // Every success is one version of one project, logged once.
      const log = await replicas[0]!.db.query<{ n: string }>(
        "SELECT count(*) AS n FROM quota_changes WHERE cloud_id = 'parent' AND kind = 'allocate'",
      );
      expect(Number(log.rows[0]!.n)).toBe(7);
    });

    it('N allocations against the cloud itself never pass capacity × overcommit', async () => {
      const results = await settle(
        Array.from({ length: N }, (_, i) => allocate(i, 'capacity', { vcpu: 4, memory: 1 })),
      );
      const { ok, codes } = outcome(results);
      expect(ok).toBe(7); // ⌊30 / 4⌋
      expect(new Set(codes)).toEqual(new Set(['quota.exceeds_capacity']));
      expect(await quotaSum(replicas[0]!.db, 'capacity', 'vcpu')).toBe(28);
      expect(await quotaSum(replicas[0]!.db, 'capacity', 'memory')).toBe(7);
      expect(await replicas[0]!.tree.violations('capacity')).toEqual([]);
    });

    it('org-unit quotas set at once by two admins stay within their parent', async () => {
      const system = systemIdentity();
      for (const cloudId of ['units-1', 'units-2', 'units-3']) {
        // The province's own quota on its cloud is 35; three cities ask 15 each at once: two fit.
        await replicas[0]!.tree.setOrgUnitQuota(system, { cloudId, orgUnitId: 'sc', amounts: { vcpu: 35 } });
        const results = await settle(
          ['sc-cd', 'sc-my', 'sc-lz'].map((orgUnitId, i) =>
            at(i).tree.setOrgUnitQuota(system, { cloudId, orgUnitId, amounts: { vcpu: 15 } }),
          ),
        );
        const { ok, codes } = outcome(results);
        expect(ok, cloudId).toBe(2);
        expect(codes).toEqual(['quota.exceeds_parent']);
        const r = await replicas[0]!.db.query<{ s: number }>(
          "SELECT sum(amount)::float8 AS s FROM quota_org_unit_quotas WHERE cloud_id = $1 AND org_unit_id <> 'sc'",
          [cloudId],
        );
        expect(Number(r.rows[0]!.s)).toBe(30);
        expect(await replicas[0]!.tree.violations(cloudId)).toEqual([]);
      }
    });

    it('allocations, releases and a parent’s change interleaved on two clouds all settle, invariants kept', async () => {
      const system = systemIdentity();
      await replicas[0]!.tree.setOrgUnitQuota(system, {
        cloudId: 'mixed',
        orgUnitId: 'sc-cd',
        amounts: { vcpu: 60 },
      });
      const work: Promise<unknown>[] = [];
      for (let i = 0; i < N; i++) {
        work.push(allocate(i, 'mixed', { vcpu: 5 }));
        work.push(allocate(i, 'parent', { memory: 2 }));
        if (i % 4 === 0)
          work.push(
            at(i).tree.setOrgUnitQuota(system, {
              cloudId: 'mixed',
              orgUnitId: 'sc-cd',
              amounts: { vcpu: 40 + i },
            }),
          );
        if (i % 3 === 0)
          work.push(
            at(i).db.transaction((tx) =>
              at(i).tree.release(tx, {
                cloudId: 'parent',
                projectId: `p${i}`,
                amounts: { vcpu: 7 },
                actor: 'admin',
                reason: 'give back',
                reclaim: false,
              }),
            ),
          );
      }
      const results = await settle(work);
      const failures = results
        .filter((r) => r.status === 'rejected')
        .map((r) => (r.reason as DomainError).code);
      for (const code of failures)
        expect(['quota.exceeds_parent', 'quota.below_allocated', 'input.invalid']).toContain(code);
      for (const cloudId of ['mixed', 'parent'])
        expect(await replicas[0]!.tree.violations(cloudId)).toEqual([]);
      expect(await quotaSum(replicas[0]!.db, 'mixed', 'vcpu')).toBeLessThanOrEqual(60);
    });
  });
}

suite('PostgreSQL (two replicas, READ COMMITTED)', async () => {
  const url = await createDatabase(inject('postgresUrl'));
  const stores = await Promise.all([1, 2].map(() => PostgresStateStore.open(url)));
  await stores[0]!.migrate(allStateMigrations());
  return { stores, close: async () => void (await Promise.all(stores.map((s) => s.close()))) };
});

suite('PGlite (one connection)', async () => {
  const db = await PgliteStateStore.open();
  await db.migrate(allStateMigrations());
  return { stores: [db], close: () => db.close() };
});
