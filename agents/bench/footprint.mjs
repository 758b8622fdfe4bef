// Measures the resident memory and CPU time of a running host agent against an in-process stub
// control plane. Needs a build first (`npx tsc -b agents`). Prints one JSON object.
// Usage: node agents/bench/footprint.mjs [seconds] [hostIntervalSeconds]
import { spawn, execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StubControlPlane } from '../dist/testing/stub-control-plane.js';

const seconds = Number(process.argv[2] ?? 60);
const interval = Number(process.argv[3] ?? 15);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const stateDir = mkdtempSync(join(tmpdir(), 'tianshu-footprint-'));
const clkTck = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

const stub = await new StubControlPlane({
  tokens: ['footprint-token'],
  config: {
    configVersion: 'bench',
    heartbeatIntervalSeconds: 30,
    host: { enabled: true, intervalSeconds: interval },
    report: { maxSamplesPerBatch: 10000, flushIntervalSeconds: interval },
  },
}).start();

// Asynchronous, since the stub answering the enrolment runs in this process.
await promisify(execFile)(process.execPath, [
  cli,
  'enrol',
  '--server',
  stub.url,
  '--token',
  'footprint-token',
  '--state-dir',
  stateDir,
]);
const child = spawn(
  process.execPath,
  [cli, 'run', '--state-dir', stateDir, '--metrics-listen', '127.0.0.1:0'],
  {
    stdio: ['ignore', 'ignore', 'pipe'],
  },
);
let stderr = '';
child.stderr.on('data', (d) => (stderr += d));

function sample() {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  const hwmKb = Number(/VmHWM:\s+(\d+)/.exec(status)[1]);
  const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(f[11]) + Number(f[12])) / clkTck;
  return { at: performance.now() / 1000, rssKb, hwmKb, cpuSeconds };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
await sleep(5000);
const start = sample();
await sleep(seconds * 1000);
const end = sample();
child.kill('SIGTERM');
const code = await new Promise((r) => child.on('exit', r));
await stub.stop();
rmSync(stateDir, { recursive: true, force: true });

const wall = end.at - start.at;
console.log(
  JSON.stringify({
    seconds: Math.round(wall),
    hostIntervalSeconds: interval,
    rssMiB: +(end.rssKb / 1024).toFixed(1),
    peakRssMiB: +(end.hwmKb / 1024).toFixed(1),
    cpuPercentSteady: +((100 * (end.cpuSeconds - start.cpuSeconds)) / wall).toFixed(3),
    cpuSecondsTotal: end.cpuSeconds,
    batchesReceived: stub.batches.length,
    samplesReceived: stub.batches.reduce(
      (n, b) => n + b.payloads.reduce((m, p) => m + p.series.length, 0),
      0,
    ),
    heartbeats: stub.heartbeats.length,
    exitCode: code,
    errorLines: stderr.split('\n').filter((l) => l.includes('"level":"error"')).length,
  }),
);
