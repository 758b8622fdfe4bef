// STUB — replaced by the detections part (helper F). State migration id 16 is this part's.
import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';

export const DETECTIONS_STATE_MIGRATIONS: readonly Migration[] = [];
/** This part's policy files (besides `security.yaml`). */
export const DETECTIONS_POLICIES: readonly PolicyRef<unknown>[] = [];
