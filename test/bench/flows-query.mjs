#!/usr/bin/env node
// The control plane's part of bench:flows: flow aggregates stored per second through the report
// endpoint into chDB (`storedRowsPerSecond`), and the time of a top-N and a Sankey query over 24 h of
// 1-minute aggregates from 500 exporters (`topNMillis`, `sankeyMillis`).
//
// Runs the built control plane (`npm run build` first) in this process on embedded stores (PGlite,
// chDB) in a temporary directory. The report bodies are built before the clock starts; requests go
// through the app's request handler (the HTTP stack without a socket). The query data set is written
// straight into flows_1m (TabSeparated), then each query runs BENCH_FLOW_QUERY_RUNS times as the root
// org unit's admin and the median is reported. `benchFlowStorage` and `benchFlowQueries` are
// exported for test/bench/flows.mjs; run alone, the last line printed is one JSON object.
// Knobs: BENCH_FLOW_BATCHES (default 20) × BENCH_FLOW_PAYLOADS (5) × BENCH_FLOW_ROWS (5000 rows per
// payload); BENCH_FLOW_EXPORTERS (500), BENCH_FLOW_HOURS (24), BENCH_FLOW_ROWS_PER_MINUTE (4 per
// exporter and minute), BENCH_FLOW_QUERY_RUNS (5).
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const env = (name, dflt) => Number(process.env[name] ?? dflt);
const PASSWORD = 'bench-admin-password';

async function startControlPlane() {
  const dist = (p) => import(pathToFileURL(join(REPO, 'control-plane/dist', p)).href);
  const [{ loadConfig }, { createControlPlane }, { createLogger }] = await Promise.all([
    dist('config.js'),
    dist('server.js'),
    dist('logger.js'),
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), 'tianshu-bench-flows-'));
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

async function enrolEdge(request) {
  const login = await request('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  const { csrfToken } = await login.json();
  const tok = await request('/api/v1/fleet/enrolment-tokens', {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench edge', orgUnitId: 'sc', roles: ['edge'] }),
  });
  const { token } = await tok.json();
  const res = await request('/api/v1/fleet/enrol', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, hostname: `bench-${randomUUID()}`, roles: ['edge'], version: '0.1.0' }),
  });
  const body = await res.json();
  return { agentId: body.agentId, auth: `Bearer ${body.agentId}.${body.credential}` };
}

/** One payload of `rows` aggregates from an exporter for a minute, addresses inside and outside. */
function flowPayload(exporter, minute, rows, seed) {
  const col = (f) => Array.from({ length: rows }, (_, i) => f(i + seed));
  return {
    kind: 'flow-aggregates',
    exporter,
    minute,
    key: [
      'inIf',
      'outIf',
      'srcAddr',
      'dstAddr',
      'srcPort',
      'dstPort',
      'proto',
      'ipVersion',
      'tcpFlags',
      'tos',
    ],
    rows,
    columns: {
      inIf: col((i) => 1 + (i % 8)),
      outIf: col((i) => 1 + ((i >> 3) % 8)),
      srcAddr: col((i) => `127.0.${16 + (i % 40)}.${(i >> 6) & 255}`),
      dstAddr: col((i) => `203.0.${(i >> 4) & 255}.${i & 255}`),
      srcPort: col((i) => 1024 + (i % 60_000)),
      dstPort: col((i) => [443, 80, 53, 22, 3389][i % 5]),
      proto: col((i) => (i % 5 === 2 ? 17 : 6)),
      ipVersion: col(() => 4),
      tcpFlags: col((i) => (i % 5 === 2 ? 0 : 27)),
      tos: col(() => 0),
      samplingRate: col(() => 100),
      bytes: col((i) => 150_000 + (i % 1000) * 100),
      packets: col((i) => 100 + (i % 100)),
      flows: col(() => 100),
    },
    stats: {
      packets: 50,
      records: rows,
      dropped: 0,
      malformed: {},
      missingTemplates: 0,
      sequenceGaps: 0,
      versions: [10],
      samplingSources: { exporter: rows, configured: 0, default: 0 },
    },
  };
}

