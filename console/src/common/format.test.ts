import { describe, expect, it } from 'vitest';
import {
  formatBitRate,
  formatBytes,
  formatCount,
  formatDateTime,
  formatDuration,
  formatNumber,
  formatPercent,
  formatRelativeTime,
  formatTimeFromNow,
  formatTimeRange,
} from './format.js';

describe('formatRelativeTime', () => {
  const now = Date.UTC(2026, 4, 20, 12, 0, 0);

  it('reads "never" for a missing moment', () => {
    expect(formatRelativeTime(null, now, 'en')).toBe('never');
    expect(formatRelativeTime(undefined, now, 'en')).toBe('never');
  });

  it('uses seconds, minutes, hours and days in either language', () => {
    expect(formatRelativeTime(now - 2_000, now, 'en')).toBe('now');
    expect(formatRelativeTime(now - 42_000, now, 'en')).toBe('42 sec. ago');
    expect(formatRelativeTime(now - 5 * 60_000 - 10_000, now, 'en')).toBe('5 min. ago');
    expect(formatRelativeTime(new Date(now - 3 * 3_600_000).toISOString(), now, 'en')).toBe('3 hr. ago');
    expect(formatRelativeTime(now - 3 * 86_400_000, now, 'en')).toBe('3 days ago');
    expect(formatRelativeTime(now - 2_000, now, 'zh-CN')).toBe('现在');
    expect(formatRelativeTime(now - 42_000, now, 'zh-CN')).toBe('42秒前');
    expect(formatRelativeTime(now - 5 * 60_000, now, 'zh-CN')).toBe('5分钟前');
    expect(formatRelativeTime(now - 3 * 3_600_000, now, 'zh-CN')).toBe('3小时前');
  });

  it('shows the date for old moments', () => {
    expect(formatRelativeTime(Date.UTC(2025, 0, 2, 12), now, 'zh-CN')).toMatch(/^2025\/01\/0[12]$/);
    expect(formatRelativeTime(Date.UTC(2025, 0, 2, 12), now, 'en')).toMatch(/^Jan [12], 2025$/);
  });

  it('treats small clock skew as now', () => {
    expect(formatRelativeTime(now + 20_000, now, 'en')).toBe('now');
  });

  it('does not crash on garbage', () => {
    expect(formatRelativeTime('not a date', now, 'en')).toBe('—');
    expect(formatDateTime('garbage', 'zh-CN')).toBe('—');
  });
});

describe('dates, ranges and durations', () => {
  const at = new Date(2026, 11, 1, 9, 5, 7).getTime();
  it('formats a local date and time per locale, 24-hour', () => {
    expect(formatDateTime(at, 'zh-CN')).toBe('2026/12/01 09:05:07');
    expect(formatDateTime(at, 'en')).toBe('Dec 1, 2026, 09:05:07');
  });
  it('formats a range once for the shared date', () => {
    expect(formatTimeRange(at, at + 3_600_000, 'en')).toMatch(/^Dec 1, 2026, 09:05\s–\s10:05$/);
    expect(formatTimeRange(at, at + 3_600_000, 'zh-CN')).toMatch(/^2026\/12\/0?1 09:05\s?–\s?10:05$/);
    expect(formatTimeRange(at, at - 1, 'en')).toBe('—');
  });
  it('names durations in the largest whole unit', () => {
    expect(formatDuration(24 * 3_600_000, 'en')).toBe('1 day');
    expect(formatDuration(3_600_000, 'zh-CN')).toBe('1小时');
    expect(formatDuration(7 * 86_400_000, 'zh-CN')).toBe('7天');
    expect(formatDuration(90_000, 'en')).toBe('90 seconds');
  });
});

describe('number formatting', () => {
  it('trims trailing zeros', () => {
    expect(formatNumber(1.5, 2, 'en')).toBe('1.5');
    expect(formatNumber(2, 2, 'en')).toBe('2');
    expect(formatNumber(0.125, 2, 'en')).toBe('0.13');
    expect(formatNumber(Number.NaN)).toBe('—');
  });

  it('groups thousands', () => {
    expect(formatCount(1234567, 'en')).toBe('1,234,567');
    expect(formatCount(1234567, 'zh-CN')).toBe('1,234,567');
  });

  it('formats percentages', () => {
    expect(formatPercent(12.345, 1, 'en')).toBe('12.3%');
    expect(formatPercent(100, 0, 'zh-CN')).toBe('100%');
    expect(formatPercent(null)).toBe('—');
  });

  it('formats sizes with binary prefixes', () => {
    expect(formatBytes(0, 'en')).toBe('0 B');
    expect(formatBytes(1536, 'en')).toBe('1.5 KiB');
    expect(formatBytes(50 * 1024 * 1024, 'en')).toBe('50 MiB');
    expect(formatBytes(2 ** 60, 'en')).toBe('1 EiB');
  });

  it('formats bit rates with decimal prefixes', () => {
    expect(formatBitRate(0, 1, 'en')).toBe('0 bit/s');
    expect(formatBitRate(100_000_000, 1, 'en')).toBe('100 Mbit/s');
    expect(formatBitRate(1_250_000_000, 1, 'en')).toBe('1.3 Gbit/s');
    expect(formatBitRate(1e12, 1, 'zh-CN')).toBe('1 Tbit/s');
  });
});

describe('formatTimeFromNow', () => {
  const now = Date.UTC(2026, 2, 1, 12);
  it('describes moments ahead, and past ones as ago', () => {
    expect(formatTimeFromNow(now + 30_000, now, 'en')).toBe('in 30 sec.');
    expect(formatTimeFromNow(now + 5 * 60_000, now, 'en')).toBe('in 5 min.');
    expect(formatTimeFromNow(now + 24 * 3_600_000 - 1, now, 'en')).toBe('in 23 hr.');
    expect(formatTimeFromNow(now + 3 * 86_400_000, now, 'zh-CN')).toBe('3天后');
    expect(formatTimeFromNow(now - 2 * 3_600_000, now, 'en')).toBe('2 hr. ago');
    expect(formatTimeFromNow(null, now, 'en')).toBe('never');
  });
});
