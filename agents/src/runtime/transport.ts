import { randomUUID } from 'node:crypto';
import {
  ReportAck,
  countSamples,
  encodeHostMetrics,
  hostMetricsPointCount,
  hostMetricsSeries,
  paths,
  type Series,
} from '@tianshu/protocol';
import type { ReportBatch, ReportPayload } from '@tianshu/protocol';
import type { HttpClient, HttpResponse } from './client.js';
import { NetworkError, statusError } from './client.js';
import { Backoff, sleep } from './backoff.js';
import { QueueDropError } from './queue.js';
import type { DiskQueue, QueuedItem } from './queue.js';
import type { AgentMetrics } from './metrics.js';
import type { Logger } from './logger.js';
import { errorFields, silentLogger } from './logger.js';

/** Most payloads the protocol allows in one batch. */
export const maxPayloadsPerBatch = 1000;

/** Options of a {@link Transport}. */
export interface TransportOptions {
  agentId: string;
  client: HttpClient;
  queue: DiskQueue;
  /** Largest number of samples (points) in one batch. */
  maxSamplesPerBatch: number;
  /** Samples waiting in memory are sealed into a batch at least this often. */
  flushIntervalMillis: number;
  /** First and largest delay between retries of a batch; defaults 1 s and 30 s. */
  retryInitialMillis?: number;
  retryMaxMillis?: number;
  /** Longest Retry-After honoured; defaults to 5 minutes. */
  maxRetryAfterMillis?: number;
  requestTimeoutMillis?: number;
  metrics?: AgentMetrics;
  logger?: Logger;
}

/** What happened to one send attempt. */
export type SendOutcome = 'acked' | 'retry' | 'rejected' | 'unauthorized';

/** Counters of a transport since it started. */
export interface TransportStats {
  samplesBuffered: number;
  batchesQueued: number;
  batchesSent: number;
  batchesRejected: number;
  sendFailures: number;
  lastSuccessfulSendAt: string | undefined;
  /** Whether the last send attempt failed (the server is unreachable or refusing). */
  failing: boolean;
}

/** Cheap check that a queue file holds a batch; the server does the full validation. */
export function looksLikeBatch(data: Buffer): boolean {
  try {
    const v = JSON.parse(data.toString('utf8')) as Partial<ReportBatch> | null;
    return (
      typeof v === 'object' &&
      v !== null &&
      typeof v.batchId === 'string' &&
      typeof v.sequence === 'number' &&
      Array.isArray(v.payloads) &&
      v.payloads.length > 0
    );
  } catch {
    return false;
  }
}

/**
 * Batches samples handed over by collectors, stores every batch in the on-disk queue before it is
 * sent, and drains the queue strictly in order. Delivery is at least once: the server deduplicates
 * by batch id.
 */
