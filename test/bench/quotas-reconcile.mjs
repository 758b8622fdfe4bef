// Quota reconcile benchmark (issue 11, part D): a Kubernetes cloud with 10,000 projects with quotas
// in a PGlite ledger (the quota tree's own tables and QuotaTree.desired / recordUsage), reconciled
// against the FAKE Kubernetes API server (control-plane/src/quotas/fakes/kubernetes.ts, over HTTPS on
// loopback; no real API server can run here) by the reconcile loop through the Kubernetes adapter on
// @kubernetes/client-node: one pass from empty (10,000 namespaces and quotas created) timed, then a
// second pass, which must write nothing, timed.
//
// Usage: npm run build && node test/bench/quotas-reconcile.mjs
// Environment: BENCH_RECONCILE_PROJECTS (default 10000). Progress goes to stderr; the last line is
// one JSON object: {"reconcileNamespaces":n,"reconcileSeconds":n,"secondPassSeconds":n, …}.
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const dist = (p) => import(pathToFileURL(join(REPO, 'control-plane/dist', p)).href);
const projects = Math.max(10, Number(process.env.BENCH_RECONCILE_PROJECTS ?? 10_000));
const log = (text) => process.stderr.write(`${text}\n`);
const goals = { reconcileSeconds: 60 };

const [
  { openTestInventory },
  { startFakeKubernetes },
  { kubernetesAdapter },
  { QuotaReconciler, RECONCILE_CONCURRENCY },
  { reconcileDeps, staticClouds, testPolicy },
  { QuotaTree },
] = await Promise.all([
  dist('inventory/testing.js'),
  dist('quotas/fakes/kubernetes.js'),
  dist('quotas/adapters/kubernetes/adapter.js'),
  dist('quotas/reconcile/service.js'),
  dist('quotas/reconcile/testing.js'),
  dist('quotas/tree/service.js'),
]);

const TOKEN = 'bench-reconcile-token';
const t = await openTestInventory();
const fake = await startFakeKubernetes({ token: TOKEN });
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
      batch.push({ id: `p${j}`, unit: units[j % units.length], vcpu: 2 + (j % 7), memory: 4 + (j % 5) * 4, storage: 100 + (j % 3) * 50 });
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
  let t0 = Date.now();
  const first = await rec.pass(cloudId);
  const reconcileSeconds = (Date.now() - t0) / 1000;
  log(`first pass: ${JSON.stringify(first)} in ${reconcileSeconds} s`);
  if (first.written !== projects || first.errors !== 0) throw new Error(`first pass wrote ${first.written} of ${projects} (${first.errors} errors)`);
  if (fake.state.namespaces.size !== projects) throw new Error(`${fake.state.namespaces.size} namespaces on the fake`);
  const writesAfterFirst = fake.state.counts.writes;
  t0 = Date.now();
  const second = await rec.pass(cloudId);
  const secondPassSeconds = (Date.now() - t0) / 1000;
  const secondPassWrites = fake.state.counts.writes - writesAfterFirst;
  log(`second pass: ${JSON.stringify(second)} in ${secondPassSeconds} s, ${secondPassWrites} writes`);
  await rec.stop();
  const result = {
    reconcileNamespaces: fake.state.namespaces.size,
    reconcileSeconds,
    secondPassSeconds,
    secondPassWrites,
    concurrency: RECONCILE_CONCURRENCY,
    apiRequests: fake.state.counts.requests,
    goals,
    ok: reconcileSeconds < goals.reconcileSeconds && secondPassWrites === 0,
  };
  console.log(JSON.stringify(result));
} finally {
  await fake.close();
  await t.close();
}
