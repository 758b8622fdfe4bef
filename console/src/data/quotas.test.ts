import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from './api.js';
import {
  ShapeError,
  amountIssues,
  amountsFromInputs,
  anyAmount,
  approveRequest,
  createRequest,
  fetchRequests,
  fetchTree,
  findOrgUnit,
  graceOver,
  idleAmounts,
  isQuotasMissing,
  mayQuotas,
  monthlyCost,
  packageAmounts,
  parseCatalogue,
  parseClasses,
  parseClouds,
  parseReclaims,
  parseRequest,
  parseRequestPage,
  parseRequestQuery,
  parseScorecards,
  parseShowback,
  parseTree,
  recentMonths,
  rejectRequest,
  requestFilter,
  requestQuerySearch,
  treeRows,
} from './quotas.js';
import type { ResourceClass, TreeNode } from './quotas.js';

// Answers shaped exactly like the quotas contract's (docs: /work/briefs11/quotas-contract.md, API),
// with the classes and catalogue of the shipped policies/quotas.yaml.
const classesAnswer = {
  items: [
    { id: 'vcpu', names: { 'zh-CN': '虚拟CPU', en: 'vCPU' }, unit: 'vCPU', integer: true, monthlyPrice: 45 },
    { id: 'memory', names: { 'zh-CN': '内存', en: 'Memory' }, unit: 'GiB', integer: true, monthlyPrice: 20 },
    {
      id: 'block-storage',
      names: { 'zh-CN': '块存储', en: 'Block storage' },
      unit: 'GiB',
      integer: true,
      monthlyPrice: 0.5,
    },
    { id: 'gpu', names: { 'zh-CN': 'GPU', en: 'GPU' }, unit: 'card', integer: true, monthlyPrice: 4500 },
    { id: 'ratio', names: { 'zh-CN': '比例', en: 'Ratio' }, unit: 'x', integer: false, monthlyPrice: 0 },
  ],
};
const classes: ResourceClass[] = parseClasses(classesAnswer);

const cloudsAnswer = {
  items: [
    {
      id: 'sc-k8s',
      name: '省级政务云（容器）',
      kind: 'kubernetes',
      tier: 'province',
      orgUnitId: 'sc',
      orgUnitName: '四川省',
      region: 'cd-1',
      connection: { endpoint: 'https://127.0.0.1:6443', settings: {}, secrets: { token: true } },
      classes: [
        {
          class: 'vcpu',
          capacity: 512,
          capacitySource: 'cloud',
          overcommit: 2,
          allocatable: 1024,
          allocated: 96,
          used: 40,
          physical: 12,
        },
        {
          class: 'memory',
          capacity: null,
          capacitySource: null,
          overcommit: 1,
          allocatable: null,
          allocated: 0,
          used: 0,
          physical: 0,
        },
      ],
      sync: {
        state: 'error',
        error: {
          kind: 'unreachable',
          message: 'connect ECONNREFUSED 127.0.0.1:6443',
          at: '2026-12-02T01:00:00Z',
        },
        checkedAt: '2026-12-02T01:00:00Z',
      },
    },
    {
      id: 'cd-os',
      name: '成都市政务云',
      kind: 'openstack',
      tier: 'city',
      orgUnitId: 'sc-cd',
      orgUnitName: '成都市',
      region: 'RegionOne',
      connection: null,
      classes: [],
      sync: { state: 'never', error: null, checkedAt: null },
    },
  ],
};

const tree = {
  cloudId: 'sc-k8s',
  classes: ['vcpu', 'memory'],
  root: {
    kind: 'org-unit',
    id: 'sc',
    name: '四川省',
    orgUnitId: 'sc',
    quota: { vcpu: 1024 },
    allocatedToChildren: { vcpu: 96 },
    used: { vcpu: 40 },
    physical: { vcpu: 12 },
    children: [
      {
        kind: 'org-unit',
        id: 'sc-cd',
        name: '成都市',
        orgUnitId: 'sc-cd',
        quota: { vcpu: 64, memory: 128 },
        allocatedToChildren: { vcpu: 16 },
        used: { vcpu: 8 },
        physical: {},
        children: [
          {
            kind: 'org-unit',
            id: 'sc-cd-jj',
            name: '锦江区',
            orgUnitId: 'sc-cd-jj',
            quota: { vcpu: 16 },
            allocatedToChildren: { vcpu: 8 },
            used: { vcpu: 8 },
            physical: {},
            children: [
              {
                kind: 'project',
                id: 'jj-web',
                name: '锦江区门户',
                orgUnitId: 'sc-cd-jj',
                quota: { vcpu: 8 },
                allocatedToChildren: {},
                used: { vcpu: 8 },
                physical: { vcpu: 2 },
                children: [],
              },
            ],
          },
        ],
      },
      {
        kind: 'project',
        id: 'prov-data',
        name: '省数据平台',
        orgUnitId: 'sc',
        quota: { vcpu: 32 },
        allocatedToChildren: {},
        used: { vcpu: 32 },
        physical: {},
        children: [],
      },
    ],
  },
};

