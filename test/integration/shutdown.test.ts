import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/postgres.js';
import { reportBatch, slowUpload } from '../support/http.js';
import { CP_MAIN, assertBuilt, httpLogin, startProcess, type Proc } from '../support/process.js';
import { TEST_PASSWORD_HASH_ENV } from '../support/control-plane.js';

/**
 * SIGTERM to the built control plane (embedded stores): a report batch in flight when the signal
 * arrives completes with 200, /readyz answers 503 on an open keep-alive connection, new connections
 * are refused, and the process exits 0 once the request is done.
 */
const PASSWORD = 'shutdown-admin-password';
let dataDir: string;
let base: string;
let cp: Proc | undefined;

beforeAll(async () => {
  assertBuilt();
  dataDir = mkdtempSync(join(tmpdir(), 'tianshu-shutdown-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  cp = startProcess(
    [CP_MAIN, 'serve'],
    {
      TIANSHU_DATA_DIR: dataDir,
      TIANSHU_PORT: String(port),
      TIANSHU_HOST: '127.0.0.1',
      TIANSHU_ADMIN_PASSWORD: PASSWORD,
      ...TEST_PASSWORD_HASH_ENV,
      TIANSHU_SHUTDOWN_GRACE_SECONDS: '20',
      TIANSHU_INVENTORY_FILE: join(process.cwd(), 'control-plane/inventory/demo-province.yaml'),
      TIANSHU_SNMP_CREDENTIALS_FILE: join(
        process.cwd(),
        'control-plane/inventory/demo-snmp-credentials.yaml',
      ),
    },
    'control-plane',
  );
  await cp.waitFor(/Tianshu console: http/, 90_000);
}, 120_000);

afterAll(async () => {
  await cp?.stop('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

function refused(): Promise<boolean> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const s = connect({ host: hostname, port: Number(port) });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('SIGTERM', () => {
  it('finishes a report in flight with 200, refuses new connections and exits 0', async () => {
    const admin = await httpLogin(base, 'admin', PASSWORD);
    const tok = await admin.post<{ token: string }>('/api/v1/fleet/enrolment-tokens', {
      name: 'shutdown',
      orgUnitId: 'sc',
      roles: ['host'],
      maxUses: 1,
    });
    expect(tok.status).toBe(201);
    const enrolled = await fetch(`${base}/api/v1/fleet/enrol`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        token: tok.body.token,
        hostname: 'sigterm-host',
        roles: ['host'],
        version: '0.1.0',
      }),
    });
    expect(enrolled.status).toBe(201);
    const { agentId, credential } = (await enrolled.json()) as { agentId: string; credential: string };

    const batch = reportBatch(20_000);
    const upload = slowUpload(
      `${base}/api/v1/agents/${agentId}/reports`,
      { authorization: `Bearer ${agentId}.${credential}` },
      JSON.stringify(batch),
    );
    await new Promise((r) => setTimeout(r, 300));

    const exited = cp!.exited();
    cp!.proc.kill('SIGTERM');
    await cp!.waitFor(/shutting down/, 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(await refused()).toBe(true);

    upload.finish();
    const res = await upload.response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ batchId: batch.batchId, duplicate: false, samples: 20_000 });
    expect(await exited).toBe(0);
    expect(cp!.output()).toMatch(/http server stopped/);
  });
});
