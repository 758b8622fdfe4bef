import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';
import { DETECTIONS_POLICY } from './service.js';

/** The detections keep no state of their own (alerts are the alerts part's; intel lives in files). */
export const DETECTIONS_STATE_MIGRATIONS: readonly Migration[] = [];
/** This part's policy files (besides `security.yaml`): `detections.yaml`. */
export const DETECTIONS_POLICIES: readonly PolicyRef<unknown>[] = [DETECTIONS_POLICY as PolicyRef<unknown>];
