/** Registers mark lines, e.g. a threshold across a chart (loaded by `engine.ts`). */
import { use } from 'echarts/core';
import { MarkLineComponent } from 'echarts/components';

use([MarkLineComponent]);
