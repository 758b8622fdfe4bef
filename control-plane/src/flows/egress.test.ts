import { describe, expect, it } from 'vitest';
import { bucketStats, percentile95, periodBounds } from './egress.js';

describe('percentile95 (nearest rank)', () => {
  it('drops the highest 5 % and takes the highest left', () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    expect(percentile95(v)).toBe(95);
    // 288 buckets (a day): ⌈273.6⌉ = 274th smallest, the top 14 dropped.
    const day = Array.from({ length: 288 }, (_, i) => i);
    expect(percentile95(day)).toBe(273);
    expect(percentile95([])).toBe(0);
    expect(percentile95([7])).toBe(7);
  });
});

describe('periodBounds (local days and months)', () => {
  it('cuts days and months at local midnight (UTC+08:00 by default)', () => {
    const d = periodBounds('day', '2026-12-01', 480);
    expect(new Date(d.start).toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect(d.end - d.start).toBe(86_400_000);
    const m = periodBounds('month', '2026-12', 480);
    expect(new Date(m.start).toISOString()).toBe('2026-11-30T16:00:00.000Z');
    expect(new Date(m.end).toISOString()).toBe('2026-12-31T16:00:00.000Z');
    expect(periodBounds('month', '2026-02-17', 0)).toMatchObject({ label: '2026-02' });
    // Default: today, local (2026-12-01T17:00Z is already 2 December in Beijing).
    expect(periodBounds('day', undefined, 480, Date.parse('2026-12-01T17:00:00Z')).label).toBe('2026-12-02');
  });

  it('refuses what is not a calendar date', () => {
    expect(() => periodBounds('day', '2026-02-30', 480)).toThrow(/calendar date/);
    expect(() => periodBounds('day', '2026-12', 480)).toThrow(/name a day/);
    expect(() => periodBounds('day', 'yesterday', 480)).toThrow(/at must be a date/);
  });
});

describe('bucketStats', () => {
  it('counts every elapsed 5-minute bucket, empty ones as 0', () => {
    const start = Date.UTC(2026, 10, 30, 16);
    const buckets = new Map<number, number>();
    // 20 buckets with k × 1 Mbit/s (k = 1..20): k × 37.5 MB per 5 minutes.
    for (let k = 1; k <= 20; k++) buckets.set(start + k * 300_000, k * 37_500_000);
    const s = bucketStats(buckets, start, start + 86_400_000, start + 2 * 86_400_000);
    expect(s.buckets).toBe(288);
    expect(s.peakBps).toBe(20e6);
    // 268 zeros then 1..20 Mbit/s: the 274th smallest is the 6th non-zero.
    expect(s.p95Bps).toBe(6e6);
    // Halfway through the day: 144 buckets elapsed, 124 zeros: the 137th smallest is the 13th.
    const half = bucketStats(buckets, start, start + 86_400_000, start + 43_200_000);
    expect(half.buckets).toBe(144);
    expect(half.p95Bps).toBe(13e6);
  });
});
