import { connect } from 'node:net';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type TestControlPlane,
} from '../../../test/support/control-plane.js';
import { reportBatch, slowUpload } from '../../../test/support/http.js';

/**
 * Graceful shutdown of a listening control plane: requests in flight when stop() begins finish,
 * /readyz turns unready at once, new connections are refused, SSE streams end cleanly, and stop()
 * resolves within the grace period even when a connection is stuck.
 */
let t: TestControlPlane | undefined;
afterEach(async () => {
  await t?.close().catch(() => undefined);
  t = undefined;
});

async function start(graceSeconds: number): Promise<TestControlPlane> {
  t = await startTestControlPlane({ listen: true, overrides: { shutdownGraceSeconds: graceSeconds } });
  return t;
}

async function enrol(tc: TestControlPlane): Promise<{ agentId: string; auth: string }> {
  const admin = await login(tc.request, 'admin', ADMIN_PASSWORD);
  const tok = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: 'shutdown',
    orgUnitId: 'sc',
    roles: ['host'],
    maxUses: 1,
  });
  const { token } = (await tok.json()) as { token: string };
  const res = await tc.request('/api/v1/fleet/enrol', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, hostname: 'shutdown-host', roles: ['host'], version: '0.1.0' }),
  });
  const body = (await res.json()) as { agentId: string; credential: string };
  return { agentId: body.agentId, auth: `Bearer ${body.agentId}.${body.credential}` };
}

/** Whether a new TCP connection to the server's port is accepted. */
function connects(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect({ host: hostname, port: Number(port) });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stop(): graceful shutdown', () => {
  it('lets a report batch in flight finish with 200, turns /readyz unready at once and refuses new connections', async () => {
    const tc = await start(10);
    const agent = await enrol(tc);
    const batch = reportBatch(5000);
    const upload = slowUpload(
      `${tc.cp.url}/api/v1/agents/${agent.agentId}/reports`,
      {
        authorization: agent.auth,
      },
      JSON.stringify(batch),
    );
    await sleep(200); // the server is reading the body

    const stopping = tc.cp.stop();
    await sleep(50);
    const ready = await tc.request('/readyz');
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.server).toMatch(
      /shutting down/,
    );
    expect(await connects(tc.cp.url)).toBe(false);

    upload.finish();
    const res = await upload.response;
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toEqual({ batchId: batch.batchId, duplicate: false, samples: 5000 });
    await stopping;
  });

  it('ends an open SSE stream cleanly and closes idle keep-alive connections', async () => {
    const tc = await start(10);
    const admin = await login(tc.request, 'admin', ADMIN_PASSWORD);
    const events = await new Promise<{ text: () => string; ended: Promise<'end' | 'error'> }>(
      (resolve, reject) => {
        const req = request(`${tc.cp.url}/api/v1/events`, { headers: { cookie: admin.cookie } });
        req.on('error', reject);
        req.on('response', (res) => {
          let text = '';
          res.setEncoding('utf8');
          const ended = new Promise<'end' | 'error'>((done) => {
            res.on('end', () => done('end'));
            res.on('error', () => done('error'));
            res.on('aborted', () => done('error'));
          });
          res.on('data', (d: string) => {
            text += d;
            if (text.includes('event: hello')) resolve({ text: () => text, ended });
          });
        });
        req.end();
      },
    );
    // An idle keep-alive connection.
    const { Agent } = await import('node:http');
    const keepAlive = new Agent({ keepAlive: true, maxSockets: 1 });
    const socketClosed = await new Promise<Promise<void>>((resolve, reject) => {
      const req = request(`${tc.cp.url}/healthz`, { agent: keepAlive }, (res) => {
        res.resume();
        res.on('end', () => resolve(new Promise<void>((done) => req.socket!.once('close', () => done()))));
      });
      req.on('error', reject);
      req.end();
    });

    const started = Date.now();
    await tc.cp.stop();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await events.ended).toBe('end');
    await socketClosed;
    keepAlive.destroy();
  });

  it('resolves within the grace period when a connection is stuck, closing it', async () => {
    const tc = await start(1);
    const agent = await enrol(tc);
    const stuck = slowUpload(
      `${tc.cp.url}/api/v1/agents/${agent.agentId}/reports`,
      {
        authorization: agent.auth,
      },
      JSON.stringify(reportBatch(100)),
    );
    const outcome = stuck.response.then(
      () => 'answered',
      () => 'closed',
    );
    await sleep(200);
    const started = Date.now();
    await tc.cp.stop();
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(4000);
    expect(await outcome).toBe('closed');
  });
});
