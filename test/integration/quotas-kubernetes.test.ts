import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotificationsPolicy } from '../../control-plane/src/alerting/policy.js';
import { DefaultAlarmService } from '../../control-plane/src/alerting/service.js';
import { systemIdentity } from '../../control-plane/src/auth/identity.js';
import { openTestInventory, type TestInventory } from '../../control-plane/src/inventory/testing.js';
import { createLogger } from '../../control-plane/src/logger.js';
import { Metrics } from '../../control-plane/src/observability/metrics.js';
import { kubernetesAdapter, QUOTA_NAME } from '../../control-plane/src/quotas/adapters/kubernetes/adapter.js';
import { QUOTAS_ALARM_DOMAIN } from '../../control-plane/src/quotas/alarms.js';
import { startFakeKubernetes, type FakeKubernetes } from '../../control-plane/src/quotas/fakes/kubernetes.js';
import { QuotaReconciler, QUOTA_DRIFT } from '../../control-plane/src/quotas/reconcile/service.js';
import {
  memoryLedger,
  reconcileDeps,
  staticClouds,
  testPolicy,
  type MemoryLedger,
} from '../../control-plane/src/quotas/reconcile/testing.js';
import { QuotaTree } from '../../control-plane/src/quotas/tree/service.js';
import { CloudError } from '../../control-plane/src/quotas/types.js';

/**
 * Quotas reconciled onto a FAKE Kubernetes API server (control-plane/src/quotas/fakes/kubernetes.ts,
 * written from the published API: no real API server can run on this machine or in CI) and read
 * back with Debian's kubectl (package kubernetes-client 1.20, unpacked to /opt/debian-kubectl by
 * test/run-tests.mjs), over HTTPS with the fake's certificate and a bearer token.
 */
const KUBECTL = '/opt/debian-kubectl/usr/bin/kubectl';
const TOKEN = 'kubectl-integration-token';
const run = promisify(execFile);

