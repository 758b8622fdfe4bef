import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Migration } from './migrations/index.js';
import { PgliteStateStore } from './pglite.js';

/**
 * Tests only. Creating a PGlite database runs initdb inside WebAssembly, which takes seconds of CPU
 * (tens of seconds on a busy 2-core CI machine), and then every migration. A test run makes one
 * migrated data directory (test/support/pglite-template.ts, a vitest global setup) and names it in
 * this variable; each test store starts as a copy of it. The migrations still run on every copy,
 * finding nothing to do, so a template that lacks one is caught, not trusted.
 */
export const PGLITE_TEMPLATE_ENV = 'TIANSHU_TEST_PGLITE_TEMPLATE';

/** Makes a migrated PGlite data directory at `dir` (which must not exist yet). */
export async function createPgliteTemplate(dir: string, migrations: readonly Migration[]): Promise<void> {
  const db = await PgliteStateStore.open(dir);
  try {
    await db.migrate(migrations);
  } finally {
    await db.close();
  }
}

/**
 * Copies the run's template into `stateDir` when there is one and `stateDir` is absent or empty;
 * says whether it did. Without a template (a test run without the global setup) the store is
 * created as in production.
 */
export function seedFromPgliteTemplate(stateDir: string): boolean {
  const template = process.env[PGLITE_TEMPLATE_ENV];
  if (!template) return false;
  if (!existsSync(join(template, 'PG_VERSION'))) {
    throw new Error(`${PGLITE_TEMPLATE_ENV}=${template} is not a PGlite data directory`);
  }
  if (existsSync(stateDir) && readdirSync(stateDir).length > 0) return false;
  cpSync(template, stateDir, { recursive: true });
  return true;
}

/**
 * A migrated PGlite store for one test: a copy of the template in a temporary directory (removed by
 * `close()`), or an in-memory store when the run has no template.
 */
export async function openTestPglite(migrations: readonly Migration[]): Promise<PgliteStateStore> {
  if (!process.env[PGLITE_TEMPLATE_ENV]) {
    const db = await PgliteStateStore.open();
    await db.migrate(migrations);
    return db;
  }
  const dir = mkdtempSync(join(tmpdir(), 'tianshu-pglite-'));
  seedFromPgliteTemplate(join(dir, 'state'));
  const db = await PgliteStateStore.open(join(dir, 'state'));
  await db.migrate(migrations);
  const close = db.close.bind(db);
  db.close = async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  };
  return db;
}
