import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabRouterInfo } from './lab.js';

// These tests drive Debian's own net-snmp command-line tools against the lab's routers, which
// listen on their inventory addresses (127.0.x.y) on free high ports.

const run = promisify(execFile);
const inventoryFile = fileURLToPath(
  new URL('../../../control-plane/inventory/demo-province.yaml', import.meta.url),
);
const quietFile = fileURLToPath(new URL('../../lab/scenarios/quiet.yaml', import.meta.url));

const v2c = ['-v2c', '-c', 'public'];
const v3 = (authKey: string) => [
  '-v3',
  '-l',
  'authPriv',
  '-u',
  'tianshu-lab',
  '-a',
  'SHA',
  '-A',
  authKey,
  '-x',
  'AES',
  '-X',
  'tianshu-lab-priv',
];

/** Runs snmpget or snmpbulkwalk and returns numeric OID → value (quotes removed). */
async function snmp(
  tool: 'snmpget' | 'snmpbulkwalk',
  r: LabRouterInfo,
  oids: string[],
  auth: string[] = v2c,
): Promise<Map<string, string>> {
  const { stdout } = await run(
    tool,
    [...auth, '-On', '-Oq', '-Ot', '-t', '1', '-r', '0', `${r.address}:${r.port}`, ...oids],
    { timeout: 5000 },
  );
  const out = new Map<string, string>();
  let last = '';
  for (const line of stdout.split('\n')) {
    if (line.startsWith('.')) {
      const sp = line.indexOf(' ');
      last = line.slice(1, sp);
      out.set(last, line.slice(sp + 1));
    } else if (last && line) {
      out.set(last, out.get(last)! + line);
    }
  }
  for (const [k, v] of out) out.set(k, v.replace(/^"|"$/g, ''));
  return out;
}

const sysUpTime = '1.3.6.1.2.1.1.3.0';
const ifOperStatus = (i: number) => `1.3.6.1.2.1.2.2.1.8.${i}`;
const ifHCIn = (i: number) => `1.3.6.1.2.1.31.1.1.1.6.${i}`;
const ifHCOut = (i: number) => `1.3.6.1.2.1.31.1.1.1.10.${i}`;

async function counter(r: LabRouterInfo, oid: string): Promise<bigint> {
  const v = (await snmp('snmpget', r, [oid])).get(oid);
  return BigInt(v ?? 'x');
}

