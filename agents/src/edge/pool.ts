import { setMaxListeners } from 'node:events';
/**
 * Runs `fn` over `items` with at most `limit` calls in flight. A call that is slow only holds its
 * own slot; the others go on. `fn` must not reject (errors belong in its result); if it does, the
 * rejection is swallowed so one item cannot stop the rest. Stops taking new items once `signal`
 * aborts.
 */
export async function runPool<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<void> {
  if (!(limit >= 1)) throw new Error('pool limit must be at least 1');
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length && !signal?.aborted) {
      const item = items[next] as T;
      next += 1;
      try {
        await fn(item);
      } catch {
        // The contract says fn does not reject; a bug there must not stall the other workers.
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * An AbortSignal that fires when `parent` aborts or after `millis`, and a function that releases
 * its timer. Timers are unref()ed so they never keep the process alive.
 */
export function deadlineSignal(
  millis: number,
  parent: AbortSignal | undefined,
  reason: () => Error,
): { signal: AbortSignal; release: () => void } {
  const ac = new AbortController();
  // One poll cycle's signal is the parent of every device poll in flight (up to `concurrency`, which
  // may be hundreds); each removes its listener when done, so lift Node's leak warning threshold.
  if (parent) setMaxListeners(0, parent);
  const onParent = (): void => ac.abort(parent?.reason);
  if (parent?.aborted) ac.abort(parent.reason);
  else parent?.addEventListener('abort', onParent, { once: true });
  const timer = setTimeout(() => ac.abort(reason()), millis);
  timer.unref();
  return {
    signal: ac.signal,
    release: () => {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onParent);
    },
  };
}
