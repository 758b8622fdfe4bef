import { z } from 'zod';
import { PERMISSIONS } from '../auth/permissions.js';
import { policyRef } from './ref.js';

const RoleName = z.string().regex(/^[a-z][a-z0-9-]{1,40}$/, 'role names are lowercase words joined by "-"');

export const RolesPolicy = z
  .object({
    roles: z
      .record(
        RoleName,
        z
          .object({
            description: z.string().min(1).max(500),
            permissions: z
              .array(z.union([z.literal('*'), z.enum(PERMISSIONS)]))
              .min(1, 'a role must grant at least one permission'),
          })
          .strict(),
      )
      .refine((r) => 'admin' in r, 'the role "admin" must be defined'),
  })
  .strict();
export type RolesPolicy = z.infer<typeof RolesPolicy>;

/** The core's policy file; modules declare theirs in their definitions. */
export const ROLES_POLICY = policyRef('roles.yaml', RolesPolicy);
