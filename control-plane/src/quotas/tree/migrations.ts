// STUB — replaced by the quota tree part (helper B). State migration id 17 is this part's.
import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';

export const TREE_STATE_MIGRATIONS: readonly Migration[] = [];
/** This part's policy files (besides `quotas.yaml`). */
export const TREE_POLICIES: readonly PolicyRef<unknown>[] = [];
