import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoveryPayload } from '@tianshu/protocol';
import type { PollTarget } from '@tianshu/protocol';
import { EdgeDiscovery, lldpId } from './discovery.js';
import { fakeSessionFactory, vb } from './testing/fake-session.js';
import { startSnmpd } from './testing/snmpd.js';
import type { RunningSnmpd } from './testing/snmpd.js';

const target = (deviceId: string): PollTarget => ({
  deviceId,
  address: '192.0.2.1',
  port: 161,
  credentials: { version: '2c', community: 'x' },
  timeoutMs: 500,
  retries: 0,
  maxRepetitions: 20,
});

// A router with three interfaces; LLDP local port 7 is "ge-0/0/2" (ifIndex 502), port 9 has no
// matching interface, and port 11 is matched by its description.
const router = [
  vb.str('1.3.6.1.2.1.1.1.0', 'Huawei Versatile Routing Platform'),
  vb.oid('1.3.6.1.2.1.1.2.0', '1.3.6.1.4.1.2011.2.224.67'),
  vb.str('1.3.6.1.2.1.1.5.0', 'county-rt-01'),
  ...[
    [501, 'ge-0/0/1', 'GigabitEthernet0/0/1', 'to city'],
    [502, 'ge-0/0/2', 'GigabitEthernet0/0/2', 'to township A'],
    [503, 'ge-0/0/3', 'GigabitEthernet0/0/3', ''],
  ].flatMap(([i, name, descr, alias]) => [
    vb.str(`1.3.6.1.2.1.2.2.1.2.${i}`, descr as string),
    vb.int(`1.3.6.1.2.1.2.2.1.3.${i}`, 6),
    vb.str(`1.3.6.1.2.1.31.1.1.1.1.${i}`, name as string),
    vb.gauge(`1.3.6.1.2.1.31.1.1.1.15.${i}`, 1000),
    vb.str(`1.3.6.1.2.1.31.1.1.1.18.${i}`, alias as string),
  ]),
  vb.str('1.0.8802.1.1.2.1.3.7.1.3.7', 'ge-0/0/2'),
  vb.str('1.0.8802.1.1.2.1.3.7.1.4.7', 'uplink'),
  vb.str('1.0.8802.1.1.2.1.3.7.1.3.9', Buffer.from([0x00, 0x1b, 0x21, 0x3c, 0x4d, 0x5e])),
  vb.str('1.0.8802.1.1.2.1.3.7.1.3.11', 'port11'),
  vb.str('1.0.8802.1.1.2.1.3.7.1.4.11', 'GigabitEthernet0/0/3'),
  // lldpRemTable index: timeMark.localPortNum.index
  vb.str('1.0.8802.1.1.2.1.4.1.1.5.0.7.1', Buffer.from([0x70, 0x7b, 0xe8, 0x01, 0x02, 0x03])),
  vb.str('1.0.8802.1.1.2.1.4.1.1.7.0.7.1', 'GE1/0/24'),
  vb.str('1.0.8802.1.1.2.1.4.1.1.8.0.7.1', 'to county'),
  vb.str('1.0.8802.1.1.2.1.4.1.1.9.0.7.1', 'township-a-sw'),
  vb.str('1.0.8802.1.1.2.1.4.1.1.5.300.9.2', 'chassis-b'),
  vb.str('1.0.8802.1.1.2.1.4.1.1.7.300.9.2', 'Gi0/1'),
  vb.str('1.0.8802.1.1.2.1.4.1.1.9.300.9.2', 'township-b-sw'),
  vb.str('1.0.8802.1.1.2.1.4.1.1.5.0.11.3', 'chassis-c'),
  vb.str('1.0.8802.1.1.2.1.4.1.1.7.0.11.3', 'xe-1/0/0'),
  vb.str('1.0.8802.1.1.2.1.4.1.1.9.0.11.3', 'city-core'),
];

describe('discovery (session double)', () => {
  it('reads system, interfaces and LLDP neighbours, mapping local ports to ifIndex by name', async () => {
    const d = new EdgeDiscovery({ sessionFactory: fakeSessionFactory({ rt1: router }), now: () => 1000 });
    const p = await d.discoverDevice(target('rt1'));
    expect(DiscoveryPayload.parse(p)).toEqual(p);
    expect(p).toMatchObject({
      kind: 'discovery',
      deviceId: 'rt1',
      at: 1000,
      reachable: true,
      sysName: 'county-rt-01',
      sysDescr: 'Huawei Versatile Routing Platform',
      sysObjectId: '1.3.6.1.4.1.2011.2.224.67',
    });
    expect(p.interfaces).toEqual([
      { ifIndex: 501, name: 'ge-0/0/1', alias: 'to city', type: 6, speedMbps: 1000 },
      { ifIndex: 502, name: 'ge-0/0/2', alias: 'to township A', type: 6, speedMbps: 1000 },
      { ifIndex: 503, name: 'ge-0/0/3', alias: '', type: 6, speedMbps: 1000 },
    ]);
    // In walk order: lldpRemTable is indexed by timeMark first.
    expect(p.neighbours).toEqual([
      {
        localIfIndex: 502,
        localPortName: 'ge-0/0/2',
        remoteChassisId: '70:7b:e8:01:02:03',
        remotePortId: 'GE1/0/24',
        remotePortDescription: 'to county',
        remoteSysName: 'township-a-sw',
      },
      {
        localIfIndex: 503,
        localPortName: 'port11',
        remoteChassisId: 'chassis-c',
        remotePortId: 'xe-1/0/0',
        remoteSysName: 'city-core',
      },
      {
        // No interface has this name: the localPortNum stands in for the ifIndex.
        localIfIndex: 9,
        localPortName: '00:1b:21:3c:4d:5e',
        remoteChassisId: 'chassis-b',
        remotePortId: 'Gi0/1',
        remoteSysName: 'township-b-sw',
      },
    ]);
  });

  it('records a wrong type as an error', async () => {
    const broken = router.map((v) => (v.oid === '1.0.8802.1.1.2.1.4.1.1.9.0.7.1' ? vb.int(v.oid, 3) : v));
    const p = await new EdgeDiscovery({ sessionFactory: fakeSessionFactory({ rt1: broken }) }).discoverDevice(
      target('rt1'),
    );
    expect(p.error).toMatch(/^wrong-type: lldpRemSysName at .* has type Integer, expected OctetString/);
    expect(p.reachable).toBe(true);
  });

  it('shows binary LLDP ids as hex and text ids as text', () => {
    expect(lldpId(Buffer.from([0, 1, 0xab]))).toBe('00:01:ab');
    expect(lldpId(Buffer.from('Gi0/1'))).toBe('Gi0/1');
  });
});

describe('discovery against Debian snmpd', () => {
  let snmpd: RunningSnmpd;
  beforeAll(async () => {
    snmpd = await startSnmpd();
  });
  afterAll(async () => {
    await snmpd?.stop();
  });

  it('finds the system group and lo; no LLDP-MIB means no neighbours', async () => {
    const p = await new EdgeDiscovery().discoverDevice(snmpd.v3Target());
    expect(DiscoveryPayload.parse(p)).toEqual(p);
    expect(p.error).toBeUndefined();
    expect(p.sysObjectId).toMatch(/^1\.3\.6\.1\.4\.1\.8072\./);
    expect(p.sysDescr).toContain('Linux');
    expect(p.interfaces.find((i) => i.ifIndex === 1)).toMatchObject({ name: 'lo', type: 24 });
    // In walk order: lldpRemTable is indexed by timeMark first.
    expect(p.neighbours).toEqual([]);
  });
});
