import { readFileSync } from 'node:fs';
import { Hono } from 'hono';
import { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Identity } from '../auth/identity.js';
import type { AppEnv } from '../api/env.js';
import { errorResponse } from '../api/errors.js';
import { Router } from '../api/route.js';
import { inventoryRoutes } from '../api/routes/inventory.js';
import { createLogger } from '../logger.js';
import type { Services } from '../services.js';
import { DEMO_INVENTORY, openTestInventory, type TestInventory } from './testing.js';

let t: TestInventory;
let app: Hono<AppEnv>;
const callers = new Map<string, Identity>();

/**
 * The inventory routes on a bare app: the real router and error mapping, with the caller chosen by
 * an `x-test-caller` header instead of a session.
 */
beforeAll(async () => {
  t = await openTestInventory();
  callers.set('system', t.system);
  callers.set('jj', await t.as('network-operator', 'sc-cd-jj'));
  callers.set('sl', await t.as('network-operator', 'sc-cd-sl'));
  callers.set('auditor', await t.as('auditor', 'sc'));
  const log = createLogger('silent');
  app = new Hono<AppEnv>();
  app.onError((err, c) => errorResponse(c, err, log));
  app.use('*', async (c, next) => {
    const who = callers.get(c.req.header('x-test-caller') ?? '');
    if (who) c.set('identity', who);
    await next();
  });
  const services = { db: t.db, orgUnits: t.orgUnits, inventory: t.inventory, log } as unknown as Services;
  inventoryRoutes(new Router(app, new OpenAPIRegistry()), services);
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

describe('inventory API', () => {
  it('imports the demo file as YAML, then again as a no-op', async () => {
    const yaml = readFileSync(DEMO_INVENTORY, 'utf8').replace(/^orgUnits:[\s\S]*?\n(?=\S)/m, '');
    const first = await call('system', 'POST', '/api/v1/inventory/import', { yaml });
    expect(first.status).toBe(200);
    const r1 = (await first.json()) as { created: number; sections: Record<string, { created: number }> };
    expect(r1.sections.links!.created).toBe(22);
    const again = await call('system', 'POST', '/api/v1/inventory/import', { yaml });
    expect(await again.json()).toMatchObject({ created: 0, updated: 0 });
  });

  it('imports JSON of the same shape, validating it in full first', async () => {
    const bad = await call('system', 'POST', '/api/v1/inventory/import', {
      version: 1,
      sites: [{ id: 'api-s1', orgUnitId: 'sc', name: 'S', kind: 'node' }],
      clouds: [{ id: 'api-c1', orgUnitId: 'sc', name: 'C', kind: 'other', tier: 'moon' }],
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(
      /^import is not valid: clouds\[0\] "api-c1": tier/,
    );
    expect((await call('system', 'GET', '/api/v1/inventory/sites/api-s1')).status).toBe(404);
    const ok = await call('system', 'POST', '/api/v1/inventory/import', {
      version: 1,
      sites: [{ id: 'api-s1', orgUnitId: 'sc', name: 'S', kind: 'node' }],
    });
    expect(await ok.json()).toMatchObject({ created: 1 });
  });

  it('needs inventory:write to import or change, inventory:read to list', async () => {
    expect((await call('auditor', 'POST', '/api/v1/inventory/import', { yaml: 'version: 1\n' })).status).toBe(
      403,
    );
    expect((await call('auditor', 'DELETE', '/api/v1/inventory/sites/api-s1')).status).toBe(403);
    expect((await call('auditor', 'GET', '/api/v1/inventory/sites')).status).toBe(200);
    expect((await call('nobody', 'GET', '/api/v1/inventory/sites')).status).toBe(401);
  });

  it('creates, reads, changes and deletes a device over HTTP, scoped to the caller', async () => {
    const created = await call('sl', 'POST', '/api/v1/inventory/devices', {
      id: 'sl-fw',
      siteId: 'sc-cd-sl-node',
      name: '双流防火墙',
      role: 'firewall',
      managementAddress: '127.0.18.5',
      plane: 'A',
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ id: 'sl-fw', orgUnitId: 'sc-cd-sl', snmp: null });
    expect((await call('jj', 'GET', '/api/v1/inventory/devices/sl-fw')).status).toBe(404);
    const patched = await call('sl', 'PATCH', '/api/v1/inventory/devices/sl-fw', {
      vendor: 'Hillstone',
      plane: null,
    });
    expect(await patched.json()).toMatchObject({ vendor: 'Hillstone', plane: null });
    const bad = await call('sl', 'PATCH', '/api/v1/inventory/devices/sl-fw', {
      managementAddress: 'localhost',
    });
    expect(bad.status).toBe(400);
    expect((await call('jj', 'DELETE', '/api/v1/inventory/devices/sl-fw')).status).toBe(404);
    expect((await call('sl', 'DELETE', '/api/v1/inventory/devices/sl-fw')).status).toBe(204);
    expect((await call('sl', 'GET', '/api/v1/inventory/devices/sl-fw')).status).toBe(404);
  });

  it('filters lists: interfaces by device, anything by org-unit subtree', async () => {
    const res = await call('system', 'GET', '/api/v1/inventory/interfaces?deviceId=sc-cd-agg');
    const items = ((await res.json()) as { items: { ifIndex: number; deviceId: string }[] }).items;
    expect(items.map((i) => i.ifIndex)).toEqual([1, 2, 11, 12, 13, 14]);
    const sites = await call('system', 'GET', '/api/v1/inventory/sites?orgUnitId=sc-my&limit=2');
    expect(((await sites.json()) as { items: { id: string }[] }).items.map((s) => s.id)).toEqual([
      'sc-my-az-node',
      'sc-my-fc-cl-ap',
    ]);
    expect((await call('jj', 'GET', '/api/v1/inventory/sites?orgUnitId=sc-cd-sl')).status).toBe(404);
    expect((await call('system', 'GET', '/api/v1/inventory/sites?colour=red')).status).toBe(400);
  });

  it('answers a conflict when deleting something referred to', async () => {
    const res = await call('system', 'DELETE', '/api/v1/inventory/sites/sc-dc');
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /devices sc-core-a, sc-core-b/,
    );
  });

  it('serves the integration rate per org unit in scope', async () => {
    const res = await call('jj', 'GET', '/api/v1/inventory/dedicated-networks/integration');
    expect(res.status).toBe(200);
    const items = (
      (await res.json()) as { items: { orgUnitId: string; eligible: number; rate: number | null }[] }
    ).items;
    expect(items).toEqual([
      expect.objectContaining({ orgUnitId: 'sc-cd-jj', eligible: 1, rate: 0 }),
      expect.objectContaining({ orgUnitId: 'sc-cd-jj-dmj', eligible: 0, rate: null }),
    ]);
  });
});
