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

export const CLOUD_KINDS = ['kubernetes', 'openstack', 'vmware', 'xinchuang', 'other'] as const;
/** The "1 + N + N + 1" structure: the provincial cloud, city and department clouds, carriers' clouds, DR. */
export const CLOUD_TIERS = ['provincial', 'city', 'department', 'carrier', 'dr'] as const;

const ApiEndpoint = z.url({ protocol: /^https?$/, error: 'apiEndpoint is an http(s) URL' }).max(2000);
const Region = z.string().trim().min(1).max(100);

export const CloudInput = z
  .object({
    id: Slug,
    orgUnitId: OrgUnitId,
    name: Name,
    kind: z.enum(CLOUD_KINDS),
    tier: z.enum(CLOUD_TIERS),
    apiEndpoint: ApiEndpoint.optional(),
    region: Region.optional(),
  })
  .strict();
export type CloudInput = z.infer<typeof CloudInput>;

export const CloudPatch = z
  .object({
    orgUnitId: OrgUnitId.optional(),
    name: Name.optional(),
    kind: z.enum(CLOUD_KINDS).optional(),
    tier: z.enum(CLOUD_TIERS).optional(),
    apiEndpoint: ApiEndpoint.nullable().optional(),
    region: Region.nullable().optional(),
  })
  .strict();
export type CloudPatch = z.infer<typeof CloudPatch>;

export const CloudFilter = z
  .object({
    orgUnitId: OrgUnitId.optional(),
    kind: z.enum(CLOUD_KINDS).optional(),
    tier: z.enum(CLOUD_TIERS).optional(),
  })
  .strict();
export type CloudFilter = z.infer<typeof CloudFilter>;

export interface Cloud {
  id: string;
  orgUnitId: string;
  name: string;
  kind: (typeof CLOUD_KINDS)[number];
  tier: (typeof CLOUD_TIERS)[number];
  apiEndpoint: string | null;
  region: string | null;
}

interface Row {
  id: string;
  org_unit_id: string;
  name: string;
  kind: Cloud['kind'];
  tier: Cloud['tier'];
  api_endpoint: string | null;
  region: string | null;
  path: string;
}

const SELECT = `SELECT c.id, c.org_unit_id, c.name, c.kind, c.tier, c.api_endpoint, c.region, u.path
  FROM clouds c JOIN org_units u ON u.id = c.org_unit_id`;

const toCloud = (r: Row): Cloud => ({
  id: r.id,
  orgUnitId: r.org_unit_id,
  name: r.name,
  kind: r.kind,
  tier: r.tier,
  apiEndpoint: r.api_endpoint,
  region: r.region,
});

/** The clouds under management: provincial, city, department, carrier and DR clouds. */
export class CloudService {
  constructor(private readonly deps: InventoryDeps) {}

  async list(identity: Identity, filter: CloudFilter = {}, page?: Page): Promise<Cloud[]> {
    requirePermission(identity, 'inventory:read');
    const f = check(CloudFilter, filter, 'cloud filter');
    const params: unknown[] = [(await scopePrefix(this.deps.orgUnits, identity, f.orgUnitId)) + '%'];
    let where = 'u.path LIKE $1';
    for (const [key, column] of [
      ['kind', 'c.kind'],
      ['tier', 'c.tier'],
    ] as const) {
      if (f[key] === undefined) continue;
      params.push(f[key]);
      where += ` AND ${column} = $${params.length}`;
    }
    const r = await this.deps.db.query<Row>(
      `${SELECT} WHERE ${where} ORDER BY c.id${pageClause(page, params)}`,
      params,
    );
    return r.rows.map(toCloud);
  }

  async get(identity: Identity, id: string, tx?: Queryable): Promise<Cloud> {
    requirePermission(identity, 'inventory:read');
    return toCloud(await this.row(identity, id, tx ?? this.deps.db));
  }

  async find(identity: Identity, id: string, tx?: Queryable): Promise<Cloud | undefined> {
    requirePermission(identity, 'inventory:read');
    const r = await (tx ?? this.deps.db).query<Row>(`${SELECT} WHERE c.id = $1`, [id]);
    const row = r.rows[0];
    return row && inScope(identity, row.path) ? toCloud(row) : undefined;
  }

  async create(identity: Identity, input: CloudInput, tx?: Queryable): Promise<Cloud> {
    requirePermission(identity, 'inventory:write');
    const v = check(CloudInput, input, 'cloud');
    return inTx(this.deps.db, tx, async (q) => {
      await requireOrgUnit(this.deps.orgUnits, identity, v.orgUnitId, q);
      const exists = await q.query('SELECT 1 FROM clouds WHERE id = $1', [v.id]);
      if (exists.rowCount > 0) throw new ConflictError(`cloud "${v.id}" already exists`);
      await q.query(
        `INSERT INTO clouds (id, org_unit_id, name, kind, tier, api_endpoint, region) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [v.id, v.orgUnitId, v.name, v.kind, v.tier, v.apiEndpoint ?? null, v.region ?? null],
      );
      await recordChange(this.deps.audit, identity, q, 'cloud', 'create', v.id, v.orgUnitId, { ...v });
      return toCloud(await this.row(identity, v.id, q));
    });
  }

  async update(identity: Identity, id: string, patch: CloudPatch, tx?: Queryable): Promise<Cloud> {
    requirePermission(identity, 'inventory:write');
    const v = check(CloudPatch, patch, 'cloud patch');
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
          tier: 'tier',
          apiEndpoint: 'api_endpoint',
          region: 'region',
        },
        params,
      );
      if (sets) await q.query(`UPDATE clouds SET ${sets}, updated_at = now() WHERE id = $1`, params);
      await recordChange(
        this.deps.audit,
        identity,
        q,
        'cloud',
        'update',
        id,
        v.orgUnitId ?? before.org_unit_id,
        { ...v },
      );
      return toCloud(await this.row(identity, id, q));
    });
  }

  async remove(identity: Identity, id: string, tx?: Queryable): Promise<void> {
    requirePermission(identity, 'inventory:write');
    await inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      const hosts = await q.query<{ id: string }>('SELECT id FROM hosts WHERE cloud_id = $1 ORDER BY id', [
        id,
      ]);
      assertUnreferenced(`cloud "${id}"`, [{ kind: 'hosts', ids: hosts.rows.map((h) => h.id) }]);
      await q.query('DELETE FROM clouds WHERE id = $1', [id]);
      await recordChange(this.deps.audit, identity, q, 'cloud', 'delete', id, before.org_unit_id);
    });
  }

  private async row(identity: Identity, id: string, q: Queryable): Promise<Row> {
    const r = await q.query<Row>(`${SELECT} WHERE c.id = $1`, [id]);
    const row = r.rows[0];
    if (!row || !inScope(identity, row.path)) throw new NotFoundError(`cloud "${id}" not found`);
    return row;
  }
}
