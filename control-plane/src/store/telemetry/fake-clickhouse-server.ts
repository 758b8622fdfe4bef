/**
 * TEST DOUBLE of a ClickHouse server. A real ClickHouse server cannot run on the development machine,
 * so `clickhouse.test.ts` runs `ClickHouseTelemetryStore` (and so `@clickhouse/client`) against this
 * fake: an HTTP server that speaks the ClickHouse HTTP interface as documented and executes the SQL
 * on chDB, which is the ClickHouse engine itself. It is not for production use.
 *
 * It runs in a child process (`startFakeClickHouseServer`), because chDB binds one data directory per
 * process and the test process may hold its own; the child listens on 127.0.0.1 on an ephemeral port
 * with its own chDB data directory. The child is this very file, compiled with TypeScript's
 * `transpileModule` and run by `node --input-type=module`, so no build step is needed.
 *
 * Implemented parts of the HTTP interface (https://clickhouse.com/docs/interfaces/http):
 * - `GET /ping` and `GET /` → `Ok.\n`.
 * - `POST /` (and `GET /` for read-only queries, as the server enforces `readonly` on GET) with the
 *   query in the `query` URL parameter, in the body, or both (then the body follows the URL query
 *   after a newline; for `INSERT … FORMAT <fmt>` the body is the data).
 * - `database` URL parameter or `X-ClickHouse-Database` header.
 * - Query parameters `param_<name>=<value>` in the escaped text form the server expects; they are
 *   bound server-side with `SET param_<name>`; a placeholder without a value fails with code 456.
 * - Any other URL parameter is a setting for that query (`insert_deduplication_token=…` and so on);
 *   reserved names (`query_id`, `user`, `password`, `default_format`, `compress`, …) are not.
 * - Output format: a trailing `FORMAT` clause, else `X-ClickHouse-Format` request header or
 *   `default_format`, else `TabSeparated`.
 * - Authentication by `X-ClickHouse-User`/`X-ClickHouse-Key` headers, HTTP Basic `Authorization`, or
 *   `user`/`password` URL parameters; a wrong password answers 401 with code 516.
 * - Response headers `X-ClickHouse-Query-Id`, `X-ClickHouse-Format`, `X-ClickHouse-Timezone`,
 *   `X-ClickHouse-Server-Display-Name` and `X-ClickHouse-Summary` (counters as strings).
 * - Errors: HTTP status by error class (400 syntax/parse, 401 authentication, 403 readonly, 404 unknown
 *   table or database, 500 otherwise), `X-ClickHouse-Exception-Code` header and the engine's
 *   `Code: N. DB::Exception: … (NAME) (version …)` text as the body.
 * - `INSERT … FORMAT Native` with a binary Native block as the body (read by the engine from a file).
 * - gzip request bodies (`Content-Encoding: gzip`) and gzip responses when `enable_http_compression=1`
 *   and the client accepts gzip.
 * Not implemented: sessions (`session_id`), progress headers, `wait_end_of_query` buffering semantics,
 * multipart external tables, compression methods other than gzip, TLS, and any concurrency (requests
 * run one at a time, which only makes the fake slower).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import type { Session } from 'chdb';

export interface FakeClickHouseOptions {
  username?: string;
  password?: string;
}

export interface FakeClickHouseServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  username: string;
  password: string;
  /** Stops the child process and removes its data directory. */
  stop(): Promise<void>;
}

/** Options the child reads from the environment variable `TIANSHU_FAKE_CLICKHOUSE`. */
interface ChildConfig {
  dataDir: string;
  username: string;
  password: string;
}

const READY_PREFIX = 'fake-clickhouse listening on ';
const SERVER_VERSION = 'chdb-fake';

/**
 * Starts the fake in a child process and resolves once it listens. The caller must `stop()` it.
 */
export async function startFakeClickHouseServer(
  options: FakeClickHouseOptions = {},
): Promise<FakeClickHouseServer> {
  const username = options.username ?? 'default';
  const password = options.password ?? '';
  const ts = (await import('typescript')).default;
  const sourcePath = fileURLToPath(import.meta.url);
  const compiled = ts.transpileModule(readFileSync(sourcePath, 'utf8'), {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const dataDir = mkdtempSync(join(tmpdir(), 'tianshu-fake-clickhouse-'));
  const config: ChildConfig = { dataDir, username, password };
  // `-e` code resolves bare imports from the working directory, so chdb resolves as in this package.
  const child = spawn(
    process.execPath,
    ['--input-type=module', '-e', `${compiled}\nawait runFakeClickHouseChild();\n`],
    {
      cwd: dirname(sourcePath),
      env: { ...process.env, TIANSHU_FAKE_CLICKHOUSE: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString('utf8');
      const line = stdout.split('\n').find((l) => l.startsWith(READY_PREFIX));
      if (line) {
        child.stdout?.off('data', onData);
        resolve(Number(line.slice(READY_PREFIX.length)));
      }
    };
    child.stdout?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`fake ClickHouse exited with code ${String(code)}: ${stderr}`)),
    );
    child.once('error', reject);
  });
  return {
    url: `http://127.0.0.1:${port}`,
    username,
    password,
    stop: () => stopChild(child, dataDir),
  };
}

