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

describe('taken names answer alike in and out of scope (finding 6)', () => {
  it('a username taken in another county gets the same answer as one taken in the caller’s own', async () => {
    const sl = await userWithLogin('sl-admin', ['admin'], 'sc-cd-sl');
    const jj = await userWithLogin('jj-admin', ['admin'], 'sc-cd-jj');
    const user = (username: string, orgUnitId: string) => ({
      username,
      displayName: 'Taken',
      password: 'a-long-password-taken',
      roles: ['auditor'],
      orgUnitId,
    });
    expect((await sl.session.send('POST', '/api/v1/users', user('taken-sl', 'sc-cd-sl'))).status).toBe(201);
    expect((await jj.session.send('POST', '/api/v1/users', user('taken-jj', 'sc-cd-jj'))).status).toBe(201);
    const outside = await jj.session.send('POST', '/api/v1/users', user('taken-sl', 'sc-cd-jj'));
    const inside = await jj.session.send('POST', '/api/v1/users', user('taken-jj', 'sc-cd-jj'));
    expect(outside.status).toBe(409);
    expect(inside.status).toBe(409);
    const message = (r: unknown) => (r as ErrorBody).error.message;
    const [o, i] = [message(await outside.json()), message(await inside.json())];
    expect(o).toBe(
      'username: username "taken-sl" is not available; it must be unique across the province, choose another',
    );
    expect(i.replace('taken-jj', 'taken-sl')).toBe(o);
    expect(o).not.toMatch(/sc-cd-sl|exists/);
  });

  it('an SNMP credential id taken in another county names no owner', async () => {
    const cred = (orgUnitId: string) => ({
      id: 'taken-cred',
      orgUnitId,
      version: '2c',
      community: 'c0mmunity-x',
    });
    expect((await admin.send('POST', '/api/v1/network/credentials', cred('sc-cd-sl'))).status).toBe(201);
    const jj = await userWithLogin('jj-netop', ['network-operator'], 'sc-cd-jj');
    const res = await jj.session.send('POST', '/api/v1/network/credentials', cred('sc-cd-jj'));
    expect(res.status).toBe(409);
    const text = await res.text();
    expect(text).toContain('id: SNMP credential id \\"taken-cred\\" is not available');
    expect(text).not.toMatch(/sc-cd-sl|exists|c0mmunity/);
  });
});
