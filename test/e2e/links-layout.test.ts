import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, type Route } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/postgres.js';
import { assertBuilt } from '../support/process.js';
import {
  ADMIN_PASSWORD,
  REPO,
  startTestControlPlane,
  type TestControlPlane,
} from '../support/control-plane.js';

/**
 * The links table at the widths operators use (a 1440-px laptop, a 1024-px window) in English and
 * in Chinese: every column header lies inside the table's own scroll box, the box fits the page, and
 * when the columns are wider than the box it scrolls sideways to the last column. The control plane
 * runs without the lab: it lists the demo province's 22 links from its inventory, and the test
 * fills in what a poller would have measured (rates, utilisation, errors, failover, flapping) on the
 * way to the browser, so the cells are as wide as they are in production.
 */
let t: TestControlPlane;
let browser: Browser | undefined;

interface Link {
  id: string;
  status: string;
  role: string;
  pairId: string | null;
  speedMbps: number | null;
  [key: string]: unknown;
}

/** A measured state for each inventory link: some down, one flapping, one pair failed over. */
function measured(links: Link[]): Link[] {
  const now = Date.now();
  return links.map((link, i) => {
    const speed = link.speedMbps ?? 1000;
    const down = i % 7 === 3;
    const percent = down ? 0 : (i * 37) % 97;
    const failedOver = link.pairId === 'sc-cd-uplink';
    return {
      ...link,
      status: down ? 'down' : i % 11 === 5 ? 'unknown' : 'up',
      speedMbps: speed,
      utilisation: down ? null : { inPercent: percent, outPercent: percent / 3, maxPercent: percent },
      bps: down ? null : { in: (speed * 1e6 * percent) / 100, out: (speed * 1e6 * percent) / 300 },
      errorsPerSecond: i % 5 === 0 ? 12.75 : 0,
      active: link.pairId ? (failedOver ? link.role === 'backup' : link.role === 'primary') : null,
      failedOver,
      tier: { targetMbps: 10_000, actualMbps: speed, verdict: speed >= 10_000 ? 'ok' : 'below' },
      flapping: i === 2,
      lastChangeAt: new Date(now - (i + 1) * 3_600_000).toISOString(),
      updatedAt: new Date(now).toISOString(),
    };
  });
}

async function serveMeasuredLinks(route: Route): Promise<void> {
  const response = await route.fetch();
  const body = (await response.json()) as { items: Link[] };
  await route.fulfill({ response, json: { ...body, items: measured(body.items) } });
}

interface Geometry {
  viewportWidth: number;
  viewportHeight: number;
  box: {
    left: number;
    right: number;
    bottom: number;
    clientWidth: number;
    scrollWidth: number;
    overflowX: string;
  };
  main: { right: number; clientWidth: number; scrollWidth: number };
  headers: { text: string; left: number; right: number }[];
  lastHeaderAfterScroll: { left: number; right: number };
}

/** The little of the DOM that `measure` uses (the test's TypeScript has Node's types, not the DOM's). */
interface Rect {
  left: number;
  right: number;
  bottom: number;
}
interface El {
  shadowRoot: { querySelector(selector: string): El | null; querySelectorAll(selector: string): El[] } | null;
  querySelector(selector: string): El | null;
  getBoundingClientRect(): Rect;
  textContent: string | null;
  scrollLeft: number;
  scrollWidth: number;
  clientWidth: number;
}
interface BrowserGlobals {
  document: { querySelector(selector: string): El | null; documentElement: { lang: string } };
  innerWidth: number;
  innerHeight: number;
  getComputedStyle(el: El): { overflowX: string };
  localStorage: { setItem(key: string, value: string): void };
}

/** Where the links table, its headers and the page's main area are, before and after scrolling to the end. */
async function measure(page: Page): Promise<Geometry> {
  return page.evaluate(() => {
    const w = globalThis as unknown as BrowserGlobals;
    const app = w.document.querySelector('ts-app')!;
    const main = app.shadowRoot!.querySelector('main')!;
    const linksPage = main.querySelector('ts-page-links')!;
    // The table element is its own scroll box.
    const table = linksPage.shadowRoot!.querySelector('ts-panel.links ts-data-table')!;
    table.scrollLeft = 0;
    const rect = table.getBoundingClientRect();
    const ths = [...table.shadowRoot!.querySelectorAll('thead th')];
    const headers = ths.map((th) => {
      const r = th.getBoundingClientRect();
      return { text: th.textContent?.trim() ?? '', left: r.left - rect.left, right: r.right - rect.left };
    });
    table.scrollLeft = table.scrollWidth;
    const last = ths[ths.length - 1]!.getBoundingClientRect();
    const lastHeaderAfterScroll = { left: last.left, right: last.right };
    table.scrollLeft = 0;
    const mainRect = main.getBoundingClientRect();
    return {
      viewportWidth: w.innerWidth,
      viewportHeight: w.innerHeight,
      box: {
        left: rect.left,
        right: rect.right,
        bottom: rect.bottom,
        clientWidth: table.clientWidth,
        scrollWidth: table.scrollWidth,
        overflowX: w.getComputedStyle(table).overflowX,
      },
      main: { right: mainRect.right, clientWidth: main.clientWidth, scrollWidth: main.scrollWidth },
      headers,
      lastHeaderAfterScroll,
    };
  });
}

