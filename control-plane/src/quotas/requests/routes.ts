import { z } from 'zod';
import type { Router } from '../../api/route.js';
import { ORG_LEVELS, OrgUnitId } from '../../inventory/org-units.js';
import { SYNC_STATES } from '../types.js';
import type { QuotasModule } from '../module.js';
import { REQUEST_STATUSES, STEP_STATES, TIMELINE_KINDS, type RequestStatus } from './model.js';

const tags = ['quotas'];

const ClassId = z.string().max(63);
const AmountsIn = z
  .record(ClassId, z.number())
  .refine((a) => Object.keys(a).length <= 64, { message: 'at most 64 classes' })
  .describe('resource class id → amount in the class’s unit (above zero; whole where the class is)');
const AmountsOut = z.record(z.string(), z.number());
const ProjectId = z
  .string()
  .trim()
  .regex(
    /^[a-z0-9]([a-z0-9-]{0,58}[a-z0-9])?$/,
    'a project id is 1–60 lowercase letters, digits and "-", starting and ending with a letter or digit',
  );

const Step = z.object({
  level: z.number().int().describe('the step’s position in the chain, 1 first'),
  approverLevel: z
    .enum(ORG_LEVELS)
    .nullable()
    .describe('the level the approver’s unit must be at (or above); null on the automatic approval'),
  orgUnitId: z.string().nullable().describe('the unit that must act (its subtree holds the request)'),
  orgUnitName: z.string().nullable(),
  state: z.enum(STEP_STATES),
  by: z.string().nullable(),
  at: z.string().nullable(),
  comment: z.string().nullable().describe('the approver’s comment, or the reason of a rejection'),
});
const RequestError = z
  .object({
    kind: z
      .string()
      .describe(
        '`allocation` (the ledger refused at approval), `release` (at expiry), or the cloud error’s kind',
      ),
    code: z.string().nullable().describe('the API error code of a refusal'),
    message: z.string(),
    at: z.string(),
  })
  .nullable();
export const RequestOut = z.object({
  id: z.string(),
  cloudId: z.string(),
  projectId: z.string(),
  newProject: z
    .object({ name: z.string() })
    .nullable()
    .describe('the project the approval creates (null: an existing project)'),
  orgUnitId: z.string().describe('the project’s unit'),
  orgUnitName: z.string(),
  applicant: z.string(),
  amounts: AmountsOut.describe('what is allocated: the package × quantity plus extraAmounts'),
  extraAmounts: AmountsOut,
  package: z.string().nullable(),
  quantity: z.number().int().nullable(),
  monthlyCost: z.number().describe('CNY per month by the price list'),
  justification: z.string(),
  durationDays: z.number().int(),
  status: z.enum(REQUEST_STATUSES),
  steps: z.array(Step),
  createdAt: z.string(),
  decidedAt: z.string().nullable(),
  enforcedAt: z.string().nullable(),
  expiresAt: z.string().nullable(),
  error: RequestError.describe(
    'why it waits or is not enforced yet: a refused allocation, a cloud error (the request stays approved), a failed release',
  ),
});
const SyncStatusOut = z.object({
  projectId: z.string(),
  cloudId: z.string(),
  state: z.enum(SYNC_STATES),
  appliedVersion: z.number(),
  error: z.object({ kind: z.string(), message: z.string(), at: z.string() }).nullable(),
  drift: z.object({ found: AmountsOut, expected: AmountsOut, at: z.string() }).nullable(),
  checkedAt: z.string().nullable(),
});
const RequestDetailOut = RequestOut.extend({
  timeline: z.array(
    z.object({
      at: z.string(),
      actor: z.string(),
      kind: z.enum(TIMELINE_KINDS),
      step: z.number().int().nullable(),
      from: z.enum(REQUEST_STATUSES).nullable(),
      to: z.enum(REQUEST_STATUSES).nullable(),
      text: z.string().nullable(),
    }),
  ),
  enforcement: z.object({
    version: z.number().int().nullable().describe('the project’s desired version the allocation produced'),
    applied: z.boolean().describe('whether the cloud has applied that version'),
    sync: SyncStatusOut.nullable(),
  }),
});

