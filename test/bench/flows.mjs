// Flow benchmark. Parts (BENCH_FLOWS_PARTS, comma list; default all):
//   decode — decoder records/s on one core for NetFlow v9, IPFIX and sFlow v5 (a realistic packet mix,
//            templates learned beforehand); run under `taskset -c 0` when available (the bench
//            re-executes itself pinned).
//   udp    — the highest loss-free UDP receive rate (flows/s) of Tianshu's collector and of nfcapd
//            with the same NetFlow v9 sender, doubling then bisecting the rate (flows-udp.mjs).
//   store  — flow-aggregate rows stored per second through the report endpoint into chDB.
//   query  — top-N and Sankey over 24 h of 1-minute aggregates from 500 exporters (medians).
// Each part returns fields of the result.
// Environment: BENCH_FLOWS_SECONDS (per decode measurement, default 3), BENCH_FLOWS_ROUNDS (best of,
// default 3).
// Usage: npm run bench:flows (builds first). Prints JSON lines; the last line is one object with the
// results, e.g. {"decodeRecordsPerSecondPerCore":{"v9":n,"ipfix":n,"sflow":n}, ...}.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const seconds = Number(process.env.BENCH_FLOWS_SECONDS ?? 3);
const rounds = Number(process.env.BENCH_FLOWS_ROUNDS ?? 3);

/** Decode part: run in a child pinned to one core (taskset), or here when taskset is missing. */
async function decodePart() {
  if (process.env.BENCH_FLOWS_CHILD !== '1') {
    const self = fileURLToPath(import.meta.url);
    const r = spawnSync('taskset', ['-c', '0', process.execPath, ...process.execArgv, self], {
      env: { ...process.env, BENCH_FLOWS_CHILD: '1', BENCH_FLOWS_PARTS: 'decode' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (r.status === 0) {
      const last = r.stdout.trim().split('\n').pop();
      process.stdout.write(
        r.stdout
          .trim()
          .split('\n')
          .slice(0, -1)
          .map((l) => l + '\n')
          .join(''),
      );
      return { ...JSON.parse(last), decodePinned: true };
    }
    console.log(
      JSON.stringify({
        note: 'taskset failed; decode measured unpinned',
        error: r.error?.message ?? r.status,
      }),
    );
  }
  const { measureDecode } = await import('./flows-decode.mjs');
  return { ...measureDecode({ seconds, rounds }), decodePinned: process.env.BENCH_FLOWS_CHILD === '1' };
}

/** UDP part: loss-free receive rate of Tianshu's collector and of nfcapd (see flows-udp.mjs). */
async function udpPart() {
  const { measureUdp } = await import('./flows-udp.mjs');
  return measureUdp();
}

/** Storage part: flow aggregate rows stored per second through the report endpoint (flows-query.mjs). */
async function storePart() {
  const { benchFlowStorage } = await import('./flows-query.mjs');
  return benchFlowStorage();
}

/** Query part: top-N and Sankey over 24 h of 1-minute aggregates from 500 exporters (flows-query.mjs). */
async function queryPart() {
  const { benchFlowQueries } = await import('./flows-query.mjs');
  return benchFlowQueries();
}

const PARTS = {
  decode: decodePart,
  udp: udpPart,
  store: storePart,
  query: queryPart,
};

const wanted = (process.env.BENCH_FLOWS_PARTS ?? Object.keys(PARTS).join(','))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const result = {};
for (const name of wanted) {
  const part = PARTS[name];
  if (part === undefined) {
    console.log(JSON.stringify({ error: `unknown part ${name}`, parts: Object.keys(PARTS) }));
    continue;
  }
  Object.assign(result, await part());
}
console.log(JSON.stringify(result));
