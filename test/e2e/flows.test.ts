import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FlowAggregatesPayload } from '@tianshu/protocol';
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
import { assertBuilt } from '../support/process.js';

/**
 * Issue 9 item 9, in Chromium: the flow explorer and the internet egress page on a real control
 * plane (embedded PGlite + chDB, listening on a free loopback port, serving the built console). The
 * test posts `flow-aggregates` batches as an enrolled edge agent (the demo province's exporter
 * sc-cd-agg, 127.0.16.1), with the prefix registry and an interface marked as internet egress set
 * through the API, and a flows policy with an egress allowance the traffic exceeds.
 *
 * In the explorer the operator picks a dimension, types a filter (a bad one first: its position is
 * shown under the box), clicks a row to narrow the filter, draws the Sankey between two dimensions,
 * and reloads and walks back through the URL; every table is compared with the API's own answer.
 * Screenshots in English and Chinese go to test-results/.
 */
let t: TestControlPlane;
let admin: Session;
let browser: Browser | undefined;
let context: BrowserContext;
let page: Page;
const dirs: string[] = [];
const pageErrors: string[] = [];
const shots = join(REPO, 'test-results');

const EXPORTER = '127.0.16.1'; // sc-cd-agg in 成都市 (demo province)
const M0 = Math.floor(Date.now() / 60_000) * 60_000 - 3 * 60_000;

interface Row {
  inIf: number;
  outIf: number;
  src: string;
  dst: string;
  sp: number;
  dp: number;
  proto: number;
  bytes: number;
}

/** The traffic the scenario generates: org units by their prefixes, one egress interface (2). */
const ROWS: Row[] = [
  // 锦江区 → 绵阳市, HTTPS
  { inIf: 11, outIf: 1, src: '10.17.1.1', dst: '10.33.1.1', sp: 50000, dp: 443, proto: 6, bytes: 6_000_000 },
  // 锦江区 → the internet through the egress interface, DNS
  { inIf: 11, outIf: 2, src: '10.17.1.2', dst: '8.8.8.8', sp: 40000, dp: 53, proto: 17, bytes: 2_000_000 },
  // 成都市 (outside 锦江区) → 成都市, SSH from port 22
  { inIf: 13, outIf: 1, src: '10.18.0.1', dst: '10.16.5.5', sp: 22, dp: 51000, proto: 6, bytes: 1_000_000 },
  // 绵阳市 → 锦江区, HTTP
  { inIf: 1, outIf: 11, src: '10.33.2.2', dst: '10.17.1.1', sp: 41000, dp: 80, proto: 6, bytes: 500_000 },
];

function payload(minute: number, rows: Row[]): FlowAggregatesPayload {
  return {
    kind: 'flow-aggregates',
    exporter: EXPORTER,
    minute,
    key: ['inIf', 'outIf', 'srcAddr', 'dstAddr', 'srcPort', 'dstPort', 'proto', 'ipVersion'],
    rows: rows.length,
    columns: {
      inIf: rows.map((r) => r.inIf),
      outIf: rows.map((r) => r.outIf),
      srcAddr: rows.map((r) => r.src),
      dstAddr: rows.map((r) => r.dst),
      srcPort: rows.map((r) => r.sp),
      dstPort: rows.map((r) => r.dp),
      proto: rows.map((r) => r.proto),
      ipVersion: rows.map(() => 4),
      samplingRate: rows.map(() => 1),
      bytes: rows.map((r) => r.bytes),
      packets: rows.map((r) => Math.ceil(r.bytes / 1000)),
      flows: rows.map(() => 1),
    },
    stats: {
      packets: 4,
      records: rows.length,
      dropped: 0,
      malformed: {},
      missingTemplates: 0,
      sequenceGaps: 0,
      versions: [9],
      samplingSources: { exporter: rows.length, configured: 0, default: 0 },
    },
  };
}

interface Top {
  items: { key: unknown; label: unknown; bytes: number }[];
  total: { bytes: number };
}