describe('lab routers answer real SNMP', () => {
  let lab: Lab;
  // The lab's clock is real time plus a skew that tests move forward, so rates are measured over
  // many seconds without waiting for them.
  let skew = 0;
  const router = (id: string): LabRouterInfo => lab.routers.find((r) => r.deviceId === id)!;

  beforeAll(async () => {
    lab = await startLab({
      inventoryFile,
      scenarioFile: quietFile,
      portOverride: 0,
      clock: () => Date.now() + skew,
    });
  });
  afterAll(async () => {
    await lab?.stop();
  });

  it('walks ifXTable with the names and speeds of the inventory', async () => {
    const agg = router('sc-cd-agg');
    expect(agg.address).toBe('127.0.16.1');
    const names = await snmp('snmpbulkwalk', agg, ['1.3.6.1.2.1.31.1.1.1.1']);
    expect([...names.values()]).toEqual([
      'XGigabitEthernet0/0/1',
      'XGigabitEthernet0/0/2',
      'GigabitEthernet1/0/1',
      'GigabitEthernet1/0/2',
      'GigabitEthernet1/0/3',
      'GigabitEthernet1/0/4',
    ]);
    const speeds = await snmp('snmpbulkwalk', agg, ['1.3.6.1.2.1.31.1.1.1.15']);
    expect([...speeds.entries()]).toEqual([
      ['1.3.6.1.2.1.31.1.1.1.15.1', '10000'],
      ['1.3.6.1.2.1.31.1.1.1.15.2', '10000'],
      ['1.3.6.1.2.1.31.1.1.1.15.11', '1000'],
      ['1.3.6.1.2.1.31.1.1.1.15.12', '1000'],
      ['1.3.6.1.2.1.31.1.1.1.15.13', '1000'],
      ['1.3.6.1.2.1.31.1.1.1.15.14', '1000'],
    ]);
    const sys = await snmp('snmpget', agg, [
      '1.3.6.1.2.1.1.1.0',
      '1.3.6.1.2.1.1.5.0',
      '1.3.6.1.2.1.2.2.1.3.11',
    ]);
    expect(sys.get('1.3.6.1.2.1.1.1.0')).toMatch(/^Tianshu lab router sc-cd-agg/);
    expect(sys.get('1.3.6.1.2.1.1.5.0')).toBe('sc-cd-agg');
    expect(sys.get('1.3.6.1.2.1.2.2.1.3.11')).toBe('6');
  });

  it('grows Counter64 by about speed × load × Δt, the same at both ends of a link', async () => {
    const coreA = router('sc-core-a');
    const agg = router('sc-cd-agg');
    const out0 = await counter(coreA, ifHCOut(1));
    const in0 = await counter(agg, ifHCIn(1));
    skew += 10_000;
    const out1 = await counter(coreA, ifHCOut(1));
    const in1 = await counter(agg, ifHCIn(1));
    const capacity = 10_000e6 / 8;
    const load = Number(out1 - out0) / 10 / capacity;
    // Backbone downstream: mean 0.3, daily ±50 %, noise ±15 %.
    expect(load).toBeGreaterThan(0.3 * 0.35);
    expect(load).toBeLessThan(0.3 * 1.65);
    // What a's end sends, b's end receives (reads are a few real milliseconds apart).
    expect(Number(in1 - in0) / Number(out1 - out0)).toBeCloseTo(1, 1);
  });

  it('fails over to the backup when the primary goes down, and back', async () => {
    const coreA = router('sc-core-a');
    const coreB = router('sc-core-b');
    const agg = router('sc-cd-agg');
    expect(lab.activeLink('sc-cd-uplink')).toMatchObject({ ref: 'sc-core-a:1', role: 'primary' });
    const p0 = await counter(coreA, ifHCOut(1));
    const b0 = await counter(coreB, ifHCOut(1));
    skew += 10_000;
    const p1 = await counter(coreA, ifHCOut(1));
    const b1 = await counter(coreB, ifHCOut(1));
    expect(b1 - b0).toBe(0n);
    const primaryRate = Number(p1 - p0) / 10;

    lab.linkDown({ pairId: 'sc-cd-uplink', role: 'primary' });
    expect(lab.activeLink('sc-cd-uplink')).toMatchObject({ ref: 'sc-core-b:1', role: 'backup' });
    const status = await snmp('snmpget', agg, [ifOperStatus(1), ifOperStatus(2)]);
    expect(status.get(ifOperStatus(1))).toBe('2');
    expect(status.get(ifOperStatus(2))).toBe('1');
    expect((await snmp('snmpget', coreA, [ifOperStatus(1)])).get(ifOperStatus(1))).toBe('2');
    // Admin status stays up: the line was cut, nobody shut the port.
    expect((await snmp('snmpget', coreA, ['1.3.6.1.2.1.2.2.1.7.1'])).get('1.3.6.1.2.1.2.2.1.7.1')).toBe('1');

    const p2 = await counter(coreA, ifHCOut(1));
    const b2 = await counter(coreB, ifHCOut(1));
    skew += 10_000;
    const p3 = await counter(coreA, ifHCOut(1));
    const b3 = await counter(coreB, ifHCOut(1));
    expect(p3 - p2).toBe(0n);
    const backupRate = Number(b3 - b2) / 10;
    expect(backupRate / primaryRate).toBeGreaterThan(0.7);
    expect(backupRate / primaryRate).toBeLessThan(1.4);
    // The backup's other end receives it too.
    expect(Number(await counter(agg, ifHCIn(2)))).toBeGreaterThan(0);

    lab.linkUp('sc-cd-agg:1');
    expect(lab.activeLink('sc-cd-uplink')).toMatchObject({ ref: 'sc-core-a:1' });
    expect((await snmp('snmpget', agg, [ifOperStatus(1)])).get(ifOperStatus(1))).toBe('1');
  });

  it('an administrative shutdown of one end takes the link down at both ends', async () => {
    lab.linkDown('sc-cd-jj-dmj-acc:1', { admin: true });
    const town = await snmp('snmpget', router('sc-cd-jj-dmj-acc'), [
      '1.3.6.1.2.1.2.2.1.7.1',
      ifOperStatus(1),
    ]);
    expect(town.get('1.3.6.1.2.1.2.2.1.7.1')).toBe('2');
    expect(town.get(ifOperStatus(1))).toBe('2');
    const county = await snmp('snmpget', router('sc-cd-jj-acc'), [
      '1.3.6.1.2.1.2.2.1.7.11',
      ifOperStatus(11),
    ]);
    expect(county.get('1.3.6.1.2.1.2.2.1.7.11')).toBe('1');
    expect(county.get(ifOperStatus(11))).toBe('2');
    expect(lab.activeLink('sc-cd-jj-dmj-uplink')?.role).toBe('backup');
    lab.linkUp('sc-cd-jj-dmj-acc:1');
    expect(lab.activeLink('sc-cd-jj-dmj-uplink')?.role).toBe('primary');
  });

  it('reboot drops sysUpTime and restarts the counters', async () => {
    const r = router('sc-lz-jy-acc');
    const before = Number((await snmp('snmpget', r, [sysUpTime])).get(sysUpTime));
    expect(before).toBeGreaterThan(86_400 * 100);
    const octetsBefore = await counter(r, ifHCIn(1));
    lab.reboot('sc-lz-jy-acc');
    skew += 5_000;
    const after = await snmp('snmpget', r, [sysUpTime, ifHCIn(1)]);
    expect(Number(after.get(sysUpTime))).toBeGreaterThanOrEqual(500);
    expect(Number(after.get(sysUpTime))).toBeLessThan(600);
    const octetsAfter = BigInt(after.get(ifHCIn(1))!);
    expect(octetsAfter).toBeLessThan(octetsBefore);
    // Five seconds of a 1 Gbit/s county uplink at most.
    expect(octetsAfter).toBeLessThan(5n * 125_000_000n);
  });

  it('counters set near 2^64 wrap within seconds', async () => {
    const r = router('sc-core-a');
    lab.setCountersNearWrap('sc-core-a', 100_000_000n);
    const before = await counter(r, ifHCOut(1));
    expect(before).toBeGreaterThan((1n << 64n) - 100_000_000n);
    // Real time only: a 10 Gbit/s backbone at ≥ 10 % load sends 100 MB in under a second.
    await new Promise((res) => setTimeout(res, 1500));
    const after = await counter(r, ifHCOut(1));
    expect(after).toBeLessThan(before);
    expect(after).toBeLessThan(1_000_000_000n);
  });

  it('answers SNMPv3 authPriv with the right keys and not with a wrong one', async () => {
    const r = router('sc-core-b');
    const ok = await snmp('snmpget', r, ['1.3.6.1.2.1.1.5.0'], v3('tianshu-lab-auth'));
    expect(ok.get('1.3.6.1.2.1.1.5.0')).toBe('sc-core-b');
    await expect(snmp('snmpget', r, ['1.3.6.1.2.1.1.5.0'], v3('not-the-key'))).rejects.toThrow();
    await expect(snmp('snmpget', r, ['1.3.6.1.2.1.1.5.0'], ['-v2c', '-c', 'private'])).rejects.toThrow();
  });

  it('LLDP names the neighbour at the other end of each link, and forgets it when the link goes down', async () => {
    const r = router('sc-cd-jj-acc');
    const rem = await snmp('snmpbulkwalk', r, ['1.0.8802.1.1.2.1.4.1.1']);
    const col = (c: number) =>
      [...rem.entries()]
        .filter(([k]) => k.startsWith(`1.0.8802.1.1.2.1.4.1.1.${c}.`))
        .map(([k, v]) => [k.split('.').slice(-2, -1)[0]!, v] as const)
        .sort((x, y) => Number(x[0]) - Number(y[0]));
    // The index is (timeMark, local port = ifIndex, remote index); an earlier test relearnt port 11.
    expect(col(9)).toEqual([
      ['1', 'sc-cd-agg'],
      ['2', 'sc-cd-agg'],
      ['11', 'sc-cd-jj-dmj-acc'],
      ['12', 'sc-cd-jj-dmj-acc'],
    ]);
    expect(col(7)).toEqual([
      ['1', 'GigabitEthernet1/0/1'],
      ['2', 'GigabitEthernet1/0/2'],
      ['11', 'FastEthernet0/0'],
      ['12', 'FastEthernet0/1'],
    ]);
    const loc = await snmp('snmpbulkwalk', r, ['1.0.8802.1.1.2.1.3.7.1.3']);
    expect(loc.get('1.0.8802.1.1.2.1.3.7.1.3.11')).toBe('FastEthernet1/0/1');

    lab.linkDown('sc-cd-jj-acc:11');
    skew += 1000;
    const after = await snmp('snmpbulkwalk', r, ['1.0.8802.1.1.2.1.4.1.1.9']);
    expect([...after.values()].sort()).toEqual(['sc-cd-agg', 'sc-cd-agg', 'sc-cd-jj-dmj-acc']);
    lab.linkUp('sc-cd-jj-acc:11');
    const back = await snmp('snmpbulkwalk', r, ['1.0.8802.1.1.2.1.4.1.1.9']);
    expect(back.size).toBe(4);
    // Relearnt after the router booted: the entry's time mark is no longer 0.
    expect([...back.keys()].filter((k) => k.endsWith('.11.1'))[0]).not.toMatch(/\.9\.0\.11\.1$/);
  });

  it('an unreachable device stops answering and comes back', async () => {
    const r = router('sc-my-az-acc');
    await lab.setDeviceReachable('sc-my-az-acc', false);
    await expect(snmp('snmpget', r, [sysUpTime])).rejects.toThrow();
    await lab.setDeviceReachable('sc-my-az-acc', true);
    expect((await snmp('snmpget', r, ['1.3.6.1.2.1.1.5.0'])).get('1.3.6.1.2.1.1.5.0')).toBe('sc-my-az-acc');
  });
});
