import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SecretBox } from '../../auth/crypto.js';
import { openTestInventory, type TestInventory } from '../../inventory/testing.js';
import { createLogger } from '../../logger.js';
import type { ModuleDeps } from '../../modules/contract.js';
import { PolicyStore } from '../../policies/index.js';
import { QUOTAS_POLICY } from '../module.js';
import { QuotasPolicy } from '../policy.js';
import { CloudError, type AdapterFactory, type Amounts, type CloudAdapter } from '../types.js';
import { monthlyCost } from './routes.js';
import { QuotaClouds, type CloudConnectionsFile } from './service.js';
import { allocatableOf, scrubSecrets } from './validate.js';

const POLICIES = fileURLToPath(new URL('../../../../policies', import.meta.url));
const TOKEN = 'k8s-bearer-token-that-must-never-leak-0123456789';

/**
 * The clouds part against PGlite with the demo org units and the shipped policy. The cloud adapters
 * here are test doubles (a function answering `capacity()`): the real adapters have their own tests
 * against the fakes of the Kubernetes API server and OpenStack.
 */
let t: TestInventory;
let clouds: QuotaClouds;
let logged: string;
let answer: () => Promise<Amounts>;
let closed: number;

function fakeAdapter(kind: 'kubernetes' | 'openstack'): AdapterFactory {
  return () =>
    ({
      kind,
      capacity: () => answer(),
      ensure: () => Promise.reject(new Error('not in this test')),
      read: () => Promise.resolve([]),
      close: () => {
        closed++;
        return Promise.resolve();
      },
    }) satisfies CloudAdapter;
}

let auditFrom = 0;
/** Audit actions since the test began. */
async function actions(): Promise<string[]> {
  const r = await t.db.query<{ action: string }>('SELECT action FROM audit_log WHERE id > $1 ORDER BY id', [
    auditFrom,
  ]);
  return r.rows.map((x) => x.action);
}

beforeEach(async () => {
  logged = '';
  closed = 0;
  answer = () => Promise.resolve({});
  await t.db.query('DELETE FROM quota_cloud_connections');
  await t.db.query('DELETE FROM quota_cloud_classes');
  await t.db.query('DELETE FROM quota_cloud_reads');
  await t.db.query("UPDATE clouds SET kind = 'vmware' WHERE id = 'sc-vmware'");
  const r = await t.db.query<{ n: number | null }>('SELECT max(id)::int AS n FROM audit_log');
  auditFrom = r.rows[0]?.n ?? 0;
});

// One store for the file (opening and migrating PGlite is the slow part); each test starts clean.
beforeAll(async () => {
  t = await openTestInventory();
  const log = createLogger(
    'debug',
    'test',
    new Writable({
      write(chunk: Buffer, _e, cb) {
        logged += chunk.toString();
        cb();
      },
    }),
  );
  const policies = PolicyStore.load(POLICIES, createLogger('silent'), [QUOTAS_POLICY]);
  const d = {
    db: t.db,
    audit: t.audit,
    log,
    config: {},
    sealer: new SecretBox(randomBytes(32)),
    sealerProblem: undefined,
  } as unknown as ModuleDeps;
  clouds = new QuotaClouds(d, {
    policy: () => policies.get(QUOTAS_POLICY),
    adapters: { kubernetes: fakeAdapter('kubernetes'), openstack: fakeAdapter('openstack') },
  });
  await t.inventory.clouds.create(t.system, {
    id: 'sc-k8s',
    orgUnitId: 'sc',
    name: 'Province k8s',
    kind: 'kubernetes',
    tier: 'provincial',
  });
  await t.inventory.clouds.create(t.system, {
    id: 'sc-cd-manual',
    orgUnitId: 'sc-cd',
    name: 'Chengdu manual',
    kind: 'manual',
    tier: 'department',
  });
  await t.inventory.clouds.create(t.system, {
    id: 'sc-vmware',
    orgUnitId: 'sc',
    name: 'VMware',
    kind: 'vmware',
    tier: 'provincial',
  });
}, 180_000);
afterAll(async () => {
  await t.close();
});

