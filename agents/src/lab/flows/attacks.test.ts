import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LabConfigError } from '../errors.js';
import { startLab, type Lab, type LabRouterInfo } from '../lab.js';
import type { ScenarioInput } from '../scenario.js';
import { Capture, type NfdumpFlow } from './testing/nfdump.js';

// The lab's attacks cross the routers' SNMP counters and flow exports alike: a DDoS from the
// internet towards a host of rt-b's unit enters the core on its internet exit (ifIndex 9, sampled
// 1 in 10), leaves it towards rt-b (ifIndex 2), enters rt-b on its uplink (sampled 1 in 1) and ends
// there. Debian's nfcapd receives every export (on a free port); the octets it decoded × the rate
// must equal the ifHCInOctets/ifHCOutOctets deltas snmpget reads over the attack, and the attack's
// own records are one-second flows (the short active timeout a detector needs).

const run = promisify(execFile);
const itf = (ifIndex: number, name: string, speedMbps = 1000) => ({ ifIndex, name, speedMbps });
const inventory = {
  sites: [
    { id: 'site-core', orgUnitId: 'p' },
    { id: 'site-a', orgUnitId: 'p-a' },
    { id: 'site-b', orgUnitId: 'p-b' },
  ],
  prefixes: [
    { prefix: '10.61.0.0/16', orgUnitId: 'p' },
    { prefix: '10.61.1.0/24', orgUnitId: 'p-a' },
    { prefix: '10.61.2.0/24', orgUnitId: 'p-b' },
  ],
  devices: [
    {
      id: 'core',
      siteId: 'site-core',
      managementAddress: '127.0.78.1',
      interfaces: [itf(1, 'to-a'), itf(2, 'to-b'), itf(9, 'internet')],
    },
    { id: 'rt-a', siteId: 'site-a', managementAddress: '127.0.78.2', interfaces: [itf(1, 'uplink')] },
    { id: 'rt-b', siteId: 'site-b', managementAddress: '127.0.78.3', interfaces: [itf(1, 'uplink')] },
  ],
  links: [
    { a: { device: 'core', ifIndex: 1 }, b: { device: 'rt-a', ifIndex: 1 }, level: 'city' },
    { a: { device: 'core', ifIndex: 2 }, b: { device: 'rt-b', ifIndex: 1 }, level: 'city' },
  ],
};

function scenario(netflow: number): ScenarioInput {
  return {
    seed: 11,
    load: { levels: { city: 0.01 }, external: { 'core:9': 0.01 } },
    flows: {
      collector: { netflow: `127.0.0.1:${netflow}` },
      intervalSeconds: 60,
      maxDatagramsPerSecond: 5000,
      routers: {
        core: { protocol: 'v9', samplingRate: 10 },
        'rt-a': { protocol: 'ipfix', samplingRate: 1 },
        'rt-b': { protocol: 'ipfix', samplingRate: 1 },
      },
    },
  };
}

const ifHCIn = (i: number) => `1.3.6.1.2.1.31.1.1.1.6.${i}`;
const ifHCOut = (i: number) => `1.3.6.1.2.1.31.1.1.1.10.${i}`;

async function counters(r: LabRouterInfo, ifIndexes: number[]): Promise<Map<string, bigint>> {
  const oids = ifIndexes.flatMap((i) => [ifHCIn(i), ifHCOut(i)]);
  const { stdout } = await run('snmpget', [
    '-v2c',
    '-c',
    'public',
    '-On',
    '-Oq',
    '-t',
    '2',
    '-r',
    '1',
    `${r.address}:${r.port}`,
    ...oids,
  ]);
  const m = new Map<string, bigint>();
  for (const line of stdout.trim().split('\n')) {
    const [oid, v] = line.split(' ');
    m.set(oid!.slice(1), BigInt(v!));
  }
  return m;
}

