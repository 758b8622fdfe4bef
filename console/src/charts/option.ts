/**
 * The option type `<ts-chart>` accepts: ECharts' option composed of only the series and components
 * that `engine.ts` registers. Type-only imports, so nothing of ECharts lands in the importing chunk.
 */
import type { ComposeOption } from 'echarts/core';
import type {
  BarSeriesOption,
  GaugeSeriesOption,
  GraphSeriesOption,
  HeatmapSeriesOption,
  LineSeriesOption,
  SankeySeriesOption,
  TreemapSeriesOption,
} from 'echarts/charts';
import type {
  DataZoomComponentOption,
  GridComponentOption,
  LegendComponentOption,
  MarkLineComponentOption,
  ToolboxComponentOption,
  TooltipComponentOption,
  VisualMapComponentOption,
} from 'echarts/components';

export type ChartOption = ComposeOption<
  | LineSeriesOption
  | BarSeriesOption
  | SankeySeriesOption
  | HeatmapSeriesOption
  | TreemapSeriesOption
  | GaugeSeriesOption
  | GraphSeriesOption
  | GridComponentOption
  | TooltipComponentOption
  | LegendComponentOption
  | DataZoomComponentOption
  | ToolboxComponentOption
  | VisualMapComponentOption
  | MarkLineComponentOption
>;

export type {
  BarSeriesOption,
  GaugeSeriesOption,
  GraphSeriesOption,
  HeatmapSeriesOption,
  LineSeriesOption,
  SankeySeriesOption,
  TreemapSeriesOption,
};

/** `ts-chart-click`: the item under the pointer (a point, a node, an edge, a cell). */
export interface ChartClickDetail {
  /** The data item as given in the option (for a graph node: the node object). */
  data: unknown;
  name: string;
  value: unknown;
  seriesIndex: number;
  seriesName: string;
  seriesType: string;
  dataIndex: number;
  /** For graph and Sankey series: `node` or `edge`. */
  dataType?: string;
}

/** `ts-chart-range`: the time window the user zoomed or brushed to, in unix milliseconds. */
export interface ChartRangeDetail {
  from: number;
  to: number;
}
