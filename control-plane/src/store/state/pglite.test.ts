import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PgliteStateStore } from './pglite.js';
import { runStateStoreSuite } from './state.case.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'tianshu-pglite-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

runStateStoreSuite('PGlite', () => PgliteStateStore.open(tempDir()));

describe('PGlite on a data directory', () => {
  it('keeps data across close and reopen', async () => {
    const dir = tempDir();
    const a = await PgliteStateStore.open(dir);
    await a.migrate();
    await a.query(
      `INSERT INTO org_units (id, level, name, path) VALUES ('keep', 'province', '保留', '/keep/')`,
    );
    await a.close();
    const b = await PgliteStateStore.open(dir);
    await b.migrate();
    const r = await b.query<{ name: string }>(`SELECT name FROM org_units WHERE id = 'keep'`);
    expect(r.rows[0]?.name).toBe('保留');
    await b.close();
  });
});
