import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enrol, EnrolError, startAgent } from '../../agents/src/index.js';
import { makeTestPki, type TestPki } from '../../agents/src/testing/certs.js';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type TestControlPlane,
} from '../support/control-plane.js';
import { eventually } from '../support/process.js';

/**
 * HTTPS: the control plane serves a certificate signed by a test CA (made with openssl); agents
 * verify it against the configured CA and refuse a server they cannot verify.
 */
let pki: TestPki;
let t: TestControlPlane;
let base: string;
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'tianshu-tls-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  pki = makeTestPki();
  t = await startTestControlPlane({
    listen: true,
    overrides: {
      tls: { certFile: join(pki.dir, 'server.pem'), keyFile: join(pki.dir, 'server.key') },
      fleet: { heartbeatIntervalSeconds: 1, hostIntervalSeconds: 1, flushIntervalSeconds: 1 },
    },
  });
  base = t.cp.url;
}, 120_000);
afterAll(async () => {
  await t?.close();
  for (const d of [...dirs, pki?.dir]) if (d) rmSync(d, { recursive: true, force: true });
});

async function token(): Promise<string> {
  const admin = await login(t.request, 'admin', ADMIN_PASSWORD);
  const res = await admin.send('POST', '/api/v1/fleet/enrolment-tokens', {
    name: 'tls',
    orgUnitId: 'sc',
    maxUses: 5,
  });
  return ((await res.json()) as { token: string }).token;
}

describe('HTTPS between agents and the control plane', () => {
  it('listens on https and sets a Secure session cookie', async () => {
    expect(base).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const res = await t.request('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password: ADMIN_PASSWORD }),
    });
    expect(res.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('refuses to enrol against a certificate the agent cannot verify', async () => {
    const err = await enrol({ server: base, token: await token(), stateDir: tmp(), roles: ['host'] }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(EnrolError);
    expect(String((err as Error).message)).toMatch(/certificate|self.signed|verify/i);
  });

  it('enrols and reports when given the CA', async () => {
    const stateDir = tmp();
    const result = await enrol({
      server: base,
      token: await token(),
      stateDir,
      caFile: pki.caFile,
      roles: ['host'],
    });
    const agent = await startAgent({ stateDir, retryInitialMillis: 100 });
    try {
      const admin = await login(t.request, 'admin', ADMIN_PASSWORD);
      const seen = await eventually(async () => {
        const r = (await (await admin.get(`/api/v1/agents/${result.identity.agentId}`)).json()) as {
          lastReportAt: string | null;
        };
        return r.lastReportAt;
      }, 30_000);
      expect(Date.parse(seen)).toBeGreaterThan(Date.now() - 60_000);
    } finally {
      await agent.stop();
    }
  });
});

describe('configuration', () => {
  it('refuses a certificate without its key', async () => {
    await expect(
      startTestControlPlane({ overrides: { tls: { certFile: join(pki.dir, 'server.pem') } } }),
    ).rejects.toThrow(/certFile and tls.keyFile must be set together/);
  });
});
