/** Registers the gauge series with ECharts (loaded by `engine.ts` when an option uses it). */
import { use } from 'echarts/core';
import { GaugeChart } from 'echarts/charts';

use([GaugeChart]);
