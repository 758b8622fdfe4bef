import { parentPort, workerData } from 'node:worker_threads';
import type { FlowAggregatesPayload } from '@tianshu/protocol';
import type { FlowAggregatorStats, StatsAccumulator } from './aggregator.js';
import type { DetectSlice } from './detect/slicer.js';
import type { PipelineConfig, PipelineTunables } from './pipeline.js';
import { FlowPipeline } from './pipeline.js';

/** Messages from the collector's receiving thread to a flow worker. */
export type ToWorker =
  | { t: 'config'; config: PipelineConfig }
  | { t: 'batch'; buf: ArrayBuffer; used: number; count: number; now: number; dropped?: [string, number][] }
  | { t: 'tick'; now: number }
  | { t: 'stop'; now: number };

/** Messages from a flow worker. */
export type FromWorker =
  | { t: 'payload'; payload: FlowAggregatesPayload }
  | { t: 'free'; buf: ArrayBuffer; count: number; used: number }
  | { t: 'detect'; slices: DetectSlice[] }
  | {
      t: 'stats';
      deltas: [string, StatsAccumulator][];
      agg: FlowAggregatorStats;
    }
  | { t: 'stopped' };

const port = parentPort;
if (port) {
  const init = workerData as { config: PipelineConfig; tunables: PipelineTunables };
  const send = (m: FromWorker, transfer?: ArrayBuffer[]): void => port.postMessage(m, transfer ?? []);
  const pipeline = new FlowPipeline(init.config, (payload) => send({ t: 'payload', payload }), init.tunables);
  port.on('message', (m: ToWorker) => {
    switch (m.t) {
      case 'config':
        pipeline.configure(m.config);
        break;
      case 'batch':
        for (const [a, n] of m.dropped ?? []) pipeline.dropped(a, n, m.now);
        pipeline.batch(Buffer.from(m.buf), m.used, m.now);
        send({ t: 'free', buf: m.buf, count: m.count, used: m.used }, [m.buf]);
        break;
      case 'tick': {
        const slices = pipeline.takeSlices(m.now);
        if (slices.length > 0) send({ t: 'detect', slices });
        pipeline.tick(m.now);
        send({ t: 'stats', deltas: pipeline.takeDeltas(), agg: pipeline.stats() });
        break;
      }
      case 'stop': {
        const slices = pipeline.takeSlices(m.now, true);
        if (slices.length > 0) send({ t: 'detect', slices });
        pipeline.flushAll(m.now);
        send({ t: 'stats', deltas: pipeline.takeDeltas(), agg: pipeline.stats() });
        send({ t: 'stopped' });
        break;
      }
    }
  });
}
