import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors.js';
import { inScope, requirePermission, type Identity } from '../auth/identity.js';
import type { Queryable } from '../store/state/index.js';
import {
  assertUnreferenced,
  check,
  inTx,
  recordChange,
  setClause,
  Slug,
  Uuid,
  type InventoryDeps,
  type Page,
} from './common.js';
import { firstInScope, listInScope } from './crud.js';
import { OrgUnitId } from './org-units.js';

const IfIndex = z.number().int().min(1, 'ifIndex is an integer of at least 1').max(2_147_483_647);
const IfName = z.string().trim().min(1).max(200);
const Alias = z.string().trim().min(1).max(200);
const SpeedMbps = z.number().int().positive().max(10_000_000);

export const InterfaceInput = z
  .object({
    deviceId: Slug,
    ifIndex: IfIndex,
    name: IfName,
    alias: Alias.optional(),
    speedMbps: SpeedMbps.optional(),
    /** The interface leads to the internet (an egress): flows out of it are egress, in on it ingress. */
    internetEgress: z.boolean().optional(),
  })
  .strict();
export type InterfaceInput = z.infer<typeof InterfaceInput>;

export const InterfacePatch = z
  .object({
    ifIndex: IfIndex.optional(),
    name: IfName.optional(),
    alias: Alias.nullable().optional(),
    speedMbps: SpeedMbps.nullable().optional(),
    internetEgress: z.boolean().optional(),
  })
  .strict();
export type InterfacePatch = z.infer<typeof InterfacePatch>;

export const InterfaceFilter = z
  .object({
    orgUnitId: OrgUnitId.optional(),
    deviceId: Slug.optional(),
  })
  .strict();
export type InterfaceFilter = z.infer<typeof InterfaceFilter>;

export interface Interface {
  /** A server-made UUID; `(deviceId, ifIndex)` is the natural key. */
  id: string;
  deviceId: string;
  orgUnitId: string;
  ifIndex: number;
  name: string;
  alias: string | null;
  speedMbps: number | null;
  /** Marked as an internet egress (flows direction). */
  internetEgress: boolean;
}

interface Row {
  id: string;
  device_id: string;
  org_unit_id: string;
  if_index: number;
  name: string;
  alias: string | null;
  speed_mbps: number | null;
  internet_egress: boolean;
  path: string;
}

const SELECT = `SELECT i.id, i.device_id, i.org_unit_id, i.if_index, i.name, i.alias, i.speed_mbps, i.internet_egress, u.path
  FROM interfaces i JOIN org_units u ON u.id = i.org_unit_id`;

const toInterface = (r: Row): Interface => ({
  id: r.id,
  deviceId: r.device_id,
  orgUnitId: r.org_unit_id,
  ifIndex: Number(r.if_index),
  name: r.name,
  alias: r.alias,
  speedMbps: r.speed_mbps === null ? null : Number(r.speed_mbps),
  internetEgress: r.internet_egress === true,
});

/** Device interfaces, keyed by the SNMP ifIndex on their device. */
export class InterfaceService {
  constructor(private readonly deps: InventoryDeps) {}

  async list(identity: Identity, filter: InterfaceFilter = {}, page?: Page): Promise<Interface[]> {
    requirePermission(identity, 'inventory:read');
    const f = check(InterfaceFilter, filter, 'interface filter');
    const rows = await listInScope<Row>(
      this.deps,
      identity,
      f,
      { select: SELECT, equals: { deviceId: 'i.device_id' }, orderBy: 'i.device_id, i.if_index' },
      page,
    );
    return rows.map(toInterface);
  }

  async get(identity: Identity, id: string, tx?: Queryable): Promise<Interface> {
    requirePermission(identity, 'inventory:read');
    return toInterface(await this.row(identity, id, tx ?? this.deps.db));
  }

  /** The interface with `ifIndex` on `deviceId` when it is in scope, or undefined. */
  async findByIndex(
    identity: Identity,
    deviceId: string,
    ifIndex: number,
    tx?: Queryable,
  ): Promise<Interface | undefined> {
    requirePermission(identity, 'inventory:read');
    const r = await (tx ?? this.deps.db).query<Row>(`${SELECT} WHERE i.device_id = $1 AND i.if_index = $2`, [
      deviceId,
      ifIndex,
    ]);
    const row = firstInScope(identity, r.rows);
    return row && toInterface(row);
  }

