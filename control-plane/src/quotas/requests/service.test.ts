import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Identity } from '../../auth/identity.js';
import { DomainError } from '../../errors.js';
import type { ApplyInput } from './service.js';
import { addCloud, openTestRequests, person, type TestRequests } from './testing.js';

/*
 * One store for the file (opening PGlite with every migration is the slow part); each test gets a
 * cloud of its own (owned by 四川省, 成都市 holding 1,000 vCPU … on it), so quotas, requests and
 * alarms of one test never meet another's.
 */

const DAY = 86_400_000;

let t: TestRequests;
let CLOUD: string;
let applicant: Identity;
let slApplicant: Identity;
let cd: Identity;
let cd2: Identity;
let my: Identity;
let jj: Identity;
let sc: Identity;

beforeAll(async () => {
  t = await openTestRequests();
  applicant = await person(t, 'applicant', 'sc-cd-jj', 'jj-applicant');
  slApplicant = await person(t, 'applicant', 'sc-cd-sl', 'sl-applicant');
  cd = await person(t, 'cloud-admin', 'sc-cd', 'cd-cloud');
  cd2 = await person(t, 'cloud-admin', 'sc-cd', 'cd-cloud-2');
  my = await person(t, 'cloud-admin', 'sc-my', 'my-cloud');
  jj = await person(t, 'cloud-admin', 'sc-cd-jj', 'jj-cloud');
  sc = await person(t, 'cloud-admin', 'sc', 'sc-cloud');
}, 120_000);
afterAll(async () => {
  await t?.close();
});

let clouds = 0;
beforeEach(async () => {
  CLOUD = `test-cloud-${++clouds}`;
  await addCloud(t.db, { id: CLOUD, orgUnitId: 'sc' });
  t.allocatable.set(CLOUD, {
    vcpu: 4000,
    memory: 16000,
    'block-storage': 400_000,
    gpu: 16,
    'public-ip': 100,
  });
  await t.tree.setOrgUnitQuota(sc, {
    cloudId: CLOUD,
    orgUnitId: 'sc-cd',
    amounts: { vcpu: 1000, memory: 1600, 'block-storage': 20_000, gpu: 8, 'public-ip': 20 },
  });
  t.kicks.length = 0;
});

let seq = 0;
const input = (over: Partial<ApplyInput> = {}): ApplyInput => ({
  cloudId: CLOUD,
  newProject: { id: `jj-p${++seq}`, name: `锦江区项目 ${seq}` },
  justification: '区政务服务系统迁移上云',
  durationDays: 365,
  ...over,
});

