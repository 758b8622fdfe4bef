/**
 * Helpers shared by the two telemetry-store implementations: error wrapping, identifier checks and
 * JSONEachRow encoding and decoding. Not exported from the folder's `index.ts`.
 */
import { TelemetryStoreError } from './types.js';

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;
const LF = 0x0a;

/** The first keyword of a statement (`SELECT`, `INSERT`, `CREATE`, …), for error messages. */
export function statementKind(sql: string): string {
  const match = /^\s*(?:--[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*([A-Za-z]+)/.exec(sql);
  return match?.[1] ? match[1].toUpperCase() : 'statement';
}

/** Rejects anything but `name` or `database.name`, since table names are spliced into SQL text. */
export function checkTableName(table: string): void {
  if (!TABLE_NAME.test(table)) {
    throw new TelemetryStoreError(
      `INSERT failed: table name ${JSON.stringify(table)} is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*)`,
    );
  }
}

const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Rejects an empty, duplicated or non-identifier column list, since column names are spliced into SQL. */
export function checkColumnNames(table: string, columns: readonly string[]): void {
  if (!Array.isArray(columns) || columns.length === 0) {
    throw new TelemetryStoreError(`INSERT INTO ${table} failed: the column list is empty`);
  }
  const seen = new Set<string>();
  for (const column of columns) {
    if (typeof column !== 'string' || !COLUMN_NAME.test(column)) {
      throw new TelemetryStoreError(
        `INSERT INTO ${table} failed: column name ${JSON.stringify(column)} is not a plain identifier ([A-Za-z_][A-Za-z0-9_]*)`,
      );
    }
    if (seen.has(column)) {
      throw new TelemetryStoreError(`INSERT INTO ${table} failed: column ${column} is named twice`);
    }
    seen.add(column);
  }
}

/** The ClickHouse error code at the start of an engine message (`Code: 62. DB::Exception: …`). */
export function clickhouseCodeOf(error: unknown): number | undefined {
  if (typeof error === 'object' && error !== null) {
    for (const key of ['clickhouseCode', 'code'] as const) {
      const value = (error as Record<string, unknown>)[key];
      if (typeof value === 'number' && Number.isInteger(value)) return value;
      if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
    }
  }
  const match = /Code: (\d+)\./.exec(error instanceof Error ? error.message : String(error));
  return match?.[1] ? Number(match[1]) : undefined;
}

/**
 * Wraps an engine or transport error as a `TelemetryStoreError` whose message names what failed:
 * `"SELECT failed: Code: 62. DB::Exception: Syntax error: …"`.
 */
export function toStoreError(what: string, error: unknown): TelemetryStoreError {
  if (error instanceof TelemetryStoreError) return error;
  let reason = (error instanceof Error ? error.message : String(error))
    .trim()
    .replace(/\s+\(version [^)]*\)$/, '');
  const code = clickhouseCodeOf(error);
  // `@clickhouse/client` strips the code and the error name from the server's text; put them back so
  // both stores report `Code: N. DB::Exception: … (NAME)`.
  const type = typeof error === 'object' && error !== null ? (error as { type?: unknown }).type : undefined;
  if (
    code !== undefined &&
    typeof type === 'string' &&
    /^[A-Z0-9_]+$/.test(type) &&
    !reason.startsWith('Code:')
  ) {
    reason = `Code: ${code}. DB::Exception: ${reason} (${type})`;
  }
  return new TelemetryStoreError(`${what} failed: ${reason}`, {
    cause: error,
    ...(code === undefined ? {} : { clickhouseCode: code }),
  });
}

/** Serializes rows as JSONEachRow (one JSON object per line, each line ending in `\n`). */
export function rowsToJsonEachRow(rows: ReadonlyArray<Record<string, unknown>>): Buffer {
  let text = '';
  for (const row of rows) text += JSON.stringify(row) + '\n';
  return Buffer.from(text, 'utf8');
}

/** Counts non-empty lines, i.e. the rows of a JSONEachRow payload. */
export function countJsonEachRowLines(ndjson: Uint8Array): number {
  let lines = 0;
  let start = 0;
  for (let i = ndjson.indexOf(LF); i !== -1; i = ndjson.indexOf(LF, i + 1)) {
    if (i > start) lines++;
    start = i + 1;
  }
  if (start < ndjson.length) lines++;
  return lines;
}

/** Parses a JSONEachRow result into objects. */
export function parseJsonEachRow<T>(text: string): T[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  return JSON.parse(`[${trimmed.split('\n').join(',')}]`) as T[];
}

/** A SQL string literal: backslash and single quote escaped. */
export function sqlStringLiteral(value: string): string {
  return `'${value.replace(/[\\']/g, '\\$&')}'`;
}

/**
 * `INSERT INTO table (columns) SELECT columns FROM file('<path>', 'Native') SETTINGS …`: how the
 * embedded store inserts a Native block (the engine reads the file; names and types are in it).
 * Table and column names must have been checked; setting names are identifiers of ours.
 */
export function nativeInsertSql(
  table: string,
  columns: readonly string[],
  path: string,
  settings: Record<string, string | number>,
): string {
  const list = columns.join(', ');
  const set = Object.entries(settings)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? String(v) : sqlStringLiteral(v)}`)
    .join(', ');
  return `INSERT INTO ${table} (${list}) SELECT ${list} FROM file(${sqlStringLiteral(path)}, 'Native')${set === '' ? '' : ` SETTINGS ${set}`}`;
}
