import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  startFakeClickHouseServer,
  type FakeClickHouseServer,
} from '../../control-plane/src/store/telemetry/fake-clickhouse-server.js';
import { createDatabase, freePort } from '../support/postgres.js';
import { CP_MAIN, assertBuilt, httpLogin, startProcess, type Proc } from '../support/process.js';
import { TEST_PASSWORD_HASH_ENV } from '../support/control-plane.js';

/**
 * The scaled mode with processes on this machine: two control-plane replicas share one PostgreSQL
 * server and one ClickHouse HTTP endpoint. ClickHouse server cannot run here, so the telemetry side is
 * the ClickHouse HTTP test double (backed by chDB, the ClickHouse engine); PostgreSQL is real.
 */
const PASSWORD = 'scaled-admin-password';
// A 32-byte key (64 hex digits), the same for both replicas.
const SECRET_KEY = 'a1'.repeat(32);
let dbUrl: string;
let ch: FakeClickHouseServer;
const replicas: { proc: Proc; base: string; dataDir: string }[] = [];

beforeAll(async () => {
  assertBuilt();
  dbUrl = await createDatabase(inject('postgresUrl'));
  ch = await startFakeClickHouseServer({ username: 'tianshu', password: 'ch-secret' });
  // Both replicas start at once on the empty database: bootstrap must not race.
  for (let i = 0; i < 2; i++) {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), `tianshu-replica-${i}-`));
    const proc = startProcess(
      [CP_MAIN, 'serve'],
      {
        TIANSHU_DATA_DIR: dataDir,
        TIANSHU_PORT: String(port),
        TIANSHU_HOST: '127.0.0.1',
        TIANSHU_DATABASE_URL: dbUrl,
        TIANSHU_CLICKHOUSE_URL: ch.url,
        TIANSHU_CLICKHOUSE_USER: 'tianshu',
        TIANSHU_CLICKHOUSE_PASSWORD: 'ch-secret',
        TIANSHU_ADMIN_PASSWORD: PASSWORD,
        ...TEST_PASSWORD_HASH_ENV,
        TIANSHU_INVENTORY_FILE: join(CP_MAIN, '../../inventory/demo-province.yaml'),
        // The demo's devices name these credentials; replicas share the key that seals them.
        TIANSHU_SNMP_CREDENTIALS_FILE: join(CP_MAIN, '../../inventory/demo-snmp-credentials.yaml'),
        TIANSHU_SECRET_KEY: SECRET_KEY,
      },
      `replica-${i}`,
    );
    replicas.push({ proc, base: `http://127.0.0.1:${port}`, dataDir });
  }
  await Promise.all(replicas.map((r) => r.proc.waitFor(/Tianshu console: http/, 120_000)));
}, 180_000);

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.proc.stop()));
  await ch?.stop();
  for (const r of replicas) rmSync(r.dataDir, { recursive: true, force: true });
});

async function sql<T>(text: string): Promise<T[]> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    return (await c.query(text)).rows as T[];
  } finally {
    await c.end();
  }
}

describe('two replicas on shared stores', () => {
  it('bootstrap ran once: one admin, one copy of the inventory, each migration once', async () => {
    expect(await sql('SELECT username FROM users')).toEqual([{ username: 'admin' }]);
    const units = await sql<{ n: string }>('SELECT count(*) AS n FROM org_units');
    expect(Number(units[0]!.n)).toBeGreaterThan(10);
    const creates = await sql<{ n: string }>(
      `SELECT count(*) AS n FROM audit_log WHERE action = 'org-unit.create'`,
    );
    expect(Number(creates[0]!.n)).toBe(Number(units[0]!.n));
    const migrations = await sql<{ id: number; n: string }>(
      'SELECT id, count(*) AS n FROM schema_migrations GROUP BY id',
    );
    for (const m of migrations) expect(Number(m.n)).toBe(1);
    // Exactly one replica printed the first-start notice... and neither generated a password.
    expect(replicas.filter((r) => r.proc.output().includes('First start')).length).toBe(0);
  });

  it('is stateless: a session from one replica works on the other', async () => {
    const s = await httpLogin(replicas[0]!.base, 'admin', PASSWORD);
    const res = await fetch(`${replicas[1]!.base}/api/v1/auth/me`, { headers: { cookie: s.cookie } });
    expect(res.status).toBe(200);
  });

  it('stores a batch once even when it is replayed to the other replica', async () => {
    const s = await httpLogin(replicas[0]!.base, 'admin', PASSWORD);
    const tok = await s.post<{ token: string }>('/api/v1/fleet/enrolment-tokens', {
      name: 'scaled',
      orgUnitId: 'sc',
    });
    const en = await fetch(`${replicas[1]!.base}/api/v1/fleet/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: tok.body.token, hostname: 'scaled-host', roles: ['host'], version: '1' }),
    });
    const { agentId, credential } = (await en.json()) as { agentId: string; credential: string };
    const batch = JSON.stringify({
      batchId: randomUUID(),
      sequence: 1,
      createdAt: new Date().toISOString(),
      payloads: [
        {
          kind: 'host-metrics',
          host: 'scaled-host',
          series: [
            {
              name: 'node_load1',
              labels: {},
              points: Array.from({ length: 25 }, (_, i) => [Date.now() - i * 1000, i]),
            },
          ],
        },
      ],
    });
    const post = (base: string) =>
      fetch(`${base}/api/v1/agents/${agentId}/reports`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${agentId}.${credential}` },
        body: batch,
      }).then(async (r) => ({ status: r.status, body: (await r.json()) as { duplicate: boolean } }));
    const [a, b] = [await post(replicas[0]!.base), await post(replicas[1]!.base)];
    expect(a).toEqual({ status: 200, body: expect.objectContaining({ duplicate: false }) });
    expect(b).toEqual({ status: 200, body: expect.objectContaining({ duplicate: true }) });
    const chart = await s.get<{ series: { load1: [number, number][] } }>(
      `/api/v1/hosts/${agentId}/metrics?range=15m`,
    );
    expect(chart.status).toBe(200);
    const count = await fetch(
      `${ch.url}/?query=${encodeURIComponent(`SELECT count() FROM host_metrics WHERE agent_id = '${agentId}'`)}`,
      {
        headers: { 'x-clickhouse-user': 'tianshu', 'x-clickhouse-key': 'ch-secret' },
      },
    );
    expect((await count.text()).trim()).toBe('25');
  });
});
