import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The control plane's Prometheus metrics, in their own registry (no globals). */
export class Metrics {
  readonly registry = new Registry();

  readonly httpRequests = new Counter({
    name: 'tianshu_http_requests_total',
    help: 'HTTP requests answered, by method, route and status class.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'tianshu_http_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method and route.',
    labelNames: ['method', 'route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly ingestBatches = new Counter({
    name: 'tianshu_ingest_batches_total',
    help: 'Agent report batches received, by outcome (stored, duplicate, rejected, overloaded, storage_full).',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly ingestSamples = new Counter({
    name: 'tianshu_ingest_samples_total',
    help: 'Samples stored from agent reports, by payload kind.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });

  readonly ingestDuration = new Histogram({
    name: 'tianshu_ingest_batch_duration_seconds',
    help: 'Time from receiving a report batch to its acknowledgement.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  readonly ingestInFlight = new Gauge({
    name: 'tianshu_ingest_batches_in_flight',
    help: 'Report batches being stored right now.',
    registers: [this.registry],
  });

  readonly storeQueryDuration = new Histogram({
    name: 'tianshu_store_operation_duration_seconds',
    help: 'Duration of store operations, by store and operation.',
    labelNames: ['store', 'operation'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly storeErrors = new Counter({
    name: 'tianshu_store_errors_total',
    help: 'Failed store operations, by store and operation.',
    labelNames: ['store', 'operation'] as const,
    registers: [this.registry],
  });

  readonly storeUp = new Gauge({
    name: 'tianshu_store_up',
    help: 'Whether the store answered its last readiness check (1) or not (0).',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });

  readonly loginAttempts = new Counter({
    name: 'tianshu_login_attempts_total',
    help: 'Console login attempts, by outcome.',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly agents = new Gauge({
    name: 'tianshu_agents',
    help: 'Enrolled agents by status, across all org units.',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'tianshu_' });
  }

  /**
   * The Prometheus text exposition. prom-client's default metrics include three gauges named with the
   * counter suffix `_total` (`nodejs_active_handles_total`, ...), which promtool rejects; they only
   * sum the per-type gauges exposed beside them, so they are left out.
   */
  async exposition(): Promise<string> {
    const text = await this.registry.metrics();
    return text
      .split('\n')
      .filter(
        (line) => !/^(# (HELP|TYPE) )?tianshu_nodejs_active_(handles|requests|resources)_total\b/.test(line),
      )
      .join('\n');
  }

  /** Times `fn` as a store operation; counts failures. */
  async timeStore<T>(store: 'state' | 'telemetry', operation: string, fn: () => Promise<T>): Promise<T> {
    const end = this.storeQueryDuration.startTimer({ store, operation });
    try {
      return await fn();
    } catch (err) {
      this.storeErrors.inc({ store, operation });
      throw err;
    } finally {
      end();
    }
  }
}
