import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoveryPayload, InterfacePollPayload } from '@tianshu/protocol';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../../../test/support/control-plane.js';

/*
 * The OpenAPI document is true (issue 8, observed 8): every GET route that answers JSON is called on
 * a seeded control plane (PGlite and chDB, the demo province, an edge agent's polls and discovery),
 * and the test fails when an answer carries a field — at any depth — that the route's response
 * schema does not declare. A route added without a response schema, or a service that grows a field
 * its route does not document, fails here.
 */

type Schema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean | Schema;
  items?: Schema;
  prefixItems?: Schema[];
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
};
interface Doc {
  paths: Record<
    string,
    Record<
      string,
      {
        security?: unknown[];
        parameters?: { name: string; in: string }[];
        responses: Record<string, { content?: { 'application/json'?: { schema: Schema } } }>;
      }
    >
  >;
  components: { schemas: Record<string, Schema> };
}

/** Fields of `value` (JSON paths) that `schema` does not declare, at any depth. */
export function undeclaredFields(value: unknown, schema: Schema, doc: Doc, path = '$'): string[] {
  const resolve = (s: Schema): Schema => {
    let x = s;
    for (let i = 0; x.$ref && i < 20; i++) {
      x = doc.components.schemas[x.$ref.replace('#/components/schemas/', '')] ?? {};
    }
    return x;
  };
  const s = resolve(schema);
  if (value === null || typeof value !== 'object') return [];
  if (s.allOf) {
    const parts = s.allOf.map(resolve);
    const merged: Schema = {
      properties: Object.assign({}, ...parts.map((p) => p.properties ?? {})) as Record<string, Schema>,
    };
    const ap = parts.find((p) => p.additionalProperties !== undefined)?.additionalProperties;
    if (ap !== undefined) merged.additionalProperties = ap;
    const items = parts.find((p) => p.items)?.items;
    if (items) merged.items = items;
    return undeclaredFields(value, merged, doc, path);
  }
  const branches = s.anyOf ?? s.oneOf;
  if (branches) {
    const results = branches.map((b) => undeclaredFields(value, b, doc, path));
    return results.reduce((a, b) => (b.length < a.length ? b : a));
  }
  if (Array.isArray(value)) {
    if (s.prefixItems) {
      return value.flatMap((v, i) =>
        s.prefixItems![i] ? undeclaredFields(v, s.prefixItems![i]!, doc, `${path}[${i}]`) : [`${path}[${i}]`],
      );
    }
    if (!s.items) return s.type === 'array' ? [] : [`${path} (an array where the schema has none)`];
    return value.flatMap((v, i) => undeclaredFields(v, s.items!, doc, `${path}[${i}]`));
  }
  const props = s.properties;
  const ap = s.additionalProperties;
  // A schema that says nothing of the object's shape (`{}`, unknown) declares anything.
  if (!props && ap === undefined && s.type === undefined) return [];
  const out: string[] = [];
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const p = props?.[key];
    if (p) out.push(...undeclaredFields(v, p, doc, `${path}.${key}`));
    else if (ap === true || (ap && typeof ap === 'object' && Object.keys(ap).length === 0)) continue;
    else if (ap && typeof ap === 'object') out.push(...undeclaredFields(v, ap, doc, `${path}.${key}`));
    else out.push(`${path}.${key}`);
  }
  return out;
}

let t: TestControlPlane;
let admin: Session;
let edge: { agentId: string; auth: string };
let doc: Doc;

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

