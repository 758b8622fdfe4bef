import { z } from 'zod';
import type { Router } from '../api/route.js';
import { PLANES } from '../inventory/devices.js';
import { LINK_LEVELS, LINK_ROLES } from '../inventory/links.js';
import { ORG_LEVELS, OrgUnitId } from '../inventory/org-units.js';
import { Slug } from '../inventory/common.js';
import { CredentialInput, CredentialPatch, type SnmpCredentialService } from './credentials.js';
import { METRIC_RANGES, type NetworkService } from './service.js';

const tags = ['network'];

const EndOut = z.object({
  deviceId: z.string(),
  deviceName: z.string(),
  ifIndex: z.number().int(),
  ifName: z.string(),
});
const LinkViewOut = z.object({
  id: z.string(),
  name: z.string(),
  orgUnitId: z.string(),
  level: z.enum(LINK_LEVELS),
  role: z.enum(LINK_ROLES),
  plane: z.enum(PLANES),
  pairId: z.string().nullable(),
  a: EndOut,
  b: EndOut,
  status: z.enum(['up', 'down', 'unknown']),
  speedMbps: z.number().nullable(),
  utilisation: z.object({ inPercent: z.number(), outPercent: z.number(), maxPercent: z.number() }).nullable(),
  bps: z.object({ in: z.number(), out: z.number() }).nullable(),
  errorsPerSecond: z.number().nullable(),
  active: z.boolean().nullable(),
  failedOver: z.boolean(),
  tier: z.object({
    targetMbps: z.number(),
    actualMbps: z.number().nullable(),
    verdict: z.enum(['ok', 'below', 'unknown']),
  }),
  flapping: z.boolean(),
  lastChangeAt: z.string().nullable(),
  updatedAt: z.string().nullable(),
});
const Point = z.tuple([z.number(), z.number()]);
const ProposalOut = z.object({
  id: z.string(),
  a: z.object({ deviceId: z.string(), ifIndex: z.number().int(), ifName: z.string() }),
  b: z.object({ deviceId: z.string(), ifIndex: z.number().int(), ifName: z.string() }),
  seenAt: z.string(),
});
const CredentialOut = z.object({
  id: z.string(),
  orgUnitId: z.string(),
  version: z.enum(['2c', '3']),
  user: z.string().nullable(),
  level: z.string().nullable(),
  authProtocol: z.string().nullable(),
  privProtocol: z.string().nullable(),
  secrets: z.object({ community: z.boolean(), authKey: z.boolean(), privKey: z.boolean() }),
  grants: z.array(z.string()).describe('org units below the owner whose devices may use the credential'),
  devices: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** Extranet links, topology, conformance, proposed links and SNMP credentials; all org-unit scoped. */
export function networkRoutes(
  r: Router,
  s: { links: NetworkService; credentials: SnmpCredentialService },
): void {
  const net = s.links;
  r.define(
    {
      method: 'get',
      path: '/api/v1/network/links',
      summary: "Links in the caller's org units with status, utilisation, active member and tier verdict",
      tags,
      permission: 'network:read',
      query: z
        .object({
          orgUnitId: OrgUnitId.optional(),
          level: z.enum(LINK_LEVELS).optional(),
          status: z.enum(['up', 'down', 'unknown']).optional(),
        })
        .strict(),
      response: z.object({ items: z.array(LinkViewOut) }),
    },
    async ({ identity, query }) => ({ items: await net.listLinks(identity, query) }),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/network/links/{id}',
      summary: 'One link with its history of down, up, failover, failback and flap events',
      tags,
      permission: 'network:read',
      response: LinkViewOut.extend({
        history: z.array(
          z.object({
            at: z.string(),
            event: z.enum(['down', 'up', 'failover', 'failback', 'flap']),
            detail: z.string(),
          }),
        ),
      }),
    },
    async ({ identity, params }) => net.getLink(identity, params.id!),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/network/links/{id}/metrics',
      summary:
        'Traffic, utilisation and errors of a link over a range (raw samples up to 6 h, 1-minute roll-up up to 7 d)',
      tags,
      permission: 'network:read',
      query: z.object({ range: z.enum(METRIC_RANGES).default('1h') }).strict(),
      response: z.object({
        stepSeconds: z.number().int(),
        series: z.object({
          inBitsPerSecond: z.array(Point),
          outBitsPerSecond: z.array(Point),
          inPercent: z.array(Point),
          outPercent: z.array(Point),
          errorsPerSecond: z.array(Point),
        }),
      }),
    },
    async ({ identity, params, query }) => net.linkMetrics(identity, params.id!, query.range),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/network/topology',
      summary: "Org units, devices (with reachability) and links of the caller's subtree",
      tags,
      permission: 'network:read',
      response: z.object({
        orgUnits: z.array(
          z.object({
            id: z.string(),
            parentId: z.string().nullable(),
            level: z.enum(ORG_LEVELS),
            name: z.string(),
          }),
        ),
        devices: z.array(
          z.object({
            id: z.string(),
            name: z.string(),
            orgUnitId: z.string(),
            role: z.string(),
            managementAddress: z.string(),
            plane: z.enum(PLANES).nullable(),
            reachable: z.boolean().nullable(),
          }),
        ),
        links: z.array(LinkViewOut),
      }),
    },
    async ({ identity }) => net.topology(identity),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/network/conformance',
      summary:
        'Bandwidth-tier conformance and redundancy per org unit (subtree totals), and dedicated-network integration rates',
      tags,
      permission: 'network:read',
      response: z.object({
        tiers: z.array(
          z.object({
            orgUnitId: z.string(),
            orgUnitName: z.string(),
            level: z.enum(ORG_LEVELS),
            links: z.number().int(),
            conforming: z.number().int(),
            below: z.number().int(),
            unknown: z.number().int(),
          }),
        ),
        redundancy: z.array(
          z.object({
            orgUnitId: z.string(),
            orgUnitName: z.string(),
            pairs: z.number().int(),
            redundant: z.number().int(),
            degraded: z.number().int(),
            failedOver: z.number().int(),
            degradedPairs: z.array(z.object({ pairId: z.string(), reasons: z.array(z.string()) })),
          }),
        ),
        integration: z.array(
          z.object({
            orgUnitId: z.string(),
            name: z.string(),
            level: z.enum(ORG_LEVELS),
            eligible: z.number().int(),
            migrated: z.number().int(),
            rate: z.number().nullable(),
            target: z.number(),
            meetsTarget: z.boolean(),
          }),
        ),
      }),
    },
    async ({ identity }) => net.conformance(identity),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/network/discovery/proposals',
      summary: 'Links proposed from LLDP neighbours that no inventory link joins yet',
      tags,
      permission: 'network:read',
      response: z.object({ items: z.array(ProposalOut) }),
    },
    async ({ identity }) => ({ items: await net.listProposals(identity) }),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/network/discovery/proposals/{id}/accept',
      summary: 'Create the proposed link in the inventory (audited) and remove the proposal',
      tags,
      permission: 'network:write',
      status: 201,
      body: z
        .object({
          level: z.enum(LINK_LEVELS),
          role: z.enum(LINK_ROLES),
          plane: z.enum(PLANES),
          pairId: Slug.optional(),
          orgUnitId: OrgUnitId,
        })
        .strict(),
    },
    async ({ identity, params, body }) => net.acceptProposal(identity, params.id!, body),
  );
  r.define(
    {
      method: 'delete',
      path: '/api/v1/network/discovery/proposals/{id}',
      summary: 'Dismiss a proposed link',
      tags,
      permission: 'network:write',
      status: 204,
    },
    async ({ identity, params }) => {
      await net.dismissProposal(identity, params.id!);
      return undefined;
    },
  );

  const creds = s.credentials;
  r.define(
    {
      method: 'get',
      path: '/api/v1/network/credentials',
      summary: 'SNMP credentials in scope; secrets are never returned, only whether each is set',
      tags,
      permission: 'network:write',
      response: z.object({ items: z.array(CredentialOut) }),
    },
    async ({ identity }) => ({ items: await creds.list(identity) }),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/network/credentials',
      summary:
        'Create an SNMP credential (v2c community, or v3 user with keys); secrets are stored encrypted',
      tags,
      permission: 'network:write',
      status: 201,
      body: CredentialInput,
      response: CredentialOut,
    },
    async ({ identity, body }) => creds.create(identity, body),
  );
  r.define(
    {
      method: 'patch',
      path: '/api/v1/network/credentials/{id}',
      summary: 'Change an SNMP credential; given fields replace the stored ones',
      tags,
      permission: 'network:write',
      body: CredentialPatch,
      response: CredentialOut,
    },
    async ({ identity, params, body }) => creds.update(identity, params.id!, body),
  );
  r.define(
    {
      method: 'delete',
      path: '/api/v1/network/credentials/{id}',
      summary: 'Delete an SNMP credential that no device uses',
      tags,
      permission: 'network:write',
      status: 204,
    },
    async ({ identity, params }) => {
      await creds.remove(identity, params.id!);
      return undefined;
    },
  );
}
