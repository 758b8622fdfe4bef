import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../support/control-plane.js';
import { systemIdentity } from '../../control-plane/src/auth/identity.js';
import { quotasRef } from '../../control-plane/src/quotas/module.js';

/**
 * Quota requests over HTTP (issue 11, item 3) on a control plane with PGlite and the demo province,
 * served on a loopback port the system picks. The provincial cloud (四川省政务云, owner 四川省) gets
 * a capacity entered by the province's cloud admin (PUT /clouds/{id}/capacity); 成都市 gets an
 * org-unit quota on it (set through the tree's service; the quotas the test reads back are the
 * ledger's, through the same service). A county
 * department (锦江区) applies; 成都市 approves below the province threshold and the quota appears in
 * the tree; a request above it needs the city and then the province; 绵阳市 cannot see 锦江区's
 * request (404); 锦江区's own cloud admin cannot decide a city step (403); bad requests are refused
 * with their codes and change nothing; a refused allocation leaves the request pending with the
 * ledger's reason; and two admins approving against the same parent at once — real concurrent HTTP
 * requests over the socket — never over-allocate it. Every user calls with a console session.
 */

let t: TestControlPlane;
let base: string;
const http = (path: string, init?: RequestInit) => fetch(`${base}${path}`, init);
let admin: Session;
/** 锦江区's applicant, its cloud admin; 成都市's cloud admins (two), 绵阳市's, the province's. */
const u = {} as Record<
  'applicant' | 'jjAdmin' | 'cdAdmin' | 'cdAdmin2' | 'myAdmin' | 'scAdmin' | 'slApplicant',
  Session
>;

const CLOUD = 'sc-gov-cloud';
/** 成都市's quota on the provincial cloud. */
const CD_QUOTA = { vcpu: 1000, memory: 1600, 'block-storage': 20_000, gpu: 8, 'public-ip': 20 };

interface Step {
  level: number;
  approverLevel: string | null;
  orgUnitId: string | null;
  state: string;
  by: string | null;
  comment: string | null;
}
interface Req {
  id: string;
  status: string;
  projectId: string;
  orgUnitId: string;
  amounts: Record<string, number>;
  monthlyCost: number;
  steps: Step[];
  error: { kind: string; code: string | null; message: string } | null;
  expiresAt: string | null;
  timeline: { kind: string; actor: string; text: string | null }[];
}
interface ApiError {
  error: {
    code: string;
    message: string;
    details?: { path: string; code?: string; params?: Record<string, unknown> }[];
  };
}

async function json<T>(res: Response, status = 200): Promise<T> {
  const text = await res.text();
  expect(res.status, text).toBe(status);
  return JSON.parse(text) as T;
}
async function refused(res: Response, status: number, code: string): Promise<ApiError['error']> {
  const body = await json<ApiError>(res, status);
  expect(body.error.code, body.error.message).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(10);
  return body.error;
}