beforeAll(async () => {
  t = await startTestControlPlane();
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: 'edge sc',
    orgUnitId: 'sc',
    roles: ['edge'],
  });
  const { token } = (await tok.json()) as { token: string };
  const res = await t.request(
    '/api/v1/fleet/enrol',
    post({ token, hostname: 'edge-openapi', roles: ['edge'], version: '0.1.0' }),
  );
  const body = (await res.json()) as { agentId: string; credential: string };
  edge = { agentId: body.agentId, auth: `Bearer ${body.agentId}.${body.credential}` };

  // Seed what the views show: discovery (facts, interfaces, a neighbour), polls (one failing
  // device with an alarm), a sweep, an API token.
  const now = Date.now();
  const interfaces = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      ifIndex: i + 1,
      name: `Gi0/${i + 1}`,
      alias: 'uplink',
      descr: `GigabitEthernet0/${i + 1}`,
      type: 6,
      speedMbps: 1000,
      mac: '00:11:22:33:44:55',
      adminStatus: 'up' as const,
      operStatus: 'up' as const,
      counterBits: 64 as const,
    }));
  const devices = await t.cp.services.db.query<{ id: string; if_index: number | null }>(
    `SELECT d.id, min(i.if_index) AS if_index FROM devices d LEFT JOIN interfaces i ON i.device_id = d.id
     GROUP BY d.id ORDER BY d.id`,
  );
  const payloads: (DiscoveryPayload | InterfacePollPayload)[] = [];
  for (const d of devices.rows) {
    payloads.push({
      kind: 'discovery',
      deviceId: d.id,
      at: now - 5000,
      reachable: true,
      outcome: 'ok',
      sysName: d.id,
      sysDescr: 'Cisco IOS Software, Version 15.0(2)SE11',
      sysObjectId: '1.3.6.1.4.1.9.1.516',
      sysLocation: 'lab',
      sysUpTime: 1000,
      entity: { vendor: 'Cisco', model: 'WS-C3750', serial: 'FDO1', softwareRevision: '15.0(2)SE11' },
      interfaces: interfaces(3),
      neighbours: [{ localIfIndex: 1, remoteChassisId: 'aa', remotePortId: 'Gi0/2', remoteSysName: 'peer' }],
    });
    for (const [i, at] of [now - 4000, now - 2000].entries()) {
      const failing = d.id.endsWith('-acc') && i === 1;
      payloads.push({
        kind: 'interface-poll',
        deviceId: d.id,
        polledAt: at,
        durationMs: 10,
        reachable: true,
        outcome: failing ? 'agent-error' : 'partial',
        ...(failing ? { error: 'sysUpTime.0: noSuchInstance' } : { missing: ['ifHCOutOctets'] }),
        warnings: ['poll interval too long for 32-bit counters at 1000 Mbit/s'],
        sysUpTime: 12345,
        interfaces: failing
          ? []
          : [1, 2, 3, 4].map((ifIndex) => ({
              ifIndex,
              name: `Gi0/${ifIndex}`,
              alias: '',
              operStatus: i === 0 ? ('up' as const) : ('down' as const),
              adminStatus: 'up' as const,
              speedMbps: 1000,
              counterBits: 32 as const,
              inOctets: '1',
              outOctets: '2',
              inErrors: '0',
              outErrors: '0',
              inDiscards: '0',
              outDiscards: '0',
              rates: {
                inBitsPerSecond: 1e6,
                outBitsPerSecond: 2e6,
                inErrorsPerSecond: 0,
                outErrorsPerSecond: 0,
                inDiscardsPerSecond: 0,
                outDiscardsPerSecond: 0,
                intervalSeconds: 30,
              },
              counterEvent: 'wrap' as const,
            })),
      });
    }
  }
  const rep = await t.request(
    `/api/v1/agents/${edge.agentId}/reports`,
    post(
      { batchId: randomUUID(), sequence: 1, createdAt: new Date().toISOString(), payloads },
      { authorization: edge.auth },
    ),
  );
  expect(rep.status).toBe(200);
  // A security alert (critical: it opens an incident), for the security views.
  const alerts = await t.request(
    `/api/v1/agents/${edge.agentId}/reports`,
    post(
      {
        batchId: randomUUID(),
        sequence: 2,
        createdAt: new Date().toISOString(),
        payloads: [
          {
            kind: 'security-alerts',
            alerts: [
              {
                source: 'flow',
                reference: 'flow:ddos',
                fingerprint: 'flow:ddos:10.1.1.10',
                title: 'Volumetric DDoS against 10.1.1.10',
                severity: 'critical',
                attack: ['T1498'],
                observables: [{ type: 'ip', value: '10.1.1.10', role: 'target' }],
                assetAddress: '10.1.1.10',
                firstSeen: now - 3000,
                lastSeen: now - 1000,
                count: 3,
                evidence: ['udp 950000 packets/s to 10.1.1.10 (baseline 1200)'],
                details: { packetsPerSecond: 950_000 },
              },
            ],
          },
        ],
      },
      { authorization: edge.auth },
    ),
  );
  expect(alerts.status, await alerts.clone().text()).toBe(200);
  const sweep = await admin.send('POST', '/api/v1/network/devices/add', {
    siteId: 'sc-cd-jj-node',
    cidr: '127.0.17.48/29',
    snmp: { version: '2c', credentialRef: 'lab-community' },
  });
  expect(sweep.status).toBe(202);
  expect((await admin.send('POST', '/api/v1/auth/tokens', { name: 'openapi' })).status).toBeLessThan(300);
  // A pending quota request with its step and timeline (for /api/v1/quotas/requests/{id}), written
  // as the requests part writes it: applying needs a cloud's capacity and quotas, which this seed
  // does not set up.
  await t.cp.services.db.query(
    `INSERT INTO quota_requests (id, cloud_id, project_id, new_project_name, org_unit_id, org_path,
       applicant_id, applicant_name, package, quantity, extra_amounts, amounts, monthly_cost, justification,
       duration_days, status, current_step, current_rank, created_at)
     VALUES ('6f0c3b1e-0d5a-4c1e-9a43-7b2f0a9c1d01', 'sc-gov-cloud', 'jj-portal', '锦江区门户', 'sc-cd-jj',
       '/sc/sc-cd/sc-cd-jj/', 'admin', 'admin', 'small-web', 3, '{"public-ip":1}', '{"vcpu":24,"memory":48,"block-storage":600,"public-ip":1}',
       2360, 'openapi', 365, 'pending', 1, 1, now())`,
  );
  await t.cp.services.db.query(
    `INSERT INTO quota_request_steps (request_id, step, approver_level, acting_org_unit_id, state)
     VALUES ('6f0c3b1e-0d5a-4c1e-9a43-7b2f0a9c1d01', 1, 'city', 'sc-cd', 'waiting')`,
  );
  await t.cp.services.db.query(
    `INSERT INTO quota_request_timeline (request_id, at, actor, kind, to_status, text)
     VALUES ('6f0c3b1e-0d5a-4c1e-9a43-7b2f0a9c1d01', now(), 'admin', 'applied', 'pending', 'openapi')`,
  );
  // A project and a reclaim proposal with its evidence (for /api/v1/quotas/projects/{id}/hosts and
  // /api/v1/quotas/reclaims/{id}), written as the tree and the review write them.
  await t.cp.services.db.query(
    `INSERT INTO quota_projects (id, org_unit_id, name, external_name, created_by)
     VALUES ('jj-portal', 'sc-cd-jj', '锦江区门户', 'ts-jj-portal', 'admin') ON CONFLICT DO NOTHING`,
  );
  await t.cp.services.db.query(
    `INSERT INTO quota_reclaims (id, cloud_id, project_id, org_unit_id, org_path, amounts, evidence, status, apply_after)
     VALUES ('0b7e5c2a-3f1d-4e8b-9c6a-5d4e3f2a1b0c', 'sc-gov-cloud', 'jj-portal', 'sc-cd-jj', '/sc/sc-cd/sc-cd-jj/',
       '{"vcpu":12}', $1::jsonb, 'proposed', now() + interval '7 days')`,
    [
      JSON.stringify({
        windowDays: 30,
        from: '2026-01-01T00:00:00.000Z',
        to: '2026-01-31T00:00:00.000Z',
        idleThreshold: 0.3,
        headroom: 0.2,
        peakUsed: { vcpu: 3 },
        peakPhysical: {},
        quota: { vcpu: 16 },
        used: { vcpu: 2 },
        keep: { vcpu: 4 },
        samples: { vcpu: 2880 },
      }),
    ],
  );
  // A security event (for /api/v1/security/events/{id}).
  const eve = await t.request('/api/v1/security/events?format=eve', {
    method: 'POST',
    headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/x-ndjson' },
    body: JSON.stringify({
      timestamp: new Date().toISOString(),
      event_type: 'dns',
      src_ip: '127.0.17.9',
      dest_ip: '192.0.2.53',
      proto: 'UDP',
      dns: { type: 'query', rrname: 'example.org' },
    }),
  });
  expect(eve.status).toBe(200);
  // A quota project, so that GET /quotas/projects/{id} has one to answer with.
  const project = await admin.send('POST', '/api/v1/quotas/projects', {
    id: 'openapi-probe',
    orgUnitId: 'sc-cd-jj',
    name: 'OpenAPI probe',
  });
  expect(project.status).toBe(201);
  doc = (await (await admin.get('/api/v1/openapi.json')).json()) as Doc;
}, 120_000);
afterAll(async () => {
  await t?.close();
});

