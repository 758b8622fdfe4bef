#!/usr/bin/env node
// The alerts part of bench:events: the alert queue (GET /api/v1/security/alerts, the route the
// console's queue uses) over 1,000,000 alerts in the state store (PGlite).
//
// Runs the built control plane (`npm run build` first) in this process on embedded stores (PGlite,
// chDB) in a temporary directory, with the demo province. The alerts are written straight into
// security_alerts with `INSERT … SELECT generate_series` (chunks of 100,000; migration 14's
// indexes dropped for the load and built again from their definitions), spread over the demo's org units (weighted towards the counties), over 30
// days, with a realistic mix: statuses new 30 %, acknowledged 10 %, closed 53 %, false-positive 5 %,
// suppressed 2 %; severities low 40 %, medium 35 %, high 20 %, critical 5 %; sources sigma,
// suricata, flow, threat-intel. Then, after ANALYZE, three queries run BENCH_ALERT_QUERY_RUNS times
// each through the app's request handler (authentication, validation, scoping, JSON — the HTTP
// stack without a socket) and the median of each is reported:
//   firstPage      — the default queue (open alerts, newest first, 50) as the province's admin;
//   filtered       — status=new&severity=high,critical as the province's admin;
//   county         — the default queue as a county's (锦江区) security analyst;
//   secondPage     — the page after the first (keyset cursor) as the province's admin.
// `alertQueueMillis` is the slowest of these medians (goal < 100 ms). `benchAlertQueue` is exported
// for test/bench/events.mjs; run alone, the last line printed is one JSON object.
// Knobs: BENCH_ALERTS (default 1000000), BENCH_ALERT_QUERY_RUNS (7).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const env = (name, dflt) => Number(process.env[name] ?? dflt);
const PASSWORD = 'bench-admin-password';
const CHUNK = 100_000;

