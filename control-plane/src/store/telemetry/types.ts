/**
 * The telemetry store: ClickHouse SQL. Two implementations satisfy this interface and pass one shared
 * test suite (`telemetry.case.ts`): chDB in-process (embedded default) and a ClickHouse server over
 * HTTP (`TIANSHU_CLICKHOUSE_URL`).
 *
 * Error semantics: every method rejects with `TelemetryStoreError` (message names the statement kind
 * and the engine's reason); a rejected insert wrote nothing that a retry with the same
 * `dedupToken` would duplicate.
 */
export type QueryParams = Record<string, string | number | boolean | null | ReadonlyArray<string | number>>;

export interface InsertOptions {
  /**
   * Idempotency key: inserting the same rows again with the same token within the dedup window stores
   * them once (ClickHouse `insert_deduplication_token`).
   */
  dedupToken?: string;
}

export interface TelemetryStore {
  readonly kind: 'chdb' | 'clickhouse';
  /** Creates or upgrades tables and materialized views; idempotent. */
  migrate(): Promise<void>;
  /** Batch insert of rows (JSONEachRow). Resolves once the engine has written them. */
  insert(table: string, rows: ReadonlyArray<Record<string, unknown>>, options?: InsertOptions): Promise<number>;
  /** Runs a SELECT with `{name:Type}` placeholders bound from `params`; rows as objects. */
  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]>;
  /** Runs a statement that returns nothing (DDL, OPTIMIZE, SYSTEM). */
  exec(sql: string): Promise<void>;
  /** Cheap liveness check for `/readyz`. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export class TelemetryStoreError extends Error {
  override readonly name = 'TelemetryStoreError';
}
