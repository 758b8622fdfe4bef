import { z } from 'zod';
import type { Router } from '../api/route.js';
import { OrgUnitId } from '../inventory/org-units.js';
import { FLOW_MALFORMED_REASONS } from '@tianshu/protocol';
import type { EgressService } from './egress.js';
import type { ExporterHealthService } from './exporters.js';
import type { Reconciler } from './reconcile.js';

/** Routes of internet egress per org unit, flow vs SNMP reconciliation and exporter health. */

const tags = ['flows'];

/** An ISO 8601 instant (with Z or an offset), as unix ms. */
const Instant = z
  .string()
  .max(40)
  .refine(
    (s) => /^\d{4}-\d{2}-\d{2}T/.test(s) && Number.isFinite(Date.parse(s)),
    'must be an ISO 8601 time such as 2026-12-01T08:00:00Z',
  )
  .transform((s) => Date.parse(s));

const Status = z.enum(['ok', 'diverging', 'no-snmp', 'no-flows']);
const Hint = z
  .object({
    code: z.enum(['sampling-rate', 'not-exported', 'lost-datagrams', 'unknown']),
    message: z.string(),
    likelySamplingRate: z.number().int().optional(),
    lossPercent: z.number().optional(),
  })
  .nullable();
const InterfaceOut = z.object({
  exporter: z.string(),
  deviceId: z.string(),
  ifIndex: z.number().int(),
  ifName: z.string(),
  direction: z.enum(['in', 'out']),
  minutes: z.number().int().describe('minutes compared: the exporter reported and SNMP covers the interface'),
  flowBytes: z.number(),
  snmpBytes: z.number(),
  ratio: z.number().nullable().describe('flowBytes / snmpBytes'),
  divergencePercent: z.number().nullable(),
  samplingRate: z.number().int(),
  status: Status,
  belowMinimum: z.boolean().describe('neither side reached the policy’s minBytes: shown, not judged'),
  hint: Hint,
});
const ExporterRecOut = z.object({
  exporter: z.string(),
  deviceId: z.string(),
  orgUnitId: z.string(),
  status: Status,
  reason: z.string(),
  diverging: z.number().int(),
  worst: InterfaceOut.nullable(),
  interfaces: z.array(InterfaceOut),
});
const Bps = z.number().describe('bits per second');
const Day = z.object({
  date: z.string(),
  outBytes: z.number(),
  inBytes: z.number(),
  peakOutBps: Bps,
  peakInBps: Bps,
  p95OutBps: Bps,
  p95InBps: Bps,
});

export function healthRoutes(
  r: Router,
  s: { egress: EgressService; reconciler: Reconciler; exporters: ExporterHealthService },
): void {
  r.define(
    {
      method: 'get',
      path: '/api/v1/flows/exporters',
      summary:
        "Flow exporters of the caller's org units: rates, drops, malformed datagrams by reason, missing templates, sequence gaps, versions, sampling, last seen and reconciliation with SNMP",
      tags,
      permission: 'flows:read',
      query: z.object({ from: Instant.optional(), to: Instant.optional() }).strict(),
      response: z.object({
        from: z.string(),
        to: z.string(),
        items: z.array(
          z.object({
            address: z.string(),
            deviceId: z.string().nullable(),
            deviceName: z.string().nullable(),
            orgUnitId: z.string(),
            agentId: z.string(),
            minutes: z.number().int(),
            packetsPerSecond: z.number(),
            recordsPerSecond: z.number(),
            packets: z.number(),
            records: z.number(),
            flows: z.number(),
            bytes: z.number(),
            dropped: z.number(),
            malformed: z.partialRecord(z.enum(FLOW_MALFORMED_REASONS), z.number()),
            malformedTotal: z.number(),
            missingTemplates: z.number(),
            sequenceGaps: z.number(),
            versions: z.array(z.string()),
            samplingRates: z.array(z.number()),
            samplingSources: z.object({ exporter: z.number(), configured: z.number(), default: z.number() }),
            lastSeen: z.string(),
            reconciliation: z.object({
              status: Status,
              reason: z.string(),
              diverging: z.number().int(),
              from: z.string(),
              to: z.string(),
              worstInterface: InterfaceOut.pick({
                ifIndex: true,
                ifName: true,
                direction: true,
                divergencePercent: true,
                hint: true,
                flowBytes: true,
                snmpBytes: true,
              }).nullable(),
            }),
          }),
        ),
      }),
    },
    async ({ identity, query }) => s.exporters.list(identity, query),
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/flows/reconciliation',
      summary:
        'Flow bytes against SNMP octets per exporter interface and direction over the same minutes (default: the policy window), with status and a hint of the cause',
      tags,
      permission: 'flows:read',
      query: z
        .object({
          from: Instant.optional(),
          to: Instant.optional(),
          exporter: z.string().min(2).max(45).optional(),
        })
        .strict(),
      response: z.object({ from: z.string(), to: z.string(), items: z.array(ExporterRecOut) }),
    },
    async ({ identity, query }) => {
      const r = await s.reconciler.reconcile(identity, query);
      return { from: new Date(r.from).toISOString(), to: new Date(r.to).toISOString(), items: r.items };
    },
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/flows/egress',
      summary:
        "An org unit's internet egress over a local day or month: volume, peak and 95th percentile (5-minute buckets), per day, top destinations, applications, internal sources and the allowance",
      tags,
      permission: 'flows:read',
      query: z
        .object({
          orgUnitId: OrgUnitId.optional(),
          period: z.enum(['day', 'month']).default('day'),
          at: z.string().max(10).optional().describe('YYYY-MM-DD (or YYYY-MM for a month); default today'),
          limit: z.coerce.number().int().min(1).max(100).default(10),
        })
        .strict(),
      response: z.object({
        orgUnitId: z.string(),
        orgUnitName: z.string(),
        period: z.enum(['day', 'month']),
        label: z.string(),
        from: z.string(),
        to: z.string(),
        utcOffsetMinutes: z.number().int(),
        outBytes: z.number(),
        inBytes: z.number(),
        peakOutBps: Bps,
        peakInBps: Bps,
        p95OutBps: Bps,
        p95InBps: Bps,
        buckets: z.number().int().describe('5-minute buckets elapsed in the period (the percentile’s N)'),
        days: z.array(Day),
        fiveMinutes: z
          .array(z.tuple([z.number(), z.number(), z.number()]))
          .describe('[unixMillis, outBps, inBps]'),
        topDestinations: z.array(
          z.object({
            address: z.string(),
            country: z.string(),
            as: z.number(),
            outBytes: z.number(),
            inBytes: z.number(),
          }),
        ),
        applications: z.array(z.object({ app: z.string(), outBytes: z.number(), inBytes: z.number() })),
        internalSources: z.array(
          z.object({ address: z.string(), orgUnitId: z.string(), outBytes: z.number(), inBytes: z.number() }),
        ),
        allowance: z
          .object({
            monthlyGigabytes: z.number().nullable(),
            peakMbps: z.number().nullable(),
            month: z.string(),
            monthBytes: z.number(),
            monthPeakBps: Bps,
            volumeExceeded: z.boolean(),
            peakExceeded: z.boolean(),
            exceeded: z.boolean(),
          })
          .nullable(),
      }),
    },
    async ({ identity, query }) => s.egress.report(identity, query),
  );
}
