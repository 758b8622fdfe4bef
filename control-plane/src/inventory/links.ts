import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { InputError, NotAllowedError, NotFoundError } from '../errors.js';
import { inScope, requirePermission, type Identity } from '../auth/identity.js';
import type { Queryable } from '../store/state/index.js';
import {
  check,
  inTx,
  recordChange,
  requireOrgUnit,
  setClause,
  Slug,
  Uuid,
  type InventoryDeps,
  type Page,
} from './common.js';
import { firstInScope, listInScope } from './crud.js';
import { PLANES, type Plane } from './devices.js';
import { OrgUnitId, type OrgLevel } from './org-units.js';

/**
 * The tier a link serves, which sets its bandwidth target: `backbone` joins the provincial core to a
 * city (10 Gbit/s), `city` runs inside a city's metro network, `county` joins a city to a county
 * (1 Gbit/s), `township` a county to a township (100 Mbit/s), `department` connects departments
 * horizontally at any level (1 Gbit/s).
 */
export const LINK_LEVELS = ['backbone', 'city', 'county', 'township', 'department'] as const;
export type LinkLevel = (typeof LINK_LEVELS)[number];
export const LINK_ROLES = ['primary', 'backup'] as const;

/** Which org-unit levels a link of each tier may serve; `department` links serve any. */
export const LEVEL_SERVES: Record<LinkLevel, readonly OrgLevel[] | 'any'> = {
  backbone: ['province', 'city'],
  city: ['city'],
  county: ['county'],
  township: ['township'],
  department: 'any',
};

export const Endpoint = z
  .object({
    deviceId: Slug,
    interfaceId: Uuid,
  })
  .strict();
export type Endpoint = z.infer<typeof Endpoint>;

const TargetMbps = z.number().int().positive().max(10_000_000);

export const LinkInput = z
  .object({
    a: Endpoint,
    b: Endpoint,
    orgUnitId: OrgUnitId,
    level: z.enum(LINK_LEVELS),
    role: z.enum(LINK_ROLES),
    plane: z.enum(PLANES),
    pairId: Slug.optional(),
    targetMbps: TargetMbps.optional(),
  })
  .strict();
export type LinkInput = z.infer<typeof LinkInput>;

export const LinkPatch = z
  .object({
    a: Endpoint.optional(),
    b: Endpoint.optional(),
    orgUnitId: OrgUnitId.optional(),
    level: z.enum(LINK_LEVELS).optional(),
    role: z.enum(LINK_ROLES).optional(),
    plane: z.enum(PLANES).optional(),
    pairId: Slug.nullable().optional(),
    targetMbps: TargetMbps.nullable().optional(),
  })
  .strict();
export type LinkPatch = z.infer<typeof LinkPatch>;

export const LinkFilter = z
  .object({
    orgUnitId: OrgUnitId.optional(),
    deviceId: Slug.optional(),
    level: z.enum(LINK_LEVELS).optional(),
    role: z.enum(LINK_ROLES).optional(),
    plane: z.enum(PLANES).optional(),
    pairId: Slug.optional(),
  })
  .strict();
export type LinkFilter = z.infer<typeof LinkFilter>;

export interface Link {
  /** A server-made UUID; each interface ends at most one link, so an endpoint also identifies it. */
  id: string;
  /** The org unit the link serves. */
  orgUnitId: string;
  a: Endpoint;
  b: Endpoint;
  level: LinkLevel;
  role: (typeof LINK_ROLES)[number];
  plane: Plane;
  pairId: string | null;
  targetMbps: number | null;
}

interface Row {
  id: string;
  org_unit_id: string;
  a_device_id: string;
  a_interface_id: string;
  b_device_id: string;
  b_interface_id: string;
  level: LinkLevel;
  role: Link['role'];
  plane: Plane;
  pair_id: string | null;
  target_mbps: number | null;
  path: string;
}

