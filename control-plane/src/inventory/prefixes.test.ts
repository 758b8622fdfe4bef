import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, InputError, NotAllowedError, NotFoundError } from '../errors.js';
import type { Identity } from '../auth/identity.js';
import { contains, containsAddress, parseCidr, type Cidr } from './cidr.js';
import { applyInventory, parseInventory } from './file.js';
import { DEMO_INVENTORY, openTestInventory, type TestInventory } from './testing.js';

const cidr = (s: string) => parseCidr(s) as Cidr;

describe('CIDR parsing', () => {
  it('canonicalises IPv4 and IPv6 prefixes and refuses bits beyond the length', () => {
    expect(cidr('10.20.0.0/16').text).toBe('10.20.0.0/16');
    expect(cidr('2001:DB8:0:0::/32').text).toBe('2001:db8::/32');
    expect(cidr('::ffff:10.0.0.0/104').text).toBe('::ffff:a00:0/104');
    expect(cidr('0.0.0.0/0').length).toBe(0);
    expect(parseCidr('10.0.0.1/8')).toBe(
      '"10.0.0.1/8" has bits set beyond its length; the prefix is 10.0.0.0/8',
    );
    expect(parseCidr('10.0.0.0/33')).toMatch(/length must be 0 to 32/);
    expect(parseCidr('10.0.0.0')).toMatch(/write address\/length/);
    expect(parseCidr('10.0.0.300/24')).toMatch(/is not an IPv4 or IPv6 address/);
    expect(parseCidr('fe80::/10x')).toMatch(/length must be 0 to 128/);
  });

  it('tells containment of prefixes and addresses', () => {
    expect(contains(cidr('10.0.0.0/8'), cidr('10.20.0.0/16'))).toBe(true);
    expect(contains(cidr('10.20.0.0/16'), cidr('10.0.0.0/8'))).toBe(false);
    expect(contains(cidr('10.0.0.0/8'), cidr('11.0.0.0/8'))).toBe(false);
    expect(contains(cidr('::/0'), cidr('10.0.0.0/8'))).toBe(false);
    expect(containsAddress(cidr('2001:db8::/32'), '2001:db8:1::5')).toBe(true);
    expect(containsAddress(cidr('127.0.17.128/25'), '127.0.17.127')).toBe(false);
    expect(containsAddress(cidr('127.0.17.128/25'), '127.0.17.129')).toBe(true);
  });
});

