import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openTestInventory, type TestInventory } from '../../inventory/testing.js';
import type { DomainError } from '../../errors.js';
import type { QuotaTree, TreeNode } from './service.js';
import { addCloud, FixedCapacity, quotaTreeFor } from './testing.js';

/*
 * The quota tree on PGlite over the demo province (sc → sc-cd → sc-cd-jj, sc-cd-sl; sc-my → sc-my-fc):
 * every invariant and refusal with its reason, release and reclaim, versions, the tree's sums. The
 * clouds part's capacity is a fixed double (FixedCapacity) beside the real tables.
 */

let inv: TestInventory;
let caps: FixedCapacity;
let tree: QuotaTree;
/** Each test works on its own cloud and projects (ids suffixed by `n`) of one shared store. */
let n = 0;
let cloud = '';
const id = (base: string) => `${base}-${n}`;

beforeAll(async () => {
  inv = await openTestInventory();
  caps = new FixedCapacity();
  tree = quotaTreeFor(inv, caps);
}, 120_000);
afterAll(async () => {
  await inv?.close();
});
beforeEach(async () => {
  n++;
  cloud = `prov-${n}`;
  caps.set(cloud, { vcpu: 100, memory: 400 });
  await addCloud(inv.db, { id: cloud, orgUnitId: 'sc', name: 'Provincial cloud' });
});

async function refusal(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (err) {
    return err as DomainError;
  }
  throw new Error('expected a refusal');
}

const project = (base: string, orgUnitId: string, exact = false) =>
  inv.db.transaction((tx) =>
    tree.ensureProject(tx, {
      id: exact ? base : id(base),
      orgUnitId,
      name: `Project ${base}`,
      actor: 'test',
    }),
  );
const allocate = (base: string, amounts: Record<string, number>, cloudId = cloud) =>
  inv.db.transaction((tx) =>
    tree.allocate(tx, { cloudId, projectId: id(base), amounts, actor: 'approver', reason: 'request r-1' }),
  );
const release = (base: string, amounts: Record<string, number>, reclaim = false) =>
  inv.db.transaction((tx) =>
    tree.release(tx, {
      cloudId: cloud,
      projectId: id(base),
      amounts,
      actor: 'admin',
      reason: 'done',
      reclaim,
    }),
  );
const setUnit = async (
  orgUnitId: string,
  amounts: Record<string, number>,
  cloudId = cloud,
  as = inv.system,
) => tree.setOrgUnitQuota(as, { cloudId, orgUnitId, amounts });
const quotaOf = async (base: string, cloudId = cloud) =>
  (await tree.projectsOf(cloudId)).find((p) => p.projectId === id(base))?.quota;
const audited = async (action: string, targetId: string) =>
  (await inv.auditActions()).filter((a) => a.action === action && a.targetId === targetId);

describe('projects', () => {
  it('creates a project with its DNS-1123 external name, and returns the existing one again', async () => {
    const p = await project('jj-web', 'sc-cd-jj');
    expect(p).toEqual({
      id: id('jj-web'),
      orgUnitId: 'sc-cd-jj',
      orgPath: '/sc/sc-cd/sc-cd-jj/',
      externalName: `ts-${id('jj-web')}`,
    });
    expect(await project('jj-web', 'sc-cd-jj')).toEqual(p);
    // The same id in another unit is taken, whoever asks.
    expect((await refusal(project('jj-web', 'sc-my'))).code).toBe('conflict.not_available');
    expect(await audited('quota.project.create', id('jj-web'))).toHaveLength(1);
  });

  it('refuses ids that do not make a DNS-1123 label, and unknown org units', async () => {
    for (const bad of ['Upper', '-lead', 'trail-', 'a_b', 'x'.repeat(61), '']) {
      const e = await refusal(project(bad, 'sc-cd-jj', true));
      expect(e.code, bad).toBe('input.invalid');
      expect(e.message).toMatch(/project id/);
    }
    expect((await refusal(project('ok', 'nowhere'))).code).toBe('scope.not_found');
    expect((await project('x'.repeat(60), 'sc-cd-jj', true)).externalName).toHaveLength(63);
  });
});

