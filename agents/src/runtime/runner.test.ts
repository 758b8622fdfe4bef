import { describe, expect, it, vi } from 'vitest';
import { PeriodicRunner, TimeoutError } from './runner.js';

describe('PeriodicRunner', () => {
  it('skips a cycle while the previous one is still running', async () => {
    let release!: () => void;
    let calls = 0;
    const skips: string[] = [];
    const r = new PeriodicRunner({
      name: 'slow',
      intervalMillis: 1000,
      timeoutMillis: 5000,
      onSkip: (n) => skips.push(n),
      task: () => {
        calls += 1;
        return new Promise<void>((res) => (release = res));
      },
    });
    const first = r.run();
    expect(r.busy).toBe(true);
    await r.run();
    await r.run();
    expect(calls).toBe(1);
    expect(skips).toEqual(['slow', 'slow']);
    release();
    await first;
    expect(r.busy).toBe(false);
    expect(r.stats()).toEqual({ runs: 1, failures: 0, skipped: 2 });
  });

  it('times out a cycle, aborts its signal and reports the timeout to the error handler', async () => {
    const errors: unknown[] = [];
    let signal: AbortSignal | undefined;
    const r = new PeriodicRunner({
      name: 'stuck',
      intervalMillis: 1000,
      timeoutMillis: 30,
      onError: (e) => errors.push(e),
      task: (s) => {
        signal = s;
        return new Promise<void>(() => undefined);
      },
    });
    await r.run();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TimeoutError);
    expect(signal?.aborted).toBe(true);
    // The runner is free again for the next cycle.
    expect(r.busy).toBe(false);
  });

  it('never rejects: thrown and rejected errors go to the handler, even a throwing handler', async () => {
    const errors: string[] = [];
    const r = new PeriodicRunner({
      name: 'bad',
      intervalMillis: 1000,
      timeoutMillis: 1000,
      onError: (e) => errors.push((e as Error).message),
      task: () => {
        throw new Error('sync boom');
      },
    });
    await expect(r.run()).resolves.toBeUndefined();
    const r2 = new PeriodicRunner({
      name: 'bad2',
      intervalMillis: 1000,
      timeoutMillis: 1000,
      onError: () => {
        throw new Error('handler boom');
      },
      task: () => Promise.reject(new Error('async boom')),
    });
    await expect(r2.run()).resolves.toBeUndefined();
    expect(errors).toEqual(['sync boom']);
    expect(r2.stats().failures).toBe(1);
  });

  it('runs on its interval with an unref()ed timer and stops cleanly', async () => {
    vi.useFakeTimers();
    try {
      let calls = 0;
      const r = new PeriodicRunner({
        name: 'tick',
        intervalMillis: 100,
        timeoutMillis: 50,
        runOnStart: true,
        task: async () => {
          calls += 1;
        },
      });
      const unref = vi.spyOn(globalThis, 'setInterval');
      r.start();
      const timer = unref.mock.results[0]?.value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
      await vi.advanceTimersByTimeAsync(350);
      expect(calls).toBe(4);
      await r.stop();
      await vi.advanceTimersByTimeAsync(500);
      expect(calls).toBe(4);
      unref.mockRestore();
    } finally {
      vi.useRealTimers();
    }
  });

  it('stop() aborts a running cycle without calling it a failure', async () => {
    const errors: unknown[] = [];
    const r = new PeriodicRunner({
      name: 'long',
      intervalMillis: 1000,
      timeoutMillis: 10_000,
      onError: (e) => errors.push(e),
      task: (signal) =>
        new Promise<void>((_, reject) =>
          signal.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
    });
    r.start();
    const cycle = r.run();
    await new Promise((res) => setImmediate(res));
    const started = Date.now();
    await r.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    await cycle;
    expect(errors).toEqual([]);
  });

  it('checks its options at once', () => {
    expect(
      () => new PeriodicRunner({ name: 'x', intervalMillis: 0, timeoutMillis: 1, task: async () => {} }),
    ).toThrow(/intervalMillis/);
  });
});
