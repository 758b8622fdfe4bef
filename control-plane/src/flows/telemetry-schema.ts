import { DEDUP_WINDOW_BLOCKS, type TelemetryMigration } from '../store/telemetry/schema.js';

/** Tables of the flows module (see the flows contract: one row per stored aggregate, enriched). */
export const FLOWS_TABLES = Object.freeze({
  minute: 'flows_1m',
  hour: 'flows_1h',
  exporterStats: 'flow_exporter_stats',
});

/** Default TTLs; the flows policy's `retentionDays` / `rollupRetentionDays` replace them at run time. */
export const DEFAULT_FLOW_RETENTION_DAYS = 90;
export const DEFAULT_FLOW_ROLLUP_RETENTION_DAYS = 730;

/** The TTL clause of each flows table for a retention in days (`MODIFY TTL` uses the same text). */
export function flowTtl(days: number): string {
  return `ts + toIntervalDay(${Math.trunc(days)})`;
}

/** Dimension columns of `flows_1m`, in insert order, with their ClickHouse types. */
export const FLOW_DIMENSION_COLUMNS = [
  ['ts', "DateTime('UTC')"],
  ['agent_id', 'LowCardinality(String)'],
  ['exporter', 'LowCardinality(String)'],
  ['exporter_device_id', 'LowCardinality(String)'],
  ['exporter_org_unit', 'LowCardinality(String)'],
  ['in_if', 'UInt32'],
  ['out_if', 'UInt32'],
  ['in_if_name', 'LowCardinality(String)'],
  ['out_if_name', 'LowCardinality(String)'],
  ['in_if_speed_mbps', 'UInt32'],
  ['out_if_speed_mbps', 'UInt32'],
  ['src_addr', 'String'],
  ['dst_addr', 'String'],
  ['next_hop', 'String'],
  ['src_port', 'UInt16'],
  ['dst_port', 'UInt16'],
  ['proto', 'UInt8'],
  ['ip_version', 'UInt8'],
  ['tcp_flags', 'UInt8'],
  ['tos', 'UInt8'],
  ['src_as', 'UInt32'],
  ['dst_as', 'UInt32'],
  ['src_country', 'LowCardinality(String)'],
  ['dst_country', 'LowCardinality(String)'],
  ['src_org_unit', 'LowCardinality(String)'],
  ['dst_org_unit', 'LowCardinality(String)'],
  ['src_org_path', 'LowCardinality(String)'],
  ['dst_org_path', 'LowCardinality(String)'],
  ['direction', 'LowCardinality(String)'],
  ['app', 'LowCardinality(String)'],
] as const;

/** Every column of `flows_1m` in the order the ingest writes them. */
export const FLOW_COLUMNS: readonly string[] = [
  ...FLOW_DIMENSION_COLUMNS.map(([n]) => n),
  'sampling_rate',
  'bytes',
  'packets',
  'flows',
];

/** Columns of `flow_exporter_stats` in the order the ingest writes them. */
export const FLOW_STATS_COLUMNS: readonly string[] = [
  'ts',
  'agent_id',
  'exporter',
  'exporter_device_id',
  'exporter_org_unit',
  'exporter_org_path',
  'packets',
  'records',
  'dropped',
  'malformed',
  'missing_templates',
  'sequence_gaps',
  'versions',
  'sampling_exporter',
  'sampling_configured',
  'sampling_default',
  'rows',
  'sampling_rates',
];

/** Names that stay in the hour roll-up's key (the rest are attributes kept with anyLast/max). */
const HOUR_KEY = [
  'ts',
  'exporter',
  'in_if',
  'out_if',
  'src_org_path',
  'dst_org_path',
  'src_org_unit',
  'dst_org_unit',
  'direction',
  'app',
  'proto',
  'ip_version',
  'src_addr',
  'dst_addr',
  'src_port',
  'dst_port',
  'tcp_flags',
  'tos',
  'next_hop',
  'src_as',
  'dst_as',
  'src_country',
  'dst_country',
  'agent_id',
  'exporter_device_id',
  'exporter_org_unit',
] as const;
const HOUR_ATTRIBUTES = ['in_if_name', 'out_if_name', 'in_if_speed_mbps', 'out_if_speed_mbps'] as const;

