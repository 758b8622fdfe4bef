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
