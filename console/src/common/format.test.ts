import { describe, expect, it } from 'vitest';
import {
  formatBitRate,
  formatBytes,
  formatCount,
  formatNumber,
  formatPercent,
  formatRelativeTime,
  formatTimeFromNow,
} from './format.js';

describe('formatRelativeTime', () => {
  const now = Date.UTC(2026, 4, 20, 12, 0, 0);

  it('reads "never" for a missing moment', () => {
    expect(formatRelativeTime(null, now)).toBe('never');
    expect(formatRelativeTime(undefined, now)).toBe('never');
  });

  it('uses seconds, minutes, hours and days', () => {
    expect(formatRelativeTime(now - 2_000, now)).toBe('just now');
    expect(formatRelativeTime(now - 42_000, now)).toBe('42 s ago');
    expect(formatRelativeTime(now - 5 * 60_000 - 10_000, now)).toBe('5 min ago');
    expect(formatRelativeTime(new Date(now - 3 * 3_600_000).toISOString(), now)).toBe('3 h ago');
    expect(formatRelativeTime(now - 2 * 86_400_000, now)).toBe('2 d ago');
  });

  it('shows the date for old moments', () => {
    expect(formatRelativeTime(Date.UTC(2025, 0, 2), now)).toBe('2025-01-02');
  });

  it('treats small clock skew as now', () => {
    expect(formatRelativeTime(now + 20_000, now)).toBe('just now');
  });

  it('does not crash on garbage', () => {
    expect(formatRelativeTime('not a date', now)).toBe('—');
  });
});

describe('number formatting', () => {
  it('trims trailing zeros', () => {
    expect(formatNumber(1.5)).toBe('1.5');
    expect(formatNumber(2)).toBe('2');
    expect(formatNumber(0.125, 2)).toBe('0.13');
    expect(formatNumber(Number.NaN)).toBe('—');
  });

  it('groups thousands', () => {
    expect(formatCount(1234567)).toBe('1,234,567');
  });

  it('formats percentages', () => {
    expect(formatPercent(12.345)).toBe('12.3 %');
    expect(formatPercent(null)).toBe('—');
  });

  it('formats sizes with binary prefixes', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(50 * 1024 * 1024)).toBe('50 MiB');
  });

  it('formats bit rates with decimal prefixes', () => {
    expect(formatBitRate(0)).toBe('0 bit/s');
    expect(formatBitRate(100_000_000)).toBe('100 Mbit/s');
    expect(formatBitRate(1_250_000_000)).toBe('1.3 Gbit/s');
  });
});

describe('formatTimeFromNow', () => {
  const now = Date.UTC(2026, 2, 1, 12);
  it('describes moments ahead, and past ones as ago', () => {
    expect(formatTimeFromNow(now + 30_000, now)).toBe('in less than a minute');
    expect(formatTimeFromNow(now + 5 * 60_000, now)).toBe('in 5 min');
    expect(formatTimeFromNow(now + 24 * 3_600_000 - 1, now)).toBe('in 23 h');
    expect(formatTimeFromNow(now + 3 * 86_400_000, now)).toBe('in 3 d');
    expect(formatTimeFromNow(now - 2 * 3_600_000, now)).toBe('2 h ago');
    expect(formatTimeFromNow(null, now)).toBe('never');
  });
});
