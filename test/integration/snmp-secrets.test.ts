import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrol, loadIdentity, startAgent, type RunningAgent } from '../../agents/src/index.js';
import {
  ADMIN_PASSWORD,
  REPO,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../support/control-plane.js';
import { eventually } from '../support/process.js';

/**
 * Findings 1 and 2 of the hostile review, end to end: real edge agents (the province's and one a
 * county enrols) poll over real UDP, and listeners on loopback stand where a county operator would
 * aim them. The province's SNMP secrets must never reach a listener the province did not allow, and
 * never reach an agent a lower unit enrolled. A positive control shows the listeners do catch a poll.
 */
const POLL_SECONDS = 5;
const COMMUNITY = 'tianshu-lab';
let t: TestControlPlane;
let admin: Session;
let county: Session;
const agents: RunningAgent[] = [];
const dirs: string[] = [];
const listeners: Socket[] = [];

interface Listener {
  packets: Buffer[];
}

async function listen(address: string, port: number): Promise<Listener> {
  const l: Listener = { packets: [] };
  const s = createSocket('udp4');
  s.on('message', (m) => l.packets.push(m));
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, address, () => resolve());
  });
  listeners.push(s);
  return l;
}

interface Edge {
  agentId: string;
  auth: string;
  agent: RunningAgent;
}

async function startEdge(session: Session, orgUnitId: string): Promise<Edge> {
  const res = await session.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: `edge ${orgUnitId}`,
    orgUnitId,
    roles: ['edge'],
  });
  expect(res.status).toBe(201);
  const { token } = (await res.json()) as { token: string };
  const stateDir = mkdtempSync(join(tmpdir(), 'tianshu-edge-'));
  dirs.push(stateDir);
  await enrol({ server: t.cp.url, token, stateDir, roles: ['edge'] });
  const id = (await loadIdentity(stateDir))!;
  const agent = await startAgent({ stateDir, roles: ['edge'], retryInitialMillis: 200 });
  agents.push(agent);
  return { agentId: id.agentId, auth: `Bearer ${id.agentId}.${id.credential}`, agent };
}

/** The edge config the server would hand the agent now. */
async function configOf(e: Edge) {
  return t.cp.services.fleet.configFor(await t.cp.services.fleet.authenticate(e.auth));
}

/** Waits until the agent has pulled the config the server would give it now and polled twice with it. */
async function settle(e: Edge): Promise<void> {
  const config = await configOf(e);
  await eventually(async () => e.agent.stats().configVersion === config.configVersion, 20_000);
  if (!config.edge?.targets.length) {
    // Nothing to poll: give it the time of two poll cycles to send anything it should not.
    await new Promise((r) => setTimeout(r, 2 * POLL_SECONDS * 1000 + 500));
    return;
  }
  const cycles = e.agent.stats().edge?.pollCycles ?? 0;
  await eventually(async () => (e.agent.stats().edge?.pollCycles ?? 0) >= cycles + 2, 30_000);
}

beforeAll(async () => {
  t = await startTestControlPlane({
    listen: true,
    overrides: {
      snmpCredentialsFile: join(REPO, 'control-plane/inventory/demo-snmp-credentials.yaml'),
      network: { pollIntervalSeconds: POLL_SECONDS, discoveryIntervalSeconds: 3600, concurrency: 16 },
      fleet: { heartbeatIntervalSeconds: 1, hostIntervalSeconds: 15, flushIntervalSeconds: 1 },
    },
  });
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  const created = await admin.send('POST', '/api/v1/users', {
    username: 'jj-netops',
    displayName: '锦江区网络运维',
    password: 'a-long-password-1',
    roles: ['network-operator'],
    orgUnitId: 'sc-cd-jj',
  });
  expect(created.status).toBe(201);
  county = await login(t.request, 'jj-netops', 'a-long-password-1');
}, 120_000);

