import { DEDUP_WINDOW_BLOCKS, type TelemetryMigration } from '../../store/telemetry/schema.js';

/**
 * The quota module's telemetry tables (versions 30–39 are the quota module's).
 *
 * `quota_usage`: one row per sample of (cloud, project, resource class): the quota, what the cloud
 * reports as used and what was physically measured (NULL when nothing measures it), with the
 * project's org unit and its path at the time of the sample (showback sums subtrees by path prefix).
 * Written by the `quotas.usage-sample` job every 15 minutes (`QuotaReview.recordSamples`); read by
 * the review (peaks and coverage over the window). Kept 400 days: the longest review window (365
 * days) and a year of monthly showback.
 *
 * `quota_usage_1d`: the daily roll-up (UTC days) fed by a materialized view: sums, maxima and sample
 * counts, so that the average of a day merges correctly as sum / samples. Read by showback and the
 * scorecards (a month is at most 31 rows per series). Kept 800 days.
 *
 * The TTLs are fixed (not the host-metrics retention classes): the review and showback need them.
 */
export const QUOTA_TELEMETRY_TABLES = Object.freeze({
  samples: 'quota_usage',
  daily: 'quota_usage_1d',
});

export const QUOTA_USAGE_RETENTION_DAYS = 400;
export const QUOTA_USAGE_DAILY_RETENTION_DAYS = 800;

export const QUOTAS_TELEMETRY_MIGRATIONS: readonly TelemetryMigration[] = [
  {
    version: 30,
    name: 'quota_usage samples with a daily roll-up',
    statements: () => [
      `CREATE TABLE IF NOT EXISTS ${QUOTA_TELEMETRY_TABLES.samples}
(
    ts DateTime('UTC'),
    cloud_id LowCardinality(String),
    project_id String,
    org_unit_id LowCardinality(String),
    org_path String,
    class LowCardinality(String),
    quota Float64,
    used Float64,
    physical Nullable(Float64)
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (cloud_id, project_id, class, ts)
TTL ts + toIntervalDay(${QUOTA_USAGE_RETENTION_DAYS})
SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW_BLOCKS}, ttl_only_drop_parts = 1`,
      `CREATE TABLE IF NOT EXISTS ${QUOTA_TELEMETRY_TABLES.daily}
(
    day Date,
    cloud_id LowCardinality(String),
    project_id String,
    class LowCardinality(String),
    org_unit_id SimpleAggregateFunction(anyLast, String),
    org_path SimpleAggregateFunction(anyLast, String),
    ts_min SimpleAggregateFunction(min, DateTime('UTC')),
    ts_max SimpleAggregateFunction(max, DateTime('UTC')),
    samples SimpleAggregateFunction(sum, UInt64),
    quota_sum SimpleAggregateFunction(sum, Float64),
    quota_max SimpleAggregateFunction(max, Float64),
    used_sum SimpleAggregateFunction(sum, Float64),
    used_max SimpleAggregateFunction(max, Float64),
    physical_samples SimpleAggregateFunction(sum, UInt64),
    physical_sum SimpleAggregateFunction(sum, Float64),
    physical_max SimpleAggregateFunction(max, Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (cloud_id, project_id, class, day)
TTL day + toIntervalDay(${QUOTA_USAGE_DAILY_RETENTION_DAYS})
SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW_BLOCKS}`,
      `CREATE MATERIALIZED VIEW IF NOT EXISTS ${QUOTA_TELEMETRY_TABLES.daily}_mv TO ${QUOTA_TELEMETRY_TABLES.daily} AS
SELECT
    toDate(sample_ts, 'UTC') AS day,
    cloud_id,
    project_id,
    class,
    anyLast(sample_org_unit_id) AS org_unit_id,
    anyLast(sample_org_path) AS org_path,
    min(sample_ts) AS ts_min,
    max(sample_ts) AS ts_max,
    toUInt64(count()) AS samples,
    sum(quota) AS quota_sum,
    max(quota) AS quota_max,
    sum(used) AS used_sum,
    max(used) AS used_max,
    toUInt64(countIf(physical IS NOT NULL)) AS physical_samples,
    sum(ifNull(physical, 0)) AS physical_sum,
    max(ifNull(physical, 0)) AS physical_max
FROM
(
    SELECT
        ts AS sample_ts,
        cloud_id,
        project_id,
        class,
        toString(org_unit_id) AS sample_org_unit_id,
        org_path AS sample_org_path,
        quota,
        used,
        physical
    FROM ${QUOTA_TELEMETRY_TABLES.samples}
)
GROUP BY day, cloud_id, project_id, class`,
    ],
  },
];
