import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrol, startAgent, type RunningAgent } from '../../agents/src/index.js';
import { startSnmpd, type RunningSnmpd } from '../../agents/src/edge/testing/snmpd.js';
import { launchChromium } from '../support/browser.js';
import {
  ADMIN_PASSWORD,
  REPO,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../support/control-plane.js';
import { freePort } from '../support/postgres.js';
import { assertBuilt, eventually } from '../support/process.js';

/**
 * Issue 8, "what it must show", in Chromium: an operator adds a real Debian `snmpd` by its address
 * from the devices page, opens the device's page, sees its interfaces (`lo` among them) and a traffic
 * chart, and — once the daemon stops answering — the poll error (a timeout) on the page.
 *
 * Everything is real and on loopback: the control plane (in this process, on a free port, serving the
 * built console), an edge agent enrolled through the API, `snmpd` on a free UDP port of an address
 * inside a management prefix the test delegates to its org unit, and an SNMP credential created
 * through the API. The inventory is a province of two units and one site, so the agent polls nothing
 * else (no lab, no fixed ports).
 */
const POLL_SECONDS = 5;
const ADDRESS = '127.88.0.10';
const COMMUNITY = 'e2e-devices-community';

let t: TestControlPlane;
let admin: Session;
let snmpd: RunningSnmpd | undefined;
let agent: RunningAgent | undefined;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
const dirs: string[] = [];
const pageErrors: string[] = [];

const inventory = `version: 1
orgUnits:
  id: e2e
  level: province
  name: 测试省
  code: '990000'
  units:
    - id: e2e-city
      level: city
      name: 测试市
      code: '990100'
prefixes:
  - { prefix: 127.0.0.0/8, orgUnitId: e2e, purpose: management, description: loopback }
sites:
  - id: e2e-site
    orgUnitId: e2e-city
    name: 测试市数据中心
    kind: datacenter
`;

interface DeviceStatusBody {
  id: string;
  status: string;
  lastPoll: { outcome: string; error: string | null } | null;
  interfaces: { ifIndex: number; name: string; inBps: number | null }[];
}

beforeAll(async () => {
  assertBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'tianshu-e2e-devices-'));
  dirs.push(dir);
  const inventoryFile = join(dir, 'inventory.yaml');
  writeFileSync(inventoryFile, inventory);
  t = await startTestControlPlane({
    listen: true,
    consoleDir: join(REPO, 'console/dist'),
    overrides: {
      port: await freePort(),
      inventoryFile,
      snmpCredentialsFile: undefined,
      network: { pollIntervalSeconds: POLL_SECONDS, discoveryIntervalSeconds: 3600, concurrency: 8 },
      fleet: { heartbeatIntervalSeconds: 1, hostIntervalSeconds: 15, flushIntervalSeconds: 1 },
    },
  });
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);

  // The city's management space, delegated by the province: the device's address lies in it.
  const prefix = await admin.send('POST', '/api/v1/inventory/prefixes', {
    prefix: '127.88.0.0/24',
    orgUnitId: 'e2e-city',
    purpose: 'management',
  });
  expect(prefix.status, await prefix.clone().text()).toBe(201);
  const credential = await admin.send('POST', '/api/v1/network/credentials', {
    id: 'e2e-v2c',
    orgUnitId: 'e2e',
    version: '2c',
    community: COMMUNITY,
    grants: ['e2e-city'],
  });
  expect(credential.status, await credential.clone().text()).toBe(201);

  snmpd = await startSnmpd({ host: ADDRESS, community: COMMUNITY });

  // An edge agent enrolled at the province, as an operator would with an enrolment token.
  const token = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: 'e2e edge',
    orgUnitId: 'e2e',
    roles: ['edge'],
  });
  expect(token.status).toBe(201);
  const stateDir = mkdtempSync(join(tmpdir(), 'tianshu-e2e-edge-'));
  dirs.push(stateDir);
  await enrol({
    server: t.cp.url,
    token: ((await token.json()) as { token: string }).token,
    stateDir,
    roles: ['edge'],
  });
  agent = await startAgent({ stateDir, roles: ['edge'], retryInitialMillis: 200 });

  browser = await launchChromium();
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 1000 } });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
}, 180_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close();
  await agent?.stop().catch(() => undefined);
  await snmpd?.stop().catch(() => undefined);
  await t?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 60_000);

