import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { applyInventory, parseInventory } from './file.js';
import { DEMO_INVENTORY, openTestInventory, type TestInventory } from './testing.js';

let t: TestInventory;
beforeEach(async () => {
  t = await openTestInventory();
});
afterEach(async () => {
  await t.close();
});

const demoText = () => readFileSync(DEMO_INVENTORY, 'utf8');
const apply = (text: string, source = 'test.yaml') =>
  applyInventory(t.db, t.orgUnits, t.system, parseInventory(text, source), {
    inventory: t.inventory,
    source,
  });

/** Row counts of every inventory table. */
async function tableCounts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const table of ['sites', 'devices', 'interfaces', 'links', 'clouds', 'hosts', 'dedicated_networks']) {
    const r = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`);
    out[table] = Number(r.rows[0]!.n);
  }
  return out;
}

describe('inventory file', () => {
  it('loads the demo province: a dual-plane extranet, four clouds, hosts and dedicated networks', async () => {
    const r = await apply(demoText(), DEMO_INVENTORY);
    expect(r.sections.devices.created).toBe(13);
    expect(r.sections.links.created).toBe(22);
    expect(r.sections.clouds.created).toBe(4);
    expect(r.sections.dedicatedNetworks.created).toBeGreaterThanOrEqual(4);
    const counts = await tableCounts();
    // 44 link ends and the provincial core's internet exit (sc-core-a:9).
    expect(counts).toMatchObject({ devices: 13, interfaces: 45, links: 22, clouds: 4 });

    const links = await t.inventory.links.list(t.system);
    // Every hop has one primary on plane A and one backup on plane B.
    const pairs = new Map<string, string[]>();
    for (const l of links) pairs.set(l.pairId!, [...(pairs.get(l.pairId!) ?? []), `${l.role}/${l.plane}`]);
    expect(pairs.size).toBe(11);
    for (const members of pairs.values()) expect(members.sort()).toEqual(['backup/B', 'primary/A']);
    const levels = new Set(links.map((l) => l.level));
    expect(levels).toEqual(new Set(['backbone', 'county', 'township']));
    // Link ends carry the interface speed of their tier.
    const ifs = new Map((await t.inventory.interfaces.list(t.system)).map((i) => [i.id, i]));
    for (const l of links) {
      const want = { backbone: 10000, county: 1000, township: 100 }[l.level as 'backbone'];
      expect(ifs.get(l.a.interfaceId)!.speedMbps).toBe(want);
      expect(ifs.get(l.b.interfaceId)!.speedMbps).toBe(want);
    }
    const devices = await t.inventory.devices.list(t.system);
    expect(devices.every((d) => d.managementAddress.startsWith('127.'))).toBe(true);
  });

  it('is idempotent: loading the same file again creates and updates nothing', async () => {
    await apply(demoText());
    const before = await tableCounts();
    const auditBefore = (await t.auditActions()).length;
    const again = await apply(demoText());
    expect(again.created).toBe(0);
    expect(again.updated).toBe(0);
    expect(again.sections.links.unchanged).toBe(22);
    expect(await tableCounts()).toEqual(before);
    expect((await t.auditActions()).length).toBe(auditBefore);
  });

  it('updates only what changed', async () => {
    await apply(demoText());
    const changed = demoText()
      .replace('name: 四川省大数据中心', 'name: 四川省大数据中心（天府）')
      .replace(
        "    migrationState: planned\n    plannedAt: '2025-09-30'",
        "    migrationState: migrated\n    plannedAt: '2025-09-30'\n    migratedAt: '2025-10-20'",
      );
    const r = await apply(changed);
    expect(r.created).toBe(0);
    expect(r.sections.sites.updated).toBe(1);
    expect(r.sections.dedicatedNetworks.updated).toBe(1);
    expect(r.updated).toBe(2);
    expect((await t.inventory.sites.get(t.system, 'sc-dc')).name).toBe('四川省大数据中心（天府）');
    expect((await t.inventory.dedicatedNetworks.get(t.system, 'sc-my-dn-housing')).migratedAt).toBe(
      '2025-10-20',
    );
  });

  it('is all-or-nothing: one bad item late in the file changes nothing', async () => {
    // The last dedicated network names an org unit that does not exist; everything before it is valid.
    const bad = demoText().replace(/orgUnitId: sc-lz\n(\s+name: 医疗保障专网)/, 'orgUnitId: sc-nowhere\n$1');
    expect(bad).not.toBe(demoText());
    const err = await apply(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(
      /test\.yaml: dedicatedNetworks "sc-lz-dn-medical": orgUnitId: .*sc-nowhere/,
    );
    expect(await tableCounts()).toEqual({
      sites: 0,
      devices: 0,
      interfaces: 0,
      links: 0,
      clouds: 0,
      hosts: 0,
      dedicated_networks: 0,
    });
  });

  it('rolls back a link rule violation found while applying, naming the link', async () => {
    // Make the backup of the Jinjiang uplink a second primary.
    const text = demoText().replace(
      /(b: \{ device: sc-cd-jj-acc, ifIndex: 2 \}\n\s+orgUnitId: sc-cd-jj\n\s+level: county\n\s+role: )backup/,
      '$1primary',
    );
    expect(text).not.toBe(demoText());
    await expect(apply(text)).rejects.toThrow(
      /test\.yaml: links "sc-cd-agg:12 ↔ sc-cd-jj-acc:2": pairId: pair "sc-cd-jj-uplink" already has a primary link/,
    );
    expect((await tableCounts()).devices).toBe(0);
  });

  it('rejects unknown fields, naming the file, section, item and field', () => {
    const text = `version: 1
sites:
  - id: sc-dc
    orgUnitId: sc
    name: DC
    kind: datacenter
    colour: red
`;
    expect(() => parseInventory(text, 'x.yaml')).toThrow(InputError);
    expect(() => parseInventory(text, 'x.yaml')).toThrow(
      /x\.yaml is not valid: sites\[0\] "sc-dc": .*colour/,
    );
  });

  it('names the device and field of a bad management address', () => {
    const text = `version: 1
devices:
  - id: r1
    siteId: s1
    name: R1
    role: access
    managementAddress: 127.0.0.300
`;
    expect(() => parseInventory(text, 'x.yaml')).toThrow(
      /x\.yaml is not valid: devices\[0\] "r1": managementAddress: "127\.0\.0\.300" is not an IPv4 or IPv6 address/,
    );
  });

  it('rejects unknown sections, duplicate ids and interfaces listed twice', () => {
    expect(() => parseInventory('version: 1\nrouters: []\n', 'x.yaml')).toThrow(/routers/);
    expect(() =>
      parseInventory(
        'version: 1\nclouds:\n  - {id: c1, orgUnitId: sc, name: C, kind: other, tier: dr}\n  - {id: c1, orgUnitId: sc, name: C, kind: other, tier: dr}\n',
        'x.yaml',
      ),
    ).toThrow(/x\.yaml: clouds "c1": id: listed twice/);
    expect(() =>
      parseInventory(
        `version: 1
devices:
  - id: r1
    siteId: s1
    name: R1
    role: access
    managementAddress: 127.0.0.9
    interfaces:
      - { ifIndex: 1, name: a }
      - { ifIndex: 1, name: b }
`,
        'x.yaml',
      ),
    ).toThrow(/devices "r1": interfaces: ifIndex 1 is listed twice/);
  });

  it('reports a link end that names a missing interface', async () => {
    const text = `${demoText()}`.replace(
      'b: { device: sc-my-agg, ifIndex: 1 }',
      'b: { device: sc-my-agg, ifIndex: 99 }',
    );
    await expect(apply(text)).rejects.toThrow(
      /links "sc-core-a:2 ↔ sc-my-agg:99": b: device "sc-my-agg" has no interface with ifIndex 99/,
    );
  });
});
