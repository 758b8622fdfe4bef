import { z } from 'zod';
import { PollOutcome } from '@tianshu/protocol';
import type { Router } from '../api/route.js';
import { IpAddress, Name, Slug } from '../inventory/common.js';
import { DEVICE_ROLES, PLANES, SnmpRef } from '../inventory/devices.js';
import { OrgUnitId } from '../inventory/org-units.js';
import { DEVICE_STATES, METRIC_RANGES, type DeviceViews } from './devices.js';

const tags = ['network'];
const Point = z.tuple([z.number(), z.number()]);

const DeviceStatusOut = z.object({
  id: z.string(),
  name: z.string(),
  orgUnitId: z.string(),
  siteId: z.string(),
  role: z.string(),
  managementAddress: z.string(),
  snmpPort: z.number().int().nullable(),
  vendor: z.string().nullable().describe('set by hand, else from ENTITY-MIB or the sysObjectID enterprise'),
  model: z.string().nullable(),
  osVersion: z.string().nullable(),
  serial: z.string().nullable(),
  sysName: z.string().nullable(),
  sysDescr: z.string().nullable(),
  sysObjectId: z.string().nullable(),
  sysLocation: z.string().nullable(),
  uptimeSeconds: z.number().int().nullable(),
  status: z
    .enum(DEVICE_STATES)
    .describe(
      'up: last poll ok or partial; down: timeouts; failing: other failures; unknown: never polled or stale',
    ),
  reachable: z
    .boolean()
    .nullable()
    .describe('false when the last polls failed for any reason; null when unknown'),
  lastPoll: z
    .object({
      at: z.string(),
      outcome: PollOutcome,
      error: z.string().nullable(),
      durationMs: z.number(),
      consecutiveFailures: z.number().int(),
      missing: z.array(z.string()),
      warnings: z.array(z.string()),
    })
    .nullable(),
  lastDiscovery: z
    .object({
      at: z.string(),
      outcome: PollOutcome,
      error: z.string().nullable(),
      missing: z.array(z.string()),
    })
    .nullable(),
  interfaces: z.object({
    total: z.number().int(),
    up: z.number().int(),
    down: z.number().int(),
    missing: z.number().int(),
  }),
  pollerAgentId: z.string().nullable(),
  lastPollAgentId: z.string().nullable(),
});

const InterfaceStatusOut = z.object({
  id: z.string().nullable().describe('the inventory interface; null when polled but not in the inventory'),
  ifIndex: z.number().int(),
  name: z.string(),
  descr: z.string().nullable(),
  alias: z.string().nullable(),
  type: z.number().int().nullable().describe('IANAifType'),
  speedMbps: z.number().nullable(),
  mac: z.string().nullable(),
  adminStatus: z.string().nullable(),
  operStatus: z.string().nullable(),
  counterBits: z.union([z.literal(32), z.literal(64)]).nullable(),
  inBps: z.number().nullable(),
  outBps: z.number().nullable(),
  inUtilisation: z.number().nullable().describe('percent of the speed'),
  outUtilisation: z.number().nullable(),
  inErrorsPerSecond: z.number().nullable(),
  outErrorsPerSecond: z.number().nullable(),
  inDiscardsPerSecond: z.number().nullable(),
  outDiscardsPerSecond: z.number().nullable(),
  lastChangeAt: z.string().nullable(),
  missingSince: z.string().nullable().describe('set when discovery no longer sees the interface'),
  polledAt: z.string().nullable(),
});

const DeviceDetailOut = DeviceStatusOut.omit({ interfaces: true }).extend({
  interfaceCounts: DeviceStatusOut.shape.interfaces,
  interfaces: z.array(InterfaceStatusOut),
  neighbours: z.array(
    z.object({
      localIfIndex: z.number().int(),
      localPortName: z.string().nullable(),
      remoteSysName: z.string(),
      remotePortId: z.string(),
      remoteChassisId: z.string(),
    }),
  ),
  links: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      status: z.enum(['up', 'down', 'unknown']),
      role: z.string(),
      ifIndex: z.number().int(),
    }),
  ),
});

const SweepOut = z.object({
  id: z.string(),
  cidr: z.string(),
  state: z.enum(['pending', 'running', 'done', 'failed']),
  probed: z.number().int(),
  found: z.number().int(),
  added: z.array(z.string()).describe('ids of the devices the sweep added'),
  error: z.string().nullable(),
});

