import { z } from 'zod';
import type { Router } from '../route.js';
import type { Services } from '../../services.js';
import { ORG_LEVELS, OrgUnitInput, OrgUnitPatch } from '../../inventory/org-units.js';

const OrgUnitOut = z.object({
  id: z.string(),
  parentId: z.string().nullable(),
  level: z.enum(ORG_LEVELS),
  name: z.string(),
  code: z.string().nullable(),
  path: z.string(),
});

export function orgUnitRoutes(r: Router, s: Services): void {
  r.define(
    {
      method: 'get',
      path: '/api/v1/org-units',
      summary: "The caller's org-unit subtree",
      tags: ['inventory'],
      permission: 'org-units:read',
      response: z.object({ items: z.array(OrgUnitOut) }),
    },
    async ({ identity }) => ({ items: await s.orgUnits.list(identity) }),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/org-units',
      summary: 'Create an org unit under one in the caller’s subtree',
      tags: ['inventory'],
      permission: 'org-units:write',
      status: 201,
      body: OrgUnitInput,
      response: OrgUnitOut,
    },
    async ({ identity, body }) => s.orgUnits.create(identity, body),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/org-units/{id}',
      summary: 'One org unit',
      tags: ['inventory'],
      permission: 'org-units:read',
      response: OrgUnitOut,
    },
    async ({ identity, params }) => s.orgUnits.get(identity, params.id!),
  );
  r.define(
    {
      method: 'patch',
      path: '/api/v1/org-units/{id}',
      summary: 'Rename an org unit or change its division code',
      tags: ['inventory'],
      permission: 'org-units:write',
      body: OrgUnitPatch,
      response: OrgUnitOut,
    },
    async ({ identity, params, body }) => s.orgUnits.update(identity, params.id!, body),
  );
  r.define(
    {
      method: 'delete',
      path: '/api/v1/org-units/{id}',
      summary: 'Delete a leaf org unit with no records',
      tags: ['inventory'],
      permission: 'org-units:write',
      status: 204,
    },
    async ({ identity, params }) => {
      await s.orgUnits.remove(identity, params.id!);
      return undefined;
    },
  );
}
