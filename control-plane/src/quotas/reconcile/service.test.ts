import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NotificationsPolicy } from '../../alerting/policy.js';
import { DefaultAlarmService } from '../../alerting/service.js';
import { systemIdentity } from '../../auth/identity.js';
import { openTestInventory, type TestInventory } from '../../inventory/testing.js';
import { createLogger } from '../../logger.js';
import { Metrics } from '../../observability/metrics.js';
import { kubernetesAdapter, QUOTA_NAME } from '../adapters/kubernetes/adapter.js';
import { QUOTAS_ALARM_DOMAIN } from '../alarms.js';
import { startFakeKubernetes, type FakeKubernetes } from '../fakes/kubernetes.js';
import type { QuotasPolicy } from '../policy.js';
import { CloudError, type AdapterFactory } from '../types.js';
import { QUOTA_CLOUD_ERROR, QUOTA_DRIFT, QuotaReconciler } from './service.js';
import { memoryLedger, reconcileDeps, staticClouds, testPolicy, type MemoryLedger } from './testing.js';

// The cloud is the FAKE Kubernetes API server (fakes/kubernetes.ts; no real API server can run here);
// the store is PGlite, the alarms the real alarm service. The ledger is an in-memory double of B's tree.
const TOKEN = 'reconcile-test-token';
const noOpenstack: AdapterFactory = () => {
  throw new CloudError('unreachable', 'no OpenStack in this test');
};

