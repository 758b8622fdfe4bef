import { describe, expect, it } from 'vitest';
import {
  clampToCurrent,
  coverageProblem,
  coverageSlices,
  coverageTolerance,
  DAY_SECONDS,
  judgeProject,
  monthRange,
  score,
  scoreParts,
  showback,
  type SeriesStats,
} from './model.js';

const settings = { windowDays: 30, idleThreshold: 0.3, headroom: 0.2 };
const to = 1_800_000_000;
const from = to - 30 * DAY_SECONDS;
const covered = (cls: string, peakUsed: number, peakPhysical: number | null = null): SeriesStats => ({
  class: cls,
  first: from + 60,
  last: to - 60,
  samples: 2880,
  peakUsed,
  peakPhysical,
  slicesCovered: 40,
});
const judge = (
  quota: Record<string, number>,
  used: Record<string, number>,
  stats: SeriesStats[],
  integer = true,
) =>
  judgeProject({
    quota,
    used,
    stats: new Map(stats.map((s) => [s.class, s])),
    integer: () => integer,
    settings,
    from,
    to,
  });

describe('coverage of the window', () => {
  it('tolerates one hour or 5 % of the window, checked in slices of half of it', () => {
    expect(coverageTolerance(1)).toBe(3600 * 1.2);
    expect(coverageTolerance(30)).toBe(36 * 3600);
    expect(coverageTolerance(0.1)).toBe(3600);
    expect(coverageSlices(from, to, 30)).toEqual({ slice: 18 * 3600, count: 40 });
    expect(coverageSlices(0, DAY_SECONDS, 1)).toEqual({ slice: 36 * 60, count: 40 });
    // A short window: 1 hour tolerance, slices of 30 minutes, the partial last one unchecked.
    expect(coverageSlices(0, 7000, 0.081)).toEqual({ slice: 1800, count: 3 });
  });
  it('judges no project younger than the window, none with a hole', () => {
    const slice = 18 * 3600;
    const ok = covered('vcpu', 1);
    expect(coverageProblem(ok, from, to, 30)).toBeNull();
    expect(coverageProblem({ ...ok, first: from + slice }, from, to, 30)).toMatch(/younger than the window/);
    expect(coverageProblem({ ...ok, first: from + slice - 1 }, from, to, 30)).toBeNull();
    expect(coverageProblem({ ...ok, slicesCovered: 39 }, from, to, 30)).toMatch(
      /no sample in 1 of the window's 40 slices of 18.0 h/,
    );
    expect(coverageProblem({ ...ok, samples: 0 }, from, to, 30)).toMatch(/no samples/);
  });
});

describe('idle detection and the amounts to reclaim', () => {
  it('reclaims quota − ceil(peak × (1 + headroom)) of an idle class, whole units', () => {
    // vcpu: quota 16, peak 3 (< 0.3 × 16 = 4.8) → keep ceil(3.6) = 4 → reclaim 12.
    const r = judge({ vcpu: 16 }, { vcpu: 2 }, [covered('vcpu', 3)]);
    expect(r.amounts).toEqual({ vcpu: 12 });
    expect(r.classes[0]).toMatchObject({ verdict: 'idle', keep: 4, reclaim: 12 });
  });
  it('a peak at or over the threshold is busy', () => {
    expect(judge({ vcpu: 10 }, {}, [covered('vcpu', 3)]).amounts).toEqual({});
    expect(judge({ vcpu: 10 }, {}, [covered('vcpu', 3)]).classes[0]!.verdict).toBe('busy');
    expect(judge({ vcpu: 10 }, {}, [covered('vcpu', 2.99)]).amounts).toEqual({ vcpu: 6 });
  });
  it('the physical peak counts when it is the higher one', () => {
    // used peaks at 1 but the hosts measured 5 busy cores out of 16: 5 ≥ 4.8, not idle.
    expect(judge({ vcpu: 16 }, {}, [covered('vcpu', 1, 5)]).amounts).toEqual({});
    // measured 2: keep ceil(2.4) = 3.
    expect(judge({ vcpu: 16 }, {}, [covered('vcpu', 1, 2)]).amounts).toEqual({ vcpu: 13 });
  });
  it('never leaves less than what is used now', () => {
    // peak over the window 2 but used now 9 (it just grew, still under 0.3 × 100): keep 9.
    const r = judge({ memory: 100 }, { memory: 9 }, [covered('memory', 2)]);
    expect(r.amounts).toEqual({ memory: 91 });
    expect(r.classes[0]!.keep).toBe(9);
  });
  it('headroom 0 keeps exactly the peak; headroom large leaves nothing to take', () => {
    expect(
      judgeProject({
        quota: { vcpu: 10 },
        used: {},
        stats: new Map([['vcpu', covered('vcpu', 2)]]),
        integer: () => true,
        settings: { ...settings, headroom: 0 },
        from,
        to,
      }).amounts,
    ).toEqual({ vcpu: 8 });
    const big = judgeProject({
      quota: { vcpu: 10 },
      used: {},
      stats: new Map([['vcpu', covered('vcpu', 2)]]),
      integer: () => true,
      settings: { ...settings, headroom: 5 },
      from,
      to,
    });
    expect(big.amounts).toEqual({});
    expect(big.classes[0]!.verdict).toBe('nothing-to-reclaim');
  });
  it('fractional classes keep thousandths', () => {
    expect(judge({ bandwidth: 10 }, {}, [covered('bandwidth', 1.0001)], false).amounts).toEqual({
      bandwidth: 8.799,
    });
  });
  it('a class without covering samples is not judged; a class without quota is skipped', () => {
    const r = judge({ vcpu: 16, gpu: 2, memory: 0 }, {}, [
      covered('vcpu', 0),
      { ...covered('gpu', 0), first: to - 3600 },
    ]);
    expect(r.amounts).toEqual({ vcpu: 16 - 0 });
    expect(r.classes.map((c) => [c.class, c.verdict])).toEqual([
      ['gpu', 'uncovered'],
      ['vcpu', 'idle'],
    ]);
  });
  it('idle threshold 0 never proposes anything', () => {
    const r = judgeProject({
      quota: { vcpu: 16 },
      used: {},
      stats: new Map([['vcpu', covered('vcpu', 0)]]),
      integer: () => true,
      settings: { ...settings, idleThreshold: 0 },
      from,
      to,
    });
    expect(r.amounts).toEqual({});
  });
  it('at apply time takes at most what the quota holds above current usage', () => {
    const int = () => true;
    expect(
      clampToCurrent({ vcpu: 12, memory: 20 }, { vcpu: 16, memory: 24 }, { vcpu: 6, memory: 1.5 }, int),
    ).toEqual({
      vcpu: 10,
      memory: 20,
    });
    expect(clampToCurrent({ vcpu: 12 }, { vcpu: 4 }, { vcpu: 4 }, int)).toEqual({});
  });
});

