import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether this process may mount a tmpfs (root, as CI runs). */
export const canMount = process.getuid?.() === 0;

/** A small real tmpfs, so that "disk full" comes from the kernel. */
export interface Tmpfs {
  dir: string;
  /** Fills the filesystem with one file, leaving `leaveBytes` free. */
  fill(leaveBytes: number): void;
  /** Removes the filling file. */
  empty(): void;
  unmount(): void;
}

export function mountTmpfs(prefix: string, size: string): Tmpfs {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir]);
  const filler = join(dir, 'filler');
  return {
    dir,
    fill(leaveBytes) {
      const s = statfsSync(dir);
      const free = Number(s.bavail) * Number(s.bsize);
      writeFileSync(filler, Buffer.alloc(Math.max(0, free - leaveBytes)));
    },
    empty() {
      rmSync(filler, { force: true });
    },
    unmount() {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
