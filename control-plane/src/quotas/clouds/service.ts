import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { inScope, requirePermission, systemIdentity, type Identity } from '../../auth/identity.js';
import { ConflictError, InputError, NotFoundError, UnavailableError } from '../../errors.js';
import { check } from '../../inventory/common.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { Queryable } from '../../store/state/index.js';
import type { QuotasPolicy } from '../policy.js';
import { ClassModel, tidy } from '../tree/model.js';
import {
  CLOUD_ERROR_KINDS,
  CloudError,
  type AdapterFactory,
  type Amounts,
  type CloudCapacity,
  type CloudConnection,
  type CloudDirectory,
  type CloudErrorKind,
  type CloudKind,
} from '../types.js';
import {
  CapacityInput,
  ConnectionInput,
  KIND_FIELDS,
  MANAGED_KINDS,
  allocatableOf,
  checkAmount,
  checkEndpoint,
  checkOvercommit,
  checkSettings,
  isManagedKind,
  knownClass,
  mergeSecrets,
  scrubSecrets,
} from './validate.js';

/** How long one capacity read may take before it counts as a timeout. */
const READ_TIMEOUT_MS = 60_000;
/** Period of the `quotas.capacity` job. */
export const CAPACITY_EVERY_MS = 300_000;

/** The cloud connections file (`cloudConnectionsFile`): connections, entered capacity, overcommit. */
export const CloudConnectionsFile = z
  .object({
    version: z.literal(1),
    clouds: z
      .array(
        ConnectionInput.extend({
          cloudId: z.string().min(1).max(63),
          capacity: CapacityInput.shape.classes.optional(),
        }).strict(),
      )
      .max(1000),
  })
  .strict();
export type CloudConnectionsFile = z.infer<typeof CloudConnectionsFile>;

