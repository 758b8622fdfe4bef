import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../../../../test/support/control-plane.js';

/* The reconcile routes on a whole control plane (PGlite, the demo province): permissions, scoping, input. */

let t: TestControlPlane;
let admin: Session;
let applicant: Session;
let cityAdmin: Session;

async function user(username: string, roles: string[], orgUnitId: string): Promise<Session> {
  const password = `${username}-password-1`;
  const res = await admin.send('POST', '/api/v1/users', {
    username,
    displayName: username,
    password,
    roles,
    orgUnitId,
  });
  expect(res.status).toBe(201);
  return login(t.request, username, password);
}

beforeAll(async () => {
  t = await startTestControlPlane();
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  applicant = await user('cd-applicant', ['applicant'], 'sc-cd-jj');
  cityAdmin = await user('my-cloud-admin', ['cloud-admin'], 'sc-my');
}, 300_000);
afterAll(async () => {
  await t?.close();
});

describe('reconcile routes', () => {
  it('GET /sync answers the caller’s scope, and validates its query', async () => {
    const r = await applicant.send('GET', '/api/v1/quotas/sync');
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ items: [] });
    expect((await applicant.send('GET', '/api/v1/quotas/sync?state=bogus')).status).toBe(400);
    expect((await t.request('/api/v1/quotas/sync')).status).toBe(401);
  });

  it('reconcile now needs quotas:write; an unknown or out-of-scope cloud is 404', async () => {
    const denied = await applicant.send('POST', '/api/v1/quotas/clouds/k8s-x/reconcile');
    expect(denied.status).toBe(403);
    const missing = await cityAdmin.send('POST', '/api/v1/quotas/clouds/k8s-x/reconcile');
    expect(missing.status).toBe(404);
  });

  it('confirm validates its body and needs quotas:write', async () => {
    expect((await cityAdmin.send('POST', '/api/v1/quotas/sync/m/p/confirm', { version: 0 })).status).toBe(
      400,
    );
    expect(
      (await cityAdmin.send('POST', '/api/v1/quotas/sync/m/p/confirm', { version: 1, extra: 1 })).status,
    ).toBe(400);
    expect((await applicant.send('POST', '/api/v1/quotas/sync/m/p/confirm', { version: 1 })).status).toBe(
      403,
    );
    expect((await cityAdmin.send('POST', '/api/v1/quotas/sync/m/p/confirm', { version: 1 })).status).toBe(
      404,
    );
  });
});
