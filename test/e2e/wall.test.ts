import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, type Page, type Route } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { createServer, type ViteDevServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/postgres.js';

/**
 * Wall mode (大屏) in Chromium at 1920×1080, in Chinese and in English, against a mocked API whose
 * answers have the shapes of the control plane's route schemas (api/routes/overview.ts, fleet,
 * network/routes.ts, alerting/routes.ts). The page is mounted alone by a harness page served by
 * Vite on a free port, as the console's /wall route mounts it.
 */
// The browser's globals used inside `page.evaluate` callbacks (this test's tsconfig has node types only).
declare const document: {
  documentElement: { lang: string };
  fullscreenElement: unknown;
  body: { dataset: Record<string, string | undefined> };
  querySelector(selector: string): { shadowRoot: { querySelector(selector: string): unknown } | null } | null;
  dispatchEvent(event: Event): boolean;
};
declare function getComputedStyle(element: unknown): { fontSize: string };

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const RESULTS = join(REPO, 'test-results');

// ---------------------------------------------------------------------------------------------------
// The mocked province: Sichuan, seen by a provincial operator.

const end = (deviceId: string, ifName: string) => ({ deviceId, deviceName: deviceId, ifIndex: 1, ifName });

interface LinkFixture {
  id: string;
  name: string;
  orgUnitId: string;
  level: 'backbone' | 'city' | 'county' | 'township' | 'department';
  role?: 'primary' | 'backup';
  plane?: 'A' | 'B';
  pairId?: string;
  status: 'up' | 'down' | 'unknown';
  util: number | null;
  verdict: 'ok' | 'below' | 'unknown';
  failedOver?: boolean;
  active?: boolean;
  flapping?: boolean;
}

function linkView(f: LinkFixture) {
  const speed = f.level === 'backbone' ? 10_000 : f.level === 'township' ? 100 : 1000;
  return {
    id: f.id,
    name: f.name,
    orgUnitId: f.orgUnitId,
    level: f.level,
    role: f.role ?? 'primary',
    plane: f.plane ?? 'A',
    pairId: f.pairId ?? null,
    a: end(`${f.orgUnitId}-r1`, 'GigabitEthernet0/0/1'),
    b: end('sc-core-1', `GigabitEthernet1/0/${f.id.length}`),
    status: f.status,
    speedMbps: speed,
    utilisation: f.util === null ? null : { inPercent: f.util, outPercent: f.util / 3, maxPercent: f.util },
    bps: f.util === null ? null : { in: (f.util / 100) * speed * 1e6, out: (f.util / 300) * speed * 1e6 },
    errorsPerSecond: f.status === 'up' ? 0 : null,
    active: f.active ?? null,
    failedOver: f.failedOver ?? false,
    tier: {
      targetMbps: speed,
      actualMbps: f.verdict === 'unknown' ? null : f.verdict === 'ok' ? speed : speed / 2,
      verdict: f.verdict,
    },
    flapping: f.flapping ?? false,
    lastChangeAt: '2026-12-01T00:12:00.000Z',
    updatedAt: '2026-12-01T01:29:50.000Z',
  };
}

const links = [
  {
    id: 'sc-bb-a',
    name: '省骨干 A 平面',
    orgUnitId: 'sc',
    level: 'backbone',
    status: 'up',
    util: 62,
    verdict: 'ok',
  },
  {
    id: 'sc-bb-b',
    name: '省骨干 B 平面',
    orgUnitId: 'sc',
    level: 'backbone',
    plane: 'B',
    status: 'up',
    util: 18,
    verdict: 'ok',
  },
  {
    id: 'cd-up-a',
    name: '成都市—省中心 主用',
    orgUnitId: 'sc-cd',
    level: 'city',
    pairId: 'cd',
    active: true,
    status: 'up',
    util: 91.4,
    verdict: 'ok',
  },
  {
    id: 'cd-up-b',
    name: '成都市—省中心 备用',
    orgUnitId: 'sc-cd',
    level: 'city',
    role: 'backup',
    plane: 'B',
    pairId: 'cd',
    active: false,
    status: 'up',
    util: 5,
    verdict: 'ok',
  },
  {
    id: 'my-up-a',
    name: '绵阳市—省中心 主用',
    orgUnitId: 'sc-my',
    level: 'city',
    pairId: 'my',
    active: false,
    failedOver: true,
    status: 'down',
    util: null,
    verdict: 'unknown',
  },
  {
    id: 'my-up-b',
    name: '绵阳市—省中心 备用',
    orgUnitId: 'sc-my',
    level: 'city',
    role: 'backup',
    plane: 'B',
    pairId: 'my',
    active: true,
    failedOver: true,
    status: 'up',
    util: 74.2,
    verdict: 'below',
  },
  {
    id: 'wh',
    name: '武侯区—成都市',
    orgUnitId: 'sc-cd-wh',
    level: 'county',
    status: 'up',
    util: 40,
    verdict: 'ok',
  },
  {
    id: 'jj',
    name: '锦江区—成都市',
    orgUnitId: 'sc-cd-jj',
    level: 'county',
    status: 'up',
    util: 55.5,
    verdict: 'below',
    flapping: true,
  },
  {
    id: 'xd',
    name: '新都镇—新都区',
    orgUnitId: 'sc-cd-xd-1',
    level: 'township',
    status: 'unknown',
    util: null,
    verdict: 'unknown',
  },
  {
    id: 'czt',
    name: '省财政厅',
    orgUnitId: 'sc-czt',
    level: 'department',
    status: 'up',
    util: 12,
    verdict: 'ok',
  },
].map((l) => linkView(l as LinkFixture));

const agent = (i: number, roles: string[], status: string) => ({
  id: `agent-${i}`,
  hostname: roles.includes('host') ? `zwy-host-${String(i).padStart(2, '0')}` : `edge-${i}`,
  roles,
  orgUnitId: 'sc',
  version: '0.4.2',
  os: 'linux',
  arch: 'x64',
  revoked: false,
  status,
  enrolledAt: '2026-11-02T03:00:00.000Z',
  lastSeenAt: '2026-12-01T01:29:58.000Z',
  lastReportAt: '2026-12-01T01:29:58.000Z',
  queue: { pendingBatches: 0, pendingBytes: 0, droppedBatches: 0 },
  latest: { cpuPercent: 23.5, memoryPercent: 61.2, load1: 0.8, at: '2026-12-01T01:29:50.000Z' },
});

// Nine host agents (one offline) and three edge agents (one stale): 10 online, 1 stale, 1 offline.
const agents = [
  ...Array.from({ length: 8 }, (_, i) => agent(i + 1, ['host'], 'online')),
  agent(9, ['host'], 'offline'),
  agent(10, ['edge'], 'online'),
  agent(11, ['edge'], 'online'),
  agent(12, ['edge'], 'stale'),
];

const overview = {
  orgUnit: { id: 'sc', name: '四川省大数据中心' },
  fleet: { total: 12, online: 10, stale: 1, offline: 1 },
  ingest: { batchesLastHour: 1440, samplesLastHour: 86_400 },
  modules: {
    network: { links: { total: 10, up: 8, down: 1, unknown: 1, failedOver: 2 } },
    alerting: {
      alarms: { firing: 6, unacknowledged: 4, bySeverity: { critical: 1, major: 2, minor: 1, warning: 2 } },
    },
  },
};

const alarm = (id: string, severity: string, kind: string, summary: string, startsAt: string) => ({
  id,
  kind,
  severity,
  state: 'firing',
  orgUnitId: 'sc-my',
  targetType: kind.startsWith('device') ? 'device' : 'link',
  targetId: 'my-up-a',
  summary,
  labels: { link: 'my-up-a' },
  startsAt,
  lastSeenAt: '2026-12-01T01:29:40.000Z',
  endsAt: null,
  acknowledgedAt: null,
  acknowledgedBy: null,
});

const newestAlarms = [
  alarm('106', 'critical', 'link-down', '绵阳市—省中心 主用 中断', '2026-12-01T01:20:00.000Z'),
  alarm('105', 'major', 'failed-over', '绵阳市 已切换至备用链路', '2026-12-01T01:19:30.000Z'),
  alarm('104', 'major', 'redundancy-lost', '绵阳市 双平面冗余丢失', '2026-12-01T01:19:00.000Z'),
  alarm('103', 'warning', 'link-flapping', '锦江区—成都市 链路抖动', '2026-12-01T00:40:00.000Z'),
  alarm('102', 'minor', 'below-tier', '锦江区—成都市 带宽未达标', '2026-11-30T10:10:00.000Z'),
  alarm('101', 'warning', 'device-unreachable', '新都镇 路由器不可达', '2026-11-29T08:00:00.000Z'),
];

const alarmSummary = {
  firing: 6,
  unacknowledged: 4,
  bySeverity: { critical: 1, major: 2, minor: 1, warning: 2 },
};

// ---------------------------------------------------------------------------------------------------
// The mocked API.

type Failure = { status: number; code: string; message: string } | 'unreachable' | 'silent';

interface Api {
  /** Paths (without query) whose module this server lacks: they answer 404 "no route". */
  missing: Set<string>;
  /** Paths that fail, and how ('silent': the request is taken and never answered). */
  failing: Map<string, Failure>;
  requests: string[];
  /** Requests held without an answer, released when the test ends. */
  held: Route[];
}

const json = (route: Route, status: number, body: unknown) =>
  route.fulfill({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify(body) });

async function serveApi(context: BrowserContext, api: Api): Promise<void> {
  await context.route('**/api/**', async (route) => {
    const url = new URL(route.request().url());
    const path = url.pathname;
    api.requests.push(path + url.search);
    const failure = api.failing.get(path);
    if (failure === 'silent') {
      api.held.push(route);
      return;
    }
    if (failure === 'unreachable') return route.abort('connectionrefused');
    if (failure)
      return json(route, failure.status, { error: { code: failure.code, message: failure.message } });
    if (api.missing.has(path)) {
      return json(route, 404, { error: { code: 'not_found', message: `no route for GET ${path}` } });
    }
    switch (path) {
      case '/api/v1/overview':
        return json(route, 200, overview);
      case '/api/v1/agents':
        return json(route, 200, { items: agents });
      case '/api/v1/network/links':
        return json(route, 200, { items: links });
      case '/api/v1/alarms/summary':
        return json(route, 200, alarmSummary);
      case '/api/v1/alarms': {
        const limit = Number(url.searchParams.get('limit') ?? '100');
        return json(route, 200, { items: newestAlarms.slice(0, limit), nextBefore: null });
      }
      default:
        // Areas not built yet (flows, quotas, backups, security) have no routes on this server.
        return json(route, 404, { error: { code: 'not_found', message: `no route for GET ${path}` } });
    }
  });
}

// ---------------------------------------------------------------------------------------------------

let vite: ViteDevServer;
let base: string;
let browser: Browser;
let cacheDir: string;

beforeAll(async () => {
  mkdirSync(RESULTS, { recursive: true });
  cacheDir = mkdtempSync(join(tmpdir(), 'tianshu-wall-vite-'));
  const port = await freePort();
  vite = await createServer({
    root: REPO,
    configFile: false,
    cacheDir,
    logLevel: 'error',
    clearScreen: false,
    optimizeDeps: { noDiscovery: true, include: [] },
    server: { host: '127.0.0.1', port, strictPort: true, hmr: false, watch: null },
  });
  await vite.listen();
  base = `http://127.0.0.1:${port}`;
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await vite?.close();
  if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
});

/** 09:30:00 in Chengdu on Tuesday 1 December 2026. */
const clockStart = new Date('2026-12-01T01:30:00.000Z');

async function openWall(locale: 'zh-CN' | 'en', api: Api): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    locale,
    timezoneId: 'Asia/Shanghai',
    viewport: { width: 1920, height: 1080 },
  });
  await serveApi(context, api);
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // The wall's clock stands still at 09:30:00 and moves only when the test says so.
  await page.clock.install({ time: clockStart.getTime() - 60_000 });
  await page.clock.pauseAt(clockStart);
  await page.goto(`${base}/test/e2e/wall-harness/index.html`);
  await page
    .getByTestId('wall-last-refresh')
    .and(page.locator('[data-at]'))
    .or(page.getByTestId('wall-stale'))
    .waitFor({
      timeout: 60_000,
    });
  expect(errors).toEqual([]);
  return { context, page };
}

