import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKubernetes, type FakeKubernetes } from '../../control-plane/src/quotas/fakes/kubernetes.js';
import { amountsFromQuantities } from '../../control-plane/src/quotas/adapters/kubernetes/quantity.js';
import { quotasRef } from '../../control-plane/src/quotas/index.js';
import { idleSamples } from '../../control-plane/src/quotas/review/testing.js';
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
 * Issue 11's scenario in Chromium, on a real control plane (embedded PGlite + chDB on a free loopback
 * port, serving the built console): 锦江区's applicant (a county department) applies for a catalogue
 * package on 成都市's Kubernetes cloud; 成都市's cloud admin approves it in the inbox; the quota is
 * written to the cluster and read back with Debian's `kubectl` (package kubernetes-client, unpacked at
 * /opt/debian-kubectl); after usage that stayed idle for the review's window, the review proposes to
 * reclaim the idle part, and the proposal is applied when its grace period ends — again read back
 * with kubectl.
 *
 * The cluster is a FAKE Kubernetes API server (control-plane/src/quotas/fakes/kubernetes.ts, written
 * from the published Kubernetes API reference): no real API server can run on this machine. Idle
 * usage is simulated the way the review part documents it: the fake reports `status.used` as the
 * quota controller would, and the usage history of the window is written with past timestamps
 * through the review's `recordSamples` (its sampler's own path). Policy values are small (a one-day
 * window, a grace period of seconds) in a copy of policies/quotas.yaml.
 */
const KUBECTL = '/opt/debian-kubectl/usr/bin/kubectl';
const run = promisify(execFile);

let t: TestControlPlane;
let admin: Session;
let fake: FakeKubernetes;
let browser: Browser | undefined;
const contexts: BrowserContext[] = [];
const pageErrors: string[] = [];
const shots = join(REPO, 'test-results');
const dirs: string[] = [];
let caFile = '';

const TOKEN = 'e2e-kubernetes-token-0123456789';
const CLOUD = 'e2e-cd-k8s';
const PROJECT = 'jj-portal';
const NAMESPACE = `ts-${PROJECT}`;
/** The seconds of the grace period (policy `review.graceDays`, in days). */
const GRACE_SECONDS = 15;
let requestId = '';

async function userSession(username: string, orgUnitId: string, roles: string[]): Promise<Session> {
  const password = `${username}-password-1`;
  const res = await admin.send('POST', '/api/v1/users', {
    username,
    displayName: username,
    password,
    roles,
    orgUnitId,
  });
  expect(res.status, await res.clone().text()).toBe(201);
  return login(t.request, username, password);
}

async function newPage(locale: 'en-US' | 'zh-CN'): Promise<Page> {
  const context = await browser!.newContext({ locale, viewport: { width: 1440, height: 1100 } });
  contexts.push(context);
  if (locale === 'zh-CN')
    await context.addInitScript(() =>
      (
        globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }
      ).localStorage.setItem('tianshu.locale', 'zh-CN'),
    );
  const page = await context.newPage();
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  return page;
}

async function signIn(p: Page, path: string, username: string) {
  await p.goto(`${t.cp.url}${path}`);
  await p.getByTestId('login-username').fill(username);
  await p.getByTestId('login-password').fill(`${username}-password-1`);
  await p.getByTestId('login-submit').click();
}

/** `kubectl get resourcequota` against the fake, as an operator would read it. */
async function kubectlQuota(): Promise<{
  metadata: { name: string; namespace: string; labels?: Record<string, string> };
  spec: { hard: Record<string, string> };
}> {
  const { stdout } = await run(
    KUBECTL,
    [
      `--server=${fake.url}`,
      `--token=${TOKEN}`,
      `--certificate-authority=${caFile}`,
      '--request-timeout=20s',
      '-n',
      NAMESPACE,
      'get',
      'resourcequota',
      '-o',
      'json',
    ],
    { timeout: 30_000, env: { PATH: process.env['PATH'] ?? '', HOME: caFile.replace(/\/[^/]+$/, '') } },
  );
  const list = JSON.parse(stdout) as { kind: string; items: Awaited<ReturnType<typeof kubectlQuota>>[] };
  expect(list.kind).toBe('List');
  expect(list.items).toHaveLength(1);
  return list.items[0]!;
}