async function deviceState(id: string): Promise<DeviceStatusBody> {
  const res = await admin.get(`/api/v1/network/devices/${encodeURIComponent(id)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as DeviceStatusBody;
}

describe('devices in the console', () => {
  let deviceId = '';

  it('adds a device by address from the devices page and opens its page', async () => {
    await page.goto(`${t.cp.url}/network/devices`);
    await page.getByTestId('login-username').fill('admin');
    await page.getByTestId('login-password').fill(ADMIN_PASSWORD);
    await page.getByTestId('login-submit').click();
    // Devices is in the navigation, before Links.
    const nav = page.locator('[data-testid^="nav-"]');
    await nav.first().waitFor({ timeout: 30_000 });
    const ids = await nav.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect(ids.indexOf('nav-devices')).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf('nav-devices')).toBeLessThan(ids.indexOf('nav-links'));

    await page.getByTestId('device-add-open').click();
    const form = page.getByTestId('device-add-form');
    await form.waitFor({ timeout: 10_000 });

    // Bad input is refused with a reason per field, and nothing is sent.
    await page.getByTestId('device-add-address').fill('127.88.0.300');
    await page.getByTestId('device-add-submit').click();
    await expect
      .poll(() => form.locator('[data-testid="device-add-field-error"]').allTextContents(), {
        timeout: 5_000,
      })
      .toEqual(
        expect.arrayContaining([
          'Choose the site of the device.',
          '127.88.0.300 is not an IP address.',
          'Choose the SNMP credential.',
        ]),
      );
    expect(
      ((await (await admin.get('/api/v1/network/devices')).json()) as { items: unknown[] }).items,
    ).toHaveLength(0);

    await page.getByTestId('device-add-site').selectOption('e2e-site');
    await page.getByTestId('device-add-address').fill(ADDRESS);
    await page.getByTestId('device-add-credential').selectOption('e2e-v2c');
    await page.getByTestId('device-add-port').fill(String(snmpd!.port));
    await page.getByTestId('device-add-submit').click();

    // The new device's page opens; if not, the poll's last value says what the form shows instead.
    const formError = page.getByTestId('device-add-error');
    const fieldErrors = page.locator('[data-testid="device-add-field-error"]');
    await expect
      .poll(
        async () => {
          const path = new URL(page.url()).pathname;
          if (/^\/network\/devices\/[^/]+$/.test(path)) return 'opened';
          const shown = [
            ...(await formError.allTextContents()),
            ...(await fieldErrors.allTextContents()),
          ].filter((x) => x.trim());
          return `still on ${path}: ${shown.join(' | ')}`;
        },
        { timeout: 60_000 },
      )
      .toBe('opened');
    deviceId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    expect(deviceId).not.toBe('');
    await expect
      .poll(async () => (await page.getByTestId('device-address').textContent())?.trim(), { timeout: 20_000 })
      .toBe(`${ADDRESS}:${snmpd!.port}`);
  }, 90_000);

  it('shows the interfaces discovery found, without typing them, and a traffic chart', async () => {
    expect(deviceId).not.toBe('');
    // Discovery runs at once: `lo` appears on the page as it refreshes.
    await page.locator('[data-testid="interface-row"][data-if-name="lo"]').waitFor({ timeout: 60_000 });
    expect(await page.locator('[data-testid="interface-row"]').count()).toBeGreaterThanOrEqual(1);
    await expect
      .poll(async () => (await page.getByTestId('device-sysname').textContent())?.trim(), { timeout: 30_000 })
      .not.toBe('—');

    // Two polls give rates; then the device's chart has samples of its busiest interface.
    await eventually(
      async () => (await deviceState(deviceId)).interfaces.some((i) => i.inBps !== null),
      60_000,
    );
    await page.reload();
    const chart = page.getByTestId('device-traffic-chart');
    await chart.waitFor({ timeout: 30_000 });
    await expect
      .poll(
        () =>
          chart.evaluate((node) => {
            const el = node as unknown as {
              getAttribute(n: string): string | null;
              getEchartsInstance(): { getOption(): { series: { data: unknown[][] }[] } } | undefined;
            };
            if (el.getAttribute('data-state') !== 'ready') return 0;
            // A line needs two samples to be drawn: the most samples of one series.
            const series = el.getEchartsInstance()?.getOption().series ?? [];
            return Math.max(
              0,
              ...series.map((s) => s.data.filter((p) => Array.isArray(p) && typeof p[1] === 'number').length),
            );
          }),
        { timeout: 90_000, interval: 2_000 },
      )
      .toBeGreaterThanOrEqual(2);
    expect(await page.getByTestId('device-poll-error').count()).toBe(0);
    await page.screenshot({
      path: join(process.cwd(), 'test-results', 'devices-page-en.png'),
      fullPage: true,
    });
  }, 240_000);

  it('opens the port page of an interface from its row', async () => {
    await page.locator('[data-testid="interface-row"][data-if-name="lo"]').click();
    await page.waitForURL(/\/interfaces\/\d+$/, { timeout: 10_000 });
    await expect
      .poll(() => page.getByTestId('port-title').textContent(), { timeout: 20_000 })
      .toContain('lo');
    for (const kind of ['bits', 'utilisation', 'errors', 'discards'])
      await page.getByTestId(`chart-port-${kind}`).waitFor({ timeout: 20_000 });
    await page.getByTestId('port-device-link').click();
    await page.waitForURL(/\/network\/devices\/[^/]+$/, { timeout: 10_000 });
  }, 60_000);

  it('shows the poll error, a timeout, once the device stops answering', async () => {
    await snmpd!.stop();
    snmpd = undefined;
    const error = page.getByTestId('device-poll-error');
    await error.waitFor({ timeout: 90_000 });
    expect(await error.getAttribute('data-outcome')).toBe('timeout');
    expect(await page.getByTestId('device-poll-reason').textContent()).toMatch(/^timeout/);
    const state = await deviceState(deviceId);
    expect(state.lastPoll?.outcome).toBe('timeout');

    // The list says it too, with the outcome beside the status.
    await page.goto(`${t.cp.url}/network/devices`);
    const row = page.locator(`[data-testid="device-row"][data-device-id="${deviceId}"]`);
    await row.waitFor({ timeout: 20_000 });
    await expect.poll(() => row.getAttribute('data-outcome'), { timeout: 30_000 }).toBe('timeout');
    expect(await row.getByTestId('device-row-reason').textContent()).toMatch(/timeout/);
    await page.screenshot({ path: join(process.cwd(), 'test-results', 'devices-list-en.png') });

    // In Chinese: the same reason, in the glossary's words.
    const zh = await browser!.newContext({ locale: 'zh-CN', viewport: { width: 1440, height: 1000 } });
    try {
      await zh.addInitScript(() =>
        (
          globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }
        ).localStorage.setItem('tianshu.locale', 'zh-CN'),
      );
      const zhPage = await zh.newPage();
      zhPage.on('pageerror', (e) => pageErrors.push(String(e)));
      await zhPage.goto(`${t.cp.url}/network/devices/${encodeURIComponent(deviceId)}`);
      await zhPage.getByTestId('login-username').fill('admin');
      await zhPage.getByTestId('login-password').fill(ADMIN_PASSWORD);
      await zhPage.getByTestId('login-submit').click();
      await zhPage.getByTestId('device-poll-error').waitFor({ timeout: 30_000 });
      expect(await zhPage.getByTestId('device-poll-reason').textContent()).toMatch(/^超时/);
      expect(await zhPage.locator('[data-testid="interface-row"][data-if-name="lo"]').count()).toBe(1);
      await zhPage.screenshot({
        path: join(process.cwd(), 'test-results', 'devices-page-zh-CN-timeout.png'),
        fullPage: true,
      });
    } finally {
      await zh.close();
    }
    expect(pageErrors).toEqual([]);
  }, 180_000);
});
