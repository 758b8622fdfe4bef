import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../support/control-plane.js';
import { canMount, mountTmpfs, type Tmpfs } from '../support/tmpfs.js';
import { eventually } from '../support/process.js';

/**
 * A full data directory: the embedded stores (PGlite + chDB) live on a small real tmpfs that the
 * test fills up with a file. Writes must fail with `storage.full` naming the store (507 for the
 * console, 503 + Retry-After for agent reports), /readyz must turn unready naming the store, the
 * status route must show the condition meanwhile, and once space returns the storage-full alarm is
 * recorded (fired and resolved) and nothing acknowledged earlier is lost.
 */
let fs: Tmpfs | undefined;
let t: TestControlPlane;
let admin: Session;

const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

function batch(samples: number, t0 = Date.now()) {
  return {
    batchId: randomUUID(),
    sequence: 1,
    createdAt: new Date().toISOString(),
    payloads: [
      {
        kind: 'host-metrics' as const,
        host: 'full-disk-host',
        series: [
          {
            name: 'node_load1',
            labels: {},
            points: Array.from({ length: samples }, (_, i) => [t0 + i * 1000, i / 10]),
          },
        ],
      },
    ],
  };
}

async function enrolAgent(): Promise<{ agentId: string; auth: string }> {
  const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: 'full-disk',
    orgUnitId: 'sc',
    roles: ['host'],
    maxUses: 1,
  });
  expect(tok.status).toBe(201);
  const { token } = (await tok.json()) as { token: string };
  const res = await t.request(
    '/api/v1/fleet/enrol',
    json({ token, hostname: 'full-disk-host', roles: ['host'], version: '0.1.0' }),
  );
  expect(res.status).toBe(201);
  const body = (await res.json()) as { agentId: string; credential: string };
  return { agentId: body.agentId, auth: `Bearer ${body.agentId}.${body.credential}` };
}

describe.skipIf(!canMount)('a full data directory (embedded stores on a small tmpfs)', () => {
  beforeAll(async () => {
    fs = mountTmpfs('tianshu-full-', '160m');
  });
  afterEach(async () => {
    await t?.close();
    fs?.empty();
  });
  afterAll(() => {
    fs?.unmount();
  });

  it('answers storage.full (507 / 503 for reports), turns unready, alarms after space returns, loses nothing', async () => {
    // No free-space threshold: only the failed writes themselves can show that the disk is full.
    t = await startTestControlPlane({
      dataDir: fs!.dir,
      overrides: { storage: { minFreeMegabytes: 0, checkIntervalSeconds: 1 } },
    });
    admin = await login(t.request, 'admin', ADMIN_PASSWORD);
    const agent = await enrolAgent();
    const report = (b: ReturnType<typeof batch>) =>
      t.request(`/api/v1/agents/${agent.agentId}/reports`, json(b, { authorization: agent.auth }));

    // Acknowledged before the disk fills.
    const before = batch(500, Date.now() - 3_600_000);
    expect((await report(before)).status).toBe(200);
    const tokenBefore = await admin.send('POST', '/api/v1/auth/tokens', { name: 'before-full' });
    expect(tokenBefore.status).toBe(201);
    expect((await t.request('/readyz')).status).toBe(200);

    fs!.fill(4096);

    // An agent report: the telemetry insert needs space; the agent is told to retry later.
    const during = batch(500);
    const refused = await report(during);
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    const refusedBody = (await refused.json()) as {
      error: { code: string; message: string; details?: { path: string; message: string }[] };
    };
    expect(refusedBody.error.code).toBe('storage.full');
    expect(refusedBody.error.details?.[0]?.path).toBe('telemetry');
    expect(JSON.stringify(refusedBody)).not.toMatch(/at .*\.js|\/tmp\//);

    // Console writes: every answer is 201 or 507 storage.full naming the state store, never a 500.
    const acknowledged: string[] = [];
    let full: Response | undefined;
    for (let i = 0; i < 400 && !full; i++) {
      const res = await admin.send('POST', '/api/v1/auth/tokens', { name: `during-${i}-${'x'.repeat(150)}` });
      if (res.status === 201) acknowledged.push(((await res.json()) as { id: string }).id);
      else full = res;
    }
    expect(full?.status).toBe(507);
    const fullBody = (await full!.json()) as {
      error: { code: string; details?: { path: string; message: string }[] };
    };
    expect(fullBody.error.code).toBe('storage.full');
    expect(fullBody.error.details?.[0]?.path).toBe('state');

    // Readiness names both stores and the reason.
    const ready = await t.request('/readyz');
    expect(ready.status).toBe(503);
    const readyBody = (await ready.json()) as { status: string; checks: Record<string, string> };
    expect(readyBody.status).toBe('unready');
    expect(readyBody.checks.state).toMatch(/storage full|space/i);
    expect(readyBody.checks.telemetry).toMatch(/storage full|space/i);

    // Meanwhile the status route shows the condition (the alarm cannot be stored yet).
    const status = await admin.get('/api/v1/status');
    expect(status.status).toBe(200);
    const statusBody = (await status.json()) as {
      storage: { store: string; reason: string; since: string; alarm: string }[];
    };
    expect(statusBody.storage.map((c) => c.store).sort()).toEqual(['state', 'telemetry']);
    for (const c of statusBody.storage) {
      expect(c.reason).toMatch(/space|full/i);
      // The alarm cannot be stored while the state store is full: it waits in memory.
      expect(c.alarm).toBe('pending');
    }

    // Space returns: readiness recovers by itself (write probes), the alarm is recorded.
    fs!.empty();
    await eventually(async () => (await t.request('/readyz')).status === 200, 30_000, 250);
    const alarms = await eventually(async () => {
      const res = await admin.get('/api/v1/alarms?state=all&kind=storage-full');
      const body = (await res.json()) as {
        items: {
          targetId: string;
          state: string;
          severity: string;
          startsAt: string;
          endsAt: string | null;
        }[];
      };
      return body.items.filter((a) => a.state === 'resolved').length >= 2 ? body.items : undefined;
    }, 30_000);
    expect(alarms.map((a) => a.targetId).sort()).toEqual(['state', 'telemetry']);
    for (const a of alarms) {
      expect(a.severity).toBe('critical');
      expect(a.endsAt).not.toBeNull();
    }
    expect((await admin.get('/api/v1/status')).status).toBe(200);
    expect(((await (await admin.get('/api/v1/status')).json()) as { storage: unknown[] }).storage).toEqual(
      [],
    );

    // The refused batch is accepted on retry; nothing acknowledged earlier is lost.
    const retried = await report(during);
    expect(retried.status).toBe(200);
    expect(await retried.json()).toMatchObject({ duplicate: false, samples: 500 });
    const rows = await t.cp.services.telemetry.query<{ n: string }>(
      `SELECT toUInt32(count()) AS n FROM host_metrics WHERE agent_id = {a:String}`,
      { a: agent.agentId },
    );
    expect(Number(rows[0]!.n)).toBe(1000);
    const tokens = (await (await admin.get('/api/v1/auth/tokens')).json()) as { items: { id: string }[] };
    const ids = new Set(tokens.items.map((x) => x.id));
    expect(ids.has(((await tokenBefore.json()) as { id: string }).id)).toBe(true);
    for (const id of acknowledged) expect(ids.has(id)).toBe(true);
  });
});
