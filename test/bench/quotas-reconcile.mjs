// Quota reconcile benchmark (issue 11, part D): a Kubernetes cloud with 10,000 projects with quotas
// in a PGlite ledger (the quota tree's own tables and QuotaTree.desired / recordUsage), reconciled
// against the FAKE Kubernetes API server (control-plane/src/quotas/fakes/kubernetes.ts, over HTTPS on
// loopback, in a child process of its own as a real API server would be; no real API server can run
// here) by the reconcile loop through the Kubernetes adapter on
// @kubernetes/client-node: one pass from empty (10,000 namespaces and quotas created) timed, then a
// second pass, which must write nothing, timed.
//
// Usage: npm run build && node test/bench/quotas-reconcile.mjs
// Environment: BENCH_RECONCILE_PROJECTS (default 10000). Progress goes to stderr; the last line is
// one JSON object: {"reconcileNamespaces":n,"reconcileSeconds":n,"secondPassSeconds":n, …}.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const dist = (p) => import(pathToFileURL(join(REPO, 'control-plane/dist', p)).href);

// The fake API server runs in a child process of its own (`--fake-child`), as a real API server is
// another process: the pass's time is our side's (adapter, client-node, ledger), not the fake's CPU.
if (process.argv.includes('--fake-child')) {
  const { startFakeKubernetes } = await dist('quotas/fakes/kubernetes.js');
  const fake = await startFakeKubernetes({ token: process.env.BENCH_FAKE_TOKEN ?? '' });
  const snapshot = () => ({
    namespaces: fake.state.namespaces.size,
    requests: fake.state.counts.requests,
    writes: fake.state.counts.writes,
    cpuMicros: (({ user, system }) => user + system)(process.cpuUsage()),
  });
  process.on('message', (m) => {
    if (m === 'state') process.send({ state: snapshot() });
    if (m === 'close') void fake.close().then(() => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ url: fake.url, caCert: fake.caCert });
  await new Promise(() => undefined);
}

async function startFakeHere(token) {
  const { startFakeKubernetes } = await dist('quotas/fakes/kubernetes.js');
  const fake = await startFakeKubernetes({ token });
  return {
    url: fake.url,
    caCert: fake.caCert,
    state: async () => ({
      namespaces: fake.state.namespaces.size,
      requests: fake.state.counts.requests,
      writes: fake.state.counts.writes,
      cpuMicros: 0,
    }),
    close: () => fake.close(),
  };
}

/** Starts the fake in a child process; `state()` asks it for its counts (over IPC). */
async function startFakeChild(token) {
  const child = fork(fileURLToPath(import.meta.url), ['--fake-child'], {
    env: { ...process.env, BENCH_FAKE_TOKEN: token },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const failed = once(child, 'exit').then(([code]) => {
    throw new Error(`the fake Kubernetes child exited (${code})`);
  });
  failed.catch(() => undefined);
  const next = () => Promise.race([once(child, 'message').then(([m]) => m), failed]);
  const { url, caCert } = await next();
  return {
    url,
    caCert,
    async state() {
      const answer = next();
      child.send('state');
      return (await answer).state;
    },
    async close() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.send('close');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
const projects = Math.max(10, Number(process.env.BENCH_RECONCILE_PROJECTS ?? 10_000));
const log = (text) => process.stderr.write(`${text}\n`);
const goals = { reconcileSeconds: 60 };

const [
  { openTestInventory },
  { kubernetesAdapter },
  { QuotaReconciler, RECONCILE_CONCURRENCY },
  { reconcileDeps, staticClouds, testPolicy },
  { QuotaTree },
] = await Promise.all([
  dist('inventory/testing.js'),
  dist('quotas/adapters/kubernetes/adapter.js'),
  dist('quotas/reconcile/service.js'),
  dist('quotas/reconcile/testing.js'),
  dist('quotas/tree/service.js'),
]);

const TOKEN = 'bench-reconcile-token';
const t = await openTestInventory();
// BENCH_FAKE_IN_PROCESS=1: the fake in this process (as before; for comparing).
const fake =
  process.env.BENCH_FAKE_IN_PROCESS === '1' ? await startFakeHere(TOKEN) : await startFakeChild(TOKEN);
try {
  const cloudId = 'bench-k8s';
  const policy = testPolicy();
  const clouds = staticClouds([
    {
      cloudId,
      kind: 'kubernetes',
      orgUnitId: 'sc',
      orgPath: '/sc/',
      connection: {
        cloudId,
        kind: 'kubernetes',
        endpoint: fake.url,
        region: null,
        settings: { caCert: fake.caCert, timeoutSeconds: 30 },
        secrets: { token: TOKEN },
      },
    },
  ]);
  const deps = reconcileDeps({ db: t.db, audit: t.audit, orgUnits: t.orgUnits });
  const ledger = new QuotaTree(deps, { policy: () => policy, clouds });

  // Seed the ledger's tables directly (the bench times reconciling, not allocating).
  const units = ['sc-cd', 'sc-cd-jj', 'sc-cd-sl', 'sc-my', 'sc-my-fc', 'sc-lz'];
  await t.db.query(
    `INSERT INTO clouds (id, org_unit_id, name, kind, tier, api_endpoint) VALUES ($1, 'sc', 'Bench cloud', 'kubernetes', 'provincial', $2)`,
    [cloudId, fake.url],
  );
  const seeded = Date.now();
  for (let i = 0; i < projects; i += 1000) {
    const batch = [];
    for (let j = i; j < Math.min(projects, i + 1000); j++) {
      batch.push({
        id: `p${j}`,
        unit: units[j % units.length],
        vcpu: 2 + (j % 7),
        memory: 4 + (j % 5) * 4,
        storage: 100 + (j % 3) * 50,
      });
    }
    const rows = JSON.stringify(batch);
    await t.db.query(
      `INSERT INTO quota_projects (id, org_unit_id, name, external_name, created_by)
         SELECT x.id, x.unit, 'Project ' || x.id, 'ts-' || x.id, 'bench' FROM jsonb_to_recordset($1::jsonb) AS x(id text, unit text)`,
      [rows],
    );
    await t.db.query(
      `INSERT INTO quota_project_clouds (cloud_id, project_id, version)
         SELECT $2, x.id, 1 FROM jsonb_to_recordset($1::jsonb) AS x(id text)`,
      [rows, cloudId],
    );
    await t.db.query(
      `INSERT INTO quota_project_amounts (cloud_id, project_id, class, quota, limited)
         SELECT $2, x.id, c.class, c.amount, true
           FROM jsonb_to_recordset($1::jsonb) AS x(id text, vcpu int, memory int, storage int),
           LATERAL (VALUES ('vcpu', x.vcpu), ('memory', x.memory), ('block-storage', x.storage)) AS c(class, amount)`,
      [rows, cloudId],
    );
  }
  log(`seeded ${projects} projects in ${Date.now() - seeded} ms`);

  const rec = new QuotaReconciler(deps, {
    policy: () => policy,
    clouds,
    ledger,
    adapters: { kubernetes: kubernetesAdapter, openstack: kubernetesAdapter },
  });
  const cpuOf = ({ user, system }) => (user + system) / 1e6;
  const beforeFirst = await fake.state();
  let cpu0 = process.cpuUsage();
  let t0 = Date.now();
  const first = await rec.pass(cloudId);
  const reconcileSeconds = (Date.now() - t0) / 1000;
  const reconcileCpuSeconds = cpuOf(process.cpuUsage(cpu0));
  log(`first pass: ${JSON.stringify(first)} in ${reconcileSeconds} s`);
  if (first.written !== projects || first.errors !== 0)
    throw new Error(`first pass wrote ${first.written} of ${projects} (${first.errors} errors)`);
  const afterFirst = await fake.state();
  if (afterFirst.namespaces !== projects) throw new Error(`${afterFirst.namespaces} namespaces on the fake`);
  const writesAfterFirst = afterFirst.writes;
  cpu0 = process.cpuUsage();
  t0 = Date.now();
  const second = await rec.pass(cloudId);
  const secondPassSeconds = (Date.now() - t0) / 1000;
  const secondPassCpuSeconds = cpuOf(process.cpuUsage(cpu0));
  const afterSecond = await fake.state();
  const secondPassWrites = afterSecond.writes - writesAfterFirst;
  log(`second pass: ${JSON.stringify(second)} in ${secondPassSeconds} s, ${secondPassWrites} writes`);
  await rec.stop();
  const result = {
    reconcileNamespaces: afterSecond.namespaces,
    reconcileSeconds,
    secondPassSeconds,
    secondPassWrites,
    // CPU seconds (user + system) of our side and of the fake's process in the first pass: less
    // sensitive to a loaded machine than the wall-clock seconds.
    reconcileCpuSeconds: Math.round(reconcileCpuSeconds * 1000) / 1000,
    fakeCpuSeconds: Math.round((afterFirst.cpuMicros - beforeFirst.cpuMicros) / 1000) / 1000,
    secondPassCpuSeconds: Math.round(secondPassCpuSeconds * 1000) / 1000,
    concurrency: RECONCILE_CONCURRENCY,
    apiRequests: afterSecond.requests,
    goals,
    ok: reconcileSeconds < goals.reconcileSeconds && secondPassWrites === 0,
  };
  console.log(JSON.stringify(result));
} finally {
  await fake.close();
  await t.close();
}