const newApi = (): Api => ({ missing: new Set(), failing: new Map(), requests: [], held: [] });

const text = async (page: Page, testId: string): Promise<string> =>
  ((await page.getByTestId(testId).first().textContent()) ?? '').trim();

/** The parts of the wall whose content does not fit their box (sections clip; the wall never scrolls). */
const clippedParts = (page: Page): Promise<string[]> =>
  page
    .locator('ts-page-wall')
    .evaluate((host) =>
      [...host.shadowRoot!.querySelectorAll('section, main, header')]
        .filter((e) => e.scrollHeight > e.clientHeight + 1 || e.scrollWidth > e.clientWidth + 1)
        .map((e) => e.getAttribute('data-section') ?? e.tagName),
    );

const words = {
  'zh-CN': {
    title: '天枢 · 大屏',
    areas: ['一朵云 政务云', '一张网 电子政务外网', '告警'],
    critical: '紧急',
    failedOver: '已切换至备用',
    compliance: '带宽达标率',
    refreshed: '刷新于 09:30:00',
    date: '2026年12月1日星期二',
    serverFailed: '控制平面未能正常响应（HTTP 503）。',
    unreachable: '无法连接控制平面。',
    timeout: '控制平面 20 秒内未响应。',
    staleHeading: '数据未刷新。',
    fullscreen: '全屏',
    exitFullscreen: '退出全屏',
    unbuilt: ['流量', '配额', '备份', '安全', '一堵墙', '即将', '敬请期待'],
  },
  en: {
    title: 'Tianshu · Wall mode',
    areas: ['One cloud e-government cloud', 'One network e-government extranet', 'Alarms'],
    critical: 'Critical',
    failedOver: 'Failed over to backup',
    compliance: 'Bandwidth compliance rate',
    refreshed: 'Refreshed at 09:30:00',
    date: /^Tuesday,? 1 December 2026$/,
    serverFailed: 'The control plane failed to answer (HTTP 503).',
    unreachable: 'The control plane could not be reached.',
    timeout: 'The control plane did not answer within 20 s.',
    staleHeading: 'Not refreshed.',
    fullscreen: 'Full screen',
    exitFullscreen: 'Exit full screen',
    unbuilt: ['flow', 'quota', 'backups', 'security', 'one wall', 'soon', 'later release', 'coming'],
  },
} as const;

