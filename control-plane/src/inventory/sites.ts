import { z } from 'zod';
import type { Identity } from '../auth/identity.js';
import type { Queryable } from '../store/state/index.js';
import { Name, Slug, type InventoryDeps } from './common.js';
import { ScopedCrud, type ScopedRow } from './crud.js';
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

interface Row extends ScopedRow {
  name: string;
  kind: Site['kind'];
  address: string | null;
  latitude: number | null;
  longitude: number | null;
}

const toSite = (r: Row): Site => ({
  id: r.id,
  orgUnitId: r.org_unit_id,
  name: r.name,
  kind: r.kind,
  address: r.address,
  latitude: r.latitude,
  longitude: r.longitude,
});

/**
 * Places that hold equipment: the big-data centre, county nodes, township access points, DR sites.
 * Moving a site to another org unit moves its devices and their interfaces too; a site is removed
 * only when no device stands on it.
 */
export class SiteService extends ScopedCrud<
  Site,
  Row,
  typeof SiteInput,
  typeof SitePatch,
  typeof SiteFilter
> {
  constructor(
    deps: InventoryDeps,
    /** Checks that the site's devices may move with it to another org unit (see DeviceService.checkMove). */
    private readonly devicesMayMove?: (
      identity: Identity,
      siteId: string,
      orgUnitId: string,
      path: string,
      q: Queryable,
    ) => Promise<void>,
  ) {
    super(deps, {
      kind: 'site',
      noun: 'site',
      table: 'sites',
      alias: 's',
      columns: {
        orgUnitId: 'org_unit_id',
        name: 'name',
        kind: 'kind',
        address: 'address',
        latitude: 'latitude',
        longitude: 'longitude',
      },
      filters: { kind: 'kind' },
      referencedBy: [{ kind: 'devices', table: 'devices', column: 'site_id' }],
      input: SiteInput,
      patch: SitePatch,
      filter: SiteFilter,
      toRecord: toSite,
    });
  }

  protected override async checkUpdate(
    identity: Identity,
    id: string,
    v: SitePatch,
    before: Row,
    path: string,
    q: Queryable,
  ): Promise<void> {
    if (v.orgUnitId && v.orgUnitId !== before.org_unit_id) {
      await this.devicesMayMove?.(identity, id, v.orgUnitId, path, q);
    }
  }
}
