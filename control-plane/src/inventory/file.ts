import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { InputError, zodDetails } from '../errors.js';
import type { Identity } from '../auth/identity.js';
import type { StateStore } from '../store/state/index.js';
import { ORG_LEVELS, OrgUnitId, type OrgUnitService } from './org-units.js';

/** One org unit in the inventory file; children nest under `units`. */
export interface InventoryUnit {
  id: string;
  level: (typeof ORG_LEVELS)[number];
  name: string;
  code?: string | undefined;
  units?: InventoryUnit[] | undefined;
}

const Unit: z.ZodType<InventoryUnit> = z.lazy(() =>
  z
    .object({
      id: OrgUnitId,
      level: z.enum(ORG_LEVELS),
      name: z.string().min(1).max(200),
      code: z
        .string()
        .regex(/^[0-9]{6,12}$/)
        .optional(),
      units: z.array(Unit).optional(),
    })
    .strict(),
);

export const InventoryFile = z
  .object({
    version: z.literal(1),
    orgUnits: Unit,
  })
  .strict();
export type InventoryFile = z.infer<typeof InventoryFile>;

export function parseInventory(text: string, source = 'inventory'): InventoryFile {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new InputError(`${source} is not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const r = InventoryFile.safeParse(doc);
  if (!r.success) {
    const details = zodDetails(r.error.issues);
    throw new InputError(`${source} is not valid: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`, details);
  }
  return r.data;
}

/**
 * Loads an inventory file: creates missing units and renames changed ones. Units present in the
 * database but absent from the file are left alone (they may have been added through the API).
 */
export async function applyInventory(
  db: StateStore,
  orgUnits: OrgUnitService,
  identity: Identity,
  inv: InventoryFile,
): Promise<{ created: number; updated: number }> {
  let created = 0;
  let updated = 0;
  await db.transaction(async (tx) => {
    const visit = async (u: InventoryUnit, parentId: string | null) => {
      const existing = await tx.query<{ name: string; code: string | null }>(
        'SELECT name, code FROM org_units WHERE id = $1',
        [u.id],
      );
      const row = existing.rows[0];
      if (!row) {
        await orgUnits.create(identity, { id: u.id, parentId, level: u.level, name: u.name, code: u.code }, tx);
        created++;
      } else if (row.name !== u.name || (u.code ?? null) !== row.code) {
        await orgUnits.update(identity, u.id, { name: u.name, code: u.code ?? null }, tx);
        updated++;
      }
      for (const child of u.units ?? []) await visit(child, u.id);
    };
    await visit(inv.orgUnits, null);
  });
  return { created, updated };
}

export function loadInventoryFile(path: string): InventoryFile {
  return parseInventory(readFileSync(path, 'utf8'), path);
}
