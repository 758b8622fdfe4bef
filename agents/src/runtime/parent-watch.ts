import type { EventEmitter } from 'node:events';

/** Environment variable naming the parent this process must not outlive (set by the supervisor). */
export const parentPidEnv = 'TIANSHU_AGENT_PARENT_PID';

/** What {@link watchParent} looks at; tests replace it. */
export interface ParentWatchDeps {
  /** The current parent PID (process.ppid changes when the parent dies and we are re-parented). */
  ppid(): number;
  /** Emits 'disconnect' when the IPC channel to the parent closes; undefined without a channel. */
  channel: EventEmitter | undefined;
  env: NodeJS.ProcessEnv;
}

const processDeps: ParentWatchDeps = {
  ppid: () => process.ppid,
  channel: process.channel ? process : undefined,
  env: process.env,
};

/**
 * Calls `onGone` once when the parent that started this process is gone: its IPC channel closed
 * (immediate, also after SIGKILL of the parent) or the parent PID changed (checked every
 * `intervalMillis`, for parents without a channel). Only active when started with an IPC channel or
 * {@link parentPidEnv}; returns a function that ends the watch.
 */
export function watchParent(
  onGone: (why: string) => void,
  options: { intervalMillis?: number; deps?: ParentWatchDeps } = {},
): () => void {
  const deps = options.deps ?? processDeps;
  const wanted = Number(deps.env[parentPidEnv]);
  const expected = Number.isSafeInteger(wanted) && wanted > 0 ? wanted : undefined;
  if (!deps.channel && expected === undefined) return () => undefined;
  let done = false;
  const gone = (why: string): void => {
    if (done) return;
    done = true;
    stop();
    onGone(why);
  };
  const onDisconnect = (): void => gone('the parent process closed its channel');
  deps.channel?.once('disconnect', onDisconnect);
  // Without our own channel reference the event loop may end; the caller keeps the process alive.
  (deps.channel as { channel?: { unref?(): void } } | undefined)?.channel?.unref?.();
  const parent = expected ?? deps.ppid();
  const timer = setInterval(() => {
    if (deps.ppid() !== parent) gone(`the parent process ${parent} exited`);
  }, options.intervalMillis ?? 1000);
  timer.unref();
  const stop = (): void => {
    clearInterval(timer);
    deps.channel?.off('disconnect', onDisconnect);
  };
  if (deps.ppid() !== parent) gone(`the parent process ${parent} exited`);
  return stop;
}
