import type { Logger } from './logger.js';
import { errorFields } from './logger.js';
import { watchParent } from './parent-watch.js';

/**
 * Keeps the process alive until SIGTERM or SIGINT, then stops `running` and resolves with the exit
 * code: 0 after a clean stop, 1 when stopping failed, 130 on a second signal (exit at once). Every
 * timer of an agent or lab is unref()ed on purpose, so this is what keeps the event loop busy.
 * A child of a supervisor (IPC channel or TIANSHU_AGENT_PARENT_PID) also stops when its parent
 * dies, so a crashed control plane never leaves agents behind.
 */
export function runUntilSignal(running: { stop(): Promise<void> }, log: Logger): Promise<number> {
  const keepAlive = setInterval(() => undefined, 1 << 30);
  return new Promise<number>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals += 1;
      if (signals > 1) {
        log.warn('second signal, exiting at once', { signal });
        resolve(130);
        return;
      }
      log.info('signal received, shutting down', { signal });
      running.stop().then(
        () => {
          clearInterval(keepAlive);
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          resolve(0);
        },
        (err: unknown) => {
          log.error('shutdown failed', errorFields(err));
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    const unwatch = watchParent((why) => {
      // The parent held our stdio pipes; writing to them now fails with EPIPE, which must not
      // crash the process before it has put what it holds in memory on disk.
      process.stdout.on('error', () => undefined);
      process.stderr.on('error', () => undefined);
      log.warn('parent process is gone, shutting down', { reason: why });
      onSignal('SIGTERM');
    });
    // A second real signal still exits at once; the watch is no longer needed after the first.
    process.once('SIGTERM', unwatch);
    process.once('SIGINT', unwatch);
  });
}
