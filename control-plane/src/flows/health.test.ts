import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { FlowAggregatesPayload, FlowExporterStats, InterfacePollPayload } from '@tianshu/protocol';
import {
  ADMIN_PASSWORD,
  REPO,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../../../test/support/control-plane.js';
import { alarmsRef } from '../alerting/module.js';
import { systemIdentity } from '../auth/identity.js';
import { flowsRef } from './module.js';
import {
  FLOW_EGRESS_ALLOWANCE_EXCEEDED,
  FLOW_EXPORTER_MALFORMED,
  FLOW_RECONCILIATION_DIVERGING,
} from './alarms.js';
import type { EgressReport } from './egress.js';
import type { ExporterReconciliation } from './reconcile.js';
import type { ExporterHealth } from './exporters.js';

/*
 * Egress per org unit, flow vs SNMP reconciliation and exporter health, through the HTTP API, in
 * process, on PGlite and chDB. Flows arrive as an edge agent's `flow-aggregates` payloads and SNMP
 * as its `interface-poll` payloads (the real ingest and enrichment); the numbers are constructed so
 * that the expected peak, 95th percentile and divergences are exact.
 */

const M = 60_000;
const OFFSET = 480 * M; // the province's UTC+08:00
const DAY_MS = 24 * 60 * M;
// A local day three days ago: its start (local midnight) in UTC ms.
const today = Math.floor((Date.now() + OFFSET) / DAY_MS) * DAY_MS - OFFSET;
const D = today - 3 * DAY_MS;
const D_LABEL = new Date(D + OFFSET).toISOString().slice(0, 10);
/** The reconciliation window: 12:00–12:15 local on day D. */
const R = D + 12 * 60 * M;

const E1 = '127.0.16.1'; // sc-cd-agg, org unit sc-cd
const E2 = '127.0.17.1'; // sc-cd-jj-acc, org unit sc-cd-jj
const E3 = '127.0.18.1'; // sc-cd-sl-acc, org unit sc-cd-sl: malformed datagrams, no SNMP
const E4 = '127.0.18.129'; // sc-cd-sl-dsj-acc: a third of its datagrams lost on the way
const JJ_HOST = '127.0.17.10'; // in sc-cd-jj's prefix
const FC_HOST = '127.0.33.10'; // in sc-my-fc's prefix
const INTERNET = '8.8.8.8';

let t: TestControlPlane;
let admin: Session;
let agent: { agentId: string; auth: string };

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

beforeAll(async () => {
  const policiesDir = mkdtempSync(join(tmpdir(), 'tianshu-flows-policies-'));
  cpSync(join(REPO, 'policies'), policiesDir, { recursive: true });
  const flows = parse(readFileSync(join(policiesDir, 'flows.yaml'), 'utf8')) as Record<string, unknown>;
  flows.egress = {
    allowances: [
      { orgUnit: 'sc-cd-jj', monthlyGigabytes: 1000, peakMbps: 15 },
      { orgUnit: '/sc/sc-my/sc-my-fc', monthlyGigabytes: 0.001 },
      { orgUnit: 'sc-lz', monthlyGigabytes: 1000, peakMbps: 1000 },
    ],
  };
  flows.reconciliation = { thresholdPercent: 20, minBytes: 10_000_000, windowMinutes: 15 };
  writeFileSync(join(policiesDir, 'flows.yaml'), stringify(flows));
  t = await startTestControlPlane({ overrides: { policiesDir } });
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  agent = await enrolEdge('sc');
  // sc-cd-agg's uplink is the province's internet border: egress is counted there only.
  const ifs = (await (await admin.send('GET', '/api/v1/inventory/interfaces?deviceId=sc-cd-agg')).json()) as {
    items: { id: string; ifIndex: number }[];
  };
  const uplink = ifs.items.find((i) => i.ifIndex === 1)!;
  const marked = await admin.send('PATCH', `/api/v1/inventory/interfaces/${uplink.id}`, {
    internetEgress: true,
  });
  expect(marked.status).toBe(200);
  await ingest();
}, 300_000);
afterAll(async () => {
  await t?.close();
});

async function enrolEdge(orgUnitId: string) {
  const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: `edge ${orgUnitId}`,
    orgUnitId,
    roles: ['edge'],
  });
  expect(tok.status).toBe(201);
  const { token } = (await tok.json()) as { token: string };
  const res = await t.request(
    '/api/v1/fleet/enrol',
    json({ token, hostname: `edge-${orgUnitId}`, roles: ['edge'], version: '0.1.0' }),
  );
  expect(res.status).toBe(201);
  const body = (await res.json()) as { agentId: string; credential: string };
  return { agentId: body.agentId, auth: `Bearer ${body.agentId}.${body.credential}` };
}

