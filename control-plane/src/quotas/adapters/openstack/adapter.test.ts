import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenStack, type FakeOpenStack } from '../../fakes/openstack.js';
import type { CloudConnection, ProjectTarget } from '../../types.js';
import { CloudError } from '../../types.js';
import { OpenStackAdapter, openstackAdapter } from './adapter.js';

/*
 * The OpenStack adapter against the fake OpenStack (fakes/openstack.ts: Keystone v3, Nova, Cinder and
 * Neutron written from their published API references — a test double, because no OpenStack can run
 * on this machine). Debian's `openstack` client reads the same fake back in
 * test/integration/quotas-openstack.test.ts.
 */
const SECRET = 'tianshu-app-cred-secret-0b5d';
let cloud: FakeOpenStack;

const connection = (over: Partial<CloudConnection> = {}): CloudConnection => ({
  cloudId: 'province-cloud',
  kind: 'openstack',
  endpoint: cloud.url,
  region: 'RegionOne',
  settings: {},
  secrets: { applicationCredentialId: 'ac-admin', applicationCredentialSecret: SECRET },
  ...over,
});

const target = (id: string, orgUnitId = 'city-a'): ProjectTarget => ({
  projectId: id,
  externalName: `ts-${id}`,
  orgUnitId,
  orgPath: `/province/${orgUnitId}`,
  labels: {
    'app.kubernetes.io/managed-by': 'tianshu',
    'tianshu.gov.cn/project': id,
    'tianshu.gov.cn/org-unit': orgUnitId,
  },
});

const failure = async (p: Promise<unknown>): Promise<CloudError> => {
  try {
    await p;
  } catch (err) {
    if (err instanceof CloudError) return err;
    throw err;
  }
  throw new Error('expected a CloudError');
};

const writes = () =>
  cloud.state.requests.filter((r) => r.method === 'PUT' || r.method === 'POST' || r.method === 'PATCH');

beforeEach(async () => {
  cloud = await startFakeOpenStack({
    applicationCredentials: [
      { id: 'ac-admin', secret: SECRET },
      { id: 'ac-reader', secret: SECRET, roles: ['reader'] },
    ],
    hypervisors: [
      { vcpus: 64, memory_mb: 262_144 },
      { vcpus: 32, memory_mb: 131_072 },
      { vcpus: 128, memory_mb: 524_288, status: 'disabled' },
    ],
    volumePoolsGb: [4096, 2048],
    externalNetworks: [
      { name: 'public', cidr: '203.0.113.0/24', totalIps: 253 },
      { name: 'egov-extranet', cidr: '198.51.100.0/28', totalIps: 13 },
    ],
  });
});
afterEach(async () => {
  await cloud.close();
});

