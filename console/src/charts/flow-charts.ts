/**
 * The charts of the flow pages: the explorer's time series stacked by its first dimension (top N and
 * "other"), its Sankey diagram between two or three dimensions, and the egress page's per-day volume.
 * Built from the flows API's answers; values per step become rates (bytes → bit/s). Pure,
 * unit-tested.
 */
import { msg } from '@lit/localize';
import { formatBitRate, formatBytes, formatCount, formatDate } from '../common/format.js';
import { keyLabel, ratePerSecond } from '../data/flows.js';
import type { FlowDimension, FlowEgress, FlowMeasure, FlowSankey, FlowSeries } from '../data/flows.js';
import { formatPerSecond } from './axis.js';
import { chartToolbox, timeSeriesOption } from './time-series.js';
import type { TimeLine, TimePoint } from './time-series.js';
import type { BarSeriesOption, ChartOption, LineSeriesOption, SankeySeriesOption } from './option.js';

/** Colours of the stacked series, in rank order; "other" is grey. */
export const flowPalette = [
  '#2a6fd6',
  '#1d8a56',
  '#d98a1c',
  '#8a4fd6',
  '#c23a35',
  '#1a9bb0',
  '#9a6b32',
  '#d65fa4',
  '#5f7f1d',
  '#4d5bb8',
] as const;
export const otherColor = '#a3adb8';

export const otherLabel = (): string => msg('Other', { id: 'flows.other' });

/** The unit of a measure shown as a rate. */
export const rateUnit = (measure: FlowMeasure): 'bitRate' | 'perSecond' =>
  measure === 'bytes' ? 'bitRate' : 'perSecond';

/** A rate as text: bit/s for bytes, per second for packets and flows. */
export function formatRate(measure: FlowMeasure, perSecond: number): string {
  return measure === 'bytes' ? formatBitRate(perSecond) : formatPerSecond(perSecond, 2);
}

/** A volume as text: bytes with binary prefixes, packets and flows as counts. */
export function formatMeasure(measure: FlowMeasure, value: number): string {
  return measure === 'bytes' ? formatBytes(value) : formatCount(value);
}

/** The lines of the stacked chart: one per key (rate per second), then "other" when it has traffic. */
export function flowSeriesLines(
  dimension: FlowDimension,
  measure: FlowMeasure,
  data: FlowSeries,
): TimeLine[] {
  const step = data.step;
  const toRate = (points: readonly (readonly [number, number])[]): TimePoint[] =>
    points.map(([t, v]) => [t, ratePerSecond(measure, v, step)] as const);
  const lines: TimeLine[] = data.series.map((s, i) => ({
    name: keyLabel(dimension, s.key, s.label),
    color: flowPalette[i % flowPalette.length] as string,
    points: toRate(s.points),
  }));
  const other = data.other?.points ?? [];
  if (other.some(([, v]) => v > 0))
    lines.push({ name: otherLabel(), color: otherColor, points: toRate(other) });
  return lines;
}

/** The largest sum over the lines at one moment (the top of the stack). */
export function stackedMax(lines: readonly TimeLine[]): number {
  const sums = new Map<number, number>();
  for (const line of lines)
    for (const [t, v] of line.points) if (Number.isFinite(v)) sums.set(t, (sums.get(t) ?? 0) + v);
  let max = 0;
  for (const v of sums.values()) max = Math.max(max, v);
  return max;
}

