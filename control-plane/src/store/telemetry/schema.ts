/**
 * The telemetry DDL, shared by the chDB and ClickHouse-server stores, and the migration runner.
 *
 * Versioning: a small `schema_migrations` table records each applied migration (version, name, time).
 * `migrate()` creates it if missing, reads the highest applied version and runs the newer migrations
 * in order. Every statement is itself idempotent (`CREATE … IF NOT EXISTS`), so a migration that was
 * interrupted before its version row was written simply runs again, and two replicas migrating at
 * once cannot break each other (the table is a ReplacingMergeTree keyed by version, so a duplicate
 * version row collapses). Retention is configuration, not schema: after the migrations, each table's
 * TTL is compared with the configured retention and changed with `ALTER TABLE … MODIFY TTL` when it
 * differs, so changing retention needs no new migration.
 *
 * Roll-ups follow Akvorado: raw → 1 minute → 1 hour, each fed by a materialized view, each with its
 * own TTL. The roll-up tables are AggregatingMergeTree with min, max, sum and count (so the average
 * merges correctly as sum / count), the time of the last sample, and the last value as an
 * `argMax(value, ts)` state (needed to turn cumulative counters into rates). Rows of one series are
 * identified by `series_id = cityHash64(mapSort(labels))`, so label order does not matter.
 *
 * Dedup: `insert_deduplication_token` only works on a non-replicated MergeTree when the table has a
 * `non_replicated_deduplication_window`; the roll-up tables need it as well, otherwise a retried
 * insert that the raw table deduplicates is still counted again by the views (verified on chDB
 * 26.7 — the setting on the source table alone is not enough).
 */
import type { TelemetryRetention, TelemetryStore } from './types.js';
import { TelemetryStoreError } from './types.js';

export const DEFAULT_RETENTION: Readonly<TelemetryRetention> = Object.freeze({
  rawDays: 30,
  minuteDays: 180,
  hourDays: 730,
});

/** How many recent insert blocks each table remembers for `insert_deduplication_token`. */
export const DEDUP_WINDOW_BLOCKS = 10_000;

/** Settings sent with every insert so that retries with the same token are stored once. */
export function insertSettings(dedupToken: string | undefined): Record<string, string | number> {
  const settings: Record<string, string | number> = { deduplicate_blocks_in_dependent_materialized_views: 1 };
  if (dedupToken !== undefined) {
    if (dedupToken === '') throw new TelemetryStoreError('INSERT failed: dedupToken must not be empty');
    settings.insert_deduplicate = 1;
    settings.insert_deduplication_token = dedupToken;
  }
  return settings;
}

/** Fills defaults and checks the retention at once; bad values throw. */
export function resolveRetention(retention: Partial<TelemetryRetention> = {}): TelemetryRetention {
  const resolved: TelemetryRetention = { ...DEFAULT_RETENTION, ...retention };
  for (const key of ['rawDays', 'minuteDays', 'hourDays'] as const) {
    const days = resolved[key];
    if (!Number.isInteger(days) || days < 1 || days > 36_500) {
      throw new TelemetryStoreError(
        `telemetry retention "${key}" must be a whole number of days between 1 and 36500, got ${String(days)}`,
      );
    }
  }
  return resolved;
}

/** Table names, for queries elsewhere in the folder. */
export const TABLES = Object.freeze({
  raw: 'host_metrics',
  minute: 'host_metrics_1m',
  hour: 'host_metrics_1h',
  migrations: 'schema_migrations',
});

/** The TTL expression of each table for a retention; `MODIFY TTL` and `CREATE` use the same text. */
export function ttlClauses(retention: TelemetryRetention): Record<'raw' | 'minute' | 'hour', string> {
  return {
    raw: `toDateTime(ts) + toIntervalDay(${retention.rawDays})`,
    minute: `ts + toIntervalDay(${retention.minuteDays})`,
    hour: `ts + toIntervalDay(${retention.hourDays})`,
  };
}

function rollupTable(name: string, partitionBy: string, ttl: string): string {
  return `CREATE TABLE IF NOT EXISTS ${name}
(
    ts DateTime('UTC'),
    agent_id LowCardinality(String),
    org_unit_id LowCardinality(String),
    host LowCardinality(String),
    name LowCardinality(String),
    series_id UInt64,
    labels SimpleAggregateFunction(any, Map(String, String)),
    ts_max SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    value_min SimpleAggregateFunction(min, Float64),
    value_max SimpleAggregateFunction(max, Float64),
    value_sum SimpleAggregateFunction(sum, Float64),
    value_count SimpleAggregateFunction(sum, UInt64),
    value_last AggregateFunction(argMax, Float64, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
PARTITION BY ${partitionBy}
ORDER BY (org_unit_id, agent_id, host, name, series_id, ts)
TTL ${ttl}
SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW_BLOCKS}`;
}

/** A telemetry-store migration; modules declare theirs in their definition (see modules/contract.ts). */
export interface Migration {
  version: number;
  name: string;
  statements(retention: TelemetryRetention): string[];
  /** Tables beside the host-metric ones whose TTL follows a retention class (reconciled after migrating). */
  ttlTables?: ReadonlyArray<readonly [table: string, retention: 'raw' | 'minute' | 'hour']>;
}

