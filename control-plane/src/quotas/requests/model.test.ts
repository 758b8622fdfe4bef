import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DomainError } from '../../errors.js';
import { QuotasPolicy } from '../policy.js';
import { buildChain, expandAmounts, mayDecide, monthlyCost, type ChainUnit } from './model.js';

/** The shipped `policies/quotas.yaml`: auto-approve to 2,000 CNY, a city step above, a province step above 20,000. */
const shipped = QuotasPolicy.parse(
  parse(readFileSync(new URL('../../../../policies/quotas.yaml', import.meta.url), 'utf8')),
);

/** 锦江区 (county) under 成都市 (city) under 四川省 (province), nearest first. */
const county: ChainUnit[] = [
  { id: 'sc-cd-jj', level: 'county' },
  { id: 'sc-cd', level: 'city' },
  { id: 'sc', level: 'province' },
];

function refusal(fn: () => unknown): DomainError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

describe('amounts of a request', () => {
  it('expands a package × quantity and adds the extra amounts', () => {
    expect(
      expandAmounts(shipped, { package: 'small-web', quantity: 2, amounts: { vcpu: 4, 'public-ip': 1 } }),
    ).toEqual({ vcpu: 20, memory: 32, 'block-storage': 400, 'public-ip': 1 });
    expect(expandAmounts(shipped, { package: 'small-web' })).toEqual({
      vcpu: 8,
      memory: 16,
      'block-storage': 200,
    });
  });

  it('refuses a fraction of a whole-unit class with quota.not_whole, naming the class', () => {
    const e = refusal(() => expandAmounts(shipped, { amounts: { vcpu: 2.5 } }));
    expect(e.code).toBe('quota.not_whole');
    expect(e.details?.[0]).toMatchObject({ path: 'amounts.vcpu', params: { class: 'vcpu' } });
    expect(e.message).toMatch(/whole vCPU/);
  });

  it('accepts fractions of a class that is not whole-unit', () => {
    const policy = QuotasPolicy.parse({
      version: 1,
      classes: [
        {
          id: 'bandwidth',
          names: { 'zh-CN': '带宽', en: 'Bandwidth' },
          unit: 'Gbit/s',
          integer: false,
          monthlyPrice: 10,
        },
      ],
    });
    expect(expandAmounts(policy, { amounts: { bandwidth: 0.5 } })).toEqual({ bandwidth: 0.5 });
  });

  it('refuses an unknown class with quota.unknown_class', () => {
    const e = refusal(() => expandAmounts(shipped, { amounts: { vcpu: 1, qubits: 3 } }));
    expect(e.code).toBe('quota.unknown_class');
    expect(e.details?.[0]).toMatchObject({ path: 'amounts.qubits', params: { class: 'qubits' } });
  });

  it('refuses zero, negative and non-finite amounts with the field named', () => {
    for (const n of [0, -4, Number.NaN, Number.POSITIVE_INFINITY]) {
      const e = refusal(() => expandAmounts(shipped, { amounts: { memory: n } }));
      expect(e.code, String(n)).toBe('input.invalid');
      expect(e.details?.[0]?.path).toBe('amounts.memory');
      expect(e.message).toMatch(/above zero/);
    }
  });

  it('refuses an unknown package, a quantity without a package, a fractional quantity and nothing at all', () => {
    expect(refusal(() => expandAmounts(shipped, { package: 'quantum-lab' })).code).toBe(
      'quota.package_unknown',
    );
    expect(
      refusal(() => expandAmounts(shipped, { quantity: 2, amounts: { vcpu: 1 } })).details?.[0]?.path,
    ).toBe('quantity');
    expect(
      refusal(() => expandAmounts(shipped, { package: 'small-web', quantity: 1.5 })).details?.[0]?.path,
    ).toBe('quantity');
    expect(refusal(() => expandAmounts(shipped, {})).message).toMatch(/asks for nothing/);
  });

  it('names every problem at once', () => {
    const e = refusal(() => expandAmounts(shipped, { amounts: { vcpu: 1.5, gpu: -1, qubits: 1 } }));
    expect(e.details?.map((d) => d.path).sort()).toEqual(['amounts.gpu', 'amounts.qubits', 'amounts.vcpu']);
  });
});

describe('monthly cost by the price list', () => {
  it('sums amount × unit price per class, to the fen', () => {
    // small-web: 8 × 45 + 16 × 20 + 200 × 0.5 = 360 + 320 + 100
    expect(monthlyCost(shipped, { vcpu: 8, memory: 16, 'block-storage': 200 })).toBe(780);
    expect(monthlyCost(shipped, { 'object-storage': 3 })).toBe(0.36);
    expect(monthlyCost(shipped, { gpu: 2 })).toBe(9000);
  });
});

