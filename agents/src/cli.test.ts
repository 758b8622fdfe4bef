import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import type { CliIo } from './cli.js';
import { agentVersion } from './version.js';
import { StubControlPlane } from './testing/stub-control-plane.js';
import { waitFor } from './testing/wait.js';

const procRoot = fileURLToPath(new URL('./host/fixtures/proc', import.meta.url));

function io(env: NodeJS.ProcessEnv = {}): CliIo & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    env,
    out: (t) => void (out += t),
    err: (t) => void (err += t),
    stdout: () => out,
    stderr: () => err,
  };
}

let dir: string;
let stub: StubControlPlane;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tianshu-cli-'));
  stub = await new StubControlPlane({ tokens: ['good-token-123'] }).start();
});
afterEach(async () => {
  await stub.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('tianshu-agent cli', () => {
  it('prints help and version', async () => {
    const a = io();
    expect(await main(['--help'], a)).toBe(0);
    expect(a.stdout()).toContain('usage: tianshu-agent');
    const b = io();
    expect(await main(['--version'], b)).toBe(0);
    expect(b.stdout()).toBe(`tianshu-agent ${agentVersion}\n`);
  });

  it('prints the effective config with the environment applied and the token masked', async () => {
    const a = io({ TIANSHU_AGENT_QUEUE_MAX_BATCHES: '77', TIANSHU_AGENT_TOKEN: 'very-secret-token' });
    expect(await main(['--print-config', '--state-dir', '/x'], a)).toBe(0);
    const cfg = JSON.parse(a.stdout()) as Record<string, unknown>;
    expect(cfg).toMatchObject({ stateDir: '/x', queueMaxBatches: 77, token: '[redacted]' });
  });

  it('rejects unknown commands, flags and bad settings with exit code 2', async () => {
    expect(await main(['fly'], io())).toBe(2);
    expect(await main(['run', '--bogus'], io())).toBe(2);
    const a = io({ TIANSHU_AGENT_HOST_INTERVAL_SECONDS: '0' });
    expect(await main(['run'], a)).toBe(2);
    expect(a.stderr()).toContain('TIANSHU_AGENT_HOST_INTERVAL_SECONDS');
  });

  it('enrols, printing the server message and failing on a bad token', async () => {
    const bad = io();
    expect(
      await main(['enrol', '--server', stub.url, '--token', 'nope-nope-nope', '--state-dir', dir], bad),
    ).toBe(1);
    expect(bad.stderr()).toContain('bootstrap token is unknown');
    expect(bad.stderr()).not.toContain('nope-nope-nope');
    const good = io();
    expect(
      await main(['enrol', '--server', stub.url, '--token', 'good-token-123', '--state-dir', dir], good),
    ).toBe(0);
    expect(good.stdout()).toMatch(/enrolled as agent [0-9a-f-]{36}/);
  });

  it('fails to enrol against an unreachable server', async () => {
    await stub.stop();
    const a = io();
    expect(
      await main(['enrol', '--server', stub.url, '--token', 'good-token-123', '--state-dir', dir], a),
    ).toBe(1);
    expect(a.stderr()).toContain('cannot reach server');
  });

  it('runs until SIGTERM and shuts down cleanly', async () => {
    expect(
      await main(['enrol', '--server', stub.url, '--token', 'good-token-123', '--state-dir', dir], io()),
    ).toBe(0);
    stub.config = {
      ...stub.config,
      host: { enabled: true, intervalSeconds: 1 },
      report: { maxSamplesPerBatch: 1000, flushIntervalSeconds: 1 },
    };
    const a = io({ TIANSHU_PROC_ROOT: procRoot, TIANSHU_AGENT_LOG_LEVEL: 'info' });
    const exit = main(['run', '--state-dir', dir], a);
    await waitFor(() => stub.batches.length >= 1, 10_000, 'a batch');
    process.emit('SIGTERM');
    expect(await exit).toBe(0);
    expect(a.stderr()).toContain('"msg":"agent stopped"');
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });
});
