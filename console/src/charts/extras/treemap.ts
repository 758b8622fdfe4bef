/** Registers the treemap series with ECharts (loaded by `engine.ts` when an option uses it). */
import { use } from 'echarts/core';
import { TreemapChart } from 'echarts/charts';

use([TreemapChart]);
