import { z } from 'zod';
import { Name, Slug, type InventoryDeps } from './common.js';
import { ScopedCrud, type ScopedRow } from './crud.js';
import { OrgUnitId } from './org-units.js';

/** `manual`: a cloud without an API Tianshu drives; an admin confirms its quota allocations. */
export const CLOUD_KINDS = ['kubernetes', 'openstack', 'manual', 'vmware', 'xinchuang', 'other'] as const;
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

interface Row extends ScopedRow {
  name: string;
  kind: Cloud['kind'];
  tier: Cloud['tier'];
  api_endpoint: string | null;
  region: string | null;
}

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
export class CloudService extends ScopedCrud<
  Cloud,
  Row,
  typeof CloudInput,
  typeof CloudPatch,
  typeof CloudFilter
> {
  constructor(deps: InventoryDeps) {
    super(deps, {
      kind: 'cloud',
      noun: 'cloud',
      table: 'clouds',
      alias: 'c',
      columns: {
        orgUnitId: 'org_unit_id',
        name: 'name',
        kind: 'kind',
        tier: 'tier',
        apiEndpoint: 'api_endpoint',
        region: 'region',
      },
      filters: { kind: 'kind', tier: 'tier' },
      referencedBy: [{ kind: 'hosts', table: 'hosts', column: 'cloud_id' }],
      input: CloudInput,
      patch: CloudPatch,
      filter: CloudFilter,
      toRecord: toCloud,
    });
  }
}
