/**
 * The option of a time-series line chart: a time axis with zoom (wheel/drag inside, a slider below,
 * a brush in the toolbox), one value axis with units (`axis.ts`), tooltips with the time and the
 * exact value of every series, legend toggles, "save as image" and "reset", and gaps in the data
 * drawn as gaps. Pure, unit-tested.
 */
import { msg } from '@lit/localize';
import { formatDateTime } from '../common/format.js';
import { formatValue, valueAxis } from './axis.js';
import type { ValueAxis, ValueUnit } from './axis.js';
import type { ChartOption, LineSeriesOption } from './option.js';

/** One sample: `[unixMillis, value]`. */
export type TimePoint = readonly [number, number];

export interface TimeLine {
  /** Legend and tooltip name (already localized). */
  name: string;
  color: string;
  points: readonly TimePoint[];
}

export interface TimeSeriesSpec {
  unit: ValueUnit;
  lines: readonly TimeLine[];
  /** The time axis, unix millis. */
  start: number;
  end: number;
  /** The series' step; samples further apart than `gapSteps` steps are not joined. */
  stepSeconds: number;
  /** The value axis reaches at least this far, e.g. 100 for percentages. */
  max?: number;
  /** Base of the file name of "save as image". */
  fileName?: string;
}

/** Samples more than this many steps apart leave a gap: one or two missed samples are bridged. */
export const gapSteps = 2.5;

/** A data point of an ECharts time series; `null` values break the line. */
export type SeriesPoint = [number, number | null];

/**
 * The points of a line, sorted by time, with a `null` inserted where samples are missing for more
 * than `gapSteps` steps and in place of non-finite values, so that ECharts leaves the line open.
 */
export function withGaps(points: readonly TimePoint[], stepSeconds: number): SeriesPoint[] {
  if (!(stepSeconds > 0) || !Number.isFinite(stepSeconds)) {
    throw new Error(`invalid step: ${stepSeconds} s`);
  }
  const maxGap = stepSeconds * 1000 * gapSteps;
  const sorted = points.filter(([t]) => Number.isFinite(t)).sort((a, b) => a[0] - b[0]);
  const out: SeriesPoint[] = [];
  let previous: number | undefined;
  for (const [t, v] of sorted) {
    if (previous !== undefined && t - previous > maxGap) out.push([previous + stepSeconds * 1000, null]);
    out.push([t, Number.isFinite(v) ? v : null]);
    previous = t;
  }
  return out;
}

/** The largest finite value of the lines; undefined when there is none. */
export function dataMax(lines: readonly TimeLine[]): number | undefined {
  let max: number | undefined;
  for (const line of lines) {
    for (const [, v] of line.points) if (Number.isFinite(v) && (max === undefined || v > max)) max = v;
  }
  return max;
}

/** Whether no line has a single sample. */
export const isEmpty = (lines: readonly TimeLine[]): boolean => lines.every((l) => l.points.length === 0);

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

interface TooltipParam {
  seriesName?: string;
  color?: unknown;
  value?: unknown;
  data?: unknown;
  axisValue?: unknown;
}

/** The tooltip's text for the series under the pointer at one moment (HTML, escaped). */
export function tooltipHtml(unit: ValueUnit, params: TooltipParam | TooltipParam[]): string {
  const list = Array.isArray(params) ? params : [params];
  const first = list[0];
  if (!first) return '';
  const point = (p: TooltipParam): unknown[] | undefined =>
    Array.isArray(p.value) ? p.value : Array.isArray(p.data) ? p.data : undefined;
  const at = Number(first.axisValue ?? point(first)?.[0]);
  const rows = list.map((p) => {
    const raw = point(p)?.[1];
    const value = typeof raw === 'number' ? raw : null;
    const color = typeof p.color === 'string' ? p.color : '#5b6876';
    return (
      `<div style="display:flex;justify-content:space-between;gap:16px">` +
      `<span><span style="display:inline-block;width:10px;height:3px;margin-right:6px;vertical-align:middle;background:${escapeHtml(color)}"></span>${escapeHtml(p.seriesName ?? '')}</span>` +
      `<b data-tooltip-value style="font-variant-numeric:tabular-nums">${escapeHtml(formatValue(unit, value))}</b></div>`
    );
  });
  return (
    `<div data-tooltip-time style="margin-bottom:3px;color:#5b6876">${escapeHtml(formatDateTime(at))}</div>` +
    rows.join('')
  );
}

