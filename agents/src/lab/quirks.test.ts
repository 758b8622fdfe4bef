import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabRouterInfo } from './lab.js';
import { LabConfigError } from './errors.js';

// Debian's net-snmp tools against lab routers configured with the quirks of real devices.

const run = promisify(execFile);

const itf = (ifIndex: number, name: string, speedMbps = 1000) => ({ ifIndex, name, speedMbps });
const inventory = {
  devices: [
    {
      id: 'full',
      vendor: 'Huawei',
      model: 'S5735',
      managementAddress: '127.0.0.1',
      interfaces: [itf(1, 'GE0/0/1'), itf(2, 'GE0/0/2')],
    },
    {
      id: 'old32',
      managementAddress: '127.0.0.1',
      interfaces: [itf(1, 'Fa0/1', 100), itf(2, 'Fa0/2', 100)],
    },
    { id: 'nouptime', managementAddress: '127.0.0.1', interfaces: [itf(1, 'eth0')] },
    { id: 'nosystem', managementAddress: '127.0.0.1', interfaces: [itf(1, 'eth0')] },
  ],
  links: [{ a: { device: 'full', ifIndex: 1 }, b: { device: 'old32', ifIndex: 1 }, level: 'county' }],
};

/** Runs an SNMP tool and returns numeric OID → value, `-Oq` style (type names dropped). */
async function snmp(tool: 'snmpget' | 'snmpbulkwalk', r: LabRouterInfo, oids: string[]) {
  const { stdout } = await run(
    tool,
    ['-v2c', '-c', 'public', '-On', '-Oq', '-Ot', '-t', '1', '-r', '0', `${r.address}:${r.port}`, ...oids],
    { timeout: 5000 },
  );
  const out = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    if (!line.startsWith('.')) continue;
    const sp = line.indexOf(' ');
    const value = line.slice(sp + 1).replace(/^"|"$/g, '');
    // A walk of an absent subtree prints one line saying so; that is no row.
    if (tool === 'snmpbulkwalk' && /^No Such (Object|Instance)/.test(value)) continue;
    out.set(line.slice(1, sp), value);
  }
  return out;
}

