import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { findUnsafeValue } from '@tianshu/protocol';
import { DomainError, InputError, zodDetails, type ErrorDetail } from '../errors.js';
import type { Identity } from '../auth/identity.js';
import type { Queryable, StateStore } from '../store/state/index.js';
import { ORG_LEVELS, OrgUnitId, type OrgUnitService } from './org-units.js';
import { Slug } from './common.js';
import { SiteInput } from './sites.js';
import { DeviceInput } from './devices.js';
import { InterfaceInput } from './interfaces.js';
import { LinkInput } from './links.js';
import { CloudInput } from './clouds.js';
import { HostInput } from './hosts.js';
import { DedicatedNetworkInput } from './dedicated-networks.js';
import { PrefixInput } from './prefixes.js';
import type { Inventory } from './inventory.js';

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

/** An interface nested under its device in the file; the device is implied. */
const FileInterface = InterfaceInput.omit({ deviceId: true }).strict();

const FileDevice = DeviceInput.extend({ interfaces: z.array(FileInterface).optional() }).strict();

/** A link end in the file names the device and the interface's ifIndex (interface ids are server-made). */
const FileEndpoint = z
  .object({
    device: Slug,
    ifIndex: z.number().int().min(1).max(2_147_483_647),
  })
  .strict();

const FileLink = LinkInput.omit({ a: true, b: true }).extend({ a: FileEndpoint, b: FileEndpoint }).strict();

export const InventoryFile = z
  .object({
    version: z.literal(1),
    orgUnits: Unit.optional(),
    /** Applied before devices, whose management addresses must lie in their units' prefixes. */
    prefixes: z.array(PrefixInput).optional(),
    sites: z.array(SiteInput).optional(),
    devices: z.array(FileDevice).optional(),
    links: z.array(FileLink).optional(),
    clouds: z.array(CloudInput).optional(),
    hosts: z.array(HostInput).optional(),
    dedicatedNetworks: z.array(DedicatedNetworkInput).optional(),
  })
  .strict();
export type InventoryFile = z.infer<typeof InventoryFile>;
type FileLink = z.infer<typeof FileLink>;

const SECTIONS = ['prefixes', 'sites', 'devices', 'links', 'clouds', 'hosts', 'dedicatedNetworks'] as const;
type Section = (typeof SECTIONS)[number];

/** How an item is named in messages: its id, or for links its two ends. */
function itemName(section: string, item: unknown): string | undefined {
  if (!item || typeof item !== 'object') return undefined;
  const o = item as Record<string, unknown>;
  if (section === 'prefixes') return typeof o.prefix === 'string' ? o.prefix : undefined;
  if (section === 'links') {
    const end = (e: unknown) => {
      const x = (e ?? {}) as Record<string, unknown>;
      return `${String(x.device)}:${String(x.ifIndex)}`;
    };
    return `${end(o.a)} ↔ ${end(o.b)}`;
  }
  return typeof o.id === 'string' ? o.id : undefined;
}

/** Turns a zod path (`devices.3.interfaces.0.ifIndex`) into `devices[3] "sc-core-a": interfaces.0.ifIndex`. */
function describePath(doc: unknown, path: string): string {
  const [section, index, ...rest] = path.split('.');
  if (
    !section ||
    !(SECTIONS as readonly string[]).includes(section) ||
    index === undefined ||
    !/^\d+$/.test(index)
  ) {
    return path;
  }
  const items = (doc as Record<string, unknown>)[section];
  const name = Array.isArray(items) ? itemName(section, items[Number(index)]) : undefined;
  return `${section}[${index}]${name ? ` "${name}"` : ''}${rest.length ? `: ${rest.join('.')}` : ''}`;
}

/** Validates an already-parsed document (YAML or JSON) against the file schema and its own cross-references. */
export function validateInventory(doc: unknown, source = 'inventory'): InventoryFile {
  // Before zod: a document nested thousands deep would overflow its recursive validation.
  const bad = findUnsafeValue(doc);
  if (bad) throw new InputError(`${source} is not valid: ${bad.path}: ${bad.message}`, [bad]);
  const r = InventoryFile.safeParse(doc);
  if (!r.success) {
    const details: ErrorDetail[] = zodDetails(r.error.issues).map((d) => ({
      path: d.path,
      message: d.message,
    }));
    const text = details.map((d) => `${describePath(doc, d.path)}: ${d.message}`).join('; ');
    throw new InputError(`${source} is not valid: ${text}`, details);
  }
  checkUnique(r.data, source);
  return r.data;
}

