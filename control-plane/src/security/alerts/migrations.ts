// STUB — replaced by the alerts part (helper D). State migration id 14 is this part's.
import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';

export const ALERTS_STATE_MIGRATIONS: readonly Migration[] = [];
/** This part's policy files (besides `security.yaml`). */
export const ALERTS_POLICIES: readonly PolicyRef<unknown>[] = [];
