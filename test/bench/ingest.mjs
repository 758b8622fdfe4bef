#!/usr/bin/env node
// bench:ingest — host-metric samples ingested per second through the HTTP report endpoint into chDB,
// with the control plane pinned to one core (taskset) and the load generator on the other.
//
// The control plane runs from the build (`npm run build` first), in its own process, on embedded
// stores in a temporary directory. Several enrolled agents post gzip-compressed report batches, as
// the real agent does, with a bounded number of requests in flight, for a bounded time. At the end
// the rows in chDB are counted and must equal the acknowledged samples. For scale, the same batches
// are also inserted straight into chDB in-process (no HTTP, no JSON parsing, no validation): the
// ratio says what the HTTP path costs; the TabSeparated insert path the ingest used before the Native
// one is measured beside it in alternating rounds. The last line printed is one JSON object.
// Knobs: BENCH_DURATION_MS, BENCH_MAX_BATCHES, BENCH_AGENTS, BENCH_IN_FLIGHT, BENCH_SERIES_PER_BATCH (×50
// points), BENCH_CP_NODE_ARGS (extra node flags for the control plane, e.g. --cpu-prof), BENCH_ENCODING
// (`columnar`, the default and what agents send, or `series`, the shape of agents before it).
import { spawn, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import http from 'node:http';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 20_000);
const MAX_BATCHES = Number(process.env.BENCH_MAX_BATCHES ?? 2000);
const AGENTS = Number(process.env.BENCH_AGENTS ?? 4);
const IN_FLIGHT = Number(process.env.BENCH_IN_FLIGHT ?? 4);
const SERIES_PER_BATCH = Number(process.env.BENCH_SERIES_PER_BATCH ?? 1000);
const ENCODING = process.env.BENCH_ENCODING ?? 'columnar';
if (ENCODING !== 'columnar' && ENCODING !== 'series')
  throw new Error('BENCH_ENCODING must be columnar or series');
const POINTS_PER_SERIES = 50; // 50,000 samples per batch by default, the control plane's maxSamplesPerBatch
const PASSWORD = 'bench-admin-password';

const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });

const hasTaskset = (() => {
  try {
    execFileSync('taskset', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (hasTaskset) execFileSync('taskset', ['-pc', '1', String(process.pid)], { stdio: 'ignore' });

const agentKeep = new http.Agent({ keepAlive: true, maxSockets: 64 });
function request(base, method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method, headers, agent: agentKeep }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }),
      );
    });
    req.on('error', reject);
    if (body) req.end(body);
    else req.end();
  });
}

/** One agent's batch of host metrics: 200 series × 50 points, recent timestamps. */
function makeSeries(host, t0) {
  const series = [];
  const names = [
    'node_cpu_seconds_total',
    'node_network_receive_bytes_total',
    'node_network_transmit_bytes_total',
    'node_disk_read_bytes_total',
  ];
  for (let s = 0; s < SERIES_PER_BATCH; s++) {
    const name = names[s % names.length];
    const labels =
      name === 'node_cpu_seconds_total'
        ? { cpu: String(s % 64), mode: ['user', 'system', 'idle', 'iowait'][s % 4] }
        : { device: `eth${s % 50}` };
    const points = [];
    for (let p = 0; p < POINTS_PER_SERIES; p++) points.push([t0 + p * 15_000, s * 1000 + p * 1.5]);
    series.push({ name, labels, points });
  }
  return series;
}

