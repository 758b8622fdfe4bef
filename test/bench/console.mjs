// Console benchmark: the topology of a generated Sichuan-sized province (21 cities, 183 counties,
// 3,000 townships) rendered by the console's own map in headless Chromium, and the gzip size of the
// JavaScript the console's index.html loads first.
//
// Usage: npm run bench:console   (builds first; needs Debian's chromium at /usr/bin/chromium)
// Environment: BENCH_CONSOLE_ZOOM_STEPS (zoom steps timed, default 20, at least 10),
// BENCH_CONSOLE_RENDER_LOADS (page loads whose first render is timed, median reported; default 7).
// Progress goes to stderr; the last line printed is one JSON object with the results.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { build } from 'vite';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const consoleDir = join(repo, 'console');
const dist = join(consoleDir, 'dist');
const zoomSteps = Math.max(10, Number(process.env.BENCH_CONSOLE_ZOOM_STEPS ?? 20));
const renderLoads = Math.max(3, Number(process.env.BENCH_CONSOLE_RENDER_LOADS ?? 7));
const goals = { topologyFirstRenderMillis: 1000, topologyZoomStepMillis: 50, initialJsGzipBytes: 250_000 };
const log = (text) => process.stderr.write(`${text}\n`);

const gzipBytes = (file) => gzipSync(readFileSync(file), { level: 9 }).length;
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

/** The console's initial JavaScript (index.html's entry and its static imports) and its lazy chunks. */
function bundleSizes() {
  const manifest = JSON.parse(readFileSync(join(dist, '.vite/manifest.json'), 'utf8'));
  const entry = Object.entries(manifest).find(([, chunk]) => chunk.isEntry && chunk.src === 'index.html');
  if (!entry) throw new Error('no index.html entry in the manifest; was the console built?');
  const initial = new Set();
  const visit = (key) => {
    const chunk = manifest[key];
    if (!chunk || initial.has(chunk.file)) return;
    initial.add(chunk.file);
    for (const imported of chunk.imports ?? []) visit(imported);
  };
  visit(entry[0]);
  const initialFiles = [...initial].filter((file) => file.endsWith('.js'));
  const chunks = {};
  for (const chunk of Object.values(manifest)) {
    if (!chunk.file.endsWith('.js') || initial.has(chunk.file)) continue;
    chunks[chunk.name ?? chunk.file] = gzipBytes(join(dist, chunk.file));
  }
  const initialChunks = Object.fromEntries(initialFiles.map((file) => [file, gzipBytes(join(dist, file))]));
  return {
    initialJsGzipBytes: Object.values(initialChunks).reduce((s, n) => s + n, 0),
    initialChunks,
    chunks,
  };
}

/** Serves a directory on a free loopback port. */
function serve(root) {
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = join(root, path === '/' ? 'index.html' : path);
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

const sizes = bundleSizes();
log(`load average ${loadavg()[0].toFixed(1)} on ${availableParallelism()} cores`);
log(`initial JS ${sizes.initialJsGzipBytes} B gzip in ${Object.keys(sizes.initialChunks).length} chunk(s)`);

const harnessDir = mkdtempSync(join(tmpdir(), 'tianshu-bench-console-'));
let server;
let browser;
try {
  log('building the topology harness');
  await build({
    root: consoleDir,
    configFile: false,
    logLevel: 'warn',
    base: './',
    build: {
      outDir: harnessDir,
      emptyOutDir: true,
      target: 'es2022',
      rollupOptions: { input: join(consoleDir, 'bench/topology.html') },
    },
  });
  server = await serve(harnessDir);
  const url = `http://127.0.0.1:${server.address().port}/bench/topology.html`;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });

  const run = async (query) => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    page.on('pageerror', (error) => log(`page error: ${error.message}`));
    await page.goto(url + query);
    const first = await page.evaluate(() => globalThis.tianshuBench.first);
    return { page, first };
  };

  log(`first render, townships folded (the default view): median of ${renderLoads} loads`);
  // The first load also warms the browser's caches; the first render is timed on the loads after it,
  // each a new page, and the median reported (one load on a shared machine varies by ±30 %).
  await (await run('')).page.close();
  const renders = [];
  const fromNavigation = [];
  for (let i = 0; i < renderLoads - 1; i += 1) {
    const loaded = await run('');
    renders.push(loaded.first.firstRenderMillis);
    fromNavigation.push(loaded.first.sinceNavigationMillis);
    await loaded.page.close();
  }
  const { page, first } = await run('');
  renders.push(first.firstRenderMillis);
  fromNavigation.push(first.sinceNavigationMillis);
  const firstRenderMillis = median(renders);
  log(
    `  ${first.nodes} nodes and ${first.links} links generated in ${first.generateMillis.toFixed(0)} ms; ` +
      `${first.drawnNodes} nodes and ${first.drawnEdges} edges drawn in ${renders.map((r) => r.toFixed(0)).join(', ')} ms`,
  );

  log(`${zoomSteps} zoom steps in, then out`);
  const steps = [];
  for (let i = 0; i < zoomSteps; i += 1) {
    const factor = i < zoomSteps / 2 ? 1.25 : 0.8;
    steps.push(await page.evaluate((f) => globalThis.tianshuBench.zoomStep(f), factor));
  }
  if (steps.some((s) => !Number.isFinite(s)))
    throw new Error(`a zoom step never finished: ${steps.join(', ')}`);
  log(`  steps (ms): ${steps.map((s) => s.toFixed(1)).join(' ')}`);
  await page.close();

  log('first render, every township shown');
  const all = await run('?all=1');
  log(
    `  ${all.first.drawnNodes} nodes and ${all.first.drawnEdges} edges drawn in ${all.first.firstRenderMillis.toFixed(0)} ms`,
  );
  const allSteps = [];
  for (let i = 0; i < 10; i += 1) {
    allSteps.push(await all.page.evaluate((f) => globalThis.tianshuBench.zoomStep(f), i < 5 ? 1.25 : 0.8));
  }
  await all.page.close();

  const result = {
    topologyFirstRenderMillis: Math.round(firstRenderMillis),
    topologyFirstRenderSamples: renders.map((r) => Math.round(r)),
    // From the harness page's navigation (its scripts loaded, the province generated) to the same moment.
    topologyFromNavigationMillis: Math.round(median(fromNavigation)),
    topologyZoomStepMillis: Math.round(median(steps) * 10) / 10,
    initialJsGzipBytes: sizes.initialJsGzipBytes,
    chunks: sizes.chunks,
    initialChunks: sizes.initialChunks,
    nodes: first.nodes,
    links: first.links,
    drawn: { nodes: first.drawnNodes, edges: first.drawnEdges },
    allTownships: {
      firstRenderMillis: Math.round(all.first.firstRenderMillis),
      zoomStepMillis: Math.round(median(allSteps) * 10) / 10,
      nodes: all.first.drawnNodes,
      edges: all.first.drawnEdges,
    },
    // Wall-clock times: on a busy machine (load above its cores) they grow with the load.
    machine: { cores: availableParallelism(), loadAverage1m: Math.round(loadavg()[0] * 10) / 10 },
    goals: {},
  };
  for (const [key, goal] of Object.entries(goals)) {
    result.goals[key] = {
      goal: key === 'initialJsGzipBytes' ? `<= ${goal}` : `< ${goal}`,
      met: key === 'initialJsGzipBytes' ? result[key] <= goal : result[key] < goal,
    };
  }
  console.log(JSON.stringify(result));
} finally {
  await browser?.close();
  server?.close();
  rmSync(harnessDir, { recursive: true, force: true });
}