describe('OpenStackAdapter.ensure', () => {
  it('creates the project with tags naming the org unit and writes its limits', async () => {
    const a = openstackAdapter(connection());
    const state = await a.ensure(target('tax-portal'), {
      vcpu: 16,
      memory: 32,
      'block-storage': 500,
      'public-ip': 3,
    });
    expect(state).toMatchObject({
      externalName: 'ts-tax-portal',
      exists: true,
      hard: { vcpu: 16, memory: 32, 'block-storage': 500, 'public-ip': 3 },
      used: { vcpu: 0, memory: 0, 'block-storage': 0, 'public-ip': 0 },
      labels: { 'tianshu.gov.cn/project': 'tax-portal', 'tianshu.gov.cn/org-unit': 'city-a' },
    });
    const p = cloud.state.projectByName('ts-tax-portal');
    expect(p?.tags).toEqual(['tianshu:managed', 'tianshu:project=tax-portal', 'tianshu:org-unit=city-a']);
    expect(p?.description).toContain('/province/city-a');
    const limits = cloud.state.limits(p!.id);
    expect(limits.compute.cores).toBe(16);
    expect(limits.compute.ram).toBe(32 * 1024);
    expect(limits.volume.gigabytes).toBe(500);
    expect(limits.network.floatingip).toBe(3);
    await a.close();
  });

  it('starts a project it creates at zero of what it was not given, disabled until then', async () => {
    const a = openstackAdapter(connection());
    const state = await a.ensure(target('only-cpu'), { vcpu: 4 });
    // Not the cloud's default quotas (Nova 20 cores / 50 GiB, Cinder 1000 GiB, Neutron 50 IPs).
    expect(state.hard).toEqual({ vcpu: 4, memory: 0, 'block-storage': 0, 'public-ip': 0 });
    const p = cloud.state.projectByName('ts-only-cpu')!;
    expect(p.enabled).toBe(true);
    expect(p.tags).not.toContain('tianshu:pending');
    const create = cloud.state.requests.findIndex(
      (r) => r.method === 'POST' && r.path === '/identity/v3/projects',
    );
    const enable = cloud.state.requests.findIndex((r) => r.method === 'PATCH');
    const firstQuotaWrite = cloud.state.requests.findIndex((r) => r.method === 'PUT');
    expect(create).toBeLessThan(firstQuotaWrite);
    expect(firstQuotaWrite).toBeLessThan(enable);
  });

  it('a project whose first limits failed stays disabled, and the next pass finishes it', async () => {
    const a = openstackAdapter(connection());
    cloud.faults.failNext('network', 503, 1, 'PUT');
    await failure(a.ensure(target('late'), { vcpu: 2 }));
    const p = cloud.state.projectByName('ts-late')!;
    expect(p.enabled).toBe(false);
    expect(p.tags).toContain('tianshu:pending');
    const state = await a.ensure(target('late'), { vcpu: 2 });
    expect(state.hard).toEqual({ vcpu: 2, memory: 0, 'block-storage': 0, 'public-ip': 0 });
    expect(cloud.state.projectByName('ts-late')?.enabled).toBe(true);
  });

  it('writes only the classes given to a project that exists, leaving the others', async () => {
    const a = openstackAdapter(connection());
    await a.ensure(target('partial'), { vcpu: 4, memory: 8, 'public-ip': 2 });
    const p = cloud.state.projectByName('ts-partial')!;
    cloud.state.setLimit(p.id, 'network', 'floatingip', 7); // someone else's change, outside `hard`
    const puts = cloud.state.requests.filter((r) => r.method === 'PUT').length;
    const state = await a.ensure(target('partial'), { vcpu: 6 });
    expect(state.hard).toEqual({ vcpu: 6, memory: 8, 'block-storage': 0, 'public-ip': 7 });
    const newPuts = cloud.state.requests.filter((r) => r.method === 'PUT').slice(puts);
    expect(newPuts.map((r) => r.service)).toEqual(['compute']);
  });

  it('is idempotent: a second pass with the same limits writes nothing', async () => {
    const a = openstackAdapter(connection());
    const hard = { vcpu: 8, memory: 16, 'block-storage': 200 };
    await a.ensure(target('web'), hard);
    const before = writes().length;
    const again = await a.ensure(target('web'), hard);
    expect(writes().length).toBe(before);
    expect(again.hard).toMatchObject(hard);
  });

  it('retags a project whose org unit changed, and refuses one of another Tianshu project', async () => {
    const a = openstackAdapter(connection());
    await a.ensure(target('moved', 'city-a'), { vcpu: 1 });
    const state = await a.ensure(target('moved', 'county-b'), { vcpu: 1 });
    expect(state.labels?.['tianshu.gov.cn/org-unit']).toBe('county-b');
    expect(cloud.state.projectByName('ts-moved')?.tags).toContain('tianshu:org-unit=county-b');

    const clash = { ...target('other'), externalName: 'ts-moved' };
    const err = await failure(a.ensure(clash, { vcpu: 1 }));
    expect(err.kind).toBe('conflict');
    expect(err.message).toContain('belongs to Tianshu project moved');
  });

  it('maps Nova refusing a limit below what servers use, with its message', async () => {
    const a = openstackAdapter(connection());
    await a.ensure(target('busy'), { vcpu: 16 });
    const p = cloud.state.projectByName('ts-busy')!;
    cloud.state.setUsage(p.id, 'compute', 'cores', 12);
    const err = await failure(a.ensure(target('busy'), { vcpu: 8 }));
    expect(err.kind).toBe('rejected');
    expect(err.status).toBe(400);
    expect(err.message).toContain('must be greater than or equal to already used and reserved 12');
    expect(cloud.state.limits(p.id).compute.cores).toBe(16);

    const forced = openstackAdapter(connection({ settings: { forceBelowUsage: true } }));
    const state = await forced.ensure(target('busy'), { vcpu: 8 });
    expect(state.hard.vcpu).toBe(8);
    expect(state.used.vcpu).toBe(12);
  });

  it('puts back what it wrote when a later service refuses, so nothing is half-applied', async () => {
    const a = openstackAdapter(connection());
    await a.ensure(target('half'), { vcpu: 4, 'block-storage': 100 });
    const p = cloud.state.projectByName('ts-half')!;
    cloud.faults.failNext('volume', 400, 1, 'PUT');
    const err = await failure(a.ensure(target('half'), { vcpu: 6, 'block-storage': 300 }));
    expect(err.kind).toBe('rejected');
    expect(err.message).toContain('Cinder answered 400 to PUT');
    expect(err.message).toContain('Nova put back as before');
    expect(cloud.state.limits(p.id).compute.cores).toBe(4);
    expect(cloud.state.limits(p.id).volume.gigabytes).toBe(100);
  });

  it('refuses classes OpenStack cannot enforce before touching the cloud', async () => {
    const a = openstackAdapter(connection());
    const err = await failure(a.ensure(target('gpu-box'), { vcpu: 16, gpu: 2 }));
    expect(err.kind).toBe('rejected');
    expect(err.message).toContain('gpu');
    expect(cloud.state.projectByName('ts-gpu-box')).toBeUndefined();
    expect(writes()).toHaveLength(0);
  });

  it('is forbidden without the admin role', async () => {
    const a = openstackAdapter(
      connection({ secrets: { applicationCredentialId: 'ac-reader', applicationCredentialSecret: SECRET } }),
    );
    const err = await failure(a.ensure(target('nope'), { vcpu: 1 }));
    expect(err.kind).toBe('forbidden');
    expect(err.message).toContain('identity:create_project');
  });
});

