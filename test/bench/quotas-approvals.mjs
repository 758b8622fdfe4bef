#!/usr/bin/env node
// The approvals part of bench:quotas: 1,000 pending quota requests approved concurrently by 10
// clients on PGlite, then the quota invariants checked over the whole tree.
//
// Runs the built control plane (`npm run build` first) in this process on embedded stores (PGlite,
// chDB) in a temporary directory, with the demo province and the shipped policies/quotas.yaml. Setup
// (not timed) goes through the HTTP API as the province's admin: the provincial cloud's capacity,
// and an org-unit quota on it for each of the three cities that covers 95 % of what their counties
// ask for (so the last approvals of each city are refused by the ledger: the contention is real).
// Then 1,000 requests are applied through the requests service by the counties' applicants (50 vCPU
// and 100 GiB each for a new project: 4,250 CNY a month, the city's step; not timed). Timed: 10
// clients — ten distinct province-level cloud admins — take request ids from one shuffled queue and
// approve each through the service (`QuotaRequests.approve`, the code behind POST
// /requests/{id}/approve: locking, the ledger's allocation in the approving transaction, timeline,
// audit, alarms), at most 10 approvals in flight. `approvalsPerSecond` counts the approvals that
// allocated; `decisionsPerSecond` all answers (the ledger's refusals too). Afterwards the invariants
// are counted by query over the whole tree of every cloud: a unit or project whose children's quotas
// add up to more than its own, an owner's total above the cloud's allocatable, and requests approved
// whose allocation is not in the ledger. Knobs: BENCH_QUOTA_REQUESTS (1000), BENCH_QUOTA_CLIENTS (10).
// The last line printed is one JSON object:
// {"approvalsPerSecond":n,"invariantViolations":n,"requests":1000,"clients":10,…}
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const env = (name, dflt) => Number(process.env[name] ?? dflt);
const REQUESTS = env('BENCH_QUOTA_REQUESTS', 1000);
const CLIENTS = env('BENCH_QUOTA_CLIENTS', 10);
const PASSWORD = 'bench-admin-password';
const CLOUD = 'sc-gov-cloud';
const COUNTIES = {
  'sc-cd': ['sc-cd-jj', 'sc-cd-sl'],
  'sc-my': ['sc-my-fc', 'sc-my-az'],
  'sc-lz': ['sc-lz-jy'],
};
const ASK = { vcpu: 50, memory: 100 };
/** Bounds of the timed loop. */
const MAX_SECONDS = 600;

const dist = (p) => import(pathToFileURL(join(REPO, 'control-plane/dist', p)).href);

