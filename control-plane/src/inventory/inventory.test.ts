import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '../errors.js';
import type { Identity } from '../auth/identity.js';
import { applyInventory, parseInventory } from './file.js';
import { DEMO_INVENTORY, openTestInventory, type TestInventory } from './testing.js';

let t: TestInventory;
let jjUser: Identity;
let slUser: Identity;
let cdUser: Identity;
let auditor: Identity;

/** The interface with `ifIndex` on `deviceId`, as the system sees it. */
async function ifc(deviceId: string, ifIndex: number): Promise<string> {
  const i = await t.inventory.interfaces.findByIndex(t.system, deviceId, ifIndex);
  if (!i) throw new Error(`no interface ${deviceId}/${ifIndex}`);
  return i.id;
}

beforeAll(async () => {
  t = await openTestInventory();
  await applyInventory(t.db, t.orgUnits, t.system, parseInventory(readFileSync(DEMO_INVENTORY, 'utf8')), {
    inventory: t.inventory,
  });
  // Two counties of Chengdu, and the city above them.
  jjUser = await t.as('network-operator', 'sc-cd-jj');
  slUser = await t.as('network-operator', 'sc-cd-sl');
  cdUser = await t.as('network-operator', 'sc-cd');
  auditor = await t.as('auditor', 'sc');
  await t.inventory.hosts.create(t.system, {
    id: 'sc-cd-jj-host-1',
    orgUnitId: 'sc-cd-jj',
    hostname: 'host-1.jj.example',
    addresses: ['10.40.0.1'],
  });
});
afterAll(async () => {
  await t?.close();
});

