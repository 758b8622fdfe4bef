import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../../../test/support/control-plane.js';
import { createLogger } from '../logger.js';

/**
 * Hostile input through the whole app: every answer to bad input is a 4xx naming the field, never a
 * 500, a stack trace or a secret, and nothing secret reaches the log.
 */

let t: TestControlPlane;
let admin: Session;
let county: Session;
const logLines: string[] = [];
const logText = () => logLines.join('');

const COUNTY_PASSWORD = 'county-operator-password-1';

beforeAll(async () => {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  t = await startTestControlPlane({ log: createLogger('info', 'tianshu', stream) });
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  const created = await admin.send('POST', '/api/v1/users', {
    username: 'county-op',
    displayName: 'County operator',
    password: COUNTY_PASSWORD,
    roles: ['network-operator'],
    orgUnitId: 'sc-cd-jj',
  });
  expect(created.status).toBe(201);
  county = await login(t.request, 'county-op', COUNTY_PASSWORD);
});
afterAll(async () => {
  await t?.close();
});

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: typeof body === 'string' ? body : JSON.stringify(body),
});

interface ErrorBody {
  error: { code: string; message: string; details?: { path: string; message: string }[] };
}

async function expect400(res: Response, field: string): Promise<ErrorBody> {
  const text = await res.text();
  expect(res.status, text).toBe(400);
  const body = JSON.parse(text) as ErrorBody;
  expect(body.error.message).toContain(field);
  return body;
}

function nested(depth: number, kind: 'array' | 'object'): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}

/** Secrets and internals that must never appear in a log line: hashes, tokens, stack traces. */
const LOG_LEAKS: readonly RegExp[] = [
  /scrypt\$/,
  /\b[0-9a-f]{64}\b/,
  /\bts[kae]_[A-Za-z0-9_-]{8,}/,
  /\bat [^\n"]+:\d+:\d+/,
];
/** ... nor in a response, which also never names internals (columns, source files). */
const LEAKS: readonly RegExp[] = [
  /scrypt\$/,
  /password_hash|token_hash|credential_hash|id_hash/,
  /\bat [^\n"]+:\d+:\d+/,
  /node_modules|\/src\/[\w/.-]+\.ts/,
];

async function enrolAgent(): Promise<{ agentId: string; auth: string }> {
  const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: 'hostile',
    orgUnitId: 'sc',
    roles: ['host', 'edge'],
    maxUses: 1,
  });
  const { token } = (await tok.json()) as { token: string };
  const res = await t.request(
    '/api/v1/fleet/enrol',
    json({ token, hostname: `h-${randomUUID().slice(0, 8)}`, roles: ['host'], version: '0.1.0' }),
  );
  expect(res.status).toBe(201);
  const body = (await res.json()) as { agentId: string; credential: string };
  return { agentId: body.agentId, auth: `Bearer ${body.agentId}.${body.credential}` };
}

describe('secrets stay out of logs (finding 3)', () => {
  it('logs no hash, token or query parameter when a request fails', async () => {
    logLines.length = 0;
    const res = await admin.send('POST', '/api/v1/users', {
      username: 'nul-user',
      displayName: 'a\u0000b',
      password: 'a-long-password-for-nul',
      roles: ['auditor'],
      orgUnitId: 'sc-cd',
    });
    const body = await res.text();
    expect(res.status).toBeLessThan(500);
    for (const leak of LEAKS) expect(body).not.toMatch(leak);
    for (const leak of LOG_LEAKS) expect(logText()).not.toMatch(leak);
    // Provoke a real 500 from the store and check what the log keeps of it.
    const err = await t.cp.services.db
      .query(
        'INSERT INTO users (id, username, display_name, password_hash, roles, org_unit_id) VALUES ($1, $2, $3, $4, $5, $6)',
        [randomUUID(), 'direct', 'a\u0000b', 'scrypt$131072$8$1$c2FsdA$a2V5', ['auditor'], 'sc'],
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    t.cp.services.log.error({ err, requestId: 'r-1' }, 'request failed');
    expect(logText()).toContain('request failed');
    for (const leak of LOG_LEAKS) expect(logText()).not.toMatch(leak);
  });
});

describe('public answers carry no internals (finding 3)', () => {
  it('readiness names a failing store but not its error, which goes to the log redacted', async () => {
    const telemetry = t.cp.services.telemetry;
    const ping = telemetry.ping.bind(telemetry);
    telemetry.ping = () =>
      Promise.reject(
        Object.assign(new Error('connect to http://default:ch-s3cret-pw@clickhouse:8123 refused'), {
          password: 'ch-s3cret-pw',
        }),
      );
    try {
      logLines.length = 0;
      const res = await t.request('/readyz');
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        status: 'unready',
        checks: { state: 'ok', telemetry: 'unavailable' },
      });
      expect(logText()).toContain('readiness check failed');
      expect(logText()).toContain('clickhouse:8123 refused');
      expect(logText()).not.toContain('ch-s3cret-pw');
    } finally {
      telemetry.ping = ping;
    }
  });
});