// With net-snmp's agent and with the fast v2c responder (fast-v2c.ts) alike.
describe.each([false, true])('lab device quirks (fastV2c: %s)', (fastV2c) => {
  let lab: Lab;
  let skew = 0;
  const router = (id: string) => lab.routers.find((r) => r.deviceId === id)!;

  beforeAll(async () => {
    lab = await startLab({
      inventory,
      scenario: {
        devices: {
          old32: { ifXTable: false },
          nouptime: { sysUpTime: 'noSuchInstance' },
          nosystem: { systemGroup: false, entityMib: false },
        },
      },
      portOverride: 0,
      clock: () => Date.now() + skew,
      fastV2c,
    });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('a complete device answers ifTable octets, speed, MAC, descr and type beside ifXTable', async () => {
    const r = router('full');
    const t = await snmp('snmpget', r, [
      '1.3.6.1.2.1.2.2.1.2.1',
      '1.3.6.1.2.1.2.2.1.3.1',
      '1.3.6.1.2.1.2.2.1.5.1',
      '1.3.6.1.2.1.2.2.1.6.1',
      '1.3.6.1.2.1.2.2.1.10.1',
      '1.3.6.1.2.1.2.2.1.16.1',
      '1.3.6.1.2.1.31.1.1.1.6.1',
    ]);
    expect(t.get('1.3.6.1.2.1.2.2.1.2.1')).toBe('GE0/0/1');
    expect(t.get('1.3.6.1.2.1.2.2.1.3.1')).toBe('6');
    expect(t.get('1.3.6.1.2.1.2.2.1.5.1')).toBe('1000000000');
    expect(t.get('1.3.6.1.2.1.2.2.1.6.1')).toMatch(/^02( [0-9A-F]{2}){4} 01 ?$/i);
    // The 32-bit counter is the low half of the 64-bit one (read a few real milliseconds earlier).
    const hc = BigInt(t.get('1.3.6.1.2.1.31.1.1.1.6.1')!);
    const c32 = BigInt(t.get('1.3.6.1.2.1.2.2.1.10.1')!);
    expect(c32).toBeLessThan(1n << 32n);
    const ahead = (hc - c32) % (1n << 32n);
    expect(ahead).toBeGreaterThanOrEqual(0n);
    expect(ahead).toBeLessThan(10_000_000n);
  });

  it('ENTITY-MIB has a chassis entry with vendor, model, serial and software', async () => {
    const e = await snmp('snmpbulkwalk', router('full'), ['1.3.6.1.2.1.47.1.1.1.1']);
    const col = (c: number) => e.get(`1.3.6.1.2.1.47.1.1.1.1.${c}.1`);
    expect(col(5)).toBe('3');
    expect(col(12)).toBe('Huawei');
    expect(col(13)).toBe('S5735');
    expect(col(11)).toMatch(/^LAB[0-9A-F]{12}$/);
    expect(col(10)).toBe('Tianshu lab 1.0');
    expect(col(2)).toBe('Huawei S5735 chassis');
  });

  it('ifXTable: false answers ifTable only, with 32-bit counters and ifSpeed', async () => {
    const r = router('old32');
    const x = await snmp('snmpbulkwalk', r, ['1.3.6.1.2.1.31.1.1']);
    expect(x.size).toBe(0);
    const get = await snmp('snmpget', r, ['1.3.6.1.2.1.31.1.1.1.6.1', '1.3.6.1.2.1.2.2.1.5.2']);
    expect(get.get('1.3.6.1.2.1.31.1.1.1.6.1')).toMatch(/No Such Object/i);
    expect(get.get('1.3.6.1.2.1.2.2.1.5.2')).toBe('100000000');
    const octets = await snmp('snmpbulkwalk', r, ['1.3.6.1.2.1.2.2.1.10']);
    expect([...octets.keys()]).toEqual(['1.3.6.1.2.1.2.2.1.10.1', '1.3.6.1.2.1.2.2.1.10.2']);
  });

  it('32-bit counters set near their wrap wrap after that many octets', async () => {
    const r = router('old32');
    const oid = '1.3.6.1.2.1.2.2.1.10.1';
    // 100 MB: some seconds of the 100 Mbit/s link's traffic.
    lab.setCounters32NearWrap('old32', 100_000_000n);
    const before = BigInt((await snmp('snmpget', r, [oid])).get(oid)!);
    // The link carries traffic: some octets may have passed between the move and the read.
    expect(before).toBeGreaterThanOrEqual((1n << 32n) - 100_000_000n);
    expect(before).toBeLessThan(1n << 32n);
    // A minute of lab time later the counter has passed 2^32 and starts again from 0.
    skew += 60_000;
    const after = BigInt((await snmp('snmpget', r, [oid])).get(oid)!);
    expect(after).toBeLessThan(before);
    expect(after).toBeLessThan(60n * 12_500_000n);
    expect(() => lab.setCounters32NearWrap('old32', 1n << 32n)).toThrow(/2\^32/);
  });

  it('sysUpTime: noSuchInstance answers sysUpTime.0 with noSuchInstance, the rest of the group as usual', async () => {
    const r = router('nouptime');
    const s = await snmp('snmpget', r, ['1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.5.0']);
    expect(s.get('1.3.6.1.2.1.1.3.0')).toMatch(/No Such Instance/i);
    expect(s.get('1.3.6.1.2.1.1.5.0')).toBe('nouptime');
  });

  it('systemGroup: false answers noSuchObject for the system group; entityMib: false has no chassis', async () => {
    const r = router('nosystem');
    const s = await snmp('snmpget', r, ['1.3.6.1.2.1.1.1.0', '1.3.6.1.2.1.1.3.0', '1.3.6.1.2.1.1.5.0']);
    for (const v of s.values()) expect(v).toMatch(/No Such Object/i);
    expect((await snmp('snmpbulkwalk', r, ['1.3.6.1.2.1.47.1.1.1.1'])).size).toBe(0);
    // Interfaces are still there.
    expect((await snmp('snmpbulkwalk', r, ['1.3.6.1.2.1.31.1.1.1.1'])).get('1.3.6.1.2.1.31.1.1.1.1.1')).toBe(
      'eth0',
    );
  });

  it('a scenario naming a device the inventory lacks is refused, naming the field', async () => {
    await expect(
      startLab({ inventory, scenario: { devices: { ghost: { ifXTable: false } } }, portOverride: 0 }),
    ).rejects.toThrow(
      new LabConfigError('scenario is not valid: devices.ghost: no device ghost in the inventory'),
    );
    await expect(
      startLab({ inventory, scenario: { devices: { old32: { ifXTable: 'no' } } } as never, portOverride: 0 }),
    ).rejects.toThrow(/devices\.old32\.ifXTable/);
  });
});
