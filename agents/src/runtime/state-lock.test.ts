import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  StateLockedError,
  acquireStateLock,
  holderAlive,
  processStartTicks,
  stateLockFileName,
} from './state-lock.js';

let dir: string;
let child: ChildProcess | undefined;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tianshu-lock-'));
});
afterEach(async () => {
  child?.kill('SIGKILL');
  child = undefined;
  await rm(dir, { recursive: true, force: true });
});

/** A real other process: `sleep`, exited with {@link stopChild}. */
async function startChild(): Promise<number> {
  child = spawn('sleep', ['60'], { stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child!.once('spawn', resolve);
    child!.once('error', reject);
  });
  return child.pid!;
}
async function stopChild(): Promise<void> {
  const c = child!;
  const exited = new Promise((r) => c.once('exit', r));
  c.kill('SIGKILL');
  await exited;
  child = undefined;
}

const lockOf = (pid: number, startTicks: number | null) =>
  JSON.stringify({ pid, startTicks, startedAt: '2026-01-01T00:00:00.000Z', hostname: hostname() });

describe('acquireStateLock', () => {
  it('lets one holder in; a second is refused with the holder pid and start time', async () => {
    const lock = await acquireStateLock(dir);
    expect(lock.holder.pid).toBe(process.pid);
    expect(lock.holder.startTicks).toBe(processStartTicks(process.pid));
    const err = (await acquireStateLock(dir).catch((e: unknown) => e)) as StateLockedError;
    expect(err).toBeInstanceOf(StateLockedError);
    expect(err.message).toContain(`pid ${process.pid}`);
    expect(err.message).toContain(lock.holder.startedAt);
    await lock.release();
    const again = await acquireStateLock(dir);
    await again.release();
    // No temporary files are left behind.
    expect(await readdir(dir)).toEqual([]);
  });

  it('refuses while another live process holds the lock, and takes it over once that process died', async () => {
    const pid = await startChild();
    await writeFile(join(dir, stateLockFileName), lockOf(pid, processStartTicks(pid)));
    await expect(acquireStateLock(dir)).rejects.toThrow(new RegExp(`in use by another agent: pid ${pid} `));
    await stopChild();
    const stale: unknown[] = [];
    const lock = await acquireStateLock(dir, { onStale: (h) => stale.push(h) });
    expect(stale).toMatchObject([{ pid }]);
    expect(JSON.parse(await readFile(lock.path, 'utf8'))).toMatchObject({ pid: process.pid });
    await lock.release();
  });

  it('treats a reused pid (same pid, other start time) as a stale lock', async () => {
    const pid = await startChild();
    const ticks = processStartTicks(pid)!;
    expect(holderAlive({ pid, startTicks: ticks, startedAt: '', hostname: hostname() })).toBe(true);
    expect(holderAlive({ pid, startTicks: ticks - 1, startedAt: '', hostname: hostname() })).toBe(false);
    await writeFile(join(dir, stateLockFileName), lockOf(pid, ticks - 1));
    const lock = await acquireStateLock(dir);
    await lock.release();
  });

  it('takes over an unreadable lock file', async () => {
    await writeFile(join(dir, stateLockFileName), 'not json');
    const lock = await acquireStateLock(dir);
    await lock.release();
  });

  it('lets exactly one of many concurrent acquirers in', async () => {
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => acquireStateLock(dir)));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected').every((r) => r.reason instanceof StateLockedError),
    ).toBe(true);
    await (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof acquireStateLock>>>).value.release();
  });

  it('release leaves a lock alone that is no longer ours', async () => {
    const lock = await acquireStateLock(dir);
    const other = lockOf(process.pid + 1, null);
    await writeFile(lock.path, other);
    await lock.release();
    expect(await readFile(lock.path, 'utf8')).toBe(other);
  });
});
