import { describe, expect, it } from 'vitest';
import { clipPoints, presetCovering, rangeLabel, validCustomRange, zoomedWindow } from './time-range.js';
import { metricsRanges } from '../data/hosts.js';
import type { MetricPoint } from '../data/hosts.js';

const now = Date.UTC(2026, 11, 1, 12, 0, 0);
const minute = 60_000;
const hour = 60 * minute;

describe('presetCovering', () => {
  it('loads the shortest preset that reaches back to the window start', () => {
    expect(presetCovering({ from: now - 10 * minute, to: now }, now)).toBe('15m');
    expect(presetCovering({ from: now - 20 * minute, to: now - 5 * minute }, now)).toBe('1h');
    expect(presetCovering({ from: now - 5 * hour, to: now - 4 * hour }, now)).toBe('6h');
    expect(presetCovering({ from: now - 30 * hour, to: now - 29 * hour }, now)).toBe('7d');
  });

  it('falls back to the longest preset for a window older than all of them', () => {
    expect(presetCovering({ from: now - 30 * 24 * hour, to: now - 29 * 24 * hour }, now)).toBe('7d');
  });
});

describe('validCustomRange', () => {
  it('ends a window at the present', () => {
    expect(validCustomRange({ from: now - hour, to: now + hour }, now)).toEqual({
      from: now - hour,
      to: now,
    });
  });

  it('refuses an empty, reversed or non-finite window', () => {
    expect(() => validCustomRange({ from: now, to: now }, now)).toThrow(/invalid time range/);
    expect(() => validCustomRange({ from: now - minute, to: now - hour }, now)).toThrow(/invalid time range/);
    expect(() => validCustomRange({ from: Number.NaN, to: now }, now)).toThrow(/invalid time range/);
  });
});

describe('clipPoints', () => {
  const points: MetricPoint[] = [0, 1, 2, 3, 4, 5, 6].map((i) => [i * minute, i]);

  it('keeps the window and one sample on each side', () => {
    expect(clipPoints(points, { from: 2 * minute, to: 4 * minute }).map(([, v]) => v)).toEqual([
      1, 2, 3, 4, 5,
    ]);
    expect(clipPoints(points, { from: 2.5 * minute, to: 3.5 * minute }).map(([, v]) => v)).toEqual([2, 3, 4]);
  });

  it('is empty for a window without samples', () => {
    expect(clipPoints(points, { from: 10 * minute, to: 11 * minute })).toEqual([]);
    expect(clipPoints([], { from: 0, to: 1 })).toEqual([]);
  });
});

describe('rangeLabel', () => {
  it('names every preset', () => {
    const labels = metricsRanges.map(rangeLabel);
    expect(labels).toEqual(['Last 15 min', 'Last hour', 'Last 6 hours', 'Last 24 hours', 'Last 7 days']);
  });
});

describe('clipHostMetrics', () => {
  it('clips every series of a host to the window and keeps the rest of the answer', async () => {
    const { clipHostMetrics } = await import('./host-charts.js');
    const minute = 60_000;
    const line = (offset: number): MetricPoint[] =>
      Array.from({ length: 10 }, (_, i) => [i * minute, i + offset] as MetricPoint);
    const metrics = {
      agentId: 'a',
      host: 'h',
      range: '1h' as const,
      stepSeconds: 60,
      series: {
        cpuPercent: line(0),
        memoryPercent: line(100),
        load1: line(200),
        netRxBytesPerSecond: line(300),
        netTxBytesPerSecond: line(400),
        diskUsedPercent: [] as MetricPoint[],
      },
    };
    const clipped = clipHostMetrics(metrics, { from: 3 * minute, to: 5 * minute });
    expect(clipped.host).toBe('h');
    expect(clipped.stepSeconds).toBe(60);
    expect(clipped.series.cpuPercent.map(([, v]) => v)).toEqual([2, 3, 4, 5, 6]);
    expect(clipped.series.netTxBytesPerSecond.map(([, v]) => v)).toEqual([402, 403, 404, 405, 406]);
    expect(clipped.series.diskUsedPercent).toEqual([]);
    expect(Object.keys(clipped.series).sort()).toEqual(Object.keys(metrics.series).sort());
  });
});

describe('zoomedWindow', () => {
  it('keeps a window in the past, ends one at now, and gives nothing for one of no length', () => {
    expect(zoomedWindow({ from: 1_000, to: 5_000 }, 10_000)).toEqual({ from: 1_000, to: 5_000 });
    expect(zoomedWindow({ from: 1_000, to: 50_000 }, 10_000)).toEqual({ from: 1_000, to: 10_000 });
    expect(zoomedWindow({ from: 20_000, to: 30_000 }, 10_000)).toBeUndefined();
    expect(zoomedWindow({ from: Number.NaN, to: 5_000 }, 10_000)).toBeUndefined();
  });
});
