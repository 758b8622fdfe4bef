/**
 * Flows end to end, with every part real: the lab's routers export IPFIX, NetFlow v9 and sFlow over
 * loopback UDP from their own addresses for the traffic their SNMP counters count; an edge agent
 * collects and aggregates them per minute and polls the same routers over SNMP; the control plane
 * stores and enriches the aggregates. Checked: the API's top-N per exporter equals what the lab's
 * routers sent × the sampling rate they report (nothing lost on loopback: the collector received
 * every datagram), and the reconciliation agrees with SNMP where the sampling is reported right and
 * catches the router that samples 1 in 10 but says 1 in 1.
 *
 * The lab binds the demo province's fixed 127.0.x.x SNMP ports: one lab-using test at a time (the
 * integration project runs files one after another).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createSocket } from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrol, startAgent, startLab, type Lab, type RunningAgent } from '../../agents/src/index.js';
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

interface TopItem {
  key: string;
  label: string;
  bytes: number;
  packets: number;
  flows: number;
}
interface ExporterRow {
  address: string;
  packets: number;
  records: number;
  sequenceGaps: number;
  malformed: Record<string, number>;
}
interface Reconciled {
  exporter: string;
  status: string;
  reason: string;
  interfaces: {
    ifIndex: number;
    direction: string;
    status: string;
    belowMinimum: boolean;
    divergencePercent: number | null;
    hint: { code: string; likelySamplingRate?: number } | null;
  }[];
}

const EXPORTERS = ['sc-core-a', 'sc-cd-agg', 'sc-my-agg', 'sc-lz-agg'];

describe('flows: lab exporters → edge agent → control plane', () => {
  let t: TestControlPlane;
  let lab: Lab | undefined;
  let agent: RunningAgent | undefined;
  let admin: Awaited<ReturnType<typeof login>>;
  const stateDir = mkdtempSync(join(tmpdir(), 'tianshu-flows-edge-'));
  let startedAt = 0;
  const addressOf = new Map<string, string>();

  beforeAll(async () => {
    const netflowPort = await freeUdpPort();
    const sflowPort = await freeUdpPort();
    t = await startTestControlPlane({
      listen: true,
      overrides: {
        snmpCredentialsFile: join(REPO, 'control-plane/inventory/demo-snmp-credentials.yaml'),
        network: { pollIntervalSeconds: 5, discoveryIntervalSeconds: 3600, concurrency: 16 },
        fleet: { heartbeatIntervalSeconds: 1, hostIntervalSeconds: 15, flushIntervalSeconds: 1 },
        flows: { netflowPort, sflowPort, bindAddress: '127.0.0.1' },
      },
    });
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
    // The collector listens before the routers send their first datagram, so nothing is lost.
    await eventually(async () => {
      const flows = (
        agent!.stats() as { edge?: { flows?: { sockets: { kind: string; boundPort?: number }[] } } }
      ).edge?.flows;
      const bound = new Set((flows?.sockets ?? []).filter((s) => s.boundPort).map((s) => s.kind));
      return bound.has('netflow') && bound.has('sflow');
    }, 30_000);
    startedAt = Date.now();
    lab = await startLab({
      inventoryFile: join(REPO, 'control-plane/inventory/demo-province.yaml'),
      scenarioFile: join(REPO, 'test/fixtures/flows/lab-flows.yaml'),
      flows: { netflowCollector: `127.0.0.1:${netflowPort}`, sflowCollector: `127.0.0.1:${sflowPort}` },
    });
    for (const r of lab.routers) addressOf.set(r.deviceId, r.address);
  }, 120_000);

  afterAll(async () => {
    await lab?.stop();
    await agent?.stop();
    await t?.close();
    rmSync(stateDir, { recursive: true, force: true });
  });

  const range = (): string =>
    `from=${new Date(startedAt - 120_000).toISOString()}&to=${new Date(Date.now() + 120_000).toISOString()}`;

  it('agrees with SNMP where sampling is reported right, and names the wrong sampling rate', async () => {
    // Two complete minutes of flows and SNMP polls; the reconciliation compares whole minutes.
    const rec = await eventually(
      async () => {
        const r = await admin.get(`/api/v1/flows/reconciliation?${range()}`);
        if (r.status !== 200) throw new Error(`reconciliation: ${r.status} ${await r.text()}`);
        const body = (await r.json()) as { items: Reconciled[] };
        const judged = (dev: string) => {
          const e = body.items.find((i) => i.exporter === addressOf.get(dev));
          return (
            e &&
            e.interfaces.some((i) => !i.belowMinimum && i.status !== 'no-snmp' && i.status !== 'no-flows')
          );
        };
        return EXPORTERS.every(judged) && body.items;
      },
      240_000,
      5_000,
    );
    const of = (dev: string) => rec.find((i) => i.exporter === addressOf.get(dev))!;
    for (const dev of ['sc-core-a', 'sc-cd-agg', 'sc-my-agg']) {
      expect(of(dev).status, `${dev}: ${of(dev).reason}`).toBe('ok');
    }
    const lz = of('sc-lz-agg');
    expect(lz.status, lz.reason).toBe('diverging');
    const hinted = lz.interfaces.find((i) => i.hint?.code === 'sampling-rate');
    expect(hinted?.hint?.likelySamplingRate).toBe(10);
  }, 300_000);

  it('counts per exporter exactly what the routers sent × the rate they report, losing nothing', async () => {
    // Stop the routers' export (and SNMP), then let the agent flush the minute in progress.
    await lab!.exportFlows();
    const sent = lab!.flowStats();
    await lab!.stop();
    lab = undefined;
    expect(sent.map((s) => s.deviceId).sort()).toEqual([...EXPORTERS].sort());
    for (const s of sent) {
      expect(s.sendErrors, `${s.deviceId}: ${s.lastError}`).toBe(0);
      expect(s.droppedDatagrams, s.deviceId).toBe(0);
    }
    const want = new Map(sent.map((s) => [s.address, s]));
    const datagrams = sent.reduce((n, s) => n + s.datagrams, 0);
    const health = await eventually(
      async () => {
        const r = await admin.get(`/api/v1/flows/exporters?${range()}`);
        const body = (await r.json()) as { items: ExporterRow[] };
        const got = body.items.filter((e) => want.has(e.address)).reduce((n, e) => n + e.packets, 0);
        return got >= datagrams && body.items;
      },
      150_000,
      2_000,
    );
    for (const e of health.filter((x) => want.has(x.address))) {
      const s = want.get(e.address)!;
      expect(e.packets, s.deviceId).toBe(s.datagrams);
      expect(e.records, s.deviceId).toBe(s.records);
      expect(e.sequenceGaps, s.deviceId).toBe(0);
      expect(
        Object.values(e.malformed).reduce((a, b) => a + b, 0),
        s.deviceId,
      ).toBe(0);
    }
    const top = (await (await admin.get(`/api/v1/flows/top?by=exporter&limit=100&${range()}`)).json()) as {
      items: TopItem[];
      total: { bytes: number };
    };
    for (const s of sent) {
      const item = top.items.find((i) => i.key === s.address);
      // What the records represent at the rate each one says: the lab's real rate (an sFlow router
      // over its datagram budget raises it, and says so in every sample), or the misreported one.
      const represented = Object.values(s.interfaces).reduce((n, i) => n + i.in, 0);
      const want = s.reportedSamplingRate === null ? represented : s.flowOctets * s.reportedSamplingRate;
      expect(item?.bytes, s.deviceId).toBe(want);
    }
    expect(top.total.bytes).toBe(top.items.reduce((n, i) => n + i.bytes, 0));
    // The provincial core's internet exit: egress traffic attributed to the province's units.
    const dir = (await (await admin.get(`/api/v1/flows/top?by=direction&${range()}`)).json()) as {
      items: TopItem[];
    };
    expect(dir.items.map((i) => i.key)).toEqual(expect.arrayContaining(['internal', 'egress', 'ingress']));
    const v = (await (await admin.get(`/api/v1/flows/top?by=ipVersion&${range()}`)).json()) as {
      items: TopItem[];
    };
    expect(v.items.map((i) => i.key).sort()).toEqual([4, 6]);
  }, 300_000);
});
