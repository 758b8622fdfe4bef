import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { NotificationsPolicy } from '../../../alerting/policy.js';
import { DefaultAlarmService } from '../../../alerting/service.js';
import { openTestInventory, type TestInventory } from '../../../inventory/testing.js';
import { createLogger } from '../../../logger.js';
import type { ModuleDeps } from '../../../modules/contract.js';
import { Metrics } from '../../../observability/metrics.js';
import { QUOTAS_ALARM_DOMAIN } from '../../alarms.js';
import { startFakeOpenStack, type FakeOpenStack } from '../../fakes/openstack.js';
import { QuotaReconciler } from '../../reconcile/service.js';
import { reconcileDeps, testPolicy } from '../../reconcile/testing.js';
import { QuotaTree } from '../../tree/service.js';
import {
  CloudError,
  type Amounts,
  type CloudCapacity,
  type CloudConnection,
  type CloudDirectory,
  type CloudKind,
} from '../../types.js';
import { openstackAdapter } from './adapter.js';

/*
 * A reconcile pass (helper D's QuotaReconciler) over an OpenStack cloud applies the quota Tianshu's
 * ledger (helper B's QuotaTree, on PGlite) holds for a project, through this adapter. The cloud is the
 * FAKE OpenStack (fakes/openstack.ts: Keystone v3, Nova, Cinder and Neutron from their published API
 * references; no OpenStack can run here); the alarms are the real alarm service. The cloud directory
 * (helper A's part) is a double: fixed allocatable amounts and the connection.
 */
const SECRET = 'reconcile-openstack-secret';

class Directory implements CloudDirectory {
  constructor(
    private readonly conn: CloudConnection,
    private readonly allocatable: Amounts,
  ) {}
  private get cloudId() {
    return this.conn.cloudId;
  }
  capacity(cloudId: string): Promise<CloudCapacity | undefined> {
    if (cloudId !== this.cloudId) return Promise.resolve(undefined);
    const at = new Date(0).toISOString();
    return Promise.resolve({
      cloudId,
      capacity: Object.fromEntries(
        Object.entries(this.allocatable).map(([k, v]) => [
          k,
          { amount: v, source: 'manual' as const, observedAt: at },
        ]),
      ),
      overcommit: Object.fromEntries(Object.keys(this.allocatable).map((k) => [k, 1])),
      allocatable: { ...this.allocatable },
    });
  }
  connection(cloudId: string): Promise<CloudConnection | undefined> {
    return Promise.resolve(cloudId === this.cloudId ? this.conn : undefined);
  }
  managedClouds(): Promise<Array<{ cloudId: string; kind: CloudKind; orgUnitId: string; orgPath: string }>> {
    return Promise.resolve([{ cloudId: this.cloudId, kind: 'openstack', orgUnitId: 'sc', orgPath: '/sc/' }]);
  }
}

