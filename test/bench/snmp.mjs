// SNMP benchmark: Tianshu's GETBULK walk against Debian's snmpbulkwalk, and interfaces polled per
// minute per core, against Debian's snmpd serving 1,000+ interfaces in a network namespace.
//
// Usage: npm run bench:snmp   (needs root, iproute2 and Debian's snmpd / snmpbulkwalk)
// Environment: BENCH_SNMP_RUNS (walk runs per client, default 15), BENCH_SNMP_PAIRS (veth pairs,
// default 500), BENCH_SNMP_DEVICES (logical devices, default 50), BENCH_SNMP_SECONDS (poll phase
// length, default 20), BENCH_SNMP_MAXREP (max-repetitions, default 50); BENCH_SNMP_PARTS (comma
// list of walk, discovery, scale; default all three).
// Then, against the lab (test/bench/snmp-scale.mjs, which lists its own settings): discovery of
// 1,000 devices × 50 interfaces by one EdgeDiscovery (goal < 60 s), and 20,000 devices × 10
// interfaces polled every 60 s by one EdgePoller (goal: no poll late, poller CPU < 1 core).
// The last line printed is one JSON object with the results.
import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createSnmpSession } from '../../agents/dist/edge/snmp-client.js';
import { EdgePoller } from '../../agents/dist/edge/poller.js';
import { startSnmpd } from '../../agents/dist/edge/testing/snmpd.js';
import { discoveryBench, scalePollBench } from './snmp-scale.mjs';

const run = promisify(execFile);
const runs = Number(process.env.BENCH_SNMP_RUNS ?? 15);
const pairs = Number(process.env.BENCH_SNMP_PAIRS ?? 500);
const devices = Number(process.env.BENCH_SNMP_DEVICES ?? 50);
const pollSeconds = Number(process.env.BENCH_SNMP_SECONDS ?? 20);
const maxRep = Number(process.env.BENCH_SNMP_MAXREP ?? 50);
const ifXTable = '1.3.6.1.2.1.31.1.1';
const parts = new Set(
  (process.env.BENCH_SNMP_PARTS ?? 'walk,discovery,scale').split(',').map((p) => p.trim()),
);
for (const p of parts) {
  if (!['walk', 'discovery', 'scale'].includes(p)) throw new Error(`BENCH_SNMP_PARTS: unknown part "${p}"`);
}

const ns = `tianshu-bench-${process.pid}`;
const hostVeth = `tsb${process.pid % 100_000}r`;
const nsVeth = `tsb${process.pid % 100_000}n`;
const octet = 16 + (process.pid % 200);
const hostAddr = `10.213.${octet}.1`;
const nsAddr = `10.213.${octet}.2`;

const log = (msg) => process.stderr.write(`${msg}\n`);

