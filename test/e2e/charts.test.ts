import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/postgres.js';
import { CP_MAIN, assertBuilt, startProcess, type Proc } from '../support/process.js';
import { TEST_PASSWORD_HASH_ENV } from '../support/control-plane.js';

/**
 * The chart engine in Chromium on real data: the embedded start (host agent on, lab off, so no fixed
 * ports are bound) on a free port; the overview's host charts are hovered and their tooltips read —
 * the sample's exact value with its unit, and its time.
 */
const PASSWORD = 'e2e-charts-password-1';
const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
let dataDir: string;
let base: string;
let cp: Proc | undefined;
let browser: Browser | undefined;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  assertBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'tianshu-e2e-charts-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  cp = startProcess(
    [CP_MAIN, 'embedded'],
    {
      TIANSHU_DATA_DIR: dataDir,
      TIANSHU_PORT: String(port),
      TIANSHU_HOST: '127.0.0.1',
      TIANSHU_ADMIN_PASSWORD: PASSWORD,
      ...TEST_PASSWORD_HASH_ENV,
      TIANSHU_EMBEDDED_LAB: 'false',
      TIANSHU_EMBEDDED_EDGE_AGENT: 'false',
      TIANSHU_FLEET_HEARTBEAT_INTERVAL_SECONDS: '2',
      TIANSHU_FLEET_HOST_INTERVAL_SECONDS: '2',
      TIANSHU_FLEET_FLUSH_INTERVAL_SECONDS: '2',
    },
    'control-plane',
  );
  await cp.waitFor(/Tianshu console: http/, 90_000);
  browser = await launchChromium();
  const context = await browser.newContext({
    locale: 'en-US',
    timezoneId: timeZone,
    viewport: { width: 1440, height: 1000 },
  });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await cp?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * What the tooltip must say, written here independently of the console's formatters: a percentage
 * with two decimals under 10 % (else one), a bit rate with SI prefixes and up to two decimals.
 */
