import type { Router } from '../route.js';
import type { Services } from '../../services.js';
import { z } from 'zod';

const StorageConditionOut = z.object({
  store: z.enum(['state', 'telemetry']),
  sources: z.array(z.enum(['write', 'free-space'])),
  reason: z.string(),
  since: z.string(),
  alarm: z.enum(['pending', 'firing']),
});

const STORAGE_CHECK_TIMEOUT_MILLIS = 2000;

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
      summary: 'Readiness: both stores answer and can write, and the server is not shutting down',
      tags: ['health'],
      auth: 'public',
      response: z.object({ status: z.enum(['ready', 'unready']), checks: z.record(z.string(), z.string()) }),
    },
    async ({ c }) => {
      const checks: Record<string, string> = {};
      if (s.lifecycle.draining) {
        // A load balancer must stop sending at once; the stores are not asked.
        return c.json({ status: 'unready', checks: { server: 'shutting down' } }, 503);
      }
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
      // A ping only reads; whether writes fail for lack of space comes from the storage health.
      const storageChecked = Promise.race([
        s.storage.check(),
        new Promise((resolve) => setTimeout(resolve, STORAGE_CHECK_TIMEOUT_MILLIS).unref()),
      ]);
      await Promise.all([
        probe('state', () => s.db.ping()),
        probe('telemetry', () => s.telemetry.ping()),
        storageChecked,
      ]);
      for (const cond of s.storage.conditions()) {
        checks[cond.store] = `storage full since ${cond.since}: ${cond.reason}`.slice(0, 300);
        s.metrics.storeUp.set({ store: cond.store }, 0);
      }
      const ready = Object.values(checks).every((v) => v === 'ok');
      return c.json({ status: ready ? 'ready' : 'unready', checks }, ready ? 200 : 503);
    },
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/status',
      summary:
        'Operational status for the console banner: stores that are full (with their alarm, kept in memory while the state store cannot hold it) and whether the server is shutting down',
      tags: ['health'],
      response: z.object({ shuttingDown: z.boolean(), storage: z.array(StorageConditionOut) }),
    },
    async () => ({ shuttingDown: s.lifecycle.draining, storage: s.storage.conditions() }),
  );
}