describe('QuotaReconciler against the fake Kubernetes API server', () => {
  let t: TestInventory;
  let fake: FakeKubernetes;
  let ledger: MemoryLedger;
  let alarms: DefaultAlarmService;
  let policy: QuotasPolicy;
  let rec: QuotaReconciler;
  const system = systemIdentity();

  const make = () =>
    new QuotaReconciler(reconcileDeps({ db: t.db, audit: t.audit, alarms }), {
      policy: () => policy,
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
            settings: { caCert: fake.caCert, timeoutSeconds: 5 },
            secrets: { token: TOKEN },
          },
        },
        { cloudId: 'manual-my', kind: 'manual', orgUnitId: 'sc-my', orgPath: '/sc/sc-my/' },
      ]),
      ledger,
      adapters: { kubernetes: kubernetesAdapter, openstack: noOpenstack },
    });

  beforeEach(async () => {
    t = await openTestInventory();
    fake = await startFakeKubernetes({ token: TOKEN });
    ledger = memoryLedger();
    policy = testPolicy();
    alarms = new DefaultAlarmService({
      db: t.db,
      orgUnits: t.orgUnits,
      audit: t.audit,
      notifications: () => NotificationsPolicy.parse({}),
      metrics: new Metrics(),
      log: createLogger('silent'),
      domains: [QUOTAS_ALARM_DOMAIN],
    });
    rec = make();
  });
  afterEach(async () => {
    await rec.stop();
    await fake.close();
    await t.close();
  });

  const firing = async (kind: string) =>
    (await alarms.list(system, { kind })).items.map((a) => ({ targetId: a.targetId, summary: a.summary }));

  it('writes what is missing, then a second pass writes nothing; usage goes to the ledger', async () => {
    ledger.set('k8s-cd', 'web', { vcpu: 8, memory: 16, 'public-ip': 1 });
    ledger.set('k8s-cd', 'db', { vcpu: 4, 'block-storage': 500 });
    const first = await rec.pass('k8s-cd');
    expect(first).toMatchObject({ state: 'ok', projects: 2, written: 2, errors: 0 });
    expect(fake.state.quotas.get(`ts-web/${QUOTA_NAME}`)!.spec!.hard).toMatchObject({ 'requests.cpu': '8', 'requests.memory': '16Gi' });
    const writes = fake.state.counts.writes;
    fake.setUsed('ts-web', QUOTA_NAME, { 'requests.cpu': '2500m' });
    const second = await rec.pass('k8s-cd');
    expect(second).toMatchObject({ state: 'ok', written: 0, unchanged: 2, drift: 0 });
    expect(fake.state.counts.writes).toBe(writes);
    expect(ledger.usage.get('k8s-cd/web')).toMatchObject({ vcpu: 2.5 });
    const st = await rec.status('k8s-cd', ['web', 'db', 'none']);
    expect(st.get('web')).toMatchObject({ state: 'applied', appliedVersion: 1, error: null });
    expect(st.get('none')).toMatchObject({ state: 'pending', appliedVersion: 0 });
    expect(await rec.cloudStatus('k8s-cd')).toMatchObject({ state: 'ok', error: null });
    expect(await rec.cloudStatus('other')).toEqual({ state: 'never', error: null, checkedAt: null });

    ledger.set('k8s-cd', 'web', { vcpu: 12, memory: 16 }); // a new version: written once
    expect(await rec.pass('k8s-cd')).toMatchObject({ written: 1, unchanged: 1 });
    expect((await rec.status('k8s-cd', ['web'])).get('web')!.appliedVersion).toBe(2);
    const h = await rec.history('k8s-cd', new Date(Date.now() - 86_400_000), new Date(Date.now() + 86_400_000));
    expect(h).toEqual({ passes: 3, failedPasses: 0, drift: 0, errors: 0 });
  });

  it('detects drift, raises quota-drift and restores ours (policy restore)', async () => {
    ledger.set('k8s-cd', 'web', { vcpu: 8, memory: 16 });
    await rec.pass('k8s-cd');
    fake.editHard('ts-web', QUOTA_NAME, { 'requests.cpu': '64', 'limits.cpu': '64' }); // kubectl edit
    const r = await rec.pass('k8s-cd');
    expect(r).toMatchObject({ drift: 1, restored: 1, written: 1 });
    expect(fake.state.quotas.get(`ts-web/${QUOTA_NAME}`)!.spec!.hard!['requests.cpu']).toBe('8');
    const a = await firing(QUOTA_DRIFT);
    expect(a).toHaveLength(1);
    expect(a[0]!.targetId).toBe('k8s-cd/web');
    expect(a[0]!.summary).toMatch(/found \{"vcpu":64,"memory":16\}.*restored/);
    expect(await rec.pass('k8s-cd')).toMatchObject({ drift: 0, written: 0 });
  });

  it('reports drift without restoring under policy report, and clears it when the cloud matches again', async () => {
    policy = testPolicy({ drift: 'report' });
    ledger.set('k8s-cd', 'web', { vcpu: 8 });
    await rec.pass('k8s-cd');
    fake.editHard('ts-web', QUOTA_NAME, { 'limits.cpu': '4' });
    expect(await rec.pass('k8s-cd')).toMatchObject({ drift: 1, restored: 0, written: 0 });
    expect(fake.state.quotas.get(`ts-web/${QUOTA_NAME}`)!.spec!.hard!['limits.cpu']).toBe('4');
    const st = (await rec.status('k8s-cd', ['web'])).get('web')!;
    expect(st.state).toBe('drift');
    expect(st.drift).toMatchObject({ found: { vcpu: 8, 'vcpu/limits.cpu': 4 }, expected: { vcpu: 8 } });
    fake.editHard('ts-web', QUOTA_NAME, { 'limits.cpu': '8' });
    await rec.pass('k8s-cd');
    expect((await rec.status('k8s-cd', ['web'])).get('web')!.state).toBe('applied');
    expect(await firing(QUOTA_DRIFT)).toEqual([]);
  });

  it('a cloud that is down or answers garbage: errors with the reason, nothing half-applied, then recovers', async () => {
    ledger.set('k8s-cd', 'old', { vcpu: 2 });
    await rec.pass('k8s-cd');
    ledger.set('k8s-cd', 'new', { vcpu: 4 });
    fake.faults.down(true);
    const r = await rec.pass('k8s-cd');
    expect(r.state).toBe('error');
    expect(r.error!.kind).toBe('unreachable');
    const st = await rec.status('k8s-cd', ['old', 'new']);
    expect(st.get('new')).toMatchObject({ state: 'error', appliedVersion: 0, error: { kind: 'unreachable' } });
    expect(st.get('old')).toMatchObject({ state: 'applied', appliedVersion: 1 });
    expect(fake.state.namespaces.has('ts-new')).toBe(false);
    expect((await rec.cloudStatus('k8s-cd')).state).toBe('error');
    expect((await firing(QUOTA_CLOUD_ERROR))[0]!.summary).toMatch(/unreachable/);
    expect(await rec.overview(system)).toEqual({ cloudErrors: 1 });
    expect(await rec.overview(await t.as('cloud-admin', 'sc-my'))).toEqual({ cloudErrors: 0 });
    fake.faults.down(false);

    fake.faults.garbage(true);
    const g = await rec.pass('k8s-cd');
    expect(g.error!.kind).toBe('invalid-answer');
    expect((await rec.status('k8s-cd', ['new'])).get('new')!.error!.message).toMatch(/does not parse/);
    fake.faults.garbage(false);

    expect(await rec.pass('k8s-cd')).toMatchObject({ state: 'ok', written: 1 });
    expect((await rec.status('k8s-cd', ['new'])).get('new')).toMatchObject({ state: 'applied', appliedVersion: 1, error: null });
    expect(await firing(QUOTA_CLOUD_ERROR)).toEqual([]);
    const h = await rec.history('k8s-cd', new Date(Date.now() - 86_400_000), new Date(Date.now() + 86_400_000));
    expect(h).toMatchObject({ passes: 4, failedPasses: 2 });
  });

  it('a forbidden namespace fails its project only, with the API’s reason', async () => {
    fake.state.forbidden.add('ts-secret');
    ledger.set('k8s-cd', 'secret', { vcpu: 1 });
    ledger.set('k8s-cd', 'open', { vcpu: 1 });
    const r = await rec.pass('k8s-cd');
    expect(r).toMatchObject({ state: 'error', written: 1, errors: 1 });
    const st = await rec.status('k8s-cd', ['secret', 'open']);
    expect(st.get('secret')!.error).toMatchObject({ kind: 'forbidden' });
    expect(st.get('secret')!.error!.message).toMatch(/cannot access resources in the namespace "ts-secret"/);
    expect(st.get('open')!.state).toBe('applied');
  });

  it('manual clouds wait for an admin’s confirmation, audited and scoped', async () => {
    ledger.set('manual-my', 'hall', { vcpu: 16 }, 'sc-my', '/sc/sc-my/');
    expect(await rec.pass('manual-my')).toMatchObject({ awaiting: 1, written: 0 });
    expect((await rec.status('manual-my', ['hall'])).get('hall')!.state).toBe('awaiting-confirmation');
    const outsider = await t.as('cloud-admin', 'sc-cd');
    await expect(rec.confirmManual(outsider, 'manual-my', 'hall', 1)).rejects.toMatchObject({ status: 404 });
    const admin = await t.as('cloud-admin', 'sc-my');
    await expect(rec.confirmManual(admin, 'manual-my', 'hall', 2)).rejects.toMatchObject({ status: 409 });
    await expect(rec.confirmManual(admin, 'k8s-cd', 'hall', 1)).rejects.toMatchObject({ status: 404 });
    await rec.confirmManual(admin, 'manual-my', 'hall', 1);
    expect((await rec.status('manual-my', ['hall'])).get('hall')).toMatchObject({ state: 'applied', appliedVersion: 1 });
    expect((await t.auditActions()).map((a) => a.action)).toContain('quotas.sync.confirm');
    const applicant = await t.as('applicant', 'sc-my');
    await expect(rec.confirmManual(applicant, 'manual-my', 'hall', 1)).rejects.toMatchObject({ status: 403 });
    ledger.set('manual-my', 'hall', { vcpu: 20 }, 'sc-my', '/sc/sc-my/');
    expect(await rec.pass('manual-my')).toMatchObject({ awaiting: 1 });
  });

  it('lists sync status in the caller’s scope only', async () => {
    ledger.set('k8s-cd', 'web', { vcpu: 1 });
    ledger.set('manual-my', 'hall', { vcpu: 1 }, 'sc-my', '/sc/sc-my/');
    await rec.passAll();
    const my = await t.as('cloud-admin', 'sc-my');
    expect((await rec.list(my, {})).map((s) => s.projectId)).toEqual(['hall']);
    expect((await rec.list(system, { state: 'applied' })).map((s) => s.projectId)).toEqual(['web']);
  });

  it('the watch notices an edit between passes and restores it', async () => {
    ledger.set('k8s-cd', 'web', { vcpu: 8 });
    rec.startWatches();
    await rec.pass('k8s-cd');
    // Let the watch connect (its initial events reconcile nothing).
    for (let i = 0; i < 100 && (fake.state.counts.byVerb['GET /api/v1/resourcequotas watch'] ?? 0) === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
    fake.editHard('ts-web', QUOTA_NAME, { 'requests.cpu': '99' });
    for (let i = 0; i < 1200; i++) {
      if (fake.state.quotas.get(`ts-web/${QUOTA_NAME}`)!.spec!.hard!['requests.cpu'] === '8') break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(fake.state.quotas.get(`ts-web/${QUOTA_NAME}`)!.spec!.hard!['requests.cpu']).toBe('8');
    expect((await firing(QUOTA_DRIFT)).map((a) => a.targetId)).toEqual(['k8s-cd/web']);
  });

  it('two replicas passing the same cloud at once write each project once', async () => {
    for (let i = 0; i < 20; i++) ledger.set('k8s-cd', `p${i}`, { vcpu: 1 });
    const other = make();
    const [a, b] = await Promise.all([rec.pass('k8s-cd'), other.pass('k8s-cd')]);
    await other.stop();
    expect(a.written + b.written).toBe(20);
    expect(fake.state.counts.writes).toBe(40); // a namespace and a quota each
  });
});