describe('bad input is a 400 naming the field (finding 5)', () => {
  it('a NUL in a text field of a body', async () => {
    const res = await admin.send('POST', '/api/v1/users', {
      username: 'nul-user-2',
      displayName: 'a\u0000b',
      password: 'a-long-password-for-nul',
      roles: ['auditor'],
      orgUnitId: 'sc-cd',
    });
    const body = await expect400(res, 'displayName');
    expect(body.error.details?.[0]?.path).toBe('displayName');
    expect((await admin.get('/api/v1/users')).status).toBe(200);
    const users = await t.cp.services.db.query('SELECT 1 FROM users WHERE username = $1', ['nul-user-2']);
    expect(users.rowCount).toBe(0);
  });

  it('a NUL in the login form, before login', async () => {
    await expect400(
      await t.request('/api/v1/auth/login', json({ username: 'ad\u0000min', password: 'x' })),
      'username',
    );
  });

  it('a lone surrogate in a body, a path parameter and a query parameter', async () => {
    await expect400(
      await admin.send('POST', '/api/v1/inventory/sites', {
        id: 'surrogate-site',
        orgUnitId: 'sc',
        name: 'x\ud800y',
      }),
      'name',
    );
    await expect400(await admin.get('/api/v1/inventory/sites/a%00b'), '"id"');
    await expect400(await admin.get('/api/v1/audit?action=a%00b'), 'action');
    await expect400(await admin.get('/api/v1/agents/x%00'), '"id"');
  });

  it('an integer beyond PostgreSQL bigint in a query', async () => {
    await expect400(await admin.get('/api/v1/audit?before=9999999999999999999'), 'before');
    expect((await admin.get('/api/v1/audit?before=9223372036854775807')).status).toBe(200);
  });

  it('an inventory import nested 2,000 deep, as JSON and as YAML', async () => {
    const deep = await admin.send('POST', '/api/v1/inventory/import', {
      version: 1,
      sites: nested(2_000, 'array'),
    });
    const body = await expect400(deep, 'nested');
    expect(body.error.message).toMatch(/sites(\.0)+/);
    const yaml = `version: 1\nsites: ${'['.repeat(2_000)}${']'.repeat(2_000)}\n`;
    const res = await admin.send('POST', '/api/v1/inventory/import', { yaml });
    expect(res.status).toBe(400);
  });

  it('a NUL in a host name or label of an agent report batch, stored nowhere', async () => {
    const a = await enrolAgent();
    const batch = (host: string, labels: Record<string, string>) => ({
      batchId: randomUUID(),
      sequence: 1,
      createdAt: new Date().toISOString(),
      payloads: [
        {
          kind: 'host-metrics',
          host,
          series: [{ name: 'node_load1', labels, points: [[Date.now(), 1]] }],
        },
      ],
    });
    const send = (b: unknown) =>
      t.request(`/api/v1/agents/${a.agentId}/reports`, json(b, { authorization: a.auth }));
    await expect400(await send(batch('h\u0000x', {})), 'payloads.0.host');
    await expect400(await send(batch('h', { job: 'a\u0000b' })), 'payloads.0.series.0.labels.job');
    const rows = await t.cp.services.telemetry.query<{ n: string | number }>(
      'SELECT count() AS n FROM host_metrics WHERE agent_id = {a:String}',
      { a: a.agentId },
    );
    expect(Number(rows[0]!.n)).toBe(0);
    await expect400(
      await t.request(
        '/api/v1/fleet/enrol',
        json({ token: 'tse_xxxxxxxxxxxx', hostname: 'h', roles: ['host'], version: '1\u0000' }),
      ),
      'version',
    );
    const hb = {
      version: '1',
      uptimeSeconds: 1,
      queue: { pendingBatches: 0, pendingBytes: 0, droppedBatches: 0 },
    };
    await expect400(
      await t.request(
        `/api/v1/agents/${a.agentId}/heartbeat`,
        json({ ...hb, version: 'v\ud800' }, { authorization: a.auth }),
      ),
      'version',
    );
  });
});

