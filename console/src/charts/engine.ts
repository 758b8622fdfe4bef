/**
 * ECharts, as `<ts-chart>` uses it: `echarts/core` with only the series types and components the
 * console draws, and the canvas renderer. `ts-chart.ts` imports this module dynamically, so ECharts
 * is a chunk of its own that a page loads only when it shows a chart.
 */
import { init, use } from 'echarts/core';
import type { EChartsType } from 'echarts/core';
import {
  BarChart,
  GaugeChart,
  GraphChart,
  HeatmapChart,
  LineChart,
  SankeyChart,
  TreemapChart,
} from 'echarts/charts';
import {
  DataZoomComponent,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  ToolboxComponent,
  TooltipComponent,
  VisualMapComponent,
} from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

use([
  LineChart,
  BarChart,
  SankeyChart,
  HeatmapChart,
  TreemapChart,
  GaugeChart,
  GraphChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  DataZoomComponent,
  ToolboxComponent,
  VisualMapComponent,
  MarkLineComponent,
  CanvasRenderer,
]);

/** ECharts' own texts (toolbox, aria) in the console's language: its built-in `ZH` and `EN`. */
export type EngineLocale = 'ZH' | 'EN';

export function createChart(element: HTMLElement, locale: EngineLocale): EChartsType {
  return init(element, null, { renderer: 'canvas', locale });
}

export type { EChartsType };