describe('a reconcile pass over an OpenStack cloud', () => {
  // One store for the file (its migrations are the slow part); each test has its own cloud.
  let t: TestInventory;
  let deps: ModuleDeps;
  let cloud: FakeOpenStack;
  let CLOUD: string;
  let tree: QuotaTree;
  let rec: QuotaReconciler;
  let n = 0;
  const policy = testPolicy({ drift: 'restore' });

  const allocate = (projectId: string, orgUnitId: string, amounts: Amounts) =>
    t.db.transaction(async (tx) => {
      await tree.ensureProject(tx, { id: projectId, orgUnitId, name: projectId, actor: 'test' });
      await tree.allocate(tx, {
        cloudId: CLOUD,
        projectId,
        amounts,
        actor: 'test',
        reason: 'test allocation',
      });
    });

  beforeAll(async () => {
    t = await openTestInventory();
    const alarms = new DefaultAlarmService({
      db: t.db,
      orgUnits: t.orgUnits,
      audit: t.audit,
      notifications: () => NotificationsPolicy.parse({}),
      metrics: new Metrics(),
      log: createLogger('silent'),
      domains: [QUOTAS_ALARM_DOMAIN],
    });
    deps = { ...reconcileDeps({ db: t.db, audit: t.audit, alarms }), orgUnits: t.orgUnits } as ModuleDeps;
    // Every module's state migrations on PGlite: slow on a busy machine.
  }, 180_000);
  afterAll(async () => {
    await t?.close();
  });

  beforeEach(async () => {
    CLOUD = `os-province-${++n}`;
    cloud = await startFakeOpenStack({ applicationCredentials: [{ id: 'ac-1', secret: SECRET }] });
    await t.db.query(`INSERT INTO clouds (id, org_unit_id, name, kind, tier) VALUES ($1, $2, $3, $4, $5)`, [
      CLOUD,
      'sc',
      `Provincial OpenStack ${n}`,
      'openstack',
      'provincial',
    ]);
    const directory = new Directory(
      {
        cloudId: CLOUD,
        kind: 'openstack',
        endpoint: cloud.url,
        region: cloud.region,
        settings: { timeoutSeconds: 5 },
        secrets: { applicationCredentialId: 'ac-1', applicationCredentialSecret: SECRET },
      },
      { vcpu: 1000, memory: 4000, 'block-storage': 100_000, 'public-ip': 100, gpu: 8 },
    );
    tree = new QuotaTree(deps, { policy: () => policy, clouds: directory });
    rec = new QuotaReconciler(deps, {
      policy: () => policy,
      clouds: directory,
      ledger: tree,
      adapters: {
        kubernetes: () => {
          throw new CloudError('unreachable', 'no Kubernetes in this test');
        },
        openstack: openstackAdapter,
      },
    });
  });
  afterEach(async () => {
    await rec.stop();
    await cloud.close();
  });

  it('applies the allocated quota to the project on the cloud, then a second allocation', async () => {
    await allocate('tax-portal', 'sc-cd', { vcpu: 16, memory: 32, 'block-storage': 500, 'public-ip': 2 });
    const first = await rec.pass(CLOUD);
    expect(first).toMatchObject({ state: 'ok', written: 1, errors: 0 });
    const p = cloud.state.projectByName('ts-tax-portal');
    expect(p?.tags).toContain('tianshu:org-unit=sc-cd');
    expect(p?.enabled).toBe(true);
    const limits = cloud.state.limits(p!.id);
    expect(limits.compute.cores).toBe(16);
    expect(limits.compute.ram).toBe(32 * 1024);
    expect(limits.volume.gigabytes).toBe(500);
    expect(limits.network.floatingip).toBe(2);
    expect((await rec.status(CLOUD, ['tax-portal'])).get('tax-portal')).toMatchObject({
      state: 'applied',
      appliedVersion: 1,
    });
    // Nothing changed: the next pass writes nothing to the cloud.
    const puts = cloud.state.requests.filter((r) => r.method === 'PUT').length;
    expect(await rec.pass(CLOUD)).toMatchObject({ written: 0, unchanged: 1, drift: 0 });
    expect(cloud.state.requests.filter((r) => r.method === 'PUT').length).toBe(puts);

    // The cloud's usage reaches the ledger; a further allocation reaches the cloud.
    cloud.state.setUsage(p!.id, 'compute', 'cores', 6);
    await allocate('tax-portal', 'sc-cd', { vcpu: 8 });
    expect(await rec.pass(CLOUD)).toMatchObject({ state: 'ok', written: 1 });
    expect(cloud.state.limits(p!.id).compute.cores).toBe(24);
    expect((await rec.status(CLOUD, ['tax-portal'])).get('tax-portal')!.appliedVersion).toBe(2);
    const [row] = (await tree.projectsOf(CLOUD)).filter((x) => x.projectId === 'tax-portal');
    expect(row?.quota.vcpu).toBe(24);
    expect(row?.used.vcpu).toBe(6);
  });

  it('restores a limit an operator changed on the cloud', async () => {
    await allocate('web', 'sc-cd', { vcpu: 8, memory: 16 });
    await rec.pass(CLOUD);
    const p = cloud.state.projectByName('ts-web')!;
    cloud.state.setLimit(p.id, 'compute', 'cores', 64);
    expect(await rec.pass(CLOUD)).toMatchObject({ drift: 1, restored: 1 });
    expect(cloud.state.limits(p.id).compute.cores).toBe(8);
  });

  it('a cloud that is down leaves the project pending with the error, then applies it', async () => {
    await allocate('db', 'sc-cd', { vcpu: 4 });
    cloud.faults.down(true);
    const r = await rec.pass(CLOUD);
    expect(r.state).toBe('error');
    expect(r.error?.kind).toBe('unreachable');
    const st = (await rec.status(CLOUD, ['db'])).get('db')!;
    expect(st).toMatchObject({ state: 'error', appliedVersion: 0 });
    expect(st.error?.message).toContain('unreachable');
    cloud.faults.down(false);
    expect(await rec.pass(CLOUD)).toMatchObject({ state: 'ok', written: 1 });
    expect(cloud.state.limits(cloud.state.projectByName('ts-db')!.id).compute.cores).toBe(4);
  });

  it('a class OpenStack cannot enforce is an error on the project with the reason, nothing created', async () => {
    await allocate('ai', 'sc-cd', { vcpu: 16, gpu: 2 });
    const r = await rec.pass(CLOUD);
    expect(r.errors).toBe(1);
    const st = (await rec.status(CLOUD, ['ai'])).get('ai')!;
    expect(st.state).toBe('error');
    expect(st.error?.kind).toBe('rejected');
    expect(st.error?.message).toContain('gpu');
    expect(cloud.state.projectByName('ts-ai')).toBeUndefined();
  });
});