async function user(username: string, orgUnitId: string): Promise<Session> {
  const res = await admin.send('POST', '/api/v1/users', {
    username,
    displayName: username,
    password: 'a-long-password-1',
    roles: ['network-operator'],
    orgUnitId,
  });
  expect(res.status).toBe(201);
  return login(t.request, username, 'a-long-password-1');
}

async function report(payloads: unknown[]) {
  for (let i = 0; i < payloads.length; i += 500) {
    const res = await t.request(
      `/api/v1/agents/${agent.agentId}/reports`,
      json(
        {
          batchId: randomUUID(),
          sequence: 1,
          createdAt: new Date().toISOString(),
          payloads: payloads.slice(i, i + 500),
        },
        { authorization: agent.auth },
      ),
    );
    expect(res.status, await res.clone().text()).toBeLessThan(300);
  }
}

interface Row {
  inIf: number;
  outIf: number;
  src: string;
  dst: string;
  bytes: number;
  rate?: number;
}

function stats(over: Partial<FlowExporterStats> = {}): FlowExporterStats {
  return {
    packets: 600,
    records: 6000,
    dropped: 0,
    malformed: {},
    missingTemplates: 0,
    sequenceGaps: 0,
    versions: [9],
    samplingSources: { exporter: 6000, configured: 0, default: 0 },
    ...over,
  };
}

function flows(exporter: string, minute: number, rows: Row[], st = stats()): FlowAggregatesPayload {
  return {
    kind: 'flow-aggregates',
    exporter,
    minute,
    key: ['inIf', 'outIf', 'srcAddr', 'dstAddr', 'proto', 'dstPort', 'ipVersion'],
    rows: rows.length,
    columns: {
      inIf: rows.map((r) => r.inIf),
      outIf: rows.map((r) => r.outIf),
      srcAddr: rows.map((r) => r.src),
      dstAddr: rows.map((r) => r.dst),
      proto: rows.map(() => 6),
      dstPort: rows.map(() => 443),
      ipVersion: rows.map(() => 4),
      samplingRate: rows.map((r) => r.rate ?? 1000),
      bytes: rows.map((r) => r.bytes),
      packets: rows.map((r) => Math.ceil(r.bytes / 1000)),
      flows: rows.map(() => 1000),
    },
    stats: st,
  };
}

function poll(deviceId: string, at: number, ifs: { ifIndex: number; inBps: number; outBps: number }[]) {
  return {
    kind: 'interface-poll',
    deviceId,
    polledAt: at,
    durationMs: 10,
    reachable: true,
    sysUpTime: 1000,
    interfaces: ifs.map((i) => ({
      ifIndex: i.ifIndex,
      name: `if${i.ifIndex}`,
      alias: '',
      operStatus: 'up',
      adminStatus: 'up',
      speedMbps: 1000,
      inOctets: '1000',
      outOctets: '2000',
      inErrors: '0',
      outErrors: '0',
      inDiscards: '0',
      outDiscards: '0',
      rates: {
        inBitsPerSecond: i.inBps,
        outBitsPerSecond: i.outBps,
        inErrorsPerSecond: 0,
        outErrorsPerSecond: 0,
        inDiscardsPerSecond: 0,
        outDiscardsPerSecond: 0,
        intervalSeconds: 60,
      },
    })),
  } satisfies InterfacePollPayload;
}

