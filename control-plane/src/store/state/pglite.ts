import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import type { Queryable, QueryResult, StateStore } from './types.js';
import type { Migration } from './migrations/index.js';
import { applyMigrations } from './migrate.js';

function wrap(db: { query: PGlite['query'] }): Queryable {
  return {
    async query<T>(sql: string, params?: ReadonlyArray<unknown>): Promise<QueryResult<T>> {
      const r = await db.query<T>(sql, params ? [...params] : undefined);
      return { rows: r.rows, rowCount: Math.max(r.rows.length, r.affectedRows ?? 0) };
    },
  };
}

/** The embedded state store: PGlite (PostgreSQL compiled to WASM) on a data directory. */
export class PgliteStateStore implements StateStore {
  readonly kind = 'pglite' as const;
  private readonly q: Queryable;

  private constructor(private readonly db: PGlite) {
    this.q = wrap(db);
  }

  /** Opens (creating if needed) the database in `dataDir`; `undefined` keeps it in memory. */
  static async open(dataDir?: string): Promise<PgliteStateStore> {
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const db = await PGlite.create(dataDir);
    return new PgliteStateStore(db);
  }

  query<T = Record<string, unknown>>(sql: string, params?: ReadonlyArray<unknown>): Promise<QueryResult<T>> {
    return this.q.query<T>(sql, params);
  }

  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(wrap(tx)));
  }

  private lockChain: Promise<unknown> = Promise.resolve();

  /**
   * PGlite serves one process, so no other replica can race; callers in this process still run one
   * at a time. (An advisory lock cannot be used: PGlite has one connection, and `fn` needs it.)
   */
  withLock<T>(_name: string, fn: () => Promise<T>): Promise<T> {
    const run = this.lockChain.then(fn, fn);
    this.lockChain = run.catch(() => undefined);
    return run;
  }

  async migrate(extra: readonly Migration[] = []): Promise<void> {
    await applyMigrations((fn) => this.transaction(fn), extra);
  }

  async ping(): Promise<void> {
    await this.db.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}
