import { z } from 'zod';
import type { Router } from '../route.js';
import type { Services } from '../../services.js';

export function auditRoutes(r: Router, s: Services): void {
  r.define(
    {
      method: 'get',
      path: '/api/v1/audit',
      summary: "Audit log entries in the caller's subtree, newest first",
      tags: ['audit'],
      permission: 'audit:read',
      query: z
        .object({
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          before: z
            .string()
            .regex(/^\d{1,19}$/, 'before is an audit entry id')
            .refine(
              (v) => BigInt(v) <= 9_223_372_036_854_775_807n,
              'before is an audit entry id (at most 2^63 - 1)',
            )
            .optional(),
          action: z.string().max(100).optional(),
        })
        .strict(),
      response: z.object({
        items: z.array(z.record(z.string(), z.unknown())),
        nextBefore: z.string().nullable(),
      }),
    },
    async ({ identity, query }) => s.audit.list(identity, query),
  );
}
