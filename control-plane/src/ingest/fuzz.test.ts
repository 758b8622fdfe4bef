import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeHostMetrics, type Series } from '@tianshu/protocol';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type TestControlPlane,
} from '../../../test/support/control-plane.js';

/**
 * Fuzzing the report endpoint, the decoder of everything agents send: mutated JSON (type swaps,
 * removed and extra fields, extreme numbers, deep nesting) and mutated bytes (bit flips,
 * truncation, garbage, broken gzip) must each get a 4xx with a message — never a 5xx, never a
 * crash — and must not disturb what was already stored. Seeded, so a failure reproduces.
 */
let t: TestControlPlane;
let agentId: string;
let auth: string;

function prng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x1_0000_0000;
  };
}

/** A valid batch of two samples, in the columnar encoding (current agents) or the series shape (older ones). */
const validBatch = (columnar = false) => {
  const series: Series[] = [
    { name: 'node_load1', labels: { cpu: 'all' }, points: [[Date.now(), 1.25]] },
    { name: 'node_memory_total_bytes', labels: {}, points: [[Date.now(), 8e9]] },
  ];
  return {
    batchId: randomUUID(),
    sequence: 1,
    createdAt: new Date().toISOString(),
    payloads: [columnar ? encodeHostMetrics('fuzz', series) : { kind: 'host-metrics', host: 'fuzz', series }],
  };
};

const WEIRD: unknown[] = [
  null,
  true,
  -1,
  1e308,
  -0,
  2 ** 53 + 1,
  '',
  'x'.repeat(300),
  [],
  {},
  [[]],
  { __proto__: { a: 1 } },
  '\u0000',
  '💥',
  NaN,
];

function mutateValue(rand: () => number, v: unknown, depth = 0): unknown {
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)]!;
  if (rand() < 0.15 || depth > 6) return pick(WEIRD);
  if (Array.isArray(v)) {
    const a = v.map((x) => (rand() < 0.3 ? mutateValue(rand, x, depth + 1) : x));
    if (rand() < 0.2) a.push(pick(WEIRD));
    if (rand() < 0.1) a.length = 0;
    return a;
  }
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = { ...(v as Record<string, unknown>) };
    for (const k of Object.keys(o)) {
      if (rand() < 0.3) o[k] = mutateValue(rand, o[k], depth + 1);
      if (rand() < 0.05) delete o[k];
    }
    if (rand() < 0.1)
      o[pick(['extra', 'kind', '__proto__', 'constructor', 'points', 'encoding', 't', 'v'])] = pick(WEIRD);
    return o;
  }
  return rand() < 0.5 ? pick(WEIRD) : v;
}

function mutateBytes(rand: () => number, b: Buffer): Buffer {
  const out = Buffer.from(b);
  const op = Math.floor(rand() * 4);
  if (op === 0) {
    for (let i = 0; i < 1 + rand() * 8; i++) {
      const at = Math.floor(rand() * out.length);
      out[at] = (out[at] ?? 0) ^ (1 << Math.floor(rand() * 8));
    }
  }
  if (op === 1) return out.subarray(0, Math.floor(rand() * out.length));
  if (op === 2)
    return Buffer.concat([
      out.subarray(0, Math.floor(rand() * out.length)),
      Buffer.from(Array.from({ length: 64 }, () => Math.floor(rand() * 256))),
    ]);
  if (op === 3) return Buffer.from('['.repeat(20_000));
  return out;
}

async function post(body: Buffer | string, gzip: boolean): Promise<Response> {
  return t.request(`/api/v1/agents/${agentId}/reports`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: auth,
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
    },
    body,
  });
}

beforeAll(async () => {
  t = await startTestControlPlane();
  const admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  const tok = (await (
    await admin.send('POST', '/api/v1/fleet/enrolment-tokens', { name: 'fuzz', orgUnitId: 'sc' })
  ).json()) as { token: string };
  const res = await t.request('/api/v1/fleet/enrol', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: tok.token, hostname: 'fuzz', roles: ['host'], version: '1' }),
  });
  const body = (await res.json()) as { agentId: string; credential: string };
  agentId = body.agentId;
  auth = `Bearer ${agentId}.${body.credential}`;
}, 240_000);
afterAll(async () => {
  await t?.close();
});

describe('report endpoint under fuzzing', () => {
  it('answers every mutated batch with 200 or a 4xx with a message, and stores exactly the accepted ones', async () => {
    const rand = prng(20261122);
    let stored = 0;
    const statuses = new Map<number, number>();
    const shapes = { columnar: 0, series: 0 };
    for (let i = 0; i < 400; i++) {
      const columnar = rand() < 0.5;
      const batch = validBatch(columnar);
      const structural = rand() < 0.6;
      const json = JSON.stringify(structural ? mutateValue(rand, batch) : batch);
      const gzip = rand() < 0.5;
      let body: Buffer = gzip ? gzipSync(json) : Buffer.from(json);
      if (!structural) body = mutateBytes(rand, body);
      const res = await post(body, gzip);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      expect([200, 400, 413], `iteration ${i}: ${res.status}`).toContain(res.status);
      const answer = (await res.json()) as {
        samples?: number;
        duplicate?: boolean;
        error?: { message: string };
      };
      if (res.status === 200) {
        if (!answer.duplicate) stored += answer.samples!;
        shapes[columnar ? 'columnar' : 'series']++;
      } else {
        expect(answer.error!.message.length, `iteration ${i}`).toBeGreaterThan(5);
      }
    }
    // Both outcomes occurred, so the fuzzer exercised acceptance and rejection.
    expect(statuses.get(400)).toBeGreaterThan(50);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
    // Both encodings were accepted at least once.
    expect(shapes.columnar).toBeGreaterThan(0);
    expect(shapes.series).toBeGreaterThan(0);
    for (const columnar of [false, true]) {
      const ok = await post(JSON.stringify(validBatch(columnar)), false);
      expect(ok.status).toBe(200);
      stored += 2;
    }
    const rows = await t.cp.services.telemetry.query<{ n: string }>(
      'SELECT count() AS n FROM host_metrics WHERE agent_id = {a:String}',
      { a: agentId },
    );
    expect(Number(rows[0]!.n)).toBe(stored);
  }, 120_000);

  it('refuses a columnar payload with a bad element, naming it, and stores nothing of the batch', async () => {
    const batch = validBatch(true);
    const payload = batch.payloads[0] as { v: unknown[]; seriesName: unknown[] };
    payload.v[1] = 'x';
    const res = await post(JSON.stringify(batch), false);
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/payloads\.0\.v\.1|"v",1|v\[1\]/);
    const index = validBatch(true);
    (index.payloads[0] as { seriesName: number[] }).seriesName[0] = 7;
    const bad = await post(JSON.stringify(index), false);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/must be an index into names/);
    const nul = validBatch(true);
    (nul.payloads[0] as { names: string[] }).names[0] = 'a\u0000';
    const refused = await post(JSON.stringify(nul), false);
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/NUL/);
  });

  it('rejects JSON bombs and oversize bodies without exhausting memory', async () => {
    const bomb = gzipSync(Buffer.alloc(80 * 1024 * 1024, 0x20)); // 80 MiB of spaces, ~80 kB compressed
    const res = await post(bomb, true);
    expect(res.status).toBe(413);
    expect(await res.text()).toMatch(/larger than/);
  });
});
