import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';

/** Name of the lock file inside a state directory. */
export const stateLockFileName = 'agent.lock';

/** What a lock file records about the process holding it. */
export interface LockHolder {
  pid: number;
  /** Start time of the process in clock ticks since boot (/proc/<pid>/stat field 22); tells PID reuse apart. */
  startTicks: number | null;
  /** Wall-clock start of the process, for people reading the message. */
  startedAt: string;
  hostname: string;
}

/** Thrown when another live process holds the state directory. */
export class StateLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    super(
      `state directory ${dir} is in use by another agent: pid ${holder.pid} on ${holder.hostname}, ` +
        `started ${holder.startedAt}; stop that process first (lock file ${join(dir, stateLockFileName)})`,
    );
    this.name = 'StateLockedError';
  }
}

/** An exclusive lock on a state directory, held until released or the process dies. */
export interface StateLock {
  readonly path: string;
  readonly holder: LockHolder;
  /** Removes the lock file if it is still ours. */
  release(): Promise<void>;
}

/** Process start time in clock ticks since boot, or null where /proc is not available. */
export function processStartTicks(pid: number, procRoot = '/proc'): number | null {
  let stat: string;
  try {
    stat = readFileSync(join(procRoot, String(pid), 'stat'), 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may contain spaces; fields after it are plain.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19].
  if (fields[0] === 'Z' || fields[0] === 'X') return null;
  const ticks = Number(fields[19]);
  return Number.isSafeInteger(ticks) ? ticks : null;
}

function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether the process a lock file names still runs. On this host the PID must exist and, where
 * /proc tells start times, have the recorded start time (otherwise the PID was reused). A zombie
 * counts as dead. A holder on another host cannot be checked and counts as alive.
 */
export function holderAlive(holder: LockHolder, procRoot = '/proc'): boolean {
  if (holder.hostname !== osHostname()) return true;
  if (holder.pid === process.pid) return holder.startTicks === processStartTicks(process.pid, procRoot);
  const ticks = processStartTicks(holder.pid, procRoot);
  if (ticks !== null) return holder.startTicks === null || ticks === holder.startTicks;
  // No /proc entry: either no such process, or no /proc at all (then ask the kernel).
  return processStartTicks(process.pid, procRoot) === null && pidExists(holder.pid);
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (typeof v.pid !== 'number' || !Number.isSafeInteger(v.pid) || v.pid <= 0) return undefined;
    return {
      pid: v.pid,
      startTicks: typeof v.startTicks === 'number' ? v.startTicks : null,
      startedAt: typeof v.startedAt === 'string' ? v.startedAt : 'unknown',
      hostname: typeof v.hostname === 'string' ? v.hostname : 'unknown',
    };
  } catch {
    return undefined;
  }
}

async function readHolder(
  path: string,
): Promise<{ text: string; holder: LockHolder | undefined } | undefined> {
  try {
    const text = await readFile(path, 'utf8');
    return { text, holder: parseHolder(text) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Options of {@link acquireStateLock}; tests replace the process described. */
export interface AcquireOptions {
  procRoot?: string;
  /** Called when a stale lock (dead holder, reused PID, unreadable file) is taken over. */
  onStale?: (previous: LockHolder | undefined) => void;
}

/**
 * Takes the exclusive lock on a state directory: `agent.lock` is created with link(), which fails
 * when the file exists, so two processes can never both create it. An existing lock whose process
 * is dead (or whose PID now belongs to another process) is stale and taken over; a live one makes
 * this throw {@link StateLockedError}, naming the holder.
 */
export async function acquireStateLock(dir: string, options: AcquireOptions = {}): Promise<StateLock> {
  const procRoot = options.procRoot ?? '/proc';
  const path = join(dir, stateLockFileName);
  const holder: LockHolder = {
    pid: process.pid,
    startTicks: processStartTicks(process.pid, procRoot),
    startedAt: new Date(Date.now() - process.uptime() * 1000).toISOString(),
    hostname: osHostname(),
  };
  const content = JSON.stringify(holder) + '\n';
  const tmp = join(dir, `.${stateLockFileName}.${randomBytes(6).toString('hex')}.tmp`);
  await writeFile(tmp, content, { mode: 0o600 });
  try {
    // Bounded: each round either takes the lock, throws, or removes one stale lock.
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        await link(tmp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const found = await readHolder(path);
        if (!found) continue; // released meanwhile
        if (found.holder && holderAlive(found.holder, procRoot)) {
          throw new StateLockedError(dir, found.holder);
        }
        // Stale. Move it aside, then check that what was moved is what was judged stale: a racing
        // process may have replaced it with its own live lock in between, which is put back.
        const aside = join(dir, `.${stateLockFileName}.${randomBytes(6).toString('hex')}.stale`);
        try {
          await rename(path, aside);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw e;
        }
        const moved = await readFile(aside, 'utf8').catch(() => '');
        if (moved !== found.text) {
          await link(aside, path).catch(() => undefined);
          await rm(aside, { force: true });
          continue;
        }
        await rm(aside, { force: true });
        options.onStale?.(found.holder);
        continue;
      }
      const mine = await readFile(path, 'utf8').catch(() => '');
      if (mine !== content) continue;
      let released = false;
      return {
        path,
        holder,
        release: async () => {
          if (released) return;
          released = true;
          const now = await readFile(path, 'utf8').catch(() => '');
          if (now === content) await rm(path, { force: true });
        },
      };
    }
    throw new Error(`cannot take the lock ${path}: it kept changing; is another agent starting?`);
  } finally {
    await rm(tmp, { force: true });
  }
}
