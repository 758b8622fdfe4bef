import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '../errors.js';
import { inScope, requirePermission, type Identity } from '../auth/identity.js';
import type { Queryable } from '../store/state/index.js';
import { parseCidr, type Cidr } from './cidr.js';
import { check, inTx, recordChange, requireOrgUnit, type InventoryDeps, type Page } from './common.js';
import { firstInScope, listInScope } from './crud.js';
import { OrgUnitId } from './org-units.js';

/** What a prefix is for: device management addresses, hosts (cloud and servers), internet egress. */
export const PREFIX_PURPOSES = ['management', 'hosts', 'egress'] as const;
export type PrefixPurpose = (typeof PREFIX_PURPOSES)[number];

const PrefixText = z
  .string()
  .trim()
  .max(64)
  .transform((s, ctx) => {
    const c = parseCidr(s);
    if (typeof c === 'string') {
      ctx.addIssue({ code: 'custom', message: c });
      return z.NEVER;
    }
    return c.text;
  });

export const PrefixInput = z
  .object({
    prefix: PrefixText,
    orgUnitId: OrgUnitId,
    purpose: z.enum(PREFIX_PURPOSES),
    description: z.string().trim().min(1).max(500).optional(),
  })
  .strict();
export type PrefixInput = z.input<typeof PrefixInput>;

/** Only the description changes; a different prefix or owner is a new delegation. */
export const PrefixPatch = z
  .object({ description: z.string().trim().min(1).max(500).nullable().optional() })
  .strict();
export type PrefixPatch = z.infer<typeof PrefixPatch>;

export const PrefixFilter = z
  .object({
    orgUnitId: OrgUnitId.optional(),
    purpose: z.enum(PREFIX_PURPOSES).optional(),
  })
  .strict();
export type PrefixFilter = z.infer<typeof PrefixFilter>;

export interface Prefix {
  id: string;
  prefix: string;
  orgUnitId: string;
  purpose: PrefixPurpose;
  description: string | null;
  family: 4 | 6;
}

interface Row {
  id: string;
  prefix: string;
  org_unit_id: string;
  purpose: PrefixPurpose;
  description: string | null;
  path: string;
}

const SELECT = `SELECT p.id::text AS id, p.prefix::text AS prefix, p.org_unit_id, p.purpose, p.description, u.path
  FROM ip_prefixes p JOIN org_units u ON u.id = p.org_unit_id`;

const toPrefix = (r: Row): Prefix => ({
  id: r.id,
  prefix: r.prefix,
  orgUnitId: r.org_unit_id,
  purpose: r.purpose,
  description: r.description,
  family: r.prefix.includes(':') ? 6 : 4,
});

/** `/sc/sc-cd/` → `/sc/`; the root's parent path is undefined. */
function parentPath(path: string): string | undefined {
  const parts = path.split('/').filter(Boolean);
  return parts.length > 1 ? `/${parts.slice(0, -1).join('/')}/` : undefined;
}

const lengthOf = (text: string) => Number(text.slice(text.indexOf('/') + 1));

/**
 * The IP prefix registry (IPAM): prefixes owned by org units, nested by delegation. The root unit
 * registers top-level space; every other prefix lies inside one of its own unit's prefixes
 * (subdividing) or of its parent unit's (a delegation, which only someone at the parent or above may
 * make). Prefixes of one purpose never partly overlap and are never registered twice.
 */
export class PrefixService {
  constructor(private readonly deps: InventoryDeps) {}

  async list(identity: Identity, filter: PrefixFilter = {}, page?: Page): Promise<Prefix[]> {
    requirePermission(identity, 'inventory:read');
    const f = check(PrefixFilter, filter, 'prefix filter');
    const rows = await listInScope<Row>(
      this.deps,
      identity,
      f,
      { select: SELECT, equals: { purpose: 'p.purpose' }, orderBy: 'p.purpose, p.prefix' },
      page,
    );
    return rows.map(toPrefix);
  }

  async get(identity: Identity, id: string, tx?: Queryable): Promise<Prefix> {
    requirePermission(identity, 'inventory:read');
    return toPrefix(await this.row(identity, id, tx ?? this.deps.db));
  }

  /** The prefix of that purpose and text when it is in scope (for idempotent loads). */
  async findByPrefix(
    identity: Identity,
    purpose: PrefixPurpose,
    prefix: string,
    tx?: Queryable,
  ): Promise<Prefix | undefined> {
    requirePermission(identity, 'inventory:read');
    const r = await (tx ?? this.deps.db).query<Row>(
      `${SELECT} WHERE p.purpose = $1 AND p.prefix = $2::cidr`,
      [purpose, prefix],
    );
    const row = firstInScope(identity, r.rows);
    return row && toPrefix(row);
  }