async function mkUser(username: string, role: string, orgUnitId: string): Promise<Session> {
  const res = await admin.send('POST', '/api/v1/users', {
    username,
    displayName: username,
    password: `${username}-password-1`,
    roles: [role],
    orgUnitId,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return login(http, username, `${username}-password-1`);
}

let projectSeq = 0;
function apply(who: Session, body: Record<string, unknown>): Promise<Response> {
  return who.send('POST', '/api/v1/quotas/requests', {
    cloudId: CLOUD,
    newProject: { id: `jj-p${++projectSeq}`, name: `锦江区项目 ${projectSeq}` },
    justification: '区政务服务系统迁移上云',
    durationDays: 365,
    ...body,
  });
}

/** The project quotas on the cloud, as the ledger holds them. */
async function projectQuotas(): Promise<Map<string, Record<string, number>>> {
  const projects = await t.cp.services.modules.use(quotasRef).tree.projectsOf(CLOUD);
  return new Map(projects.map((p) => [p.projectId, p.quota]));
}
/** Σ of the project quotas of a class. */
async function allocated(cls: string): Promise<number> {
  let sum = 0;
  for (const q of (await projectQuotas()).values()) sum += q[cls] ?? 0;
  return sum;
}
async function count(): Promise<number> {
  const r = await json<{ items: unknown[] }>(await u.scAdmin.get('/api/v1/quotas/requests?limit=500'));
  return r.items.length;
}

beforeAll(async () => {
  t = await startTestControlPlane({ listen: true });
  base = t.cp.url;
  admin = await login(http, 'admin', ADMIN_PASSWORD);
  u.applicant = await mkUser('jj-applicant', 'applicant', 'sc-cd-jj');
  u.slApplicant = await mkUser('sl-applicant', 'applicant', 'sc-cd-sl');
  u.jjAdmin = await mkUser('jj-cloud', 'cloud-admin', 'sc-cd-jj');
  u.cdAdmin = await mkUser('cd-cloud', 'cloud-admin', 'sc-cd');
  u.cdAdmin2 = await mkUser('cd-cloud-2', 'cloud-admin', 'sc-cd');
  u.myAdmin = await mkUser('my-cloud', 'cloud-admin', 'sc-my');
  u.scAdmin = await mkUser('sc-cloud', 'cloud-admin', 'sc');
  // The provincial cloud's capacity (entered: no connection here), then 成都市's quota on it.
  await json(
    await u.scAdmin.send('PUT', `/api/v1/quotas/clouds/${CLOUD}/capacity`, {
      classes: {
        vcpu: { capacity: 2000 },
        memory: { capacity: 8000 },
        'block-storage': { capacity: 200_000 },
        gpu: { capacity: 16 },
        'public-ip': { capacity: 100 },
      },
    }),
  );
  await t.cp.services.modules
    .use(quotasRef)
    .tree.setOrgUnitQuota(systemIdentity(), { cloudId: CLOUD, orgUnitId: 'sc-cd', amounts: CD_QUOTA });
}, 180_000);
afterAll(async () => {
  await t?.close();
});

describe('apply → approve → allocate', () => {
  it('a county department’s request below the province threshold: 成都市 approves and the quota is allocated', async () => {
    // small-web × 3 + a public IP: 24 vCPU, 48 GiB, 600 GiB, 1 IP = 2,360 CNY a month (> 2,000: the city).
    const r = await json<Req>(
      await apply(u.applicant, { package: 'small-web', quantity: 3, amounts: { 'public-ip': 1 } }),
      201,
    );
    expect(r).toMatchObject({
      status: 'pending',
      orgUnitId: 'sc-cd-jj',
      monthlyCost: 2360,
      amounts: { vcpu: 24, memory: 48, 'block-storage': 600, 'public-ip': 1 },
    });
    expect(r.steps).toEqual([
      expect.objectContaining({ level: 1, approverLevel: 'city', orgUnitId: 'sc-cd', state: 'waiting' }),
    ]);
    // In 成都市's inbox, not in 绵阳市's, nor in the applicant's own unit's admin's (a county).
    const inbox = await json<{ items: Req[] }>(await u.cdAdmin.get('/api/v1/quotas/requests?awaiting=me'));
    expect(inbox.items.map((x) => x.id)).toContain(r.id);
    const myInbox = await json<{ items: Req[] }>(await u.myAdmin.get('/api/v1/quotas/requests?awaiting=me'));
    expect(myInbox.items.map((x) => x.id)).not.toContain(r.id);
    const jjInbox = await json<{ items: Req[] }>(await u.jjAdmin.get('/api/v1/quotas/requests?awaiting=me'));
    expect(jjInbox.items.map((x) => x.id)).not.toContain(r.id);
    // The alarm for 成都市 fires while it waits.
    const alarms = await json<{ items: { kind: string; orgUnitId: string; targetId: string }[] }>(
      await admin.get('/api/v1/alarms?kind=quota-request-pending'),
    );
    expect(alarms.items.find((a) => a.targetId === `${r.id}/1`)?.orgUnitId).toBe('sc-cd');

    const done = await json<Req>(
      await u.cdAdmin.send('POST', `/api/v1/quotas/requests/${r.id}/approve`, { comment: '同意' }),
    );
    expect(done.status).toBe('approved');
    expect(done.steps[0]).toMatchObject({ state: 'approved', by: 'cd-cloud', comment: '同意' });
    expect(done.expiresAt).not.toBeNull();
    expect(done.timeline.map((e) => e.kind)).toEqual(['applied', 'step-approved', 'allocated']);
    expect((await projectQuotas()).get(r.projectId)).toMatchObject({ vcpu: 24, memory: 48, 'public-ip': 1 });
    // The applicant sees it, with its reason for each step; the alarm is resolved.
    const mine = await json<{ items: Req[] }>(await u.applicant.get('/api/v1/quotas/requests?mine=true'));
    expect(mine.items.find((x) => x.id === r.id)?.status).toBe('approved');
    const firing = await json<{ items: { targetId: string }[] }>(
      await admin.get('/api/v1/alarms?kind=quota-request-pending'),
    );
    expect(firing.items.map((a) => a.targetId)).not.toContain(`${r.id}/1`);
  });

  it('at or below the auto-approval limit the system approves and allocates at once', async () => {
    const r = await json<Req>(await apply(u.applicant, { package: 'small-web' }), 201);
    expect(r.monthlyCost).toBe(780);
    expect(r.status).toBe('approved');
    expect(r.steps).toEqual([expect.objectContaining({ state: 'auto', approverLevel: null, by: 'system' })]);
    expect((await projectQuotas()).get(r.projectId)).toMatchObject({ vcpu: 8, memory: 16 });
  });

  it('a request above the province threshold needs the city, then the province', async () => {
    // ai-inference × 3: 6 GPUs alone are 27,000 CNY a month (> 20,000).
    const r = await json<Req>(await apply(u.applicant, { package: 'ai-inference', quantity: 3 }), 201);
    expect(r.steps.map((s) => [s.approverLevel, s.orgUnitId])).toEqual([
      ['city', 'sc-cd'],
      ['province', 'sc'],
    ]);
    // The province's admin does not see it in the inbox before the city decided... it may decide the
    // city step (its level is higher), but the city approves first here.
    const afterCity = await json<Req>(
      await u.cdAdmin.send('POST', `/api/v1/quotas/requests/${r.id}/approve`, {}),
    );
    expect(afterCity.status).toBe('pending');
    expect(afterCity.steps.map((s) => s.state)).toEqual(['approved', 'waiting']);
    expect((await projectQuotas()).has(r.projectId)).toBe(false);
    // The city cannot decide the province step: 403 with the level it needs.
    const e = await refused(
      await u.cdAdmin2.send('POST', `/api/v1/quotas/requests/${r.id}/approve`, {}),
      403,
      'quota.approver_level',
    );
    expect(e.details?.[0]?.params).toMatchObject({ required: 'province', level: 'city', step: 2 });
    const inbox = await json<{ items: Req[] }>(await u.scAdmin.get('/api/v1/quotas/requests?awaiting=me'));
    expect(inbox.items.map((x) => x.id)).toContain(r.id);
    const done = await json<Req>(await u.scAdmin.send('POST', `/api/v1/quotas/requests/${r.id}/approve`, {}));
    expect(done.status).toBe('approved');
    expect((await projectQuotas()).get(r.projectId)).toMatchObject({ gpu: 6, vcpu: 48 });
  });

  it('a city cannot approve another city’s request: 404, exactly like an absent one', async () => {
    const r = await json<Req>(await apply(u.applicant, { amounts: { vcpu: 50 } }), 201);
    const e = await refused(
      await u.myAdmin.send('POST', `/api/v1/quotas/requests/${r.id}/approve`, {}),
      404,
      'scope.not_found',
    );
    const absent = await refused(
      await u.myAdmin.send(
        'POST',
        '/api/v1/quotas/requests/00000000-0000-4000-8000-000000000000/approve',
        {},
      ),
      404,
      'scope.not_found',
    );
    expect(e.message.replace(r.id, 'X')).toBe(
      absent.message.replace('00000000-0000-4000-8000-000000000000', 'X'),
    );
    await refused(await u.myAdmin.get(`/api/v1/quotas/requests/${r.id}`), 404, 'scope.not_found');
    await refused(
      await u.myAdmin.send('POST', `/api/v1/quotas/requests/${r.id}/reject`, { reason: 'no' }),
      404,
      'scope.not_found',
    );
    // A sibling county's applicant does not see it either.
    await refused(await u.slApplicant.get(`/api/v1/quotas/requests/${r.id}`), 404, 'scope.not_found');
    const still = await json<Req>(await u.applicant.get(`/api/v1/quotas/requests/${r.id}`));
    expect(still.status).toBe('pending');
    expect(still.steps[0]?.state).toBe('waiting');
  });

  it('a county approver cannot approve a city-level step (403 quota.approver_level); nothing changes', async () => {
    const r = await json<Req>(await apply(u.applicant, { amounts: { vcpu: 50 } }), 201);
    const e = await refused(
      await u.jjAdmin.send('POST', `/api/v1/quotas/requests/${r.id}/approve`, {}),
      403,
      'quota.approver_level',
    );
    expect(e.details?.[0]?.params).toMatchObject({ required: 'city', level: 'county' });
    const still = await json<Req>(await u.applicant.get(`/api/v1/quotas/requests/${r.id}`));
    expect(still.status).toBe('pending');
    expect(still.steps[0]?.state).toBe('waiting');
    expect(still.timeline.map((x) => x.kind)).toEqual(['applied']);
  });

  it('rejection needs a reason and ends the request; the applicant withdraws their own only', async () => {
    const r = await json<Req>(await apply(u.applicant, { amounts: { vcpu: 50 } }), 201);
    await refused(
      await u.cdAdmin.send('POST', `/api/v1/quotas/requests/${r.id}/reject`, {}),
      400,
      'input.invalid',
    );
    const rej = await json<Req>(
      await u.cdAdmin.send('POST', `/api/v1/quotas/requests/${r.id}/reject`, {
        reason: '资源需求未说明业务量',
      }),
    );
    expect(rej.status).toBe('rejected');
    expect(rej.steps[0]).toMatchObject({ state: 'rejected', comment: '资源需求未说明业务量' });
    await refused(
      await u.cdAdmin.send('POST', `/api/v1/quotas/requests/${r.id}/approve`, {}),
      409,
      'quota.request_state',
    );
    const w = await json<Req>(await apply(u.applicant, { amounts: { vcpu: 50 } }), 201);
    await refused(
      await u.jjAdmin.send('POST', `/api/v1/quotas/requests/${w.id}/withdraw`, {}),
      403,
      'quota.not_applicant',
    );
    const gone = await json<Req>(
      await u.applicant.send('POST', `/api/v1/quotas/requests/${w.id}/withdraw`, {}),
    );
    expect(gone.status).toBe('withdrawn');
    const inbox = await json<{ items: Req[] }>(await u.cdAdmin.get('/api/v1/quotas/requests?awaiting=me'));
    expect(inbox.items.map((x) => x.id)).not.toContain(w.id);
  });
});

describe('bad requests are refused with their code and reason, and change nothing', () => {
  it('negative, fractional, unknown class, unknown package, no justification, too long', async () => {
    const before = { n: await count(), vcpu: await allocated('vcpu') };
    const cases: Array<[Record<string, unknown>, number, string, string?]> = [
      [{ amounts: { vcpu: -4 } }, 400, 'input.invalid', 'amounts.vcpu'],
      [{ amounts: { vcpu: 2.5 } }, 400, 'quota.not_whole', 'amounts.vcpu'],
      [{ amounts: { vcpu: 2, qubits: 8 } }, 400, 'quota.unknown_class', 'amounts.qubits'],
      [{ package: 'quantum-lab' }, 400, 'quota.package_unknown', 'package'],
      [{ amounts: { vcpu: 2 }, justification: '   ' }, 400, 'input.invalid'],
      [{ amounts: { vcpu: 2 }, durationDays: 5000 }, 400, 'input.invalid', 'durationDays'],
      [{ amounts: { vcpu: 2 }, cloudId: 'no-such-cloud' }, 404, 'scope.not_found'],
      // 成都市 holds 1,000 vCPU in all: more than the parent has.
      [{ amounts: { vcpu: CD_QUOTA.vcpu + 1 } }, 409, 'quota.exceeds_parent'],
    ];
    for (const [body, status, code, path] of cases) {
      const e = await refused(await apply(u.applicant, body), status, code);
      if (path)
        expect(
          e.details?.map((d) => d.path),
          code,
        ).toContain(path);
    }
    expect(await count()).toBe(before.n);
    expect(await allocated('vcpu')).toBe(before.vcpu);
  });

  it('an approval the parent can no longer cover fails with the ledger’s reason; the request stays pending', async () => {
    const room = CD_QUOTA.memory - (await allocated('memory'));
    expect(room).toBeGreaterThan(200);
    // Two requests that each fit, but not both (memory at 20 CNY/GiB: the city's step only).
    const half = Math.floor(room / 2) + 5;
    const a = await json<Req>(await apply(u.applicant, { amounts: { memory: half } }), 201);
    const b = await json<Req>(await apply(u.applicant, { amounts: { memory: half } }), 201);
    await json(await u.cdAdmin.send('POST', `/api/v1/quotas/requests/${a.id}/approve`, {}));
    const e = await refused(
      await u.cdAdmin.send('POST', `/api/v1/quotas/requests/${b.id}/approve`, {}),
      409,
      'quota.exceeds_parent',
    );
    expect(e.message).toMatch(/memory/);
    const still = await json<Req>(await u.applicant.get(`/api/v1/quotas/requests/${b.id}`));
    expect(still.status).toBe('pending');
    expect(still.steps[0]?.state).toBe('waiting');
    expect(still.error).toMatchObject({ kind: 'allocation', code: 'quota.exceeds_parent' });
    expect(still.timeline.at(-1)).toMatchObject({ kind: 'allocation-refused', actor: 'cd-cloud' });
    expect((await projectQuotas()).has(b.projectId)).toBe(false);
    expect(await allocated('memory')).toBeLessThanOrEqual(CD_QUOTA.memory);
    // Rejected it stays out of the inbox.
    await json(
      await u.cdAdmin.send('POST', `/api/v1/quotas/requests/${b.id}/reject`, { reason: '配额不足' }),
    );
  });
});

describe('concurrency', () => {
  it('two admins approving against the same parent at once never over-allocate it', async () => {
    const used = await allocated('vcpu');
    const room = CD_QUOTA.vcpu - used;
    // 50 vCPU = 2,250 CNY a month: the city's step. Twice as many requests as fit in what is left.
    const each = 50;
    const n = Math.max(4, Math.floor(room / each) * 2);
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push((await json<Req>(await apply(u.applicant, { amounts: { vcpu: each } }), 201)).id);
    // Each admin walks the list from its own end; every approval is a real HTTP request on its own
    // connection, several in flight at once.
    const decide = async (who: Session, order: string[]) => {
      const out: number[] = [];
      const queue = [...order];
      const worker = async () => {
        for (let id = queue.shift(); id; id = queue.shift()) {
          const res = await who.send('POST', `/api/v1/quotas/requests/${id}/approve`, {});
          out.push(res.status);
          await res.body?.cancel();
        }
      };
      await Promise.all([worker(), worker(), worker()]);
      return out;
    };
    const [x, y] = await Promise.all([decide(u.cdAdmin, ids), decide(u.cdAdmin2, [...ids].reverse())]);
    const statuses = [...x, ...y];
    // 200 approved; 409 already decided by the other admin, or the ledger's refusal (over the parent).
    expect(
      statuses.every((s) => s === 200 || s === 409),
      String(statuses),
    ).toBe(true);
    const after = await allocated('vcpu');
    expect(after).toBeLessThanOrEqual(CD_QUOTA.vcpu);
    expect(await allocated('memory')).toBeLessThanOrEqual(CD_QUOTA.memory);
    // Exactly the approved requests hold quota; each request approved once.
    const list = await json<{ items: Req[] }>(await u.scAdmin.get('/api/v1/quotas/requests?limit=500'));
    const mine = list.items.filter((r) => ids.includes(r.id));
    const approved = mine.filter((r) => r.status === 'approved' || r.status === 'enforced');
    expect(approved.length).toBe(Math.floor(room / each));
    expect(after - used).toBe(approved.length * each);
    expect(mine.filter((r) => r.status === 'pending').length).toBe(n - approved.length);
  }, 120_000);
});