async function kubectlNamespaceLabels(): Promise<Record<string, string>> {
  const { stdout } = await run(
    KUBECTL,
    [
      `--server=${fake.url}`,
      `--token=${TOKEN}`,
      `--certificate-authority=${caFile}`,
      'get',
      'namespace',
      NAMESPACE,
      '-o',
      'json',
    ],
    { timeout: 30_000, env: { PATH: process.env['PATH'] ?? '', HOME: caFile.replace(/\/[^/]+$/, '') } },
  );
  return (JSON.parse(stdout) as { metadata: { labels?: Record<string, string> } }).metadata.labels ?? {};
}

async function apiRequest(session: Session, id: string) {
  const res = await session.get(`/api/v1/quotas/requests/${encodeURIComponent(id)}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { status: string; enforcement: { applied: boolean } };
}

let applicant: Session;
let cityAdmin: Session;

beforeAll(async () => {
  assertBuilt();
  mkdirSync(shots, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'tianshu-quotas-e2e-'));
  dirs.push(work);
  // The shipped policies, with a one-day review window, a grace period of seconds and a quick reconcile.
  const policiesDir = join(work, 'policies');
  cpSync(join(REPO, 'policies'), policiesDir, { recursive: true });
  const yaml = readFileSync(join(policiesDir, 'quotas.yaml'), 'utf8')
    .replace(/intervalSeconds: \d+/, 'intervalSeconds: 5')
    .replace(/windowDays: \d+/, 'windowDays: 1')
    .replace(/graceDays: [\d.]+/, `graceDays: ${GRACE_SECONDS / 86_400}`);
  expect(yaml).toContain(`graceDays: ${GRACE_SECONDS / 86_400}`);
  writeFileSync(join(policiesDir, 'quotas.yaml'), yaml);

  fake = await startFakeKubernetes({ token: TOKEN });
  caFile = join(work, 'ca.pem');
  writeFileSync(caFile, fake.caCert ?? '');
  // One worker node: 64 cores and 256 GiB allocatable, which the cloud reports as its capacity.
  fake.setNode('cd-node-1', { cpu: '64', memory: '256Gi', pods: '110' });

  t = await startTestControlPlane({
    listen: true,
    consoleDir: join(REPO, 'console/dist'),
    overrides: { port: await freePort(), policiesDir },
  });
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);

  // 成都市's Kubernetes cloud, connected to the fake.
  const created = await admin.send('POST', '/api/v1/inventory/clouds', {
    id: CLOUD,
    orgUnitId: 'sc-cd',
    name: '成都市政务云（容器）',
    kind: 'kubernetes',
    tier: 'city',
    region: 'cd-1',
  });
  expect(created.status, await created.clone().text()).toBe(201);
  const conn = await admin.send('PUT', `/api/v1/quotas/clouds/${CLOUD}/connection`, {
    endpoint: fake.url,
    settings: { caCert: fake.caCert },
    secrets: { token: TOKEN },
  });
  expect(conn.status, await conn.clone().text()).toBeLessThan(300);

  applicant = await userSession('jj-applicant', 'sc-cd-jj', ['applicant']);
  cityAdmin = await userSession('cd-cloud-admin', 'sc-cd', ['cloud-admin']);
  browser = await launchChromium();
}, 240_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await t?.close();
  await fake?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}, 60_000);

describe('the quota console in Chromium', () => {
  it('the city admin reads capacity from the cluster, enters what it cannot report, and gives the county a quota', async () => {
    const page = await newPage('en-US');
    await signIn(page, '/quotas', 'cd-cloud-admin');
    for (const id of [
      'nav-quotas',
      'nav-quota-clouds',
      'nav-quota-tree',
      'nav-quota-inbox',
      'nav-quota-reclaims',
    ])
      await page.getByTestId(id).waitFor({ timeout: 30_000 });
    const card = page.locator(`[data-testid="cloud-card"][data-cloud="${CLOUD}"]`);
    await card.waitFor({ timeout: 30_000 });
    // Read the capacity from the cluster now: 64 cores × overcommit 2 = 128 vCPU allocatable.
    await card.getByTestId('cloud-refresh').click();
    await expect
      .poll(() => card.getByTestId('cloud-notice').getAttribute('role'), { timeout: 30_000 })
      .toBe('status');
    await expect
      .poll(() => card.locator('tr[data-class="vcpu"] td[data-field="allocatable"]').textContent(), {
        timeout: 30_000,
      })
      .toContain('128');
    // Block storage and public IPs are not reported by Kubernetes: entered by the admin.
    await card.getByTestId('cloud-edit-capacity').click();
    await card.locator('input[name="capacity-block-storage"]').fill('20000');
    await card.locator('input[name="capacity-public-ip"]').fill('16');
    await card.getByTestId('cloud-capacity-save').click();
    await expect
      .poll(() => card.locator('tr[data-class="block-storage"] td[data-field="capacity"]').textContent(), {
        timeout: 30_000,
      })
      .toContain('20,000');
    await card.getByTestId('cloud-bars').waitFor({ timeout: 30_000 });
    await expect
      .poll(() => card.getByTestId('cloud-bars').getAttribute('data-state'), { timeout: 30_000 })
      .toBe('ready');
    await page.screenshot({ path: join(shots, 'quotas-clouds-en.png'), fullPage: true });

    // 锦江区's quota on the cloud (below the city's allocatable).
    const q = await cityAdmin.send('PUT', '/api/v1/quotas/org-unit-quotas', {
      cloudId: CLOUD,
      orgUnitId: 'sc-cd-jj',
      amounts: { vcpu: 64, memory: 128, 'block-storage': 4000, 'public-ip': 4 },
    });
    expect(q.status, await q.clone().text()).toBeLessThan(300);
  }, 180_000);

  it('the county applicant applies for a catalogue package; bad input is refused with the reason', async () => {
    const page = await newPage('en-US');
    await signIn(page, '/quotas/requests/new', 'jj-applicant');
    await page.getByTestId('request-form').waitFor({ timeout: 30_000 });
    await page.getByTestId('request-cloud').selectOption(CLOUD);
    await page.getByTestId('request-project-new').check();
    await page.getByTestId('request-new-id').fill(PROJECT);
    await page.getByTestId('request-new-name').fill('锦江区门户网站');

    // Custom amounts first: a fraction of a whole-unit class is named before anything is sent.
    await page.getByTestId('request-mode-custom').check();
    await page.locator('[data-testid="request-amount"][data-class="vcpu"]').fill('2.5');
    await expect
      .poll(() => page.locator('[data-testid="request-amount-issue"][data-class="vcpu"]').textContent(), {
        timeout: 10_000,
      })
      .toContain('Whole units only');

    // The package: 中型业务系统, 32 vCPU + 64 GiB + 1000 GiB + 1 IP = 3,240 CNY a month, above the
    // auto-approval threshold (2,000), so the city must approve it.
    await page.getByTestId('request-mode-package').check();
    await page.getByTestId('request-package').selectOption('medium-business');
    await page.getByTestId('request-quantity').fill('1');
    await expect
      .poll(() => page.getByTestId('request-cost').getAttribute('data-value'), { timeout: 10_000 })
      .toBe('3240');
    await page.getByTestId('request-justification').fill('锦江区政务服务门户上线，需要中型业务系统资源。');

    // A duration beyond the policy's longest: the API refuses, the page shows its reason.
    await page.getByTestId('request-duration').fill('5000');
    await page.getByTestId('request-submit').click();
    await page.getByTestId('request-error').waitFor({ timeout: 30_000 });
    expect((await page.getByTestId('request-error').textContent())?.trim().length).toBeGreaterThan(10);
    expect(page.url()).toContain('/quotas/requests/new');

    await page.getByTestId('request-duration').fill('365');
    await page.getByTestId('request-submit').click();
    await page.waitForURL(/\/quotas\/requests\/[^/]+$/, { timeout: 30_000 });
    requestId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    expect(requestId).not.toBe('new');
    await expect
      .poll(() => page.getByTestId('request-detail').getAttribute('data-status'), { timeout: 30_000 })
      .toBe('pending');
    await expect
      .poll(() => page.locator('[data-testid="request-steps"] li').first().getAttribute('data-state'), {
        timeout: 30_000,
      })
      .toBe('waiting');
    await page.screenshot({ path: join(shots, 'quotas-request-pending-en.png'), fullPage: true });
    // Nothing reached the cluster before the approval.
    expect(fake.state.namespaces.has(NAMESPACE)).toBe(false);
    // The applicant cannot approve it.
    const self = await applicant.send(
      'POST',
      `/api/v1/quotas/requests/${encodeURIComponent(requestId)}/approve`,
      {},
    );
    expect(self.status).toBe(403);
  }, 180_000);

  it('the city admin approves it in the inbox; the quota is enforced on the cluster and kubectl reads it back', async () => {
    const page = await newPage('zh-CN');
    await signIn(page, '/quotas/inbox', 'cd-cloud-admin');
    const item = page.locator(`[data-testid="inbox-item"][data-key="${requestId}"]`);
    await item.waitFor({ timeout: 30_000 });
    // A rejection needs a reason: without one the page says so and nothing is sent.
    await item.getByTestId('inbox-reject').click();
    await item.getByTestId('inbox-error').waitFor({ timeout: 10_000 });
    expect((await apiRequest(cityAdmin, requestId)).status).toBe('pending');
    await item.getByTestId('inbox-text').fill('同意，按中型业务系统分配。');
    await item.getByTestId('inbox-approve').click();
    await item.getByTestId('inbox-done').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(shots, 'quotas-inbox-zh.png'), fullPage: true });

    // The reconcile loop writes it (every 5 s here, and at once after the allocation).
    await expect
      .poll(async () => (await apiRequest(applicant, requestId)).status, { timeout: 90_000, interval: 1_000 })
      .toBe('enforced');

    const quota = await kubectlQuota();
    expect(amountsFromQuantities(quota.spec.hard)).toEqual({ vcpu: 32, memory: 64, 'block-storage': 1000 });
    expect(quota.spec.hard['requests.cpu']).toBe('32');
    expect(quota.spec.hard['requests.memory']).toBe('64Gi');
    const labels = await kubectlNamespaceLabels();
    expect(labels['tianshu.gov.cn/org-unit']).toBe('sc-cd-jj');
    expect(labels['app.kubernetes.io/managed-by']).toBe('tianshu');

    // The applicant's page shows it in force, approved with the city's comment.
    const mine = await newPage('en-US');
    await signIn(mine, `/quotas/requests/${encodeURIComponent(requestId)}`, 'jj-applicant');
    await expect
      .poll(() => mine.getByTestId('request-detail').getAttribute('data-status'), { timeout: 30_000 })
      .toBe('enforced');
    expect(await mine.getByTestId('request-enforcement').getAttribute('data-applied')).toBe('true');
    expect(await mine.getByTestId('request-steps').textContent()).toContain('同意');
    await mine.screenshot({ path: join(shots, 'quotas-request-enforced-en.png'), fullPage: true });

    // The tree: the county's project under 锦江区 with its quota.
    await mine.goto(`${t.cp.url}/quotas/tree?cloud=${CLOUD}`);
    const row = mine.locator(`[data-testid="tree-row"][data-key="project:${PROJECT}"]`);
    await row.waitFor({ timeout: 30_000 });
    expect(await row.locator('td[data-class="vcpu"][data-field="quota"]').textContent()).toContain('32');
    await mine.screenshot({ path: join(shots, 'quotas-tree-en.png'), fullPage: true });
  }, 240_000);

  it('idle usage over the window brings a reclaim proposal, applied when its grace period ends', async () => {
    // The cluster reports little in use (as the quota controller would after pods were admitted) …
    fake.setUsed(NAMESPACE, 'tianshu', {
      'requests.cpu': '2',
      'limits.cpu': '2',
      'requests.memory': '4Gi',
      'limits.memory': '4Gi',
      'requests.storage': '100Gi',
    });
    const rec = await cityAdmin.send('POST', `/api/v1/quotas/clouds/${CLOUD}/reconcile`);
    expect(rec.status, await rec.clone().text()).toBeLessThan(300);
    // … and has for the whole window: samples every 15 minutes over the last day, written through
    // the review's own path with past timestamps (review/testing.ts `idleSamples`).
    const quotas = t.cp.services.modules.use(quotasRef);
    const samples = idleSamples({
      cloudId: CLOUD,
      projectId: PROJECT,
      orgUnitId: 'sc-cd-jj',
      orgPath: '/sc/sc-cd/sc-cd-jj/',
      quota: { vcpu: 32, memory: 64, 'block-storage': 1000 },
      used: { vcpu: 2, memory: 4, 'block-storage': 100 },
      days: 1,
    });
    expect(await quotas.review.recordSamples(samples)).toBeGreaterThan(0);

    // The city admin runs the review from the console: a proposal with its evidence.
    const page = await newPage('en-US');
    await signIn(page, '/quotas/reclaims', 'cd-cloud-admin');
    await page.getByTestId('reclaims-review').click();
    await page.getByTestId('reclaims-notice').waitFor({ timeout: 60_000 });
    const item = page.locator('[data-testid="reclaim-item"][data-status="proposed"]');
    await item.first().waitFor({ timeout: 30_000 });
    expect(await item.count()).toBe(1);
    expect(
      await item.locator('[data-testid="reclaim-evidence"] tr[data-class="vcpu"]').textContent(),
    ).toContain('32');
    const reclaimId = (await item.getAttribute('data-key'))!;
    await page.screenshot({ path: join(shots, 'quotas-reclaim-proposed-en.png'), fullPage: true });

    // The owner sees it too, with the way to decline it (which needs a reason).
    const owner = await newPage('zh-CN');
    await signIn(owner, '/quotas/reclaims', 'jj-applicant');
    const theirs = owner.locator(`[data-testid="reclaim-item"][data-key="${reclaimId}"]`);
    await theirs.waitFor({ timeout: 30_000 });
    await theirs.getByTestId('reclaim-decline').click();
    await theirs.getByTestId('reclaim-error').waitFor({ timeout: 10_000 });
    await owner.screenshot({ path: join(shots, 'quotas-reclaim-owner-zh.png'), fullPage: true });

    // After the grace period the review's applier (a job every 15 s) takes it back by itself.
    const proposal = (await (await cityAdmin.get(`/api/v1/quotas/reclaims/${reclaimId}`)).json()) as {
      applyAfter: string;
      proposedAt: string;
    };
    expect(Date.parse(proposal.applyAfter) - Date.parse(proposal.proposedAt)).toBeLessThanOrEqual(
      GRACE_SECONDS * 1000 + 1000,
    );
    await expect
      .poll(
        async () =>
          ((await (await cityAdmin.get(`/api/v1/quotas/reclaims/${reclaimId}`)).json()) as { status: string })
            .status,
        { timeout: 120_000, interval: 2_000 },
      )
      .toBe('applied');

    await page.getByTestId('reclaims-status').selectOption('applied');
    const applied = page.locator(
      `[data-testid="reclaim-item"][data-key="${reclaimId}"][data-status="applied"]`,
    );
    await applied.waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(shots, 'quotas-reclaim-applied-en.png'), fullPage: true });

    // The cluster has the smaller quota: kubectl reads it back below what was allocated.
    await cityAdmin.send('POST', `/api/v1/quotas/clouds/${CLOUD}/reconcile`);
    await expect
      .poll(async () => amountsFromQuantities((await kubectlQuota()).spec.hard)['vcpu'], {
        timeout: 60_000,
        interval: 1_000,
      })
      .toBeLessThan(32);
    const after = amountsFromQuantities((await kubectlQuota()).spec.hard);
    expect(after['vcpu']).toBeGreaterThanOrEqual(2);
    expect(after['memory']).toBeLessThan(64);
  }, 300_000);

  it('showback and scorecards show the month; no page threw', async () => {
    const page = await newPage('zh-CN');
    await signIn(page, '/quotas/showback', 'cd-cloud-admin');
    await page.getByTestId('showback-table').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(shots, 'quotas-showback-zh.png'), fullPage: true });
    await page.goto(`${t.cp.url}/quotas/scorecards`);
    await page.locator('[data-testid="scorecards-table"], [data-testid="scorecards-empty"]').first().waitFor({
      timeout: 30_000,
    });
    await page.screenshot({ path: join(shots, 'quotas-scorecards-zh.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
  }, 120_000);
});
