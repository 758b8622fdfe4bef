import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { quotasRef } from '../../control-plane/src/quotas/index.js';
import { idleSamples } from '../../control-plane/src/quotas/review/testing.js';
import {
  ADMIN_PASSWORD,
  login,
  REPO,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../support/control-plane.js';

/**
 * The utilisation review end to end on the real control plane (PGlite + chDB, every quota part):
 * 成都市's manual cloud with capacity, quotas for 锦江区 and 双流区, projects given quota through
 * auto-approved requests, then 30 days of usage samples written with past timestamps through the
 * review's `recordSamples` (the sampler's own path; no test can wait a month). The review proposes
 * reclaiming the idle part with its evidence and raises `quota-reclaim-proposed` for the project's
 * unit; 锦江区's owner declines one with a reason and it stays declined; another is applied once its
 * grace period (seconds, in a copy of the policies) is over and the project's quota is lowered in the
 * tree; 双流区 can neither see nor decline 锦江区's (404). Showback and the scorecard read the same
 * samples.
 */

const CLOUD = 'cd-review-cloud';
const GRACE_SECONDS = 3;
let t: TestControlPlane;
let admin: Session;
let cityAdmin: Session;
let jj: Session;
let sl: Session;
let work: string;
const paths: Record<string, string> = {};

async function json<T>(res: Response, status = 200): Promise<T> {
  expect(res.status, await res.clone().text()).toBe(status);
  return (await res.json()) as T;
}

async function userSession(username: string, orgUnitId: string, roles: string[]): Promise<Session> {
  const res = await admin.send('POST', '/api/v1/users', {
    username,
    displayName: username,
    password: `${username}-password-1`,
    roles,
    orgUnitId,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return login(t.request, username, `${username}-password-1`);
}

interface Reclaim {
  id: string;
  projectId: string;
  orgUnitId: string;
  status: string;
  amounts: Record<string, number>;
  applied: Record<string, number> | null;
  applyAfter: string;
  reason: string | null;
  evidence: {
    windowDays: number;
    peakUsed: Record<string, number>;
    quota: Record<string, number>;
    keep: Record<string, number>;
  };
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'tianshu-review-it-'));
  const policiesDir = join(work, 'policies');
  cpSync(join(REPO, 'policies'), policiesDir, { recursive: true });
  const yaml = readFileSync(join(policiesDir, 'quotas.yaml'), 'utf8').replace(
    /graceDays: [\d.]+/,
    `graceDays: ${GRACE_SECONDS / 86_400}`,
  );
  expect(yaml).toContain(`graceDays: ${GRACE_SECONDS / 86_400}`);
  writeFileSync(join(policiesDir, 'quotas.yaml'), yaml);
  t = await startTestControlPlane({ overrides: { policiesDir } });
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  for (const u of ['sc-cd', 'sc-cd-jj', 'sc-cd-sl']) {
    paths[u] = (await t.cp.services.modules.use(quotasRef).review.d.orgUnits.pathOf(u))!;
  }
  cityAdmin = await userSession('cd-cloud-admin', 'sc-cd', ['cloud-admin']);
  jj = await userSession('jj-applicant', 'sc-cd-jj', ['applicant']);
  sl = await userSession('sl-applicant', 'sc-cd-sl', ['applicant']);

  // 成都市's manual cloud (an admin confirms allocations) with entered capacity.
  const created = await admin.send('POST', '/api/v1/inventory/clouds', {
    id: CLOUD,
    orgUnitId: 'sc-cd',
    name: '成都市政务云（审核）',
    kind: 'manual',
    tier: 'city',
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const cap = await cityAdmin.send('PUT', `/api/v1/quotas/clouds/${CLOUD}/capacity`, {
    classes: { vcpu: { capacity: 500 }, memory: { capacity: 2000 } },
  });
  expect(cap.status, await cap.clone().text()).toBeLessThan(300);
  for (const unit of ['sc-cd-jj', 'sc-cd-sl']) {
    const q = await cityAdmin.send('PUT', '/api/v1/quotas/org-unit-quotas', {
      cloudId: CLOUD,
      orgUnitId: unit,
      amounts: { vcpu: 100, memory: 400 },
    });
    expect(q.status, await q.clone().text()).toBeLessThan(300);
  }
  // Projects with quota: requests under the auto-approval threshold (16 × 45 + 32 × 20 = 1,360 CNY).
  for (const [who, unit, id] of [
    [jj, 'sc-cd-jj', 'jj-portal'],
    [jj, 'sc-cd-jj', 'jj-archive'],
    [sl, 'sc-cd-sl', 'sl-portal'],
  ] as const) {
    const res = await who.send('POST', '/api/v1/quotas/requests', {
      cloudId: CLOUD,
      newProject: { id, name: `${unit} ${id}` },
      amounts: { vcpu: 16, memory: 32 },
      justification: 'review integration test',
      durationDays: 365,
    });
    expect(res.status, await res.clone().text()).toBeLessThan(300);
  }
  const quotas = t.cp.services.modules.use(quotasRef);
  const projects = await quotas.tree.projectsOf(CLOUD);
  expect(projects.map((p) => [p.projectId, p.quota.vcpu]).sort()).toEqual([
    ['jj-archive', 16],
    ['jj-portal', 16],
    ['sl-portal', 16],
  ]);
  // 30 days of usage: the two 锦江区 projects idle (2 vCPU, 4 GiB of 16/32), 双流区's busy (14 vCPU).
  const now = Date.now();
  const sample = (projectId: string, unit: string, used: Record<string, number>) =>
    idleSamples({
      cloudId: CLOUD,
      projectId,
      orgUnitId: unit,
      orgPath: paths[unit]!,
      quota: { vcpu: 16, memory: 32 },
      used,
      days: 30,
      everyMinutes: 60,
      endMs: now,
    });
  await quotas.review.recordSamples([
    ...sample('jj-portal', 'sc-cd-jj', { vcpu: 2, memory: 4 }),
    ...sample('jj-archive', 'sc-cd-jj', { vcpu: 1, memory: 2 }),
    ...sample('sl-portal', 'sc-cd-sl', { vcpu: 14, memory: 30 }),
  ]);
}, 240_000);

afterAll(async () => {
  await t?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('utilisation review and reclaim', () => {
  let portal: Reclaim;
  let archive: Reclaim;

  it('proposes reclaiming the idle part with its evidence and tells the owner', async () => {
    const run = await json<{ proposed: number; judged: number; errors: unknown[] }>(
      await cityAdmin.send('POST', '/api/v1/quotas/review/run'),
    );
    expect(run).toMatchObject({ proposed: 2, judged: 3, errors: [] });
    const mine = await json<{ items: Reclaim[] }>(await jj.get('/api/v1/quotas/reclaims?status=proposed'));
    expect(mine.items.map((r) => r.projectId).sort()).toEqual(['jj-archive', 'jj-portal']);
    portal = mine.items.find((r) => r.projectId === 'jj-portal')!;
    archive = mine.items.find((r) => r.projectId === 'jj-archive')!;
    // keep = ceil(2 × 1.2) = 3 vCPU and ceil(4 × 1.2) = 5 GiB → reclaim 13 vCPU, 27 GiB.
    expect(portal.amounts).toEqual({ vcpu: 13, memory: 27 });
    expect(portal.evidence).toMatchObject({
      windowDays: 30,
      peakUsed: { vcpu: 2, memory: 4 },
      quota: { vcpu: 16, memory: 32 },
      keep: { vcpu: 3, memory: 5 },
    });
    expect(archive.amounts).toEqual({ vcpu: 14, memory: 29 });
    const alarms = await json<{ items: Array<{ kind: string; orgUnitId: string; targetId: string }> }>(
      await admin.get('/api/v1/alarms?kind=quota-reclaim-proposed&orgUnitId=sc-cd-jj'),
    );
    expect(alarms.items.map((a) => a.targetId).sort()).toEqual([archive.id, portal.id].sort());
    expect(alarms.items.every((a) => a.orgUnitId === 'sc-cd-jj')).toBe(true);
    // The overview counts them for the city.
    const overview = await json<{ modules: { quotas?: { reclaimable?: number } } }>(
      await cityAdmin.get('/api/v1/overview'),
    );
    expect(overview.modules.quotas?.reclaimable).toBe(2);
  });

  it('another county can neither see nor decline it (404, like absent)', async () => {
    expect((await json<{ items: Reclaim[] }>(await sl.get('/api/v1/quotas/reclaims'))).items).toEqual([]);
    expect((await sl.get(`/api/v1/quotas/reclaims/${portal.id}`)).status).toBe(404);
    const res = await sl.send('POST', `/api/v1/quotas/reclaims/${portal.id}/decline`, { reason: 'not ours' });
    expect(res.status).toBe(404);
    // (Applicants read no alarms; 双流区's unit has none of these.)
    const theirs = await json<{ items: unknown[] }>(
      await admin.get('/api/v1/alarms?kind=quota-reclaim-proposed&orgUnitId=sc-cd-sl'),
    );
    expect(theirs.items).toEqual([]);
  });

  it('the owner declines with a reason; it stays declined', async () => {
    const noReason = await jj.send('POST', `/api/v1/quotas/reclaims/${portal.id}/decline`, { reason: '' });
    expect(noReason.status).toBe(400);
    const declined = await json<Reclaim>(
      await jj.send('POST', `/api/v1/quotas/reclaims/${portal.id}/decline`, {
        reason: '门户改版后访问量将回升',
      }),
    );
    expect(declined).toMatchObject({ status: 'declined', reason: '门户改版后访问量将回升' });
    const again = await json<{ proposed: number; declinedRecently: number }>(
      await cityAdmin.send('POST', '/api/v1/quotas/review/run'),
    );
    expect(again).toMatchObject({ proposed: 0, declinedRecently: 1 });
    const list = await json<{ items: Reclaim[] }>(await jj.get('/api/v1/quotas/reclaims?status=declined'));
    expect(list.items.map((r) => r.id)).toEqual([portal.id]);
  });

  it('another is applied after its grace period and the project’s quota is lowered', async () => {
    const quotas = t.cp.services.modules.use(quotasRef);
    const wait = Date.parse(archive.applyAfter) - Date.now();
    expect(wait).toBeLessThanOrEqual(GRACE_SECONDS * 1000);
    if (wait > 0) await new Promise((r) => setTimeout(r, wait + 200));
    const due = await quotas.review.applyDue();
    expect(due).toMatchObject({ applied: 1, failed: 0 });
    const applied = await json<Reclaim>(await jj.get(`/api/v1/quotas/reclaims/${archive.id}`));
    expect(applied).toMatchObject({ status: 'applied', applied: { vcpu: 14, memory: 29 } });
    const projects = await quotas.tree.projectsOf(CLOUD);
    expect(projects.find((p) => p.projectId === 'jj-archive')!.quota).toMatchObject({ vcpu: 2, memory: 3 });
    // The declined one kept its quota.
    expect(projects.find((p) => p.projectId === 'jj-portal')!.quota).toMatchObject({ vcpu: 16, memory: 32 });
    const firing = await json<{ items: Array<{ targetId: string }> }>(
      await admin.get('/api/v1/alarms?kind=quota-reclaim-proposed&orgUnitId=sc-cd-jj'),
    );
    expect(firing.items).toEqual([]);
    const audit = await t.cp.services.db.query<{ action: string; outcome: string }>(
      `SELECT action, outcome FROM audit_log WHERE target_id = $1 ORDER BY id`,
      [archive.id],
    );
    expect(audit.rows.map((r) => r.action)).toEqual(['quota.reclaim.propose', 'quota.reclaim.apply']);
  });
});

describe('showback and scorecards', () => {
  it('showback sums the month per unit subtree and exports CSV', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const s = await json<{
      items: Array<{
        orgUnitId: string;
        byClass: Record<string, { quota: number; cost: number }>;
        total: number;
      }>;
    }>(await cityAdmin.get(`/api/v1/quotas/showback?month=${month}`));
    expect(s.items[0]!.orgUnitId).toBe('sc-cd');
    const jjItem = s.items.find((i) => i.orgUnitId === 'sc-cd-jj')!;
    const slItem = s.items.find((i) => i.orgUnitId === 'sc-cd-sl')!;
    expect(jjItem.byClass.vcpu!.quota).toBeGreaterThan(0);
    expect(s.items[0]!.total).toBeCloseTo(jjItem.total + slItem.total, 1);
    const csv = await cityAdmin.get(`/api/v1/quotas/showback?month=${month}&format=csv`);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await csv.text();
    expect(text.split('\r\n')[0]).toBe('month,orgUnitId,name,class,quota,used,cost');
    expect(text).toContain(`${month},sc-cd-jj,`);
    expect((await sl.get(`/api/v1/quotas/showback?orgUnit=sc-cd-jj`)).status).toBe(404);
  });

  it('the city sees its cloud’s scorecard; a county sees none', async () => {
    const s = await json<{
      items: Array<{ cloudId: string; utilisation: Record<string, number>; score: number | null }>;
    }>(await cityAdmin.get('/api/v1/quotas/scorecards'));
    const card = s.items.find((c) => c.cloudId === CLOUD)!;
    expect(card.utilisation.vcpu).toBeGreaterThan(0);
    expect(card.score).not.toBeNull();
    const county = await json<{ items: unknown[] }>(await jj.get('/api/v1/quotas/scorecards'));
    expect(county.items).toEqual([]);
  });
});
