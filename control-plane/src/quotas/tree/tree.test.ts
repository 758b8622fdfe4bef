import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestInventory, type TestInventory } from '../../inventory/testing.js';
import type { DomainError } from '../../errors.js';
import type { QuotaTree, TreeNode } from './service.js';
import { addCloud, FixedCapacity, quotaTreeFor } from './testing.js';

/*
 * The quota tree's evaluation on PGlite over the demo province: quota, allocated to children, used
 * and physical summed up the tree, per cloud and over every cloud the caller sees; scoping. One
 * store, set up once; the tests only read.
 */

let inv: TestInventory;
let tree: QuotaTree;

async function refusal(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (err) {
    return err as DomainError;
  }
  throw new Error('expected a refusal');
}

beforeAll(async () => {
  inv = await openTestInventory();
  const caps = new FixedCapacity().set('prov', { vcpu: 100, memory: 400 }).set('cd-cloud', { vcpu: 10 });
  tree = quotaTreeFor(inv, caps);
  await addCloud(inv.db, { id: 'prov', orgUnitId: 'sc', name: 'Provincial cloud' });
  await addCloud(inv.db, { id: 'cd-cloud', orgUnitId: 'sc-cd', name: 'Chengdu cloud', tier: 'city' });
  const project = (id: string, orgUnitId: string) =>
    inv.db.transaction((tx) =>
      tree.ensureProject(tx, { id, orgUnitId, name: `Project ${id}`, actor: 'test' }),
    );
  const allocate = (projectId: string, amounts: Record<string, number>, cloudId = 'prov') =>
    inv.db.transaction((tx) => tree.allocate(tx, { cloudId, projectId, amounts, actor: 'a', reason: 'r' }));
  const setUnit = (orgUnitId: string, amounts: Record<string, number>) =>
    tree.setOrgUnitQuota(inv.system, { cloudId: 'prov', orgUnitId, amounts });
  await project('jj-web', 'sc-cd-jj');
  await project('sl-db', 'sc-cd-sl');
  await project('cd-ops', 'sc-cd');
  await setUnit('sc-cd', { vcpu: 60, memory: 100 });
  await setUnit('sc-cd-jj', { vcpu: 20 });
  await allocate('jj-web', { vcpu: 12, memory: 10 });
  await allocate('sl-db', { vcpu: 8 });
  await allocate('cd-ops', { vcpu: 5 });
  await allocate('jj-web', { vcpu: 3 }, 'cd-cloud');
  await tree.recordUsage('prov', [
    { projectId: 'jj-web', used: { vcpu: 10, memory: 4 } },
    { projectId: 'sl-db', used: { vcpu: 2 } },
  ]);
  await tree.recordPhysical('prov', [{ projectId: 'jj-web', physical: { vcpu: 3 } }]);
}, 120_000);
afterAll(async () => {
  await inv?.close();
});

const find = (n: TreeNode, id: string): TreeNode | undefined =>
  n.id === id ? n : n.children.map((c) => find(c, id)).find(Boolean);

describe('the tree', () => {
  it('sums quota, allocated to children, used and physical up the tree for one cloud', async () => {
    const t = await tree.tree(inv.system, { cloudId: 'prov' });
    expect(t.cloudId).toBe('prov');
    expect(t.classes).toContain('vcpu');
    const sc = t.root;
    expect(sc.id).toBe('sc');
    // The owner's quota is the allocatable; 成都市 holds 60 of it.
    expect(sc.quota.vcpu).toBe(100);
    expect(sc.allocatedToChildren.vcpu).toBe(60);
    expect(sc.allocatedToChildren.memory).toBe(100);
    expect(sc.used).toMatchObject({ vcpu: 12, memory: 4 });
    expect(sc.physical.vcpu).toBe(3);
    const cd = find(sc, 'sc-cd')!;
    // 锦江区 20 (its quota) + 双流区's project 8 + 成都市's own project 5.
    expect(cd.quota).toMatchObject({ vcpu: 60, memory: 100 });
    expect(cd.allocatedToChildren).toMatchObject({ vcpu: 33, memory: 10 });
    const jj = find(sc, 'sc-cd-jj')!;
    expect(jj.quota.vcpu).toBe(20);
    expect(jj.quota.memory).toBe(0);
    expect(jj.allocatedToChildren).toMatchObject({ vcpu: 12, memory: 10 });
    const sl = find(sc, 'sc-cd-sl')!;
    expect(sl.quota.vcpu).toBe(0);
    expect(sl.allocatedToChildren.vcpu).toBe(8);
    const web = find(sc, 'jj-web')!;
    expect(web).toMatchObject({ kind: 'project', orgUnitId: 'sc-cd-jj', children: [] });
    expect(web.quota).toMatchObject({ vcpu: 12, memory: 10 });
    expect(web.used).toMatchObject({ vcpu: 10, memory: 4 });
    // Sub-units come before projects.
    expect(cd.children.map((c) => c.id)).toEqual(['sc-cd-jj', 'sc-cd-sl', 'cd-ops']);
  });

  it('without a cloud sums every cloud the caller sees', async () => {
    const t = await tree.tree(inv.system);
    expect(t.cloudId).toBeNull();
    expect(t.clouds).toEqual(['cd-cloud', 'prov']);
    expect(find(t.root, 'jj-web')!.quota.vcpu).toBe(15);
    // 成都市 owns cd-cloud (allocatable 10) and holds 60 on prov.
    expect(find(t.root, 'sc-cd')!.quota.vcpu).toBe(70);
    expect(find(t.root, 'sc-cd')!.allocatedToChildren.vcpu).toBe(36);
    expect(t.root.quota.vcpu).toBe(100);
  });

  it('is scoped to the caller’s subtree; another subtree’s root and unseen clouds are 404', async () => {
    const jj = await inv.as('applicant', 'sc-cd-jj');
    const t = await tree.tree(jj);
    expect(t.root.id).toBe('sc-cd-jj');
    expect(t.clouds).toEqual(['cd-cloud', 'prov']);
    expect(t.root.children.map((c) => c.id)).toEqual(['sc-cd-jj-dmj', 'jj-web']);
    expect((await refusal(tree.tree(jj, { root: 'sc-cd' }))).code).toBe('scope.not_found');
    const my = await inv.as('applicant', 'sc-my');
    expect((await tree.tree(my)).clouds).toEqual([]);
    expect((await refusal(tree.tree(my, { cloudId: 'prov' }))).code).toBe('scope.not_found');
    expect((await tree.listProjects(jj, {})).map((p) => p.id)).toEqual(['jj-web']);
    expect((await refusal(tree.getProject(my, 'jj-web'))).code).toBe('scope.not_found');
    const p = await tree.getProject(jj, 'jj-web');
    expect(p.quotas.map((q) => [q.cloudId, q.version, q.quota.vcpu])).toEqual([
      ['cd-cloud', 1, 3],
      ['prov', 1, 12],
    ]);
  });

  it('reports utilisation per class for the overview', async () => {
    const o = (await tree.overview(inv.system)) as {
      utilisation: { byClass: Record<string, { quota: number; used: number; ratio: number | null }> };
    };
    expect(o.utilisation.byClass.vcpu).toMatchObject({ quota: 28, used: 12, ratio: 0.429 });
  });
});
