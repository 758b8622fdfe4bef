/** Options of an exponential backoff with jitter. */
export interface BackoffOptions {
  initialMillis: number;
  maxMillis: number;
  /** Random source in [0, 1); replaceable in tests. */
  random?: () => number;
}

/**
 * Exponential backoff with "equal jitter": the n-th delay is drawn from [d/2, d) where
 * d = min(max, initial * 2^n), so retries spread out but never collapse to zero.
 */
export class Backoff {
  readonly #opts: Required<BackoffOptions>;
  #attempt = 0;

  constructor(options: BackoffOptions) {
    if (!(options.initialMillis > 0)) throw new Error('backoff option "initialMillis" must be positive');
    if (!(options.maxMillis >= options.initialMillis)) {
      throw new Error('backoff option "maxMillis" must be at least "initialMillis"');
    }
    this.#opts = { random: Math.random, ...options };
  }

  /** The delay before the next attempt; each call doubles the ceiling up to the maximum. */
  next(): number {
    const ceiling = Math.min(
      this.#opts.maxMillis,
      this.#opts.initialMillis * 2 ** Math.min(this.#attempt, 30),
    );
    this.#attempt += 1;
    return Math.round(ceiling / 2 + (ceiling / 2) * this.#opts.random());
  }

  /** Number of delays handed out since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  reset(): void {
    this.#attempt = 0;
  }
}

/** Resolves after `ms` or as soon as `signal` aborts; never rejects. The timer is unref()ed. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref();
    signal?.addEventListener('abort', done, { once: true });
  });
}