/** Bytes per minute at a rate in bit/s. */
const perMinute = (bps: number) => (bps / 8) * 60;

async function ingest() {
  const payloads: unknown[] = [];
  // Egress of sc-cd-jj on day D: in 5-minute bucket k (k = 1..20) k Mbit/s out (all in its first
  // minute), and 2 Mbit/s in during bucket 1. sc-my-fc sends 1 Mbit/s out in bucket 3. Internal
  // traffic between them is not egress.
  for (let k = 1; k <= 20; k++) {
    const rows: Row[] = [{ inIf: 11, outIf: 1, src: JJ_HOST, dst: INTERNET, bytes: k * 37_500_000 }];
    if (k === 1) rows.push({ inIf: 1, outIf: 11, src: INTERNET, dst: JJ_HOST, bytes: 75_000_000 });
    if (k === 3) rows.push({ inIf: 13, outIf: 1, src: FC_HOST, dst: '1.1.1.1', bytes: 37_500_000 });
    if (k === 5) rows.push({ inIf: 11, outIf: 13, src: JJ_HOST, dst: FC_HOST, bytes: 999_000_000 });
    payloads.push(flows(E1, D + k * 5 * M, rows));
  }
  // The county router sees sc-cd-jj's traffic on its way out too (through its own uplink, not a
  // border interface): counted once, at the border, not twice.
  payloads.push(
    flows(E2, D + 5 * M, [{ inIf: 11, outIf: 1, src: JJ_HOST, dst: INTERNET, bytes: 37_500_000 }]),
  );
  // Reconciliation, minutes R .. R+14. E1 agrees with SNMP: 80 Mbit/s in on 11 and out on 1,
  // 40 Mbit/s in on 1 and out on 11 (sampling 1000, from the exporter). E2 (sc-cd-jj-acc) is sampled
  // 1 in 1000 but its flows were corrected by 100: a tenth of SNMP on ifIndex 1 and 2; its ifIndex 11
  // carries 8 Mbit/s by SNMP and no flows at all.
  for (let i = 0; i < 15; i++) {
    const m = R + i * M;
    payloads.push(
      flows(
        E1,
        m,
        [
          { inIf: 11, outIf: 1, src: JJ_HOST, dst: FC_HOST, bytes: perMinute(80e6) },
          { inIf: 1, outIf: 11, src: FC_HOST, dst: JJ_HOST, bytes: perMinute(40e6) },
        ],
        stats({ malformed: { truncated: 1 }, missingTemplates: i === 0 ? 5 : 0 }),
      ),
    );
    payloads.push(
      flows(
        E2,
        m,
        [{ inIf: 1, outIf: 2, src: FC_HOST, dst: JJ_HOST, bytes: perMinute(80e6) / 10, rate: 100 }],
        stats({ samplingSources: { exporter: 0, configured: 0, default: 6000 }, versions: [10] }),
      ),
    );
  }
  // E4's sequence numbers show 200 datagrams lost for 400 received: its flows are 2/3 of SNMP.
  for (let i = 0; i < 15; i++) {
    payloads.push(
      flows(
        E4,
        R + i * M,
        [{ inIf: 1, outIf: 2, src: FC_HOST, dst: JJ_HOST, bytes: (perMinute(48e6) * 2) / 3 }],
        stats({ packets: 400, sequenceGaps: 200 }),
      ),
    );
  }
  // E3 sends 100 datagrams in minute R, 20 of them malformed (bad templates), and no flows.
  payloads.push(flows(E3, R, [], stats({ packets: 100, records: 0, malformed: { 'bad-template': 20 } })));
  // SNMP every 60 s from 15 minutes before the window to 15 after.
  for (let at = R - 15 * M; at <= R + 30 * M; at += M) {
    payloads.push(
      poll('sc-cd-agg', at, [
        { ifIndex: 1, inBps: 40e6, outBps: 80e6 },
        { ifIndex: 2, inBps: 0, outBps: 0 },
        { ifIndex: 11, inBps: 80e6, outBps: 40e6 },
      ]),
    );
    payloads.push(
      poll('sc-cd-sl-dsj-acc', at, [
        { ifIndex: 1, inBps: 48e6, outBps: 0 },
        { ifIndex: 2, inBps: 0, outBps: 48e6 },
      ]),
    );
    payloads.push(
      poll('sc-cd-jj-acc', at, [
        { ifIndex: 1, inBps: 80e6, outBps: 0 },
        { ifIndex: 2, inBps: 0, outBps: 80e6 },
        { ifIndex: 11, inBps: 8e6, outBps: 1e4 },
      ]),
    );
  }
  await report(payloads);
}

