import { inject } from 'vitest';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../../../../test/support/postgres.js';
import { PostgresStateStore } from './postgres.js';
import { runStateStoreSuite } from './state.case.js';

// A real PostgreSQL server (Debian's postgresql), started by the test run's global setup.
runStateStoreSuite('PostgreSQL server', async () =>
  PostgresStateStore.open(await createDatabase(inject('postgresUrl'))),
);

describe('PostgreSQL migrations across replicas', () => {
  it('serialises concurrent migrate() calls so each migration applies once', async () => {
    const url = await createDatabase(inject('postgresUrl'));
    const replicas = await Promise.all([1, 2, 3].map(() => PostgresStateStore.open(url)));
    await Promise.all(replicas.map((r) => r.migrate()));
    const r = await replicas[0]!.query<{ n: number }>('SELECT count(*)::int AS n FROM schema_migrations');
    const ids = await replicas[0]!.query<{ id: number }>('SELECT id FROM schema_migrations');
    expect(r.rows[0]!.n).toBe(new Set(ids.rows.map((x) => x.id)).size);
    await Promise.all(replicas.map((x) => x.close()));
  });
});