async function startControlPlane() {
  const dist = (p) => import(pathToFileURL(join(REPO, 'control-plane/dist', p)).href);
  const [{ loadConfig }, { createControlPlane }, { createLogger }] = await Promise.all([
    dist('config.js'),
    dist('server.js'),
    dist('logger.js'),
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), 'tianshu-bench-alerts-'));
  const config = loadConfig({
    env: {},
    overrides: {
      host: '127.0.0.1',
      port: 0,
      dataDir,
      adminPassword: PASSWORD,
      policiesDir: join(REPO, 'policies'),
      inventoryFile: join(REPO, 'control-plane/inventory/demo-province.yaml'),
      snmpCredentialsFile: join(REPO, 'control-plane/inventory/demo-snmp-credentials.yaml'),
      logLevel: 'silent',
    },
  });
  const cp = await createControlPlane({ config, log: createLogger('silent') });
  const request = (path, init) => cp.built.app.request(path, init);
  return {
    cp,
    request,
    close: async () => {
      await cp.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function login(request, username, password) {
  const res = await request('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login as ${username}: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  const { csrfToken } = await res.json();
  return {
    get: (path) => request(path, { headers: { cookie } }),
    send: (method, path, body) =>
      request(path, {
        method,
        headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
  };
}

/**
 * Writes `n` alerts. Org units: the counties and townships get 3 shares each, cities 2, the
 * province 1 (a weighted array indexed by a hash of the row number).
 */
async function insertAlerts(db, n) {
  const units = (await db.query(`SELECT id, path, level FROM org_units ORDER BY path`)).rows;
  const weighted = [];
  for (const u of units) {
    const w = u.level === 'province' ? 1 : u.level === 'city' ? 2 : 3;
    for (let i = 0; i < w; i++) weighted.push(u);
  }
  // Loaded as a bulk load is: the migration's indexes are dropped, the rows written, and the same
  // indexes (their definitions read from pg_indexes) built again.
  const indexes = (
    await db.query(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'security_alerts' AND indexname NOT LIKE '%_pkey'`,
    )
  ).rows;
  for (const ix of indexes) await db.query(`DROP INDEX ${ix.indexname}`);
  const ids = weighted.map((u) => u.id);
  const paths = weighted.map((u) => u.path);
  for (let start = 1; start <= n; start += CHUNK) {
    const end = Math.min(n, start + CHUNK - 1);
    await db.query(
      `INSERT INTO security_alerts (id, fingerprint, source, reference, title, severity, attack, observables,
         org_unit_id, org_path, asset_address, status, count, first_seen, last_seen, created_at, updated_at)
       SELECT gen_random_uuid(), 'bench:' || g, src, ref, 'Bench detection ' || (g % 250) || ' (' || ref || ')', sev,
         ARRAY['T1046'], jsonb_build_array(jsonb_build_object('type', 'ip', 'value', addr, 'role', 'target'),
           jsonb_build_object('type', 'ip', 'value', '203.0.113.' || (g % 250), 'role', 'source')),
         ($1::text[])[1 + (h % cardinality($1::text[]))], ($2::text[])[1 + (h % cardinality($2::text[]))], addr, st,
         1 + (g % 17), ls - interval '5 minutes', ls, ls, ls
       FROM (
         SELECT g, h, addr, ls,
           (ARRAY['sigma', 'suricata', 'flow', 'threat-intel'])[1 + (g % 4)] AS src,
           (ARRAY['sigma', 'suricata', 'flow', 'threat-intel'])[1 + (g % 4)] || ':' || (g % 97) AS ref,
           CASE WHEN r1 < 40 THEN 'low' WHEN r1 < 75 THEN 'medium' WHEN r1 < 95 THEN 'high' ELSE 'critical' END AS sev,
           CASE WHEN r2 < 30 THEN 'new' WHEN r2 < 40 THEN 'acknowledged' WHEN r2 < 93 THEN 'closed'
                WHEN r2 < 98 THEN 'false-positive' ELSE 'suppressed' END AS st
         FROM (
           SELECT g, (hashint4(g) & 2147483647) AS h, ((hashint4(g * 7) & 2147483647) % 100) AS r1, ((hashint4(g * 13) & 2147483647) % 100) AS r2,
             '10.' || (g % 200) || '.' || ((g / 200) % 250) || '.' || (g % 251) AS addr,
             date_trunc('milliseconds', now() - make_interval(secs => ((hashint4(g * 31) & 2147483647) % 2592000)::float8
               + (g % 1000) / 1000.0)) AS ls
           FROM generate_series($3::int, $4::int) AS g) x) y`,
      [ids, paths, start, end],
    );
    process.stderr.write(`alerts inserted: ${end}\n`);
  }
  for (const ix of indexes) await db.query(ix.indexdef);
  await db.query('ANALYZE security_alerts');
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

async function time(runs, fn) {
  await fn(); // warm: plan cache, JIT of the handler
  const out = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    out.push(performance.now() - t0);
  }
  return Math.round(median(out) * 10) / 10;
}

async function page(session, path) {
  const res = await session.get(path);
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  const body = await res.json();
  if (!body.items.length) throw new Error(`${path}: empty page`);
  return body;
}

/** The alert-queue timings over BENCH_ALERTS alerts. */
export async function benchAlertQueue() {
  const N = env('BENCH_ALERTS', 1_000_000);
  const RUNS = env('BENCH_ALERT_QUERY_RUNS', 7);
  const cp = await startControlPlane();
  try {
    const admin = await login(cp.request, 'admin', PASSWORD);
    const made = await admin.send('POST', '/api/v1/users', {
      username: 'bench-jj',
      displayName: 'bench-jj',
      password: 'bench-jj-password-1',
      roles: ['security-analyst'],
      orgUnitId: 'sc-cd-jj',
    });
    if (made.status !== 201) throw new Error(`user: ${made.status} ${await made.text()}`);
    const county = await login(cp.request, 'bench-jj', 'bench-jj-password-1');
    const t0 = performance.now();
    await insertAlerts(cp.cp.services.db, N);
    const insertSeconds = Math.round((performance.now() - t0) / 100) / 10;
    const count = (await cp.cp.services.db.query('SELECT count(*)::int AS n FROM security_alerts')).rows[0].n;
    const base = '/api/v1/security/alerts';
    const first = await page(admin, base);
    const firstPage = await time(RUNS, () => page(admin, base));
    const filtered = await time(RUNS, () => page(admin, `${base}?status=new&severity=high,critical`));
    const countyPage = await page(county, base);
    const countyMillis = await time(RUNS, () => page(county, base));
    const secondPage = await time(RUNS, () => page(admin, `${base}?cursor=${first.nextCursor}`));
    if (process.env.BENCH_EXPLAIN) {
      // The plans of the queue's queries (the service's SQL, simplified), for a look at index use.
      const db = cp.cp.services.db;
      for (const [name, where] of [
        ['firstPage', `a.org_path LIKE '/sc/%' AND a.status IN ('new', 'acknowledged')`],
        [
          'filtered',
          `a.org_path LIKE '/sc/%' AND a.status IN ('new') AND a.severity IN ('high', 'critical')`,
        ],
        ['county', `a.org_path LIKE '/sc/sc-cd/sc-cd-jj/%' AND a.status IN ('new', 'acknowledged')`],
      ]) {
        const plan = await db.query(
          `EXPLAIN (ANALYZE, BUFFERS) SELECT a.id FROM security_alerts a JOIN org_units o ON o.id = a.org_unit_id
           WHERE ${where} ORDER BY a.last_seen DESC, a.id DESC LIMIT 51`,
        );
        process.stderr.write(`${name}:\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}\n`);
        const est = await db.query(`EXPLAIN ANALYZE SELECT 1 FROM security_alerts a WHERE ${where}`);
        process.stderr.write(`${name} (count plan):\n${est.rows.map((r) => r['QUERY PLAN']).join('\n')}\n`);
      }
    }
    const result = {
      alertQueueMillis: Math.max(firstPage, filtered, countyMillis, secondPage),
      alerts: count,
      firstPageMillis: firstPage,
      filteredMillis: filtered,
      countyMillis,
      secondPageMillis: secondPage,
      total: first.total,
      totalIsEstimate: first.totalIsEstimate,
      countyTotal: countyPage.total,
      countyTotalIsEstimate: countyPage.totalIsEstimate,
      insertSeconds,
      runs: RUNS,
      store: 'pglite',
    };
    return result;
  } finally {
    await cp.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const r = await benchAlertQueue();
  console.log(JSON.stringify(r));
}
