/**
 * The charts of the quota pages, through `<ts-chart>`: a cloud's classes as bars (allocatable =
 * capacity × overcommit, allocated, used, physically used; each as a share of allocatable, since the
 * classes count different units, with the amounts in the tooltip), the quota tree as a treemap (area =
 * quota of the chosen class, colour = utilisation; a click names the node), showback cost per org unit
 * stacked by class, and the provider scorecards' scores. Pure, unit-tested.
 */
import { msg, str } from '@lit/localize';
import { formatNumber, formatPercent } from '../common/format.js';
import { localName, ratio } from '../data/quotas.js';
import type { Cloud, ResourceClass, Scorecard, Showback, TreeNode } from '../data/quotas.js';
import { chartToolbox } from './time-series.js';
import type { BarSeriesOption, ChartOption, TreemapSeriesOption } from './option.js';

const axisColor = '#5b6876';
const splitColor = '#e3e8ee';

export const quotaColors = {
  allocatable: '#c9d3de',
  allocated: '#2a6fd6',
  used: '#d98a1c',
  physical: '#1d8a56',
} as const;

/** Utilisation colour: idle grey-green, healthy green, busy amber, over red. */
export function utilisationColor(share: number | null): string {
  if (share === null) return '#c9d3de';
  if (share < 0.3) return '#8fb8a3';
  if (share < 0.7) return '#1d8a56';
  if (share < 0.9) return '#d98a1c';
  return '#c23a35';
}

const className = (id: string, classes: readonly ResourceClass[]): string => {
  const c = classes.find((x) => x.id === id);
  return c ? localName(c.names) : id;
};
const classUnit = (id: string, classes: readonly ResourceClass[]): string =>
  classes.find((x) => x.id === id)?.unit ?? '';

/** One bar: its share of allocatable in percent, and the amount for the tooltip. */
export interface QuotaBarDatum {
  value: number;
  amount: number | null;
  unit: string;
}

/** A cloud's classes as grouped horizontal bars, in percent of allocatable. */
export function cloudBarsOption(cloud: Cloud, classes: readonly ResourceClass[]): ChartOption {
  const rows = [...cloud.classes].reverse(); // category axes draw from the bottom
  const pct = (n: number, of: number | null) => (of && of > 0 ? Math.round((n / of) * 1000) / 10 : 0);
  const bar = (
    name: string,
    color: string,
    pick: (c: Cloud['classes'][number]) => number | null,
  ): BarSeriesOption => ({
    type: 'bar',
    name,
    barMaxWidth: 10,
    itemStyle: { color },
    data: rows.map((c): QuotaBarDatum => ({
      value: pick(c) === null ? 0 : pct(pick(c) ?? 0, c.allocatable),
      amount: pick(c),
      unit: classUnit(c.class, classes),
    })),
  });
  return {
    animation: false,
    grid: {
      left: 12,
      right: 24,
      top: 28,
      bottom: 8,
      outerBoundsMode: 'same',
      outerBoundsContain: 'axisLabel',
    },
    legend: { top: 0, left: 0, textStyle: { color: axisColor } },
    tooltip: {
      trigger: 'axis',
      confine: true,
      axisPointer: { type: 'shadow' },
      valueFormatter: (v) => formatPercent(Number(v), 1),
    },
    toolbox: chartToolbox(`quotas-${cloud.id}`, false),
    xAxis: {
      type: 'value',
      min: 0,
      axisLabel: { color: axisColor, formatter: (v: number) => formatPercent(v, 0) },
      splitLine: { lineStyle: { color: splitColor } },
    },
    yAxis: {
      type: 'category',
      data: rows.map((c) => className(c.class, classes)),
      axisLabel: { color: axisColor },
    },
    series: [
      bar(
        msg('Allocatable', { id: 'quotas.chart.allocatable' }),
        quotaColors.allocatable,
        (c) => c.allocatable,
      ),
      bar(msg('Allocated', { id: 'quotas.chart.allocated' }), quotaColors.allocated, (c) => c.allocated),
      bar(msg('Used', { id: 'quotas.chart.used' }), quotaColors.used, (c) => c.used),
      bar(msg('Physically used', { id: 'quotas.chart.physical' }), quotaColors.physical, (c) => c.physical),
    ],
  };
}

/** One treemap node: the tree node's key for `ts-chart-click`, its quota and utilisation. */
export interface TreemapDatum {
  name: string;
  value: number;
  key: string;
  kind: 'org-unit' | 'project';
  id: string;
  utilisation: number | null;
  itemStyle: { color: string };
  children?: TreemapDatum[];
}

/** Levels the treemap draws below the root: one (a click goes down a level). */
const maxDepth = 1;

