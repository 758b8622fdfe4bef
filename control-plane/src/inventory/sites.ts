import { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors.js';
import { inScope, requirePermission, type Identity } from '../auth/identity.js';
import type { Queryable } from '../store/state/index.js';
import {
  assertUnreferenced,
  check,
  inTx,
  Name,
  pageClause,
  recordChange,
  requireOrgUnit,
  scopePrefix,
  setClause,
  Slug,
  type InventoryDeps,
  type Page,
} from './common.js';
import { OrgUnitId } from './org-units.js';

export const SITE_KINDS = ['datacenter', 'node', 'access', 'dr-site'] as const;

const Latitude = z.number().min(-90).max(90);
const Longitude = z.number().min(-180).max(180);

export const SiteInput = z
  .object({
    id: Slug,
    orgUnitId: OrgUnitId,
    name: Name,
    kind: z.enum(SITE_KINDS),
    address: z.string().trim().min(1).max(500).optional(),
    latitude: Latitude.optional(),
    longitude: Longitude.optional(),
  })
  .strict();
export type SiteInput = z.infer<typeof SiteInput>;

export const SitePatch = z
  .object({
    orgUnitId: OrgUnitId.optional(),
    name: Name.optional(),
    kind: z.enum(SITE_KINDS).optional(),
    address: z.string().trim().min(1).max(500).nullable().optional(),
    latitude: Latitude.nullable().optional(),
    longitude: Longitude.nullable().optional(),
  })
  .strict();
export type SitePatch = z.infer<typeof SitePatch>;

export const SiteFilter = z
  .object({
    orgUnitId: OrgUnitId.optional(),
    kind: z.enum(SITE_KINDS).optional(),
  })
  .strict();
export type SiteFilter = z.infer<typeof SiteFilter>;

export interface Site {
  id: string;
  orgUnitId: string;
  name: string;
  kind: (typeof SITE_KINDS)[number];
  address: string | null;
  latitude: number | null;
  longitude: number | null;
}

interface Row {
  id: string;
  org_unit_id: string;
  name: string;
  kind: Site['kind'];
  address: string | null;
  latitude: number | null;
  longitude: number | null;
  path: string;
}

const SELECT = `SELECT s.id, s.org_unit_id, s.name, s.kind, s.address, s.latitude, s.longitude, u.path
  FROM sites s JOIN org_units u ON u.id = s.org_unit_id`;

const toSite = (r: Row): Site => ({
  id: r.id,
  orgUnitId: r.org_unit_id,
  name: r.name,
  kind: r.kind,
  address: r.address,
  latitude: r.latitude,
  longitude: r.longitude,
});

/** Places that hold equipment: the big-data centre, county nodes, township access points, DR sites. */
export class SiteService {
  constructor(private readonly deps: InventoryDeps) {}

  async list(identity: Identity, filter: SiteFilter = {}, page?: Page): Promise<Site[]> {
    requirePermission(identity, 'inventory:read');
    const f = check(SiteFilter, filter, 'site filter');
    const params: unknown[] = [(await scopePrefix(this.deps.orgUnits, identity, f.orgUnitId)) + '%'];
    let where = 'u.path LIKE $1';
    if (f.kind) {
      params.push(f.kind);
      where += ` AND s.kind = $${params.length}`;
    }
    const r = await this.deps.db.query<Row>(
      `${SELECT} WHERE ${where} ORDER BY s.id${pageClause(page, params)}`,
      params,
    );
    return r.rows.map(toSite);
  }

  async get(identity: Identity, id: string, tx?: Queryable): Promise<Site> {
    requirePermission(identity, 'inventory:read');
    return toSite(await this.row(identity, id, tx ?? this.deps.db));
  }

  /** Returns the site when it is in scope, or undefined (for idempotent loads). */
  async find(identity: Identity, id: string, tx?: Queryable): Promise<Site | undefined> {
    requirePermission(identity, 'inventory:read');
    const r = await (tx ?? this.deps.db).query<Row>(`${SELECT} WHERE s.id = $1`, [id]);
    const row = r.rows[0];
    return row && inScope(identity, row.path) ? toSite(row) : undefined;
  }

  async create(identity: Identity, input: SiteInput, tx?: Queryable): Promise<Site> {
    requirePermission(identity, 'inventory:write');
    const v = check(SiteInput, input, 'site');
    return inTx(this.deps.db, tx, async (q) => {
      await requireOrgUnit(this.deps.orgUnits, identity, v.orgUnitId, q);
      const exists = await q.query('SELECT 1 FROM sites WHERE id = $1', [v.id]);
      if (exists.rowCount > 0) throw new ConflictError(`site "${v.id}" already exists`);
      await q.query(
        `INSERT INTO sites (id, org_unit_id, name, kind, address, latitude, longitude)
         VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [v.id, v.orgUnitId, v.name, v.kind, v.address ?? null, v.latitude ?? null, v.longitude ?? null],
      );
      await recordChange(this.deps.audit, identity, q, 'site', 'create', v.id, v.orgUnitId, { ...v });
      return toSite(await this.row(identity, v.id, q));
    });
  }

  /** Changes a site; moving it to another org unit moves its devices and their interfaces too. */
  async update(identity: Identity, id: string, patch: SitePatch, tx?: Queryable): Promise<Site> {
    requirePermission(identity, 'inventory:write');
    const v = check(SitePatch, patch, 'site patch');
    return inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      if (v.orgUnitId) await requireOrgUnit(this.deps.orgUnits, identity, v.orgUnitId, q);
      const params: unknown[] = [id];
      const sets = setClause(
        v,
        {
          orgUnitId: 'org_unit_id',
          name: 'name',
          kind: 'kind',
          address: 'address',
          latitude: 'latitude',
          longitude: 'longitude',
        },
        params,
      );
      if (sets) await q.query(`UPDATE sites SET ${sets}, updated_at = now() WHERE id = $1`, params);
      await recordChange(
        this.deps.audit,
        identity,
        q,
        'site',
        'update',
        id,
        v.orgUnitId ?? before.org_unit_id,
        {
          ...v,
        },
      );
      return toSite(await this.row(identity, id, q));
    });
  }

  async remove(identity: Identity, id: string, tx?: Queryable): Promise<void> {
    requirePermission(identity, 'inventory:write');
    await inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      const devices = await q.query<{ id: string }>('SELECT id FROM devices WHERE site_id = $1 ORDER BY id', [
        id,
      ]);
      assertUnreferenced(`site "${id}"`, [{ kind: 'devices', ids: devices.rows.map((d) => d.id) }]);
      await q.query('DELETE FROM sites WHERE id = $1', [id]);
      await recordChange(this.deps.audit, identity, q, 'site', 'delete', id, before.org_unit_id);
    });
  }

  private async row(identity: Identity, id: string, q: Queryable): Promise<Row> {
    const r = await q.query<Row>(`${SELECT} WHERE s.id = $1`, [id]);
    const row = r.rows[0];
    if (!row || !inScope(identity, row.path)) throw new NotFoundError(`site "${id}" not found`);
    return row;
  }
}
