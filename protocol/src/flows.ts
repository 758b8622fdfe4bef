import { z } from 'zod';
import { text } from './text.js';
import { AddressText, addressColumn, countColumn, intColumn } from './columns.js';
import { MAX_TIMESTAMP_MILLIS } from './network.js';

/**
 * Flows on the wire: the `flows` section of an edge agent's config (what its collector listens on,
 * whom it accepts, how it aggregates) and the `flow-aggregates` report payload (per-minute,
 * sampling-corrected aggregates, columnar).
 */

const UINT32_MAX = 4_294_967_295;

/**
 * The dimensions a flow aggregate can be keyed by. `ipVersion` is always part of the key (IPv6
 * traffic share depends on it); the rest are chosen by the province (detail against volume).
 */
export const FLOW_KEY_FIELDS = [
  'inIf',
  'outIf',
  'srcAddr',
  'dstAddr',
  'srcPort',
  'dstPort',
  'proto',
  'ipVersion',
  'tcpFlags',
  'tos',
  'nextHop',
  'srcAs',
  'dstAs',
] as const;
export const FlowKeyField = z.enum(FLOW_KEY_FIELDS);
export type FlowKeyField = z.infer<typeof FlowKeyField>;

/** Why a datagram was dropped as malformed (counted per exporter and reason). */
export const FLOW_MALFORMED_REASONS = [
  'truncated',
  'bad-version',
  'bad-length',
  'bad-template',
  'bad-field',
  'too-many-records',
  'bad-sample',
] as const;
export type FlowMalformedReason = (typeof FLOW_MALFORMED_REASONS)[number];

const CidrText = text()
  .min(3)
  .max(49)
  .regex(/^[0-9A-Fa-f:.]+\/\d{1,3}$/, 'must be a CIDR prefix such as 10.0.0.0/8 or 2001:db8::/32');

/** A configured sampling rate for an exporter that does not say its own (or says it wrongly). */
export const FlowSamplingOverride = z
  .object({
    /** The exporter's address (the UDP source of its datagrams). */
    exporter: AddressText,
    /** Applies to every interface of the exporter unless an interface has its own. */
    samplingRate: z.number().int().min(1).max(UINT32_MAX).optional(),
    interfaces: z
      .array(
        z
          .object({
            ifIndex: z.number().int().min(0).max(UINT32_MAX),
            samplingRate: z.number().int().min(1).max(UINT32_MAX),
          })
          .strict(),
      )
      .max(10_000)
      .optional(),
    /** When true the configured rate wins over what the exporter reports. */
    override: z.boolean().optional(),
  })
  .strict();
export type FlowSamplingOverride = z.infer<typeof FlowSamplingOverride>;

/** The `flows` section of an edge agent's config. Absent: the agent runs no collector. */
export const FlowCollectorConfig = z
  .object({
    enabled: z.boolean(),
    /** Address the collector binds (embedded: 127.0.0.1; an edge agent: 0.0.0.0 or ::). */
    bindAddress: AddressText,
    /** NetFlow v5/v9 and IPFIX (one port for the three); 0 = not listening. Default 2055. */
    netflowPort: z.number().int().min(0).max(65_535),
    /** sFlow v5; 0 = not listening. Default 6343. */
    sflowPort: z.number().int().min(0).max(65_535),
    /** Exporters accepted: these prefixes (inventory devices' addresses are listed as /32 or /128). */
    allowedSources: z.array(CidrText).max(100_000),
    /** Aggregation key; `ipVersion` is always added. */
    key: z.array(FlowKeyField).min(1).max(FLOW_KEY_FIELDS.length),
    /** Configured sampling rates, per exporter (and interface). */
    sampling: z.array(FlowSamplingOverride).max(50_000),
    /** Rate used when neither the exporter nor the configuration says one (default 1). */
    defaultSamplingRate: z.number().int().min(1).max(UINT32_MAX),
    /** IPFIX/v9 templates not refreshed for this long are forgotten (UDP template expiry). */
    templateTimeoutSeconds: z.number().int().min(60).max(86_400),
    /** SO_RCVBUF asked of the kernel for each socket. */
    receiveBufferBytes: z
      .number()
      .int()
      .min(65_536)
      .max(1 << 30),
  })
  .strict();
export type FlowCollectorConfig = z.infer<typeof FlowCollectorConfig>;

