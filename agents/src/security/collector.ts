import { join } from 'node:path';
import { MAX_EVENTS_PER_PAYLOAD, parseEventLine } from '@tianshu/protocol';
import type {
  EventFileConfig,
  EventListenerConfig,
  EventRejectReason,
  EventSourceStats,
  NormalisedEvent,
  SecurityCollectorConfig,
  SecurityEventsPayload,
} from '@tianshu/protocol';
import { startEventReceiver } from '@tianshu/protocol/receiver';
import type { EventReceiver, EventReceiverOptions } from '@tianshu/protocol/receiver';
import type { Logger } from '../runtime/logger.js';
import { errorFields, silentLogger } from '../runtime/logger.js';
import { FileTailer } from './tail.js';
import type { SecurityMetrics } from './metrics.js';

/**
 * The edge agent's security collector (the `security` section of its config): syslog/CEF/EVE
 * listeners over UDP, TCP and TLS, and tailed EVE files. Every line is parsed and normalised at the
 * edge; the events of each source are batched into `security-events` payloads (at most 5000 events,
 * or every second) with the source's counters for the same interval. Listeners and files follow a
 * new config live: added, removed or changed ones are started or stopped, the events they already
 * accepted are still sent. When the agent's queue is near full the collector holds its events (up
 * to `maxPendingEvents` per source) and drops what comes beyond, counted as `dropped`.
 */

export interface SecurityCollectorOptions {
  report(payload: SecurityEventsPayload): void;
  /** True when the agent's queue is near its bounds: payloads are held, new events beyond the cap dropped. */
  queuePressure?: () => boolean;
  /** The agent's state directory (tailed files' positions). */
  stateDir: string;
  logger?: Logger;
  metrics?: SecurityMetrics;
  /** Milliseconds between flushes (default 1000). */
  flushMillis?: number;
  /** Events held per source while the queue is under pressure (default 20,000). */
  maxPendingEvents?: number;
  receiverOptions?: EventReceiverOptions;
  /** Milliseconds between file checks (default 250). */
  tailPollMillis?: number;
}

type Transport = SecurityEventsPayload['transport'];

/** One source's events and counters waiting for the next payload. */
class SourceBuffer {
  events: NormalisedEvent[] = [];
  received = 0;
  accepted = 0;
  rejected: Partial<Record<EventRejectReason, number>> = {};
  dropped = 0;

  constructor(
    readonly name: string,
    public format: NormalisedEvent['format'],
    public transport: Transport,
  ) {}

  get idle(): boolean {
    return this.events.length === 0 && this.received === 0 && this.dropped === 0;
  }

  takeStats(): EventSourceStats {
    const s: EventSourceStats = {
      received: this.received,
      accepted: this.accepted,
      rejected: this.rejected,
      dropped: this.dropped,
    };
    this.received = 0;
    this.accepted = 0;
    this.rejected = {};
    this.dropped = 0;
    return s;
  }
}

interface RunningListener {
  config: EventListenerConfig;
  key: string;
  receiver?: EventReceiver;
  starting?: Promise<void>;
  failed?: string;
}

interface RunningFile {
  config: EventFileConfig;
  key: string;
  tailer: FileTailer;
}

export interface SecurityCollectorStats {
  listeners: { name: string; transport: string; port?: number; error?: string }[];
  files: { name: string; path: string; lines: number; rotations: number; truncations: number }[];
  /** Running totals over every source since the collector started. */
  received: number;
  accepted: number;
  rejected: number;
  dropped: number;
  payloads: number;
}

export class SecurityCollector {
  readonly #o: SecurityCollectorOptions;
  readonly #log: Logger;
  readonly #sources = new Map<string, SourceBuffer>();
  readonly #listeners = new Map<string, RunningListener>();
  readonly #files = new Map<string, RunningFile>();
  #config: SecurityCollectorConfig | undefined;
  #timer: NodeJS.Timeout | undefined;
  #totals = { received: 0, accepted: 0, rejected: 0, dropped: 0, payloads: 0 };
  #pending: Promise<unknown>[] = [];
  #stopped = false;