/** Ids must be unique within a section, ifIndexes within a device, and each interface ends one link. */
function checkUnique(inv: InventoryFile, source: string): void {
  for (const section of ['sites', 'devices', 'clouds', 'hosts', 'dedicatedNetworks'] as const) {
    const seen = new Set<string>();
    for (const item of inv[section] ?? []) {
      if (seen.has(item.id)) throw new InputError(`${source}: ${section} "${item.id}": id: listed twice`);
      seen.add(item.id);
    }
  }
  for (const d of inv.devices ?? []) {
    const seen = new Set<number>();
    for (const i of d.interfaces ?? []) {
      if (seen.has(i.ifIndex)) {
        throw new InputError(
          `${source}: devices "${d.id}": interfaces: ifIndex ${i.ifIndex} is listed twice`,
        );
      }
      seen.add(i.ifIndex);
    }
  }
  const ends = new Map<string, string>();
  for (const l of inv.links ?? []) {
    const name = itemName('links', l)!;
    for (const side of ['a', 'b'] as const) {
      const key = `${l[side].device}:${l[side].ifIndex}`;
      const other = ends.get(key);
      if (other)
        throw new InputError(
          `${source}: links "${name}": ${side}: interface ${key} also ends link "${other}"`,
        );
      ends.set(key, name);
    }
  }
}

export function parseInventory(text: string, source = 'inventory'): InventoryFile {
  let doc: unknown;
  try {
    doc = parseYaml(text, { uniqueKeys: true });
  } catch (err) {
    throw new InputError(`${source} is not valid YAML: ${(err as Error).message.split('\n')[0]}`, {
      code: 'input.yaml',
    });
  }
  return validateInventory(doc, source);
}

/** What one load did, per section. */
export interface SectionCounts {
  created: number;
  updated: number;
  unchanged: number;
}

export interface ApplyResult {
  /** Totals over every section. */
  created: number;
  updated: number;
  sections: Record<'orgUnits' | 'interfaces' | Section, SectionCounts>;
}

export interface ApplyOptions {
  /** Needed when the file has anything beside `orgUnits`. */
  inventory?: Inventory | undefined;
  /** Named in error messages: the file path, or "import". */
  source?: string | undefined;
}

/** Fields that differ between what the file wants and what is stored; absent optional fields mean "none". */
function changes(
  want: Record<string, unknown>,
  have: Record<string, unknown>,
  keys: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const w = want[k] ?? null;
    const h = have[k] ?? null;
    if (JSON.stringify(w) !== JSON.stringify(h)) out[k] = w;
  }
  return out;
}

/** Re-throws a service error with the file, section and item in front of its message. */
function located(err: unknown, source: string, section: string, name: string): never {
  if (err instanceof DomainError) {
    throw err.prefixed(`${source}: ${section} "${name}": `);
  }
  throw err;
}

/**
 * Loads an inventory file in one transaction, in dependency order (org units, sites, devices with
 * their interfaces, clouds, hosts, dedicated networks, links): creates what is missing and updates
 * what changed, so loading the same file twice changes nothing. Records present in the database but
 * absent from the file are left alone (they may have been added through the API). Any error rolls
 * the whole load back and names the file, the section, the item and the field.
 */