describe('the IP prefix registry', () => {
  let t: TestInventory;
  let province: Identity;
  let city: Identity;
  let jj: Identity;
  let sl: Identity;
  const mgmt = (prefix: string, orgUnitId: string) => ({ prefix, orgUnitId, purpose: 'management' as const });

  beforeAll(async () => {
    t = await openTestInventory();
    await applyInventory(t.db, t.orgUnits, t.system, parseInventory(readFileSync(DEMO_INVENTORY, 'utf8')), {
      inventory: t.inventory,
    });
    province = await t.as('network-operator', 'sc');
    city = await t.as('network-operator', 'sc-cd');
    jj = await t.as('network-operator', 'sc-cd-jj');
    sl = await t.as('network-operator', 'sc-cd-sl');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('holds the demo delegations, each inside its parent unit’s prefix', async () => {
    const all = await t.inventory.prefixes.list(t.system, { purpose: 'management' });
    expect(all.map((p) => `${p.prefix} ${p.orgUnitId}`)).toContain('127.0.17.0/24 sc-cd-jj');
    expect(all).toHaveLength(12);
    // A county sees its own space and its township's, nothing above or beside.
    expect((await t.inventory.prefixes.list(jj)).map((p) => p.prefix)).toEqual([
      '127.0.17.0/24',
      '127.0.17.128/25',
    ]);
  });

  it('delegates downwards one level at a time, from the unit above only', async () => {
    // The city delegates part of its space to a county; the county subdivides its own.
    const d = await t.inventory.prefixes.create(city, mgmt('127.0.20.0/24', 'sc-cd-jj'));
    expect(d).toMatchObject({ prefix: '127.0.20.0/24', orgUnitId: 'sc-cd-jj', family: 4 });
    await t.inventory.prefixes.create(jj, mgmt('127.0.20.0/26', 'sc-cd-jj'));
    // A county cannot take new space for itself, nor space of its city it was not given.
    await expect(t.inventory.prefixes.create(jj, mgmt('127.0.21.0/24', 'sc-cd-jj'))).rejects.toThrow(
      /^prefix: 127\.0\.21\.0\/24 is not inside a management prefix of org unit "sc-cd-jj"; new address space is delegated by the unit above/,
    );
    // The province cannot skip the city: a county's prefix lies in a prefix of its parent.
    await expect(t.inventory.prefixes.create(province, mgmt('127.0.64.0/24', 'sc-cd-jj'))).rejects.toThrow(
      /is not inside a management prefix of org unit "sc-cd" \(to delegate\) or of "sc-cd-jj"/,
    );
    // Only the root registers top-level space.
    await expect(t.inventory.prefixes.create(city, mgmt('10.0.0.0/8', 'sc-cd'))).rejects.toThrow(InputError);
    const top = await t.inventory.prefixes.create(province, mgmt('10.0.0.0/8', 'sc'));
    expect(top.orgUnitId).toBe('sc');
  });

  it('refuses overlaps: the same prefix twice, and a sibling’s space', async () => {
    await expect(t.inventory.prefixes.create(city, mgmt('127.0.17.0/24', 'sc-cd-jj'))).rejects.toThrow(
      ConflictError,
    );
    // Shuangliu cannot be given space inside Jinjiang's, nor a prefix that would swallow it.
    await expect(t.inventory.prefixes.create(city, mgmt('127.0.17.64/26', 'sc-cd-sl'))).rejects.toThrow(
      InputError,
    );
    await expect(t.inventory.prefixes.create(city, mgmt('127.0.16.0/21', 'sc-cd-sl'))).rejects.toThrow(
      /would contain 127\.0\.17\.0\/24 of org unit "sc-cd-jj"/,
    );
    // Purposes are separate registries: hosts space may nest differently from management space.
    const hosts = await t.inventory.prefixes.create(province, {
      prefix: '127.0.17.0/24',
      orgUnitId: 'sc',
      purpose: 'hosts',
    });
    expect(hosts.purpose).toBe('hosts');
  });

  it('answers space registered outside the caller’s scope exactly as unregistered space', async () => {
    // Shuangliu asks for a piece of Jinjiang's space and for a piece of space nobody has: same answer.
    const taken = await t.inventory.prefixes
      .create(sl, mgmt('127.0.17.8/29', 'sc-cd-sl'))
      .catch((e: Error) => e);
    const free = await t.inventory.prefixes
      .create(sl, mgmt('127.0.99.8/29', 'sc-cd-sl'))
      .catch((e: Error) => e);
    expect(taken).toBeInstanceOf(InputError);
    expect(free).toBeInstanceOf(InputError);
    expect((taken as Error).message.replace('127.0.17.8', 'X')).toBe(
      (free as Error).message.replace('127.0.99.8', 'X'),
    );
    const jjPrefix = (await t.inventory.prefixes.list(jj))[0]!;
    await expect(t.inventory.prefixes.get(sl, jjPrefix.id)).rejects.toThrow(NotFoundError);
    await expect(t.inventory.prefixes.remove(sl, jjPrefix.id)).rejects.toThrow(NotFoundError);
  });

  it('puts a device’s management address in its own unit’s prefix; an ancestor’s is not enough', async () => {
    const device = (id: string, managementAddress: string) => ({
      id,
      siteId: 'sc-cd-jj-node',
      name: id,
      role: 'access' as const,
      managementAddress,
    });
    expect((await t.inventory.devices.create(jj, device('jj-r9', '127.0.17.9'))).orgUnitId).toBe('sc-cd-jj');
    // The city's space (around the county's) and the township's (inside it) are not the county's.
    await expect(t.inventory.devices.create(jj, device('jj-r10', '127.0.16.10'))).rejects.toThrow(
      /^managementAddress: 127\.0\.16\.10 is not in a management prefix of org unit "sc-cd-jj"/,
    );
    await expect(t.inventory.devices.create(jj, device('jj-r11', '127.0.17.130'))).rejects.toThrow(
      InputError,
    );
    await expect(t.inventory.devices.create(city, device('jj-r12', '127.0.0.1'))).rejects.toThrow(InputError);
    await expect(
      t.inventory.devices.update(jj, 'jj-r9', { managementAddress: '127.0.18.9' }),
    ).rejects.toThrow(InputError);
  });

  it('removes a prefix only when it holds no delegation and no device address, by the delegating unit', async () => {
    const [county] = await t.inventory.prefixes.list(jj, { orgUnitId: 'sc-cd-jj' });
    expect(county!.prefix).toBe('127.0.17.0/24');
    await expect(t.inventory.prefixes.remove(city, county!.id)).rejects.toThrow(
      /still holds 127\.0\.17\.128\/25/,
    );
    // The county cannot give back what the city delegated; the city can, once it is empty.
    const delegated = await t.inventory.prefixes.create(city, mgmt('127.0.22.0/24', 'sc-cd-jj'));
    await expect(t.inventory.prefixes.remove(jj, delegated.id)).rejects.toThrow(NotAllowedError);
    await t.inventory.prefixes.remove(city, delegated.id);
    await expect(t.inventory.prefixes.get(city, delegated.id)).rejects.toThrow(NotFoundError);
    const own = await t.inventory.prefixes.create(city, mgmt('127.0.23.0/24', 'sc-cd-jj'));
    await t.inventory.devices.create(jj, {
      id: 'jj-r23',
      siteId: 'sc-cd-jj-node',
      name: 'r23',
      role: 'access',
      managementAddress: '127.0.23.1',
    });
    await expect(t.inventory.prefixes.remove(city, own.id)).rejects.toThrow(
      /holds the management address of devices jj-r23/,
    );
    const audit = await t.db.query<{ action: string }>(
      `SELECT action FROM audit_log WHERE target_type = 'prefix' ORDER BY id`,
    );
    expect(audit.rows.map((r) => r.action)).toContain('prefix.delete');
  });
});
