import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../../../test/support/control-plane.js';

let t: TestControlPlane;
let admin: Session;
// A copy of the policies, since one test replaces a policy file through the API.
const policiesDir = mkdtempSync(join(tmpdir(), 'tianshu-app-policies-'));

beforeAll(async () => {
  cpSync(new URL('../../../policies', import.meta.url).pathname, policiesDir, { recursive: true });
  t = await startTestControlPlane({ overrides: { policiesDir } });
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
});
afterAll(async () => {
  await t?.close();
  rmSync(policiesDir, { recursive: true, force: true });
});

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

async function enrolAgent(orgUnitId = 'sc'): Promise<{ agentId: string; credential: string; auth: string }> {
  const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: 't',
    orgUnitId,
    roles: ['host'],
    maxUses: 1,
  });
  expect(tok.status).toBe(201);
  const { token } = (await tok.json()) as { token: string };
  const res = await t.request(
    '/api/v1/fleet/enrol',
    json({ token, hostname: `h-${randomUUID().slice(0, 8)}`, roles: ['host'], version: '0.1.0' }),
  );
  expect(res.status).toBe(201);
  const body = (await res.json()) as { agentId: string; credential: string };
  return { ...body, auth: `Bearer ${body.agentId}.${body.credential}` };
}

function batch(samples: number, t0 = Date.now()) {
  return {
    batchId: randomUUID(),
    sequence: 1,
    createdAt: new Date().toISOString(),
    payloads: [
      {
        kind: 'host-metrics' as const,
        host: 'test-host',
        series: [
          {
            name: 'node_load1',
            labels: {},
            points: Array.from({ length: samples }, (_, i) => [t0 + i * 1000, i / 10]),
          },
        ],
      },
    ],
  };
}