export async function applyInventory(
  db: StateStore,
  orgUnits: OrgUnitService,
  identity: Identity,
  inv: InventoryFile,
  options: ApplyOptions = {},
): Promise<ApplyResult> {
  const source = options.source ?? 'inventory';
  const zero = (): SectionCounts => ({ created: 0, updated: 0, unchanged: 0 });
  const sections: ApplyResult['sections'] = {
    orgUnits: zero(),
    prefixes: zero(),
    sites: zero(),
    devices: zero(),
    interfaces: zero(),
    clouds: zero(),
    hosts: zero(),
    dedicatedNetworks: zero(),
    links: zero(),
  };
  const inventory = options.inventory;
  if (!inventory && SECTIONS.some((s) => (inv[s]?.length ?? 0) > 0)) {
    throw new Error('applyInventory needs the inventory services to load anything beside orgUnits');
  }
  const count = (section: keyof ApplyResult['sections'], what: keyof SectionCounts) =>
    sections[section][what]++;

  await db.transaction(async (tx) => {
    if (inv.orgUnits) await applyUnits(tx, orgUnits, identity, inv.orgUnits, source, count);
    if (!inventory) return;
    const { sites, devices, interfaces, clouds, hosts, dedicatedNetworks, prefixes } = inventory;

    // Parents before children: a delegation needs the enclosing prefix to exist.
    const byLength = [...(inv.prefixes ?? [])].sort(
      (a, b) => Number(a.prefix.split('/')[1]) - Number(b.prefix.split('/')[1]),
    );
    for (const p of byLength) {
      try {
        const text = p.prefix.trim();
        const have = await prefixes.findByPrefix(identity, p.purpose, text, tx);
        if (!have) {
          await prefixes.create(identity, p, tx);
          count('prefixes', 'created');
          continue;
        }
        if (have.orgUnitId !== p.orgUnitId) {
          throw new InputError(
            `orgUnitId: ${text} is registered for org unit "${have.orgUnitId}"; delete it to delegate it elsewhere`,
          );
        }
        if ((have.description ?? null) !== (p.description ?? null)) {
          await prefixes.update(identity, have.id, { description: p.description ?? null }, tx);
          count('prefixes', 'updated');
        } else count('prefixes', 'unchanged');
      } catch (err) {
        located(err, source, 'prefixes', p.prefix);
      }
    }

    for (const s of inv.sites ?? []) {
      try {
        const have = await sites.find(identity, s.id, tx);
        if (!have) {
          await sites.create(identity, s, tx);
          count('sites', 'created');
          continue;
        }
        const patch = changes(s, { ...have }, [
          'orgUnitId',
          'name',
          'kind',
          'address',
          'latitude',
          'longitude',
        ]);
        if (Object.keys(patch).length) {
          await sites.update(identity, s.id, patch, tx);
          count('sites', 'updated');
        } else count('sites', 'unchanged');
      } catch (err) {
        located(err, source, 'sites', s.id);
      }
    }

    for (const d of inv.devices ?? []) {
      const { interfaces: ifaces, ...device } = d;
      try {
        const have = await devices.find(identity, d.id, tx);
        if (!have) {
          await devices.create(identity, device, tx);
          count('devices', 'created');
        } else {
          const patch = changes(device, { ...have }, [
            'siteId',
            'name',
            'role',
            'vendor',
            'model',
            'managementAddress',
            'snmp',
            'sysObjectId',
            'plane',
            'pollerAgentId',
            'criticality',
          ]);
          if (Object.keys(patch).length) {
            await devices.update(identity, d.id, patch, tx);
            count('devices', 'updated');
          } else count('devices', 'unchanged');
        }
        for (const i of ifaces ?? []) {
          const existing = await interfaces.findByIndex(identity, d.id, i.ifIndex, tx);
          if (!existing) {
            await interfaces.create(identity, { ...i, deviceId: d.id }, tx);
            count('interfaces', 'created');
            continue;
          }
          const patch = changes({ ...i, internetEgress: i.internetEgress ?? false }, { ...existing }, [
            'name',
            'alias',
            'speedMbps',
            'internetEgress',
          ]);
          if (Object.keys(patch).length) {
            await interfaces.update(identity, existing.id, patch, tx);
            count('interfaces', 'updated');
          } else count('interfaces', 'unchanged');
        }
      } catch (err) {
        located(err, source, 'devices', d.id);
      }
    }

    for (const c of inv.clouds ?? []) {
      try {
        const have = await clouds.find(identity, c.id, tx);
        if (!have) {
          await clouds.create(identity, c, tx);
          count('clouds', 'created');
          continue;
        }
        const patch = changes(c, { ...have }, ['orgUnitId', 'name', 'kind', 'tier', 'apiEndpoint', 'region']);
        if (Object.keys(patch).length) {
          await clouds.update(identity, c.id, patch, tx);
          count('clouds', 'updated');
        } else count('clouds', 'unchanged');
      } catch (err) {
        located(err, source, 'clouds', c.id);
      }
    }

    for (const h of inv.hosts ?? []) {
      try {
        const have = await hosts.find(identity, h.id, tx);
        if (!have) {
          await hosts.create(identity, h, tx);
          count('hosts', 'created');
          continue;
        }
        const want = { ...h, addresses: h.addresses ?? [] };
        const patch = changes(want, { ...have }, [
          'cloudId',
          'orgUnitId',
          'hostname',
          'addresses',
          'agentId',
          'role',
          'criticality',
        ]);
        if (Object.keys(patch).length) {
          await hosts.update(identity, h.id, patch, tx);
          count('hosts', 'updated');
        } else count('hosts', 'unchanged');
      } catch (err) {
        located(err, source, 'hosts', h.id);
      }
    }

    for (const n of inv.dedicatedNetworks ?? []) {
      try {
        const have = await dedicatedNetworks.find(identity, n.id, tx);
        if (!have) {
          await dedicatedNetworks.create(identity, n, tx);
          count('dedicatedNetworks', 'created');
          continue;
        }
        const patch = changes(n, { ...have }, [
          'orgUnitId',
          'name',
          'ownerDepartment',
          'classification',
          'migrationState',
          'plannedAt',
          'migratedAt',
        ]);
        if (Object.keys(patch).length) {
          await dedicatedNetworks.update(identity, n.id, patch, tx);
          count('dedicatedNetworks', 'updated');
        } else count('dedicatedNetworks', 'unchanged');
      } catch (err) {
        located(err, source, 'dedicatedNetworks', n.id);
      }
    }

    for (const l of inv.links ?? []) {
      const name = itemName('links', l)!;
      try {
        await applyLink(tx, inventory, identity, l, count);
      } catch (err) {
        located(err, source, 'links', name);
      }
    }
  });

  const total = (what: 'created' | 'updated') => Object.values(sections).reduce((n, s) => n + s[what], 0);
  return { created: total('created'), updated: total('updated'), sections };
}

