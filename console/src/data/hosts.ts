import { msg } from '@lit/localize';
import { apiFetch, query } from './api.js';

export type MetricsRange = '15m' | '1h' | '6h' | '24h' | '7d';

export const metricsRanges: readonly MetricsRange[] = ['15m', '1h', '6h', '24h', '7d'];

/** Length of each range in milliseconds, used for the chart's time axis. */
export const rangeMillis: Record<MetricsRange, number> = {
  '15m': 15 * 60_000,
  '1h': 60 * 60_000,
  '6h': 6 * 60 * 60_000,
  '24h': 24 * 60 * 60_000,
  '7d': 7 * 24 * 60 * 60_000,
};

/** A range as its button reads in the console's language, e.g. `1h` or 「1 小时」. */
export function metricsRangeLabel(range: MetricsRange): string {
  switch (range) {
    case '15m':
      return msg('15m', { id: 'overview.range.15m' });
    case '1h':
      return msg('1h', { id: 'overview.range.1h' });
    case '6h':
      return msg('6h', { id: 'overview.range.6h' });
    case '24h':
      return msg('24h', { id: 'overview.range.24h' });
    case '7d':
      return msg('7d', { id: 'overview.range.7d' });
  }
}

/** One sample: `[unixMillis, value]`. */
export type MetricPoint = [number, number];

export interface HostSeries {
  cpuPercent: MetricPoint[];
  memoryPercent: MetricPoint[];
  load1: MetricPoint[];
  netRxBytesPerSecond: MetricPoint[];
  netTxBytesPerSecond: MetricPoint[];
  diskUsedPercent: MetricPoint[];
}

export interface HostMetrics {
  agentId: string;
  host: string;
  range: MetricsRange;
  stepSeconds: number;
  series: HostSeries;
}

export const fetchHostMetrics = (
  agentId: string,
  range: MetricsRange,
  signal?: AbortSignal,
): Promise<HostMetrics> =>
  apiFetch<HostMetrics>(`/api/v1/hosts/${encodeURIComponent(agentId)}/metrics${query({ range })}`, {
    signal,
  });
