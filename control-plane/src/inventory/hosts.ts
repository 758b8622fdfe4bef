import { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors.js';
import { inScope, type Identity } from '../auth/identity.js';
import type { Queryable } from '../store/state/index.js';
import { IpAddress, Slug, Uuid, type InventoryDeps } from './common.js';
import { CRITICALITIES, type Criticality } from './devices.js';
import { ScopedCrud, type ScopedRow } from './crud.js';
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
    criticality: z.enum(CRITICALITIES).optional(),
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
    criticality: z.enum(CRITICALITIES).nullable().optional(),
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
  /** Its criticality for the risk score, or null (the risk policy's default). */
  criticality: Criticality | null;
}

interface Row extends ScopedRow {
  cloud_id: string | null;
  hostname: string;
  addresses: string[];
  agent_id: string | null;
  role: string | null;
  criticality: Criticality | null;
}

const toHost = (r: Row): Host => ({
  id: r.id,
  cloudId: r.cloud_id,
  orgUnitId: r.org_unit_id,
  hostname: r.hostname,
  addresses: r.addresses ?? [],
  agentId: r.agent_id,
  role: r.role,
  criticality: r.criticality ?? null,
});

/**
 * Cloud hosts. A host may run in a cloud of its own subtree or in one run by a unit above it (the
 * provincial cloud serves every county), and may be tied to the agent enrolled on it.
 */
export class HostService extends ScopedCrud<
  Host,
  Row,
  typeof HostInput,
  typeof HostPatch,
  typeof HostFilter
> {
  constructor(deps: InventoryDeps) {
    super(deps, {
      kind: 'host',
      noun: 'host',
      table: 'hosts',
      alias: 'h',
      columns: {
        cloudId: 'cloud_id',
        orgUnitId: 'org_unit_id',
        hostname: 'hostname',
        addresses: 'addresses',
        agentId: 'agent_id',
        role: 'role',
        criticality: 'criticality',
      },
      filters: { cloudId: 'cloud_id' },
      input: HostInput,
      patch: HostPatch,
      filter: HostFilter,
      toRecord: toHost,
    });
  }

  protected override async checkCreate(
    identity: Identity,
    v: z.output<typeof HostInput>,
    path: string,
    q: Queryable,
  ): Promise<void> {
    if (v.cloudId) await this.checkCloud(v.cloudId, path, q);
    if (v.agentId) await this.checkAgent(identity, v.agentId, v.id, q);
  }

  protected override async checkUpdate(
    identity: Identity,
    id: string,
    v: HostPatch,
    before: Row,
    path: string,
    q: Queryable,
  ): Promise<void> {
    const cloudId = v.cloudId === undefined ? before.cloud_id : v.cloudId;
    if (cloudId && (v.cloudId !== undefined || v.orgUnitId)) await this.checkCloud(cloudId, path, q);
    if (v.agentId) await this.checkAgent(identity, v.agentId, id, q);
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
    const taken = await q.query<{ id: string; path: string }>(
      'SELECT h.id, u.path FROM hosts h JOIN org_units u ON u.id = h.org_unit_id WHERE h.agent_id = $1 AND h.id <> $2',
      [agentId, hostId],
    );
    const other = taken.rows[0];
    if (other) {
      // The host holding the agent may lie outside the caller's org units: then it is not named.
      const which = inScope(identity, other.path) ? `host "${other.id}"` : 'another host';
      throw new ConflictError(`agentId: agent "${agentId}" is already tied to ${which}`, {
        code: 'host.agent_in_use',
      });
    }
  }
}