/** Flow aggregate rows stored per second through POST /api/v1/agents/{id}/reports. */
export async function benchFlowStorage() {
  const BATCHES = env('BENCH_FLOW_BATCHES', 20);
  const PAYLOADS = env('BENCH_FLOW_PAYLOADS', 5);
  const ROWS = env('BENCH_FLOW_ROWS', 5000);
  const cp = await startControlPlane();
  try {
    const edge = await enrolEdge(cp.request);
    const minute = Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000;
    const bodies = [];
    for (let b = 0; b < BATCHES; b++) {
      const payloads = Array.from({ length: PAYLOADS }, (_, p) =>
        flowPayload(`192.0.2.${1 + ((b * PAYLOADS + p) % 250)}`, minute - b * 60_000, ROWS, p * ROWS),
      );
      bodies.push(
        JSON.stringify({
          batchId: randomUUID(),
          sequence: b + 1,
          createdAt: new Date().toISOString(),
          payloads,
        }),
      );
    }
    // One batch first, so that the JIT and the inventory snapshot are warm.
    const warm = await cp.request(`/api/v1/agents/${edge.agentId}/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: edge.auth },
      body: JSON.stringify({
        batchId: randomUUID(),
        sequence: 0,
        createdAt: new Date().toISOString(),
        payloads: [flowPayload('192.0.2.254', minute - 3_600_000, ROWS, 0)],
      }),
    });
    if (warm.status !== 200) throw new Error(`warm-up report answered ${warm.status}: ${await warm.text()}`);
    const started = performance.now();
    for (const body of bodies) {
      const res = await cp.request(`/api/v1/agents/${edge.agentId}/reports`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: edge.auth },
        body,
      });
      if (res.status !== 200) throw new Error(`report answered ${res.status}: ${await res.text()}`);
    }
    const seconds = (performance.now() - started) / 1000;
    const [count] = await cp.cp.services.telemetry.query(
      `SELECT count() AS n FROM flows_1m WHERE exporter != '192.0.2.254'`,
    );
    const stored = Number(count.n);
    if (stored !== BATCHES * PAYLOADS * ROWS)
      throw new Error(`stored ${stored} rows, sent ${BATCHES * PAYLOADS * ROWS}`);
    const paths = await compareStorePaths(cp, edge, bodies.slice(0, Math.min(bodies.length, 4)));
    return {
      storedRowsPerSecond: Math.round(stored / seconds),
      storedRows: stored,
      storeSeconds: seconds,
      ...paths,
    };
  } finally {
    await cp.close();
  }
}

/**
 * The telemetry-store part of the report path, old and new side by side on the same batches and the
 * same engine (alternating, best of each): the rows of a batch enriched by the flows service, then
 * (old) one TabSeparated insert per payload, as before the Native path, or (new) the batch as one
 * Native block; then the new path again without the hourly roll-up's view, which shows its share.
 */
async function compareStorePaths(cp, edge, bodies) {
  const { tsvEscape } = await import(
    pathToFileURL(join(REPO, 'control-plane/dist/store/telemetry/tsv.js')).href
  );
  const { FLOW_COLUMNS } = await import(
    pathToFileURL(join(REPO, 'control-plane/dist/flows/telemetry-schema.js')).href
  );
  const telemetry = cp.cp.services.telemetry;
  const flows = cp.cp.services.modules.use({ name: 'flows' }).flows;
  const agent = {
    agentId: edge.agentId,
    hostname: 'bench',
    orgUnitId: 'sc',
    orgUnitPath: '/sc/',
    roles: ['edge'],
  };
  const numeric = new Set([
    'ts',
    'in_if',
    'out_if',
    'in_if_speed_mbps',
    'out_if_speed_mbps',
    'src_port',
    'dst_port',
    'proto',
    'ip_version',
    'tcp_flags',
    'tos',
    'src_as',
    'dst_as',
    'sampling_rate',
    'bytes',
    'packets',
    'flows',
  ]);
  const prepared = [];
  for (const body of bodies) {
    const payloads = JSON.parse(body).payloads;
    const batch = await flows.prepare(agent, payloads);
    // The old path's payloads: the same rows as TabSeparated, one body per payload.
    const tsv = [];
    let row = 0;
    for (const p of payloads) {
      const lines = [];
      for (let i = 0; i < p.rows; i++, row++) {
        const r = batch.rows.row(row);
        lines.push(
          FLOW_COLUMNS.map((c) => (numeric.has(c) ? String(r[c]) : tsvEscape(String(r[c])))).join('\t'),
        );
      }
      tsv.push(Buffer.from(lines.join('\n') + '\n'));
    }
    prepared.push({ batch, tsv, rows: batch.rows.rows });
  }
  const rows = prepared.reduce((n, b) => n + b.rows, 0);
  const time = async (f) => {
    const t0 = performance.now();
    for (const b of prepared) await f(b);
    return (performance.now() - t0) / 1000;
  };
  const old = async (b) => {
    for (const body of b.tsv)
      await telemetry.insertTabSeparated('flows_1m', FLOW_COLUMNS, body, { dedupToken: randomUUID() });
  };
  const native = async (b) => {
    await telemetry.insertNative('flows_1m', b.batch.rows.toBlock(), { dedupToken: randomUUID() });
  };
  const best = { tsv: Infinity, native: Infinity, nativeNoHourView: Infinity };
  for (let round = 0; round < 2; round++) {
    best.tsv = Math.min(best.tsv, await time(old));
    best.native = Math.min(best.native, await time(native));
  }
  const [view] = await telemetry.query(
    "SELECT create_table_query AS q FROM system.tables WHERE database = currentDatabase() AND name = 'flows_1h_mv'",
  );
  await telemetry.exec('DROP VIEW flows_1h_mv');
  try {
    for (let round = 0; round < 2; round++)
      best.nativeNoHourView = Math.min(best.nativeNoHourView, await time(native));
  } finally {
    await telemetry.exec(view.q);
  }
  const rate = (s) => Math.round(rows / s);
  return {
    storePathRows: rows,
    storePathTsvPerPayloadRowsPerSecond: rate(best.tsv),
    storePathNativePerBatchRowsPerSecond: rate(best.native),
    storePathNativeVsTsv: Number((best.tsv / best.native).toFixed(2)),
    storePathNativeWithoutHourViewRowsPerSecond: rate(best.nativeNoHourView),
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Top-N and Sankey over 24 h of 1-minute aggregates from 500 exporters (medians, ms). */
export async function benchFlowQueries() {
  const EXPORTERS = env('BENCH_FLOW_EXPORTERS', 500);
  const HOURS = env('BENCH_FLOW_HOURS', 24);
  const PER_MINUTE = env('BENCH_FLOW_ROWS_PER_MINUTE', 4);
  const RUNS = env('BENCH_FLOW_QUERY_RUNS', 5);
  const cp = await startControlPlane();
  try {
    const telemetry = cp.cp.services.telemetry;
    const { FLOW_COLUMNS } = await import(
      pathToFileURL(join(REPO, 'control-plane/dist/flows/telemetry-schema.js')).href
    );
    const units = ['sc', 'sc-cd', 'sc-cd-jj', 'sc-cd-sl', 'sc-my', 'sc-my-fc', 'sc-lz', 'sc-lz-jy', ''];
    const apps = ['HTTPS', 'HTTP', 'DNS', 'SSH', ''];
    const end = Math.floor(Date.now() / 60_000) * 60_000;
    const start = end - HOURS * 3_600_000;
    let rows = 0;
    const insertStarted = performance.now();
    for (let m = start; m < end; m += 60_000) {
      const lines = [];
      for (let e = 0; e < EXPORTERS; e++) {
        for (let r = 0; r < PER_MINUTE; r++) {
          const k = e * PER_MINUTE + r;
          const su = units[k % units.length];
          const du = units[(k * 7 + 3) % units.length];
          const path = (u) =>
            u === ''
              ? ''
              : u === 'sc'
                ? '/sc/'
                : `/sc/${u.split('-').slice(0, 2).join('-')}/${u.split('-').length > 2 ? `${u}/` : ''}`;
          const row = {
            ts: m / 1000,
            agent_id: 'bench',
            exporter: `10.${e >> 8}.${e & 255}.1`,
            exporter_device_id: '',
            exporter_org_unit: 'sc',
            in_if: 1 + (r % 4),
            out_if: 5 + (r % 4),
            in_if_name: `Gi0/${1 + (r % 4)}`,
            out_if_name: `Gi0/${5 + (r % 4)}`,
            in_if_speed_mbps: 1000,
            out_if_speed_mbps: 1000,
            src_addr: `10.${(k >> 8) & 255}.${k & 255}.${r}`,
            dst_addr: `203.0.${(k >> 8) & 255}.${k & 255}`,
            next_hop: '',
            src_port: 1024 + (k % 50_000),
            dst_port: [443, 80, 53, 22][r % 4],
            proto: r % 4 === 2 ? 17 : 6,
            ip_version: 4,
            tcp_flags: 27,
            tos: 0,
            src_as: 0,
            dst_as: 0,
            src_country: '',
            dst_country: '',
            src_org_unit: su,
            dst_org_unit: du,
            src_org_path: path(su),
            dst_org_path: path(du),
            direction: du === '' ? 'egress' : 'internal',
            app: apps[r % apps.length],
            sampling_rate: 100,
            bytes: 100_000 + ((k * 131 + m / 60_000) % 10_000) * 10,
            packets: 100,
            flows: 100,
          };
          lines.push(FLOW_COLUMNS.map((c) => row[c]).join('\t'));
        }
      }
      await telemetry.insertTabSeparated('flows_1m', FLOW_COLUMNS, Buffer.from(lines.join('\n') + '\n'));
      rows += lines.length;
    }
    const insertSeconds = (performance.now() - insertStarted) / 1000;
    const flows = cp.cp.services.modules.use({ name: 'flows' });
    const { systemIdentity } = await import(
      pathToFileURL(join(REPO, 'control-plane/dist/auth/identity.js')).href
    );
    const root = systemIdentity('/sc/');
    const q = { from: new Date(start).toISOString(), to: new Date(end).toISOString() };
    const time = async (f) => {
      const ms = [];
      let last;
      for (let i = 0; i < RUNS; i++) {
        const t0 = performance.now();
        last = await f();
        ms.push(performance.now() - t0);
      }
      return { ms: Math.round(median(ms)), last };
    };
    const topN = await time(() => flows.analytics.top(root, { ...q, by: 'dstAddr', limit: 10 }));
    const topUnits = await time(() => flows.analytics.top(root, { ...q, by: 'srcOrgUnit', limit: 10 }));
    const sankey = await time(() =>
      flows.analytics.sankey(root, { ...q, by: 'srcOrgUnit,dstOrgUnit,app', limit: 50 }),
    );
    if (topN.last.items.length !== 10 || sankey.last.links.length === 0)
      throw new Error('queries found no flows');
    return {
      topNMillis: topN.ms,
      topNOrgUnitMillis: topUnits.ms,
      sankeyMillis: sankey.ms,
      queryRows: rows,
      queryInsertRowsPerSecond: Math.round(rows / insertSeconds),
    };
  } finally {
    await cp.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const storage = await benchFlowStorage();
  console.log(JSON.stringify(storage));
  const queries = await benchFlowQueries();
  console.log(JSON.stringify(queries));
  console.log(JSON.stringify({ ...storage, ...queries }));
}
