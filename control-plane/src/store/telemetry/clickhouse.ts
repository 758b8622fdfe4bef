/**
 * The scaled telemetry store: a ClickHouse server over its HTTP interface (`@clickhouse/client`).
 * Same DDL (`schema.ts`) and the same queries as the embedded chDB store.
 *
 * Raw JSONEachRow and TabSeparated payloads go through `client.exec` with the INSERT statement in the URL and the
 * bytes as the request body, because `client.insert` only accepts rows (objects) for JSON formats.
 */
import { Readable } from 'node:stream';
import { ClickHouseLogLevel, createClient, type ClickHouseClient } from '@clickhouse/client';
import {
  checkColumnNames,
  checkTableName,
  countJsonEachRowLines,
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

export interface ClickHouseTelemetryStoreOptions {
  /** HTTP(S) URL of the server, e.g. `http://clickhouse:8123`. */
  url: string;
  username: string;
  password: string;
  /** Database of the telemetry tables; `migrate()` creates it when missing. */
  database: string;
  retention?: Partial<TelemetryRetention>;
  /** Timeout of one request; default 60 000 ms. */
  requestTimeoutMillis?: number;
}

const DATABASE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class ClickHouseTelemetryStore implements TelemetryStore {
  readonly kind = 'clickhouse' as const;
  readonly retention: TelemetryRetention;
  readonly #options: ClickHouseTelemetryStoreOptions;
  #client: ClickHouseClient | undefined;

  constructor(options: ClickHouseTelemetryStoreOptions) {
    for (const key of ['url', 'username', 'database'] as const) {
      if (typeof options?.[key] !== 'string' || options[key] === '') {
        throw new TelemetryStoreError(`ClickHouse telemetry store requires option "${key}"`);
      }
    }
    if (typeof options.password !== 'string') {
      throw new TelemetryStoreError('ClickHouse telemetry store requires option "password" (may be empty)');
    }
    if (!DATABASE_NAME.test(options.database)) {
      throw new TelemetryStoreError(
        `ClickHouse telemetry store option "database" must be a plain identifier, got ${JSON.stringify(options.database)}`,
      );
    }
    try {
      new URL(options.url);
    } catch {
      throw new TelemetryStoreError(`ClickHouse telemetry store option "url" is not a URL: ${options.url}`);
    }
    this.retention = resolveRetention(options.retention);
    this.#options = options;
    this.#client = this.#createClient(options.database);
  }

  async migrate(extra: readonly TelemetryMigration[] = []): Promise<void> {
    try {
      await this.#ensureDatabase();
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
    const client = this.#open(`INSERT INTO ${table}`);
    try {
      const result = await client.exec({
        query: `INSERT INTO ${table} FORMAT JSONEachRow`,
        values: Readable.from([Buffer.from(ndjson.buffer, ndjson.byteOffset, ndjson.byteLength)]),
        clickhouse_settings: settings,
      });
      await drain(result.stream);
      return countJsonEachRowLines(ndjson);
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
    const client = this.#open(`INSERT INTO ${table}`);
    try {
      const result = await client.exec({
        query: `INSERT INTO ${table} (${columns.join(', ')}) FORMAT TabSeparated`,
        values: Readable.from([Buffer.from(tsv.buffer, tsv.byteOffset, tsv.byteLength)]),
        clickhouse_settings: settings,
      });
      await drain(result.stream);
      return countTabSeparatedRows(tsv);
    } catch (error) {
      throw toStoreError(`INSERT INTO ${table}`, error);
    }
  }

  /** The block's bytes as the request body of `INSERT INTO t (columns) FORMAT Native`. */
  async insertNative(table: string, block: NativeBlock, options: InsertOptions = {}): Promise<number> {
    checkTableName(table);
    checkColumnNames(table, block.columns);
    const settings = insertSettings(options.dedupToken);
    if (block.rows === 0) return 0;
    const client = this.#open(`INSERT INTO ${table}`);
    try {
      const result = await client.exec({
        query: `INSERT INTO ${table} (${block.columns.join(', ')}) FORMAT Native`,
        values: Readable.from([block.toBuffer()]),
        clickhouse_settings: settings,
      });
      await drain(result.stream);
      return block.rows;
    } catch (error) {
      throw toStoreError(`INSERT INTO ${table}`, error);
    }
  }

  async query<T = Record<string, unknown>>(sql: string, params?: QueryParams): Promise<T[]> {
    const client = this.#open(statementKind(sql));
    try {
      const result = await client.query({
        query: sql,
        format: 'JSONEachRow',
        ...(params ? { query_params: params } : {}),
      });
      return await result.json<T>();
    } catch (error) {
      throw toStoreError(statementKind(sql), error);
    }
  }

  async exec(sql: string): Promise<void> {
    const client = this.#open(statementKind(sql));
    try {
      await client.command({ query: sql });
    } catch (error) {
      throw toStoreError(statementKind(sql), error);
    }
  }

  async ping(): Promise<void> {
    const client = this.#open('ping');
    const result = await client.ping();
    if (!result.success) throw toStoreError(`ping ${this.#options.url}`, result.error);
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    await client?.close();
  }

  /** Creates the database through a client that is not bound to it (binding to a missing one fails). */
  async #ensureDatabase(): Promise<void> {
    const database = this.#options.database;
    const bootstrap = this.#createClient(undefined);
    try {
      const result = await bootstrap.query({
        query: 'SELECT toUInt32(count()) AS n FROM system.databases WHERE name = {db:String}',
        format: 'JSONEachRow',
        query_params: { db: database },
      });
      const [row] = await result.json<{ n: number }>();
      if (!row || row.n === 0)
        await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
    } finally {
      await bootstrap.close();
    }
  }

  #createClient(database: string | undefined): ClickHouseClient {
    const o = this.#options;
    return createClient({
      url: o.url,
      username: o.username,
      password: o.password,
      ...(database === undefined ? {} : { database }),
      application: 'tianshu-control-plane',
      request_timeout: o.requestTimeoutMillis ?? 60_000,
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
      // Every failure reaches the caller as a TelemetryStoreError; the client's own log would repeat it.
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  #open(what: string): ClickHouseClient {
    if (this.#client === undefined) {
      throw new TelemetryStoreError(`${what} failed: the ClickHouse telemetry store is closed`);
    }
    return this.#client;
  }
}

async function drain(stream: Readable): Promise<void> {
  for await (const _chunk of stream) {
    // The INSERT answers with an empty body; reading it returns the socket to the pool.
  }
}
