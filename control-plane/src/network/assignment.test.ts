import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../../../test/support/control-plane.js';
import { alarmsRef } from '../alerting/module.js';
import { systemIdentity } from '../auth/identity.js';
import { networkRef } from './module.js';

let t: TestControlPlane;
let admin: Session;

async function enrolEdge(orgUnitId: string): Promise<void> {
  const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: `edge ${orgUnitId}`,
    orgUnitId,
    roles: ['edge'],
  });
  const { token } = (await tok.json()) as { token: string };
  const res = await t.request('/api/v1/fleet/enrol', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, hostname: `edge-${orgUnitId}`, roles: ['edge'], version: '0.1.0' }),
  });
  expect(res.status).toBe(201);
}

const firing = async () =>
  (
    await t.cp.services.modules
      .use(alarmsRef)
      .list(systemIdentity(), { kind: 'device-unpolled', limit: 1000 })
  ).items;

beforeAll(async () => {
  t = await startTestControlPlane();
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
});
afterAll(async () => {
  await t?.close();
});

describe('devices no edge agent polls', () => {
  it('each get a device-unpolled alarm naming why, resolved once an agent polls them', async () => {
    const check = t.cp.services.modules.use(networkRef).assignments;
    expect(await check.run()).toMatchObject({ unpolled: 13 });
    const first = await firing();
    expect(first).toHaveLength(13);
    expect(first[0]!.summary).toMatch(
      /is not polled: no edge agent is enrolled at or above the device's org unit/,
    );

    // A city agent serves Chengdu, but the province's credentials never go to an agent below it.
    await enrolEdge('sc-cd');
    await check.run();
    const reasons = new Map((await firing()).map((a) => [a.targetId, a.labels.reason]));
    expect(reasons.get('sc-cd-agg')).toBe("the agent is enrolled below the snmp credential's owner");
    expect(reasons.get('sc-my-agg')).toBe("no edge agent is enrolled at or above the device's org unit");

    // The province agent polls them all: every alarm resolves.
    await enrolEdge('sc');
    expect(await check.run()).toEqual({ unpolled: 0, resolved: 13 });
    expect(await firing()).toHaveLength(0);

    // The city hands the aggregation router's address to a county: the router (still the city's)
    // now stands outside its own unit's prefixes and is left out, with that reason.
    const delegated = await admin.send('POST', '/api/v1/inventory/prefixes', {
      prefix: '127.0.16.1/32',
      orgUnitId: 'sc-cd-jj',
      purpose: 'management',
    });
    expect(delegated.status).toBe(201);
    await check.run();
    const now = await firing();
    expect(now.map((a) => a.targetId)).toEqual(['sc-cd-agg']);
    expect(now[0]!.labels.reason).toBe(
      "management address is not in a management prefix of the device's org unit",
    );
    const { id } = (await delegated.json()) as { id: string };
    expect((await admin.send('DELETE', `/api/v1/inventory/prefixes/${id}`)).status).toBe(204);
    expect(await check.run()).toEqual({ unpolled: 0, resolved: 1 });
  });
});
