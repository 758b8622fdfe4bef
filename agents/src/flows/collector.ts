import dgram from 'node:dgram';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import type {
  AlertInput,
  FlowAggregatesPayload,
  FlowCollectorConfig,
  FlowDetectionConfig,
} from '@tianshu/protocol';
import type { Logger } from '../runtime/logger.js';
import { errorFields, silentLogger } from '../runtime/logger.js';
import { AllowList, canonicalAddress } from './addresses.js';
import type { FlowAggregatorStats } from './aggregator.js';
import { FlowDetector, type DetectorStats } from './detect/detector.js';
import type { FlowMetrics } from './metrics.js';
import type { PipelineConfig, PipelineTunables } from './pipeline.js';
import { FLAG_SFLOW, FlowPipeline, writeEntry } from './pipeline.js';
import type { FromWorker, ToWorker } from './worker.js';

/** Options of a {@link FlowCollector}. */
export interface FlowCollectorOptions {
  /** Receives every flow-aggregates payload (the role hands them to the transport). */
  onPayload: (payload: FlowAggregatesPayload) => void;
  /**
   * Receives the alerts of the edge detections (evaluated every tick on the per-second counters of
   * the decoded records); the role sends them at once, not at the next flush.
   */
  onAlerts?: (alerts: AlertInput[]) => void;
  metrics?: FlowMetrics;
  logger?: Logger;
  /** Counts collector problems (socket errors) in the agent's stats. */
  onError?: (source: string, count: number, err?: unknown) => void;
  /**
   * Decode/aggregate threads; exporters are spread over them by address. 0 decodes in the
   * receiving thread. Default: one less than the cores (at least 1), at most 4.
   */
  workers?: number;
  /** The worker script (tests running from TypeScript sources pass a bundled one). */
  workerUrl?: URL;
  tunables?: PipelineTunables;
  /** Bytes of datagrams waiting for one worker before more are dropped (counted); default 64 MiB. */
  maxInFlightBytes?: number;
  /** How often minutes are checked for flushing and counters gathered; default 1 s. */
  tickMillis?: number;
  now?: () => number;
}

/** One listening socket. */
export interface FlowSocketStats {
  kind: 'netflow' | 'sflow';
  address: string;
  port: number;
  /** The port actually bound (differs from `port` when 0 was asked: tests). */
  boundPort: number | undefined;
  requestedReceiveBufferBytes: number;
  /** SO_RCVBUF read back from the kernel (Linux reports twice what it grants for bookkeeping). */
  receiveBufferBytes: number | undefined;
  error: string | undefined;
}

/** Counters of a collector since it started. */
export interface FlowCollectorStats {
  enabled: boolean;
  workers: number;
  sockets: FlowSocketStats[];
  datagrams: number;
  bytes: number;
  /** Datagrams from sources outside `allowedSources`, per source (at most 256, the rest `other`). */
  notAllowed: Record<string, number>;
  /** Datagrams dropped because a worker was behind. */
  queueFull: number;
  /** Workers that died and were replaced, and the datagrams they held. */
  workerRestarts: number;
  workerLost: number;
  aggregation: FlowAggregatorStats;
  /** The edge detections (present when the `detections` section enables them). */
  detections?: DetectorStats;
}

const BATCH_BYTES = 256 * 1024;
const MAX_SOURCES_CACHED = 65_536;
const MAX_NOT_ALLOWED_SOURCES = 256;

interface Source {
  allowed: boolean;
  exporter: string;
  worker: number;
}

interface WorkerSlot {
  worker: Worker;
  buf: Buffer | undefined;
  used: number;
  inFlight: number;
  /** Datagrams and bytes in the batches the worker has not returned yet. */
  inFlightDatagrams: number;
  inFlightBytes: number;
  free: ArrayBuffer[];
  dropped: Map<string, number>;
  agg: FlowAggregatorStats;
  stopped: (() => void) | undefined;
  stopping: boolean;
  /** The worker died and a new one starts shortly. */
  dead?: boolean;
  /** Datagrams in the batch being filled, and when its first one arrived. */
  count?: number;
  batchNow?: number;
}

