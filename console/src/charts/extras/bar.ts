/** Registers the bar series with ECharts (loaded by `engine.ts` when an option uses it). */
import { use } from 'echarts/core';
import { BarChart } from 'echarts/charts';

use([BarChart]);
