import type {
  DiscoveryPayload,
  EdgeConfig,
  InterfacePollPayload,
  PollTarget,
  SweepPayload,
} from '@tianshu/protocol';
import type { Logger } from '../runtime/logger.js';
import { silentLogger } from '../runtime/logger.js';
import { PeriodicRunner } from '../runtime/runner.js';
import { EdgeDiscovery } from './discovery.js';
import type { EdgeTaskOptions } from './poller.js';
import { EdgePoller } from './poller.js';
import { runPool } from './pool.js';
import { runSweep } from './sweep.js';

/** What identifies the discovery a target needs: a change of any part asks for a new one at once. */
export function discoveryKey(t: PollTarget): string {
  return JSON.stringify([t.address, t.port, t.credentials, t.discoveryToken ?? '']);
}

/** Options of an {@link EdgeRole}. */
export interface EdgeRoleOptions extends EdgeTaskOptions {
  /** Receives every poll, discovery and sweep payload (the agent hands them to its transport). */
  onPayload: (payload: InterfacePollPayload | DiscoveryPayload | SweepPayload) => void;
  /** Runner failures and skips, as for the agent's other runners. */
  onRunnerError?: (err: unknown, name: string) => void;
  onSkip?: (name: string) => void;
  logger?: Logger;
}

/** Counters of the edge role since it started. */
export interface EdgeRoleStats {
  enabled: boolean;
  targets: number;
  pollCycles: number;
  lastPoll:
    { devices: number; ok: number; failed: number; interfaces: number; durationMs: number } | undefined;
  discoveryCycles: number;
  /** Devices discovered at once (new, changed or asked for) outside the periodic cycle. */
  immediateDiscoveries: number;
  /** Sweeps run (each `sweepId` once per agent run). */
  sweeps: number;
}

/**
 * The edge role: polls and discovers the devices of the agent's config with two periodic runners
 * (a cycle is skipped while the previous one runs; timers are unref()ed). A new config replaces
 * the target list without a restart; devices removed from it lose their remembered counters.
 * Targets that are new, whose address, port or credentials changed, or whose `discoveryToken`
 * differs from the one last discovered with are discovered at once, in a small pass outside the
 * periodic cycle (bounded by `concurrency`; never two discoveries of one device at a time). Sweeps
 * run once per `sweepId`.
 */