describe('the approval chain from policy', () => {
  it('approves at or below autoApproveMonthlyCost automatically', () => {
    expect(buildChain(shipped, 2000, county, 'province')).toEqual({ auto: true, steps: [] });
    expect(buildChain(shipped, 780, county, 'province').auto).toBe(true);
  });

  it('needs the city above the auto-approval limit, acted on by the county’s city', () => {
    expect(buildChain(shipped, 2000.01, county, 'province')).toEqual({
      auto: false,
      steps: [{ approverLevel: 'city', actingOrgUnitId: 'sc-cd' }],
    });
  });

  it('needs the city, then the province, above the province threshold', () => {
    expect(buildChain(shipped, 25_000, county, 'province')).toEqual({
      auto: false,
      steps: [
        { approverLevel: 'city', actingOrgUnitId: 'sc-cd' },
        { approverLevel: 'province', actingOrgUnitId: 'sc' },
      ],
    });
  });

  it('refuses steps out of order in the file, and goes up the levels in the listed order', () => {
    const steps = [
      { aboveMonthlyCost: 1000, approverLevel: 'province' },
      { aboveMonthlyCost: 100, approverLevel: 'county' },
      { aboveMonthlyCost: 500, approverLevel: 'city' },
    ];
    expect(() =>
      QuotasPolicy.parse({ ...shipped, approval: { autoApproveMonthlyCost: 100, steps } }),
    ).toThrow(/approval steps are listed by rising aboveMonthlyCost/);
    const policy = QuotasPolicy.parse({
      ...shipped,
      approval: {
        autoApproveMonthlyCost: 100,
        steps: [...steps].sort((x, y) => x.aboveMonthlyCost - y.aboveMonthlyCost),
      },
    });
    expect(buildChain(policy, 2000, county, 'province').steps.map((s) => s.approverLevel)).toEqual([
      'county',
      'city',
      'province',
    ]);
    expect(buildChain(policy, 600, county, 'province').steps.map((s) => s.actingOrgUnitId)).toEqual([
      'sc-cd-jj',
      'sc-cd',
    ]);
  });

  it('merges steps that fall to the same unit (a city department: the city step is its own city)', () => {
    const cityDept: ChainUnit[] = [
      { id: 'sc-cd', level: 'city' },
      { id: 'sc', level: 'province' },
    ];
    expect(buildChain(shipped, 25_000, cityDept, 'province').steps).toEqual([
      { approverLevel: 'city', actingOrgUnitId: 'sc-cd' },
      { approverLevel: 'province', actingOrgUnitId: 'sc' },
    ]);
    const province: ChainUnit[] = [{ id: 'sc', level: 'province' }];
    expect(buildChain(shipped, 25_000, province, 'province').steps).toEqual([
      { approverLevel: 'province', actingOrgUnitId: 'sc' },
    ]);
  });

  it('falls back to the lowest step when the thresholds start above the auto limit, and to the owner’s level without steps', () => {
    const gap = QuotasPolicy.parse({
      ...shipped,
      approval: { autoApproveMonthlyCost: 100, steps: [{ aboveMonthlyCost: 5000, approverLevel: 'city' }] },
    });
    expect(buildChain(gap, 200, county, 'province').steps).toEqual([
      { approverLevel: 'city', actingOrgUnitId: 'sc-cd' },
    ]);
    const none = QuotasPolicy.parse({ ...shipped, approval: { autoApproveMonthlyCost: 100, steps: [] } });
    expect(buildChain(none, 200, county, 'city').steps).toEqual([
      { approverLevel: 'city', actingOrgUnitId: 'sc-cd' },
    ]);
  });
});

describe('who may decide a step', () => {
  it('an approver at the step’s level or higher who is not the applicant', () => {
    expect(mayDecide({ id: 'u-city', level: 'city' }, { approverLevel: 'city' }, 'u-county')).toBeUndefined();
    expect(
      mayDecide({ id: 'u-sc', level: 'province' }, { approverLevel: 'city' }, 'u-county'),
    ).toBeUndefined();
  });

  it('refuses a lower level with the level it needs, and the applicant', () => {
    expect(mayDecide({ id: 'u-jj', level: 'county' }, { approverLevel: 'city' }, 'u-x')).toEqual({
      kind: 'level',
      required: 'city',
      level: 'county',
    });
    expect(mayDecide({ id: 'u-cd', level: 'city' }, { approverLevel: 'province' }, 'u-x')?.kind).toBe(
      'level',
    );
    expect(mayDecide({ id: 'u-cd', level: 'city' }, { approverLevel: 'city' }, 'u-cd')).toEqual({
      kind: 'self',
    });
  });
});
