import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EdgeConfig, InterfacePollPayload, DiscoveryPayload } from '@tianshu/protocol';
import { EdgeDiscovery, EdgePoller } from '../../agents/src/index.js';
import { startSnmpd, type RunningSnmpd } from '../../agents/src/edge/testing/snmpd.js';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../support/control-plane.js';

/*
 * Add a device by address and see its interfaces appear without typing them, with real parts: a
 * Debian snmpd on a free loopback port, the edge agent's own discovery and poller, and the control
 * plane in process (PGlite and chDB). The agent's config comes from the control plane, so the
 * discovery token, port and credential are what an agent would get.
 */
let t: TestControlPlane;
let admin: Session;
let snmpd: RunningSnmpd;
let edge: { agentId: string; auth: string };

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

beforeAll(async () => {
  snmpd = await startSnmpd({ host: '127.0.0.1' });
  t = await startTestControlPlane();
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  const cred = await admin.send('POST', '/api/v1/network/credentials', {
    id: 'snmpd-test',
    orgUnitId: 'sc',
    version: '2c',
    community: snmpd.community,
  });
  expect(cred.status).toBe(201);
  const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: 'edge sc',
    orgUnitId: 'sc',
    roles: ['edge'],
  });
  const { token } = (await tok.json()) as { token: string };
  const res = await t.request(
    '/api/v1/fleet/enrol',
    post({ token, hostname: 'edge-snmpd', roles: ['edge'], version: '0.1.0' }),
  );
  const body = (await res.json()) as { agentId: string; credential: string };
  edge = { agentId: body.agentId, auth: `Bearer ${body.agentId}.${body.credential}` };
}, 120_000);
afterAll(async () => {
  await t?.close();
  await snmpd?.stop();
});

async function config(): Promise<{ configVersion: string; edge: EdgeConfig }> {
  const res = await t.request(`/api/v1/agents/${edge.agentId}/config`, {
    headers: { authorization: edge.auth },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { configVersion: string; edge: EdgeConfig };
}

async function send(payloads: (DiscoveryPayload | InterfacePollPayload)[]): Promise<void> {
  const res = await t.request(
    `/api/v1/agents/${edge.agentId}/reports`,
    post(
      { batchId: randomUUID(), sequence: 1, createdAt: new Date().toISOString(), payloads },
      { authorization: edge.auth },
    ),
  );
  expect(res.status, await res.clone().text()).toBe(200);
}

describe('a device added by address, discovered and polled by the edge agent against snmpd', () => {
  it('shows its interfaces in the inventory and the device page, with facts and rates', async () => {
    const added = await admin.send('POST', '/api/v1/network/devices/add', {
      siteId: 'sc-dc',
      address: snmpd.host,
      snmp: { version: '2c', credentialRef: 'snmpd-test', port: snmpd.port },
      role: 'core',
    });
    expect(added.status, await added.clone().text()).toBe(201);
    const { id } = (await added.json()) as { id: string };
    expect(id).toBe('dev-127-0-0-1');

    const target = (await config()).edge.targets.find((x) => x.deviceId === id);
    expect(target).toMatchObject({
      address: snmpd.host,
      port: snmpd.port,
      discoveryToken: expect.any(String),
    });
    const discovery = await new EdgeDiscovery().discoverDevice(target!);
    expect(discovery.reachable).toBe(true);
    await send([discovery]);

    // Nobody typed an interface in: discovery made them.
    const inv = (await (await admin.get(`/api/v1/inventory/interfaces?deviceId=${id}`)).json()) as {
      items: { ifIndex: number; name: string }[];
    };
    expect(inv.items.map((i) => i.name)).toContain('lo');
    const lo = inv.items.find((i) => i.name === 'lo')!;

    const poller = new EdgePoller();
    const first = await poller.pollDevice(target!);
    await new Promise((r) => setTimeout(r, 1100));
    const second = await poller.pollDevice(target!);
    await send([first, second]);

    const page = (await (await admin.get(`/api/v1/network/devices/${id}`)).json()) as {
      name: string;
      status: string;
      sysName: string | null;
      sysDescr: string | null;
      vendor: string | null;
      uptimeSeconds: number | null;
      lastPoll: { outcome: string } | null;
      lastDiscovery: { outcome: string } | null;
      interfaces: {
        ifIndex: number;
        name: string;
        id: string | null;
        operStatus: string | null;
        inBps: number | null;
      }[];
    };
    expect(page.status).toBe('up');
    expect(page.sysDescr).toMatch(/Linux/);
    // The automatic name (the address) became the sysName.
    expect(page.name).toBe(page.sysName);
    expect(page.vendor).toBe('Net-SNMP');
    expect(page.uptimeSeconds).not.toBeNull();
    expect(page.lastDiscovery?.outcome ?? 'ok').toBe('ok');
    const loView = page.interfaces.find((i) => i.ifIndex === lo.ifIndex)!;
    expect(loView).toMatchObject({ name: 'lo', operStatus: 'up' });
    expect(loView.id).not.toBeNull();
    expect(loView.inBps).not.toBeNull();

    // Discover now changes the agent's config.
    const before = await config();
    expect((await admin.send('POST', `/api/v1/network/devices/${id}/discover`)).status).toBe(202);
    expect((await config()).configVersion).not.toBe(before.configVersion);
  });
});