describe('internet egress per org unit', () => {
  it('gives volume, peak and 95th percentile from 5-minute buckets, exactly', async () => {
    const res = await admin.send('GET', `/api/v1/flows/egress?orgUnitId=sc-cd-jj&period=day&at=${D_LABEL}`);
    expect(res.status).toBe(200);
    const r = (await res.json()) as EgressReport;
    expect(r).toMatchObject({
      orgUnitId: 'sc-cd-jj',
      period: 'day',
      label: D_LABEL,
      utcOffsetMinutes: 480,
      outBytes: 210 * 37_500_000,
      inBytes: 75_000_000,
      buckets: 288,
      peakOutBps: 20e6,
      // 268 empty buckets, then 1..20 Mbit/s: the 274th smallest of 288 is 6 Mbit/s.
      p95OutBps: 6e6,
      peakInBps: 2e6,
      p95InBps: 0,
    });
    expect(r.days).toHaveLength(1);
    expect(r.days[0]).toMatchObject({ date: D_LABEL, outBytes: 210 * 37_500_000, peakOutBps: 20e6 });
    expect(r.fiveMinutes).toHaveLength(20);
    expect(r.topDestinations[0]).toMatchObject({
      address: INTERNET,
      outBytes: 210 * 37_500_000,
      inBytes: 75e6,
    });
    expect(r.internalSources).toEqual([
      { address: JJ_HOST, orgUnitId: 'sc-cd-jj', outBytes: 210 * 37_500_000, inBytes: 75e6 },
    ]);
    expect(r.applications).toEqual([{ app: 'HTTPS', outBytes: 210 * 37_500_000, inBytes: 75e6 }]);
    // The allowance (peak 15 Mbit/s) is judged on the month: the 20 Mbit/s bucket exceeds it.
    expect(r.allowance).toMatchObject({
      peakMbps: 15,
      peakExceeded: true,
      volumeExceeded: false,
      exceeded: true,
    });
  });

  it('includes the subtree, and the month has one entry per day', async () => {
    const month = D_LABEL.slice(0, 7);
    const res = await admin.send('GET', `/api/v1/flows/egress?orgUnitId=sc-cd&period=month&at=${month}`);
    expect(res.status).toBe(200);
    const r = (await res.json()) as EgressReport;
    expect(r.outBytes).toBe(210 * 37_500_000);
    expect(r.peakOutBps).toBe(20e6);
    expect(r.days.length).toBeGreaterThanOrEqual(28);
    expect(r.days.find((d) => d.date === D_LABEL)?.outBytes).toBe(210 * 37_500_000);
    expect(r.days.filter((d) => d.outBytes > 0)).toHaveLength(1);
    expect(r.fiveMinutes).toEqual([]);
    expect(r.allowance).toBeNull();
    const fc = (await (
      await admin.send('GET', `/api/v1/flows/egress?orgUnitId=sc-my-fc&period=month&at=${month}`)
    ).json()) as EgressReport;
    expect(fc.outBytes).toBe(37_500_000);
    expect(fc.allowance).toMatchObject({ monthlyGigabytes: 0.001, volumeExceeded: true, exceeded: true });
  });

  it('is scoped: another unit’s egress is absent', async () => {
    const my = await user('egress-my', 'sc-my');
    expect((await my.send('GET', `/api/v1/flows/egress?orgUnitId=sc-cd-jj&at=${D_LABEL}`)).status).toBe(404);
    const own = await my.send('GET', `/api/v1/flows/egress?orgUnitId=sc-my-fc&at=${D_LABEL}`);
    expect(((await own.json()) as EgressReport).outBytes).toBe(37_500_000);
    // Its own unit by default.
    const mine = (await (await my.send('GET', `/api/v1/flows/egress?at=${D_LABEL}`)).json()) as EgressReport;
    expect(mine).toMatchObject({ orgUnitId: 'sc-my', outBytes: 37_500_000 });
    const bad = await admin.send('GET', '/api/v1/flows/egress?orgUnitId=sc&at=2026-02-30');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'input.invalid',
      message: expect.stringMatching(/calendar date/),
    });
  });

  it('raises the allowance alarm when exceeded and clears it in the next month', async () => {
    const flowsSvc = t.cp.services.modules.use(flowsRef);
    const alarms = t.cp.services.modules.use(alarmsRef);
    const during = await flowsSvc.egress.check(D + 23 * 60 * M);
    expect(during.exceeded).toBe(2);
    const firing = await alarms.list(systemIdentity(), { kind: FLOW_EGRESS_ALLOWANCE_EXCEEDED });
    expect(firing.items.map((a) => a.targetId).sort()).toEqual(['sc-cd-jj', 'sc-my-fc']);
    const jj = firing.items.find((a) => a.targetId === 'sc-cd-jj')!;
    expect(jj).toMatchObject({
      orgUnitId: 'sc-cd-jj',
      labels: { peakExceeded: 'true', volumeExceeded: 'false' },
    });
    expect(jj.summary).toMatch(/peak 20 Mbit\/s over 15 Mbit\/s/);
    // The county operator sees its own alarm, not the other's.
    const jjUser = await user('egress-jj', 'sc-cd-jj');
    const seen = (await (
      await jjUser.send('GET', `/api/v1/alarms?kind=${FLOW_EGRESS_ALLOWANCE_EXCEEDED}`)
    ).json()) as {
      items: { targetId: string }[];
    };
    expect(seen.items.map((a) => a.targetId)).toEqual(['sc-cd-jj']);
    // Next month: nothing yet, both resolved.
    const next = await flowsSvc.egress.check(D + 40 * DAY_MS);
    expect(next).toEqual({ exceeded: 0, resolved: 2 });
    expect((await alarms.list(systemIdentity(), { kind: FLOW_EGRESS_ALLOWANCE_EXCEEDED })).items).toEqual([]);
  });
});