const SELECT = `SELECT l.id, l.org_unit_id, l.a_device_id, l.a_interface_id, l.b_device_id, l.b_interface_id, l.level,
  l.role, l.plane, l.pair_id, l.target_mbps, u.path FROM links l JOIN org_units u ON u.id = l.org_unit_id`;

const toLink = (r: Row): Link => ({
  id: r.id,
  orgUnitId: r.org_unit_id,
  a: { deviceId: r.a_device_id, interfaceId: r.a_interface_id },
  b: { deviceId: r.b_device_id, interfaceId: r.b_interface_id },
  level: r.level,
  role: r.role,
  plane: r.plane,
  pairId: r.pair_id,
  targetMbps: r.target_mbps === null ? null : Number(r.target_mbps),
});

/**
 * Links between two device interfaces, with their tier, primary/backup role and plane. A link is
 * visible to callers whose subtree holds the org unit it serves; changing it also needs both
 * endpoint devices in the caller's subtree (a county cannot rewire its city's router).
 */
export class LinkService {
  constructor(private readonly deps: InventoryDeps) {}

  async list(identity: Identity, filter: LinkFilter = {}, page?: Page): Promise<Link[]> {
    requirePermission(identity, 'inventory:read');
    const f = check(LinkFilter, filter, 'link filter');
    const rows = await listInScope<Row>(
      this.deps,
      identity,
      f,
      {
        select: SELECT,
        where: (params) => {
          if (!f.deviceId) return '';
          params.push(f.deviceId);
          return ` AND (l.a_device_id = $${params.length} OR l.b_device_id = $${params.length})`;
        },
        equals: { level: 'l.level', role: 'l.role', plane: 'l.plane', pairId: 'l.pair_id' },
        orderBy: 'u.path, l.pair_id, l.role, l.id',
      },
      page,
    );
    return rows.map(toLink);
  }

  async get(identity: Identity, id: string, tx?: Queryable): Promise<Link> {
    requirePermission(identity, 'inventory:read');
    return toLink(await this.row(identity, id, tx ?? this.deps.db));
  }

  /** The link ending on `interfaceId` (at either end) when it is in scope, or undefined. */
  async findByInterface(identity: Identity, interfaceId: string, tx?: Queryable): Promise<Link | undefined> {
    requirePermission(identity, 'inventory:read');
    const r = await (tx ?? this.deps.db).query<Row>(
      `${SELECT} WHERE l.a_interface_id = $1 OR l.b_interface_id = $1`,
      [interfaceId],
    );
    const row = firstInScope(identity, r.rows);
    return row && toLink(row);
  }

