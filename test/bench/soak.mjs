// Soak benchmark: an edge agent polling the lab's simulated routers and a host agent, side by side,
// both reporting to a real control plane (embedded stores), for a bounded time. It samples each
// agent's RSS (/proc/<pid>/status) and V8 heap used (the agent's /metrics), fits a least-squares
// slope over the second half of the run, and says whether memory still grows once warmed up.
//
// Usage: npm run bench:soak -- [--minutes 10] [--sample-seconds 5] [--snapshots DIR]
// (--snapshots: heap snapshots of both agents at half time and at the end are written to DIR.)
// Environment: BENCH_SOAK_POLL_SECONDS (edge poll interval, default 5), BENCH_SOAK_PORT_OFFSET
// (added to the lab routers' SNMP port 16100, default 21000, so other lab users are not disturbed).
// The agents run with --expose-gc and test/bench/soak-probe.mjs, which forces a full collection
// every 10 s and records the heap that survives; prom-client's nodejs_heap_size_used_bytes (whose
// per-minute floor is used when the probe is missing) saw-tooths with garbage.
// The last line printed is one JSON object with the results.
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const CP_MAIN = join(REPO, 'control-plane/dist/main.js');
const AGENT_CLI = join(REPO, 'agents/dist/cli.js');
const { values } = parseArgs({
  options: {
    snapshots: { type: 'string' },
    minutes: { type: 'string', default: '10' },
    'sample-seconds': { type: 'string', default: '5' },
  },
});
const minutes = Number(values.minutes);
const sampleSeconds = Number(values['sample-seconds']);
if (!(minutes > 0 && minutes <= 24 * 60)) throw new Error('--minutes must be in (0, 1440]');
if (!(sampleSeconds >= 1 && sampleSeconds <= 600)) throw new Error('--sample-seconds must be in [1, 600]');
const pollSeconds = Number(process.env.BENCH_SOAK_POLL_SECONDS ?? 5);
const portOffset = Number(process.env.BENCH_SOAK_PORT_OFFSET ?? 21000);
const PASSWORD = 'soak-admin-password';