function expectedValue(unit: 'percent' | 'bitRate', value: number): string {
  if (unit === 'percent') {
    const digits = Math.abs(value) < 10 ? 2 : 1;
    return new Intl.NumberFormat('en', {
      style: 'percent',
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(value / 100);
  }
  const prefixes = ['', 'k', 'M', 'G', 'T', 'P'];
  let v = Math.abs(value);
  let i = 0;
  while (v >= 1000 && i < prefixes.length - 1) {
    v /= 1000;
    i += 1;
  }
  return `${new Intl.NumberFormat('en', { maximumFractionDigits: 2 }).format(Math.sign(value || 1) * v)} ${prefixes[i]}bit/s`;
}

/** The local wall-clock time of a sample, e.g. 12:19:30, as the tooltip's timestamp contains it. */
const clock = (at: number): string =>
  new Intl.DateTimeFormat('en', {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZone,
  }).format(at);

/** The parts of `<ts-chart>` and its ECharts instance the test reads (this project has no DOM types). */
interface ChartElement {
  getAttribute(name: string): string | null;
  shadowRoot: {
    querySelector(selector: string): { getBoundingClientRect(): { left: number; top: number } } | null;
  } | null;
  getEchartsInstance():
    | {
        getOption(): { series: { name: string; data: [number, number | null][] }[] };
        convertToPixel(finder: { seriesIndex: number }, value: [number, number]): [number, number];
      }
    | undefined;
}

interface Target {
  x: number;
  y: number;
  time: number;
  value: number;
  series: string;
}

/** A sample of the chart's first series (not the newest, which moves on refresh) and where it is drawn. */
async function sampleTarget(testId: string): Promise<Target | undefined> {
  return page.getByTestId(testId).evaluate((node) => {
    const el = node as unknown as ChartElement;
    if (el.getAttribute('data-state') !== 'ready') return undefined;
    const instance = el.getEchartsInstance();
    const series = instance?.getOption().series[0];
    const samples = (series?.data ?? []).filter((p): p is [number, number] => typeof p[1] === 'number');
    const canvas = el.shadowRoot?.querySelector('.canvas');
    if (!instance || !series || !canvas || samples.length < 3) return undefined;
    const [time, value] = samples[samples.length - 3]!;
    const [px, py] = instance.convertToPixel({ seriesIndex: 0 }, [time, value]);
    const box = canvas.getBoundingClientRect();
    return { x: box.left + px, y: box.top + py, time, value, series: series.name };
  });
}

async function hoverAndRead(testId: string, unit: 'percent' | 'bitRate'): Promise<void> {
  const chart = page.getByTestId(testId);
  const started = Date.now();
  let last = '';
  while (Date.now() - started < 90_000) {
    const target = await sampleTarget(testId).catch(() => undefined);
    if (target) {
      await page.mouse.move(target.x - 40, target.y);
      await page.mouse.move(target.x, target.y, { steps: 4 });
      const tooltip = chart.locator('[data-tooltip-time]');
      const shown = await tooltip
        .first()
        .waitFor({ state: 'visible', timeout: 3_000 })
        .then(() => true)
        .catch(() => false);
      if (shown) {
        const time = (await tooltip.first().textContent()) ?? '';
        const values = await chart.locator('[data-tooltip-value]').allTextContents();
        last = `${time} | ${values.join(' | ')}`;
        // Right after a refresh the hovered sample may be another; then try again.
        if (time.includes(clock(target.time))) {
          expect(values[0]).toBe(expectedValue(unit, target.value));
          expect(await tooltip.first().locator('..').textContent()).toContain(target.series);
          return;
        }
      }
    }
    await page.mouse.move(0, 0);
    await new Promise((r) => setTimeout(r, 1_000));
  }
  await page.screenshot({
    path: join(process.cwd(), 'test-results', `charts-${testId}-failed.png`),
    fullPage: true,
  });
  const state = await chart
    .evaluate((node) =>
      (node as unknown as { getAttribute(name: string): string | null }).getAttribute('data-state'),
    )
    .catch(() => 'absent');
  throw new Error(`no tooltip with the hovered sample on ${testId} (chart ${state}); last saw "${last}"`);
}

describe('charts in Chromium', () => {
  it('shows the exact value with its unit and the time when a host chart is hovered', async () => {
    await page.goto(`${base}/`);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page
      .locator('[data-testid="agent-row"][data-status="online"]')
      .first()
      .waitFor({ timeout: 60_000 });
    // The finest range: a just-started host has samples to hover there first (CPU is a rate of
    // counters, so it needs two samples in a step).
    await page.getByTestId('metrics-range-15m').click();

    await hoverAndRead('chart-cpu', 'percent');
    expect(await page.getByTestId('chart-cpu').locator('[data-tooltip-value]').first().textContent()).toMatch(
      /%$/,
    );
    await hoverAndRead('chart-network', 'bitRate');
    expect(
      await page.getByTestId('chart-network').locator('[data-tooltip-value]').first().textContent(),
    ).toMatch(/bit\/s$/);
    await page.screenshot({ path: join(process.cwd(), 'test-results', 'charts-tooltip.png') });
    expect(pageErrors).toEqual([]);
  }, 180_000);

  it("drives the page's time range from a chart's zoom, and goes back to the preset", async () => {
    // (Follows the test above: logged in, on the overview, 15 minutes shown.)
    const chart = page.getByTestId('chart-cpu');
    await expect.poll(() => chart.getAttribute('data-state'), { timeout: 30_000 }).toBe('ready');
    // Zoom the CPU chart to its middle half, as the mouse wheel or the zoom slider would.
    const window = await chart.evaluate((node) => {
      const instance = (node as unknown as ChartElement).getEchartsInstance() as unknown as {
        dispatchAction(action: Record<string, unknown>): void;
        getOption(): { dataZoom: { startValue: number; endValue: number }[] };
      };
      instance.dispatchAction({ type: 'dataZoom', start: 25, end: 75 });
      const zoom = instance.getOption().dataZoom[0]!;
      return { from: zoom.startValue, to: zoom.endValue };
    });
    const custom = page.getByTestId('metrics-range-bar').getByTestId('range-custom');
    await custom.waitFor({ timeout: 10_000 });
    const from = Number(await custom.getAttribute('data-from'));
    const to = Number(await custom.getAttribute('data-to'));
    expect(Math.abs(from - window.from)).toBeLessThan(1_000);
    expect(Math.abs(to - window.to)).toBeLessThan(1_000);
    expect(await page.getByTestId('metrics-range').getAttribute('data-value')).toBe('custom');
    expect(await page.getByTestId('metrics-range-15m').getAttribute('aria-pressed')).toBe('false');
    // Every chart of the page now shows that window (the network chart too, not only the zoomed one).
    const axisOf = (testId: string) =>
      page.getByTestId(testId).evaluate((node) => {
        const option = (node as unknown as ChartElement).getEchartsInstance()?.getOption() as unknown as
          { xAxis: { min: number; max: number }[] } | undefined;
        return option ? { min: option.xAxis[0]!.min, max: option.xAxis[0]!.max } : undefined;
      });
    await expect.poll(() => axisOf('chart-network'), { timeout: 10_000 }).toEqual({ min: from, max: to });
    expect(await custom.textContent()).toContain('Custom range');

    await page.getByTestId('metrics-range-bar').getByTestId('range-reset').click();
    await custom.waitFor({ state: 'detached', timeout: 10_000 });
    expect(await page.getByTestId('metrics-range').getAttribute('data-value')).toBe('15m');
    await expect
      .poll(
        async () => {
          const axis = await axisOf('chart-network');
          return axis ? Math.round((axis.max - axis.min) / 60_000) : undefined;
        },
        { timeout: 10_000 },
      )
      .toBe(15);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