/** Reads and validates a cloud connections file. */
export function loadConnectionsFile(path: string): CloudConnectionsFile {
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, 'utf8'), { uniqueKeys: true });
  } catch (err) {
    throw new InputError(`${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, {
      code: 'input.yaml',
    });
  }
  return check(CloudConnectionsFile, doc, path);
}

/** A connection as the API shows it: the secrets only as whether each is set. */
export interface ConnectionView {
  endpoint: string | null;
  settings: Record<string, unknown>;
  secrets: Record<string, boolean>;
  updatedAt: string;
  updatedBy: string;
}

/** The outcome of the last capacity read from the cloud. */
export interface CapacityReadView {
  state: 'ok' | 'error' | 'never';
  at: string | null;
  lastOkAt: string | null;
  error: { kind: string; message: string; at: string } | null;
  /** Classes the cloud reported that the policy does not know (not counted as capacity). */
  ignoredClasses: string[];
}

export interface CloudClassView {
  class: string;
  capacity: number | null;
  capacitySource: 'cloud' | 'manual' | null;
  observedAt: string | null;
  /** What an admin entered (kept while the cloud reports the class, used when it stops). */
  manualCapacity: number | null;
  overcommit: number;
  overcommitSource: 'cloud' | 'policy' | 'default';
  allocatable: number | null;
}

/** A cloud under quota management as its owner's subtree sees it. */
export interface CloudBase {
  id: string;
  name: string;
  kind: CloudKind;
  tier: string;
  orgUnitId: string;
  orgUnitName: string;
  orgPath: string;
  region: string | null;
  connection: ConnectionView | null;
  classes: CloudClassView[];
  capacityRead: CapacityReadView;
}

interface CloudRow {
  id: string;
  name: string;
  kind: string;
  tier: string;
  org_unit_id: string;
  org_unit_name: string;
  path: string;
  region: string | null;
}

interface ConnRow {
  cloud_id: string;
  endpoint: string | null;
  settings: Record<string, unknown> | string;
  secret: string | null;
  secret_names: string[] | null;
  updated_by: string;
  updated_at: Date | string;
}

interface ClassRow {
  cloud_id: string;
  class: string;
  cloud_amount: number | null;
  cloud_observed_at: Date | string | null;
  manual_amount: number | null;
  manual_at: Date | string | null;
  overcommit: number | null;
}

interface ReadRow {
  cloud_id: string;
  at: Date | string;
  ok: boolean;
  error_kind: string | null;
  error_message: string | null;
  last_ok_at: Date | string | null;
  ignored_classes: string[] | null;
}

const iso = (d: Date | string | null | undefined): string | null => (d ? new Date(d).toISOString() : null);
const json = (v: Record<string, unknown> | string): Record<string, unknown> =>
  typeof v === 'string' ? (JSON.parse(v) as Record<string, unknown>) : v;
/** The associated data binding a sealed value to its cloud. */
const context = (cloudId: string) => `quota_cloud_connections:${cloudId}`;

const CLOUD_SELECT = `SELECT c.id, c.name, c.kind, c.tier, c.org_unit_id, c.region, u.name AS org_unit_name, u.path
  FROM clouds c JOIN org_units u ON u.id = c.org_unit_id`;
const MANAGED = `c.kind IN (${MANAGED_KINDS.map((k) => `'${k}'`).join(', ')})`;

/**
 * The clouds under quota management (kind kubernetes, openstack or manual): their connections with
 * sealed, write-only secrets; capacity per resource class as the cloud reports it or an admin enters
 * it; overcommit factors; allocatable = capacity × overcommit. Reads are scoped to the owner's
 * subtree (plus, through `quotaHolders`, clouds a unit holds quota on — read-only, no connection).
 */
export class QuotaClouds implements CloudDirectory {
  /**
   * Clouds on which the caller's org unit holds a quota without owning them (set by the tree part):
   * those are visible read-only, without connection or capacity details.
   */
  quotaHolders: ((identity: Identity) => Promise<string[]>) | undefined;

  constructor(
    readonly d: ModuleDeps,
    readonly parts: {
      policy: () => QuotasPolicy;
      adapters: Readonly<Record<'kubernetes' | 'openstack', AdapterFactory>>;
    },
  ) {
    // Without the secret key the control plane refuses to start when it must load connections.
    if (d.config.cloudConnectionsFile && d.sealerProblem) throw new Error(d.sealerProblem);
  }

  /* ─────────────── CloudDirectory ─────────────── */

  async capacity(cloudId: string, tx?: Queryable): Promise<CloudCapacity | undefined> {
    const q = tx ?? this.d.db;
    const c = await q.query<{ kind: string }>('SELECT kind FROM clouds WHERE id = $1', [cloudId]);
    const kind = c.rows[0]?.kind;
    if (!kind || !isManagedKind(kind)) return undefined;
    const rows = await q.query<ClassRow>('SELECT * FROM quota_cloud_classes WHERE cloud_id = $1', [cloudId]);
    const out: CloudCapacity = { cloudId, capacity: {}, overcommit: {}, allocatable: {} };
    for (const v of this.classViews(rows.rows)) {
      out.overcommit[v.class] = v.overcommit;
      if (v.capacity !== null && v.capacitySource) {
        out.capacity[v.class] = { amount: v.capacity, source: v.capacitySource, observedAt: v.observedAt! };
        out.allocatable[v.class] = v.allocatable!;
      }
    }
    return out;
  }

  async connection(cloudId: string): Promise<CloudConnection | undefined> {
    const r = await this.d.db.query<ConnRow & { kind: string; region: string | null }>(
      `SELECT k.*, c.kind, c.region FROM quota_cloud_connections k JOIN clouds c ON c.id = k.cloud_id
        WHERE k.cloud_id = $1`,
      [cloudId],
    );
    const row = r.rows[0];
    if (!row || !isManagedKind(row.kind)) return undefined;
    const settings = json(row.settings);
    return {
      cloudId,
      kind: row.kind,
      endpoint: row.endpoint ?? '',
      region: typeof settings.region === 'string' ? settings.region : row.region,
      settings,
      secrets: this.openSecrets(cloudId, row.secret),
    };
  }

  async managedClouds(): Promise<
    Array<{ cloudId: string; kind: CloudKind; orgUnitId: string; orgPath: string }>
  > {
    const r = await this.d.db.query<CloudRow>(`${CLOUD_SELECT} WHERE ${MANAGED} ORDER BY c.id`);
    return r.rows.map((x) => ({
      cloudId: x.id,
      kind: x.kind as CloudKind,
      orgUnitId: x.org_unit_id,
      orgPath: x.path,
    }));
  }

  /* ─────────────── reads ─────────────── */

  /**
   * The clouds the caller sees: those of its subtree in full (`access: 'owner'`), and those it holds
   * a quota on read-only (`access: 'quota-holder'`: no connection, no capacity figures).
   */
  async list(identity: Identity): Promise<Array<CloudBase & { access: 'owner' | 'quota-holder' }>> {
    requirePermission(identity, 'quotas:read');
    const holders = new Set(this.quotaHolders ? await this.quotaHolders(identity) : []);
    const r = await this.d.db.query<CloudRow>(
      `${CLOUD_SELECT} WHERE ${MANAGED} AND (u.path LIKE $1 OR c.id = ANY($2::text[])) ORDER BY c.id`,
      [identity.orgUnitPath + '%', [...holders]],
    );
    return this.build(identity, r.rows);
  }

  /** One cloud the caller sees; absent and out of scope alike answer 404. */
  async get(identity: Identity, cloudId: string): Promise<CloudBase & { access: 'owner' | 'quota-holder' }> {
    requirePermission(identity, 'quotas:read');
    const r = await this.d.db.query<CloudRow>(`${CLOUD_SELECT} WHERE ${MANAGED} AND c.id = $1`, [cloudId]);
    const row = r.rows[0];
    if (row && !inScope(identity, row.path)) {
      const holders = this.quotaHolders ? await this.quotaHolders(identity) : [];
      if (!holders.includes(row.id)) throw this.notFound(cloudId);
    }
    if (!row) throw this.notFound(cloudId);
    return (await this.build(identity, [row]))[0]!;
  }

  private notFound(cloudId: string): NotFoundError {
    return new NotFoundError(`cloud "${cloudId.slice(0, 100)}" not found`);
  }

  private async build(
    identity: Identity,
    rows: CloudRow[],
  ): Promise<Array<CloudBase & { access: 'owner' | 'quota-holder' }>> {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const [conns, classes, reads] = await Promise.all([
      this.d.db.query<ConnRow>('SELECT * FROM quota_cloud_connections WHERE cloud_id = ANY($1::text[])', [
        ids,
      ]),
      this.d.db.query<ClassRow>('SELECT * FROM quota_cloud_classes WHERE cloud_id = ANY($1::text[])', [ids]),
      this.d.db.query<ReadRow>('SELECT * FROM quota_cloud_reads WHERE cloud_id = ANY($1::text[])', [ids]),
    ]);
    return rows.map((row) => {
      const owner = inScope(identity, row.path);
      const conn = conns.rows.find((c) => c.cloud_id === row.id);
      const read = reads.rows.find((c) => c.cloud_id === row.id);
      return {
        id: row.id,
        name: row.name,
        kind: row.kind as CloudKind,
        tier: row.tier,
        orgUnitId: row.org_unit_id,
        orgUnitName: row.org_unit_name,
        orgPath: row.path,
        region: row.region,
        access: owner ? 'owner' : 'quota-holder',
        connection: owner && conn ? this.connectionView(row.kind as CloudKind, conn) : null,
        classes: owner ? this.classViews(classes.rows.filter((c) => c.cloud_id === row.id)) : [],
        capacityRead: owner ? readView(read) : readView(undefined),
      };
    });
  }

  private connectionView(kind: CloudKind, c: ConnRow): ConnectionView {
    // Which secrets are set, from the names stored beside the sealed value: never opened for a read.
    const names = this.secretNames(c);
    return {
      endpoint: c.endpoint,
      settings: json(c.settings),
      secrets: Object.fromEntries(KIND_FIELDS[kind].secrets.map((k) => [k, names.includes(k)])),
      updatedAt: iso(c.updated_at)!,
      updatedBy: c.updated_by,
    };
  }

  private secretNames(c: ConnRow): string[] {
    return c.secret_names ?? [];
  }

  /** Per policy class: capacity with its source, overcommit with its source, allocatable. */
  classViews(rows: readonly ClassRow[]): CloudClassView[] {
    const policy = this.parts.policy();
    return policy.classes.map((cls) => {
      const row = rows.find((r) => r.class === cls.id);
      const fromCloud = row?.cloud_amount ?? null;
      const manual = row?.manual_amount ?? null;
      const capacity = fromCloud ?? manual;
      const source = fromCloud !== null ? 'cloud' : manual !== null ? 'manual' : null;
      const policyFactor = policy.overcommit[cls.id];
      const overcommit = row?.overcommit ?? policyFactor ?? 1;
      return {
        class: cls.id,
        capacity,
        capacitySource: source,
        observedAt: iso(fromCloud !== null ? row?.cloud_observed_at : row?.manual_at),
        manualCapacity: manual,
        overcommit,
        overcommitSource:
          row?.overcommit != null ? 'cloud' : policyFactor !== undefined ? 'policy' : 'default',
        allocatable: capacity === null ? null : allocatableOf(capacity, overcommit, cls.integer),
      };
    });
  }

  /* ─────────────── changes ─────────────── */

  /** The cloud for a change: in the caller's subtree (a quota holder may not change it), managed. */
  private async ownCloud(identity: Identity, cloudId: string, q: Queryable, lock = false): Promise<CloudRow> {
    const r = await q.query<CloudRow>(`${CLOUD_SELECT} WHERE c.id = $1${lock ? ' FOR UPDATE OF c' : ''}`, [
      cloudId,
    ]);
    const row = r.rows[0];
    if (!row || !inScope(identity, row.path)) throw this.notFound(cloudId);
    return row;
  }

  private requireSealer(): void {
    if (this.d.sealerProblem) {
      throw new UnavailableError(`cloud connection secrets are unavailable: ${this.d.sealerProblem}`, {
        code: 'secret.unavailable',
      });
    }
  }

  private openSecrets(cloudId: string, sealed: string | null): Record<string, string> {
    if (!sealed) return {};
    this.requireSealer();
    return JSON.parse(this.d.sealer.open(sealed, context(cloudId))) as Record<string, string>;
  }

  /**
   * Sets the cloud's connection. `kind` (when given) changes the cloud's kind to one under quota
   * management; secrets absent keep the stored ones (of the same kind). Audited without the secrets.
   */
  async setConnection(
    identity: Identity,
    cloudId: string,
    raw: ConnectionInput,
    tx?: Queryable,
  ): Promise<CloudBase> {
    requirePermission(identity, 'quotas:write');
    const v = check(ConnectionInput, raw, 'cloud connection');
    const run = async (q: Queryable) => {
      const cloud = await this.ownCloud(identity, cloudId, q, true);
      const kind = v.kind ?? cloud.kind;
      if (!isManagedKind(kind)) {
        throw new InputError(
          `cloud "${cloudId}" is of kind ${cloud.kind}, not under quota management: send kind kubernetes, openstack or manual`,
          { code: 'cloud.kind_unmanaged' },
        );
      }
      const endpoint =
        v.endpoint !== undefined
          ? checkEndpoint(kind, v.endpoint)
          : kind === 'manual'
            ? null
            : (() => {
                throw new InputError(
                  `cloud connection is not valid: endpoint: a ${kind} connection needs an endpoint`,
                  {
                    code: 'cloud.connection_invalid',
                    details: [{ path: 'endpoint', message: 'required', code: 'cloud.connection_invalid' }],
                  },
                );
              })();
      const settings = checkSettings(kind, v.settings ?? {});
      const before = await q.query<ConnRow>('SELECT * FROM quota_cloud_connections WHERE cloud_id = $1', [
        cloudId,
      ]);
      const old = before.rows[0];
      // Stored secrets carry over only within the same kind.
      const stored = old && kind === cloud.kind && old.secret ? this.openSecrets(cloudId, old.secret) : {};
      const secrets = mergeSecrets(kind, v.secrets ?? {}, stored);
      const names = Object.keys(secrets).sort();
      if (names.length) this.requireSealer();
      const sealed = names.length ? this.d.sealer.seal(JSON.stringify(secrets), context(cloudId)) : null;
      if (kind !== cloud.kind) {
        // The kind is the inventory record's: changing it is an inventory change too.
        requirePermission(identity, 'inventory:write');
        await q.query('UPDATE clouds SET kind = $2, updated_at = now() WHERE id = $1', [cloudId, kind]);
        await this.d.audit.record(
          identity,
          {
            action: 'cloud.update',
            targetType: 'cloud',
            targetId: cloudId,
            orgUnitId: cloud.org_unit_id,
            details: { kind: { from: cloud.kind, to: kind }, reason: 'cloud connection set' },
          },
          q,
        );
      }
      await q.query(
        `INSERT INTO quota_cloud_connections (cloud_id, endpoint, settings, secret, secret_names, updated_by)
         VALUES ($1, $2, $3::jsonb, $4, $5::text[], $6)
         ON CONFLICT (cloud_id) DO UPDATE SET endpoint = EXCLUDED.endpoint, settings = EXCLUDED.settings,
           secret = EXCLUDED.secret, secret_names = EXCLUDED.secret_names, updated_by = EXCLUDED.updated_by,
           updated_at = now()`,
        [cloudId, endpoint, JSON.stringify(settings), sealed, names, identity.name],
      );
      const changedSecrets = Object.keys(v.secrets ?? {}).sort();
      await this.d.audit.record(
        identity,
        {
          action: old ? 'quota-cloud-connection.update' : 'quota-cloud-connection.create',
          targetType: 'cloud',
          targetId: cloudId,
          orgUnitId: cloud.org_unit_id,
          // The endpoint and setting names; of the secrets only which were sent, never a value.
          details: { kind, endpoint, settings: Object.keys(settings).sort(), secretsSent: changedSecrets },
        },
        q,
      );
    };
    if (tx) await run(tx);
    else await this.d.db.transaction(run);
    return this.baseOf(identity, cloudId, tx);
  }

  private async baseOf(identity: Identity, cloudId: string, tx?: Queryable): Promise<CloudBase> {
    const q = tx ?? this.d.db;
    const r = await q.query<CloudRow>(`${CLOUD_SELECT} WHERE c.id = $1`, [cloudId]);
    if (!tx) return (await this.build(identity, r.rows))[0]!;
    // Inside a caller's transaction: read through it.
    const [conns, classes, reads] = await Promise.all([
      q.query<ConnRow>('SELECT * FROM quota_cloud_connections WHERE cloud_id = $1', [cloudId]),
      q.query<ClassRow>('SELECT * FROM quota_cloud_classes WHERE cloud_id = $1', [cloudId]),
      q.query<ReadRow>('SELECT * FROM quota_cloud_reads WHERE cloud_id = $1', [cloudId]),
    ]);
    const row = r.rows[0]!;
    return {
      id: row.id,
      name: row.name,
      kind: row.kind as CloudKind,
      tier: row.tier,
      orgUnitId: row.org_unit_id,
      orgUnitName: row.org_unit_name,
      orgPath: row.path,
      region: row.region,
      connection: conns.rows[0] ? this.connectionView(row.kind as CloudKind, conns.rows[0]) : null,
      classes: this.classViews(classes.rows),
      capacityRead: readView(reads.rows[0]),
    };
  }

  async deleteConnection(identity: Identity, cloudId: string): Promise<void> {
    requirePermission(identity, 'quotas:write');
    await this.d.db.transaction(async (q) => {
      const cloud = await this.ownCloud(identity, cloudId, q, true);
      const r = await q.query('DELETE FROM quota_cloud_connections WHERE cloud_id = $1', [cloudId]);
      if (r.rowCount === 0) {
        throw new NotFoundError(`cloud "${cloudId}" has no connection`, { code: 'cloud.no_connection' });
      }
      await this.d.audit.record(
        identity,
        {
          action: 'quota-cloud-connection.delete',
          targetType: 'cloud',
          targetId: cloudId,
          orgUnitId: cloud.org_unit_id,
          details: {},
        },
        q,
      );
    });
  }

  /**
   * Enters capacity (for classes the cloud does not report) and overcommit factors; `null` clears an
   * entry. Refused whole, with the reason, when a class is unknown, an amount negative or fractional
   * for a whole-unit class, a factor out of range, or when the cloud's allocatable would fall below
   * what is already allocated on it (`allocated`; by default the quota tree's, read under the lock).
   */
  async setCapacity(
    identity: Identity,
    cloudId: string,
    raw: CapacityInput,
    allocated?: (cloudId: string, q: Queryable) => Promise<Amounts>,
    tx?: Queryable,
  ): Promise<CloudBase> {
    requirePermission(identity, 'quotas:write');
    const v = check(CapacityInput, raw, 'cloud capacity');
    if (tx) await this.applyCapacity(identity, cloudId, v, allocated, tx);
    else await this.d.db.transaction((q) => this.applyCapacity(identity, cloudId, v, allocated, q));
    return this.baseOf(identity, cloudId, tx);
  }

  /** Applies a capacity change in `q`; resolves true when anything changed. */
  private async applyCapacity(
    identity: Identity,
    cloudId: string,
    v: CapacityInput,
    allocated: ((cloudId: string, q: Queryable) => Promise<Amounts>) | undefined,
    q: Queryable,
  ): Promise<boolean> {
    const policy = this.parts.policy();
    {
      const cloud = await this.ownCloud(identity, cloudId, q, true);
      if (!isManagedKind(cloud.kind)) {
        throw new InputError(`cloud "${cloudId}" is of kind ${cloud.kind}, not under quota management`, {
          code: 'cloud.kind_unmanaged',
        });
      }
      const before = await q.query<ClassRow>('SELECT * FROM quota_cloud_classes WHERE cloud_id = $1', [
        cloudId,
      ]);
      const changes: Record<string, Record<string, { from: number | null; to: number | null }>> = {};
      for (const [id, e] of Object.entries(v.classes)) {
        const cls = knownClass(policy, id, `classes.${id}`);
        if (e.capacity != null) checkAmount(cls, e.capacity, `classes.${id}.capacity`);
        if (e.overcommit != null) checkOvercommit(e.overcommit, `classes.${id}.overcommit`);
        const old = before.rows.find((r) => r.class === id);
        const change: Record<string, { from: number | null; to: number | null }> = {};
        if (e.capacity !== undefined && (old?.manual_amount ?? null) !== e.capacity) {
          change.capacity = { from: old?.manual_amount ?? null, to: e.capacity };
        }
        if (e.overcommit !== undefined && (old?.overcommit ?? null) !== e.overcommit) {
          change.overcommit = { from: old?.overcommit ?? null, to: e.overcommit };
        }
        if (!Object.keys(change).length) continue;
        changes[id] = change;
        await q.query(
          `INSERT INTO quota_cloud_classes (cloud_id, class, manual_amount, manual_at, overcommit)
           VALUES ($1, $2, $3, CASE WHEN $3::double precision IS NULL THEN NULL ELSE now() END, $4)
           ON CONFLICT (cloud_id, class) DO UPDATE SET
             manual_amount = CASE WHEN $5 THEN EXCLUDED.manual_amount ELSE quota_cloud_classes.manual_amount END,
             manual_at = CASE WHEN $5 THEN EXCLUDED.manual_at ELSE quota_cloud_classes.manual_at END,
             overcommit = CASE WHEN $6 THEN EXCLUDED.overcommit ELSE quota_cloud_classes.overcommit END,
             updated_at = now()`,
          [
            cloudId,
            id,
            e.capacity ?? (change.capacity ? null : (old?.manual_amount ?? null)),
            e.overcommit ?? (change.overcommit ? null : (old?.overcommit ?? null)),
            'capacity' in change,
            'overcommit' in change,
          ],
        );
      }
      if (!Object.keys(changes).length) return false;
      {
        const have = await (allocated ?? ((id: string, tx: Queryable) => this.allocatedIn(tx, id)))(
          cloudId,
          q,
        );
        const after = await this.capacity(cloudId, q);
        for (const [cls, amount] of Object.entries(have)) {
          const allocatable = after?.allocatable[cls] ?? 0;
          if (amount > allocatable && cls in changes) {
            const message = `classes.${cls}: ${amount} ${cls} is already allocated on cloud "${cloudId}"; allocatable would be ${allocatable}. Reduce the quotas first`;
            throw new ConflictError(message, {
              code: 'quota.exceeds_capacity',
              details: [
                {
                  path: `classes.${cls}`,
                  message,
                  code: 'quota.exceeds_capacity',
                  params: { cloud: cloudId, class: cls, asked: amount, free: allocatable },
                },
              ],
            });
          }
        }
      }
      await this.d.audit.record(
        identity,
        {
          action: 'quota-cloud-capacity.update',
          targetType: 'cloud',
          targetId: cloudId,
          orgUnitId: cloud.org_unit_id,
          details: { classes: changes },
        },
        q,
      );
      return true;
    }
  }

  /**
   * What the org units and projects at the top of the cloud's quota tree hold together per class,
   * read inside `q` (under the cloud's lock the caller holds) with the quota tree's arithmetic.
   */
  async allocatedIn(q: Queryable, cloudId: string): Promise<Amounts> {
    const units = await q.query<{
      org_unit_id: string;
      path: string;
      name: string;
      class: string;
      amount: number;
    }>(
      `SELECT q.org_unit_id, u.path, u.name, q.class, q.amount::float8 AS amount
         FROM quota_org_unit_quotas q JOIN org_units u ON u.id = q.org_unit_id WHERE q.cloud_id = $1`,
      [cloudId],
    );
    const projects = await q.query<{ org_unit_id: string; path: string; class: string; amount: number }>(
      `SELECT p.org_unit_id, u.path, a.class, sum(a.quota)::float8 AS amount
         FROM quota_project_amounts a JOIN quota_projects p ON p.id = a.project_id
         JOIN org_units u ON u.id = p.org_unit_id
        WHERE a.cloud_id = $1 AND a.quota > 0 GROUP BY p.org_unit_id, u.path, a.class`,
      [cloudId],
    );
    const out: Amounts = {};
    for (const cls of new Set([...units.rows, ...projects.rows].map((r) => r.class))) {
      const m = new ClassModel(
        units.rows
          .filter((r) => r.class === cls)
          .map((r) => ({ unitId: r.org_unit_id, path: r.path, name: r.name, amount: Number(r.amount) })),
        projects.rows
          .filter((r) => r.class === cls)
          .map((r) => ({ unitId: r.org_unit_id, path: r.path, amount: Number(r.amount) })),
      );
      out[cls] = tidy(m.childrenSum(undefined));
    }
    return out;
  }

  /** Reads the capacity from the cloud now (`POST /clouds/{id}/refresh`); the outcome is recorded. */
  async refresh(identity: Identity, cloudId: string): Promise<CloudBase> {
    requirePermission(identity, 'quotas:write');
    const cloud = await this.ownCloud(identity, cloudId, this.d.db);
    if (cloud.kind === 'manual') {
      throw new ConflictError(`cloud "${cloudId}" is a manual cloud: enter its capacity instead`, {
        code: 'cloud.manual',
      });
    }
    const has = await this.d.db.query('SELECT 1 FROM quota_cloud_connections WHERE cloud_id = $1', [cloudId]);
    if (!has.rowCount) {
      throw new ConflictError(`cloud "${cloudId}" has no connection; set one first`, {
        code: 'cloud.not_connected',
      });
    }
    const outcome = await this.readCapacity(cloudId, identity);
    await this.d.audit.record(identity, {
      action: 'quota-cloud.refresh',
      targetType: 'cloud',
      targetId: cloudId,
      orgUnitId: cloud.org_unit_id,
      details: outcome.ok ? { ok: true, classes: outcome.classes } : { ok: false, error: outcome.error },
    });
    return this.baseOf(identity, cloudId);
  }

  /**
   * Reads one cloud's capacity through its adapter. The classes it reports replace the cloud-sourced
   * ones (classes it no longer reports fall back to what an admin entered); a failure — unreachable,
   * refused, garbage — is recorded on the cloud with its reason and the stored capacity is kept.
   * Never throws.
   */
  async readCapacity(
    cloudId: string,
    actor?: Identity,
  ): Promise<{ ok: true; classes: string[] } | { ok: false; error: { kind: string; message: string } }> {
    let secrets: Record<string, string> = {};
    let error: { kind: CloudErrorKind; message: string } | undefined;
    let amounts: Amounts | undefined;
    let ignored: string[] = [];
    try {
      const conn = await this.connection(cloudId);
      if (!conn) throw new CloudError('not-found', 'the cloud has no connection');
      if (conn.kind === 'manual') throw new CloudError('rejected', 'a manual cloud has no API to read');
      secrets = conn.secrets;
      const adapter = this.parts.adapters[conn.kind](conn);
      try {
        let timer: NodeJS.Timeout | undefined;
        const reported = await Promise.race([
          adapter.capacity(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () =>
                reject(new CloudError('timeout', `no capacity answer within ${READ_TIMEOUT_MS / 1000} s`)),
              READ_TIMEOUT_MS,
            );
            timer.unref();
          }),
        ]).finally(() => clearTimeout(timer));
        ({ amounts, ignored } = this.checkReported(reported));
      } finally {
        await adapter.close().catch((err: unknown) => {
          this.d.log.warn(
            { cloud: cloudId, err: scrubSecrets(String(err), secrets) },
            'closing a cloud adapter failed',
          );
        });
      }
    } catch (err) {
      if (err instanceof CloudError) error = { kind: err.kind, message: err.message };
      else if (err instanceof UnavailableError) error = { kind: 'unauthorized', message: err.message };
      else error = { kind: 'invalid-answer', message: (err as Error)?.message ?? String(err) };
      error.message = scrubSecrets(error.message, secrets).slice(0, 1000);
    }
    if (error || !amounts) {
      const e = error ?? { kind: 'invalid-answer' as const, message: 'no capacity in the answer' };
      await this.d.db.query(
        `INSERT INTO quota_cloud_reads (cloud_id, at, ok, error_kind, error_message)
         VALUES ($1, now(), false, $2, $3)
         ON CONFLICT (cloud_id) DO UPDATE SET at = now(), ok = false, error_kind = $2, error_message = $3`,
        [cloudId, e.kind, e.message],
      );
      this.d.log.warn(
        { cloud: cloudId, kind: e.kind, reason: e.message },
        'reading cloud capacity failed; stored capacity kept',
      );
      return { ok: false, error: e };
    }
    const reported = amounts;
    const changed: Record<string, { from: number | null; to: number | null }> = {};
    await this.d.db.transaction(async (q) => {
      const before = await q.query<ClassRow>(
        'SELECT * FROM quota_cloud_classes WHERE cloud_id = $1 FOR UPDATE',
        [cloudId],
      );
      for (const [cls, amount] of Object.entries(reported)) {
        const old = before.rows.find((r) => r.class === cls)?.cloud_amount ?? null;
        if (old !== amount) changed[cls] = { from: old, to: amount };
        await q.query(
          `INSERT INTO quota_cloud_classes (cloud_id, class, cloud_amount, cloud_observed_at)
           VALUES ($1, $2, $3, now())
           ON CONFLICT (cloud_id, class) DO UPDATE SET cloud_amount = $3, cloud_observed_at = now(), updated_at = now()`,
          [cloudId, cls, amount],
        );
      }
      for (const r of before.rows) {
        if (r.cloud_amount !== null && !(r.class in reported)) {
          changed[r.class] = { from: r.cloud_amount, to: null };
          await q.query(
            `UPDATE quota_cloud_classes SET cloud_amount = NULL, cloud_observed_at = NULL, updated_at = now()
              WHERE cloud_id = $1 AND class = $2`,
            [cloudId, r.class],
          );
        }
      }
      await q.query(
        `INSERT INTO quota_cloud_reads (cloud_id, at, ok, last_ok_at, ignored_classes)
         VALUES ($1, now(), true, now(), $2::text[])
         ON CONFLICT (cloud_id) DO UPDATE SET at = now(), ok = true, error_kind = NULL, error_message = NULL,
           last_ok_at = now(), ignored_classes = $2::text[]`,
        [cloudId, ignored],
      );
      if (Object.keys(changed).length) {
        const owner = await q.query<{ org_unit_id: string }>('SELECT org_unit_id FROM clouds WHERE id = $1', [
          cloudId,
        ]);
        await this.d.audit.record(
          actor ?? systemIdentity(),
          {
            action: 'quota-cloud-capacity.reported',
            targetType: 'cloud',
            targetId: cloudId,
            orgUnitId: owner.rows[0]?.org_unit_id ?? undefined,
            details: { classes: changed },
          },
          q,
        );
      }
    });
    if (ignored.length) {
      this.d.log.warn(
        { cloud: cloudId, classes: ignored },
        'the cloud reported classes the policy does not know; ignored',
      );
    }
    return { ok: true, classes: Object.keys(reported).sort() };
  }

  /** The adapter's answer checked: amounts finite and not negative; classes unknown to the policy set aside. */
  private checkReported(reported: unknown): { amounts: Amounts; ignored: string[] } {
    if (!reported || typeof reported !== 'object' || Array.isArray(reported)) {
      throw new CloudError('invalid-answer', 'the capacity answer is not a set of amounts per class');
    }
    const known = new Set(this.parts.policy().classes.map((c) => c.id));
    const amounts: Amounts = {};
    const ignored: string[] = [];
    for (const [cls, v] of Object.entries(reported as Record<string, unknown>)) {
      if (!known.has(cls)) {
        ignored.push(cls.slice(0, 64));
        continue;
      }
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new CloudError(
          'invalid-answer',
          `the cloud reported ${cls} = ${String(v).slice(0, 40)}, not an amount`,
        );
      }
      amounts[cls] = v;
    }
    return { amounts, ignored: ignored.sort() };
  }

  /** Reads every connected cloud's capacity (the `quotas.capacity` job); one failing cloud never stops the rest. */
  async readAll(): Promise<{ ok: number; failed: number }> {
    const r = await this.d.db.query<{ cloud_id: string }>(
      `SELECT k.cloud_id FROM quota_cloud_connections k JOIN clouds c ON c.id = k.cloud_id
        WHERE c.kind IN ('kubernetes', 'openstack') ORDER BY k.cloud_id`,
    );
    let ok = 0;
    let failed = 0;
    for (const { cloud_id } of r.rows) {
      try {
        const o = await this.readCapacity(cloud_id);
        if (o.ok) ok++;
        else failed++;
      } catch (err) {
        failed++;
        this.d.log.error(
          { cloud: cloud_id, err: (err as Error).message },
          'recording a capacity read failed',
        );
      }
    }
    return { ok, failed };
  }

  /* ─────────────── seeding ─────────────── */

  /** Nothing before the inventory: the connections file names clouds the inventory file creates. */
  seed(_system: Identity): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Loads `cloudConnectionsFile` after the inventory file (the module's `afterInventory` hook): sets
   * each named cloud's connection (secrets sealed) and entered capacity, changing only what differs,
   * so loading the same file twice changes nothing. A cloud the inventory lacks is refused by name.
   */
  async applyConnectionsFile(
    system: Identity,
    file: CloudConnectionsFile,
  ): Promise<{ connections: number; capacities: number }> {
    if (file.clouds.some((c) => c.secrets && Object.keys(c.secrets).length)) this.requireSealer();
    let connections = 0;
    let capacities = 0;
    await this.d.db.transaction(async (q) => {
      for (const entry of file.clouds) {
        const { cloudId, capacity, ...conn } = entry;
        const exists = await q.query<{ kind: string }>('SELECT kind FROM clouds WHERE id = $1', [cloudId]);
        if (!exists.rows[0]) {
          throw new InputError(`cloud connections file: cloud "${cloudId}" is not in the inventory`);
        }
        if (conn.endpoint !== undefined || conn.secrets || conn.settings || conn.kind) {
          if (!(await this.sameConnection(cloudId, exists.rows[0].kind, conn, q))) {
            await this.setConnection(system, cloudId, conn, q);
            connections++;
          }
        }
        if (capacity && Object.keys(capacity).length) {
          const v = check(CapacityInput, { classes: capacity }, `cloud connections file: ${cloudId}`);
          if (await this.applyCapacity(system, cloudId, v, undefined, q)) capacities++;
        }
      }
    });
    return { connections, capacities };
  }

  private async sameConnection(
    cloudId: string,
    kind: string,
    conn: ConnectionInput,
    q: Queryable,
  ): Promise<boolean> {
    if (conn.kind && conn.kind !== kind) return false;
    const r = await q.query<ConnRow>('SELECT * FROM quota_cloud_connections WHERE cloud_id = $1', [cloudId]);
    const have = r.rows[0];
    if (!have || !isManagedKind(kind)) return false;
    const endpoint = conn.endpoint === undefined ? null : checkEndpoint(kind, conn.endpoint);
    const settings = json(have.settings);
    if (endpoint !== have.endpoint) return false;
    if (
      JSON.stringify(sortKeys(settings)) !==
      JSON.stringify(sortKeys(checkSettings(kind, conn.settings ?? {})))
    ) {
      return false;
    }
    const stored = this.openSecrets(cloudId, have.secret);
    return (
      JSON.stringify(sortKeys(stored)) === JSON.stringify(sortKeys({ ...stored, ...(conn.secrets ?? {}) }))
    );
  }

  /** Loads `cloudConnectionsFile` when configured (the module's `afterInventory` hook). */
  async afterInventory(system: Identity): Promise<void> {
    const path = this.d.config.cloudConnectionsFile;
    if (!path) return;
    const r = await this.applyConnectionsFile(system, loadConnectionsFile(path));
    if (r.connections || r.capacities) this.d.log.info({ file: path, ...r }, 'cloud connections loaded');
  }

  /* ─────────────── module hooks ─────────────── */

  async overview(identity: Identity): Promise<Record<string, unknown>> {
    const r = await this.d.db.query<{ n: string; failing: string }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE r.ok = false) AS failing
         FROM clouds c JOIN org_units u ON u.id = c.org_unit_id
         LEFT JOIN quota_cloud_reads r ON r.cloud_id = c.id
        WHERE ${MANAGED} AND u.path LIKE $1`,
      [identity.orgUnitPath + '%'],
    );
    return {
      clouds: Number(r.rows[0]?.n ?? 0),
      capacityReadErrors: Number(r.rows[0]?.failing ?? 0),
    };
  }

  jobs(): ModuleJob[] {
    return [
      {
        name: 'quotas.capacity',
        everyMillis: CAPACITY_EVERY_MS,
        run: async () => {
          const r = await this.readAll();
          if (r.failed) this.d.log.warn(r, 'cloud capacity read: some clouds failed (shown on each cloud)');
        },
      },
    ];
  }
}

function readView(r: ReadRow | undefined): CapacityReadView {
  if (!r) return { state: 'never', at: null, lastOkAt: null, error: null, ignoredClasses: [] };
  const kind =
    r.error_kind && (CLOUD_ERROR_KINDS as readonly string[]).includes(r.error_kind) ? r.error_kind : null;
  return {
    state: r.ok ? 'ok' : 'error',
    at: iso(r.at),
    lastOkAt: iso(r.last_ok_at),
    error: r.ok ? null : { kind: kind ?? 'invalid-answer', message: r.error_message ?? '', at: iso(r.at)! },
    ignoredClasses: r.ignored_classes ?? [],
  };
}

function sortKeys(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
