import type { Migration } from '../../store/state/migrations/index.js';
import { sql as alerting } from './0004-alerting.js';

/** The alerting module's state-store migrations (ids from the one sequence shared with the core). */
export const ALERTING_STATE_MIGRATIONS: readonly Migration[] = [{ id: 4, name: 'alerting', sql: alerting }];
