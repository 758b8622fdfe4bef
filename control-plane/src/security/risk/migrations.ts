// STUB — replaced by the risk part (helper G). State migration id 15 is this part's.
import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';

export const RISK_STATE_MIGRATIONS: readonly Migration[] = [];
/** This part's policy files (besides `security.yaml`). */
export const RISK_POLICIES: readonly PolicyRef<unknown>[] = [];
