import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemIdentity } from '../../control-plane/src/auth/identity.js';
import { createLogger } from '../../control-plane/src/logger.js';
import {
  seedSimulatedQuotas,
  startSimulatedClouds,
  type SimulatedClouds,
} from '../../control-plane/src/quotas/clouds/simulated.js';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../support/control-plane.js';

/**
 * Embedded mode's simulated province, in process: the fake OpenStack (provincial cloud) and the two
 * fake Kubernetes API servers (city clouds) on free loopback ports — fakes, since neither OpenStack
 * nor a Kubernetes API server can run here — their connections loaded through
 * `cloudConnectionsFile`, the capacity read through the real adapters, and the cities' quotas set
 * through the quota tree. What the console's quota pages show after `npm start`.
 */
let sim: SimulatedClouds;
let t: TestControlPlane;
let admin: Session;
let dir: string;

interface CloudOut {
  id: string;
  kind: string;
  connection: { secrets: Record<string, boolean> } | null;
  classes: Array<{
    class: string;
    capacity: number | null;
    capacitySource: string | null;
    allocatable: number | null;
    allocated: number;
  }>;
  capacityRead: { state: string; error: unknown };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tianshu-sim-'));
  sim = await startSimulatedClouds(dir, createLogger('silent'));
  t = await startTestControlPlane({ overrides: { cloudConnectionsFile: sim.file } });
  await seedSimulatedQuotas(t.cp, createLogger('silent'));
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
}, 300_000);

afterAll(async () => {
  await t?.close();
  await sim?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the simulated province', () => {
  it('shows the provincial, city and department clouds with capacity read from the fakes', async () => {
    const { items } = (await (await admin.get('/api/v1/quotas/clouds')).json()) as { items: CloudOut[] };
    const byId = new Map(items.map((c) => [c.id, c]));
    expect([...byId.keys()].sort()).toEqual(['sc-cd-cloud', 'sc-edu-cloud', 'sc-gov-cloud', 'sc-my-cloud']);
    const gov = byId.get('sc-gov-cloud')!;
    expect(gov.kind).toBe('openstack');
    expect(gov.capacityRead).toMatchObject({ state: 'ok', error: null });
    expect(gov.connection?.secrets).toEqual({
      applicationCredentialId: true,
      applicationCredentialSecret: true,
    });
    expect(gov.classes.find((c) => c.class === 'vcpu')).toMatchObject({
      capacity: 20_000,
      capacitySource: 'cloud',
      allocatable: 40_000,
      allocated: 26_000,
    });
    expect(gov.classes.find((c) => c.class === 'object-storage')).toMatchObject({ capacitySource: 'manual' });
    const cd = byId.get('sc-cd-cloud')!;
    expect(cd.capacityRead.state).toBe('ok');
    expect(cd.classes.find((c) => c.class === 'vcpu')).toMatchObject({
      capacity: 2560,
      capacitySource: 'cloud',
    });
    const my = byId.get('sc-my-cloud')!;
    expect(my.classes.find((c) => c.class === 'gpu')).toMatchObject({
      capacity: 48,
      capacitySource: 'cloud',
    });
    const edu = byId.get('sc-edu-cloud')!;
    expect(edu.kind).toBe('manual');
    expect(edu.classes.find((c) => c.class === 'vcpu')).toMatchObject({ capacity: 2000, allocatable: 6000 });
  });

  it('seeds the quotas once: a second start changes nothing', async () => {
    const before = (await t.cp.services.db.query('SELECT count(*)::int AS n FROM audit_log')).rows[0];
    await seedSimulatedQuotas(t.cp, createLogger('silent'));
    await t.cp.services.modules.afterInventory(systemIdentity());
    const after = (await t.cp.services.db.query('SELECT count(*)::int AS n FROM audit_log')).rows[0];
    expect(after).toEqual(before);
  });
});
