import type { Migration } from './migrations/index.js';
/**
 * The state store: PostgreSQL SQL. Two implementations satisfy this interface and pass one shared
 * test suite (`state.case.ts`): PGlite on a data directory (embedded default) and a PostgreSQL server
 * (`TIANSHU_DATABASE_URL`). Parameters are positional (`$1`, `$2`, ...).
 */
export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

export interface Queryable {
  query<T = Record<string, unknown>>(sql: string, params?: ReadonlyArray<unknown>): Promise<QueryResult<T>>;
}

export interface StateStore extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` holding a cluster-wide lock named `name` (a PostgreSQL advisory lock on a connection of
   * its own), so that only one replica at a time runs it. `fn` uses the store as usual.
   */
  withLock<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Applies pending migrations from `migrations/` in order, once, under an advisory lock. */
  /**
   * Applies the core migrations and `extra` (the modules' own) not applied yet, in id order, under
   * a cluster-wide lock.
   */
  migrate(extra?: readonly Migration[]): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}