describe('OpenStackAdapter and the catalog', () => {
  it('uses the interface the settings name', async () => {
    const a = openstackAdapter(connection({ settings: { interface: 'internal' } }));
    await a.ensure(target('inside'), { vcpu: 2, 'public-ip': 1 });
    const services = cloud.state.requests.filter((r) => r.service !== 'identity');
    expect(services.length).toBeGreaterThan(0);
    expect(new Set(services.map((r) => r.iface))).toEqual(new Set(['internal']));
  });

  it('refuses classes of a service the catalog lacks, before writing, and reads the others', async () => {
    await cloud.close();
    cloud = await startFakeOpenStack({
      applicationCredentials: [{ id: 'ac-admin', secret: SECRET }],
      omitServices: ['network'],
    });
    const a = openstackAdapter(connection());
    const err = await failure(a.ensure(target('no-net'), { vcpu: 2, 'public-ip': 1 }));
    expect(err.kind).toBe('not-found');
    expect(err.message).toContain('Neutron');
    expect(cloud.state.projectByName('ts-no-net')).toBeUndefined();
    const state = await a.ensure(target('no-net'), { vcpu: 2 });
    expect(state.hard).toEqual({ vcpu: 2, memory: 0, 'block-storage': 0 });
    expect(await a.capacity()).not.toHaveProperty('public-ip');
  });
});

describe('OpenStackAdapter.read', () => {
  it('lists the managed projects with limits and usage, not the others', async () => {
    const a = openstackAdapter(connection());
    await a.ensure(target('one'), { vcpu: 2, memory: 4 });
    await a.ensure(target('two'), { 'public-ip': 2 });
    const two = cloud.state.projectByName('ts-two')!;
    cloud.state.setUsage(two.id, 'network', 'floatingip', 1);
    cloud.state.setUsage(two.id, 'compute', 'ram', 3072);
    const states = await a.read();
    expect(states.map((s) => s.externalName).sort()).toEqual(['ts-one', 'ts-two']);
    const s2 = states.find((s) => s.externalName === 'ts-two')!;
    expect(s2.hard['public-ip']).toBe(2);
    expect(s2.used['public-ip']).toBe(1);
    expect(s2.used.memory).toBe(3);
  });

  it('reads the names given, absent ones as not existing', async () => {
    const a = openstackAdapter(connection());
    await a.ensure(target('here'), { vcpu: 3 });
    const states = await a.read(['ts-here', 'ts-missing']);
    expect(states[0]).toMatchObject({ externalName: 'ts-here', exists: true, hard: { vcpu: 3 } });
    expect(states[1]).toEqual({ externalName: 'ts-missing', exists: false, hard: {}, used: {} });
  });

  it('sees a limit someone changed on the cloud (drift)', async () => {
    const a = openstackAdapter(connection());
    await a.ensure(target('drift'), { vcpu: 10 });
    cloud.state.setLimit(cloud.state.projectByName('ts-drift')!.id, 'compute', 'cores', 99);
    const [state] = await a.read(['ts-drift']);
    expect(state?.hard.vcpu).toBe(99);
  });
});

