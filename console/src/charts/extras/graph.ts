/** Registers the graph series with ECharts (loaded by `engine.ts` when an option uses it). */
import { use } from 'echarts/core';
import { GraphChart } from 'echarts/charts';

use([GraphChart]);
