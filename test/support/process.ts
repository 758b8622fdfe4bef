import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './control-plane.js';

export const CP_MAIN = join(REPO, 'control-plane/dist/main.js');
export const AGENT_CLI = join(REPO, 'agents/dist/cli.js');

export function assertBuilt(): void {
  for (const f of [CP_MAIN, AGENT_CLI]) {
    if (!existsSync(f)) throw new Error(`${f} is missing: run \`npm run build\` first (npm test does)`);
  }
}

export interface Proc {
  proc: ChildProcess;
  /** Everything the process wrote so far (stdout + stderr), last 200 kB. */
  output(): string;
  /** Resolves when the output matches, rejects on exit or timeout. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code once the process ends by itself. */
  exited(): Promise<number | null>;
}

export function startProcess(args: string[], env: Record<string, string>, name = 'proc'): Proc {
  const proc = spawn(process.execPath, args, {
    cwd: REPO,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const onData = (d: Buffer) => {
    out = (out + d.toString()).slice(-200_000);
    if (process.env.TIANSHU_TEST_VERBOSE) process.stderr.write(`[${name}] ${d.toString()}`);
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  return {
    proc,
    output: () => out,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const tick = () => {
          const m = out.match(pattern);
          if (m) return resolve(m);
          if (proc.exitCode !== null)
            return reject(
              new Error(`${name} exited with ${proc.exitCode} before ${pattern}:\n${out.slice(-4000)}`),
            );
          if (Date.now() - started > timeoutMs)
            return reject(new Error(`${name}: timed out waiting for ${pattern}:\n${out.slice(-4000)}`));
          setTimeout(tick, 100);
        };
        tick();
      }),
    exited: () =>
      new Promise((resolve) => {
        // A process killed by a signal has signalCode set and exitCode null.
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve(proc.exitCode);
        proc.once('exit', (code) => resolve(code));
      }),
    stop: (signal = 'SIGTERM') =>
      new Promise((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve(proc.exitCode);
        const t = setTimeout(() => proc.kill('SIGKILL'), 20_000);
        proc.once('exit', (code) => {
          clearTimeout(t);
          resolve(code);
        });
        proc.kill(signal);
      }),
  };
}

/** Polls `fn` until it returns a truthy value (bounded by time); resolves with that value. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | null | false>,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const started = Date.now();
  let lastErr: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      lastErr = err;
    }
    if (Date.now() - started > timeoutMs)
      throw new Error(`condition not met in ${timeoutMs} ms${lastErr ? `: ${String(lastErr)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Logs in over HTTP; returns a cookie-carrying fetch helper. */
export async function httpLogin(base: string, username: string, password: string) {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (res.status !== 200) throw new Error(`login failed: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
  const { csrfToken } = (await res.json()) as { csrfToken: string };
  return {
    cookie,
    csrfToken,
    get: async <T>(path: string): Promise<{ status: number; body: T }> => {
      const r = await fetch(`${base}${path}`, { headers: { cookie } });
      return { status: r.status, body: (await r.json()) as T };
    },
    post: async <T>(path: string, body: unknown): Promise<{ status: number; body: T }> => {
      const r = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { cookie, 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: r.status, body: (await r.json()) as T };
    },
  };
}
