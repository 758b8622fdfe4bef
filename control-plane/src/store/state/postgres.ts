import pg from 'pg';
import type { Queryable, QueryResult, StateStore } from './types.js';
import type { Migration } from './migrations/index.js';
import { applyMigrations, lockKey } from './migrate.js';

// Timestamps come back as JS Dates (the pg default) and bigint/numeric as strings; int8 counts that
// fit in a double are parsed as numbers so both implementations return the same shapes.
pg.types.setTypeParser(20, (v) => {
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : v;
});

/** The production state store: a PostgreSQL server, through a connection pool. */
export class PostgresStateStore implements StateStore {
  readonly kind = 'postgres' as const;

  private constructor(private readonly pool: pg.Pool) {}

  static async open(url: string, poolSize = 10): Promise<PostgresStateStore> {
    const pool = new pg.Pool({ connectionString: url, max: poolSize, idleTimeoutMillis: 30_000 });
    // A pool error on an idle client must not crash the process; the next query reconnects.
    pool.on('error', () => undefined);
    const store = new PostgresStateStore(pool);
    await store.ping();
    return store;
  }

  async query<T = Record<string, unknown>>(
    sql: string,
    params?: ReadonlyArray<unknown>,
  ): Promise<QueryResult<T>> {
    const r = await this.pool.query(sql, params ? [...params] : undefined);
    return { rows: r.rows as T[], rowCount: r.rowCount ?? r.rows.length };
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    const tx: Queryable = {
      async query<R>(sql: string, params?: ReadonlyArray<unknown>): Promise<QueryResult<R>> {
        const r = await client.query(sql, params ? [...params] : undefined);
        return { rows: r.rows as R[], rowCount: r.rowCount ?? r.rows.length };
      },
    };
    try {
      await client.query('BEGIN');
      const out = await fn(tx);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('SELECT pg_advisory_lock($1)', [lockKey(name)]);
      try {
        return await fn();
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [lockKey(name)]);
      }
    } finally {
      client.release();
    }
  }

  async migrate(extra: readonly Migration[] = []): Promise<void> {
    await applyMigrations((fn) => this.transaction(fn), extra);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
