// STUB — replaced by the rules part (helper B). State migration id 13 is this part's.
import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';

export const RULES_STATE_MIGRATIONS: readonly Migration[] = [];
/** This part's policy files (besides `security.yaml`). */
export const RULES_POLICIES: readonly PolicyRef<unknown>[] = [];
