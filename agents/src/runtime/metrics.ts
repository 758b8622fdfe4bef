import http from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DiskQueueStats } from './queue.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';

/**
 * The agent's own metrics, in a registry of their own (never prom-client's global one) so that
 * several agents in one process, as in tests or the embedded mode, do not collide.
 */
export class AgentMetrics {
  readonly registry = new Registry();
  readonly samplesCollected: Counter<'role'>;
  readonly collectorErrors: Counter<'collector' | 'source'>;
  readonly batchesQueued: Counter;
  readonly batchesSent: Counter;
  readonly batchesRejected: Counter;
  readonly batchesDropped: Counter<'reason'>;
  readonly sendFailures: Counter<'reason'>;
  readonly sendDuration: Histogram<'outcome'>;
  readonly lastSuccessfulSend: Gauge;
  readonly runnerSkips: Counter<'runner'>;
  readonly runnerFailures: Counter<'runner'>;
  readonly heartbeatFailures: Counter<'reason'>;
  #queueStats: (() => DiskQueueStats) | undefined;

  constructor(options: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.samplesCollected = new Counter({
      name: 'tianshu_agent_samples_collected_total',
      help: 'Samples handed by collectors to the transport.',
      labelNames: ['role'],
      registers,
    });
    this.collectorErrors = new Counter({
      name: 'tianshu_agent_collector_errors_total',
      help: 'Errors met by collectors, such as unreadable files or malformed lines.',
      labelNames: ['collector', 'source'],
      registers,
    });
    this.batchesQueued = new Counter({
      name: 'tianshu_agent_batches_queued_total',
      help: 'Report batches written to the on-disk queue.',
      registers,
    });
    this.batchesSent = new Counter({
      name: 'tianshu_agent_batches_sent_total',
      help: 'Report batches acknowledged by the server.',
      registers,
    });
    this.batchesRejected = new Counter({
      name: 'tianshu_agent_batches_rejected_total',
      help: 'Report batches the server refused for good, moved to the rejected folder.',
      registers,
    });
    this.batchesDropped = new Counter({
      name: 'tianshu_agent_batches_dropped_total',
      help: 'Report batches dropped by this process, by reason (full, enospc, write_error).',
      labelNames: ['reason'],
      registers,
    });
    this.sendFailures = new Counter({
      name: 'tianshu_agent_send_failures_total',
      help: 'Failed attempts to send a report batch, by reason.',
      labelNames: ['reason'],
      registers,
    });
    this.sendDuration = new Histogram({
      name: 'tianshu_agent_send_duration_seconds',
      help: 'Time to send one report batch, by outcome.',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    this.lastSuccessfulSend = new Gauge({
      name: 'tianshu_agent_last_successful_send_timestamp_seconds',
      help: 'Unix time of the last batch the server acknowledged.',
      registers,
    });
    this.runnerSkips = new Counter({
      name: 'tianshu_agent_runner_skipped_total',
      help: 'Periodic cycles skipped because the previous one was still running.',
      labelNames: ['runner'],
      registers,
    });
    this.runnerFailures = new Counter({
      name: 'tianshu_agent_runner_failures_total',
      help: 'Periodic cycles that failed or timed out.',
      labelNames: ['runner'],
      registers,
    });
    this.heartbeatFailures = new Counter({
      name: 'tianshu_agent_heartbeat_failures_total',
      help: 'Failed heartbeats, by reason.',
      labelNames: ['reason'],
      registers,
    });
    const queue = (): DiskQueueStats | undefined => this.#queueStats?.();
    new Gauge({
      name: 'tianshu_agent_queue_batches',
      help: 'Report batches waiting in the on-disk queue.',
      registers,
      collect() {
        this.set(queue()?.pendingBatches ?? 0);
      },
    });
    new Gauge({
      name: 'tianshu_agent_queue_bytes',
      help: 'Bytes of report batches waiting in the on-disk queue.',
      registers,
      collect() {
        this.set(queue()?.pendingBytes ?? 0);
      },
    });
    new Gauge({
      name: 'tianshu_agent_queue_dropped_batches',
      help: 'Report batches dropped because the queue was full, over the life of the queue.',
      registers,
      collect() {
        this.set(queue()?.droppedBatches ?? 0);
      },
    });
    new Gauge({
      name: 'tianshu_agent_queue_corrupt_batches',
      help: 'Queue files found damaged and moved aside, over the life of the queue.',
      registers,
      collect() {
        this.set(queue()?.corruptBatches ?? 0);
      },
    });
    if (options.processMetrics ?? true) {
      // A coarse event-loop sampling precision keeps an idle agent idle (the default wakes every 10 ms).
      collectDefaultMetrics({ register: this.registry, eventLoopMonitoringPrecision: 100 });
    }
  }

  /** Lets the queue gauges read the queue's current state at scrape time. */
  observeQueue(stats: () => DiskQueueStats): void {
    this.#queueStats = stats;
  }
}

/** Parses `host:port` (IPv6 hosts in brackets) into listen arguments. */
export function parseListenAddress(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d{1,5})$/.exec(value.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) {
    throw new Error(`metrics listen address must look like host:port, got "${value}"`);
  }
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** Serves `/metrics` (Prometheus text) and `/healthz` until closed. */
export async function startMetricsServer(
  metrics: AgentMetrics,
  listen: string,
  options: { logger?: Logger; healthy?: () => boolean } = {},
): Promise<{ address: { host: string; port: number }; close(): Promise<void> }> {
  const log = options.logger ?? silentLogger;
  const { host, port } = parseListenAddress(listen);
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        // prom-client's default metrics include three gauges named with the counter suffix `_total`,
        // which promtool rejects; they only sum the per-type gauges beside them, so they are left out.
        (text) =>
          res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(
            text
              .split('\n')
              .filter(
                (l) => !/^(# (HELP|TYPE) )?\w*nodejs_active_(handles|requests|resources)_total\b/.test(l),
              )
              .join('\n'),
          ),
        (err: unknown) => {
          log.warn('metrics rendering failed', { error: String(err) });
          res.writeHead(500).end();
        },
      );
    } else if (path === '/healthz') {
      const ok = options.healthy?.() ?? true;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok\n' : 'unhealthy\n');
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.unref();
  const addr = server.address();
  const bound = typeof addr === 'object' && addr ? { host: addr.address, port: addr.port } : { host, port };
  log.info('metrics endpoint listening', { listen: `${bound.host}:${bound.port}` });
  return {
    address: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
