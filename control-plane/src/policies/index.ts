export { PolicyStore, PolicyError, parsePolicy, checkPolicies } from './loader.js';
export { POLICY_FILES, RolesPolicy, type Policies, type PolicyFileName } from './schemas.js';