describe('allocate', () => {
  beforeEach(async () => {
    await project('jj-web', 'sc-cd-jj');
    await project('sl-db', 'sc-cd-sl');
  });

  it('refuses unknown classes, negative and fractional whole amounts, changing nothing', async () => {
    const unknown = await refusal(allocate('jj-web', { vcpu: 1, cores: 2 }));
    expect(unknown.code).toBe('quota.unknown_class');
    expect(unknown.details?.[0]?.params).toEqual({ class: 'cores' });
    const negative = await refusal(allocate('jj-web', { vcpu: -1 }));
    expect(negative.code).toBe('input.invalid');
    expect(negative.message).toMatch(/≥ 0/);
    const nan = await refusal(allocate('jj-web', { vcpu: Number.NaN }));
    expect(nan.code).toBe('input.invalid');
    const fractional = await refusal(allocate('jj-web', { vcpu: 1.5 }));
    expect(fractional.code).toBe('quota.not_whole');
    expect(fractional.message).toBe('vcpu is counted in whole vCPU, got 1.5');
    expect(await quotaOf('jj-web')).toBeUndefined();
    expect((await refusal(allocate('nope', { vcpu: 1 }))).code).toBe('scope.not_found');
    expect((await refusal(allocate('jj-web', { vcpu: 1 }, 'no-cloud'))).code).toBe('scope.not_found');
  });

  it('allocates from the cloud’s allocatable when no unit holds a quota, and refuses past it', async () => {
    await allocate('jj-web', { vcpu: 60 });
    const e = await refusal(allocate('sl-db', { vcpu: 41 }));
    expect(e.code).toBe('quota.exceeds_capacity');
    expect(e.message).toBe(
      'cloud Provincial cloud can allocate 40 more vcpu (capacity × overcommit = 100), 41 asked',
    );
    expect(e.details?.[0]?.params).toMatchObject({ cloudId: cloud, class: 'vcpu', asked: 41, free: 40 });
    await allocate('sl-db', { vcpu: 40 });
    expect(await quotaOf('sl-db')).toEqual({ vcpu: 40 });
    // A class the cloud has no capacity for is refused with that reason.
    const none = await refusal(allocate('sl-db', { gpu: 1 }));
    expect(none.code).toBe('quota.exceeds_capacity');
    expect(none.message).toMatch(/no known capacity for gpu/);
  });

  it('counts a project against the nearest unit with a quota, and names that unit when it is full', async () => {
    await setUnit('sc-cd', { vcpu: 50 });
    await setUnit('sc-cd-jj', { vcpu: 20 });
    await allocate('jj-web', { vcpu: 20 });
    const e = await refusal(allocate('jj-web', { vcpu: 1 }));
    expect(e.code).toBe('quota.exceeds_parent');
    expect(e.message).toBe(
      'the quota of 锦江区 (sc-cd-jj) on cloud Provincial cloud has 0 vcpu free, 1 asked',
    );
    expect(e.details?.[0]?.params).toEqual({
      unit: '锦江区',
      unitId: 'sc-cd-jj',
      class: 'vcpu',
      asked: 1,
      free: 0,
    });
    // sc-cd-sl holds none: its project counts against 成都市 (50 − 20 held by 锦江区 = 30 free).
    const city = await refusal(allocate('sl-db', { vcpu: 31 }));
    expect(city.code).toBe('quota.exceeds_parent');
    expect(city.details?.[0]?.params).toMatchObject({ unitId: 'sc-cd', free: 30, asked: 31 });
    await allocate('sl-db', { vcpu: 30 });
    // Nothing changed by the refusals.
    expect(await quotaOf('jj-web')).toEqual({ vcpu: 20 });
    expect(await tree.violations(cloud)).toEqual([]);
  });

  it('checks every class before writing any', async () => {
    await setUnit('sc-cd-jj', { vcpu: 10, memory: 10 });
    const e = await refusal(allocate('jj-web', { vcpu: 5, memory: 11 }));
    expect(e.code).toBe('quota.exceeds_parent');
    expect(await quotaOf('jj-web')).toBeUndefined();
  });

  it('increments the project’s version on the cloud with every change, and reports it in desired()', async () => {
    expect(await tree.desired(cloud)).toEqual([]);
    await allocate('jj-web', { vcpu: 4, memory: 8 });
    await allocate('jj-web', { vcpu: 2 });
    await release('jj-web', { memory: 8 });
    const [d] = await tree.desired(cloud);
    expect(d).toEqual({
      cloudId: cloud,
      version: 3,
      hard: { vcpu: 6, memory: 0 },
      target: {
        projectId: id('jj-web'),
        externalName: `ts-${id('jj-web')}`,
        orgUnitId: 'sc-cd-jj',
        orgPath: '/sc/sc-cd/sc-cd-jj/',
        labels: {
          'tianshu.gov.cn/org-unit': 'sc-cd-jj',
          'tianshu.gov.cn/project': id('jj-web'),
          'app.kubernetes.io/managed-by': 'tianshu',
        },
      },
    });
    expect(await tree.desired(cloud, [id('sl-db')])).toEqual([]);
    const changes = await inv.db.query<{ kind: string; before: unknown; after: unknown; version: string }>(
      'SELECT kind, before, after, version FROM quota_changes WHERE cloud_id = $1 ORDER BY id',
      [cloud],
    );
    expect(changes.rows.map((r) => [r.kind, r.before, r.after, Number(r.version)])).toEqual([
      ['allocate', { memory: 0, vcpu: 0 }, { memory: 8, vcpu: 4 }, 1],
      ['allocate', { vcpu: 4 }, { vcpu: 6 }, 2],
      ['release', { memory: 8 }, { memory: 0 }, 3],
    ]);
    expect(await audited('quota.allocate', id('jj-web'))).toHaveLength(2);
    expect(await audited('quota.release', id('jj-web'))).toHaveLength(1);
  });
});

