import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab, type Lab, type LabRouterInfo } from '../lab.js';
import type { ScenarioInput } from '../scenario.js';
import { Capture, type NfdumpFlow } from './testing/nfdump.js';

// The lab's routers export flows for the traffic their SNMP counters count. Four routers on their
// own loopback addresses export to Debian's nfcapd (NetFlow v9, IPFIX) and sfcapd (sFlow) on free
// ports; over one minute of the lab's (frozen, then moved) clock, the octets nfdump decodes per
// exporter, interface and direction, times the sampling rate, must equal the ifHCInOctets /
// ifHCOutOctets deltas snmpget reads from the same routers, to within the documented rounding
// (synth.ts): ≤ rate/2 octets per matrix cell for NetFlow, ≤ 64 × rate for sFlow. One router
// misreports its sampling (samples 1 in 16, says 1), and its flows come out 16 times too small.

const run = promisify(execFile);
const itf = (ifIndex: number, name: string, speedMbps = 100) => ({ ifIndex, name, speedMbps });
const inventory = {
  sites: [
    { id: 'site-core', orgUnitId: 'p' },
    { id: 'site-a', orgUnitId: 'p-a' },
    { id: 'site-b', orgUnitId: 'p-b' },
    { id: 'site-b1', orgUnitId: 'p-b-1' },
  ],
  prefixes: [
    { prefix: '10.60.0.0/16', orgUnitId: 'p' },
    { prefix: '10.60.1.0/24', orgUnitId: 'p-a' },
    { prefix: '10.60.2.0/24', orgUnitId: 'p-b' },
    { prefix: '10.60.2.128/25', orgUnitId: 'p-b-1' },
    { prefix: '2001:db8:60::/48', orgUnitId: 'p' },
    { prefix: '2001:db8:60:1::/64', orgUnitId: 'p-a' },
    { prefix: '2001:db8:60:2::/64', orgUnitId: 'p-b' },
    { prefix: '2001:db8:60:3::/64', orgUnitId: 'p-b-1' },
  ],
  devices: [
    {
      id: 'core',
      siteId: 'site-core',
      managementAddress: '127.0.77.1',
      interfaces: [itf(1, 'to-a'), itf(2, 'to-b'), itf(9, 'internet')],
    },
    { id: 'rt-a', siteId: 'site-a', managementAddress: '127.0.77.2', interfaces: [itf(1, 'uplink')] },
    {
      id: 'rt-b',
      siteId: 'site-b',
      managementAddress: '127.0.77.3',
      interfaces: [itf(1, 'uplink'), itf(11, 'to-b1')],
    },
    { id: 'rt-b1', siteId: 'site-b1', managementAddress: '127.0.77.4', interfaces: [itf(1, 'uplink')] },
  ],
  links: [
    { a: { device: 'core', ifIndex: 1 }, b: { device: 'rt-a', ifIndex: 1 }, level: 'city' },
    { a: { device: 'core', ifIndex: 2 }, b: { device: 'rt-b', ifIndex: 1 }, level: 'city' },
    { a: { device: 'rt-b', ifIndex: 11 }, b: { device: 'rt-b1', ifIndex: 1 }, level: 'county' },
  ],
};

const rates: Record<string, number> = { core: 10, 'rt-a': 1, 'rt-b': 64, 'rt-b1': 16 };

function scenario(netflow: number, sflow: number): ScenarioInput {
  return {
    seed: 7,
    load: { levels: { city: 0.04, county: 0.05 }, external: { 'core:9': 0.03 } },
    flows: {
      collector: { netflow: `127.0.0.1:${netflow}`, sflow: `127.0.0.1:${sflow}` },
      intervalSeconds: 60,
      ipv6Share: 0.3,
      routers: {
        // The internet exit samples at its own rate (its own sampler, id 2).
        core: { protocol: 'v9', samplingRate: rates.core, interfaces: { '9': 5 } },
        'rt-a': { protocol: 'ipfix', samplingRate: rates['rt-a'] },
        'rt-b': { protocol: 'sflow', samplingRate: rates['rt-b'] },
        'rt-b1': { protocol: 'sflow', samplingRate: rates['rt-b1'], reportedSamplingRate: 1 },
      },
    },
  };
}

const ifHCIn = (i: number) => `1.3.6.1.2.1.31.1.1.1.6.${i}`;
const ifHCOut = (i: number) => `1.3.6.1.2.1.31.1.1.1.10.${i}`;

/** ifHCInOctets/ifHCOutOctets of every interface of a router, by snmpget. */
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

