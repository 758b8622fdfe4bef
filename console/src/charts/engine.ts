/**
 * ECharts, as `<ts-chart>` uses it: `echarts/core` with the canvas renderer, the line series and the
 * components every time chart needs (grid, tooltip, legend, zoom, toolbox). `ts-chart.ts` imports
 * this module dynamically, so ECharts is a chunk of its own that a page loads only when it shows a
 * chart. The other series types (bar, Sankey, heatmap, treemap, gauge, graph) and mark lines are
 * chunks of their own too, registered by `prepare()` the first time an option uses them.
 */
import { init, use } from 'echarts/core';
import type { EChartsType } from 'echarts/core';
import { LineChart } from 'echarts/charts';
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  ToolboxComponent,
  TooltipComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';
import type { ChartOption } from './option.js';

use([
  LineChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  DataZoomComponent,
  ToolboxComponent,
  CanvasRenderer,
]);

/** ECharts' own texts (toolbox, aria) in the console's language: its built-in `ZH` and `EN`. */
export type EngineLocale = 'ZH' | 'EN';

export function createChart(element: HTMLElement, locale: EngineLocale): EChartsType {
  return init(element, null, { renderer: 'canvas', locale });
}

/** Each extra registers itself with `use()` when its module loads. */
const extras = {
  bar: () => import('./extras/bar.js'),
  sankey: () => import('./extras/sankey.js'),
  heatmap: () => import('./extras/heatmap.js'),
  treemap: () => import('./extras/treemap.js'),
  gauge: () => import('./extras/gauge.js'),
  graph: () => import('./extras/graph.js'),
  markLine: () => import('./extras/mark-line.js'),
} as const;

type Extra = keyof typeof extras;

const loaded = new Map<Extra, Promise<unknown>>();
const registered = new Set<Extra>();

/** The extras registered so far (a chart created now can draw them). */
export const registeredExtras = (): readonly string[] => [...registered];

/**
 * The extras an option needs: its series types beyond `line`, and mark lines. ECharts' instances
 * use the layouts and processors registered before they were created, so `<ts-chart>` loads these
 * first and creates its chart anew when a later option needs one registered since.
 */
export function extrasFor(option: ChartOption): Extra[] {
  const series =
    option.series === undefined ? [] : Array.isArray(option.series) ? option.series : [option.series];
  const needed = new Set<Extra>();
  for (const s of series as { type?: string; markLine?: unknown }[]) {
    if (s.type && s.type !== 'line') {
      if (!(s.type in extras)) throw new Error(`<ts-chart> does not draw series of type ${s.type}`);
      needed.add(s.type as Extra);
    }
    if (s.markLine !== undefined) needed.add('markLine');
  }
  return [...needed];
}

/** Loads and registers what `option` needs beyond the base; resolves at once when nothing is missing. */
export async function prepare(option: ChartOption): Promise<void> {
  const missing = extrasFor(option).filter((extra) => !loaded.has(extra));
  for (const extra of missing) {
    loaded.set(
      extra,
      extras[extra]().then(
        () => registered.add(extra),
        (error: unknown) => {
          loaded.delete(extra);
          throw error;
        },
      ),
    );
  }
  await Promise.all(extrasFor(option).map((extra) => loaded.get(extra)));
}

export type { EChartsType };
