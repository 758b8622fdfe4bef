import { z } from 'zod';
import { FLOW_KEY_FIELDS, FlowKeyField, FlowSamplingOverride } from '@tianshu/protocol';
import { parseCidr } from '../inventory/cidr.js';

const UINT32_MAX = 4_294_967_295;

const Cidr = z
  .string()
  .trim()
  .max(64)
  .refine((s) => typeof parseCidr(s) !== 'string', {
    message: 'must be a CIDR prefix such as 10.0.0.0/8 or 2001:db8::/32 (host bits zero)',
  });

/** Protocol of an application entry: a name or the IP protocol number. */
const AppProto = z.union([
  z.enum(['tcp', 'udp', 'sctp', 'icmp', 'icmpv6']),
  z.number().int().min(0).max(255),
]);

export const FlowApp = z
  .object({
    name: z.string().trim().min(1).max(100),
    proto: AppProto,
    /** Ports (single numbers, or `[from, to]` ranges); absent for port-less protocols (ICMP). */
    ports: z
      .array(z.union([z.number().int().min(0).max(65_535), z.tuple([z.number().int(), z.number().int()])]))
      .max(1000)
      .optional(),
  })
  .strict()
  .superRefine((a, ctx) => {
    for (const p of a.ports ?? []) {
      if (Array.isArray(p) && !(p[0] >= 0 && p[0] <= p[1] && p[1] <= 65_535)) {
        ctx.addIssue({
          code: 'custom',
          path: ['ports'],
          message: `port range [${p[0]}, ${p[1]}] is not 0 ≤ from ≤ to ≤ 65535`,
        });
      }
    }
  });
export type FlowApp = z.infer<typeof FlowApp>;

/**
 * `policies/flows.yaml`: retention of flow aggregates, the edge collectors' settings, the
 * aggregation key, configured sampling rates, the application table, the optional GeoIP/ASN
 * databases, egress allowances per org unit and the flow-vs-SNMP reconciliation threshold.
 */
export const FlowsPolicy = z
  .object({
    /** Days `flows_1m` and `flow_exporter_stats` keep rows. */
    retentionDays: z.number().int().min(1).max(3650),
    /** Days `flows_1h` keeps rows. */
    rollupRetentionDays: z.number().int().min(1).max(3650),
    collector: z
      .object({
        netflowPort: z.number().int().min(0).max(65_535),
        sflowPort: z.number().int().min(0).max(65_535),
        bindAddress: z.string().regex(/^[0-9A-Fa-f:.]{2,45}$/, 'must be an IPv4 or IPv6 address'),
        receiveBufferBytes: z
          .number()
          .int()
          .min(65_536)
          .max(1 << 30),
        templateTimeoutSeconds: z.number().int().min(60).max(86_400),
        /** Exporters accepted besides the inventory's devices (their management addresses). */
        allowedSources: z.array(Cidr).max(10_000),
        defaultSamplingRate: z.number().int().min(1).max(UINT32_MAX),
      })
      .strict(),
    /** Aggregation key at the edge; `ipVersion` is always added. */
    key: z.array(FlowKeyField).min(1).max(FLOW_KEY_FIELDS.length),
    sampling: z.array(FlowSamplingOverride).max(50_000),
    /** First match wins; the destination port is tried before the source port. */
    apps: z.array(FlowApp).max(10_000),
    geoip: z
      .object({
        /** MaxMind-format country database (GeoLite2-Country or equivalent). */
        database: z.string().min(1).max(4096).optional(),
        /** MaxMind-format ASN database (GeoLite2-ASN or equivalent). */
        asnDatabase: z.string().min(1).max(4096).optional(),
      })
      .strict()
      .optional(),
    egress: z
      .object({
        allowances: z
          .array(
            z
              .object({
                /** Org unit id or path. */
                orgUnit: z.string().trim().min(1).max(500),
                monthlyGigabytes: z.number().positive().max(1e9).optional(),
                peakMbps: z.number().positive().max(1e9).optional(),
              })
              .strict(),
          )
          .max(10_000),
        /**
         * The province's offset from UTC in minutes for the days and months of egress accounting and
         * allowances (default 480, UTC+08:00).
         */
        utcOffsetMinutes: z.number().int().min(-720).max(840).optional(),
      })
      .strict(),
    reconciliation: z
      .object({
        thresholdPercent: z.number().gt(0).max(1000),
        minBytes: z.number().int().min(0),
        windowMinutes: z.number().int().min(1).max(1440),
      })
      .strict(),
  })
  .strict();
export type FlowsPolicy = z.infer<typeof FlowsPolicy>;

/** The values shipped in `policies/flows.yaml` (its apps table shortened), for tests. */
export const DEFAULT_FLOWS_POLICY: FlowsPolicy = {
  retentionDays: 90,
  rollupRetentionDays: 730,
  collector: {
    netflowPort: 2055,
    sflowPort: 6343,
    bindAddress: '0.0.0.0',
    receiveBufferBytes: 33_554_432,
    templateTimeoutSeconds: 1800,
    allowedSources: [],
    defaultSamplingRate: 1,
  },
  key: [...FLOW_KEY_FIELDS],
  sampling: [],
  apps: [
    { name: 'HTTPS', proto: 'tcp', ports: [443] },
    { name: 'HTTP', proto: 'tcp', ports: [80, 8080] },
    { name: 'DNS', proto: 'udp', ports: [53] },
    { name: 'SSH', proto: 'tcp', ports: [22] },
  ],
  egress: { allowances: [] },
  reconciliation: { thresholdPercent: 20, minBytes: 10_000_000, windowMinutes: 15 },
};
