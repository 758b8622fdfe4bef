/**
 * The charts of a host on the overview: CPU, memory and disk, load and network, built from the
 * host metrics API's series. Pure, unit-tested.
 */
import { msg } from '@lit/localize';
import type { HostMetrics, HostSeries, MetricPoint } from '../data/hosts.js';
import { clipPoints } from './time-range.js';
import type { CustomRange } from './time-range.js';
import { timeSeriesOption } from './time-series.js';
import type { TimeLine, TimeSeriesSpec } from './time-series.js';
import type { ChartOption } from './option.js';

export const hostColors = {
  cpu: '#2a6fd6',
  memory: '#7a4fd0',
  disk: '#9aa5b1',
  load: '#0f8b8d',
  rx: '#1d8a56',
  tx: '#d9822b',
} as const;

export type HostChartKind = 'cpu' | 'memory' | 'load' | 'network';

export const hostChartKinds: readonly HostChartKind[] = ['cpu', 'memory', 'load', 'network'];

/** The time window a chart shows. */
export interface ChartSpan {
  start: number;
  end: number;
}

/** The metrics of a custom window: each series clipped to it (loaded with a preset covering it). */
export function clipHostMetrics(metrics: HostMetrics, range: CustomRange): HostMetrics {
  const series = Object.fromEntries(
    Object.entries(metrics.series).map(([key, points]) => [key, clipPoints(points, range)]),
  ) as unknown as HostSeries;
  return { ...metrics, series };
}

const bits = (points: readonly MetricPoint[]): MetricPoint[] => points.map(([t, v]) => [t, v * 8]);

/** The caption of a host chart. */
export function hostChartTitle(kind: HostChartKind): string {
  switch (kind) {
    case 'cpu':
      return msg('CPU', { id: 'charts.host.cpu.title' });
    case 'memory':
      return msg('Memory and disk', { id: 'charts.host.memory.title' });
    case 'load':
      return msg('Load (1-min average)', { id: 'charts.host.load.title' });
    case 'network':
      return msg('Network', { id: 'charts.host.network.title' });
  }
}

/** The lines of a host chart, with localized names. */
export function hostChartLines(kind: HostChartKind, metrics: HostMetrics): TimeLine[] {
  const s = metrics.series;
  switch (kind) {
    case 'cpu':
      return [
        { name: msg('CPU', { id: 'charts.host.cpu.series' }), color: hostColors.cpu, points: s.cpuPercent },
      ];
    case 'memory':
      return [
        {
          name: msg('Memory used', { id: 'charts.host.memory.used' }),
          color: hostColors.memory,
          points: s.memoryPercent,
        },
        {
          name: msg('Disk used', { id: 'charts.host.disk.used' }),
          color: hostColors.disk,
          points: s.diskUsedPercent,
        },
      ];
    case 'load':
      return [
        { name: msg('Load', { id: 'charts.host.load.series' }), color: hostColors.load, points: s.load1 },
      ];
    case 'network':
      return [
        {
          name: msg('Received', { id: 'charts.host.network.rx' }),
          color: hostColors.rx,
          points: bits(s.netRxBytesPerSecond),
        },
        {
          name: msg('Sent', { id: 'charts.host.network.tx' }),
          color: hostColors.tx,
          points: bits(s.netTxBytesPerSecond),
        },
      ];
  }
}

/** The spec of a host chart: percent up to 100, load as a number, network in bit/s. */
export function hostChartSpec(kind: HostChartKind, metrics: HostMetrics, span: ChartSpan): TimeSeriesSpec {
  const unit = kind === 'network' ? 'bitRate' : kind === 'load' ? 'number' : 'percent';
  return {
    unit,
    lines: hostChartLines(kind, metrics),
    start: span.start,
    end: span.end,
    stepSeconds: metrics.stepSeconds,
    ...(unit === 'percent' ? { max: 100 } : {}),
    fileName: `${metrics.host}-${kind}`,
  };
}

export function hostChartOption(kind: HostChartKind, metrics: HostMetrics, span: ChartSpan): ChartOption {
  return timeSeriesOption(hostChartSpec(kind, metrics, span));
}
