import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { systemIdentity } from '../../control-plane/src/auth/identity.js';
import { LabFollower, startEmbeddedLab } from '../../control-plane/src/embedded.js';
import { Supervisor } from '../../control-plane/src/embedded/supervisor.js';
import { REPO, startTestControlPlane, type TestControlPlane } from '../support/control-plane.js';

// The embedded lab (the built `tianshu-agent lab`, a child of the supervisor) when another process
// holds a port it wants: it moves within its port range and the control plane's inventory follows
// it, or, with nowhere to go, it stops with the reason and is not restarted. The demo inventory is
// copied with its routers on a free high port, so this test does not collide with other labs.

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await fn();
    if (v) return v;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function holdPort(address: string, port = 0): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(port, address, () => resolve());
  });
  return s;
}

describe('the embedded lab moves off a taken port and the inventory follows', () => {
  let dir: string;
  let t: TestControlPlane;
  let sup: Supervisor;
  let held: Socket;
  let port: number;
  let inventoryFile: string;
  const logs: Record<string, unknown>[] = [];
  const log = pino(
    { level: 'info' },
    { write: (l: string) => void logs.push(JSON.parse(l) as Record<string, unknown>) },
  );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tianshu-labmove-'));
    // sc-core-a's address: another process holds a free port there, and the lab is told to use it.
    held = await holdPort('127.0.1.1');
    port = held.address().port;
    inventoryFile = join(dir, 'inventory.yaml');
    const demo = readFileSync(join(REPO, 'control-plane/inventory/demo-province.yaml'), 'utf8');
    writeFileSync(inventoryFile, demo.replaceAll('port: 16100', `port: ${port}`));
    t = await startTestControlPlane({ overrides: { inventoryFile } });
    sup = new Supervisor({ log, initialBackoffMillis: 100, maxBackoffMillis: 200 });
  });
  afterAll(async () => {
    await sup?.stop();
    held?.close();
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('moves sc-core-a to another port of the range, and the device record follows (audited)', async () => {
    const routersFile = join(dir, 'routers.json');
    const follower = new LabFollower(t.cp, routersFile, t.cp.services.log);
    startEmbeddedLab(inventoryFile, join(REPO, 'agents/lab/scenarios/quiet.yaml'), log, sup, {
      portRange: `${port}-${port + 30}`,
      routersFile,
    });
    const changed = await until('the routers file applied', async () => {
      const c = await follower.check();
      return follower.appliedPid !== null ? c : undefined;
    });
    expect(changed).toContain('sc-core-a');
    expect(follower.appliedPid).toBe(sup.list().find((p) => p.name === 'lab')!.pid);
    const device = await t.cp.services.inventory.devices.get(systemIdentity(), 'sc-core-a');
    expect(device.managementAddress).toBe('127.0.1.1');
    expect(device.snmp?.port).toBeGreaterThan(port);
    expect(device.snmp?.port).toBeLessThanOrEqual(port + 30);
    // Devices whose port was free stay where the inventory put them.
    const other = await t.cp.services.inventory.devices.get(systemIdentity(), 'sc-core-b');
    expect(other.snmp?.port).toBe(port);
    // The lab answers where the inventory now says.
    const { stdout } = await run('snmpget', [
      '-v2c',
      '-c',
      'public',
      '-Oqv',
      '-t',
      '1',
      '-r',
      '0',
      `127.0.1.1:${device.snmp!.port}`,
      '1.3.6.1.2.1.1.5.0',
    ]);
    expect(stdout.trim()).toBe('"sc-core-a"');
    const audit = await t.cp.services.audit.list(systemIdentity(), { limit: 50 });
    expect(audit.items.find((a) => a.targetId === 'sc-core-a' && a.action.includes('update'))).toBeDefined();
    // Applying the same file again changes nothing.
    expect(await follower.check()).toEqual([]);
    await sup.stop();
  });

  it('with every port of the range taken the lab stops with the reason and is not restarted', async () => {
    const s = new Supervisor({ log, initialBackoffMillis: 100, maxBackoffMillis: 200 });
    try {
      startEmbeddedLab(inventoryFile, join(REPO, 'agents/lab/scenarios/quiet.yaml'), log, s, {
        portRange: `${port}-${port}`,
        routersFile: join(dir, 'routers2.json'),
      });
      const st = await until('the lab stopped', () =>
        s.list().find((p) => p.state === 'stopped' && p.lastExit),
      );
      expect(st.restarts).toBe(0);
      expect(st.lastExit?.code).toBe(2);
      expect(st.lastExit?.reason).toContain(`lab router sc-core-a: cannot listen on 127.0.1.1:${port}`);
      expect(st.lastExit?.reason).toContain('EADDRINUSE');
      await sleep(600);
      expect(s.list()[0]).toMatchObject({ state: 'stopped', restarts: 0 });
    } finally {
      await s.stop();
    }
  });
});