  constructor(options: SecurityCollectorOptions) {
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
    this.#timer = setInterval(() => this.flush(), options.flushMillis ?? 1000);
    this.#timer.unref();
  }

  #source(name: string, format: NormalisedEvent['format'], transport: Transport): SourceBuffer {
    let s = this.#sources.get(name);
    if (!s) {
      s = new SourceBuffer(name, format, transport);
      this.#sources.set(name, s);
    } else if (s.format !== format || s.transport !== transport) {
      // The same name with another format or transport: what it holds goes out under the old ones.
      this.#flushSource(s, true);
      s.format = format;
      s.transport = transport;
    }
    return s;
  }

  /** Takes one event of a source; false when it had to be dropped (held events at their cap). */
  #accept(s: SourceBuffer, e: NormalisedEvent): boolean {
    s.received++;
    this.#totals.received++;
    if (s.events.length >= (this.#o.maxPendingEvents ?? 20_000)) {
      s.dropped++;
      this.#totals.dropped++;
      this.#o.metrics?.dropped.inc({ source: s.name, reason: 'queue-full' });
      return false;
    }
    s.events.push(e);
    s.accepted++;
    this.#totals.accepted++;
    this.#o.metrics?.accepted.inc({ source: s.name });
    if (s.events.length >= MAX_EVENTS_PER_PAYLOAD) this.#flushSource(s, false);
    return true;
  }

  #reject(s: SourceBuffer, reason: EventRejectReason | undefined, message: string): void {
    if (reason === undefined) {
      // Dropped before parsing (sender not allowed, connection limit, shut down): counted.
      s.received++;
      s.dropped++;
      this.#totals.received++;
      this.#totals.dropped++;
      this.#o.metrics?.dropped.inc({ source: s.name, reason: 'receiver' });
      this.#log.debug('security event dropped', { source: s.name, message });
      return;
    }
    s.received++;
    s.rejected[reason] = (s.rejected[reason] ?? 0) + 1;
    this.#totals.received++;
    this.#totals.rejected++;
    this.#o.metrics?.rejected.inc({ source: s.name, reason });
  }

  /** Follows the `security` section: starts, stops and restarts listeners and files by name. */
  apply(config: SecurityCollectorConfig): void {
    if (this.#stopped) return;
    this.#config = config;
    const listeners = new Map(config.listeners.map((l) => [l.name, l]));
    for (const [name, running] of this.#listeners) {
      const next = listeners.get(name);
      if (!next || JSON.stringify(next) !== running.key || !config.enabled) this.#stopListener(name, running);
    }
    const files = new Map(config.files.map((f) => [f.name, f]));
    for (const [name, running] of this.#files) {
      const next = files.get(name);
      if (!next || JSON.stringify(next) !== running.key || !config.enabled) {
        this.#files.delete(name);
        this.#track(running.tailer.stop().then(() => this.flush()));
      }
    }
    if (!config.enabled) return;
    for (const l of config.listeners)
      if (!this.#listeners.has(l.name)) this.#startListener(l, config.maxLineBytes);
    for (const f of config.files) if (!this.#files.has(f.name)) this.#startFile(f, config.maxLineBytes);
  }

  #track(p: Promise<unknown>): void {
    this.#pending.push(p);
    void p.finally(() => {
      this.#pending = this.#pending.filter((x) => x !== p);
    });
  }

  #startListener(config: EventListenerConfig, maxLineBytes: number): void {
    const running: RunningListener = { config, key: JSON.stringify(config) };
    this.#listeners.set(config.name, running);
    const s = () => this.#source(config.name, config.format, config.transport);
    running.starting = startEventReceiver(
      config,
      {
        event: (e) => this.#accept(s(), e),
        rejected: (reason, message) => this.#reject(s(), reason, message),
      },
      { ...this.#o.receiverOptions, maxLineBytes },
    ).then(
      (receiver) => {
        if (this.#listeners.get(config.name) !== running) {
          void receiver.close();
          return;
        }
        running.receiver = receiver;
        this.#log.info('security listener started', {
          listener: config.name,
          transport: config.transport,
          ...receiver.address(),
        });
      },
      (err: unknown) => {
        running.failed = (err as Error).message;
        this.#log.error('security listener cannot start', { listener: config.name, ...errorFields(err) });
        this.#o.metrics?.listenerErrors.inc({ source: config.name });
      },
    );
  }

  #stopListener(name: string, running: RunningListener): void {
    this.#listeners.delete(name);
    this.#track(
      (running.starting ?? Promise.resolve()).then(() => running.receiver?.close()).then(() => this.flush()),
    );
  }

  #startFile(config: EventFileConfig, maxLineBytes: number): void {
    const s = () => this.#source(config.name, config.format, 'file');
    const tailer = new FileTailer({
      path: config.path,
      positionFile: join(this.#o.stateDir, `security-tail-${encodeURIComponent(config.name)}.json`),
      startAt: config.startAt,
      maxLineBytes,
      ...(this.#o.tailPollMillis ? { pollMillis: this.#o.tailPollMillis } : {}),
      onLine: (text) => {
        const r = parseEventLine(config.format, text, { maxLineBytes, receivedAt: Date.now() });
        if (r.ok) this.#accept(s(), r.event);
        else this.#reject(s(), r.reason, r.message);
      },
      onTooLong: (message) => this.#reject(s(), 'line-too-long', message),
      onProblem: (message) => {
        this.#log.warn('security file cannot be read', { file: config.name, message });
        this.#o.metrics?.listenerErrors.inc({ source: config.name });
      },
    });
    this.#files.set(config.name, { config, key: JSON.stringify(config), tailer });
    this.#track(
      tailer
        .start()
        .catch((err: unknown) =>
          this.#log.error('security file cannot be followed', { file: config.name, ...errorFields(err) }),
        ),
    );
  }

  /** Hands every source's events and counters to the transport (unless the queue is under pressure). */
  flush(force = false): void {
    for (const s of this.#sources.values()) this.#flushSource(s, force);
    // Positions are saved once their lines are handed on.
    for (const f of this.#files.values()) {
      const s = this.#sources.get(f.config.name);
      if (!s || s.events.length === 0) this.#track(f.tailer.savePosition().catch(() => undefined));
    }
  }

  #flushSource(s: SourceBuffer, force: boolean): void {
    if (s.idle) return;
    if (!force && this.#o.queuePressure?.()) return;
    let first = true;
    do {
      const events =
        s.events.length > MAX_EVENTS_PER_PAYLOAD
          ? s.events.splice(0, MAX_EVENTS_PER_PAYLOAD)
          : s.events.splice(0);
      const stats = first ? s.takeStats() : { received: 0, accepted: 0, rejected: {}, dropped: 0 };
      first = false;
      this.#o.report({
        kind: 'security-events',
        source: s.name,
        format: s.format,
        transport: s.transport,
        events,
        stats,
      });
      this.#totals.payloads++;
      this.#o.metrics?.payloads.inc();
    } while (s.events.length > 0);
  }

  stats(): SecurityCollectorStats {
    return {
      listeners: [...this.#listeners.values()].map((l) => ({
        name: l.config.name,
        transport: l.config.transport,
        ...(l.receiver ? { port: l.receiver.address().port } : {}),
        ...(l.failed ? { error: l.failed } : {}),
      })),
      files: [...this.#files.values()].map((f) => ({
        name: f.config.name,
        path: f.config.path,
        ...f.tailer.stats,
      })),
      ...this.#totals,
    };
  }

  /** The bound address of a listener (tests, and the agent's stats). */
  listenerAddress(name: string): { address: string; port: number } | undefined {
    return this.#listeners.get(name)?.receiver?.address();
  }

  /** Resolves once every listener asked for has started (or failed). */
  async ready(): Promise<void> {
    await Promise.all([...this.#listeners.values()].map((l) => l.starting));
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const [name, l] of [...this.#listeners]) this.#stopListener(name, l);
    for (const [name, f] of [...this.#files]) {
      this.#files.delete(name);
      this.#track(f.tailer.stop());
    }
    await Promise.all(this.#pending);
    // What was accepted goes out, even under pressure: the queue decides what it can keep.
    for (const s of this.#sources.values()) this.#flushSource(s, true);
    void this.#config;
  }
}
