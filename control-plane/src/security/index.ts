export { SECURITY_POLICY, securityModule, securityRef, type SecurityModule } from './module.js';
export type {
  AlertOrigin,
  AlertSink,
  Attribution,
  OrgAttribution,
  RaiseResult,
  RuleEngine,
  StoredEvent,
} from './types.js';
