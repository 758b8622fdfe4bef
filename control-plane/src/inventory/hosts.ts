import { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors.js';
import { inScope, requirePermission, type Identity } from '../auth/identity.js';
import type { Queryable } from '../store/state/index.js';
import {
  check,
  inTx,
  IpAddress,
  pageClause,
  recordChange,
  requireOrgUnit,
  scopePrefix,
  setClause,
  Slug,
  Uuid,
  type InventoryDeps,
  type Page,
} from './common.js';
import { OrgUnitId } from './org-units.js';

const Hostname = z
  .string()
  .regex(
    /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
    'hostname is a DNS name: letters, digits, "-" and "."',
  );
const Addresses = z
  .array(IpAddress)
  .max(64)
  .refine((a) => new Set(a).size === a.length, 'addresses are listed once each');
const HostRole = z.string().trim().min(1).max(100);

export const HostInput = z
  .object({
    id: Slug,
    cloudId: Slug.optional(),
    orgUnitId: OrgUnitId,
    hostname: Hostname,
    addresses: Addresses.default([]),
    agentId: Uuid.optional(),
    role: HostRole.optional(),
  })
  .strict();
export type HostInput = z.input<typeof HostInput>;

export const HostPatch = z
  .object({
    cloudId: Slug.nullable().optional(),
    orgUnitId: OrgUnitId.optional(),
    hostname: Hostname.optional(),
    addresses: Addresses.optional(),
    agentId: Uuid.nullable().optional(),
    role: HostRole.nullable().optional(),
  })
  .strict();
export type HostPatch = z.infer<typeof HostPatch>;

export const HostFilter = z
  .object({
    orgUnitId: OrgUnitId.optional(),
    cloudId: Slug.optional(),
  })
  .strict();
export type HostFilter = z.infer<typeof HostFilter>;

export interface Host {
  id: string;
  cloudId: string | null;
  orgUnitId: string;
  hostname: string;
  addresses: string[];
  /** The enrolled agent running on the host, if any. */
  agentId: string | null;
  role: string | null;
}

interface Row {
  id: string;
  cloud_id: string | null;
  org_unit_id: string;
  hostname: string;
  addresses: string[];
  agent_id: string | null;
  role: string | null;
  path: string;
}

const SELECT = `SELECT h.id, h.cloud_id, h.org_unit_id, h.hostname, h.addresses, h.agent_id, h.role, u.path
  FROM hosts h JOIN org_units u ON u.id = h.org_unit_id`;

const toHost = (r: Row): Host => ({
  id: r.id,
  cloudId: r.cloud_id,
  orgUnitId: r.org_unit_id,
  hostname: r.hostname,
  addresses: r.addresses ?? [],
  agentId: r.agent_id,
  role: r.role,
});

/**
 * Cloud hosts. A host may run in a cloud of its own subtree or in one run by a unit above it (the
 * provincial cloud serves every county), and may be tied to the agent enrolled on it.
 */
export class HostService {
  constructor(private readonly deps: InventoryDeps) {}

  async list(identity: Identity, filter: HostFilter = {}, page?: Page): Promise<Host[]> {
    requirePermission(identity, 'inventory:read');
    const f = check(HostFilter, filter, 'host filter');
    const params: unknown[] = [(await scopePrefix(this.deps.orgUnits, identity, f.orgUnitId)) + '%'];
    let where = 'u.path LIKE $1';
    if (f.cloudId) {
      params.push(f.cloudId);
      where += ` AND h.cloud_id = $${params.length}`;
    }
    const r = await this.deps.db.query<Row>(
      `${SELECT} WHERE ${where} ORDER BY h.id${pageClause(page, params)}`,
      params,
    );
    return r.rows.map(toHost);
  }

  async get(identity: Identity, id: string, tx?: Queryable): Promise<Host> {
    requirePermission(identity, 'inventory:read');
    return toHost(await this.row(identity, id, tx ?? this.deps.db));
  }

  async find(identity: Identity, id: string, tx?: Queryable): Promise<Host | undefined> {
    requirePermission(identity, 'inventory:read');
    const r = await (tx ?? this.deps.db).query<Row>(`${SELECT} WHERE h.id = $1`, [id]);
    const row = r.rows[0];
    return row && inScope(identity, row.path) ? toHost(row) : undefined;
  }

  async create(identity: Identity, input: HostInput, tx?: Queryable): Promise<Host> {
    requirePermission(identity, 'inventory:write');
    const v = check(HostInput, input, 'host');
    return inTx(this.deps.db, tx, async (q) => {
      const path = await requireOrgUnit(this.deps.orgUnits, identity, v.orgUnitId, q);
      if (v.cloudId) await this.checkCloud(v.cloudId, path, q);
      if (v.agentId) await this.checkAgent(identity, v.agentId, v.id, q);
      const exists = await q.query('SELECT 1 FROM hosts WHERE id = $1', [v.id]);
      if (exists.rowCount > 0) throw new ConflictError(`host "${v.id}" already exists`);
      await q.query(
        `INSERT INTO hosts (id, cloud_id, org_unit_id, hostname, addresses, agent_id, role) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
        [v.id, v.cloudId ?? null, v.orgUnitId, v.hostname, v.addresses, v.agentId ?? null, v.role ?? null],
      );
      await recordChange(this.deps.audit, identity, q, 'host', 'create', v.id, v.orgUnitId, { ...v });
      return toHost(await this.row(identity, v.id, q));
    });
  }

  async update(identity: Identity, id: string, patch: HostPatch, tx?: Queryable): Promise<Host> {
    requirePermission(identity, 'inventory:write');
    const v = check(HostPatch, patch, 'host patch');
    return inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      const path = v.orgUnitId
        ? await requireOrgUnit(this.deps.orgUnits, identity, v.orgUnitId, q)
        : before.path;
      const cloudId = v.cloudId === undefined ? before.cloud_id : v.cloudId;
      if (cloudId && (v.cloudId !== undefined || v.orgUnitId)) await this.checkCloud(cloudId, path, q);
      if (v.agentId) await this.checkAgent(identity, v.agentId, id, q);
      const params: unknown[] = [id];
      const sets = setClause(
        v,
        {
          cloudId: 'cloud_id',
          orgUnitId: 'org_unit_id',
          hostname: 'hostname',
          addresses: 'addresses',
          agentId: 'agent_id',
          role: 'role',
        },
        params,
      );
      if (sets) await q.query(`UPDATE hosts SET ${sets}, updated_at = now() WHERE id = $1`, params);
      await recordChange(
        this.deps.audit,
        identity,
        q,
        'host',
        'update',
        id,
        v.orgUnitId ?? before.org_unit_id,
        { ...v },
      );
      return toHost(await this.row(identity, id, q));
    });
  }

  async remove(identity: Identity, id: string, tx?: Queryable): Promise<void> {
    requirePermission(identity, 'inventory:write');
    await inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      await q.query('DELETE FROM hosts WHERE id = $1', [id]);
      await recordChange(this.deps.audit, identity, q, 'host', 'delete', id, before.org_unit_id);
    });
  }

  /** The cloud must be run by the host's org unit, a unit below it, or a unit above it. */
  private async checkCloud(cloudId: string, hostPath: string, q: Queryable): Promise<void> {
    const r = await q.query<{ path: string }>(
      'SELECT u.path FROM clouds c JOIN org_units u ON u.id = c.org_unit_id WHERE c.id = $1',
      [cloudId],
    );
    const path = r.rows[0]?.path;
    if (!path || !(hostPath.startsWith(path) || path.startsWith(hostPath))) {
      throw new NotFoundError(`cloudId: cloud "${cloudId}" not found among the clouds serving this org unit`);
    }
  }

  private async checkAgent(identity: Identity, agentId: string, hostId: string, q: Queryable): Promise<void> {
    const r = await q.query<{ path: string }>(
      'SELECT u.path FROM agents a JOIN org_units u ON u.id = a.org_unit_id WHERE a.id = $1',
      [agentId],
    );
    if (!inScope(identity, r.rows[0]?.path)) throw new NotFoundError(`agentId: agent "${agentId}" not found`);
    const taken = await q.query<{ id: string }>('SELECT id FROM hosts WHERE agent_id = $1 AND id <> $2', [
      agentId,
      hostId,
    ]);
    if (taken.rows[0])
      throw new ConflictError(`agentId: agent "${agentId}" is already tied to host "${taken.rows[0].id}"`);
  }

  private async row(identity: Identity, id: string, q: Queryable): Promise<Row> {
    const r = await q.query<Row>(`${SELECT} WHERE h.id = $1`, [id]);
    const row = r.rows[0];
    if (!row || !inScope(identity, row.path)) throw new NotFoundError(`host "${id}" not found`);
    return row;
  }
}
