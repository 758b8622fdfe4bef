import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { launchChromium } from '../support/browser.js';
import { startLiveProvince, type LiveProvince } from '../support/province.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, REPO, type TestControlPlane } from '../support/control-plane.js';

/**
 * The console in Chinese and in English, in Debian's headless Chromium with the browser's language
 * set by the test: log in, then overview, topology, links, a link's detail, alarms, agents and the
 * audit log. Every word on screen must come from the catalogue of the page's language or from the
 * data the API sent: in Chinese, a Latin word that is neither data nor a technical term (SNMP,
 * IPv6, Mbit/s …) is a string rendered outside the catalogue or an untranslated message; in
 * English, Chinese text that is not data is a leak from the other catalogue. A screenshot per page
 * and language is kept in test-results/. The language chosen in the user menu follows the user to
 * another browser.
 */
let province: LiveProvince | undefined;
let t: TestControlPlane;
let browser: Browser | undefined;
let primaryId: string;
const shots = join(REPO, 'test-results', 'i18n');

/** Terms written the same in both languages: abbreviations, protocols and units. */
const technical = new Set([
  'API',
  'CPU',
  'CIDR',
  'HTTP',
  'HTTPS',
  'ID',
  'IP',
  'IPv4',
  'IPv6',
  'JSON',
  'LLDP',
  'CDP',
  'NetFlow',
  'IPFIX',
  'sFlow',
  'MAC',
  'OID',
  'RPO',
  'RTO',
  'SNMP',
  'SNMPv1',
  'SNMPv2c',
  'SNMPv3',
  'v1',
  'v2c',
  'v3',
  'SSE',
  'TLS',
  'TOTP',
  'URL',
  'UTC',
  'B',
  'KiB',
  'MiB',
  'GiB',
  'TiB',
  'PiB',
  'bit/s',
  'kbit/s',
  'Mbit/s',
  'Gbit/s',
  'Tbit/s',
  'Pbit/s',
  's',
  'ms',
  'Tianshu',
  'English',
  // Formats, standards and products named as they are in every language.
  'Suricata',
  'EVE',
  'syslog',
  'CEF',
  'Sigma',
  'YAML',
  'STIX',
  'ATT',
  'CK',
  'OpenVAS',
  'Greenbone',
  'CSV',
  'CVE',
  'CVSS',
  'DNS',
  'TCP',
  'UDP',
  'ICMP',
  'DDoS',
  'AS',
  // Cloud platforms and resource units named as they are in every language.
  'Kubernetes',
  'OpenStack',
  'vCPU',
  'GPU',
  // The flow filter language: its keywords and dimension names are the same in every locale.
  'AND',
  'OR',
  'NOT',
  'IN',
  'tcp',
  'udp',
  'icmp',
  'proto',
  'srcOrgUnit',
  'dstOrgUnit',
  'srcAddr',
  'dstAddr',
  'srcPort',
  'dstPort',
]);

const latinWords = /[A-Za-z][A-Za-z0-9]*(?:[._:/-][A-Za-z0-9]+)*/g;
const chineseRuns = /[\u3400-\u9fff]+/g;

beforeAll(async () => {
  province = await startLiveProvince();
  ({ t, primaryId } = province);
  mkdirSync(shots, { recursive: true });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await province?.stop();
});

interface Visit {
  context: BrowserContext;
  page: Page;
  /** Words and Chinese runs found in the API's answers: data, shown as it is. */
  data: Set<string>;
  errors: string[];
}

async function open(locale: string): Promise<Visit> {
  const context = await browser!.newContext({ locale, viewport: { width: 1440, height: 900 } });
  const page = await context.newPage();
  const data = new Set<string>();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/401|Unauthorized/i.test(m.text())) errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('response', async (res) => {
    if (!res.url().includes('/api/') || !(res.headers()['content-type'] ?? '').includes('json')) return;
    const body: unknown = await res.json().catch(() => undefined);
    const walk = (v: unknown): void => {
      if (typeof v === 'string') {
        data.add(v);
        for (const w of v.match(latinWords) ?? []) data.add(w);
        for (const c of v.match(chineseRuns) ?? []) data.add(c);
      } else if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object')
        for (const [key, value] of Object.entries(v)) {
          // Keys of details objects are shown as they are, like the values.
          data.add(key);
          walk(value);
        }
    };
    walk(body);
  });
  return { context, page, data, errors };
}