async function stopChild(child: ChildProcess, dataDir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dataDir, { recursive: true, force: true });
}

/** URL parameters that are part of the HTTP interface rather than settings. */
const RESERVED_PARAMS = new Set([
  'query',
  'database',
  'default_format',
  'query_id',
  'user',
  'password',
  'quota_key',
  'session_id',
  'session_timeout',
  'session_check',
  'compress',
  'decompress',
  'buffer_size',
  'wait_end_of_query',
  'enable_http_compression',
  'http_headers_progress_interval_ms',
  'send_progress_in_http_headers',
  'role',
  'client_protocol_version',
]);

const RAW_INSERT_FORMATS = new Set([
  'JSONEachRow',
  'JSONCompactEachRow',
  'CSV',
  'CSVWithNames',
  'TSV',
  'TabSeparated',
  'TSVWithNames',
  'TabSeparatedWithNames',
]);

const CONTENT_TYPES: Record<string, string> = {
  JSONEachRow: 'application/x-ndjson; charset=UTF-8',
  JSON: 'application/json; charset=UTF-8',
  JSONCompact: 'application/json; charset=UTF-8',
  TabSeparated: 'text/tab-separated-values; charset=UTF-8',
  TSV: 'text/tab-separated-values; charset=UTF-8',
  CSV: 'text/csv; charset=UTF-8; header=absent',
};

/** ClickHouse's HTTP status for an exception code (the subset an application meets). */
function httpStatusFor(code: number): number {
  if ([192, 193, 194, 516].includes(code)) return 401; // UNKNOWN_USER, WRONG_PASSWORD, REQUIRED_PASSWORD, AUTHENTICATION_FAILED
  if ([164, 497].includes(code)) return 403; // READONLY, ACCESS_DENIED
  if ([60, 81, 46, 47].includes(code)) return 404; // UNKNOWN_TABLE, UNKNOWN_DATABASE, UNKNOWN_FUNCTION, UNKNOWN_IDENTIFIER
  if ([62, 6, 27, 38, 41, 69, 72, 130, 456, 457, 26, 117].includes(code)) return 400; // syntax and parse errors
  return 500;
}

class HttpFailure extends Error {
  constructor(
    readonly code: number,
    readonly codeName: string,
    message: string,
  ) {
    super(`Code: ${code}. DB::Exception: ${message}. (${codeName})`);
  }
}

function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