describe('lab attacks', () => {
  let lab: Lab;
  let nf: Capture;
  let now = Math.floor(Date.now() / 60_000) * 60_000;
  const before = new Map<string, Map<string, bigint>>();
  const after = new Map<string, Map<string, bigint>>();
  let flows: NfdumpFlow[] = [];
  const ifs = (id: string) => inventory.devices.find((d) => d.id === id)!.interfaces.map((i) => i.ifIndex);

  beforeAll(async () => {
    nf = await Capture.start('nfcapd', ['-B', '4194304']);
    lab = await startLab({ inventory, scenario: scenario(nf.port), portOverride: 0, clock: () => now });
    for (const r of lab.routers) before.set(r.deviceId, await counters(r, ifs(r.deviceId)));
    const info = lab.startAttack({
      kind: 'ddos',
      source: '36.152.44.0/24',
      target: '10.61.2.10',
      pps: 20_000,
      bps: 20_000 * 500 * 8,
      durationSeconds: 10,
      sources: 16,
    });
    expect(info.path).toEqual(['rt-b', 'core']);
    expect(info.exporters).toEqual(['rt-b', 'core']);
    lab.startAttack({
      kind: 'port-scan',
      source: '36.152.44.77',
      target: '10.61.2.20',
      pps: 100,
      durationSeconds: 5,
    });
    // Second by second, as the timer does.
    for (let s = 0; s < 12; s++) {
      now += 1000;
      await lab.exportFlows();
    }
    now += 48_000;
    await lab.exportFlows();
    for (const r of lab.routers) after.set(r.deviceId, await counters(r, ifs(r.deviceId)));
    flows = await nf.stopAndRead();
  }, 60_000);

  afterAll(async () => {
    await lab?.stop();
    await nf?.cleanup();
  });

  const delta = (id: string, oid: string): number =>
    Number(after.get(id)!.get(oid)! - before.get(id)!.get(oid)!);

  it('the DDoS is in the SNMP counters of every interface it crosses, and the flows say the same', () => {
    const attackBytes = 20_000 * 500 * 10;
    const rates: Record<string, (f: NfdumpFlow) => number> = { core: () => 10, 'rt-b': () => 1 };
    for (const [id, crossed] of [
      ['core', [ifHCIn(9), ifHCOut(2)]],
      ['rt-b', [ifHCIn(1)]],
    ] as const) {
      const r = lab.routers.find((x) => x.deviceId === id)!;
      for (const oid of crossed) expect(delta(id, oid), `${id} ${oid}`).toBeGreaterThanOrEqual(attackBytes);
      for (const i of ifs(id)) {
        for (const dir of ['in', 'out'] as const) {
          const snmp = delta(id, dir === 'in' ? ifHCIn(i) : ifHCOut(i));
          const got = flows
            .filter((f) => f.ra === r.address && (dir === 'in' ? f.in : f.out) === i)
            .reduce((s, f) => s + f.ibyt * rates[id]!(f), 0);
          // Rounding of the ordinary cells (synth.ts) plus the attack's sampling (1 %).
          expect(Math.abs(got - snmp), `${id}:${i} ${dir}: flows ${got}, SNMP ${snmp}`).toBeLessThanOrEqual(
            16 * 10 + (snmp >= attackBytes ? attackBytes * 0.01 : 0),
          );
        }
      }
    }
  });

  it('its records are one-second flows from the attack sources to the target', () => {
    const ddos = flows.filter((f) => f.da === '10.61.2.10' && f.dp === 53);
    expect(ddos.length).toBeGreaterThan(10 * 8);
    expect(new Set(ddos.map((f) => f.sa)).size).toBe(16);
    for (const f of ddos) {
      expect(f.sa.startsWith('36.152.44.')).toBe(true);
      // nfdump's duration (td, seconds): under one second.
      expect(Number(f.raw.td)).toBeLessThan(1);
    }
    const scan = flows.filter((f) => f.da === '10.61.2.20' && f.sa === '36.152.44.77');
    // rt-b samples 1 in 1: every probe, to a new port each.
    const atB = scan.filter((f) => f.ra === lab.routers.find((x) => x.deviceId === 'rt-b')!.address);
    expect(atB.length).toBe(500);
    expect(new Set(atB.map((f) => f.dp)).size).toBe(500);
    expect(atB.every((f) => f.flg.includes('S') && !f.flg.includes('A'))).toBe(true);
    const stats = lab.attacks();
    expect(stats.map((a) => a.spec.kind)).toEqual(['ddos', 'port-scan']);
    expect(stats[0]!.records).toBeGreaterThan(0);
  });

  it('refuses an attack it cannot play, with the reason', () => {
    expect(() =>
      lab.startAttack({
        kind: 'ddos',
        source: '36.152.44.1',
        target: '192.0.2.1',
        pps: 1,
        durationSeconds: 1,
      }),
    ).toThrow(/in no org unit's prefix/);
    expect(() =>
      lab.startAttack({ kind: 'ddos', source: 'x', target: '10.61.2.1', pps: 1, durationSeconds: 1 }),
    ).toThrow(LabConfigError);
    expect(() =>
      lab.startAttack({
        kind: 'ddos',
        source: '36.152.44.1',
        target: '10.61.2.1',
        pps: 0,
        durationSeconds: 1,
      }),
    ).toThrow(/pps/);
  });
});
