import { sql as core } from './0001-core.js';
import { sql as inventory } from './0002-inventory.js';
import { sql as network } from './0003-network.js';
import { sql as alerting } from './0004-alerting.js';
import { sql as hardeningAuth } from './0005-hardening-auth.js';

export interface Migration {
  id: number;
  name: string;
  sql: string;
}

/** Every migration, in order. Never edit one that has shipped; add the next. */
export const migrations: Migration[] = [
  { id: 1, name: 'core', sql: core },
  { id: 2, name: 'inventory', sql: inventory },
  { id: 3, name: 'network', sql: network },
  { id: 4, name: 'alerting', sql: alerting },
  { id: 5, name: 'hardening-auth', sql: hardeningAuth },
];