afterAll(async () => {
  for (const a of agents) await a.stop().catch(() => undefined);
  for (const s of listeners) s.close();
  await t?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('province SNMP secrets against a county operator', () => {
  it('the province edge agent cannot be aimed at an address outside the device’s own management prefix', async () => {
    const province = await startEdge(admin, 'sc');
    const trap = await listen('127.0.0.1', 16999);
    const control = await listen('127.0.1.99', 16999);

    // Positive control: a province device in the province's own space is polled with the community.
    const probe = await admin.send('POST', '/api/v1/inventory/devices', {
      id: 'sc-probe',
      siteId: 'sc-dc',
      name: 'probe',
      role: 'core',
      managementAddress: '127.0.1.99',
      snmp: { version: '2c', credentialRef: 'lab-community', port: 16999 },
    });
    expect(probe.status).toBe(201);

    // The county tries the reproduction: a new device on 127.0.0.1:16999 with the province community…
    const aimed = await county.send('POST', '/api/v1/inventory/devices', {
      id: 'jj-aimed',
      siteId: 'sc-cd-jj-node',
      name: 'aimed',
      role: 'access',
      managementAddress: '127.0.0.1',
      snmp: { version: '2c', credentialRef: 'lab-community', port: 16999 },
    });
    expect(aimed.status).toBe(400);
    expect(((await aimed.json()) as { error: { message: string } }).error.message).toMatch(
      /^managementAddress: 127\.0\.0\.1 is not in a management prefix of org unit "sc-cd-jj"/,
    );
    // …or moving its own router there, or into its city's space (an ancestor's prefix is not enough)…
    for (const managementAddress of ['127.0.0.1', '127.0.16.200']) {
      const moved = await county.send('PATCH', '/api/v1/inventory/devices/sc-cd-jj-acc', {
        managementAddress,
        snmp: { version: '2c', credentialRef: 'lab-community', port: 16999 },
      });
      expect(moved.status).toBe(400);
    }
    // …or registering the address space itself (only the unit above delegates)…
    const grab = await county.send('POST', '/api/v1/inventory/prefixes', {
      prefix: '127.0.0.0/24',
      orgUnitId: 'sc-cd-jj',
      purpose: 'management',
    });
    expect(grab.status).toBe(400);
    // …or naming the province agent as the poller of a device it may not have.
    const named = await county.send('PATCH', '/api/v1/inventory/devices/sc-cd-jj-acc', {
      pollerAgentId: province.agentId,
    });
    expect(named.status).toBe(404);

    await settle(province);
    await eventually(async () => control.packets.length > 0, 10_000);
    expect(control.packets.some((p) => p.includes(Buffer.from(COMMUNITY)))).toBe(true);
    expect(trap.packets).toHaveLength(0);
    const targets = (await configOf(province)).edge!.targets;
    expect(targets.filter((x) => x.port === 16999).map((x) => x.deviceId)).toEqual(['sc-probe']);
  });

  it('an edge agent a county enrols never receives the province’s credentials, even for a device granted them', async () => {
    const countyEdge = await startEdge(county, 'sc-cd-jj');
    const trap = await listen('127.0.17.1', 16999);
    // lab-snmpv3 is the province's; the province granted it to Chengdu, so a Jinjiang device may
    // name it — and the county makes its own agent the poller.
    const patched = await county.send('PATCH', '/api/v1/inventory/devices/sc-cd-jj-acc', {
      snmp: { version: '3', credentialRef: 'lab-snmpv3', port: 16999 },
      pollerAgentId: countyEdge.agentId,
    });
    expect(patched.status).toBe(200);

    const res = await t.request(`/api/v1/agents/${countyEdge.agentId}/config`, {
      headers: { authorization: countyEdge.auth },
    });
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const secret of ['tianshu-lab-auth', 'tianshu-lab-priv', COMMUNITY])
      expect(text).not.toContain(secret);
    const config = JSON.parse(text) as { edge: { targets: { deviceId: string }[] } };
    expect(config.edge.targets.map((x) => x.deviceId)).not.toContain('sc-cd-jj-acc');

    await settle(countyEdge);
    expect(trap.packets).toHaveLength(0);
    expect(JSON.stringify(countyEdge.agent.stats())).not.toContain('tianshu-lab');

    // A province credential without a grant is, to the county, a credential that does not exist.
    const own = await admin.send('POST', '/api/v1/network/credentials', {
      id: 'sc-core-only',
      orgUnitId: 'sc',
      version: '2c',
      community: 'province-core-secret',
    });
    expect(own.status).toBe(201);
    const ungranted = await county.send('PATCH', '/api/v1/inventory/devices/sc-cd-jj-acc', {
      snmp: { version: '2c', credentialRef: 'sc-core-only' },
    });
    const missing = await county.send('PATCH', '/api/v1/inventory/devices/sc-cd-jj-acc', {
      snmp: { version: '2c', credentialRef: 'no-such-credential' },
    });
    expect(ungranted.status).toBe(404);
    expect(missing.status).toBe(404);
    const message = async (r: Response) => ((await r.json()) as { error: { message: string } }).error.message;
    expect((await message(ungranted)).replace('sc-core-only', 'X')).toBe(
      (await message(missing)).replace('no-such-credential', 'X'),
    );
  });
});
