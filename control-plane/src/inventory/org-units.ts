import { z } from 'zod';
import { ConflictError, InputError, NotFoundError, notAvailable } from '../errors.js';
import type { AuditLog } from '../auth/audit.js';
import { inScope, requirePermission, type Identity } from '../auth/identity.js';
import type { Queryable, StateStore } from '../store/state/index.js';

export const ORG_LEVELS = ['province', 'city', 'county', 'township', 'village'] as const;
export type OrgLevel = (typeof ORG_LEVELS)[number];

export const OrgUnitId = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,62}$/,
    'org unit ids are lowercase letters, digits and "-", up to 63 characters',
  );

export const OrgUnitInput = z
  .object({
    id: OrgUnitId,
    parentId: OrgUnitId.nullable().optional(),
    level: z.enum(ORG_LEVELS),
    name: z.string().min(1).max(200),
    code: z
      .string()
      .regex(/^[0-9]{6,12}$/, 'code is the 6–12 digit administrative division code')
      .optional(),
  })
  .strict();
export type OrgUnitInput = z.infer<typeof OrgUnitInput>;

export const OrgUnitPatch = z
  .object({
    name: z.string().min(1).max(200).optional(),
    code: z
      .string()
      .regex(/^[0-9]{6,12}$/, 'code is the 6–12 digit administrative division code')
      .nullable()
      .optional(),
  })
  .strict();
export type OrgUnitPatch = z.infer<typeof OrgUnitPatch>;

export interface OrgUnit {
  id: string;
  parentId: string | null;
  level: OrgLevel;
  name: string;
  code: string | null;
  path: string;
}

interface Row {
  id: string;
  parent_id: string | null;
  level: OrgLevel;
  name: string;
  code: string | null;
  path: string;
}

const toUnit = (r: Row): OrgUnit => ({
  id: r.id,
  parentId: r.parent_id,
  level: r.level,
  name: r.name,
  code: r.code,
  path: r.path,
});

/**
 * The administrative hierarchy: province → city → county → township → village. Each unit stores its
 * materialized path (`/sc/sc-cd/sc-cd-jj/`), so "in the caller's subtree" is one prefix comparison.
 */
export class OrgUnitService {
  /**
   * Paths change only when a unit is deleted and its id reused elsewhere; entries expire after a
   * minute so that other replicas see such a change too.
   */
  private pathCache = new Map<string, { path: string; at: number }>();

  constructor(
    private readonly db: StateStore,
    private readonly audit: () => AuditLog,
  ) {}

  /** Path of a unit (cached; units are never re-parented, only renamed). */
  async pathOf(id: string, tx?: Queryable): Promise<string | undefined> {
    const hit = this.pathCache.get(id);
    if (hit && Date.now() - hit.at < 60_000) return hit.path;
    const r = await (tx ?? this.db).query<{ path: string }>('SELECT path FROM org_units WHERE id = $1', [id]);
    const path = r.rows[0]?.path;
    if (path) this.pathCache.set(id, { path, at: Date.now() });
    return path;
  }

  async root(): Promise<OrgUnit | undefined> {
    const r = await this.db.query<Row>(
      'SELECT * FROM org_units WHERE parent_id IS NULL ORDER BY created_at LIMIT 1',
    );
    return r.rows[0] ? toUnit(r.rows[0]) : undefined;
  }

  /** Throws NotFoundError unless `id` exists inside the caller's subtree. Returns its path. */
  async assertInScope(identity: Identity, id: string, tx?: Queryable): Promise<string> {
    const path = await this.pathOf(id, tx);
    if (!path || !inScope(identity, path)) throw new NotFoundError(`org unit "${id}" not found`);
    return path;
  }

  async list(identity: Identity): Promise<OrgUnit[]> {
    requirePermission(identity, 'org-units:read');
    const r = await this.db.query<Row>('SELECT * FROM org_units WHERE path LIKE $1 ORDER BY path', [
      identity.orgUnitPath + '%',
    ]);
    return r.rows.map(toUnit);
  }

  async get(identity: Identity, id: string): Promise<OrgUnit> {
    requirePermission(identity, 'org-units:read');
    const r = await this.db.query<Row>('SELECT * FROM org_units WHERE id = $1', [id]);
    const row = r.rows[0];
    if (!row || !inScope(identity, row.path)) throw new NotFoundError(`org unit "${id}" not found`);
    return toUnit(row);
  }

