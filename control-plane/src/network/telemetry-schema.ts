import { DEDUP_WINDOW_BLOCKS, ttlClauses, type TelemetryMigration } from '../store/telemetry/schema.js';

/** Tables of the network module (interface counters and device polls). */
export const NETWORK_TABLES = Object.freeze({
  interfaces: 'interface_metrics',
  interfacesMinute: 'interface_metrics_1m',
  interfacesHour: 'interface_metrics_1h',
  polls: 'device_polls',
});

/** Measures of `interface_metrics` that the roll-ups keep as sum, count (of non-null samples) and max. */
const INTERFACE_MEASURES = [
  'in_bps',
  'out_bps',
  'in_util_percent',
  'out_util_percent',
  'in_errors_ps',
  'out_errors_ps',
  'in_discards_ps',
  'out_discards_ps',
] as const;

function interfaceRollupTable(name: string, ttl: string): string {
  const measures = INTERFACE_MEASURES.map(
    (m) =>
      `    ${m}_sum SimpleAggregateFunction(sum, Float64),\n    ${m}_count SimpleAggregateFunction(sum, UInt64),\n    ${m}_max SimpleAggregateFunction(max, Float64)`,
  ).join(',\n');
  return `CREATE TABLE IF NOT EXISTS ${name}
(
    ts DateTime('UTC'),
    device_id LowCardinality(String),
    org_unit_id LowCardinality(String),
    if_index UInt32,
    if_name SimpleAggregateFunction(anyLast, String),
    speed_mbps SimpleAggregateFunction(max, UInt32),
    samples SimpleAggregateFunction(sum, UInt64),
    up_samples SimpleAggregateFunction(sum, UInt64),
${measures}
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (org_unit_id, device_id, if_index, ts)
TTL ${ttl}
SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW_BLOCKS}`;
}

/** The network module's telemetry tables: interface counters with roll-ups, and device polls. */
export const NETWORK_TELEMETRY_MIGRATIONS: readonly TelemetryMigration[] = [
  {
    version: 2,
    name: 'interface_metrics with 1-minute and 1-hour roll-ups, device_polls',
    ttlTables: [
      [NETWORK_TABLES.interfaces, 'raw'],
      [NETWORK_TABLES.interfacesMinute, 'minute'],
      [NETWORK_TABLES.interfacesHour, 'hour'],
      [NETWORK_TABLES.polls, 'raw'],
    ],
    statements: (retention) => {
      const ttl = ttlClauses(retention);
      const t = NETWORK_TABLES;
      const nullable = INTERFACE_MEASURES.map((m) => `    ${m} Nullable(Float64),`).join('\n');
      // Source columns are renamed (src_*) in the subqueries, as in version 1.
      const fromRaw = INTERFACE_MEASURES.map(
        (m) =>
          `    sum(ifNull(src_${m}, 0)) AS ${m}_sum,\n    toUInt64(count(src_${m})) AS ${m}_count,\n    max(ifNull(src_${m}, 0)) AS ${m}_max`,
      ).join(',\n');
      const rawColumns = INTERFACE_MEASURES.map((m) => `${m} AS src_${m}`).join(', ');
      const fromMinute = INTERFACE_MEASURES.map(
        (m) =>
          `    sum(src_${m}_sum) AS ${m}_sum,\n    sum(src_${m}_count) AS ${m}_count,\n    max(src_${m}_max) AS ${m}_max`,
      ).join(',\n');
      const minuteColumns = INTERFACE_MEASURES.map(
        (m) => `${m}_sum AS src_${m}_sum, ${m}_count AS src_${m}_count, ${m}_max AS src_${m}_max`,
      ).join(', ');
      return [
        `CREATE TABLE IF NOT EXISTS ${t.interfaces}
(
    ts DateTime64(3, 'UTC'),
    device_id LowCardinality(String),
    org_unit_id LowCardinality(String),
    if_index UInt32,
    if_name LowCardinality(String),
    oper_status LowCardinality(String),
    admin_status LowCardinality(String),
    speed_mbps UInt32,
${nullable}
    counter_event LowCardinality(String)
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (org_unit_id, device_id, if_index, ts)
TTL ${ttl.raw}
SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW_BLOCKS}, ttl_only_drop_parts = 1`,
        interfaceRollupTable(t.interfacesMinute, ttl.minute),
        interfaceRollupTable(t.interfacesHour, ttl.hour),
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${t.interfacesMinute}_mv TO ${t.interfacesMinute} AS
SELECT
    toStartOfMinute(sample_ts) AS ts,
    device_id,
    org_unit_id,
    if_index,
    anyLast(src_if_name) AS if_name,
    max(src_speed_mbps) AS speed_mbps,
    toUInt64(count()) AS samples,
    toUInt64(countIf(src_oper_status = 'up')) AS up_samples,
${fromRaw}
FROM
(
    SELECT ts AS sample_ts, device_id, org_unit_id, if_index, toString(if_name) AS src_if_name,
        speed_mbps AS src_speed_mbps, oper_status AS src_oper_status, ${rawColumns}
    FROM ${t.interfaces}
)
GROUP BY ts, device_id, org_unit_id, if_index`,
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${t.interfacesHour}_mv TO ${t.interfacesHour} AS
SELECT
    toStartOfHour(minute) AS ts,
    device_id,
    org_unit_id,
    if_index,
    anyLast(src_if_name) AS if_name,
    max(src_speed_mbps) AS speed_mbps,
    sum(src_samples) AS samples,
    sum(src_up_samples) AS up_samples,
${fromMinute}
FROM
(
    SELECT ts AS minute, device_id, org_unit_id, if_index, if_name AS src_if_name, speed_mbps AS src_speed_mbps,
        samples AS src_samples, up_samples AS src_up_samples, ${minuteColumns}
    FROM ${t.interfacesMinute}
)
GROUP BY ts, device_id, org_unit_id, if_index`,
        `CREATE TABLE IF NOT EXISTS ${t.polls}
(
    ts DateTime64(3, 'UTC'),
    device_id LowCardinality(String),
    org_unit_id LowCardinality(String),
    agent_id LowCardinality(String),
    reachable UInt8,
    error String,
    duration_ms Float64,
    sys_uptime Nullable(UInt64)
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (org_unit_id, device_id, ts)
TTL ${ttl.raw}
SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW_BLOCKS}, ttl_only_drop_parts = 1`,
      ];
    },
  },
  {
    version: 3,
    name: 'device_polls.outcome, interface_metrics.counter_bits',
    statements: () => [
      `ALTER TABLE ${NETWORK_TABLES.polls} ADD COLUMN IF NOT EXISTS outcome LowCardinality(String) DEFAULT ''`,
      `ALTER TABLE ${NETWORK_TABLES.interfaces} ADD COLUMN IF NOT EXISTS counter_bits UInt8 DEFAULT 64`,
    ],
  },
];
