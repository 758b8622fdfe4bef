import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/postgres.js';
import { CP_MAIN, assertBuilt, startProcess, type Proc } from '../support/process.js';
import { REPO, TEST_PASSWORD_HASH_ENV } from '../support/control-plane.js';

/**
 * End to end in Debian's headless Chromium against the embedded start: log in, see the overview
 * with this machine's host agent online and its charts, enrol an edge agent's token and revoke it,
 * create an API token that scrapes /metrics, log out.
 */
const PASSWORD = 'e2e-admin-password-1';
let dataDir: string;
let base: string;
let cp: Proc | undefined;
let browser: Browser | undefined;
let page: Page;
const consoleErrors: string[] = [];
const external: string[] = [];

beforeAll(async () => {
  assertBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'tianshu-e2e-'));
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
      TIANSHU_FLEET_HEARTBEAT_INTERVAL_SECONDS: '2',
      TIANSHU_FLEET_HOST_INTERVAL_SECONDS: '2',
      TIANSHU_FLEET_FLUSH_INTERVAL_SECONDS: '2',
    },
    'control-plane',
  );
  await cp.waitFor(/Tianshu console: http/, 90_000);
  browser = await launchChromium();
  page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(m.text());
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(base) && !r.url().startsWith('data:')) external.push(r.url());
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await cp?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('console in Chromium', () => {
  it('rejects a wrong password with the server’s message', async () => {
    await page.goto(`${base}/`);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill('not-the-password');
    await page.getByTestId('login-submit').click();
    await expectText(page.getByTestId('login-error'), /wrong username or password/i);
  });

  it('logs in, shows the overview with the host agent online, and logs out', async () => {
    await page.getByTestId('login-password').fill(PASSWORD);
    await page.getByTestId('login-submit').click();
    await page.getByTestId('fleet-total').waitFor({ timeout: 30_000 });
    const row = page.locator('[data-testid="agent-row"][data-status="online"]').first();
    await row.waitFor({ timeout: 60_000 });
    expect(await row.getAttribute('data-hostname')).toBeTruthy();
    await expectText(page.getByTestId('fleet-online'), /[1-9]/);
    // The charts draw lines from the host's real metrics (the console refreshes them live): the
    // ECharts instance of the memory chart holds samples, and the chart has drawn them.
    await waitForChartSamples(page, 'chart-memory', 90_000);
    for (const id of ['chart-cpu', 'chart-memory', 'chart-load', 'chart-network']) {
      expect(await page.getByTestId(id).count(), id).toBe(1);
    }
    await page.screenshot({ path: join(REPO, 'test-results', 'console-overview.png'), fullPage: true });

    // Enrol an edge agent from the Agents page: the secret shows once, the token is listed, then revoked.
    await page.getByTestId('nav-agents').click();
    await page.getByTestId('enrol-open').click();
    await page.getByTestId('enrol-name').fill('e2e edge');
    await page.locator('[data-testid="enrol-org-unit"] option[value="sc-cd"]').waitFor({ state: 'attached' });
    await page.getByTestId('enrol-org-unit').selectOption('sc-cd');
    await page.getByTestId('enrol-role-host').uncheck();
    await page.getByTestId('enrol-role-edge').check();
    await page.getByTestId('enrol-submit').click();
    await expectText(page.getByTestId('enrol-secret'), /^tse_/);
    const enrolRow = page.locator('[data-testid="enrolment-token-row"][data-name="e2e edge"]');
    await enrolRow.and(page.locator('[data-state="active"]')).waitFor({ timeout: 15_000 });
    await enrolRow.getByTestId('enrolment-token-revoke').click();
    await page.getByTestId('confirm-ok').click();
    await enrolRow.and(page.locator('[data-state="revoked"]')).waitFor({ timeout: 15_000 });

    // Create an API token from the user menu; it authenticates a scrape of /metrics.
    await page.getByTestId('user-menu').click();
    await page.getByTestId('nav-api-tokens').click();
    await page.getByTestId('api-token-name').fill('e2e prometheus');
    await page.getByTestId('api-token-submit').click();
    await expectText(page.getByTestId('api-token-secret'), /^tsk_/);
    const apiToken = ((await page.getByTestId('api-token-secret').textContent()) ?? '').trim();
    await page
      .locator('[data-testid="api-token-row"][data-name="e2e prometheus"]')
      .waitFor({ timeout: 15_000 });
    const metrics = await page.evaluate(
      async (token) =>
        (await fetch('/metrics', { headers: { authorization: `Bearer ${token}` }, credentials: 'omit' }))
          .status,
      apiToken,
    );
    expect(metrics).toBe(200);

    await page.getByTestId('user-menu').click();
    await page.getByTestId('logout').click();
    await page.getByTestId('login-username').waitFor({ timeout: 15_000 });
    // The session is gone on the server too.
    const me = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
    expect(me).toBe(401);
    expect(external, 'the console loads nothing from outside the control plane').toEqual([]);
    expect(consoleErrors.filter((e) => !/401|Unauthorized/i.test(e))).toEqual([]);
  }, 120_000);
});

async function expectText(
  locator: ReturnType<Page['getByTestId']>,
  re: RegExp,
  timeoutMs = 15_000,
): Promise<void> {
  const started = Date.now();
  let last = '';
  while (Date.now() - started < timeoutMs) {
    last = (await locator.textContent().catch(() => '')) ?? '';
    if (re.test(last)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`expected text matching ${re}, last saw "${last}"`);
}

/** Waits until the `<ts-chart>` with this test id has drawn (`data-state="ready"`) real samples. */
async function waitForChartSamples(page: Page, testId: string, timeoutMs: number): Promise<void> {
  const chart = page.getByTestId(testId);
  const started = Date.now();
  let last = 0;
  while (Date.now() - started < timeoutMs) {
    last = await chart
      .evaluate((node) => {
        // This project has no DOM types: the element is read through the parts the test needs.
        const el = node as unknown as {
          getAttribute(name: string): string | null;
          getEchartsInstance():
            { getOption(): { series?: { data?: [number, number | null][] }[] } } | undefined;
        };
        if (el.getAttribute('data-state') !== 'ready') return 0;
        const option = el.getEchartsInstance()?.getOption();
        return (option?.series?.[0]?.data ?? []).filter(([, v]) => typeof v === 'number').length;
      })
      .catch(() => 0);
    if (last > 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`chart ${testId} drew no samples within ${timeoutMs} ms (last count ${last})`);
}
