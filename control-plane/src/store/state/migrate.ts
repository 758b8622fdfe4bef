import type { Queryable } from './types.js';
import { migrations as core, type Migration } from './migrations/index.js';

/** Advisory-lock key shared by all replicas so that only one applies migrations at a time. */
export const MIGRATION_LOCK_KEY = 7_411_322_001;

/**
 * Applies pending migrations in one transaction under a transaction-scoped advisory lock. Several
 * replicas starting at once serialise here; the second finds nothing left to do.
 */
export async function applyMigrations(
  transaction: <T>(fn: (tx: Queryable) => Promise<T>) => Promise<T>,
  extra: readonly Migration[] = [],
): Promise<number[]> {
  const migrations = mergeMigrations(core, extra);
  return transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         id integer PRIMARY KEY,
         name text NOT NULL,
         applied_at timestamptz NOT NULL DEFAULT now()
       )`,
    );
    const done = await tx.query<{ id: number }>('SELECT id FROM schema_migrations');
    const applied = new Set(done.rows.map((r) => Number(r.id)));
    const ran: number[] = [];
    for (const m of migrations) {
      if (applied.has(m.id)) continue;
      for (const statement of splitStatements(m.sql)) await tx.query(statement);
      await tx.query('INSERT INTO schema_migrations (id, name) VALUES ($1, $2)', [m.id, m.name]);
      ran.push(m.id);
    }
    return ran;
  });
}

/**
 * The core migrations and the modules' in id order. Ids are one sequence shared by the core and every
 * module (the next free number when a migration is written); a collision is a programming error and
 * stops the start.
 */
export function mergeMigrations(...lists: ReadonlyArray<readonly Migration[]>): Migration[] {
  const byId = new Map<number, Migration>();
  for (const m of lists.flat()) {
    const other = byId.get(m.id);
    if (other && other !== m) {
      throw new Error(`state migrations "${other.name}" and "${m.name}" both have id ${m.id}`);
    }
    byId.set(m.id, m);
  }
  return [...byId.values()].sort((a, b) => a.id - b.id);
}

/**
 * Splits a migration into statements on `;` at line ends, keeping `$$ ... $$` bodies whole, so each
 * statement can run through the extended protocol (which takes one statement at a time).
 */
export function splitStatements(sql: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inDollar = false;
  for (const line of sql.split('\n')) {
    const dollars = line.match(/\$\$/g)?.length ?? 0;
    if (dollars % 2 === 1) inDollar = !inDollar;
    cur += line + '\n';
    if (!inDollar && /;\s*$/.test(line)) {
      const s = cur.trim();
      if (s && s !== ';') out.push(s);
      cur = '';
    }
  }
  if (cur.trim()) out.push(cur.trim());
  return out.filter((s) => !/^(--[^\n]*\n?)*$/.test(s));
}

/** Stable 32-bit key of a lock name, for PostgreSQL advisory locks. */
export function lockKey(name: string): number {
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h | 0;
}
