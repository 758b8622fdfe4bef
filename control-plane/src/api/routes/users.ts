import { z } from 'zod';
import type { Router } from '../route.js';
import type { Services } from '../../services.js';
import { UserInput, UserPatch } from '../../auth/service.js';

const UserOut = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  roles: z.array(z.string()),
  orgUnitId: z.string(),
  disabled: z.boolean(),
  createdAt: z.string(),
});

export function userRoutes(r: Router, s: Services): void {
  r.define(
    {
      method: 'get',
      path: '/api/v1/users',
      summary: "Users in the caller's org-unit subtree",
      tags: ['users'],
      permission: 'users:read',
      response: z.object({ items: z.array(UserOut) }),
    },
    async ({ identity }) => ({ items: await s.auth.listUsers(identity) }),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/users',
      summary: 'Create a user bound to an org unit in the caller’s subtree',
      tags: ['users'],
      permission: 'users:write',
      status: 201,
      body: UserInput,
      response: UserOut,
    },
    async ({ identity, body }) => s.auth.createUser(identity, body),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/users/{id}',
      summary: 'One user',
      tags: ['users'],
      permission: 'users:read',
      response: UserOut,
    },
    async ({ identity, params }) => s.auth.getUser(identity, params.id!),
  );
  r.define(
    {
      method: 'patch',
      path: '/api/v1/users/{id}',
      summary: 'Change a user (name, password, roles, disabled)',
      tags: ['users'],
      permission: 'users:write',
      body: UserPatch,
      response: UserOut.extend({
        revoked: z
          .object({ apiTokens: z.number().int(), sessions: z.number().int() })
          .optional()
          .describe('After a new password or disabling: API tokens revoked and other sessions ended'),
      }),
    },
    async ({ c, identity, params, body }) =>
      s.auth.updateUser(identity, params.id!, body, { sessionId: c.get('sessionId') }),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/users/{id}/unlock',
      summary: 'Clear a user’s login lock and failed-login counts (audited)',
      tags: ['users'],
      permission: 'users:write',
      response: z.object({ unlocked: z.boolean().describe('Whether the username was locked') }),
    },
    async ({ identity, params }) => s.auth.unlockUser(identity, params.id!),
  );
  r.define(
    {
      method: 'delete',
      path: '/api/v1/users/{id}/totp',
      summary: 'Remove a user’s TOTP second factor, e.g. after a lost phone (audited)',
      tags: ['users'],
      permission: 'users:write',
      response: z.object({ removed: z.boolean().describe('Whether the user had one') }),
    },
    async ({ identity, params }) => s.auth.resetTotp(identity, params.id!),
  );
  r.define(
    {
      method: 'delete',
      path: '/api/v1/users/{id}',
      summary: 'Delete a user',
      tags: ['users'],
      permission: 'users:write',
      status: 204,
    },
    async ({ identity, params }) => {
      await s.auth.deleteUser(identity, params.id!);
      return undefined;
    },
  );
}
