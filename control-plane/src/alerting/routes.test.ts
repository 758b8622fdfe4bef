import { Hono } from 'hono';
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../auth/identity.js';
import type { AppEnv } from '../api/env.js';
import { errorResponse } from '../api/errors.js';
import { Router } from '../api/route.js';
import { alarmRoutes } from './routes.js';
import { openTestInventory, type TestInventory } from '../inventory/testing.js';
import { createLogger } from '../logger.js';
import { testAlarmService } from './testing.js';
import type { Alarm, AlarmPage, AlarmSummary } from './types.js';

let t: TestInventory;
let app: Hono<AppEnv>;
const callers = new Map<string, Identity>();

/** The alarm routes on a bare app: the real router and error mapping, the caller set by a header. */
beforeAll(async () => {
  t = await openTestInventory();
  callers.set('jj', await t.as('network-operator', 'sc-cd-jj'));
  callers.set('sl', await t.as('network-operator', 'sc-cd-sl'));
  callers.set('province', await t.as('network-operator', 'sc'));
  callers.set('auditor', await t.as('auditor', 'sc'));
  callers.set('cloud', await t.as('cloud-admin', 'sc'));
  const log = createLogger('silent');
  const { alarms } = testAlarmService(t);
  app = new Hono<AppEnv>();
  app.onError((err, c) => errorResponse(c, err, log));
  app.use('*', async (c, next) => {
    const who = callers.get(c.req.header('x-test-caller') ?? '');
    if (who) c.set('identity', who);
    await next();
  });
  alarmRoutes(new Router(app, new OpenAPIRegistry()), alarms);
  const base = { severity: 'major' as const, targetType: 'link', summary: 'A link is down' };
  await alarms.fire({ ...base, kind: 'link-down', orgUnitId: 'sc-cd-jj', targetId: 'jj-1' });
  await alarms.fire({
    ...base,
    kind: 'link-saturated',
    orgUnitId: 'sc-cd-jj',
    targetId: 'jj-2',
    severity: 'minor',
  });
  await alarms.fire({
    ...base,
    kind: 'link-down',
    orgUnitId: 'sc-cd-sl',
    targetId: 'sl-1',
    severity: 'critical',
  });
  await alarms.fire({
    ...base,
    kind: 'quota-exceeded',
    orgUnitId: 'sc-cd-sl',
    targetType: 'cloud',
    targetId: 'c1',
  });
});
afterAll(async () => {
  await t?.close();
});

