import type { z } from 'zod';

/** A lab inventory or scenario that cannot be used; the message names the field at fault. */
export class LabConfigError extends Error {
  override name = 'LabConfigError';
}

/** Formats a path such as `['timeline', 2, 'link']` as `timeline[2].link`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) {
    if (typeof p === 'number') out += `[${p}]`;
    else out += out ? `.${String(p)}` : String(p);
  }
  return out || '(root)';
}

/** Turns zod issues into one line per issue, each starting with the field it is about. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .slice(0, 5)
    .map((i) => `${formatPath(i.path)}: ${i.message}`)
    .join('; ');
}
