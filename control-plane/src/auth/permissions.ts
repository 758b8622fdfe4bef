/**
 * Every permission Tianshu knows. Roles in `policies/roles.yaml` grant lists of these; `*` grants all.
 * Names are `<area>:<verb>`; `read` lets a caller see records of its org-unit subtree, `write` change them.
 */
export const PERMISSIONS = [
  'org-units:read',
  'org-units:write',
  'users:read',
  'users:write',
  'tokens:write',
  'audit:read',
  'inventory:read',
  'inventory:write',
  'fleet:read',
  'fleet:write',
  'telemetry:read',
  'network:read',
  'network:write',
  'flows:read',
  'ipv6:read',
  'ipv6:write',
  'quotas:read',
  'quotas:apply',
  'quotas:write',
  'quotas:approve',
  'backups:read',
  'backups:write',
  'security:read',
  'security:write',
  'policies:read',
  'policies:write',
  'metrics:read',
  'system:read',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

export function isPermission(p: string): p is Permission {
  return (PERMISSIONS as readonly string[]).includes(p);
}
