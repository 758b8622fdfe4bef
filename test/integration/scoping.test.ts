import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../support/control-plane.js';

/**
 * Org-unit scoping across every route: a user bound to one county (锦江区, sc-cd-jj) must not read,
 * list or change anything of another county (双流区, sc-cd-sl), whatever route it tries. Denied reads
 * answer 404 so the caller cannot tell the record exists.
 */
let t: TestControlPlane;
let admin: Session;
let jj: Session;
let city: Session;
const other = {
  users: [] as string[],
  agents: [] as string[],
  tokens: [] as string[],
  orgUnits: ['sc-cd-sl', 'sc-cd-sl-dsj'],
  /** Inventory records of 双流区 and below, from the demo province. */
  inventory: [] as string[],
};
const INVENTORY_TABLES = [
  'ip_prefixes',
  'sites',
  'devices',
  'interfaces',
  'links',
  'clouds',
  'hosts',
  'dedicated_networks',
];

async function inventorySnapshot(): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const table of INVENTORY_TABLES) {
    out.push((await t.cp.services.db.query(`SELECT * FROM ${table} ORDER BY id`)).rows);
  }
  return out;
}
const own = { agents: [] as string[] };

async function enrol(orgUnitId: string): Promise<string> {
  const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: `tok-${orgUnitId}`,
    orgUnitId,
    maxUses: 1,
  });
  const { token, id } = (await tok.json()) as { token: string; id: string };
  if (orgUnitId === 'sc-cd-sl') other.tokens.push(id);
  const res = await t.request('/api/v1/fleet/enrol', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, hostname: `host-${orgUnitId}`, roles: ['host'], version: '0.1.0' }),
  });
  const { agentId, credential } = (await res.json()) as { agentId: string; credential: string };
  // Give the agent some telemetry so that host metric routes have something to leak.
  await t.request(`/api/v1/agents/${agentId}/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${agentId}.${credential}` },
    body: JSON.stringify({
      batchId: randomUUID(),
      sequence: 1,
      createdAt: new Date().toISOString(),
      payloads: [
        {
          kind: 'host-metrics',
          host: `host-${orgUnitId}`,
          series: [{ name: 'node_load1', labels: {}, points: [[Date.now(), 1.5]] }],
        },
      ],
    }),
  });
  return agentId;
}

