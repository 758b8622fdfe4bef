import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  HostMetricsPayload,
  ReportBatch,
  countSamples,
  encodeHostMetrics,
  hostMetricsPointCount,
  hostMetricsSeries,
  type Series,
} from '@tianshu/protocol';
import { HttpClient } from './client.js';
import { DiskQueue } from './queue.js';
import { Transport, looksLikeBatch, splitPayload } from './transport.js';
import { StubControlPlane } from '../testing/stub-control-plane.js';
import { waitFor } from '../testing/wait.js';

let dir: string;
let stub: StubControlPlane;
let agent: { agentId: string; credential: string };
const open: { transport: Transport; client: HttpClient }[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tianshu-transport-'));
  stub = await new StubControlPlane().start();
  agent = stub.addAgent();
});
afterEach(async () => {
  for (const o of open.splice(0)) {
    await o.transport.stop();
    o.client.close();
  }
  await stub.stop();
  await rm(dir, { recursive: true, force: true });
});

/** Batch ids of every report post the stub received, including refused ones. */
const reportPosts = (): string[] =>
  stub.requests
    .filter((r) => r.path.endsWith('/reports'))
    .map((r) => (r.body as { batchId: string }).batchId);

let tick = 1_763_800_000_000;
function payload(samples: number): HostMetricsPayload {
  tick += 1000;
  return {
    kind: 'host-metrics',
    host: 'h1',
    series: Array.from({ length: samples }, (_, i) => ({
      name: 'node_load1',
      labels: { i: String(i) },
      points: [[tick, i] as [number, number]],
    })),
  };
}

async function makeTransport(
  opts: Partial<{ maxSamplesPerBatch: number; maxBatches: number }> = {},
): Promise<{ transport: Transport; queue: DiskQueue }> {
  const queue = await DiskQueue.open({
    dir: join(dir, 'queue'),
    maxBytes: 1 << 24,
    maxBatches: opts.maxBatches ?? 1000,
    validate: looksLikeBatch,
  });
  const client = new HttpClient({ baseUrl: stub.url, agentId: agent.agentId, credential: agent.credential });
  const transport = new Transport({
    agentId: agent.agentId,
    client,
    queue,
    maxSamplesPerBatch: opts.maxSamplesPerBatch ?? 1000,
    flushIntervalMillis: 60_000,
    retryInitialMillis: 20,
    retryMaxMillis: 100,
    requestTimeoutMillis: 2000,
  });
  open.push({ transport, client });
  return { transport, queue };
}

