import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowAggregatesPayload } from '@tianshu/protocol';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../../../test/support/control-plane.js';

/*
 * Flows through the HTTP API on PGlite and chDB: an edge agent posts flow-aggregates, the control
 * plane enriches them from the inventory (prefix registry, interfaces marked as internet egress)
 * and the analytics routes answer exactly, scoped by org unit on every route.
 */
let t: TestControlPlane;
let admin: Session;

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

interface EdgeAgent {
  agentId: string;
  auth: string;
}

async function enrolEdge(orgUnitId: string): Promise<EdgeAgent> {
  const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: `edge ${orgUnitId}`,
    orgUnitId,
    roles: ['edge'],
  });
  expect(tok.status).toBe(201);
  const { token } = (await tok.json()) as { token: string };
  const res = await t.request(
    '/api/v1/fleet/enrol',
    json({ token, hostname: `edge-${orgUnitId}-${randomUUID()}`, roles: ['edge'], version: '0.1.0' }),
  );
  expect(res.status).toBe(201);
  const body = (await res.json()) as { agentId: string; credential: string };
  return { agentId: body.agentId, auth: `Bearer ${body.agentId}.${body.credential}` };
}

async function user(username: string, orgUnitId: string, role = 'network-operator'): Promise<Session> {
  const res = await admin.send('POST', '/api/v1/users', {
    username,
    displayName: username,
    password: 'a-long-password-1',
    roles: [role],
    orgUnitId,
  });
  expect(res.status).toBe(201);
  return login(t.request, username, 'a-long-password-1');
}

async function report(agent: EdgeAgent, payloads: FlowAggregatesPayload[], batchId = randomUUID()) {
  return t.request(
    `/api/v1/agents/${agent.agentId}/reports`,
    json(
      { batchId, sequence: 1, createdAt: new Date().toISOString(), payloads },
      { authorization: agent.auth },
    ),
  );
}

interface Row {
  inIf: number;
  outIf: number;
  src: string;
  dst: string;
  sp: number;
  dp: number;
  proto: number;
  bytes: number;
  packets: number;
  flows: number;
  rate?: number;
}

function payload(exporter: string, minute: number, rows: Row[]): FlowAggregatesPayload {
  return {
    kind: 'flow-aggregates',
    exporter,
    minute,
    key: ['inIf', 'outIf', 'srcAddr', 'dstAddr', 'srcPort', 'dstPort', 'proto', 'ipVersion'],
    rows: rows.length,
    columns: {
      inIf: rows.map((r) => r.inIf),
      outIf: rows.map((r) => r.outIf),
      srcAddr: rows.map((r) => r.src),
      dstAddr: rows.map((r) => r.dst),
      srcPort: rows.map((r) => r.sp),
      dstPort: rows.map((r) => r.dp),
      proto: rows.map((r) => r.proto),
      ipVersion: rows.map((r) => (r.src.includes(':') ? 6 : 4)),
      samplingRate: rows.map((r) => r.rate ?? 1),
      bytes: rows.map((r) => r.bytes),
      packets: rows.map((r) => r.packets),
      flows: rows.map((r) => r.flows),
    },
    stats: {
      packets: 10,
      records: rows.length,
      dropped: 0,
      malformed: { truncated: 1 },
      missingTemplates: 0,
      sequenceGaps: 2,
      versions: [9],
      samplingSources: { exporter: rows.length, configured: 0, default: 0 },
    },
  };
}

// The minute two minutes ago (inside the default "last hour").
const M0 = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 60_000;
const M1 = M0 + 60_000;
const EXPORTER = '127.0.16.1'; // sc-cd-agg, in 成都市 (sc-cd)

