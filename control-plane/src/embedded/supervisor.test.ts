import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { Supervisor, lastLineReason, parentPidEnv } from './supervisor.js';
import { ADMIN_PASSWORD, login, startTestControlPlane } from '../../../test/support/control-plane.js';

let dir: string;
let sup: Supervisor | undefined;
const logs: Record<string, unknown>[] = [];
const log = pino(
  { level: 'info' },
  { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) },
);
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'tianshu-sup-'));
  logs.length = 0;
});
afterEach(async () => {
  await sup?.stop();
  sup = undefined;
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = fn();
    if (v) return v;
    await sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * A child that records when it started, then behaves as `plan[n]` says for its n-th run: a number is
 * how long it runs before exiting with code 3; after the plan it exits at once.
 */
function flakyChild(plan: number[] = []): { args: string[]; starts: () => number[] } {
  const file = join(dir, 'starts');
  writeFileSync(file, '');
  const script = `
    const fs = require('node:fs');
    fs.appendFileSync(${JSON.stringify(file)}, Date.now() + ' ' + process.env.${parentPidEnv} + '\\n');
    const n = fs.readFileSync(${JSON.stringify(file)}, 'utf8').trim().split('\\n').length - 1;
    const plan = ${JSON.stringify(plan)};
    setTimeout(() => {
      process.stderr.write('{"level":"error","msg":"cannot bind udp 127.0.1.1:16100","error":"address in use"}\\n');
      process.exit(3);
    }, plan[n] ?? 0);
  `;
  return {
    args: ['-e', script],
    starts: () =>
      readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => Number(l.split(' ')[0])),
  };
}

/**
 * A "lab" child following `plan` (see flakyChild) and an "edge agent" child that requires it, under
 * a fresh supervisor; the agent appends "x" to `agentStarts` each time it starts.
 */
function labAndAgent(plan: number[], readyAfterMillis: number) {
  const lab = flakyChild(plan);
  const agentStarts = join(dir, 'agent-starts');
  writeFileSync(agentStarts, '');
  const s = new Supervisor({
    log,
    initialBackoffMillis: 300,
    maxBackoffMillis: 1000,
    healthyAfterMillis: 5000,
  });
  sup = s;
  s.start({ name: 'lab', command: process.execPath, args: lab.args });
  s.start({
    name: 'edge agent',
    command: process.execPath,
    args: [
      '-e',
      `require('node:fs').appendFileSync(${JSON.stringify(agentStarts)}, 'x'); setInterval(() => {}, 1000);`,
    ],
    requires: { name: 'lab', readyAfterMillis },
  });
  const agent = () => s.list().find((p) => p.name === 'edge agent')!;
  return { lab, agentStarts, agent };
}

describe('Supervisor', () => {
  it('does not restart a child that exits with one of its fatal exit codes, and shows why', async () => {
    const file = join(dir, 'fatal-starts');
    writeFileSync(file, '');
    const script = `
      require('node:fs').appendFileSync(${JSON.stringify(file)}, 'x');
      process.stderr.write('{"level":"error","msg":"lab router r1: cannot listen on 127.0.0.1:16100: bind EADDRINUSE"}\\n');
      process.exit(2);
    `;
    sup = new Supervisor({ log, initialBackoffMillis: 50, maxBackoffMillis: 100, healthyAfterMillis: 5000 });
    sup.start({ name: 'lab', command: process.execPath, args: ['-e', script], fatalExitCodes: [2] });
    const st = await until('stopped', () => sup!.list().find((p) => p.state === 'stopped' && p.lastExit));
    expect(st).toMatchObject({
      name: 'lab',
      restarts: 0,
      nextRestartAt: null,
      lastExit: { code: 2, reason: 'lab router r1: cannot listen on 127.0.0.1:16100: bind EADDRINUSE' },
    });
    expect(
      logs.find((l) => String(l.msg).startsWith('embedded process cannot run as configured')),
    ).toMatchObject({ name: 'lab', code: 2, reason: expect.stringContaining('EADDRINUSE') });
    // Several back-off periods later it has still run once.
    await sleep(400);
    expect(readFileSync(file, 'utf8')).toBe('x');
    expect(sup.list()[0]!.state).toBe('stopped');
  });

  it('a child that requires another with a ready check waits until the check passes', async () => {
    let ready = false;
    const agentStarts = join(dir, 'agent-starts');
    writeFileSync(agentStarts, '');
    sup = new Supervisor({ log });
    sup.start({ name: 'lab', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] });
    sup.start({
      name: 'edge agent',
      command: process.execPath,
      args: [
        '-e',
        `require('node:fs').appendFileSync(${JSON.stringify(agentStarts)}, 'x'); setInterval(() => {}, 1000);`,
      ],
      requires: { name: 'lab', readyAfterMillis: 0, ready: () => ready },
    });
    await until('waiting', () => sup!.list().find((p) => p.name === 'edge agent' && p.state === 'waiting'));
    await sleep(700);
    expect(readFileSync(agentStarts, 'utf8')).toBe('');
    ready = true;
    await until('agent started', () => readFileSync(agentStarts, 'utf8') === 'x');
    expect(sup.list().find((p) => p.name === 'edge agent')!.state).toBe('running');
  });

  it('restarts a child that exits at once with exponential back-off and shows why', async () => {
    const child = flakyChild();
    sup = new Supervisor({ log, initialBackoffMillis: 100, maxBackoffMillis: 800, healthyAfterMillis: 5000 });
    sup.start({ name: 'lab', command: process.execPath, args: child.args });
    const starts = await until('six starts', () => (child.starts().length >= 6 ? child.starts() : undefined));
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    // Expected delays 100, 200, 400, 800, 800 ms (plus process start time, ~30-100 ms here).
    for (const [i, want] of [100, 200, 400, 800, 800].entries()) {
      // Only lower bounds: how much longer a start takes depends on the machine's load.
      expect(gaps[i], `gap ${i}`).toBeGreaterThanOrEqual(want);
    }
    const st = await until('backing off', () => sup!.list().find((p) => p.state === 'backing-off'));
    expect(st).toMatchObject({
      name: 'lab',
      pid: null,
      lastExit: { code: 3, signal: null, reason: 'cannot bind udp 127.0.1.1:16100: address in use' },
    });
    expect(st.restarts).toBeGreaterThanOrEqual(5);
    expect(Date.parse(st.nextRestartAt!)).toBeGreaterThan(Date.now() - 1000);
    // Every restart is logged with its reason.
    const restarts = logs.filter((l) => l.msg === 'embedded process exited; restarting after back-off');
    expect(restarts.length).toBeGreaterThanOrEqual(5);
    expect(restarts[0]).toMatchObject({
      name: 'lab',
      code: 3,
      reason: expect.stringContaining('cannot bind'),
    });
  });

  it('starts the back-off over after a healthy run', async () => {
    // Runs: quick, quick, quick, healthy (600 ms), then quick again.
    const child = flakyChild([0, 0, 0, 600]);
    sup = new Supervisor({
      log,
      initialBackoffMillis: 100,
      maxBackoffMillis: 10_000,
      healthyAfterMillis: 400,
    });
    sup.start({ name: 'agent', command: process.execPath, args: child.args });
    const starts = await until('six starts', () => (child.starts().length >= 6 ? child.starts() : undefined));
    const gaps = starts.slice(1).map((t, i) => t - starts[i]!);
    // 100, 200, 400, then the healthy run (600 ms + 100 ms back-off), then 200 after the quick one.
    expect(gaps[2]).toBeGreaterThanOrEqual(400);
    expect(gaps[3]).toBeGreaterThanOrEqual(700);
    expect(gaps[4]).toBeGreaterThanOrEqual(200);
    // Without the reset this delay would be 1.6 s; started over it is 200 ms (plus the start time).
    expect(gaps[4]).toBeLessThan(1600);
  });

  it('tells children the parent pid and stops them for good on stop()', async () => {
    const file = join(dir, 'env');
    sup = new Supervisor({ log, initialBackoffMillis: 50 });
    sup.start({
      name: 'sleeper',
      command: process.execPath,
      args: [
        '-e',
        `require('node:fs').writeFileSync(${JSON.stringify(file)}, String(process.env.${parentPidEnv}) + ' ' + typeof process.send); setInterval(() => {}, 1000);`,
      ],
    });
    await until('the child wrote its env', () => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    });
    expect(readFileSync(file, 'utf8')).toBe(`${process.pid} function`);
    expect(sup.list()[0]).toMatchObject({ state: 'running', restarts: 0 });
    await sup.stop();
    expect(sup.list()[0]).toMatchObject({ state: 'stopped', pid: null, nextRestartAt: null });
    await sleep(200);
    expect(sup.list()[0]!.restarts).toBe(0);
  });

  it('runs a child that requires another only while that one runs, and holds it back meanwhile', async () => {
    // The "lab" fails twice (as when its ports are taken), then stays up; the "edge agent" needs it.
    // Ready after 3 s: a child that "exits at once" still lives while Node starts, long on a busy machine.
    const { lab, agentStarts, agent } = labAndAgent([0, 0, 60_000], 3000);
    // While the lab fails the agent never starts; it waits, naming what it waits for.
    await until('the lab failed once', () => sup!.list()[0]!.restarts >= 1);
    expect(agent()).toMatchObject({ state: 'waiting', waitingFor: 'lab', pid: null, restarts: 0 });
    expect(readFileSync(agentStarts, 'utf8')).toBe('');
    // Once the lab has run for a while the agent starts, without a restart counted.
    await until('the agent runs', () => agent().state === 'running', 30_000);
    expect(lab.starts().length).toBe(3);
    await until('the agent started once', () => readFileSync(agentStarts, 'utf8') === 'x');
    expect(agent().restarts).toBe(0);
  });

  it('stops a child whose required process exits, and starts it again when that one is back', async () => {
    const { lab, agentStarts, agent } = labAndAgent([800, 60_000], 100);
    expect(lab.starts().length).toBeLessThanOrEqual(1);
    await until('the agent runs', () => agent().state === 'running');
    // The lab exits after 800 ms: the agent is stopped with it and waits.
    await until('the agent was held back', () => agent().state === 'waiting');
    expect(agent().restarts).toBe(0);
    await until(
      'the agent runs again',
      () => agent().state === 'running' && readFileSync(agentStarts, 'utf8') === 'xx',
    );
    expect(sup!.list()[0]!.restarts).toBe(1);
    expect(lab.starts().length).toBe(2);
  });

  it('checks its options at once', () => {
    expect(() => new Supervisor({ log, initialBackoffMillis: 0 })).toThrow(/initialBackoffMillis/);
    expect(() => new Supervisor({ log, initialBackoffMillis: 10, maxBackoffMillis: 5 })).toThrow(
      /maxBackoffMillis/,
    );
  });

  it('takes the reason from the last stderr line', () => {
    expect(lastLineReason('a\nb\n\n')).toBe('b');
    expect(lastLineReason('{"msg":"lab failed","error":"EADDRINUSE"}\n')).toBe('lab failed: EADDRINUSE');
    expect(lastLineReason('')).toBeNull();
  });
});