beforeAll(async () => {
  assertBuilt();
  t = await startTestControlPlane({
    listen: true,
    consoleDir: join(REPO, 'console/dist'),
    overrides: { port: await freePort() },
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await t?.close();
});

const locales = [
  { locale: 'en', heading: 'Links' },
  { locale: 'zh-CN', heading: '链路' },
] as const;
const viewports = [
  { width: 1440, height: 900 },
  { width: 1024, height: 768 },
] as const;

describe('links table layout', () => {
  for (const { locale, heading } of locales) {
    describe(`in ${locale}`, () => {
      let context: BrowserContext;
      let page: Page;

      beforeAll(async () => {
        context = await browser!.newContext({ locale, viewport: viewports[0] });
        await context.addInitScript(
          (l) => (globalThis as unknown as BrowserGlobals).localStorage.setItem('tianshu.locale', l),
          locale,
        );
        page = await context.newPage();
        await page.route((url) => url.pathname === '/api/v1/network/links', serveMeasuredLinks);
        await page.goto(`${t.cp.url}/network/links`);
        await page.getByTestId('login-username').fill('admin');
        await page.getByTestId('login-password').fill(ADMIN_PASSWORD);
        await page.getByTestId('login-submit').click();
        await page.locator('[data-testid="link-row"]').first().waitFor({ timeout: 30_000 });
      }, 60_000);

      afterAll(async () => {
        await context?.close();
      });

      it('shows the page in its language', async () => {
        expect(
          await page.evaluate(() => (globalThis as unknown as BrowserGlobals).document.documentElement.lang),
        ).toBe(locale);
        await expect
          .poll(() => page.locator('ts-page-links h1').textContent(), { timeout: 10_000 })
          .toContain(heading);
        expect(await page.locator('[data-testid="link-row"]').count()).toBe(22);
      });

      for (const viewport of viewports) {
        it(`keeps every column reachable at ${viewport.width}×${viewport.height}`, async () => {
          await page.setViewportSize(viewport);
          // Two animation frames: the resize has been laid out and painted.
          await page.evaluate(
            () =>
              new Promise<void>((resolve) => {
                const raf = (globalThis as unknown as { requestAnimationFrame(cb: () => void): void })
                  .requestAnimationFrame;
                raf(() => raf(resolve));
              }),
          );
          const g = await measure(page);
          // The table's box fits in the page: nothing is cut off by the window or the main area.
          expect(g.box.right).toBeLessThanOrEqual(g.viewportWidth);
          expect(g.box.right).toBeLessThanOrEqual(g.main.right);
          expect(g.main.scrollWidth).toBeLessThanOrEqual(g.main.clientWidth);
          // Every header lies inside the scrollable width, none squeezed to nothing.
          expect(g.headers.map((h) => h.text).filter((text) => text === '')).toEqual([]);
          for (const h of g.headers) {
            expect(h.right - h.left, h.text).toBeGreaterThan(8);
            expect(h.right, h.text).toBeLessThanOrEqual(g.box.scrollWidth + 1);
          }
          if (g.box.scrollWidth > g.box.clientWidth) {
            // Wider than its box: the box scrolls, its scroll bar is on screen without scrolling the
            // page down past every row, and scrolling brings the last column into view.
            expect(['auto', 'scroll']).toContain(g.box.overflowX);
            expect(g.box.bottom).toBeLessThanOrEqual(g.viewportHeight);
            expect(g.lastHeaderAfterScroll.right).toBeLessThanOrEqual(g.box.right + 1);
            expect(g.lastHeaderAfterScroll.left).toBeGreaterThanOrEqual(g.box.left - 1);
          } else {
            expect(g.headers[g.headers.length - 1]!.right).toBeLessThanOrEqual(g.box.clientWidth + 1);
          }
          await page.screenshot({
            path: join(REPO, 'test-results', `links-layout-${locale}-${viewport.width}.png`),
          });
        });
      }
    });
  }
});