function treemapDatum(n: TreeNode, cls: string, depth: number): TreemapDatum | undefined {
  const quota = n.quota[cls] ?? 0;
  if (quota <= 0) return undefined;
  const utilisation = ratio(n.used[cls], quota);
  const children =
    depth >= maxDepth
      ? []
      : n.children.map((c) => treemapDatum(c, cls, depth + 1)).filter((c) => c !== undefined);
  return {
    name: n.name,
    value: quota,
    key: `${n.kind}:${n.id}`,
    kind: n.kind,
    id: n.id,
    utilisation,
    itemStyle: { color: utilisationColor(utilisation) },
    ...(children.length ? { children } : {}),
  };
}

/** The root's children as a treemap: area = quota of `cls`, colour = used ÷ quota. */
export function quotaTreemapOption(
  root: TreeNode,
  cls: string,
  classes: readonly ResourceClass[],
): ChartOption {
  const data = root.children.map((c) => treemapDatum(c, cls, 1)).filter((c) => c !== undefined);
  const unit = classUnit(cls, classes);
  const series: TreemapSeriesOption = {
    type: 'treemap',
    name: className(cls, classes),
    data,
    roam: false,
    nodeClick: false,
    breadcrumb: { show: false },
    width: '100%',
    height: '100%',
    top: 0,
    left: 0,
    label: { show: true, formatter: '{b}' },
    itemStyle: { borderColor: '#fff', borderWidth: 1, gapWidth: 1 },
    levels: [
      { itemStyle: { borderWidth: 2, gapWidth: 2, borderColor: '#fff' } },
      { itemStyle: { gapWidth: 1 } },
    ],
  };
  return {
    animation: false,
    tooltip: {
      confine: true,
      formatter: (p: unknown) => {
        const d = (p as { data?: TreemapDatum }).data;
        if (!d) return '';
        const share = d.utilisation === null ? '—' : formatPercent(d.utilisation * 100, 0);
        return msg(str`${d.name}: quota ${formatNumber(d.value)} ${unit}, ${share} used`, {
          id: 'quotas.chart.treemapTip',
        });
      },
    },
    series: [series],
  };
}

/** The tree node a treemap click names (`org-unit:<id>` / `project:<id>`), or undefined. */
export function clickedNode(data: unknown): { kind: 'org-unit' | 'project'; id: string } | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const d = data as Partial<TreemapDatum>;
  return (d.kind === 'org-unit' || d.kind === 'project') && typeof d.id === 'string'
    ? { kind: d.kind, id: d.id }
    : undefined;
}

/** Showback: each org unit's monthly cost, stacked by class, costliest at the top. */
export function showbackOption(s: Showback, classes: readonly ResourceClass[]): ChartOption {
  const rows = [...s.items].sort((a, b) => a.total - b.total);
  const used = classes.filter((c) => rows.some((r) => (r.byClass[c.id]?.cost ?? 0) > 0));
  return {
    animation: false,
    grid: {
      left: 12,
      right: 24,
      top: 28,
      bottom: 8,
      outerBoundsMode: 'same',
      outerBoundsContain: 'axisLabel',
    },
    legend: { top: 0, left: 0, textStyle: { color: axisColor } },
    tooltip: {
      trigger: 'axis',
      confine: true,
      axisPointer: { type: 'shadow' },
      valueFormatter: (v) => `¥${formatNumber(Number(v))}`,
    },
    toolbox: chartToolbox(`showback-${s.month}`, false),
    xAxis: {
      type: 'value',
      axisLabel: { color: axisColor },
      splitLine: { lineStyle: { color: splitColor } },
    },
    yAxis: {
      type: 'category',
      data: rows.map((r) => r.name || r.orgUnitId),
      axisLabel: { color: axisColor },
    },
    series: used.map((c): BarSeriesOption => ({
      type: 'bar',
      stack: 'cost',
      name: localName(c.names),
      barMaxWidth: 18,
      data: rows.map((r) => Math.round((r.byClass[c.id]?.cost ?? 0) * 100) / 100),
    })),
  };
}

const scoreColor = (score: number): string => (score >= 80 ? '#1d8a56' : score >= 60 ? '#d98a1c' : '#c23a35');

/** The provider scorecards: each cloud's score (0–100) as a bar, best at the top. */
export function scorecardOption(items: readonly Scorecard[], month: string): ChartOption {
  const rows = [...items].sort((a, b) => (a.score ?? -1) - (b.score ?? -1));
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
    toolbox: chartToolbox(`scorecards-${month}`, false),
    xAxis: {
      type: 'value',
      min: 0,
      max: 100,
      axisLabel: { color: axisColor },
      splitLine: { lineStyle: { color: splitColor } },
    },
    yAxis: { type: 'category', data: rows.map((r) => r.name), axisLabel: { color: axisColor } },
    series: [
      {
        type: 'bar',
        name: msg('Score', { id: 'quotas.chart.score' }),
        barMaxWidth: 18,
        label: { show: true, position: 'right', color: axisColor },
        data: rows.map((r) => ({
          value: r.score === null ? 0 : Math.round(r.score * 10) / 10,
          itemStyle: { color: r.score === null ? '#c9d3de' : scoreColor(r.score) },
        })),
      },
    ],
  };
}