/**
 * Ordered migrations. Never edit an applied one: add a new version. Inside the views, source columns
 * are renamed in a subquery because ClickHouse resolves an alias before a column of the same name
 * (`toStartOfMinute(ts) AS ts` would otherwise change what `ts` means in `argMaxState(value, ts)`).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'host_metrics with 1-minute and 1-hour roll-ups',
    statements: (retention) => {
      const ttl = ttlClauses(retention);
      return [
        `CREATE TABLE IF NOT EXISTS ${TABLES.raw}
(
    ts DateTime64(3, 'UTC'),
    agent_id LowCardinality(String),
    org_unit_id LowCardinality(String),
    host LowCardinality(String),
    name LowCardinality(String),
    labels Map(LowCardinality(String), String),
    value Float64
)
ENGINE = MergeTree
PARTITION BY toYYYYMMDD(ts)
ORDER BY (org_unit_id, agent_id, name, ts)
TTL ${ttl.raw}
SETTINGS non_replicated_deduplication_window = ${DEDUP_WINDOW_BLOCKS}, ttl_only_drop_parts = 1`,
        rollupTable(TABLES.minute, 'toYYYYMM(ts)', ttl.minute),
        rollupTable(TABLES.hour, 'toYYYYMM(ts)', ttl.hour),
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${TABLES.minute}_mv TO ${TABLES.minute} AS
SELECT
    toStartOfMinute(sample_ts) AS ts,
    agent_id,
    org_unit_id,
    host,
    name,
    series_id,
    any(sample_labels) AS labels,
    max(sample_ts) AS ts_max,
    min(value) AS value_min,
    max(value) AS value_max,
    sum(value) AS value_sum,
    toUInt64(count()) AS value_count,
    argMaxState(value, sample_ts) AS value_last
FROM
(
    SELECT
        ts AS sample_ts,
        agent_id,
        org_unit_id,
        host,
        name,
        cityHash64(mapSort(labels)) AS series_id,
        CAST(labels, 'Map(String, String)') AS sample_labels,
        value
    FROM ${TABLES.raw}
)
GROUP BY ts, agent_id, org_unit_id, host, name, series_id`,
        `CREATE MATERIALIZED VIEW IF NOT EXISTS ${TABLES.hour}_mv TO ${TABLES.hour} AS
SELECT
    toStartOfHour(minute) AS ts,
    agent_id,
    org_unit_id,
    host,
    name,
    series_id,
    any(minute_labels) AS labels,
    max(minute_ts_max) AS ts_max,
    min(minute_min) AS value_min,
    max(minute_max) AS value_max,
    sum(minute_sum) AS value_sum,
    sum(minute_count) AS value_count,
    argMaxMergeState(minute_last) AS value_last
FROM
(
    SELECT
        ts AS minute,
        agent_id,
        org_unit_id,
        host,
        name,
        series_id,
        labels AS minute_labels,
        ts_max AS minute_ts_max,
        value_min AS minute_min,
        value_max AS minute_max,
        value_sum AS minute_sum,
        value_count AS minute_count,
        value_last AS minute_last
    FROM ${TABLES.minute}
)
GROUP BY ts, agent_id, org_unit_id, host, name, series_id`,
      ];
    },
  },
];

export type TelemetryMigration = Migration;

/** The core migrations and the modules' in version order; versions are one sequence, collisions stop the start. */
export function mergeTelemetryMigrations(...lists: ReadonlyArray<readonly Migration[]>): Migration[] {
  const byVersion = new Map<number, Migration>();
  for (const m of lists.flat()) {
    const other = byVersion.get(m.version);
    if (other && other !== m) {
      throw new Error(`telemetry migrations "${other.name}" and "${m.name}" both have version ${m.version}`);
    }
    byVersion.set(m.version, m);
  }
  return [...byVersion.values()].sort((a, b) => a.version - b.version);
}

/** What the migration runner needs from a store: the store's own `exec` and `query`. */
export type SqlRunner = Pick<TelemetryStore, 'exec' | 'query'>;

/** Applies pending migrations, then reconciles TTLs with `retention`. Used by both stores. */
export async function runMigrations(
  runner: SqlRunner,
  retention: TelemetryRetention,
  extra: readonly Migration[] = [],
): Promise<void> {
  const migrations = mergeTelemetryMigrations(MIGRATIONS, extra);
  await runner.exec(`CREATE TABLE IF NOT EXISTS ${TABLES.migrations}
(
    version UInt32,
    name String,
    applied_at DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY version`);
  const rows = await runner.query<{ version: number }>(
    `SELECT DISTINCT toUInt32(version) AS version FROM ${TABLES.migrations}`,
  );
  const applied = new Set(rows.map((r) => Number(r.version)));
  for (const migration of migrations) {
    if (applied.has(migration.version)) continue;
    for (const statement of migration.statements(retention)) await runner.exec(statement);
    await runner.exec(
      `INSERT INTO ${TABLES.migrations} (version, name) VALUES (${migration.version}, '${migration.name.replace(/[\\']/g, '\\$&')}')`,
    );
  }
  await reconcileTtl(runner, retention, migrations);
}

async function reconcileTtl(
  runner: SqlRunner,
  retention: TelemetryRetention,
  migrations: readonly Migration[],
): Promise<void> {
  const ttl = ttlClauses(retention);
  const wanted: Array<[string, string]> = [
    [TABLES.raw, ttl.raw],
    [TABLES.minute, ttl.minute],
    [TABLES.hour, ttl.hour],
    ...migrations.flatMap((m) =>
      (m.ttlTables ?? []).map(([table, kind]): [string, string] => [table, ttl[kind]]),
    ),
  ];
  const rows = await runner.query<{ name: string; engine_full: string }>(
    `SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)}`,
    { names: wanted.map(([name]) => name) },
  );
  const engines = new Map(rows.map((r) => [r.name, r.engine_full]));
  for (const [table, clause] of wanted) {
    const engine = engines.get(table);
    if (engine === undefined) throw new TelemetryStoreError(`migrate failed: table ${table} is missing`);
    if (!engine.includes(`TTL ${clause}`)) await runner.exec(`ALTER TABLE ${table} MODIFY TTL ${clause}`);
  }
}