export class Transport {
  readonly #o: TransportOptions;
  readonly #log: Logger;
  readonly #backoff: Backoff;
  #maxSamples: number;
  #flushMillis: number;
  #buffer: ReportPayload[] = [];
  #bufferSamples = 0;
  #flushTimer: NodeJS.Timeout | undefined;
  #sealing: Promise<void> = Promise.resolve();
  #loop: Promise<void> | undefined;
  #stop = new AbortController();
  #wake: (() => void) | undefined;
  // Set when a batch was queued since the sender last looked, so a wake-up is never missed.
  #dirty = false;
  #stats: TransportStats = {
    samplesBuffered: 0,
    batchesQueued: 0,
    batchesSent: 0,
    batchesRejected: 0,
    sendFailures: 0,
    lastSuccessfulSendAt: undefined,
    failing: false,
  };

  constructor(options: TransportOptions) {
    if (!options.agentId) throw new Error('transport requires option "agentId"');
    checkBatching(options.maxSamplesPerBatch, options.flushIntervalMillis);
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
    this.#maxSamples = options.maxSamplesPerBatch;
    this.#flushMillis = options.flushIntervalMillis;
    this.#backoff = new Backoff({
      initialMillis: options.retryInitialMillis ?? 1000,
      maxMillis: options.retryMaxMillis ?? 30_000,
    });
  }

  /** Starts the flush timer and the sender. */
  start(): void {
    if (this.#loop) return;
    this.#armFlushTimer();
    this.#loop = this.#sendLoop();
  }

  /** Applies batching settings from a newly pulled config. */
  configure(settings: { maxSamplesPerBatch: number; flushIntervalMillis: number }): void {
    checkBatching(settings.maxSamplesPerBatch, settings.flushIntervalMillis);
    this.#maxSamples = settings.maxSamplesPerBatch;
    if (settings.flushIntervalMillis !== this.#flushMillis) {
      this.#flushMillis = settings.flushIntervalMillis;
      if (this.#flushTimer) this.#armFlushTimer();
    }
  }

  #armFlushTimer(): void {
    if (this.#flushTimer) clearInterval(this.#flushTimer);
    this.#flushTimer = setInterval(() => void this.flush(), this.#flushMillis);
    this.#flushTimer.unref();
  }

  /**
   * Takes a payload from a collector. Payloads larger than the batch size are split by series
   * (and a series by points), so no batch exceeds `maxSamplesPerBatch`.
   */
  add(payload: ReportPayload): void {
    for (const piece of splitPayload(
      payload,
      () => this.#maxSamples - this.#bufferSamples,
      this.#maxSamples,
    )) {
      this.#buffer.push(piece);
      const n = countSamples({ payloads: [piece] });
      this.#bufferSamples += n;
      this.#stats.samplesBuffered += n;
      if (this.#bufferSamples >= this.#maxSamples || this.#buffer.length >= maxPayloadsPerBatch) {
        void this.flush();
      }
    }
  }

  /**
   * Seals the samples waiting in memory into a batch and writes it to the queue. Resolves when the
   * batch (and every batch sealed before it) is on disk.
   */
  flush(): Promise<void> {
    if (this.#buffer.length > 0) {
      const payloads = this.#buffer;
      this.#buffer = [];
      this.#bufferSamples = 0;
      this.#sealing = this.#sealing.then(() => this.#enqueue(payloads));
    }
    return this.#sealing;
  }

  async #enqueue(payloads: ReportPayload[]): Promise<void> {
    try {
      const { seq } = await this.#o.queue.append((sequence) => {
        const batch: ReportBatch = {
          batchId: randomUUID(),
          sequence,
          createdAt: new Date().toISOString(),
          payloads,
        };
        return JSON.stringify(batch);
      });
      this.#stats.batchesQueued += 1;
      this.#o.metrics?.batchesQueued.inc();
      this.#log.debug('batch queued', { sequence: seq });
      this.#dirty = true;
      this.#wake?.();
    } catch (err) {
      // The disk refused the batch; the queue counted the drop (reported in heartbeats) and its
      // sequence number stays used, so the server sees the gap.
      const fields =
        err instanceof QueueDropError
          ? { sequence: err.seq, reason: err.reason, ...errorFields(err.cause) }
          : errorFields(err);
      this.#log.error('cannot write batch to the queue, batch dropped', fields);
    }
  }

  async #sendLoop(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      let item: QueuedItem | undefined;
      this.#dirty = false;
      try {
        item = await this.#o.queue.peek();
      } catch (err) {
        this.#log.error('cannot read the queue', errorFields(err));
        await sleep(this.#backoff.next(), signal);
        continue;
      }
      if (!item) {
        if (this.#dirty) continue;
        // The listener goes when the wait ends: the stop signal lives as long as the transport,
        // and one listener (and closure) per idle wait was a leak of one per batch sent.
        let onAbort: (() => void) | undefined;
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
          onAbort = () => resolve();
          signal.addEventListener('abort', onAbort, { once: true });
        });
        signal.removeEventListener('abort', onAbort!);
        this.#wake = undefined;
        continue;
      }
      const { outcome, waitMillis } = await this.#sendOne(item, signal);
      if (outcome === 'retry' || outcome === 'unauthorized') {
        if (!signal.aborted) await sleep(waitMillis ?? this.#backoff.next(), signal);
      }
    }
  }

  async #sendOne(
    item: QueuedItem,
    signal: AbortSignal,
  ): Promise<{ outcome: SendOutcome; waitMillis?: number }> {
    const started = performance.now();
    const observe = (outcome: string): void => {
      this.#o.metrics?.sendDuration.observe({ outcome }, (performance.now() - started) / 1000);
    };
    const failed = (reason: string): void => {
      this.#stats.sendFailures += 1;
      this.#stats.failing = true;
      this.#o.metrics?.sendFailures.inc({ reason });
    };
    let res: HttpResponse;
    try {
      res = await this.#o.client.request('POST', paths.reports(this.#o.agentId), item.data.toString('utf8'), {
        signal,
        ...(this.#o.requestTimeoutMillis ? { timeoutMillis: this.#o.requestTimeoutMillis } : {}),
      });
    } catch (err) {
      observe('network_error');
      if (signal.aborted) return { outcome: 'retry', waitMillis: 0 };
      failed('network');
      const level = this.#backoff.attempt === 0 ? 'warn' : 'debug';
      this.#log[level]('cannot send batch, will retry', { sequence: item.seq, ...errorFields(err) });
      if (!(err instanceof NetworkError)) this.#log.error('unexpected send error', errorFields(err));
      return { outcome: 'retry' };
    }
    const status = res.status;
    if (status >= 200 && status <= 299) {
      const ack = parseAck(res.text);
      const expected = batchIdOf(item.data);
      if (!ack || ack.batchId !== expected) {
        observe('bad_ack');
        failed('bad_ack');
        this.#log.warn('server answered with an acknowledgement that does not match the batch', {
          sequence: item.seq,
          status,
        });
        return { outcome: 'retry' };
      }
      observe('acked');
      await this.#o.queue.ack(item.seq);
      this.#backoff.reset();
      this.#stats.batchesSent += 1;
      this.#stats.failing = false;
      this.#stats.lastSuccessfulSendAt = new Date().toISOString();
      this.#o.metrics?.batchesSent.inc();
      this.#o.metrics?.lastSuccessfulSend.set(Date.now() / 1000);
      this.#log.debug('batch sent', { sequence: item.seq, duplicate: ack.duplicate, samples: ack.samples });
      return { outcome: 'acked' };
    }
    const err = statusError(res);
    if (status === 408 || status === 429 || status >= 500) {
      observe('retry');
      failed(status === 429 ? 'throttled' : 'server_error');
      this.#log.warn('server could not take the batch now, will retry', {
        sequence: item.seq,
        status,
        reason: err.message,
        ...(err.retryAfterMillis !== undefined ? { retryAfterMillis: err.retryAfterMillis } : {}),
      });
      if (err.retryAfterMillis !== undefined) {
        const wait = Math.min(err.retryAfterMillis, this.#o.maxRetryAfterMillis ?? 300_000);
        // Counting the attempt keeps the backoff growing if the server keeps refusing.
        this.#backoff.next();
        return { outcome: 'retry', waitMillis: wait };
      }
      return { outcome: 'retry' };
    }
    if (status === 401 || status === 403) {
      // Every batch would meet the same answer; keep them until an operator fixes the credential.
      observe('unauthorized');
      failed('unauthorized');
      this.#log.error('server refused the agent credential, keeping batches queued', {
        status,
        reason: err.message,
      });
      return { outcome: 'unauthorized' };
    }
    observe('rejected');
    await this.#o.queue.reject(item.seq);
    this.#stats.batchesRejected += 1;
    this.#stats.failing = false;
    this.#o.metrics?.batchesRejected.inc();
    this.#log.error('server rejected batch, moved it to the rejected folder', {
      sequence: item.seq,
      status,
      code: err.code,
      reason: err.message,
    });
    return { outcome: 'rejected' };
  }

  stats(): TransportStats {
    return { ...this.#stats };
  }

  /**
   * Stops the timer and the sender and writes samples still in memory to the queue, so nothing
   * collected is lost across a restart. A send in flight is aborted; its batch stays queued.
   */
  async stop(): Promise<void> {
    if (this.#flushTimer) clearInterval(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#stop.abort();
    await this.flush();
    await this.#loop;
    this.#loop = undefined;
  }
}

function checkBatching(maxSamples: number, flushMillis: number): void {
  if (!(Number.isInteger(maxSamples) && maxSamples > 0)) {
    throw new Error('transport option "maxSamplesPerBatch" must be a positive integer');
  }
  if (!(flushMillis > 0)) throw new Error('transport option "flushIntervalMillis" must be positive');
}

function parseAck(text: string): ReportAck | undefined {
  try {
    const r = ReportAck.safeParse(JSON.parse(text));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

function batchIdOf(data: Buffer): string | undefined {
  try {
    return (JSON.parse(data.toString('utf8')) as { batchId?: string }).batchId;
  } catch {
    return undefined;
  }
}

/**
 * Cuts a payload into pieces whose sample counts fit: the first piece fits in `room()` (what is left
 * in the current batch), later pieces in `max`. Series longer than a piece are cut by points. Other
 * kinds (one device poll, one discovery) stay whole: they are one observation each. Host metrics
 * keep their encoding: columnar pieces are encoded again (each with its own dictionaries).
 */
export function* splitPayload(
  payload: ReportPayload,
  room: () => number,
  max: number,
): Generator<ReportPayload> {
  if (payload.kind !== 'host-metrics') {
    yield payload;
    return;
  }
  if (hostMetricsPointCount(payload) <= Math.max(1, room())) {
    yield payload;
    return;
  }
  const columnar = payload.encoding === 'columnar';
  for (const series of splitSeries(hostMetricsSeries(payload), room, max)) {
    yield columnar ? encodeHostMetrics(payload.host, series) : { ...payload, series };
  }
}

function* splitSeries(all: readonly Series[], room: () => number, max: number): Generator<Series[]> {
  let series: Series[] = [];
  let samples = 0;
  let limit = Math.max(1, room());
  for (const s of all) {
    let points = s.points;
    while (points.length > 0) {
      const take = Math.min(points.length, limit - samples);
      series.push(take === s.points.length ? s : { ...s, points: points.slice(0, take) });
      samples += take;
      points = points.slice(take);
      if (samples >= limit) {
        yield series;
        series = [];
        samples = 0;
        limit = Math.max(1, Math.min(max, room() > 0 ? room() : max));
      }
    }
  }
  if (series.length > 0) yield series;
}