describe('capacity and overcommit', () => {
  it('multiplies capacity by overcommit and floors whole-unit classes', () => {
    expect(allocatableOf(10, 2, true)).toBe(20);
    expect(allocatableOf(0.1, 30, true)).toBe(3); // not 2.9999…
    expect(allocatableOf(7, 1.5, true)).toBe(10);
    expect(allocatableOf(7, 1.5, false)).toBe(10.5);
  });

  it("uses the cloud's factor, else the policy's default, else 1", async () => {
    const admin = await t.as('cloud-admin', 'sc');
    await clouds.setCapacity(admin, 'sc-cd-manual', {
      classes: { vcpu: { capacity: 100 }, memory: { capacity: 400, overcommit: 1.5 }, gpu: { capacity: 3 } },
    });
    const c = (await clouds.capacity('sc-cd-manual'))!;
    expect(c.overcommit.vcpu).toBe(2); // policies/quotas.yaml
    expect(c.overcommit.memory).toBe(1.5); // the cloud's own
    expect(c.overcommit.gpu).toBe(1); // neither
    expect(c.allocatable).toEqual({ vcpu: 200, memory: 600, gpu: 3 });
    expect(c.capacity.vcpu).toMatchObject({ amount: 100, source: 'manual' });
    expect(c.capacity['block-storage']).toBeUndefined();
    // null clears an entry.
    await clouds.setCapacity(admin, 'sc-cd-manual', { classes: { memory: { overcommit: null } } });
    expect((await clouds.capacity('sc-cd-manual'))!.allocatable.memory).toBe(400);
  });

  it('answers undefined for clouds not under quota management or absent', async () => {
    expect(await clouds.capacity('sc-vmware')).toBeUndefined();
    expect(await clouds.capacity('nope')).toBeUndefined();
    expect((await clouds.managedClouds()).map((c) => c.cloudId)).toEqual(['sc-cd-manual', 'sc-k8s']);
  });

  it('refuses bad capacity with the reason and changes nothing', async () => {
    const admin = await t.as('cloud-admin', 'sc');
    const put = (classes: Record<string, { capacity?: number; overcommit?: number }>) =>
      clouds.setCapacity(admin, 'sc-cd-manual', { classes });
    await expect(put({ vcpu: { capacity: 10 }, cpu: { capacity: 1 } })).rejects.toMatchObject({
      code: 'quota.unknown_class',
      message: expect.stringMatching(/unknown resource class "cpu" \(known: vcpu, memory/),
    });
    await expect(put({ vcpu: { capacity: -1 } })).rejects.toMatchObject({ code: 'quota.negative' });
    await expect(put({ vcpu: { capacity: 10 }, gpu: { capacity: 1.5 } })).rejects.toMatchObject({
      code: 'quota.not_whole',
      message: expect.stringContaining('gpu is counted in whole card'),
    });
    await expect(put({ vcpu: { overcommit: 0.5 } })).rejects.toMatchObject({
      code: 'quota.overcommit_range',
    });
    // The valid vcpu of the refused requests was not kept.
    expect((await clouds.capacity('sc-cd-manual'))!.capacity).toEqual({});
    expect((await actions()).filter((a) => a.startsWith('quota-cloud'))).toEqual([]);
  });

  it('refuses a capacity that would fall below what is allocated', async () => {
    const admin = await t.as('cloud-admin', 'sc');
    await clouds.setCapacity(admin, 'sc-cd-manual', { classes: { vcpu: { capacity: 100 } } });
    const allocated = () => Promise.resolve({ vcpu: 150 });
    await expect(
      clouds.setCapacity(admin, 'sc-cd-manual', { classes: { vcpu: { capacity: 50 } } }, allocated),
    ).rejects.toMatchObject({ code: 'quota.exceeds_capacity' });
    expect((await clouds.capacity('sc-cd-manual'))!.allocatable.vcpu).toBe(200);
  });

  it('keeps changes to the owner subtree: a city cannot touch the province', async () => {
    const city = await t.as('cloud-admin', 'sc-cd');
    await expect(
      clouds.setCapacity(city, 'sc-k8s', { classes: { vcpu: { capacity: 1 } } }),
    ).rejects.toMatchObject({ status: 404 });
    const applicant = await t.as('applicant', 'sc');
    await expect(
      clouds.setCapacity(applicant, 'sc-k8s', { classes: { vcpu: { capacity: 1 } } }),
    ).rejects.toMatchObject({ status: 403 });
    expect((await clouds.list(city)).map((c) => c.id)).toEqual(['sc-cd-manual']);
  });
});

describe('connections', () => {
  it('seals the secret: never in a response, a log line or the audit log', async () => {
    const admin = await t.as('cloud-admin', 'sc');
    const view = await clouds.setConnection(admin, 'sc-k8s', {
      endpoint: 'https://k8s.example:6443',
      settings: { insecureSkipTlsVerify: false },
      secrets: { token: TOKEN },
    });
    expect(view.connection).toMatchObject({
      endpoint: 'https://k8s.example:6443',
      settings: { insecureSkipTlsVerify: false },
      secrets: { token: true },
    });
    expect(JSON.stringify(view)).not.toContain(TOKEN);
    const row = await t.db.query<{ secret: string }>('SELECT secret FROM quota_cloud_connections');
    expect(row.rows[0]!.secret).toMatch(/^v1\./);
    expect(row.rows[0]!.secret).not.toContain(TOKEN);
    // Unsealed only for the parts in process.
    expect((await clouds.connection('sc-k8s'))!.secrets).toEqual({ token: TOKEN });
    // A read that fails with the token in the adapter's message: scrubbed where it is recorded.
    answer = () => Promise.reject(new CloudError('unauthorized', `token ${TOKEN} refused`, 401));
    const o = await clouds.readCapacity('sc-k8s');
    expect(o).toEqual({ ok: false, error: { kind: 'unauthorized', message: 'token [secret] refused' } });
    const audit = await t.db.query<{ details: unknown }>('SELECT details FROM audit_log');
    expect(JSON.stringify(audit.rows)).not.toContain(TOKEN);
    expect(JSON.stringify((await clouds.list(admin))[0])).not.toContain(TOKEN);
    expect(logged).toContain('reading cloud capacity failed');
    expect(logged).not.toContain(TOKEN);
  });

  it('keeps a stored secret when the change sends none, and needs one to start with', async () => {
    const admin = await t.as('cloud-admin', 'sc');
    await expect(
      clouds.setConnection(admin, 'sc-k8s', { endpoint: 'https://k8s.example:6443' }),
    ).rejects.toMatchObject({ code: 'cloud.secret_missing' });
    await clouds.setConnection(admin, 'sc-k8s', {
      endpoint: 'https://k8s.example:6443',
      secrets: { token: TOKEN },
    });
    await clouds.setConnection(admin, 'sc-k8s', { endpoint: 'https://k8s2.example:6443' });
    expect(await clouds.connection('sc-k8s')).toMatchObject({
      endpoint: 'https://k8s2.example:6443',
      secrets: { token: TOKEN },
    });
  });

  it('refuses bad connections with the field at fault', async () => {
    const admin = await t.as('cloud-admin', 'sc');
    const put = (body: Parameters<QuotaClouds['setConnection']>[2]) =>
      clouds.setConnection(admin, 'sc-k8s', body);
    await expect(
      put({ endpoint: 'http://k8s.example:6443', secrets: { token: TOKEN } }),
    ).rejects.toMatchObject({ code: 'cloud.endpoint_insecure' });
    await expect(
      put({ endpoint: 'https://user:pw@k8s.example', secrets: { token: TOKEN } }),
    ).rejects.toMatchObject({ code: 'cloud.connection_invalid' });
    await expect(put({ endpoint: 'https://k8s.example', settings: { token: TOKEN } })).rejects.toMatchObject({
      message: expect.stringContaining('"token" is a secret: send it in secrets'),
    });
    await expect(
      put({ endpoint: 'https://k8s.example', secrets: { token: TOKEN, password: 'x1234' } }),
    ).rejects.toMatchObject({ message: expect.stringContaining('secrets.password: unknown secret') });
    await expect(
      put({ endpoint: 'https://k8s.example', settings: { caCert: 'not a pem' }, secrets: { token: TOKEN } }),
    ).rejects.toMatchObject({ message: expect.stringContaining('caCert is a PEM certificate') });
    // OpenStack: the Keystone v3 URL and both halves of the application credential.
    await expect(
      put({
        kind: 'openstack',
        endpoint: 'https://keystone.example:5000/v3',
        secrets: { applicationCredentialId: 'abc' },
      }),
    ).rejects.toMatchObject({ code: 'cloud.secret_missing' });
    await expect(
      put({ endpoint: 'https://k8s.example', settings: { timeoutSeconds: 0 }, secrets: { token: TOKEN } }),
    ).rejects.toMatchObject({ message: expect.stringContaining('timeoutSeconds is a number of seconds') });
    // Plain http to loopback (the embedded simulated clouds) is fine.
    await put({ endpoint: 'http://127.0.0.1:6443', secrets: { token: TOKEN } });
    // None of the refused attempts left a trace of the token.
    expect(logged).not.toContain(TOKEN);
    expect(JSON.stringify((await t.db.query('SELECT details FROM audit_log')).rows)).not.toContain(TOKEN);
  });

  it('takes the Keystone v3 URL, adding /v3 when missing', async () => {
    const admin = await t.as('cloud-admin', 'sc');
    const v = await clouds.setConnection(admin, 'sc-k8s', {
      kind: 'openstack',
      endpoint: 'https://keystone.example:5000',
      settings: { interface: 'internal', concurrency: 4 },
      secrets: { applicationCredentialId: 'app-id', applicationCredentialSecret: 'app-secret-value' },
    });
    expect(v.kind).toBe('openstack');
    expect(v.connection).toMatchObject({
      endpoint: 'https://keystone.example:5000/v3',
      secrets: { applicationCredentialId: true, applicationCredentialSecret: true },
    });
    await t.db.query("UPDATE clouds SET kind = 'kubernetes' WHERE id = 'sc-k8s'");
  });

  it('changes the kind to a managed one and audits it; a manual cloud has no secrets', async () => {
    const admin = await t.as('cloud-admin', 'sc');
    await clouds.setConnection(admin, 'sc-vmware', { kind: 'manual' });
    expect((await t.inventory.clouds.get(t.system, 'sc-vmware')).kind).toBe('manual');
    await expect(
      clouds.setConnection(admin, 'sc-vmware', { secrets: { token: TOKEN } }),
    ).rejects.toMatchObject({ message: expect.stringContaining('(it has none)') });
    expect(await actions()).toEqual(
      expect.arrayContaining(['cloud.update', 'quota-cloud-connection.create']),
    );
    await clouds.deleteConnection(admin, 'sc-vmware');
    await expect(clouds.deleteConnection(admin, 'sc-vmware')).rejects.toMatchObject({
      code: 'cloud.no_connection',
    });
  });

  it('refuses to store secrets without the secret key, naming the problem', async () => {
    const d = { ...clouds.d, sealerProblem: 'no secretKey is configured' } as ModuleDeps;
    const c = new QuotaClouds(d, clouds.parts);
    const admin = await t.as('cloud-admin', 'sc');
    await expect(
      c.setConnection(admin, 'sc-k8s', { endpoint: 'https://k8s.example', secrets: { token: TOKEN } }),
    ).rejects.toMatchObject({ code: 'secret.unavailable', message: expect.stringContaining('no secretKey') });
  });
});

describe('capacity read from the cloud', () => {
  beforeEach(async () => {
    const admin = await t.as('cloud-admin', 'sc');
    await clouds.setConnection(admin, 'sc-k8s', {
      endpoint: 'https://k8s.example:6443',
      secrets: { token: TOKEN },
    });
    await clouds.setCapacity(admin, 'sc-k8s', {
      classes: { vcpu: { capacity: 10 }, gpu: { capacity: 4 } },
    });
  });

  it('replaces cloud-sourced classes, keeps manual entries for classes the cloud does not report', async () => {
    answer = () => Promise.resolve({ vcpu: 64, memory: 256, 'ephemeral-storage': 1000 });
    expect(await clouds.readCapacity('sc-k8s')).toEqual({ ok: true, classes: ['memory', 'vcpu'] });
    let c = (await clouds.capacity('sc-k8s'))!;
    expect(c.capacity.vcpu).toMatchObject({ amount: 64, source: 'cloud' });
    expect(c.capacity.memory).toMatchObject({ amount: 256, source: 'cloud' });
    expect(c.capacity.gpu).toMatchObject({ amount: 4, source: 'manual' });
    expect(closed).toBe(1);
    // The class the policy does not know is counted, not stored.
    const admin = await t.as('cloud-admin', 'sc');
    expect((await clouds.get(admin, 'sc-k8s')).capacityRead).toMatchObject({
      state: 'ok',
      ignoredClasses: ['ephemeral-storage'],
    });
    // The cloud stops reporting vcpu: the entered 10 applies again.
    answer = () => Promise.resolve({ memory: 256 });
    await clouds.readCapacity('sc-k8s');
    c = (await clouds.capacity('sc-k8s'))!;
    expect(c.capacity.vcpu).toMatchObject({ amount: 10, source: 'manual' });
    expect(await actions()).toContain('quota-cloud-capacity.reported');
  });

  it('records a failure or a garbage answer with its reason and keeps the stored capacity', async () => {
    answer = () => Promise.resolve({ vcpu: 64 });
    await clouds.readCapacity('sc-k8s');
    answer = () => Promise.reject(new CloudError('unreachable', 'connect ECONNREFUSED 127.0.0.1:1'));
    expect(await clouds.readCapacity('sc-k8s')).toMatchObject({ ok: false, error: { kind: 'unreachable' } });
    answer = () => Promise.resolve({ vcpu: -5 } as Amounts);
    expect(await clouds.readCapacity('sc-k8s')).toEqual({
      ok: false,
      error: { kind: 'invalid-answer', message: 'the cloud reported vcpu = -5, not an amount' },
    });
    answer = () => Promise.resolve('<html>' as unknown as Amounts);
    expect(await clouds.readCapacity('sc-k8s')).toMatchObject({
      ok: false,
      error: { kind: 'invalid-answer' },
    });
    answer = () => Promise.reject(new TypeError('Cannot read properties of undefined'));
    expect(await clouds.readCapacity('sc-k8s')).toMatchObject({
      ok: false,
      error: { kind: 'invalid-answer' },
    });
    const admin = await t.as('cloud-admin', 'sc');
    const v = await clouds.get(admin, 'sc-k8s');
    expect(v.capacityRead).toMatchObject({ state: 'error', error: { kind: 'invalid-answer' } });
    expect(v.capacityRead.lastOkAt).not.toBeNull();
    expect((await clouds.capacity('sc-k8s'))!.capacity.vcpu).toMatchObject({ amount: 64, source: 'cloud' });
    expect(closed).toBe(5);
  });

  it('the job reads every connected cloud and never throws', async () => {
    answer = () => Promise.reject(new Error('boom'));
    const [job] = clouds.jobs();
    expect(job!.name).toBe('quotas.capacity');
    await expect(job!.run()).resolves.toBeUndefined();
    expect(await clouds.readAll()).toEqual({ ok: 0, failed: 1 });
  });
});

describe('the cloud connections file', () => {
  it('loads connections and entered capacity, and loading it again changes nothing', async () => {
    const file: CloudConnectionsFile = {
      version: 1,
      clouds: [
        {
          cloudId: 'sc-k8s',
          endpoint: 'https://k8s.example:6443',
          secrets: { token: TOKEN },
          capacity: { 'block-storage': { capacity: 5000 } },
        },
        { cloudId: 'sc-cd-manual', capacity: { vcpu: { capacity: 10, overcommit: 4 } } },
      ],
    };
    expect(await clouds.applyConnectionsFile(t.system, file)).toEqual({ connections: 1, capacities: 2 });
    expect(await clouds.applyConnectionsFile(t.system, file)).toEqual({ connections: 0, capacities: 0 });
    expect((await clouds.connection('sc-k8s'))!.secrets).toEqual({ token: TOKEN });
    expect((await clouds.capacity('sc-cd-manual'))!.allocatable.vcpu).toBe(40);
    // A changed secret is a change.
    file.clouds[0]!.secrets = { token: `${TOKEN}-2` };
    expect(await clouds.applyConnectionsFile(t.system, file)).toEqual({ connections: 1, capacities: 0 });
    expect(JSON.stringify((await t.db.query('SELECT details FROM audit_log')).rows)).not.toContain(TOKEN);
  });

  it('refuses a file naming a cloud the inventory lacks, loading nothing of it', async () => {
    await expect(
      clouds.applyConnectionsFile(t.system, {
        version: 1,
        clouds: [
          { cloudId: 'sc-cd-manual', capacity: { vcpu: { capacity: 10 } } },
          { cloudId: 'sc-nowhere', kind: 'manual' },
        ],
      }),
    ).rejects.toThrow('cloud "sc-nowhere" is not in the inventory');
    expect((await clouds.capacity('sc-cd-manual'))!.capacity).toEqual({});
  });
});

describe('the policy and the catalogue', () => {
  it('prices packages from the class prices', () => {
    const price = new Map([
      ['vcpu', 45],
      ['memory', 20],
      ['block-storage', 0.5],
    ]);
    expect(monthlyCost({ vcpu: 8, memory: 16, 'block-storage': 200 }, price)).toBe(780);
  });

  it('refuses a catalogue naming an unknown class, or fractional whole units, with the reason', () => {
    const base = {
      version: 1,
      classes: [{ id: 'vcpu', names: { 'zh-CN': 'v', en: 'v' }, unit: 'vCPU', monthlyPrice: 1 }],
    };
    const bad = QuotasPolicy.safeParse({
      ...base,
      overcommit: { cpu: 2 },
      catalogue: [
        { id: 'a', names: { 'zh-CN': 'a', en: 'a' }, resources: { vcpu: 1.5 } },
        { id: 'b', names: { 'zh-CN': 'b', en: 'b' }, resources: { gpu: 1 } },
      ],
    });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => i.message);
    expect(messages).toContain('overcommit names the unknown class "cpu" (classes: vcpu)');
    expect(messages).toContain('package "a": vcpu is counted in whole vCPU (got 1.5)');
    expect(messages).toContain('package "b" names the unknown class "gpu" (classes: vcpu)');
    expect(QuotasPolicy.safeParse(base).success).toBe(true);
  });

  it('scrubs secrets from text', () => {
    expect(scrubSecrets('a secret-1 b secret-1', { t: 'secret-1' })).toBe('a [secret] b [secret]');
  });
});
