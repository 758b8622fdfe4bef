import type { Migration } from '../../store/state/migrations/index.js';
import { sql as network } from './0003-network.js';
import { sql as grants } from './0007-credential-grants.js';
import { sql as pairKeys } from './0008-pair-keys.js';
import { sql as deviceInventory } from './0010-device-inventory.js';

/** The network module's state-store migrations (ids from the one sequence shared with the core). */
export const NETWORK_STATE_MIGRATIONS: readonly Migration[] = [
  { id: 3, name: 'network', sql: network },
  { id: 7, name: 'credential-grants', sql: grants },
  { id: 8, name: 'pair-keys', sql: pairKeys },
  { id: 10, name: 'device-inventory', sql: deviceInventory },
];
