/** Registers the heatmap series and the visual map it colours by (loaded by `engine.ts`). */
import { use } from 'echarts/core';
import { HeatmapChart } from 'echarts/charts';
import { VisualMapComponent } from 'echarts/components';

use([HeatmapChart, VisualMapComponent]);
