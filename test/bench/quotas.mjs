// Quotas benchmark. Parts (BENCH_QUOTAS_PARTS, comma list; default all), each a script of its own
// that prints JSON lines, its last line one object:
//   tree      — the quota tree of 5,000 projects over 20 clouds evaluated (quotas-tree.mjs);
//   approvals — 1,000 requests approved concurrently by 10 clients on PGlite, then the invariants
//               checked over the whole tree (quotas-approvals.mjs);
//   reconcile — 10,000 namespaces reconciled against the fake Kubernetes API server from empty
//               (quotas-reconcile.mjs).
// Usage: npm run bench:quotas (builds first). The last line is one object with at least
// {"quotaTreeMillis":n,"approvalsPerSecond":n,"invariantViolations":n,"reconcileNamespaces":n,"reconcileSeconds":n}
// and the goals (< 100 ms; ≥ 200/s with 0 violations; < 60 s) with whether each was met.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const PARTS = {
  tree: 'quotas-tree.mjs',
  approvals: 'quotas-approvals.mjs',
  reconcile: 'quotas-reconcile.mjs',
};

function runPart(name) {
  const file = join(here, PARTS[name]);
  if (!existsSync(file)) throw new Error(`bench part ${name}: ${PARTS[name]} is missing`);
  const r = spawnSync(process.execPath, [file], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const lines = (r.stdout ?? '').trim().split('\n').filter(Boolean);
  for (const l of lines.slice(0, -1)) console.log(l);
  if (r.status !== 0 || lines.length === 0) {
    throw new Error(`bench part ${name} failed (exit ${r.status ?? r.signal}); see its output above`);
  }
  return JSON.parse(lines.at(-1));
}

const wanted = (process.env.BENCH_QUOTAS_PARTS ?? Object.keys(PARTS).join(','))
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
    quotaTreeMillis: goal(result.quotaTreeMillis, '< 100', result.quotaTreeMillis < 100),
    approvalsPerSecond: goal(result.approvalsPerSecond, '>= 200', result.approvalsPerSecond >= 200),
    invariantViolations: goal(result.invariantViolations, '0', result.invariantViolations === 0),
    reconcileSeconds: goal(result.reconcileSeconds, '< 60', result.reconcileSeconds < 60),
  }).filter(([, v]) => v !== undefined),
);
result.machine = { cores: os.cpus().length, loadAverage1m: Number(os.loadavg()[0].toFixed(1)) };
console.log(JSON.stringify(result));