async function apiTop(query: string): Promise<Top> {
  const res = await admin.get(`/api/v1/flows/top?${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Top;
}

/** The explorer's top-N rows as shown: the data-key of each row (the "other" row left out). */
const shownKeys = (p: Page) =>
  p
    .locator('[data-testid="flows-top-row"]')
    .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));

const query = (p: Page) => Object.fromEntries(new URL(p.url()).searchParams);

async function signIn(p: Page, path: string) {
  await p.goto(`${t.cp.url}${path}`);
  await p.getByTestId('login-username').fill('admin');
  await p.getByTestId('login-password').fill(ADMIN_PASSWORD);
  await p.getByTestId('login-submit').click();
}

beforeAll(async () => {
  assertBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'tianshu-e2e-flows-'));
  dirs.push(dir);
  // The repository's policies, with an egress allowance of 1 MB a month for 成都市.
  const policiesDir = join(dir, 'policies');
  cpSync(join(REPO, 'policies'), policiesDir, { recursive: true });
  const flowsPolicy = readFileSync(join(policiesDir, 'flows.yaml'), 'utf8').replace(
    /^egress:\n {2}allowances: \[\]$/m,
    'egress:\n  allowances:\n    - { orgUnit: sc-cd, monthlyGigabytes: 0.001, peakMbps: 1000 }',
  );
  expect(flowsPolicy).toContain('orgUnit: sc-cd');
  writeFileSync(join(policiesDir, 'flows.yaml'), flowsPolicy);
  mkdirSync(shots, { recursive: true });

  t = await startTestControlPlane({
    listen: true,
    consoleDir: join(REPO, 'console/dist'),
    overrides: { port: await freePort(), policiesDir },
  });
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);

  for (const [prefix, orgUnitId] of [
    ['10.0.0.0/8', 'sc'],
    ['10.16.0.0/12', 'sc-cd'],
    ['10.17.0.0/16', 'sc-cd-jj'],
    ['10.32.0.0/12', 'sc-my'],
  ] as const) {
    const r = await admin.send('POST', '/api/v1/inventory/prefixes', { prefix, orgUnitId, purpose: 'hosts' });
    expect(r.status, await r.clone().text()).toBe(201);
  }
  const ifs = (await (await admin.get('/api/v1/inventory/interfaces?deviceId=sc-cd-agg')).json()) as {
    items: { id: string; ifIndex: number }[];
  };
  const egressIf = ifs.items.find((i) => i.ifIndex === 2);
  expect(egressIf, 'sc-cd-agg has an interface 2').toBeDefined();
  const patched = await admin.send('PATCH', `/api/v1/inventory/interfaces/${egressIf!.id}`, {
    internetEgress: true,
  });
  expect(patched.status, await patched.clone().text()).toBe(200);

  // An edge agent of 成都市 reports two minutes of aggregates, as its collector would.
  const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: 'e2e flows edge',
    orgUnitId: 'sc-cd',
    roles: ['edge'],
  });
  expect(tok.status).toBe(201);
  const { token } = (await tok.json()) as { token: string };
  const enrolled = await t.request('/api/v1/fleet/enrol', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, hostname: `e2e-flows-${randomUUID()}`, roles: ['edge'], version: '0.1.0' }),
  });
  expect(enrolled.status).toBe(201);
  const agent = (await enrolled.json()) as { agentId: string; credential: string };
  const report = await t.request(`/api/v1/agents/${agent.agentId}/reports`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${agent.agentId}.${agent.credential}`,
    },
    body: JSON.stringify({
      batchId: randomUUID(),
      sequence: 1,
      createdAt: new Date().toISOString(),
      payloads: [payload(M0, ROWS), payload(M0 + 60_000, ROWS)],
    }),
  });
  expect(report.status, await report.clone().text()).toBe(200);
  const total = await apiTop('by=srcOrgUnit');
  expect(total.total.bytes).toBe(2 * ROWS.reduce((s, r) => s + r.bytes, 0));

  browser = await launchChromium();
  context = await browser.newContext({ locale: 'en-US', viewport: { width: 1440, height: 1100 } });
  page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
}, 240_000);

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close();
  await t?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 60_000);

