/**
 * The two stores as the rest of the control plane uses them: every call's storage-full failure
 * becomes a `StorageFullError` naming the store (answered 507, never a generic 500) and is recorded
 * in `StorageHealth`, and every successful insert is recorded too, so that the health sees space
 * return. Plus the small write probes `StorageHealth` runs while a store is full.
 */
import type { StoreName } from '../errors.js';
import type { Queryable, QueryResult, StateStore } from './state/index.js';
import type { InsertOptions, NativeBlock, QueryParams, TelemetryStore } from './telemetry/index.js';
import type { StorageHealth } from './storage-health.js';
import type { Migration as StateMigration } from './state/migrations/index.js';
import type { TelemetryMigration } from './telemetry/schema.js';

const INSERT = /^\s*INSERT\b/i;

async function guarded<T>(health: StorageHealth, store: StoreName, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw health.failed(store, err);
  }
}

class MonitoredStateStore implements StateStore {
  constructor(
    private readonly inner: StateStore,
    private readonly health: StorageHealth,
  ) {}

  get kind(): StateStore['kind'] {
    return this.inner.kind;
  }

  async query<T = Record<string, unknown>>(
    sql: string,
    params?: ReadonlyArray<unknown>,
  ): Promise<QueryResult<T>> {
    const r = await guarded(this.health, 'state', () => this.inner.query<T>(sql, params));
    if (INSERT.test(sql)) this.health.wrote('state');
    return r;
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    let inserted = false;
    const out = await guarded(this.health, 'state', () =>
      this.inner.transaction((tx) =>
        fn({
          query: async <R>(sql: string, params?: ReadonlyArray<unknown>) => {
            const r = await guarded(this.health, 'state', () => tx.query<R>(sql, params));
            if (INSERT.test(sql)) inserted = true;
            return r;
          },
        }),
      ),
    );
    // Only a committed insert shows that the store has space.
    if (inserted) this.health.wrote('state');
    return out;
  }

  withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return guarded(this.health, 'state', () => this.inner.withLock(name, fn));
  }

  migrate(extra?: readonly StateMigration[]): Promise<void> {
    return guarded(this.health, 'state', () => this.inner.migrate(extra));
  }

  ping(): Promise<void> {
    return guarded(this.health, 'state', () => this.inner.ping());
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

class MonitoredTelemetryStore implements TelemetryStore {
  constructor(
    private readonly inner: TelemetryStore,
    private readonly health: StorageHealth,
  ) {}

  get kind(): TelemetryStore['kind'] {
    return this.inner.kind;
  }

  migrate(extra?: readonly TelemetryMigration[]): Promise<void> {
    return guarded(this.health, 'telemetry', () => this.inner.migrate(extra));
  }

  async insert(
    table: string,
    rows: ReadonlyArray<Record<string, unknown>>,
    options?: InsertOptions,
  ): Promise<number> {
    const n = await guarded(this.health, 'telemetry', () => this.inner.insert(table, rows, options));
    this.health.wrote('telemetry');
    return n;
  }

  async insertJsonEachRow(table: string, ndjson: Uint8Array, options?: InsertOptions): Promise<number> {
    const n = await guarded(this.health, 'telemetry', () =>
      this.inner.insertJsonEachRow(table, ndjson, options),
    );
    this.health.wrote('telemetry');
    return n;
  }

  async insertTabSeparated(
    table: string,
    columns: readonly string[],
    tsv: Uint8Array,
    options?: InsertOptions,
  ): Promise<number> {
    const n = await guarded(this.health, 'telemetry', () =>
      this.inner.insertTabSeparated(table, columns, tsv, options),
    );
    this.health.wrote('telemetry');
    return n;
  }

  async insertNative(table: string, block: NativeBlock, options?: InsertOptions): Promise<number> {
    const n = await guarded(this.health, 'telemetry', () => this.inner.insertNative(table, block, options));
    this.health.wrote('telemetry');
    return n;
  }

  query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]> {
    return guarded(this.health, 'telemetry', () => this.inner.query<T>(sql, params));
  }

  async exec(sql: string): Promise<void> {
    await guarded(this.health, 'telemetry', () => this.inner.exec(sql));
    if (INSERT.test(sql)) this.health.wrote('telemetry');
  }

  ping(): Promise<void> {
    return guarded(this.health, 'telemetry', () => this.inner.ping());
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** The state store with its storage failures recognised and recorded in `health`. */
export function monitorStateStore(db: StateStore, health: StorageHealth): StateStore {
  return new MonitoredStateStore(db, health);
}

/** The telemetry store with its storage failures recognised and recorded in `health`. */
export function monitorTelemetryStore(telemetry: TelemetryStore, health: StorageHealth): TelemetryStore {
  return new MonitoredTelemetryStore(telemetry, health);
}

/**
 * Write probes: one small real write per store, through the monitored stores, so a success or a
 * storage-full failure is recorded like any other write. The state probe upserts one row of
 * `settings`; the telemetry probe inserts into a one-column table kept for a day.
 */
export function writeProbes(
  db: StateStore,
  telemetry: TelemetryStore,
): Record<StoreName, () => Promise<unknown>> {
  let probeTable = false;
  return {
    state: () =>
      db.query(
        `INSERT INTO settings (key, value, updated_at) VALUES ('storage.probe', $1::jsonb, now())
         ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
        [JSON.stringify({ at: new Date().toISOString() })],
      ),
    telemetry: async () => {
      if (!probeTable) {
        await telemetry.exec(
          `CREATE TABLE IF NOT EXISTS storage_probe (at DateTime('UTC'))
           ENGINE = MergeTree ORDER BY at TTL at + INTERVAL 1 DAY`,
        );
        probeTable = true;
      }
      await telemetry.insert('storage_probe', [{ at: Math.floor(Date.now() / 1000) }]);
    },
  };
}
