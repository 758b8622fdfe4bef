/**
 * The topology layout off the page's main thread: `ts-topology-map` posts a `LayoutRequest`, this
 * worker answers with the layout (`topology-layout-wire.ts`) or the error that stopped it. The page
 * meanwhile loads and starts ECharts, so the two no longer wait for each other.
 */
import { layoutTopology } from './topology-layout.js';
import { requestTopology, toWire } from './topology-layout-wire.js';
import type { LayoutRequest, LayoutResponse } from './topology-layout-wire.js';

addEventListener('message', (event: MessageEvent<LayoutRequest>) => {
  const { id, collapse, expanded } = event.data;
  let response: LayoutResponse;
  try {
    const topology = requestTopology(event.data);
    const layout = layoutTopology(topology, { collapse, expanded: new Set(expanded) });
    response = { id, layout: toWire(layout, topology) };
  } catch (error) {
    response = { id, error: error instanceof Error ? error.message : String(error) };
  }
  postMessage(response);
});
