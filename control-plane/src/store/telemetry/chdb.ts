/**
 * The embedded telemetry store: ClickHouse in-process through chDB (`chdb` on npm).
 *
 * Every call is asynchronous (`queryAsync`, `queryBindAsync`, raw `insert`), so the engine works on
 * the libuv pool and the event loop never blocks. Inserts hand a JSONEachRow buffer to the engine's
 * own parser; no per-row SQL is built.
 *
 * One data directory per process: libchdb binds a single data path per process. Found with chdb 3.4
 * (libchdb 26.7): opening a `Session` on a second path while one is open throws ("only one active
 * data directory per process"); a second `Session` on the same path works beside the first, and
 * closing one leaves the other usable (the shared test suite opens a second store on the same
 * directory to change retention). So a process holds its telemetry in one data directory, and tests
 * that need a second engine (the fake ClickHouse server) run it in a child process. `close()` waits
 * for chDB's `drainPending()`, so a store on another path can be opened afterwards.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Session, drainPending } from 'chdb';
import {
  checkColumnNames,
  checkTableName,
  countJsonEachRowLines,
  nativeInsertSql,
  parseJsonEachRow,
  rowsToJsonEachRow,
  statementKind,
  toStoreError,
} from './internal.js';
import { countTabSeparatedRows } from './tsv.js';
import { insertSettings, resolveRetention, runMigrations } from './schema.js';
import type { Migration as TelemetryMigration } from './schema.js';
import type { NativeBlock } from './native.js';
import type { InsertOptions, QueryParams, TelemetryRetention, TelemetryStore } from './types.js';
import { TelemetryStoreError } from './types.js';

export interface ChdbTelemetryStoreOptions {
  /** The control plane's data directory; the engine keeps its files in `<dataDir>/telemetry`. */
  dataDir: string;
  /** Retention per resolution; defaults are 30, 180 and 730 days. */
  retention?: Partial<TelemetryRetention>;
}

/** Engine arguments at connect: load tables before the first query, and quote 64-bit integers. */
const CONNECTION_ARGS = ['--async_load_databases=0', '--output_format_json_quote_64bit_integers=1'];

export class ChdbTelemetryStore implements TelemetryStore {
  readonly kind = 'chdb' as const;
  /** The engine's data directory, `<dataDir>/telemetry`. */
  readonly path: string;
  /**
   * Where `insertNative` puts a block for the engine to read (`<dataDir>/telemetry-spool`): chDB's
   * raw insert takes text formats only, so a Native block goes through `file()`; each file lives
   * for one insert and the folder is emptied at open (files of a crashed process).
   */
  readonly spoolPath: string;
  readonly retention: TelemetryRetention;
  #session: Session | undefined;
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(options: ChdbTelemetryStoreOptions) {
    if (typeof options?.dataDir !== 'string' || options.dataDir === '') {
      throw new TelemetryStoreError('chDB telemetry store requires option "dataDir"');
    }
    this.retention = resolveRetention(options.retention);
    this.path = join(options.dataDir, 'telemetry');
    this.spoolPath = join(options.dataDir, 'telemetry-spool');
    try {
      mkdirSync(this.path, { recursive: true });
      mkdirSync(this.spoolPath, { recursive: true, mode: 0o700 });
      for (const f of readdirSync(this.spoolPath)) {
        if (f.endsWith('.native')) rmSync(join(this.spoolPath, f), { force: true });
      }
      this.#session = new Session(this.path, { connectionArgs: CONNECTION_ARGS });
    } catch (error) {
      throw toStoreError(`opening chDB at ${this.path}`, error);
    }
  }

  async migrate(extra: readonly TelemetryMigration[] = []): Promise<void> {
    try {
      await runMigrations(this, this.retention, extra);
    } catch (error) {
      throw toStoreError('migrate', error);
    }
  }

  async insert(
    table: string,
    rows: ReadonlyArray<Record<string, unknown>>,
    options: InsertOptions = {},
  ): Promise<number> {
    if (rows.length === 0) return 0;
    return this.insertJsonEachRow(table, rowsToJsonEachRow(rows), options);
  }

  async insertJsonEachRow(table: string, ndjson: Uint8Array, options: InsertOptions = {}): Promise<number> {
    checkTableName(table);
    const settings = insertSettings(options.dedupToken);
    if (ndjson.length === 0) return 0;
    const session = this.#open(`INSERT INTO ${table}`);
    try {
      const summary = await this.#track(
        session.insert({ table, values: ndjson, format: 'JSONEachRow', settings }),
      );
      return summary.rowsSent ?? countJsonEachRowLines(ndjson);
    } catch (error) {
      throw toStoreError(`INSERT INTO ${table}`, error);
    }
  }

  async insertTabSeparated(
    table: string,
    columns: readonly string[],
    tsv: Uint8Array,
    options: InsertOptions = {},
  ): Promise<number> {
    checkTableName(table);
    checkColumnNames(table, columns);
    const settings = insertSettings(options.dedupToken);
    if (tsv.length === 0) return 0;
    const session = this.#open(`INSERT INTO ${table}`);
    try {
      const summary = await this.#track(
        session.insert({ table, columns, values: tsv, format: 'TabSeparated', settings }),
      );
      return summary.rowsSent ?? countTabSeparatedRows(tsv);
    } catch (error) {
      throw toStoreError(`INSERT INTO ${table}`, error);
    }
  }

  async insertNative(table: string, block: NativeBlock, options: InsertOptions = {}): Promise<number> {
    checkTableName(table);
    checkColumnNames(table, block.columns);
    const settings = insertSettings(options.dedupToken);
    if (block.rows === 0) return 0;
    const session = this.#open(`INSERT INTO ${table}`);
    const file = join(this.spoolPath, `${randomUUID()}.native`);
    try {
      await writeFile(file, block.toBuffer(), { mode: 0o600, flag: 'wx' });
      await this.#track(
        session.queryAsync(nativeInsertSql(table, block.columns, file, settings), { format: 'TabSeparated' }),
      );
      return block.rows;
    } catch (error) {
      throw toStoreError(`INSERT INTO ${table}`, error);
    } finally {
      await rm(file, { force: true });
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]> {
    const session = this.#open(statementKind(sql));
    try {
      const result = await this.#track(
        params && Object.keys(params).length > 0
          ? session.queryBindAsync(sql, params, { format: 'JSONEachRow' })
          : session.queryAsync(sql, { format: 'JSONEachRow' }),
      );
      return parseJsonEachRow<T>(result.text());
    } catch (error) {
      throw toStoreError(statementKind(sql), error);
    }
  }

  async exec(sql: string): Promise<void> {
    const session = this.#open(statementKind(sql));
    try {
      await this.#track(session.queryAsync(sql, { format: 'TabSeparated' }));
    } catch (error) {
      throw toStoreError(statementKind(sql), error);
    }
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1 AS ok');
  }

  async close(): Promise<void> {
    const session = this.#session;
    if (session === undefined) return;
    this.#session = undefined;
    await Promise.allSettled([...this.#inFlight]);
    session.close();
    await drainPending();
  }

  #open(what: string): Session {
    if (this.#session === undefined) {
      throw new TelemetryStoreError(`${what} failed: the chDB telemetry store is closed`);
    }
    return this.#session;
  }

  #track<R>(promise: Promise<R>): Promise<R> {
    this.#inFlight.add(promise);
    const forget = (): void => {
      this.#inFlight.delete(promise);
    };
    promise.then(forget, forget);
    return promise;
  }
}