  async create(identity: Identity, input: PrefixInput, tx?: Queryable): Promise<Prefix> {
    requirePermission(identity, 'inventory:write');
    const v = check(PrefixInput, input, 'prefix');
    const cidr = parseCidr(v.prefix) as Cidr;
    return inTx(this.deps.db, tx, async (q) => {
      const path = await requireOrgUnit(this.deps.orgUnits, identity, v.orgUnitId, q);
      await this.checkPlacement(identity, v.orgUnitId, path, v.purpose, cidr, q);
      const id = randomUUID();
      await q.query(
        `INSERT INTO ip_prefixes (id, prefix, org_unit_id, purpose, description) VALUES ($1, $2::cidr, $3, $4, $5)`,
        [id, cidr.text, v.orgUnitId, v.purpose, v.description ?? null],
      );
      await recordChange(this.deps.audit, identity, q, 'prefix', 'create', id, v.orgUnitId, { ...v });
      return toPrefix(await this.row(identity, id, q));
    });
  }

  async update(identity: Identity, id: string, patch: PrefixPatch, tx?: Queryable): Promise<Prefix> {
    requirePermission(identity, 'inventory:write');
    const v = check(PrefixPatch, patch, 'prefix patch');
    return inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      if (v.description !== undefined) {
        await q.query('UPDATE ip_prefixes SET description = $2, updated_at = now() WHERE id = $1', [
          id,
          v.description,
        ]);
      }
      await recordChange(this.deps.audit, identity, q, 'prefix', 'update', id, before.org_unit_id, { ...v });
      return toPrefix(await this.row(identity, id, q));
    });
  }

  /**
   * Deletes a prefix that holds no delegations and no management address of its unit's devices.
   * Taking a delegation back is for the delegating unit: its operators (or those above) only.
   */
  async remove(identity: Identity, id: string, tx?: Queryable): Promise<void> {
    requirePermission(identity, 'inventory:write');
    await inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      const enclosing = await this.mostSpecificContaining(before.purpose, before.prefix, q, true);
      if (enclosing && enclosing.org_unit_id !== before.org_unit_id && !inScope(identity, enclosing.path)) {
        throw new NotAllowedError(
          `prefix ${before.prefix} was delegated to org unit "${before.org_unit_id}" by the unit above; only its operators can take it back`,
          { code: 'prefix.delegated' },
        );
      }
      if (!enclosing && identity.orgUnitPath.split('/').filter(Boolean).length > 1) {
        // A top-level prefix belongs to the root; only the root's operators remove it.
        throw new NotAllowedError(
          `prefix ${before.prefix} is top-level; only the root org unit's operators can remove it`,
          { code: 'prefix.delegated' },
        );
      }
      const inside = await q.query<{ prefix: string; org_unit_id: string }>(
        `SELECT prefix::text AS prefix, org_unit_id FROM ip_prefixes
          WHERE purpose = $1 AND prefix << $2::cidr ORDER BY prefix LIMIT 6`,
        [before.purpose, before.prefix],
      );
      if (inside.rowCount > 0) {
        const list = inside.rows.slice(0, 5).map((r) => `${r.prefix} (${r.org_unit_id})`);
        throw new ConflictError(
          `prefix ${before.prefix} still holds ${list.join(', ')}${inside.rowCount > 5 ? ' and more' : ''}; remove those first`,
          { code: 'prefix.not_empty' },
        );
      }
      if (before.purpose === 'management') {
        const devices = await q.query<{ id: string }>(
          `SELECT id FROM devices WHERE org_unit_id = $1 AND management_address::inet <<= $2::cidr
            ORDER BY id LIMIT 6`,
          [before.org_unit_id, before.prefix],
        );
        if (devices.rowCount > 0) {
          const ids = devices.rows.slice(0, 5).map((d) => d.id);
          throw new ConflictError(
            `prefix ${before.prefix} holds the management address of devices ${ids.join(', ')}${devices.rowCount > 5 ? ' and more' : ''}; move them first`,
            { code: 'prefix.not_empty' },
          );
        }
      }
      await q.query('DELETE FROM ip_prefixes WHERE id = $1', [id]);
      await recordChange(this.deps.audit, identity, q, 'prefix', 'delete', id, before.org_unit_id, {
        prefix: before.prefix,
        purpose: before.purpose,
      });
    });
  }

  /**
   * Where a new prefix may go. Messages name only the caller's own units and what the caller can see,
   * so a prefix registered outside the caller's scope looks exactly like space nobody registered.
   */
  private async checkPlacement(
    identity: Identity,
    orgUnitId: string,
    path: string,
    purpose: PrefixPurpose,
    cidr: Cidr,
    q: Queryable,
  ): Promise<void> {
    const parent = parentPath(path);
    const parentId = parent?.split('/').filter(Boolean).pop();
    const enclosing = await this.mostSpecificContaining(purpose, cidr.text, q, false);
    if (enclosing && lengthOf(enclosing.prefix) === cidr.length && inScope(identity, enclosing.path)) {
      throw new ConflictError(
        `prefix: ${cidr.text} is already registered for ${purpose} (org unit "${enclosing.org_unit_id}")`,
        { code: 'prefix.overlaps' },
      );
    }
    const ownedBySelf = enclosing !== undefined && enclosing.org_unit_id === orgUnitId;
    const ownedByParent = enclosing !== undefined && parent !== undefined && enclosing.path === parent;
    const canDelegate = inScope(identity, parent ?? path);
    const equal = enclosing !== undefined && lengthOf(enclosing.prefix) === cidr.length;
    if (!canDelegate && (!ownedBySelf || equal)) {
      throw new InputError(
        `prefix: ${cidr.text} is not inside a ${purpose} prefix of org unit "${orgUnitId}"; new address space is delegated by the unit above`,
        { code: 'prefix.outside_delegation' },
      );
    }
    if (canDelegate) {
      if (parent === undefined) {
        // The root: top-level space, or a subdivision of its own.
        if (enclosing && (!ownedBySelf || equal)) {
          throw new ConflictError(
            `prefix: ${cidr.text} overlaps ${enclosing.prefix} of org unit "${enclosing.org_unit_id}"`,
            { code: 'prefix.overlaps' },
          );
        }
      } else if (!enclosing || equal || (!ownedBySelf && !ownedByParent)) {
        throw new InputError(
          `prefix: ${cidr.text} is not inside a ${purpose} prefix of org unit "${parentId}" (to delegate) or of "${orgUnitId}" (to subdivide)`,
          { code: 'prefix.outside_delegation' },
        );
      }
    }
    // Prefixes already inside the new one must belong to the unit or to its children, so that the
    // chain of delegations stays one level at a time.
    const inside = await q.query<{ prefix: string; org_unit_id: string; path: string }>(
      `SELECT p.prefix::text AS prefix, p.org_unit_id, u.path FROM ip_prefixes p JOIN org_units u ON u.id = p.org_unit_id
        WHERE p.purpose = $1 AND p.prefix << $2::cidr ORDER BY p.prefix`,
      [purpose, cidr.text],
    );
    for (const r of inside.rows) {
      if (r.org_unit_id !== orgUnitId && parentPath(r.path) !== path) {
        const who = inScope(identity, r.path) ? `org unit "${r.org_unit_id}"` : 'another org unit';
        throw new ConflictError(`prefix: ${cidr.text} would contain ${r.prefix} of ${who}`, {
          code: 'prefix.overlaps',
        });
      }
    }
  }

  /** The longest prefix of the purpose containing `prefix` (or equal to it unless `strict`). */
  private async mostSpecificContaining(
    purpose: PrefixPurpose,
    prefix: string,
    q: Queryable,
    strict: boolean,
  ): Promise<{ prefix: string; org_unit_id: string; path: string } | undefined> {
    const r = await q.query<{ prefix: string; org_unit_id: string; path: string }>(
      `SELECT p.prefix::text AS prefix, p.org_unit_id, u.path FROM ip_prefixes p JOIN org_units u ON u.id = p.org_unit_id
        WHERE p.purpose = $1 AND p.prefix ${strict ? '>>' : '>>='} $2::cidr
        ORDER BY masklen(p.prefix) DESC LIMIT 1`,
      [purpose, prefix],
    );
    return r.rows[0];
  }

  private async row(identity: Identity, id: string, q: Queryable): Promise<Row> {
    if (!z.uuid().safeParse(id).success) throw new NotFoundError(`prefix "${id}" not found`);
    const r = await q.query<Row>(`${SELECT} WHERE p.id = $1`, [id]);
    const row = firstInScope(identity, r.rows);
    if (!row) throw new NotFoundError(`prefix "${id}" not found`);
    return row;
  }
}

