import { z } from 'zod';
import { ConflictError, InputError, NotFoundError, notAvailable } from '../errors.js';
import { inScope, requirePermission, type Identity } from '../auth/identity.js';
import type { Queryable } from '../store/state/index.js';
import {
  assertUnreferenced,
  check,
  inTx,
  IpAddress,
  Name,
  recordChange,
  setClause,
  Slug,
  type InventoryDeps,
  type Page,
} from './common.js';
import { firstInScope, listInScope } from './crud.js';
import { OrgUnitId } from './org-units.js';
import { assertManagementAddress } from './prefixes.js';

/** A device as a check sees it before it is written: where it will be and what it will poll with. */
export interface DeviceDraft {
  id: string;
  orgUnitId: string;
  /** The org unit's materialized path. */
  path: string;
  managementAddress: string;
  snmp: { version: '2c' | '3'; credentialRef: string; port?: number | undefined } | null;
  pollerAgentId: string | null;
}

/**
 * A rule another module adds to device writes (the network module checks that the SNMP credential
 * may be used where the device is). Throws a domain error naming the field; runs in the write's
 * transaction.
 */
export type DeviceCheck = (identity: Identity, device: DeviceDraft, q: Queryable) => Promise<void>;

export const DEVICE_ROLES = ['core', 'aggregation', 'access', 'firewall', 'egress'] as const;
export const PLANES = ['A', 'B'] as const;
/** How much an asset matters to the risk score (security module, `policies/risk.yaml`). */
export const CRITICALITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Criticality = (typeof CRITICALITIES)[number];
export type Plane = (typeof PLANES)[number];

/** Where the device's SNMP credentials live; the secrets themselves are never stored in inventory. */
export const SnmpRef = z
  .object({
    version: z.enum(['2c', '3']),
    credentialRef: z.string().trim().min(1).max(200),
    /** UDP port of the device's SNMP agent; 161 when absent. */
    port: z.number().int().min(1).max(65535).optional(),
  })
  .strict();

/** The edge agent that must poll the device; when absent, any edge agent above the device polls it. */
const PollerAgentId = z.uuid('pollerAgentId must be an agent id (UUID)');

const Oid = z
  .string()
  .regex(/^[0-9]+(\.[0-9]+)+$/, 'sysObjectId is a dotted OID such as 1.3.6.1.4.1.2011.2.224');

export const DeviceInput = z
  .object({
    id: Slug,
    siteId: Slug,
    name: Name,
    role: z.enum(DEVICE_ROLES),
    vendor: z.string().trim().min(1).max(100).optional(),
    model: z.string().trim().min(1).max(100).optional(),
    managementAddress: IpAddress,
    snmp: SnmpRef.optional(),
    sysObjectId: Oid.optional(),
    plane: z.enum(PLANES).optional(),
    pollerAgentId: PollerAgentId.optional(),
    criticality: z.enum(CRITICALITIES).optional(),
  })
  .strict();
export type DeviceInput = z.infer<typeof DeviceInput>;

export const DevicePatch = z
  .object({
    siteId: Slug.optional(),
    name: Name.optional(),
    role: z.enum(DEVICE_ROLES).optional(),
    vendor: z.string().trim().min(1).max(100).nullable().optional(),
    model: z.string().trim().min(1).max(100).nullable().optional(),
    managementAddress: IpAddress.optional(),
    snmp: SnmpRef.nullable().optional(),
    sysObjectId: Oid.nullable().optional(),
    plane: z.enum(PLANES).nullable().optional(),
    pollerAgentId: PollerAgentId.nullable().optional(),
    criticality: z.enum(CRITICALITIES).nullable().optional(),
  })
  .strict();
export type DevicePatch = z.infer<typeof DevicePatch>;

export const DeviceFilter = z
  .object({
    orgUnitId: OrgUnitId.optional(),
    siteId: Slug.optional(),
    role: z.enum(DEVICE_ROLES).optional(),
    plane: z.enum(PLANES).optional(),
  })
  .strict();
export type DeviceFilter = z.infer<typeof DeviceFilter>;

