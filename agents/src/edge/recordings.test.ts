import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiscoveryPayload, InterfacePollPayload } from '@tianshu/protocol';
import { EdgeDiscovery } from './discovery.js';
import { EdgePoller } from './poller.js';
import { recordingsDir, startSnmpsim } from './testing/snmpsim.js';
import type { RunningSnmpsim } from './testing/snmpsim.js';

// Genuine device answers (LibreNMS recordings, see testing/recordings/README.md) served over UDP by
// Debian's snmpsim: what the agent decodes must be what the devices said.

const later = 'cisco-c1900-later';
// The Cisco's Serial0/0/0 (ifIndex 4, 2 Mbit/s) reads ifInOctets 4161283020 in the recording, 133.7 MB
// short of 2^32. The later answer, 600 s on, has it 140 MB further: across the 32-bit wrap, at
// 1.87 Mbit/s (possible on the link). Serial0/0/1's ifInOctets (3924991906) drops to 1000, which a
// wrap could only explain at 4.9 Mbit/s on a 2 Mbit/s link: a counter reset, not a wrap.
const wrapDelta = 140_000_000;
const recordedIn4 = 4_161_283_020;
const recordedUpTime = 1_381_881_322;

async function laterAnswer(): Promise<string> {
  const text = await readFile(join(recordingsDir, 'cisco-c1900.snmprec'), 'utf8');
  return text
    .split('\n')
    .map((line) => {
      if (line.startsWith('1.3.6.1.2.1.1.3.0|')) return `1.3.6.1.2.1.1.3.0|67|${recordedUpTime + 60_000}`;
      if (line.startsWith('1.3.6.1.2.1.2.2.1.10.4|')) {
        return `1.3.6.1.2.1.2.2.1.10.4|65|${(recordedIn4 + wrapDelta) % 2 ** 32}`;
      }
      if (line.startsWith('1.3.6.1.2.1.2.2.1.10.5|')) return '1.3.6.1.2.1.2.2.1.10.5|65|1000';
      return line;
    })
    .join('\n');
}

let sim: RunningSnmpsim;
beforeAll(async () => {
  sim = await startSnmpsim({
    recordings: ['cisco-c1900', 'mimosa-b5c'],
    derived: { [later]: await laterAnswer() },
  });
}, 60_000);
afterAll(async () => {
  await sim?.stop();
});

describe('recorded Cisco 1941 (ifXTable on Ethernet, 32-bit ifTable on serial and Null0), via snmpsim', () => {
  it('discovery decodes system, every interface (names, speeds, MACs, status, counter width) and the chassis', async () => {
    const p = await new EdgeDiscovery().discoverDevice(sim.target('cisco-c1900'));
    expect(DiscoveryPayload.parse(p)).toEqual(p);
    expect(p.error).toBeUndefined();
    expect(p.outcome).toBe('ok');
    expect(p).toMatchObject({
      reachable: true,
      sysObjectId: '1.3.6.1.4.1.9.1.1047',
      sysName: 'testhonmsnetHQ',
      sysDescr: '1',
      sysUpTime: recordedUpTime,
    });
    expect(p.entity).toEqual({
      vendor: 'Cisco',
      model: 'CISCO1941/K9',
      serial: 'FCZ1712C0R3',
      hardwareRevision: 'V05',
      firmwareRevision: 'System Bootstrap, Version 15.0(1r)M16, RELEASE SOFTWARE (fc1)',
      softwareRevision: '1',
    });
    expect(
      p.interfaces.map((i) => [
        i.ifIndex,
        i.name,
        i.descr,
        i.type,
        i.speedMbps,
        i.mac,
        i.adminStatus,
        i.operStatus,
        i.counterBits,
      ]),
    ).toEqual([
      [1, 'Gi0/0', 'GigabitEthernet0/0', 6, 1000, '00:06:f6:26:20:80', 'up', 'up', 64],
      [2, 'Gi0/1', 'GigabitEthernet0/1', 6, 1000, '00:06:f6:26:20:81', 'up', 'down', 64],
      [3, 'Ba0/3', 'Backplane-GigabitEthernet0/3', 6, 1000, '00:06:f6:26:20:83', 'up', 'up', 64],
      [4, 'Se0/0/0', 'Serial0/0/0', 22, 2, undefined, 'up', 'up', 32],
      [5, 'Se0/0/1', 'Serial0/0/1', 22, 2, undefined, 'up', 'up', 32],
      // ifSpeed saturates at 4294967295; ifHighSpeed says 10 Gbit/s.
      [6, 'Nu0', 'Null0', 1, 10_000, undefined, 'up', 'up', 32],
    ]);
    expect(p.interfaces[3]?.alias).toBe('XXXXX 1st link to testhonms 44-87880-00 XXXX');
  });

  it('polls all six interfaces, 64-bit where the device has HC counters and 32-bit elsewhere, and rates across a 32-bit wrap', async () => {
    const poller = new EdgePoller();
    const first = await poller.pollDevice(sim.target('cisco-c1900', 'c1900'), { intervalSeconds: 600 });
    expect(InterfacePollPayload.parse(first)).toEqual(first);
    expect(first.outcome).toBe('ok');
    expect(first.missing).toBeUndefined();
    expect(first.interfaces.map((i) => [i.ifIndex, i.name, i.counterBits, i.inOctets, i.speedMbps])).toEqual([
      [1, 'Gi0/0', 64, '8898229936336', 1000],
      [2, 'Gi0/1', 64, '0', 1000],
      [3, 'Ba0/3', 64, '0', 1000],
      [4, 'Se0/0/0', 32, String(recordedIn4), 2],
      [5, 'Se0/0/1', 32, '3924991906', 2],
      [6, 'Nu0', 32, '0', 10_000],
    ]);
    // 2 Mbit/s wraps 32 bits in 4.8 hours: no warning at 600 s; Null0's 10 Gbit/s would wrap in 3.4 s.
    expect(first.warnings).toEqual([
      expect.stringMatching(/^ifIndex 6 \(Nu0\): 32-bit octet counters wrap every 3\.4 s/),
    ]);

    // The same device (same id) answering 600 s later in its own clock.
    const second = await poller.pollDevice(sim.target(later, 'c1900'), { intervalSeconds: 600 });
    expect(second.sysUpTime).toBe(recordedUpTime + 60_000);
    const se0 = second.interfaces.find((i) => i.ifIndex === 4)!;
    expect(se0.inOctets).toBe(String(recordedIn4 + wrapDelta - 2 ** 32));
    expect(se0.counterEvent).toBe('wrap');
    expect(se0.rates?.intervalSeconds).toBe(600);
    expect(se0.rates?.inBitsPerSecond).toBeCloseTo((wrapDelta * 8) / 600, 6);
    const se1 = second.interfaces.find((i) => i.ifIndex === 5)!;
    expect(se1).toMatchObject({ counterEvent: 'reset', rates: null });
    const gi0 = second.interfaces.find((i) => i.ifIndex === 1)!;
    expect(gi0.counterEvent).toBeUndefined();
    expect(gi0.rates).toMatchObject({ inBitsPerSecond: 0, intervalSeconds: 600 });
  });
});

