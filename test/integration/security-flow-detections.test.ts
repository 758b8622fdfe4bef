/**
 * Flow detections end to end, every part real: the lab's routers (their own loopback addresses,
 * SNMP on ports the kernel picks) export NetFlow v9 / IPFIX over loopback UDP to an edge agent's
 * collector (ports picked free here); the lab plays a port scan and a volumetric DDoS through its
 * traffic model; the agent's edge detections (per-second rates of the decoded records, before the
 * per-minute aggregation) raise alerts and send them at once as `security-alerts` payloads; the
 * control plane (embedded stores) receives them through the agent report path and raises them.
 *
 * The thresholds are the test's own copy of the policies (detections.yaml with small numbers);
 * everything else is the repository's policies.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertInput } from '@tianshu/protocol';
import { enrol, startAgent, startLab, type Lab, type RunningAgent } from '../../agents/src/index.js';
import { securityRef } from '../../control-plane/src/security/module.js';
import type { AlertOrigin } from '../../control-plane/src/security/types.js';
import {
  ADMIN_PASSWORD,
  REPO,
  login,
  startTestControlPlane,
  type TestControlPlane,
} from '../support/control-plane.js';
import { eventually } from '../support/process.js';

const freeUdpPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const itf = (ifIndex: number, name: string) => ({ ifIndex, name, speedMbps: 10_000 });
const inventory = {
  sites: [
    { id: 'site-core', orgUnitId: 'p' },
    { id: 'site-b', orgUnitId: 'p-b' },
  ],
  prefixes: [
    { prefix: '10.62.0.0/16', orgUnitId: 'p' },
    { prefix: '10.62.2.0/24', orgUnitId: 'p-b' },
  ],
  devices: [
    {
      id: 'core',
      siteId: 'site-core',
      managementAddress: '127.0.79.1',
      interfaces: [itf(2, 'to-b'), itf(9, 'internet')],
    },
    { id: 'rt-b', siteId: 'site-b', managementAddress: '127.0.79.3', interfaces: [itf(1, 'uplink')] },
  ],
  links: [{ a: { device: 'core', ifIndex: 2 }, b: { device: 'rt-b', ifIndex: 1 }, level: 'city' }],
};

const DETECTIONS = `
enabled: true
scan: { portsPerHost: 30, hostsPerPort: 30, windowSeconds: 20 }
ddos: { factor: 5, minPps: 1000, minBps: 100000000, sustainSeconds: 2, baselineHalfLifeSeconds: 60 }
realertSeconds: 5
intel:
  - { name: documentation-blocklist, file: documentation-blocklist.txt, severity: high }
  - { name: stix-example, file: stix-example.json, format: stix, severity: critical }
egress: { enabled: false }
`;

describe('security: lab attacks → edge detections → control plane', () => {
  let t: TestControlPlane;
  let lab: Lab | undefined;
  let agent: RunningAgent | undefined;
  let admin: Awaited<ReturnType<typeof login>>;
  const stateDir = mkdtempSync(join(tmpdir(), 'tianshu-detect-edge-'));
  const policiesDir = mkdtempSync(join(tmpdir(), 'tianshu-detect-policies-'));
  const raised: { at: number; alert: AlertInput; origin: AlertOrigin }[] = [];

  beforeAll(async () => {
    cpSync(join(REPO, 'policies'), policiesDir, { recursive: true });
    writeFileSync(join(policiesDir, 'detections.yaml'), DETECTIONS);
    const netflowPort = await freeUdpPort();
    const sflowPort = await freeUdpPort();
    t = await startTestControlPlane({
      listen: true,
      overrides: {
        policiesDir,
        network: { pollIntervalSeconds: 3600, discoveryIntervalSeconds: 3600, concurrency: 4 },
        fleet: { heartbeatIntervalSeconds: 1, hostIntervalSeconds: 15, flushIntervalSeconds: 30 },
        flows: { netflowPort, sflowPort, bindAddress: '127.0.0.1' },
      },
    });
    // Every alert the agent's payloads raise, as the alerts part receives it.
    const sec = t.cp.services.modules.use(securityRef);
    const raise = sec.alerts.raise.bind(sec.alerts);
    sec.alerts.raise = (inputs, origin) => {
      for (const alert of inputs) raised.push({ at: Date.now(), alert, origin });
      return raise(inputs, origin);
    };
    admin = await login(t.request, 'admin', ADMIN_PASSWORD);
    const tok = (await (
      await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
        name: 'edge',
        orgUnitId: 'sc',
        roles: ['edge'],
      })
    ).json()) as { token: string };
    await enrol({ server: t.cp.url, token: tok.token, stateDir, roles: ['edge'] });
    agent = await startAgent({ stateDir, roles: ['edge'], retryInitialMillis: 200 });
    await eventually(async () => {
      const flows = (
        agent!.stats() as {
          edge?: {
            flows?: { sockets: { kind: string; boundPort?: number }[]; detections?: { enabled: boolean } };
          };
        }
      ).edge?.flows;
      const bound = new Set((flows?.sockets ?? []).filter((s) => s.boundPort).map((s) => s.kind));
      return bound.has('netflow') && flows?.detections?.enabled === true;
    }, 30_000);
    lab = await startLab({
      inventory,
      portOverride: 0,
      scenario: {
        seed: 5,
        load: { levels: { city: 0.001 }, external: { 'core:9': 0.001 } },
        flows: {
          collector: { netflow: `127.0.0.1:${netflowPort}` },
          intervalSeconds: 5,
          maxDatagramsPerSecond: 2000,
          routers: {
            core: { protocol: 'v9', samplingRate: 10 },
            'rt-b': { protocol: 'ipfix', samplingRate: 1 },
          },
        },
      },
    });
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
    await agent?.stop();
    await t?.close();
    rmSync(stateDir, { recursive: true, force: true });
    rmSync(policiesDir, { recursive: true, force: true });
  });

  it('GET /security/detections shows the thresholds, the intelligence loaded and the edge agent', async () => {
    const r = await admin.get('/api/v1/security/detections');
    expect(r.status).toBe(200);
    const body = (await r.json()) as {
      thresholds: { ddos: { minPps: number } };
      lists: { name: string; indicators: number; errors: number }[];
      agents: { agentId: string }[];
    };
    expect(body.thresholds.ddos.minPps).toBe(1000);
    expect(body.lists).toEqual([
      expect.objectContaining({ name: 'documentation-blocklist', indicators: 3, errors: 0 }),
      expect.objectContaining({ name: 'stix-example', indicators: 3, errors: 0 }),
    ]);
    expect(body.agents).toHaveLength(1);
    // Authenticated only.
    expect((await t.request('/api/v1/security/detections')).status).toBe(401);
  });

  it('a port scan becomes a flow:port-scan alert', async () => {
    lab!.startAttack({
      kind: 'port-scan',
      source: '180.101.49.66',
      target: '10.62.2.20',
      pps: 50,
      durationSeconds: 6,
    });
    const got = await eventually(
      async () => raised.find((r) => r.alert.reference === 'flow:port-scan')?.alert,
      30_000,
      250,
    );
    expect(got).toMatchObject({
      source: 'flow',
      fingerprint: 'flow:port-scan:180.101.49.66:10.62.2.20',
      attack: ['T1046'],
      assetAddress: '10.62.2.20',
    });
    expect(got.observables).toContainEqual({ type: 'ip', value: '180.101.49.66', role: 'source' });
  }, 60_000);

  it('a volumetric DDoS becomes a flow:ddos alert within seconds, then ends', async () => {
    const started = Date.now();
    const info = lab!.startAttack({
      kind: 'ddos',
      source: '36.152.44.0/24',
      target: '10.62.2.10',
      pps: 20_000,
      durationSeconds: 8,
      sources: 12,
    });
    expect(info.exporters).toEqual(['rt-b', 'core']);
    const first = await eventually(
      async () => raised.find((r) => r.alert.fingerprint === 'flow:ddos:10.62.2.10'),
      30_000,
      100,
    );
    // Sustain 2 s + the second being evaluated + the urgent send: well within the 10 s goal.
    expect(first.at - started).toBeLessThan(10_000);
    expect(first.origin.agent?.roles).toContain('edge');
    expect(first.alert).toMatchObject({
      source: 'flow',
      reference: 'flow:ddos',
      attack: ['T1498'],
      severity: expect.any(String),
    });
    // Both routers of the path export the attack; the destination's rate is the largest exporter's
    // view (≈ 20,000 pps), not the sum over the hops (≈ 40,000).
    expect(Number(first.alert.details!.peakPps)).toBeGreaterThan(15_000);
    expect(Number(first.alert.details!.peakPps)).toBeLessThan(25_000);
    const sources = first.alert.observables.filter((o) => o.role === 'source').map((o) => o.value);
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) expect(s.startsWith('36.152.44.')).toBe(true);
    const ended = await eventually(
      async () =>
        raised.find(
          (r) => r.alert.fingerprint === 'flow:ddos:10.62.2.10' && r.alert.details?.state === 'ended',
        ),
      30_000,
      250,
    );
    expect(ended.alert.lastSeen).toBeGreaterThan(first.alert.lastSeen - 1);
  }, 60_000);

  it('the alerts part stored them: GET /security/alerts lists the scan and the DDoS, deduplicated', async () => {
    interface Alert {
      id: string;
      fingerprint: string;
      source: string;
      reference: string;
      status: string;
      count: number;
      attack: string[];
      assetAddress: string | null;
      observables: { type: string; value: string; role?: string }[];
    }
    const r = await admin.get('/api/v1/security/alerts?source=flow&limit=100');
    expect(r.status).toBe(200);
    const { items } = (await r.json()) as { items: Alert[] };
    const ddos = items.filter((a) => a.fingerprint === 'flow:ddos:10.62.2.10');
    // One alert for the attack, however many repeats and the end came in.
    expect(ddos).toHaveLength(1);
    expect(ddos[0]).toMatchObject({ reference: 'flow:ddos', attack: ['T1498'], assetAddress: '10.62.2.10' });
    expect(ddos[0]!.count).toBeGreaterThanOrEqual(2);
    const scan = items.filter((a) => a.fingerprint === 'flow:port-scan:180.101.49.66:10.62.2.20');
    expect(scan).toHaveLength(1);
    expect(scan[0]).toMatchObject({ reference: 'flow:port-scan', attack: ['T1046'] });
    // The detail answers with the evidence (a rendering of the rates).
    const d = await admin.get(`/api/v1/security/alerts/${ddos[0]!.id}`);
    expect(d.status).toBe(200);
    const detail = (await d.json()) as { evidence: unknown[] };
    expect(JSON.stringify(detail.evidence)).toMatch(/pps/);
  });
});