export interface Device {
  id: string;
  siteId: string;
  /** The site's org unit. */
  orgUnitId: string;
  name: string;
  role: (typeof DEVICE_ROLES)[number];
  vendor: string | null;
  model: string | null;
  managementAddress: string;
  snmp: { version: '2c' | '3'; credentialRef: string; port?: number } | null;
  sysObjectId: string | null;
  plane: Plane | null;
  /** The edge agent named to poll this device, or null for "the edge agents above it". */
  pollerAgentId: string | null;
  /** Its criticality for the risk score, or null (the risk policy's default). */
  criticality: Criticality | null;
}

interface Row {
  id: string;
  site_id: string;
  org_unit_id: string;
  name: string;
  role: Device['role'];
  vendor: string | null;
  model: string | null;
  management_address: string;
  snmp_version: '2c' | '3' | null;
  snmp_credential_ref: string | null;
  snmp_port: number | null;
  sys_object_id: string | null;
  plane: Plane | null;
  poller_agent_id: string | null;
  criticality: Criticality | null;
  path: string;
}

const SELECT = `SELECT d.*, u.path FROM devices d JOIN org_units u ON u.id = d.org_unit_id`;

const toDevice = (r: Row): Device => ({
  id: r.id,
  siteId: r.site_id,
  orgUnitId: r.org_unit_id,
  name: r.name,
  role: r.role,
  vendor: r.vendor,
  model: r.model,
  managementAddress: r.management_address,
  snmp:
    r.snmp_version && r.snmp_credential_ref
      ? {
          version: r.snmp_version,
          credentialRef: r.snmp_credential_ref,
          ...(r.snmp_port === null ? {} : { port: Number(r.snmp_port) }),
        }
      : null,
  sysObjectId: r.sys_object_id,
  plane: r.plane,
  pollerAgentId: r.poller_agent_id,
  criticality: r.criticality ?? null,
});

/** Routers, switches and firewalls. A device's org unit is its site's. */
export class DeviceService {
  private readonly checks: DeviceCheck[] = [];

  constructor(private readonly deps: InventoryDeps) {}

  /** Adds a rule every create and update must pass (see {@link DeviceCheck}). */
  addCheck(check: DeviceCheck): void {
    this.checks.push(check);
  }

  /**
   * What every write must hold: the management address lies in a management prefix of the device's
   * own org unit, a named poller is an edge agent in the caller's scope serving that unit, and the
   * other modules' rules.
   */
  private async checkDraft(identity: Identity, d: DeviceDraft, q: Queryable): Promise<void> {
    await assertManagementAddress(q, d.orgUnitId, d.managementAddress);
    if (d.pollerAgentId) await this.assertPoller(identity, d.pollerAgentId, d, q);
    for (const check of this.checks) await check(identity, d, q);
  }

  async list(identity: Identity, filter: DeviceFilter = {}, page?: Page): Promise<Device[]> {
    requirePermission(identity, 'inventory:read');
    const f = check(DeviceFilter, filter, 'device filter');
    const rows = await listInScope<Row>(
      this.deps,
      identity,
      f,
      { select: SELECT, equals: { siteId: 'd.site_id', role: 'd.role', plane: 'd.plane' }, orderBy: 'd.id' },
      page,
    );
    return rows.map(toDevice);
  }

  async get(identity: Identity, id: string, tx?: Queryable): Promise<Device> {
    requirePermission(identity, 'inventory:read');
    return toDevice(await this.row(identity, id, tx ?? this.deps.db));
  }

  /** Returns the device when it is in scope, or undefined (for idempotent loads). */
  async find(identity: Identity, id: string, tx?: Queryable): Promise<Device | undefined> {
    requirePermission(identity, 'inventory:read');
    const r = await (tx ?? this.deps.db).query<Row>(`${SELECT} WHERE d.id = $1`, [id]);
    const row = firstInScope(identity, r.rows);
    return row && toDevice(row);
  }

