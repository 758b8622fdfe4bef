/**
 * The charts of a link: utilisation in percent of its speed, traffic in bit/s, errors per second,
 * built from the link metrics API's series. Pure, unit-tested.
 */
import { msg } from '@lit/localize';
import type { LinkMetrics } from '../data/network.js';
import { timeSeriesOption } from './time-series.js';
import type { TimeLine, TimeSeriesSpec } from './time-series.js';
import type { ChartSpan } from './host-charts.js';
import type { ChartOption } from './option.js';

export const linkColors = { in: '#1d8a56', out: '#2a6fd6', errors: '#c23a35' } as const;

export type LinkChartKind = 'utilisation' | 'bits' | 'errors';

export const linkChartKinds: readonly LinkChartKind[] = ['utilisation', 'bits', 'errors'];

export function linkChartTitle(kind: LinkChartKind): string {
  switch (kind) {
    case 'utilisation':
      return msg('Utilisation (% of speed)', { id: 'charts.link.utilisation.title' });
    case 'bits':
      return msg('Traffic', { id: 'charts.link.bits.title' });
    case 'errors':
      return msg('Errors', { id: 'charts.link.errors.title' });
  }
}

export function linkChartLines(kind: LinkChartKind, metrics: LinkMetrics): TimeLine[] {
  const s = metrics.series;
  const inName = msg('In', { id: 'charts.link.in' });
  const outName = msg('Out', { id: 'charts.link.out' });
  switch (kind) {
    case 'utilisation':
      return [
        { name: inName, color: linkColors.in, points: s.inPercent },
        { name: outName, color: linkColors.out, points: s.outPercent },
      ];
    case 'bits':
      return [
        { name: inName, color: linkColors.in, points: s.inBitsPerSecond },
        { name: outName, color: linkColors.out, points: s.outBitsPerSecond },
      ];
    case 'errors':
      return [
        {
          name: msg('Errors', { id: 'charts.link.errors.series' }),
          color: linkColors.errors,
          points: s.errorsPerSecond,
        },
      ];
  }
}

export function linkChartSpec(
  kind: LinkChartKind,
  metrics: LinkMetrics,
  span: ChartSpan,
  linkName: string,
): TimeSeriesSpec {
  const unit = kind === 'utilisation' ? 'percent' : kind === 'bits' ? 'bitRate' : 'perSecond';
  return {
    unit,
    lines: linkChartLines(kind, metrics),
    start: span.start,
    end: span.end,
    stepSeconds: metrics.stepSeconds,
    ...(unit === 'percent' ? { max: 100 } : {}),
    fileName: `${linkName}-${kind}`,
  };
}

export function linkChartOption(
  kind: LinkChartKind,
  metrics: LinkMetrics,
  span: ChartSpan,
  linkName: string,
): ChartOption {
  return timeSeriesOption(linkChartSpec(kind, metrics, span, linkName));
}