async function mkUser(username: string, orgUnitId: string, roles: string[]): Promise<string> {
  const res = await admin.send('POST', '/api/v1/users', {
    username,
    displayName: username,
    password: `${username}-password-1`,
    roles,
    orgUnitId,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

beforeAll(async () => {
  t = await startTestControlPlane();
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  await mkUser('jj-admin', 'sc-cd-jj', ['admin']);
  other.users.push(await mkUser('sl-admin', 'sc-cd-sl', ['admin']));
  other.users.push(await mkUser('sl-auditor', 'sc-cd-sl', ['auditor']));
  await mkUser('cd-admin', 'sc-cd', ['admin']);
  own.agents.push(await enrol('sc-cd-jj'));
  other.agents.push(await enrol('sc-cd-sl'));
  for (const table of INVENTORY_TABLES) {
    const r = await t.cp.services.db.query<{ id: string }>(
      `SELECT x.id::text AS id FROM ${table} x JOIN org_units o ON o.id = x.org_unit_id WHERE o.path LIKE '/sc/sc-cd/sc-cd-sl/%'`,
    );
    other.inventory.push(...r.rows.map((row) => row.id));
  }
  jj = await login(t.request, 'jj-admin', 'jj-admin-password-1');
  city = await login(t.request, 'cd-admin', 'cd-admin-password-1');
});
afterAll(async () => {
  await t?.close();
});

describe('a county user', () => {
  it('lists only its own subtree on every list route', async () => {
    const secrets = [
      ...other.users,
      ...other.agents,
      ...other.tokens,
      ...other.inventory,
      'sc-cd-sl',
      'sl-admin',
      'host-sc-cd-sl',
    ];
    const lists = t.cp.built.router.routes.filter(
      (r) => r.method === 'GET' && r.auth === 'user' && !r.path.includes('{') && r.path !== '/api/v1/events',
    );
    expect(lists.length).toBeGreaterThan(5);
    for (const r of lists) {
      const res = await jj.get(r.path);
      const text = await res.text();
      for (const s of secrets) expect(text, `${r.path} leaks ${s}`).not.toContain(s);
    }
    const agents = (await (await jj.get('/api/v1/agents')).json()) as { items: { id: string }[] };
    expect(agents.items.map((a) => a.id)).toEqual(own.agents);
  });

  it('gets 404 (or 403) from every route given another county’s record, and changes nothing', async () => {
    const before = await t.cp.services.db.query(
      'SELECT id, display_name, roles, disabled FROM users ORDER BY id',
    );
    const beforeUnits = await t.cp.services.db.query('SELECT id, name FROM org_units ORDER BY id');
    const beforeAgents = await t.cp.services.db.query('SELECT id, revoked_at FROM agents ORDER BY id');
    const beforeTokens = await t.cp.services.db.query(
      'SELECT id, revoked_at FROM enrolment_tokens ORDER BY id',
    );
    const beforeInventory = await inventorySnapshot();
    // The demo province gives 双流区 sites, devices, interfaces and links of its own.
    expect(other.inventory.length).toBeGreaterThan(4);
    const ids = [...other.users, ...other.agents, ...other.tokens, ...other.orgUnits, ...other.inventory];
    const routes = t.cp.built.router.routes.filter((r) => r.auth === 'user' && r.path.includes('{'));
    expect(routes.length).toBeGreaterThan(8);
    const bodies: Record<string, unknown> = {
      PATCH: { name: 'hijacked', displayName: 'hijacked', disabled: true },
      POST: {},
      DELETE: undefined,
      GET: undefined,
    };
    let tried = 0;
    for (const r of routes) {
      for (const id of ids) {
        const path = r.path.replace(/\{\w+\}/g, encodeURIComponent(id));
        const res = r.method === 'GET' ? await jj.get(path) : await jj.send(r.method, path, bodies[r.method]);
        tried++;
        expect([400, 403, 404], `${r.method} ${path} answered ${res.status}`).toContain(res.status);
        if (r.method === 'GET' && res.status !== 400) expect(res.status, `${r.method} ${path}`).toBe(404);
      }
    }
    expect(tried).toBeGreaterThan(200);
    expect(
      (await t.cp.services.db.query('SELECT id, display_name, roles, disabled FROM users ORDER BY id')).rows,
    ).toEqual(before.rows);
    expect((await t.cp.services.db.query('SELECT id, name FROM org_units ORDER BY id')).rows).toEqual(
      beforeUnits.rows,
    );
    expect((await t.cp.services.db.query('SELECT id, revoked_at FROM agents ORDER BY id')).rows).toEqual(
      beforeAgents.rows,
    );
    expect(
      (await t.cp.services.db.query('SELECT id, revoked_at FROM enrolment_tokens ORDER BY id')).rows,
    ).toEqual(beforeTokens.rows);
    expect(await inventorySnapshot()).toEqual(beforeInventory);
  });

  it('cannot create records in another county', async () => {
    const u = await jj.send('POST', '/api/v1/users', {
      username: 'intruder',
      displayName: 'x',
      password: 'intruder-password-1',
      roles: ['auditor'],
      orgUnitId: 'sc-cd-sl',
    });
    expect(u.status).toBe(404);
    const tok = await jj.send('POST', '/api/v1/fleet/enrolment-tokens', { name: 'x', orgUnitId: 'sc-cd-sl' });
    expect(tok.status).toBe(404);
    const ou = await jj.send('POST', '/api/v1/org-units', {
      id: 'sl-new',
      parentId: 'sc-cd-sl-dsj',
      level: 'village',
      name: 'x',
    });
    expect(ou.status).toBe(404);
    // The same requests for its own county succeed, so the 404s below are scoping, not bad input.
    const mine = await jj.send('POST', '/api/v1/inventory/sites', {
      id: 'jj-own-site',
      orgUnitId: 'sc-cd-jj',
      name: 'x',
      kind: 'access',
    });
    expect(mine.status, await mine.clone().text()).toBe(201);
    const mineDn = await jj.send('POST', '/api/v1/inventory/dedicated-networks', {
      id: 'jj-own-net',
      orgUnitId: 'sc-cd-jj',
      name: 'x',
      ownerDepartment: 'x',
      classification: 'non-secret',
      migrationState: 'planned',
    });
    expect(mineDn.status, await mineDn.clone().text()).toBe(201);
    const site = await jj.send('POST', '/api/v1/inventory/sites', {
      id: 'sl-intruder-site',
      orgUnitId: 'sc-cd-sl',
      name: 'x',
      kind: 'access',
    });
    expect(site.status).toBe(404);
    const dn = await jj.send('POST', '/api/v1/inventory/dedicated-networks', {
      id: 'sl-intruder-net',
      orgUnitId: 'sc-cd-sl',
      name: 'x',
      ownerDepartment: 'x',
      classification: 'non-secret',
      migrationState: 'planned',
    });
    expect(dn.status).toBe(404);
    const up = await jj.send('POST', '/api/v1/org-units', {
      id: 'cd-new',
      parentId: 'sc-cd',
      level: 'county',
      name: 'x',
    });
    expect(up.status).toBe(404);
  });

  it('sees none of the other county’s audit entries, while the city sees both', async () => {
    const mine = (await (await jj.get('/api/v1/audit?limit=1000')).json()) as {
      items: { orgUnitId: string | null }[];
    };
    expect(mine.items.length).toBeGreaterThan(0);
    for (const e of mine.items) expect(e.orgUnitId).toMatch(/^sc-cd-jj/);
    const cityView = (await (await city.get('/api/v1/audit?limit=1000')).json()) as {
      items: { orgUnitId: string | null }[];
    };
    const units = new Set(cityView.items.map((e) => e.orgUnitId));
    expect(units.has('sc-cd-jj')).toBe(true);
    expect(units.has('sc-cd-sl')).toBe(true);
  });

  it('a city user sees its counties’ agents but not another city’s', async () => {
    const myAgent = await enrol('sc-my-fc');
    const agents = (await (await city.get('/api/v1/agents')).json()) as { items: { id: string }[] };
    const ids = agents.items.map((a) => a.id).sort();
    expect(ids).toEqual([...own.agents, ...other.agents].sort());
    expect(ids).not.toContain(myAgent);
    expect((await city.get(`/api/v1/hosts/${myAgent}/metrics`)).status).toBe(404);
    expect((await city.get(`/api/v1/hosts/${other.agents[0]}/metrics`)).status).toBe(200);
  });
});