describe('the flow explorer in Chromium', () => {
  it('shows top N by org unit, then by a picked dimension, filtered, as the API answers', async () => {
    await signIn(page, '/flows');
    // The flows area is in the navigation with its three pages.
    for (const id of ['nav-flows', 'nav-flow-explorer', 'nav-flow-egress', 'nav-flow-exporters'])
      await page.getByTestId(id).waitFor({ timeout: 30_000 });

    // The default query: top source org units over the last hour, written into the URL.
    await expect.poll(() => shownKeys(page), { timeout: 30_000 }).toEqual(['sc-cd-jj', 'sc-cd', 'sc-my']);
    expect(query(page)).toMatchObject({ by: 'srcOrgUnit', measure: 'bytes', range: '1h', view: 'series' });
    const firstRow = page.locator('[data-testid="flows-top-row"]').first();
    expect(await firstRow.textContent()).toContain('锦江区');
    expect(Number(await page.getByTestId('flows-total').getAttribute('data-total'))).toBe(19_000_000);
    await page.getByTestId('chart-flows-series').waitFor({ timeout: 30_000 });
    // A query loads once: an idle page asks nothing more (no reload loop).
    let asked = 0;
    const count = (r: { url(): string }) => {
      if (r.url().includes('/api/v1/flows/')) asked += 1;
    };
    page.on('request', count);
    await page.waitForTimeout(3_000);
    page.off('request', count);
    expect(asked).toBe(0);

    // Pick the application dimension: the table follows, ranked like the API's top-N.
    await page.getByTestId('flows-dim-0').selectOption('app');
    const byApp = (await apiTop('by=app')).items.map((i) => String(i.key));
    expect(byApp).toEqual(['HTTPS', 'DNS', 'SSH', 'HTTP']);
    await expect.poll(() => shownKeys(page), { timeout: 30_000 }).toEqual(byApp);
    expect(query(page).by).toBe('app');

    // A bad filter: the API's error with its position, under the box; nothing else is lost.
    await page.getByTestId('flows-filter').fill('proto = ');
    await page.getByTestId('flows-filter-apply').click();
    const filterError = page.getByTestId('flows-filter-error');
    await filterError.waitFor({ timeout: 30_000 });
    expect(await filterError.textContent()).toMatch(/The filter is not valid at character \d+: .+/);
    expect(await page.getByTestId('flows-filter').getAttribute('aria-invalid')).toBe('true');

    // A good one: TCP only, so DNS (UDP) leaves the table.
    await page.getByTestId('flows-filter').fill('proto = tcp');
    await page.getByTestId('flows-filter-apply').click();
    await expect.poll(() => shownKeys(page), { timeout: 30_000 }).toEqual(['HTTPS', 'SSH', 'HTTP']);
    expect(await filterError.count()).toBe(0);
    expect(query(page).filter).toBe('proto = tcp');

    // Clicking a row adds it to the filter.
    await page.locator('[data-testid="flows-top-row"][data-key="HTTPS"]').click();
    await expect.poll(() => query(page).filter, { timeout: 10_000 }).toBe('proto = tcp AND app = "HTTPS"');
    await expect.poll(() => shownKeys(page), { timeout: 30_000 }).toEqual(['HTTPS']);
    expect(await page.getByTestId('flows-filter').inputValue()).toBe('proto = tcp AND app = "HTTPS"');
    await page.screenshot({ path: join(shots, 'flows-explorer-en.png'), fullPage: true });
  }, 180_000);

  it('draws the Sankey between two dimensions, and changes it with the filter', async () => {
    await page.getByTestId('flows-dim-add').click();
    await page.getByTestId('flows-dim-1').selectOption('dstOrgUnit');
    await page.locator('[data-testid="flows-view"] button[data-value="sankey"]').click();
    const meta = page.getByTestId('flows-sankey-meta');
    await meta.waitFor({ timeout: 30_000 });
    await page.getByTestId('chart-flows-sankey').waitFor({ timeout: 30_000 });
    // Only HTTPS (锦江区 → 绵阳市) passes the filter: two nodes, one link.
    await expect.poll(() => meta.getAttribute('data-links'), { timeout: 30_000 }).toBe('1');
    expect(query(page)).toMatchObject({ by: 'app,dstOrgUnit', view: 'sankey' });

    await page.getByTestId('flows-filter-clear').click();
    // Every application to its destination org units: HTTPS→绵阳市, DNS→internet, SSH→成都市, HTTP→锦江区.
    await expect.poll(() => meta.getAttribute('data-links'), { timeout: 30_000 }).toBe('4');
    expect(query(page).filter).toBeUndefined();
    // The top-N table ranks pairs of the two dimensions.
    await expect
      .poll(() => shownKeys(page), { timeout: 30_000 })
      .toEqual(['HTTPS · sc-my', 'DNS · ', 'SSH · sc-cd', 'HTTP · sc-cd-jj']);
    await page.screenshot({ path: join(shots, 'flows-sankey-en.png'), fullPage: true });
  }, 120_000);

  it('restores the whole query from the URL on reload, and walks back and forward', async () => {
    const url = page.url();
    await page.reload();
    await page.getByTestId('flows-sankey-meta').waitFor({ timeout: 30_000 });
    expect(page.url()).toBe(url);
    expect(await page.getByTestId('flows-dim-0').inputValue()).toBe('app');
    expect(await page.getByTestId('flows-dim-1').inputValue()).toBe('dstOrgUnit');
    expect(await page.locator('[data-testid="flows-view"]').getAttribute('data-value')).toBe('sankey');
    expect(await page.getByTestId('flows-filter').inputValue()).toBe('');

    // Back: the filter cleared a step ago comes back, in the box and in the Sankey.
    await page.goBack();
    await expect.poll(() => query(page).filter, { timeout: 10_000 }).toBe('proto = tcp AND app = "HTTPS"');
    await expect
      .poll(() => page.getByTestId('flows-filter').inputValue(), { timeout: 10_000 })
      .toBe('proto = tcp AND app = "HTTPS"');
    await expect
      .poll(() => page.getByTestId('flows-sankey-meta').getAttribute('data-links'), { timeout: 30_000 })
      .toBe('1');
    await page.goForward();
    await expect.poll(() => query(page).filter, { timeout: 10_000 }).toBeUndefined();

    // A shared URL opens the same view in a new page.
    const shared = await context.newPage();
    await shared.goto(url);
    await shared.getByTestId('flows-sankey-meta').waitFor({ timeout: 30_000 });
    expect(await shared.getByTestId('flows-dim-1').inputValue()).toBe('dstOrgUnit');
    await shared.close();
  }, 120_000);
});

