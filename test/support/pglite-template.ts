import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allStateMigrations } from '../../control-plane/src/modules.js';
import { createPgliteTemplate, PGLITE_TEMPLATE_ENV } from '../../control-plane/src/store/state/testing.js';

/**
 * Vitest global setup: one migrated PGlite data directory for the whole run, named in
 * TIANSHU_TEST_PGLITE_TEMPLATE (test workers inherit the variable). Test stores start as copies of
 * it instead of running initdb and every migration each (control-plane/src/store/state/testing.ts).
 * Tests of the store itself, and control planes given their own data directory, still create theirs.
 */
let dir: string | undefined;
let made: Promise<void> | undefined;
let users = 0;

export async function setup(): Promise<void> {
  // Several projects list this setup; the first makes the template, the others reuse it, and the
  // last teardown removes it.
  users += 1;
  made ??= (async () => {
    dir = mkdtempSync(join(tmpdir(), 'tianshu-pglite-template-'));
    await createPgliteTemplate(join(dir, 'state'), allStateMigrations());
    process.env[PGLITE_TEMPLATE_ENV] = join(dir, 'state');
  })();
  await made;
}

export function teardown(): void {
  users -= 1;
  if (users > 0 || !dir) return;
  rmSync(dir, { recursive: true, force: true });
  delete process.env[PGLITE_TEMPLATE_ENV];
  dir = undefined;
  made = undefined;
}
