import dgram from 'node:dgram';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import type { FlowAggregatesPayload, FlowCollectorConfig } from '@tianshu/protocol';
import { ReportPayload } from '@tianshu/protocol';
import { flowWorkerUrl } from '../../../test/support/flow-worker.js';
import { freeUdpPort } from './testing/udp.js';
import { waitFor } from '../testing/wait.js';
import { FlowCollector } from './collector.js';
import { FlowMetrics } from './metrics.js';
import { netflowV5 } from './testing/netflow-v5.js';
import { flowSample, rawHeaderRecord, sflowDatagram } from './decode/testing/packets.js';

let workerUrl: URL;
beforeAll(async () => {
  workerUrl = await flowWorkerUrl();
});

const running: FlowCollector[] = [];
const sockets: dgram.Socket[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.stop()));
  for (const s of sockets.splice(0)) s.close();
});

async function config(over: Partial<FlowCollectorConfig> = {}): Promise<FlowCollectorConfig> {
  return {
    enabled: true,
    bindAddress: '127.0.0.1',
    netflowPort: await freeUdpPort(),
    sflowPort: 0,
    allowedSources: ['127.0.0.0/8'],
    key: ['srcAddr', 'dstAddr', 'srcPort', 'dstPort', 'proto'],
    sampling: [],
    defaultSamplingRate: 1,
    templateTimeoutSeconds: 1800,
    receiveBufferBytes: 1 << 20,
    ...over,
  };
}

function sender(address = '127.0.0.1'): dgram.Socket {
  const s = dgram.createSocket(address.includes(':') ? 'udp6' : 'udp4');
  sockets.push(s);
  return s;
}

function send(s: dgram.Socket, buf: Buffer, port: number, host = '127.0.0.1'): Promise<void> {
  return new Promise((resolve, reject) => s.send(buf, port, host, (err) => (err ? reject(err) : resolve())));
}

function start(mode: 'inline' | 'workers', cfg: FlowCollectorConfig, extra: { registry?: Registry } = {}) {
  const out: FlowAggregatesPayload[] = [];
  const metrics = extra.registry ? new FlowMetrics(extra.registry) : undefined;
  const c = new FlowCollector({
    onPayload: (p) => {
      const r = ReportPayload.safeParse(p);
      if (!r.success) throw new Error(`invalid payload: ${r.error.issues[0]?.message}`);
      out.push(p);
    },
    workers: mode === 'inline' ? 0 : 2,
    workerUrl,
    tickMillis: 3_600_000,
    ...(metrics ? { metrics } : {}),
  });
  running.push(c);
  c.apply(cfg);
  return { c, out };
}

const flows = (n: number, base = 0) =>
  Array.from({ length: n }, (_, i) => ({
    src: `10.1.0.${(base + i) % 250}`,
    dst: '10.2.0.1',
    srcPort: 1000 + base + i,
    dstPort: 443,
    proto: 6,
    bytes: 1500,
    packets: 3,
  }));

const total = (ps: FlowAggregatesPayload[], m: 'bytes' | 'packets' | 'flows') =>
  ps.reduce((a, p) => a + p.columns[m].reduce((x, y) => x + y, 0), 0);

