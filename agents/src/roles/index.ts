import type { AgentRole } from '@tianshu/protocol';
import type { RoleDefinition } from './contract.js';
import { edgeRole } from './edge.js';
import { hostRole } from './host.js';

export { defineRole, type RoleContext, type RoleDefinition, type RunningRole } from './contract.js';

/** The roles this agent build runs (the lab is a command of its own, not a role of `run`). */
export const ROLES: readonly RoleDefinition[] = [hostRole, edgeRole];

/** The definition of a role, or undefined when this build does not implement it. */
export function roleDefinition(name: AgentRole): RoleDefinition | undefined {
  return ROLES.find((r) => r.name === name);
}
