import { fileURLToPath } from 'node:url';
import { AuditLog } from '../auth/audit.js';
import { systemIdentity, type Identity } from '../auth/identity.js';
import { createLogger } from '../logger.js';
import { PolicyStore, ROLES_POLICY } from '../policies/index.js';
import { allStateMigrations } from '../modules.js';
import type { PgliteStateStore } from '../store/state/index.js';
import { openTestPglite } from '../store/state/testing.js';
import { applyInventory, loadInventoryFile } from './file.js';
import { createInventory, type Inventory } from './inventory.js';
import { OrgUnitService } from './org-units.js';

/** The demo province shipped with the control plane. */
export const DEMO_INVENTORY = fileURLToPath(new URL('../../inventory/demo-province.yaml', import.meta.url));
const POLICIES_DIR = fileURLToPath(new URL('../../../policies', import.meta.url));

/** A test double of the inventory's surroundings: an in-memory store with the demo org-unit tree. */
export interface TestInventory {
  db: PgliteStateStore;
  audit: AuditLog;
  orgUnits: OrgUnitService;
  inventory: Inventory;
  system: Identity;
  /** An identity holding `role` (from `policies/roles.yaml`) bound to `orgUnitId`. */
  as(role: string, orgUnitId: string): Promise<Identity>;
  /** Audit entries written so far, oldest first. */
  auditActions(): Promise<{ action: string; targetId: string | null; actor: string }[]>;
  close(): Promise<void>;
}

export async function openTestInventory(): Promise<TestInventory> {
  // A copy of the run's migrated template when there is one (see store/state/testing.ts).
  const db = await openTestPglite(allStateMigrations());
  // Each needs the other; the closures run only after both exist.
  const audit: AuditLog = new AuditLog(db, (id, tx) => orgUnits.pathOf(id, tx));
  const orgUnits: OrgUnitService = new OrgUnitService(db, () => audit);
  const inventory = createInventory({ db, audit, orgUnits });
  const system = systemIdentity();
  const demo = loadInventoryFile(DEMO_INVENTORY);
  await applyInventory(db, orgUnits, system, { version: 1, orgUnits: demo.orgUnits });
  const roles = PolicyStore.load(POLICIES_DIR, createLogger('silent'), [ROLES_POLICY]).get(
    ROLES_POLICY,
  ).roles;
  return {
    db,
    audit,
    orgUnits,
    inventory,
    system,
    async as(role, orgUnitId) {
      const def = roles[role];
      if (!def) throw new Error(`no role "${role}" in policies/roles.yaml`);
      const path = await orgUnits.pathOf(orgUnitId);
      if (!path) throw new Error(`no org unit "${orgUnitId}"`);
      return {
        kind: 'user',
        id: `${role}@${orgUnitId}`,
        name: `${role}@${orgUnitId}`,
        roles: [role],
        permissions: new Set(def.permissions),
        orgUnitId,
        orgUnitPath: path,
      };
    },
    async auditActions() {
      const r = await db.query<{ action: string; target_id: string | null; actor_name: string }>(
        'SELECT action, target_id, actor_name FROM audit_log ORDER BY id',
      );
      return r.rows.map((x) => ({ action: x.action, targetId: x.target_id, actor: x.actor_name }));
    },
    close: () => db.close(),
  };
}