/** The visible texts of the page, through every shadow root, with the attributes people read or hear. */
async function visibleTexts(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const out: string[] = [];
    type El = {
      nodeType: number;
      tagName?: string;
      textContent: string | null;
      childNodes: ArrayLike<El>;
      shadowRoot?: El | null;
      parentElement?: El | null;
      getAttribute?(name: string): string | null;
      checkVisibility?(opts: object): boolean;
    };
    const visible = (el: El | null | undefined): boolean =>
      !el?.checkVisibility || el.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
    const walk = (node: El): void => {
      if (node.nodeType === 3) {
        const text = node.textContent?.trim();
        if (text && visible(node.parentElement)) out.push(text);
        return;
      }
      if (node.nodeType === 1) {
        const tag = node.tagName ?? '';
        if (['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT'].includes(tag)) return;
        if (visible(node))
          for (const attr of ['title', 'aria-label', 'placeholder', 'alt']) {
            const v = node.getAttribute?.(attr);
            if (v?.trim()) out.push(v.trim());
          }
        if (node.shadowRoot) walk(node.shadowRoot);
      }
      for (const child of Array.from(node.childNodes)) walk(child);
    };
    walk((globalThis as unknown as { document: { body: El } }).document.body);
    return out;
  });
}

/** Waits until no panel is loading and the texts stop changing. */
async function settle(page: Page): Promise<void> {
  const started = Date.now();
  let last = '';
  let stableSince = Date.now();
  while (Date.now() - started < 30_000) {
    const texts = (await visibleTexts(page)).join('\n');
    const loading = await page.evaluate(() => {
      const walk = (root: { querySelectorAll(s: string): ArrayLike<{ shadowRoot?: unknown }> }): number => {
        let n = root.querySelectorAll('[state="loading"]').length;
        for (const el of Array.from(root.querySelectorAll('*')))
          if (el.shadowRoot) n += walk(el.shadowRoot as typeof root);
        return n;
      };
      return walk((globalThis as unknown as { document: Parameters<typeof walk>[0] }).document);
    });
    if (texts !== last || loading > 0) {
      last = texts;
      stableSince = Date.now();
    } else if (Date.now() - stableSince > 1_500) return;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Words on screen that neither the catalogue of `locale` nor the data explain. */
function strays(texts: string[], locale: 'zh-CN' | 'en', data: Set<string>): string[] {
  const found = new Set<string>();
  for (const text of texts) {
    if (data.has(text)) continue;
    if (locale === 'zh-CN') {
      for (const w of text.match(latinWords) ?? [])
        if (!technical.has(w) && !data.has(w)) found.add(`${w}  ← "${text.slice(0, 80)}"`);
    } else {
      for (const c of text.match(chineseRuns) ?? [])
        if (!data.has(c) && c !== '中文' && c !== '天枢') found.add(`${c}  ← "${text.slice(0, 80)}"`);
    }
  }
  return [...found];
}

const pages = (): [string, string][] => [
  ['overview', '/'],
  ['topology', '/network/topology'],
  ['links', '/network/links'],
  ['link-detail', `/network/links/${encodeURIComponent(primaryId)}`],
  ['alarms', '/network/alarms'],
  ['devices', '/network/devices'],
  ['flows', '/flows'],
  ['flow-egress', '/flows/egress'],
  ['flow-exporters', '/flows/exporters'],
  ['security', '/security'],
  ['security-alerts', '/security/alerts'],
  ['security-incidents', '/security/incidents'],
  ['security-events', '/security/events'],
  ['security-rules', '/security/rules'],
  ['quotas', '/quotas'],
  ['quota-tree', '/quotas/tree'],
  ['quota-request-new', '/quotas/requests/new'],
  ['quota-requests', '/quotas/requests'],
  ['quota-inbox', '/quotas/inbox'],
  ['quota-reclaims', '/quotas/reclaims'],
  ['quota-showback', '/quotas/showback'],
  ['quota-scorecards', '/quotas/scorecards'],
  ['agents', '/admin/agents'],
  ['audit', '/admin/audit'],
];

describe.each([
  ['zh-CN', 'zh-CN', /[\u4e00-\u9fff]/],
  ['en', 'en-US', /^[^\u4e00-\u9fff]*$/],
] as const)('the console in %s', (locale, browserLocale, script) => {
  it('speaks the browser’s language on every page, with nothing outside the catalogue', async () => {
    const v = await open(browserLocale);
    try {
      await v.page.goto(`${t.cp.url}/`);
      await v.page.getByTestId('login-username').waitFor({ timeout: 30_000 });
      expect(
        await v.page.evaluate(
          () =>
            (globalThis as unknown as { document: { documentElement: { lang: string } } }).document
              .documentElement.lang,
        ),
      ).toBe(locale);
      // A wrong password: the server's code becomes a message in the page's language.
      await v.page.getByTestId('login-username').fill('admin');
      await v.page.getByTestId('login-password').fill('not-the-password');
      await v.page.getByTestId('login-submit').click();
      await v.page.getByTestId('login-error').waitFor({ timeout: 15_000 });
      expect(await v.page.getByTestId('login-error').textContent()).toMatch(script);
      await settle(v.page);
      expect(strays(await visibleTexts(v.page), locale, v.data), 'login').toEqual([]);
      await v.page.screenshot({ path: join(shots, `${locale}-login.png`) });

      await v.page.getByTestId('login-password').fill(ADMIN_PASSWORD);
      await v.page.getByTestId('login-submit').click();
      await v.page.getByTestId('user-menu').waitFor({ timeout: 30_000 });
      for (const [name, path] of pages()) {
        await v.page.goto(`${t.cp.url}${path}`);
        await v.page.getByTestId('user-menu').waitFor({ timeout: 30_000 });
        await settle(v.page);
        const texts = await visibleTexts(v.page);
        expect(texts.join(' '), name).toMatch(locale === 'zh-CN' ? /[\u4e00-\u9fff]/ : /[A-Za-z]{3}/);
        expect(strays(texts, locale, v.data), name).toEqual([]);
        await v.page.screenshot({ path: join(shots, `${locale}-${name}.png`), fullPage: true });
      }
      expect(v.errors).toEqual([]);
    } finally {
      await v.context.close();
    }
  }, 420_000);
});

describe('choosing a language', () => {
  it('switches in the user menu and follows the user to another browser', async () => {
    const first = await open('en-US');
    const second = await open('en-US');
    try {
      for (const v of [first]) {
        await v.page.goto(`${t.cp.url}/`);
        await v.page.getByTestId('login-username').fill('admin');
        await v.page.getByTestId('login-password').fill(ADMIN_PASSWORD);
        await v.page.getByTestId('login-submit').click();
        await v.page.getByTestId('user-menu').waitFor({ timeout: 30_000 });
      }
      expect(await first.page.getByTestId('nav-overview').textContent()).toMatch(/Overview/);
      await first.page.getByTestId('user-menu').click();
      await first.page.getByTestId('locale-zh-CN').click();
      await expect
        .poll(() => first.page.getByTestId('nav-overview').textContent(), { timeout: 10_000 })
        .toMatch(/总览/);

      // Another browser whose languages say English: the user's choice wins after sign-in.
      await second.page.goto(`${t.cp.url}/`);
      await second.page.getByTestId('login-username').fill('admin');
      await second.page.getByTestId('login-password').fill(ADMIN_PASSWORD);
      await second.page.getByTestId('login-submit').click();
      await second.page.getByTestId('user-menu').waitFor({ timeout: 30_000 });
      await expect
        .poll(() => second.page.getByTestId('nav-overview').textContent(), { timeout: 10_000 })
        .toMatch(/总览/);

      await second.page.getByTestId('user-menu').click();
      await second.page.getByTestId('locale-en').click();
      await expect
        .poll(() => second.page.getByTestId('nav-overview').textContent(), { timeout: 10_000 })
        .toMatch(/Overview/);
    } finally {
      await first.context.close();
      await second.context.close();
    }
  }, 120_000);
});
