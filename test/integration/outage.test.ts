import { readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, freePort } from '../support/postgres.js';
import {
  AGENT_CLI,
  CP_MAIN,
  assertBuilt,
  eventually,
  httpLogin,
  startProcess,
  type Proc,
} from '../support/process.js';
import { TEST_PASSWORD_HASH_ENV } from '../support/control-plane.js';

/**
 * The outage test: a real agent process reports to a real control plane (PostgreSQL server for
 * state, chDB for telemetry); the control plane is stopped for 60 s while the agent keeps
 * collecting, then restarted. Every batch produced during the outage must be stored exactly once:
 * no sequence missing, none stored twice, and the telemetry rows equal the acknowledged samples.
 */
const OUTAGE_MS = 60_000;
const PASSWORD = 'outage-admin-password';
let dataDir: string;
let dbUrl: string;
let base: string;
let cpEnv: Record<string, string>;
let cp: Proc | undefined;
let agent: Proc | undefined;

const queued = () => readdirSync(join(dataDir, 'agent', 'queue')).filter((f) => /^\d+\.json$/.test(f)).length;

async function batches(): Promise<{ sequence: number; samples: number; batch_id: string }[]> {
  const c = new pg.Client({ connectionString: dbUrl });
  await c.connect();
  try {
    const r = await c.query(
      'SELECT sequence::int AS sequence, samples, batch_id FROM agent_batches ORDER BY sequence',
    );
    return r.rows as { sequence: number; samples: number; batch_id: string }[];
  } finally {
    await c.end();
  }
}

beforeAll(async () => {
  assertBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'tianshu-outage-'));
  dbUrl = await createDatabase(inject('postgresUrl'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  cpEnv = {
    TIANSHU_DATA_DIR: dataDir,
    TIANSHU_DATABASE_URL: dbUrl,
    TIANSHU_PORT: String(port),
    TIANSHU_HOST: '127.0.0.1',
    TIANSHU_ADMIN_PASSWORD: PASSWORD,
    ...TEST_PASSWORD_HASH_ENV,
    TIANSHU_FLEET_HEARTBEAT_INTERVAL_SECONDS: '1',
    TIANSHU_FLEET_HOST_INTERVAL_SECONDS: '1',
    TIANSHU_FLEET_FLUSH_INTERVAL_SECONDS: '1',
  };
  cp = startProcess([CP_MAIN, 'serve'], cpEnv, 'control-plane');
  await cp.waitFor(/Tianshu console: http/, 60_000);
  const admin = await httpLogin(base, 'admin', PASSWORD);
  const tok = await admin.post<{ token: string }>('/api/v1/fleet/enrolment-tokens', {
    name: 'outage',
    orgUnitId: 'province',
  });
  expect(tok.status).toBe(201);
  const stateDir = join(dataDir, 'agent');
  const enrol = startProcess(
    [AGENT_CLI, 'enrol', '--server', base, '--token', tok.body.token, '--state-dir', stateDir],
    {},
    'enrol',
  );
  expect(await enrol.exited()).toBe(0);
  agent = startProcess(
    [AGENT_CLI, 'run', '--state-dir', stateDir],
    { TIANSHU_AGENT_RETRY_MAX_SECONDS: '2' },
    'agent',
  );
}, 120_000);

afterAll(async () => {
  await agent?.stop();
  await cp?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('control-plane outage', () => {
  it('stores every batch produced during a 60 s outage exactly once after restart', async () => {
    await eventually(async () => (await batches()).length >= 3, 60_000);
    expect(await cp!.stop('SIGTERM')).toBe(0);
    const lastBefore = Math.max(...(await batches()).map((b) => b.sequence));

    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    const pendingDuringOutage = queued();
    // One batch a second: the queue must hold most of the minute's batches.
    expect(pendingDuringOutage).toBeGreaterThanOrEqual(30);

    cp = startProcess([CP_MAIN, 'serve'], cpEnv, 'control-plane');
    await cp.waitFor(/Tianshu console: http/, 60_000);
    await eventually(async () => queued() <= 1, 90_000, 500);
    // Let one more batch through, so the replay is followed by live reporting.
    const replayedUpTo = lastBefore + pendingDuringOutage;
    await eventually(
      async () => Math.max(...(await batches()).map((b) => b.sequence)) > replayedUpTo,
      30_000,
    );
    await agent!.stop('SIGTERM');

    const stored = await batches();
    const seqs = stored.map((b) => b.sequence);
    // Nothing lost: the sequences form one unbroken run across the outage.
    const first = seqs[0]!;
    expect(seqs).toEqual(Array.from({ length: seqs.length }, (_, i) => first + i));
    expect(seqs).toContain(lastBefore + 1);
    expect(Math.max(...seqs)).toBeGreaterThan(replayedUpTo);
    // Nothing stored twice: telemetry rows equal the acknowledged samples.
    const admin = await httpLogin(base, 'admin', PASSWORD);
    const agents = await admin.get<{ items: { id: string; queue: { droppedBatches: number } | null }[] }>(
      '/api/v1/agents',
    );
    const agentId = agents.body.items[0]!.id;
    expect(agentId).toBeTruthy();
    expect(agents.body.items[0]!.queue?.droppedBatches ?? 0).toBe(0);
    const totalSamples = stored.reduce((n, b) => n + b.samples, 0);
    await cp!.stop('SIGTERM');
    const { ChdbTelemetryStore } = await import('../../control-plane/src/store/telemetry/index.js');
    const tel = new ChdbTelemetryStore({ dataDir });
    try {
      const r = await tel.query<{ n: string }>('SELECT count() AS n FROM host_metrics');
      expect(Number(r[0]!.n)).toBe(totalSamples);
    } finally {
      await tel.close();
    }
  }, 300_000);
});
