import { z } from 'zod';
import { InputError } from '../../errors.js';
import type { Identity } from '../../auth/identity.js';
import type { Router } from '../route.js';
import type { Services } from '../../services.js';
import { MAX_LIMIT, type Page } from '../../inventory/common.js';
import { SITE_KINDS, SiteFilter, SiteInput, SitePatch } from '../../inventory/sites.js';
import {
  CRITICALITIES,
  DEVICE_ROLES,
  DeviceFilter,
  DeviceInput,
  DevicePatch,
  PLANES,
} from '../../inventory/devices.js';
import { InterfaceFilter, InterfaceInput, InterfacePatch } from '../../inventory/interfaces.js';
import { LINK_LEVELS, LINK_ROLES, LinkFilter, LinkInput, LinkPatch } from '../../inventory/links.js';
import { CLOUD_KINDS, CLOUD_TIERS, CloudFilter, CloudInput, CloudPatch } from '../../inventory/clouds.js';
import { HostFilter, HostInput, HostPatch } from '../../inventory/hosts.js';
import {
  CLASSIFICATIONS,
  DedicatedNetworkFilter,
  DedicatedNetworkInput,
  DedicatedNetworkPatch,
  MIGRATION_STATES,
} from '../../inventory/dedicated-networks.js';
import { applyInventory, parseInventory, validateInventory } from '../../inventory/file.js';
import { ORG_LEVELS, OrgUnitId } from '../../inventory/org-units.js';
import { PREFIX_PURPOSES, PrefixFilter, PrefixInput, PrefixPatch } from '../../inventory/prefixes.js';

const PageQuery = {
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).optional(),
  offset: z.coerce.number().int().min(0).optional(),
};

const SiteOut = z.object({
  id: z.string(),
  orgUnitId: z.string(),
  name: z.string(),
  kind: z.enum(SITE_KINDS),
  address: z.string().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
});
const DeviceOut = z.object({
  id: z.string(),
  siteId: z.string(),
  orgUnitId: z.string(),
  name: z.string(),
  role: z.enum(DEVICE_ROLES),
  vendor: z.string().nullable(),
  model: z.string().nullable(),
  managementAddress: z.string(),
  snmp: z
    .object({ version: z.enum(['2c', '3']), credentialRef: z.string(), port: z.number().int().optional() })
    .nullable(),
  sysObjectId: z.string().nullable(),
  plane: z.enum(PLANES).nullable(),
  pollerAgentId: z.string().nullable(),
  criticality: z
    .enum(CRITICALITIES)
    .nullable()
    .describe('criticality for the security risk score (null: the risk policy default)'),
});
const PrefixOut = z.object({
  id: z.string(),
  prefix: z.string().describe('canonical CIDR: 10.20.0.0/16, 2001:db8::/32'),
  orgUnitId: z.string(),
  purpose: z.enum(PREFIX_PURPOSES),
  description: z.string().nullable(),
  family: z.union([z.literal(4), z.literal(6)]),
});
const InterfaceOut = z.object({
  id: z.string(),
  deviceId: z.string(),
  orgUnitId: z.string(),
  ifIndex: z.number().int(),
  name: z.string(),
  alias: z.string().nullable(),
  speedMbps: z.number().int().nullable(),
  internetEgress: z.boolean().describe('marked as an internet egress (flow direction egress/ingress)'),
});
const EndpointOut = z.object({ deviceId: z.string(), interfaceId: z.string() });
const LinkOut = z.object({
  id: z.string(),
  orgUnitId: z.string(),
  a: EndpointOut,
  b: EndpointOut,
  level: z.enum(LINK_LEVELS),
  role: z.enum(LINK_ROLES),
  plane: z.enum(PLANES),
  pairId: z.string().nullable(),
  targetMbps: z.number().int().nullable(),
});
const CloudOut = z.object({
  id: z.string(),
  orgUnitId: z.string(),
  name: z.string(),
  kind: z.enum(CLOUD_KINDS),
  tier: z.enum(CLOUD_TIERS),
  apiEndpoint: z.string().nullable(),
  region: z.string().nullable(),
});
const HostOut = z.object({
  id: z.string(),
  cloudId: z.string().nullable(),
  orgUnitId: z.string(),
  hostname: z.string(),
  addresses: z.array(z.string()),
  agentId: z.string().nullable(),
  role: z.string().nullable(),
  criticality: z
    .enum(CRITICALITIES)
    .nullable()
    .describe('criticality for the security risk score (null: the risk policy default)'),
});
const DedicatedNetworkOut = z.object({
  id: z.string(),
  orgUnitId: z.string(),
  name: z.string(),
  ownerDepartment: z.string(),
  classification: z.enum(CLASSIFICATIONS),
  migrationState: z.enum(MIGRATION_STATES),
  plannedAt: z.string().nullable(),
  migratedAt: z.string().nullable(),
});
const IntegrationOut = z.object({
  orgUnitId: z.string(),
  name: z.string(),
  level: z.enum(ORG_LEVELS),
  eligible: z.number().int(),
  migrated: z.number().int(),
  rate: z.number().nullable(),
  target: z.number(),
  meetsTarget: z.boolean(),
});
const Counts = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
});
const ImportOut = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  sections: z.record(z.string(), Counts),
});