function pipelineConfig(c: FlowCollectorConfig, detections: FlowDetectionConfig | undefined): PipelineConfig {
  return {
    key: c.key,
    sampling: c.sampling,
    defaultSamplingRate: c.defaultSamplingRate,
    templateTimeoutSeconds: c.templateTimeoutSeconds,
    detections: detections?.enabled ? detections : undefined,
  };
}

function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/**
 * The flow collector: UDP sockets for NetFlow/IPFIX and sFlow, an allow list of exporters, and
 * decode + per-minute aggregation in worker threads (the receiving thread only reads datagrams and
 * hands them over in batches, so receive and decode use two cores). Follows its config section
 * live: sockets are rebound when the address, ports or buffer size change; sources, key and
 * sampling apply without touching the sockets or the minutes in progress.
 */
export class FlowCollector {
  readonly #o: FlowCollectorOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  #config: FlowCollectorConfig | undefined;
  #sockets: { kind: 'netflow' | 'sflow'; socket: dgram.Socket | undefined; stats: FlowSocketStats }[] = [];
  #socketKey = '';
  #allow = new AllowList([]);
  readonly #sources = new Map<string, Source>();
  #slots: WorkerSlot[] = [];
  #inline: FlowPipeline | undefined;
  #flushScheduled = false;
  #tick: NodeJS.Timeout | undefined;
  #binding: Promise<void> = Promise.resolve();
  #stats = { datagrams: 0, bytes: 0, queueFull: 0, workerRestarts: 0, workerLost: 0 };
  readonly #notAllowed = new Map<string, number>();
  #inlineAgg: FlowAggregatorStats | undefined;
  readonly #maxInFlightBytes: number;
  #detections: FlowDetectionConfig | undefined;
  readonly #detector = new FlowDetector(undefined);
  #pcKey = '';

  constructor(options: FlowCollectorOptions) {
    if (typeof options.onPayload !== 'function')
      throw new Error('flow collector requires option "onPayload"');
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#maxInFlightBytes = options.maxInFlightBytes ?? 64 * 1024 * 1024;
  }

