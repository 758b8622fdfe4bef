import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemIdentity } from '../../control-plane/src/auth/identity.js';
import { quotasRef } from '../../control-plane/src/quotas/module.js';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../support/control-plane.js';

/**
 * The quota module's clouds through the real HTTP server (PGlite): connections with write-only
 * secrets, entered capacity, scoping (a county sees neither the province's connection nor another
 * county's cloud; out of scope reads as absent), and a capacity refresh against a tiny in-test
 * server on loopback that answers 500 or garbage — the error is shown with its reason and the
 * stored capacity is kept.
 */
const TOKEN = 'province-cluster-token-never-shown-4711';
let t: TestControlPlane;
let admin: Session;
let county: Session;
let bad: Server;
let badUrl: string;
let mode: 'error' | 'garbage' = 'error';

const http = (path: string, init?: RequestInit) => fetch(t.cp.url + path, init);

interface CloudOut {
  id: string;
  kind: string;
  access: string;
  connection: { endpoint: string | null; secrets: Record<string, boolean> } | null;
  classes: Array<{
    class: string;
    capacity: number | null;
    capacitySource: string | null;
    allocatable: number | null;
  }>;
  capacityRead: { state: string; error: { kind: string; message: string } | null };
}

async function user(username: string, role: string, orgUnitId: string): Promise<Session> {
  const res = await admin.send('POST', '/api/v1/users', {
    username,
    displayName: username,
    password: `${username}-password-1`,
    roles: [role],
    orgUnitId,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return login(http, username, `${username}-password-1`);
}

beforeAll(async () => {
  bad = createServer((req, res) => {
    if (mode === 'error') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"kind": "NodeList", "items": [{"status": {"allocatable": {"cpu": "banana"}}}');
    }
  });
  await new Promise<void>((resolve) => bad.listen(0, '127.0.0.1', resolve));
  badUrl = `http://127.0.0.1:${(bad.address() as AddressInfo).port}`;
  t = await startTestControlPlane({ listen: true });
  admin = await login(http, 'admin', ADMIN_PASSWORD);
  for (const [id, orgUnitId] of [
    ['sc-cd-jj-cloud', 'sc-cd-jj'],
    ['sc-cd-sl-cloud', 'sc-cd-sl'],
  ] as const) {
    const res = await admin.send('POST', '/api/v1/inventory/clouds', {
      id,
      orgUnitId,
      name: `${id} cloud`,
      kind: 'manual',
      tier: 'department',
    });
    expect(res.status, await res.clone().text()).toBe(201);
  }
  county = await user('jj-cloud-admin', 'cloud-admin', 'sc-cd-jj');
}, 300_000);

afterAll(async () => {
  await t?.close();
  await new Promise<void>((resolve) => bad?.close(() => resolve()));
});

describe('clouds over HTTP', () => {
  it('sets a connection whose secret is write-only', async () => {
    const res = await admin.send('PUT', '/api/v1/quotas/clouds/sc-cd-cloud/connection', {
      endpoint: badUrl,
      // Plain http to loopback: the Kubernetes client then needs TLS verification off.
      settings: { timeoutSeconds: 5, insecureSkipTlsVerify: true },
      secrets: { token: TOKEN },
    });
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(text).not.toContain(TOKEN);
    const c = JSON.parse(text) as CloudOut;
    expect(c.connection).toMatchObject({ endpoint: badUrl, secrets: { token: true } });
    const list = await (await admin.get('/api/v1/quotas/clouds')).text();
    expect(list).not.toContain(TOKEN);
    const audit = await (await admin.get('/api/v1/audit?limit=200')).text();
    expect(audit).not.toContain(TOKEN);
    // Refused input names the field, and the secret is not echoed.
    const refused = await admin.send('PUT', '/api/v1/quotas/clouds/sc-cd-cloud/connection', {
      endpoint: 'http://k8s.example.gov.cn:6443',
      secrets: { token: TOKEN },
    });
    expect(refused.status).toBe(400);
    const body = await refused.text();
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'cloud.endpoint_insecure' } });
    expect(body).not.toContain(TOKEN);
  });

  it('enters capacity and refuses bad amounts with the reason', async () => {
    const ok = await admin.send('PUT', '/api/v1/quotas/clouds/sc-cd-cloud/capacity', {
      classes: { vcpu: { capacity: 1000, overcommit: 3 }, memory: { capacity: 4096 } },
    });
    expect(ok.status, await ok.clone().text()).toBe(200);
    const c = (await ok.json()) as CloudOut;
    expect(c.classes.find((k) => k.class === 'vcpu')).toMatchObject({
      capacity: 1000,
      capacitySource: 'manual',
      allocatable: 3000,
    });
    for (const [classes, code] of [
      [{ cpu: { capacity: 1 } }, 'quota.unknown_class'],
      [{ vcpu: { capacity: 10.5 } }, 'quota.not_whole'],
      [{ vcpu: { capacity: -1 } }, 'quota.negative'],
    ] as const) {
      const res = await admin.send('PUT', '/api/v1/quotas/clouds/sc-cd-cloud/capacity', { classes });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(code);
    }
  });

  it('scopes clouds: a county sees its own, never the province connection nor another county', async () => {
    const list = (await (await county.get('/api/v1/quotas/clouds')).json()) as { items: CloudOut[] };
    expect(list.items.map((c) => c.id)).toEqual(['sc-cd-jj-cloud']);
    for (const id of ['sc-cd-cloud', 'sc-cd-sl-cloud', 'no-such-cloud']) {
      const res = await county.get(`/api/v1/quotas/clouds/${id}`);
      expect(res.status, id).toBe(404);
      const change = await county.send('PUT', `/api/v1/quotas/clouds/${id}/capacity`, {
        classes: { vcpu: { capacity: 1 } },
      });
      expect(change.status, id).toBe(404);
      const conn = await county.send('PUT', `/api/v1/quotas/clouds/${id}/connection`, { kind: 'manual' });
      expect(conn.status, id).toBe(404);
      expect((await county.send('DELETE', `/api/v1/quotas/clouds/${id}/connection`)).status, id).toBe(404);
      expect((await county.send('POST', `/api/v1/quotas/clouds/${id}/refresh`)).status, id).toBe(404);
    }
    // Its own manual cloud: capacity entered, a refresh refused with the reason.
    const own = await county.send('PUT', '/api/v1/quotas/clouds/sc-cd-jj-cloud/capacity', {
      classes: { vcpu: { capacity: 64 } },
    });
    expect(own.status).toBe(200);
    const refresh = await county.send('POST', '/api/v1/quotas/clouds/sc-cd-jj-cloud/refresh');
    expect(refresh.status).toBe(409);
    expect(((await refresh.json()) as { error: { code: string } }).error.code).toBe('cloud.manual');
    // Nothing changed on the city's cloud.
    const prov = (await (await admin.get('/api/v1/quotas/clouds/sc-cd-cloud')).json()) as CloudOut;
    expect(prov.classes.find((k) => k.class === 'vcpu')?.capacity).toBe(1000);
  });

  it('a county holding quota on the city cloud sees it read-only, never its connection', async () => {
    // Through the quota tree's service (its route is the tree part's).
    await t.cp.services.modules.use(quotasRef).tree.setOrgUnitQuota(systemIdentity(), {
      cloudId: 'sc-cd-cloud',
      orgUnitId: 'sc-cd-jj',
      amounts: { vcpu: 100 },
    });
    const res = await county.get('/api/v1/quotas/clouds/sc-cd-cloud');
    const text = await res.text();
    expect(res.status, text).toBe(200);
    expect(text).not.toContain(TOKEN);
    expect(JSON.parse(text)).toMatchObject({ access: 'quota-holder', connection: null, classes: [] });
    const list = (await (await county.get('/api/v1/quotas/clouds')).json()) as { items: CloudOut[] };
    expect(list.items.map((c) => c.id).sort()).toEqual(['sc-cd-cloud', 'sc-cd-jj-cloud']);
    // Still no change, no refresh.
    const change = await county.send('PUT', '/api/v1/quotas/clouds/sc-cd-cloud/capacity', {
      classes: { vcpu: { capacity: 1 } },
    });
    expect(change.status).toBe(404);
    expect((await county.send('POST', '/api/v1/quotas/clouds/sc-cd-cloud/refresh')).status).toBe(404);
  });

  it('a refresh against a cloud answering 500 or garbage shows the error and keeps the capacity', async () => {
    for (const m of ['error', 'garbage'] as const) {
      mode = m;
      const res = await admin.send('POST', '/api/v1/quotas/clouds/sc-cd-cloud/refresh');
      expect(res.status, await res.clone().text()).toBe(200);
      const c = (await res.json()) as CloudOut;
      expect(c.capacityRead.state, m).toBe('error');
      expect(c.capacityRead.error?.message, m).toBeTruthy();
      expect(c.capacityRead.error?.message, m).not.toContain(TOKEN);
      expect(
        c.classes.find((k) => k.class === 'vcpu'),
        m,
      ).toMatchObject({
        capacity: 1000,
        capacitySource: 'manual',
        allocatable: 3000,
      });
      const shown = (await (await admin.get('/api/v1/quotas/clouds')).json()) as { items: CloudOut[] };
      expect(shown.items.find((x) => x.id === 'sc-cd-cloud')?.capacityRead.error?.kind, m).toBe(
        c.capacityRead.error?.kind,
      );
    }
  });

  it('lists the classes and prices the catalogue', async () => {
    const classes = (await (await county.get('/api/v1/quotas/classes')).json()) as {
      items: Array<{ id: string; monthlyPrice: number; overcommit: number }>;
    };
    expect(classes.items.find((c) => c.id === 'vcpu')).toMatchObject({ monthlyPrice: 45, overcommit: 2 });
    const cat = (await (await county.get('/api/v1/quotas/catalogue')).json()) as {
      items: Array<{ id: string; monthlyCost: number }>;
    };
    // small-web: 8 vCPU × 45 + 16 GiB × 20 + 200 GiB × 0.5
    expect(cat.items.find((p) => p.id === 'small-web')?.monthlyCost).toBe(780);
  });
});
