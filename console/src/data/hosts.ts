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