  /**
   * Creates a unit under `parentId` (which must be in the caller's subtree and one level up). Only a
   * caller with no scope restriction (the system) may create a root.
   */
  async create(identity: Identity, input: OrgUnitInput, tx?: Queryable): Promise<OrgUnit> {
    requirePermission(identity, 'org-units:write');
    const run = async (q: Queryable) => {
      let path: string;
      if (input.parentId) {
        const parent = await q.query<Row>('SELECT * FROM org_units WHERE id = $1', [input.parentId]);
        const p = parent.rows[0];
        if (!p || !inScope(identity, p.path))
          throw new NotFoundError(`parent org unit "${input.parentId}" not found`);
        const pl = ORG_LEVELS.indexOf(p.level);
        if (ORG_LEVELS.indexOf(input.level) !== pl + 1) {
          throw new InputError(
            `a ${input.level} cannot sit under a ${p.level}; the level below ${p.level} is ${ORG_LEVELS[pl + 1] ?? 'none'}`,
            { code: 'org_unit.level_invalid' },
          );
        }
        path = `${p.path}${input.id}/`;
      } else {
        if (identity.kind !== 'system') throw new InputError('parentId is required');
        if (input.level !== 'province') throw new InputError('the root org unit must be a province');
        path = `/${input.id}/`;
      }
      const exists = await q.query('SELECT 1 FROM org_units WHERE id = $1', [input.id]);
      if (exists.rowCount > 0) throw notAvailable('id', `org unit id "${input.id}"`);
      const r = await q.query<Row>(
        `INSERT INTO org_units (id, parent_id, level, name, code, path) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [input.id, input.parentId ?? null, input.level, input.name, input.code ?? null, path],
      );
      await this.audit().record(
        identity,
        {
          action: 'org-unit.create',
          targetType: 'org-unit',
          targetId: input.id,
          orgUnitId: input.id,
          details: { ...input },
        },
        q,
      );
      return toUnit(r.rows[0]!);
    };
    return tx ? run(tx) : this.db.transaction(run);
  }

  async update(identity: Identity, id: string, patch: OrgUnitPatch, tx?: Queryable): Promise<OrgUnit> {
    requirePermission(identity, 'org-units:write');
    const run = async (q: Queryable) => {
      await this.assertInScope(identity, id, q);
      const r = await q.query<Row>(
        `UPDATE org_units SET name = COALESCE($2, name), code = CASE WHEN $3::boolean THEN $4 ELSE code END,
           updated_at = now() WHERE id = $1 RETURNING *`,
        [id, patch.name ?? null, patch.code !== undefined, patch.code ?? null],
      );
      await this.audit().record(
        identity,
        {
          action: 'org-unit.update',
          targetType: 'org-unit',
          targetId: id,
          orgUnitId: id,
          details: { ...patch },
        },
        q,
      );
      return toUnit(r.rows[0]!);
    };
    return tx ? run(tx) : this.db.transaction(run);
  }

  /** Deletes a leaf unit that nothing refers to. */
  async remove(identity: Identity, id: string): Promise<void> {
    requirePermission(identity, 'org-units:write');
    await this.db.transaction(async (q) => {
      const path = await this.assertInScope(identity, id, q);
      if (path === identity.orgUnitPath)
        throw new InputError('you cannot delete the org unit you are bound to', {
          code: 'org_unit.own_unit',
        });
      const children = await q.query('SELECT 1 FROM org_units WHERE parent_id = $1 LIMIT 1', [id]);
      if (children.rowCount > 0)
        throw new ConflictError(`org unit "${id}" has child units; delete them first`, {
          code: 'org_unit.has_children',
        });
      try {
        await q.query('DELETE FROM org_units WHERE id = $1', [id]);
      } catch {
        throw new ConflictError(
          `org unit "${id}" still has records (users, agents, inventory); move them first`,
          { code: 'conflict.in_use' },
        );
      }
      await this.audit().record(
        identity,
        { action: 'org-unit.delete', targetType: 'org-unit', targetId: id },
        q,
      );
    });
    this.pathCache.delete(id);
  }
}