describe('validation', () => {
  it('rejects a management address that is not IPv4 or IPv6, naming the field', async () => {
    const err = await t.inventory.devices
      .create(t.system, {
        id: 'r-bad',
        siteId: 'sc-dc',
        name: 'R',
        role: 'core',
        managementAddress: '10.0.0.256',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(
      /managementAddress: "10\.0\.0\.256" is not an IPv4 or IPv6 address/,
    );
    // IPv6 is accepted.
    await t.inventory.prefixes.create(t.system, {
      prefix: '2001:db8::/32',
      orgUnitId: 'sc',
      purpose: 'management',
    });
    const d = await t.inventory.devices.create(t.system, {
      id: 'r-v6',
      siteId: 'sc-dc',
      name: 'R6',
      role: 'firewall',
      managementAddress: '2001:db8::1',
    });
    expect(d.orgUnitId).toBe('sc');
  });

  it('rejects unknown fields, naming them', async () => {
    const input = { id: 's-x', orgUnitId: 'sc', name: 'X', kind: 'node', colour: 'red' };
    await expect(t.inventory.sites.create(t.system, input as never)).rejects.toThrow(InputError);
    await expect(t.inventory.sites.create(t.system, input as never)).rejects.toThrow(/colour/);
    await expect(t.inventory.sites.update(t.system, 'sc-dc', { nmae: 'x' } as never)).rejects.toThrow(/nmae/);
  });

  it('rejects a link whose two ends are the same interface', async () => {
    const i = await ifc('sc-core-a', 1);
    const err = await t.inventory.links
      .create(t.system, {
        a: { deviceId: 'sc-core-a', interfaceId: i },
        b: { deviceId: 'sc-core-a', interfaceId: i },
        orgUnitId: 'sc',
        level: 'backbone',
        role: 'primary',
        plane: 'A',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/^b\.interfaceId: /);
  });

  it('rejects an interface that is not on the named device', async () => {
    await t.inventory.interfaces.create(t.system, { deviceId: 'sc-cd-agg', ifIndex: 50, name: 'GE1/0/50' });
    await t.inventory.interfaces.create(t.system, {
      deviceId: 'sc-cd-sl-acc',
      ifIndex: 50,
      name: 'GE0/0/50',
    });
    const err = await t.inventory.links
      .create(t.system, {
        // Interface 1 of the county router named as if it were on the city router.
        a: { deviceId: 'sc-cd-agg', interfaceId: await ifc('sc-cd-sl-acc', 1) },
        b: { deviceId: 'sc-cd-sl-acc', interfaceId: await ifc('sc-cd-sl-acc', 50) },
        orgUnitId: 'sc-cd-sl',
        level: 'county',
        role: 'primary',
        plane: 'A',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/^a\.interfaceId: ".*" is not an interface of device "sc-cd-agg"/);
  });

  it('rejects a second primary in a pair', async () => {
    const err = await t.inventory.links
      .create(t.system, {
        a: { deviceId: 'sc-cd-agg', interfaceId: await ifc('sc-cd-agg', 50) },
        b: { deviceId: 'sc-cd-sl-acc', interfaceId: await ifc('sc-cd-sl-acc', 50) },
        orgUnitId: 'sc-cd-sl',
        level: 'county',
        role: 'primary',
        plane: 'B',
        pairId: 'sc-cd-sl-uplink',
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/^pairId: pair "sc-cd-sl-uplink" already has a primary link/);
  });

  it('rejects a link whose level does not fit the org unit it serves', async () => {
    const base = {
      a: { deviceId: 'sc-cd-agg', interfaceId: await ifc('sc-cd-agg', 50) },
      b: { deviceId: 'sc-cd-sl-acc', interfaceId: await ifc('sc-cd-sl-acc', 50) },
      role: 'primary' as const,
      plane: 'A' as const,
    };
    await expect(
      t.inventory.links.create(t.system, { ...base, orgUnitId: 'sc-cd-sl', level: 'township' }),
    ).rejects.toThrow(/^level: a township link serves a township org unit, but "sc-cd-sl" is a county/);
    await expect(
      t.inventory.links.create(t.system, { ...base, orgUnitId: 'sc-cd-sl', level: 'backbone' }),
    ).rejects.toThrow(InputError);
    // A county link for Jinjiang cannot end on Shuangliu's router.
    await expect(
      t.inventory.links.create(t.system, { ...base, orgUnitId: 'sc-cd-jj', level: 'county' }),
    ).rejects.toThrow(
      /^b\.deviceId: device "sc-cd-sl-acc" is neither in org unit "sc-cd-jj" nor above or below it/,
    );
    // The same ends serving the right county at the right level are accepted.
    const ok = await t.inventory.links.create(t.system, {
      ...base,
      orgUnitId: 'sc-cd-sl',
      level: 'county',
      targetMbps: 1000,
    });
    expect(ok).toMatchObject({ orgUnitId: 'sc-cd-sl', level: 'county', pairId: null, targetMbps: 1000 });
    // An interface carries one link.
    await expect(
      t.inventory.links.create(t.system, { ...base, orgUnitId: 'sc-cd-sl', level: 'county', role: 'backup' }),
    ).rejects.toThrow(/^a\.interfaceId: .* already ends link/);
    await t.inventory.links.remove(t.system, ok.id);
  });

  it('checks the other fields of every kind', async () => {
    await expect(
      t.inventory.interfaces.create(t.system, { deviceId: 'sc-cd-agg', ifIndex: 0, name: 'x' }),
    ).rejects.toThrow(/ifIndex/);
    await expect(
      t.inventory.interfaces.create(t.system, { deviceId: 'sc-cd-agg', ifIndex: 50, name: 'dup' }),
    ).rejects.toThrow(ConflictError);
    await expect(
      t.inventory.clouds.create(t.system, {
        id: 'c-x',
        orgUnitId: 'sc',
        name: 'C',
        kind: 'other',
        tier: 'dr',
        apiEndpoint: 'not a url',
      }),
    ).rejects.toThrow(/apiEndpoint/);
    await expect(
      t.inventory.hosts.create(t.system, {
        id: 'h-x',
        orgUnitId: 'sc',
        hostname: 'h',
        addresses: ['10.0.0.1', 'fe80::zz'],
      }),
    ).rejects.toThrow(/addresses\.1: "fe80::zz" is not an IPv4 or IPv6 address/);
    await expect(
      t.inventory.dedicatedNetworks.create(t.system, {
        id: 'dn-x',
        orgUnitId: 'sc',
        name: 'N',
        ownerDepartment: 'D',
        classification: 'secret',
        migrationState: 'migrating',
      }),
    ).rejects.toThrow(/^migrationState: a secret dedicated network does not migrate/);
    await expect(
      t.inventory.devices.create(t.system, {
        id: 'r-dup-addr',
        siteId: 'sc-dc',
        name: 'R',
        role: 'core',
        managementAddress: '127.0.1.1',
      }),
    ).rejects.toThrow(/managementAddress: 127\.0\.1\.1 is already used by device "sc-core-a"/);
  });
});

describe('scoping by org unit', () => {
  const others = async () => {
    const jjLink = (await t.inventory.links.list(t.system, { pairId: 'sc-cd-jj-uplink' }))[0]!;
    return [
      { kind: 'sites', svc: t.inventory.sites, id: 'sc-cd-jj-node', patch: { name: 'x' } },
      { kind: 'devices', svc: t.inventory.devices, id: 'sc-cd-jj-acc', patch: { name: 'x' } },
      { kind: 'links', svc: t.inventory.links, id: jjLink.id, patch: { targetMbps: 10 } },
      { kind: 'hosts', svc: t.inventory.hosts, id: 'sc-cd-jj-host-1', patch: { role: 'x' } },
      {
        kind: 'dedicated networks',
        svc: t.inventory.dedicatedNetworks,
        id: 'sc-cd-jj-dn-grid',
        patch: { name: 'x' },
      },
    ] as const;
  };

  it("a county user cannot list, get, update or delete another county's records", async () => {
    for (const o of await others()) {
      const svc = o.svc as unknown as {
        list(i: Identity, f?: object): Promise<{ id: string }[]>;
        get(i: Identity, id: string): Promise<unknown>;
        update(i: Identity, id: string, p: object): Promise<unknown>;
        remove(i: Identity, id: string): Promise<void>;
      };
      // The owner county sees it; the neighbour does not.
      expect(
        (await svc.list(jjUser)).map((x) => x.id),
        o.kind,
      ).toContain(o.id);
      expect(
        (await svc.list(slUser)).map((x) => x.id),
        o.kind,
      ).not.toContain(o.id);
      await expect(svc.list(slUser, { orgUnitId: 'sc-cd-jj' }), o.kind).rejects.toThrow(NotFoundError);
      await expect(svc.get(slUser, o.id), o.kind).rejects.toThrow(NotFoundError);
      await expect(svc.update(slUser, o.id, o.patch), o.kind).rejects.toThrow(NotFoundError);
      await expect(svc.remove(slUser, o.id), o.kind).rejects.toThrow(NotFoundError);
      // Still there, unchanged.
      expect(await svc.get(t.system, o.id), o.kind).not.toMatchObject(o.patch);
    }
  });

  it('a county user cannot create records in another county', async () => {
    await expect(
      t.inventory.sites.create(slUser, { id: 'sl-in-jj', orgUnitId: 'sc-cd-jj', name: 'S', kind: 'node' }),
    ).rejects.toThrow(/^orgUnitId: org unit "sc-cd-jj" not found/);
    await expect(
      t.inventory.devices.create(slUser, {
        id: 'sl-dev-in-jj',
        siteId: 'sc-cd-jj-node',
        name: 'D',
        role: 'access',
        managementAddress: '127.0.9.1',
      }),
    ).rejects.toThrow(/^siteId: site "sc-cd-jj-node" not found/);
    await expect(
      t.inventory.interfaces.create(slUser, { deviceId: 'sc-cd-jj-acc', ifIndex: 77, name: 'x' }),
    ).rejects.toThrow(NotFoundError);
    await expect(
      t.inventory.hosts.create(slUser, { id: 'sl-host-in-jj', orgUnitId: 'sc-cd-jj', hostname: 'h' }),
    ).rejects.toThrow(NotFoundError);
    await expect(
      t.inventory.dedicatedNetworks.create(slUser, {
        id: 'sl-dn-in-jj',
        orgUnitId: 'sc-cd-jj',
        name: 'N',
        ownerDepartment: 'D',
        classification: 'non-secret',
        migrationState: 'planned',
      }),
    ).rejects.toThrow(NotFoundError);
    await expect(
      t.inventory.links.create(slUser, {
        a: { deviceId: 'sc-cd-jj-acc', interfaceId: await ifc('sc-cd-jj-acc', 11) },
        b: { deviceId: 'sc-cd-jj-dmj-acc', interfaceId: await ifc('sc-cd-jj-dmj-acc', 1) },
        orgUnitId: 'sc-cd-jj-dmj',
        level: 'township',
        role: 'primary',
        plane: 'A',
      }),
    ).rejects.toThrow(NotFoundError);
    const sites = await t.db.query(`SELECT 1 FROM sites WHERE id LIKE 'sl-%'`);
    expect(sites.rowCount).toBe(0);
  });

  it('a city user sees its counties and nothing of other cities', async () => {
    const sites = (await t.inventory.sites.list(cdUser)).map((s) => s.id);
    expect(sites).toEqual(
      expect.arrayContaining(['sc-cd-node', 'sc-cd-jj-node', 'sc-cd-sl-node', 'sc-cd-jj-dmj-ap']),
    );
    expect(sites.some((s) => s.startsWith('sc-my') || s === 'sc-dc')).toBe(false);
    const devices = (await t.inventory.devices.list(cdUser, { orgUnitId: 'sc-cd-jj' })).map((d) => d.id);
    expect(devices.sort()).toEqual(['sc-cd-jj-acc', 'sc-cd-jj-dmj-acc']);
    const links = await t.inventory.links.list(cdUser);
    expect(new Set(links.map((l) => l.orgUnitId))).toEqual(
      new Set(['sc-cd', 'sc-cd-jj', 'sc-cd-sl', 'sc-cd-jj-dmj', 'sc-cd-sl-dsj']),
    );
    expect((await t.inventory.hosts.list(cdUser)).map((h) => h.id)).toEqual(
      expect.arrayContaining(['sc-cd-approval-app-1', 'sc-cd-jj-host-1']),
    );
    expect((await t.inventory.dedicatedNetworks.list(cdUser)).map((n) => n.id).sort()).toEqual([
      'sc-cd-dn-market',
      'sc-cd-jj-dn-grid',
    ]);
    await expect(t.inventory.devices.get(cdUser, 'sc-my-agg')).rejects.toThrow(NotFoundError);
    await expect(t.inventory.devices.get(cdUser, 'sc-core-a')).rejects.toThrow(NotFoundError);
  });

  it('a county sees the link that serves it but cannot change it, since one end is its city’s router', async () => {
    const [link] = await t.inventory.links.list(jjUser, { pairId: 'sc-cd-jj-uplink', role: 'primary' });
    expect(link).toBeDefined();
    await expect(t.inventory.links.update(jjUser, link!.id, { targetMbps: 500 })).rejects.toThrow(
      NotAllowedError,
    );
    await expect(t.inventory.links.remove(jjUser, link!.id)).rejects.toThrow(NotAllowedError);
    // The city can.
    const changed = await t.inventory.links.update(cdUser, link!.id, { targetMbps: 2000 });
    expect(changed.targetMbps).toBe(2000);
    await t.inventory.links.update(cdUser, link!.id, { targetMbps: null });
  });

  it('read-only roles cannot change inventory', async () => {
    expect((await t.inventory.sites.list(auditor)).length).toBeGreaterThan(10);
    await expect(t.inventory.sites.update(auditor, 'sc-dc', { name: 'x' })).rejects.toThrow(NotAllowedError);
  });
});

describe('changes', () => {
  it('records an audit entry for every change, in its transaction', async () => {
    const before = (await t.auditActions()).length;
    const u = slUser;
    await t.inventory.sites.create(u, { id: 'sl-lab', orgUnitId: 'sc-cd-sl', name: 'Lab', kind: 'access' });
    await t.inventory.sites.update(u, 'sl-lab', { address: '双流区' });
    await t.inventory.devices.create(u, {
      id: 'sl-lab-r1',
      siteId: 'sl-lab',
      name: 'R1',
      role: 'access',
      managementAddress: '127.0.18.11',
    });
    await t.inventory.devices.create(u, {
      id: 'sl-lab-r2',
      siteId: 'sl-lab',
      name: 'R2',
      role: 'access',
      managementAddress: '127.0.18.12',
    });
    await t.inventory.devices.update(u, 'sl-lab-r1', { snmp: { version: '3', credentialRef: 'lab' } });
    const i1 = await t.inventory.interfaces.create(u, { deviceId: 'sl-lab-r1', ifIndex: 1, name: 'ge1' });
    const i2 = await t.inventory.interfaces.create(u, { deviceId: 'sl-lab-r2', ifIndex: 1, name: 'ge1' });
    await t.inventory.interfaces.update(u, i1.id, { speedMbps: 1000 });
    const link = await t.inventory.links.create(u, {
      a: { deviceId: 'sl-lab-r1', interfaceId: i1.id },
      b: { deviceId: 'sl-lab-r2', interfaceId: i2.id },
      orgUnitId: 'sc-cd-sl',
      level: 'department',
      role: 'primary',
      plane: 'A',
    });
    await t.inventory.links.update(u, link.id, { plane: 'B' });
    await t.inventory.clouds.create(u, {
      id: 'sl-cloud',
      orgUnitId: 'sc-cd-sl',
      name: 'C',
      kind: 'vmware',
      tier: 'department',
    });
    await t.inventory.clouds.update(u, 'sl-cloud', { region: 'r1' });
    await t.inventory.hosts.create(u, {
      id: 'sl-h1',
      cloudId: 'sl-cloud',
      orgUnitId: 'sc-cd-sl',
      hostname: 'h1',
    });
    await t.inventory.hosts.update(u, 'sl-h1', { addresses: ['2001:db8::1'] });
    await t.inventory.dedicatedNetworks.create(u, {
      id: 'sl-dn',
      orgUnitId: 'sc-cd-sl',
      name: 'N',
      ownerDepartment: 'D',
      classification: 'non-secret',
      migrationState: 'planned',
    });
    await t.inventory.dedicatedNetworks.update(u, 'sl-dn', {
      migrationState: 'migrated',
      migratedAt: '2025-01-02',
    });
    // A refused change leaves no entry.
    await expect(t.inventory.sites.update(u, 'sl-lab', { orgUnitId: 'sc-cd-jj' })).rejects.toThrow(
      NotFoundError,
    );
    await t.inventory.dedicatedNetworks.remove(u, 'sl-dn');
    await t.inventory.hosts.remove(u, 'sl-h1');
    await t.inventory.clouds.remove(u, 'sl-cloud');
    await t.inventory.links.remove(u, link.id);
    await t.inventory.interfaces.remove(u, i2.id);
    await t.inventory.devices.remove(u, 'sl-lab-r2');
    await t.inventory.devices.remove(u, 'sl-lab-r1');
    await t.inventory.sites.remove(u, 'sl-lab');

    const entries = (await t.auditActions()).slice(before);
    expect(entries.every((e) => e.actor === 'network-operator@sc-cd-sl')).toBe(true);
    expect(entries.map((e) => e.action)).toEqual([
      'site.create',
      'site.update',
      'device.create',
      'device.create',
      'device.update',
      'interface.create',
      'interface.create',
      'interface.update',
      'link.create',
      'link.update',
      'cloud.create',
      'cloud.update',
      'host.create',
      'host.update',
      'dedicated-network.create',
      'dedicated-network.update',
      'dedicated-network.delete',
      'host.delete',
      'cloud.delete',
      'link.delete',
      'interface.delete',
      'device.delete',
      'device.delete',
      'site.delete',
    ]);
    expect(entries[8]!.targetId).toBe(link.id);
  });

  it('refuses to delete what is referred to, naming the referrers', async () => {
    await expect(t.inventory.sites.remove(t.system, 'sc-cd-jj-node')).rejects.toThrow(
      /site "sc-cd-jj-node" is still referred to by devices sc-cd-jj-acc/,
    );
    await expect(t.inventory.devices.remove(t.system, 'sc-cd-jj-acc')).rejects.toThrow(ConflictError);
    await expect(t.inventory.devices.remove(t.system, 'sc-cd-jj-acc')).rejects.toThrow(
      /still referred to by links/,
    );
    await expect(t.inventory.interfaces.remove(t.system, await ifc('sc-cd-jj-acc', 1))).rejects.toThrow(
      /interface sc-cd-jj-acc\/1 .* is still referred to by links/,
    );
    await expect(t.inventory.clouds.remove(t.system, 'sc-gov-cloud')).rejects.toThrow(
      /cloud "sc-gov-cloud" is still referred to by hosts sc-my-fc-hall-1, sc-portal-db-1, sc-portal-web-1/,
    );
    await expect(t.orgUnits.remove(t.system, 'sc-lz-jy')).rejects.toThrow(ConflictError);
  });

  it('moving a site moves its devices and their interfaces to the new org unit', async () => {
    await t.inventory.sites.create(cdUser, {
      id: 'cd-mobile',
      orgUnitId: 'sc-cd',
      name: 'Mobile',
      kind: 'access',
    });
    await t.inventory.devices.create(cdUser, {
      id: 'cd-mobile-r',
      siteId: 'cd-mobile',
      name: 'R',
      role: 'access',
      managementAddress: '127.0.16.21',
    });
    await t.inventory.interfaces.create(cdUser, { deviceId: 'cd-mobile-r', ifIndex: 1, name: 'ge1' });
    // Its address is the city's, so the device cannot follow the site to a county...
    await expect(t.inventory.sites.update(cdUser, 'cd-mobile', { orgUnitId: 'sc-cd-sl' })).rejects.toThrow(
      /device "cd-mobile-r" cannot move with the site: managementAddress: 127\.0\.16\.21 is not in a management prefix of org unit "sc-cd-sl"/,
    );
    expect((await t.inventory.devices.get(cdUser, 'cd-mobile-r')).orgUnitId).toBe('sc-cd');
    // ...until the city delegates the address to the county.
    await t.inventory.prefixes.create(cdUser, {
      prefix: '127.0.16.21/32',
      orgUnitId: 'sc-cd-sl',
      purpose: 'management',
    });
    await t.inventory.sites.update(cdUser, 'cd-mobile', { orgUnitId: 'sc-cd-sl' });
    expect((await t.inventory.devices.get(cdUser, 'cd-mobile-r')).orgUnitId).toBe('sc-cd-sl');
    expect(
      (await t.inventory.interfaces.list(slUser, { deviceId: 'cd-mobile-r' })).map((i) => i.orgUnitId),
    ).toEqual(['sc-cd-sl']);
    await expect(t.inventory.devices.get(jjUser, 'cd-mobile-r')).rejects.toThrow(NotFoundError);
  });
});

describe('dedicated-network integration rate', () => {
  it('is migrated ÷ (non-secret, not exempt), counted over each unit’s subtree', async () => {
    const rates = new Map(
      (await t.inventory.dedicatedNetworks.integrationRate(t.system)).map((r) => [r.orgUnitId, r]),
    );
    // Province: social security and Luzhou medical migrated; market, grid and housing not; the secret one is exempt.
    expect(rates.get('sc')).toMatchObject({
      eligible: 5,
      migrated: 2,
      rate: 0.4,
      target: 0.95,
      meetsTarget: false,
    });
    expect(rates.get('sc-cd')).toMatchObject({ eligible: 2, migrated: 0, rate: 0 });
    expect(rates.get('sc-lz')).toMatchObject({ eligible: 1, migrated: 1, rate: 1, meetsTarget: true });
    expect(rates.get('sc-cd-sl')).toMatchObject({ eligible: 0, rate: null, meetsTarget: true });
  });

  it('covers only the caller’s subtree', async () => {
    const mine = await t.inventory.dedicatedNetworks.integrationRate(cdUser);
    expect(mine.every((r) => r.orgUnitId.startsWith('sc-cd'))).toBe(true);
    expect(mine.map((r) => r.orgUnitId)).toContain('sc-cd-jj');
    const jj = await t.inventory.dedicatedNetworks.integrationRate(cdUser, 'sc-cd-jj');
    expect(jj.map((r) => r.orgUnitId)).toEqual(['sc-cd-jj', 'sc-cd-jj-dmj']);
    await expect(t.inventory.dedicatedNetworks.integrationRate(cdUser, 'sc-lz')).rejects.toThrow(
      NotFoundError,
    );
  });
});

describe('out of scope looks like absent (finding 6)', () => {
  it('answers a taken site, device or org-unit id alike in and out of scope, naming no owner', async () => {
    await t.inventory.sites.create(slUser, {
      id: 'leak-site',
      orgUnitId: 'sc-cd-sl',
      name: 'S',
      kind: 'node',
    });
    const outside = await t.inventory.sites
      .create(jjUser, { id: 'leak-site', orgUnitId: 'sc-cd-jj', name: 'S', kind: 'node' })
      .catch((e: unknown) => e);
    const inside = await t.inventory.sites
      .create(slUser, { id: 'leak-site', orgUnitId: 'sc-cd-sl', name: 'S', kind: 'node' })
      .catch((e: unknown) => e);
    expect(outside).toBeInstanceOf(ConflictError);
    expect((outside as Error).message).toBe((inside as Error).message);
    expect((outside as Error).message).toMatch(/^id: site id "leak-site" is not available/);
    expect((outside as Error).message).not.toMatch(/sc-cd-sl|already exists/);

    const dev = { siteId: 'sc-cd-jj-node', name: 'D', role: 'access' as const };
    const devOut = await t.inventory.devices
      .create(jjUser, { ...dev, id: 'sc-cd-sl-acc', managementAddress: '127.9.9.1' })
      .catch((e: unknown) => e);
    expect((devOut as Error).message).toMatch(/^id: device id "sc-cd-sl-acc" is not available/);

    const org = { parentId: 'sc-cd-jj', level: 'township' as const, name: 'T' };
    const jjAdmin = await t.as('admin', 'sc-cd-jj');
    const orgOut = await t.orgUnits.create(jjAdmin, { ...org, id: 'sc-cd-sl-dsj' }).catch((e: unknown) => e);
    expect(orgOut).toBeInstanceOf(ConflictError);
    expect((orgOut as Error).message).toMatch(/^id: org unit id "sc-cd-sl-dsj" is not available/);
  });

  it('scopes pair ids by the served org unit, so another county’s pair neither constrains nor is named', async () => {
    for (const [device, ifIndex] of [
      ['sc-cd-jj-acc', 60],
      ['sc-cd-jj-dmj-acc', 60],
    ] as const) {
      await t.inventory.interfaces.create(t.system, { deviceId: device, ifIndex, name: `ge-${ifIndex}` });
    }
    const link = {
      a: { deviceId: 'sc-cd-jj-acc', interfaceId: await ifc('sc-cd-jj-acc', 60) },
      b: { deviceId: 'sc-cd-jj-dmj-acc', interfaceId: await ifc('sc-cd-jj-dmj-acc', 60) },
      orgUnitId: 'sc-cd-jj',
      level: 'county' as const,
      role: 'backup' as const,
      plane: 'B' as const,
      pairId: 'sc-cd-sl-uplink',
    };
    // Shuangliu's pair of that id neither constrains Jinjiang's nor is named: the pair is Jinjiang's own.
    const county = await t.inventory.links.create(jjUser, link);
    expect(county).toMatchObject({ orgUnitId: 'sc-cd-jj', pairId: 'sc-cd-sl-uplink', role: 'backup' });
    // A second backup in Jinjiang's pair names only Jinjiang's link, never Shuangliu's.
    const slLinks = await t.inventory.links.list(t.system, {
      pairId: 'sc-cd-sl-uplink',
      orgUnitId: 'sc-cd-sl',
    });
    expect(slLinks.length).toBe(2);
    await t.inventory.interfaces.create(t.system, { deviceId: 'sc-cd-jj-acc', ifIndex: 61, name: 'ge-61' });
    await t.inventory.interfaces.create(t.system, {
      deviceId: 'sc-cd-jj-dmj-acc',
      ifIndex: 61,
      name: 'ge-61',
    });
    const second = await t.inventory.links
      .create(jjUser, {
        ...link,
        a: { deviceId: 'sc-cd-jj-acc', interfaceId: await ifc('sc-cd-jj-acc', 61) },
        b: { deviceId: 'sc-cd-jj-dmj-acc', interfaceId: await ifc('sc-cd-jj-dmj-acc', 61) },
      })
      .catch((e: unknown) => e);
    expect(second).toBeInstanceOf(InputError);
    expect((second as Error).message).toContain(county.id);
    for (const l of slLinks) expect((second as Error).message).not.toContain(l.id);
    expect((second as Error).message).not.toContain('sc-cd-sl"');
    await t.inventory.links.remove(jjUser, county.id);
    // An interface that ends a link the caller cannot see does not name that link.
    const slLink = slLinks[0]!;
    const jjAgg = await t.inventory.links
      .create(jjUser, { ...link, pairId: undefined, a: slLink.a })
      .catch((e: unknown) => e);
    expect((jjAgg as Error).message).not.toContain(slLink.id);
  });
});
