import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlarmCondition, AlarmSink } from '../../alerting/types.js';
import type { Identity } from '../../auth/identity.js';
import { openTestInventory, type TestInventory } from '../../inventory/testing.js';
import { createLogger } from '../../logger.js';
import type { ModuleDeps } from '../../modules/contract.js';
import { Metrics } from '../../observability/metrics.js';
import { PolicyStore } from '../../policies/index.js';
import { ChdbTelemetryStore } from '../../store/telemetry/chdb.js';
import { QUOTAS_POLICY } from '../module.js';
import type { QuotasPolicy } from '../policy.js';
import type { QuotaReconciler } from '../reconcile/service.js';
import type { QuotaRequests } from '../requests/service.js';
import type { CloudDirectory } from '../types.js';
import { QuotaReview } from './service.js';
import { QUOTAS_TELEMETRY_MIGRATIONS } from './telemetry-schema.js';
import { FakeLedger, idleSamples } from './testing.js';

/**
 * The review part on the real stores — PGlite (state) and chDB (telemetry, the review's SQL) — with
 * test doubles beside them for the other parts: the quota tree (`FakeLedger`), the clouds directory,
 * the reconciler's history, the requests' fulfilment and the alarm sink (each records its calls).
 */

const POLICIES_DIR = fileURLToPath(new URL('../../../../policies', import.meta.url));
const DAY = 86_400_000;
const CLOUD = 'sc-gov-cloud';
const AGENT = '6f1c1a5e-8a53-4a3e-9d55-0a1b2c3d4e5f';

let inv: TestInventory;
let telemetry: ChdbTelemetryStore;
let dataDir: string;
let review: QuotaReview;
let policy: QuotasPolicy;
const ledger = new FakeLedger();
let now = Date.UTC(2026, 2, 31, 12); // 31 March 2026, 12:00 UTC
const fired: AlarmCondition[] = [];
const resolved: string[] = [];
const kicked: string[] = [];
const paths: Record<string, string> = {};

const alarms: AlarmSink = {
  fire: (c) => {
    fired.push(c);
    return Promise.resolve();
  },
  resolve: (_kind, _type, id) => {
    resolved.push(id);
    return Promise.resolve();
  },
};

async function as(role: string, unit: string): Promise<Identity> {
  return inv.as(role, unit);
}

