/**
 * The page `npm run bench:console` loads in headless Chromium (built by the bench into a directory
 * of its own, never into `console/dist`): the topology map of a generated Sichuan-sized province,
 * with hooks on `window.tianshuBench` to time the first render and zoom steps.
 */
import { prepareTopologyMap } from '../components/ts-topology-map.js';
import type { TsTopologyMap } from '../components/ts-topology-map.js';
import type { TsChart } from '../charts/ts-chart.js';
import { generateProvince } from '../components/topology-fixture.js';

interface Chart {
  on(event: string, handler: () => void): void;
  off(event: string, handler: () => void): void;
  dispatchAction(payload: Record<string, unknown>): void;
  getWidth(): number;
  getHeight(): number;
}

interface BenchResult {
  generateMillis: number;
  firstRenderMillis: number;
  sinceNavigationMillis: number;
  nodes: number;
  links: number;
  drawnNodes: number;
  drawnEdges: number;
}

const collapse = new URLSearchParams(location.search).get('all') === '1' ? false : 'auto';
// As the topology page does when it is opened, before it fetches the topology (the generated
// province stands in for the fetch): ECharts' chunks and the layout worker start loading.
prepareTopologyMap();
const started = performance.now();
const topology = generateProvince();
const generateMillis = performance.now() - started;

const map = document.createElement('ts-topology-map') as TsTopologyMap;
map.style.setProperty('--ts-topology-height', '800px');

const chartElement = async (): Promise<TsChart> => {
  await map.updateComplete;
  const element = map.shadowRoot?.querySelector('ts-chart');
  if (!element) throw new Error('the map drew no chart');
  return element;
};

const first = new Promise<BenchResult>((resolve, reject) => {
  const mountedAt = performance.now();
  // Marks for traces of the bench (Chromium's performance timeline).
  performance.mark('topology-mount');
  map.topology = topology;
  map.collapse = collapse;
  document.body.append(map);
  void chartElement().then((element) => {
    const done = () => {
      performance.mark('topology-ready');
      const readyAt = performance.now();
      const option = element.getEchartsInstance()?.getOption() as
        { series?: { data?: unknown[]; links?: unknown[] }[] } | undefined;
      const series = option?.series?.[0];
      resolve({
        generateMillis,
        firstRenderMillis: readyAt - mountedAt,
        sinceNavigationMillis: readyAt,
        nodes: topology.orgUnits.length + topology.devices.length,
        links: topology.links.length,
        // What the chart holds (org units whose names are not drawn have no marker of their own).
        drawnNodes: series?.data?.length ?? 0,
        drawnEdges: series?.links?.length ?? 0,
      });
    };
    if (element.dataset.state === 'ready') return done();
    const observer = new MutationObserver(() => {
      if (element.dataset.state === 'ready') {
        observer.disconnect();
        done();
      }
    });
    observer.observe(element, { attributes: true, attributeFilter: ['data-state'] });
  }, reject);
});

/** Zooms once about the centre and resolves with the time to the chart's next finished frame. */
async function zoomStep(factor: number): Promise<number> {
  const element = await chartElement();
  const chart = element.getEchartsInstance() as unknown as Chart | undefined;
  if (!chart) throw new Error('no chart yet');
  return new Promise((resolve) => {
    const t0 = performance.now();
    const timer = window.setTimeout(() => {
      chart.off('finished', done);
      resolve(Number.NaN);
    }, 5000);
    function done() {
      window.clearTimeout(timer);
      chart?.off('finished', done);
      resolve(performance.now() - t0);
    }
    chart.on('finished', done);
    chart.dispatchAction({
      type: 'graphRoam',
      seriesIndex: 0,
      zoom: factor,
      originX: chart.getWidth() / 2,
      originY: chart.getHeight() / 2,
    });
  });
}

declare global {
  interface Window {
    tianshuBench: { first: Promise<BenchResult>; zoomStep: (factor: number) => Promise<number> };
  }
}

window.tianshuBench = { first, zoomStep };