describe('lab flow export is consistent with the SNMP counters', () => {
  let lab: Lab;
  let nf: Capture;
  let sf: Capture;
  let now = Math.floor(Date.now() / 60_000) * 60_000;
  const before = new Map<string, Map<string, bigint>>();
  const after = new Map<string, Map<string, bigint>>();
  let flows: NfdumpFlow[] = [];
  const ifs = (id: string) => inventory.devices.find((d) => d.id === id)!.interfaces.map((i) => i.ifIndex);

  beforeAll(async () => {
    nf = await Capture.start('nfcapd', ['-B', '4194304']);
    sf = await Capture.start('sfcapd', ['-B', '4194304']);
    lab = await startLab({
      inventory,
      scenario: scenario(nf.port, sf.port),
      portOverride: 0,
      clock: () => now,
    });
    for (const r of lab.routers) before.set(r.deviceId, await counters(r, ifs(r.deviceId)));
    now += 60_000;
    await lab.exportFlows();
    for (const r of lab.routers) after.set(r.deviceId, await counters(r, ifs(r.deviceId)));
    flows = [...(await nf.stopAndRead()), ...(await sf.stopAndRead())];
  });

  afterAll(async () => {
    await lab?.stop();
    await nf?.cleanup();
    await sf?.cleanup();
  });

  const delta = (id: string, oid: string): number =>
    Number(after.get(id)!.get(oid)! - before.get(id)!.get(oid)!);

  /** Octets nfdump decoded for a router's interface, in (as input) or out (as output). */
  const decoded = (
    address: string,
    ifIndex: number,
    dir: 'in' | 'out',
    scale: (f: NfdumpFlow) => number = () => 1,
  ): number =>
    flows
      .filter((f) => f.ra === address && (dir === 'in' ? f.in : f.out) === ifIndex)
      .reduce((s, f) => s + f.ibyt * scale(f), 0);

  it('every router sent flows from its own address, and nfdump decoded them all', () => {
    const stats = lab.flowStats();
    expect(stats.map((s) => s.deviceId).sort()).toEqual(['core', 'rt-a', 'rt-b', 'rt-b1']);
    for (const s of stats) {
      expect(s.datagrams, s.deviceId).toBeGreaterThan(0);
      expect(s.droppedDatagrams).toBe(0);
      expect(s.sendErrors).toBe(0);
      const got = flows.filter((f) => f.ra === s.address);
      expect(got.length, `${s.deviceId} records`).toBe(s.records);
    }
    // IPv6 flows between the units' IPv6 prefixes, and internet flows with their AS.
    expect(flows.some((f) => f.sa.includes(':'))).toBe(true);
    expect(flows.some((f) => f.in === 9 && f.sas > 0)).toBe(true);
  });

  it.each([
    ['core', 'v9'],
    ['rt-a', 'IPFIX'],
    ['rt-b', 'sFlow'],
  ])('%s (%s): decoded octets × sampling equal the SNMP deltas of every interface', (id) => {
    const r = lab.routers.find((x) => x.deviceId === id)!;
    const sflow = id === 'rt-b';
    const rate = rates[id]!;
    // nfcapd 1.7.1 does not apply v9/IPFIX announced sampling; sfcapd applies sFlow's.
    // Packets entering the core's internet exit (ifIndex 9) are sampled 1 in 5, the rest 1 in 10.
    const scale = (f: NfdumpFlow): number => (sflow ? 1 : id === 'core' && f.in === 9 ? 5 : rate);
    const cells = (ifs(id).length + 1) ** 2;
    const tolerance = cells * (sflow ? 64 * rate : rate / 2 + 1);
    let checked = 0;
    for (const i of ifs(id)) {
      for (const dir of ['in', 'out'] as const) {
        const snmp = delta(id, dir === 'in' ? ifHCIn(i) : ifHCOut(i));
        const got = decoded(r.address, i, dir, scale);
        expect(Math.abs(got - snmp), `${id}:${i} ${dir}: flows ${got}, SNMP ${snmp}`).toBeLessThanOrEqual(
          tolerance,
        );
        // The lab's own count agrees with what nfdump decoded.
        const own = lab.flowStats().find((s) => s.deviceId === id)!.interfaces[String(i)];
        expect(Math.abs((own?.[dir] ?? 0) - snmp)).toBeLessThanOrEqual(tolerance);
        if (snmp > 0) checked++;
      }
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('a router misreporting its sampling rate shows flows 16 times smaller than its counters', () => {
    const r = lab.routers.find((x) => x.deviceId === 'rt-b1')!;
    const snmp = delta('rt-b1', ifHCIn(1)) + delta('rt-b1', ifHCOut(1));
    const got = decoded(r.address, 1, 'in') + decoded(r.address, 1, 'out');
    expect(snmp).toBeGreaterThan(0);
    expect(got * 16).toBeGreaterThan(snmp * 0.99);
    expect(got * 16).toBeLessThan(snmp * 1.01);
    expect(lab.flowStats().find((s) => s.deviceId === 'rt-b1')!.reportedSamplingRate).toBe(1);
  });
});

describe('the demo province exports flows', () => {
  const inventoryFile = fileURLToPath(
    new URL('../../../../control-plane/inventory/demo-province.yaml', import.meta.url),
  );
  const scenarioFile = fileURLToPath(new URL('../../../lab/scenarios/demo.yaml', import.meta.url));
  let lab: Lab;
  let nf: Capture;
  let sf: Capture;
  let now = Math.floor(Date.now() / 60_000) * 60_000;
  let flows: NfdumpFlow[] = [];

  beforeAll(async () => {
    nf = await Capture.start('nfcapd', ['-B', '8388608']);
    sf = await Capture.start('sfcapd', ['-B', '8388608']);
    lab = await startLab({
      inventoryFile,
      scenarioFile,
      portOverride: 0,
      clock: () => now,
      flows: { netflowCollector: `127.0.0.1:${nf.port}`, sflowCollector: `127.0.0.1:${sf.port}` },
    });
    now += 10_000;
    await lab.exportFlows();
    flows = [...(await nf.stopAndRead()), ...(await sf.stopAndRead())];
  });

  afterAll(async () => {
    await lab?.stop();
    await nf?.cleanup();
    await sf?.cleanup();
  });

  it('from every router, with IPv6, internet egress and the misreporting router as the scenario says', () => {
    const stats = lab.flowStats();
    expect(stats).toHaveLength(lab.routers.length);
    const by = new Map(stats.map((s) => [s.deviceId, s]));
    expect(by.get('sc-core-a')!.protocol).toBe('ipfix');
    expect(by.get('sc-cd-agg')!.protocol).toBe('v9');
    expect(by.get('sc-cd-jj-acc')!.protocol).toBe('sflow');
    expect(by.get('sc-lz-agg')).toMatchObject({ samplingRate: 10, reportedSamplingRate: 1 });
    for (const s of stats) {
      expect(s.droppedDatagrams, s.deviceId).toBe(0);
      expect(flows.filter((f) => f.ra === s.address).length, s.deviceId).toBe(s.records);
    }
    expect(flows.some((f) => f.sa.startsWith('2001:db8:'))).toBe(true);
    const core = by.get('sc-core-a')!;
    expect(flows.some((f) => f.ra === core.address && f.out === 9 && f.das > 0)).toBe(true);
  });
});

describe('the export bounds', () => {
  it('sFlow raises its sampling rate (said in every sample) and NetFlow drops datagrams (a sequence gap) over budget', async () => {
    const nf = await Capture.start('nfcapd');
    const sf = await Capture.start('sfcapd');
    let now = Math.floor(Date.now() / 60_000) * 60_000;
    const lab = await startLab({
      inventory,
      scenario: {
        seed: 7,
        load: { levels: { city: 0.3, county: 0.3 }, external: { 'core:9': 0.3 } },
        flows: {
          collector: { netflow: `127.0.0.1:${nf.port}`, sflow: `127.0.0.1:${sf.port}` },
          intervalSeconds: 60,
          maxDatagramsPerSecond: 1,
          exporters: 'listed',
          routers: {
            core: { protocol: 'v9', samplingRate: 1 },
            'rt-b': { protocol: 'sflow', samplingRate: 1 },
          },
        },
      },
      portOverride: 0,
      clock: () => now,
    });
    try {
      const rtB = lab.routers.find((r) => r.deviceId === 'rt-b')!;
      const before = await counters(rtB, [1, 11]);
      for (let i = 0; i < 2; i++) {
        now += 2000;
        await lab.exportFlows();
      }
      const after = await counters(rtB, [1, 11]);
      const stats = new Map(lab.flowStats().map((s) => [s.deviceId, s]));
      expect(stats.get('core')!.droppedDatagrams).toBeGreaterThan(0);
      expect(stats.get('core')!.datagrams).toBe(4);
      expect(stats.get('rt-b')!.samplingRaised).toBe(2);
      expect(stats.get('rt-b')!.droppedDatagrams).toBe(0);
      expect(stats.get('rt-b')!.datagrams).toBeLessThanOrEqual(4);
      const flows = [...(await nf.stopAndRead()), ...(await sf.stopAndRead())];
      // nfcapd counts the datagrams the router numbered but could not send.
      expect(nf.output).toMatch(/Sequence Errors: [1-9]/);
      // sfcapd scales each sample by the raised rate it carries: the totals still match SNMP.
      const octets = (dir: 'in' | 'out', i: number) =>
        flows
          .filter((f) => f.ra === rtB.address && (dir === 'in' ? f.in : f.out) === i)
          .reduce((s, f) => s + f.ibyt, 0);
      for (const i of [1, 11]) {
        const snmpIn = Number(after.get(ifHCIn(i))! - before.get(ifHCIn(i))!);
        expect(snmpIn).toBeGreaterThan(0);
        expect(Math.abs(octets('in', i) - snmpIn) / snmpIn).toBeLessThan(0.02);
      }
    } finally {
      await lab.stop();
      await nf.cleanup();
      await sf.cleanup();
    }
  });
});