describe('the internet egress page in Chromium', () => {
  it('shows the org unit volume, its exceeded allowance, destinations and applications', async () => {
    const api = await admin.get('/api/v1/flows/egress?orgUnitId=sc-cd&period=day');
    expect(api.status, await api.clone().text()).toBe(200);
    const egress = (await api.json()) as {
      outBytes: number;
      allowance: { exceeded: boolean } | null;
      topDestinations: { address: string }[];
    };
    // The DNS row went out of the egress interface in each of the two minutes.
    expect(egress.outBytes).toBe(4_000_000);
    expect(egress.allowance?.exceeded).toBe(true);

    await page.goto(`${t.cp.url}/flows/egress?orgUnitId=sc-cd&period=day`);
    const out = page.getByTestId('egress-out');
    await out.waitFor({ timeout: 30_000 });
    expect(Number(await out.getAttribute('data-value'))).toBe(egress.outBytes);
    await page.getByTestId('egress-exceeded').waitFor({ timeout: 10_000 });
    expect(await page.getByTestId('egress-exceeded').textContent()).toContain('成都市');
    expect(await page.getByTestId('egress-allowance').getAttribute('data-exceeded')).toBe('true');
    await expect
      .poll(() =>
        page
          .locator('[data-testid="egress-destinations-row"]')
          .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key'))),
      )
      .toEqual(egress.topDestinations.map((d) => d.address));
    expect(egress.topDestinations.map((d) => d.address)).toContain('8.8.8.8');
    expect(
      await page
        .locator('[data-testid="egress-applications-row"]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key'))),
    ).toContain('DNS');
    // The org-unit picker offers the caller's subtree; choosing 绵阳市 shows its own (no) egress.
    await page.getByTestId('egress-org-unit').selectOption('sc-my');
    await expect.poll(() => query(page).orgUnitId, { timeout: 10_000 }).toBe('sc-my');
    await expect.poll(() => out.getAttribute('data-value'), { timeout: 30_000 }).toBe('0');
    expect(await page.getByTestId('egress-exceeded').count()).toBe(0);
    await page.goBack();
    await expect
      .poll(() => out.getAttribute('data-value'), { timeout: 30_000 })
      .toBe(String(egress.outBytes));
    await page.screenshot({ path: join(shots, 'flows-egress-en.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('lists the exporter with its device, counters, sampling and reconciliation, and the overview figures', async () => {
    const api = (await (await admin.get('/api/v1/flows/exporters')).json()) as {
      items: { address: string; deviceId: string | null; reconciliation: { status: string } }[];
    };
    const exporter = api.items.find((e) => e.address === EXPORTER);
    expect(exporter?.deviceId).toBe('sc-cd-agg');

    await page.goto(`${t.cp.url}/flows/exporters`);
    const row = page.locator(`[data-testid="flow-exporter-row"][data-address="${EXPORTER}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('a[href="/network/devices/sc-cd-agg"]').count()).toBe(1);
    expect(await row.getByTestId('exporter-sampling').textContent()).toContain('1:1');
    expect(await row.getByTestId('exporter-recon').getAttribute('data-status')).toBe(
      exporter!.reconciliation.status,
    );
    // Its reconciliation per interface and direction opens below, and is in the URL.
    await row.click();
    await expect.poll(() => query(page).exporter, { timeout: 10_000 }).toBe(EXPORTER);
    await page.getByTestId('flow-reconciliation').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(shots, 'flows-exporters-en.png'), fullPage: true });

    // The overview carries the flows module's figures: the last hour's traffic and the top applications.
    await page.goto(`${t.cp.url}/`);
    const hour = page.getByTestId('overview-flows-hour');
    await hour.waitFor({ timeout: 30_000 });
    expect(await hour.textContent()).toMatch(/MiB/);
    expect(await page.getByTestId('overview-flows-apps').textContent()).toContain('HTTPS');
    expect(pageErrors).toEqual([]);
  }, 120_000);

  it('reads in Chinese: the explorer, the Sankey and the egress page', async () => {
    const zh = await browser!.newContext({ locale: 'zh-CN', viewport: { width: 1440, height: 1100 } });
    try {
      await zh.addInitScript(() =>
        (
          globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }
        ).localStorage.setItem('tianshu.locale', 'zh-CN'),
      );
      const zhPage = await zh.newPage();
      zhPage.on('pageerror', (e) => pageErrors.push(String(e)));
      await signIn(zhPage, '/flows?by=srcOrgUnit,dstOrgUnit&measure=bytes&range=1h&view=sankey&limit=10');
      await zhPage.getByTestId('flows-sankey-meta').waitFor({ timeout: 30_000 });
      expect(await zhPage.getByTestId('nav-flow-explorer').textContent()).toContain('流量分析');
      expect(await zhPage.getByTestId('nav-flow-egress').textContent()).toContain('互联网出口');
      expect(await zhPage.getByTestId('nav-flow-exporters').textContent()).toContain('流量采集');
      // The internet side of a pair is named in Chinese.
      await expect
        .poll(() => zhPage.locator('[data-testid="flows-top-row"]').allTextContents(), { timeout: 30_000 })
        .toEqual(expect.arrayContaining([expect.stringContaining('互联网或未知')]));
      await zhPage.getByTestId('flows-filter').fill('dstPort IN (');
      await zhPage.getByTestId('flows-filter-apply').click();
      await zhPage.getByTestId('flows-filter-error').waitFor({ timeout: 30_000 });
      expect(await zhPage.getByTestId('flows-filter-error').textContent()).toMatch(
        /过滤条件在第 \d+ 个字符处无效/,
      );
      await zhPage.getByTestId('flows-filter-clear').click();
      // Once the filter changes, its old error goes, and the table and the Sankey come back.
      await expect.poll(() => zhPage.getByTestId('flows-filter-error').count(), { timeout: 10_000 }).toBe(0);
      await zhPage.locator('[data-testid="flows-top-row"]').first().waitFor({ timeout: 30_000 });
      await zhPage.getByTestId('chart-flows-sankey').waitFor({ timeout: 30_000 });
      await zhPage.screenshot({ path: join(shots, 'flows-sankey-zh-CN.png'), fullPage: true });

      await zhPage.goto(`${t.cp.url}/flows/egress?orgUnitId=sc-cd&period=day`);
      await zhPage.getByTestId('egress-exceeded').waitFor({ timeout: 30_000 });
      expect(await zhPage.getByTestId('egress-exceeded').textContent()).toContain('已超出互联网出口额度');
      await zhPage.screenshot({ path: join(shots, 'flows-egress-zh-CN.png'), fullPage: true });
    } finally {
      await zh.close();
    }
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
