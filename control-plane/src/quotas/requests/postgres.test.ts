import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase } from '../../../../test/support/postgres.js';
import { AuditLog } from '../../auth/audit.js';
import { systemIdentity, type Identity } from '../../auth/identity.js';
import { DomainError } from '../../errors.js';
import { applyInventory, loadInventoryFile } from '../../inventory/file.js';
import { OrgUnitService } from '../../inventory/org-units.js';
import { DEMO_INVENTORY } from '../../inventory/testing.js';
import { createLogger } from '../../logger.js';
import { allStateMigrations } from '../../modules.js';
import { PolicyStore, ROLES_POLICY } from '../../policies/index.js';
import { PostgresStateStore } from '../../store/state/index.js';
import { addCloud, requestsOn, shared, type Shared } from './testing.js';

/**
 * Two replicas (each its own connection pool and services) on one real PostgreSQL server (Debian's
 * postgresql, started by the test run's global setup): city admins on both approve requests against
 * the same parent quota at the same time, in truly concurrent transactions. The parent is never
 * over-allocated, each request is decided once, and the ledger's refusals leave requests pending.
 */

const CLOUD = 'sc-gov-cloud';
const POLICIES_DIR = fileURLToPath(new URL('../../../../policies', import.meta.url));

let stores: PostgresStateStore[] = [];
let sh: Shared;
let replicas: Array<ReturnType<typeof requestsOn>>;
let as: (role: string, orgUnitId: string, name: string) => Promise<Identity>;

beforeAll(async () => {
  const url = await createDatabase(inject('postgresUrl'));
  stores = await Promise.all([1, 2].map(() => PostgresStateStore.open(url)));
  await stores[0]!.migrate(allStateMigrations());
  sh = shared();
  replicas = stores.map((db) => {
    const audit: AuditLog = new AuditLog(db, (id, tx) => orgUnits.pathOf(id, tx));
    const orgUnits: OrgUnitService = new OrgUnitService(db, () => audit);
    return requestsOn(db, { audit, orgUnits }, sh);
  });
  const audit: AuditLog = new AuditLog(stores[0]!, (id, tx) => orgUnits.pathOf(id, tx));
  const orgUnits: OrgUnitService = new OrgUnitService(stores[0]!, () => audit);
  const demo = loadInventoryFile(DEMO_INVENTORY);
  await applyInventory(stores[0]!, orgUnits, systemIdentity(), { version: 1, orgUnits: demo.orgUnits });
  await addCloud(stores[0]!, { id: CLOUD, orgUnitId: 'sc' });
  const roles = PolicyStore.load(POLICIES_DIR, createLogger('silent'), [ROLES_POLICY]).get(
    ROLES_POLICY,
  ).roles;
  as = async (role, orgUnitId, name) => ({
    kind: 'user',
    id: name,
    name,
    userId: name,
    roles: [role],
    permissions: new Set(roles[role]!.permissions),
    orgUnitId,
    orgUnitPath: (await orgUnits.pathOf(orgUnitId))!,
  });
}, 120_000);
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

describe('approvals on PostgreSQL from two replicas', () => {
  it('two admins approving against the same parent at once never over-allocate it', async () => {
    sh.allocatable.set(CLOUD, { vcpu: 4000, memory: 16000 });
    const sc = await as('cloud-admin', 'sc', 'sc-cloud');
    const applicant = await as('applicant', 'sc-cd-jj', 'jj-applicant');
    const cd1 = await as('cloud-admin', 'sc-cd', 'cd-cloud-1');
    const cd2 = await as('cloud-admin', 'sc-cd', 'cd-cloud-2');
    await replicas[0]!.tree.setOrgUnitQuota(sc, {
      cloudId: CLOUD,
      orgUnitId: 'sc-cd',
      amounts: { vcpu: 1000 },
    });
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const r = await replicas[i % 2]!.svc.apply(applicant, {
        cloudId: CLOUD,
        newProject: { id: `pg-p${i}`, name: `project ${i}` },
        amounts: { vcpu: 50 },
        justification: 'concurrency',
        durationDays: 30,
      });
      ids.push(r.id);
    }
    // 1,000 vCPU: 20 of the 30 fit. Each admin on its own replica, every approval in flight at once.
    const run = (k: 0 | 1, who: Identity, order: string[]) =>
      Promise.allSettled(order.map((id) => replicas[k]!.svc.approve(who, id)));
    const [x, y] = await Promise.all([run(0, cd1, ids), run(1, cd2, [...ids].reverse())]);
    const all = [...x, ...y];
    const failures = all.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []));
    for (const f of failures) expect(f, String(f)).toBeInstanceOf(DomainError);
    const codes = new Set(failures.map((f) => (f as DomainError).code));
    expect(
      [...codes].every((c) => c === 'quota.exceeds_parent' || c === 'quota.request_state'),
      [...codes].join(),
    ).toBe(true);
    expect(all.filter((s) => s.status === 'fulfilled').length).toBe(20);
    const projects = await replicas[0]!.tree.projectsOf(CLOUD);
    expect(projects.reduce((s, p) => s + (p.quota.vcpu ?? 0), 0)).toBe(1000);
    expect(await replicas[0]!.tree.violations(CLOUD)).toEqual([]);
    const statuses = await stores[0]!.query<{ status: string; n: string }>(
      `SELECT status, count(*)::text AS n FROM quota_requests GROUP BY status ORDER BY status`,
    );
    expect(statuses.rows).toEqual([
      { status: 'approved', n: '20' },
      { status: 'pending', n: '10' },
    ]);
    // Each approved request was decided once: one step, one approval, one allocation on its timeline.
    const twice = await stores[0]!.query(
      `SELECT request_id FROM quota_request_timeline WHERE kind = 'allocated' GROUP BY request_id HAVING count(*) > 1`,
    );
    expect(twice.rowCount).toBe(0);
  }, 120_000);
});