describe('flow vs SNMP reconciliation', () => {
  const window = `from=${new Date(R).toISOString()}&to=${new Date(R + 15 * M).toISOString()}`;

  it('agrees where flows match SNMP, and names a sampling rate 10× off and a missing export', async () => {
    const res = await admin.send('GET', `/api/v1/flows/reconciliation?${window}`);
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: ExporterReconciliation[] };
    const e1 = items.find((e) => e.exporter === E1)!;
    expect(e1).toMatchObject({ deviceId: 'sc-cd-agg', orgUnitId: 'sc-cd', status: 'ok', diverging: 0 });
    const in11 = e1.interfaces.find((i) => i.ifIndex === 11 && i.direction === 'in')!;
    expect(in11).toMatchObject({ minutes: 15, status: 'ok', samplingRate: 1000 });
    expect(in11.flowBytes).toBe(15 * perMinute(80e6));
    expect(in11.snmpBytes).toBe(15 * perMinute(80e6));
    expect(in11.ratio).toBe(1);
    expect(e1.interfaces.find((i) => i.ifIndex === 1 && i.direction === 'out')).toMatchObject({
      status: 'ok',
      divergencePercent: 0,
    });
    expect(e1.interfaces.find((i) => i.ifIndex === 2 && i.direction === 'in')).toMatchObject({
      status: 'ok',
      belowMinimum: true,
    });

    const e2 = items.find((e) => e.exporter === E2)!;
    expect(e2).toMatchObject({ deviceId: 'sc-cd-jj-acc', orgUnitId: 'sc-cd-jj', status: 'diverging' });
    const in1 = e2.interfaces.find((i) => i.ifIndex === 1 && i.direction === 'in')!;
    expect(in1).toMatchObject({ status: 'diverging', samplingRate: 100, divergencePercent: -90 });
    expect(in1.hint).toMatchObject({ code: 'sampling-rate', likelySamplingRate: 1000 });
    expect(e2.interfaces.find((i) => i.ifIndex === 2 && i.direction === 'out')?.hint?.code).toBe(
      'sampling-rate',
    );
    const in11e2 = e2.interfaces.find((i) => i.ifIndex === 11 && i.direction === 'in')!;
    expect(in11e2).toMatchObject({ status: 'diverging', flowBytes: 0, hint: { code: 'not-exported' } });
    // Out on 11: 10 kbit/s (1.1 MB in 15 minutes), below the minimum volume.
    expect(e2.interfaces.find((i) => i.ifIndex === 11 && i.direction === 'out')).toMatchObject({
      status: 'ok',
      belowMinimum: true,
    });
    expect(e2.diverging).toBe(3);
    const e4 = items.find((e) => e.exporter === E4)!;
    expect(e4).toMatchObject({ status: 'diverging', diverging: 2 });
    expect(e4.worst).toMatchObject({ ifIndex: 1, direction: 'in', divergencePercent: -33.33 });
    expect(e4.worst?.hint).toMatchObject({ code: 'lost-datagrams', lossPercent: 33.33 });
    // E3's device is never polled.
    expect(items.find((e) => e.exporter === E3)).toMatchObject({ status: 'no-snmp', interfaces: [] });
  });

  it('narrows to one exporter and is scoped by the exporter’s org unit', async () => {
    const one = (await (
      await admin.send('GET', `/api/v1/flows/reconciliation?${window}&exporter=${E2}`)
    ).json()) as { items: ExporterReconciliation[] };
    expect(one.items.map((e) => e.exporter)).toEqual([E2]);
    const jj = await login(t.request, 'egress-jj', 'a-long-password-1');
    const mine = (await (await jj.send('GET', `/api/v1/flows/reconciliation?${window}`)).json()) as {
      items: ExporterReconciliation[];
    };
    expect(mine.items.map((e) => e.exporter)).toEqual([E2]);
    const other = (await (
      await jj.send('GET', `/api/v1/flows/reconciliation?${window}&exporter=${E1}`)
    ).json()) as { items: unknown[] };
    expect(other.items).toEqual([]);
    const tooLong = await admin.send(
      'GET',
      `/api/v1/flows/reconciliation?from=${new Date(R - 2 * DAY_MS).toISOString()}&to=${new Date(R).toISOString()}`,
    );
    expect(tooLong.status).toBe(400);
  });

  it('raises flow-reconciliation-diverging for the diverging exporter and clears it', async () => {
    const svc = t.cp.services.modules.use(flowsRef);
    const alarms = t.cp.services.modules.use(alarmsRef);
    // The check's window ends two minutes before "now".
    const r = await svc.reconciler.check(R + 17 * M);
    expect(r.diverging).toBe(2);
    const firing = (await alarms.list(systemIdentity(), { kind: FLOW_RECONCILIATION_DIVERGING })).items;
    expect(firing.map((a) => a.targetId).sort()).toEqual([E4, E2].sort());
    expect(firing.find((a) => a.targetId === E4)?.labels).toMatchObject({ hint: 'lost-datagrams' });
    expect(firing.find((a) => a.targetId === E2)).toMatchObject({
      targetType: 'flow-exporter',
      targetId: E2,
      orgUnitId: 'sc-cd-jj',
      labels: { hint: 'not-exported', hints: 'not-exported,sampling-rate', likelySamplingRate: '1000' },
    });
    // Hours later the window holds nothing diverging: resolved.
    expect(await svc.reconciler.check(R + 3 * 60 * M)).toEqual({ diverging: 0, resolved: 2 });
    expect((await alarms.list(systemIdentity(), { kind: FLOW_RECONCILIATION_DIVERGING })).items).toEqual([]);
  });
});

