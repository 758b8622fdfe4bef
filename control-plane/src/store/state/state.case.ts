import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateStore } from './types.js';
import { splitStatements } from './migrate.js';
import { migrations } from './migrations/index.js';

/**
 * One suite for every state-store implementation (PGlite and PostgreSQL): what the control plane
 * relies on must behave the same on both.
 */
export function runStateStoreSuite(name: string, open: () => Promise<StateStore>): void {
  describe(`state store: ${name}`, () => {
    let db: StateStore;
    beforeAll(async () => {
      db = await open();
      await db.migrate();
    });
    afterAll(async () => {
      await db?.close();
    });

    it('applies every migration once, and again is a no-op', async () => {
      await db.migrate();
      const r = await db.query<{ id: number }>('SELECT id FROM schema_migrations ORDER BY id');
      expect(r.rows.map((x) => Number(x.id))).toEqual(migrations.map((m) => m.id));
    });

    it('binds positional parameters and returns typed rows', async () => {
      const r = await db.query<{ a: number; b: string; c: boolean }>(
        'SELECT $1::int AS a, $2::text AS b, $3::boolean AS c',
        [42, '成都', true],
      );
      expect(r.rows).toEqual([{ a: 42, b: '成都', c: true }]);
      expect(r.rowCount).toBe(1);
    });

    it('returns arrays, jsonb and timestamps in the same shapes', async () => {
      const r = await db.query<{ arr: string[]; j: { x: number }; t: Date; n: number }>(
        `SELECT ARRAY['a','b']::text[] AS arr, '{"x":1}'::jsonb AS j, '2026-01-02T03:04:05Z'::timestamptz AS t, count(*) AS n FROM (VALUES (1),(2)) v(x)`,
      );
      const row = r.rows[0]!;
      expect(row.arr).toEqual(['a', 'b']);
      expect(row.j).toEqual({ x: 1 });
      expect(new Date(row.t).toISOString()).toBe('2026-01-02T03:04:05.000Z');
      expect(Number(row.n)).toBe(2);
    });

    it('commits a transaction that resolves and rolls back one that throws', async () => {
      await db.query(
        `INSERT INTO org_units (id, level, name, path) VALUES ('tx-root', 'province', 'P', '/tx-root/')`,
      );
      await db.transaction(async (tx) => {
        await tx.query(`UPDATE org_units SET name = 'committed' WHERE id = 'tx-root'`);
      });
      await expect(
        db.transaction(async (tx) => {
          await tx.query(`UPDATE org_units SET name = 'rolled back' WHERE id = 'tx-root'`);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const r = await db.query<{ name: string }>(`SELECT name FROM org_units WHERE id = 'tx-root'`);
      expect(r.rows[0]!.name).toBe('committed');
    });

    it('reports rowCount of updates and deletes', async () => {
      await db.query(
        `INSERT INTO org_units (id, parent_id, level, name, path) VALUES ('tx-c1', 'tx-root', 'city', 'C1', '/tx-root/tx-c1/'), ('tx-c2', 'tx-root', 'city', 'C2', '/tx-root/tx-c2/')`,
      );
      const u = await db.query(`UPDATE org_units SET name = name || '!' WHERE parent_id = 'tx-root'`);
      expect(u.rowCount).toBe(2);
      const d = await db.query(`DELETE FROM org_units WHERE parent_id = 'tx-root'`);
      expect(d.rowCount).toBe(2);
    });

    it('enforces constraints with errors', async () => {
      await expect(
        db.query(`INSERT INTO org_units (id, level, name, path) VALUES ('Bad Id', 'province', 'x', '/bad/')`),
      ).rejects.toThrow();
      await expect(
        db.query(`INSERT INTO org_units (id, level, name, path) VALUES ('lvl', 'galaxy', 'x', '/lvl/')`),
      ).rejects.toThrow();
    });

    it('keeps the audit log append-only', async () => {
      await db.query(
        `INSERT INTO audit_log (actor_type, actor_name, action, target_type, outcome) VALUES ('system', 'system', 'test.append', 'test', 'success')`,
      );
      await expect(
        db.query(`UPDATE audit_log SET action = 'forged' WHERE action = 'test.append'`),
      ).rejects.toThrow(/append-only/);
      await expect(db.query(`DELETE FROM audit_log WHERE action = 'test.append'`)).rejects.toThrow(
        /append-only/,
      );
      await expect(db.query(`TRUNCATE audit_log`)).rejects.toThrow(/append-only/);
      const r = await db.query(`SELECT 1 FROM audit_log WHERE action = 'test.append'`);
      expect(r.rowCount).toBe(1);
    });

    it('supports advisory locks and ON CONFLICT upserts used for job claiming', async () => {
      const lock = await db.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(4242) AS ok');
      expect(lock.rows[0]!.ok).toBe(true);
      await db.query('SELECT pg_advisory_unlock(4242)');
      const claim = () =>
        db.query(
          `INSERT INTO scheduled_jobs (name, next_run_at) VALUES ('case-job', now() + interval '1 hour')
           ON CONFLICT (name) DO UPDATE SET next_run_at = EXCLUDED.next_run_at
           WHERE scheduled_jobs.next_run_at <= now() RETURNING name`,
        );
      expect((await claim()).rowCount).toBe(1);
      expect((await claim()).rowCount).toBe(0);
    });

    it('runs withLock sections one at a time', async () => {
      const events: string[] = [];
      const section = (tag: string) =>
        db.withLock('case-lock', async () => {
          events.push(`${tag}:in`);
          await db.query('SELECT pg_sleep(0.05)');
          events.push(`${tag}:out`);
          return tag;
        });
      expect(await Promise.all([section('a'), section('b'), section('c')])).toEqual(['a', 'b', 'c']);
      for (let i = 0; i < events.length; i += 2) {
        expect(events[i]!.split(':')[0]).toBe(events[i + 1]!.split(':')[0]);
      }
      await expect(db.withLock('case-lock', async () => Promise.reject(new Error('inside')))).rejects.toThrow(
        'inside',
      );
      expect(await db.withLock('case-lock', async () => 'after')).toBe('after');
    });

    it('rejects bad SQL with an error and keeps working', async () => {
      await expect(db.query('SELEC nonsense')).rejects.toThrow();
      await expect(db.ping()).resolves.toBeUndefined();
    });
  });
}

describe('splitStatements', () => {
  it('splits on statement ends but keeps $$ bodies whole', () => {
    const parts = splitStatements(
      `CREATE TABLE a (x int);\nCREATE FUNCTION f() RETURNS trigger AS $$\nBEGIN\n  RAISE EXCEPTION 'x';\nEND;\n$$ LANGUAGE plpgsql;\n-- trailing comment\n`,
    );
    expect(parts).toHaveLength(2);
    expect(parts[1]).toContain('END;');
  });
});
