/** Registers the sankey series with ECharts (loaded by `engine.ts` when an option uses it). */
import { use } from 'echarts/core';
import { SankeyChart } from 'echarts/charts';

use([SankeyChart]);
