import { alarmsRef } from '../alerting/module.js';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { DiscoveryPayload, InterfacePollPayload, PollOutcome, SweepPayload } from '@tianshu/protocol';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../../../test/support/control-plane.js';
import type { AlarmCondition } from '../alerting/types.js';
import type { DeviceDetail, DeviceStatus, InterfaceStatus, SweepView } from './devices.js';
import { expandCidr, addressSlug } from './devices.js';
import { osVersionFromSysDescr, vendorFromSysObjectId } from './discovery.js';

/*
 * Devices as operators see them, through the HTTP API on PGlite and chDB: discovery fills the
 * inventory, polls fail visibly, add by address and by sweep, scope. The alarm sink is the real
 * alerting service; a spy records what the network module sends it.
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
  t = await startTestControlPlane();
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

async function report(
  agent: EdgeAgent,
  payloads: (InterfacePollPayload | DiscoveryPayload | SweepPayload)[],
) {
  const res = await t.request(
    `/api/v1/agents/${agent.agentId}/reports`,
    json(
      { batchId: randomUUID(), sequence: 1, createdAt: new Date().toISOString(), payloads },
      { authorization: agent.auth },
    ),
  );
  return res;
}

async function edgeConfig(agent: EdgeAgent) {
  const res = await t.request(`/api/v1/agents/${agent.agentId}/config`, {
    headers: { authorization: agent.auth },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as {
    configVersion: string;
    edge: {
      targets: { deviceId: string; address: string; port: number; discoveryToken?: string }[];
      sweeps?: { sweepId: string; addresses: string[]; port: number; credentials: unknown }[];
    };
  };
}

type Disc = DiscoveryPayload['interfaces'][number];
const iface = (ifIndex: number, name: string, extra: Partial<Disc> = {}): Disc => ({
  ifIndex,
  name,
  alias: '',
  descr: name,
  type: 6,
  speedMbps: 1000,
  adminStatus: 'up',
  operStatus: 'up',
  counterBits: 64,
  ...extra,
});

function discovery(deviceId: string, at: number, interfaces: Disc[], extra: Partial<DiscoveryPayload> = {}) {
  return {
    kind: 'discovery',
    deviceId,
    at,
    reachable: true,
    outcome: 'ok',
    sysName: `${deviceId}.example`,
    sysDescr:
      'Cisco IOS Software, C3750 Software (C3750-IPSERVICESK9-M), Version 12.2(55)SE9, RELEASE SOFTWARE (fc1)',
    sysObjectId: '1.3.6.1.4.1.9.1.516',
    sysLocation: 'rack 3',
    interfaces,
    neighbours: [],
    ...extra,
  } satisfies DiscoveryPayload;
}

function poll(
  deviceId: string,
  at: number,
  outcome: PollOutcome,
  ifs: { ifIndex: number; name: string; oper?: 'up' | 'down'; bits?: 32 | 64 }[] = [],
  extra: Partial<InterfacePollPayload> = {},
): InterfacePollPayload {
  const answered = outcome === 'ok' || outcome === 'partial';
  return {
    kind: 'interface-poll',
    deviceId,
    polledAt: at,
    durationMs: 15,
    reachable: outcome !== 'timeout',
    outcome,
    ...(answered ? { sysUpTime: 360_000 } : {}),
    interfaces: answered
      ? ifs.map((i) => ({
          ifIndex: i.ifIndex,
          name: i.name,
          alias: '',
          operStatus: i.oper ?? 'up',
          adminStatus: 'up',
          speedMbps: 1000,
          counterBits: i.bits ?? 64,
          inOctets: '1000',
          outOctets: '2000',
          inErrors: '0',
          outErrors: '0',
          inDiscards: '0',
          outDiscards: '0',
          rates: {
            inBitsPerSecond: 100e6,
            outBitsPerSecond: 50e6,
            inErrorsPerSecond: 0.5,
            outErrorsPerSecond: 0,
            inDiscardsPerSecond: 2,
            outDiscardsPerSecond: 1,
            intervalSeconds: 30,
          },
        }))
      : [],
    ...extra,
  };
}

async function device(s: Session, id: string): Promise<DeviceDetail> {
  const res = await s.get(`/api/v1/network/devices/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as DeviceDetail;
}

const byIndex = (d: DeviceDetail, ifIndex: number): InterfaceStatus | undefined =>
  d.interfaces.find((i) => i.ifIndex === ifIndex);

describe('pure parts', () => {
  it('name vendors from enterprise numbers and OS versions from Cisco and Huawei sysDescr', () => {
    expect(vendorFromSysObjectId('1.3.6.1.4.1.9.1.516')).toBe('Cisco');
    expect(vendorFromSysObjectId('1.3.6.1.4.1.2011.2.224')).toBe('Huawei');
    expect(vendorFromSysObjectId('1.3.6.1.4.1.25506.1.1')).toBe('H3C');
    expect(vendorFromSysObjectId('1.3.6.1.4.1.8072.3.2.10')).toBe('Net-SNMP');
    expect(vendorFromSysObjectId('1.3.6.1.4.1.99999.1')).toBeUndefined();
    expect(vendorFromSysObjectId('1.3.6.1.2.1.1')).toBeUndefined();
    expect(
      osVersionFromSysDescr(
        'Cisco IOS Software, C3750 Software (C3750-IPSERVICESK9-M), Version 12.2(55)SE9, RELEASE SOFTWARE',
      ),
    ).toBe('12.2(55)SE9');
    expect(
      osVersionFromSysDescr(
        'Huawei Versatile Routing Platform Software\r\nVRP (R) software, Version 8.180 (CE6850EI V200R005C10SPC800)',
      ),
    ).toBe('8.180');
    expect(osVersionFromSysDescr('Linux lab 6.1.0-18-amd64 #1 SMP')).toBeUndefined();
  });

  it('expand a bounded CIDR and refuse a larger one', () => {
    expect(expandCidr('10.0.0.0/30')).toEqual(['10.0.0.1', '10.0.0.2']);
    expect(expandCidr('10.0.0.4/31')).toEqual(['10.0.0.4', '10.0.0.5']);
    expect(expandCidr('10.0.0.0/22')).toHaveLength(1022);
    expect(() => expandCidr('10.0.0.0/21')).toThrow(/at most 1024/);
    expect(() => expandCidr('10.0.0.1/24')).toThrow(/bits set/);
    expect(addressSlug('10.1.2.3')).toBe('dev-10-1-2-3');
    expect(addressSlug('2001:db8::1')).toBe('dev-2001-db8-1');
  });
});

describe('discovery into the inventory', () => {
  it('creates interfaces without typing them, renames, re-indexes keeping the link, marks missing, with history', async () => {
    const edge = await enrolEdge('sc-cd');
    const dev = 'sc-cd-jj-acc';
    const before = await t.cp.services.db.query<{ id: string; if_index: number; name: string }>(
      'SELECT id, if_index, name FROM interfaces WHERE device_id = $1 ORDER BY if_index',
      [dev],
    );
    // The demo typed some interfaces in; discovery matches them by ifIndex and name.
    const typed = before.rows.map((r) => ({ ifIndex: Number(r.if_index), name: r.name }));
    expect(typed.length).toBeGreaterThan(0);
    const linked = typed[0]!;
    const t0 = Date.now() - 600_000;
    const first = [
      ...typed.map((x) => iface(x.ifIndex, x.name)),
      iface(101, 'Gi0/101', { alias: 'to printer', mac: '00:11:22:33:44:55' }),
      iface(102, 'Gi0/102', { counterBits: 32, speedMbps: 100 }),
      iface(103, 'Null0', { type: 1, speedMbps: 0 }),
    ];
    expect((await report(edge, [discovery(dev, t0, first)])).status).toBe(200);
    let d = await device(admin, dev);
    expect(d).toMatchObject({
      vendor: expect.any(String),
      osVersion: '12.2(55)SE9',
      sysName: `${dev}.example`,
      sysLocation: 'rack 3',
      lastDiscovery: { outcome: 'ok', error: null },
    });
    expect(byIndex(d, 101)).toMatchObject({
      name: 'Gi0/101',
      alias: 'to printer',
      mac: '00:11:22:33:44:55',
      speedMbps: 1000,
      counterBits: 64,
      missingSince: null,
    });
    expect(byIndex(d, 102)).toMatchObject({ counterBits: 32, speedMbps: 100 });
    expect(byIndex(d, 103)).toMatchObject({ name: 'Null0', speedMbps: null, type: 1 });
    const inv = await admin.get(`/api/v1/inventory/interfaces?deviceId=${dev}`);
    const invItems = ((await inv.json()) as { items: { ifIndex: number; id: string }[] }).items;
    expect(invItems.map((i) => i.ifIndex)).toEqual(expect.arrayContaining([101, 102, 103]));
    const linkedId = before.rows[0]!.id;

    // After a reboot: the linked interface moved to ifIndex 201, 102 was renamed, 103 is gone.
    const second = [
      ...typed.slice(1).map((x) => iface(x.ifIndex, x.name)),
      iface(201, linked.name),
      iface(101, 'Gi0/101', { alias: 'to printer' }),
      iface(102, 'Gi0/102-renamed', { counterBits: 32, speedMbps: 100 }),
    ];
    expect((await report(edge, [discovery(dev, t0 + 60_000, second)])).status).toBe(200);
    d = await device(admin, dev);
    expect(byIndex(d, 201)).toMatchObject({ id: linkedId, name: linked.name });
    expect(byIndex(d, linked.ifIndex)?.id ?? null).not.toBe(linkedId);
    expect(byIndex(d, 102)).toMatchObject({ name: 'Gi0/102-renamed' });
    expect(byIndex(d, 103)).toMatchObject({ missingSince: new Date(t0 + 60_000).toISOString() });
    expect(d.interfaceCounts.missing).toBe(1);
    // Links keep pointing at the same interface row.
    const link = await t.cp.services.db.query<{ n: string }>(
      'SELECT count(*) AS n FROM links WHERE a_interface_id = $1 OR b_interface_id = $1',
      [linkedId],
    );
    const linkView = d.links.find((l) => l.ifIndex === 201);
    if (Number(link.rows[0]!.n) > 0) expect(linkView).toBeDefined();

    const moved = await admin.get(`/api/v1/network/devices/${dev}/interfaces/201`);
    expect(moved.status).toBe(200);
    const movedBody = (await moved.json()) as { history: { change: string; detail: string }[] };
    expect(movedBody.history.map((h) => h.change)).toContain('reindexed');
    const renamed = (await (await admin.get(`/api/v1/network/devices/${dev}/interfaces/102`)).json()) as {
      history: { change: string; detail: string }[];
    };
    expect(renamed.history.map((h) => h.change)).toEqual(['renamed', 'added']);
    expect(renamed.history[0]!.detail).toContain('Gi0/102-renamed');
    const gone = (await (await admin.get(`/api/v1/network/devices/${dev}/interfaces/103`)).json()) as {
      history: { change: string }[];
    };
    expect(gone.history.map((h) => h.change)).toEqual(['missing', 'added']);

    // It comes back when seen again.
    expect(
      (await report(edge, [discovery(dev, t0 + 120_000, [...second, iface(103, 'Null0', { type: 1 })])]))
        .status,
    ).toBe(200);
    d = await device(admin, dev);
    expect(byIndex(d, 103)?.missingSince).toBeNull();
    const back = (await (await admin.get(`/api/v1/network/devices/${dev}/interfaces/103`)).json()) as {
      history: { change: string }[];
    };
    expect(back.history[0]!.change).toBe('back');

    // A failed discovery changes nothing in the inventory and is shown with its reason.
    expect(
      (
        await report(edge, [
          discovery(dev, t0 + 180_000, [], {
            reachable: true,
            outcome: 'agent-error',
            error: 'sysDescr.0: noSuchObject',
          }),
        ])
      ).status,
    ).toBe(200);
    d = await device(admin, dev);
    expect(d.lastDiscovery).toMatchObject({ outcome: 'agent-error', error: 'sysDescr.0: noSuchObject' });
    expect(byIndex(d, 103)?.missingSince).toBeNull();
  });
});