const request = {
  id: 'rq-1',
  cloudId: 'sc-k8s',
  projectId: 'jj-web',
  orgUnitId: 'sc-cd-jj',
  orgUnitName: '锦江区',
  applicant: 'jj-user',
  amounts: { vcpu: 8, memory: 16, 'block-storage': 200 },
  package: 'small-web',
  quantity: 1,
  monthlyCost: 780,
  justification: 'portal',
  durationDays: 365,
  status: 'approved',
  steps: [
    {
      level: 1,
      approverLevel: 'city',
      state: 'approved',
      by: 'cd-admin',
      at: '2026-12-02T01:02:00Z',
      comment: 'ok',
    },
  ],
  createdAt: '2026-12-02T01:00:00Z',
  decidedAt: '2026-12-02T01:02:00Z',
  expiresAt: '2027-12-02T01:00:00Z',
  error: null,
  timeline: [{ at: '2026-12-02T01:00:00Z', kind: 'applied', by: 'jj-user' }],
  enforcement: {
    version: 3,
    sync: {
      projectId: 'jj-web',
      cloudId: 'sc-k8s',
      state: 'error',
      appliedVersion: 2,
      error: { kind: 'forbidden', message: 'resourcequotas is forbidden', at: '2026-12-02T01:03:00Z' },
      drift: null,
      checkedAt: '2026-12-02T01:03:00Z',
    },
  },
};

function answer(status: number, body: unknown) {
  return vi.fn(
    async () =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }),
  );
}

afterEach(() => vi.unstubAllGlobals());

describe('parsing the quota answers', () => {
  it('reads clouds with their classes, connection state and error', () => {
    const clouds = parseClouds(cloudsAnswer);
    expect(clouds.map((c) => c.id)).toEqual(['sc-k8s', 'cd-os']);
    const k8s = clouds[0]!;
    expect(k8s.classes[0]).toEqual({
      class: 'vcpu',
      capacity: 512,
      capacitySource: 'cloud',
      overcommit: 2,
      allocatable: 1024,
      allocated: 96,
      used: 40,
      physical: 12,
    });
    expect(k8s.classes[1]!.capacity).toBeNull();
    expect(k8s.sync.error).toEqual({
      kind: 'unreachable',
      message: 'connect ECONNREFUSED 127.0.0.1:6443',
      at: '2026-12-02T01:00:00Z',
    });
    expect(k8s.connection?.secrets).toEqual({ token: true });
    expect(clouds[1]!.connection).toBeNull();
  });

  it('names the field of a wrong answer instead of showing a blank', () => {
    const bad = structuredClone(cloudsAnswer);
    (bad.items[0]!.classes[0] as Record<string, unknown>)['allocated'] = '96';
    expect(() => parseClouds(bad)).toThrow(ShapeError);
    expect(() => parseClouds(bad)).toThrow('clouds.items[0].classes[0].allocated is not a number');
    expect(() => parseTree({ root: { kind: 'namespace', id: 'x' } })).toThrow('tree.root.kind');
    expect(() => parseShowback({ month: '2026-12', items: [{ orgUnitId: 'sc', total: 'lots' }] })).toThrow(
      'showback.items[0].total is not a number',
    );
  });

  it('reads the tree, the catalogue and a request with its enforcement', () => {
    const t = parseTree(tree);
    expect(t.root.children.map((c) => c.id)).toEqual(['sc-cd', 'prov-data']);
    expect(findOrgUnit(t.root, 'sc-cd-jj')?.children[0]?.id).toBe('jj-web');
    const cat = parseCatalogue({
      items: [
        {
          id: 'small-web',
          names: { 'zh-CN': '小型网站系统', en: 'Small web system' },
          resources: { vcpu: 8, memory: 16, 'block-storage': 200 },
        },
      ],
    });
    expect(cat[0]!.resources).toEqual({ vcpu: 8, memory: 16, 'block-storage': 200 });
    const r = parseRequest(request);
    expect(r.steps[0]).toMatchObject({ approverLevel: 'city', state: 'approved', comment: 'ok' });
    expect(r.enforcement).toEqual({
      state: 'error',
      applied: false,
      version: 3,
      appliedVersion: 2,
      error: { kind: 'forbidden', message: 'resourcequotas is forbidden', at: '2026-12-02T01:03:00Z' },
      checkedAt: '2026-12-02T01:03:00Z',
    });
    const applied = parseRequest({
      ...request,
      enforcement: { version: 3, sync: { state: 'applied', appliedVersion: 3 } },
    });
    expect(applied.enforcement?.applied).toBe(true);
    expect(parseRequestPage({ items: [request], nextCursor: 'c2' }).nextCursor).toBe('c2');
  });

  it('reads reclaims, showback and scorecards', () => {
    const [r] = parseReclaims({
      items: [
        {
          id: 'rc-1',
          cloudId: 'sc-k8s',
          projectId: 'jj-web',
          orgUnitId: 'sc-cd-jj',
          amounts: { vcpu: 6 },
          evidence: {
            windowDays: 30,
            peakUsed: { vcpu: 1 },
            peakPhysical: { vcpu: 0.4 },
            quota: { vcpu: 8 },
          },
          status: 'proposed',
          proposedAt: '2026-12-01T00:00:00Z',
          applyAfter: '2026-12-08T00:00:00Z',
          decidedBy: null,
          reason: null,
        },
      ],
    });
    expect(idleAmounts(r!)).toEqual({ vcpu: 7 });
    expect(graceOver(r!, Date.parse('2026-12-07T23:59:59Z'))).toBe(false);
    expect(graceOver(r!, Date.parse('2026-12-08T00:00:00Z'))).toBe(true);
    const s = parseShowback({
      month: '2026-11',
      currency: 'CNY',
      items: [
        {
          orgUnitId: 'sc-cd',
          name: '成都市',
          byClass: { vcpu: { quota: 64, used: 8, cost: 2880 } },
          total: 2880,
        },
      ],
    });
    expect(s.items[0]!.byClass['vcpu']).toEqual({ quota: 64, used: 8, cost: 2880 });
    const [card] = parseScorecards({
      items: [
        {
          cloudId: 'sc-k8s',
          name: '省级政务云',
          availability: 0.9995,
          fulfilmentHoursMedian: 2.5,
          utilisation: { vcpu: 0.41 },
          drift: 1,
          errors: 0,
          score: 91.2,
        },
      ],
    });
    expect(card).toMatchObject({ availability: 0.9995, score: 91.2, utilisation: { vcpu: 0.41 } });
  });
});