/** A value for each path parameter, from the list the route belongs under. */
async function fill(path: string): Promise<string | undefined> {
  let out = path;
  for (const m of path.matchAll(/\{(\w+)\}/g)) {
    const before = out.slice(0, out.indexOf(m[0]) - 1);
    const [name] = [m[1]!];
    if (before.endsWith('/agents') && path.endsWith('/config')) {
      out = out.replace(m[0], edge.agentId);
      continue;
    }
    if (name === 'agentId') {
      out = out.replace(m[0], edge.agentId);
      continue;
    }
    if (before.endsWith('/sweeps')) {
      const r = await t.cp.services.db.query<{ id: string }>('SELECT id FROM network_sweeps LIMIT 1');
      out = out.replace(m[0], r.rows[0]!.id);
      continue;
    }
    if (before.endsWith('/schemas')) {
      out = out.replace(m[0], 'network.yaml');
      continue;
    }
    const parentPath = name === 'ifIndex' ? before.slice(0, before.lastIndexOf('/')) : before;
    const res = await admin.get(parentPath);
    if (res.status !== 200) return undefined;
    const body = (await res.json()) as unknown;
    let value: unknown;
    if (name === 'ifIndex') {
      value = (body as { interfaces: { ifIndex: number }[] }).interfaces[0]?.ifIndex;
    } else {
      const items = Array.isArray(body) ? body : (body as { items?: unknown[] }).items;
      value = (items?.[0] as { id?: unknown } | undefined)?.id;
    }
    if (value === undefined) return undefined;
    out = out.replace(m[0], encodeURIComponent(String(value)));
  }
  return out;
}

