import { describe, expect, it } from 'vitest';
import {
  formatTimeTick,
  linePath,
  linearScale,
  nearestIndex,
  niceStep,
  niceTicks,
  timeTicks,
  valueExtent,
} from './chart-scale.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe('niceStep', () => {
  it('rounds up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect(niceStep(0.7)).toBe(1);
    expect(niceStep(1.3)).toBe(2);
    expect(niceStep(23)).toBe(25);
    expect(niceStep(38)).toBe(50);
    expect(niceStep(7_300_000)).toBe(10_000_000);
    expect(niceStep(0.013)).toBeCloseTo(0.02);
  });

  it('falls back to 1 for unusable input', () => {
    expect(niceStep(0)).toBe(1);
    expect(niceStep(Number.NaN)).toBe(1);
  });
});

describe('niceTicks', () => {
  it('covers the domain with round ticks', () => {
    expect(niceTicks(0, 100, 4)).toEqual({ min: 0, max: 100, step: 25, ticks: [0, 25, 50, 75, 100] });
    expect(niceTicks(0, 3.7, 4).ticks).toEqual([0, 1, 2, 3, 4]);
  });

  it('widens a flat or empty domain', () => {
    expect(niceTicks(0, 0).ticks).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(niceTicks(42, 42).min).toBe(0);
    expect(niceTicks(42, 42).max).toBeGreaterThanOrEqual(42);
  });

  it('avoids floating-point noise in tick values', () => {
    for (const tick of niceTicks(0, 0.3, 3).ticks) expect(String(tick).length).toBeLessThan(6);
  });

  it('accepts a reversed domain', () => {
    expect(niceTicks(10, 0, 2).ticks).toEqual([0, 5, 10]);
  });
});

describe('linearScale', () => {
  it('maps the domain onto the range, also inverted', () => {
    const y = linearScale([0, 100], [200, 0]);
    expect(y(0)).toBe(200);
    expect(y(50)).toBe(100);
    expect(y(100)).toBe(0);
  });

  it('maps a zero-width domain to the middle', () => {
    expect(linearScale([5, 5], [0, 10])(5)).toBe(5);
  });
});

describe('timeTicks', () => {
  it('picks a round step for the span and aligns ticks to the local clock', () => {
    const start = Date.UTC(2026, 0, 1, 10, 7);
    const { step, ticks } = timeTicks(start, start + HOUR, 4, 0);
    expect(step).toBe(15 * MINUTE);
    expect(ticks.map((t) => new Date(t).toISOString().slice(11, 16))).toEqual([
      '10:15',
      '10:30',
      '10:45',
      '11:00',
    ]);
  });

  it('aligns day ticks to local midnight in UTC+8', () => {
    const start = Date.UTC(2026, 0, 1, 3, 0);
    const { step, ticks } = timeTicks(start, start + 7 * 24 * HOUR, 7, 480);
    expect(step).toBe(24 * HOUR);
    for (const t of ticks) expect(formatTimeTick(t, step, 480)).toMatch(/^01-0\d$/);
    expect(new Date((ticks[0] as number) + 8 * HOUR).toISOString().slice(11, 16)).toBe('00:00');
  });

  it('keeps at least two ticks on a narrow seven-day chart', () => {
    const start = Date.UTC(2026, 0, 1, 3, 0);
    expect(timeTicks(start, start + 7 * 24 * HOUR, 3, 480).ticks.length).toBeGreaterThanOrEqual(2);
  });

  it('returns no ticks for an empty span', () => {
    expect(timeTicks(10, 10).ticks).toEqual([]);
  });
});

describe('formatTimeTick', () => {
  it('shows the time for sub-day steps and the date at midnight', () => {
    expect(formatTimeTick(Date.UTC(2026, 2, 5, 14, 30), HOUR, 0)).toBe('14:30');
    expect(formatTimeTick(Date.UTC(2026, 2, 5, 16, 0), HOUR, 480)).toBe('03-06');
    expect(formatTimeTick(Date.UTC(2026, 2, 5, 0, 0), 24 * HOUR, 0)).toBe('03-05');
  });
});

describe('nearestIndex', () => {
  const points: [number, number][] = [
    [0, 1],
    [10, 2],
    [20, 3],
    [30, 4],
  ];

  it('finds the closest sample by time', () => {
    expect(nearestIndex(points, -5)).toBe(0);
    expect(nearestIndex(points, 14)).toBe(1);
    expect(nearestIndex(points, 16)).toBe(2);
    expect(nearestIndex(points, 99)).toBe(3);
  });

  it('returns -1 without samples', () => {
    expect(nearestIndex([], 3)).toBe(-1);
  });
});

describe('valueExtent', () => {
  it('spans all finite values of all series', () => {
    expect(
      valueExtent([
        [
          [0, 3],
          [1, Number.NaN],
        ],
        [[0, -1]],
      ]),
    ).toEqual([-1, 3]);
    expect(valueExtent([[]])).toBeUndefined();
  });
});

describe('linePath', () => {
  const id = (v: number): number => v;

  it('draws a polyline', () => {
    expect(
      linePath(
        [
          [0, 0],
          [10, 5],
        ],
        id,
        id,
      ),
    ).toBe('M0.0,0.0L10.0,5.0');
  });

  it('breaks the line at gaps and at missing values', () => {
    const path = linePath(
      [
        [0, 1],
        [10, 1],
        [50, 1],
        [60, Number.NaN],
        [70, 1],
      ],
      id,
      id,
      20,
    );
    expect(path).toBe('M0.0,1.0L10.0,1.0M50.0,1.0M70.0,1.0');
  });
});
