export {
  CredentialInput,
  CredentialPatch,
  CredentialsFile,
  SnmpCredentialService,
  credentialCheck,
  credentialUsable,
  loadCredentialsFile,
  type CredentialView,
} from './credentials.js';
export { DEFAULT_NETWORK_POLICY, NetworkPolicy } from './policy.js';
export {
  METRIC_RANGES,
  NetworkService,
  type AcceptProposal,
  type LinkView,
  type MetricRange,
  type NetworkDeps,
  type NetworkSettings,
} from './service.js';
