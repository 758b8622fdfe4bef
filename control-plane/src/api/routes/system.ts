import { z } from 'zod';
import type { Router } from '../route.js';
import type { Services } from '../../services.js';

const ProcessOut = z.object({
  name: z.string(),
  state: z.enum(['running', 'backing-off', 'waiting', 'stopped']),
  waitingFor: z.string().optional().describe('while waiting: the process it needs running first'),
  pid: z.number().int().nullable(),
  restarts: z.number().int(),
  consecutiveFailures: z.number().int(),
  startedAt: z.string().nullable(),
  lastExit: z
    .object({
      at: z.string(),
      code: z.number().int().nullable(),
      signal: z.string().nullable(),
      reason: z.string().nullable(),
    })
    .nullable(),
  nextRestartAt: z.string().nullable(),
});

export function systemRoutes(r: Router, s: Services): void {
  r.define(
    {
      method: 'get',
      path: '/api/v1/system/processes',
      summary:
        'Child processes this control plane supervises (embedded agents and lab): state, restarts, last exit and its reason, next restart',
      tags: ['system'],
      permission: 'system:read',
      response: z.object({ supervised: z.boolean(), items: z.array(ProcessOut) }),
    },
    async () => ({ supervised: s.processes !== undefined, items: s.processes?.list() ?? [] }),
  );
}
