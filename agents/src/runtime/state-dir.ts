import { chmod, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureDir } from './fs-atomic.js';
import { acquireStateLock } from './state-lock.js';
import type { AcquireOptions, StateLock } from './state-lock.js';

/**
 * Opens an agent's state directory for a run: creates it 0700, takes its exclusive lock (throws
 * `StateLockedError` when another agent runs on it) and makes the directory 0700 and its files 0600,
 * since older agents left the config cache (SNMP communities) world-readable. The queue directory
 * fixes its own files when it opens.
 */
export async function openStateDir(dir: string, options: AcquireOptions = {}): Promise<StateLock> {
  await ensureDir(dir, 0o700);
  const lock = await acquireStateLock(dir, options);
  try {
    await chmod(dir, 0o700);
    for (const e of await readdir(dir, { withFileTypes: true })) {
      if (e.isFile()) await chmod(join(dir, e.name), 0o600);
    }
  } catch (err) {
    await lock.release();
    throw err;
  }
  return lock;
}
