/**
 * Time ranges of charted pages: the presets (last 15 min … 7 d) and a custom window the user zoomed
 * or brushed a chart to. The metrics API answers presets ending now; a custom window is loaded
 * with the shortest preset that reaches back to its start (the finest resolution that covers it) and
 * clipped to the window. Pure, unit-tested.
 */
import { msg } from '@lit/localize';
import { metricsRanges, rangeMillis } from '../data/hosts.js';
import type { MetricPoint, MetricsRange } from '../data/hosts.js';

export interface CustomRange {
  from: number;
  to: number;
}

/** The label of a preset, e.g. "Last hour" / 最近 1 小时. */
export function rangeLabel(range: MetricsRange): string {
  switch (range) {
    case '15m':
      return msg('Last 15 min', { id: 'charts.range.15m' });
    case '1h':
      return msg('Last hour', { id: 'charts.range.1h' });
    case '6h':
      return msg('Last 6 hours', { id: 'charts.range.6h' });
    case '24h':
      return msg('Last 24 hours', { id: 'charts.range.24h' });
    case '7d':
      return msg('Last 7 days', { id: 'charts.range.7d' });
  }
}

/** The pressed button that stands for a custom window among the presets. */
export const customRangeButtonLabel = (): string => msg('Custom', { id: 'charts.range.customButton' });

/** Checks a window (finite, `from` before `to`) and ends it no later than `now`. */
export function validCustomRange(range: CustomRange, now: number): CustomRange {
  const { from, to } = range;
  const end = Math.min(to, now);
  if (!Number.isFinite(from) || !Number.isFinite(end) || !(end > from)) {
    throw new Error(`invalid time range: ${from} … ${to}`);
  }
  return { from, to: end };
}

/**
 * The window a chart's zoom or brush asks for (`ts-chart-range`), checked like
 * {@link validCustomRange}; undefined for a window in the future or of no length (nothing to load).
 */
export function zoomedWindow(range: CustomRange, now: number): CustomRange | undefined {
  try {
    return validCustomRange(range, now);
  } catch {
    return undefined;
  }
}

/** The preset to load for a custom window: the shortest one that reaches back to `from`. */
export function presetCovering(range: CustomRange, now: number): MetricsRange {
  const back = now - range.from;
  return metricsRanges.find((r) => rangeMillis[r] >= back) ?? '7d';
}

/** The samples within the window, plus one on each side so that lines run to its edges. */
export function clipPoints(points: readonly MetricPoint[], range: CustomRange): MetricPoint[] {
  let first = points.findIndex(([t]) => t >= range.from);
  if (first < 0) return [];
  let last = first;
  while (last + 1 < points.length && (points[last + 1] as MetricPoint)[0] <= range.to) last += 1;
  if ((points[first] as MetricPoint)[0] > range.to) return [];
  first = Math.max(0, first - 1);
  last = Math.min(points.length - 1, last + 1);
  return points.slice(first, last + 1);
}