const AddByAddressIn = z
  .object({
    siteId: Slug,
    address: IpAddress,
    snmp: SnmpRef,
    role: z.enum(DEVICE_ROLES).optional(),
    name: Name.optional().describe('the address until discovery brings the sysName, when absent'),
    id: Slug.optional().describe('a slug of the address (dev-10-1-2-3) when absent'),
    pollerAgentId: z.uuid().optional(),
    plane: z.enum(PLANES).optional(),
  })
  .strict();
const AddByCidrIn = z
  .object({
    siteId: Slug,
    cidr: z
      .string()
      .trim()
      .min(3)
      .max(64)
      .describe('at most 1,024 addresses, inside a management prefix of the site'),
    snmp: SnmpRef,
    role: z.enum(DEVICE_ROLES).optional(),
  })
  .strict();

const IfIndexParam = (raw: string | undefined): number => {
  const n = Number(raw);
  return Number.isInteger(n) && n >= 1 && n <= 2_147_483_647 ? n : 0;
};

/** Device and port views, add by address or sweep, discovery on demand; all org-unit scoped. */
export function deviceRoutes(r: Router, views: DeviceViews): void {
  r.define(
    {
      method: 'get',
      path: '/api/v1/network/devices',
      summary:
        "Devices in the caller's org units with status, last poll outcome and error, discovery facts and interface counts",
      tags,
      permission: 'network:read',
      query: z
        .object({
          orgUnitId: OrgUnitId.optional(),
          status: z.enum(DEVICE_STATES).optional(),
          q: z.string().max(200).optional().describe('text in id, name, address, sysName, vendor or model'),
        })
        .strict(),
      response: z.object({ items: z.array(DeviceStatusOut) }),
    },
    async ({ identity, query }) => ({ items: await views.list(identity, query) }),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/network/devices/add',
      summary:
        'Add a device by address (201, discovered at once) or sweep a range of at most 1,024 addresses (202 with the sweep id)',
      tags,
      permission: 'inventory:write',
      status: 201,
      body: z.union([AddByAddressIn, AddByCidrIn]),
      response: DeviceStatusOut,
      otherResponses: {
        202: { description: 'Sweep started', schema: z.object({ sweepId: z.string() }) },
      },
    },
    async ({ c, identity, body }) => {
      if ('cidr' in body) return c.json(await views.startSweep(identity, body), 202);
      return views.addByAddress(identity, body);
    },
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/network/sweeps/{id}',
      summary: 'A sweep: its state, addresses probed and found, and the devices it added',
      tags,
      permission: 'network:read',
      response: SweepOut,
    },
    async ({ identity, params }) => views.getSweep(identity, params.id!),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/network/devices/{id}',
      summary:
        'One device with its interfaces (status, speed, rates, errors, discards), LLDP neighbours and links',
      tags,
      permission: 'network:read',
      response: DeviceDetailOut,
    },
    async ({ identity, params }) => views.get(identity, params.id!),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/network/devices/{id}/discover',
      summary: "Discover the device now (its agent's config changes and the agent discovers it at once)",
      tags,
      permission: 'inventory:write',
      status: 202,
      response: z.object({ requestedAt: z.string() }),
    },
    async ({ identity, params }) => views.discover(identity, params.id!),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/network/devices/{id}/polls',
      summary: 'Polls of a device over a range, newest first: outcome, error and duration',
      tags,
      permission: 'network:read',
      query: z.object({ range: z.enum(METRIC_RANGES).default('1h') }).strict(),
      response: z.object({
        items: z.array(
          z.object({
            at: z.string(),
            outcome: PollOutcome,
            error: z.string().nullable(),
            durationMs: z.number(),
          }),
        ),
      }),
    },
    async ({ identity, params, query }) => views.polls(identity, params.id!, query.range),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/network/devices/{id}/interfaces/{ifIndex}',
      summary: 'One interface of a device with its history of status and inventory changes',
      tags,
      permission: 'network:read',
      response: InterfaceStatusOut.extend({
        history: z.array(z.object({ at: z.string(), change: z.string(), detail: z.string() })),
      }),
    },
    async ({ identity, params }) => views.getInterface(identity, params.id!, IfIndexParam(params.ifIndex)),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/network/devices/{id}/interfaces/{ifIndex}/metrics',
      summary:
        'Traffic, utilisation, errors and discards of an interface over a range (raw samples up to 6 h, 1-minute roll-up up to 7 d)',
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
          inErrorsPerSecond: z.array(Point),
          outErrorsPerSecond: z.array(Point),
          inDiscardsPerSecond: z.array(Point),
          outDiscardsPerSecond: z.array(Point),
        }),
      }),
    },
    async ({ identity, params, query }) =>
      views.interfaceMetrics(identity, params.id!, IfIndexParam(params.ifIndex), query.range),
  );
}