  async create(identity: Identity, input: LinkInput, tx?: Queryable): Promise<Link> {
    requirePermission(identity, 'inventory:write');
    const v = check(LinkInput, input, 'link');
    return inTx(this.deps.db, tx, async (q) => {
      const id = randomUUID();
      await this.validate(identity, v, undefined, q);
      await q.query(
        `INSERT INTO links (id, org_unit_id, a_device_id, a_interface_id, b_device_id, b_interface_id, level, role,
           plane, pair_id, target_mbps)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
        [
          id,
          v.orgUnitId,
          v.a.deviceId,
          v.a.interfaceId,
          v.b.deviceId,
          v.b.interfaceId,
          v.level,
          v.role,
          v.plane,
          v.pairId ?? null,
          v.targetMbps ?? null,
        ],
      );
      await recordChange(this.deps.audit, identity, q, 'link', 'create', id, v.orgUnitId, { ...v });
      return toLink(await this.row(identity, id, q));
    });
  }

  /** Changes a link; the rules are checked again on the link as it would be after the change. */
  async update(identity: Identity, id: string, patch: LinkPatch, tx?: Queryable): Promise<Link> {
    requirePermission(identity, 'inventory:write');
    const v = check(LinkPatch, patch, 'link patch');
    return inTx(this.deps.db, tx, async (q) => {
      const before = toLink(await this.row(identity, id, q));
      await this.assertEndpointsInScope(identity, before, q);
      const after: LinkInput = {
        a: v.a ?? before.a,
        b: v.b ?? before.b,
        orgUnitId: v.orgUnitId ?? before.orgUnitId,
        level: v.level ?? before.level,
        role: v.role ?? before.role,
        plane: v.plane ?? before.plane,
        pairId: v.pairId === undefined ? (before.pairId ?? undefined) : (v.pairId ?? undefined),
        targetMbps:
          v.targetMbps === undefined ? (before.targetMbps ?? undefined) : (v.targetMbps ?? undefined),
      };
      await this.validate(identity, after, id, q);
      const params: unknown[] = [id];
      const flat = {
        orgUnitId: v.orgUnitId,
        aDeviceId: v.a?.deviceId,
        aInterfaceId: v.a?.interfaceId,
        bDeviceId: v.b?.deviceId,
        bInterfaceId: v.b?.interfaceId,
        level: v.level,
        role: v.role,
        plane: v.plane,
        pairId: v.pairId,
        targetMbps: v.targetMbps,
      };
      const sets = setClause(
        flat,
        {
          orgUnitId: 'org_unit_id',
          aDeviceId: 'a_device_id',
          aInterfaceId: 'a_interface_id',
          bDeviceId: 'b_device_id',
          bInterfaceId: 'b_interface_id',
          level: 'level',
          role: 'role',
          plane: 'plane',
          pairId: 'pair_id',
          targetMbps: 'target_mbps',
        },
        params,
      );
      if (sets) await q.query(`UPDATE links SET ${sets}, updated_at = now() WHERE id = $1`, params);
      await recordChange(this.deps.audit, identity, q, 'link', 'update', id, after.orgUnitId, { ...v });
      return toLink(await this.row(identity, id, q));
    });
  }

  async remove(identity: Identity, id: string, tx?: Queryable): Promise<void> {
    requirePermission(identity, 'inventory:write');
    await inTx(this.deps.db, tx, async (q) => {
      const before = toLink(await this.row(identity, id, q));
      await this.assertEndpointsInScope(identity, before, q);
      await q.query('DELETE FROM links WHERE id = $1', [id]);
      await recordChange(this.deps.audit, identity, q, 'link', 'delete', id, before.orgUnitId, {
        a: before.a,
        b: before.b,
        pairId: before.pairId,
      });
    });
  }

  /** Every rule a link must satisfy; errors name the field at fault. */
  private async validate(
    identity: Identity,
    v: LinkInput,
    selfId: string | undefined,
    q: Queryable,
  ): Promise<void> {
    if (v.a.interfaceId === v.b.interfaceId) {
      throw new InputError(
        'b.interfaceId: a link joins two different interfaces, but A and B name the same one',
      );
    }
    if (v.a.deviceId === v.b.deviceId) {
      throw new InputError(
        `b.deviceId: a link joins two different devices, but A and B are both "${v.a.deviceId}"`,
      );
    }
    const servedPath = await requireOrgUnit(this.deps.orgUnits, identity, v.orgUnitId, q);
    const served = await q.query<{ level: OrgLevel }>('SELECT level FROM org_units WHERE id = $1', [
      v.orgUnitId,
    ]);
    const servedLevel = served.rows[0]!.level;
    const allowed = LEVEL_SERVES[v.level];
    if (allowed !== 'any' && !allowed.includes(servedLevel)) {
      throw new InputError(
        `level: a ${v.level} link serves a ${allowed.join(' or ')} org unit, but "${v.orgUnitId}" is a ${servedLevel}`,
      );
    }
    const endPaths: string[] = [];
    for (const side of ['a', 'b'] as const) {
      const ep = v[side];
      const dev = await q.query<{ path: string }>(
        'SELECT u.path FROM devices d JOIN org_units u ON u.id = d.org_unit_id WHERE d.id = $1',
        [ep.deviceId],
      );
      const path = dev.rows[0]?.path;
      if (!path || !inScope(identity, path))
        throw new NotFoundError(`${side}.deviceId: device "${ep.deviceId}" not found`);
      const ifc = await q.query<{ device_id: string }>('SELECT device_id FROM interfaces WHERE id = $1', [
        ep.interfaceId,
      ]);
      if (ifc.rows[0]?.device_id !== ep.deviceId) {
        throw new InputError(
          `${side}.interfaceId: "${ep.interfaceId}" is not an interface of device "${ep.deviceId}"`,
        );
      }
      const used = await q.query<{ id: string; path: string }>(
        `SELECT l.id, u.path FROM links l JOIN org_units u ON u.id = l.org_unit_id
         WHERE (l.a_interface_id = $1 OR l.b_interface_id = $1) AND l.id IS DISTINCT FROM $2`,
        [ep.interfaceId, selfId ?? null],
      );
      const other = used.rows[0];
      if (other) {
        // The link may serve an org unit outside the caller's: then it is not named.
        const which = inScope(identity, other.path) ? `link "${other.id}"` : 'another link';
        throw new InputError(
          `${side}.interfaceId: interface "${ep.interfaceId}" already ends ${which}; an interface carries one link`,
          { code: 'link.interface_in_use' },
        );
      }
      // An endpoint sits in the served unit, inside it, or in one of the units above it.
      if (!servedPath.startsWith(path) && !path.startsWith(servedPath)) {
        throw new InputError(
          `${side}.deviceId: device "${ep.deviceId}" is neither in org unit "${v.orgUnitId}" nor above or below it, so the link cannot serve it`,
        );
      }
      endPaths.push(path);
    }
    if (!endPaths.some((p) => p.startsWith(servedPath))) {
      throw new InputError(
        `orgUnitId: neither endpoint device is in org unit "${v.orgUnitId}", so the link cannot serve it`,
      );
    }
    if (v.pairId) {
      // A pair is (served org unit, pair id): both links serve one unit, and another unit's pair of
      // the same id neither constrains this one nor is named.
      const others = await q.query<{ id: string; role: string; level: string }>(
        `SELECT id, role, level FROM links WHERE org_unit_id = $1 AND pair_id = $2 AND id IS DISTINCT FROM $3
         ORDER BY id`,
        [v.orgUnitId, v.pairId, selfId ?? null],
      );
      for (const o of others.rows) {
        if (o.role === v.role) {
          throw new InputError(
            `pairId: pair "${v.pairId}" already has a ${v.role} link ("${o.id}"); a pair holds one primary and one backup`,
            { code: 'link.pair_invalid' },
          );
        }
        if (o.level !== v.level) {
          throw new InputError(
            `pairId: the other link of pair "${v.pairId}" is a ${o.level} link; both links of a pair serve the same org unit at the same level`,
            { code: 'link.pair_invalid' },
          );
        }
      }
    }
  }

  private async assertEndpointsInScope(identity: Identity, link: Link, q: Queryable): Promise<void> {
    for (const side of ['a', 'b'] as const) {
      const r = await q.query<{ path: string }>(
        'SELECT u.path FROM devices d JOIN org_units u ON u.id = d.org_unit_id WHERE d.id = $1',
        [link[side].deviceId],
      );
      if (!inScope(identity, r.rows[0]?.path)) {
        throw new NotAllowedError(
          `link "${link.id}" ends on device "${link[side].deviceId}" outside your org units; only a unit above both ends may change it`,
          { code: 'link.outside_scope' },
        );
      }
    }
  }

  private async row(identity: Identity, id: string, q: Queryable): Promise<Row> {
    const r = Uuid.safeParse(id).success
      ? await q.query<Row>(`${SELECT} WHERE l.id = $1`, [id])
      : { rows: [] as Row[] };
    const row = firstInScope(identity, r.rows);
    if (!row) throw new NotFoundError(`link "${id}" not found`);
    return row;
  }
}
