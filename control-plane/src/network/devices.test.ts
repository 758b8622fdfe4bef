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
    // The interface a link ends on (the demo links the access switch to its aggregation).
    const onLink = await t.cp.services.db.query<{ id: string; link_id: string }>(
      `SELECT i.id, l.id AS link_id FROM interfaces i JOIN links l ON l.a_interface_id = i.id OR l.b_interface_id = i.id
       WHERE i.device_id = $1 ORDER BY i.if_index LIMIT 1`,
      [dev],
    );
    expect(onLink.rowCount).toBe(1);
    const linkedRow = before.rows.find((r) => r.id === onLink.rows[0]!.id)!;
    const linked = { ifIndex: Number(linkedRow.if_index), name: linkedRow.name };
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
    const linkedId = linkedRow.id;

    // After a reboot: the linked interface moved to ifIndex 201, 102 was renamed, 103 is gone.
    const second = [
      ...typed.filter((x) => x.ifIndex !== linked.ifIndex).map((x) => iface(x.ifIndex, x.name)),
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
    // The link keeps pointing at the same interface row, now at ifIndex 201.
    expect(d.links.find((l) => l.id === onLink.rows[0]!.link_id)).toMatchObject({ ifIndex: 201 });
    const linkApi = (await (await admin.get(`/api/v1/network/links/${onLink.rows[0]!.link_id}`)).json()) as {
      a: { deviceId: string; ifIndex: number };
      b: { deviceId: string; ifIndex: number };
    };
    expect([linkApi.a, linkApi.b].find((e) => e.deviceId === dev)?.ifIndex).toBe(201);

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

describe('re-index by name', () => {
  it('swaps two interfaces that exchanged their ifIndex, each row keeping its id', async () => {
    const edge = await enrolEdge('sc');
    const dev = 'sc-cd-sl-acc';
    const t0 = Date.now() - 100_000;
    const first = [iface(1, 'Gi0/1'), iface(2, 'Gi0/2'), iface(3, 'Gi0/3')];
    expect((await report(edge, [discovery(dev, t0, first)])).status).toBe(200);
    const ids = new Map((await device(admin, dev)).interfaces.map((i) => [i.name, i.id]));
    const swapped = [iface(1, 'Gi0/2'), iface(2, 'Gi0/1'), iface(3, 'Gi0/3')];
    expect((await report(edge, [discovery(dev, t0 + 1000, swapped)])).status).toBe(200);
    const d = await device(admin, dev);
    expect(byIndex(d, 1)).toMatchObject({ name: 'Gi0/2', id: ids.get('Gi0/2') });
    expect(byIndex(d, 2)).toMatchObject({ name: 'Gi0/1', id: ids.get('Gi0/1') });
    expect(byIndex(d, 3)).toMatchObject({ name: 'Gi0/3', id: ids.get('Gi0/3') });
    const h = (await (await admin.get(`/api/v1/network/devices/${dev}/interfaces/1`)).json()) as {
      history: { change: string; detail: string }[];
    };
    expect(h.history[0]).toMatchObject({ change: 'reindexed', detail: 'Gi0/2 moved from ifIndex 2 to 1' });
    // A replay of an older discovery changes nothing.
    expect((await report(edge, [discovery(dev, t0, first)])).status).toBe(200);
    expect(byIndex(await device(admin, dev), 1)?.name).toBe('Gi0/2');
  });
});

describe('every failure visible', () => {
  it('fires device-poll-failed after three agent errors naming the reason, shows it, and an ok poll resolves it', async () => {
    const edge = await enrolEdge('sc-my');
    const dev = 'sc-my-agg';
    const t0 = Date.now() - 10_000;
    const ifs = [{ ifIndex: 11, name: 'Gi0/11' }];
    expect((await report(edge, [poll(dev, t0, 'ok', ifs)])).status).toBe(200);
    let d = await device(admin, dev);
    expect(d).toMatchObject({ status: 'up', reachable: true, uptimeSeconds: 3600 });
    expect(byIndex(d, 11)).toMatchObject({
      inBps: 100e6,
      inUtilisation: 10,
      outUtilisation: 5,
      inErrorsPerSecond: 0.5,
      inDiscardsPerSecond: 2,
      outDiscardsPerSecond: 1,
      counterBits: 64,
    });
    const reason = 'sysUpTime.0: noSuchInstance';
    const failing = (i: number) =>
      poll(dev, t0 + i * 1000, 'agent-error', [], { reachable: true, error: reason });
    fired.length = 0;
    expect((await report(edge, [failing(1), failing(2)])).status).toBe(200);
    expect(fired.filter((f) => f.targetId === dev)).toEqual([]);
    d = await device(admin, dev);
    // Failing, not reachable, with the reason, before the alarm fires.
    expect(d).toMatchObject({
      status: 'failing',
      reachable: false,
      lastPoll: { outcome: 'agent-error', error: reason, consecutiveFailures: 2 },
    });
    expect(byIndex(d, 11)?.inBps).toBe(100e6);
    const topo = (await (await admin.get('/api/v1/network/topology')).json()) as {
      devices: { id: string; reachable: boolean | null }[];
    };
    expect(topo.devices.find((x) => x.id === dev)?.reachable).toBe(false);
    expect((await report(edge, [failing(3)])).status).toBe(200);
    const alarm = fired.filter((f) => f.targetId === dev);
    expect(alarm).toHaveLength(1);
    expect(alarm[0]).toMatchObject({
      kind: 'device-poll-failed',
      labels: { outcome: 'agent-error', reason },
    });
    expect(alarm[0]!.summary).toContain(reason);
    // The alarm is listed with the network's alarms.
    const listed = (await (await admin.get('/api/v1/network/alarms')).json()) as {
      items: { kind: string; targetId: string; summary: string }[];
    };
    expect(
      listed.items.find((a) => a.kind === 'device-poll-failed' && a.targetId === dev)?.summary,
    ).toContain(reason);
    const failingList = (await (await admin.get('/api/v1/network/devices?status=failing')).json()) as {
      items: { id: string }[];
    };
    expect(failingList.items.map((x) => x.id)).toContain(dev);
    // Another failure is no second alarm.
    expect((await report(edge, [failing(4)])).status).toBe(200);
    expect(fired.filter((f) => f.targetId === dev)).toHaveLength(1);

    resolved.length = 0;
    expect(
      (await report(edge, [poll(dev, t0 + 5 * 1000, 'partial', ifs, { missing: ['ifHCOutOctets'] })])).status,
    ).toBe(200);
    expect(resolved).toContain(`device-poll-failed device ${dev}`);
    d = await device(admin, dev);
    expect(d).toMatchObject({
      status: 'up',
      reachable: true,
      lastPoll: { outcome: 'partial', missing: ['ifHCOutOctets'], consecutiveFailures: 0 },
    });
    const polls = (await (await admin.get(`/api/v1/network/devices/${dev}/polls?range=1h`)).json()) as {
      items: { outcome: string; error: string | null }[];
    };
    expect(polls.items.map((p) => p.outcome)).toEqual([
      'partial',
      'agent-error',
      'agent-error',
      'agent-error',
      'agent-error',
      'ok',
    ]);
    expect(polls.items[1]!.error).toBe(reason);
    const metrics = (await (
      await admin.get(`/api/v1/network/devices/${dev}/interfaces/11/metrics?range=1h`)
    ).json()) as { stepSeconds: number; series: Record<string, [number, number][]> };
    expect(metrics.stepSeconds).toBe(60);
    expect(metrics.series.inBitsPerSecond!.length).toBeGreaterThan(0);
    expect(metrics.series.inDiscardsPerSecond!.at(-1)![1]).toBe(2);
    expect(metrics.series.outDiscardsPerSecond!.at(-1)![1]).toBe(1);
    expect(metrics.series.inErrorsPerSecond!.at(-1)![1]).toBe(0.5);
  });

  it('keeps timeouts on device-unreachable alone, and a change of reason swaps the alarm', async () => {
    const edge = await enrolEdge('sc-lz');
    const dev = 'sc-lz-agg';
    const t0 = Date.now() - 10_000;
    fired.length = 0;
    resolved.length = 0;
    const timeouts = [1, 2, 3].map((i) =>
      poll(dev, t0 + i * 1000, 'timeout', [], { error: 'no answer after 2 tries' }),
    );
    expect((await report(edge, timeouts)).status).toBe(200);
    expect(fired.filter((f) => f.targetId === dev).map((f) => f.kind)).toEqual(['device-unreachable']);
    expect((await device(admin, dev)).status).toBe('down');
    const auth = [4, 5, 6].map((i) =>
      poll(dev, t0 + i * 1000, 'auth', [], { reachable: true, error: 'usmStatsWrongDigests' }),
    );
    expect((await report(edge, auth)).status).toBe(200);
    expect(resolved).toContain(`device-unreachable device ${dev}`);
    expect(fired.filter((f) => f.targetId === dev).map((f) => f.kind)).toEqual([
      'device-unreachable',
      'device-poll-failed',
    ]);
    expect((await device(admin, dev)).status).toBe('failing');
    expect((await report(edge, [poll(dev, t0 + 7 * 1000, 'ok', [])])).status).toBe(200);
    expect(resolved).toContain(`device-poll-failed device ${dev}`);
  });
});

describe('add by address, sweep, discover now', () => {
  it('creates the device named by its address, discovery renames it and the agent config changes', async () => {
    // The lab credentials belong to the province: only agents enrolled there receive them.
    const edge = await enrolEdge('sc');
    const before = await edgeConfig(edge);
    const res = await admin.send('POST', '/api/v1/network/devices/add', {
      siteId: 'sc-cd-jj-node',
      address: '127.0.17.40',
      snmp: { version: '2c', credentialRef: 'lab-community', port: 16161 },
    });
    expect(res.status).toBe(201);
    const made = (await res.json()) as DeviceStatus;
    expect(made).toMatchObject({
      id: 'dev-127-0-17-40',
      name: '127.0.17.40',
      role: 'access',
      snmpPort: 16161,
      status: 'unknown',
      lastPoll: null,
    });
    const after = await edgeConfig(edge);
    expect(after.configVersion).not.toBe(before.configVersion);
    const target = after.edge.targets.find((x) => x.deviceId === made.id);
    expect(target).toMatchObject({ address: '127.0.17.40', port: 16161, discoveryToken: expect.any(String) });
    const audit = await t.cp.services.db.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE target_id = $1 ORDER BY id`,
      [made.id],
    );
    expect(audit.rows.map((r) => r.action)).toContain('device.create');

    // The same address again is refused with its code; a second device of the address gets -2.
    const again = await admin.send('POST', '/api/v1/network/devices/add', {
      siteId: 'sc-cd-jj-node',
      address: '127.0.17.40',
      snmp: { version: '2c', credentialRef: 'lab-community' },
    });
    expect(again.status).toBe(409);
    expect(((await again.json()) as { error: { code: string } }).error.code).toBe('device.address_in_use');
    const outside = await admin.send('POST', '/api/v1/network/devices/add', {
      siteId: 'sc-cd-jj-node',
      address: '10.9.9.9',
      snmp: { version: '2c', credentialRef: 'lab-community' },
    });
    expect(outside.status).toBe(400);
    expect(await outside.text()).toMatch(/management prefix/);

    // Discovery brings the sysName; the automatic name follows it.
    expect(
      (
        await report(edge, [
          discovery(made.id, Date.now() - 1000, [iface(1, 'eth0')], { sysName: 'jj-printer-sw' }),
        ])
      ).status,
    ).toBe(200);
    expect((await device(admin, made.id)).name).toBe('jj-printer-sw');

    // Discover now: a new token, a new config version, audited.
    const now = await admin.send('POST', `/api/v1/network/devices/${made.id}/discover`);
    expect(now.status).toBe(202);
    expect(((await now.json()) as { requestedAt: string }).requestedAt).toMatch(/^\d{4}-/);
    const again2 = await edgeConfig(edge);
    expect(again2.configVersion).not.toBe(after.configVersion);
    expect(again2.edge.targets.find((x) => x.deviceId === made.id)?.discoveryToken).not.toBe(
      target!.discoveryToken,
    );

    // A name set by hand is kept when discovery says otherwise.
    expect(
      (await admin.send('PATCH', `/api/v1/inventory/devices/${made.id}`, { name: 'Printer switch' })).status,
    ).toBe(200);
    expect(
      (await report(edge, [discovery(made.id, Date.now(), [iface(1, 'eth0')], { sysName: 'other-name' })]))
        .status,
    ).toBe(200);
    expect((await device(admin, made.id)).name).toBe('Printer switch');
  });

  it('sweeps a bounded range through the edge agent and adds what answered', async () => {
    const edge = await enrolEdge('sc');
    const tooBig = await admin.send('POST', '/api/v1/network/devices/add', {
      siteId: 'sc-cd-jj-node',
      cidr: '127.0.0.0/16',
      snmp: { version: '2c', credentialRef: 'lab-community' },
    });
    expect(tooBig.status).toBe(400);
    expect(((await tooBig.json()) as { error: { code: string } }).error.code).toBe('sweep.too_large');
    const outside = await admin.send('POST', '/api/v1/network/devices/add', {
      siteId: 'sc-cd-jj-node',
      cidr: '127.0.18.0/28',
      snmp: { version: '2c', credentialRef: 'lab-community' },
    });
    expect(outside.status).toBe(400);
    expect(((await outside.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'sweep.outside_prefix',
      message: expect.stringContaining('management prefix'),
    });
    const res = await admin.send('POST', '/api/v1/network/devices/add', {
      siteId: 'sc-cd-jj-node',
      cidr: '127.0.17.48/29',
      snmp: { version: '2c', credentialRef: 'lab-community', port: 16162 },
      role: 'aggregation',
    });
    expect(res.status).toBe(202);
    const { sweepId } = (await res.json()) as { sweepId: string };
    const pending = (await (await admin.get(`/api/v1/network/sweeps/${sweepId}`)).json()) as SweepView;
    expect(pending).toMatchObject({ state: 'pending', cidr: '127.0.17.48/29', added: [] });
    const cfg = await edgeConfig(edge);
    const sweep = cfg.edge.sweeps?.find((s) => s.sweepId === sweepId);
    expect(sweep).toMatchObject({
      addresses: ['127.0.17.49', '127.0.17.50', '127.0.17.51', '127.0.17.52', '127.0.17.53', '127.0.17.54'],
      port: 16162,
      credentials: { version: '2c', community: 'tianshu-lab' },
    });
    expect(((await (await admin.get(`/api/v1/network/sweeps/${sweepId}`)).json()) as SweepView).state).toBe(
      'running',
    );
    // An agent of another city was not given the sweep.
    const other = await enrolEdge('sc-my');
    expect((await edgeConfig(other)).edge.sweeps).toBeUndefined();
    const payload: SweepPayload = {
      kind: 'sweep',
      sweepId,
      at: Date.now(),
      probed: 6,
      found: [
        { address: '127.0.17.49', sysName: 'jj-sw-49', sysObjectId: '1.3.6.1.4.1.2011.2.23' },
        { address: '127.0.17.53' },
      ],
    };
    expect((await report(other, [payload])).status).toBe(400);
    expect((await report(edge, [payload])).status).toBe(200);
    const done = (await (await admin.get(`/api/v1/network/sweeps/${sweepId}`)).json()) as SweepView;
    expect(done).toMatchObject({
      state: 'done',
      probed: 6,
      found: 2,
      added: ['dev-127-0-17-49', 'dev-127-0-17-53'],
      error: null,
    });
    const d49 = await device(admin, 'dev-127-0-17-49');
    expect(d49).toMatchObject({ name: 'jj-sw-49', role: 'aggregation', snmpPort: 16162 });
    const after = await edgeConfig(edge);
    expect(after.edge.sweeps).toBeUndefined();
    expect(after.edge.targets.map((x) => x.deviceId)).toEqual(
      expect.arrayContaining(['dev-127-0-17-49', 'dev-127-0-17-53']),
    );
    // A sweep no agent reports in time is shown failed with why, and no longer handed out.
    const lost = await admin.send('POST', '/api/v1/network/devices/add', {
      siteId: 'sc-cd-jj-node',
      cidr: '127.0.17.64/30',
      snmp: { version: '2c', credentialRef: 'lab-community' },
    });
    expect(lost.status).toBe(202);
    const lostId = ((await lost.json()) as { sweepId: string }).sweepId;
    await t.cp.services.db.query(
      `UPDATE network_sweeps SET created_at = now() - interval '20 minutes' WHERE id = $1`,
      [lostId],
    );
    expect(await (await admin.get(`/api/v1/network/sweeps/${lostId}`)).json()).toMatchObject({
      state: 'failed',
      error: expect.stringContaining('no edge agent reported this sweep'),
    });
    expect((await edgeConfig(edge)).edge.sweeps).toBeUndefined();
    // Replaying the payload adds nothing twice.
    expect((await report(edge, [payload])).status).toBe(200);
    expect(
      ((await (await admin.get(`/api/v1/network/sweeps/${sweepId}`)).json()) as SweepView).added,
    ).toEqual(['dev-127-0-17-49', 'dev-127-0-17-53']);
  });
});

describe('scope', () => {
  it('shows a county user only its devices, 404 outside, and refuses adding in another county', async () => {
    const jj = await user('jj-devices', 'sc-cd-jj');
    const list = (await (await jj.get('/api/v1/network/devices')).json()) as { items: DeviceStatus[] };
    expect(list.items.length).toBeGreaterThan(0);
    for (const d of list.items) expect(d.orgUnitId.startsWith('sc-cd-jj')).toBe(true);
    for (const path of [
      '/api/v1/network/devices/sc-cd-sl-acc',
      '/api/v1/network/devices/sc-cd-sl-acc/polls',
      '/api/v1/network/devices/sc-cd-sl-acc/interfaces/1',
      '/api/v1/network/devices/sc-cd-sl-acc/interfaces/1/metrics',
    ]) {
      const res = await jj.get(path);
      expect(res.status, path).toBe(404);
      // Reads exactly as a device that does not exist.
      const missing = await jj.get(path.replace('sc-cd-sl-acc', 'no-such-device'));
      expect(missing.status).toBe(404);
      const code = (r: unknown) => (r as { error: { code: string } }).error.code;
      expect(code(await res.json())).toBe(code(await missing.json()));
    }
    const add = await jj.send('POST', '/api/v1/network/devices/add', {
      siteId: 'sc-cd-sl-node',
      address: '127.0.18.77',
      snmp: { version: '2c', credentialRef: 'lab-community' },
    });
    expect(add.status).toBe(404);
    const discover = await jj.send('POST', '/api/v1/network/devices/sc-cd-sl-acc/discover');
    expect([403, 404]).toContain(discover.status);
    const others = (await (await jj.get('/api/v1/network/devices?orgUnitId=sc-cd-sl')).json()) as unknown;
    expect(JSON.stringify(others)).not.toContain('sc-cd-sl-acc');
    const q = (await (await admin.get('/api/v1/network/devices?q=printer%20SWITCH')).json()) as {
      items: DeviceStatus[];
    };
    expect(q.items.map((d) => d.id)).toEqual(['dev-127-0-17-40']);
    // The overview counts the same devices by status.
    const all = (await (await admin.get('/api/v1/network/devices')).json()) as { items: DeviceStatus[] };
    const overview = (await (await admin.get('/api/v1/overview')).json()) as {
      modules: { network: { devices: Record<string, number> } };
    };
    const by = (st: string) => all.items.filter((d) => d.status === st).length;
    expect(overview.modules.network.devices).toEqual({
      total: all.items.length,
      up: by('up'),
      down: by('down'),
      failing: by('failing'),
      unknown: by('unknown'),
    });
  });
});
