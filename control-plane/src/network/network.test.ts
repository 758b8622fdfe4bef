import { alarmsRef } from '../alerting/module.js';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { InterfacePollPayload, DiscoveryPayload } from '@tianshu/protocol';
import {
  ADMIN_PASSWORD,
  REPO,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../../../test/support/control-plane.js';
import type { AlarmCondition } from '../alerting/types.js';
import type { LinkView } from './service.js';

/*
 * Through the HTTP API, in process, on PGlite and chDB. The alarm sink is the real alerting service
 * (it landed before these tests were written); a spy records what the network module sends it.
 */
let t: TestControlPlane;
let admin: Session;
let fired: AlarmCondition[];
let resolved: string[];

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

beforeAll(async () => {
  t = await startTestControlPlane({
    overrides: { snmpCredentialsFile: join(REPO, 'control-plane/inventory/demo-snmp-credentials.yaml') },
  });
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  const sink = t.cp.services.modules.use(alarmsRef);
  fired = [];
  resolved = [];
  const fire = sink.fire.bind(sink);
  const resolve = sink.resolve.bind(sink);
  vi.spyOn(sink, 'fire').mockImplementation(async (c, at, tx) => {
    fired.push(c);
    return fire(c, at, tx);
  });
  vi.spyOn(sink, 'resolve').mockImplementation(async (kind, type, id, at, tx) => {
    resolved.push(`${kind} ${type} ${id}`);
    return resolve(kind, type, id, at, tx);
  });
});
afterAll(async () => {
  vi.restoreAllMocks();
  await t?.close();
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
    json({ token, hostname: `edge-${orgUnitId}`, roles: ['edge'], version: '0.1.0' }),
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

interface If {
  ifIndex: number;
  oper: 'up' | 'down' | 'lowerLayerDown';
  inBps: number;
  outBps: number;
  speed?: number;
}

function poll(deviceId: string, at: number, ifs: If[]): InterfacePollPayload {
  return {
    kind: 'interface-poll',
    deviceId,
    polledAt: at,
    durationMs: 12,
    reachable: true,
    sysUpTime: 123_456,
    interfaces: ifs.map((i) => ({
      ifIndex: i.ifIndex,
      name: `if${i.ifIndex}`,
      alias: '',
      operStatus: i.oper,
      adminStatus: 'up',
      speedMbps: i.speed ?? 1000,
      inOctets: '1000',
      outOctets: '2000',
      inErrors: '0',
      outErrors: '0',
      inDiscards: '0',
      outDiscards: '0',
      rates: {
        inBitsPerSecond: i.inBps,
        outBitsPerSecond: i.outBps,
        inErrorsPerSecond: 0,
        outErrorsPerSecond: 0,
        inDiscardsPerSecond: 0,
        outDiscardsPerSecond: 0,
        intervalSeconds: 30,
      },
    })),
  };
}

async function report(
  agent: EdgeAgent,
  payloads: (InterfacePollPayload | DiscoveryPayload)[],
  batchId = randomUUID(),
) {
  return t.request(
    `/api/v1/agents/${agent.agentId}/reports`,
    json(
      { batchId, sequence: 1, createdAt: new Date().toISOString(), payloads },
      { authorization: agent.auth },
    ),
  );
}

async function links(s: Session, query = ''): Promise<LinkView[]> {
  const res = await s.get(`/api/v1/network/links${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { items: LinkView[] }).items;
}

async function count(sql: string, params: Record<string, string>): Promise<number> {
  const [row] = await t.cp.services.telemetry.query<{ n: string }>(sql, params);
  return Number(row?.n ?? 0);
}

describe('SNMP credentials', () => {
  it('are sealed at rest and never returned', async () => {
    const rows = await t.cp.services.db.query<Record<string, unknown>>('SELECT * FROM snmp_credentials');
    expect(rows.rows.map((r) => r.id).sort()).toEqual(['lab-community', 'lab-snmpv3']);
    const raw = JSON.stringify(rows.rows);
    expect(raw).not.toContain('tianshu-lab-auth');
    expect(raw).not.toContain('tianshu-lab-priv');
    for (const r of rows.rows) expect(String(r.secret)).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(JSON.stringify(rows.rows.find((r) => r.id === 'lab-community'))).not.toContain('tianshu-lab');

    const created = await admin.send('POST', '/api/v1/network/credentials', {
      id: 'cd-v3',
      orgUnitId: 'sc-cd',
      version: '3',
      user: 'noc',
      level: 'authPriv',
      authProtocol: 'sha',
      authKey: 'auth-secret-123',
      privProtocol: 'aes',
      privKey: 'priv-secret-456',
    });
    expect(created.status).toBe(201);
    const body = JSON.stringify(await created.json());
    expect(body).not.toMatch(/auth-secret-123|priv-secret-456/);
    expect(JSON.parse(body)).toMatchObject({
      id: 'cd-v3',
      user: 'noc',
      secrets: { authKey: true, privKey: true },
    });
    const list = await admin.get('/api/v1/network/credentials');
    expect(list.status).toBe(200);
    const listed = JSON.stringify(await list.json());
    // The v3 user name is not secret (and happens to equal the lab community); secrets are.
    expect(listed).not.toMatch(
      /"community":"|authKey":"|privKey":"|auth-secret-123|priv-secret-456|tianshu-lab-auth/,
    );
    expect(listed).toContain('"devices":13');
    const audit = await t.cp.services.db.query<{ details: unknown }>(
      `SELECT details FROM audit_log WHERE target_type = 'snmp-credential'`,
    );
    expect(audit.rowCount).toBeGreaterThan(0);
    expect(JSON.stringify(audit.rows)).not.toMatch(/auth-secret-123|priv-secret-456|tianshu-lab-auth/);

    const bad = await admin.send('POST', '/api/v1/network/credentials', {
      id: 'half',
      orgUnitId: 'sc',
      version: '3',
      user: 'x',
      level: 'authPriv',
    });
    expect(bad.status).toBe(400);
    expect((await admin.send('DELETE', '/api/v1/network/credentials/lab-community')).status).toBe(409);
    expect((await admin.send('DELETE', '/api/v1/network/credentials/cd-v3')).status).toBe(204);
  });
});

describe('SNMP credential grants', () => {
  it('lets lower units use a credential only by explicit grant, and keeps a grant in use', async () => {
    const made = await admin.send('POST', '/api/v1/network/credentials', {
      id: 'cd-shared',
      orgUnitId: 'sc-cd',
      version: '2c',
      community: 'cd-shared-secret',
      grants: ['sc-cd-sl'],
    });
    expect(made.status).toBe(201);
    expect(await made.json()).toMatchObject({ grants: ['sc-cd-sl'] });
    // A grant names a unit below the owner, never the owner, a sibling or a unit above.
    for (const grants of [['sc-cd'], ['sc-my'], ['sc']]) {
      const bad = await admin.send('PATCH', '/api/v1/network/credentials/cd-shared', { grants });
      expect(bad.status).toBe(400);
    }
    const sl = await user('sl-netops-grants', 'sc-cd-sl');
    const jj = await user('jj-netops-grants', 'sc-cd-jj');
    const use = (s: Session, id: string) =>
      s.send('PATCH', `/api/v1/inventory/devices/${id}`, {
        snmp: { version: '2c', credentialRef: 'cd-shared' },
      });
    expect((await use(sl, 'sc-cd-sl-acc')).status).toBe(200);
    // Jinjiang has no grant: the credential does not exist for it.
    const refused = await use(jj, 'sc-cd-jj-acc');
    expect(refused.status).toBe(404);
    expect(await refused.text()).not.toContain('sc-cd');
    // Taking the grant back would strand the Shuangliu device.
    const revoke = await admin.send('PATCH', '/api/v1/network/credentials/cd-shared', { grants: [] });
    expect(revoke.status).toBe(409);
    expect(await revoke.text()).toContain('sc-cd-sl-acc');
    await sl.send('PATCH', '/api/v1/inventory/devices/sc-cd-sl-acc', {
      snmp: { version: '2c', credentialRef: 'lab-community', port: 16100 },
    });
    expect((await admin.send('PATCH', '/api/v1/network/credentials/cd-shared', { grants: [] })).status).toBe(
      200,
    );
    expect((await admin.send('DELETE', '/api/v1/network/credentials/cd-shared')).status).toBe(204);
  });
});

describe('edge config', () => {
  it('lists exactly the subtree devices with their credentials, and changes version with a credential', async () => {
    const edge = await enrolEdge('sc');
    const get = async () => {
      const res = await t.request(`/api/v1/agents/${edge.agentId}/config`, {
        headers: { authorization: edge.auth },
      });
      expect(res.status).toBe(200);
      return (await res.json()) as {
        configVersion: string;
        edge: {
          pollIntervalSeconds: number;
          concurrency: number;
          targets: { deviceId: string; port: number; address: string; credentials: unknown }[];
        };
      };
    };
    const before = await get();
    expect(before.edge.pollIntervalSeconds).toBe(30);
    expect(before.edge.concurrency).toBe(64);
    const all = await t.cp.services.db.query<{ id: string }>('SELECT id FROM devices ORDER BY id');
    expect(all.rowCount).toBe(13);
    expect(before.edge.targets.map((x) => x.deviceId)).toEqual(all.rows.map((d) => d.id));
    for (const target of before.edge.targets) {
      expect(target.port).toBe(16100);
      expect(target.address).toMatch(/^127\./);
      expect(target.credentials).toEqual({ version: '2c', community: 'tianshu-lab' });
    }

    const patched = await admin.send('PATCH', '/api/v1/network/credentials/lab-community', {
      community: 'rotated-1',
    });
    expect(patched.status).toBe(200);
    const after = await get();
    expect(after.configVersion).not.toBe(before.configVersion);
    expect(after.edge.targets[0]!.credentials).toEqual({ version: '2c', community: 'rotated-1' });
    const hb = await t.request(
      `/api/v1/agents/${edge.agentId}/heartbeat`,
      json(
        {
          version: '0.1.0',
          uptimeSeconds: 1,
          queue: { pendingBatches: 0, pendingBytes: 0, droppedBatches: 0 },
        },
        { authorization: edge.auth },
      ),
    );
    expect(((await hb.json()) as { configVersion: string }).configVersion).toBe(after.configVersion);
    await admin.send('PATCH', '/api/v1/network/credentials/lab-community', { community: 'tianshu-lab' });
    expect((await get()).configVersion).toBe(before.configVersion);
  });

  it('refuses a poll of a device the agent is not assigned to with 400, storing nothing', async () => {
    const edge = await enrolEdge('sc-my');
    const now = Date.now();
    const res = await report(edge, [
      poll('sc-my-agg', now, [{ ifIndex: 11, oper: 'up', inBps: 1e6, outBps: 1e6 }]),
      poll('sc-lz-agg', now, [{ ifIndex: 11, oper: 'up', inBps: 1e6, outBps: 1e6 }]),
    ]);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /not assigned.*sc-lz-agg/,
    );
    for (const device of ['sc-my-agg', 'sc-lz-agg']) {
      expect(
        await count('SELECT count() AS n FROM interface_metrics WHERE device_id = {d:String}', { d: device }),
      ).toBe(0);
      expect(
        await count('SELECT count() AS n FROM device_polls WHERE device_id = {d:String}', { d: device }),
      ).toBe(0);
    }
    const state = await t.cp.services.db.query(
      `SELECT 1 FROM device_poll_state WHERE device_id IN ('sc-my-agg', 'sc-lz-agg')`,
    );
    expect(state.rowCount).toBe(0);
    const host = await enrolHostAgent();
    const fromHost = await report(host, [poll('sc-my-agg', now, [])]);
    expect(fromHost.status).toBe(400);
  });
});

async function enrolHostAgent(): Promise<EdgeAgent> {
  const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: 'host',
    orgUnitId: 'sc',
    roles: ['host'],
  });
  const { token } = (await tok.json()) as { token: string };
  const res = await t.request(
    '/api/v1/fleet/enrol',
    json({ token, hostname: 'h1', roles: ['host'], version: '0.1.0' }),
  );
  const body = (await res.json()) as { agentId: string; credential: string };
  return { agentId: body.agentId, auth: `Bearer ${body.agentId}.${body.credential}` };
}

describe('failover of the sc-cd-jj uplink pair', () => {
  // Primary: sc-cd-agg ifIndex 11 ↔ sc-cd-jj-acc ifIndex 1 (plane A); backup: 12 ↔ 2 (plane B).
  const round = (at: number, primaryUp: boolean, primaryTraffic: boolean, backupTraffic: boolean) => {
    const p = primaryUp ? 'up' : 'lowerLayerDown';
    const busy = (on: boolean) => (on ? 300e6 : 0);
    return [
      poll('sc-cd-agg', at, [
        { ifIndex: 11, oper: p, inBps: busy(primaryTraffic) / 3, outBps: busy(primaryTraffic) },
        { ifIndex: 12, oper: 'up', inBps: busy(backupTraffic) / 3, outBps: busy(backupTraffic) },
      ]),
      poll('sc-cd-jj-acc', at, [
        { ifIndex: 1, oper: p, inBps: busy(primaryTraffic), outBps: busy(primaryTraffic) / 3 },
        { ifIndex: 2, oper: 'up', inBps: busy(backupTraffic), outBps: busy(backupTraffic) / 3 },
      ]),
    ];
  };

  it('shows failed over with failed-over, link-down and redundancy-lost within one poll, and clears them after recovery', async () => {
    const edge = await enrolEdge('sc');
    const t0 = Date.now() - 50_000;
    const first = randomUUID();
    expect((await report(edge, round(t0, true, true, false), first)).status).toBe(200);
    let pair = (await links(admin, '?orgUnitId=sc-cd-jj&level=county')).filter(
      (l) => l.pairId === 'sc-cd-jj-uplink',
    );
    const primary = pair.find((l) => l.role === 'primary')!;
    const backup = pair.find((l) => l.role === 'backup')!;
    expect(primary).toMatchObject({
      status: 'up',
      active: true,
      failedOver: false,
      speedMbps: 1000,
      bps: { in: 100e6, out: 300e6 },
      utilisation: { inPercent: 10, outPercent: 30, maxPercent: 30 },
      tier: { targetMbps: 1000, actualMbps: 1000, verdict: 'ok' },
      a: { deviceId: 'sc-cd-agg', ifIndex: 11, ifName: 'GigabitEthernet1/0/1' },
      b: { deviceId: 'sc-cd-jj-acc', ifIndex: 1 },
    });
    expect(backup).toMatchObject({ status: 'up', active: false, failedOver: false });
    expect(fired.filter((c) => c.targetId === 'sc-cd-jj/sc-cd-jj-uplink')).toEqual([]);

    // The primary goes down and the backup's traffic rises: one poll later the pair shows failed over.
    expect((await report(edge, round(t0 + 20_000, false, false, true))).status).toBe(200);
    pair = (await links(admin, '?orgUnitId=sc-cd-jj')).filter((l) => l.pairId === 'sc-cd-jj-uplink');
    expect(pair.find((l) => l.role === 'primary')).toMatchObject({
      status: 'down',
      active: false,
      failedOver: true,
    });
    expect(pair.find((l) => l.role === 'backup')).toMatchObject({
      status: 'up',
      active: true,
      failedOver: true,
    });
    expect((await links(admin, '?status=down')).map((l) => l.id)).toEqual([primary.id]);
    const kinds = fired.map((c) => `${c.kind} ${c.targetType} ${c.targetId} ${c.severity}`).sort();
    expect(kinds).toEqual([
      'failed-over pair sc-cd-jj/sc-cd-jj-uplink major',
      `link-down link ${primary.id} critical`,
      'redundancy-lost pair sc-cd-jj/sc-cd-jj-uplink major',
    ]);
    const alarms = await admin.get('/api/v1/network/alarms');
    expect(alarms.status).toBe(200);
    const firing = ((await alarms.json()) as { items: { kind: string; state: string }[] }).items;
    expect(firing.map((a) => a.kind).sort()).toEqual(['failed-over', 'link-down', 'redundancy-lost']);

    const detail = await admin.get(`/api/v1/network/links/${primary.id}`);
    const d = (await detail.json()) as LinkView & { history: { event: string; detail: string }[] };
    expect(d.history.map((h) => h.event).sort()).toEqual(['down', 'failover']);
    expect(d.lastChangeAt).toBe(new Date(t0 + 20_000).toISOString());

    const conf = (await (await admin.get('/api/v1/network/conformance')).json()) as {
      redundancy: {
        orgUnitId: string;
        pairs: number;
        degraded: number;
        failedOver: number;
        degradedPairs: { pairId: string }[];
      }[];
      tiers: { orgUnitId: string; links: number; conforming: number }[];
      integration: { orgUnitId: string; rate: number | null }[];
    };
    expect(conf.redundancy.find((r) => r.orgUnitId === 'sc-cd-jj')).toMatchObject({
      pairs: 2,
      degraded: 1,
      failedOver: 1,
      degradedPairs: [{ pairId: 'sc-cd-jj-uplink' }],
    });
    expect(conf.tiers.find((x) => x.orgUnitId === 'sc')).toMatchObject({ links: 22 });
    expect(conf.integration.find((x) => x.orgUnitId === 'sc')?.rate).toBeCloseTo(2 / 5);

    // Recovery: traffic back on the primary.
    expect((await report(edge, round(t0 + 40_000, true, true, false))).status).toBe(200);
    pair = (await links(admin, '?orgUnitId=sc-cd-jj')).filter((l) => l.pairId === 'sc-cd-jj-uplink');
    expect(pair.find((l) => l.role === 'primary')).toMatchObject({
      status: 'up',
      active: true,
      failedOver: false,
    });
    expect(resolved.sort()).toEqual([
      'failed-over pair sc-cd-jj/sc-cd-jj-uplink',
      `link-down link ${primary.id}`,
      'redundancy-lost pair sc-cd-jj/sc-cd-jj-uplink',
    ]);
    const after = ((await (await admin.get('/api/v1/network/alarms')).json()) as { items: unknown[] }).items;
    expect(after).toEqual([]);
    const history = (
      (await (await admin.get(`/api/v1/network/links/${backup.id}`)).json()) as {
        history: { event: string }[];
      }
    ).history;
    expect(history.map((h) => h.event)).toEqual(['failback', 'failover']);

    // A replayed batch is a duplicate and changes nothing.
    const again = await report(edge, round(t0, true, true, false), first);
    expect(await again.json()).toMatchObject({ duplicate: true });
    expect(
      await count('SELECT count() AS n FROM interface_metrics WHERE device_id = {d:String}', {
        d: 'sc-cd-jj-acc',
      }),
    ).toBe(6);

    const metrics = await admin.get(`/api/v1/network/links/${primary.id}/metrics?range=15m`);
    expect(metrics.status).toBe(200);
    const m = (await metrics.json()) as { stepSeconds: number; series: Record<string, [number, number][]> };
    expect(m.stepSeconds).toBe(30);
    const outs = m.series.outBitsPerSecond!.map(([, v]) => v);
    // Polls 20 s apart in 30 s buckets: a full bucket before the failure, a mixed one after it.
    expect(Math.max(...outs)).toBe(300e6);
    expect(Math.min(...outs)).toBeLessThan(300e6);
    expect(m.series.inPercent!.length).toBeGreaterThan(0);
    expect((await admin.get(`/api/v1/network/links/${primary.id}/metrics?range=2d`)).status).toBe(400);

    const topo = (await (await admin.get('/api/v1/network/topology')).json()) as {
      orgUnits: unknown[];
      devices: { id: string; reachable: boolean | null; managementAddress: string }[];
      links: unknown[];
    };
    expect(topo.links).toHaveLength(22);
    expect(
      topo.devices.every((x) => typeof x.managementAddress === 'string' && x.managementAddress.length > 0),
    ).toBe(true);
    expect(topo.devices.find((x) => x.id === 'sc-cd-agg')?.reachable).toBe(true);
    expect(topo.devices.find((x) => x.id === 'sc-lz-agg')?.reachable).toBeNull();
  });
});

describe('discovery and scoping', () => {
  it('proposes links from LLDP neighbours, scoped, accepted through the inventory or dismissed', async () => {
    for (const device of ['sc-cd-jj-acc', 'sc-cd-sl-acc']) {
      const res = await admin.send('POST', '/api/v1/inventory/interfaces', {
        deviceId: device,
        ifIndex: 20,
        name: 'GigabitEthernet2/0/1',
        speedMbps: 1000,
      });
      expect(res.status).toBe(201);
      const res2 = await admin.send('POST', '/api/v1/inventory/interfaces', {
        deviceId: device,
        ifIndex: 21,
        name: 'GigabitEthernet2/0/2',
        speedMbps: 1000,
      });
      expect(res2.status).toBe(201);
    }
    const edge = await enrolEdge('sc-cd');
    const discovery: DiscoveryPayload = {
      kind: 'discovery',
      deviceId: 'sc-cd-jj-acc',
      at: Date.now(),
      reachable: true,
      sysName: 'sc-cd-jj-acc',
      sysDescr: 'ZTE ZXR10',
      sysObjectId: '1.3.6.1.4.1.3902.3.100',
      interfaces: [],
      neighbours: [
        // Matched by device id and port id.
        {
          localIfIndex: 20,
          remoteChassisId: 'aa',
          remotePortId: 'GigabitEthernet2/0/1',
          remoteSysName: 'sc-cd-sl-acc',
        },
        // Matched by device name and port description.
        {
          localIfIndex: 21,
          remoteChassisId: 'aa',
          remotePortId: '0/21',
          remotePortDescription: 'GigabitEthernet2/0/2',
          remoteSysName: '双流区接入路由器',
        },
        // An existing link: no proposal.
        {
          localIfIndex: 1,
          remoteChassisId: 'bb',
          remotePortId: 'GigabitEthernet1/0/1',
          remoteSysName: 'sc-cd-agg',
        },
        // Unknown device: no proposal.
        { localIfIndex: 11, remoteChassisId: 'cc', remotePortId: 'Fa0/0', remoteSysName: 'somewhere-else' },
      ],
    };
    expect((await report(edge, [discovery])).status).toBe(200);
    const device = await admin.get('/api/v1/inventory/devices/sc-cd-jj-acc');
    expect(((await device.json()) as { sysObjectId: string }).sysObjectId).toBe('1.3.6.1.4.1.3902.3.100');

    const list = async (s: Session) => {
      const res = await s.get('/api/v1/network/discovery/proposals');
      expect(res.status).toBe(200);
      return (
        (await res.json()) as {
          items: { id: string; a: { deviceId: string; ifName: string }; b: { deviceId: string } }[];
        }
      ).items;
    };
    const proposals = await list(admin);
    expect(proposals).toHaveLength(2);
    for (const p of proposals)
      expect([p.a.deviceId, p.b.deviceId].sort()).toEqual(['sc-cd-jj-acc', 'sc-cd-sl-acc']);

    const city = await user('cd-noc', 'sc-cd');
    const county = await user('jj-noc', 'sc-cd-jj');
    const other = await user('fc-noc', 'sc-my-fc');
    expect(await list(city)).toHaveLength(2);
    expect(await list(county)).toHaveLength(0);
    expect(await list(other)).toHaveLength(0);
    const [first, second] = proposals as [(typeof proposals)[0], (typeof proposals)[0]];
    const accept = { level: 'department', role: 'primary', plane: 'A', orgUnitId: 'sc-cd' };
    expect(
      (await other.send('POST', `/api/v1/network/discovery/proposals/${first.id}/accept`, accept)).status,
    ).toBe(404);
    expect((await county.send('DELETE', `/api/v1/network/discovery/proposals/${first.id}`)).status).toBe(404);

    const accepted = await city.send(
      'POST',
      `/api/v1/network/discovery/proposals/${first.id}/accept`,
      accept,
    );
    expect(accepted.status).toBe(201);
    const link = (await accepted.json()) as { id: string; level: string };
    expect(link.level).toBe('department');
    const audit = await t.cp.services.db.query(
      `SELECT 1 FROM audit_log WHERE action = 'link.create' AND target_id = $1`,
      [link.id],
    );
    expect(audit.rowCount).toBe(1);
    expect((await city.send('DELETE', `/api/v1/network/discovery/proposals/${second.id}`)).status).toBe(204);
    expect(await list(city)).toHaveLength(0);

    // Seen again by a later discovery: the accepted one is now a link and the dismissed one stays dismissed.
    expect((await report(edge, [{ ...discovery, at: Date.now() + 1000 }])).status).toBe(200);
    expect(await list(admin)).toHaveLength(0);
  });

  it('shows a county only its links, and answers 404 outside', async () => {
    const county = await user('fc-viewer', 'sc-my-fc', 'auditor');
    const own = await links(county);
    expect(own.map((l) => l.orgUnitId).sort()).toEqual([
      'sc-my-fc',
      'sc-my-fc',
      'sc-my-fc-cl',
      'sc-my-fc-cl',
    ]);
    const all = await links(admin, '?orgUnitId=sc-cd-jj');
    expect((await county.get(`/api/v1/network/links/${all[0]!.id}`)).status).toBe(404);
    expect((await county.get(`/api/v1/network/links/${all[0]!.id}/metrics?range=1h`)).status).toBe(404);
    expect((await county.get('/api/v1/network/links?orgUnitId=sc-cd-jj')).status).toBe(404);
    const topo = (await (await county.get('/api/v1/network/topology')).json()) as {
      orgUnits: { id: string }[];
      devices: { id: string }[];
    };
    expect(topo.orgUnits.map((u) => u.id)).toEqual(['sc-my-fc', 'sc-my-fc-cl']);
    expect(topo.devices.map((d) => d.id)).toEqual(['sc-my-fc-acc', 'sc-my-fc-cl-acc']);
    expect((await county.get('/api/v1/network/credentials')).status).toBe(403);
  });
});