const ROWS_M0: Row[] = [
  // 锦江区 → 绵阳市, HTTPS
  {
    inIf: 11,
    outIf: 1,
    src: '10.17.1.1',
    dst: '10.33.1.1',
    sp: 50000,
    dp: 443,
    proto: 6,
    bytes: 1000,
    packets: 10,
    flows: 2,
  },
  // 锦江区 → the internet through the egress interface 2, DNS
  {
    inIf: 11,
    outIf: 2,
    src: '10.17.1.2',
    dst: '8.8.8.8',
    sp: 40000,
    dp: 53,
    proto: 17,
    bytes: 500,
    packets: 5,
    flows: 1,
  },
  // 成都市 (not 锦江区) internal, SSH
  {
    inIf: 13,
    outIf: 1,
    src: '10.18.0.1',
    dst: '10.16.5.5',
    sp: 22,
    dp: 51000,
    proto: 6,
    bytes: 300,
    packets: 3,
    flows: 1,
  },
  // IPv6: 成都市 → the province
  {
    inIf: 13,
    outIf: 1,
    src: '2001:db8:10::1',
    dst: '2001:db8::5',
    sp: 33000,
    dp: 80,
    proto: 6,
    bytes: 200,
    packets: 2,
    flows: 1,
  },
  // transit: neither end ours
  {
    inIf: 1,
    outIf: 1,
    src: '1.1.1.1',
    dst: '9.9.9.9',
    sp: 1000,
    dp: 2000,
    proto: 17,
    bytes: 50,
    packets: 1,
    flows: 1,
    rate: 10,
  },
];
const ROWS_M1: Row[] = [
  {
    inIf: 11,
    outIf: 1,
    src: '10.17.1.1',
    dst: '10.33.1.1',
    sp: 50000,
    dp: 443,
    proto: 6,
    bytes: 4000,
    packets: 40,
    flows: 4,
  },
];

let edge: EdgeAgent;
let county: Session;
let city: Session;
let otherCity: Session;

beforeAll(async () => {
  t = await startTestControlPlane();
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  for (const [prefix, orgUnitId] of [
    ['10.0.0.0/8', 'sc'],
    ['10.16.0.0/12', 'sc-cd'],
    ['10.17.0.0/16', 'sc-cd-jj'],
    ['10.32.0.0/12', 'sc-my'],
    // 2001:db8::/32 is the demo province's own (sc, hosts); 成都市 gets a /48 of it here.
    ['2001:db8:10::/48', 'sc-cd'],
  ] as const) {
    const r = await admin.send('POST', '/api/v1/inventory/prefixes', { prefix, orgUnitId, purpose: 'hosts' });
    expect(r.status, await r.clone().text()).toBe(201);
  }
  const ifs = (await (await admin.get('/api/v1/inventory/interfaces?deviceId=sc-cd-agg')).json()) as {
    items: Array<{ id: string; ifIndex: number }>;
  };
  const egress = ifs.items.find((i) => i.ifIndex === 2)!;
  const patched = await admin.send('PATCH', `/api/v1/inventory/interfaces/${egress.id}`, {
    internetEgress: true,
  });
  expect(patched.status).toBe(200);
  expect(((await patched.json()) as { internetEgress: boolean }).internetEgress).toBe(true);
  edge = await enrolEdge('sc-cd');
  county = await user('jj-operator', 'sc-cd-jj');
  city = await user('cd-operator', 'sc-cd');
  otherCity = await user('my-operator', 'sc-my');
}, 240_000);
afterAll(async () => {
  await t?.close();
});

type Top = {
  items: Array<{ key: unknown; label: unknown; bytes: number; packets: number; flows: number }>;
  total: { bytes: number; packets: number; flows: number };
  other: { bytes: number; packets: number; flows: number };
};

async function top(s: Session, query: string): Promise<Top> {
  const r = await s.get(`/api/v1/flows/top?${query}`);
  expect(r.status, await r.clone().text()).toBe(200);
  return (await r.json()) as Top;
}

