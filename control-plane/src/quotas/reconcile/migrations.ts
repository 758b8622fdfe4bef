// STUB — replaced by the reconcile part (helper D). State migration id 19 is this part's.
import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';

export const RECONCILE_STATE_MIGRATIONS: readonly Migration[] = [];
/** This part's policy files (besides `quotas.yaml`). */
export const RECONCILE_POLICIES: readonly PolicyRef<unknown>[] = [];
