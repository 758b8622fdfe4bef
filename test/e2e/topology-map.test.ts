import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { freePort } from '../support/postgres.js';

/**
 * The topology map alone in Chromium, on the bench's generated Sichuan-sized province (the page
 * `npm run bench:console` times, served by Vite on a free loopback port): its first layout comes
 * from the layout worker (and from the main thread when the browser has no workers), and the flows
 * that depend on the layout still work — a folded county opened by a click on the map, a township
 * revealed by search, the zoom buttons and "Fit".
 */
const REPO = fileURLToPath(new URL('../../', import.meta.url));

// The browser's side, as `page.evaluate` callbacks see it (this test's tsconfig has node types only).
interface Layout {
  units: { id: string; level: string; x: number; y: number }[];
  groups: { id: string; parentId: string; x: number; y: number }[];
  devices: unknown[];
}
interface Series {
  get(key: string): unknown;
}
interface Chart {
  convertToPixel(finder: { seriesIndex: number }, value: number[]): number[];
  getModel(): { getSeriesByIndex(i: number): Series };
}
interface ChartElement {
  dataset: Record<string, string | undefined>;
  getEchartsInstance(): Chart | undefined;
  getBoundingClientRect(): { left: number; top: number };
}
interface MapElement {
  layout?: Layout;
  topology: { orgUnits: { id: string; level: string; parentId: string | null }[] };
  reveal(kind: 'unit' | 'device', id: string): Promise<void>;
  updateComplete: Promise<boolean>;
  shadowRoot: { querySelector(selector: string): unknown; querySelectorAll(selector: string): unknown[] };
}
declare const document: { querySelector(selector: string): unknown };
declare const window: { tianshuBench: { first: Promise<unknown> }; Worker?: unknown };

let vite: ViteDevServer | undefined;
let browser: Browser | undefined;
let cacheDir: string;
let url: string;

beforeAll(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'tianshu-topology-vite-'));
  const port = await freePort();
  vite = await createServer({
    root: join(REPO, 'console'),
    configFile: false,
    cacheDir,
    logLevel: 'error',
    clearScreen: false,
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
  });
  await vite.listen();
  url = `http://127.0.0.1:${port}/bench/topology.html`;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await vite?.close();
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

interface Opened {
  page: Page;
  errors: string[];
  warnings: string[];
  /** The URLs of the Web Workers the page started. */
  workers: string[];
}

