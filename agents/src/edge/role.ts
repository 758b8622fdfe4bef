import type { DiscoveryPayload, EdgeConfig, InterfacePollPayload, PollTarget } from '@tianshu/protocol';
import type { Logger } from '../runtime/logger.js';
import { silentLogger } from '../runtime/logger.js';
import { PeriodicRunner } from '../runtime/runner.js';
import { EdgeDiscovery } from './discovery.js';
import type { EdgeTaskOptions } from './poller.js';
import { EdgePoller } from './poller.js';

/** Options of an {@link EdgeRole}. */
export interface EdgeRoleOptions extends EdgeTaskOptions {
  /** Receives every poll and discovery payload (the agent hands them to its transport). */
  onPayload: (payload: InterfacePollPayload | DiscoveryPayload) => void;
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
}

/**
 * The edge role: polls and discovers the devices of the agent's config with two periodic runners
 * (a cycle is skipped while the previous one runs; timers are unref()ed). A new config replaces
 * the target list without a restart; devices removed from it lose their remembered counters.
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
  };

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
        void this.#pollRunner.stop();
        void this.#discoveryRunner.stop();
      }
      return;
    }
    this.#poller.retain(config.targets);
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
      onPayload: (p) => this.#o.onPayload(p),
    });
    this.#stats.pollCycles += 1;
    this.#stats.lastPoll = summary;
    this.#log.debug('edge poll cycle finished', { ...summary });
  }

  async #discoveryCycle(signal: AbortSignal): Promise<void> {
    const config = this.#config;
    if (!config || config.targets.length === 0) return;
    const deadline = this.#cycleDeadline(config);
    await this.#discovery.discoverAll(config.targets, {
      concurrency: config.concurrency,
      deadlineMillis: deadline,
      signal,
      onPayload: (p) => this.#o.onPayload(p),
    });
    this.#stats.discoveryCycles += 1;
  }

  /** Polls once now (skipped when a cycle runs); resolves when the cycle ends. */
  pollNow(): Promise<void> {
    return this.#pollRunner.run();
  }

  stats(): EdgeRoleStats {
    return { ...this.#stats, ...(this.#stats.lastPoll ? { lastPoll: { ...this.#stats.lastPoll } } : {}) };
  }

  /** Stops both runners and waits for cycles in progress to end. */
  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all([this.#pollRunner.stop(), this.#discoveryRunner.stop()]);
  }
}