async function main() {
  const dataDir = mkdtempSync(join(tmpdir(), 'tianshu-bench-ingest-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const cpArgs = [
    ...(process.env.BENCH_CP_NODE_ARGS ?? '').split(' ').filter(Boolean),
    join(REPO, 'control-plane/dist/main.js'),
    'serve',
  ];
  const cp = spawn(
    hasTaskset ? 'taskset' : process.execPath,
    hasTaskset ? ['-c', '0', process.execPath, ...cpArgs] : cpArgs,
    {
      cwd: REPO,
      env: {
        ...process.env,
        TIANSHU_DATA_DIR: dataDir,
        TIANSHU_PORT: String(port),
        TIANSHU_HOST: '127.0.0.1',
        TIANSHU_ADMIN_PASSWORD: PASSWORD,
        TIANSHU_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  cp.stdout.on('data', (d) => (out += d));
  const started = Date.now();
  while (!/Tianshu console/.test(out)) {
    if (cp.exitCode !== null || Date.now() - started > 240_000)
      throw new Error(`control plane did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    const login = await request(base, 'POST', '/api/v1/auth/login', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    const cookie = String(login.headers['set-cookie']).split(';')[0];
    const { csrfToken } = JSON.parse(login.text);
    const agents = [];
    for (let i = 0; i < AGENTS; i++) {
      const tok = await request(base, 'POST', '/api/v1/fleet/enrolment-tokens', {
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
        body: JSON.stringify({ name: `bench-${i}`, orgUnitId: 'province' }),
      });
      const { token } = JSON.parse(tok.text);
      const en = await request(base, 'POST', '/api/v1/fleet/enrol', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token, hostname: `bench-host-${i}`, roles: ['host'], version: 'bench' }),
      });
      const { agentId, credential } = JSON.parse(en.text);
      agents.push({ agentId, auth: `Bearer ${agentId}.${credential}`, host: `bench-host-${i}`, seq: 0 });
    }

    // Pre-build one payload per agent; each post gets a fresh batch id (string splice, no re-encode).
    const t0 = Date.now() - POINTS_PER_SERIES * 15_000;
    const { encodeHostMetrics } = await import(join(REPO, 'protocol/dist/index.js'));
    const seriesOf = agents.map((a) => makeSeries(a.host, t0));
    const payloadJson = agents.map((a, i) =>
      JSON.stringify([
        ENCODING === 'columnar'
          ? encodeHostMetrics(a.host, seriesOf[i])
          : { kind: 'host-metrics', host: a.host, series: seriesOf[i] },
      ]),
    );
    const samplesPerBatch = SERIES_PER_BATCH * POINTS_PER_SERIES;
    const bodyOf = (i, a) =>
      gzipSync(
        `{"batchId":"${randomUUID()}","sequence":${++a.seq},"createdAt":"${new Date().toISOString()}","payloads":${payloadJson[i]}}`,
        { level: 1 },
      );
    // Bodies are prepared ahead so the load generator's own gzip does not throttle the measurement.
    const ready = agents.map((a, i) => Array.from({ length: 8 }, () => bodyOf(i, a)));
    const rawBytes = Buffer.byteLength(payloadJson[0]);

    const cpuBefore = readCpu(cp.pid);
    const t1 = performance.now();
    let acked = 0;
    let batches = 0;
    let errors = 0;
    let next = 0;
    const deadline = t1 + DURATION_MS;
    const worker = async () => {
      while (performance.now() < deadline && batches + errors < MAX_BATCHES) {
        const i = next++ % agents.length;
        const a = agents[i];
        const body = ready[i].pop() ?? bodyOf(i, a);
        const res = await request(base, 'POST', `/api/v1/agents/${a.agentId}/reports`, {
          headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', authorization: a.auth },
          body,
        });
        if (res.status === 200) {
          acked += JSON.parse(res.text).samples;
          batches++;
        } else {
          errors++;
          if (res.status !== 503)
            process.stderr.write(`report failed: ${res.status} ${res.text.slice(0, 200)}\n`);
          else await new Promise((r) => setTimeout(r, 20));
        }
        if (ready[i].length < 2) ready[i].push(bodyOf(i, a));
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const seconds = (performance.now() - t1) / 1000;
    const cpuAfter = readCpu(cp.pid);
    const cpuSeconds = (cpuAfter - cpuBefore) / 100;

    // Stop the control plane and count what chDB really holds.
    cp.kill('SIGTERM');
    await new Promise((r) => cp.once('exit', r));
    const { ChdbTelemetryStore, insertHostMetricsPayload, insertHostMetricsPayloadTabSeparated } =
      await import(join(REPO, 'control-plane/dist/store/telemetry/index.js'));
    const tel = new ChdbTelemetryStore({ dataDir });
    let stored;
    let directSamplesPerSecond;
    let directTsvSamplesPerSecond;
    try {
      await tel.migrate();
      stored = Number((await tel.query('SELECT count() AS n FROM host_metrics'))[0].n);
      // Reference: the same batches inserted directly into chDB in this process, through the ingest
      // path (Native blocks) and, side by side in alternating rounds, the TabSeparated path before it.
      const payload = JSON.parse(payloadJson[0])[0];
      const n = 10;
      const meta = { agentId: 'direct', orgUnitId: 'province', host: 'direct' };
      let nativeSeconds = 0;
      let tsvSeconds = 0;
      for (let round = 0; round < 2; round++) {
        let d0 = performance.now();
        for (let k = 0; k < n; k++)
          await insertHostMetricsPayload(tel, meta, payload, { dedupToken: randomUUID() });
        nativeSeconds += (performance.now() - d0) / 1000;
        d0 = performance.now();
        for (let k = 0; k < n; k++)
          await insertHostMetricsPayloadTabSeparated(tel, meta, payload, { dedupToken: randomUUID() });
        tsvSeconds += (performance.now() - d0) / 1000;
      }
      directSamplesPerSecond = Math.round((2 * n * samplesPerBatch) / nativeSeconds);
      directTsvSamplesPerSecond = Math.round((2 * n * samplesPerBatch) / tsvSeconds);
    } finally {
      await tel.close();
    }
    const samplesPerSecond = Math.round(acked / seconds);
    const result = {
      bench: 'ingest',
      samplesPerSecond,
      samplesPerControlPlaneCpuSecond: Math.round(acked / cpuSeconds),
      controlPlaneCpuSeconds: Number(cpuSeconds.toFixed(2)),
      seconds: Number(seconds.toFixed(2)),
      batches,
      samplesAcked: acked,
      samplesStored: stored,
      storedEqualsAcked: stored === acked,
      errors,
      samplesPerBatch,
      batchBytesUncompressed: rawBytes,
      encoding: ENCODING,
      agents: AGENTS,
      inFlight: IN_FLIGHT,
      pinnedToOneCore: hasTaskset,
      directChdbSamplesPerSecond: directSamplesPerSecond,
      directChdbTabSeparatedSamplesPerSecond: directTsvSamplesPerSecond,
      directNativeVsTabSeparated: Number((directSamplesPerSecond / directTsvSamplesPerSecond).toFixed(2)),
      ratioHttpVsDirectChdb: Number((samplesPerSecond / directSamplesPerSecond).toFixed(3)),
      goalSamplesPerSecond: 250_000,
    };
    console.log(JSON.stringify(result));
    if (stored !== acked) process.exitCode = 1;
  } finally {
    if (cp.exitCode === null) cp.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function readCpu(pid) {
  // utime + stime in clock ticks (USER_HZ = 100), fields 14 and 15 of /proc/<pid>/stat; the control
  // plane is the child of taskset, which execs node, so the pid is node's.
  try {
    const stat = execFileSync('cat', [`/proc/${pid}/stat`]).toString();
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return NaN;
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
