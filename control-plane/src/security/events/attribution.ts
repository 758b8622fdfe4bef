import { flowsRef } from '../../flows/module.js';
import { INVENTORY_SIGNATURE_SQL, InventorySnapshot, type OrgUnitFacts } from '../../flows/enrich.js';
import type { ModuleDeps } from '../../modules/contract.js';
import type { Attribution, OrgAttribution } from '../types.js';

/** Refresh the snapshot at least this often even when the inventory's signature did not change. */
const SNAPSHOT_MAX_AGE_MS = 5 * 60_000;

/** Where an event or alert goes, and whether the address had to be pulled back into the scope. */
export interface ScopedAttribution extends Attribution {
  /** The address's owner lies outside the sender's subtree: attributed to the sender's unit. */
  outOfScope: boolean;
}

/** The sender of events: its org unit bounds where its events may be attributed. */
export interface Sender {
  orgUnitId: string;
  orgUnitPath: string;
}

/**
 * Org units of addresses by longest prefix over the IP prefix registry: the flows module's
 * inventory snapshot (the same `PrefixTrie`, reloaded when the inventory's signature changes), so
 * events and flows attribute an address alike. `byAddress` is synchronous on the snapshot in hand;
 * `refresh` (at the start of each batch or upload) reloads it when the inventory changed.
 */
export class OrgAttributor implements OrgAttribution {
  private snapshot: InventorySnapshot | undefined;
  private snapshotAt = 0;
  private loading: Promise<InventorySnapshot> | undefined;
  private readonly load: () => Promise<InventorySnapshot>;

  constructor(
    readonly d: Pick<ModuleDeps, 'db'> & Partial<Pick<ModuleDeps, 'use'>>,
    load?: () => Promise<InventorySnapshot>,
  ) {
    this.load = load ?? this.sharedOrOwn();
  }

  /** The flows module's snapshot when the flows module runs beside us, else our own. */
  private sharedOrOwn(): () => Promise<InventorySnapshot> {
    try {
      const flows = this.d.use?.(flowsRef);
      if (flows) return () => flows.flows.inventory();
    } catch {
      // No flows module listed: load our own below.
    }
    return () => this.ownSnapshot();
  }

  private async ownSnapshot(): Promise<InventorySnapshot> {
    const r = await this.d.db.query<{ sig: string }>(INVENTORY_SIGNATURE_SQL);
    const sig = r.rows[0]?.sig ?? '';
    const s = this.snapshot;
    if (s && s.signature === sig && Date.now() - this.snapshotAt < SNAPSHOT_MAX_AGE_MS) return s;
    this.loading ??= InventorySnapshot.load(this.d.db, sig).finally(() => {
      this.loading = undefined;
    });
    return this.loading;
  }

  /** Installs a snapshot (tests; or a caller that already holds a fresh one). */
  use(snapshot: InventorySnapshot): void {
    this.snapshot = snapshot;
    this.snapshotAt = Date.now();
  }

  async refresh(): Promise<void> {
    const s = await this.load();
    if (s !== this.snapshot) this.use(s);
  }

  byAddress(address: string): Attribution | undefined {
    const u = this.unitOfAddress(address);
    return u ? { orgUnitId: u.id, orgPath: u.path } : undefined;
  }

  /** The org unit owning the longest prefix around `address` (undefined: none, or no address). */
  unitOfAddress(address: string): OrgUnitFacts | undefined {
    if (!address || !this.snapshot) return undefined;
    const i = this.snapshot.trie.lookupText(address);
    return i >= 0 ? this.snapshot.units[i] : undefined;
  }

  /** The top org unit (shortest path): where the control plane's own listeners fall back to. */
  topUnit(): OrgUnitFacts | undefined {
    let top: OrgUnitFacts | undefined;
    for (const u of this.snapshot?.units ?? []) if (!top || u.path.length < top.path.length) top = u;
    return top;
  }

  /** An org unit by id (name for the API). */
  unit(id: string): OrgUnitFacts | undefined {
    return this.snapshot?.unitsById.get(id);
  }

  /**
   * Attributes by the first of `addresses` that a prefix owns; when none does, the sender's unit.
   * An address owned by a unit outside the sender's subtree is attributed to the sender's unit
   * (`outOfScope`): nobody can place events in a sibling's view by naming its addresses.
   */
  attribute(addresses: readonly string[], sender: Sender): ScopedAttribution {
    for (const a of addresses) {
      const u = this.unitOfAddress(a);
      if (!u) continue;
      if (u.path.startsWith(sender.orgUnitPath))
        return { orgUnitId: u.id, orgPath: u.path, outOfScope: false };
      return { orgUnitId: sender.orgUnitId, orgPath: sender.orgUnitPath, outOfScope: true };
    }
    return { orgUnitId: sender.orgUnitId, orgPath: sender.orgUnitPath, outOfScope: false };
  }
}

/** The addresses that attribute an event, in order: the attacked end first for alerts. */
export function attributionAddresses(type: string, fields: Record<string, unknown>): string[] {
  const src = fields['source.ip'];
  const dst = fields['destination.ip'];
  const s = typeof src === 'string' ? src : '';
  const t = typeof dst === 'string' ? dst : '';
  return type === 'alert' ? [t, s] : [s, t];
}
