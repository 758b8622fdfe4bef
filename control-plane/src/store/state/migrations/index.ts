import { sql as core } from './0001-core.js';
import { sql as inventory } from './0002-inventory.js';
import { sql as hardeningAuth } from './0005-hardening-auth.js';
import { sql as addressing } from './0006-addressing.js';
import { sql as userPreferences } from './0009-user-preferences.js';
import { sql as internetEgress } from './0011-internet-egress.js';

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/**
 * The core's migrations, in order. Modules declare their own (ids 3 and 4 are the network's and
 * alerting's); ids are one sequence across the core and the modules. Never edit one that has
 * shipped; add the next free id.
 */
export const migrations: Migration[] = [
  { id: 1, name: 'core', sql: core },
  { id: 2, name: 'inventory', sql: inventory },
  { id: 5, name: 'hardening-auth', sql: hardeningAuth },
  { id: 6, name: 'addressing', sql: addressing },
  { id: 9, name: 'user-preferences', sql: userPreferences },
  { id: 11, name: 'internet-egress', sql: internetEgress },
];