describe('health and authentication', () => {
  it('answers /healthz and /readyz without authentication', async () => {
    expect((await t.request('/healthz')).status).toBe(200);
    const ready = await t.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { state: 'ok', telemetry: 'ok' } });
  });

  it('logs in with a session cookie that is HttpOnly and SameSite=Strict', async () => {
    const res = await t.request('/api/v1/auth/login', json({ username: 'admin', password: ADMIN_PASSWORD }));
    expect(res.status).toBe(200);
    const cookie = res.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^tianshu_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const body = (await res.json()) as { user: { username: string; roles: string[] }; csrfToken: string };
    expect(body.user.username).toBe('admin');
    expect(body.csrfToken.length).toBeGreaterThan(20);
  });

  it('answers a wrong password with 401 and a message', async () => {
    const res = await t.request(
      '/api/v1/auth/login',
      json({ username: 'admin', password: 'wrong-password-123' }),
    );
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      error: { code: 'auth.invalid_credentials', message: 'wrong username or password' },
    });
  });

  it('requires a session for /api/v1/agents and lists agents with one', async () => {
    expect((await t.request('/api/v1/agents')).status).toBe(401);
    const res = await admin.get('/api/v1/agents');
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveProperty('items');
  });

  it('refuses cookie-authenticated changes without the CSRF token', async () => {
    const res = await t.request('/api/v1/auth/tokens', {
      method: 'POST',
      headers: { cookie: admin.cookie, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'x' }),
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/csrf/i);
  });

  it('requires authentication on every route except health, login and enrolment', async () => {
    const open = new Set([
      'GET /healthz',
      'GET /readyz',
      'POST /api/v1/auth/login',
      'POST /api/v1/fleet/enrol',
    ]);
    const routes = t.cp.built.router.routes;
    expect(routes.length).toBeGreaterThan(20);
    for (const r of routes) {
      const key = `${r.method} ${r.path}`;
      if (open.has(key)) {
        expect(r.auth, key).toBe('public');
        continue;
      }
      expect(r.auth, key).not.toBe('public');
      const path = r.path.replace(/\{(\w+)\}/g, '00000000-0000-4000-8000-000000000000');
      const res = await t.request(path, {
        method: r.method,
        headers: { 'content-type': 'application/json' },
        ...(r.method === 'GET' ? {} : { body: '{}' }),
      });
      expect(res.status, key).toBe(401);
    }
    expect((await t.request('/metrics')).status).toBe(401);
  });

  it('delays a username after repeated failures from one address with 429 and Retry-After', async () => {
    const create = await admin.send('POST', '/api/v1/users', {
      username: 'lockme',
      displayName: 'Lock Me',
      password: 'a-long-password-1',
      roles: ['auditor'],
      orgUnitId: 'sc-cd',
    });
    expect(create.status).toBe(201);
    for (let i = 0; i < 3; i++) {
      const r = await t.request(
        '/api/v1/auth/login',
        json({ username: 'lockme', password: `bad-password-${i}` }),
      );
      expect(r.status).toBe(401);
    }
    const locked = await t.request(
      '/api/v1/auth/login',
      json({ username: 'lockme', password: 'a-long-password-1' }),
    );
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  });

  it('issues API tokens shown once and stored hashed, usable as Bearer, revocable', async () => {
    const res = await admin.send('POST', '/api/v1/auth/tokens', { name: 'ci' });
    expect(res.status).toBe(201);
    const tok = (await res.json()) as { id: string; token: string };
    expect(tok.token).toMatch(/^tsk_/);
    const stored = await t.cp.services.db.query<{ token_hash: string }>(
      'SELECT token_hash FROM api_tokens WHERE id = $1',
      [tok.id],
    );
    expect(stored.rows[0]!.token_hash).not.toContain(tok.token);
    expect(stored.rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    const list = await admin.get('/api/v1/auth/tokens');
    expect(JSON.stringify(await list.json())).not.toContain(tok.token);
    const me = await t.request('/api/v1/auth/me', { headers: { authorization: `Bearer ${tok.token}` } });
    expect(me.status).toBe(200);
    const metrics = await t.request('/metrics', { headers: { authorization: `Bearer ${tok.token}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('tianshu_http_requests_total');
    expect((await admin.send('DELETE', `/api/v1/auth/tokens/${tok.id}`)).status).toBe(204);
    expect(
      (await t.request('/api/v1/auth/me', { headers: { authorization: `Bearer ${tok.token}` } })).status,
    ).toBe(401);
  });

  it('logs out and the session stops working', async () => {
    const s = await login(t.request, 'admin', ADMIN_PASSWORD);
    expect((await s.get('/api/v1/auth/me')).status).toBe(200);
    expect((await s.send('POST', '/api/v1/auth/logout')).status).toBe(204);
    expect((await s.get('/api/v1/auth/me')).status).toBe(401);
  });
});

describe('user preferences', () => {
  it('keeps the console language with the user, so another session (another browser) gets it', async () => {
    const before = (await (await admin.get('/api/v1/auth/me')).json()) as { user: { locale: string | null } };
    expect(before.user.locale).toBeNull();
    const set = await admin.send('PUT', '/api/v1/auth/me/preferences', { locale: 'zh-CN' });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({ locale: 'zh-CN' });
    const other = await login(t.request, 'admin', ADMIN_PASSWORD);
    const me = (await (await other.get('/api/v1/auth/me')).json()) as { user: { locale: string | null } };
    expect(me.user.locale).toBe('zh-CN');
    const audit = (await (await admin.get('/api/v1/audit?action=user.preferences.update')).json()) as {
      items: { action: string; details: { locale: string } }[];
    };
    expect(
      audit.items.some((e) => e.action === 'user.preferences.update' && e.details.locale === 'zh-CN'),
    ).toBe(true);
    // Back to following the browser.
    expect((await other.send('PUT', '/api/v1/auth/me/preferences', { locale: null })).status).toBe(200);
    const after = (await (await admin.get('/api/v1/auth/me')).json()) as { user: { locale: string | null } };
    expect(after.user.locale).toBeNull();
  });

  it('refuses a language the console does not speak, naming the field', async () => {
    const res = await admin.send('PUT', '/api/v1/auth/me/preferences', { locale: 'fr' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { details: { path: string }[] } };
    expect(body.error.details.map((d) => d.path)).toContain('locale');
    const me = (await (await admin.get('/api/v1/auth/me')).json()) as { user: { locale: string | null } };
    expect(me.user.locale).toBeNull();
  });
});

describe('bad input gets a 4xx naming the problem', () => {
  it('malformed JSON', async () => {
    const res = await t.request('/api/v1/auth/login', json('{"username": "admin",'));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/);
  });
  it('wrong types', async () => {
    const res = await t.request('/api/v1/auth/login', json({ username: 42, password: 'x' }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string; details: { path: string }[] } };
    expect(body.error.details[0]!.path).toBe('username');
  });
  it('unknown fields', async () => {
    const res = await admin.send('POST', '/api/v1/org-units', {
      id: 'x-new',
      parentId: 'sc',
      level: 'city',
      name: 'X',
      colour: 'red',
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/colour/);
  });
  it('oversize bodies', async () => {
    const res = await t.request(
      '/api/v1/auth/login',
      json({ username: 'admin', password: 'x'.repeat(2_000_000) }),
    );
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('payload.too_large');
  });
  it('a non-JSON content type', async () => {
    const res = await t.request('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hi',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/must be JSON/);
  });
  it('bad enrolment tokens', async () => {
    const bad = await t.request(
      '/api/v1/fleet/enrol',
      json({ token: 'tse_not-a-real-token', hostname: 'h', roles: ['host'], version: '1' }),
    );
    expect(bad.status).toBe(401);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe(
      'enrolment token is not valid',
    );

    const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
      name: 'once',
      orgUnitId: 'sc',
      maxUses: 1,
    });
    const { token, id } = (await tok.json()) as { token: string; id: string };
    const wrongRole = await t.request(
      '/api/v1/fleet/enrol',
      json({ token, hostname: 'h', roles: ['edge'], version: '1' }),
    );
    expect(wrongRole.status).toBe(400);
    expect(await wrongRole.text()).toMatch(/does not allow role/);
    expect(
      (await t.request('/api/v1/fleet/enrol', json({ token, hostname: 'h', roles: ['host'], version: '1' })))
        .status,
    ).toBe(201);
    const used = await t.request(
      '/api/v1/fleet/enrol',
      json({ token, hostname: 'h', roles: ['host'], version: '1' }),
    );
    expect(used.status).toBe(401);
    expect(await used.text()).toMatch(/no uses left/);

    const tok2 = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
      name: 'revoked',
      orgUnitId: 'sc',
    });
    const t2 = (await tok2.json()) as { token: string; id: string };
    expect((await admin.send('DELETE', `/api/v1/fleet/enrolment-tokens/${t2.id}`)).status).toBe(204);
    const revoked = await t.request(
      '/api/v1/fleet/enrol',
      json({ token: t2.token, hostname: 'h', roles: ['host'], version: '1' }),
    );
    expect(await revoked.text()).toMatch(/revoked/);
    const missing = await t.request(
      '/api/v1/fleet/enrol',
      json({ hostname: 'h', roles: ['host'], version: '1' }),
    );
    expect(missing.status).toBe(400);
    expect(await missing.text()).toMatch(/token/);
    void id;
  });
  it('unknown API paths answer JSON 404', async () => {
    const res = await admin.get('/api/v1/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'route.not_found' } });
  });
});

describe('agent reports', () => {
  it('stores a batch once however often it is replayed', async () => {
    const a = await enrolAgent();
    const b = batch(100);
    const first = await t.request(`/api/v1/agents/${a.agentId}/reports`, json(b, { authorization: a.auth }));
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ batchId: b.batchId, duplicate: false, samples: 100 });
    const again = await t.request(`/api/v1/agents/${a.agentId}/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: a.auth },
      body: gzipSync(JSON.stringify(b)),
    });
    expect(await again.json()).toEqual({ batchId: b.batchId, duplicate: true, samples: 100 });
    const rows = await t.cp.services.telemetry.query<{ n: string | number }>(
      'SELECT count() AS n FROM host_metrics WHERE agent_id = {a:String}',
      { a: a.agentId },
    );
    expect(Number(rows[0]!.n)).toBe(100);
  });

  it('rejects an invalid batch with details and stores nothing', async () => {
    const a = await enrolAgent();
    const b = batch(3);
    (b.payloads[0]!.series[0]!.points[1] as unknown[])[1] = 'NaN';
    const res = await t.request(`/api/v1/agents/${a.agentId}/reports`, json(b, { authorization: a.auth }));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { details: { path: string }[] } };
    expect(body.error.details[0]!.path).toBe('payloads.0.series.0.points.1.1');
    const rows = await t.cp.services.telemetry.query<{ n: string | number }>(
      'SELECT count() AS n FROM host_metrics WHERE agent_id = {a:String}',
      { a: a.agentId },
    );
    expect(Number(rows[0]!.n)).toBe(0);
  });

  it('refuses another agent’s endpoint, a revoked agent and garbage gzip', async () => {
    const a = await enrolAgent();
    const b = await enrolAgent();
    const cross = await t.request(
      `/api/v1/agents/${b.agentId}/reports`,
      json(batch(1), { authorization: a.auth }),
    );
    expect(cross.status).toBe(404);
    const gz = await t.request(`/api/v1/agents/${a.agentId}/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: a.auth },
      body: 'not gzip at all',
    });
    expect(gz.status).toBe(400);
    expect(await gz.text()).toMatch(/gzip/);
    expect((await admin.send('DELETE', `/api/v1/agents/${a.agentId}`)).status).toBe(204);
    const revoked = await t.request(
      `/api/v1/agents/${a.agentId}/heartbeat`,
      json(
        { version: '1', uptimeSeconds: 1, queue: { pendingBatches: 0, pendingBytes: 0, droppedBatches: 0 } },
        { authorization: a.auth },
      ),
    );
    expect(revoked.status).toBe(401);
  });

  it('heartbeats advance lastSeenAt and config carries a version', async () => {
    const a = await enrolAgent();
    const hb = {
      version: '0.1.0',
      uptimeSeconds: 5,
      queue: { pendingBatches: 2, pendingBytes: 100, droppedBatches: 1 },
    };
    const r1 = await t.request(`/api/v1/agents/${a.agentId}/heartbeat`, json(hb, { authorization: a.auth }));
    expect(r1.status).toBe(200);
    const seen1 = (await (await admin.get(`/api/v1/agents/${a.agentId}`)).json()) as {
      lastSeenAt: string;
      status: string;
      queue: unknown;
    };
    expect(seen1.status).toBe('online');
    expect(seen1.queue).toEqual(hb.queue);
    await new Promise((r) => setTimeout(r, 20));
    await t.request(`/api/v1/agents/${a.agentId}/heartbeat`, json(hb, { authorization: a.auth }));
    const seen2 = (await (await admin.get(`/api/v1/agents/${a.agentId}`)).json()) as { lastSeenAt: string };
    expect(Date.parse(seen2.lastSeenAt)).toBeGreaterThan(Date.parse(seen1.lastSeenAt));
    const cfg = await t.request(`/api/v1/agents/${a.agentId}/config`, { headers: { authorization: a.auth } });
    expect(((await cfg.json()) as { configVersion: string }).configVersion).toMatch(/^[0-9a-f]{16}$/);
  });
  it('stores the drops an agent reports with their reasons and shows them on the agent', async () => {
    const a = await enrolAgent();
    const queue = {
      pendingBatches: 3,
      pendingBytes: 300,
      droppedBatches: 9,
      droppedReasons: { full: 0, enospc: 9, write_error: 0 },
      lastDropAt: '2026-12-01T08:00:00.000Z',
    };
    const r = await t.request(
      `/api/v1/agents/${a.agentId}/heartbeat`,
      json({ version: '0.1.0', uptimeSeconds: 5, queue }, { authorization: a.auth }),
    );
    expect(r.status).toBe(200);
    const one = (await (await admin.get(`/api/v1/agents/${a.agentId}`)).json()) as { queue: unknown };
    expect(one.queue).toEqual(queue);
    const list = (await (await admin.get('/api/v1/agents')).json()) as {
      items: { id: string; queue: unknown }[];
    };
    expect(list.items.find((x) => x.id === a.agentId)!.queue).toEqual(queue);
  });
});

describe('live updates', () => {
  it('streams an agent event over SSE when an agent in scope heartbeats', async () => {
    const a = await enrolAgent('sc-cd-jj');
    const res = await admin.get('/api/v1/events');
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    const hb = {
      version: '0.1.0',
      uptimeSeconds: 1,
      queue: { pendingBatches: 0, pendingBytes: 0, droppedBatches: 0 },
    };
    await t.request(`/api/v1/agents/${a.agentId}/heartbeat`, json(hb, { authorization: a.auth }));
    let text = '';
    const deadline = Date.now() + 10_000;
    while (!text.includes(`"id":"${a.agentId}"`) && Date.now() < deadline) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(text).toContain('event: agent');
    expect(text).toContain(`"id":"${a.agentId}"`);
  });
});

describe('policies through the API', () => {
  it('checks policy text and names unknown fields', async () => {
    const good = readFileSync(join(policiesDir, 'roles.yaml'), 'utf8');
    const ok = await admin.send('POST', '/api/v1/policies/roles.yaml/check', { content: good });
    expect(ok.status).toBe(200);
    const bad = await admin.send('POST', '/api/v1/policies/roles.yaml/check', {
      content: `${good}\nsurprise: true\n`,
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /unknown field\(s\) "surprise"/,
    );
    expect((await admin.send('POST', '/api/v1/policies/nope.yaml/check', { content: 'x' })).status).toBe(404);
  });

  it('replaces a policy file, reloads it and audits the change; an invalid one changes nothing', async () => {
    const good = readFileSync(join(policiesDir, 'roles.yaml'), 'utf8');
    const changed = good.replace('Read-only access', 'Read-only review');
    expect((await admin.send('PUT', '/api/v1/policies/roles.yaml', { content: changed })).status).toBe(200);
    const live = (await (await admin.get('/api/v1/policies')).json()) as {
      roles: Record<string, { description: string }>;
    };
    expect(live.roles.auditor!.description).toMatch(/^Read-only review/);
    const bad = await admin.send('PUT', '/api/v1/policies/roles.yaml', { content: 'roles: {}\n' });
    expect(bad.status).toBe(400);
    expect(readFileSync(join(policiesDir, 'roles.yaml'), 'utf8')).toBe(changed);
    const audit = (await (await admin.get('/api/v1/audit?action=policy.update')).json()) as {
      items: unknown[];
    };
    expect(audit.items).toHaveLength(1);
  });
});

describe('audit log and OpenAPI', () => {
  it('records changes with who, what and from where, readable by auditors only', async () => {
    await admin.send('POST', '/api/v1/users', {
      username: 'aud-city',
      displayName: 'City auditor',
      password: 'auditor-password-1',
      roles: ['auditor'],
      orgUnitId: 'sc-cd',
    });
    const res = await admin.get('/api/v1/audit?action=user.create');
    const { items } = (await res.json()) as {
      items: { actor: string; action: string; sourceIp: string; details: { username: string } }[];
    };
    const entry = items.find((i) => i.details.username === 'aud-city');
    expect(entry).toMatchObject({ actor: 'admin', action: 'user.create' });
    expect(entry!.sourceIp).toBeTruthy();
    const auditor = await login(t.request, 'aud-city', 'auditor-password-1');
    expect((await auditor.get('/api/v1/audit')).status).toBe(200);
    await admin.send('POST', '/api/v1/users', {
      username: 'netop',
      displayName: 'Operator',
      password: 'operator-password-1',
      roles: ['network-operator'],
      orgUnitId: 'sc',
    });
    const op = await login(t.request, 'netop', 'operator-password-1');
    expect((await op.get('/api/v1/audit')).status).toBe(403);
  });

  it('publishes an OpenAPI 3.1 document generated from the schemas', async () => {
    const res = await admin.get('/api/v1/openapi.json');
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<string, Record<string, { requestBody?: unknown }>>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/api/v1/agents/{id}/reports']?.post?.requestBody).toBeDefined();
    expect(JSON.stringify(doc.paths['/api/v1/auth/login'])).toContain('password');
  });
});
