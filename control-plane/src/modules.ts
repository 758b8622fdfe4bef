import { alertingModule } from './alerting/module.js';
import { flowsModule } from './flows/module.js';
import { quotasModule } from './quotas/module.js';
import { securityModule } from './security/module.js';
import { hostsModule } from './hosts/module.js';
import { ModuleHost } from './modules/host.js';
import { networkModule } from './network/module.js';
import { ROLES_POLICY, type PolicyRef } from './policies/index.js';
import { mergeMigrations } from './store/state/migrate.js';
import { migrations as coreStateMigrations, type Migration } from './store/state/migrations/index.js';

/**
 * The control plane's modules, in creation order (a module may use those listed before it). Adding a
 * module is its folder and one line here.
 */
export const MODULES = [
  hostsModule,
  alertingModule,
  networkModule,
  flowsModule,
  securityModule,
  quotasModule,
] as const;

/** A host for the modules of this control plane. */
export function createModuleHost(): ModuleHost {
  return new ModuleHost(MODULES);
}

/** Every state-store migration: the core's and the modules' (tests that migrate a store use this). */
export function allStateMigrations(): Migration[] {
  return mergeMigrations(coreStateMigrations, createModuleHost().stateMigrations());
}

/** Every policy file the control plane loads: the core's and the modules'. */
export function allPolicyRefs(): PolicyRef<unknown>[] {
  return [ROLES_POLICY as PolicyRef<unknown>, ...createModuleHost().policyRefs()];
}