/**
 * Throws unless `address` lies in a management prefix owned by `orgUnitId` itself, with no more
 * specific management prefix of another unit around it. The message is the same whether the address
 * is unregistered or another unit's, so it tells nothing about other units' space.
 */
export async function assertManagementAddress(
  q: Queryable,
  orgUnitId: string,
  address: string,
  field = 'managementAddress',
): Promise<void> {
  const owner = await managementOwner(q, address);
  if (owner !== orgUnitId) {
    throw new InputError(
      `${field}: ${address} is not in a management prefix of org unit "${orgUnitId}"; the unit above delegates management prefixes (POST /api/v1/inventory/prefixes)`,
      { code: 'prefix.outside_delegation' },
    );
  }
}

/** The org unit owning the most specific management prefix around `address`, if any. */
export async function managementOwner(q: Queryable, address: string): Promise<string | undefined> {
  const r = await q.query<{ org_unit_id: string }>(
    `SELECT org_unit_id FROM ip_prefixes WHERE purpose = 'management' AND prefix >>= $1::inet
      ORDER BY masklen(prefix) DESC LIMIT 1`,
    [address],
  );
  return r.rows[0]?.org_unit_id;
}

/** The SQL condition "device d's management address lies in a management prefix of its own unit". */
export const MANAGED_ADDRESS_SQL = `(SELECT p.org_unit_id FROM ip_prefixes p
    WHERE p.purpose = 'management' AND p.prefix >>= d.management_address::inet
    ORDER BY masklen(p.prefix) DESC LIMIT 1) = d.org_unit_id`;
