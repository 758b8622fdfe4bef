import { readFile } from 'node:fs/promises';
import { isIPv4 } from 'node:net';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { formatIssues, LabConfigError } from './errors.js';

/** The SNMP port a lab router listens on when the inventory names none. */
export const defaultLabPort = 16100;

const Slug = z.string().min(1).max(63);
const IfIndex = z.number().int().min(1).max(2_147_483_647);

/** The part of an inventory interface the lab uses. */
const LabInterfaceSchema = z.object({
  ifIndex: IfIndex,
  name: z.string().min(1).max(256),
  speedMbps: z.number().int().min(1).max(10_000_000).optional(),
  alias: z.string().max(256).optional(),
  /** The interface leads to the internet: the lab gives it internet traffic (scenario load.external). */
  internetEgress: z.boolean().optional(),
});

/** The part of an inventory device the lab uses; the other fields of the file are tolerated. */
const LabDeviceSchema = z.object({
  id: Slug,
  name: z.string().max(256).optional(),
  role: z.string().max(64).optional(),
  vendor: z.string().max(100).optional(),
  model: z.string().max(100).optional(),
  managementAddress: z.string().refine(isIPv4, 'managementAddress must be an IPv4 address'),
  snmp: z
    .object({
      version: z.enum(['2c', '3']).optional(),
      credentialRef: z.string().optional(),
      port: z.number().int().min(0).max(65535).optional(),
    })
    .optional(),
  sysObjectId: z
    .string()
    .regex(/^[0-9]+(\.[0-9]+)+$/)
    .optional(),
  plane: z.string().optional(),
  /** Where the device is (its site's org unit is the device's, for the addresses of its flows). */
  siteId: z.string().optional(),
  orgUnitId: z.string().optional(),
  interfaces: z.array(LabInterfaceSchema).max(100_000).default([]),
});

/** An IP prefix of the registry: the lab draws the addresses of its flows from these. */
const LabPrefixSchema = z.object({
  prefix: z.string().regex(/^[0-9A-Fa-f:.]+\/\d{1,3}$/, 'a prefix such as 10.51.0.0/16 or 2001:db8::/32'),
  orgUnitId: z.string().min(1),
  purpose: z.string().optional(),
});

const LinkEndSchema = z.object({ device: Slug, ifIndex: IfIndex });

const LabLinkSchema = z.object({
  a: LinkEndSchema,
  b: LinkEndSchema,
  level: z.enum(['backbone', 'city', 'county', 'township', 'department']),
  role: z.enum(['primary', 'backup']).default('primary'),
  plane: z.string().optional(),
  pairId: Slug.optional(),
});

/** The lab's view of an inventory file: devices with their interfaces, and links. */
export const LabInventorySchema = z.object({
  devices: z.array(LabDeviceSchema).max(100_000).default([]),
  links: z.array(LabLinkSchema).max(1_000_000).default([]),
  prefixes: z.array(LabPrefixSchema).max(1_000_000).default([]),
  sites: z
    .array(z.object({ id: z.string().min(1), orgUnitId: z.string().min(1) }))
    .max(100_000)
    .default([]),
});

export type LabInventoryInput = z.input<typeof LabInventorySchema>;
export type LabInventory = z.infer<typeof LabInventorySchema>;
export type LabDevice = LabInventory['devices'][number];
export type LabLinkLevel = LabInventory['links'][number]['level'];

/** Validates an inventory object (already parsed from YAML or built in code). */
export function parseInventory(input: unknown, source = 'inventory'): LabInventory {
  const r = LabInventorySchema.safeParse(input);
  if (!r.success) throw new LabConfigError(`${source} is not valid: ${formatIssues(r.error.issues)}`);
  const inv = r.data;
  const byId = new Map<string, LabDevice>();
  for (const [i, d] of inv.devices.entries()) {
    if (byId.has(d.id))
      throw new LabConfigError(`${source} is not valid: devices[${i}].id: duplicate ${d.id}`);
    byId.set(d.id, d);
    const seen = new Set<number>();
    for (const [j, itf] of d.interfaces.entries()) {
      if (seen.has(itf.ifIndex)) {
        throw new LabConfigError(
          `${source} is not valid: devices[${i}].interfaces[${j}].ifIndex: duplicate ${itf.ifIndex} on ${d.id}`,
        );
      }
      seen.add(itf.ifIndex);
    }
  }
  const usedEnds = new Set<string>();
  for (const [i, l] of inv.links.entries()) {
    for (const side of ['a', 'b'] as const) {
      const end = l[side];
      const dev = byId.get(end.device);
      const where = `${source} is not valid: links[${i}].${side}`;
      if (!dev) throw new LabConfigError(`${where}.device: unknown device ${end.device}`);
      if (!dev.interfaces.some((x) => x.ifIndex === end.ifIndex)) {
        throw new LabConfigError(`${where}.ifIndex: ${end.device} has no interface ${end.ifIndex}`);
      }
      const key = `${end.device}:${end.ifIndex}`;
      if (usedEnds.has(key)) throw new LabConfigError(`${where}: ${key} is already the end of another link`);
      usedEnds.add(key);
    }
  }
  return inv;
}

/** Reads and validates an inventory YAML file. */
export async function loadInventory(file: string): Promise<LabInventory> {
  let doc: unknown;
  try {
    doc = parseYaml(await readFile(file, 'utf8'));
  } catch (err) {
    throw new LabConfigError(`${file}: ${(err as Error).message}`);
  }
  return parseInventory(doc, file);
}
