import { mkdtemp, rm } from 'node:fs/promises';
import dgram from 'node:dgram';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AgentConfig, FlowAggregatesPayload } from '@tianshu/protocol';
import { flowWorkerUrl } from '../../../test/support/flow-worker.js';
import { startAgent } from '../agent.js';
import { enrol } from '../enrol.js';
import { silentLogger } from '../runtime/logger.js';
import { StubControlPlane } from '../testing/stub-control-plane.js';
import { waitFor } from '../testing/wait.js';
import { netflowV5 } from './testing/netflow-v5.js';
import { freeUdpPort } from './testing/udp.js';

let dir: string;
let stub: StubControlPlane;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tianshu-agent-flows-'));
  stub = await new StubControlPlane({ tokens: ['flows-token-1234'] }).start();
});
afterEach(async () => {
  await stub.stop();
  await rm(dir, { recursive: true, force: true });
});

const flowPayloads = (): FlowAggregatesPayload[] =>
  stub.batches
    .flatMap((b) => b.payloads)
    .filter((p): p is FlowAggregatesPayload => p.kind === 'flow-aggregates');
const flowsTotal = (): number =>
  flowPayloads().reduce((a, p) => a + p.columns.flows.reduce((x, y) => x + y, 0), 0);

describe('flow collector in the agent', () => {
  it('posts flow-aggregates batches to the control plane, exactly once, replaying them after an outage', async () => {
    const port = await freeUdpPort();
    const config: AgentConfig = {
      configVersion: 'f1',
      heartbeatIntervalSeconds: 1,
      host: { enabled: false, intervalSeconds: 60 },
      report: { maxSamplesPerBatch: 10_000, flushIntervalSeconds: 1 },
      flows: {
        enabled: true,
        bindAddress: '127.0.0.1',
        netflowPort: port,
        sflowPort: 0,
        allowedSources: ['127.0.0.0/8'],
        key: ['srcAddr', 'dstAddr', 'dstPort', 'proto'],
        sampling: [],
        defaultSamplingRate: 100,
        templateTimeoutSeconds: 1800,
        receiveBufferBytes: 1 << 20,
      },
    };
    stub.config = config;
    await enrol({ server: stub.url, token: 'flows-token-1234', stateDir: dir, roles: ['edge'] });
    // The agent's clock for minute flushing: the test moves it on instead of waiting a minute.
    let offset = 0;
    const agent = await startAgent({
      stateDir: dir,
      roles: ['edge'],
      metricsListen: '127.0.0.1:0',
      retryInitialMillis: 20,
      logger: silentLogger,
      flowCollector: {
        workerUrl: await flowWorkerUrl(),
        workers: 1,
        tickMillis: 50,
        now: () => Date.now() + offset,
      },
    });
    const s = dgram.createSocket('udp4');
    const send = (buf: Buffer) =>
      new Promise<void>((resolve, reject) =>
        s.send(buf, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
      );
    const flows = (n: number) =>
      Array.from({ length: n }, (_, i) => ({
        src: '10.1.0.1',
        dst: `10.2.0.${i}`,
        srcPort: 5000,
        dstPort: 443,
        proto: 6,
        bytes: 400,
        packets: 2,
      }));
    try {
      await waitFor(() => !!agent.stats().edge?.flows?.sockets[0]?.boundPort, 10_000, 'the flow socket');
      for (let i = 0; i < 5; i++) await send(netflowV5(flows(10), { exportMillis: Date.now() }));
      await waitFor(() => agent.stats().edge?.flows?.datagrams === 5, 10_000, 'five datagrams');
      offset += 120_000;
      await waitFor(() => flowsTotal() === 50 * 100, 10_000, 'the first minute at the control plane');
      const first = flowPayloads();
      expect(first.every((p) => p.exporter === '127.0.0.1' && p.key.includes('ipVersion'))).toBe(true);
      expect(first.reduce((a, p) => a + p.stats.records, 0)).toBe(50);
      expect(first.reduce((a, p) => a + p.stats.samplingSources.default, 0)).toBe(50);

      // Outage: the next minute is queued on disk and sent when the server is back.
      await stub.stop();
      for (let i = 0; i < 3; i++) await send(netflowV5(flows(10), { exportMillis: Date.now() + offset }));
      await waitFor(() => agent.stats().edge?.flows?.datagrams === 8, 10_000, 'three more datagrams');
      offset += 120_000;
      await waitFor(
        () => agent.stats().queue.pendingBatches >= 1,
        10_000,
        'a batch queued during the outage',
      );
      await stub.start();
      await waitFor(() => flowsTotal() === 80 * 100, 15_000, 'the replayed minute');
      const ids = stub.batches.map((b) => b.batchId);
      expect(new Set(ids).size).toBe(ids.length);

      const stats = agent.stats().edge!.flows!;
      expect(stats).toMatchObject({ enabled: true, workers: 1, datagrams: 8, queueFull: 0 });
      const metrics = await fetch(`http://127.0.0.1:${agent.stats().metricsAddress!.port}/metrics`).then(
        (r) => r.text(),
      );
      expect(metrics).toContain('tianshu_agent_flow_records_total{exporter="127.0.0.1"} 80');
      expect(metrics).toContain('tianshu_agent_flow_packets_total{exporter="127.0.0.1"} 8');
      expect(metrics).toMatch(/tianshu_agent_flow_receive_buffer_bytes\{socket="netflow"\} \d+/);
    } finally {
      s.close();
      await agent.stop();
    }
  }, 60_000);
});