async function main() {
  const [
    { loadConfig },
    { createControlPlane },
    { createLogger },
    { quotasRef },
    { PolicyStore, ROLES_POLICY },
  ] = await Promise.all([
    dist('config.js'),
    dist('server.js'),
    dist('logger.js'),
    dist('quotas/module.js'),
    dist('policies/index.js'),
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), 'tianshu-bench-approvals-'));
  const config = loadConfig({
    env: {},
    overrides: {
      host: '127.0.0.1',
      port: 0,
      dataDir,
      adminPassword: PASSWORD,
      policiesDir: join(REPO, 'policies'),
      inventoryFile: join(REPO, 'control-plane/inventory/demo-province.yaml'),
      snmpCredentialsFile: join(REPO, 'control-plane/inventory/demo-snmp-credentials.yaml'),
      logLevel: 'silent',
    },
  });
  const cp = await createControlPlane({ config, log: createLogger('silent') });
  try {
    const request = (path, init) => cp.built.app.request(path, init);
    const login = await request('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: PASSWORD }),
    });
    if (login.status !== 200) throw new Error(`login failed: ${login.status} ${await login.text()}`);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    const { csrfToken } = await login.json();
    const send = async (method, path, body) => {
      const res = await request(path, {
        method,
        headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };

    // Setup: capacity, and each city's quota for 95 % of what its counties will ask.
    const perCounty = Math.ceil(REQUESTS / 5);
    await send('PUT', `/api/v1/quotas/clouds/${CLOUD}/capacity`, {
      classes: { vcpu: { capacity: REQUESTS * ASK.vcpu }, memory: { capacity: REQUESTS * ASK.memory * 2 } },
    });
    const plan = [];
    for (const [city, counties] of Object.entries(COUNTIES)) {
      const n = counties.length * perCounty;
      await send('PUT', '/api/v1/quotas/org-unit-quotas', {
        cloudId: CLOUD,
        orgUnitId: city,
        amounts: { vcpu: Math.floor(n * 0.95) * ASK.vcpu, memory: Math.floor(n * 0.95) * ASK.memory },
      });
      for (const c of counties) plan.push(c);
    }

    const quotas = cp.services.modules.use(quotasRef);
    const roles = PolicyStore.load(join(REPO, 'policies'), createLogger('silent'), [ROLES_POLICY]).get(
      ROLES_POLICY,
    ).roles;
    const paths = new Map(
      (await cp.services.db.query('SELECT id, path FROM org_units')).rows.map((r) => [r.id, r.path]),
    );
    const identity = (role, id, orgUnitId) => ({
      kind: 'user',
      id,
      name: id,
      userId: id,
      roles: [role],
      permissions: new Set(roles[role].permissions),
      orgUnitId,
      orgUnitPath: paths.get(orgUnitId),
    });

    const t0 = performance.now();
    const ids = [];
    for (let i = 0; i < REQUESTS; i++) {
      const county = plan[i % plan.length];
      const r = await quotas.requests.apply(identity('applicant', `applicant-${county}`, county), {
        cloudId: CLOUD,
        newProject: { id: `bench-${i}`, name: `bench project ${i}` },
        amounts: ASK,
        justification: 'bench',
        durationDays: 365,
      });
      if (r.status !== 'pending') throw new Error(`request ${i} is ${r.status}, expected pending`);
      ids.push(r.id);
    }
    const applySeconds = (performance.now() - t0) / 1000;
    console.log(
      JSON.stringify({ part: 'approvals', applied: ids.length, applySeconds: round(applySeconds) }),
    );

    // Shuffled (deterministically) so that the clients' approvals hit every city's quota at once.
    let seed = 42;
    const rand = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    for (let i = ids.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [ids[i], ids[j]] = [ids[j], ids[i]];
    }
    const queue = [...ids];
    const outcome = { approved: 0, refused: {}, errors: 0 };
    const deadline = performance.now() + MAX_SECONDS * 1000;
    const client = async (k) => {
      const me = identity('cloud-admin', `approver-${k}`, 'sc');
      for (let id = queue.shift(); id && performance.now() < deadline; id = queue.shift()) {
        try {
          const r = await quotas.requests.approve(me, id);
          if (r.status === 'approved' || r.status === 'enforced') outcome.approved++;
        } catch (err) {
          const code = err?.code ?? 'error';
          if (typeof err?.status === 'number' && err.status < 500)
            outcome.refused[code] = (outcome.refused[code] ?? 0) + 1;
          else {
            outcome.errors++;
            console.error(err);
          }
        }
      }
    };
    const t1 = performance.now();
    await Promise.all(Array.from({ length: CLIENTS }, (_, k) => client(k)));
    const seconds = (performance.now() - t1) / 1000;
    const decided =
      outcome.approved + Object.values(outcome.refused).reduce((a, b) => a + b, 0) + outcome.errors;

    const v = await violations(cp.services.db, quotas.tree);
    const result = {
      approvalsPerSecond: round(outcome.approved / seconds),
      invariantViolations: v.total,
      requests: REQUESTS,
      clients: CLIENTS,
      through: 'service (QuotaRequests.approve)',
      approved: outcome.approved,
      refused: outcome.refused,
      errors: outcome.errors,
      undecided: REQUESTS - decided,
      decisionsPerSecond: round(decided / seconds),
      approveSeconds: round(seconds),
      violations: v.byKind,
    };
    console.log(JSON.stringify(result));
  } finally {
    await cp.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function round(n) {
  return Math.round(n * 10) / 10;
}

/**
 * Invariant violations over every cloud's tree, counted by query (see the file's head):
 * - childrenAboveParent: an org unit holding a quota on a cloud whose children — the units below it
 *   whose nearest quota-holding ancestor it is, and the projects whose nearest quota-holding unit
 *   (their own or an ancestor) it is — hold more of a class than it does;
 * - aboveAllocatable: the tree's own check (QuotaTree.violations) at the top: the owner's total
 *   above capacity × overcommit;
 * - ledgerMismatch: a project whose quota differs from the sum of its approved requests (nothing
 *   else allocates in this bench: a lost or doubled allocation shows here).
 */
async function violations(db, tree) {
  const byKind = {};
  const children = await db.query(`
    WITH holders AS (
      SELECT q.cloud_id, q.class, q.org_unit_id, o.path, q.amount::float8 AS amount
        FROM quota_org_unit_quotas q JOIN org_units o ON o.id = q.org_unit_id
    ), unit_children AS (
      SELECT h.cloud_id, h.class, h.amount,
             (SELECT p.org_unit_id FROM holders p
               WHERE p.cloud_id = h.cloud_id AND p.class = h.class AND p.path <> h.path AND starts_with(h.path, p.path)
               ORDER BY length(p.path) DESC LIMIT 1) AS parent
        FROM holders h
    ), project_children AS (
      SELECT a.cloud_id, a.class, a.quota::float8 AS amount,
             (SELECT p.org_unit_id FROM holders p
               WHERE p.cloud_id = a.cloud_id AND p.class = a.class AND starts_with(o.path, p.path)
               ORDER BY length(p.path) DESC LIMIT 1) AS parent
        FROM quota_project_amounts a
        JOIN quota_projects pr ON pr.id = a.project_id
        JOIN org_units o ON o.id = pr.org_unit_id
    ), sums AS (
      SELECT cloud_id, class, parent, sum(amount) AS total
        FROM (SELECT * FROM unit_children UNION ALL SELECT * FROM project_children) c
       WHERE parent IS NOT NULL GROUP BY cloud_id, class, parent
    )
    SELECT count(*)::int AS n FROM sums s
      JOIN holders h ON h.cloud_id = s.cloud_id AND h.class = s.class AND h.org_unit_id = s.parent
     WHERE s.total > h.amount + 1e-9`);
  byKind.childrenAboveParent = Number(children.rows[0]?.n ?? 0);
  const clouds = (await db.query('SELECT DISTINCT cloud_id FROM quota_project_clouds')).rows.map(
    (r) => r.cloud_id,
  );
  let top = 0;
  for (const c of clouds) top += (await tree.violations(c)).filter((v) => v.unitId === null).length;
  byKind.aboveAllocatable = top;
  const mismatch = await db.query(`
    WITH asked AS (
      SELECT r.cloud_id, r.project_id, e.key AS class, sum(e.value::float8) AS amount
        FROM quota_requests r, jsonb_each_text(r.amounts) e
       WHERE r.status IN ('approved', 'enforced') GROUP BY 1, 2, 3
    )
    SELECT count(*)::int AS n FROM quota_project_amounts a
      FULL JOIN asked x ON x.cloud_id = a.cloud_id AND x.project_id = a.project_id AND x.class = a.class
     WHERE coalesce(a.quota::float8, 0) <> coalesce(x.amount, 0)`);
  byKind.ledgerMismatch = Number(mismatch.rows[0]?.n ?? 0);
  const total = Object.values(byKind).reduce((a, b) => a + b, 0);
  return { total, byKind };
}

await main();