describe.each(['zh-CN', 'en'] as const)('wall mode in %s', (locale) => {
  const w = words[locale];

  it('shows the figures of the mocked API, large, with no trace of areas not built', async () => {
    const api = newApi();
    const { context, page } = await openWall(locale, api);
    try {
      expect(await page.evaluate(() => document.documentElement.lang)).toBe(locale);
      expect(await page.locator('h1').textContent()).toBe(w.title);
      expect(await text(page, 'wall-scope')).toContain('四川省大数据中心');
      expect(await text(page, 'wall-clock')).toBe('09:30:00');
      const date = await text(page, 'wall-date');
      if (typeof w.date === 'string') expect(date).toBe(w.date);
      else expect(date).toMatch(w.date);
      expect(await text(page, 'wall-last-refresh')).toContain(w.refreshed);
      expect(await page.getByTestId('wall-stale').count()).toBe(0);

      // The areas that exist, in order, each with its sections; nothing else.
      const areas = page.getByTestId('wall-area');
      expect(await areas.evaluateAll((els) => els.map((e) => e.getAttribute('data-area')))).toEqual([
        'cloud',
        'network',
        'alarms',
      ]);
      expect((await areas.locator('h2').allInnerTexts()).map((t) => t.replace(/\s+/g, ' ').trim())).toEqual([
        ...w.areas,
      ]);
      const sections = page.getByTestId('wall-section');
      expect(await sections.evaluateAll((els) => els.map((e) => e.getAttribute('data-section')))).toEqual([
        'cloud-fleet',
        'network-links',
        'network-compliance',
        'network-busiest',
        'alarms-active',
      ]);
      expect(await sections.evaluateAll((els) => els.map((e) => e.getAttribute('data-state')))).toEqual(
        Array(5).fill('ok'),
      );

      // One cloud: 10 of 12 agents online, 1 stale, 1 offline; 8 of 9 cloud hosts online.
      expect(await text(page, 'wall-agents-part')).toBe('10');
      expect(await text(page, 'wall-agents-whole')).toBe('12');
      expect(await text(page, 'wall-agents-stale')).toBe('1');
      expect(await text(page, 'wall-agents-offline')).toBe('1');
      expect(await text(page, 'wall-hosts-part')).toBe('8');
      expect(await text(page, 'wall-hosts-whole')).toBe('9');
      expect(await text(page, 'wall-samples')).toBe('86,400');

      // One network: 10 links, 8 up, 1 down, 1 unknown, the Mianyang pair failed over, 1 flapping.
      expect(await text(page, 'wall-links-total')).toBe('10');
      expect(await text(page, 'wall-links-up')).toBe('8');
      expect(await text(page, 'wall-links-down')).toBe('1');
      expect(await text(page, 'wall-links-unknown')).toBe('1');
      expect(await text(page, 'wall-failed-over')).toBe('1');
      expect(await text(page, 'wall-links-flapping')).toBe('1');
      expect(await text(page, 'wall-links-up-rate')).toBe('80.0%');
      expect(await page.getByText(w.failedOver, { exact: true }).count()).toBe(1);

      // Bandwidth compliance: 6 of the 8 measured links meet their tier; per level in level order.
      expect(await text(page, 'wall-compliance-overall')).toBe('75.0%');
      const levels = page.getByTestId('wall-compliance-level');
      expect(
        await levels.evaluateAll((els) =>
          els.map((e) => [e.getAttribute('data-level'), e.getAttribute('data-rate')]),
        ),
      ).toEqual([
        ['backbone', '100.0'],
        ['city', '66.7'],
        ['county', '50.0'],
        ['township', ''],
        ['department', '100.0'],
      ]);

      // The busiest links that are up, busiest first.
      expect(
        await page
          .getByTestId('wall-busy-link')
          .evaluateAll((els) => els.map((e) => e.getAttribute('data-link-id'))),
      ).toEqual(['cd-up-a', 'my-up-b', 'sc-bb-a', 'jj', 'wh']);
      expect(await page.getByTestId('wall-busy-link').first().textContent()).toContain('91%');

      // Alarms by severity from the summary, and the newest (the wall asks for eight).
      for (const [severity, n] of Object.entries(alarmSummary.bySeverity)) {
        expect(await text(page, `wall-alarms-${severity}`), severity).toBe(String(n));
      }
      expect(api.requests).toContain('/api/v1/alarms?state=firing&limit=8');
      const rows = page.getByTestId('wall-alarm-row');
      expect(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-alarm-id')))).toEqual([
        '106',
        '105',
        '104',
        '103',
        '102',
        '101',
      ]);
      expect(await rows.first().textContent()).toContain(w.critical);
      expect(await rows.first().textContent()).toContain('09:20');
      // An alarm of an earlier day carries its date.
      expect(await rows.nth(4).textContent()).toMatch(/11\D30\D+18:10/);

      // Every word is the page's language or data: no Latin word in Chinese, no Chinese in English.
      const data = [
        overview.orgUnit.name,
        ...links.map((l) => l.name),
        ...newestAlarms.map((a) => a.summary),
      ];
      let words = await page.locator('ts-page-wall').innerText();
      for (const d of data.sort((a, b) => b.length - a.length)) words = words.split(d).join(' ');
      const strays =
        locale === 'zh-CN'
          ? (words.match(/[A-Za-z]{2,}/g) ?? []).filter((word) => word !== 'HTTP')
          : (words.match(/[\u3400-\u9fff]+/g) ?? []);
      expect(strays).toEqual([]);

      // Nothing of the areas not built: no section, no heading, no "soon".
      const visible = (await page.locator('ts-page-wall').innerText()).toLowerCase();
      for (const word of w.unbuilt) expect(visible, word).not.toContain(word.toLowerCase());
      expect(await page.locator('[data-area="security"]').count()).toBe(0);
      expect(api.requests.every((r) => !/flows|quotas|backups/.test(r))).toBe(true);
      // The security section asks its routes; a server without them (404) shows nothing of it.
      expect(api.requests.some((r) => r.startsWith('/api/v1/security/'))).toBe(true);

      // Readable from across the room: big figures, and everything fits the screen without scrolling.
      const fontPx = async () =>
        page.getByTestId('wall-links-total').evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
      expect(await fontPx()).toBeGreaterThanOrEqual(70);
      const overflowing = () => clippedParts(page);
      await page.screenshot({ path: join(RESULTS, `wall-${locale}.png`) });
      expect(await overflowing()).toEqual([]);

      // The same screen on a 4K wall: everything twice as large, and still fits.
      const at1080 = await fontPx();
      await page.setViewportSize({ width: 3840, height: 2160 });
      await page.waitForFunction(
        (before) =>
          parseFloat(
            getComputedStyle(
              document
                .querySelector('ts-page-wall')!
                .shadowRoot!.querySelector('[data-testid="wall-links-total"]')!,
            ).fontSize,
          ) >
          before * 1.9,
        at1080,
      );
      expect(await overflowing()).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('refreshes every 30 s, pauses while hidden, and says why when a refresh fails', async () => {
    const api = newApi();
    const { context, page } = await openWall(locale, api);
    try {
      const count = (path: string) => api.requests.filter((r) => r.startsWith(path)).length;
      expect(count('/api/v1/network/links')).toBe(1);

      await page.clock.runFor(30_000);
      await expect.poll(() => count('/api/v1/network/links')).toBe(2);
      await expect
        .poll(() => text(page, 'wall-last-refresh'))
        .toContain(w.refreshed.replace('09:30:00', '09:30:30'));

      // Hidden (another window on the wall's screen): no requests, however long; shown: at once.
      await page.evaluate(() => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      const before = api.requests.length;
      await page.clock.runFor(120_000);
      await page.waitForTimeout(300);
      expect(api.requests.length).toBe(before);
      await page.evaluate(() => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await expect.poll(() => count('/api/v1/network/links')).toBe(3);
      // The time of the last complete refresh, as the wall shows it (HH:mm:ss).
      const refreshedAt = async () => /\d\d:\d\d:\d\d/.exec(await text(page, 'wall-last-refresh'))?.[0];
      await expect.poll(refreshedAt).not.toBe('09:30:30');
      const lastGood = (await refreshedAt())!;

      // The links answer 503 and the agents cannot be reached: both reasons are shown, the old
      // figures stay, marked stale; the alarms still refresh.
      api.failing.set('/api/v1/network/links', {
        status: 503,
        code: 'server_error',
        message: 'database unavailable',
      });
      api.failing.set('/api/v1/agents', 'unreachable');
      await page.clock.runFor(30_000);
      const stale = page.getByTestId('wall-stale');
      await stale.waitFor({ timeout: 10_000 });
      expect(await stale.getAttribute('role')).toBe('alert');
      const staleText = (await stale.textContent()) ?? '';
      expect(staleText).toContain(w.staleHeading);
      expect(staleText).toContain(w.serverFailed);
      expect(staleText).toContain(w.unreachable);
      expect(staleText).toContain(lastGood);
      // The header still tells when the figures were last complete.
      expect(await refreshedAt()).toBe(lastGood);
      const states = await page
        .getByTestId('wall-section')
        .evaluateAll((els) =>
          Object.fromEntries(els.map((e) => [e.getAttribute('data-section'), e.getAttribute('data-state')])),
        );
      expect(states).toEqual({
        'cloud-fleet': 'stale',
        'network-links': 'stale',
        'network-compliance': 'stale',
        'network-busiest': 'stale',
        'alarms-active': 'ok',
      });
      expect(await text(page, 'wall-links-total')).toBe('10');
      await page.screenshot({ path: join(RESULTS, `wall-${locale}-stale.png`) });
      // The warning takes room, and the figures still fit.
      expect(await clippedParts(page)).toEqual([]);

      // Recovered: the warning goes away at the next refresh.
      api.failing.clear();
      await page.clock.runFor(30_000);
      await stale.waitFor({ state: 'detached', timeout: 10_000 });
      expect((await refreshedAt())! > lastGood).toBe(true);

      // A control plane that takes the question and never answers does not hold the wall: after
      // 20 s the refresh gives up and says so, and the next one runs.
      api.failing.set('/api/v1/alarms/summary', 'silent');
      await page.clock.runFor(30_000);
      await expect.poll(() => api.held.length).toBe(1);
      expect(await page.getByTestId('wall-stale').count()).toBe(0);
      await page.clock.runFor(20_000);
      await stale.waitFor({ timeout: 10_000 });
      expect(await stale.textContent()).toContain(w.timeout);
      expect(
        await page
          .locator('[data-testid="wall-section"][data-section="alarms-active"]')
          .getAttribute('data-state'),
      ).toBe('stale');
      await page.clock.runFor(10_000);
      await expect.poll(() => api.held.length).toBe(2);
      for (const route of api.held) await route.abort().catch(() => undefined);
    } finally {
      await context.close();
    }
  });

  it('leaves out the network and alarms when the server has no network module, and shows a first failure', async () => {
    const api = newApi();
    for (const p of ['/api/v1/network/links', '/api/v1/alarms', '/api/v1/alarms/summary']) api.missing.add(p);
    const { context, page } = await openWall(locale, api);
    try {
      expect(
        await page.getByTestId('wall-area').evaluateAll((els) => els.map((e) => e.dataset['area'])),
      ).toEqual(['cloud']);
      expect(await page.getByTestId('wall-stale').count()).toBe(0);
      expect(await text(page, 'wall-agents-part')).toBe('10');
      const visible = await page.locator('ts-page-wall').innerText();
      expect(visible).not.toContain(w.compliance);
      expect(await page.getByTestId('wall-section-error').count()).toBe(0);
    } finally {
      await context.close();
    }

    // A section that never loaded says why in its place, and the wall says it is not refreshed.
    const failing = newApi();
    failing.failing.set('/api/v1/alarms/summary', { status: 500, code: 'server_error', message: 'boom' });
    const second = await openWall(locale, failing);
    try {
      const section = second.page.locator('[data-testid="wall-section"][data-section="alarms-active"]');
      expect(await section.getAttribute('data-state')).toBe('failed');
      expect(await section.getByTestId('wall-section-error').textContent()).toContain(
        w.serverFailed.replace('503', '500'),
      );
      expect(await second.page.getByTestId('wall-stale').textContent()).toContain(
        w.serverFailed.replace('503', '500'),
      );
    } finally {
      await second.context.close();
    }
  });

  it('goes full screen and back, and Esc outside full screen returns to the console', async () => {
    const { context, page } = await openWall(locale, newApi());
    try {
      const button = page.getByTestId('wall-fullscreen');
      expect((await button.textContent())?.trim()).toBe(w.fullscreen);
      await button.click();
      await page.waitForFunction(() => document.fullscreenElement !== null);
      await expect.poll(async () => (await button.textContent())?.trim()).toBe(w.exitFullscreen);
      await button.click();
      await page.waitForFunction(() => document.fullscreenElement === null);
      await expect.poll(async () => (await button.textContent())?.trim()).toBe(w.fullscreen);

      await page.keyboard.press('Escape');
      await page.waitForFunction(() => document.body.dataset['left'] === '/');
      expect(await page.locator('ts-page-wall').count()).toBe(0);
    } finally {
      await context.close();
    }
  });
});