async function open(options: { noWorker?: boolean } = {}): Promise<Opened> {
  if (!browser) throw new Error('no browser');
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  const errors: string[] = [];
  const warnings: string[] = [];
  const workers: string[] = [];
  page.on('worker', (w) => workers.push(w.url()));
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => {
    // Chromium asks for a favicon the harness does not have.
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) errors.push(`${r.status()} ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text());
    if (m.type() === 'warning') warnings.push(m.text());
  });
  if (options.noWorker) {
    await page.addInitScript(() => {
      delete window.Worker;
    });
  }
  await page.goto(url);
  await page.evaluate(() => window.tianshuBench.first);
  return { page, errors, warnings, workers };
}

/** The chart's series zoom (1 when the whole province is fitted). */
const seriesZoom = (page: Page) =>
  page.evaluate(() => {
    const map = document.querySelector('ts-topology-map') as MapElement;
    const chart = (map.shadowRoot.querySelector('ts-chart') as ChartElement).getEchartsInstance();
    return Number(chart?.getModel().getSeriesByIndex(0).get('zoom') ?? 1);
  });

const layoutOf = (page: Page) =>
  page.evaluate(() => {
    const layout = (document.querySelector('ts-topology-map') as MapElement).layout;
    return layout
      ? {
          units: layout.units.length,
          groups: layout.groups.length,
          devices: layout.devices.length,
          townships: layout.units.filter((u) => u.level === 'township').length,
        }
      : undefined;
  });

describe('topology map in Chromium', () => {
  it('draws the province from the layout worker, and its list once drawn', async () => {
    const { page, errors, warnings, workers } = await open();
    try {
      expect(workers.filter((u) => u.includes('topology-layout.worker'))).toHaveLength(1);
      expect(await layoutOf(page)).toEqual({ units: 205, groups: 183, devices: 410, townships: 0 });
      const chart = page.locator('ts-topology-map ts-chart[data-state="ready"]');
      expect(await chart.count()).toBe(1);
      await page
        .locator('[data-testid="topology-folded"]')
        .first()
        .waitFor({ state: 'attached', timeout: 10_000 });
      expect(await page.locator('[data-testid="topology-folded"]').count()).toBe(183);
      expect(await page.locator('[data-testid="topology-unit"]').count()).toBe(205);
      // The worker did the layout: the main thread's fallback says so when it runs.
      expect(warnings.filter((w) => w.includes('topology layout on the main thread'))).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('opens a folded county when its group is clicked on the map, and reveals a township', async () => {
    const { page, errors } = await open();
    try {
      // The pixel of a folded group, clicked as a user would (zoomed out, groups overlap: the one on
      // top opens).
      const point = await page.evaluate(() => {
        const map = document.querySelector('ts-topology-map') as MapElement;
        const element = map.shadowRoot.querySelector('ts-chart') as ChartElement;
        const group = map.layout?.groups[0];
        const chart = element.getEchartsInstance();
        if (!group || !chart) return undefined;
        const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [group.x, group.y]) as [number, number];
        const box = element.getBoundingClientRect();
        return { x: box.left + x, y: box.top + y };
      });
      expect(point).toBeDefined();
      if (!point) return;
      await page.mouse.click(point.x, point.y);
      await page.waitForFunction(
        () =>
          (document.querySelector('ts-topology-map') as MapElement).layout?.units.some(
            (u) => u.level === 'township',
          ) ?? false,
        undefined,
        { timeout: 10_000 },
      );
      const opened = await layoutOf(page);
      expect(opened?.groups).toBe(182);
      expect(opened?.townships).toBeGreaterThan(0);

      // Search's reveal: a township of a folded county opens that county, is selected and zoomed to.
      const township = await page.evaluate(async () => {
        const map = document.querySelector('ts-topology-map') as MapElement;
        const shown = new Set(map.layout?.units.map((u) => u.id));
        const folded = [...map.topology.orgUnits]
          .reverse()
          .find((u) => u.level === 'township' && !shown.has(u.id));
        if (!folded) return undefined;
        await map.reveal('unit', folded.id);
        return folded.id;
      });
      expect(township).toBeDefined();
      const revealed = await page.evaluate(
        (id) =>
          (document.querySelector('ts-topology-map') as MapElement).layout?.units.some((u) => u.id === id),
        township,
      );
      expect(revealed).toBe(true);
      expect((await layoutOf(page))?.groups).toBe(181);
      expect(await seriesZoom(page)).toBeGreaterThan(2);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('shows new data as it comes: a link gone down', async () => {
    const { page, errors } = await open();
    try {
      const linkId = await page.evaluate(() => {
        const map = document.querySelector('ts-topology-map') as MapElement & {
          topology: { links: { id: string; status: string }[] };
        };
        const drawn = map.shadowRoot.querySelector('[data-testid="topology-link"][data-status="up"]') as {
          dataset: Record<string, string | undefined>;
        } | null;
        const id = drawn?.dataset.linkId;
        if (!id) return undefined;
        // The page's next poll: the same topology, that link down.
        map.topology = {
          ...map.topology,
          links: map.topology.links.map((l) =>
            l.id === id ? { ...l, status: 'down', utilisation: null } : l,
          ),
        };
        return id;
      });
      expect(linkId).toBeDefined();
      const line = page.locator(`[data-testid="topology-link"][data-link-id="${linkId}"]`);
      await line.and(page.locator('[data-status="down"]')).waitFor({ state: 'attached', timeout: 10_000 });
      expect(await layoutOf(page)).toEqual({ units: 205, groups: 183, devices: 410, townships: 0 });
      expect(await page.locator('ts-topology-map ts-chart[data-state="ready"]').count()).toBe(1);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('zooms with the buttons and fits the province again', async () => {
    const { page, errors } = await open();
    try {
      expect(await seriesZoom(page)).toBe(1);
      await page.getByTestId('topology-zoom-in').click();
      await page.getByTestId('topology-zoom-in').click();
      expect(await seriesZoom(page)).toBeCloseTo(2.25, 5);
      await page.getByTestId('topology-zoom-out').click();
      expect(await seriesZoom(page)).toBeCloseTo(1.5, 5);
      await page.getByTestId('topology-fit').click();
      await page.waitForFunction(
        () => {
          const map = document.querySelector('ts-topology-map') as MapElement;
          const chart = (map.shadowRoot.querySelector('ts-chart') as ChartElement).getEchartsInstance();
          return Number(chart?.getModel().getSeriesByIndex(0).get('zoom') ?? 1) === 1;
        },
        undefined,
        { timeout: 10_000 },
      );
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('lays out on the main thread where the browser has no workers', async () => {
    const { page, errors, warnings, workers } = await open({ noWorker: true });
    try {
      expect(await page.evaluate(() => typeof window.Worker)).toBe('undefined');
      expect(await layoutOf(page)).toEqual({ units: 205, groups: 183, devices: 410, townships: 0 });
      expect(await page.locator('ts-topology-map ts-chart[data-state="ready"]').count()).toBe(1);
      expect(workers).toEqual([]);
      expect(warnings.filter((w) => w.includes('layout worker'))).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  }, 60_000);
});