// ---- fuzz over the OpenAPI document ---------------------------------------------------------------

/** mulberry32: a small seeded generator, so a failure can be replayed with the printed seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Raw JSON text of each hostile value (1e309 cannot be produced by JSON.stringify). */
const HOSTILE_JSON: readonly string[] = [
  JSON.stringify('a\u0000b'),
  '"\\ud800"',
  '"x\\udfffy"',
  JSON.stringify('x'.repeat(100_000)),
  '9999999999999999999',
  '1e309',
  '-1e309',
  '-1',
  '-9999999999999999999',
  '0.5',
  '2147483648',
  'true',
  'null',
  '{}',
  '[]',
  '{"__proto__":{"admin":true}}',
  '["__proto__"]',
  '["constructor","toString"]',
  JSON.stringify(nested(2_000, 'array')),
  JSON.stringify(nested(2_000, 'object')),
];

/** Hostile values for path and query parameters, already percent-encoded. */
const HOSTILE_PARAM: readonly string[] = [
  'a%00b',
  '%00',
  '%ED%A0%80',
  '%ud800',
  'x'.repeat(100_000),
  '9999999999999999999',
  '1e309',
  '-1',
  '-9999999999999999999',
  '__proto__',
  'constructor',
  '..%2F..%2Fetc%2Fpasswd',
  '%25',
  "'%20OR%201%3D1--",
];