  /**
   * Applies the `flows` section (and the `detections` section: thresholds and intelligence of the
   * edge detections): starts, reconfigures or stops the collector.
   */
  apply(config: FlowCollectorConfig | undefined, detections?: FlowDetectionConfig): void {
    this.#detections = detections?.enabled ? detections : undefined;
    this.#detector.configure(this.#detections);
    const enabled = !!config?.enabled;
    if (!enabled || !config) {
      if (this.#config) {
        this.#log.info('flow collector disabled by config');
        void this.stop();
      }
      return;
    }
    const prev = this.#config;
    this.#config = config;
    if (!prev || prev.allowedSources.join(',') !== config.allowedSources.join(',')) {
      try {
        this.#allow = new AllowList(config.allowedSources);
      } catch (err) {
        this.#log.error('flow allowed sources rejected, accepting none', errorFields(err));
        this.#o.onError?.('flows-config', 1, err);
        this.#allow = new AllowList([]);
      }
      this.#sources.clear();
    }
    const pc = pipelineConfig(config, this.#detections);
    const pcKey = JSON.stringify(pc);
    if (this.#slots.length === 0 && !this.#inline) {
      this.#startPipelines(pc);
      this.#pcKey = pcKey;
    } else if (!prev || this.#pcKey !== pcKey) {
      this.#pcKey = pcKey;
      this.#pc = pc;
      this.#inline?.configure(pc);
      for (const s of this.#slots) s.worker.postMessage({ t: 'config', config: pc } satisfies ToWorker);
    }
    const socketKey = JSON.stringify([
      config.bindAddress,
      config.netflowPort,
      config.sflowPort,
      config.receiveBufferBytes,
    ]);
    if (socketKey !== this.#socketKey) {
      this.#socketKey = socketKey;
      this.#binding = this.#binding.then(() => this.#rebind(config));
    }
    if (!this.#tick) {
      this.#tick = setInterval(() => this.#onTick(), this.#o.tickMillis ?? 1000);
      this.#tick.unref();
    }
  }

  /** Resolves when the sockets of the last applied config are bound (or failed: see stats). */
  ready(): Promise<void> {
    return this.#binding;
  }

  #startPipelines(pc: PipelineConfig): void {
    let n = this.#o.workers ?? Math.min(4, Math.max(1, availableParallelism() - 1));
    const tunables = this.#o.tunables ?? {};
    const url = this.#o.workerUrl ?? new URL('./worker.js', import.meta.url);
    if (n > 0 && url.protocol === 'file:' && !existsSync(fileURLToPath(url))) {
      // Running from TypeScript sources without a bundled worker (see test/support/flow-worker.ts).
      this.#log.warn('flow worker script not found, decoding in the receiving thread', { url: url.href });
      n = 0;
    }
    if (n === 0) {
      this.#inline = new FlowPipeline(pc, (p) => this.#emit(p), tunables);
      return;
    }
    this.#workerUrl = url;
    this.#pc = pc;
    for (let i = 0; i < n; i++) {
      const slot: WorkerSlot = {
        worker: undefined as unknown as Worker,
        buf: undefined,
        used: 0,
        inFlight: 0,
        inFlightDatagrams: 0,
        inFlightBytes: 0,
        free: [],
        dropped: new Map(),
        agg: { exporters: 0, openRows: 0, payloads: 0, rows: 0, lateRecords: 0, detailDropped: 0 },
        stopped: undefined,
        stopping: false,
      };
      this.#spawn(slot, i);
      this.#slots.push(slot);
    }
  }

  #workerUrl: URL | undefined;
  #pc: PipelineConfig | undefined;

  // A worker that dies (a bug, out of memory) is replaced at once; the datagrams it held and the
  // minutes it had open are lost, and counted (dropped, reason worker-failed) and logged.
  #spawn(slot: WorkerSlot, i: number): void {
    const worker = new Worker(this.#workerUrl!, {
      workerData: { config: this.#pc!, tunables: this.#o.tunables ?? {} },
    });
    slot.worker = worker;
    worker.on('message', (m: FromWorker) => this.#fromWorker(slot, m));
    worker.on('error', (err) => {
      this.#log.error('flow worker failed', { worker: i, ...errorFields(err) });
      this.#o.onError?.('flows-worker', 1, err);
    });
    worker.on('exit', (code) => {
      if (slot.stopping) return slot.stopped?.();
      const lost = slot.inFlightDatagrams;
      this.#stats.workerRestarts += 1;
      this.#stats.workerLost += lost;
      this.#o.metrics?.dropped.inc({ exporter: 'other', reason: 'worker-failed' }, lost);
      this.#log.error('flow worker exited, starting a new one; its open minutes are lost', {
        worker: i,
        code,
        datagramsLost: lost,
      });
      slot.inFlight = 0;
      slot.inFlightDatagrams = 0;
      slot.inFlightBytes = 0;
      slot.free = [];
      slot.buf = undefined;
      slot.used = 0;
      slot.count = 0;
      // A second later, so a worker that keeps dying costs little; meanwhile its datagrams are
      // dropped and counted.
      slot.dead = true;
      const t = setTimeout(() => {
        slot.dead = false;
        if (this.#config && !slot.stopping) this.#spawn(slot, i);
      }, 1000);
      t.unref();
    });
    worker.unref();
  }

