import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeKubernetes, type FakeKubernetes } from '../../fakes/kubernetes.js';
import { CloudError, type CloudAdapter, type ProjectTarget } from '../../types.js';
import { kubernetesAdapter, QUOTA_NAME } from './adapter.js';

// Against the FAKE Kubernetes API server (fakes/kubernetes.ts): no real API server can run here.
const TOKEN = 'test-token-0123456789';

function target(id: string, orgUnitId = 'sc-cd'): ProjectTarget {
  return {
    projectId: id,
    externalName: `ts-${id}`,
    orgUnitId,
    orgPath: `/sc/${orgUnitId}/`,
    labels: {
      'tianshu.gov.cn/org-unit': orgUnitId,
      'tianshu.gov.cn/project': id,
      'app.kubernetes.io/managed-by': 'tianshu',
    },
  };
}

async function caught(p: Promise<unknown>): Promise<CloudError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CloudError) return err;
    throw err;
  }
  throw new Error('expected a CloudError');
}

describe('Kubernetes adapter against the fake API server', () => {
  let fake: FakeKubernetes;
  let adapter: CloudAdapter;
  beforeEach(async () => {
    fake = await startFakeKubernetes({ token: TOKEN });
    adapter = kubernetesAdapter({
      cloudId: 'k8s-test',
      kind: 'kubernetes',
      endpoint: fake.url,
      region: null,
      settings: { timeoutSeconds: 5, caCert: fake.caCert },
      secrets: { token: TOKEN },
    });
  });
  afterEach(async () => {
    await adapter.close();
    await fake.close();
  });

  it('creates the namespace with its labels and the quota, idempotently', async () => {
    const st = await adapter.ensure(target('web'), {
      vcpu: 8,
      memory: 16,
      'block-storage': 200,
      'public-ip': 2,
    });
    expect(st).toMatchObject({
      externalName: 'ts-web',
      exists: true,
      hard: { vcpu: 8, memory: 16, 'block-storage': 200 },
    });
    const ns = fake.state.namespaces.get('ts-web')!;
    expect(ns.metadata.labels).toMatchObject({
      'tianshu.gov.cn/org-unit': 'sc-cd',
      'app.kubernetes.io/managed-by': 'tianshu',
    });
    const q = fake.state.quotas.get(`ts-web/${QUOTA_NAME}`)!;
    expect(q.spec!.hard).toEqual({
      'requests.cpu': '8',
      'limits.cpu': '8',
      'requests.memory': '16Gi',
      'limits.memory': '16Gi',
      'requests.storage': '200Gi',
    });
    const writes = fake.state.counts.writes;
    await adapter.ensure(target('web'), { vcpu: 8, memory: 16, 'block-storage': 200 });
    expect(fake.state.counts.writes).toBe(writes); // nothing to change: nothing written
  });

  it('leaves classes it was not given alone and reads status.used back in our units', async () => {
    await adapter.ensure(target('db'), { vcpu: 4, memory: 8 });
    fake.editHard('ts-db', QUOTA_NAME, { pods: '20' });
    fake.setUsed('ts-db', QUOTA_NAME, { 'requests.cpu': '1500m', 'requests.memory': '512Mi' });
    await adapter.ensure(target('db'), { vcpu: 6 });
    const q = fake.state.quotas.get(`ts-db/${QUOTA_NAME}`)!;
    expect(q.spec!.hard).toMatchObject({ pods: '20', 'requests.cpu': '6', 'requests.memory': '8Gi' });
    const [st] = await adapter.read(['ts-db']);
    expect(st).toMatchObject({
      exists: true,
      hard: { vcpu: 6, memory: 8 },
      used: { vcpu: 1.5, memory: 0.5 },
    });
    const all = await adapter.read();
    expect(all.map((s) => s.externalName)).toEqual(['ts-db']);
    const [gone] = await adapter.read(['ts-nothing']);
    expect(gone).toMatchObject({ exists: false, hard: {} });
  });

  it('retries a 409 Conflict with the fresh resourceVersion, and gives up after the bound', async () => {
    await adapter.ensure(target('app'), { vcpu: 2 });
    fake.faults.staleNext(2);
    const st = await adapter.ensure(target('app'), { vcpu: 3 });
    expect(st.hard.vcpu).toBe(3);
    expect(fake.state.counts.conflicts).toBe(2);
    fake.faults.staleNext(100);
    const e = await caught(adapter.ensure(target('app'), { vcpu: 4 }));
    expect(e.kind).toBe('conflict');
    expect(e.message).toMatch(/has been modified.*retries/);
    expect(fake.state.quotas.get(`ts-app/${QUOTA_NAME}`)!.spec!.hard!['requests.cpu']).toBe('3');
  });

  it('maps 401, 403, 404, 422, 5xx, resets and garbage to CloudError kinds with the reason', async () => {
    const bad = kubernetesAdapter({
      cloudId: 'k8s-test',
      kind: 'kubernetes',
      endpoint: fake.url,
      region: null,
      settings: { caCert: fake.caCert },
      secrets: { token: 'wrong-token' },
    });
    const e401 = await caught(bad.read());
    expect(e401.kind).toBe('unauthorized');
    expect(e401.message).not.toContain('wrong-token');

    fake.state.forbidden.add('ts-secret');
    const e403 = await caught(adapter.ensure(target('secret'), { vcpu: 1 }));
    expect(e403).toMatchObject({ kind: 'forbidden', status: 403 });
    expect(e403.message).toMatch(/cannot access resources in the namespace "ts-secret"/);

    const e422 = await caught(adapter.ensure({ ...target('x'), externalName: 'Not_A_Label' }, { vcpu: 1 }));
    expect(e422).toMatchObject({ kind: 'rejected', status: 422 });
    expect(e422.message).toMatch(/RFC 1123/);

    fake.faults.failNext(503, 2); // read() lists namespaces and quotas at once: both fail
    expect((await caught(adapter.read())).kind).toBe('unreachable');
    fake.faults.failNext(404, 2);
    expect((await caught(adapter.read())).kind).toBe('not-found');

    fake.faults.garbage(true);
    const eg = await caught(adapter.read());
    expect(eg.kind).toBe('invalid-answer');
    fake.faults.garbage(false);

    fake.faults.down(true);
    const ed = await caught(adapter.read());
    expect(ed.kind).toBe('unreachable');
    fake.faults.down(false);
    expect(await adapter.read()).toEqual([]);
  });

  it('maps failures of the creates a full read hints at (the direct POST path) like the others', async () => {
    // After a full read, a namespace it did not list is created at once: namespace and quota creates
    // go straight to the API server (not through client-node's generated client).
    expect(await adapter.read()).toEqual([]);
    const created = await adapter.ensure(target('hot'), { vcpu: 2, memory: 4 });
    expect(created).toMatchObject({ externalName: 'ts-hot', exists: true, hard: { vcpu: 2, memory: 4 } });
    expect(fake.state.namespaces.get('ts-hot')!.metadata.labels).toMatchObject(target('hot').labels);
    expect(fake.state.quotas.get(`ts-hot/${QUOTA_NAME}`)!.spec!.hard).toMatchObject({ 'requests.cpu': '2' });

    await adapter.read();
    fake.faults.failNext(503, 1);
    const e503 = await caught(adapter.ensure(target('a1'), { vcpu: 1 }));
    expect(e503).toMatchObject({ kind: 'unreachable', status: 503 });
    expect(e503.message).toMatch(/^namespace ts-a1: create: /);

    await adapter.read();
    const e422 = await caught(adapter.ensure({ ...target('x'), externalName: 'Not_A_Label' }, { vcpu: 1 }));
    expect(e422).toMatchObject({ kind: 'rejected', status: 422 });
    expect(e422.message).toMatch(/RFC 1123/);

    await adapter.read();
    fake.faults.garbage(true);
    const eg = await caught(adapter.ensure(target('a2'), { vcpu: 1 }));
    fake.faults.garbage(false);
    expect(eg.kind).toBe('invalid-answer');
    expect(eg.message).toMatch(/does not parse/);

    await adapter.read();
    fake.faults.down(true);
    const ed = await caught(adapter.ensure(target('a3'), { vcpu: 1 }));
    fake.faults.down(false);
    expect(ed.kind).toBe('unreachable');

    // Nothing half-made by the failed creates; the one that went through carried the token (the
    // fake answers 401 without it).
    expect(fake.state.namespaces.has('ts-a1')).toBe(false);
    expect(fake.state.namespaces.has('ts-a3')).toBe(false);
  });

  it('refuses plain http without insecureSkipTlsVerify, and a CA it does not trust', async () => {
    const conn = { cloudId: 'k', kind: 'kubernetes' as const, region: null, secrets: { token: TOKEN } };
    expect(() => kubernetesAdapter({ ...conn, endpoint: 'http://127.0.0.1:1', settings: {} })).toThrow(
      /plain http/,
    );
    const untrusted = kubernetesAdapter({ ...conn, endpoint: fake.url, settings: { timeoutSeconds: 5 } });
    const e = await caught(untrusted.read());
    expect(e.kind).toBe('unreachable');
    expect(e.message).toMatch(/certificate/i);
  });

  it('reports the nodes’ allocatable as capacity', async () => {
    fake.setNode('n1', { cpu: '16', memory: '64Gi', 'nvidia.com/gpu': '2' });
    fake.setNode('n2', { cpu: '7500m', memory: '32768Mi' });
    expect(await adapter.capacity()).toEqual({ vcpu: 23.5, memory: 96, gpu: 2 });
  });

  it('watches the managed quotas and names the namespace that changed', async () => {
    await adapter.ensure(target('w'), { vcpu: 1 });
    const seen: string[] = [];
    const errors: CloudError[] = [];
    const w = adapter.watch!(
      (n) => seen.push(n),
      (e) => errors.push(e),
    );
    const until = async (f: () => boolean) => {
      for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 25));
    };
    await until(() => seen.includes('ts-w')); // the initial ADDED
    expect(seen).toContain('ts-w');
    seen.length = 0;
    fake.editHard('ts-w', QUOTA_NAME, { 'requests.cpu': '99' });
    await until(() => seen.includes('ts-w'));
    expect(seen).toContain('ts-w');
    w.stop();
    expect(errors).toEqual([]);
  });
});
