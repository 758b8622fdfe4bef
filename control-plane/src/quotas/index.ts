export { QUOTAS_POLICY, quotasModule, quotasRef, type QuotasModule } from './module.js';
export { QuotasPolicy } from './policy.js';
export * from './types.js';