describe('Transport', () => {
  it('keeps no listener per idle wait: a long run does not grow the memory it holds', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const { transport } = await makeTransport();
      transport.start();
      // Each batch sent leaves the sender idle once; 30 idle waits.
      for (let i = 0; i < 30; i++) {
        transport.add(payload(1));
        await transport.flush();
        await waitFor(() => transport.stats().batchesSent === i + 1, 5000, `batch ${i}`);
      }
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('delivers every batch produced during an outage once, in sequence order, after the server returns', async () => {
    const { transport, queue } = await makeTransport();
    transport.start();
    transport.add(payload(3));
    await transport.flush();
    await waitFor(() => stub.batches.length === 1, 5000, 'first batch');

    await stub.stop();
    for (let i = 0; i < 8; i++) {
      transport.add(payload(2));
      await transport.flush();
    }
    // Give the sender time to fail a few times against the closed port.
    await new Promise((r) => setTimeout(r, 300));
    expect(queue.stats().pendingBatches).toBe(8);
    expect(transport.stats().sendFailures).toBeGreaterThan(0);
    expect(stub.batches).toHaveLength(1);

    await stub.start();
    await waitFor(() => transport.stats().batchesSent === 9, 5000, 'queue to drain');
    expect(queue.stats().pendingBatches).toBe(0);
    expect(stub.sequences()).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(new Set(stub.batches.map((b) => b.batchId)).size).toBe(9);
    expect(stub.batches.slice(1).every((b) => countSamples(b) === 2)).toBe(true);
    for (const b of stub.batches) expect(ReportBatch.safeParse(b).success).toBe(true);
    expect(transport.stats()).toMatchObject({ batchesQueued: 9, batchesSent: 9, failing: false });
  });

  it('moves a batch the server refuses with a 4xx to rejected/ and carries on', async () => {
    stub.rejectBatches((b) => b.sequence === 1);
    const { transport, queue } = await makeTransport();
    for (let i = 0; i < 3; i++) {
      transport.add(payload(1));
      await transport.flush();
    }
    transport.start();
    await waitFor(() => queue.stats().pendingBatches === 0, 5000, 'queue to drain');
    expect(stub.sequences()).toEqual([0, 2]);
    expect(queue.stats().rejectedBatches).toBe(1);
    expect(transport.stats().batchesRejected).toBe(1);
    const rejected = await readdir(join(dir, 'queue', 'rejected'));
    expect(rejected).toEqual(['00000000000000000001.json']);
  });

  it('honours Retry-After on 429', async () => {
    stub.fail('reports', { status: 429, headers: { 'retry-after': '1' } });
    const { transport, queue } = await makeTransport();
    transport.add(payload(1));
    await transport.flush();
    const started = Date.now();
    transport.start();
    await waitFor(() => queue.stats().pendingBatches === 0, 5000, 'queue to drain');
    const elapsed = Date.now() - started;
    // The backoff alone would retry after at most 20 ms.
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(reportPosts()).toHaveLength(2);
    expect(stub.batches).toHaveLength(1);
  });

  it('retries 5xx and 408 answers and keeps the batch until it is acknowledged', async () => {
    stub.fail('reports', { status: 503, times: 2 });
    stub.fail('reports', { status: 408 });
    const { transport, queue } = await makeTransport();
    transport.add(payload(1));
    await transport.flush();
    transport.start();
    await waitFor(() => queue.stats().pendingBatches === 0, 5000, 'queue to drain');
    expect(reportPosts()).toHaveLength(4);
    expect(new Set(reportPosts()).size).toBe(1);
    expect(stub.batches).toHaveLength(1);
  });

  it('keeps batches queued while the credential is refused', async () => {
    const { transport, queue } = await makeTransport();
    stub.revoke(agent.agentId);
    transport.add(payload(1));
    await transport.flush();
    transport.start();
    await waitFor(() => stub.requests.length >= 2, 5000, 'two attempts');
    expect(queue.stats()).toMatchObject({ pendingBatches: 1, rejectedBatches: 0 });
  });

  it('splits payloads so that no batch exceeds maxSamplesPerBatch', async () => {
    const { transport, queue } = await makeTransport({ maxSamplesPerBatch: 10 });
    transport.add(payload(4));
    transport.add(payload(21));
    await transport.flush();
    expect(queue.stats().pendingBatches).toBe(3);
    transport.start();
    await waitFor(() => queue.stats().pendingBatches === 0, 5000, 'queue to drain');
    expect(stub.batches.map((b) => countSamples(b))).toEqual([10, 10, 5]);
    expect(stub.batches[0]!.payloads).toHaveLength(2);
  });

  it('writes samples still in memory to the queue on stop, and a new transport sends them', async () => {
    await stub.stop();
    const first = await makeTransport();
    first.transport.start();
    first.transport.add(payload(2));
    first.transport.add(payload(2));
    await first.transport.stop();
    expect(first.queue.stats().pendingBatches).toBe(1);
    await first.queue.close();

    await stub.start();
    const second = await makeTransport();
    expect(second.queue.stats().pendingBatches).toBe(1);
    second.transport.start();
    second.transport.add(payload(1));
    await second.transport.flush();
    await waitFor(() => second.queue.stats().pendingBatches === 0, 5000, 'queue to drain');
    expect(stub.sequences()).toEqual([0, 1]);
    expect(countSamples(stub.batches[0]!)).toBe(4);
  });
});

describe('splitPayload', () => {
  it('cuts long series by points and fills the room left in the current batch first', () => {
    const p: HostMetricsPayload = {
      kind: 'host-metrics',
      host: 'h',
      series: [
        { name: 'a', labels: {}, points: Array.from({ length: 7 }, (_, i) => [i, i] as [number, number]) },
      ],
    };
    let used = 3;
    const pieces: number[][] = [];
    for (const x of splitPayload(p, () => 5 - used, 5)) {
      // The consumer seals a full batch after each piece, so the room is whole again.
      used = 0;
      if (x.kind !== 'host-metrics' || x.encoding === 'columnar') throw new Error('unexpected piece');
      pieces.push(x.series.map((s) => s.points.length));
    }
    expect(pieces).toEqual([[2], [5]]);
  });

  it('cuts a columnar payload into columnar pieces that keep every point once, in order', () => {
    const series: Series[] = [
      {
        name: 'a',
        labels: { k: '1' },
        points: Array.from({ length: 4 }, (_, i) => [i, i] as [number, number]),
      },
      {
        name: 'b',
        labels: {},
        points: Array.from({ length: 5 }, (_, i) => [10 + i, 100 + i] as [number, number]),
      },
    ];
    const p = encodeHostMetrics('h', series);
    let used = 3;
    const pieces: HostMetricsPayload[] = [];
    for (const x of splitPayload(p, () => 5 - used, 5)) {
      used = 0;
      if (x.kind !== 'host-metrics' || x.encoding !== 'columnar') throw new Error('unexpected piece');
      expect(HostMetricsPayload.safeParse(x).success).toBe(true);
      pieces.push(x);
    }
    expect(pieces.map((x) => hostMetricsPointCount(x))).toEqual([2, 5, 2]);
    const joined = pieces.flatMap((x) =>
      hostMetricsSeries(x).flatMap((s) => s.points.map((pt) => `${s.name}:${pt[0]}:${pt[1]}`)),
    );
    expect(joined).toEqual(series.flatMap((s) => s.points.map((pt) => `${s.name}:${pt[0]}:${pt[1]}`)));
  });
});