describe('release and reclaim', () => {
  beforeEach(async () => {
    await project('jj-web', 'sc-cd-jj');
    await allocate('jj-web', { vcpu: 10 });
    await tree.recordUsage(cloud, [{ projectId: id('jj-web'), used: { vcpu: 6 } }]);
  });

  it('refuses to drop below the cloud’s reported usage except through reclaim', async () => {
    const e = await refusal(release('jj-web', { vcpu: 5 }));
    expect(e.code).toBe('quota.below_usage');
    expect(e.details?.[0]?.params).toEqual({ class: 'vcpu', used: 6, quota: 5 });
    await release('jj-web', { vcpu: 4 });
    expect(await quotaOf('jj-web')).toEqual({ vcpu: 6 });
    await release('jj-web', { vcpu: 3 }, true);
    expect(await quotaOf('jj-web')).toEqual({ vcpu: 3 });
    const kinds = await inv.db.query<{ kind: string }>(
      'SELECT kind FROM quota_changes WHERE cloud_id = $1 ORDER BY id',
      [cloud],
    );
    expect(kinds.rows.map((r) => r.kind)).toEqual(['allocate', 'release', 'reclaim']);
  });

  it('refuses releasing more than the project holds', async () => {
    const e = await refusal(release('jj-web', { vcpu: 11 }, true));
    expect(e.code).toBe('input.invalid');
    expect(e.message).toMatch(/holds 10 vcpu/);
  });

  it('drops (and counts) usage of projects without quota on the cloud and of unknown classes', async () => {
    await project('other', 'sc-my');
    await tree.recordUsage(cloud, [
      { projectId: id('other'), used: { vcpu: 1 } },
      { projectId: id('jj-web'), used: { vcpu: 7, cores: 2, memory: -1 } },
    ]);
    await tree.recordPhysical(cloud, [{ projectId: id('jj-web'), physical: { vcpu: 2.5 } }]);
    const all = await tree.projectsOf(cloud);
    expect(all).toEqual([
      {
        projectId: id('jj-web'),
        orgUnitId: 'sc-cd-jj',
        orgPath: '/sc/sc-cd/sc-cd-jj/',
        quota: { vcpu: 10 },
        used: { vcpu: 7 },
        physical: { vcpu: 2.5 },
      },
    ]);
    expect(await tree.totals(cloud)).toMatchObject({
      allocated: { vcpu: 10, memory: 0 },
      used: { vcpu: 7 },
      physical: { vcpu: 2.5 },
    });
  });
});

