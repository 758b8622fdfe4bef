import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrol, startAgent, startLab, type Lab, type RunningAgent } from '../../agents/src/index.js';
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
 * The failover scenario end to end: the lab simulates the demo province's routers (real SNMP on
 * loopback), an edge agent polls them every 5 s and reports to the control plane. The primary of the
 * Chengdu uplink pair goes down: within two poll intervals the API shows the pair failed over, the
 * backup carrying the traffic, and failed-over and redundancy alarms; after recovery they clear.
 */
const POLL_SECONDS = 5;
const PAIR = 'sc-cd-uplink';
/** Pair alarms are keyed by the served org unit and the pair id. */
const PAIR_KEY = `sc-cd/${PAIR}`;
let t: TestControlPlane;
let lab: Lab;
let agent: RunningAgent;
let admin: Session;
let stateDir: string;

interface LinkView {
  id: string;
  pairId: string | null;
  role: 'primary' | 'backup';
  status: string;
  active: boolean | null;
  failedOver: boolean;
}
interface Alarm {
  kind: string;
  state: string;
  targetId: string;
}

const pairLinks = async () => {
  const r = (await (await admin.get('/api/v1/network/links')).json()) as { items: LinkView[] };
  return r.items.filter((l) => l.pairId === PAIR);
};
const firing = async () => {
  const r = (await (await admin.get('/api/v1/network/alarms?state=firing')).json()) as { items: Alarm[] };
  return r.items.filter((a) => a.targetId === PAIR_KEY || a.kind === 'link-down');
};

beforeAll(async () => {
  t = await startTestControlPlane({
    listen: true,
    overrides: {
      snmpCredentialsFile: join(REPO, 'control-plane/inventory/demo-snmp-credentials.yaml'),
      network: { pollIntervalSeconds: POLL_SECONDS, discoveryIntervalSeconds: 3600, concurrency: 16 },
      fleet: { heartbeatIntervalSeconds: 1, hostIntervalSeconds: 15, flushIntervalSeconds: 1 },
    },
  });
  lab = await startLab({
    inventoryFile: join(REPO, 'control-plane/inventory/demo-province.yaml'),
    scenarioFile: join(REPO, 'agents/lab/scenarios/quiet.yaml'),
  });
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  const tok = (await (
    await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
      name: 'edge',
      orgUnitId: 'sc',
      roles: ['edge'],
    })
  ).json()) as { token: string };
  stateDir = mkdtempSync(join(tmpdir(), 'tianshu-edge-'));
  await enrol({ server: t.cp.url, token: tok.token, stateDir, roles: ['edge'] });
  agent = await startAgent({ stateDir, roles: ['edge'], retryInitialMillis: 200 });
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await lab?.stop();
  await t?.close();
  if (stateDir) rmSync(stateDir, { recursive: true, force: true });
});

describe('active/standby failover from the lab', () => {
  it('shows the pair healthy with traffic on the primary', async () => {
    const links = await eventually(async () => {
      const l = await pairLinks();
      return l.length === 2 && l.every((x) => x.status === 'up') && l.some((x) => x.active) ? l : undefined;
    }, 60_000);
    expect(links.find((l) => l.role === 'primary')!.active).toBe(true);
    expect(links.every((l) => !l.failedOver)).toBe(true);
  });

  it('reports "failed over" and a redundancy alarm within two poll intervals, and clears them after recovery', async () => {
    lab.linkDown({ pairId: PAIR, role: 'primary' });
    const started = Date.now();
    const links = await eventually(
      async () => {
        const l = await pairLinks();
        const primary = l.find((x) => x.role === 'primary');
        const backup = l.find((x) => x.role === 'backup');
        return primary?.status === 'down' && backup?.active && l.every((x) => x.failedOver) ? l : undefined;
      },
      60_000,
      200,
    );
    const alarms = await eventually(
      async () => {
        const a = await firing();
        const kinds = new Set(a.map((x) => x.kind));
        return kinds.has('failed-over') && kinds.has('redundancy-lost') ? a : undefined;
      },
      60_000,
      200,
    );
    const elapsed = (Date.now() - started) / 1000;
    // Two poll intervals, plus one agent flush and the request that observed it.
    expect(elapsed).toBeLessThanOrEqual(2 * POLL_SECONDS + 3);
    expect(links.find((l) => l.role === 'backup')!.status).toBe('up');
    expect(alarms.some((a) => a.kind === 'link-down')).toBe(true);

    // The link's history records the failover.
    const primaryId = links.find((l) => l.role === 'primary')!.id;
    const detail = (await (await admin.get(`/api/v1/network/links/${primaryId}`)).json()) as {
      history: { event: string }[];
    };
    expect(detail.history.map((h) => h.event)).toEqual(expect.arrayContaining(['down', 'failover']));

    lab.linkUp({ pairId: PAIR, role: 'primary' });
    await eventually(
      async () => {
        const l = await pairLinks();
        return l.every((x) => x.status === 'up' && !x.failedOver) &&
          l.find((x) => x.role === 'primary')?.active
          ? l
          : undefined;
      },
      60_000,
      200,
    );
    await eventually(
      async () => {
        const a = await firing();
        return a.some((x) => ['failed-over', 'redundancy-lost'].includes(x.kind)) ? undefined : true;
      },
      60_000,
      200,
    );
    const resolved = (await (await admin.get('/api/v1/network/alarms?state=resolved')).json()) as {
      items: Alarm[];
    };
    expect(resolved.items.filter((a) => a.targetId === PAIR_KEY).map((a) => a.kind)).toEqual(
      expect.arrayContaining(['failed-over', 'redundancy-lost']),
    );
    const after = (await (await admin.get(`/api/v1/network/links/${primaryId}`)).json()) as {
      history: { event: string }[];
    };
    expect(after.history.map((h) => h.event)).toEqual(expect.arrayContaining(['up', 'failback']));
  }, 120_000);
});