describe('recorded Mimosa B5c (IF-MIB ifTable only), via snmpsim', () => {
  it('discovery lists its ten interfaces by ifDescr with ifSpeed speeds and MACs, as partial without ifXTable', async () => {
    const p = await new EdgeDiscovery().discoverDevice(sim.target('mimosa-b5c'));
    expect(DiscoveryPayload.parse(p)).toEqual(p);
    expect(p.error).toBeUndefined();
    expect(p.outcome).toBe('partial');
    expect(p.missing).toEqual(['ifName', 'ifHCInOctets', 'ifHighSpeed', 'ifAlias']);
    expect(p).toMatchObject({
      sysName: 'mimosaBH',
      sysDescr: 'Mimosa B5c Firmware v86dfb99',
      sysLocation: 'BH',
    });
    expect(p.interfaces.map((i) => [i.ifIndex, i.name, i.speedMbps, i.mac ?? null, i.counterBits])).toEqual([
      [1, 'lo', 10, null, 32],
      [2, 'tqe', 0, null, 32],
      [3, 'eth1_emac1', 1000, '20:b5:c6:01:b2:32', 32],
      [4, 'wlan0', 0, '20:b5:c6:01:b2:34', 32],
      [5, 'br0', 0, '20:b5:c6:01:b2:33', 32],
      [6, 'br_local', 0, '20:b5:c6:01:b2:34', 32],
      [7, 'br_recovery', 0, null, 32],
      [8, 'br1', 0, '9a:dc:0b:bb:52:0b', 32],
      [9, 'wifi0', 0, '20:b5:c6:01:b2:33', 32],
      [13, 'mon.wlan0', 0, '00:02:03:04:05:06', 32],
    ]);
  });

  it('polls every interface from 32-bit counters (none dropped), as partial naming the missing ifXTable columns', async () => {
    const p = await new EdgePoller().pollDevice(sim.target('mimosa-b5c'), { intervalSeconds: 60 });
    expect(InterfacePollPayload.parse(p)).toEqual(p);
    expect(p.outcome).toBe('partial');
    expect(p.missing).toEqual(['ifName', 'ifHCInOctets', 'ifHCOutOctets', 'ifHighSpeed', 'ifAlias']);
    expect(p.interfaces).toHaveLength(10);
    expect(p.interfaces.every((i) => i.counterBits === 32)).toBe(true);
    expect(p.interfaces.find((i) => i.ifIndex === 9)).toMatchObject({
      inOctets: '2980533144',
      outOctets: '2938258919',
      rates: null,
    });
    // eth1_emac1 at 1 Gbit/s wraps every 34.4 s: a 60 s interval cannot tell one wrap from two.
    expect(p.warnings).toEqual([
      expect.stringMatching(
        /^ifIndex 3: 32-bit octet counters wrap every 34\.4 s at 1000 Mbit\/s; the poll interval of 60 s/,
      ),
    ]);
  });
});
