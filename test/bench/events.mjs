// Security events benchmark. Parts (BENCH_EVENTS_PARTS, comma list; default all), each a script of
// its own that prints JSON lines, its last line one object:
//   ingest — events/s parsed, normalised, attributed and evaluated against ≥ 100 compiled Sigma
//            rules on one core (events-ingest.mjs; pinned with `taskset -c 0` when available);
//   alerts — the alert queue's first page over 1,000,000 alerts in the state store (events-alerts.mjs);
//   ddos   — seconds from a lab DDoS's start to its alert through the API (events-ddos.mjs).
// Usage: npm run bench:events (builds first). The last line is one object with at least
// {"eventsPerSecondPerCore":n,"sigmaRules":n,"alertQueueMillis":n,"alerts":n,"ddosDetectionSeconds":n}
// and the goals (≥ 50,000 events/s, < 100 ms, ≤ 10 s) with whether each was met.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const PARTS = {
  ingest: { file: 'events-ingest.mjs', pin: true },
  alerts: { file: 'events-alerts.mjs', pin: false },
  ddos: { file: 'events-ddos.mjs', pin: false },
};

function hasTaskset() {
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0;
}

function runPart(name) {
  const part = PARTS[name];
  const file = join(here, part.file);
  if (!existsSync(file)) throw new Error(`bench part ${name}: ${part.file} is missing`);
  const pinned = part.pin && hasTaskset();
  const [cmd, args] = pinned ? ['taskset', ['-c', '0', process.execPath, file]] : [process.execPath, [file]];
  const r = spawnSync(cmd, args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = (r.stdout ?? '').trim().split('\n').filter(Boolean);
  for (const l of lines.slice(0, -1)) console.log(l);
  if (r.status !== 0 || lines.length === 0) {
    throw new Error(`bench part ${name} failed (exit ${r.status ?? r.signal}); see its output above`);
  }
  return { ...JSON.parse(lines.at(-1)), ...(part.pin ? { [`${name}Pinned`]: pinned } : {}) };
}

const wanted = (process.env.BENCH_EVENTS_PARTS ?? Object.keys(PARTS).join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const result = {};
for (const name of wanted) {
  if (!(name in PARTS)) throw new Error(`unknown part ${name}; parts: ${Object.keys(PARTS).join(', ')}`);
  Object.assign(result, runPart(name));
}
const goal = (value, text, met) => (value === undefined ? undefined : { goal: text, met });
result.goals = Object.fromEntries(
  Object.entries({
    eventsPerSecondPerCore: goal(
      result.eventsPerSecondPerCore,
      '>= 50000',
      result.eventsPerSecondPerCore >= 50_000,
    ),
    alertQueueMillis: goal(result.alertQueueMillis, '< 100', result.alertQueueMillis < 100),
    ddosDetectionSeconds: goal(result.ddosDetectionSeconds, '<= 10', result.ddosDetectionSeconds <= 10),
  }).filter(([, v]) => v !== undefined),
);
result.machine = { cores: os.cpus().length, loadAverage1m: Number(os.loadavg()[0].toFixed(1)) };
console.log(JSON.stringify(result));