describe('exporter health', () => {
  it('gives rates, malformed by reason, templates, versions, sampling and the reconciliation', async () => {
    const q = `from=${new Date(R).toISOString()}&to=${new Date(R + 15 * M).toISOString()}`;
    const res = await admin.send('GET', `/api/v1/flows/exporters?${q}`);
    expect(res.status).toBe(200);
    const { items } = (await res.json()) as { items: ExporterHealth[] };
    expect(items.map((e) => e.address)).toEqual([E1, E2, E3, E4]);
    const [e1, e2, e3] = items as [ExporterHealth, ExporterHealth, ExporterHealth];
    expect(e3).toMatchObject({
      orgUnitId: 'sc-cd-sl',
      malformed: { 'bad-template': 20 },
      malformedTotal: 20,
      bytes: 0,
      reconciliation: { status: 'no-snmp' },
    });
    expect(e1).toMatchObject({
      deviceId: 'sc-cd-agg',
      deviceName: '成都市汇聚路由器',
      orgUnitId: 'sc-cd',
      agentId: agent.agentId,
      minutes: 15,
      packets: 15 * 600,
      packetsPerSecond: 10,
      recordsPerSecond: 100,
      malformed: { truncated: 15 },
      malformedTotal: 15,
      missingTemplates: 5,
      sequenceGaps: 0,
      versions: ['9'],
      samplingRates: [1000],
      samplingSources: { exporter: 15 * 6000, configured: 0, default: 0 },
      lastSeen: new Date(R + 14 * M).toISOString(),
      bytes: 15 * (perMinute(80e6) + perMinute(40e6)),
      flows: 30 * 1000,
      reconciliation: { status: 'ok', diverging: 0, worstInterface: null },
    });
    expect(e2).toMatchObject({
      deviceId: 'sc-cd-jj-acc',
      versions: ['10'],
      samplingRates: [100],
      samplingSources: { exporter: 0, configured: 0, default: 15 * 6000 },
      reconciliation: { status: 'diverging', diverging: 3 },
    });
    expect(e2.reconciliation.worstInterface?.hint?.code).toBe('not-exported');
    // Scoped by the exporter's org unit.
    const jj = await login(t.request, 'egress-jj', 'a-long-password-1');
    const mine = (await (await jj.send('GET', `/api/v1/flows/exporters?${q}`)).json()) as {
      items: ExporterHealth[];
    };
    expect(mine.items.map((e) => e.address)).toEqual([E2]);
    const lz = await user('exporters-lz', 'sc-lz');
    const none = (await (await lz.send('GET', `/api/v1/flows/exporters?${q}`)).json()) as {
      items: unknown[];
    };
    expect(none.items).toEqual([]);
  });
});

describe('malformed datagrams', () => {
  it('raises flow-exporter-malformed for an exporter sending many, and clears it', async () => {
    const svc = t.cp.services.modules.use(flowsRef);
    const alarms = t.cp.services.modules.use(alarmsRef);
    // E1's 15 truncated datagrams are 0.17 % of its 9000: no alarm; E3's 20 of 100 are.
    expect(await svc.exporterHealth.checkMalformed(R + 15 * M)).toEqual({ malformed: 1, resolved: 0 });
    const firing = (await alarms.list(systemIdentity(), { kind: FLOW_EXPORTER_MALFORMED })).items;
    expect(firing).toMatchObject([
      {
        targetType: 'flow-exporter',
        targetId: E3,
        orgUnitId: 'sc-cd-sl',
        labels: { reasons: 'bad-template 20' },
      },
    ]);
    expect(firing[0]!.summary).toMatch(/20 malformed datagrams \(20% of 100\)/);
    expect(await svc.exporterHealth.checkMalformed(R + 60 * M)).toEqual({ malformed: 0, resolved: 1 });
  });
});
