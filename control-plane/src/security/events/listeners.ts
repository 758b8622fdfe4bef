import type { EventListenerConfig, EventSourceStats, NormalisedEvent } from '@tianshu/protocol';
import { startEventReceiver, type EventReceiver } from '@tianshu/protocol/receiver';
import type { Logger } from '../../logger.js';
import { randomStem } from './encode.js';
import type { SecurityEvents } from './service.js';

/** Events one listener holds before it stores them; beyond, the receiver counts drops. */
const QUEUE_MAX = 50_000;
const FLUSH_EVENTS = 5000;
const FLUSH_EVERY_MS = 1000;

interface Running {
  key: string;
  config: EventListenerConfig;
  receiver: EventReceiver | undefined;
  /** Why it does not run (it could not bind), shown by `status()`. */
  error: string | undefined;
  queue: NormalisedEvent[];
  stem: string;
  written: number;
  flushing: Promise<void>;
  /** Counters taken but not stored yet (a failed flush): added to the next. */
  carry: EventSourceStats | undefined;
}

/**
 * The control plane's own listeners (`listeners` of `policies/security.yaml`, and the embedded CEF
 * and EVE listeners): the protocol's receivers, their events stored every second (or every 5000
 * events) with the per-source counters; attributed by address, else to the top org unit. Follows
 * the policy: listeners added, removed or changed when it changes; a listener that cannot bind is
 * logged with the reason and listed by `status()`.
 */
export class ControlPlaneListeners {
  private readonly running = new Map<string, Running>();
  private timer: NodeJS.Timeout | undefined;
  private reconciling: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly svc: SecurityEvents,
    private readonly log: Logger,
  ) {}

  reconcile(): Promise<void> {
    this.reconciling = this.reconciling
      .then(() => this.apply())
      .catch((err: unknown) => {
        this.log.error({ err: (err as Error).message }, 'security listeners not reconciled');
      });
    return this.reconciling;
  }

  private async apply(): Promise<void> {
    if (this.closed) return;
    const wanted = new Map(this.svc.controlPlaneListeners().map((c) => [c.name, c]));
    for (const [name, r] of this.running) {
      const w = wanted.get(name);
      if (!w || JSON.stringify(w) !== r.key) {
        await this.stopOne(r);
        this.running.delete(name);
      }
    }
    for (const [name, config] of wanted) {
      if (this.running.has(name)) continue;
      const r: Running = {
        key: JSON.stringify(config),
        config,
        receiver: undefined,
        error: undefined,
        queue: [],
        stem: randomStem(),
        written: 0,
        flushing: Promise.resolve(),
        carry: undefined,
      };
      this.running.set(name, r);
      try {
        r.receiver = await startEventReceiver(
          config,
          {
            event: (e) => {
              if (r.queue.length >= QUEUE_MAX) return false;
              r.queue.push(e);
              if (r.queue.length >= FLUSH_EVENTS) void this.flush(r);
              return true;
            },
          },
          { maxLineBytes: this.svc.policy.maxLineBytes },
        );
        this.log.info(
          { listener: name, format: config.format, transport: config.transport, ...r.receiver.address() },
          'security listener started',
        );
      } catch (err) {
        r.error = (err as Error).message;
        this.log.error(
          { listener: name, port: config.port, address: config.bindAddress, err: r.error },
          'security listener cannot start',
        );
      }
    }
    if (this.running.size && !this.timer) {
      this.timer = setInterval(() => {
        for (const r of this.running.values()) void this.flush(r);
      }, FLUSH_EVERY_MS);
      this.timer.unref();
    }
  }

  /** Stores what a listener queued, with its counters since the last flush (one at a time). */
  private flush(r: Running): Promise<void> {
    r.flushing = r.flushing.then(async () => {
      const receiver = r.receiver;
      if (!receiver) return;
      const events = r.queue.splice(0);
      const stats = addStats(receiver.takeStats(), r.carry);
      r.carry = undefined;
      if (events.length === 0 && stats.received === 0 && stats.dropped === 0) return;
      try {
        await this.svc.storeListenerEvents(r.config, events, stats, r.stem, r.written);
        r.written += events.length;
      } catch (err) {
        // Storage failed: the events go back to the head of the queue (bounded), tried next second.
        const kept = events.slice(0, Math.max(0, QUEUE_MAX - r.queue.length));
        r.queue.unshift(...kept);
        r.carry = { ...stats, dropped: stats.dropped + events.length - kept.length };
        this.log.error(
          { listener: r.config.name, events: events.length, err: (err as Error).message },
          'security listener events not stored; retrying',
        );
      }
    });
    return r.flushing;
  }

  private async stopOne(r: Running): Promise<void> {
    await r.receiver?.close();
    await this.flush(r);
  }

  /** Where each listener listens, or why it does not. */
  status(): Array<{ name: string; port: number | null; error: string | null }> {
    return [...this.running.values()].map((r) => ({
      name: r.config.name,
      port: r.receiver ? r.receiver.address().port : null,
      error: r.error ?? null,
    }));
  }

  ports(): Record<string, number> {
    return Object.fromEntries(
      this.status()
        .filter((s) => s.port !== null)
        .map((s) => [s.name, s.port!]),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.reconciling;
    clearInterval(this.timer);
    for (const r of this.running.values()) await this.stopOne(r);
    this.running.clear();
  }
}

function addStats(a: EventSourceStats, b: EventSourceStats | undefined): EventSourceStats {
  if (!b) return a;
  const rejected: EventSourceStats['rejected'] = { ...a.rejected };
  for (const [k, v] of Object.entries(b.rejected) as Array<[keyof EventSourceStats['rejected'], number]>)
    rejected[k] = (rejected[k] ?? 0) + v;
  return {
    received: a.received + b.received,
    accepted: a.accepted + b.accepted,
    rejected,
    dropped: a.dropped + b.dropped,
  };
}
