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

beforeAll(async () => {
  t = await startTestControlPlane();
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
});
afterAll(async () => {
  await t?.close();
});

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

interface ErrorBody {
  error: { code: string; message: string };
}

describe('role names (finding 7)', () => {
  it('refuses __proto__, constructor and toString as roles on create and on change', async () => {
    for (const role of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      const res = await admin.send('POST', '/api/v1/users', {
        username: `proto-${role.replace(/_/g, '').toLowerCase()}`,
        displayName: 'Proto',
        password: 'a-long-password-proto',
        roles: [role],
        orgUnitId: 'sc-cd',
      });
      expect(res.status, role).toBe(400);
      const body = (await res.json()) as ErrorBody;
      expect(body.error.message).toMatch(/^roles: unknown role/);
      expect(body.error.message).toContain(role);
    }
    const ok = await admin.send('POST', '/api/v1/users', {
      username: 'proto-ok',
      displayName: 'Proto',
      password: 'a-long-password-proto',
      roles: ['auditor'],
      orgUnitId: 'sc-cd',
    });
    expect(ok.status).toBe(201);
    const { id } = (await ok.json()) as { id: string };
    const patch = await admin.send('PATCH', `/api/v1/users/${id}`, { roles: ['__proto__'] });
    expect(patch.status).toBe(400);
    const user = (await (await admin.get(`/api/v1/users/${id}`)).json()) as { roles: string[] };
    expect(user.roles).toEqual(['auditor']);
  });
});

/** A user with its own login, created by `admin`. */
async function userWithLogin(
  username: string,
  roles: string[],
  orgUnitId = 'sc',
  password = `${username}-password-1`,
): Promise<{ id: string; password: string; session: Session }> {
  const res = await admin.send('POST', '/api/v1/users', {
    username,
    displayName: username,
    password,
    roles,
    orgUnitId,
  });
  expect(res.status).toBe(201);
  const { id } = (await res.json()) as { id: string };
  return { id, password, session: await login(t.request, username, password) };
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

describe('a password change ends sessions and API tokens (finding 8)', () => {
  it('revokes the API tokens and ends the sessions of a user whose password an admin changes', async () => {
    const u = await userWithLogin('pw-victim', ['admin'], 'sc-cd');
    const second = await login(t.request, 'pw-victim', u.password);
    const tok = (await (await u.session.send('POST', '/api/v1/auth/tokens', { name: 'ci' })).json()) as {
      token: string;
    };
    expect((await t.request('/api/v1/auth/me', bearer(tok.token))).status).toBe(200);
    const res = await admin.send('PATCH', `/api/v1/users/${u.id}`, { password: 'a-brand-new-password-1' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { revoked: unknown }).revoked).toEqual({ apiTokens: 1, sessions: 2 });
    expect((await t.request('/api/v1/auth/me', bearer(tok.token))).status).toBe(401);
    expect((await u.session.get('/api/v1/auth/me')).status).toBe(401);
    expect((await second.get('/api/v1/auth/me')).status).toBe(401);
    const audit = (await (await admin.get('/api/v1/audit?action=user.update')).json()) as {
      items: { targetId: string; details: Record<string, unknown> }[];
    };
    expect(audit.items.find((i) => i.targetId === u.id)?.details).toMatchObject({
      passwordChanged: true,
      revokedApiTokens: 1,
      endedSessions: 2,
    });
  });

  it('keeps the session of users who change their own password, and ends the others', async () => {
    const u = await userWithLogin('pw-self', ['admin']);
    const other = await login(t.request, 'pw-self', u.password);
    const tok = (await (await u.session.send('POST', '/api/v1/auth/tokens', { name: 'ci' })).json()) as {
      token: string;
    };
    const res = await u.session.send('PATCH', `/api/v1/users/${u.id}`, { password: 'my-own-new-password-1' });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { revoked: unknown }).revoked).toEqual({ apiTokens: 1, sessions: 1 });
    expect((await u.session.get('/api/v1/auth/me')).status).toBe(200);
    expect((await other.get('/api/v1/auth/me')).status).toBe(401);
    expect((await t.request('/api/v1/auth/me', bearer(tok.token))).status).toBe(401);
  });
});

describe('request ids (finding 8)', () => {
  it('records the server’s request id in the audit log and keeps the client’s beside it', async () => {
    const res = await t.request('/api/v1/users', {
      method: 'POST',
      headers: {
        cookie: admin.cookie,
        'x-csrf-token': admin.csrf,
        'content-type': 'application/json',
        'x-request-id': 'client-chosen-id-1',
      },
      body: JSON.stringify({
        username: 'reqid-user',
        displayName: 'Request id',
        password: 'request-id-password-1',
        roles: ['auditor'],
        orgUnitId: 'sc',
      }),
    });
    expect(res.status).toBe(201);
    const serverId = res.headers.get('x-request-id');
    expect(serverId).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.get('x-client-request-id')).toBe('client-chosen-id-1');
    const audit = (await (await admin.get('/api/v1/audit?action=user.create')).json()) as {
      items: { requestId: string; clientRequestId: string | null; details: { username: string } }[];
    };
    const entry = audit.items.find((i) => i.details.username === 'reqid-user');
    expect(entry).toMatchObject({ requestId: serverId, clientRequestId: 'client-chosen-id-1' });
    const plain = await admin.get('/api/v1/auth/me');
    expect(plain.headers.get('x-client-request-id')).toBeNull();
    const bad = await t.request('/api/v1/auth/me', {
      headers: { cookie: admin.cookie, 'x-request-id': 'a b<c>' },
    });
    expect(bad.headers.get('x-client-request-id')).toBeNull();
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
