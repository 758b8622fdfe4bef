import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrol, loadIdentity, startAgent, type RunningAgent } from '../../agents/src/index.js';
import { startLab, type Lab } from '../../agents/src/lab/lab.js';
import {
  freeUdpPort,
  snmpdViews,
  startSnmpd,
  type RunningSnmpd,
} from '../../agents/src/edge/testing/snmpd.js';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../support/control-plane.js';
import { eventually } from '../support/process.js';

/**
 * Devices and interfaces end to end: a control plane, a real edge agent polling over real UDP, and
 * the devices it polls — Debian `snmpd` (one complete, one whose view hides ifXTable, one in a network
 * namespace this test creates so that an interface can be renamed) and lab routers configured with
 * real devices' gaps (32-bit counters that wrap, sysUpTime answered noSuchInstance). Devices are added
 * by address only; their interfaces must come from discovery.
 */
const POLL_SECONDS = 5;
const COMMUNITY = 'tianshu-lab';
const NETNS = `tianshu-dev-${process.pid}`;
const HOST_VETH = `tsh${process.pid % 100000}`;
const NS_VETH = 'uplink0';
const NS_NET = { host: '10.253.7.1', device: '10.253.7.2', prefix: '10.253.7.0/30' };

let t: TestControlPlane;
let admin: Session;
let agent: RunningAgent | undefined;
let lab: Lab | undefined;
const daemons: RunningSnmpd[] = [];
const dirs: string[] = [];
let netnsReady = false;