describe('the OpenAPI document', () => {
  it('declares every field every JSON GET route answers', async () => {
    const checked: string[] = [];
    const problems: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths)) {
      const op = ops.get;
      if (!op) continue;
      const schema = op.responses['200']?.content?.['application/json']?.schema;
      if (!schema) continue;
      const url = await fill(path);
      if (!url) {
        problems.push(`${path}: no value for its path parameters`);
        continue;
      }
      const agentRoute = op.security?.some((s) => Object.keys(s as object).includes('agentCredential'));
      const res = agentRoute
        ? await t.request(url, { headers: { authorization: edge.auth } })
        : await admin.get(url);
      if (res.status !== 200) {
        problems.push(`${path}: GET ${url} answered ${res.status} ${(await res.text()).slice(0, 200)}`);
        continue;
      }
      const extra = undeclaredFields(await res.json(), schema, doc);
      if (extra.length) problems.push(`${path}: undeclared ${[...new Set(extra)].slice(0, 10).join(', ')}`);
      checked.push(path);
    }
    expect(problems).toEqual([]);
    // The device views are among those checked, with their nested records filled in.
    expect(checked).toEqual(
      expect.arrayContaining([
        '/api/v1/inventory/devices/{id}',
        '/api/v1/network/devices',
        '/api/v1/network/devices/{id}',
        '/api/v1/network/devices/{id}/interfaces/{ifIndex}',
        '/api/v1/network/sweeps/{id}',
        '/api/v1/agents/{id}/config',
      ]),
    );
    expect(checked.length).toBeGreaterThan(45);
  });

  it('catches an undeclared field, nested, in arrays and tuples', () => {
    const d: Doc = {
      paths: {},
      components: { schemas: { P: { type: 'object', properties: { port: { type: 'integer' } } } } },
    };
    const s: Schema = {
      type: 'object',
      properties: {
        snmp: { anyOf: [{ $ref: '#/components/schemas/P' }, { type: 'null' }] },
        items: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' } } } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
      },
    };
    expect(undeclaredFields({ snmp: { port: 1 }, items: [{ id: 'a' }], labels: { x: 'y' } }, s, d)).toEqual(
      [],
    );
    expect(
      undeclaredFields({ snmp: { port: 1, version: '2c' }, items: [{ id: 'a', x: 1 }], z: 1 }, s, d),
    ).toEqual(['$.snmp.version', '$.items[0].x', '$.z']);
  });
});