/** The explorer's time series: rates stacked by the first dimension, top N and other. */
export function flowSeriesOption(
  dimension: FlowDimension,
  measure: FlowMeasure,
  data: FlowSeries,
  span: { start: number; end: number },
): ChartOption {
  const lines = flowSeriesLines(dimension, measure, data);
  const top = stackedMax(lines);
  const option = timeSeriesOption({
    unit: rateUnit(measure),
    lines,
    start: span.start,
    end: span.end,
    stepSeconds: data.step,
    ...(top > 0 ? { max: top } : {}),
    fileName: `flows-${dimension}-${measure}`,
  });
  const series = (option.series as LineSeriesOption[]).map((s, i): LineSeriesOption => ({
    ...s,
    stack: 'total',
    areaStyle: { color: lines[i]?.color, opacity: 0.55 },
    lineStyle: { width: 0.8, color: lines[i]?.color },
  }));
  return { ...option, series };
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The Sankey diagram: nodes by dimension in columns, links weighted by the measure. Nodes keep the
 * API's ids (`dimension:key`, unique across columns) and show their labels.
 */
export function flowSankeyOption(measure: FlowMeasure, data: FlowSankey): SankeyChart {
  const labels = new Map(data.nodes.map((n) => [n.id, keyLabel(n.dimension, n.key, n.label)] as const));
  const known = new Set(labels.keys());
  const links = data.links
    .filter((l) => known.has(l.source) && known.has(l.target) && l.source !== l.target)
    .map((l) => ({ source: l.source, target: l.target, value: l[measure] }))
    .filter((l) => l.value > 0);
  const used = new Set(links.flatMap((l) => [l.source, l.target]));
  const nodes = data.nodes
    .filter((n) => used.has(n.id))
    .map((n, i) => ({
      name: n.id,
      itemStyle: { color: flowPalette[i % flowPalette.length] },
    }));
  const label = (id: string) => labels.get(id) ?? id;
  const series: SankeySeriesOption = {
    type: 'sankey',
    left: 8,
    right: 180,
    top: 8,
    bottom: 8,
    nodeGap: 10,
    nodeAlign: 'justify',
    draggable: false,
    emphasis: { focus: 'adjacency' },
    lineStyle: { color: 'gradient', opacity: 0.35 },
    label: {
      formatter: (p: { name?: string }) => label(p.name ?? ''),
      color: '#1d2733',
      fontSize: 12,
    },
    data: nodes,
    links,
  };
  return {
    empty: links.length === 0,
    option: {
      animation: false,
      tooltip: {
        trigger: 'item',
        confine: true,
        formatter: (p: unknown) => {
          const param = p as {
            dataType?: string;
            name?: string;
            data?: { source?: string; target?: string };
            value?: number;
          };
          const value = formatMeasure(measure, Number(param.value ?? 0));
          if (param.dataType === 'edge' && param.data?.source && param.data.target)
            return `${escapeHtml(label(param.data.source))} → ${escapeHtml(label(param.data.target))}<br><b>${escapeHtml(value)}</b>`;
          return `${escapeHtml(label(param.name ?? ''))}<br><b>${escapeHtml(value)}</b>`;
        },
      },
      toolbox: chartToolbox(`flows-sankey-${measure}`, false),
      series: [series],
    },
  };
}

export interface SankeyChart {
  option: ChartOption;
  /** No link carries traffic: the chart says so. */
  empty: boolean;
}

/** The egress page's per-day chart: bytes out and in per day, as bars. */
export function egressDaysOption(egress: FlowEgress): ChartOption {
  const days = [...egress.days].sort((a, b) => a.date.localeCompare(b.date));
  const outName = msg('Out to the internet', { id: 'flows.egress.chart.out' });
  const inName = msg('In from the internet', { id: 'flows.egress.chart.in' });
  const bar = (name: string, color: string, values: number[]): BarSeriesOption => ({
    type: 'bar',
    name,
    data: values,
    itemStyle: { color },
    barMaxWidth: 28,
  });
  const categories = days.map((d) => d.date);
  return {
    animation: false,
    grid: {
      left: 12,
      right: 12,
      top: 30,
      bottom: 8,
      outerBoundsMode: 'same',
      outerBoundsContain: 'axisLabel',
    },
    legend: { show: true, left: 0, top: 0, itemHeight: 8, itemWidth: 12 },
    tooltip: {
      trigger: 'axis',
      confine: true,
      valueFormatter: (v: unknown) => formatBytes(Number(v)),
    },
    toolbox: chartToolbox('egress-days', false),
    xAxis: {
      type: 'category',
      data: categories,
      axisLabel: {
        formatter: (v: string) => formatDate(`${v}T00:00:00Z`),
        color: '#5b6876',
        hideOverlap: true,
      },
    },
    yAxis: {
      type: 'value',
      axisLabel: { formatter: (v: number) => formatBytes(v), color: '#5b6876' },
      splitLine: { lineStyle: { color: '#e3e8ee' } },
    },
    series: [
      bar(
        outName,
        '#2a6fd6',
        days.map((d) => d.outBytes),
      ),
      bar(
        inName,
        '#1d8a56',
        days.map((d) => d.inBytes),
      ),
    ],
  };
}
