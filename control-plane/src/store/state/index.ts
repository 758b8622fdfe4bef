import { join } from 'node:path';
import type { StateStore } from './types.js';
import { PgliteStateStore } from './pglite.js';
import { PostgresStateStore } from './postgres.js';

export type { StateStore, Queryable, QueryResult } from './types.js';
export { PgliteStateStore } from './pglite.js';
export { PostgresStateStore } from './postgres.js';

/** PostgreSQL when a URL is configured, otherwise PGlite under `dataDir/state`. */
export async function openStateStore(opts: {
  databaseUrl?: string | undefined;
  dataDir: string;
}): Promise<StateStore> {
  if (opts.databaseUrl) return PostgresStateStore.open(opts.databaseUrl);
  return PgliteStateStore.open(join(opts.dataDir, 'state'));
}