/** The toolbox of every chart: brush-zoom a time range, reset, save as image. */
export function chartToolbox(fileName: string, zoom = true): ChartOption['toolbox'] {
  return {
    right: 8,
    top: 0,
    itemSize: 14,
    feature: {
      ...(zoom
        ? {
            dataZoom: {
              yAxisIndex: 'none',
              title: {
                zoom: msg('Zoom to a range', { id: 'charts.toolbox.zoom' }),
                back: msg('Undo zoom', { id: 'charts.toolbox.back' }),
              },
            },
          }
        : {}),
      restore: { title: msg('Reset', { id: 'charts.toolbox.restore' }) },
      saveAsImage: {
        title: msg('Save as image', { id: 'charts.toolbox.saveAsImage' }),
        name: fileName,
        pixelRatio: 2,
        backgroundColor: '#ffffff',
      },
    },
  };
}

/** The value axis a time-series spec gets (exposed for tests and for pages that show its unit). */
export function timeSeriesAxis(spec: TimeSeriesSpec): ValueAxis {
  return valueAxis(spec.unit, dataMax(spec.lines), spec.max);
}

/** Builds the ECharts option of a time-series line chart. */
export function timeSeriesOption(spec: TimeSeriesSpec): ChartOption {
  if (!(spec.end > spec.start)) throw new Error(`invalid time range: ${spec.start} … ${spec.end}`);
  const axis = timeSeriesAxis(spec);
  const legend = spec.lines.length > 1;
  const series: LineSeriesOption[] = spec.lines.map((line) => ({
    type: 'line',
    name: line.name,
    data: withGaps(line.points, spec.stepSeconds),
    connectNulls: false,
    showSymbol: false,
    symbol: 'circle',
    symbolSize: 5,
    sampling: 'lttb',
    lineStyle: { width: 1.5, color: line.color },
    itemStyle: { color: line.color },
    ...(spec.lines.length === 1 ? { areaStyle: { color: line.color, opacity: 0.08 } } : {}),
    emphasis: { disabled: true },
  }));
  return {
    animation: false,
    color: spec.lines.map((l) => l.color),
    grid: {
      left: 12,
      right: 18,
      top: 30,
      bottom: 28,
      outerBoundsMode: 'same',
      outerBoundsContain: 'axisLabel',
    },
    legend: legend
      ? {
          show: true,
          left: 0,
          top: 0,
          type: 'scroll',
          right: 110,
          icon: 'roundRect',
          itemHeight: 4,
          itemWidth: 12,
        }
      : { show: false },
    tooltip: {
      trigger: 'axis',
      confine: true,
      axisPointer: { type: 'line', snap: true },
      formatter: (params) => tooltipHtml(spec.unit, params as TooltipParam | TooltipParam[]),
    },
    toolbox: chartToolbox(spec.fileName ?? 'chart'),
    xAxis: {
      type: 'time',
      min: spec.start,
      max: spec.end,
      axisLabel: { hideOverlap: true, color: '#5b6876' },
      axisLine: { lineStyle: { color: '#c3ccd6' } },
      splitLine: { show: false },
    },
    yAxis: {
      type: 'value',
      min: axis.min,
      max: axis.max,
      interval: axis.interval,
      axisLabel: { formatter: (value: number) => axis.label(value), color: '#5b6876' },
      splitLine: { lineStyle: { color: '#e3e8ee' } },
    },
    dataZoom: [
      { type: 'inside', xAxisIndex: 0, filterMode: 'none' },
      {
        type: 'slider',
        xAxisIndex: 0,
        filterMode: 'none',
        height: 16,
        bottom: 6,
        labelFormatter: (value: number) => formatDateTime(value),
        showDetail: false,
      },
    ],
    series,
  };
}
