// The scale half of `npm run bench:snmp`: discovery of many lab devices by one EdgeDiscovery, and
// polling of 20,000 lab devices every 60 s by one EdgePoller, with the lab in child processes (their
// CPU is not the poller's). Progress goes to stderr; the results are returned to snmp.mjs.
//
// Environment: BENCH_DISCOVERY_DEVICES (1000), BENCH_DISCOVERY_INTERFACES (50),
// BENCH_DISCOVERY_CONCURRENCY (64), BENCH_SCALE_DEVICES (20000), BENCH_SCALE_INTERFACES (10),
// BENCH_SCALE_INTERVAL (60 s), BENCH_SCALE_CYCLES (3), BENCH_SCALE_CONCURRENCY (256),
// BENCH_SCALE_MAXREP (the targets' maxRepetitions: 50, what the control plane hands out),
// BENCH_LAB_PROCESSES (devices per lab process: 5000), BENCH_LAB_FAST_V2C (1: the lab routers
// answer v2c reads with the fast responder, agents/src/lab/fast-v2c.ts; 0: with net-snmp's agent).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EdgeDiscovery } from '../../agents/dist/edge/discovery.js';
import { EdgePoller } from '../../agents/dist/edge/poller.js';

const AGENT_CLI = fileURLToPath(new URL('../../agents/dist/cli.js', import.meta.url));
const QUIET = fileURLToPath(new URL('../../agents/lab/scenarios/quiet.yaml', import.meta.url));
const log = (msg) => process.stderr.write(`${msg}\n`);
const round = (x, d = 2) => Number(x.toFixed(d));
const fastV2c = (process.env.BENCH_LAB_FAST_V2C ?? '1') !== '0';
const labResponder = fastV2c ? 'fast-v2c' : 'net-snmp';
const num = (name, dflt) => {
  const v = Number(process.env[name] ?? dflt);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number`);
  return v;
};

/** `127.a.b.c` + n, as an address. */
function addr(base, n) {
  const v = base.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) + n;
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join('.');
}

/**
 * Starts lab child processes serving `count` devices of `interfaces` interfaces each, at most
 * `perProcess` routers per process (one UDP socket per router: the file-descriptor limit and one
 * core per process bound a process). Each device has its own loopback address from `base`, all on
 * `port` (moving within port..port+40 when another process holds it).
 */
async function startLabs({ dir, prefix, count, interfaces, base, port, perProcess, maxRepetitions = 50 }) {
  const labs = [];
  const targets = [];
  const processes = Math.ceil(count / perProcess);
  for (let p = 0; p < processes; p += 1) {
    const devices = [];
    for (let i = p * perProcess; i < Math.min(count, (p + 1) * perProcess); i += 1) {
      devices.push({
        id: `${prefix}-${i}`,
        managementAddress: addr(base, i + 1),
        snmp: { port },
        interfaces: Array.from({ length: interfaces }, (_, k) => ({
          ifIndex: k + 1,
          name: `GigabitEthernet0/0/${k + 1}`,
          alias: `bench port ${k + 1}`,
          speedMbps: 1000,
        })),
      });
    }
    const inventory = join(dir, `${prefix}-${p}.json`);
    const routersFile = join(dir, `${prefix}-${p}-routers.json`);
    writeFileSync(inventory, JSON.stringify({ devices }));
    const child = spawn(
      process.execPath,
      [
        '--max-old-space-size=8192',
        AGENT_CLI,
        'lab',
        '--inventory',
        inventory,
        '--scenario',
        QUIET,
        '--port-range',
        `${port}-${port + 40}`,
        '--routers-file',
        routersFile,
        ...(fastV2c ? ['--fast-v2c'] : []),
      ],
      { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TIANSHU_AGENT_LOG_LEVEL: 'warn' } },
    );
    let tail = '';
    child.stderr.on('data', (d) => (tail = (tail + d.toString()).slice(-4000)));
    labs.push({ child, routersFile, tail: () => tail, exited: null });
    child.on('exit', (code, signal) => (labs[p].exited = { code, signal }));
  }
  // Bounded: every lab must be listening within 10 minutes.
  const deadline = Date.now() + 600_000;
  for (const [p, lab] of labs.entries()) {
    while (!existsSync(lab.routersFile)) {
      if (lab.exited) throw new Error(`lab ${p} exited ${JSON.stringify(lab.exited)}: ${lab.tail()}`);
      if (Date.now() > deadline) throw new Error(`lab ${p} did not start within 10 minutes`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const doc = JSON.parse(readFileSync(lab.routersFile, 'utf8'));
    for (const r of doc.routers) {
      targets.push({
        deviceId: r.deviceId,
        address: r.address,
        port: r.port,
        credentials: { version: '2c', community: 'public' },
        timeoutMs: 2000,
        retries: 1,
        maxRepetitions,
      });
    }
  }
  const stop = async () => {
    await Promise.all(
      labs.map(
        (l) =>
          new Promise((resolve) => {
            if (l.exited) return resolve();
            const t = setTimeout(() => l.child.kill('SIGKILL'), 10_000);
            l.child.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            l.child.kill('SIGTERM');
          }),
      ),
    );
  };
  return { targets, stop, processes, pids: labs.map((l) => l.child.pid) };
}

/** Lab processes' CPU seconds so far (utime + stime from /proc), to show where the machine's time went. */
function childCpuSeconds(pids) {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
      ticks += Number(rest[11]) + Number(rest[12]);
    } catch {
      // The process has gone.
    }
  }
  return ticks / 100;
}

function failedPayload(p) {
  return Boolean(p.error) || (p.outcome !== undefined && p.outcome !== 'ok' && p.outcome?.kind !== 'ok');
}

export async function discoveryBench(dir) {
  const devices = num('BENCH_DISCOVERY_DEVICES', 1000);
  const interfacesPerDevice = num('BENCH_DISCOVERY_INTERFACES', 50);
  const concurrency = num('BENCH_DISCOVERY_CONCURRENCY', 64);
  log(`discovery: starting a lab of ${devices} devices × ${interfacesPerDevice} interfaces`);
  const labs = await startLabs({
    dir,
    prefix: 'disc',
    count: devices,
    interfaces: interfacesPerDevice,
    base: '127.120.0.0',
    port: 26161,
    perProcess: num('BENCH_LAB_PROCESSES', 5000),
  });
  try {
    const discovery = new EdgeDiscovery();
    let ok = 0;
    let failed = 0;
    let interfaces = 0;
    let firstError = null;
    const cpu0 = process.cpuUsage();
    const labCpu0 = childCpuSeconds(labs.pids);
    const t0 = performance.now();
    await discovery.discoverAll(labs.targets, {
      concurrency,
      deadlineMillis: 60_000,
      onPayload: (p) => {
        if (failedPayload(p)) {
          failed += 1;
          firstError ??= p.error ?? p.outcome;
        } else ok += 1;
        interfaces += p.interfaces?.length ?? 0;
      },
    });
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const labCpu = childCpuSeconds(labs.pids) - labCpu0;
    const result = {
      devices,
      interfacesPerDevice,
      seconds: round(seconds),
      ok,
      failed,
      interfaces,
      concurrency,
      discoveryCpuCores: round((cpu.user + cpu.system) / 1e6 / seconds, 3),
      labCpuCores: round(labCpu / seconds, 3),
      labResponder,
      goalSeconds: 60,
      ...(firstError ? { firstError: String(firstError).slice(0, 300) } : {}),
    };
    log(`discovery: ${ok} ok, ${failed} failed, ${interfaces} interfaces in ${result.seconds} s`);
    return result;
  } finally {
    await labs.stop();
  }
}

export async function scalePollBench(dir) {
  const devices = num('BENCH_SCALE_DEVICES', 20000);
  const perDevice = num('BENCH_SCALE_INTERFACES', 10);
  const intervalSeconds = num('BENCH_SCALE_INTERVAL', 60);
  const cycles = Math.min(num('BENCH_SCALE_CYCLES', 3), 10);
  const concurrency = num('BENCH_SCALE_CONCURRENCY', 256);
  const perProcess = num('BENCH_LAB_PROCESSES', 5000);
  const maxRepetitions = num('BENCH_SCALE_MAXREP', 50);
  log(
    `scale poll: starting labs of ${devices} devices × ${perDevice} interfaces (${perProcess} per process)`,
  );
  const t00 = performance.now();
  const labs = await startLabs({
    dir,
    prefix: 'scale',
    count: devices,
    interfaces: perDevice,
    base: '127.100.0.0',
    port: 26161,
    perProcess,
    maxRepetitions,
  });
  log(
    `scale poll: ${labs.targets.length} routers listening in ${labs.processes} lab processes after ${round((performance.now() - t00) / 1000)} s`,
  );
  try {
    const poller = new EdgePoller();
    const perCycle = [];
    const cpu0 = process.cpuUsage();
    const labCpu0 = childCpuSeconds(labs.pids);
    const loadBefore = loadavg()[0];
    const start = performance.now();
    for (let c = 0; c < cycles; c += 1) {
      const scheduled = start + c * intervalSeconds * 1000;
      const wait = scheduled - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const deadline = scheduled + intervalSeconds * 1000;
      const began = performance.now();
      let ok = 0;
      let failed = 0;
      let late = 0;
      let interfaces = 0;
      let firstError = null;
      let lastDone = began;
      await poller.pollAll(labs.targets, {
        concurrency,
        // Like the edge role: a device's poll may not outlast the interval.
        deadlineMillis: intervalSeconds * 1000,
        onPayload: (p) => {
          const now = performance.now();
          lastDone = now;
          if (now > deadline) late += 1;
          if (failedPayload(p)) {
            failed += 1;
            firstError ??= p.error ?? p.outcome;
          } else ok += 1;
          interfaces += p.interfaces?.length ?? 0;
        },
      });
      const cycle = {
        startedLateMs: Math.max(0, Math.round(began - scheduled)),
        seconds: round((lastDone - began) / 1000),
        ok,
        failed,
        late,
        interfaces,
        ...(firstError ? { firstError: String(firstError).slice(0, 300) } : {}),
      };
      perCycle.push(cycle);
      log(
        `scale poll: cycle ${c + 1}/${cycles}: ${ok} ok, ${failed} failed, ${late} late, ${cycle.seconds} s`,
      );
    }
    const wall = Math.max((performance.now() - start) / 1000, cycles * intervalSeconds);
    const cpu = process.cpuUsage(cpu0);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const labCpu = childCpuSeconds(labs.pids) - labCpu0;
    const polls = perCycle.reduce((a, c) => a + c.ok + c.failed, 0);
    return {
      devices,
      interfaces: devices * perDevice,
      intervalSeconds,
      cycles,
      concurrency,
      maxRepetitions,
      labProcesses: labs.processes,
      labResponder,
      pollsLate: perCycle.reduce((a, c) => a + c.late, 0),
      pollsFailed: perCycle.reduce((a, c) => a + c.failed, 0),
      pollerCpuCores: round(cpuSeconds / wall, 3),
      pollerCpuSeconds: round(cpuSeconds, 1),
      labCpuCores: round(labCpu / wall, 3),
      // What one poll costs each side, and so the cores needed to keep up with the interval
      // (meaningful when cycles ran late because the machine was busy with other work).
      pollerCpuMsPerPoll: round((cpuSeconds * 1000) / polls, 3),
      labCpuMsPerPoll: round((labCpu * 1000) / polls, 3),
      pollerCpuCoresAtInterval: round(cpuSeconds / cycles / intervalSeconds, 3),
      labCpuCoresAtInterval: round(labCpu / cycles / intervalSeconds, 3),
      machineCores: availableParallelism(),
      loadAverageBefore: round(loadBefore, 2),
      loadAverageAfter: round(loadavg()[0], 2),
      perCycle,
    };
  } finally {
    await labs.stop();
  }
}
