import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/postgres.js';
import { CP_MAIN, assertBuilt, eventually, httpLogin, startProcess, type Proc } from '../support/process.js';
import { TEST_PASSWORD_HASH_ENV } from '../support/control-plane.js';

/**
 * The README's start command in embedded mode, as a real process: PGlite + chDB under a data dir, the
 * demo province, and a host agent for this machine enrolled automatically. Then a restart on the same
 * data dir keeps everything.
 */
const PASSWORD = 'embedded-admin-password';
let dataDir: string;
let port: number;
let base: string;
let cp: Proc | undefined;

const env = () => ({
  TIANSHU_DATA_DIR: dataDir,
  TIANSHU_PORT: String(port),
  TIANSHU_HOST: '127.0.0.1',
  TIANSHU_ADMIN_PASSWORD: PASSWORD,
  ...TEST_PASSWORD_HASH_ENV,
  TIANSHU_FLEET_HEARTBEAT_INTERVAL_SECONDS: '1',
  TIANSHU_FLEET_HOST_INTERVAL_SECONDS: '1',
  TIANSHU_FLEET_FLUSH_INTERVAL_SECONDS: '1',
  TIANSHU_LOG_LEVEL: 'info',
  TIANSHU_NETWORK_POLL_INTERVAL_SECONDS: '5',
});

interface AgentItem {
  id: string;
  roles: string[];
  hostname: string;
  status: string;
  lastSeenAt: string | null;
  latest: { cpuPercent: number | null } | null;
}

