import { z } from 'zod';
import { InputError } from '../errors.js';
import { requirePermission, type Identity } from '../auth/identity.js';
import { Name, scopePrefix, Slug, type InventoryDeps } from './common.js';
import { ScopedCrud, type ScopedRow } from './crud.js';
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

interface Row extends ScopedRow {
  name: string;
  owner_department: string;
  classification: DedicatedNetwork['classification'];
  migration_state: MigrationState;
  planned_at: string | null;
  migrated_at: string | null;
}

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
export class DedicatedNetworkService extends ScopedCrud<
  DedicatedNetwork,
  Row,
  typeof DedicatedNetworkInput,
  typeof DedicatedNetworkPatch,
  typeof DedicatedNetworkFilter
> {
  constructor(
    deps: InventoryDeps,
    private readonly target = INTEGRATION_TARGET,
  ) {
    super(deps, {
      kind: 'dedicated-network',
      noun: 'dedicated network',
      table: 'dedicated_networks',
      alias: 'n',
      columns: {
        orgUnitId: 'org_unit_id',
        name: 'name',
        ownerDepartment: 'owner_department',
        classification: 'classification',
        migrationState: 'migration_state',
        plannedAt: 'planned_at',
        migratedAt: 'migrated_at',
      },
      selectAs: {
        planned_at: 'n.planned_at::text AS planned_at',
        migrated_at: 'n.migrated_at::text AS migrated_at',
      },
      filters: { classification: 'classification', migrationState: 'migration_state' },
      input: DedicatedNetworkInput,
      patch: DedicatedNetworkPatch,
      filter: DedicatedNetworkFilter,
      toRecord: toNetwork,
    });
  }

  protected override checkInput(v: DedicatedNetworkInput): void {
    checkClassification(v.classification, v.migrationState);
  }

  protected override checkPatch(v: DedicatedNetworkPatch, before: Row): void {
    checkClassification(
      v.classification ?? before.classification,
      v.migrationState ?? before.migration_state,
    );
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
}
