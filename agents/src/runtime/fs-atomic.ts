import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/** Flushes a directory entry table to disk so that a rename inside it survives a crash. */
export async function fsyncDir(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch (err) {
    // Some filesystems refuse fsync on directories; the rename is still atomic there.
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM') throw err;
  } finally {
    await handle?.close();
  }
}

export interface AtomicWriteOptions {
  /** File mode of the new file; 0o600 by default (agent state is private). */
  mode?: number;
  /** Skips the directory fsync when the caller does it once for several files. */
  skipDirSync?: boolean;
}

/**
 * Writes a file so that readers see either the old or the new content, never a torn one: the data
 * goes to a temporary file in the same directory, is fsynced, renamed over the target, and the
 * directory is fsynced.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = options.mode ?? 0o600;
  const handle = await open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    // The umask may have narrowed or the mode may differ from what open() applied; set it exactly.
    await handle.chmod(mode);
    await handle.sync();
  } catch (err) {
    await handle.close();
    await rm(tmp, { force: true });
    throw err;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  if (!options.skipDirSync) await fsyncDir(dir);
}

/** Creates a directory (and parents) if missing. */
export async function ensureDir(dir: string, mode = 0o700): Promise<void> {
  await mkdir(dir, { recursive: true, mode });
}
