import { z } from 'zod';
import type { Router } from '../../api/route.js';
import { OrgUnitId } from '../../inventory/org-units.js';
import type { QuotasModule } from '../module.js';
import { showbackCsv } from './service.js';

const tags = ['quotas'];
const Amounts = z.record(z.string(), z.number());
const Month = z
  .string()
  .regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month is YYYY-MM')
  .optional()
  .describe('UTC month YYYY-MM (default: the current month)');
const Slug = z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'ids are lowercase letters, digits and "-"');

const ReclaimOut = z.object({
  id: z.string(),
  cloudId: z.string(),
  projectId: z.string(),
  orgUnitId: z.string(),
  amounts: Amounts.describe('what the proposal takes back per class'),
  evidence: z.object({
    windowDays: z.number(),
    from: z.string(),
    to: z.string(),
    idleThreshold: z.number(),
    headroom: z.number(),
    peakUsed: Amounts,
    peakPhysical: Amounts,
    quota: Amounts,
    used: Amounts,
    keep: Amounts.describe('what stays per reclaimed class: max(ceil(peak × (1 + headroom)), used)'),
    samples: z.record(z.string(), z.number()),
  }),
  status: z.enum(['proposed', 'declined', 'applied', 'cancelled']),
  proposedAt: z.string(),
  applyAfter: z.string().describe('the end of the grace period: applied then unless declined'),
  decidedAt: z.string().nullable(),
  decidedBy: z.string().nullable(),
  reason: z.string().nullable().describe('why it was declined or cancelled'),
  applied: Amounts.nullable().describe('what was really taken back'),
  error: z.object({ message: z.string(), at: z.string() }).nullable(),
});

const ShowbackClassOut = z.object({
  quota: z.number().describe('average quota over the month'),
  used: z.number().describe('average used over the month'),
  cost: z.number().describe('average quota × monthly unit price (CNY)'),
});

const HostsOut = z.object({
  projectId: z.string(),
  hosts: z.array(
    z.object({
      hostId: z.string(),
      hostname: z.string(),
      cloudId: z.string().nullable(),
      agentId: z.string().nullable(),
      tiedBy: z.string(),
      tiedAt: z.string(),
    }),
  ),
});

/** Contract F: reclaim proposals, the review, showback, scorecards, and the hosts of a project. */
export function reviewRoutes(r: Router, svc: QuotasModule): void {
  const review = svc.review;
  r.define(
    {
      method: 'get',
      path: '/api/v1/quotas/reclaims',
      summary: 'Reclaim proposals of projects in the caller’s subtree, newest first',
      tags,
      permission: 'quotas:read',
      query: z
        .object({
          status: z.enum(['proposed', 'declined', 'applied', 'cancelled']).optional(),
          orgUnit: OrgUnitId.optional(),
          cloud: Slug.optional(),
        })
        .strict(),
      response: z.object({ items: z.array(ReclaimOut) }),
    },
    async ({ identity, query }) => review.list(identity, query),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/quotas/reclaims/{id}',
      summary: 'One reclaim proposal with its evidence',
      tags,
      permission: 'quotas:read',
      response: ReclaimOut,
    },
    async ({ identity, params }) => review.get(identity, params.id!),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/quotas/reclaims/{id}/decline',
      summary:
        'The owner declines a reclaim proposal with a reason (no new proposal for the project for one review window)',
      tags,
      permission: 'quotas:apply',
      body: z.object({ reason: z.string().trim().min(1).max(2000) }).strict(),
      response: ReclaimOut,
    },
    async ({ identity, params, body }) => review.decline(identity, params.id!, body.reason),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/quotas/reclaims/{id}/apply',
      summary: 'Applies an open reclaim proposal now, before its grace period ends',
      tags,
      permission: 'quotas:write',
      response: ReclaimOut,
    },
    async ({ identity, params }) => review.apply(identity, params.id!),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/quotas/review/run',
      summary: 'Runs the utilisation review now (otherwise daily)',
      tags,
      permission: 'quotas:write',
      response: z.object({
        clouds: z.number().int(),
        judged: z.number().int(),
        notJudged: z.number().int().describe('projects whose samples do not cover the window yet'),
        proposed: z.number().int(),
        declinedRecently: z.number().int(),
        cancelled: z.number().int(),
        errors: z.array(z.object({ cloudId: z.string(), message: z.string() })),
      }),
    },
    async ({ identity }) => review.review(identity),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/quotas/showback',
      summary:
        'Monthly showback of an org unit (default the caller’s) and its children, each summing its subtree; CSV with format=csv or Accept: text/csv',
      tags,
      permission: 'quotas:read',
      query: z
        .object({ month: Month, orgUnit: OrgUnitId.optional(), format: z.enum(['json', 'csv']).optional() })
        .strict(),
      response: z.object({
        month: z.string(),
        currency: z.literal('CNY'),
        days: z.number().int().describe('days the averages divide by (days so far in the current month)'),
        items: z.array(
          z.object({
            orgUnitId: z.string(),
            name: z.string(),
            byClass: z.record(z.string(), ShowbackClassOut),
            total: z.number(),
          }),
        ),
      }),
    },
    async ({ c, identity, query }) => {
      const out = await review.showback(identity, query);
      const wantsCsv =
        query.format === 'csv' ||
        (query.format === undefined && /\btext\/csv\b/i.test(c.req.header('accept') ?? ''));
      if (!wantsCsv) return out;
      return new Response(showbackCsv(out), {
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'content-disposition': `attachment; filename="showback-${out.month}.csv"`,
        },
      });
    },
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/quotas/scorecards',
      summary: 'Monthly provider scorecard of each cloud whose owner unit is in the caller’s subtree',
      tags,
      permission: 'quotas:read',
      query: z.object({ month: Month }).strict(),
      response: z.object({
        month: z.string(),
        items: z.array(
          z.object({
            cloudId: z.string(),
            name: z.string(),
            availability: z
              .number()
              .nullable()
              .describe('mean of apiAvailability and agentAvailability (those known)'),
            apiAvailability: z
              .number()
              .nullable()
              .describe('share of reconcile passes that reached the cloud'),
            agentAvailability: z
              .number()
              .nullable()
              .describe('share of the hours in which the agents of the cloud’s hosts reported'),
            fulfilmentHoursMedian: z.number().nullable(),
            fulfilledRequests: z.number().int(),
            utilisation: z.record(z.string(), z.number()).describe('average used / average quota per class'),
            physicalEfficiency: z
              .record(z.string(), z.number())
              .describe('average physical / average used per class'),
            passes: z.number().int(),
            failedPasses: z.number().int(),
            drift: z.number().int(),
            errors: z.number().int(),
            score: z.number().nullable().describe('0–100, weights in docs/api-quotas.md'),
          }),
        ),
      }),
    },
    async ({ identity, query }) => review.scorecards(identity, query),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/quotas/projects/{id}/hosts',
      summary: 'The hosts whose agents measure a project’s physical usage',
      tags,
      permission: 'quotas:read',
      response: HostsOut,
    },
    async ({ identity, params }) => review.hosts(identity, params.id!),
  );
  r.define(
    {
      method: 'put',
      path: '/api/v1/quotas/projects/{id}/hosts',
      summary:
        'Sets the hosts whose agents measure a project’s physical usage (each in a cloud where the project holds quota)',
      tags,
      permission: 'quotas:write',
      body: z.object({ hostIds: z.array(Slug).max(500) }).strict(),
      response: HostsOut,
    },
    async ({ identity, params, body }) => review.setHosts(identity, params.id!, body.hostIds),
  );
}