describe('org-unit quotas', () => {
  beforeEach(async () => {
    await project('jj-web', 'sc-cd-jj');
    await project('cd-ops', 'sc-cd');
  });

  it('limits a unit by its nearest ancestor’s quota and the cloud’s allocatable', async () => {
    const cap = await refusal(setUnit('sc-cd', { vcpu: 101 }));
    expect(cap.code).toBe('quota.exceeds_capacity');
    await setUnit('sc-cd', { vcpu: 60 });
    await setUnit('sc-my', { vcpu: 40 });
    expect((await refusal(setUnit('sc-lz', { vcpu: 1 }))).code).toBe('quota.exceeds_capacity');
    const over = await refusal(setUnit('sc-cd-jj', { vcpu: 61 }));
    expect(over.code).toBe('quota.exceeds_parent');
    expect(over.details?.[0]?.params).toMatchObject({ unitId: 'sc-cd', free: 60, asked: 61 });
    await setUnit('sc-cd-jj', { vcpu: 30 });
    await setUnit('sc-cd-sl', { vcpu: 30 });
    expect((await refusal(allocate('cd-ops', { vcpu: 1 }))).code).toBe('quota.exceeds_parent');
    // Lowering a unit is always possible down to what its children hold.
    await setUnit('sc-cd-sl', { vcpu: 20 });
    await allocate('cd-ops', { vcpu: 10 });
    expect(await tree.violations(cloud)).toEqual([]);
  });

  it('refuses a quota below what the unit’s sub-units and projects hold', async () => {
    await setUnit('sc-cd', { vcpu: 50 });
    await setUnit('sc-cd-jj', { vcpu: 20 });
    await allocate('cd-ops', { vcpu: 15 });
    const e = await refusal(setUnit('sc-cd', { vcpu: 34 }));
    expect(e.code).toBe('quota.below_allocated');
    expect(e.details?.[0]?.params).toEqual({
      unit: '成都市',
      unitId: 'sc-cd',
      class: 'vcpu',
      held: 35,
      quota: 34,
    });
    await setUnit('sc-cd', { vcpu: 35 });
  });

  it('a new quota on a unit takes over what its projects held from the ancestor', async () => {
    await allocate('jj-web', { vcpu: 30 });
    // 锦江区's project holds 30 against the cloud; a quota of 20 for 锦江区 would be below it.
    expect((await refusal(setUnit('sc-cd-jj', { vcpu: 20 }))).code).toBe('quota.below_allocated');
    await setUnit('sc-cd-jj', { vcpu: 40 });
    // The cloud has 100 − 40 (锦江区, which now covers its project) free.
    await setUnit('sc-cd-sl', { vcpu: 60 });
    expect((await refusal(setUnit('sc-my', { vcpu: 1 }))).code).toBe('quota.exceeds_capacity');
    expect(await tree.violations(cloud)).toEqual([]);
  });

  it('is scoped: out of the subtree is 404; a unit cannot raise its own quota', async () => {
    const cityAdmin = await inv.as('cloud-admin', 'sc-cd');
    const applicant = await inv.as('applicant', 'sc-cd-jj');
    await setUnit('sc-cd', { vcpu: 50 });
    expect((await refusal(setUnit('sc-my', { vcpu: 1 }, cloud, cityAdmin))).code).toBe('scope.not_found');
    expect((await refusal(setUnit('sc-cd', { vcpu: 60 }, cloud, cityAdmin))).code).toBe('permission.denied');
    // The city hands its quota down to its counties.
    await setUnit('sc-cd-jj', { vcpu: 20 }, cloud, cityAdmin);
    expect((await refusal(setUnit('sc-cd-jj', { vcpu: 5 }, cloud, applicant))).code).toBe(
      'permission.denied',
    );
    expect((await audited('quota.org_unit.set', `${cloud}/sc-cd`)).map((a) => a.actor)).toEqual(['system']);
    expect((await audited('quota.org_unit.set', `${cloud}/sc-cd-jj`)).map((a) => a.actor)).toEqual([
      'cloud-admin@sc-cd',
    ]);
  });
});
