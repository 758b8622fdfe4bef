import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { startLiveProvince, type LiveProvince } from '../support/province.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Lab } from '../../agents/src/index.js';
import { ADMIN_PASSWORD, REPO, type TestControlPlane } from '../support/control-plane.js';

/**
 * The network console end to end in Debian's headless Chromium: the lab simulates the demo
 * province's routers, an edge agent polls them every 5 s, the control plane serves the built console.
 * The topology renders every link; when the lab takes a link down it turns red, and the failover
 * shows on the links and alarms pages.
 */
const DOWN_RED = 'rgb(198, 40, 40)'; // the console's colour of a down link (#c62828)
let province: LiveProvince | undefined;
let t: TestControlPlane;
let lab: Lab;
let browser: Browser | undefined;
let page: Page;
let primaryId: string;

beforeAll(async () => {
  province = await startLiveProvince();
  ({ t, lab, primaryId } = province);
  browser = await launchChromium();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await province?.stop();
});

async function lineColour(linkId: string): Promise<string> {
  return page.locator(`[data-testid="topology-link"][data-link-id="${linkId}"] .line`).evaluate((el) => {
    // Runs in the page; the test's own types have no DOM.
    const win = globalThis as unknown as { getComputedStyle(e: unknown): { stroke: string } };
    return win.getComputedStyle(el).stroke;
  });
}

describe('network console in Chromium', () => {
  it('renders the topology with every link of the province', async () => {
    await page.goto(`${t.cp.url}/network/topology`);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(ADMIN_PASSWORD);
    await page.getByTestId('login-submit').click();
    // The map is a canvas; its links and routers are also listed, visually hidden, for screen readers.
    await page
      .locator('[data-testid="topology-link"]')
      .first()
      .waitFor({ state: 'attached', timeout: 30_000 });
    await page.locator('[data-testid="topology-chart"][data-state="ready"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid="topology-link"]').count()).toBe(22);
    expect(await page.locator('[data-testid="topology-device"]').count()).toBe(13);
    const primary = page.locator(`[data-testid="topology-link"][data-link-id="${primaryId}"]`);
    await expectAttr(primary, 'data-status', 'up', 60_000);
    expect(await lineColour(primaryId)).not.toBe(DOWN_RED);
  }, 120_000);

  it('turns a link red when the lab takes it down, and shows the failover', async () => {
    lab.linkDown({ pairId: 'sc-cd-uplink', role: 'primary' });
    const primary = page.locator(`[data-testid="topology-link"][data-link-id="${primaryId}"]`);
    await expectAttr(primary, 'data-status', 'down', 60_000);
    expect(await lineColour(primaryId)).toBe(DOWN_RED);
    await expectAttr(primary, 'data-failed-over', 'true', 30_000);
    await page.screenshot({ path: join(REPO, 'test-results', 'console-topology-failover.png') });

    await page.goto(`${t.cp.url}/network/alarms`);
    await page
      .locator('[data-testid="alarm-row"][data-kind="failed-over"][data-state="firing"]')
      .waitFor({ timeout: 30_000 });
    await page
      .locator('[data-testid="alarm-row"][data-kind="redundancy-lost"][data-state="firing"]')
      .waitFor({ timeout: 30_000 });

    lab.linkUp({ pairId: 'sc-cd-uplink', role: 'primary' });
    await page.goto(`${t.cp.url}/network/topology`);
    await expectAttr(
      page.locator(`[data-testid="topology-link"][data-link-id="${primaryId}"]`),
      'data-status',
      'up',
      60_000,
    );
  }, 180_000);
});

async function expectAttr(
  locator: ReturnType<Page['locator']>,
  name: string,
  value: string,
  timeoutMs: number,
): Promise<void> {
  const started = Date.now();
  let last: string | null = null;
  while (Date.now() - started < timeoutMs) {
    last = await locator.getAttribute(name).catch(() => null);
    if (last === value) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`expected ${name}="${value}", last saw "${last}"`);
}