describe('GET /api/v1/system/processes', () => {
  it('shows admins the supervisor state and refuses others', async () => {
    const child = flakyChild();
    sup = new Supervisor({ log, initialBackoffMillis: 120_000, maxBackoffMillis: 120_000 });
    sup.start({ name: 'lab', command: process.execPath, args: child.args });
    await until('backing off', () => sup!.list()[0]?.state === 'backing-off');
    const t = await startTestControlPlane({ processes: sup });
    try {
      const admin = await login(t.request, 'admin', ADMIN_PASSWORD);
      const res = await admin.get('/api/v1/system/processes');
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({
        supervised: true,
        items: [
          {
            name: 'lab',
            state: 'backing-off',
            restarts: 1,
            lastExit: { code: 3, reason: expect.stringContaining('address in use') },
          },
        ],
      });
      expect((await t.request('/api/v1/system/processes')).status).toBe(401);
      const created = await admin.send('POST', '/api/v1/users', {
        username: 'auditor-1',
        displayName: 'Auditor',
        password: 'auditor-password-1',
        roles: ['auditor'],
        orgUnitId: 'sc',
      });
      expect(created.status).toBe(201);
      const auditor = await login(t.request, 'auditor-1', 'auditor-password-1');
      expect((await auditor.get('/api/v1/system/processes')).status).toBe(403);
    } finally {
      await t.close();
    }
  });
});
