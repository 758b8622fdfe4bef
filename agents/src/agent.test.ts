import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostMetricsPayload, hostMetricsSeries } from '@tianshu/protocol';
import { enrol, EnrolError, sanitiseHostname } from './enrol.js';
import { startAgent } from './agent.js';
import type { RunningAgent } from './agent.js';
import { loadIdentity } from './identity.js';
import { createJsonLogger, silentLogger } from './runtime/logger.js';
import { StubControlPlane } from './testing/stub-control-plane.js';
import { makeTestPki } from './testing/certs.js';
import { waitFor } from './testing/wait.js';

const procRoot = fileURLToPath(new URL('./host/fixtures/proc', import.meta.url));
let dir: string;
let stub: StubControlPlane;
let running: RunningAgent | undefined;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tianshu-agent-'));
  stub = await new StubControlPlane({ tokens: ['good-token-123'] }).start();
});
afterEach(async () => {
  await running?.stop();
  running = undefined;
  await stub.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('enrol', () => {
  it('writes identity.json with mode 0600 and the request follows the protocol', async () => {
    const r = await enrol({
      server: stub.url,
      token: 'good-token-123',
      stateDir: join(dir, 's'),
      hostname: 'web 1!',
    });
    const st = await stat(r.identityPath);
    expect(st.mode & 0o777).toBe(0o600);
    const identity = await loadIdentity(join(dir, 's'));
    expect(identity).toEqual({
      serverUrl: stub.url,
      agentId: r.identity.agentId,
      credential: r.identity.credential,
    });
    expect(stub.agents.get(r.identity.agentId)?.hostname).toBe('web-1');
    const req = stub.requests[0]!.body as Record<string, unknown>;
    expect(req).toMatchObject({ token: 'good-token-123', hostname: 'web-1', roles: ['host'] });
  });

  it('reports the server message for a bad token', async () => {
    const err = (await enrol({ server: stub.url, token: 'wrong-token-1', stateDir: dir }).catch(
      (e: unknown) => e,
    )) as EnrolError;
    expect(err).toBeInstanceOf(EnrolError);
    expect(err.status).toBe(401);
    expect(err.message).toContain('bootstrap token is unknown, expired or already used');
    expect(await loadIdentity(dir)).toBeUndefined();
  });

  it('says when the server cannot be reached', async () => {
    await stub.stop();
    await expect(enrol({ server: stub.url, token: 'good-token-123', stateDir: dir })).rejects.toThrow(
      /cannot reach server .*connection refused/,
    );
  });

  it('verifies the server against the ca file and remembers it', async () => {
    const pki = makeTestPki();
    const tlsStub = await new StubControlPlane({ tokens: ['good-token-123'], tls: pki }).start();
    try {
      await expect(enrol({ server: tlsStub.url, token: 'good-token-123', stateDir: dir })).rejects.toThrow(
        /not trusted|certificate/,
      );
      const r = await enrol({
        server: tlsStub.url,
        token: 'good-token-123',
        stateDir: dir,
        caFile: pki.caFile,
      });
      expect(r.identity.caFile).toBe(pki.caFile);
    } finally {
      await tlsStub.stop();
    }
  });

  it('sanitises host names', () => {
    expect(sanitiseHostname('db_01.prod')).toBe('db_01.prod');
    expect(sanitiseHostname('  !!! ')).toBe('localhost');
  });
});

describe('startAgent', () => {
  it('pulls config, heartbeats, and delivers host metrics; stop() keeps unsent samples on disk', async () => {
    stub.config = {
      configVersion: 'v7',
      heartbeatIntervalSeconds: 1,
      host: { enabled: true, intervalSeconds: 1 },
      report: { maxSamplesPerBatch: 10_000, flushIntervalSeconds: 1 },
    };
    await enrol({ server: stub.url, token: 'good-token-123', stateDir: dir });
    const lines: string[] = [];
    running = await startAgent({
      stateDir: dir,
      procRoot,
      hostname: 'web-1',
      metricsListen: '127.0.0.1:0',
      retryInitialMillis: 20,
      logger: createJsonLogger({ level: 'debug', write: (l) => lines.push(l) }),
      hostDeps: { statfs: async () => ({ bsize: 4096, blocks: 100, bavail: 50 }) },
    });
    await waitFor(() => stub.batches.length >= 2, 10_000, 'two batches');
    const stats = running.stats();
    expect(stats.configVersion).toBe('v7');
    expect(stats.heartbeats.ok).toBeGreaterThan(0);
    expect(stub.heartbeats.at(-1)).toMatchObject({ configVersion: 'v7', queue: { droppedBatches: 0 } });
    const p = HostMetricsPayload.parse(stub.batches[0]!.payloads[0]!);
    expect(p.host).toBe('web-1');
    expect(p.encoding).toBe('columnar');
    expect(
      hostMetricsSeries(p).some((s) => s.name === 'node_cpu_seconds_total' && s.labels.cpu === 'all'),
    ).toBe(true);
    expect(JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'))).toEqual(stub.config);

    const metrics = await fetch(`http://127.0.0.1:${stats.metricsAddress!.port}/metrics`).then((r) =>
      r.text(),
    );
    expect(metrics).toMatch(/tianshu_agent_batches_sent_total \d+/);
    expect(metrics).toContain('tianshu_agent_queue_bytes');
    expect(metrics).toContain('process_resident_memory_bytes');
    expect((await fetch(`http://127.0.0.1:${stats.metricsAddress!.port}/healthz`)).status).toBe(200);

    // Nothing secret is ever logged.
    const identity = (await loadIdentity(dir))!;
    expect(lines.join('')).not.toContain(identity.credential);
    expect(
      lines.every((l) => {
        const o = JSON.parse(l) as { msg: string };
        return o.msg === o.msg.toLowerCase();
      }),
    ).toBe(true);

    await stub.stop();
    const r1 = running;
    await waitFor(() => r1.stats().queue.pendingBatches >= 1, 10_000, 'a batch queued during the outage');
    await running.stop();
    const queued = running.stats().queue.pendingBatches;
    expect(queued).toBeGreaterThanOrEqual(1);
    running = undefined;
    // A restarted agent, with the server back, sends what the first one left behind.
    await stub.start();
    const before = stub.batches.length;
    running = await startAgent({ stateDir: dir, procRoot, logger: silentLogger, retryInitialMillis: 20 });
    await waitFor(() => stub.batches.length >= before + queued, 10_000, 'replay');
    const seqs = stub.sequences();
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
  });

  it('keeps working when the credential is revoked and keeps the queue', async () => {
    const { identity } = await enrol({ server: stub.url, token: 'good-token-123', stateDir: dir });
    stub.revoke(identity.agentId);
    const lines: string[] = [];
    running = await startAgent({
      stateDir: dir,
      procRoot,
      logger: createJsonLogger({ write: (l) => lines.push(l) }),
      hostDeps: { statfs: async () => ({ bsize: 1, blocks: 1, bavail: 1 }) },
    });
    await waitFor(() => lines.some((l) => l.includes('revoked')), 5000, 'revocation log');
    expect(running.stats().heartbeats.failed).toBeGreaterThan(0);
  });

  it('refuses to start without an identity', async () => {
    await expect(startAgent({ stateDir: dir, logger: silentLogger })).rejects.toThrow(/not enrolled/);
  });

  it('starts from a cached config when the server is down', async () => {
    await enrol({ server: stub.url, token: 'good-token-123', stateDir: dir });
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...stub.config, configVersion: 'cached' }));
    await stub.stop();
    running = await startAgent({ stateDir: dir, procRoot, logger: silentLogger });
    expect(running.stats().configVersion).toBe('cached');
  });

  it('refuses a second agent on the same state directory, naming the holder', async () => {
    await enrol({ server: stub.url, token: 'good-token-123', stateDir: dir });
    running = await startAgent({ stateDir: dir, procRoot, logger: silentLogger });
    await expect(startAgent({ stateDir: dir, procRoot, logger: silentLogger })).rejects.toThrow(
      new RegExp(`state directory .* is in use by another agent: pid ${process.pid} `),
    );
    // Once the first stopped, the directory is free again.
    await running.stop();
    running = await startAgent({ stateDir: dir, procRoot, logger: silentLogger });
  });

  it('keeps every file it writes private and fixes older world-readable ones on start', async () => {
    stub.config = {
      configVersion: 'v2',
      heartbeatIntervalSeconds: 1,
      host: { enabled: true, intervalSeconds: 1 },
      report: { maxSamplesPerBatch: 10_000, flushIntervalSeconds: 1 },
    };
    await enrol({ server: stub.url, token: 'good-token-123', stateDir: dir });
    // What an older agent left: a world-readable directory, config cache and queue.
    await chmod(dir, 0o755);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ ...stub.config, configVersion: 'v1' }), {
      mode: 0o644,
    });
    running = await startAgent({
      stateDir: dir,
      procRoot,
      logger: silentLogger,
      hostDeps: { statfs: async () => ({ bsize: 4096, blocks: 100, bavail: 50 }) },
    });
    await waitFor(() => running!.stats().configVersion === 'v2', 10_000, 'config pulled');
    await stub.stop();
    await waitFor(() => running!.stats().queue.pendingBatches >= 1, 10_000, 'a batch queued');
    const bad: string[] = [];
    const walk = async (d: string): Promise<void> => {
      if (((await stat(d)).mode & 0o777) !== 0o700)
        bad.push(`${d} ${((await stat(d)).mode & 0o777).toString(8)}`);
      for (const e of await readdir(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) await walk(p);
        else if (((await stat(p)).mode & 0o777) !== 0o600)
          bad.push(`${p} ${((await stat(p)).mode & 0o777).toString(8)}`);
      }
    };
    await walk(dir);
    expect(bad).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual(['agent.lock', 'config.json', 'identity.json', 'queue']);
  });
});

