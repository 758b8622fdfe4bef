import { DEDUP_WINDOW_BLOCKS, type TelemetryMigration } from '../../store/telemetry/schema.js';
import { MIN_RETENTION_DAYS } from './policy.js';

/**
 * The security module's telemetry tables (migrations 20–29 are the module's: this part's are 20–24;
 * risk uses 25, flow detections 26). TTLs follow `policies/security.yaml` (`retentionDays`, never
 * below 180 days), reconciled by `SecurityEvents.reconcileRetention` at start and on policy change.
 */
export const SECURITY_TABLES = Object.freeze({
  events: 'security_events',
  sourceStats: 'security_source_stats',
});

/** The TTL clause of both tables for a retention in days (`MODIFY TTL` uses the same text). */
export function securityTtl(days: number): string {
  return `toDateTime(ts) + toIntervalDay(${Math.trunc(days)})`;
}

/** Columns of `security_events` in the order the ingest writes them (TabSeparated). */
export const EVENT_COLUMNS = [
  'id',
  'ts',
  'org_unit',
  'org_path',
  'agent_id',
  'source',
  'format',
  'type',
  'severity',
  'src_ip',
  'dst_ip',
  'src_port',
  'dst_port',
  'proto',
  'host',
  'user',
  'rule',
  'message',
  'fields',
  'raw',
] as const;

export const SOURCE_STATS_COLUMNS = [
  'ts',
  'agent_id',
  'org_unit',
  'org_path',
  'source',
  'format',
  'transport',
  'received',
  'accepted',
  'rejected',
  'dropped',
  'out_of_scope',
] as const;

function eventsTable(): string {
  return `CREATE TABLE IF NOT EXISTS ${SECURITY_TABLES.events}
(
    id String,
    ts DateTime64(3, 'UTC'),
    org_unit LowCardinality(String),
    org_path LowCardinality(String),
    agent_id LowCardinality(String),
    source LowCardinality(String),
    format LowCardinality(String),
    type LowCardinality(String),
    severity UInt8,
    src_ip String,
    dst_ip String,
    src_port UInt16,
    dst_port UInt16,
    proto LowCardinality(String),
    host LowCardinality(String),
    user String,
    rule String,
    message String,
    fields String,
    raw String,
    INDEX id_bf id TYPE bloom_filter(0.001) GRANULARITY 4
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (org_path, ts)
TTL ${securityTtl(MIN_RETENTION_DAYS)}
SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW_BLOCKS}, ttl_only_drop_parts = 1`;
}

function sourceStatsTable(): string {
  return `CREATE TABLE IF NOT EXISTS ${SECURITY_TABLES.sourceStats}
(
    ts DateTime64(3, 'UTC'),
    agent_id LowCardinality(String),
    org_unit LowCardinality(String),
    org_path LowCardinality(String),
    source LowCardinality(String),
    format LowCardinality(String),
    transport LowCardinality(String),
    received UInt64,
    accepted UInt64,
    rejected Map(String, UInt64),
    dropped UInt64,
    out_of_scope UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (org_path, source, ts)
TTL ${securityTtl(MIN_RETENTION_DAYS)}
SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW_BLOCKS}, ttl_only_drop_parts = 1`;
}

export const SECURITY_TELEMETRY_MIGRATIONS: readonly TelemetryMigration[] = [
  {
    version: 20,
    name: 'security_events and security_source_stats',
    statements: () => [eventsTable(), sourceStatsTable()],
  },
];