describe('quotas on Kubernetes, read back with Debian’s kubectl', () => {
  let t: TestInventory;
  let fake: FakeKubernetes;
  let ledger: MemoryLedger;
  let alarms: DefaultAlarmService;
  let rec: QuotaReconciler;
  let dir: string;
  let kubeconfig: string;

  const kubectl = async (...args: string[]) => {
    const r = await run(KUBECTL, ['--kubeconfig', kubeconfig, ...args], { timeout: 60_000 });
    return r.stdout;
  };
  const kubectlJson = async <T>(...args: string[]) => JSON.parse(await kubectl(...args, '-o', 'json')) as T;

  beforeAll(async () => {
    t = await openTestInventory();
    fake = await startFakeKubernetes({ token: TOKEN });
    ledger = memoryLedger();
    alarms = new DefaultAlarmService({
      db: t.db,
      orgUnits: t.orgUnits,
      audit: t.audit,
      notifications: () => NotificationsPolicy.parse({}),
      metrics: new Metrics(),
      log: createLogger('silent'),
      domains: [QUOTAS_ALARM_DOMAIN],
    });
    rec = new QuotaReconciler(reconcileDeps({ db: t.db, audit: t.audit, alarms }), {
      policy: () => testPolicy({ drift: 'restore' }),
      clouds: staticClouds([
        {
          cloudId: 'k8s-cd',
          kind: 'kubernetes',
          orgUnitId: 'sc-cd',
          orgPath: '/sc/sc-cd/',
          connection: {
            cloudId: 'k8s-cd',
            kind: 'kubernetes',
            endpoint: fake.url,
            region: null,
            settings: { caCert: fake.caCert, timeoutSeconds: 10 },
            secrets: { token: TOKEN },
          },
        },
      ]),
      ledger,
      adapters: {
        kubernetes: kubernetesAdapter,
        openstack: () => {
          throw new CloudError('unreachable', 'no OpenStack here');
        },
      },
    });
    dir = mkdtempSync(join(tmpdir(), 'quotas-kubectl-'));
    kubeconfig = join(dir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'fake',
            cluster: { server: fake.url, 'certificate-authority-data': Buffer.from(fake.caCert!).toString('base64') },
          },
        ],
        users: [{ name: 'reader', user: { token: TOKEN } }],
        contexts: [{ name: 'fake', context: { cluster: 'fake', user: 'reader' } }],
        'current-context': 'fake',
      }),
      { mode: 0o600 },
    );
  });
  afterAll(async () => {
    await rec?.stop();
    await fake?.close();
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('kubectl reads back exactly the spec.hard Tianshu wrote, and the labelled namespaces', async () => {
    ledger.set('k8s-cd', 'web', { vcpu: 8, memory: 16, 'block-storage': 200, 'public-ip': 2 });
    ledger.set('k8s-cd', 'ai', { vcpu: 0.5, memory: 1.5, gpu: 2 });
    ledger.set('k8s-cd', 'county', { vcpu: 4 }, 'sc-my', '/sc/sc-my/');
    expect(await rec.pass('k8s-cd')).toMatchObject({ state: 'ok', written: 3, errors: 0 });

    const web = await kubectlJson<{ spec: { hard: Record<string, string> }; metadata: { labels: Record<string, string> } }>(
      'get', 'resourcequota', QUOTA_NAME, '-n', 'ts-web',
    );
    expect(web.spec.hard).toEqual({
      'requests.cpu': '8',
      'limits.cpu': '8',
      'requests.memory': '16Gi',
      'limits.memory': '16Gi',
      'requests.storage': '200Gi',
    });
    expect(web.spec.hard).toEqual(fake.state.quotas.get(`ts-web/${QUOTA_NAME}`)!.spec!.hard);
    const ai = await kubectlJson<{ spec: { hard: Record<string, string> } }>('get', 'resourcequota', QUOTA_NAME, '-n', 'ts-ai');
    expect(ai.spec.hard).toEqual({
      'requests.cpu': '500m',
      'limits.cpu': '500m',
      'requests.memory': '1536Mi',
      'limits.memory': '1536Mi',
      'requests.nvidia.com/gpu': '2',
    });

    const ns = await kubectlJson<{ items: Array<{ metadata: { name: string; labels: Record<string, string> } }> }>(
      'get', 'ns', '-l', 'tianshu.gov.cn/org-unit=sc-cd',
    );
    expect(ns.items.map((n) => n.metadata.name).sort()).toEqual(['ts-ai', 'ts-web']);
    expect(ns.items[0]!.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'tianshu' });
    const managed = await kubectl('get', 'ns', '-l', 'app.kubernetes.io/managed-by=tianshu', '-o', 'name');
    expect(managed.trim().split('\n').sort()).toEqual(['namespace/ts-ai', 'namespace/ts-county', 'namespace/ts-web']);
  });

  it('someone edits the quota with kubectl: drift detected, shown and restored', async () => {
    await kubectl('patch', 'resourcequota', QUOTA_NAME, '-n', 'ts-web', '--type', 'merge', '-p',
      JSON.stringify({ spec: { hard: { 'requests.cpu': '64', 'limits.cpu': '64' } } }));
    expect((await kubectlJson<{ spec: { hard: Record<string, string> } }>('get', 'resourcequota', QUOTA_NAME, '-n', 'ts-web')).spec.hard['requests.cpu']).toBe('64');

    const r = await rec.pass('k8s-cd');
    expect(r).toMatchObject({ drift: 1, restored: 1 });
    const shown = (await alarms.list(systemIdentity(), { kind: QUOTA_DRIFT })).items;
    expect(shown.map((a) => a.targetId)).toEqual(['k8s-cd/web']);
    expect(shown[0]!.summary).toMatch(/found \{"vcpu":64,.*expected \{"vcpu":8,.*restored/);
    const back = await kubectlJson<{ spec: { hard: Record<string, string> } }>('get', 'resourcequota', QUOTA_NAME, '-n', 'ts-web');
    expect(back.spec.hard['requests.cpu']).toBe('8');
    expect(back.spec.hard['limits.cpu']).toBe('8');
    expect((await rec.history('k8s-cd', new Date(Date.now() - 86_400_000), new Date(Date.now() + 86_400_000))).drift).toBe(1);
  });

  it('the fake down or answering garbage: the error with its reason on the project, nothing half-applied, then recovery', async () => {
    ledger.set('k8s-cd', 'web', { vcpu: 10, memory: 16, 'block-storage': 200 }); // version 2
    ledger.set('k8s-cd', 'late', { vcpu: 2 });
    fake.faults.down(true);
    const down = await rec.pass('k8s-cd');
    expect(down).toMatchObject({ state: 'error', written: 0 });
    let st = await rec.status('k8s-cd', ['web', 'late']);
    expect(st.get('web')).toMatchObject({ state: 'error', appliedVersion: 1, error: { kind: 'unreachable' } });
    expect(st.get('late')).toMatchObject({ state: 'error', appliedVersion: 0 });
    expect(await rec.cloudStatus('k8s-cd')).toMatchObject({ state: 'error', error: { kind: 'unreachable' } });
    fake.faults.down(false);
    expect(fake.state.namespaces.has('ts-late')).toBe(false);
    expect(fake.state.quotas.get(`ts-web/${QUOTA_NAME}`)!.spec!.hard!['requests.cpu']).toBe('8');

    fake.faults.garbage(true);
    const garbage = await rec.pass('k8s-cd');
    expect(garbage.error).toMatchObject({ kind: 'invalid-answer' });
    st = await rec.status('k8s-cd', ['web']);
    expect(st.get('web')!.error!.message).toMatch(/does not parse/);
    fake.faults.garbage(false);

    const ok = await rec.pass('k8s-cd');
    expect(ok).toMatchObject({ state: 'ok', written: 2, errors: 0 });
    st = await rec.status('k8s-cd', ['web', 'late']);
    expect(st.get('web')).toMatchObject({ state: 'applied', appliedVersion: 2, error: null });
    expect(st.get('late')).toMatchObject({ state: 'applied', appliedVersion: 1 });
    expect(await rec.cloudStatus('k8s-cd')).toMatchObject({ state: 'ok', error: null });
    const web = await kubectlJson<{ spec: { hard: Record<string, string> } }>('get', 'resourcequota', QUOTA_NAME, '-n', 'ts-web');
    expect(web.spec.hard['requests.cpu']).toBe('10');
    const late = await kubectlJson<{ spec: { hard: Record<string, string> } }>('get', 'resourcequota', QUOTA_NAME, '-n', 'ts-late');
    expect(late.spec.hard).toEqual({ 'requests.cpu': '2', 'limits.cpu': '2' });
  });
});

describe('quotas allocated in the quota tree (QuotaTree on PGlite), enforced on the fake, read back with kubectl', () => {
  let t: TestInventory;
  let fake: FakeKubernetes;
  let dir: string;

  beforeAll(async () => {
    t = await openTestInventory();
    fake = await startFakeKubernetes({ token: TOKEN });
    dir = mkdtempSync(join(tmpdir(), 'quotas-kubectl-tree-'));
  });
  afterAll(async () => {
    await fake?.close();
    await t?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('allocations become ResourceQuotas; a new version is applied; usage reaches the tree', async () => {
    const policy = testPolicy();
    const clouds = staticClouds([
      {
        cloudId: 'k8s-sc',
        kind: 'kubernetes',
        orgUnitId: 'sc',
        orgPath: '/sc/',
        allocatable: { vcpu: 1000, memory: 4000, 'block-storage': 100_000 },
        connection: {
          cloudId: 'k8s-sc',
          kind: 'kubernetes',
          endpoint: fake.url,
          region: null,
          settings: { caCert: fake.caCert, timeoutSeconds: 10 },
          secrets: { token: TOKEN },
        },
      },
    ]);
    const deps = reconcileDeps({ db: t.db, audit: t.audit, orgUnits: t.orgUnits });
    const tree = new QuotaTree(deps, { policy: () => policy, clouds });
    await t.db.query(
      `INSERT INTO clouds (id, org_unit_id, name, kind, tier, api_endpoint) VALUES ('k8s-sc', 'sc', 'Provincial cloud', 'kubernetes', 'provincial', $1)`,
      [fake.url],
    );
    await t.db.transaction(async (tx) => {
      await tree.ensureProject(tx, { id: 'hall', orgUnitId: 'sc-cd', name: 'Government service hall', actor: 'test' });
      await tree.allocate(tx, { cloudId: 'k8s-sc', projectId: 'hall', amounts: { vcpu: 8, memory: 16, 'block-storage': 200 }, actor: 'test', reason: 'test' });
    });
    const rec = new QuotaReconciler(deps, {
      policy: () => policy,
      clouds,
      ledger: tree,
      adapters: { kubernetes: kubernetesAdapter, openstack: kubernetesAdapter },
    });
    try {
      const [dp] = await tree.desired('k8s-sc');
      expect(dp).toBeDefined();
      expect(await rec.pass('k8s-sc')).toMatchObject({ state: 'ok', written: 1 });
      const kubeconfig = join(dir, 'kubeconfig');
      writeFileSync(
        kubeconfig,
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'f', cluster: { server: fake.url, 'certificate-authority-data': Buffer.from(fake.caCert!).toString('base64') } }],
          users: [{ name: 'u', user: { token: TOKEN } }],
          contexts: [{ name: 'f', context: { cluster: 'f', user: 'u' } }],
          'current-context': 'f',
        }),
        { mode: 0o600 },
      );
      const get = async () =>
        (JSON.parse(
          (await run(KUBECTL, ['--kubeconfig', kubeconfig, 'get', 'resourcequota', QUOTA_NAME, '-n', dp!.target.externalName, '-o', 'json'])).stdout,
        ) as { spec: { hard: Record<string, string> } }).spec.hard;
      expect(await get()).toEqual({
        'requests.cpu': '8',
        'limits.cpu': '8',
        'requests.memory': '16Gi',
        'limits.memory': '16Gi',
        'requests.storage': '200Gi',
      });
      expect((await rec.status('k8s-sc', ['hall'])).get('hall')!.appliedVersion).toBe(dp!.version);

      await t.db.transaction((tx) =>
        tree.allocate(tx, { cloudId: 'k8s-sc', projectId: 'hall', amounts: { vcpu: 4 }, actor: 'test', reason: 'more' }),
      );
      const [dp2] = await tree.desired('k8s-sc');
      expect(dp2!.version).toBeGreaterThan(dp!.version);
      expect(await rec.pass('k8s-sc')).toMatchObject({ written: 1 });
      expect((await get())['requests.cpu']).toBe('12');
      expect((await rec.status('k8s-sc', ['hall'])).get('hall')!.appliedVersion).toBe(dp2!.version);

      fake.setUsed(dp!.target.externalName, QUOTA_NAME, { 'requests.cpu': '3', 'requests.memory': '6Gi' });
      expect(await rec.pass('k8s-sc')).toMatchObject({ written: 0 });
      const [p] = await tree.projectsOf('k8s-sc');
      expect(p!.used).toMatchObject({ vcpu: 3, memory: 6 });
    } finally {
      await rec.stop();
    }
  });
});