/** The shape every inventory service shares, as the routes use it. */
interface CrudService {
  list(identity: Identity, filter: never, page?: Page): Promise<unknown[]>;
  get(identity: Identity, id: string): Promise<unknown>;
  create(identity: Identity, input: never): Promise<unknown>;
  update(identity: Identity, id: string, patch: never): Promise<unknown>;
  remove(identity: Identity, id: string): Promise<void>;
}

interface Kind {
  /** Path segment: `/api/v1/inventory/<path>`. */
  path: string;
  /** Singular noun for summaries. */
  noun: string;
  service: CrudService;
  input: z.ZodType;
  patch: z.ZodType;
  filter: z.ZodObject;
  out: z.ZodType;
  /** What the list filters do, for the summary. */
  filters: string;
}

function crudRoutes(r: Router, k: Kind): void {
  const base = `/api/v1/inventory/${k.path}`;
  const tags = ['inventory'];
  r.define(
    {
      method: 'get',
      path: base,
      summary: `List ${k.path} in the caller's org units (${k.filters})`,
      tags,
      permission: 'inventory:read',
      query: k.filter.extend(PageQuery).strict(),
      response: z.object({ items: z.array(k.out) }),
    },
    async ({ identity, query }) => {
      const { limit, offset, ...filter } = query as Record<string, unknown> & Page;
      return { items: await k.service.list(identity, filter as never, { limit, offset }) };
    },
  );
  r.define(
    {
      method: 'post',
      path: base,
      summary: `Create a ${k.noun}`,
      tags,
      permission: 'inventory:write',
      status: 201,
      body: k.input,
      response: k.out,
    },
    async ({ identity, body }) => k.service.create(identity, body as never),
  );
  r.define(
    {
      method: 'get',
      path: `${base}/{id}`,
      summary: `One ${k.noun}`,
      tags,
      permission: 'inventory:read',
      response: k.out,
    },
    async ({ identity, params }) => k.service.get(identity, params.id!),
  );
  r.define(
    {
      method: 'patch',
      path: `${base}/{id}`,
      summary: `Change a ${k.noun}; null clears an optional field`,
      tags,
      permission: 'inventory:write',
      body: k.patch,
      response: k.out,
    },
    async ({ identity, params, body }) => k.service.update(identity, params.id!, body as never),
  );
  r.define(
    {
      method: 'delete',
      path: `${base}/{id}`,
      summary: `Delete a ${k.noun} that nothing refers to`,
      tags,
      permission: 'inventory:write',
      status: 204,
    },
    async ({ identity, params }) => {
      await k.service.remove(identity, params.id!);
      return undefined;
    },
  );
}