function credentials(req: IncomingMessage, url: URL): { user: string; password: string } {
  const header = req.headers['x-clickhouse-user'];
  if (typeof header === 'string') {
    const key = req.headers['x-clickhouse-key'];
    return { user: header, password: typeof key === 'string' ? key : '' };
  }
  const auth = req.headers.authorization;
  if (auth?.startsWith('Basic ')) {
    const decoded = Buffer.from(auth.slice(6), 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon === -1
      ? { user: decoded, password: '' }
      : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  return {
    user: url.searchParams.get('user') ?? 'default',
    password: url.searchParams.get('password') ?? '',
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
}

interface Outcome {
  body: Buffer;
  format: string;
  summary: Record<string, string>;
}

/** The child process: an HTTP server in front of one chDB session. */
export async function runFakeClickHouseChild(): Promise<void> {
  const config = JSON.parse(process.env.TIANSHU_FAKE_CLICKHOUSE ?? '{}') as ChildConfig;
  const { Session: ChdbSession } = await import('chdb');
  // chDB turns off the quoting of 64-bit integers in JSON; a server has it on by default.
  const session: Session = new ChdbSession(config.dataDir, {
    connectionArgs: ['--async_load_databases=0', '--output_format_json_quote_64bit_integers=1'],
  });
  let currentDatabase = 'default';
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  };

  async function execute(url: URL, req: IncomingMessage, body: Buffer): Promise<Outcome> {
    const urlQuery = url.searchParams.get('query');
    const settings: Record<string, string> = {};
    const params: Record<string, string> = {};
    for (const [key, value] of url.searchParams) {
      if (key.startsWith('param_')) params[key.slice(6)] = value;
      else if (!RESERVED_PARAMS.has(key)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
          throw new HttpFailure(115, 'UNKNOWN_SETTING', `Unknown setting ${key}`);
        settings[key] = value;
      }
    }
    const headerDb = req.headers['x-clickhouse-database'];
    const database =
      url.searchParams.get('database') ?? (typeof headerDb === 'string' ? headerDb : 'default');
    if (database !== currentDatabase) {
      await session.queryAsync(`USE \`${database.replace(/`/g, '``')}\``);
      currentDatabase = database;
    }
    const headerFormat = req.headers['x-clickhouse-format'];
    const requestedFormat =
      (typeof headerFormat === 'string' ? headerFormat : undefined) ??
      url.searchParams.get('default_format') ??
      'TabSeparated';

    const insert = urlQuery
      ? /^\s*INSERT\s+INTO\s+([A-Za-z_][A-Za-z0-9_.]*)\s*(?:\(([^)]*)\))?\s*FORMAT\s+([A-Za-z]+)\s*$/i.exec(
          urlQuery,
        )
      : null;
    if (insert && body.length > 0 && RAW_INSERT_FORMATS.has(insert[3] ?? '')) {
      if (req.method === 'GET')
        throw new HttpFailure(164, 'READONLY', 'Cannot execute query in readonly mode');
      const columns = insert[2]
        ?.split(',')
        .map((c) => c.trim().replace(/^`|`$/g, ''))
        .filter((c) => c !== '');
      const summary = await session.insert({
        table: insert[1] ?? '',
        values: body,
        format: insert[3] as 'JSONEachRow',
        ...(columns && columns.length > 0 ? { columns } : {}),
        settings,
      });
      return {
        body: Buffer.alloc(0),
        format: requestedFormat,
        summary: {
          read_rows: String(summary.rowsSent ?? 0),
          read_bytes: String(summary.bytesSent),
          written_rows: String(summary.rowsWritten),
          written_bytes: String(summary.bytesWritten),
          total_rows_to_read: '0',
          result_rows: String(summary.rowsWritten),
          result_bytes: String(summary.bytesWritten),
          elapsed_ns: String(Math.round(summary.elapsed * 1e9)),
        },
      };
    }

    // A binary Native body (the block carries names and types): the engine reads it from a file, as
    // the embedded store does, since chDB's raw insert takes text formats only.
    if (insert && body.length > 0 && insert[3] === 'Native') {
      if (req.method === 'GET')
        throw new HttpFailure(164, 'READONLY', 'Cannot execute query in readonly mode');
      const list = insert[2]?.trim() ? `(${insert[2]})` : '';
      const file = join(config.dataDir, `insert-${randomUUID()}.native`);
      writeFileSync(file, body, { mode: 0o600 });
      const set = Object.entries(settings)
        .map(([k, v]) => `${k} = ${sqlString(v)}`)
        .join(', ');
      try {
        const result = await session.queryAsync(
          `INSERT INTO ${insert[1] ?? ''} ${list} SELECT ${list ? insert[2] : '*'} FROM file(${sqlString(file)}, 'Native')${set ? ` SETTINGS ${set}` : ''}`,
          { format: 'TabSeparated' },
        );
        return {
          body: Buffer.alloc(0),
          format: requestedFormat,
          summary: {
            read_rows: String(result.rowsRead),
            read_bytes: String(body.length),
            written_rows: String(result.rowsRead),
            written_bytes: String(result.bytesRead),
            total_rows_to_read: '0',
            result_rows: String(result.rowsRead),
            result_bytes: String(result.bytesRead),
            elapsed_ns: String(Math.round(result.elapsed * 1e9)),
          },
        };
      } finally {
        rmSync(file, { force: true });
      }
    }

    const bodyText = body.toString('utf8');
    const sql = urlQuery ? (bodyText.length > 0 ? `${urlQuery}\n${bodyText}` : urlQuery) : bodyText;
    if (sql.trim() === '') throw new HttpFailure(62, 'SYNTAX_ERROR', 'Empty query');
    if (req.method === 'GET' && !/^\s*(SELECT|WITH|SHOW|DESCRIBE|DESC|EXISTS|EXPLAIN)\b/i.test(sql)) {
      throw new HttpFailure(164, 'READONLY', 'Cannot execute query in readonly mode');
    }
    for (const match of sql.matchAll(/\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*:/g)) {
      const name = match[1] ?? '';
      if (!(name in params))
        throw new HttpFailure(456, 'UNKNOWN_QUERY_PARAMETER', `Substitution \`${name}\` is not set`);
    }
    const formatClause = /\bFORMAT\s+([A-Za-z]+)\s*;?\s*$/i.exec(sql);
    const format = formatClause?.[1] ?? requestedFormat;
    const assignments = [
      ...Object.entries(params).map(([k, v]) => `param_${k} = ${sqlString(v)}`),
      ...Object.entries(settings).map(([k, v]) => `${k} = ${sqlString(v)}`),
    ];
    // Settings apply to this query only: remember the session's values and put them back afterwards.
    const settingNames = Object.keys(settings);
    const previous =
      settingNames.length === 0
        ? []
        : (JSON.parse(
            `[${(
              await session.queryBindAsync(
                'SELECT name, value FROM system.settings WHERE name IN {names:Array(String)}',
                { names: settingNames },
                { format: 'JSONEachRow' },
              )
            )
              .text()
              .trim()
              .split('\n')
              .filter((l) => l !== '')
              .join(',')}]`,
          ) as Array<{ name: string; value: string }>);
    if (assignments.length > 0) await session.queryAsync(`SET ${assignments.join(', ')}`);
    try {
      const result = await session.queryAsync(sql, { format });
      const bytes = Buffer.from(result.bytes());
      return {
        body: bytes,
        format,
        summary: {
          read_rows: String(result.rowsRead),
          read_bytes: String(result.bytesRead),
          written_rows: '0',
          written_bytes: '0',
          total_rows_to_read: String(result.rowsRead),
          result_rows: '0',
          result_bytes: String(bytes.length),
          elapsed_ns: String(Math.round(result.elapsed * 1e9)),
        },
      };
    } finally {
      if (previous.length > 0) {
        await session.queryAsync(
          `SET ${previous.map((p) => `${p.name} = ${sqlString(p.value)}`).join(', ')}`,
        );
      }
    }
  }

  function sendError(res: ServerResponse, queryId: string, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    const match = /Code: (\d+)\./.exec(message);
    const engineCode = (error as { clickhouseCode?: unknown } | null)?.clickhouseCode;
    const code =
      error instanceof HttpFailure
        ? error.code
        : typeof engineCode === 'number'
          ? engineCode
          : match?.[1]
            ? Number(match[1])
            : 1001;
    const text = /Code: \d+\./.test(message)
      ? message
      : `Code: ${code}. DB::Exception: ${message}. (STD_EXCEPTION)`;
    res.writeHead(httpStatusFor(code), {
      'Content-Type': 'text/plain; charset=UTF-8',
      'X-ClickHouse-Query-Id': queryId,
      'X-ClickHouse-Exception-Code': String(code),
      'X-ClickHouse-Server-Display-Name': 'tianshu-fake-clickhouse',
    });
    res.end(`${text.trim()} (version ${SERVER_VERSION})\n`);
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const queryId = url.searchParams.get('query_id') ?? randomUUID();
    if (
      url.pathname === '/ping' ||
      (url.pathname === '/' && req.method === 'GET' && !url.searchParams.has('query'))
    ) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=UTF-8' });
      res.end('Ok.\n');
      return;
    }
    if (url.pathname !== '/' || (req.method !== 'POST' && req.method !== 'GET')) {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=UTF-8' });
      res.end(`There is no handle ${url.pathname}\n`);
      return;
    }
    void (async () => {
      const who = credentials(req, url);
      let body: Buffer;
      try {
        body = await readBody(req);
      } catch (error) {
        sendError(res, queryId, error);
        return;
      }
      if (who.user !== config.username || who.password !== config.password) {
        sendError(
          res,
          queryId,
          new HttpFailure(
            516,
            'AUTHENTICATION_FAILED',
            `${who.user}: Authentication failed: password is incorrect, or there is no user with such name`,
          ),
        );
        return;
      }
      try {
        const outcome = await serially(() => execute(url, req, body));
        const gzip =
          url.searchParams.get('enable_http_compression') === '1' &&
          /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
        const headers: Record<string, string> = {
          'Content-Type': CONTENT_TYPES[outcome.format] ?? 'text/plain; charset=UTF-8',
          'X-ClickHouse-Query-Id': queryId,
          'X-ClickHouse-Format': outcome.format,
          'X-ClickHouse-Timezone': 'UTC',
          'X-ClickHouse-Server-Display-Name': 'tianshu-fake-clickhouse',
          'X-ClickHouse-Summary': JSON.stringify(outcome.summary),
        };
        if (gzip) headers['Content-Encoding'] = 'gzip';
        res.writeHead(200, headers);
        res.end(gzip ? gzipSync(outcome.body) : outcome.body);
      } catch (error) {
        sendError(res, queryId, error);
      }
    })();
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`${READY_PREFIX}${port}\n`);
  const shutdown = (): void => {
    server.close();
    server.closeAllConnections();
    void queue.finally(() => {
      session.close();
      process.exit(0);
    });
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);
}
