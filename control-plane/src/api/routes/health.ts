import type { Router } from '../route.js';
import type { Services } from '../../services.js';
import { z } from 'zod';

export function healthRoutes(r: Router, s: Services): void {
  r.define(
    {
      method: 'get',
      path: '/healthz',
      summary: 'Liveness: the process is up',
      tags: ['health'],
      auth: 'public',
      response: z.object({ status: z.literal('ok') }),
    },
    async () => ({ status: 'ok' }),
  );
  r.define(
    {
      method: 'get',
      path: '/readyz',
      summary: 'Readiness: both stores answer',
      tags: ['health'],
      auth: 'public',
      response: z.object({ status: z.enum(['ready', 'unready']), checks: z.record(z.string(), z.string()) }),
    },
    async ({ c }) => {
      const checks: Record<string, string> = {};
      const probe = async (name: 'state' | 'telemetry', fn: () => Promise<void>) => {
        try {
          await Promise.race([
            fn(),
            new Promise((_, reject) =>
              setTimeout(() => reject(new Error('timed out after 2 s')), 2000).unref(),
            ),
          ]);
          checks[name] = 'ok';
          s.metrics.storeUp.set({ store: name }, 1);
        } catch (err) {
          // The answer is public: the store's own message (host, user, URL) goes to the log only.
          const timedOut = (err as Error).message === 'timed out after 2 s';
          checks[name] = timedOut ? 'timed out' : 'unavailable';
          s.log.warn({ err, store: name }, 'readiness check failed');
          s.metrics.storeUp.set({ store: name }, 0);
        }
      };
      await Promise.all([probe('state', () => s.db.ping()), probe('telemetry', () => s.telemetry.ping())]);
      const ready = Object.values(checks).every((v) => v === 'ok');
      return c.json({ status: ready ? 'ready' : 'unready', checks }, ready ? 200 : 503);
    },
  );
}
