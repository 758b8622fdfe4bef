import { sql as core } from './0001-core.js';

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/** Every migration, in order. Never edit one that has shipped; add the next. */
export const migrations: Migration[] = [{ id: 1, name: 'core', sql: core }];
