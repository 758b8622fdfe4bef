import type { PolicyRef } from '../../modules/contract.js';
import type { Migration } from '../../store/state/migrations/index.js';
import { sql as securityRules } from './0013-security-rules.js';

/** The rules part's state migration: API rules and hit counts (id 13 of the one sequence). */
export const RULES_STATE_MIGRATIONS: readonly Migration[] = [
  { id: 13, name: 'security-rules', sql: securityRules },
];
/**
 * This part's policy files besides `security.yaml`: none — the Sigma rules under
 * `policies/detections/sigma/` are read by the rules service itself (not through the policy store).
 */
export const RULES_POLICIES: readonly PolicyRef<unknown>[] = [];
