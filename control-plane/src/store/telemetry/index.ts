/**
 * The telemetry store: one interface (`types.ts`), two implementations (embedded chDB, ClickHouse
 * server over HTTP), the shared DDL, and host-metric helpers.
 */
import { ChdbTelemetryStore } from './chdb.js';
import { ClickHouseTelemetryStore } from './clickhouse.js';
import type { TelemetryRetention, TelemetryStore } from './types.js';
import { TelemetryStoreError } from './types.js';

export type { InsertOptions, QueryParams, TelemetryRetention, TelemetryStore } from './types.js';
export { TelemetryStoreError } from './types.js';
export { ChdbTelemetryStore, type ChdbTelemetryStoreOptions } from './chdb.js';
export { ClickHouseTelemetryStore, type ClickHouseTelemetryStoreOptions } from './clickhouse.js';
export { LowCardinalityColumn, NativeBlockBuilder, type NativeBlock, type NativeUIntType } from './native.js';
export {
  TsvBuilder,
  countTabSeparatedRows,
  tsvDateTime64Millis,
  tsvDateTimeSeconds,
  tsvEscape,
  tsvFloat,
  tsvInt,
  tsvMap,
  tsvQuoted,
  tsvStringArray,
} from './tsv.js';
export { DEFAULT_RETENTION, MIGRATIONS, TABLES, resolveRetention } from './schema.js';
export {
  chartResolution,
  hostCharts,
  HOST_METRICS_TSV_COLUMNS,
  columnarToNative,
  columnarToTabSeparated,
  insertHostMetrics,
  insertHostMetricsPayload,
  insertHostMetricsPayloadTabSeparated,
  seriesToNative,
  latestHostSnapshot,
  seriesToTabSeparated,
  seriesToJsonEachRow,
  seriesToRows,
  type ChartPoint,
  type ChartResolution,
  type HostCharts,
  type HostChartsQuery,
  type HostMetricRow,
  type HostMetricsMeta,
  type HostSnapshot,
  type SnapshotOptions,
} from './host-metrics.js';

export type TelemetryStoreConfig =
  | { kind: 'chdb'; dataDir: string }
  | { kind: 'clickhouse'; url: string; username: string; password: string; database: string };

/**
 * Opens the configured telemetry store; options are checked at once. Call `migrate()` before use and
 * `close()` at shutdown. The chDB store keeps its files in `<dataDir>/telemetry`.
 */
export function createTelemetryStore(
  config: TelemetryStoreConfig,
  retention: Partial<TelemetryRetention> = {},
): TelemetryStore {
  switch (config?.kind) {
    case 'chdb':
      return new ChdbTelemetryStore({ dataDir: config.dataDir, retention });
    case 'clickhouse':
      return new ClickHouseTelemetryStore({
        url: config.url,
        username: config.username,
        password: config.password,
        database: config.database,
        retention,
      });
    default:
      throw new TelemetryStoreError(
        `telemetry store config requires "kind" to be "chdb" or "clickhouse", got ${JSON.stringify((config as { kind?: unknown } | undefined)?.kind)}`,
      );
  }
}
