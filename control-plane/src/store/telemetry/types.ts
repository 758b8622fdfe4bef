import type { NativeBlock } from './native.js';
import type { Migration as TelemetryMigration } from './schema.js';
/**
 * The telemetry store: ClickHouse SQL. Two implementations satisfy this interface and pass one shared
 * test suite (`telemetry.case.ts`): chDB in-process (embedded default) and a ClickHouse server over
 * HTTP (`TIANSHU_CLICKHOUSE_URL`).
 *
 * Error semantics: every method rejects with `TelemetryStoreError` (message names the statement kind
 * and the engine's reason); a rejected insert wrote nothing that a retry with the same
 * `dedupToken` would duplicate.
 *
 * Result rows are parsed from `JSONEachRow` with `output_format_json_quote_64bit_integers=1` on both
 * engines (the ClickHouse default), so (U)Int64 columns such as `count()` arrive as strings; cast in
 * SQL (`toFloat64`, `toUInt32`) where a JavaScript number is wanted. DateTime columns arrive as
 * `'YYYY-MM-DD hh:mm:ss[.fff]'` strings in UTC; `toUnixTimestamp64Milli` gives numbers.
 */
export type QueryParams = Record<string, string | number | boolean | null | ReadonlyArray<string | number>>;

export interface InsertOptions {
  /**
   * Idempotency key: inserting the same rows again with the same token within the dedup window stores
   * them once (ClickHouse `insert_deduplication_token`), and the materialized-view roll-ups fed by
   * the table count them once too (`deduplicate_blocks_in_dependent_materialized_views=1`).
   */
  dedupToken?: string;
}

/** Retention in days per resolution; each becomes the TTL of its table. */
export interface TelemetryRetention {
  /** Raw samples (`host_metrics`); default 30. */
  rawDays: number;
  /** One-minute roll-ups (`host_metrics_1m`); default 180. */
  minuteDays: number;
  /** One-hour roll-ups (`host_metrics_1h`); default 730. */
  hourDays: number;
}

export interface TelemetryStore {
  readonly kind: 'chdb' | 'clickhouse';
  /**
   * Creates or upgrades tables and materialized views, then brings each table's TTL in line with the
   * configured retention; idempotent, and safe to run from several replicas at once.
   */
  /** Applies the core migrations and `extra` (the modules' own) not applied yet, then reconciles TTLs. */
  migrate(extra?: readonly TelemetryMigration[]): Promise<void>;
  /**
   * Batch insert of rows (JSONEachRow). Resolves once the engine has written them, with the number of
   * rows sent (a deduplicated retry reports the same number although nothing new was stored).
   */
  insert(
    table: string,
    rows: ReadonlyArray<Record<string, unknown>>,
    options?: InsertOptions,
  ): Promise<number>;
  /**
   * The ingest hot path: inserts an already serialized JSONEachRow payload (one JSON object per line)
   * without parsing it in JavaScript. Same semantics as `insert`; resolves with the number of lines.
   * The caller must not mutate the buffer until the promise settles.
   */
  insertJsonEachRow(table: string, ndjson: Uint8Array, options?: InsertOptions): Promise<number>;
  /**
   * The bulk-insert path: `INSERT INTO table (columns) FORMAT TabSeparated` with an already built
   * payload (one row per line, fields in the order of `columns`; build it with `TsvBuilder` and the
   * `tsv*` field encoders of `tsv.ts`). Columns not named take their defaults. Same semantics as
   * `insert` (dedup token, errors); resolves with the number of rows (lines). Table and column names
   * must be plain identifiers. The caller must not mutate the buffer until the promise settles.
   */
  insertTabSeparated(
    table: string,
    columns: readonly string[],
    tsv: Uint8Array,
    options?: InsertOptions,
  ): Promise<number>;
  /**
   * The binary bulk-insert path: one ClickHouse `Native` block (build it with `NativeBlockBuilder`
   * of `native.ts`) into the block's columns of `table`; columns not in the block take their
   * defaults. No text is parsed on either side, which makes it the fastest path (flows, host
   * metrics). Same semantics as `insert` (dedup token, errors); resolves with the block's rows.
   */
  insertNative(table: string, block: NativeBlock, options?: InsertOptions): Promise<number>;
  /** Runs a SELECT with `{name:Type}` placeholders bound from `params`; rows as objects. */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>;
  /** Runs a statement that returns nothing (DDL, OPTIMIZE, SYSTEM). */
  exec(sql: string): Promise<void>;
  /** Cheap liveness check for `/readyz`. */
  ping(): Promise<void>;
  /** Releases the engine connection; later calls reject. Idempotent. */
  close(): Promise<void>;
}

export class TelemetryStoreError extends Error {
  override readonly name = 'TelemetryStoreError';
  /** The ClickHouse error code (e.g. 62 for a syntax error) when the engine reported one. */
  readonly clickhouseCode: number | undefined;

  constructor(message: string, options?: { cause?: unknown; clickhouseCode?: number }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.clickhouseCode = options?.clickhouseCode;
  }
}