async function applyUnits(
  tx: Queryable,
  orgUnits: OrgUnitService,
  identity: Identity,
  root: InventoryUnit,
  source: string,
  count: (section: 'orgUnits', what: keyof SectionCounts) => void,
): Promise<void> {
  const visit = async (u: InventoryUnit, parentId: string | null) => {
    try {
      const existing = await tx.query<{ name: string; code: string | null }>(
        'SELECT name, code FROM org_units WHERE id = $1',
        [u.id],
      );
      const row = existing.rows[0];
      if (!row) {
        await orgUnits.create(
          identity,
          { id: u.id, parentId, level: u.level, name: u.name, code: u.code },
          tx,
        );
        count('orgUnits', 'created');
      } else if (row.name !== u.name || (u.code ?? null) !== row.code) {
        await orgUnits.update(identity, u.id, { name: u.name, code: u.code ?? null }, tx);
        count('orgUnits', 'updated');
      } else count('orgUnits', 'unchanged');
    } catch (err) {
      located(err, source, 'orgUnits', u.id);
    }
    for (const child of u.units ?? []) await visit(child, u.id);
  };
  await visit(root, null);
}

/** A link is matched to a stored one by either of its end interfaces (an interface ends one link). */
async function applyLink(
  tx: Queryable,
  inventory: Inventory,
  identity: Identity,
  l: FileLink,
  count: (section: 'links', what: keyof SectionCounts) => void,
): Promise<void> {
  const resolve = async (side: 'a' | 'b') => {
    const ifc = await inventory.interfaces.findByIndex(identity, l[side].device, l[side].ifIndex, tx);
    if (!ifc) {
      throw new InputError(
        `${side}: device "${l[side].device}" has no interface with ifIndex ${l[side].ifIndex}`,
      );
    }
    return { deviceId: l[side].device, interfaceId: ifc.id };
  };
  const a = await resolve('a');
  const b = await resolve('b');
  const { a: _a, b: _b, ...rest } = l;
  const want = { ...rest, a, b };
  const have =
    (await inventory.links.findByInterface(identity, a.interfaceId, tx)) ??
    (await inventory.links.findByInterface(identity, b.interfaceId, tx));
  if (!have) {
    await inventory.links.create(identity, want, tx);
    count('links', 'created');
    return;
  }
  const patch = changes(want, { ...have }, ['orgUnitId', 'level', 'role', 'plane', 'pairId', 'targetMbps']);
  const sameEnds =
    new Set([have.a.interfaceId, have.b.interfaceId, a.interfaceId, b.interfaceId]).size === 2 &&
    [have.a.interfaceId, have.b.interfaceId].includes(a.interfaceId);
  if (!sameEnds) Object.assign(patch, { a, b });
  if (Object.keys(patch).length) {
    await inventory.links.update(identity, have.id, patch, tx);
    count('links', 'updated');
  } else count('links', 'unchanged');
}

export function loadInventoryFile(path: string): InventoryFile {
  return parseInventory(readFileSync(path, 'utf8'), path);
}
