// STUB — replaced by the utilisation review part (helper F). State migration id 20 is this part's.
import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';

export const REVIEW_STATE_MIGRATIONS: readonly Migration[] = [];
/** This part's policy files (besides `quotas.yaml`). */
export const REVIEW_POLICIES: readonly PolicyRef<unknown>[] = [];
