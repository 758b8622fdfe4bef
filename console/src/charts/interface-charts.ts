/**
 * The charts of one interface (a device's port): traffic in bit/s, utilisation in percent of its
 * speed, errors and discards per second, in and out, built from the interface metrics API's series.
 * Pure, unit-tested.
 */
import { msg } from '@lit/localize';
import type { InterfaceMetrics, InterfaceSeries } from '../data/devices.js';
import type { CustomRange } from './time-range.js';
import { clipPoints } from './time-range.js';
import { timeSeriesOption } from './time-series.js';
import type { TimeLine, TimeSeriesSpec } from './time-series.js';
import type { ChartSpan } from './host-charts.js';
import type { ChartOption } from './option.js';

export const interfaceColors = {
  in: '#1d8a56',
  out: '#2a6fd6',
  errors: '#c23a35',
  discards: '#d9822b',
} as const;

export type InterfaceChartKind = 'bits' | 'utilisation' | 'errors' | 'discards';

export const interfaceChartKinds: readonly InterfaceChartKind[] = [
  'bits',
  'utilisation',
  'errors',
  'discards',
];

export function interfaceChartTitle(kind: InterfaceChartKind): string {
  switch (kind) {
    case 'bits':
      return msg('Traffic (bit/s)', { id: 'charts.interface.bits.title' });
    case 'utilisation':
      return msg('Utilisation (% of speed)', { id: 'charts.interface.utilisation.title' });
    case 'errors':
      return msg('Errors per second', { id: 'charts.interface.errors.title' });
    case 'discards':
      return msg('Discards per second', { id: 'charts.interface.discards.title' });
  }
}

const pair = (kind: InterfaceChartKind, s: InterfaceSeries): [TimeLine['points'], TimeLine['points']] => {
  switch (kind) {
    case 'bits':
      return [s.inBitsPerSecond, s.outBitsPerSecond];
    case 'utilisation':
      return [s.inPercent, s.outPercent];
    case 'errors':
      return [s.inErrorsPerSecond, s.outErrorsPerSecond];
    case 'discards':
      return [s.inDiscardsPerSecond, s.outDiscardsPerSecond];
  }
};

export function interfaceChartLines(kind: InterfaceChartKind, metrics: InterfaceMetrics): TimeLine[] {
  const [inPoints, outPoints] = pair(kind, metrics.series);
  const outColor =
    kind === 'errors'
      ? interfaceColors.errors
      : kind === 'discards'
        ? interfaceColors.discards
        : interfaceColors.out;
  return [
    { name: msg('In', { id: 'charts.interface.in' }), color: interfaceColors.in, points: inPoints },
    { name: msg('Out', { id: 'charts.interface.out' }), color: outColor, points: outPoints },
  ];
}

export function interfaceChartSpec(
  kind: InterfaceChartKind,
  metrics: InterfaceMetrics,
  span: ChartSpan,
  subject: string,
): TimeSeriesSpec {
  const unit = kind === 'utilisation' ? 'percent' : kind === 'bits' ? 'bitRate' : 'perSecond';
  return {
    unit,
    lines: interfaceChartLines(kind, metrics),
    start: span.start,
    end: span.end,
    stepSeconds: metrics.stepSeconds,
    ...(unit === 'percent' ? { max: 100 } : {}),
    fileName: `${subject}-${kind}`,
  };
}

export function interfaceChartOption(
  kind: InterfaceChartKind,
  metrics: InterfaceMetrics,
  span: ChartSpan,
  subject: string,
): ChartOption {
  return timeSeriesOption(interfaceChartSpec(kind, metrics, span, subject));
}

/** The series of an interface cut to a zoomed window. */
export function clipInterfaceMetrics(metrics: InterfaceMetrics, range: CustomRange): InterfaceMetrics {
  const s = metrics.series;
  const series = Object.fromEntries(
    Object.entries(s).map(([key, points]) => [key, clipPoints(points, range)]),
  ) as unknown as InterfaceSeries;
  return { stepSeconds: metrics.stepSeconds, series };
}
