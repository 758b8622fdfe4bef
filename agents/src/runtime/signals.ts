import type { Logger } from './logger.js';
import { errorFields } from './logger.js';

/**
 * Keeps the process alive until SIGTERM or SIGINT, then stops `running` and resolves with the exit
 * code: 0 after a clean stop, 1 when stopping failed, 130 on a second signal (exit at once). Every
 * timer of an agent or lab is unref()ed on purpose, so this is what keeps the event loop busy.
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
  });
}
