import { z } from 'zod';
import type { Router } from '../../api/route.js';
import { OrgUnitId } from '../../inventory/org-units.js';
import type { QuotasModule } from '../module.js';
import { SYNC_STATES } from '../types.js';

const tags = ['quotas'];
const BASE = '/api/v1/quotas';

const AmountsOut = z.record(z.string(), z.number()).describe('per resource class id, in the class’s unit');
const AmountsIn = z
  .record(z.string(), z.number())
  .describe(
    'per resource class id (policies/quotas.yaml), in the class’s unit; whole units where the class says so',
  );

/** One node; `children` are nodes of this same shape (documented one level deep: the generator does not follow recursion). */
const TreeNodeOut = z.object({
  kind: z.enum(['org-unit', 'project']),
  id: z.string(),
  name: z.string(),
  orgUnitId: z.string(),
  quota: AmountsOut.describe(
    'its own quota: an org unit’s on the cloud(s) (the allocatable for the cloud’s owner without one), a project’s',
  ),
  allocatedToChildren: AmountsOut.describe('what its sub-units and projects have taken of it'),
  used: AmountsOut.describe('what the clouds report as used by the projects below'),
  physical: AmountsOut.describe('what is measured in use by the projects below'),
  children: z
    .array(z.record(z.string(), z.unknown()))
    .describe('nodes of this same shape: sub-units first, then projects'),
});
const TreeOut = z.object({
  cloudId: z.string().nullable().describe('the cloud asked for; null: every cloud the caller sees, summed'),
  clouds: z.array(z.string()),
  classes: z.array(z.string()),
  root: TreeNodeOut,
});

const ProjectOut = z.object({
  id: z.string(),
  orgUnitId: z.string(),
  orgUnitName: z.string(),
  orgPath: z.string(),
  name: z.string(),
  externalName: z.string().describe('the namespace / OpenStack project name on every cloud (DNS-1123 label)'),
  createdBy: z.string(),
  createdAt: z.string(),
  clouds: z.array(z.string()).describe('clouds the project holds quota on'),
});
const SyncOut = z.object({
  projectId: z.string(),
  cloudId: z.string(),
  state: z.enum(SYNC_STATES),
  appliedVersion: z.number(),
  error: z.object({ kind: z.string(), message: z.string(), at: z.string() }).nullable(),
  drift: z.object({ found: AmountsOut, expected: AmountsOut, at: z.string() }).nullable(),
  checkedAt: z.string().nullable(),
});
const ProjectDetailOut = ProjectOut.extend({
  quotas: z.array(
    z.object({
      cloudId: z.string(),
      cloudName: z.string(),
      version: z
        .number()
        .describe('the desired version: incremented by every change of the quota on the cloud'),
      quota: AmountsOut,
      used: AmountsOut,
      physical: AmountsOut,
      sync: SyncOut.nullable().describe(
        'how far the desired version has reached the cloud (null: not yet known)',
      ),
    }),
  ),
});

const ProjectInput = z
  .object({
    id: z
      .string()
      .regex(
        /^[a-z0-9]([a-z0-9-]{0,58}[a-z0-9])?$/,
        'a project id is 1–60 lowercase letters, digits and "-", starting and ending with a letter or digit',
      )
      .describe('becomes the external name ts-<id> on the clouds'),
    orgUnitId: OrgUnitId,
    name: z.string().trim().min(1).max(200),
  })
  .strict();

const OrgUnitQuotaInput = z
  .object({
    cloudId: z.string().min(1).max(63),
    orgUnitId: OrgUnitId,
    amounts: AmountsIn,
    reason: z.string().trim().max(500).optional().describe('recorded in the change log and the audit'),
  })
  .strict();

/** The quota tree's routes (contract B): the tree, projects, org-unit quotas. */
export function treeRoutes(r: Router, svc: QuotasModule): void {
  const tree = svc.tree;
  r.define(
    {
      method: 'get',
      path: `${BASE}/tree`,
      summary:
        'The quota tree of the caller’s org units (or of root): quota, allocated to children, used and physically used per node, on one cloud or summed over every cloud the caller sees',
      tags,
      permission: 'quotas:read',
      query: z
        .object({
          cloud: z
            .string()
            .max(63)
            .optional()
            .describe('one cloud; absent: every cloud the caller sees, summed'),
          root: z
            .string()
            .max(63)
            .optional()
            .describe('an org unit of the caller’s subtree (default: the caller’s)'),
        })
        .strict(),
      response: TreeOut,
    },
    async ({ identity, query }) => tree.tree(identity, { cloudId: query.cloud, root: query.root }),
  );
  r.define(
    {
      method: 'get',
      path: `${BASE}/projects`,
      summary:
        'Projects of the caller’s org units (or of orgUnit’s subtree), optionally those with quota on a cloud',
      tags,
      permission: 'quotas:read',
      query: z
        .object({
          orgUnit: z.string().max(63).optional(),
          cloud: z.string().max(63).optional(),
        })
        .strict(),
      response: z.object({ items: z.array(ProjectOut) }),
    },
    async ({ identity, query }) => ({
      items: await tree.listProjects(identity, { orgUnitId: query.orgUnit, cloudId: query.cloud }),
    }),
  );
  r.define(
    {
      method: 'post',
      path: `${BASE}/projects`,
      summary:
        'Create a project of an org unit in the caller’s subtree (it holds quota once a request is approved)',
      tags,
      permission: 'quotas:apply',
      body: ProjectInput,
      response: ProjectOut,
      status: 201,
    },
    async ({ c, identity, body }) => c.json(await tree.createProject(identity, body), 201),
  );
  r.define(
    {
      method: 'get',
      path: `${BASE}/projects/{id}`,
      summary:
        'One project with its quota, usage and sync status per cloud (absent and out of scope read the same)',
      tags,
      permission: 'quotas:read',
      response: ProjectDetailOut,
    },
    async ({ identity, params }) => {
      const p = await tree.getProject(identity, params.id!);
      const quotas = [];
      for (const q of p.quotas) {
        const status = await svc.reconcile.status(q.cloudId, [p.id]);
        quotas.push({ ...q, sync: status.get(p.id) ?? null });
      }
      return { ...p, quotas };
    },
  );
  r.define(
    {
      method: 'put',
      path: `${BASE}/org-unit-quotas`,
      summary:
        'Set an org unit’s quota on a cloud (classes not named keep theirs); refused with the reason when it breaks an invariant',
      tags,
      permission: 'quotas:write',
      body: OrgUnitQuotaInput,
      response: z.object({ cloudId: z.string(), orgUnitId: z.string(), amounts: AmountsOut }),
    },
    async ({ identity, body }) => tree.setOrgUnitQuota(identity, body),
  );
}