async function refusal(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

async function quotaOf(projectId: string): Promise<Record<string, number> | undefined> {
  return (await t.tree.projectsOf(CLOUD)).find((p) => p.projectId === projectId)?.quota;
}

/** Firing alarms of `kind` about this test's cloud's requests. */
async function firing(kind: string): Promise<Array<{ orgUnitId: string; targetId: string }>> {
  const mine = new Set(
    (await t.db.query<{ id: string }>('SELECT id FROM quota_requests WHERE cloud_id = $1', [CLOUD])).rows.map(
      (r) => r.id,
    ),
  );
  return (await t.alarms.list(t.system, { kind, limit: 1000 })).items
    .filter((a) => mine.has(a.targetId.split('/')[0]!))
    .map((a) => ({ orgUnitId: a.orgUnitId, targetId: a.targetId }));
}

describe('apply', () => {
  it('auto-approves at or below the limit and allocates in the same transaction', async () => {
    const r = await t.svc.apply(applicant, input({ package: 'small-web' }));
    expect(r).toMatchObject({
      status: 'approved',
      monthlyCost: 780,
      orgUnitId: 'sc-cd-jj',
      applicant: 'jj-applicant',
    });
    expect(r.steps).toEqual([
      expect.objectContaining({ level: 1, state: 'auto', approverLevel: null, by: 'system' }),
    ]);
    expect(r.timeline.map((e) => e.kind)).toEqual(['applied', 'auto-approved']);
    expect(r.expiresAt).toBe(new Date(t.clock.now + 365 * DAY).toISOString());
    expect(await quotaOf(r.projectId)).toMatchObject({ vcpu: 8, memory: 16, 'block-storage': 200 });
    expect(r.enforcement.version).toBeGreaterThan(0);
    expect(t.kicks).toEqual([CLOUD]);
    const actions = (await t.auditActions()).map((a) => a.action);
    expect(actions).toContain('quota-request.apply');
  });

  it('builds the chain from policy and fires the pending alarm for the unit that must act', async () => {
    const r = await t.svc.apply(applicant, input({ package: 'ai-inference', quantity: 3 }));
    expect(r.status).toBe('pending');
    expect(r.steps.map((s) => [s.approverLevel, s.orgUnitId, s.state])).toEqual([
      ['city', 'sc-cd', 'waiting'],
      ['province', 'sc', 'waiting'],
    ]);
    expect(await firing('quota-request-pending')).toEqual([
      expect.objectContaining({ orgUnitId: 'sc-cd', targetId: `${r.id}/1` }),
    ]);
    await t.svc.approve(cd, r.id, '同意');
    expect((await firing('quota-request-pending')).map((a) => [a.orgUnitId, a.targetId])).toEqual([
      ['sc', `${r.id}/2`],
    ]);
    expect(await quotaOf(r.projectId)).toBeUndefined();
    const done = await t.svc.approve(sc, r.id);
    expect(done.status).toBe('approved');
    expect(await firing('quota-request-pending')).toEqual([]);
    expect(await quotaOf(r.projectId)).toMatchObject({ gpu: 6, vcpu: 48 });
    expect(done.timeline.map((e) => [e.kind, e.actor])).toEqual([
      ['applied', 'jj-applicant'],
      ['step-approved', 'cd-cloud'],
      ['step-approved', 'sc-cloud'],
      ['allocated', 'sc-cloud'],
    ]);
  });

  it('refuses bad requests with their codes and stores nothing', async () => {
    const projectsBefore = (await t.db.query('SELECT 1 FROM quota_projects')).rowCount;
    const cases: Array<[Partial<ApplyInput>, string]> = [
      [{ amounts: { vcpu: -1 } }, 'input.invalid'],
      [{ amounts: { vcpu: 0.5 } }, 'quota.not_whole'],
      [{ amounts: { qubits: 1 } }, 'quota.unknown_class'],
      [{ package: 'none' }, 'quota.package_unknown'],
      [{ amounts: { vcpu: 1 }, justification: ' ' }, 'input.invalid'],
      [{ amounts: { vcpu: 1 }, durationDays: 1096 }, 'input.invalid'],
      [{ amounts: { vcpu: 1 }, durationDays: 1.5 }, 'input.invalid'],
      [{ amounts: { vcpu: 1 }, cloudId: 'no-such-cloud' }, 'scope.not_found'],
      [{ amounts: { vcpu: 1001 } }, 'quota.exceeds_parent'],
      [{ amounts: { vcpu: 1 }, projectId: 'nope', newProject: undefined }, 'scope.not_found'],
    ];
    for (const [over, code] of cases) {
      const e = await refusal(t.svc.apply(applicant, input(over)));
      expect(e.code, JSON.stringify(over)).toBe(code);
    }
    expect((await t.db.query('SELECT 1 FROM quota_requests WHERE cloud_id = $1', [CLOUD])).rowCount).toBe(0);
    expect((await t.db.query('SELECT 1 FROM quota_projects')).rowCount).toBe(projectsBefore);
    expect(await firing('quota-request-pending')).toEqual([]);
  });

  it('a cloud of another city is absent to a county outside it; a sibling’s project too', async () => {
    // 成都市政务云 belongs to 成都市: 锦江区 may apply on it, 涪城区 (绵阳市) may not.
    const fc = await person(t, 'applicant', 'sc-my-fc', 'fc-applicant');
    const cityCloud = `${CLOUD}-cd`;
    await addCloud(t.db, { id: cityCloud, orgUnitId: 'sc-cd', tier: 'city' });
    // No org-unit quota on it: projects count against the cloud's allocatable.
    t.allocatable.set(cityCloud, { vcpu: 100 });
    expect((await t.svc.apply(applicant, input({ cloudId: cityCloud, amounts: { vcpu: 2 } }))).status).toBe(
      'approved',
    );
    expect((await refusal(t.svc.apply(fc, input({ cloudId: cityCloud, amounts: { vcpu: 2 } })))).code).toBe(
      'scope.not_found',
    );
    const r = await t.svc.apply(applicant, input({ amounts: { vcpu: 2 } }));
    const e = await refusal(
      t.svc.apply(slApplicant, {
        ...input({ amounts: { vcpu: 2 } }),
        newProject: undefined,
        projectId: r.projectId,
      }),
    );
    expect(e.code).toBe('scope.not_found');
    // A new project's id is unique in the province, pending or allocated.
    const p = await t.svc.apply(applicant, input({ amounts: { vcpu: 50 } }));
    expect(
      (
        await refusal(
          t.svc.apply(
            applicant,
            input({ newProject: { id: p.projectId, name: 'x' }, amounts: { vcpu: 50 } }),
          ),
        )
      ).code,
    ).toBe('conflict.not_available');
    expect(
      (
        await refusal(
          t.svc.apply(
            slApplicant,
            input({ newProject: { id: r.projectId, name: 'x' }, amounts: { vcpu: 2 } }),
          ),
        )
      ).code,
    ).toBe('conflict.not_available');
  });

  it('applies for more on an existing project', async () => {
    const first = await t.svc.apply(applicant, input({ amounts: { vcpu: 4 } }));
    const more = await t.svc.apply(applicant, {
      ...input({ amounts: { vcpu: 50 } }),
      newProject: undefined,
      projectId: first.projectId,
    });
    expect(more.status).toBe('pending');
    await t.svc.approve(cd, more.id);
    expect(await quotaOf(first.projectId)).toMatchObject({ vcpu: 54 });
  });
});

describe('deciding', () => {
  it('refuses with reasons: wrong level, self-approval, out of scope, not pending, no reason, not the applicant', async () => {
    const r = await t.svc.apply(applicant, input({ amounts: { vcpu: 50 } }));
    const level = await refusal(t.svc.approve(jj, r.id));
    expect(level).toMatchObject({ status: 403, code: 'quota.approver_level' });
    expect(level.details?.[0]?.params).toMatchObject({ required: 'city', level: 'county', step: 1 });
    expect(level.message).toMatch(/city level or higher/);
    expect((await refusal(t.svc.approve(my, r.id))).code).toBe('scope.not_found');
    expect((await refusal(t.svc.reject(my, r.id, 'no'))).code).toBe('scope.not_found');
    expect((await refusal(t.svc.get(slApplicant, r.id))).code).toBe('scope.not_found');
    expect((await refusal(t.svc.approve(cd, 'not-a-uuid'))).code).toBe('scope.not_found');
    expect((await refusal(t.svc.reject(cd, r.id, '  '))).code).toBe('input.invalid');
    expect((await refusal(t.svc.approve(applicant, r.id))).code).toBe('permission.denied');
    expect((await refusal(t.svc.withdraw(jj, r.id))).code).toBe('quota.not_applicant');
    // A city admin's own request: they may not decide it; their colleague may.
    const own = await t.svc.apply(cd, input({ amounts: { vcpu: 50 } }));
    expect((await refusal(t.svc.approve(cd, own.id))).code).toBe('quota.self_approval');
    await t.svc.approve(cd2, own.id);
    // Nothing changed on the first one.
    const still = await t.svc.get(applicant, r.id);
    expect(still.status).toBe('pending');
    expect(still.steps[0]?.state).toBe('waiting');
    expect(still.timeline.map((e) => e.kind)).toEqual(['applied']);
    const rej = await t.svc.reject(cd, r.id, '需求不明确');
    expect(rej.status).toBe('rejected');
    expect(rej.steps[0]).toMatchObject({ state: 'rejected', comment: '需求不明确', by: 'cd-cloud' });
    expect(await firing('quota-request-pending')).toEqual([]);
    const again = await refusal(t.svc.approve(cd, r.id));
    expect(again).toMatchObject({ status: 409, code: 'quota.request_state' });
    expect(again.details?.[0]?.params).toMatchObject({ status: 'rejected', action: 'approved' });
    expect((await refusal(t.svc.withdraw(applicant, r.id))).code).toBe('quota.request_state');
  });

  it('the applicant withdraws while pending; the alarm resolves', async () => {
    const r = await t.svc.apply(applicant, input({ amounts: { vcpu: 50 } }));
    const w = await t.svc.withdraw(applicant, r.id, '改用市级云');
    expect(w.status).toBe('withdrawn');
    expect(w.timeline.at(-1)).toMatchObject({ kind: 'withdrawn', text: '改用市级云', to: 'withdrawn' });
    expect(await firing('quota-request-pending')).toEqual([]);
  });

  it('an approval the ledger refuses changes nothing but says why on the request', async () => {
    const a = await t.svc.apply(applicant, input({ amounts: { memory: 1000 } }));
    const b = await t.svc.apply(applicant, input({ amounts: { memory: 1000 } }));
    await t.svc.approve(cd, a.id);
    const e = await refusal(t.svc.approve(cd, b.id, 'ok'));
    expect(e.code).toBe('quota.exceeds_parent');
    const still = await t.svc.get(applicant, b.id);
    expect(still.status).toBe('pending');
    expect(still.steps[0]).toMatchObject({ state: 'waiting', by: null, comment: null });
    expect(still.error).toMatchObject({ kind: 'allocation', code: 'quota.exceeds_parent' });
    expect(still.timeline.map((x) => x.kind)).toEqual(['applied', 'allocation-refused']);
    expect(await quotaOf(b.projectId)).toBeUndefined();
    expect((await t.db.query('SELECT 1 FROM quota_projects WHERE id = $1', [b.projectId])).rowCount).toBe(0);
    // Still in 成都市's inbox, with the alarm firing.
    expect((await t.svc.list(cd, { awaiting: 'me', cloud: CLOUD })).items.map((x) => x.id)).toEqual([b.id]);
    expect((await firing('quota-request-pending')).map((x) => x.targetId)).toEqual([`${b.id}/1`]);
    // Once the city has more, the same approval goes through and the error clears.
    await t.tree.setOrgUnitQuota(sc, { cloudId: CLOUD, orgUnitId: 'sc-cd', amounts: { memory: 3000 } });
    const ok = await t.svc.approve(cd, b.id);
    expect(ok).toMatchObject({ status: 'approved', error: null });
  });

  it('concurrent approvals against one parent never over-allocate it (PGlite)', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 30; i++)
      ids.push((await t.svc.apply(applicant, input({ amounts: { vcpu: 50 } }))).id);
    // 1,000 vCPU: 20 fit. Two admins, each with several approvals in flight, from both ends.
    const run = async (who: Identity, order: string[]) =>
      Promise.allSettled(order.map((id) => t.svc.approve(who, id)));
    const [x, y] = await Promise.all([run(cd, ids), run(cd2, [...ids].reverse())]);
    const ok = [...x, ...y].filter((s) => s.status === 'fulfilled').length;
    const codes = [...x, ...y].flatMap((s) =>
      s.status === 'rejected' ? [(s.reason as DomainError).code] : [],
    );
    expect(new Set(codes)).toEqual(new Set(['quota.exceeds_parent', 'quota.request_state']));
    expect(ok).toBe(20);
    const sum = (await t.tree.projectsOf(CLOUD)).reduce((s, p) => s + (p.quota.vcpu ?? 0), 0);
    expect(sum).toBe(1000);
    expect(await t.tree.violations(CLOUD)).toEqual([]);
    const approved = (await t.svc.list(sc, { status: ['approved'], cloud: CLOUD, limit: 500 })).items.length;
    expect(approved).toBe(20);
  });
});