describe.each(['inline', 'workers'] as const)('FlowCollector (%s)', (mode) => {
  it('receives NetFlow datagrams on loopback and emits their sampling-corrected aggregates on stop', async () => {
    const cfg = await config({ sampling: [{ exporter: '127.0.0.1', samplingRate: 10 }] });
    const { c, out } = start(mode, cfg);
    await c.ready();
    expect(c.stats().sockets[0]).toMatchObject({ kind: 'netflow', port: cfg.netflowPort, error: undefined });
    expect(c.stats().sockets[0]!.receiveBufferBytes).toBeGreaterThan(0);
    const s = sender();
    for (let i = 0; i < 20; i++)
      await send(s, netflowV5(flows(30, i * 30), { exportMillis: Date.now() }), cfg.netflowPort);
    await waitFor(() => c.stats().datagrams === 20, 5000);
    await c.stop();
    expect(total(out, 'flows')).toBe(600 * 10);
    expect(total(out, 'bytes')).toBe(600 * 1500 * 10);
    expect(total(out, 'packets')).toBe(600 * 3 * 10);
    const stats = out.filter((p) => p.stats.packets > 0).map((p) => p.stats);
    expect(stats.reduce((a, s) => a + s.packets, 0)).toBe(20);
    expect(stats.reduce((a, s) => a + s.records, 0)).toBe(600);
    expect(stats.reduce((a, s) => a + s.samplingSources.configured, 0)).toBe(600);
    expect(new Set(out.map((p) => p.exporter))).toEqual(new Set(['127.0.0.1']));
  });

  it('drops datagrams from sources outside allowedSources, counted per source', async () => {
    const cfg = await config({ allowedSources: ['127.0.0.2/32'] });
    const registry = new Registry();
    const { c, out } = start(mode, cfg, { registry });
    await c.ready();
    const s = sender();
    await send(s, netflowV5(flows(5), { exportMillis: Date.now() }), cfg.netflowPort);
    await send(s, netflowV5(flows(5), { exportMillis: Date.now() }), cfg.netflowPort);
    await waitFor(() => c.stats().datagrams === 2, 5000);
    expect(c.stats().notAllowed).toEqual({ '127.0.0.1': 2 });
    await c.stop();
    expect(out).toHaveLength(0);
    const text = await registry.metrics();
    expect(text).toContain('tianshu_agent_flow_dropped_total{exporter="127.0.0.1",reason="not-allowed"} 2');
  });

  it('counts malformed datagrams per reason and sends their stats in a payload without rows', async () => {
    const cfg = await config();
    const registry = new Registry();
    const { c, out } = start(mode, cfg, { registry });
    await c.ready();
    const s = sender();
    await send(s, Buffer.from([0, 5, 0, 1]), cfg.netflowPort); // truncated v5
    await send(s, netflowV5(flows(2), { exportMillis: Date.now() }).subarray(0, 80), cfg.netflowPort); // records cut
    await waitFor(() => c.stats().datagrams === 2, 5000);
    await c.stop();
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ rows: 0, stats: { packets: 2, records: 0, malformed: { truncated: 2 } } });
    expect(await registry.metrics()).toContain(
      'tianshu_agent_flow_malformed_total{exporter="127.0.0.1",reason="truncated"} 2',
    );
  });

  it('follows config changes live: a new port, new sources and a new key, keeping the minute in progress', async () => {
    const cfg = await config({ key: ['proto'] });
    const { c, out } = start(mode, cfg);
    await c.ready();
    const s = sender();
    await send(s, netflowV5(flows(10), { exportMillis: Date.now() }), cfg.netflowPort);
    await waitFor(() => c.stats().datagrams === 1, 5000);
    const moved = { ...cfg, netflowPort: await freeUdpPort() };
    c.apply(moved);
    await c.ready();
    expect(c.stats().sockets.map((x) => x.port)).toEqual([moved.netflowPort]);
    await send(s, netflowV5(flows(10), { exportMillis: Date.now() }), moved.netflowPort);
    await waitFor(() => c.stats().datagrams === 2, 5000);
    c.apply({ ...moved, key: ['dstPort'] });
    await send(s, netflowV5(flows(10), { exportMillis: Date.now() }), moved.netflowPort);
    await waitFor(() => c.stats().datagrams === 3, 5000);
    c.apply({ ...moved, key: ['dstPort'], allowedSources: ['10.0.0.0/8'] });
    await send(s, netflowV5(flows(10), { exportMillis: Date.now() }), moved.netflowPort);
    await waitFor(() => c.stats().datagrams === 4, 5000);
    await c.stop();
    expect(total(out, 'flows')).toBe(30);
    expect(out.filter((p) => p.key.includes('proto')).reduce((a, p) => a + p.rows, 0)).toBeGreaterThan(0);
    expect(out.filter((p) => p.key.includes('dstPort')).reduce((a, p) => a + p.rows, 0)).toBeGreaterThan(0);
    expect(c.stats().notAllowed).toEqual({ '127.0.0.1': 1 });
  });

  it('listens on IPv6 loopback and accepts ::1 by an IPv6 prefix', async () => {
    const cfg = await config({ bindAddress: '::1', allowedSources: ['::1/128'] });
    cfg.netflowPort = await freeUdpPort('::1');
    const { c, out } = start(mode, cfg);
    await c.ready();
    const s = sender('::1');
    await send(s, netflowV5(flows(4), { exportMillis: Date.now() }), cfg.netflowPort, '::1');
    await waitFor(() => c.stats().datagrams === 1, 5000);
    await c.stop();
    expect(out.map((p) => p.exporter)).toEqual(['::1']);
    expect(total(out, 'flows')).toBe(4);
  });

  it('receives sFlow on its own port and scales by the rate of each flow sample', async () => {
    const cfg = await config({
      netflowPort: 0,
      sflowPort: await freeUdpPort(),
      key: ['srcAddr', 'dstPort', 'inIf'],
    });
    const { c, out } = start(mode, cfg);
    await c.ready();
    expect(c.stats().sockets.map((x) => x.kind)).toEqual(['sflow']);
    const pkt = (src: string) =>
      rawHeaderRecord({ src, dst: '10.9.0.1', proto: 6, srcPort: 1234, dstPort: 443, frameLength: 1000 });
    const dg = sflowDatagram(
      [
        flowSample({ rate: 512, input: 3, output: 4 }, [pkt('10.1.0.1')]),
        flowSample({ rate: 512, input: 3, output: 4, expanded: true }, [pkt('10.1.0.2')]),
      ],
      { agent: '192.0.2.1', sequence: 1 },
    );
    await send(sender(), dg, cfg.sflowPort);
    await waitFor(() => c.stats().datagrams === 1, 5000);
    await c.stop();
    expect(total(out, 'flows')).toBe(2 * 512);
    expect(total(out, 'bytes')).toBe(2 * 1000 * 512);
    const p = out.find((x) => x.rows > 0)!;
    expect(p.columns.samplingRate).toEqual([512, 512]);
    expect(p.columns.inIf).toEqual([3, 3]);
    expect(p.stats).toMatchObject({
      versions: ['sflow'],
      samplingSources: { exporter: 2, configured: 0, default: 0 },
    });
  });

  it('shows a port it cannot bind in its stats, with the reason', async () => {
    const cfg = await config();
    const blocker = dgram.createSocket('udp4');
    sockets.push(blocker);
    await new Promise<void>((r) => blocker.bind(cfg.netflowPort, '127.0.0.1', () => r()));
    const errors: string[] = [];
    const c = new FlowCollector({ onPayload: () => {}, workers: 0, onError: (src) => errors.push(src) });
    running.push(c);
    c.apply(cfg);
    await c.ready();
    expect(c.stats().sockets[0]!.error).toMatch(/EADDRINUSE/);
    expect(errors).toEqual(['flows-netflow']);
  });
});