interface InterfaceStatus {
  id: string | null;
  ifIndex: number;
  name: string;
  descr: string | null;
  speedMbps: number | null;
  mac: string | null;
  operStatus: string | null;
  counterBits: number | null;
  inBps: number | null;
  outBps: number | null;
  missingSince: string | null;
}
interface DeviceView {
  id: string;
  name: string;
  sysName: string | null;
  sysDescr: string | null;
  status: string;
  lastPoll: { outcome: string; error: string | null; consecutiveFailures: number } | null;
  lastDiscovery: { outcome: string; error: string | null } | null;
  interfaces: InterfaceStatus[];
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

async function addDevice(address: string, port: number): Promise<string> {
  const res = await admin.send('POST', '/api/v1/network/devices/add', {
    siteId: 'sc-dc',
    address,
    snmp: { version: '2c', credentialRef: 'lab-community', port },
  });
  const body = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(201);
  return body.id;
}

async function device(id: string): Promise<DeviceView> {
  const res = await admin.get(`/api/v1/network/devices/${encodeURIComponent(id)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as DeviceView;
}

/** Waits until `check` holds for the device's view and returns that view. */
async function deviceWhen(
  id: string,
  check: (d: DeviceView) => boolean,
  timeout = 60_000,
): Promise<DeviceView> {
  let last: DeviceView | undefined;
  await eventually(async () => {
    last = await device(id);
    return check(last);
  }, timeout).catch((err: unknown) => {
    throw new Error(`${String(err)}; device was ${JSON.stringify(last, null, 1)?.slice(0, 3000)}`);
  });
  return last!;
}

beforeAll(async () => {
  t = await startTestControlPlane({
    listen: true,
    overrides: {
      network: { pollIntervalSeconds: POLL_SECONDS, discoveryIntervalSeconds: 3600, concurrency: 16 },
      fleet: { heartbeatIntervalSeconds: 1, hostIntervalSeconds: 15, flushIntervalSeconds: 1 },
    },
  });
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  // One edge agent at the province: it polls the devices this test adds (and the demo's, which
  // no lab answers here: they time out, as unplugged routers would).
  const res = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: 'edge sc',
    orgUnitId: 'sc',
    roles: ['edge'],
  });
  expect(res.status).toBe(201);
  const { token } = (await res.json()) as { token: string };
  const stateDir = mkdtempSync(join(tmpdir(), 'tianshu-edge-'));
  dirs.push(stateDir);
  await enrol({ server: t.cp.url, token, stateDir, roles: ['edge'] });
  expect(await loadIdentity(stateDir)).toBeTruthy();
  agent = await startAgent({ stateDir, roles: ['edge'], retryInitialMillis: 200 });
}, 120_000);

afterAll(async () => {
  await agent?.stop().catch(() => undefined);
  for (const d of daemons) await d.stop().catch(() => undefined);
  await lab?.stop().catch(() => undefined);
  if (netnsReady) {
    try {
      ip('netns', 'del', NETNS);
    } catch {
      // already gone
    }
    try {
      ip('link', 'del', HOST_VETH);
    } catch {
      // went with the namespace
    }
  }
  await t?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('devices added by address', () => {
  it('a complete snmpd: its interfaces appear in the inventory within one discovery, without typing them', async () => {
    const snmpd = await startSnmpd({ host: '127.0.200.1', community: COMMUNITY });
    daemons.push(snmpd);
    const id = await addDevice('127.0.200.1', snmpd.port);
    const d = await deviceWhen(id, (v) => v.lastDiscovery?.outcome === 'ok' && v.interfaces.length > 0);
    const lo = d.interfaces.find((i) => i.name === 'lo');
    expect(lo, JSON.stringify(d.interfaces)).toBeTruthy();
    expect(lo!.id).toBeTruthy();
    expect(d.sysDescr).toMatch(/Linux/);
    // The name given at add time was the address; discovery named it after its sysName.
    expect(d.name).toBe(d.sysName);
    // The inventory lists them as interfaces of the device, with the ifIndex from the device.
    const inv = await admin.get(`/api/v1/inventory/interfaces?deviceId=${encodeURIComponent(id)}`);
    expect(inv.status).toBe(200);
    const items = ((await inv.json()) as { items: { ifIndex: number; name: string }[] }).items;
    expect(items.map((i) => i.name)).toContain('lo');
    expect(items.find((i) => i.name === 'lo')!.ifIndex).toBe(lo!.ifIndex);
    // And the poller reads every interface with 64-bit counters, rates from the second poll.
    const polled = await deviceWhen(id, (v) =>
      v.interfaces.some((i) => i.name === 'lo' && i.counterBits === 64 && i.inBps !== null),
    );
    expect(polled.status).toBe('up');
    expect(polled.lastPoll?.outcome).toBe('ok');
  }, 120_000);

  it('an ifTable-only snmpd polls with 32-bit counters and rates', async () => {
    const snmpd = await startSnmpd({
      host: '127.0.200.2',
      community: COMMUNITY,
      exclude: snmpdViews.noIfXTable,
    });
    daemons.push(snmpd);
    const id = await addDevice('127.0.200.2', snmpd.port);
    const d = await deviceWhen(id, (v) =>
      v.interfaces.some((i) => i.name === 'lo' && i.counterBits === 32 && i.inBps !== null),
    );
    expect(d.interfaces.length).toBeGreaterThan(0);
    expect(['ok', 'partial']).toContain(d.lastPoll?.outcome);
    expect(d.status).toBe('up');
  }, 120_000);

  it('a renamed interface shows its new name on the same inventory row', async () => {
    try {
      ip('netns', 'add', NETNS);
      netnsReady = true;
      ip('link', 'add', HOST_VETH, 'type', 'veth', 'peer', 'name', NS_VETH, 'netns', NETNS);
      ip('addr', 'add', `${NS_NET.host}/30`, 'dev', HOST_VETH);
      ip('link', 'set', HOST_VETH, 'up');
      ip('netns', 'exec', NETNS, 'ip', 'addr', 'add', `${NS_NET.device}/30`, 'dev', NS_VETH);
      ip('netns', 'exec', NETNS, 'ip', 'link', 'set', NS_VETH, 'up');
      ip('netns', 'exec', NETNS, 'ip', 'link', 'set', 'lo', 'up');
      ip('netns', 'exec', NETNS, 'ip', 'link', 'add', 'core0', 'type', 'bridge');
    } catch (err) {
      throw new Error(`this test needs network namespaces (run as root with iproute2): ${String(err)}`);
    }
    // The namespace's address space is the province's, registered as a management prefix.
    const prefix = await admin.send('POST', '/api/v1/inventory/prefixes', {
      prefix: NS_NET.prefix,
      orgUnitId: 'sc',
      purpose: 'management',
    });
    expect(prefix.status, await prefix.clone().text()).toBe(201);
    const snmpd = await startSnmpd({
      host: NS_NET.device,
      community: COMMUNITY,
      wrap: ['ip', 'netns', 'exec', NETNS],
      port: await freeUdpPort('127.0.0.1'),
    });
    daemons.push(snmpd);
    const id = await addDevice(NS_NET.device, snmpd.port);
    const before = await deviceWhen(id, (v) => v.interfaces.some((i) => i.name === 'core0'));
    const row = before.interfaces.find((i) => i.name === 'core0')!;

    ip('netns', 'exec', NETNS, 'ip', 'link', 'set', 'core0', 'name', 'core-uplink');
    // net-snmp keeps an interface's ifName from when it first saw it (ifDescr follows a rename a
    // minute later); a router's agent reports the new name. Restart the daemon, as after a change
    // of configuration, on the same address and port: Linux keeps the ifIndex.
    await snmpd.stop();
    daemons.push(
      await startSnmpd({
        host: NS_NET.device,
        community: COMMUNITY,
        wrap: ['ip', 'netns', 'exec', NETNS],
        port: snmpd.port,
      }),
    );
    // Ask for discovery now, as the console's button does, until snmpd's interface cache shows it.
    const after = await deviceWhen(
      id,
      (v) => {
        void admin.send('POST', `/api/v1/network/devices/${encodeURIComponent(id)}/discover`);
        return v.interfaces.some((i) => i.name === 'core-uplink');
      },
      90_000,
    );
    const renamed = after.interfaces.find((i) => i.name === 'core-uplink')!;
    expect(renamed.id).toBe(row.id);
    expect(renamed.ifIndex).toBe(row.ifIndex);
    expect(after.interfaces.some((i) => i.name === 'core0' && !i.missingSince)).toBe(false);
    const port = await admin.get(
      `/api/v1/network/devices/${encodeURIComponent(id)}/interfaces/${renamed.ifIndex}`,
    );
    expect(port.status).toBe(200);
    const history = ((await port.json()) as { history: { change: string; detail: string }[] }).history;
    expect(
      history.some((h) => /core0/.test(h.detail) && /core-uplink/.test(h.detail)),
      JSON.stringify(history),
    ).toBe(true);
  }, 150_000);
});

describe('devices with the gaps of real ones (the lab)', () => {
  beforeAll(async () => {
    const itf = (ifIndex: number, name: string, speedMbps: number) => ({ ifIndex, name, speedMbps });
    lab = await startLab({
      inventory: {
        devices: [
          {
            id: 'old32',
            managementAddress: '127.0.201.1',
            interfaces: [itf(1, 'Fa0/1', 100), itf(2, 'Fa0/2', 100)],
          },
          { id: 'nouptime', managementAddress: '127.0.201.2', interfaces: [itf(1, 'eth0', 1000)] },
        ],
        links: [
          { a: { device: 'old32', ifIndex: 1 }, b: { device: 'nouptime', ifIndex: 1 }, level: 'county' },
        ],
      },
      scenario: {
        snmp: { communities: [COMMUNITY] },
        devices: { old32: { ifXTable: false }, nouptime: { sysUpTime: 'noSuchInstance' } },
      },
      portOverride: 0,
    });
  });

  const routerOf = (deviceId: string) => lab!.routers.find((r) => r.deviceId === deviceId)!;

  it('32-bit counters across their wrap give the same rates as before it', async () => {
    const r = routerOf('old32');
    const id = await addDevice(r.address, r.port);
    const steady = await deviceWhen(id, (v) =>
      v.interfaces.some((i) => i.name === 'Fa0/1' && i.counterBits === 32 && (i.inBps ?? 0) > 0),
    );
    const fa = steady.interfaces.find((i) => i.name === 'Fa0/1')!;
    expect(fa.speedMbps).toBe(100);
    // Counters about 12 s of traffic below 2^32: polls every 5 s see them climb, then wrap.
    const bytesPerSecond = Math.max(1, (fa.inBps ?? 0) / 8);
    lab!.setCounters32NearWrap('old32', BigInt(Math.round(bytesPerSecond * 12)));
    let wrapped: { in_bps: number | null }[] = [];
    await eventually(async () => {
      const rows = await t.cp.services.telemetry.query<{ counter_event: string; in_bps: number | null }>(
        `SELECT counter_event, in_bps FROM interface_metrics WHERE device_id = {id:String} AND if_index = 1 ORDER BY ts`,
        { id },
      );
      wrapped = rows
        .filter((x) => x.counter_event === 'wrap')
        .map((x) => ({ in_bps: x.in_bps === null ? null : Number(x.in_bps) }));
      return wrapped.length > 0;
    }, 60_000);
    // A wrap is a plain increase modulo 2^32: a rate within the port's speed, never a spike or a gap.
    for (const w of wrapped) {
      expect(w.in_bps).not.toBeNull();
      expect(w.in_bps!).toBeGreaterThan(0);
      expect(w.in_bps!).toBeLessThanOrEqual(100e6);
    }
  }, 120_000);

  it('a device answering noSuchInstance for sysUpTime shows that reason and raises an alarm', async () => {
    const r = routerOf('nouptime');
    const id = await addDevice(r.address, r.port);
    const d = await deviceWhen(id, (v) => (v.lastPoll?.consecutiveFailures ?? 0) >= 3);
    expect(d.lastPoll?.outcome).toBe('agent-error');
    expect(d.lastPoll?.error).toMatch(/sysUpTime\.0.*noSuchInstance/);
    expect(d.status).toBe('failing');
    await eventually(async () => {
      const res = await admin.get('/api/v1/alarms?state=firing');
      const { items } = (await res.json()) as {
        items: { kind: string; targetId: string; summary: string }[];
      };
      const alarm = items.find((a) => a.kind === 'device-poll-failed' && a.targetId === id);
      return !!alarm && /noSuchInstance/.test(alarm.summary);
    }, 30_000);
  }, 120_000);
});
