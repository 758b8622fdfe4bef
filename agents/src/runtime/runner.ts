import type { Logger } from './logger.js';
import { errorFields, silentLogger } from './logger.js';

/** A unit of periodic work; it should stop early when `signal` aborts. */
export type PeriodicTask = (signal: AbortSignal) => Promise<void>;

/** Options of a {@link PeriodicRunner}. */
export interface PeriodicRunnerOptions {
  /** Name used in logs and metrics. */
  name: string;
  task: PeriodicTask;
  intervalMillis: number;
  /** A cycle still running after this long is abandoned and reported as failed. */
  timeoutMillis: number;
  /** Receives every failure (thrown error or timeout); it must not throw. */
  onError?: (err: unknown, name: string) => void;
  /** Told when a cycle is skipped because the previous one is still running. */
  onSkip?: (name: string) => void;
  /** Runs one cycle as soon as `start()` is called instead of after the first interval. */
  runOnStart?: boolean;
  logger?: Logger;
}

/** Raised to the error handler when a cycle outlives its timeout. */
export class TimeoutError extends Error {
  constructor(name: string, ms: number) {
    super(`${name} timed out after ${ms} ms`);
    this.name = 'TimeoutError';
  }
}

/**
 * Runs a task periodically, in the manner of OpenTelemetry's PeriodicExportingMetricReader: a cycle
 * is skipped while the previous one runs, every cycle has a timeout, failures go to one handler,
 * the timer is unref()ed so it never keeps the process alive, and `run()` never rejects.
 */
export class PeriodicRunner {
  readonly name: string;
  readonly #task: PeriodicTask;
  #intervalMillis: number;
  readonly #timeoutMillis: number;
  readonly #onError: (err: unknown, name: string) => void;
  readonly #onSkip: (name: string) => void;
  readonly #runOnStart: boolean;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;
  #abort: AbortController | undefined;
  #stats = { runs: 0, failures: 0, skipped: 0 };
  #stopping = false;

  constructor(options: PeriodicRunnerOptions) {
    if (typeof options.task !== 'function') throw new Error('periodic runner requires option "task"');
    if (!(options.intervalMillis > 0))
      throw new Error('periodic runner option "intervalMillis" must be positive');
    if (!(options.timeoutMillis > 0))
      throw new Error('periodic runner option "timeoutMillis" must be positive');
    this.name = options.name;
    this.#task = options.task;
    this.#intervalMillis = options.intervalMillis;
    this.#timeoutMillis = options.timeoutMillis;
    const log = options.logger ?? silentLogger;
    this.#onError =
      options.onError ??
      ((err, name) => log.warn('periodic task failed', { runner: name, ...errorFields(err) }));
    this.#onSkip = options.onSkip ?? (() => undefined);
    this.#runOnStart = options.runOnStart ?? false;
  }

  /** Starts the timer; calling it twice has no further effect. */
  start(): void {
    if (this.#timer) return;
    this.#stopping = false;
    this.#timer = setInterval(() => void this.run(), this.#intervalMillis);
    this.#timer.unref();
    if (this.#runOnStart) void this.run();
  }

  /** Changes the interval; a running timer restarts with the new interval. */
  setIntervalMillis(ms: number): void {
    if (!(ms > 0)) throw new Error('periodic runner interval must be positive');
    if (ms === this.#intervalMillis) return;
    this.#intervalMillis = ms;
    if (this.#timer) {
      clearInterval(this.#timer);
      this.#timer = setInterval(() => void this.run(), this.#intervalMillis);
      this.#timer.unref();
    }
  }

  get intervalMillis(): number {
    return this.#intervalMillis;
  }

  /** Whether a cycle is in progress. */
  get busy(): boolean {
    return this.#current !== undefined;
  }

  /** Counts of completed, failed and skipped cycles. */
  stats(): { runs: number; failures: number; skipped: number } {
    return { ...this.#stats };
  }

  /**
   * Runs one cycle now unless one is already running (then the call is a skip). Resolves when the
   * cycle ends or times out; never rejects.
   */
  run(): Promise<void> {
    if (this.#current) {
      this.#stats.skipped += 1;
      this.#safe(() => this.#onSkip(this.name));
      return Promise.resolve();
    }
    const abort = new AbortController();
    this.#abort = abort;
    const cycle = this.#cycle(abort).finally(() => {
      if (this.#current === cycle) {
        this.#current = undefined;
        this.#abort = undefined;
      }
    });
    this.#current = cycle;
    return cycle;
  }

  async #cycle(abort: AbortController): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const err = new TimeoutError(this.name, this.#timeoutMillis);
        abort.abort(err);
        reject(err);
      }, this.#timeoutMillis);
      timer.unref();
    });
    try {
      // Calling the task inside the promise chain turns a synchronous throw into a rejection.
      await Promise.race([Promise.resolve().then(() => this.#task(abort.signal)), timeout]);
      this.#stats.runs += 1;
    } catch (err) {
      // A cycle aborted by stop() is not a failure worth reporting.
      if (!this.#stopping) {
        this.#stats.failures += 1;
        this.#safe(() => this.#onError(err, this.name));
      }
    } finally {
      clearTimeout(timer);
    }
  }

  #safe(fn: () => void): void {
    try {
      fn();
    } catch {
      // A handler that throws must not break the loop.
    }
  }

  /** Stops the timer, aborts a running cycle and waits for it to end. */
  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#stopping = true;
    this.#abort?.abort(new Error(`${this.name} stopped`));
    await this.#current;
  }
}