beforeAll(async () => {
  assertBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'tianshu-embedded-'));
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  cp = startProcess([CP_MAIN, 'embedded'], env(), 'control-plane');
  await cp.waitFor(/Tianshu console: http/, 90_000);
});
afterAll(async () => {
  await cp?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('embedded mode', () => {
  it('prints the console URL and serves the console', async () => {
    expect(cp!.output()).toContain(`Tianshu console: ${base}/`);
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<ts-app');
    // Client-side routes get the console page too; unknown API paths do not.
    expect((await fetch(`${base}/network/links`)).headers.get('content-type')).toMatch(/text\/html/);
    const unknown = await fetch(`${base}/api/v1/nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'route.not_found' } });
  });

  it('lists the local host agent with lastSeenAt advancing and host figures', async () => {
    const s = await httpLogin(base, 'admin', PASSWORD);
    expect((await fetch(`${base}/api/v1/agents`)).status).toBe(401);
    const first = await eventually(async () => {
      const r = await s.get<{ items: AgentItem[] }>('/api/v1/agents');
      const a = r.body.items.find((x) => x.roles.includes('host'));
      return a && a.status === 'online' && a.lastSeenAt ? a : undefined;
    }, 60_000);
    const later = await eventually(async () => {
      const r = await s.get<{ items: AgentItem[] }>('/api/v1/agents');
      const a = r.body.items.find((x) => x.id === first.id);
      return a && Date.parse(a.lastSeenAt!) > Date.parse(first.lastSeenAt!) ? a : undefined;
    }, 30_000);
    expect(later.hostname).toBe(first.hostname);
    const withFigures = await eventually(async () => {
      const r = await s.get<{ items: AgentItem[] }>('/api/v1/agents');
      const a = r.body.items.find((x) => x.id === first.id);
      return a?.latest?.cpuPercent !== null && a?.latest?.cpuPercent !== undefined ? a : undefined;
    }, 60_000);
    expect(withFigures.latest!.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(withFigures.latest!.cpuPercent).toBeLessThanOrEqual(100);
  });

  it('runs the lab and an edge agent, so the demo extranet is live', async () => {
    const s = await httpLogin(base, 'admin', PASSWORD);
    const agents = await s.get<{ items: AgentItem[] }>('/api/v1/agents');
    expect(agents.body.items.map((a) => a.roles.join(',')).sort()).toEqual(['edge', 'host']);
    const links = await eventually(
      async () => {
        const r = await s.get<{ items: { status: string; active: boolean | null }[] }>(
          '/api/v1/network/links',
        );
        const up = r.body.items.filter((l) => l.status === 'up');
        return up.length >= 20 && r.body.items.some((l) => l.active) ? r.body.items : undefined;
      },
      90_000,
      1000,
    );
    expect(links).toHaveLength(22);
  });

  it('serves /metrics that promtool accepts', async () => {
    const s = await httpLogin(base, 'admin', PASSWORD);
    const tok = await s.post<{ token: string }>('/api/v1/auth/tokens', { name: 'prometheus' });
    expect(tok.status).toBe(201);
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${tok.body.token}` } });
    expect(res.status).toBe(200);
    const text = await res.text();
    for (const m of [
      'tianshu_http_requests_total',
      'tianshu_ingest_batches_total',
      'tianshu_store_operation_duration_seconds',
      'tianshu_agents',
    ]) {
      expect(text).toContain(m);
    }
    const file = join(dataDir, 'metrics.txt');
    writeFileSync(file, text);
    // promtool exits 1 on an invalid exposition and 3 on lint problems (naming, help, units).
    const out = execFileSync('sh', [
      '-c',
      `promtool check metrics < ${file} 2>&1; echo "exit=$?"`,
    ]).toString();
    expect(out).toBe('exit=0\n');
  });

  it('keeps all data across a restart', async () => {
    const s = await httpLogin(base, 'admin', PASSWORD);
    const created = await s.post<{ id: string }>('/api/v1/users', {
      username: 'persist-me',
      displayName: 'Persist',
      password: 'persist-password-1',
      roles: ['auditor'],
      orgUnitId: 'sc-cd',
    });
    expect(created.status).toBe(201);
    const before = await s.get<{ items: AgentItem[] }>('/api/v1/agents');
    const agentId = before.body.items.find((a) => a.roles.includes('host'))!.id;
    const agentIds = before.body.items.map((a) => a.id).sort();
    const metricsBefore = await s.get<{ series: { load1: [number, number][] } }>(
      `/api/v1/hosts/${agentId}/metrics?range=15m`,
    );
    expect(metricsBefore.body.series.load1.length).toBeGreaterThan(0);

    expect(await cp!.stop('SIGTERM')).toBe(0);
    cp = startProcess([CP_MAIN, 'embedded'], env(), 'control-plane');
    await cp.waitFor(/Tianshu console: http/, 90_000);
    expect(cp.output()).not.toContain('First start');

    const again = await httpLogin(base, 'persist-me', 'persist-password-1');
    expect((await again.get<{ items: unknown[] }>('/api/v1/audit')).status).toBe(200);
    const admin = await httpLogin(base, 'admin', PASSWORD);
    const after = await admin.get<{ items: AgentItem[] }>('/api/v1/agents');
    // The same agents (host and edge), no new enrolments.
    expect(after.body.items.map((a) => a.id).sort()).toEqual(agentIds);
    const metricsAfter = await admin.get<{ series: { load1: [number, number][] } }>(
      `/api/v1/hosts/${agentId}/metrics?range=15m`,
    );
    expect(metricsAfter.body.series.load1.length).toBeGreaterThanOrEqual(
      metricsBefore.body.series.load1.length,
    );
    const audit = await admin.get<{ items: { action: string; details: { username?: string } }[] }>(
      '/api/v1/audit?action=user.create&limit=1000',
    );
    expect(audit.body.items.some((e) => e.details.username === 'persist-me')).toBe(true);
    // The same agent identity keeps reporting after the restart.
    await eventually(async () => {
      const r = await admin.get<{ items: AgentItem[] }>('/api/v1/agents');
      const a = r.body.items.find((x) => x.id === agentId)!;
      return Date.parse(a.lastSeenAt!) > Date.now() - 5000 ? a : undefined;
    }, 30_000);
  });
});