beforeAll(async () => {
  inv = await openTestInventory();
  dataDir = mkdtempSync(join(tmpdir(), 'tianshu-review-'));
  telemetry = new ChdbTelemetryStore({ dataDir });
  await telemetry.migrate(QUOTAS_TELEMETRY_MIGRATIONS);
  const log = createLogger('silent');
  const base = PolicyStore.load(POLICIES_DIR, log, [QUOTAS_POLICY]).get(QUOTAS_POLICY);
  policy = { ...base, review: { windowDays: 30, idleThreshold: 0.3, headroom: 0.2, graceDays: 7 } };
  for (const u of ['sc', 'sc-cd', 'sc-cd-jj', 'sc-cd-sl', 'sc-my'])
    paths[u] = (await inv.orgUnits.pathOf(u))!;
  await inv.db.query(
    `INSERT INTO clouds (id, org_unit_id, name, kind, tier) VALUES ($1, 'sc', '四川省政务云', 'kubernetes', 'provincial')`,
    [CLOUD],
  );
  await inv.db.query(
    `INSERT INTO agents (id, hostname, roles, org_unit_id, version, credential_hash)
     VALUES ($1, 'web-1', '{host}', 'sc-cd-jj', '0.1.0', 'x')`,
    [AGENT],
  );
  await inv.db.query(
    `INSERT INTO hosts (id, cloud_id, org_unit_id, hostname, agent_id) VALUES
       ('jj-web-1', $1, 'sc-cd-jj', 'web-1.example', $2), ('jj-web-2', NULL, 'sc-cd-jj', 'web-2.example', NULL),
       ('sl-web-1', $1, 'sc-cd-sl', 'sl-web-1.example', NULL)`,
    [CLOUD, AGENT],
  );
  const clouds: CloudDirectory = {
    capacity: () => Promise.resolve(undefined),
    connection: () => Promise.resolve(undefined),
    managedClouds: () =>
      Promise.resolve([{ cloudId: CLOUD, kind: 'manual', orgUnitId: 'sc', orgPath: paths.sc! }]),
  };
  const sync = {
    kick: (id: string) => kicked.push(id),
    history: () => Promise.resolve({ passes: 100, failedPasses: 5, drift: 2, errors: 3 }),
  } as unknown as QuotaReconciler;
  const requests = {
    fulfilment: () => Promise.resolve({ count: 4, medianHours: 12 }),
  } as unknown as QuotaRequests;
  const d = {
    db: inv.db,
    telemetry,
    audit: inv.audit,
    orgUnits: inv.orgUnits,
    inventory: inv.inventory,
    metrics: new Metrics(),
    log,
  } as unknown as ModuleDeps;
  review = new QuotaReview(d, {
    policy: () => policy,
    clouds,
    ledger,
    sync,
    requests,
    adapters: {} as never,
    now: () => now,
    alarms,
  });
  const project = async (
    projectId: string,
    unit: string,
    quota: Record<string, number>,
    used: Record<string, number>,
  ) => {
    ledger.add(CLOUD, { projectId, orgUnitId: unit, orgPath: paths[unit]!, quota, used });
    // The tree's project row (the hosts routes look the project up there).
    await inv.db.query(
      `INSERT INTO quota_projects (id, org_unit_id, name, external_name, created_by) VALUES ($1, $2, $1, $3, 'test')`,
      [projectId, unit, `ts-${projectId}`],
    );
  };
  await project('jj-idle', 'sc-cd-jj', { vcpu: 16, memory: 64 }, { vcpu: 2, memory: 8 });
  await project('jj-busy', 'sc-cd-jj', { vcpu: 8 }, { vcpu: 6 });
  await project('jj-young', 'sc-cd-jj', { vcpu: 32 }, { vcpu: 0 });
  await project('jj-holes', 'sc-cd-jj', { vcpu: 40 }, { vcpu: 0 });
  await project('sl-idle', 'sc-cd-sl', { vcpu: 10, memory: 20 }, { vcpu: 1, memory: 2 });
  const samples = [
    ...idleSamples({
      cloudId: CLOUD,
      projectId: 'jj-idle',
      orgUnitId: 'sc-cd-jj',
      orgPath: paths['sc-cd-jj']!,
      quota: { vcpu: 16, memory: 64 },
      used: { vcpu: 3, memory: 10 },
      physical: { vcpu: 1.5 },
      days: 30,
      everyMinutes: 60,
      endMs: now,
    }),
    ...idleSamples({
      cloudId: CLOUD,
      projectId: 'jj-busy',
      orgUnitId: 'sc-cd-jj',
      orgPath: paths['sc-cd-jj']!,
      quota: { vcpu: 8 },
      used: { vcpu: 6 },
      days: 30,
      everyMinutes: 60,
      endMs: now,
    }),
    ...idleSamples({
      cloudId: CLOUD,
      projectId: 'jj-young',
      orgUnitId: 'sc-cd-jj',
      orgPath: paths['sc-cd-jj']!,
      quota: { vcpu: 32 },
      used: {},
      days: 5,
      everyMinutes: 60,
      endMs: now,
    }),
    ...idleSamples({
      cloudId: CLOUD,
      projectId: 'sl-idle',
      orgUnitId: 'sc-cd-sl',
      orgPath: paths['sc-cd-sl']!,
      quota: { vcpu: 10, memory: 20 },
      used: { vcpu: 1, memory: 2 },
      days: 30,
      everyMinutes: 60,
      endMs: now,
    }),
  ];
  // Idle too, but nothing was sampled for 3 days in the middle of the window: not judged.
  const holes = idleSamples({
    cloudId: CLOUD,
    projectId: 'jj-holes',
    orgUnitId: 'sc-cd-jj',
    orgPath: paths['sc-cd-jj']!,
    quota: { vcpu: 40 },
    used: {},
    days: 30,
    everyMinutes: 60,
    endMs: now,
  }).filter((x) => x.ts < now - 17 * DAY || x.ts > now - 14 * DAY);
  await review.recordSamples([...samples, ...holes]);
}, 120_000);