interface OpenApiOperation {
  parameters?: { name: string; in: string }[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
}
interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

/**
 * Field paths of a body schema, two levels deep (`name`, `a.deviceId`), through unions,
 * intersections and arrays of objects (`payloads.0.kind`).
 */
function fieldsOf(schema: JsonSchema | undefined, depth = 2): string[][] {
  if (!schema || depth === 0) return [];
  const out: string[][] = [];
  for (const [name, sub] of Object.entries(schema.properties ?? {})) {
    out.push([name]);
    for (const p of fieldsOf(sub, depth - 1)) out.push([name, ...p]);
    for (const p of fieldsOf(sub.items, depth - 1)) out.push([name, '0', ...p]);
  }
  for (const s of [...(schema.anyOf ?? []), ...(schema.oneOf ?? []), ...(schema.allOf ?? [])])
    out.push(...fieldsOf(s, depth));
  const seen = new Set<string>();
  return out.filter((p) => !seen.has(p.join('.')) && seen.add(p.join('.')));
}

/** JSON text holding `raw` (JSON text) at `path`: `{"a":[{"b":raw}]}` for `a.0.b`. */
function at(path: string[], raw: string): string {
  return path.reduceRight(
    (inner, key) => (/^\d+$/.test(key) ? `[${inner}]` : `{${JSON.stringify(key)}:${inner}}`),
    raw,
  );
}

interface Case {
  method: string;
  path: string;
  body?: string;
  what: string;
}

function casesFor(method: string, template: string, op: OpenApiOperation): Case[] {
  const paramNames = [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);
  const base = (override?: [string, string]) =>
    template.replace(/\{(\w+)\}/g, (_m, p: string) =>
      override && override[0] === p ? override[1] : 'fuzz-id',
    );
  const cases: Case[] = [];
  const m = method.toUpperCase();
  const fields = fieldsOf(op.requestBody?.content?.['application/json']?.schema);
  const hasBody = op.requestBody !== undefined;
  for (const p of paramNames)
    for (const v of HOSTILE_PARAM)
      cases.push({ method: m, path: base([p, v]), what: `path ${p}=${v.slice(0, 20)}` });
  for (const q of (op.parameters ?? []).filter((x) => x.in === 'query'))
    for (const v of HOSTILE_PARAM)
      cases.push({ method: m, path: `${base()}?${q.name}=${v}`, what: `query ${q.name}=${v.slice(0, 20)}` });
  if (hasBody) {
    for (const v of HOSTILE_JSON) {
      cases.push({ method: m, path: base(), body: v, what: `body=${v.slice(0, 20)}` });
      for (const f of fields)
        cases.push({ method: m, path: base(), body: at(f, v), what: `${f.join('.')}=${v.slice(0, 20)}` });
      cases.push({
        method: m,
        path: base(),
        body: `{"unknownField":${v}}`,
        what: `unknown=${v.slice(0, 20)}`,
      });
    }
    cases.push({ method: m, path: base(), body: '{"a":', what: 'truncated JSON' });
  }
  if (!paramNames.length && !hasBody)
    cases.push({ method: m, path: `${base()}?unknown=%00`, what: 'unknown query' });
  return cases;
}

describe('fuzz over every route of the OpenAPI document', () => {
  it(
    'answers hostile input with a 4xx, never a 5xx, a stack trace or a secret',
    { timeout: 120_000 },
    async () => {
      const seed = Number(process.env.TIANSHU_FUZZ_SEED ?? 20261201);
      const agent = await enrolAgent();
      const random = prng(seed);
      const doc = (await (await admin.get('/api/v1/openapi.json')).json()) as {
        paths: Record<string, Record<string, OpenApiOperation>>;
      };
      const all: Case[] = [];
      for (const [path, ops] of Object.entries(doc.paths)) {
        // Logging out would end the sessions the fuzz runs as; the event stream never ends.
        if (path === '/api/v1/auth/logout' || path === '/api/v1/events') continue;
        for (const [method, op] of Object.entries(ops)) all.push(...casesFor(method, path, op));
      }
      expect(all.length).toBeGreaterThan(500);
      // Shuffle (seeded) and bound the run by count and time.
      for (let i = all.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [all[i], all[j]] = [all[j]!, all[i]!];
      }
      const callers: [string, (c: Case) => Promise<Response>][] = [
        [
          'anonymous',
          (c) => t.request(c.path, { method: c.method, ...(c.body !== undefined ? json(c.body) : {}) }),
        ],
        ['admin', (c) => send(admin, c)],
        ['county', (c) => send(county, c)],
        // An enrolled agent on its own endpoints (any other path answers 401 or 404).
        [
          'agent',
          (c) =>
            t.request(c.path.replace('/agents/fuzz-id/', `/agents/${agent.agentId}/`), {
              method: c.method,
              headers: {
                authorization: agent.auth,
                ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}),
              },
              ...(c.body !== undefined ? { body: c.body } : {}),
            }),
        ],
      ];
      const deadline = Date.now() + 45_000;
      const failures: string[] = [];
      let sent = 0;
      logLines.length = 0;
      for (const c of all.slice(0, 8_000)) {
        if (Date.now() > deadline) break;
        const [who, call] = callers[Math.floor(random() * callers.length)]!;
        const res = await call(c);
        sent++;
        const text = res.headers.get('content-type')?.includes('event-stream') ? '' : await res.text();
        const problem =
          res.status >= 500 ? `status ${res.status}` : LEAKS.find((re) => re.test(text))?.toString();
        if (problem)
          failures.push(
            `${who} ${c.method} ${c.path.slice(0, 80)} (${c.what}): ${problem} ${text.slice(0, 200)}`,
          );
      }
      const logProblems = LOG_LEAKS.filter((re) => re.test(logText())).map(String);
      expect({ seed, failures: failures.slice(0, 30), count: failures.length, logProblems }).toEqual({
        seed,
        failures: [],
        count: 0,
        logProblems: [],
      });
      expect(sent).toBeGreaterThan(300);
      console.info(`fuzz: ${sent} of ${all.length} cases sent (seed ${seed})`);
    },
  );
});

function send(s: Session, c: Case): Promise<Response> {
  return t.request(c.path, {
    method: c.method,
    headers: {
      cookie: s.cookie,
      'x-csrf-token': s.csrf,
      ...(c.body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(c.body !== undefined ? { body: c.body } : {}),
  });
}