const log = (msg) => process.stderr.write(`[soak] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const round = (x, d = 3) => Number(x.toFixed(d));

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const procs = [];
function start(name, args, env) {
  const p = spawn(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const keep = (d) => (out = (out + d.toString()).slice(-20_000));
  p.stdout.on('data', keep);
  p.stderr.on('data', keep);
  p.on('exit', (code, signal) => {
    if (!stopping) log(`${name} exited early (code ${code}, signal ${signal}):\n${out.slice(-2000)}`);
  });
  procs.push(p);
  return { p, output: () => out };
}

async function until(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    await sleep(500);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** Heap used after the last full collection the probe ran in the agent, in MB. */
function lastProbe(file) {
  try {
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    return JSON.parse(lines.at(-1)).heapUsed / 1024 / 1024;
  } catch {
    return NaN;
  }
}

function rssMb(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function heapMb(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = /^nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
  return m ? Number(m[1]) / 1024 / 1024 : NaN;
}

/** Least-squares slope of y over x (x in minutes). */
function slope(points) {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Per-minute windows: the heap's floor (its lowest sample, close to the heap after a collection,
 * since heap-used saw-tooths between collections) and RSS's median.
 */
function windows(samples) {
  const by = new Map();
  for (const s of samples) {
    const w = Math.floor(s.min);
    if (!by.has(w)) by.set(w, []);
    by.get(w).push(s);
  }
  return [...by.entries()].map(([w, xs]) => {
    const rss = xs.map((x) => x.rss).sort((a, b) => a - b);
    const heaps = xs.map((x) => x.heap).filter(Number.isFinite);
    const gc = xs.map((x) => x.gcHeap).filter(Number.isFinite);
    return {
      gcHeap: gc.length ? Math.min(...gc) : NaN,
      min: w + 0.5,
      rss: rss[Math.floor(rss.length / 2)],
      heapFloor: heaps.length ? Math.min(...heaps) : NaN,
    };
  });
}

function summary(samples) {
  const ws = windows(samples);
  const half = ws.slice(Math.floor(ws.length / 2));
  // The heap after a forced full collection is the precise signal; without it, the floor.
  const gcKnown = ws.some((w) => Number.isFinite(w.gcHeap));
  const heapOf = (w) => (gcKnown ? w.gcHeap : w.heapFloor);
  const fit = (get) => round(slope(half.filter((w) => Number.isFinite(get(w))).map((w) => [w.min, get(w)])));
  return {
    rssStartMb: round(ws[0]?.rss ?? NaN, 1),
    rssEndMb: round(ws.at(-1)?.rss ?? NaN, 1),
    heapAfterGc: gcKnown,
    heapStartMb: round(heapOf(ws[0] ?? {}) ?? NaN, 2),
    heapEndMb: round(heapOf(ws.at(-1) ?? {}) ?? NaN, 2),
    slopeMbPerMin: fit((w) => w.rss),
    heapSlopeMbPerMin: fit(heapOf),
    rssGrowthSecondHalfMb: round((half.at(-1)?.rss ?? NaN) - (half[0]?.rss ?? NaN), 1),
    // [minute, RSS median, heap after GC (or floor)]
    perMinute: ws.map((w) => [round(w.min, 1), round(w.rss, 1), round(heapOf(w), 2)]),
    samples: samples.length,
  };
}

let stopping = false;
const dir = mkdtempSync(join(tmpdir(), 'tianshu-soak-'));
async function main() {
  // The demo province with its routers moved to other ports, so the lab here does not collide
  // with the embedded lab of a developer or a test on the same machine.
  const snmpPort = 16100 + portOffset;
  const inventory = join(dir, 'inventory.yaml');
  writeFileSync(
    inventory,
    readFileSync(join(REPO, 'control-plane/inventory/demo-province.yaml'), 'utf8').replaceAll(
      'port: 16100',
      `port: ${snmpPort}`,
    ),
  );
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  log(`control plane on ${base}, lab routers on port ${snmpPort}, ${minutes} min`);
  const cp = start('control plane', [CP_MAIN, 'embedded'], {
    TIANSHU_DATA_DIR: join(dir, 'cp'),
    TIANSHU_PORT: String(port),
    TIANSHU_HOST: '127.0.0.1',
    TIANSHU_ADMIN_PASSWORD: PASSWORD,
    TIANSHU_INVENTORY_FILE: inventory,
    TIANSHU_SNMP_CREDENTIALS_FILE: join(REPO, 'control-plane/inventory/demo-snmp-credentials.yaml'),
    TIANSHU_EMBEDDED_HOST_AGENT: 'false',
    TIANSHU_EMBEDDED_LAB: 'false',
    TIANSHU_NETWORK_POLL_INTERVAL_SECONDS: String(pollSeconds),
    TIANSHU_FLEET_HEARTBEAT_INTERVAL_SECONDS: '5',
    TIANSHU_FLEET_HOST_INTERVAL_SECONDS: '5',
    TIANSHU_FLEET_FLUSH_INTERVAL_SECONDS: '5',
    TIANSHU_LOG_LEVEL: 'warn',
  });
  await until('the control plane', () => /Tianshu console: http/.test(cp.output()), 120_000);
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: PASSWORD }),
  });
  if (login.status !== 200) throw new Error(`login failed: ${login.status}`);
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
  const { csrfToken } = await login.json();

  start(
    'lab',
    [AGENT_CLI, 'lab', '--inventory', inventory, '--scenario', join(REPO, 'agents/lab/scenarios/quiet.yaml')],
    {},
  );

  const agents = {};
  for (const role of ['edge', 'host']) {
    const res = await fetch(`${base}/api/v1/fleet/enrolment-tokens`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `soak ${role}`,
        orgUnitId: 'sc',
        roles: [role],
        maxUses: 1,
        expiresInHours: 1,
      }),
    });
    if (res.status !== 201) throw new Error(`enrolment token: ${res.status} ${await res.text()}`);
    const { token } = await res.json();
    const stateDir = join(dir, `${role}-agent`);
    execFileSync(process.execPath, [
      AGENT_CLI,
      'enrol',
      '--server',
      base,
      '--token',
      token,
      '--state-dir',
      stateDir,
      '--roles',
      role,
    ]);
    const metricsPort = await freePort();
    const probeFile = join(dir, `${role}-probe.jsonl`);
    const a = start(
      `${role} agent`,
      [
        // A full collection every 10 s gives the heap that is really kept (see soak-probe.mjs);
        // SIGUSR2 writes a heap snapshot (with --snapshots).
        '--expose-gc',
        '--import',
        pathToFileURL(join(REPO, 'test/bench/soak-probe.mjs')).href,
        '--heapsnapshot-signal=SIGUSR2',
        `--diagnostic-dir=${values.snapshots ?? dir}`,
        AGENT_CLI,
        'run',
        '--state-dir',
        stateDir,
        '--roles',
        role,
        '--metrics-listen',
        `127.0.0.1:${metricsPort}`,
      ],
      { TIANSHU_AGENT_LOG_LEVEL: 'warn', SOAK_PROBE_FILE: probeFile, SOAK_PROBE_SECONDS: '10' },
    );
    agents[role] = { pid: a.p.pid, metricsPort, probeFile, samples: [] };
  }
  for (const a of Object.values(agents)) {
    await until('agent metrics', async () => Number.isFinite(await heapMb(a.metricsPort)), 30_000);
  }

  const started = Date.now();
  const end = started + minutes * 60_000;
  const maxSamples = Math.ceil((minutes * 60) / sampleSeconds) + 2;
  for (let i = 0; i < maxSamples && Date.now() <= end; i += 1) {
    // At a quarter, so the snapshot's own RSS jump stays out of the second half that is fitted.
    if (values.snapshots && i === Math.floor(maxSamples / 4)) {
      for (const a of Object.values(agents)) process.kill(a.pid, 'SIGUSR2');
    }
    for (const [role, a] of Object.entries(agents)) {
      const rss = rssMb(a.pid);
      const heap = await heapMb(a.metricsPort).catch(() => NaN);
      a.samples.push({ min: (Date.now() - started) / 60_000, rss, heap, gcHeap: lastProbe(a.probeFile) });
      if (i % Math.max(1, Math.round(60 / sampleSeconds)) === 0)
        log(`${role}: rss ${rss.toFixed(1)} MB, heap ${heap.toFixed(1)} MB`);
    }
    await sleep(Math.max(0, Math.min(sampleSeconds * 1000, end - Date.now())));
  }

  if (values.snapshots) {
    for (const a of Object.values(agents)) process.kill(a.pid, 'SIGUSR2');
    await sleep(10_000);
  }
  // Did the edge agent actually work? Interfaces polled, per the control plane.
  const links = await fetch(`${base}/api/v1/network/links`, { headers: { cookie } }).then((r) => r.json());
  const up = (links.items ?? []).filter((l) => l.status === 'up').length;

  const edge = summary(agents.edge.samples);
  const host = summary(agents.host.samples);
  // A leak keeps growing after warm-up: the heap after GC by more than 50 kB a minute, or RSS
  // steadily (slope and net growth over the second half both clearly positive).
  const leaking = (s) =>
    s.heapSlopeMbPerMin > 0.05 || (s.slopeMbPerMin > 0.25 && s.rssGrowthSecondHalfMb > 2);
  return {
    bench: 'soak',
    minutes: round((Date.now() - started) / 60_000, 2),
    pollSeconds,
    linksUp: up,
    edge,
    host,
    verdict: leaking(edge) || leaking(host) ? 'leak' : 'warm-up',
  };
}

async function stopAll() {
  stopping = true;
  for (const p of procs.reverse()) if (p.exitCode === null && p.signalCode === null) p.kill('SIGTERM');
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && procs.some((p) => p.exitCode === null && p.signalCode === null))
    await sleep(200);
  for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}

main().then(
  async (result) => {
    await stopAll();
    console.log(JSON.stringify(result));
  },
  async (err) => {
    await stopAll();
    console.error(`soak failed: ${err.stack ?? err}`);
    process.exit(1);
  },
);
