import { z } from 'zod';
import type { Router } from '../../api/route.js';
import type { QuotasModule } from '../module.js';
import { CLOUD_ERROR_KINDS, SYNC_STATES } from '../types.js';

const tags = ['quotas'];
const Id = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/);
const AmountsOut = z.record(z.string(), z.number());

export const SyncStatusOut = z.object({
  projectId: z.string(),
  cloudId: z.string(),
  state: z.enum(SYNC_STATES),
  appliedVersion: z.number().int().describe('the desired version last applied on the cloud (0: never)'),
  error: z
    .object({ kind: z.enum([...CLOUD_ERROR_KINDS, 'manual']), message: z.string(), at: z.string() })
    .nullable()
    .describe('the latest error (kept until a pass succeeds)'),
  drift: z
    .object({ found: AmountsOut, expected: AmountsOut, at: z.string() })
    .nullable()
    .describe('limits found on the cloud that differ from those applied (state drift)'),
  checkedAt: z.string().nullable(),
});

const PassReportOut = z.object({
  cloudId: z.string(),
  kind: z.enum(['kubernetes', 'openstack', 'manual']),
  state: z.enum(['ok', 'error']),
  projects: z.number().int(),
  written: z.number().int().describe('projects created or changed on the cloud'),
  unchanged: z.number().int(),
  drift: z.number().int().describe('projects whose limits were changed on the cloud'),
  restored: z.number().int().describe('drifted projects written back (policy restore)'),
  errors: z.number().int(),
  awaiting: z.number().int().describe('manual clouds: projects awaiting an admin’s confirmation'),
  error: z.object({ kind: z.string(), message: z.string() }).nullable(),
  millis: z.number().int(),
});

/** Reconcile (contract part D): sync status, reconcile now, manual confirmation. */
export function reconcileRoutes(r: Router, svc: QuotasModule): void {
  const rec = svc.reconcile;
  r.define(
    {
      method: 'get',
      path: '/api/v1/quotas/sync',
      summary: 'How far each project’s quota has reached its cloud (in the caller’s scope)',
      tags,
      permission: 'quotas:read',
      query: z
        .object({
          cloud: Id.optional(),
          state: z.enum(SYNC_STATES).optional(),
          limit: z.coerce.number().int().min(1).max(10_000).default(1000),
        })
        .strict(),
      response: z.object({ items: z.array(SyncStatusOut) }),
    },
    async ({ identity, query }) => ({ items: await rec.list(identity, query) }),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/quotas/clouds/{id}/reconcile',
      summary:
        'Reconcile the cloud now: write the quotas not yet applied, detect drift, read usage back (audited)',
      tags,
      permission: 'quotas:write',
      response: PassReportOut,
    },
    async ({ identity, params }) => rec.reconcileNow(identity, params.id!),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/quotas/sync/{cloudId}/{projectId}/confirm',
      summary: 'A manual cloud’s admin confirms that a version of the project’s limits is in place (audited)',
      tags,
      permission: 'quotas:write',
      body: z.object({ version: z.number().int().min(1) }).strict(),
      status: 204,
    },
    async ({ identity, params, body }) => {
      await rec.confirmManual(identity, params.cloudId!, params.projectId!, body.version);
    },
  );
}
