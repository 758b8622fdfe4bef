// STUB — replaced by the events part (helper C). State migration id 12 is this part's.
import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';

export const EVENTS_STATE_MIGRATIONS: readonly Migration[] = [];
/** This part's policy files (besides `security.yaml`). */
export const EVENTS_POLICIES: readonly PolicyRef<unknown>[] = [];