/** A real small tmpfs for the state directory, so ENOSPC comes from the kernel (root, as in CI). */
describe.skipIf(process.getuid?.() !== 0)('startAgent on a full disk', () => {
  let mnt: string;
  beforeEach(async () => {
    mnt = await mkdtemp(join(tmpdir(), 'tianshu-agent-tmpfs-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=48k', 'tianshu-test', mnt]);
  });
  afterEach(async () => {
    await running?.stop();
    running = undefined;
    execFileSync('umount', [mnt]);
    await rm(mnt, { recursive: true, force: true });
  });

  it('drops the oldest batches, counts them as enospc in heartbeats and leaves the gap to the server', async () => {
    stub.config = {
      configVersion: 'v1',
      heartbeatIntervalSeconds: 1,
      host: { enabled: true, intervalSeconds: 1 },
      report: { maxSamplesPerBatch: 10_000, flushIntervalSeconds: 1 },
    };
    const stateDir = join(mnt, 'state');
    await enrol({ server: stub.url, token: 'good-token-123', stateDir });
    // The server takes heartbeats but no batches for now, so the queue fills the disk.
    stub.fail('reports', { status: 503, times: 1_000_000 });
    running = await startAgent({
      stateDir,
      procRoot,
      logger: silentLogger,
      retryInitialMillis: 200,
      retryMaxSeconds: 1,
      hostDeps: { statfs: async () => ({ bsize: 4096, blocks: 100, bavail: 50 }) },
    });
    const r = running;
    await waitFor(
      () => (stub.heartbeats.at(-1)?.queue.droppedReasons?.enospc ?? 0) >= 2,
      60_000,
      'enospc drops in a heartbeat',
    );
    const hb = stub.heartbeats.at(-1)!.queue;
    expect(hb.droppedBatches).toBeGreaterThanOrEqual(hb.droppedReasons!.enospc);
    expect(Date.parse(hb.lastDropAt!)).toBeGreaterThan(Date.now() - 60_000);
    const state = JSON.parse(await readFile(join(stateDir, 'queue', 'queue-state.json'), 'utf8')) as {
      droppedReasons: { enospc: number };
    };
    expect(state.droppedReasons.enospc).toBeGreaterThan(0);
    // The oldest went: what is left is the newest run of sequence numbers.
    const queued = (await readdir(join(stateDir, 'queue')))
      .filter((f) => /^\d{20}\.json$/.test(f))
      .map((f) => Number(f.slice(0, 20)))
      .sort((a, b) => a - b);
    expect(queued.length).toBeGreaterThan(0);
    expect(queued.at(-1)! - queued[0]!).toBe(queued.length - 1);
    expect(queued[0]).toBeGreaterThan(0);
    // The server comes back: it receives the newest batches and sees the gap where the oldest were.
    stub.clearFaults();
    await waitFor(() => stub.batches.length > 0, 30_000, 'batches delivered');
    expect(Math.min(...stub.sequences())).toBeGreaterThan(0);
    expect(r.stats().queue.droppedReasons.enospc).toBeGreaterThan(0);
  }, 120_000);
});