afterAll(async () => {
  await telemetry?.close();
  await inv?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('usage history', () => {
  it('refuses a bad sample with the reason and writes nothing of the batch', async () => {
    const before = await telemetry.query<{ n: string }>('SELECT count() AS n FROM quota_usage');
    const good = idleSamples({
      cloudId: CLOUD,
      projectId: 'x',
      orgUnitId: 'sc',
      orgPath: paths.sc!,
      quota: { vcpu: 1 },
      used: {},
      days: 0,
      endMs: now,
    });
    await expect(review.recordSamples([...good, { ...good[0]!, used: -1 }])).rejects.toThrow(
      /usage sample \d+: used must be a finite number ≥ 0/,
    );
    await expect(review.recordSamples([{ ...good[0]!, class: '' }])).rejects.toThrow(/class is required/);
    const after = await telemetry.query<{ n: string }>('SELECT count() AS n FROM quota_usage');
    expect(after[0]!.n).toBe(before[0]!.n);
  });
});

describe('review', () => {
  let jjId: string;
  let slId: string;

  it('proposes reclaiming idle quota with its evidence, and judges no project younger than the window', async () => {
    const r = await review.review(inv.system);
    expect(r).toMatchObject({ clouds: 1, judged: 3, notJudged: 2, proposed: 2, cancelled: 0, errors: [] });
    const list = await review.list(await as('cloud-admin', 'sc'), { status: 'proposed' });
    expect(list.items.map((x) => x.projectId).sort()).toEqual(['jj-idle', 'sl-idle']);
    const jj = list.items.find((x) => x.projectId === 'jj-idle')!;
    jjId = jj.id;
    slId = list.items.find((x) => x.projectId === 'sl-idle')!.id;
    // vcpu: peak max(3 used, 1.5 physical) = 3 < 4.8 → keep ceil(3.6) = 4 → 12; memory: peak 10 < 19.2 → keep 12 → 52.
    expect(jj.amounts).toEqual({ vcpu: 12, memory: 52 });
    expect(jj.evidence).toMatchObject({
      windowDays: 30,
      peakUsed: { vcpu: 3, memory: 10 },
      peakPhysical: { vcpu: 1.5 },
      quota: { vcpu: 16, memory: 64 },
      used: { vcpu: 2, memory: 8 },
      keep: { vcpu: 4, memory: 12 },
    });
    expect(jj.evidence.samples.vcpu).toBeGreaterThan(700);
    expect(new Date(jj.applyAfter).getTime() - new Date(jj.proposedAt).getTime()).toBe(7 * DAY);
    const alarm = fired.find((a) => a.targetId === jjId)!;
    expect(alarm).toMatchObject({
      kind: 'quota-reclaim-proposed',
      orgUnitId: 'sc-cd-jj',
      targetType: 'quota-reclaim',
    });
    const actions = (await inv.auditActions()).map((a) => a.action);
    expect(actions.filter((a) => a === 'quota.reclaim.propose')).toHaveLength(2);
    expect(actions).toContain('quota.review.run');
  });

  it('keeps one open proposal per project and cloud', async () => {
    const r = await review.review(inv.system);
    expect(r.proposed).toBe(0);
    const list = await review.list(inv.system, {});
    expect(list.items).toHaveLength(2);
  });

  it('scopes proposals: another county sees none and cannot decline (not found)', async () => {
    const sl = await as('applicant', 'sc-cd-sl');
    expect((await review.list(sl)).items.map((x) => x.projectId)).toEqual(['sl-idle']);
    await expect(review.get(sl, jjId)).rejects.toMatchObject({ status: 404 });
    await expect(review.decline(sl, jjId, 'not ours')).rejects.toMatchObject({ status: 404 });
    await expect(review.list(sl, { orgUnit: 'sc-cd-jj' })).rejects.toMatchObject({ status: 404 });
    const city = await as('applicant', 'sc-cd');
    expect((await review.list(city)).items).toHaveLength(2);
  });

  it('the owner declines with a reason; no new proposal for the project for a window', async () => {
    const jj = await as('applicant', 'sc-cd-jj');
    await expect(review.decline(jj, jjId, '   ')).rejects.toMatchObject({ status: 400 });
    const viewer = { ...jj, permissions: new Set(['quotas:read' as const]) };
    await expect(review.decline(viewer, jjId, 'no')).rejects.toMatchObject({ status: 403 });
    const declined = await review.decline(jj, jjId, '年底上线新系统，需要保留');
    expect(declined).toMatchObject({
      status: 'declined',
      reason: '年底上线新系统，需要保留',
      decidedBy: jj.name,
    });
    expect(resolved).toContain(jjId);
    await expect(review.decline(jj, jjId, 'again')).rejects.toMatchObject({ status: 409 });
    const r = await review.review(inv.system);
    expect(r).toMatchObject({ proposed: 0, declinedRecently: 1 });
    expect((await review.list(inv.system, { status: 'proposed' })).items.map((x) => x.projectId)).toEqual([
      'sl-idle',
    ]);
  });

  it('is not applied before its grace period; applied after it, quota lowered through the ledger', async () => {
    expect(await review.applyDue()).toEqual({ applied: 0, cancelled: 0, failed: 0 });
    now += 7 * DAY + 1000;
    // Usage of sl-idle grew a little since the proposal (2 → 4 vCPU): still taken back, never below usage.
    ledger.projects.get(CLOUD)!.find((p) => p.projectId === 'sl-idle')!.used = { vcpu: 4, memory: 2 };
    ledger.failRelease = new Error('quota tree refused: locked by a migration');
    expect(await review.applyDue()).toEqual({ applied: 0, cancelled: 0, failed: 1 });
    const failed = await review.get(inv.system, slId);
    expect(failed.status).toBe('proposed');
    expect(failed.error?.message).toMatch(/locked by a migration/);
    ledger.failRelease = undefined;
    expect(await review.applyDue()).toEqual({ applied: 1, cancelled: 0, failed: 0 });
    const applied = await review.get(inv.system, slId);
    // Proposed: vcpu 10 − ceil(1 × 1.2) = 8, memory 20 − ceil(2 × 1.2) = 17; used vcpu now 4 → at most 6.
    expect(applied.amounts).toEqual({ vcpu: 8, memory: 17 });
    expect(applied).toMatchObject({
      status: 'applied',
      applied: { vcpu: 6, memory: 17 },
      decidedBy: 'system',
      error: null,
    });
    expect(ledger.releases).toEqual([
      expect.objectContaining({
        cloudId: CLOUD,
        projectId: 'sl-idle',
        amounts: { vcpu: 6, memory: 17 },
        reclaim: true,
      }),
    ]);
    expect(kicked).toEqual([CLOUD]);
    expect(resolved).toContain(slId);
    const actions = await inv.auditActions();
    expect(actions.filter((a) => a.action === 'quota.reclaim.apply').map((a) => a.targetId)).toEqual([
      slId,
      slId,
    ]);
    await expect(review.apply(inv.system, slId)).rejects.toMatchObject({ status: 409 });
  });

  it('a cloud admin applies early; a proposal whose project is busy again is cancelled', async () => {
    // A new idle project, reviewed, then applied by the admin before the grace ends.
    ledger.add(CLOUD, {
      projectId: 'my-idle',
      orgUnitId: 'sc-my',
      orgPath: paths['sc-my']!,
      quota: { gpu: 4 },
      used: { gpu: 0 },
    });
    await review.recordSamples(
      idleSamples({
        cloudId: CLOUD,
        projectId: 'my-idle',
        orgUnitId: 'sc-my',
        orgPath: paths['sc-my']!,
        quota: { gpu: 4 },
        used: { gpu: 0 },
        days: 30,
        everyMinutes: 60,
        endMs: now,
      }),
    );
    ledger.add(CLOUD, {
      projectId: 'my-later',
      orgUnitId: 'sc-my',
      orgPath: paths['sc-my']!,
      quota: { vcpu: 20 },
      used: { vcpu: 1 },
    });
    await review.recordSamples(
      idleSamples({
        cloudId: CLOUD,
        projectId: 'my-later',
        orgUnitId: 'sc-my',
        orgPath: paths['sc-my']!,
        quota: { vcpu: 20 },
        used: { vcpu: 1 },
        days: 30,
        everyMinutes: 60,
        endMs: now,
      }),
    );
    expect((await review.review(inv.system)).proposed).toBe(2);
    const open = (await review.list(inv.system, { status: 'proposed' })).items;
    const gpu = open.find((x) => x.projectId === 'my-idle')!;
    expect(gpu.amounts).toEqual({ gpu: 4 });
    await expect(review.apply(await as('applicant', 'sc-my'), gpu.id)).rejects.toMatchObject({ status: 403 });
    const done = await review.apply(await as('cloud-admin', 'sc-my'), gpu.id);
    expect(done).toMatchObject({ status: 'applied', applied: { gpu: 4 }, decidedBy: 'cloud-admin@sc-my' });
    // my-later gets busy: a sample at 18 of 20 vCPU.
    await review.recordSamples([
      {
        ts: now - 60_000,
        cloudId: CLOUD,
        projectId: 'my-later',
        orgUnitId: 'sc-my',
        orgPath: paths['sc-my']!,
        class: 'vcpu',
        quota: 20,
        used: 18,
        physical: null,
      },
    ]);
    expect((await review.review(inv.system)).cancelled).toBe(1);
    const later = (await review.list(inv.system, { cloud: CLOUD })).items.find(
      (x) => x.projectId === 'my-later',
    )!;
    expect(later.status).toBe('cancelled');
    expect(later.reason).toMatch(/no longer idle/);
  });

  it('counts open proposals in the overview, scoped', async () => {
    // Nothing open now but what the last review proposed again (none): 0 for the province.
    const o = await review.overview(await as('cloud-admin', 'sc'));
    expect(o).toEqual({ reclaimable: 0, reclaimableAmounts: {} });
  });
});

describe('showback', () => {
  it('averages quota and used over the month per unit subtree and prices the quota', async () => {
    const province = await as('cloud-admin', 'sc');
    const s = await review.showback(province, { month: '2026-03' });
    expect(s).toMatchObject({ month: '2026-03', currency: 'CNY', days: 31 });
    expect(s.items[0]!.orgUnitId).toBe('sc');
    const jj = (await review.showback(province, { month: '2026-03', orgUnit: 'sc-cd-jj' })).items[0]!;
    // The samples cover 1 March 11:00 → 31 March 12:00: 31 days each with a full-quota average
    // (the window started the day before 12:00, so 1 March has samples too).
    // jj-idle + jj-busy every day; jj-young on 6 days (26–31 March); jj-holes on 29 (none on 15 and 16 March).
    const vcpuQuotaDays = 31 * (16 + 8) + 6 * 32 + 29 * 40;
    expect(jj.byClass.vcpu!.quota).toBeCloseTo(vcpuQuotaDays / 31, 2);
    expect(jj.byClass.vcpu!.cost).toBeCloseTo((vcpuQuotaDays / 31) * 45, 1);
    expect(jj.total).toBeCloseTo(jj.byClass.vcpu!.cost + jj.byClass.memory!.cost, 2);
    const cd = s.items.find((x) => x.orgUnitId === 'sc-cd')!;
    const sl = (await review.showback(province, { month: '2026-03', orgUnit: 'sc-cd-sl' })).items[0]!;
    expect(cd.total).toBeCloseTo(jj.total + sl.total, 1);
    const county = await as('applicant', 'sc-cd-sl');
    await expect(review.showback(county, { month: '2026-03', orgUnit: 'sc-cd-jj' })).rejects.toMatchObject({
      status: 404,
    });
    expect((await review.showback(county, { month: '2026-03' })).items.map((x) => x.orgUnitId)).toEqual(
      expect.arrayContaining(['sc-cd-sl']),
    );
    await expect(review.showback(province, { month: '2030-01' })).rejects.toMatchObject({ status: 400 });
  });
});

describe('scorecards', () => {
  it('scores each cloud from the reconciler, the requests and the samples', async () => {
    const s = await review.scorecards(await as('cloud-admin', 'sc'), { month: '2026-03' });
    expect(s.items).toHaveLength(1);
    const c = s.items[0]!;
    expect(c).toMatchObject({
      cloudId: CLOUD,
      name: '四川省政务云',
      apiAvailability: 0.95,
      fulfilmentHoursMedian: 12,
      fulfilledRequests: 4,
      passes: 100,
      drift: 2,
      errors: 3,
    });
    // No host metrics in March: the agent reported no hour of it.
    expect(c.agentAvailability).toBe(0);
    expect(c.availability).toBeCloseTo(0.475, 4);
    expect(c.utilisation.vcpu).toBeGreaterThan(0);
    expect(c.utilisation.vcpu).toBeLessThan(1);
    expect(c.physicalEfficiency.vcpu).toBeCloseTo(0.5, 2); // jj-idle: 1.5 measured of 3 used
    expect(c.score).toBeGreaterThan(0);
    expect(c.score).toBeLessThanOrEqual(100);
    // A county owns no cloud: no scorecard.
    expect((await review.scorecards(await as('applicant', 'sc-cd-jj'), { month: '2026-03' })).items).toEqual(
      [],
    );
  });
});

describe('physical usage', () => {
  it('ties hosts to a project, refusing hosts out of scope, in no cloud of the project, or serving another', async () => {
    const jj = await as('cloud-admin', 'sc-cd-jj');
    await expect(review.setHosts(jj, 'jj-idle', ['sl-web-1'])).rejects.toMatchObject({ status: 404 });
    await expect(review.setHosts(jj, 'jj-idle', ['jj-web-2'])).rejects.toMatchObject({ status: 400 });
    await expect(review.setHosts(jj, 'sl-idle', ['jj-web-1'])).rejects.toMatchObject({ status: 404 });
    const out = await review.setHosts(jj, 'jj-idle', ['jj-web-1']);
    expect(out.hosts).toEqual([
      expect.objectContaining({ hostId: 'jj-web-1', agentId: AGENT, cloudId: CLOUD }),
    ]);
    await expect(review.setHosts(jj, 'jj-busy', ['jj-web-1'])).rejects.toMatchObject({ status: 409 });
    expect((await inv.auditActions()).map((a) => a.action)).toContain('quota.project.hosts');
  });

  it('records CPU cores busy, memory and filesystem used from the host agent', async () => {
    // host_metrics keeps 30 days: these samples are of the real present.
    now = Date.now();
    const GiB = 1024 ** 3;
    const t0 = now - 5 * 60_000;
    const base = { agent_id: AGENT, org_unit_id: 'sc-cd-jj', host: 'web-1' };
    await telemetry.insert('host_metrics', [
      { ...base, ts: t0, name: 'node_cpu_seconds_total', labels: { cpu: 'all', mode: 'user' }, value: 1000 },
      { ...base, ts: now, name: 'node_cpu_seconds_total', labels: { cpu: 'all', mode: 'user' }, value: 1600 },
      { ...base, ts: t0, name: 'node_cpu_seconds_total', labels: { cpu: 'all', mode: 'system' }, value: 100 },
      {
        ...base,
        ts: now,
        name: 'node_cpu_seconds_total',
        labels: { cpu: 'all', mode: 'system' },
        value: 250,
      },
      { ...base, ts: t0, name: 'node_cpu_seconds_total', labels: { cpu: 'all', mode: 'idle' }, value: 5000 },
      { ...base, ts: now, name: 'node_cpu_seconds_total', labels: { cpu: 'all', mode: 'idle' }, value: 9000 },
      { ...base, ts: now, name: 'node_memory_total_bytes', labels: {}, value: 64 * GiB },
      { ...base, ts: now, name: 'node_memory_available_bytes', labels: {}, value: 40 * GiB },
      {
        ...base,
        ts: now,
        name: 'node_filesystem_size_bytes',
        labels: { device: '/dev/sda1', mountpoint: '/', fstype: 'ext4' },
        value: 100 * GiB,
      },
      {
        ...base,
        ts: now,
        name: 'node_filesystem_avail_bytes',
        labels: { device: '/dev/sda1', mountpoint: '/', fstype: 'ext4' },
        value: 70 * GiB,
      },
      {
        ...base,
        ts: now,
        name: 'node_filesystem_size_bytes',
        labels: { device: 'tmpfs', mountpoint: '/run', fstype: 'tmpfs' },
        value: 8 * GiB,
      },
      {
        ...base,
        ts: now,
        name: 'node_filesystem_avail_bytes',
        labels: { device: 'tmpfs', mountpoint: '/run', fstype: 'tmpfs' },
        value: 0,
      },
    ]);
    const out = await review.measurePhysical();
    // (600 + 150) CPU-seconds over 300 s = 2.5 cores busy; 24 GiB of memory; 30 GiB of disk (tmpfs left out).
    expect(out.get(CLOUD)).toEqual([
      { projectId: 'jj-idle', physical: { vcpu: 2.5, memory: 24, 'block-storage': 30 } },
    ]);
    expect(ledger.physicalRecorded.at(-1)).toEqual({ cloudId: CLOUD, rows: out.get(CLOUD) });
  });

  it('the sampler writes quota, used and physical of every project', async () => {
    const n = await review.sampleUsage(now);
    expect(n).toBeGreaterThan(0);
    const rows = await telemetry.query<{ physical: number | null }>(
      `SELECT physical FROM quota_usage WHERE project_id = 'jj-idle' AND class = 'vcpu' AND ts = toDateTime({t:UInt32}, 'UTC')`,
      { t: Math.floor(now / 1000) },
    );
    expect(rows).toEqual([{ physical: 2.5 }]);
    // Retried in the same period: stored once.
    await review.sampleUsage(now);
    const again = await telemetry.query<{ n: string }>(
      `SELECT count() AS n FROM quota_usage WHERE project_id = 'jj-idle' AND ts = toDateTime({t:UInt32}, 'UTC')`,
      { t: Math.floor(now / 1000) },
    );
    expect(Number(again[0]!.n)).toBe(3); // vcpu, memory, block-storage (measured)
  });
});