describe('reading', () => {
  it('scopes lists by subtree; mine; the inbox by level; cursor paging', async () => {
    const o0 = { cd: await t.svc.overview(cd), jj: await t.svc.overview(applicant) };
    const a = await t.svc.apply(applicant, input({ amounts: { vcpu: 50 } }));
    const b = await t.svc.apply(slApplicant, {
      ...input({ amounts: { vcpu: 50 } }),
      newProject: { id: 'sl-x', name: 'x' },
    });
    const big = await t.svc.apply(applicant, input({ amounts: { gpu: 5 } }));
    const L = (who: Identity, q: Parameters<typeof t.svc.list>[1] = {}) =>
      t.svc.list(who, { cloud: CLOUD, ...q });
    expect((await L(applicant)).items.map((x) => x.id).sort()).toEqual([a.id, big.id].sort());
    expect((await L(cd)).items.length).toBe(3);
    expect((await L(my)).items).toEqual([]);
    expect((await L(applicant, { mine: true })).items.length).toBe(2);
    expect((await L(cd, { awaiting: 'me' })).items.length).toBe(3);
    // The province sees the city steps too (its level is higher); 锦江区's admin none of them.
    expect((await L(sc, { awaiting: 'me' })).items.length).toBe(3);
    expect((await L(jj, { awaiting: 'me' })).items).toEqual([]);
    await t.svc.approve(cd, big.id);
    expect((await L(cd, { awaiting: 'me' })).items.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
    expect((await L(sc, { awaiting: 'me' })).items.length).toBe(3);
    const page1 = await L(cd, { limit: 2 });
    expect(page1.items.length).toBe(2);
    const page2 = await L(cd, { limit: 2, cursor: page1.nextCursor! });
    expect(page2.items.length).toBe(1);
    expect(page2.nextCursor).toBeNull();
    expect((await refusal(L(cd, { cursor: 'garbage' }))).code).toBe('input.invalid');
    expect((await refusal(L(applicant, { orgUnit: 'sc-cd-sl' }))).code).toBe('scope.not_found');
    const o1 = { cd: await t.svc.overview(cd), jj: await t.svc.overview(applicant) };
    expect(o1.cd).toEqual({
      pendingRequests: (o0.cd.pendingRequests as number) + 3,
      requestsAwaitingMe: (o0.cd.requestsAwaitingMe as number) + 2,
    });
    expect(o1.jj).toEqual({ pendingRequests: (o0.jj.pendingRequests as number) + 2, requestsAwaitingMe: 0 });
  });
});

describe('enforcement and expiry', () => {
  it('is enforced once the cloud applied the allocation’s version; a cloud error shows while it stays approved', async () => {
    const r = await t.svc.apply(applicant, input({ package: 'small-web' }));
    const version = r.enforcement.version!;
    t.sync.set(`${CLOUD}/${r.projectId}`, {
      projectId: r.projectId,
      cloudId: CLOUD,
      state: 'error',
      appliedVersion: version - 1,
      error: {
        kind: 'unreachable',
        message: 'connect ECONNREFUSED 10.10.0.5:6443',
        at: '2026-12-01T08:00:05.000Z',
      },
      drift: null,
      checkedAt: '2026-12-01T08:00:05.000Z',
    });
    const failing = await t.svc.get(applicant, r.id);
    expect(failing.status).toBe('approved');
    expect(failing.error).toMatchObject({
      kind: 'unreachable',
      message: expect.stringContaining('ECONNREFUSED'),
    });
    expect(failing.enforcement).toMatchObject({ version, applied: false, sync: { state: 'error' } });
    expect(await t.svc.checkEnforced()).toBe(0);
    expect((await t.svc.get(applicant, r.id)).timeline.map((e) => e.kind)).toContain('cloud-error');
    t.clock.now += 3_600_000;
    t.sync.set(`${CLOUD}/${r.projectId}`, {
      ...t.sync.get(`${CLOUD}/${r.projectId}`)!,
      state: 'applied',
      appliedVersion: version,
      error: null,
    });
    expect(await t.svc.checkEnforced()).toBe(1);
    const ok = await t.svc.get(applicant, r.id);
    expect(ok).toMatchObject({ status: 'enforced', error: null });
    expect(ok.enforcedAt).toBe(new Date(t.clock.now).toISOString());
    expect(await t.svc.fulfilment(CLOUD, new Date(0), new Date(t.clock.now + 1))).toEqual({
      count: 1,
      medianHours: 1,
    });
  });

  it('tells the owner before the end, then releases what it allocated and kicks the reconcile', async () => {
    const r = await t.svc.apply(applicant, input({ package: 'small-web', durationDays: 30 }));
    t.kicks.length = 0;
    expect(await t.svc.runExpiry()).toEqual({ noticed: 0, expired: 0, failed: 0 });
    t.clock.now += 17 * DAY; // 13 days left: inside the 14 days' notice
    expect(await t.svc.runExpiry()).toEqual({ noticed: 1, expired: 0, failed: 0 });
    expect(await t.svc.runExpiry()).toEqual({ noticed: 0, expired: 0, failed: 0 });
    expect(await firing('quota-expiry')).toEqual([
      expect.objectContaining({ orgUnitId: 'sc-cd-jj', targetId: r.id }),
    ]);
    t.clock.now += 13 * DAY;
    expect(await t.svc.runExpiry()).toEqual({ noticed: 0, expired: 1, failed: 0 });
    const done = await t.svc.get(applicant, r.id);
    expect(done.status).toBe('expired');
    expect(done.timeline.map((e) => e.kind)).toEqual([
      'applied',
      'auto-approved',
      'expiry-notice',
      'expired',
    ]);
    expect(await quotaOf(r.projectId)).toMatchObject({ vcpu: 0, memory: 0, 'block-storage': 0 });
    expect(await firing('quota-expiry')).toEqual([]);
    expect(t.kicks).toEqual([CLOUD]);
    expect((await t.auditActions()).map((a) => a.action)).toContain('quota-request.expire');
  });
});