describe('flows', () => {
  it('stores a batch once, replayed or not, with its exporter stats', async () => {
    const batchId = randomUUID();
    const body = [payload(EXPORTER, M0, ROWS_M0), payload(EXPORTER, M1, ROWS_M1)];
    expect((await report(edge, body, batchId)).status).toBe(200);
    expect((await report(edge, body, batchId)).status).toBe(200);
    const telemetry = t.cp.services.telemetry;
    const [count] = await telemetry.query<{ n: string }>('SELECT count() AS n FROM flows_1m');
    expect(Number(count!.n)).toBe(6);
    const stats = await telemetry.query<{
      exporter: string;
      exporter_device_id: string;
      sequence_gaps: string;
      rows: string;
    }>('SELECT exporter, exporter_device_id, sequence_gaps, rows FROM flow_exporter_stats ORDER BY ts');
    expect(
      stats.map((s) => [s.exporter, s.exporter_device_id, Number(s.sequence_gaps), Number(s.rows)]),
    ).toEqual([
      [EXPORTER, 'sc-cd-agg', 2, 5],
      [EXPORTER, 'sc-cd-agg', 2, 1],
    ]);
  });

  it('enriches rows: org units by longest prefix, interface names, direction, application', async () => {
    const rows = await t.cp.services.telemetry.query<Record<string, string | number>>(
      `SELECT src_addr, src_org_unit, dst_org_unit, src_org_path, direction, app, in_if_name, out_if_name,
              out_if_speed_mbps, exporter_org_unit
         FROM flows_1m WHERE ts = toDateTime(${M0 / 1000}, 'UTC') ORDER BY bytes DESC`,
    );
    expect(rows.map((r) => [r.src_addr, r.src_org_unit, r.dst_org_unit, r.direction, r.app])).toEqual([
      ['10.17.1.1', 'sc-cd-jj', 'sc-my', 'internal', 'HTTPS'],
      ['10.17.1.2', 'sc-cd-jj', '', 'egress', 'DNS'],
      ['10.18.0.1', 'sc-cd', 'sc-cd', 'internal', 'SSH'],
      ['2001:db8:10::1', 'sc-cd', 'sc', 'internal', 'HTTP'],
      ['1.1.1.1', '', '', 'transit', ''],
    ]);
    expect(rows[0]!.src_org_path).toBe('/sc/sc-cd/sc-cd-jj/');
    expect(rows[0]!.in_if_name).toBe('GigabitEthernet1/0/1');
    expect(rows[1]!.out_if_name).toBe('XGigabitEthernet0/0/2');
    expect(Number(rows[1]!.out_if_speed_mbps)).toBe(10000);
    expect(rows[0]!.exporter_org_unit).toBe('sc-cd');
  });

  it('answers top-N by one and two dimensions exactly, with totals and the rest', async () => {
    const bySrc = await top(admin, 'by=srcOrgUnit');
    expect(bySrc.items.map((i) => [i.key, i.label, i.bytes, i.packets, i.flows])).toEqual([
      ['sc-cd-jj', '锦江区', 5500, 55, 7],
      ['sc-cd', '成都市', 500, 5, 2],
      ['', '', 50, 1, 1],
    ]);
    expect(bySrc.total).toEqual({ bytes: 6050, packets: 61, flows: 10 });
    expect(bySrc.other).toEqual({ bytes: 0, packets: 0, flows: 0 });

    const limited = await top(admin, 'by=dstPort&limit=2&measure=packets');
    expect(limited.items.map((i) => [i.key, i.packets])).toEqual([
      [443, 50],
      [53, 5],
    ]);
    expect(limited.other).toEqual({ bytes: 550, packets: 6, flows: 3 });

    const two = await top(admin, 'by=proto,direction');
    expect(two.items.map((i) => [i.key, i.label, i.bytes])).toEqual([
      [[6, 'internal'], ['tcp', 'internal'], 5500],
      [[17, 'egress'], ['udp', 'egress'], 500],
      [[17, 'transit'], ['udp', 'transit'], 50],
    ]);

    const ifs = await top(admin, 'by=outIf');
    expect(ifs.items.map((i) => [i.key, i.label, i.bytes])).toEqual([
      ['127.0.16.1:1', '成都市汇聚路由器 XGigabitEthernet0/0/1', 5550],
      ['127.0.16.1:2', '成都市汇聚路由器 XGigabitEthernet0/0/2', 500],
    ]);
  });

  it('filters with the expression language, and names the position of a mistake', async () => {
    const f = encodeURIComponent('proto = tcp AND NOT dstPort IN (80, 443)');
    const r = await top(admin, `by=srcAddr&filter=${f}`);
    expect(r.items.map((i) => [i.key, i.bytes])).toEqual([['10.18.0.1', 300]]);
    expect(r.total.bytes).toBe(300);

    const unit = await top(
      admin,
      `by=dstAddr&filter=${encodeURIComponent('srcOrgUnit = "锦江区" AND dstAddr ~ 8.0.0.0/8')}`,
    );
    expect(unit.items.map((i) => i.key)).toEqual(['8.8.8.8']);

    const bad = await admin.get(
      `/api/v1/flows/top?by=srcAddr&filter=${encodeURIComponent('proto = tcp AND')}`,
    );
    expect(bad.status).toBe(400);
    const { error: err } = (await bad.json()) as { error: { code: string; message: string } };
    expect(err.code).toBe('flows.filter');
    expect(err.message).toBe('filter: at 16: expected a dimension, got the end');
  });

  it('answers series and sankey exactly', async () => {
    const from = new Date(M0).toISOString();
    const to = new Date(M1 + 60_000).toISOString();
    const r = await admin.get(`/api/v1/flows/series?by=app&from=${from}&to=${to}&step=60&limit=1`);
    expect(r.status).toBe(200);
    const s = (await r.json()) as {
      step: number;
      series: Array<{ key: string; points: [number, number][] }>;
      other: { points: [number, number][] };
    };
    expect(s.step).toBe(60);
    expect(s.series).toEqual([
      {
        key: 'HTTPS',
        label: 'HTTPS',
        points: [
          [M0, 1000],
          [M1, 4000],
        ],
      },
    ]);
    expect(s.other.points).toEqual([
      [M0, 1050],
      [M1, 0],
    ]);

    const k = await admin.get(`/api/v1/flows/sankey?by=srcOrgUnit,dstOrgUnit&from=${from}&to=${to}`);
    expect(k.status).toBe(200);
    const sk = (await k.json()) as {
      nodes: Array<{ id: string; label: string }>;
      links: Array<{ source: string; target: string; bytes: number }>;
    };
    expect(sk.links).toEqual(
      expect.arrayContaining([
        { source: 'srcOrgUnit:sc-cd-jj', target: 'dstOrgUnit:sc-my', bytes: 5000, packets: 50, flows: 6 },
        { source: 'srcOrgUnit:sc-cd-jj', target: 'dstOrgUnit:', bytes: 500, packets: 5, flows: 1 },
      ]),
    );
    expect(sk.links).toHaveLength(5);
    expect(sk.nodes.find((n) => n.id === 'dstOrgUnit:sc-my')?.label).toBe('绵阳市');
  });

  it('scopes every flow route: a county sees only flows touching its prefixes', async () => {
    const c = await top(county, 'by=srcAddr');
    expect(c.items.map((i) => [i.key, i.bytes])).toEqual([
      ['10.17.1.1', 5000],
      ['10.17.1.2', 500],
    ]);
    expect(c.total.bytes).toBe(5500);
    const my = await top(otherCity, 'by=dstAddr');
    expect(my.items.map((i) => i.key)).toEqual(['10.33.1.1']);
    expect(my.total.bytes).toBe(5000);
    const cd = await top(city, 'by=srcAddr');
    expect(cd.total.bytes).toBe(6000);

    const s = (await (await county.get('/api/v1/flows/series?by=srcOrgUnit&step=60')).json()) as {
      series: Array<{ key: string; points: [number, number][] }>;
      other: { points: [number, number][] };
    };
    expect(s.series.map((x) => x.key)).toEqual(['sc-cd-jj']);
    expect(s.series[0]!.points.reduce((a, p) => a + p[1], 0)).toBe(5500);
    expect(s.other.points.every((p) => p[1] === 0)).toBe(true);

    const k = (await (await county.get('/api/v1/flows/sankey?by=srcAddr,dstAddr')).json()) as {
      nodes: Array<{ id: string }>;
    };
    expect(k.nodes.map((n) => n.id).sort()).toEqual([
      'dstAddr:10.33.1.1',
      'dstAddr:8.8.8.8',
      'srcAddr:10.17.1.1',
      'srcAddr:10.17.1.2',
    ]);
    // A filter naming another unit's flows finds nothing in scope.
    const f = await top(
      county,
      `by=srcAddr&filter=${encodeURIComponent('srcOrgUnit = sc-cd AND dstPort = 22')}`,
    );
    expect(f.items).toEqual([]);
    expect(f.total.bytes).toBe(0);
    // The root sees all, transit included.
    expect((await top(admin, 'by=direction')).total.bytes).toBe(6050);
  });

  it('gives the overview its flow figures, in scope', async () => {
    const o = (await (await admin.get('/api/v1/overview')).json()) as {
      modules: {
        flows: {
          lastHour: { bytes: number };
          topApps: Array<{ app: string; bytes: number }>;
          egressBitsPerSecond: number;
        };
      };
    };
    expect(o.modules.flows.lastHour.bytes).toBe(6050);
    expect(o.modules.flows.topApps.slice(0, 3)).toEqual([
      { app: 'HTTPS', bytes: 5000 },
      { app: 'DNS', bytes: 500 },
      { app: 'SSH', bytes: 300 },
    ]);
    expect(o.modules.flows.egressBitsPerSecond).toBe(Math.round((500 * 8) / 3600));
    const c = (await (await county.get('/api/v1/overview')).json()) as typeof o;
    expect(c.modules.flows.lastHour.bytes).toBe(5500);
  });

  it('refuses an exporter outside the agent, a bad address, and needs flows:read', async () => {
    const my = await enrolEdge('sc-my');
    const out = await report(my, [payload(EXPORTER, M0, ROWS_M1)]);
    expect(out.status).toBe(400);
    expect(await out.text()).toContain('exporter 127.0.16.1 is a device outside');
    const bad = await report(edge, [payload('192.0.2.9', M0, [{ ...ROWS_M1[0]!, src: '999.1.1.1' }])]);
    expect(bad.status).toBe(400);
    const { error } = (await bad.json()) as { error: { message: string } };
    expect(error.message).toBe(
      'flow-aggregates from 192.0.2.9: columns.srcAddr[0]: "999.1.1.1" is not an IPv4 or IPv6 address',
    );
    const [count] = await t.cp.services.telemetry.query<{ n: string }>('SELECT count() AS n FROM flows_1m');
    expect(Number(count!.n)).toBe(6);
    const nobody = await user('backup-op', 'sc', 'backup-operator');
    expect((await nobody.get('/api/v1/flows/top?by=app')).status).toBe(403);
  });

  it("gives edge agents the flows section: the policy's collector and their exporters", async () => {
    const res = await t.request(`/api/v1/agents/${edge.agentId}/config`, {
      headers: { authorization: edge.auth },
    });
    expect(res.status).toBe(200);
    const cfg = (await res.json()) as {
      flows?: { allowedSources: string[]; netflowPort: number; key: string[] };
    };
    expect(cfg.flows?.netflowPort).toBe(2055);
    expect(cfg.flows?.allowedSources).toContain('127.0.0.0/8');
    expect(cfg.flows?.allowedSources).toContain('127.0.16.1/32');
    expect(cfg.flows?.allowedSources).not.toContain('127.0.1.1/32');
    expect(cfg.flows?.key).toContain('ipVersion');
  });
});