describe('FlowMetrics', () => {
  it('keeps at most the cap of exporter label values and counts the rest as other', () => {
    const m = new FlowMetrics(new Registry(), { maxExporterLabels: 2 });
    expect(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1'].map((e) => m.label(e))).toEqual([
      '10.0.0.1',
      '10.0.0.2',
      'other',
      '10.0.0.1',
    ]);
  });
});

describe('FlowCollector worker failure', () => {
  it('replaces a worker that dies and counts the datagrams it held as lost', async () => {
    // A worker script that dies on its first batch.
    const crashing = new URL(
      'data:text/javascript,' +
        encodeURIComponent(
          "import { parentPort } from 'node:worker_threads'; parentPort.on('message', (m) => { if (m.t === 'batch') process.exit(3); });",
        ),
    );
    const registry = new Registry();
    const cfg = await config();
    const c = new FlowCollector({
      onPayload: () => {},
      workers: 1,
      workerUrl: crashing,
      metrics: new FlowMetrics(registry),
    });
    running.push(c);
    c.apply(cfg);
    await c.ready();
    const s = sender();
    await send(s, netflowV5(flows(3), { exportMillis: Date.now() }), cfg.netflowPort);
    await waitFor(() => c.stats().workerRestarts === 1, 5000);
    expect(c.stats().workerLost).toBe(1);
    await send(s, netflowV5(flows(3), { exportMillis: Date.now() }), cfg.netflowPort);
    await waitFor(() => c.stats().workerLost === 2, 5000);
    expect(await registry.metrics()).toMatch(
      /tianshu_agent_flow_dropped_total\{exporter="[^"]+",reason="worker-failed"\} 1/,
    );
  });
});
