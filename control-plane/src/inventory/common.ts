import { isIP } from 'node:net';
import { z } from 'zod';
import { findUnsafeValue } from '@tianshu/protocol';
import { ConflictError, InputError, NotFoundError, zodDetails } from '../errors.js';
import type { AuditLog } from '../auth/audit.js';
import type { Identity } from '../auth/identity.js';
import type { Queryable, StateStore } from '../store/state/index.js';
import type { OrgUnitService } from './org-units.js';

/** Operator-given ids of sites, devices, clouds, hosts and dedicated networks: slugs like org units. */
export const Slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'ids are lowercase letters, digits and "-", up to 63 characters');

/** Server-made ids of interfaces and links. */
export const Uuid = z.uuid('must be a UUID');

/** An IPv4 or IPv6 address, checked with `node:net`. */
export const IpAddress = z.string().refine((s) => isIP(s) !== 0 && !s.includes('%'), {
  error: (i) => `"${String(i.input)}" is not an IPv4 or IPv6 address (without a zone)`,
});

export const Name = z.string().trim().min(1).max(200);

/** What every inventory service is built from. */
export interface InventoryDeps {
  db: StateStore;
  audit: AuditLog;
  orgUnits: OrgUnitService;
}

/** Paging for lists: at most `limit` items after skipping `offset`. */
export interface Page {
  limit?: number | undefined;
  offset?: number | undefined;
}

export const DEFAULT_LIMIT = 1000;
export const MAX_LIMIT = 5000;

export function pageClause(page: Page | undefined, params: unknown[]): string {
  const limit = Math.min(Math.max(page?.limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
  const offset = Math.max(page?.offset ?? 0, 0);
  params.push(limit, offset);
  return ` LIMIT $${params.length - 1} OFFSET $${params.length}`;
}

/**
 * Validates a service input against its schema; the InputError names the kind and the field
 * (`device is not valid: managementAddress: "999.1.1.1" is not an IPv4 or IPv6 address`).
 */
export function check<T>(schema: z.ZodType<T>, raw: unknown, what: string): T {
  const bad = findUnsafeValue(raw);
  if (bad) throw new InputError(`${what} is not valid: ${bad.path}: ${bad.message}`, [bad]);
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const details = zodDetails(r.error.issues);
  throw new InputError(
    `${what} is not valid: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
    details,
  );
}

/** Runs `fn` in the caller's transaction when given, otherwise in a new one. */
export function inTx<T>(
  db: StateStore,
  tx: Queryable | undefined,
  fn: (q: Queryable) => Promise<T>,
): Promise<T> {
  return tx ? fn(tx) : db.transaction(fn);
}

/** Throws ConflictError naming what still refers to a record about to be deleted. */
export function assertUnreferenced(what: string, refs: { kind: string; ids: string[] }[]): void {
  const used = refs.filter((r) => r.ids.length > 0);
  if (!used.length) return;
  const list = used
    .map(
      (r) =>
        `${r.kind} ${r.ids.slice(0, 5).join(', ')}${r.ids.length > 5 ? ` and ${r.ids.length - 5} more` : ''}`,
    )
    .join('; ');
  throw new ConflictError(`${what} is still referred to by ${list}; remove or move them first`, {
    code: 'conflict.in_use',
  });
}

/**
 * The SQL condition and parameter for "org unit path in the caller's subtree", narrowed to the subtree
 * of `orgUnitId` when a list filter names one (which must itself be in scope).
 */
export async function scopePrefix(
  orgUnits: OrgUnitService,
  identity: Identity,
  orgUnitId: string | undefined,
  q?: Queryable,
): Promise<string> {
  if (!orgUnitId) return identity.orgUnitPath;
  return orgUnits.assertInScope(identity, orgUnitId, q);
}

/** Throws NotFoundError with the field name when an org unit is missing or outside the caller's scope. */
export async function requireOrgUnit(
  orgUnits: OrgUnitService,
  identity: Identity,
  orgUnitId: string,
  q: Queryable,
  field = 'orgUnitId',
): Promise<string> {
  try {
    return await orgUnits.assertInScope(identity, orgUnitId, q);
  } catch (err) {
    if (err instanceof NotFoundError) throw new NotFoundError(`${field}: org unit "${orgUnitId}" not found`);
    throw err;
  }
}

/**
 * Builds `SET col = $n, ...` from a patch: keys that are `undefined` are left alone, `null` clears the
 * column. Returns an empty string when nothing changes.
 */
export function setClause(
  patch: Record<string, unknown>,
  columns: Record<string, string>,
  params: unknown[],
): string {
  const sets: string[] = [];
  for (const [key, column] of Object.entries(columns)) {
    const v = patch[key];
    if (v === undefined) continue;
    params.push(v);
    sets.push(`${column} = $${params.length}`);
  }
  return sets.join(', ');
}

/** Records one inventory change in the audit log inside the change's transaction. */
export function recordChange(
  audit: AuditLog,
  identity: Identity,
  q: Queryable,
  kind: string,
  verb: 'create' | 'update' | 'delete',
  id: string,
  orgUnitId: string,
  details: Record<string, unknown> = {},
): Promise<void> {
  return audit.record(
    identity,
    { action: `${kind}.${verb}`, targetType: kind, targetId: id, orgUnitId, details },
    q,
  );
}