  async create(identity: Identity, input: InterfaceInput, tx?: Queryable): Promise<Interface> {
    requirePermission(identity, 'inventory:write');
    const v = check(InterfaceInput, input, 'interface');
    return inTx(this.deps.db, tx, async (q) => {
      const dev = await q.query<{ org_unit_id: string; path: string }>(
        'SELECT d.org_unit_id, u.path FROM devices d JOIN org_units u ON u.id = d.org_unit_id WHERE d.id = $1',
        [v.deviceId],
      );
      const d = dev.rows[0];
      if (!d || !inScope(identity, d.path))
        throw new NotFoundError(`deviceId: device "${v.deviceId}" not found`);
      await this.assertIndexFree(v.deviceId, v.ifIndex, undefined, q);
      const id = randomUUID();
      await q.query(
        `INSERT INTO interfaces (id, device_id, org_unit_id, if_index, name, alias, speed_mbps, internet_egress)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          id,
          v.deviceId,
          d.org_unit_id,
          v.ifIndex,
          v.name,
          v.alias ?? null,
          v.speedMbps ?? null,
          v.internetEgress ?? false,
        ],
      );
      await recordChange(this.deps.audit, identity, q, 'interface', 'create', id, d.org_unit_id, { ...v });
      return toInterface(await this.row(identity, id, q));
    });
  }

  async update(identity: Identity, id: string, patch: InterfacePatch, tx?: Queryable): Promise<Interface> {
    requirePermission(identity, 'inventory:write');
    const v = check(InterfacePatch, patch, 'interface patch');
    return inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      if (v.ifIndex !== undefined) await this.assertIndexFree(before.device_id, v.ifIndex, id, q);
      const params: unknown[] = [id];
      const sets = setClause(
        v,
        {
          ifIndex: 'if_index',
          name: 'name',
          alias: 'alias',
          speedMbps: 'speed_mbps',
          internetEgress: 'internet_egress',
        },
        params,
      );
      if (sets) await q.query(`UPDATE interfaces SET ${sets}, updated_at = now() WHERE id = $1`, params);
      await recordChange(this.deps.audit, identity, q, 'interface', 'update', id, before.org_unit_id, {
        deviceId: before.device_id,
        ...v,
      });
      return toInterface(await this.row(identity, id, q));
    });
  }

  async remove(identity: Identity, id: string, tx?: Queryable): Promise<void> {
    requirePermission(identity, 'inventory:write');
    await inTx(this.deps.db, tx, async (q) => {
      const before = await this.row(identity, id, q);
      const links = await q.query<{ id: string }>(
        'SELECT id FROM links WHERE a_interface_id = $1 OR b_interface_id = $1 ORDER BY id',
        [id],
      );
      assertUnreferenced(`interface ${before.device_id}/${before.if_index} (${id})`, [
        { kind: 'links', ids: links.rows.map((l) => l.id) },
      ]);
      await q.query('DELETE FROM interfaces WHERE id = $1', [id]);
      await recordChange(this.deps.audit, identity, q, 'interface', 'delete', id, before.org_unit_id, {
        deviceId: before.device_id,
        ifIndex: before.if_index,
      });
    });
  }

  private async assertIndexFree(
    deviceId: string,
    ifIndex: number,
    id: string | undefined,
    q: Queryable,
  ): Promise<void> {
    const r = await q.query(
      'SELECT 1 FROM interfaces WHERE device_id = $1 AND if_index = $2 AND id IS DISTINCT FROM $3',
      [deviceId, ifIndex, id ?? null],
    );
    if (r.rowCount > 0)
      throw new ConflictError(
        `ifIndex: device "${deviceId}" already has an interface with ifIndex ${ifIndex}`,
        { code: 'interface.if_index_in_use' },
      );
  }

  private async row(identity: Identity, id: string, q: Queryable): Promise<Row> {
    const valid = Uuid.safeParse(id);
    const r = valid.success ? await q.query<Row>(`${SELECT} WHERE i.id = $1`, [id]) : { rows: [] as Row[] };
    const row = firstInScope(identity, r.rows);
    if (!row) throw new NotFoundError(`interface "${id}" not found`);
    return row;
  }
}