/** Sites, devices, interfaces, links, clouds, hosts, dedicated networks, and the inventory import. */
export function inventoryRoutes(r: Router, s: Services): void {
  const inv = s.inventory;
  const subtree = '?orgUnitId= includes the subtree';
  // Registered before `/dedicated-networks/{id}` so that "integration" is not taken for an id.
  r.define(
    {
      method: 'get',
      path: '/api/v1/inventory/dedicated-networks/integration',
      summary:
        'Dedicated-network integration rate per org unit in scope: migrated ÷ (non-secret, not exempt)',
      tags: ['inventory'],
      permission: 'inventory:read',
      query: z.object({ orgUnitId: OrgUnitId.optional() }).strict(),
      response: z.object({ items: z.array(IntegrationOut) }),
    },
    async ({ identity, query }) => ({
      items: await inv.dedicatedNetworks.integrationRate(identity, query.orgUnitId),
    }),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/inventory/import',
      summary:
        'Load an inventory document ({yaml: "<file text>"} or the same shape as JSON); validated in full, applied in one transaction',
      tags: ['inventory'],
      permission: 'inventory:write',
      body: z
        .looseObject({ yaml: z.string().optional() })
        .describe('Either {yaml: string} or an inventory document: {version: 1, sites, devices, links, ...}'),
      response: ImportOut,
    },
    async ({ identity, body }) => {
      const { yaml, ...rest } = body;
      let file;
      if (yaml !== undefined) {
        if (Object.keys(rest).length) {
          throw new InputError(
            'request body has "yaml" and other fields; send either {yaml} or the document itself',
          );
        }
        file = parseInventory(yaml, 'import');
      } else {
        file = validateInventory(rest, 'import');
      }
      return applyInventory(s.db, s.orgUnits, identity, file, { inventory: inv, source: 'import' });
    },
  );
  const kinds: Kind[] = [
    {
      path: 'prefixes',
      noun: 'IP prefix (delegated by the unit above: inside a prefix of the parent org unit, or of its own unit)',
      service: inv.prefixes,
      input: PrefixInput,
      patch: PrefixPatch,
      filter: PrefixFilter,
      out: PrefixOut,
      filters: `${subtree}; ?purpose=management|hosts|egress`,
    },
    {
      path: 'sites',
      noun: 'site',
      service: inv.sites,
      input: SiteInput,
      patch: SitePatch,
      filter: SiteFilter,
      out: SiteOut,
      filters: `${subtree}; ?kind=`,
    },
    {
      path: 'devices',
      noun: 'device',
      service: inv.devices,
      input: DeviceInput,
      patch: DevicePatch,
      filter: DeviceFilter,
      out: DeviceOut,
      filters: `${subtree}; ?siteId=, ?role=, ?plane=`,
    },
    {
      path: 'interfaces',
      noun: 'interface',
      service: inv.interfaces,
      input: InterfaceInput,
      patch: InterfacePatch,
      filter: InterfaceFilter,
      out: InterfaceOut,
      filters: `${subtree}; ?deviceId=`,
    },
    {
      path: 'links',
      noun: 'link',
      service: inv.links,
      input: LinkInput,
      patch: LinkPatch,
      filter: LinkFilter,
      out: LinkOut,
      filters: `${subtree} of the served unit; ?deviceId= either end, ?level=, ?role=, ?plane=, ?pairId=`,
    },
    {
      path: 'clouds',
      noun: 'cloud',
      service: inv.clouds,
      input: CloudInput,
      patch: CloudPatch,
      filter: CloudFilter,
      out: CloudOut,
      filters: `${subtree}; ?kind=, ?tier=`,
    },
    {
      path: 'hosts',
      noun: 'host',
      service: inv.hosts,
      input: HostInput,
      patch: HostPatch,
      filter: HostFilter,
      out: HostOut,
      filters: `${subtree}; ?cloudId=`,
    },
    {
      path: 'dedicated-networks',
      noun: 'dedicated network',
      service: inv.dedicatedNetworks,
      input: DedicatedNetworkInput,
      patch: DedicatedNetworkPatch,
      filter: DedicatedNetworkFilter,
      out: DedicatedNetworkOut,
      filters: `${subtree}; ?classification=, ?migrationState=`,
    },
  ];
  for (const k of kinds) crudRoutes(r, k);
}