describe('the request form’s sums and checks', () => {
  it('costs amounts by the price list and multiplies packages', () => {
    // small-web: 8 × 45 + 16 × 20 + 200 × 0.5 = 780 CNY a month
    expect(monthlyCost({ vcpu: 8, memory: 16, 'block-storage': 200 }, classes)).toBe(780);
    const pkg = parseCatalogue([{ id: 'small-web', names: 'x', resources: { vcpu: 8, memory: 16 } }])[0]!;
    expect(packageAmounts(pkg, 3)).toEqual({ vcpu: 24, memory: 48 });
    expect(monthlyCost({ gpu: 2, unknown: 5 }, classes)).toBe(9000);
  });

  it('refuses what the API refuses: unknown classes, negatives, fractions of whole units, non-numbers', () => {
    const a = amountsFromInputs({
      vcpu: '2.5',
      memory: '-1',
      gpu: 'two',
      'block-storage': ' ',
      ratio: '1.5',
      disk: '3',
    });
    expect(a['block-storage']).toBeUndefined();
    expect(amountIssues(a, classes)).toEqual([
      { class: 'vcpu', problem: 'not-whole' },
      { class: 'memory', problem: 'negative' },
      { class: 'gpu', problem: 'not-number' },
      { class: 'disk', problem: 'unknown-class' },
    ]);
    expect(amountIssues(amountsFromInputs({ vcpu: '4', ratio: '0.5', memory: '1e3' }), classes)).toEqual([]);
    expect(amountsFromInputs({ vcpu: '0x10' })['vcpu']).toBeNaN();
    expect(anyAmount({ vcpu: 0 })).toBe(false);
    expect(anyAmount({ vcpu: 0, memory: 1 })).toBe(true);
  });
});