const statusList = z
  .string()
  .max(200)
  .refine((s) => s.split(',').every((v) => (REQUEST_STATUSES as readonly string[]).includes(v)), {
    message: `statuses, comma-separated, of: ${REQUEST_STATUSES.join(', ')}`,
  })
  .optional()
  .describe(`statuses, comma-separated, of: ${REQUEST_STATUSES.join(', ')}`);

/**
 * Requests under /api/v1/quotas/requests: apply (`quotas:apply`), the list and one request with its
 * timeline and enforcement (`quotas:read`, the subtree rule: out of scope reads as absent), approve
 * and reject (`quotas:approve`), withdraw (the applicant). Every change is audited.
 */
export function requestRoutes(r: Router, svc: QuotasModule): void {
  const q = svc.requests;
  r.define(
    {
      method: 'post',
      path: '/api/v1/quotas/requests',
      summary:
        'Applies for resources on a cloud (a catalogue package × quantity and/or amounts per class) for an existing or a new project',
      tags,
      permission: 'quotas:apply',
      status: 201,
      body: z
        .object({
          cloudId: z.string().max(63),
          projectId: ProjectId.optional(),
          newProject: z
            .object({
              id: ProjectId,
              name: z.string().trim().min(1).max(200),
              orgUnitId: OrgUnitId.optional().describe('the unit it belongs to (default the caller’s)'),
            })
            .strict()
            .optional(),
          package: z.string().max(63).optional().describe('a catalogue package id'),
          quantity: z.number().optional().describe('how many packages (default 1)'),
          amounts: AmountsIn.optional(),
          justification: z.string().trim().min(1, 'a justification is required').max(4000),
          durationDays: z.number().describe('at most the policy’s requests.maxDurationDays'),
        })
        .strict(),
      response: RequestDetailOut,
    },
    async ({ identity, body }) => q.apply(identity, body),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/quotas/requests',
      summary:
        "Requests in the caller's org units, newest first; mine=true the caller's own, awaiting=me the approval inbox",
      tags,
      permission: 'quotas:read',
      query: z
        .object({
          status: statusList,
          mine: z.enum(['true', 'false']).optional(),
          awaiting: z
            .enum(['me'])
            .optional()
            .describe('pending requests whose current step the caller may decide'),
          orgUnit: OrgUnitId.optional().describe('this unit’s subtree only'),
          cloud: z.string().max(63).optional(),
          limit: z.coerce.number().int().min(1).max(500).optional(),
          cursor: z.string().max(200).optional(),
        })
        .strict(),
      response: z.object({ items: z.array(RequestOut), nextCursor: z.string().nullable() }),
    },
    async ({ identity, query }) =>
      q.list(identity, {
        status: query.status ? (query.status.split(',') as RequestStatus[]) : undefined,
        mine: query.mine === 'true',
        awaiting: query.awaiting,
        orgUnit: query.orgUnit,
        cloud: query.cloud,
        limit: query.limit,
        cursor: query.cursor,
      }),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/quotas/requests/{id}',
      summary: 'One request with its approval steps, timeline and enforcement on the cloud',
      tags,
      permission: 'quotas:read',
      response: RequestDetailOut,
    },
    async ({ identity, params }) => q.get(identity, params.id!),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/quotas/requests/{id}/approve',
      summary:
        'Approves the current step (the caller’s unit at its level or higher); the last step allocates in the same transaction',
      tags,
      permission: 'quotas:approve',
      body: z.object({ comment: z.string().max(4000).optional() }).strict(),
      response: RequestDetailOut,
    },
    async ({ identity, params, body }) => q.approve(identity, params.id!, body.comment),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/quotas/requests/{id}/reject',
      summary: 'Rejects the request at its current step, with the reason',
      tags,
      permission: 'quotas:approve',
      body: z.object({ reason: z.string().trim().min(1, 'a reason is required').max(4000) }).strict(),
      response: RequestDetailOut,
    },
    async ({ identity, params, body }) => q.reject(identity, params.id!, body.reason),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/quotas/requests/{id}/withdraw',
      summary: 'The applicant withdraws their pending request',
      tags,
      permission: 'quotas:apply',
      body: z.object({ reason: z.string().max(4000).optional() }).strict(),
      response: RequestDetailOut,
    },
    async ({ identity, params, body }) => q.withdraw(identity, params.id!, body.reason),
  );
}