export class EdgeRole {
  readonly #o: EdgeRoleOptions;
  readonly #log: Logger;
  readonly #poller: EdgePoller;
  readonly #discovery: EdgeDiscovery;
  readonly #pollRunner: PeriodicRunner;
  readonly #discoveryRunner: PeriodicRunner;
  #config: EdgeConfig | undefined;
  #configKey = '';
  #running = false;
  #stats: EdgeRoleStats = {
    enabled: false,
    targets: 0,
    pollCycles: 0,
    lastPoll: undefined,
    discoveryCycles: 0,
    immediateDiscoveries: 0,
    sweeps: 0,
  };
  /** Device ids with a discovery in flight (periodic or immediate). */
  readonly #discovering = new Set<string>();
  /** deviceId → {@link discoveryKey} of the last discovery done or scheduled. */
  readonly #known = new Map<string, string>();
  /** Immediate discoveries waiting to run, by device id (the newest target wins). */
  readonly #pending = new Map<string, PollTarget>();
  #draining: Promise<void> | undefined;
  readonly #sweepsDone = new Set<string>();
  readonly #sweepsRunning = new Set<Promise<void>>();
  /** Aborts immediate discoveries and sweeps when the role stops or is disabled. */
  #abort = new AbortController();

  constructor(options: EdgeRoleOptions) {
    if (typeof options.onPayload !== 'function') throw new Error('edge role requires option "onPayload"');
    this.#o = options;
    this.#log = options.logger ?? silentLogger;
    this.#poller = new EdgePoller(options);
    this.#discovery = new EdgeDiscovery(options);
    const common = {
      ...(options.onRunnerError ? { onError: options.onRunnerError } : {}),
      ...(options.onSkip ? { onSkip: options.onSkip } : {}),
      logger: this.#log,
      runOnStart: true,
    };
    // The runners start with placeholder intervals; apply() sets the configured ones before start.
    this.#pollRunner = new PeriodicRunner({
      ...common,
      name: 'edge-poll',
      intervalMillis: 60_000,
      timeoutMillis: 3_600_000,
      task: (signal) => this.#pollCycle(signal),
    });
    this.#discoveryRunner = new PeriodicRunner({
      ...common,
      name: 'edge-discovery',
      intervalMillis: 3_600_000,
      timeoutMillis: 3_600_000,
      task: (signal) => this.#discoveryCycle(signal),
    });
  }

  /** Applies the edge part of a pulled config: starts, retargets or stops the runners. */
  apply(config: EdgeConfig | undefined): void {
    const enabled = !!config?.enabled;
    const key = enabled ? JSON.stringify(config) : '';
    if (key === this.#configKey && enabled === this.#running) return;
    this.#configKey = key;
    this.#config = enabled ? config : undefined;
    this.#stats.enabled = enabled;
    this.#stats.targets = config && enabled ? config.targets.length : 0;
    if (!config || !enabled) {
      if (this.#running) {
        this.#running = false;
        this.#log.info('edge role disabled by config');
        this.#abort.abort(new Error('the edge role was disabled'));
        this.#pending.clear();
        this.#known.clear();
        void this.#pollRunner.stop();
        void this.#discoveryRunner.stop();
      }
      return;
    }
    this.#poller.retain(config.targets);
    const first = !this.#running;
    if (first) this.#abort = new AbortController();
    this.#scheduleDiscoveries(config.targets, first);
    this.#pollRunner.setIntervalMillis(config.pollIntervalSeconds * 1000);
    this.#discoveryRunner.setIntervalMillis(config.discoveryIntervalSeconds * 1000);
    this.#o.metrics?.targets.inc();
    this.#log.info('edge targets applied', {
      targets: config.targets.length,
      pollIntervalSeconds: config.pollIntervalSeconds,
      concurrency: config.concurrency,
    });
    if (!this.#running) {
      this.#running = true;
      this.#pollRunner.start();
      this.#discoveryRunner.start();
    }
    this.#kick();
    this.#startSweeps(config);
  }

  // New or changed targets are discovered at once, unless the role is just starting: its first
  // periodic cycle runs at once and covers them all.
  #scheduleDiscoveries(targets: readonly PollTarget[], first: boolean): void {
    const ids = new Set<string>();
    for (const t of targets) {
      ids.add(t.deviceId);
      const key = discoveryKey(t);
      if (this.#known.get(t.deviceId) === key) continue;
      this.#known.set(t.deviceId, key);
      if (!first) this.#pending.set(t.deviceId, t);
    }
    for (const id of [...this.#known.keys()]) {
      if (!ids.has(id)) {
        this.#known.delete(id);
        this.#pending.delete(id);
      }
    }
  }

  // Starts a pass over the pending discoveries unless one runs; devices whose discovery is in
  // flight wait for it to end (which kicks again).
  #kick(): void {
    if (this.#draining || !this.#running) return;
    if (![...this.#pending.keys()].some((id) => !this.#discovering.has(id))) return;
    this.#draining = this.#drain().finally(() => {
      this.#draining = undefined;
      this.#kick();
    });
  }

  async #drain(): Promise<void> {
    const config = this.#config;
    if (!config) return;
    const current = new Set(config.targets.map((t) => t.deviceId));
    for (const id of [...this.#pending.keys()]) if (!current.has(id)) this.#pending.delete(id);
    const batch = [...this.#pending.values()].filter((t) => !this.#discovering.has(t.deviceId));
    for (const t of batch) this.#pending.delete(t.deviceId);
    if (batch.length === 0) return;
    this.#log.info('edge discovery of new or changed devices', { devices: batch.length });
    await this.#discoverTargets(batch, config, this.#abort.signal, true);
  }

  /** Discovers `targets`, skipping devices whose discovery is already in flight. */
  async #discoverTargets(
    targets: readonly PollTarget[],
    config: EdgeConfig,
    signal: AbortSignal,
    immediate: boolean,
  ): Promise<void> {
    const deadline = this.#cycleDeadline(config);
    await runPool(
      targets,
      config.concurrency,
      async (t) => {
        if (this.#discovering.has(t.deviceId)) {
          // Another discovery of it began meanwhile (with what may be an older target): this one
          // waits for it, unless a newer one is already waiting.
          if (immediate && !this.#pending.has(t.deviceId)) this.#pending.set(t.deviceId, t);
          return;
        }
        this.#discovering.add(t.deviceId);
        try {
          const p = await this.#discovery.discoverDevice(t, { signal, deadlineMillis: deadline });
          if (signal.aborted) return;
          if (immediate) this.#stats.immediateDiscoveries += 1;
          this.#emit(p);
        } finally {
          this.#discovering.delete(t.deviceId);
          if (this.#pending.has(t.deviceId)) queueMicrotask(() => this.#kick());
        }
      },
      signal,
    );
  }

  #emit(p: InterfacePollPayload | DiscoveryPayload | SweepPayload): void {
    try {
      this.#o.onPayload(p);
    } catch (err) {
      this.#log.warn('edge payload handler failed', { kind: p.kind, error: String(err) });
    }
  }

  #startSweeps(config: EdgeConfig): void {
    for (const sweep of config.sweeps ?? []) {
      if (this.#sweepsDone.has(sweep.sweepId)) continue;
      this.#sweepsDone.add(sweep.sweepId);
      this.#stats.sweeps += 1;
      this.#log.info('edge sweep started', {
        sweepId: sweep.sweepId,
        addresses: sweep.addresses.length,
        port: sweep.port,
      });
      const run = runSweep(sweep, {
        concurrency: config.concurrency,
        signal: this.#abort.signal,
        ...(this.#o.sessionFactory ? { sessionFactory: this.#o.sessionFactory } : {}),
        ...(this.#o.metrics ? { metrics: this.#o.metrics } : {}),
        ...(this.#o.now ? { now: this.#o.now } : {}),
        logger: this.#log,
      })
        .then((p) => this.#emit(p))
        .catch((err: unknown) =>
          this.#log.error('edge sweep failed', { sweepId: sweep.sweepId, error: String(err) }),
        )
        .finally(() => this.#sweepsRunning.delete(run));
      this.#sweepsRunning.add(run);
    }
  }

  // A device poll may take up to the poll interval, and never less than one full timeout budget.
  #deviceDeadline(t: PollTarget, intervalSeconds: number): number {
    return Math.max(intervalSeconds * 1000, t.timeoutMs * (t.retries + 1) + 1000);
  }

  #cycleDeadline(config: EdgeConfig): number {
    return config.targets.reduce(
      (m, t) => Math.max(m, this.#deviceDeadline(t, config.pollIntervalSeconds)),
      0,
    );
  }

  async #pollCycle(signal: AbortSignal): Promise<void> {
    const config = this.#config;
    if (!config || config.targets.length === 0) return;
    const deadline = this.#cycleDeadline(config);
    const summary = await this.#poller.pollAll(config.targets, {
      concurrency: config.concurrency,
      deadlineMillis: deadline,
      signal,
      intervalSeconds: config.pollIntervalSeconds,
      onPayload: (p) => this.#o.onPayload(p),
    });
    this.#stats.pollCycles += 1;
    this.#stats.lastPoll = summary;
    this.#log.debug('edge poll cycle finished', { ...summary });
  }

  async #discoveryCycle(signal: AbortSignal): Promise<void> {
    const config = this.#config;
    if (!config || config.targets.length === 0) return;
    for (const t of config.targets) this.#known.set(t.deviceId, discoveryKey(t));
    await this.#discoverTargets(config.targets, config, signal, false);
    this.#stats.discoveryCycles += 1;
  }

  /** Polls once now (skipped when a cycle runs); resolves when the cycle ends. */
  pollNow(): Promise<void> {
    return this.#pollRunner.run();
  }

  stats(): EdgeRoleStats {
    return { ...this.#stats, ...(this.#stats.lastPoll ? { lastPoll: { ...this.#stats.lastPoll } } : {}) };
  }

  /** Discovers once now (skipped when a cycle runs); resolves when the cycle ends. */
  discoverNow(): Promise<void> {
    return this.#discoveryRunner.run();
  }

  /** Resolves when no immediate discovery is pending or running (for tests and tools). */
  async settled(): Promise<void> {
    while (this.#draining || this.#sweepsRunning.size > 0) {
      await Promise.all([this.#draining, ...this.#sweepsRunning]);
    }
  }

  /** Stops both runners, immediate discoveries and sweeps, and waits for work in progress to end. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#abort.abort(new Error('the edge role stopped'));
    this.#pending.clear();
    await Promise.all([
      this.#pollRunner.stop(),
      this.#discoveryRunner.stop(),
      this.#draining,
      ...this.#sweepsRunning,
    ]);
  }
}