describe('the quota table', () => {
  it('lists the root and its children, and a unit’s children once expanded', () => {
    const root = parseTree(tree).root as TreeNode;
    const keys = (set: string[]) => treeRows(root, new Set(set)).map((r) => `${r.depth}:${r.node.id}`);
    expect(keys([])).toEqual(['0:sc', '1:sc-cd', '1:prov-data']);
    expect(keys(['org-unit:sc-cd'])).toEqual(['0:sc', '1:sc-cd', '2:sc-cd-jj', '1:prov-data']);
    expect(keys(['org-unit:sc-cd', 'org-unit:sc-cd-jj'])).toEqual([
      '0:sc',
      '1:sc-cd',
      '2:sc-cd-jj',
      '3:jj-web',
      '1:prov-data',
    ]);
    const rows = treeRows(root, new Set());
    expect(rows[1]).toMatchObject({ hasChildren: true, expanded: false });
    expect(rows[2]).toMatchObject({ hasChildren: false });
  });
});

describe('the request list’s query', () => {
  it('keeps status and scope in the URL and asks the API for them', () => {
    const q = parseRequestQuery('?status=approved,bogus,pending&scope=mine');
    expect(q).toEqual({ status: ['pending', 'approved'], scope: 'mine', cloud: '' });
    expect(requestQuerySearch(q)).toBe('?status=pending%2Capproved&scope=mine');
    expect(requestFilter(q)).toEqual({ status: 'pending,approved', mine: 'true' });
    expect(requestFilter(parseRequestQuery(''))).toEqual({});
  });

  it('offers the months ending with the current one, crossing the year', () => {
    expect(recentMonths(Date.parse('2026-02-15T00:00:00Z'), 4)).toEqual([
      '2026-02',
      '2026-01',
      '2025-12',
      '2025-11',
    ]);
  });
});

describe('talking to the API', () => {
  it('asks for the tree of one cloud from a root', async () => {
    const fetch = answer(200, tree);
    vi.stubGlobal('fetch', fetch);
    const t = await fetchTree('sc-k8s', 'sc-cd', undefined);
    expect(t.root.id).toBe('sc');
    expect(String((fetch.mock.calls[0] as unknown[])[0])).toBe('/api/v1/quotas/tree?cloud=sc-k8s&root=sc-cd');
  });

  it('sends an application and the decisions with their comment and reason', async () => {
    const fetch = answer(201, { ...request, status: 'pending', enforcement: null });
    vi.stubGlobal('fetch', fetch);
    const created = await createRequest({
      cloudId: 'sc-k8s',
      newProject: { id: 'jj-web', name: '锦江区门户' },
      package: 'small-web',
      quantity: 1,
      justification: 'portal',
      durationDays: 365,
    });
    expect(created.status).toBe('pending');
    const [url, init] = fetch.mock.calls[0] as unknown as [string, RequestInit];
    expect(url).toBe('/api/v1/quotas/requests');
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toMatchObject({
      newProject: { id: 'jj-web' },
      package: 'small-web',
    });

    const decide = answer(200, {});
    vi.stubGlobal('fetch', decide);
    await approveRequest('rq/1', '  fine ');
    await rejectRequest('rq-2', ' no budget ');
    const calls = decide.mock.calls as unknown as [string, RequestInit][];
    expect(calls[0]![0]).toBe('/api/v1/quotas/requests/rq%2F1/approve');
    expect(JSON.parse(String(calls[0]![1].body))).toEqual({ comment: 'fine' });
    expect(JSON.parse(String(calls[1]![1].body))).toEqual({ reason: 'no budget' });
  });

  it('keeps the API’s refusal with its code, and knows a server without quotas', async () => {
    vi.stubGlobal(
      'fetch',
      answer(409, {
        error: { code: 'quota.exceeds_parent', message: 'more than 成都市 has left', details: [] },
      }),
    );
    const err = await createRequest({
      cloudId: 'x',
      projectId: 'p',
      amounts: { vcpu: 1 },
      justification: 'j',
      durationDays: 1,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).code).toBe('quota.exceeds_parent');
    expect(isQuotasMissing(err)).toBe(false);
    vi.stubGlobal('fetch', answer(404, { error: { code: 'route.not_found', message: 'no route' } }));
    expect(isQuotasMissing(await fetchRequests({}, null).catch((e: unknown) => e))).toBe(true);
  });
});

describe('who may do what', () => {
  it('offers applying to applicants and admins, approving and writing to cloud admins', () => {
    expect(mayQuotas({ roles: ['applicant'] }, 'apply')).toBe(true);
    expect(mayQuotas({ roles: ['applicant'] }, 'approve')).toBe(false);
    expect(mayQuotas({ roles: ['cloud-admin'] }, 'write')).toBe(true);
    expect(mayQuotas({ roles: ['auditor'] }, 'apply')).toBe(false);
    expect(mayQuotas(undefined, 'apply')).toBe(false);
  });
});
