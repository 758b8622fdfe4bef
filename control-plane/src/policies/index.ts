export { PolicyStore, PolicyError, parsePolicy, checkPolicies } from './loader.js';
export { ROLES_POLICY, RolesPolicy } from './schemas.js';
export { policyRef, type PolicyRef } from './ref.js';
