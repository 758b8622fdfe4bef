import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';
import { sql as quotaRequests } from './0018-quota-requests.js';

/** Requests with their approval steps and timeline. */
export const REQUESTS_STATE_MIGRATIONS: readonly Migration[] = [
  { id: 18, name: 'quota-requests', sql: quotaRequests },
];
/** This part's policy files (besides `quotas.yaml`). */
export const REQUESTS_POLICIES: readonly PolicyRef<unknown>[] = [];
