// STUB — replaced by the clouds part (helper A). State migration id 16 is this part's.
import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';

export const CLOUDS_STATE_MIGRATIONS: readonly Migration[] = [];
/** This part's policy files (besides `quotas.yaml`). */
export const CLOUDS_POLICIES: readonly PolicyRef<unknown>[] = [];