const call = (caller: string, method: string, path: string, body?: unknown) =>
  app.request(path, {
    method,
    headers: {
      'x-test-caller': caller,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });

describe('alarms API', () => {
  it('lists the caller’s alarms with the documented shape', async () => {
    const res = await call('jj', 'GET', '/api/v1/alarms');
    expect(res.status).toBe(200);
    const page = (await res.json()) as AlarmPage;
    expect(page.items.map((a) => a.targetId).sort()).toEqual(['jj-1', 'jj-2']);
    expect(Object.keys(page.items[0]!).sort()).toEqual(
      [
        'acknowledgedAt',
        'acknowledgedBy',
        'endsAt',
        'id',
        'kind',
        'labels',
        'lastSeenAt',
        'orgUnitId',
        'severity',
        'startsAt',
        'state',
        'summary',
        'targetId',
        'targetType',
      ].sort(),
    );
    expect(page.nextBefore).toBeNull();
  });

  it('filters by kind, org unit and state, and pages', async () => {
    const byKind = (await (
      await call('province', 'GET', '/api/v1/alarms?kind=link-down')
    ).json()) as AlarmPage;
    expect(byKind.items).toHaveLength(2);
    const sl = (await (
      await call('province', 'GET', '/api/v1/alarms?orgUnitId=sc-cd-sl&state=all')
    ).json()) as AlarmPage;
    expect(sl.items.map((a) => a.targetId).sort()).toEqual(['c1', 'sl-1']);
    const p1 = (await (await call('province', 'GET', '/api/v1/alarms?limit=3')).json()) as AlarmPage;
    expect(p1.items).toHaveLength(3);
    const p2 = (await (
      await call('province', 'GET', `/api/v1/alarms?limit=3&before=${p1.nextBefore}`)
    ).json()) as AlarmPage;
    expect(p2.items).toHaveLength(1);
    expect((await call('province', 'GET', '/api/v1/alarms?state=sleeping')).status).toBe(400);
    expect((await call('province', 'GET', '/api/v1/alarms?before=abc')).status).toBe(400);
    expect((await call('province', 'GET', '/api/v1/alarms?colour=red')).status).toBe(400);
  });

  it('network alarms are the network kinds only', async () => {
    const page = (await (await call('province', 'GET', '/api/v1/network/alarms')).json()) as AlarmPage;
    expect(page.items.map((a) => a.kind).sort()).toEqual(['link-down', 'link-down', 'link-saturated']);
  });

  it('counts firing alarms by severity', async () => {
    const s = (await (await call('province', 'GET', '/api/v1/alarms/summary')).json()) as AlarmSummary;
    expect(s).toEqual({
      firing: 4,
      unacknowledged: 4,
      bySeverity: { critical: 1, major: 2, minor: 1, warning: 0 },
    });
    const jj = (await (await call('jj', 'GET', '/api/v1/alarms/summary')).json()) as AlarmSummary;
    expect(jj.firing).toBe(2);
    expect((await call('jj', 'GET', '/api/v1/alarms/summary?orgUnitId=sc-cd-sl')).status).toBe(404);
  });

  it('answers 404 for another county’s alarm, on read and on acknowledge', async () => {
    const sl = (await (await call('sl', 'GET', '/api/v1/alarms?kind=link-down')).json()) as AlarmPage;
    const id = sl.items[0]!.id;
    expect((await call('sl', 'GET', `/api/v1/alarms/${id}`)).status).toBe(200);
    expect((await call('jj', 'GET', `/api/v1/alarms/${id}`)).status).toBe(404);
    expect((await call('jj', 'POST', `/api/v1/alarms/${id}/acknowledge`, {})).status).toBe(404);
    expect((await call('jj', 'GET', '/api/v1/alarms?orgUnitId=sc-cd-sl')).status).toBe(404);
    expect((await call('jj', 'GET', '/api/v1/alarms/999999')).status).toBe(404);
  });

  it('acknowledges with a comment; needs network:write; a second time conflicts', async () => {
    const [a] = ((await (await call('jj', 'GET', '/api/v1/alarms?kind=link-down')).json()) as AlarmPage)
      .items;
    expect((await call('auditor', 'POST', `/api/v1/alarms/${a!.id}/acknowledge`, {})).status).toBe(403);
    expect((await call('jj', 'POST', `/api/v1/alarms/${a!.id}/acknowledge`, { note: 'x' })).status).toBe(400);
    const res = await call('jj', 'POST', `/api/v1/alarms/${a!.id}/acknowledge`, { comment: 'On it' });
    expect(res.status).toBe(200);
    const acked = (await res.json()) as Alarm;
    expect(acked.acknowledgedBy).toBe('network-operator@sc-cd-jj');
    expect((await call('jj', 'POST', `/api/v1/alarms/${a!.id}/acknowledge`, {})).status).toBe(409);
    expect(await t.auditActions()).toContainEqual({
      action: 'alarm.acknowledge',
      targetId: a!.id,
      actor: 'network-operator@sc-cd-jj',
    });
  });

  it('reading needs network:read and a login', async () => {
    expect((await call('cloud', 'GET', '/api/v1/alarms')).status).toBe(403);
    expect((await call('nobody', 'GET', '/api/v1/network/alarms')).status).toBe(401);
  });
});