/** What one exporter did during the minute of a payload (deltas, not running totals). */
export const FlowExporterStats = z
  .object({
    /** Datagrams received from the exporter (accepted or not). */
    packets: z.number().int().min(0),
    /** Flow records decoded (before sampling correction). */
    records: z.number().int().min(0),
    /** Datagrams or records dropped for another reason than malformation (queue full, not allowed). */
    dropped: z.number().int().min(0),
    /** Malformed datagrams, by reason. */
    malformed: z.partialRecord(z.enum(FLOW_MALFORMED_REASONS), z.number().int().min(0)),
    /** Data records or sets skipped because their template was not (yet) known. */
    missingTemplates: z.number().int().min(0),
    /** Datagrams lost, from the exporter's own sequence numbers. */
    sequenceGaps: z.number().int().min(0),
    /** Protocol versions seen: 5, 9, 10 (IPFIX), 'sflow'. */
    versions: z.array(z.union([z.literal(5), z.literal(9), z.literal(10), z.literal('sflow')])).max(4),
    /** Where the sampling rates came from this minute (records counted per source). */
    samplingSources: z
      .object({
        exporter: z.number().int().min(0),
        configured: z.number().int().min(0),
        default: z.number().int().min(0),
      })
      .strict(),
    /**
     * Records whose detail was dropped: the exporter-minute reached the collector's key cap, so they
     * were added to a catch-all row (every key field 0 or empty, ipVersion and samplingRate kept);
     * their bytes, packets and flows are counted. Absent = none.
     */
    detailDropped: z.number().int().min(0).optional(),
  })
  .strict();
export type FlowExporterStats = z.infer<typeof FlowExporterStats>;

const MINUTE = 60_000;
const MAX_ROWS = 200_000;

/** The columns of a flow-aggregates payload: one per key field present, plus the measures. */
export const FlowColumns = z
  .object({
    inIf: intColumn(0, UINT32_MAX, MAX_ROWS).optional(),
    outIf: intColumn(0, UINT32_MAX, MAX_ROWS).optional(),
    srcAddr: addressColumn(MAX_ROWS).optional(),
    dstAddr: addressColumn(MAX_ROWS).optional(),
    srcPort: intColumn(0, 65_535, MAX_ROWS).optional(),
    dstPort: intColumn(0, 65_535, MAX_ROWS).optional(),
    proto: intColumn(0, 255, MAX_ROWS).optional(),
    ipVersion: intColumn(4, 6, MAX_ROWS),
    tcpFlags: intColumn(0, 255, MAX_ROWS).optional(),
    tos: intColumn(0, 255, MAX_ROWS).optional(),
    nextHop: addressColumn(MAX_ROWS).optional(),
    srcAs: intColumn(0, UINT32_MAX, MAX_ROWS).optional(),
    dstAs: intColumn(0, UINT32_MAX, MAX_ROWS).optional(),
    /** The sampling rate applied to the row (1 = unsampled). */
    samplingRate: intColumn(1, UINT32_MAX, MAX_ROWS),
    /** Sampling-corrected measures: bytes, packets, and flow records × rate. */
    bytes: countColumn(Number.MAX_SAFE_INTEGER, MAX_ROWS),
    packets: countColumn(Number.MAX_SAFE_INTEGER, MAX_ROWS),
    flows: countColumn(Number.MAX_SAFE_INTEGER, MAX_ROWS),
  })
  .strict();
export type FlowColumns = z.infer<typeof FlowColumns>;

/**
 * `flow-aggregates`: one exporter's flows of one minute, aggregated by the configured key and
 * sampling-corrected, as columns (every column has `rows` elements). Several payloads for the same
 * exporter and minute add up (an agent flushes a minute once, but a restart may split it).
 */
export const FlowAggregatesPayload = z
  .object({
    kind: z.literal('flow-aggregates'),
    /** The exporter's address (the UDP source of its datagrams). */
    exporter: AddressText,
    /** Start of the minute, unix milliseconds (a multiple of 60,000). */
    minute: z
      .number()
      .int()
      .min(0)
      .max(MAX_TIMESTAMP_MILLIS)
      .refine((m) => m % MINUTE === 0, 'minute must be a multiple of 60000 (the start of a minute)'),
    /** The key fields the rows carry (others were aggregated away), always with `ipVersion`. */
    key: z.array(FlowKeyField).min(1).max(FLOW_KEY_FIELDS.length),
    rows: z.number().int().min(0).max(MAX_ROWS),
    columns: FlowColumns,
    stats: FlowExporterStats,
  })
  .strict()
  .superRefine((p, ctx) => {
    if (!p.key.includes('ipVersion')) {
      ctx.addIssue({ code: 'custom', path: ['key'], message: 'key must include ipVersion' });
    }
    const keys = new Set<string>(p.key);
    for (const [name, col] of Object.entries(p.columns)) {
      if (col === undefined) continue;
      const isMeasure = name === 'samplingRate' || name === 'bytes' || name === 'packets' || name === 'flows';
      if (!isMeasure && !keys.has(name)) {
        ctx.addIssue({ code: 'custom', path: ['columns', name], message: `column ${name} is not in key` });
      }
      if (col.length !== p.rows) {
        ctx.addIssue({
          code: 'custom',
          path: ['columns', name],
          message: `column ${name} has ${col.length} elements, rows is ${p.rows}`,
        });
      }
    }
    for (const k of p.key) {
      if (p.columns[k] === undefined) {
        ctx.addIssue({ code: 'custom', path: ['columns', k], message: `key field ${k} has no column` });
      }
    }
  });
export type FlowAggregatesPayload = z.infer<typeof FlowAggregatesPayload>;
