/**
 * The topology layout computed in a Web Worker (`topology-layout.worker.ts`), so that the page's
 * main thread loads and starts the chart engine meanwhile; where the browser has no workers, or the
 * worker cannot start or fails, the layout is computed on the main thread instead (slower, same
 * picture), and the reason is logged.
 */
import type { Topology } from '../data/network.js';
import { layoutTopology } from './topology-layout.js';
import type { LayoutOptions, TopologyLayout } from './topology-layout.js';
import { fromWire, linkColumns } from './topology-layout-wire.js';
import type { LayoutRequest, LayoutResponse } from './topology-layout-wire.js';

export interface LayoutJob {
  /** The layout; never rejects (the main thread computes it when the worker cannot). */
  readonly done: Promise<TopologyLayout>;
  /** Stops the worker; `done` then never settles. */
  cancel(): void;
}

let nextId = 1;

/**
 * Whether layouts can run off the main thread here, and gain by it: with one core, the worker would
 * only take turns with the main thread, and its start and the copies cost more than they save.
 */
export const workerLayoutAvailable = (): boolean =>
  typeof Worker !== 'undefined' &&
  !(
    typeof navigator !== 'undefined' &&
    navigator.hardwareConcurrency > 0 &&
    navigator.hardwareConcurrency < 2
  );

const spawn = (): Worker =>
  new Worker(new URL('./topology-layout.worker.ts', import.meta.url), { type: 'module' });

/** A worker started ahead of its layout, and why it failed if it did before it was used. */
let spare: { worker: Worker; failure?: string } | undefined;

/**
 * Starts the layout worker ahead of the first layout (the topology page does while it fetches the
 * topology), so that it has loaded when the layout is asked for. Harmless to call again.
 */
export function prepareLayoutWorker(): void {
  if (spare || !workerLayoutAvailable()) return;
  try {
    const entry: { worker: Worker; failure?: string } = { worker: spawn() };
    entry.worker.addEventListener('error', (event) => {
      event.preventDefault();
      entry.failure ??= event.message || 'it did not load';
    });
    spare = entry;
  } catch {
    // `layoutInWorker` tries again and, failing, says why.
  }
}

/** Starts one layout in a worker of its own (the one prepared ahead, if any; terminated once it answers). */
export function layoutInWorker(
  topology: Topology,
  options: Pick<LayoutOptions, 'collapse' | 'expanded'>,
): LayoutJob {
  const onMainThread = (reason: string): TopologyLayout => {
    console.warn(`topology layout on the main thread: ${reason}`);
    return layoutTopology(topology, options);
  };
  if (!workerLayoutAvailable()) {
    return {
      done: Promise.resolve().then(() => onMainThread('this browser has no Web Workers')),
      cancel() {},
    };
  }
  let worker: Worker | undefined;
  let cancelled = false;
  const done = new Promise<TopologyLayout>((resolve) => {
    const id = nextId++;
    const finish = (result: () => TopologyLayout) => {
      worker?.terminate();
      worker = undefined;
      if (!cancelled) resolve(result());
    };
    const prepared = spare;
    spare = undefined;
    if (prepared?.failure !== undefined) {
      prepared.worker.terminate();
      finish(() => onMainThread(`the layout worker failed (${prepared.failure})`));
      return;
    }
    try {
      worker = prepared?.worker ?? spawn();
    } catch (error) {
      finish(() => onMainThread(`the layout worker did not start (${String(error)})`));
      return;
    }
    worker.addEventListener('message', (event: MessageEvent<LayoutResponse>) => {
      const response = event.data;
      if (response.id !== id) return;
      if ('error' in response) {
        finish(() => onMainThread(`the layout worker failed (${response.error})`));
        return;
      }
      finish(() => {
        try {
          return fromWire(response.layout, topology);
        } catch (error) {
          return onMainThread(`the layout worker's answer did not fit (${String(error)})`);
        }
      });
    });
    worker.addEventListener('error', (event) => {
      event.preventDefault();
      finish(() => onMainThread(`the layout worker failed (${event.message || 'it did not load'})`));
    });
    worker.addEventListener('messageerror', () =>
      finish(() => onMainThread('the layout worker sent an answer that could not be read')),
    );
    try {
      const request: LayoutRequest = {
        id,
        orgUnits: topology.orgUnits,
        devices: topology.devices,
        links: linkColumns(topology.links),
        collapse: options.collapse,
        expanded: [...options.expanded],
      };
      worker.postMessage(request);
    } catch (error) {
      finish(() => onMainThread(`the topology could not be sent to the layout worker (${String(error)})`));
    }
  });
  return {
    done,
    cancel() {
      cancelled = true;
      worker?.terminate();
      worker = undefined;
    },
  };
}
