import { z } from 'zod';
import { PERMISSIONS } from '../auth/permissions.js';
import { NotificationsPolicy } from '../alerting/policy.js';
import { NetworkPolicy } from '../network/policy.js';

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

/** Every policy file the control plane knows, by file name. Later capabilities add entries. */
export const POLICY_FILES = {
  'roles.yaml': RolesPolicy,
  'notifications.yaml': NotificationsPolicy,
  'network.yaml': NetworkPolicy,
} as const;

export type PolicyFileName = keyof typeof POLICY_FILES;
export interface Policies {
  'roles.yaml': RolesPolicy;
  'notifications.yaml': NotificationsPolicy;
  'network.yaml': NetworkPolicy;
}