function minuteTable(): string {
  const dims = FLOW_DIMENSION_COLUMNS.map(([n, t]) => `    ${n} ${t}`).join(',\n');
  return `CREATE TABLE IF NOT EXISTS ${FLOWS_TABLES.minute}
(
${dims},
    sampling_rate UInt32,
    bytes UInt64,
    packets UInt64,
    flows UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (ts, exporter)
TTL ${flowTtl(DEFAULT_FLOW_RETENTION_DAYS)}
SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW_BLOCKS}, ttl_only_drop_parts = 1`;
}

function hourTable(): string {
  const types = new Map<string, string>(FLOW_DIMENSION_COLUMNS);
  const key = HOUR_KEY.map((n) => `    ${n} ${types.get(n)!}`).join(',\n');
  const attrs = HOUR_ATTRIBUTES.map((n) => {
    const t = types.get(n)!;
    const f = t.startsWith('UInt') ? 'max' : 'anyLast';
    return `    ${n} SimpleAggregateFunction(${f}, ${t === 'LowCardinality(String)' ? 'String' : t})`;
  }).join(',\n');
  return `CREATE TABLE IF NOT EXISTS ${FLOWS_TABLES.hour}
(
${key},
${attrs},
    sampling_rate SimpleAggregateFunction(max, UInt32),
    bytes SimpleAggregateFunction(sum, UInt64),
    packets SimpleAggregateFunction(sum, UInt64),
    flows SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (${HOUR_KEY.join(', ')})
TTL ${flowTtl(DEFAULT_FLOW_ROLLUP_RETENTION_DAYS)}
SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW_BLOCKS}`;
}

function hourView(): string {
  // Source columns renamed in the subquery (see store/telemetry/schema.ts: an alias wins over a column).
  const keyOut = HOUR_KEY.filter((n) => n !== 'ts').join(', ');
  const attrs = HOUR_ATTRIBUTES.map((n) =>
    n.endsWith('mbps') ? `max(src_${n}) AS ${n}` : `anyLast(src_${n}) AS ${n}`,
  ).join(',\n    ');
  const attrIn = HOUR_ATTRIBUTES.map((n) =>
    n.endsWith('mbps') ? `${n} AS src_${n}` : `toString(${n}) AS src_${n}`,
  ).join(', ');
  return `CREATE MATERIALIZED VIEW IF NOT EXISTS ${FLOWS_TABLES.hour}_mv TO ${FLOWS_TABLES.hour} AS
SELECT
    toStartOfHour(minute) AS ts,
    ${keyOut},
    ${attrs},
    max(src_sampling_rate) AS sampling_rate,
    sum(src_bytes) AS bytes,
    sum(src_packets) AS packets,
    sum(src_flows) AS flows
FROM
(
    SELECT ts AS minute, ${keyOut}, ${attrIn}, sampling_rate AS src_sampling_rate,
        bytes AS src_bytes, packets AS src_packets, flows AS src_flows
    FROM ${FLOWS_TABLES.minute}
)
GROUP BY ts, ${keyOut}`;
}

function statsTable(): string {
  return `CREATE TABLE IF NOT EXISTS ${FLOWS_TABLES.exporterStats}
(
    ts DateTime('UTC'),
    agent_id LowCardinality(String),
    exporter LowCardinality(String),
    exporter_device_id LowCardinality(String),
    exporter_org_unit LowCardinality(String),
    exporter_org_path LowCardinality(String),
    packets UInt64,
    records UInt64,
    dropped UInt64,
    malformed Map(String, UInt64),
    missing_templates UInt64,
    sequence_gaps UInt64,
    versions Array(String),
    sampling_exporter UInt64,
    sampling_configured UInt64,
    sampling_default UInt64,
    rows UInt64,
    sampling_rates Array(UInt32)
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (exporter, ts)
TTL ${flowTtl(DEFAULT_FLOW_RETENTION_DAYS)}
SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW_BLOCKS}, ttl_only_drop_parts = 1`;
}

/**
 * The flows module's telemetry tables. TTLs follow the flows policy (`retentionDays`,
 * `rollupRetentionDays`), not the telemetry retention config: the module reconciles them
 * (`FlowsService.reconcileRetention`) at start and when the policy changes.
 */
export const FLOWS_TELEMETRY_MIGRATIONS: readonly TelemetryMigration[] = [
  {
    version: 10,
    name: 'flows_1m with the flows_1h roll-up, flow_exporter_stats',
    statements: () => [minuteTable(), hourTable(), hourView(), statsTable()],
  },
];