function ip(args, input) {
  const r = spawnSync('ip', args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr.trim()}`);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const round = (x, d = 2) => Number(x.toFixed(d));

async function setupNamespace() {
  ip(['netns', 'add', ns]);
  ip(['-n', ns, 'link', 'set', 'lo', 'up']);
  // One batch file builds all pairs; it is far faster than one ip process per command.
  const lines = [];
  for (let i = 0; i < pairs; i += 1) {
    lines.push(`link add v${i}a type veth peer name v${i}b`);
    lines.push(`link set v${i}a up`);
    lines.push(`link set v${i}b up`);
  }
  ip(['-n', ns, '-batch', '-'], lines.join('\n') + '\n');
  ip(['link', 'add', hostVeth, 'type', 'veth', 'peer', 'name', nsVeth, 'netns', ns]);
  ip(['addr', 'add', `${hostAddr}/30`, 'dev', hostVeth]);
  ip(['link', 'set', hostVeth, 'up']);
  ip(['-n', ns, 'addr', 'add', `${nsAddr}/30`, 'dev', nsVeth]);
  ip(['-n', ns, 'link', 'set', nsVeth, 'up']);
}

function cleanupNamespace() {
  spawnSync('ip', ['link', 'del', hostVeth], { stdio: 'ignore' });
  spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
}

async function timeTianshuWalk(target) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const s = createSnmpSession(target);
  try {
    const rows = await s.walk(ifXTable, maxRep);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return { ms, cpuMs: (cpu.user + cpu.system) / 1000, varbinds: rows.length };
  } finally {
    s.close();
  }
}

async function timeSnmpbulkwalk(d) {
  const t0 = performance.now();
  const { stdout } = await run(
    'snmpbulkwalk',
    ['-v2c', '-c', d.community, '-On', `-Cr${maxRep}`, `-t`, '10', `${d.host}:${d.port}`, ifXTable],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const ms = performance.now() - t0;
  return { ms, varbinds: stdout.split('\n').filter(Boolean).length };
}

async function pollPhase(d, columnsPerRequest) {
  const targets = Array.from({ length: devices }, (_, i) =>
    d.v2cTarget(`bench-${i}`, { timeoutMs: 10_000, retries: 0, maxRepetitions: maxRep }),
  );
  const poller = new EdgePoller({ columnsPerRequest });
  let interfaces = 0;
  let polls = 0;
  let failed = 0;
  const deadline = performance.now() + pollSeconds * 1000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  // Bounded: whole cycles over all devices until the time is up.
  while (performance.now() < deadline) {
    const summary = await poller.pollAll(targets, {
      concurrency: 4,
      deadlineMillis: 60_000,
      onPayload: (p) => {
        polls += 1;
        if (p.error) failed += 1;
        interfaces += p.interfaces.length;
      },
    });
    if (summary.ok === 0) break;
  }
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    columnsPerRequest,
    polls,
    failed,
    interfaces,
    wallSeconds: round(wallSeconds),
    cpuSeconds: round(cpuSeconds, 3),
    interfacesPerMinutePerCore: Math.round(interfaces / (cpuSeconds / 60)),
    interfacesPerMinuteWall: Math.round(interfaces / (wallSeconds / 60)),
  };
}

async function main() {
  const result = parts.has('walk') ? await walkAndPoll() : {};
  const dir = mkdtempSync(join(tmpdir(), 'tianshu-bench-snmp-'));
  try {
    if (parts.has('discovery')) result.discovery = await discoveryBench(dir);
    if (parts.has('scale')) result.scalePoll = await scalePollBench(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  result.node = process.version;
  console.log(JSON.stringify(result));
}

async function walkAndPoll() {
  let snmpd;
  const onSignal = () => {
    cleanupNamespace();
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    log(`creating namespace ${ns} with ${pairs} veth pairs`);
    await setupNamespace();
    snmpd = await startSnmpd({ host: nsAddr, wrap: ['ip', 'netns', 'exec', ns] });
    const target = snmpd.v2cTarget('bench', { timeoutMs: 10_000, retries: 0, maxRepetitions: maxRep });
    // Warm up the daemon's interface cache and both clients (the agent is a long-running process,
    // so the measured walks are those of a JIT-compiled client).
    let warm;
    let warmC;
    for (let i = 0; i < 5; i += 1) {
      warm = await timeTianshuWalk(target);
      warmC = await timeSnmpbulkwalk(snmpd);
    }
    const ifCount = (await createSnmpSession(target).walk('1.3.6.1.2.1.31.1.1.1.1', maxRep)).length;
    log(
      `snmpd answers for ${ifCount} interfaces; ifXTable has ${warm.varbinds} varbinds (snmpbulkwalk: ${warmC.varbinds})`,
    );
    if (warm.varbinds !== warmC.varbinds)
      throw new Error('the two clients walked different numbers of varbinds');

    const tianshu = [];
    const tianshuCpu = [];
    const cTool = [];
    for (let i = 0; i < runs; i += 1) {
      // Interleaved so that drift in the shared machine's load hits both clients alike.
      const t = await timeTianshuWalk(target);
      tianshu.push(t.ms);
      tianshuCpu.push(t.cpuMs);
      cTool.push((await timeSnmpbulkwalk(snmpd)).ms);
    }
    const walk = {
      interfaces: ifCount,
      varbinds: warm.varbinds,
      maxRepetitions: maxRep,
      runs,
      tianshuMs: tianshu.map((x) => round(x)),
      snmpbulkwalkMs: cTool.map((x) => round(x)),
      tianshuMedianMs: round(median(tianshu)),
      // CPU time of this process during a walk: the client's own share of the wall time.
      tianshuCpuMedianMs: round(median(tianshuCpu)),
      snmpbulkwalkMedianMs: round(median(cTool)),
      tianshuBestMs: round(Math.min(...tianshu)),
      snmpbulkwalkBestMs: round(Math.min(...cTool)),
    };
    log(
      `walk: tianshu median ${walk.tianshuMedianMs} ms, snmpbulkwalk median ${walk.snmpbulkwalkMedianMs} ms`,
    );

    log(`polling ${devices} logical devices for ${pollSeconds} s, all columns per request`);
    const together = await pollPhase(snmpd, undefined);
    log(`polling ${devices} logical devices for ${pollSeconds} s, one column per request`);
    const apart = await pollPhase(snmpd, 1);
    const best = together.interfacesPerMinutePerCore >= apart.interfacesPerMinutePerCore ? together : apart;
    const result = {
      walkRatioVsSnmpbulkwalk: round(walk.tianshuMedianMs / walk.snmpbulkwalkMedianMs, 3),
      walkRatioBestOf: round(walk.tianshuBestMs / walk.snmpbulkwalkBestMs, 3),
      interfacesPerMinutePerCore: together.interfacesPerMinutePerCore,
      walk,
      poll: { devices, concurrency: 4, allColumnsPerRequest: together, oneColumnPerRequest: apart },
      fasterPollStrategy: best === together ? 'all columns per request' : 'one column per request',
      node: process.version,
    };
    return result;
  } finally {
    await snmpd?.stop().catch(() => undefined);
    cleanupNamespace();
  }
}

main().catch((err) => {
  log(`bench failed: ${err.stack ?? err}`);
  process.exitCode = 1;
});
