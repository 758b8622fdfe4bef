import { NotAllowedError } from '../errors.js';
import type { Permission } from './permissions.js';

/** Who is calling: a console user, an API token (acting as its user), an agent, or the system. */
export interface Identity {
  kind: 'user' | 'token' | 'agent' | 'system';
  /** User id, token id or agent id. */
  id: string;
  /** Shown in the audit log. */
  name: string;
  /** The user behind a session or API token. */
  userId?: string | undefined;
  roles: string[];
  permissions: ReadonlySet<Permission | '*'>;
  /** The org unit the caller is bound to; it sees this unit and everything below it. */
  orgUnitId: string;
  /** Materialized path of that unit, e.g. `/sc/sc-cd/`; scoping compares prefixes of it. */
  orgUnitPath: string;
  sourceIp?: string | undefined;
  /** The server's own id of the request. */
  requestId?: string | undefined;
  /** The `X-Request-Id` the client sent, when it sent a well-formed one; recorded beside ours. */
  clientRequestId?: string | undefined;
  /** For sessions: the CSRF token the console must echo on changes. */
  csrfToken?: string | undefined;
}

export function can(identity: Identity, permission: Permission): boolean {
  return identity.permissions.has('*') || identity.permissions.has(permission);
}

/** Throws NotAllowedError naming the missing permission. */
export function requirePermission(identity: Identity, permission: Permission): void {
  if (!can(identity, permission)) {
    throw permissionDenied(permission);
  }
}

/** The answer to a caller without `permission` (403 `permission.denied`, the permission as a param). */
export function permissionDenied(permission: string): NotAllowedError {
  const message = `permission "${permission}" is required`;
  return new NotAllowedError(message, [{ path: '(permission)', message, params: { permission } }]);
}

/** True when `path` (an org unit's materialized path) lies in the caller's subtree. */
export function inScope(identity: Identity, path: string | null | undefined): boolean {
  return typeof path === 'string' && path.startsWith(identity.orgUnitPath);
}

/** The identity of the control plane itself, for start-up work (bootstrap, inventory file). */
export function systemIdentity(rootPath = '/'): Identity {
  return {
    kind: 'system',
    id: 'system',
    name: 'system',
    roles: ['admin'],
    permissions: new Set(['*']),
    orgUnitId: '',
    orgUnitPath: rootPath,
  };
}