  async create(identity: Identity, input: DeviceInput, tx?: Queryable): Promise<Device> {
    requirePermission(identity, 'inventory:write');
    const v = check(DeviceInput, input, 'device');
    return inTx(this.deps.db, tx, async (q) => {
      const { orgUnitId, path } = await this.siteOrgUnit(identity, v.siteId, q);
      const exists = await q.query('SELECT 1 FROM devices WHERE id = $1', [v.id]);
      if (exists.rowCount > 0) throw notAvailable('id', `device id "${v.id}"`);
      await this.assertAddressFree(identity, v.managementAddress, v.id, q);
      await this.checkDraft(
        identity,
        {
          id: v.id,
          orgUnitId,
          path,
          managementAddress: v.managementAddress,
          snmp: v.snmp ?? null,
          pollerAgentId: v.pollerAgentId ?? null,
        },
        q,
      );
      await q.query(
        `INSERT INTO devices (id, site_id, org_unit_id, name, role, vendor, model, management_address, snmp_version,
           snmp_credential_ref, sys_object_id, plane, snmp_port, poller_agent_id, criticality)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
        [
          v.id,
          v.siteId,
          orgUnitId,
          v.name,
          v.role,
          v.vendor ?? null,
          v.model ?? null,
          v.managementAddress,
          v.snmp?.version ?? null,
          v.snmp?.credentialRef ?? null,
          v.sysObjectId ?? null,
          v.plane ?? null,
          v.snmp?.port ?? null,
          v.pollerAgentId ?? null,
          v.criticality ?? null,
        ],
      );
      await recordChange(this.deps.audit, identity, q, 'device', 'create', v.id, orgUnitId, { ...v });
      return toDevice(await this.row(identity, v.id, q));
    });
  }

  /** Changes a device; moving it to another site moves it (and its interfaces) to that site's org unit. */
  async update(identity: Identity, id: string, patch: DevicePatch, tx?: Queryable): Promise<Device> {
    requirePermission(identity, 'inventory:write');
    const v = check(DevicePatch, patch, 'device patch');
    return inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      const site = v.siteId
        ? await this.siteOrgUnit(identity, v.siteId, q)
        : { orgUnitId: before.org_unit_id, path: before.path };
      const orgUnitId = site.orgUnitId;
      if (v.managementAddress) await this.assertAddressFree(identity, v.managementAddress, id, q);
      const was = toDevice(before);
      await this.checkDraft(
        identity,
        {
          id,
          orgUnitId,
          path: site.path,
          managementAddress: v.managementAddress ?? was.managementAddress,
          snmp: v.snmp === undefined ? was.snmp : v.snmp,
          pollerAgentId: v.pollerAgentId === undefined ? was.pollerAgentId : v.pollerAgentId,
        },
        q,
      );
      const params: unknown[] = [id];
      const flat = {
        ...v,
        orgUnitId: v.siteId ? orgUnitId : undefined,
        snmpVersion: v.snmp === undefined ? undefined : (v.snmp?.version ?? null),
        snmpCredentialRef: v.snmp === undefined ? undefined : (v.snmp?.credentialRef ?? null),
        snmpPort: v.snmp === undefined ? undefined : (v.snmp?.port ?? null),
      };
      const sets = setClause(
        flat,
        {
          siteId: 'site_id',
          orgUnitId: 'org_unit_id',
          name: 'name',
          role: 'role',
          vendor: 'vendor',
          model: 'model',
          managementAddress: 'management_address',
          snmpVersion: 'snmp_version',
          snmpCredentialRef: 'snmp_credential_ref',
          sysObjectId: 'sys_object_id',
          plane: 'plane',
          snmpPort: 'snmp_port',
          pollerAgentId: 'poller_agent_id',
          criticality: 'criticality',
        },
        params,
      );
      // A name set by hand is never replaced by discovery's sysName.
      const named = v.name !== undefined ? ', name_auto = false' : '';
      if (sets) await q.query(`UPDATE devices SET ${sets}${named}, updated_at = now() WHERE id = $1`, params);
      await recordChange(this.deps.audit, identity, q, 'device', 'update', id, orgUnitId, { ...v });
      return toDevice(await this.row(identity, id, q));
    });
  }

  /**
   * Checks that the devices of a site may follow it to another org unit (a site move carries them):
   * each must pass the same rules as if it were created there.
   */
  async checkMove(
    identity: Identity,
    siteId: string,
    orgUnitId: string,
    path: string,
    q: Queryable,
  ): Promise<void> {
    const r = await q.query<Row>(`${SELECT} WHERE d.site_id = $1 ORDER BY d.id`, [siteId]);
    for (const row of r.rows) {
      const d = toDevice(row);
      try {
        await this.checkDraft(
          identity,
          { ...d, orgUnitId, path, snmp: d.snmp, pollerAgentId: d.pollerAgentId },
          q,
        );
      } catch (err) {
        if (err instanceof Error) err.message = `device "${d.id}" cannot move with the site: ${err.message}`;
        throw err;
      }
    }
  }

  /** Deletes a device and its interfaces, unless a link still ends on it. */
  async remove(identity: Identity, id: string, tx?: Queryable): Promise<void> {
    requirePermission(identity, 'inventory:write');
    await inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      const links = await q.query<{ id: string }>(
        'SELECT id FROM links WHERE a_device_id = $1 OR b_device_id = $1 ORDER BY id',
        [id],
      );
      assertUnreferenced(`device "${id}"`, [{ kind: 'links', ids: links.rows.map((l) => l.id) }]);
      await q.query('DELETE FROM devices WHERE id = $1', [id]);
      await recordChange(this.deps.audit, identity, q, 'device', 'delete', id, before.org_unit_id);
    });
  }

  private async siteOrgUnit(
    identity: Identity,
    siteId: string,
    q: Queryable,
  ): Promise<{ orgUnitId: string; path: string }> {
    const r = await q.query<{ org_unit_id: string; path: string }>(
      'SELECT s.org_unit_id, u.path FROM sites s JOIN org_units u ON u.id = s.org_unit_id WHERE s.id = $1',
      [siteId],
    );
    const row = r.rows[0];
    if (!row || !inScope(identity, row.path)) throw new NotFoundError(`siteId: site "${siteId}" not found`);
    return { orgUnitId: row.org_unit_id, path: row.path };
  }

  /** Management addresses are unique; a device outside the caller's scope is not named. */
  private async assertAddressFree(
    identity: Identity,
    address: string,
    id: string,
    q: Queryable,
  ): Promise<void> {
    const r = await q.query<{ id: string; path: string }>(
      `SELECT d.id, u.path FROM devices d JOIN org_units u ON u.id = d.org_unit_id
        WHERE d.management_address = $1 AND d.id <> $2`,
      [address, id],
    );
    const other = r.rows[0];
    if (other) {
      const who = inScope(identity, other.path) ? `device "${other.id}"` : 'another device';
      throw new ConflictError(`managementAddress: ${address} is already used by ${who}`, {
        code: 'device.address_in_use',
      });
    }
  }

  /**
   * A named poller must be an edge agent that is not revoked, in the caller's scope (otherwise it is
   * answered as absent), enrolled at or above the device's org unit (an agent polls only devices of
   * units it serves).
   */
  private async assertPoller(
    identity: Identity,
    agentId: string,
    d: DeviceDraft,
    q: Queryable,
  ): Promise<void> {
    const r = await q.query<{ org_unit_id: string; path: string }>(
      `SELECT a.org_unit_id, u.path FROM agents a JOIN org_units u ON u.id = a.org_unit_id
        WHERE a.id::text = $1 AND a.revoked_at IS NULL AND 'edge' = ANY(a.roles)`,
      [agentId],
    );
    const agent = r.rows[0];
    if (!agent || !inScope(identity, agent.path)) {
      throw new NotFoundError(`pollerAgentId: edge agent "${agentId}" not found`);
    }
    if (!d.path.startsWith(agent.path)) {
      throw new InputError(
        `pollerAgentId: edge agent "${agentId}" is enrolled at org unit "${agent.org_unit_id}", which does not serve "${d.orgUnitId}"; name an agent enrolled at or above the device's org unit`,
      );
    }
  }

  private async row(identity: Identity, id: string, q: Queryable): Promise<Row> {
    const r = await q.query<Row>(`${SELECT} WHERE d.id = $1`, [id]);
    const row = firstInScope(identity, r.rows);
    if (!row) throw new NotFoundError(`device "${id}" not found`);
    return row;
  }
}
