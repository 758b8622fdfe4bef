import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrol, startAgent, startLab, type Lab, type RunningAgent } from '../../agents/src/index.js';
import {
  ADMIN_PASSWORD,
  REPO,
  login,
  startTestControlPlane,
  type TestControlPlane,
} from './control-plane.js';

/** The demo province served live: control plane with the built console, the lab, and an edge agent. */
export interface LiveProvince {
  t: TestControlPlane;
  lab: Lab;
  agent: RunningAgent;
  /** The primary uplink of Chengdu's pair `sc-cd-uplink`. */
  primaryId: string;
  stop(): Promise<void>;
}

/**
 * Starts the control plane on a free port serving console/dist, the lab simulating the demo
 * province's routers (quiet scenario; fixed 127.0.x.x ports, so one at a time), and a province edge
 * agent polling them every 5 s.
 */
export async function startLiveProvince(): Promise<LiveProvince> {
  const t = await startTestControlPlane({
    listen: true,
    consoleDir: join(REPO, 'console/dist'),
    overrides: {
      snmpCredentialsFile: join(REPO, 'control-plane/inventory/demo-snmp-credentials.yaml'),
      network: { pollIntervalSeconds: 5, discoveryIntervalSeconds: 3600, concurrency: 16 },
      fleet: { heartbeatIntervalSeconds: 1, hostIntervalSeconds: 15, flushIntervalSeconds: 1 },
    },
  });
  let lab: Lab | undefined;
  let agent: RunningAgent | undefined;
  const stateDir = mkdtempSync(join(tmpdir(), 'tianshu-e2e-edge-'));
  const stop = async (): Promise<void> => {
    await agent?.stop();
    await lab?.stop();
    await t.close();
    rmSync(stateDir, { recursive: true, force: true });
  };
  try {
    lab = await startLab({
      inventoryFile: join(REPO, 'control-plane/inventory/demo-province.yaml'),
      scenarioFile: join(REPO, 'agents/lab/scenarios/quiet.yaml'),
    });
    const admin = await login(t.request, 'admin', ADMIN_PASSWORD);
    const tok = (await (
      await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
        name: 'edge',
        orgUnitId: 'sc',
        roles: ['edge'],
      })
    ).json()) as { token: string };
    await enrol({ server: t.cp.url, token: tok.token, stateDir, roles: ['edge'] });
    agent = await startAgent({ stateDir, roles: ['edge'], retryInitialMillis: 200 });
    const links = (await (await admin.get('/api/v1/network/links')).json()) as {
      items: { id: string; pairId: string | null; role: string }[];
    };
    const primary = links.items.find((l) => l.pairId === 'sc-cd-uplink' && l.role === 'primary');
    if (!primary) throw new Error('the demo province has no primary link in pair sc-cd-uplink');
    return { t, lab, agent, primaryId: primary.id, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
