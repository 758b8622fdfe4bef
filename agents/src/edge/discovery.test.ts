import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoveryPayload } from '@tianshu/protocol';
import type { PollTarget } from '@tianshu/protocol';
import { createJsonLogger } from '../runtime/logger.js';
import { EdgeDiscovery, entityColumns, formatMac, lldpId, maxEntityRows } from './discovery.js';
import { FakeSnmpSession, fakeSessionFactory, vb } from './testing/fake-session.js';
import { snmpdViews, startSnmpd } from './testing/snmpd.js';
import type { Varbind } from './snmp-client.js';
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
      {
        ifIndex: 501,
        name: 'ge-0/0/1',
        descr: 'GigabitEthernet0/0/1',
        alias: 'to city',
        type: 6,
        speedMbps: 1000,
      },
      {
        ifIndex: 502,
        name: 'ge-0/0/2',
        descr: 'GigabitEthernet0/0/2',
        alias: 'to township A',
        type: 6,
        speedMbps: 1000,
      },
      { ifIndex: 503, name: 'ge-0/0/3', descr: 'GigabitEthernet0/0/3', alias: '', type: 6, speedMbps: 1000 },
    ]);
    // The router double lacks most scalars and columns: that is said, not hidden.
    expect(p.outcome).toBe('partial');
    expect(p.missing).toEqual([
      'sysUpTime.0: noSuchObject',
      'sysContact.0: noSuchObject',
      'sysLocation.0: noSuchObject',
      'ifPhysAddress',
      'ifAdminStatus',
      'ifOperStatus',
      'ifInOctets',
      'ifHCInOctets',
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

const sys = [
  vb.str(
    '1.3.6.1.2.1.1.1.0',
    'Cisco IOS Software, C3750 Software (C3750-IPSERVICESK9-M), Version 12.2(55)SE12',
  ),
  vb.oid('1.3.6.1.2.1.1.2.0', '1.3.6.1.4.1.9.1.516'),
  vb.ticks('1.3.6.1.2.1.1.3.0', 123_456),
  vb.str('1.3.6.1.2.1.1.4.0', 'noc@example.gov.cn'),
  vb.str('1.3.6.1.2.1.1.5.0', 'county-sw-01'),
  vb.str('1.3.6.1.2.1.1.6.0', 'Machine room 2, rack 4'),
];
const ifRow = (
  i: number,
  o: {
    name?: string;
    descr: string;
    hc: boolean;
    high?: number;
    speed: number;
    mac: Buffer;
    admin: number;
    oper: number;
  },
): Varbind[] => [
  vb.str(`1.3.6.1.2.1.2.2.1.2.${i}`, o.descr),
  vb.int(`1.3.6.1.2.1.2.2.1.3.${i}`, 6),
  vb.gauge(`1.3.6.1.2.1.2.2.1.5.${i}`, o.speed),
  vb.str(`1.3.6.1.2.1.2.2.1.6.${i}`, o.mac),
  vb.int(`1.3.6.1.2.1.2.2.1.7.${i}`, o.admin),
  vb.int(`1.3.6.1.2.1.2.2.1.8.${i}`, o.oper),
  vb.c32(`1.3.6.1.2.1.2.2.1.10.${i}`, 5),
  ...(o.name !== undefined ? [vb.str(`1.3.6.1.2.1.31.1.1.1.1.${i}`, o.name)] : []),
  ...(o.hc ? [vb.c64(`1.3.6.1.2.1.31.1.1.1.6.${i}`, 5n)] : []),
  ...(o.high !== undefined ? [vb.gauge(`1.3.6.1.2.1.31.1.1.1.15.${i}`, o.high)] : []),
  ...(o.name !== undefined ? [vb.str(`1.3.6.1.2.1.31.1.1.1.18.${i}`, '')] : []),
];
const mac = Buffer.from([0x00, 0x1b, 0x54, 0xab, 0xcd, 0xef]);
const switchRows = [
  ...sys,
  ...ifRow(10101, {
    name: 'Gi1/0/1',
    descr: 'GigabitEthernet1/0/1',
    hc: true,
    high: 1000,
    speed: 1_000_000_000,
    mac,
    admin: 1,
    oper: 1,
  }),
  ...ifRow(10102, {
    name: 'Gi1/0/2',
    descr: 'GigabitEthernet1/0/2',
    hc: true,
    high: 1000,
    speed: 1_000_000_000,
    mac,
    admin: 2,
    oper: 2,
  }),
  // A stack port: ifXTable name and speed, but no HC counters and no MAC.
  ...ifRow(5179, {
    name: 'StackPort1',
    descr: 'StackPort1',
    hc: false,
    high: 0,
    speed: 0,
    mac: Buffer.alloc(0),
    admin: 1,
    oper: 1,
  }),
  // entPhysicalTable: a stack (class 11) of one chassis (class 3) with a port (class 10).
  ...[
    [1, 11, 'c37xx Stack', '', '', '', '', 'Cisco Systems', ''],
    [1001, 3, '1', 'V07', '12.2(44r)SE', '12.2(55)SE12', 'FOC1234X0AB', 'Cisco Systems', 'WS-C3750G-24TS-1U'],
    [1010, 10, 'GigabitEthernet1/0/1', '', '', '', '', '', ''],
  ].flatMap(([i, cls, name, hw, fw, sw, serial, mfg, model]) => [
    vb.int(`${entityColumns.entPhysicalClass.oid}.${i}`, cls as number),
    vb.str(`${entityColumns.entPhysicalName.oid}.${i}`, name as string),
    vb.str(`${entityColumns.entPhysicalHardwareRev.oid}.${i}`, hw as string),
    vb.str(`${entityColumns.entPhysicalFirmwareRev.oid}.${i}`, fw as string),
    vb.str(`${entityColumns.entPhysicalSoftwareRev.oid}.${i}`, sw as string),
    vb.str(`${entityColumns.entPhysicalSerialNum.oid}.${i}`, serial as string),
    vb.str(`${entityColumns.entPhysicalMfgName.oid}.${i}`, mfg as string),
    vb.str(`${entityColumns.entPhysicalModelName.oid}.${i}`, model as string),
  ]),
];

describe('discovery that says everything (session double)', () => {
  it('reads the whole system group, every interface with descr/MAC/status/counter width, and the chassis', async () => {
    const p = await new EdgeDiscovery({
      sessionFactory: fakeSessionFactory({ sw: switchRows }),
    }).discoverDevice(target('sw'));
    expect(DiscoveryPayload.parse(p)).toEqual(p);
    expect(p).toMatchObject({
      outcome: 'ok',
      reachable: true,
      sysName: 'county-sw-01',
      sysObjectId: '1.3.6.1.4.1.9.1.516',
      sysUpTime: 123_456,
      sysContact: 'noc@example.gov.cn',
      sysLocation: 'Machine room 2, rack 4',
    });
    expect(p.error).toBeUndefined();
    expect(p.missing).toBeUndefined();
    expect(p.entity).toEqual({
      vendor: 'Cisco Systems',
      model: 'WS-C3750G-24TS-1U',
      serial: 'FOC1234X0AB',
      hardwareRevision: 'V07',
      firmwareRevision: '12.2(44r)SE',
      softwareRevision: '12.2(55)SE12',
    });
    expect(p.interfaces).toEqual([
      {
        ifIndex: 5179,
        name: 'StackPort1',
        descr: 'StackPort1',
        alias: '',
        type: 6,
        speedMbps: 0,
        adminStatus: 'up',
        operStatus: 'up',
        counterBits: 32,
      },
      {
        ifIndex: 10101,
        name: 'Gi1/0/1',
        descr: 'GigabitEthernet1/0/1',
        alias: '',
        type: 6,
        speedMbps: 1000,
        mac: '00:1b:54:ab:cd:ef',
        adminStatus: 'up',
        operStatus: 'up',
        counterBits: 64,
      },
      {
        ifIndex: 10102,
        name: 'Gi1/0/2',
        descr: 'GigabitEthernet1/0/2',
        alias: '',
        type: 6,
        speedMbps: 1000,
        mac: '00:1b:54:ab:cd:ef',
        adminStatus: 'down',
        operStatus: 'down',
        counterBits: 64,
      },
    ]);
  });

  it('takes the speed from ifSpeed when the device has no ifHighSpeed', async () => {
    const rows = [
      ...sys,
      ...ifRow(1, { descr: 'eth0', hc: false, speed: 100_000_000, mac, admin: 1, oper: 1 }),
    ];
    const p = await new EdgeDiscovery({ sessionFactory: fakeSessionFactory({ d: rows }) }).discoverDevice(
      target('d'),
    );
    expect(p.interfaces).toEqual([
      expect.objectContaining({ ifIndex: 1, name: 'eth0', speedMbps: 100, counterBits: 32 }),
    ]);
    expect(p.outcome).toBe('partial');
    expect(p.missing).toEqual(['ifName', 'ifHCInOctets', 'ifHighSpeed', 'ifAlias']);
  });

  it('fails a device without the system group, with the reason, never success with 0 interfaces', async () => {
    const p = await new EdgeDiscovery({
      sessionFactory: fakeSessionFactory({ d: switchRows.slice(sys.length) }),
    }).discoverDevice(target('d'));
    expect(DiscoveryPayload.parse(p)).toEqual(p);
    expect(p).toMatchObject({
      outcome: 'agent-error',
      reachable: true,
      error:
        'agent-error: the agent does not expose the system group (sysDescr.0: noSuchObject, sysObjectID.0: noSuchObject, sysUpTime.0: noSuchObject)',
      interfaces: [],
    });
  });

  it('fails a device that answers the system group but lists no interfaces, keeping what it said', async () => {
    const p = await new EdgeDiscovery({ sessionFactory: fakeSessionFactory({ d: sys }) }).discoverDevice(
      target('d'),
    );
    expect(DiscoveryPayload.parse(p)).toEqual(p);
    expect(p).toMatchObject({
      outcome: 'agent-error',
      error: 'agent-error: the agent lists no interfaces in ifTable or ifXTable',
      sysName: 'county-sw-01',
      interfaces: [],
    });
  });

  it('reads at most 2,000 entPhysicalTable rows and falls back to the first entry with a model or serial', async () => {
    const rows: Varbind[] = [
      ...sys,
      ...ifRow(1, { descr: 'eth0', hc: true, name: 'eth0', high: 1000, speed: 1, mac, admin: 1, oper: 1 }),
    ];
    for (let i = 1; i <= 2500; i += 1) {
      // No chassis among the first 2,000; one beyond, which a bounded walk must not reach.
      rows.push(vb.int(`${entityColumns.entPhysicalClass.oid}.${i}`, i === 2400 ? 3 : 9));
      rows.push(
        vb.str(
          `${entityColumns.entPhysicalModelName.oid}.${i}`,
          i === 7 ? 'LINECARD-48G' : i === 2400 ? 'CHASSIS-X' : '',
        ),
      );
      rows.push(vb.str(`${entityColumns.entPhysicalSerialNum.oid}.${i}`, i === 7 ? 'SN7' : ''));
    }
    const p = await new EdgeDiscovery({ sessionFactory: () => new FakeSnmpSession(rows) }).discoverDevice(
      target('d'),
    );
    expect(p.entity).toEqual({ model: 'LINECARD-48G', serial: 'SN7' });
    expect(maxEntityRows).toBe(2000);
  });

  it('logs a failed discovery with its reason as a warning once, then at debug level while it fails the same way', async () => {
    const lines: string[] = [];
    const logger = createJsonLogger({ level: 'debug', write: (l) => lines.push(l) });
    const d = new EdgeDiscovery({ sessionFactory: fakeSessionFactory({ d: sys }), logger });
    await d.discoverDevice(target('d'));
    await d.discoverDevice(target('d'));
    const warns = lines.filter((l) => l.includes('"device discovery failed"'));
    expect(warns.length).toBe(1);
    expect(warns[0]).toContain('the agent lists no interfaces in ifTable or ifXTable');
    expect(lines.filter((l) => l.includes('device discovery failed again')).length).toBe(1);
  });

  it('formats ifPhysAddress as lower-case colon hex and omits it when empty', () => {
    expect(formatMac(Buffer.from([0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff]))).toBe('aa:bb:cc:dd:ee:ff');
    expect(formatMac(Buffer.alloc(0))).toBeUndefined();
    // Some agents (and recordings) send it as text.
    expect(formatMac(Buffer.from('D8:5D:4C:E2:62:4E'))).toBe('d8:5d:4c:e2:62:4e');
    expect(formatMac(null)).toBeUndefined();
  });

  it('keeps LLDP neighbours and the wrong-type error of an ENTITY column', async () => {
    const broken = switchRows.map((v) =>
      v.oid === `${entityColumns.entPhysicalClass.oid}.1001` ? vb.str(v.oid, 'x') : v,
    );
    const p = await new EdgeDiscovery({ sessionFactory: fakeSessionFactory({ d: broken }) }).discoverDevice(
      target('d'),
    );
    expect(p.error).toMatch(/^wrong-type: entPhysicalClass at .* has type OctetString, expected Integer/);
    expect(p.outcome).toBe('error');
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
    expect(p.outcome).toBe('ok');
    expect(p.sysUpTime).toBeGreaterThan(0);
    expect(p.sysName).toBeTruthy();
    expect(p.interfaces.find((i) => i.ifIndex === 1)).toMatchObject({
      name: 'lo',
      descr: 'lo',
      adminStatus: 'up',
      operStatus: 'up',
      counterBits: 64,
      speedMbps: 10,
    });
    // lo has no hardware address; every other interface of the host has its MAC, status and descr.
    expect(p.interfaces.find((i) => i.ifIndex === 1)?.mac).toBeUndefined();
    const others = p.interfaces.filter((i) => i.ifIndex !== 1);
    expect(others.length).toBeGreaterThan(0);
    for (const i of others) {
      expect({ ifIndex: i.ifIndex, descr: !!i.descr, admin: !!i.adminStatus, oper: !!i.operStatus }).toEqual({
        ifIndex: i.ifIndex,
        descr: true,
        admin: true,
        oper: true,
      });
    }
    expect(others.some((i) => /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/.test(i.mac ?? ''))).toBe(true);
    expect(p.sysObjectId).toMatch(/^1\.3\.6\.1\.4\.1\.8072\./);
    expect(p.sysDescr).toContain('Linux');
    expect(p.interfaces.find((i) => i.ifIndex === 1)).toMatchObject({ name: 'lo', type: 24 });
    // In walk order: lldpRemTable is indexed by timeMark first.
    expect(p.neighbours).toEqual([]);
  });
});

describe('discovery against Debian snmpd with parts of the MIB left out', () => {
  it('fails discovery of an snmpd without the system group, with the reason', async () => {
    const d = await startSnmpd({ exclude: snmpdViews.noSystem });
    try {
      const p = await new EdgeDiscovery().discoverDevice(d.v2cTarget('no-system'));
      expect(DiscoveryPayload.parse(p)).toEqual(p);
      expect(p).toMatchObject({ outcome: 'agent-error', reachable: true, interfaces: [] });
      expect(p.error).toMatch(
        /^agent-error: the agent does not expose the system group \(sysDescr\.0: noSuchObject/,
      );
    } finally {
      await d.stop();
    }
  });

  it('discovers an ifTable-only snmpd with ifSpeed speeds and 32-bit counters, as partial', async () => {
    const d = await startSnmpd({ exclude: snmpdViews.noIfXTable });
    try {
      const p = await new EdgeDiscovery().discoverDevice(d.v2cTarget('if-table-only'));
      expect(p.outcome).toBe('partial');
      expect(p.missing).toEqual(['ifName', 'ifHCInOctets', 'ifHighSpeed', 'ifAlias']);
      expect(p.interfaces.find((i) => i.ifIndex === 1)).toMatchObject({
        name: 'lo',
        speedMbps: 10,
        counterBits: 32,
      });
    } finally {
      await d.stop();
    }
  });
});