  #fromWorker(slot: WorkerSlot, m: FromWorker): void {
    switch (m.t) {
      case 'payload':
        this.#emit(m.payload);
        break;
      case 'free':
        slot.inFlight -= 1;
        slot.inFlightDatagrams -= m.count;
        slot.inFlightBytes -= m.used;
        if (slot.free.length < 16) slot.free.push(m.buf);
        break;
      case 'detect':
        for (const sl of m.slices) this.#detector.ingest(sl);
        break;
      case 'stats':
        slot.agg = m.agg;
        for (const [a, d] of m.deltas) this.#o.metrics?.observe(a, d);
        break;
      case 'stopped':
        slot.stopped?.();
        break;
    }
  }

  #emit(p: FlowAggregatesPayload): void {
    this.#o.metrics?.payloads.inc();
    this.#o.metrics?.rows.inc(p.rows);
    try {
      this.#o.onPayload(p);
    } catch (err) {
      this.#log.warn('flow payload handler failed', errorFields(err));
    }
  }

  async #rebind(config: FlowCollectorConfig): Promise<void> {
    await this.#closeSockets();
    if (this.#config !== config) return;
    const want: ['netflow' | 'sflow', number][] = [];
    if (config.netflowPort > 0) want.push(['netflow', config.netflowPort]);
    if (config.sflowPort > 0) want.push(['sflow', config.sflowPort]);
    for (const [kind, port] of want) {
      const stats: FlowSocketStats = {
        kind,
        address: config.bindAddress,
        port,
        boundPort: undefined,
        requestedReceiveBufferBytes: config.receiveBufferBytes,
        receiveBufferBytes: undefined,
        error: undefined,
      };
      const entry = { kind, socket: undefined as dgram.Socket | undefined, stats };
      this.#sockets.push(entry);
      try {
        entry.socket = await this.#bind(kind, config, port, stats);
      } catch (err) {
        stats.error = (err as Error).message;
        this.#log.error('flow socket cannot listen', {
          kind,
          address: config.bindAddress,
          port,
          ...errorFields(err),
        });
        this.#o.onError?.(`flows-${kind}`, 1, err);
      }
    }
  }

  #bind(
    kind: 'netflow' | 'sflow',
    config: FlowCollectorConfig,
    port: number,
    stats: FlowSocketStats,
  ): Promise<dgram.Socket> {
    const v6 = config.bindAddress.includes(':');
    const socket = dgram.createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: false });
    const flags = kind === 'sflow' ? FLAG_SFLOW : 0;
    return new Promise((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close();
        reject(err);
      });
      socket.bind({ address: config.bindAddress, port, exclusive: true }, () => {
        socket.removeAllListeners('error');
        socket.on('error', (err) => {
          this.#log.warn('flow socket error', { kind, ...errorFields(err) });
          this.#o.onError?.(`flows-${kind}`, 1, err);
        });
        try {
          socket.setRecvBufferSize(config.receiveBufferBytes);
        } catch (err) {
          this.#log.warn('flow socket receive buffer not set', { kind, ...errorFields(err) });
        }
        const granted = socket.getRecvBufferSize();
        stats.receiveBufferBytes = granted;
        stats.boundPort = socket.address().port;
        this.#o.metrics?.receiveBuffer.set({ socket: kind }, granted);
        // Linux reports twice what it grants (the kernel's bookkeeping), capped by net.core.rmem_max.
        const effective = process.platform === 'linux' ? granted / 2 : granted;
        if (effective < config.receiveBufferBytes) {
          this.#log.warn(
            'the kernel granted a smaller flow receive buffer than configured; raise net.core.rmem_max',
            {
              kind,
              requested: config.receiveBufferBytes,
              granted,
            },
          );
        }
        socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo.address, flags));
        this.#log.info('flow socket listening', {
          kind,
          address: config.bindAddress,
          port: stats.boundPort,
          receiveBufferBytes: granted,
        });
        resolve(socket);
      });
    });
  }

  async #closeSockets(): Promise<void> {
    const old = this.#sockets;
    this.#sockets = [];
    await Promise.all(
      old.map(
        (s) =>
          new Promise<void>((resolve) => {
            if (!s.socket) return resolve();
            s.socket.close(() => resolve());
          }),
      ),
    );
  }

  #source(address: string): Source {
    let s = this.#sources.get(address);
    if (s) return s;
    const exporter = canonicalAddress(address) ?? address;
    const allowed = this.#allow.allows(exporter);
    s = { allowed, exporter, worker: this.#slots.length > 0 ? hash(exporter) % this.#slots.length : 0 };
    if (this.#sources.size >= MAX_SOURCES_CACHED) this.#sources.clear();
    this.#sources.set(address, s);
    return s;
  }

  #onMessage(msg: Buffer, address: string, flags: number): void {
    this.#stats.datagrams += 1;
    this.#stats.bytes += msg.length;
    const src = this.#source(address);
    if (!src.allowed) {
      const key =
        this.#notAllowed.has(src.exporter) || this.#notAllowed.size < MAX_NOT_ALLOWED_SOURCES
          ? src.exporter
          : 'other';
      this.#notAllowed.set(key, (this.#notAllowed.get(key) ?? 0) + 1);
      const m = this.#o.metrics;
      if (m) {
        const label = m.label(src.exporter);
        m.packets.inc({ exporter: label });
        m.dropped.inc({ exporter: label, reason: 'not-allowed' });
      }
      return;
    }
    if (this.#inline) {
      this.#inline.datagram(msg, src.exporter, flags, this.#now());
      return;
    }
    const slot = this.#slots[src.worker]!;
    if (slot.dead) {
      this.#stats.workerLost += 1;
      this.#o.metrics?.dropped.inc({
        exporter: this.#o.metrics.label(src.exporter),
        reason: 'worker-failed',
      });
      return;
    }
    if (slot.inFlightBytes >= this.#maxInFlightBytes) {
      this.#stats.queueFull += 1;
      slot.dropped.set(src.exporter, (slot.dropped.get(src.exporter) ?? 0) + 1);
      this.#o.metrics?.dropped.inc({ exporter: this.#o.metrics.label(src.exporter), reason: 'queue-full' });
      return;
    }
    if (!slot.buf) slot.buf = Buffer.from(slot.free.pop() ?? new ArrayBuffer(BATCH_BYTES));
    let end = writeEntry(slot.buf, slot.used, src.exporter, flags, msg);
    if (end < 0) {
      this.#send(slot);
      slot.buf = Buffer.from(slot.free.pop() ?? new ArrayBuffer(BATCH_BYTES));
      end = writeEntry(slot.buf, 0, src.exporter, flags, msg);
    }
    if (slot.count === 0 || slot.count === undefined) slot.batchNow = this.#now();
    slot.used = end;
    slot.count = (slot.count ?? 0) + 1;
    // Batches leave when half full, else within 2 ms: a message per datagram would cost the
    // receiving thread more than the datagram itself.
    if (end > BATCH_BYTES / 2) this.#send(slot);
    else if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setTimeout(() => this.#flushBatches(), 2);
    }
  }

  #send(slot: WorkerSlot): void {
    const buf = slot.buf;
    if (!buf || (slot.used === 0 && slot.dropped.size === 0)) return;
    const ab = buf.buffer as ArrayBuffer;
    const dropped = slot.dropped.size > 0 ? [...slot.dropped] : undefined;
    slot.dropped.clear();
    const count = slot.count ?? 0;
    slot.inFlight += 1;
    slot.inFlightDatagrams += count;
    slot.inFlightBytes += slot.used;
    slot.worker.postMessage(
      {
        t: 'batch',
        buf: ab,
        used: slot.used,
        count,
        // The receive time of the batch's first datagram (a batch spans at most 2 ms).
        now: count > 0 ? (slot.batchNow ?? this.#now()) : this.#now(),
        ...(dropped ? { dropped } : {}),
      } satisfies ToWorker,
      [ab],
    );
    slot.buf = undefined;
    slot.used = 0;
    slot.count = 0;
  }

  #flushBatches(): void {
    this.#flushScheduled = false;
    for (const slot of this.#slots) this.#send(slot);
  }

  #alerts(alerts: AlertInput[]): void {
    if (alerts.length === 0) return;
    try {
      this.#o.onAlerts?.(alerts);
    } catch (err) {
      this.#log.warn('flow alert handler failed', errorFields(err));
    }
  }

  #onTick(): void {
    const now = this.#now();
    // The seconds whose slices every worker has sent (on the previous tick) are evaluated now.
    if (this.#detections) this.#alerts(this.#detector.evaluate(now));
    if (this.#inline) {
      for (const sl of this.#inline.takeSlices(now)) this.#detector.ingest(sl);
      this.#inline.tick(now);
      for (const [a, d] of this.#inline.takeDeltas()) this.#o.metrics?.observe(a, d);
      this.#inlineAgg = this.#inline.stats();
      return;
    }
    for (const slot of this.#slots) {
      if (slot.dropped.size > 0 && !slot.buf)
        slot.buf = Buffer.from(slot.free.pop() ?? new ArrayBuffer(BATCH_BYTES));
      this.#send(slot);
      slot.worker.postMessage({ t: 'tick', now } satisfies ToWorker);
    }
  }

  /** Flushes the minutes that are due now and gathers counters (tests; the timer does it too). */
  async tick(): Promise<void> {
    this.#onTick();
    await this.#roundTrip();
  }

  // Resolves when every worker has answered a message sent after everything before it.
  async #roundTrip(): Promise<void> {
    await Promise.all(
      this.#slots.map(
        (slot) =>
          new Promise<void>((resolve) => {
            const onMsg = (m: FromWorker): void => {
              if (m.t === 'stats') {
                slot.worker.off('message', onMsg);
                resolve();
              }
            };
            slot.worker.on('message', onMsg);
          }),
      ),
    );
  }

  #aggStats(): FlowAggregatorStats {
    if (this.#inline) return this.#inlineAgg ?? this.#inline.stats();
    if (this.#slots.length === 0 && this.#inlineAgg) return this.#inlineAgg;
    return this.#slots.reduce<FlowAggregatorStats>(
      (a, s) => ({
        exporters: a.exporters + s.agg.exporters,
        openRows: a.openRows + s.agg.openRows,
        payloads: a.payloads + s.agg.payloads,
        rows: a.rows + s.agg.rows,
        lateRecords: a.lateRecords + s.agg.lateRecords,
        detailDropped: a.detailDropped + s.agg.detailDropped,
      }),
      { exporters: 0, openRows: 0, payloads: 0, rows: 0, lateRecords: 0, detailDropped: 0 },
    );
  }

  stats(): FlowCollectorStats {
    const agg = this.#aggStats();
    return {
      enabled: !!this.#config,
      workers: this.#slots.length,
      sockets: this.#sockets.map((s) => ({ ...s.stats })),
      ...this.#stats,
      notAllowed: Object.fromEntries(this.#notAllowed),
      aggregation: agg,
      ...(this.#detections ? { detections: this.#detector.stats() } : {}),
    };
  }

  /**
   * Stops receiving, then flushes every minute in progress (their payloads go to `onPayload`
   * before this resolves) and ends the workers.
   */
  async stop(): Promise<void> {
    this.#config = undefined;
    this.#socketKey = '';
    if (this.#tick) clearInterval(this.#tick);
    this.#tick = undefined;
    await this.#binding;
    await this.#closeSockets();
    const now = this.#now();
    if (this.#inline) {
      for (const sl of this.#inline.takeSlices(now, true)) this.#detector.ingest(sl);
      this.#inline.flushAll(now);
      for (const [a, d] of this.#inline.takeDeltas()) this.#o.metrics?.observe(a, d);
      this.#inlineAgg = this.#inline.stats();
      this.#inline = undefined;
    }
    const slots = this.#slots;
    this.#slots = [];
    this.#sources.clear();
    await Promise.all(
      slots.map(async (slot) => {
        if (slot.dropped.size > 0 && !slot.buf) slot.buf = Buffer.from(new ArrayBuffer(BATCH_BYTES));
        this.#send(slot);
        slot.stopping = true;
        const done = new Promise<void>((resolve) => {
          slot.stopped = resolve;
        });
        slot.worker.postMessage({ t: 'stop', now } satisfies ToWorker);
        const timer = setTimeout(() => slot.stopped?.(), 10_000);
        await done;
        clearTimeout(timer);
        await slot.worker.terminate();
      }),
    );
    // Every slice is in (the workers sent theirs before 'stopped'): the last alerts, ongoing ones ended.
    if (this.#detections) this.#alerts(this.#detector.flush(now));
    const sum = { exporters: 0, openRows: 0, payloads: 0, rows: 0, lateRecords: 0, detailDropped: 0 };
    for (const slot of slots) {
      for (const k of Object.keys(sum) as (keyof FlowAggregatorStats)[]) sum[k] += slot.agg[k];
    }
    if (slots.length > 0) this.#inlineAgg = sum;
  }
}
