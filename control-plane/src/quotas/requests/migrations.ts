// STUB — replaced by the requests part (helper C). State migration id 18 is this part's.
import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';

export const REQUESTS_STATE_MIGRATIONS: readonly Migration[] = [];
/** This part's policy files (besides `quotas.yaml`). */
export const REQUESTS_POLICIES: readonly PolicyRef<unknown>[] = [];
