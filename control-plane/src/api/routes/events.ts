import { streamSSE } from 'hono/streaming';
import type { Router } from '../route.js';
import type { Services } from '../../services.js';
import { inScope } from '../../auth/identity.js';
import { requirePermission } from '../../auth/identity.js';

/**
 * Server-Sent Events for live console updates: `event: agent` with the agent's JSON whenever an agent
 * in the caller's subtree enrols, heartbeats or reports. Bursts are coalesced per agent every second.
 * At shutdown the stream ends at once (cleanly; the browser's EventSource reconnects).
 */
export function eventRoutes(r: Router, s: Services): void {
  r.define(
    {
      method: 'get',
      path: '/api/v1/events',
      summary: 'Live updates (Server-Sent Events)',
      tags: ['events'],
      permission: 'fleet:read',
    },
    async ({ c, identity }) => {
      requirePermission(identity, 'fleet:read');
      return streamSSE(c, async (stream) => {
        const pending = new Set<string>();
        const off = s.fleet.onActivity((id) => pending.add(id));
        let open = true;
        let wake: (() => void) | undefined;
        const stop = () => {
          open = false;
          wake?.();
        };
        stream.onAbort(stop);
        const offDrain = s.lifecycle.onDrain(stop);
        await stream.writeSSE({
          event: 'hello',
          data: JSON.stringify({ serverTime: new Date().toISOString() }),
        });
        let ticks = 0;
        try {
          while (open) {
            await new Promise<void>((resolve) => {
              const timer = setTimeout(resolve, 1000);
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            if (!open) break;
            ticks++;
            for (const id of [...pending]) {
              pending.delete(id);
              try {
                const agent = await s.fleet.getAgent(identity, id);
                const path = await s.orgUnits.pathOf(agent.orgUnitId);
                if (inScope(identity, path))
                  await stream.writeSSE({ event: 'agent', id, data: JSON.stringify(agent) });
              } catch {
                // Not in the caller's scope, or gone: nothing to send.
              }
            }
            if (ticks % 15 === 0) await stream.writeSSE({ event: 'ping', data: '{}' });
          }
        } finally {
          off();
          offDrain();
        }
      });
    },
  );
}