describe('showback', () => {
  it('divides by the days of a past month and by the days begun in the current one', () => {
    const now = new Date(Date.UTC(2026, 1, 10, 12)); // 10 February 2026
    expect(monthRange('2026-01', now)).toMatchObject({ days: 31, month: '2026-01' });
    expect(monthRange('2026-02', now).days).toBe(10);
    expect(monthRange(undefined, now).month).toBe('2026-02');
    expect(monthRange('2024-02', now).days).toBe(29);
    expect(() => monthRange('2026-03', now)).toThrow(/has not begun/);
    expect(() => monthRange('2026-13', now)).toThrow(/YYYY-MM/);
    expect(() => monthRange('26-1', now)).toThrow(/YYYY-MM/);
  });
  it('averages quota and used per day, sums projects, costs the average quota', () => {
    // Project A: 10 vcpu for the first 15 of 30 days, then 20; project B: 4 vcpu on 3 days only.
    const rows = [
      ...Array.from({ length: 15 }, () => ({ class: 'vcpu', samples: 96, quotaSum: 960, usedSum: 96 * 2 })),
      ...Array.from({ length: 15 }, () => ({ class: 'vcpu', samples: 96, quotaSum: 1920, usedSum: 96 * 5 })),
      ...Array.from({ length: 3 }, () => ({ class: 'vcpu', samples: 4, quotaSum: 16, usedSum: 0 })),
      { class: 'memory', samples: 2, quotaSum: 64, usedSum: 10 },
    ].map((r) => ({ ...r, orgPath: '/sc/', physicalSamples: 0, physicalSum: 0 }));
    const price = (c: string) => (c === 'vcpu' ? 45 : 20);
    const s = showback(rows, 30, price);
    // vcpu: (15 × 10 + 15 × 20 + 3 × 4) / 30 = 15.4; used (15 × 2 + 15 × 5) / 30 = 3.5.
    expect(s.byClass.vcpu).toEqual({ quota: 15.4, used: 3.5, cost: 693 });
    // memory: one day at 32 GiB → 32 / 30.
    expect(s.byClass.memory).toEqual({ quota: 1.067, used: 0.167, cost: 21.33 });
    expect(s.total).toBe(714.33);
    expect(showback([], 30, price)).toEqual({ byClass: {}, total: 0 });
  });
});

describe('provider score', () => {
  it('weights availability 40, fulfilment 20, utilisation 25, reliability 15', () => {
    const full = {
      availability: 1,
      fulfilmentHoursMedian: 2,
      utilisation: { vcpu: 0.9 },
      passes: 100,
      drift: 0,
      errors: 0,
    };
    expect(score(full)).toBe(100);
    expect(scoreParts({ ...full, fulfilmentHoursMedian: 96 }).fulfilment).toBe(0.5);
    expect(score({ ...full, availability: 0.5 })).toBe(80);
    // utilisation 0.35 of a 0.7 target → 0.5 → 25 × 0.5 lost.
    expect(score({ ...full, utilisation: { vcpu: 0.35 } })).toBe(87.5);
    // 5 drift + errors in 100 passes: half of the 10 % that scores zero.
    expect(score({ ...full, drift: 3, errors: 2 })).toBe(92.5);
    expect(score({ ...full, fulfilmentHoursMedian: 500 })).toBe(80);
  });
  it('leaves out components without data and rescales; null without any', () => {
    expect(
      score({
        availability: 0.5,
        fulfilmentHoursMedian: null,
        utilisation: {},
        passes: 0,
        drift: 0,
        errors: 0,
      }),
    ).toBe(50);
    expect(
      score({
        availability: null,
        fulfilmentHoursMedian: null,
        utilisation: {},
        passes: 0,
        drift: 0,
        errors: 0,
      }),
    ).toBeNull();
  });
});
