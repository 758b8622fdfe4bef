import { fileURLToPath } from 'node:url';
import { createLogger } from '../../logger.js';
import type { ModuleDeps } from '../../modules/contract.js';
import { PolicyStore, policyRef } from '../../policies/index.js';
import type { Queryable, StateStore } from '../../store/state/index.js';
import type { AuditLog } from '../../auth/audit.js';
import type { OrgUnitService } from '../../inventory/org-units.js';
import { QuotasPolicy } from '../policy.js';
import type { Amounts, CloudCapacity, CloudConnection, CloudDirectory, CloudKind } from '../types.js';
import { QuotaTree } from './service.js';

const POLICIES_DIR = fileURLToPath(new URL('../../../../policies', import.meta.url));

/** The shipped `policies/quotas.yaml`. */
export function loadQuotasPolicy(): QuotasPolicy {
  const ref = policyRef('quotas.yaml', QuotasPolicy);
  return PolicyStore.load(POLICIES_DIR, createLogger('silent'), [ref]).get(ref);
}

/**
 * A test double of the clouds part's capacity (helper A's `CloudDirectory`): allocatable amounts set
 * by the test per cloud, read like the real one (inside the caller's transaction, from a table the
 * caller's lock covers). The tree only ever asks it for `capacity`.
 */
export class FixedCapacity implements CloudDirectory {
  readonly allocatable = new Map<string, Amounts>();
  set(cloudId: string, allocatable: Amounts): this {
    this.allocatable.set(cloudId, allocatable);
    return this;
  }
  capacity(cloudId: string, _tx?: Queryable): Promise<CloudCapacity | undefined> {
    const a = this.allocatable.get(cloudId);
    if (!a) return Promise.resolve(undefined);
    const at = new Date(0).toISOString();
    return Promise.resolve({
      cloudId,
      capacity: Object.fromEntries(
        Object.entries(a).map(([k, v]) => [k, { amount: v, source: 'manual' as const, observedAt: at }]),
      ),
      overcommit: Object.fromEntries(Object.keys(a).map((k) => [k, 1])),
      allocatable: { ...a },
    });
  }
  connection(_cloudId: string): Promise<CloudConnection | undefined> {
    return Promise.resolve(undefined);
  }
  managedClouds(): Promise<Array<{ cloudId: string; kind: CloudKind; orgUnitId: string; orgPath: string }>> {
    return Promise.resolve([]);
  }
}

/** Adds an inventory cloud row (what the inventory's clouds CRUD writes) for the tree's tests. */
export async function addCloud(
  db: Queryable,
  c: { id: string; orgUnitId: string; name?: string; kind?: 'kubernetes' | 'openstack'; tier?: string },
): Promise<void> {
  await db.query(`INSERT INTO clouds (id, org_unit_id, name, kind, tier) VALUES ($1, $2, $3, $4, $5)`, [
    c.id,
    c.orgUnitId,
    c.name ?? c.id,
    c.kind ?? 'kubernetes',
    c.tier ?? 'provincial',
  ]);
}

/** A QuotaTree over `db` with the shipped policy and `clouds` as its capacity. */
export function quotaTreeFor(
  d: { db: StateStore; audit: AuditLog; orgUnits: OrgUnitService },
  clouds: CloudDirectory,
): QuotaTree {
  const policy = loadQuotasPolicy();
  const deps = {
    db: d.db,
    audit: d.audit,
    orgUnits: d.orgUnits,
    log: createLogger('silent'),
  } as unknown as ModuleDeps;
  return new QuotaTree(deps, { policy: () => policy, clouds });
}
