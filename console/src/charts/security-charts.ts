/**
 * The charts of the security pages: the risk of the org units of one level (bars, riskiest first;
 * a click goes down to that unit's children), the daily risk trend (a line), and open alerts by
 * severity (bars). Built from the security API's answers; pure, unit-tested.
 */
import { msg } from '@lit/localize';
import { formatCount, formatDate } from '../common/format.js';
import { severities, severityColor, severityText } from '../data/security.js';
import type { RiskItem, RiskTrend, Severity } from '../data/security.js';
import { chartToolbox } from './time-series.js';
import type { BarSeriesOption, ChartOption, LineSeriesOption } from './option.js';

const axisColor = '#5b6876';
const splitColor = '#e3e8ee';

const riskColor = (score: number): string => (score >= 70 ? '#c23a35' : score >= 40 ? '#d98a1c' : '#1d8a56');

/** One bar's data: the score, and the unit's id for `ts-chart-click`. */
export interface RiskBarDatum {
  value: number;
  orgUnitId: string;
  itemStyle: { color: string };
}

/** The risk of org units as horizontal bars, riskiest at the top; scores 0–100. */
export function riskBarsOption(items: readonly RiskItem[]): ChartOption {
  const rows = [...items].sort((a, b) => a.score - b.score || b.name.localeCompare(a.name));
  const data: RiskBarDatum[] = rows.map((r) => ({
    value: Math.round(r.score * 10) / 10,
    orgUnitId: r.orgUnitId,
    itemStyle: { color: riskColor(r.score) },
  }));
  const series: BarSeriesOption = {
    type: 'bar',
    name: msg('Risk score', { id: 'security.chart.riskScore' }),
    data,
    barMaxWidth: 18,
    cursor: 'pointer',
    label: { show: true, position: 'right', color: axisColor },
  };
  return {
    animation: false,
    grid: {
      left: 12,
      right: 36,
      top: 8,
      bottom: 8,
      outerBoundsMode: 'same',
      outerBoundsContain: 'axisLabel',
    },
    tooltip: { trigger: 'axis', confine: true, axisPointer: { type: 'shadow' } },
    toolbox: chartToolbox('security-risk', false),
    xAxis: {
      type: 'value',
      min: 0,
      max: 100,
      axisLabel: { color: axisColor },
      splitLine: { lineStyle: { color: splitColor } },
    },
    yAxis: { type: 'category', data: rows.map((r) => r.name), axisLabel: { color: axisColor } },
    series: [series],
  };
}

/** The unit a click on a risk bar names; undefined for anything else. */
export function clickedOrgUnit(data: unknown): string | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const id = (data as { orgUnitId?: unknown }).orgUnitId;
  return typeof id === 'string' ? id : undefined;
}

/** The daily risk score of one unit as a line over the days. */
export function riskTrendOption(trend: RiskTrend): ChartOption {
  const points = [...trend.points].sort((a, b) => a[0].localeCompare(b[0]));
  const series: LineSeriesOption = {
    type: 'line',
    name: msg('Risk score', { id: 'security.chart.riskScore' }),
    data: points.map((p) => p[1]),
    showSymbol: points.length < 40,
    lineStyle: { color: '#c23a35', width: 1.6 },
    itemStyle: { color: '#c23a35' },
    areaStyle: { color: '#c23a35', opacity: 0.08 },
  };
  return {
    animation: false,
    grid: {
      left: 12,
      right: 12,
      top: 12,
      bottom: 8,
      outerBoundsMode: 'same',
      outerBoundsContain: 'axisLabel',
    },
    tooltip: { trigger: 'axis', confine: true },
    toolbox: chartToolbox('security-risk-trend', false),
    xAxis: {
      type: 'category',
      data: points.map((p) => p[0]),
      axisLabel: {
        color: axisColor,
        hideOverlap: true,
        formatter: (v: string) => formatDate(`${v}T00:00:00Z`),
      },
    },
    yAxis: {
      type: 'value',
      min: 0,
      max: 100,
      axisLabel: { color: axisColor },
      splitLine: { lineStyle: { color: splitColor } },
    },
    series: [series],
  };
}

/** Open alerts counted by severity, as vertical bars, critical first. */
export function severityBarsOption(counts: Record<Severity, number>): ChartOption {
  const series: BarSeriesOption = {
    type: 'bar',
    name: msg('Open alerts', { id: 'security.chart.openAlerts' }),
    data: severities.map((s) => ({ value: counts[s], itemStyle: { color: severityColor[s] } })),
    barMaxWidth: 36,
    label: {
      show: true,
      position: 'top',
      color: axisColor,
      formatter: (p: { value?: unknown }) => formatCount(Number(p.value)),
    },
  };
  return {
    animation: false,
    grid: {
      left: 12,
      right: 12,
      top: 20,
      bottom: 8,
      outerBoundsMode: 'same',
      outerBoundsContain: 'axisLabel',
    },
    tooltip: { trigger: 'axis', confine: true, axisPointer: { type: 'shadow' } },
    toolbox: chartToolbox('security-severity', false),
    xAxis: {
      type: 'category',
      data: severities.map((s) => severityText(s)),
      axisLabel: { color: axisColor },
    },
    yAxis: {
      type: 'value',
      minInterval: 1,
      axisLabel: { color: axisColor },
      splitLine: { lineStyle: { color: splitColor } },
    },
    series: [series],
  };
}
