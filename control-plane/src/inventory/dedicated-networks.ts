import { z } from 'zod';
import { ConflictError, InputError, NotFoundError } from '../errors.js';
import { inScope, requirePermission, type Identity } from '../auth/identity.js';
import type { Queryable } from '../store/state/index.js';
import {
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
import { OrgUnitId, type OrgLevel } from './org-units.js';

export const CLASSIFICATIONS = ['non-secret', 'secret'] as const;
export const MIGRATION_STATES = ['not-started', 'planned', 'migrating', 'migrated', 'exempt'] as const;
export type MigrationState = (typeof MIGRATION_STATES)[number];

/** The seeds' target for the share of non-secret dedicated networks migrated onto the extranet. */
export const INTEGRATION_TARGET = 0.95;

const Day = z.iso.date('dates are written YYYY-MM-DD');

export const DedicatedNetworkInput = z
  .object({
    id: Slug,
    orgUnitId: OrgUnitId,
    name: Name,
    ownerDepartment: Name,
    classification: z.enum(CLASSIFICATIONS),
    migrationState: z.enum(MIGRATION_STATES),
    plannedAt: Day.optional(),
    migratedAt: Day.optional(),
  })
  .strict();
export type DedicatedNetworkInput = z.infer<typeof DedicatedNetworkInput>;

export const DedicatedNetworkPatch = z
  .object({
    orgUnitId: OrgUnitId.optional(),
    name: Name.optional(),
    ownerDepartment: Name.optional(),
    classification: z.enum(CLASSIFICATIONS).optional(),
    migrationState: z.enum(MIGRATION_STATES).optional(),
    plannedAt: Day.nullable().optional(),
    migratedAt: Day.nullable().optional(),
  })
  .strict();
export type DedicatedNetworkPatch = z.infer<typeof DedicatedNetworkPatch>;

export const DedicatedNetworkFilter = z
  .object({
    orgUnitId: OrgUnitId.optional(),
    classification: z.enum(CLASSIFICATIONS).optional(),
    migrationState: z.enum(MIGRATION_STATES).optional(),
  })
  .strict();
export type DedicatedNetworkFilter = z.infer<typeof DedicatedNetworkFilter>;

export interface DedicatedNetwork {
  id: string;
  orgUnitId: string;
  name: string;
  ownerDepartment: string;
  classification: (typeof CLASSIFICATIONS)[number];
  migrationState: MigrationState;
  plannedAt: string | null;
  migratedAt: string | null;
}

/** Integration of dedicated networks into the extranet for one org unit and everything below it. */
export interface IntegrationRate {
  orgUnitId: string;
  name: string;
  level: OrgLevel;
  /** Non-secret networks that are not exempt: the ones that should migrate. */
  eligible: number;
  migrated: number;
  /** migrated ÷ eligible, or null when nothing is eligible. */
  rate: number | null;
  target: number;
  /** True when the rate reaches the target (or nothing is eligible). */
  meetsTarget: boolean;
}

interface Row {
  id: string;
  org_unit_id: string;
  name: string;
  owner_department: string;
  classification: DedicatedNetwork['classification'];
  migration_state: MigrationState;
  planned_at: string | null;
  migrated_at: string | null;
  path: string;
}

const SELECT = `SELECT n.id, n.org_unit_id, n.name, n.owner_department, n.classification, n.migration_state,
  n.planned_at::text AS planned_at, n.migrated_at::text AS migrated_at, u.path
  FROM dedicated_networks n JOIN org_units u ON u.id = n.org_unit_id`;

const toNetwork = (r: Row): DedicatedNetwork => ({
  id: r.id,
  orgUnitId: r.org_unit_id,
  name: r.name,
  ownerDepartment: r.owner_department,
  classification: r.classification,
  migrationState: r.migration_state,
  plannedAt: r.planned_at,
  migratedAt: r.migrated_at,
});

/** Secret networks never migrate onto the extranet: they stay `not-started` or are `exempt`. */
function checkClassification(classification: string, state: MigrationState): void {
  if (classification === 'secret' && state !== 'not-started' && state !== 'exempt') {
    throw new InputError(
      `migrationState: a secret dedicated network does not migrate onto the extranet; use "exempt" or "not-started", not "${state}"`,
    );
  }
}

/** Departments' dedicated networks (专网) and their migration onto the extranet. */
export class DedicatedNetworkService {
  constructor(
    private readonly deps: InventoryDeps,
    private readonly target = INTEGRATION_TARGET,
  ) {}

  async list(
    identity: Identity,
    filter: DedicatedNetworkFilter = {},
    page?: Page,
  ): Promise<DedicatedNetwork[]> {
    requirePermission(identity, 'inventory:read');
    const f = check(DedicatedNetworkFilter, filter, 'dedicated network filter');
    const params: unknown[] = [(await scopePrefix(this.deps.orgUnits, identity, f.orgUnitId)) + '%'];
    let where = 'u.path LIKE $1';
    for (const [key, column] of [
      ['classification', 'n.classification'],
      ['migrationState', 'n.migration_state'],
    ] as const) {
      if (f[key] === undefined) continue;
      params.push(f[key]);
      where += ` AND ${column} = $${params.length}`;
    }
    const r = await this.deps.db.query<Row>(
      `${SELECT} WHERE ${where} ORDER BY n.id${pageClause(page, params)}`,
      params,
    );
    return r.rows.map(toNetwork);
  }

  async get(identity: Identity, id: string, tx?: Queryable): Promise<DedicatedNetwork> {
    requirePermission(identity, 'inventory:read');
    return toNetwork(await this.row(identity, id, tx ?? this.deps.db));
  }

  async find(identity: Identity, id: string, tx?: Queryable): Promise<DedicatedNetwork | undefined> {
    requirePermission(identity, 'inventory:read');
    const r = await (tx ?? this.deps.db).query<Row>(`${SELECT} WHERE n.id = $1`, [id]);
    const row = r.rows[0];
    return row && inScope(identity, row.path) ? toNetwork(row) : undefined;
  }

  async create(identity: Identity, input: DedicatedNetworkInput, tx?: Queryable): Promise<DedicatedNetwork> {
    requirePermission(identity, 'inventory:write');
    const v = check(DedicatedNetworkInput, input, 'dedicated network');
    checkClassification(v.classification, v.migrationState);
    return inTx(this.deps.db, tx, async (q) => {
      await requireOrgUnit(this.deps.orgUnits, identity, v.orgUnitId, q);
      const exists = await q.query('SELECT 1 FROM dedicated_networks WHERE id = $1', [v.id]);
      if (exists.rowCount > 0) throw new ConflictError(`dedicated network "${v.id}" already exists`);
      await q.query(
        `INSERT INTO dedicated_networks (id, org_unit_id, name, owner_department, classification, migration_state,
           planned_at, migrated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          v.id,
          v.orgUnitId,
          v.name,
          v.ownerDepartment,
          v.classification,
          v.migrationState,
          v.plannedAt ?? null,
          v.migratedAt ?? null,
        ],
      );
      await recordChange(this.deps.audit, identity, q, 'dedicated-network', 'create', v.id, v.orgUnitId, {
        ...v,
      });
      return toNetwork(await this.row(identity, v.id, q));
    });
  }

  async update(
    identity: Identity,
    id: string,
    patch: DedicatedNetworkPatch,
    tx?: Queryable,
  ): Promise<DedicatedNetwork> {
    requirePermission(identity, 'inventory:write');
    const v = check(DedicatedNetworkPatch, patch, 'dedicated network patch');
    return inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      checkClassification(
        v.classification ?? before.classification,
        v.migrationState ?? before.migration_state,
      );
      if (v.orgUnitId) await requireOrgUnit(this.deps.orgUnits, identity, v.orgUnitId, q);
      const params: unknown[] = [id];
      const sets = setClause(
        v,
        {
          orgUnitId: 'org_unit_id',
          name: 'name',
          ownerDepartment: 'owner_department',
          classification: 'classification',
          migrationState: 'migration_state',
          plannedAt: 'planned_at',
          migratedAt: 'migrated_at',
        },
        params,
      );
      if (sets)
        await q.query(`UPDATE dedicated_networks SET ${sets}, updated_at = now() WHERE id = $1`, params);
      await recordChange(
        this.deps.audit,
        identity,
        q,
        'dedicated-network',
        'update',
        id,
        v.orgUnitId ?? before.org_unit_id,
        { ...v },
      );
      return toNetwork(await this.row(identity, id, q));
    });
  }

  async remove(identity: Identity, id: string, tx?: Queryable): Promise<void> {
    requirePermission(identity, 'inventory:write');
    await inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      await q.query('DELETE FROM dedicated_networks WHERE id = $1', [id]);
      await recordChange(this.deps.audit, identity, q, 'dedicated-network', 'delete', id, before.org_unit_id);
    });
  }

  /**
   * The integration rate for every org unit in the caller's subtree (or in `orgUnitId`'s subtree),
   * each counting its own networks and those of every unit below it: migrated ÷ (non-secret, not
   * exempt).
   */
  async integrationRate(identity: Identity, orgUnitId?: string): Promise<IntegrationRate[]> {
    requirePermission(identity, 'inventory:read');
    const prefix = await scopePrefix(this.deps.orgUnits, identity, orgUnitId);
    const r = await this.deps.db.query<{
      id: string;
      name: string;
      level: OrgLevel;
      eligible: number;
      migrated: number;
    }>(
      `SELECT u.id, u.name, u.level,
         count(n.id) FILTER (WHERE n.classification = 'non-secret' AND n.migration_state <> 'exempt')::int AS eligible,
         count(n.id) FILTER (WHERE n.classification = 'non-secret' AND n.migration_state = 'migrated')::int AS migrated
       FROM org_units u
       LEFT JOIN org_units nu ON nu.path LIKE u.path || '%'
       LEFT JOIN dedicated_networks n ON n.org_unit_id = nu.id
       WHERE u.path LIKE $1
       GROUP BY u.id, u.name, u.level, u.path
       ORDER BY u.path`,
      [prefix + '%'],
    );
    return r.rows.map((row) => {
      const eligible = Number(row.eligible);
      const migrated = Number(row.migrated);
      const rate = eligible ? migrated / eligible : null;
      return {
        orgUnitId: row.id,
        name: row.name,
        level: row.level,
        eligible,
        migrated,
        rate,
        target: this.target,
        meetsTarget: rate === null || rate >= this.target,
      };
    });
  }

  private async row(identity: Identity, id: string, q: Queryable): Promise<Row> {
    const r = await q.query<Row>(`${SELECT} WHERE n.id = $1`, [id]);
    const row = r.rows[0];
    if (!row || !inScope(identity, row.path)) throw new NotFoundError(`dedicated network "${id}" not found`);
    return row;
  }
}