describe('OpenStackAdapter.capacity', () => {
  it('sums enabled hypervisors, Cinder pools and the external networks’ addresses', async () => {
    const a = openstackAdapter(connection());
    expect(await a.capacity()).toEqual({
      vcpu: 96,
      memory: 384,
      'block-storage': 6144,
      'public-ip': 253 + 13,
    });
  });

  it('leaves block storage out when Cinder hides its pools', async () => {
    const a = openstackAdapter(connection());
    cloud.faults.failNext('volume', 403, 1);
    expect(await a.capacity()).toEqual({ vcpu: 96, memory: 384, 'public-ip': 266 });
  });

  it('fails when Nova cannot say its hypervisors', async () => {
    const a = openstackAdapter(connection());
    cloud.faults.failNext('compute', 500, 1);
    const err = await failure(a.capacity());
    expect(err.kind).toBe('unreachable');
    expect(err.message).toContain('Nova answered 500');
  });
});

describe('OpenStackAdapter failures', () => {
  it('a cloud that is down is unreachable', async () => {
    const a = openstackAdapter(connection());
    cloud.faults.down(true);
    const err = await failure(a.read());
    expect(err.kind).toBe('unreachable');
  });

  it('a cloud that answers garbage is an invalid answer', async () => {
    const a = openstackAdapter(connection());
    await a.read();
    cloud.faults.garbage(true);
    const err = await failure(a.ensure(target('g'), { vcpu: 1 }));
    expect(err.kind).toBe('invalid-answer');
  });

  it('a service error keeps its kind and message', async () => {
    const a = openstackAdapter(connection());
    await a.ensure(target('s'), { 'public-ip': 1 });
    cloud.faults.failNext('network', 503, 1);
    const err = await failure(a.read(['ts-s']));
    expect(err.kind).toBe('unreachable');
    expect(err.status).toBe(503);
    expect(err.message).toContain('Neutron answered 503');
    expect(err.message).toContain('Injected failure');
  });

  it('renews the token on a 401 from a service once', async () => {
    const a = openstackAdapter(connection());
    await a.read();
    cloud.state.expireTokens();
    await a.ensure(target('renew'), { vcpu: 2 });
    expect(cloud.state.tokensIssued()).toBe(2);
  });

  it('a bad secret is unauthorized and the message never holds it', async () => {
    const a = openstackAdapter(
      connection({
        secrets: { applicationCredentialId: 'ac-admin', applicationCredentialSecret: 'not-the-secret' },
      }),
    );
    const err = await failure(a.capacity());
    expect(err.kind).toBe('unauthorized');
    expect(err.message).not.toContain('not-the-secret');
  });

  it('an answer with the wrong shape is an invalid answer', async () => {
    // A Keystone that answers 201 without a token header: not a Keystone v3 token.
    const server: Server = createServer((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end('{"token":{}}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as AddressInfo).port;
      const a = openstackAdapter(connection({ endpoint: `http://127.0.0.1:${port}/v3` }));
      const err = await failure(a.read());
      expect(err.kind).toBe('invalid-answer');
      expect(err.message).toContain('X-Subject-Token');
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('a cloud that never answers times out', async () => {
    const server: Server = createServer(() => undefined);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (server.address() as AddressInfo).port;
      const a = openstackAdapter(
        connection({ endpoint: `http://127.0.0.1:${port}/v3`, settings: { timeoutSeconds: 1 } }),
      );
      const err = await failure(a.capacity());
      expect(err.kind).toBe('timeout');
      expect(err.message).toContain('within 1 s');
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('refuses a connection without its secrets or with bad settings', () => {
    expect(() => new OpenStackAdapter(connection({ secrets: {} }))).toThrow(/applicationCredentialId/);
    expect(() => new OpenStackAdapter(connection({ settings: { interface: 'private' } }))).toThrow(
      /settings are invalid/,
    );
  });
});
