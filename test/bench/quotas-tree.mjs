// Quota tree benchmark (issue 11): the quota tree of 5,000 projects over 20 clouds evaluated as the
// province sees it (GET /tree without a cloud: every cloud summed per class), through the service on
// PGlite; and the tree of the provincial cloud alone. The org units are a Sichuan-sized province
// (1 province, 21 cities, 183 counties); the clouds are the provincial cloud and 19 city clouds
// ("1 + N"); every project holds quota (7 classes) on the provincial cloud and, in a city with a cloud,
// on its city's cloud, with usage and physical usage; every city and county holds an org-unit quota.
// Rows are inserted in bulk (unnest), not through the ledger: the ledger's speed is the approvals
// bench's (C).
//
// Usage: npm run build && node test/bench/quotas-tree.mjs
// Environment: BENCH_QUOTAS_TREE_RUNS (timed evaluations, median reported; default 9, at least 3).
// Progress goes to stderr; the last line printed is one JSON object with the results.
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const dist = (p) => import(pathToFileURL(join(REPO, 'control-plane/dist', p)).href);
const runs = Math.max(3, Number(process.env.BENCH_QUOTAS_TREE_RUNS ?? 9));
const log = (text) => process.stderr.write(`${text}\n`);
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const CITIES = 21;
const COUNTIES = 183;
const PROJECTS = 5000;
const CLOUDS = 20;

const [
  { PgliteStateStore },
  { allStateMigrations },
  { AuditLog },
  { OrgUnitService },
  { systemIdentity },
  tree,
  logger,
  policies,
  quotaPolicy,
] = await Promise.all([
  dist('store/state/index.js'),
  dist('modules.js'),
  dist('auth/audit.js'),
  dist('inventory/org-units.js'),
  dist('auth/identity.js'),
  dist('quotas/tree/service.js'),
  dist('logger.js'),
  dist('policies/index.js'),
  dist('quotas/policy.js'),
]);

// A simple pseudo-random sequence, so that every run builds the same province.
let seed = 11;
const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;

const t0 = performance.now();
const db = await PgliteStateStore.open();
await db.migrate(allStateMigrations());
const audit = new AuditLog(db, (id, tx) => orgUnits.pathOf(id, tx));
const orgUnits = new OrgUnitService(db, () => audit);
const ref = policies.policyRef('quotas.yaml', quotaPolicy.QuotasPolicy);
const policy = policies.PolicyStore.load(join(REPO, 'policies'), logger.createLogger('silent'), [ref]).get(
  ref,
);
const classes = policy.classes.map((c) => c.id);

// Org units: 四川省 → 21 cities → 183 counties (spread over the cities like Sichuan's).
const units = [{ id: 'sc', parent: null, level: 'province', name: '四川省', path: '/sc/' }];
const cities = [];
for (let i = 0; i < CITIES; i++) {
  const id = `c${i}`;
  cities.push({ id, parent: 'sc', level: 'city', name: `市${i}`, path: `/sc/${id}/`, counties: [] });
}
units.push(...cities);
const counties = [];
for (let j = 0; j < COUNTIES; j++) {
  const city = cities[j % CITIES];
  const id = `${city.id}-k${j}`;
  const county = { id, parent: city.id, level: 'county', name: `县${j}`, path: `${city.path}${id}/`, city };
  city.counties.push(county);
  counties.push(county);
}
units.push(...counties);
await db.query(
  `INSERT INTO org_units (id, parent_id, level, name, path)
   SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])`,
  [
    units.map((u) => u.id),
    units.map((u) => u.parent),
    units.map((u) => u.level),
    units.map((u) => u.name),
    units.map((u) => u.path),
  ],
);

// Clouds: the provincial cloud and 19 city clouds.
const clouds = [{ id: 'prov', owner: 'sc', tier: 'provincial' }];
for (let i = 0; i < CLOUDS - 1; i++)
  clouds.push({ id: `cloud-${cities[i].id}`, owner: cities[i].id, tier: 'city', city: cities[i] });
await db.query(
  `INSERT INTO clouds (id, org_unit_id, name, kind, tier)
   SELECT x.id, x.owner, x.id, 'kubernetes', x.tier FROM unnest($1::text[], $2::text[], $3::text[]) AS x(id, owner, tier)`,
  [clouds.map((c) => c.id), clouds.map((c) => c.owner), clouds.map((c) => c.tier)],
);

// Projects: 5,000 over the counties (a few in the cities themselves).
const projects = [];
for (let p = 0; p < PROJECTS; p++) {
  const unit = p % 10 === 0 ? cities[p % CITIES] : counties[p % COUNTIES];
  projects.push({ id: `p${p}`, unit });
}
await db.query(
  `INSERT INTO quota_projects (id, org_unit_id, name, external_name, created_by)
   SELECT x.id, x.unit, 'Project ' || x.id, 'ts-' || x.id, 'bench' FROM unnest($1::text[], $2::text[]) AS x(id, unit)`,
  [projects.map((p) => p.id), projects.map((p) => p.unit.id)],
);

// Quotas, usage and physical usage per project, cloud and class; org-unit quotas cover their children.
const pc = { cloud: [], project: [] };
const am = { cloud: [], project: [], cls: [], quota: [], used: [], physical: [] };
const unitSums = new Map(); // `${cloud}|${unit}|${class}` → sum of project quotas directly in the unit
for (const p of projects) {
  const city = p.unit.level === 'city' ? p.unit : p.unit.city;
  const on = ['prov'];
  const cityCloud = clouds.find((c) => c.city === city);
  if (cityCloud) on.push(cityCloud.id);
  for (const cloud of on) {
    pc.cloud.push(cloud);
    pc.project.push(p.id);
    for (const cls of classes) {
      const quota = 1 + Math.floor(rand() * 32);
      am.cloud.push(cloud);
      am.project.push(p.id);
      am.cls.push(cls);
      am.quota.push(quota);
      am.used.push(Math.floor(quota * rand()));
      am.physical.push(Math.floor(quota * rand() * 0.8));
      const key = `${cloud}|${p.unit.id}|${cls}`;
      unitSums.set(key, (unitSums.get(key) ?? 0) + quota);
    }
  }
}
await db.query(
  `INSERT INTO quota_project_clouds (cloud_id, project_id, version) SELECT x.c, x.p, 1 FROM unnest($1::text[], $2::text[]) AS x(c, p)`,
  [pc.cloud, pc.project],
);
await db.query(
  `INSERT INTO quota_project_amounts (cloud_id, project_id, class, quota, used, physical, limited)
   SELECT x.c, x.p, x.k, x.q, x.u, x.ph, true
     FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[], $5::float8[], $6::float8[]) AS x(c, p, k, q, u, ph)`,
  [am.cloud, am.project, am.cls, am.quota, am.used, am.physical],
);
const uq = { cloud: [], unit: [], cls: [], amount: [] };
for (const cloud of clouds) {
  const scope = cloud.id === 'prov' ? cities : [cloud.city];
  for (const city of scope) {
    for (const cls of classes) {
      let citySum = unitSums.get(`${cloud.id}|${city.id}|${cls}`) ?? 0;
      for (const county of city.counties) {
        const amount = Math.ceil((unitSums.get(`${cloud.id}|${county.id}|${cls}`) ?? 0) * 1.2);
        uq.cloud.push(cloud.id);
        uq.unit.push(county.id);
        uq.cls.push(cls);
        uq.amount.push(amount);
        citySum += amount;
      }
      uq.cloud.push(cloud.id);
      uq.unit.push(city.id);
      uq.cls.push(cls);
      uq.amount.push(Math.ceil(citySum * 1.1));
    }
  }
}
await db.query(
  `INSERT INTO quota_org_unit_quotas (cloud_id, org_unit_id, class, amount, updated_by)
   SELECT x.c, x.u, x.k, x.a, 'bench' FROM unnest($1::text[], $2::text[], $3::text[], $4::float8[]) AS x(c, u, k, a)`,
  [uq.cloud, uq.unit, uq.cls, uq.amount],
);
await db.query('ANALYZE');
const setupMillis = Math.round(performance.now() - t0);
log(
  `province: ${units.length} org units, ${clouds.length} clouds, ${projects.length} projects, ${am.quota.length} project amounts, ${uq.amount.length} org-unit quotas (${setupMillis} ms)`,
);

// The capacity (the clouds part's) of each cloud: enough for its owner's children; a fixed double.
const capacity = {
  capacity: (cloudId) =>
    Promise.resolve({
      cloudId,
      capacity: {},
      overcommit: {},
      allocatable: Object.fromEntries(classes.map((c) => [c, 1e9])),
    }),
  connection: () => Promise.resolve(undefined),
  managedClouds: () => Promise.resolve([]),
};
const deps = { db, audit, orgUnits, log: logger.createLogger('silent') };
const svc = new tree.QuotaTree(deps, { policy: () => policy, clouds: capacity });
const province = {
  ...systemIdentity(),
  kind: 'user',
  id: 'bench',
  name: 'bench',
  orgUnitId: 'sc',
  orgUnitPath: '/sc/',
};

async function timed(label, fn) {
  await fn();
  await fn();
  const times = [];
  let last;
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    last = await fn();
    times.push(performance.now() - s);
  }
  const m = Math.round(median(times) * 10) / 10;
  log(
    `${label}: median ${m} ms of ${runs} (min ${Math.round(Math.min(...times))}, max ${Math.round(Math.max(...times))})`,
  );
  return { millis: m, result: last };
}

const all = await timed('tree, every cloud, as the province', () => svc.tree(province));
const count = (n) => 1 + n.children.reduce((s, c) => s + count(c), 0);
const nodes = count(all.result.root);
if (all.result.clouds.length !== CLOUDS)
  throw new Error(`the tree saw ${all.result.clouds.length} clouds, not ${CLOUDS}`);
if (nodes !== units.length + PROJECTS)
  throw new Error(`the tree has ${nodes} nodes, not ${units.length + PROJECTS}`);
const one = await timed('tree, the provincial cloud', () => svc.tree(province, { cloudId: 'prov' }));
const json = await timed(
  'tree, every cloud, as JSON',
  async () => JSON.stringify(await svc.tree(province)).length,
);
await db.close();

const result = {
  quotaTreeMillis: all.millis,
  projects: PROJECTS,
  clouds: CLOUDS,
  orgUnits: units.length,
  nodes,
  quotaTreeOneCloudMillis: one.millis,
  quotaTreeJsonMillis: json.millis,
  quotaTreeJsonBytes: json.result,
  setupMillis,
  runs,
  goalMillis: 100,
};
console.log(JSON.stringify(result));
