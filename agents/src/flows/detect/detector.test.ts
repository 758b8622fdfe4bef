import { describe, expect, it } from 'vitest';
import { AlertInput, FlowDetectionConfig, type IntelIndicator } from '@tianshu/protocol';
import { parseIpv4 } from '../addresses.js';
import { newFlowRecord, type FlowRecord } from '../record.js';
import { FlowDetector } from './detector.js';
import { DetectSlicer, isProbe, sketchEstimate } from './slicer.js';
import { PrefixTrie } from './trie.js';

// Time is driven explicitly: every record carries its receive time, every evaluation its `now`.
const T0 = 1_800_000_000_000;

function config(over: Partial<FlowDetectionConfig> = {}): FlowDetectionConfig {
  return FlowDetectionConfig.parse({
    enabled: true,
    scan: { portsPerHost: 20, hostsPerPort: 20, windowSeconds: 10 },
    ddos: { factor: 4, minPps: 1000, minBps: 100_000_000, sustainSeconds: 3, baselineHalfLifeSeconds: 60 },
    intel: [],
    realertSeconds: 30,
    ...over,
  });
}

function rec(src: string, dst: string, o: Partial<FlowRecord> = {}): FlowRecord {
  const r = newFlowRecord();
  if (src.includes(':')) {
    r.ipVersion = 6;
    r.srcV6 = src;
    r.dstV6 = dst;
  } else {
    r.srcV4 = parseIpv4(src)!;
    r.dstV4 = parseIpv4(dst)!;
  }
  r.proto = 6;
  r.srcPort = 40000;
  r.dstPort = 443;
  r.tcpFlags = 0x1b;
  r.packets = 10;
  r.bytes = 6000;
  return Object.assign(r, o);
}

/** Two workers (as the collector has) and a detector; `second(i, fn)` feeds second i and evaluates. */
function rig(cfg = config()) {
  const workers = [new DetectSlicer(cfg), new DetectSlicer(cfg)];
  const det = new FlowDetector(cfg);
  const alerts: AlertInput[] = [];
  let i = 0;
  return {
    det,
    alerts,
    /** Feeds one second: `fn(add)` adds records (alternating workers), then the tick. */
    second(fn: (add: (r: FlowRecord, rate?: number, exporter?: string) => void) => void): AlertInput[] {
      const now = T0 + i * 1000 + 500;
      let w = 0;
      // An exporter's records go to one worker (as the collector spreads them); without one named,
      // records alternate between the workers as if from two exporters' worth of one destination.
      fn((r, rate = 1, exporter) =>
        exporter === undefined
          ? workers[w++ % 2]!.add(r, rate, now, 'ex')
          : workers[exporter.length % 2]!.add(r, rate, now, exporter),
      );
      i += 1;
      const tick = T0 + i * 1000 + 10;
      for (const wk of workers) for (const s of wk.take(tick)) det.ingest(s);
      const out = det.evaluate(tick + 1000);
      for (const a of out) expect(AlertInput.safeParse(a).success).toBe(true);
      alerts.push(...out);
      return out;
    },
    flush(): AlertInput[] {
      const out = det.flush(T0 + (i + 5) * 1000);
      alerts.push(...out);
      return out;
    },
  };
}

describe('PrefixTrie', () => {
  it('finds the longest prefix for IPv4 and IPv6 and refuses invalid CIDRs', () => {
    const t = new PrefixTrie<string>();
    expect(t.insert('10.0.0.0/8', 'a')).toBe(true);
    expect(t.insert('10.1.0.0/16', 'b')).toBe(true);
    expect(t.insert('10.1.2.3', 'host')).toBe(true);
    expect(t.insert('2001:db8::/32', 'v6')).toBe(true);
    expect(t.insert('2001:db8:1::/48', 'v6-48')).toBe(true);
    expect(t.insert('10.0.0.0/33', 'x')).toBe(false);
    expect(t.insert('not-an-ip', 'x')).toBe(false);
    expect(t.insert('2001:db8::/129', 'x')).toBe(false);
    expect(t.lookup('10.9.9.9')).toBe('a');
    expect(t.lookup('10.1.9.9')).toBe('b');
    expect(t.lookup('10.1.2.3')).toBe('host');
    expect(t.lookup('11.0.0.1')).toBeUndefined();
    expect(t.lookupV4(parseIpv4('10.1.2.4')!)).toBe('b');
    expect(t.lookup('2001:db8:ffff::1')).toBe('v6');
    expect(t.lookup('2001:db8:1:2::1')).toBe('v6-48');
    expect(t.lookup('2001:db9::1')).toBeUndefined();
    // IPv4-mapped IPv6 is the IPv4 address.
    expect(t.lookup('::ffff:10.1.2.3')).toBe('host');
    expect(t.size).toBe(5);
  });

  it('a /0 matches everything of its family only', () => {
    const t = new PrefixTrie<string>();
    t.insert('0.0.0.0/0', 'all4');
    expect(t.lookup('203.0.113.5')).toBe('all4');
    expect(t.lookup('2001:db8::1')).toBeUndefined();
  });

  it('grows past its initial node arrays', () => {
    const t = new PrefixTrie<number>();
    for (let i = 0; i < 5000; i++) t.insert(`198.${(i >> 8) & 255}.${i & 255}.0/24`, i);
    expect(t.lookup('198.0.7.9')).toBe(7);
    expect(t.lookup('198.19.135.1')).toBe(19 * 256 + 135);
  });
});

describe('slicer', () => {
  it('tells probes from answers', () => {
    expect(isProbe(rec('1.1.1.1', '2.2.2.2', { tcpFlags: 0x02 }))).toBe(true);
    expect(isProbe(rec('1.1.1.1', '2.2.2.2', { tcpFlags: 0x06 }))).toBe(true);
    expect(isProbe(rec('1.1.1.1', '2.2.2.2', { tcpFlags: 0x12 }))).toBe(false);
    expect(isProbe(rec('1.1.1.1', '2.2.2.2', { tcpFlags: 0, srcPort: 443, dstPort: 50000 }))).toBe(false);
    expect(isProbe(rec('1.1.1.1', '2.2.2.2', { proto: 17, srcPort: 53000, dstPort: 161 }))).toBe(true);
    expect(isProbe(rec('1.1.1.1', '2.2.2.2', { proto: 1, srcPort: 0, dstPort: 2048 }))).toBe(true);
  });

  it('estimates distinct sources within a few percent', () => {
    const s = new DetectSlicer(config());
    for (let i = 0; i < 300; i++) s.add(rec(`198.51.${i >> 8}.${i & 255}`, '10.0.0.1'), 1, T0);
    const [slice] = s.takeAll();
    const est = sketchEstimate(slice!.dst['10.0.0.1 ']!.sketch);
    expect(Math.abs(est - 300)).toBeLessThan(30);
  });

  it('caps destinations and probes per second and counts the overflow', () => {
    const s = new DetectSlicer(config(), { maxDestinations: 10, maxProbes: 5, maxIntelHits: 1 });
    for (let i = 0; i < 20; i++) s.add(rec('1.1.1.1', `10.0.0.${i}`, { tcpFlags: 2 }), 1, T0);
    const [slice] = s.takeAll();
    expect(Object.keys(slice!.dst)).toHaveLength(10);
    expect(slice!.overflow.destinations).toBe(10);
    expect(slice!.probes).toHaveLength(5);
    expect(slice!.overflow.probes).toBe(15);
  });

  it('corrects by the sampling rate and spreads a long record over its seconds', () => {
    const s = new DetectSlicer(config());
    s.add(rec('1.1.1.1', '10.0.0.1', { packets: 10, bytes: 1000 }), 100, T0);
    s.add(
      rec('1.1.1.2', '10.0.0.1', { packets: 50, bytes: 5000, startMillis: T0 - 10_000, endMillis: T0 }),
      1,
      T0,
    );
    const d = s.takeAll()[0]!.dst['10.0.0.1 ']!;
    expect(d.packets).toBe(1000 + 5);
    expect(d.bytes).toBe(100_000 + 500);
    expect(d.flows).toBe(101);
  });
});

describe('FlowDetector: volumetric DDoS', () => {
  it('learns a baseline, alerts after sustainSeconds above max(minPps, baseline × factor), repeats and ends', () => {
    const r = rig(config({ realertSeconds: 5 }));
    // 240 s of ordinary traffic: 2000 pps towards 10.0.0.1 (above minPps, so only the baseline
    // keeps it from alerting).
    for (let s = 0; s < 240; s++) {
      r.second((add) => {
        for (let i = 0; i < 20; i++)
          add(rec(`198.51.100.${i}`, '10.0.0.1', { packets: 100, bytes: 100_000 }));
      });
    }
    expect(r.alerts).toEqual([]);
    // 2.5× the baseline: below the factor 4 → nothing.
    for (let s = 0; s < 10; s++) {
      r.second((add) => {
        for (let i = 0; i < 50; i++)
          add(rec(`198.51.100.${i}`, '10.0.0.1', { packets: 100, bytes: 100_000 }));
      });
    }
    expect(r.alerts).toEqual([]);
    // The attack: 50,000 pps from 200 sources.
    const attack = (add: (r: FlowRecord) => void): void => {
      for (let i = 0; i < 200; i++)
        add(
          rec(`203.0.113.${i}`, '10.0.0.1', {
            packets: 250,
            bytes: 15_000,
            proto: 17,
            dstPort: 53,
            srcPort: 53,
          }),
        );
    };
    expect(r.second(attack)).toEqual([]);
    expect(r.second(attack)).toEqual([]);
    const [first] = r.second(attack);
    expect(first).toMatchObject({
      source: 'flow',
      reference: 'flow:ddos',
      fingerprint: 'flow:ddos:10.0.0.1',
      attack: ['T1498'],
      assetAddress: '10.0.0.1',
      count: 3,
      details: { state: 'ongoing' },
    });
    expect(first!.observables[0]).toEqual({ type: 'ip', value: '10.0.0.1', role: 'target' });
    expect(first!.observables.filter((o) => o.role === 'source').length).toBeGreaterThan(0);
    expect(first!.evidence![0]).toMatch(/target 10\.0\.0\.1: 50\.0k pps/);
    expect(Number(first!.details!.distinctSources)).toBeGreaterThan(150);
    // The threshold came from the learned baseline (≈ 2000 pps × 4), not minPps.
    expect(Number(first!.details!.thresholdPps)).toBeGreaterThan(6000);
    expect(Number(first!.details!.thresholdPps)).toBeLessThan(12_000);
    // Ongoing: no repeat before realertSeconds, then one with a later lastSeen.
    for (let s = 0; s < 4; s++) expect(r.second(attack)).toEqual([]);
    const [again] = r.second(attack);
    expect(again!.fingerprint).toBe(first!.fingerprint);
    expect(again!.firstSeen).toBe(first!.firstSeen);
    expect(again!.lastSeen).toBe(first!.lastSeen + 5000);
    expect(again!.count).toBe(8);
    // It stops: after sustainSeconds below, the end alert.
    const quiet = (add: (r: FlowRecord) => void): void => {
      for (let i = 0; i < 20; i++) add(rec(`198.51.100.${i}`, '10.0.0.1', { packets: 100, bytes: 100_000 }));
    };
    expect(r.second(quiet)).toEqual([]);
    expect(r.second(quiet)).toEqual([]);
    const [end] = r.second(quiet);
    expect(end).toMatchObject({ fingerprint: 'flow:ddos:10.0.0.1', details: { state: 'ended' }, count: 8 });
    expect(end!.lastSeen).toBe(again!.lastSeen);
  });

  it('the attack does not poison the baseline: a second attack is caught against the old threshold', () => {
    const r = rig();
    const normal = (add: (r: FlowRecord) => void): void =>
      add(rec('198.51.100.1', '10.0.0.2', { packets: 2000, bytes: 1e6 }));
    const flood = (add: (r: FlowRecord) => void): void =>
      add(rec('203.0.113.1', '10.0.0.2', { packets: 20_000, bytes: 1e6 }));
    for (let s = 0; s < 200; s++) r.second(normal);
    const before = r.det.stats();
    expect(before.ongoing.ddos).toBe(0);
    // A long flood (5 minutes): were it learned, the baseline would reach ~20,000 pps.
    for (let s = 0; s < 300; s++) r.second(flood);
    expect(r.alerts.filter((a) => a.details?.state === 'ongoing').length).toBeGreaterThan(1);
    const first = r.alerts[0]!;
    for (let s = 0; s < 5; s++) r.second(normal);
    expect(r.alerts.at(-1)!.details!.state).toBe('ended');
    const n = r.alerts.length;
    for (let s = 0; s < 3; s++) r.second(flood);
    const second = r.alerts.slice(n);
    expect(second).toHaveLength(1);
    // Five ordinary seconds were learned in between (a little higher), five minutes of flood not
    // (it would be ≈ 20,000 × 4).
    const th = Number(second[0]!.details!.thresholdPps);
    expect(th).toBeGreaterThanOrEqual(Number(first.details!.thresholdPps));
    expect(th).toBeLessThan(Number(first.details!.thresholdPps) * 1.05);
  });

  it('merges one destination over both workers before judging it', () => {
    // Each worker alone holds 600 pps (below minPps 1000) of one exporter's view; merged 1200 pps.
    const cfg = config({
      ddos: { factor: 1, minPps: 1000, minBps: 1e12, sustainSeconds: 2, baselineHalfLifeSeconds: 60 },
    });
    const r = rig(cfg);
    const both = (add: (r: FlowRecord) => void): void => {
      add(rec('203.0.113.1', '10.0.0.3', { packets: 600 }));
      add(rec('203.0.113.2', '10.0.0.3', { packets: 600 }));
    };
    r.second(both);
    const out = r.second(both);
    expect(out).toHaveLength(1);
    expect(out[0]!.details!.peakPps).toBe(1200);
  });

  it('takes the largest exporter’s view of a destination, not the sum over the routers of its path', () => {
    const cfg = config({
      ddos: { factor: 1, minPps: 1000, minBps: 1e12, sustainSeconds: 2, baselineHalfLifeSeconds: 60 },
    });
    const r = rig(cfg);
    // The same 900 pps cross the border router (sampled) and the destination's router: no alert.
    const path = (add: (r: FlowRecord, rate?: number, exporter?: string) => void): void => {
      add(rec('203.0.113.1', '10.0.0.7', { packets: 90 }), 10, '127.0.0.1');
      add(rec('203.0.113.1', '10.0.0.7', { packets: 900 }), 1, '127.0.0.22');
    };
    for (let s = 0; s < 5; s++) r.second(path);
    expect(r.alerts).toEqual([]);
    // Two borders each bring 700 pps, converging on the destination's router (1400): alert.
    const converge = (add: (r: FlowRecord, rate?: number, exporter?: string) => void): void => {
      add(rec('203.0.113.1', '10.0.0.8', { packets: 700 }), 1, '127.0.0.1');
      add(rec('203.0.113.2', '10.0.0.8', { packets: 700 }), 1, '127.0.0.22');
      add(rec('203.0.113.1', '10.0.0.8', { packets: 700 }), 1, '127.0.0.333');
      add(rec('203.0.113.2', '10.0.0.8', { packets: 700 }), 1, '127.0.0.333');
    };
    r.second(converge);
    const out = r.second(converge);
    expect(out).toHaveLength(1);
    expect(out[0]!.details!.peakPps).toBe(1400);
    expect(out[0]!.details!.distinctSources).toBe(2);
  });

  it('needs sustainSeconds in a row: an interrupted burst does not alert', () => {
    const r = rig();
    const flood = (add: (r: FlowRecord) => void): void =>
      add(rec('203.0.113.1', '10.0.0.4', { packets: 50_000 }));
    for (let k = 0; k < 5; k++) {
      r.second(flood);
      r.second(flood);
      r.second(() => {});
    }
    expect(r.alerts).toEqual([]);
  });

  it('alerts on bits/s too (large packets under the packet threshold)', () => {
    const r = rig();
    const big = (add: (r: FlowRecord) => void): void =>
      add(rec('203.0.113.9', '10.0.0.5', { packets: 900, bytes: 900 * 1500 * 100 }));
    r.second(big);
    r.second(big);
    expect(r.second(big)).toHaveLength(1);
  });

  it('caps the destinations it learns and counts the overflow', () => {
    const cfg = config();
    const det = new FlowDetector(cfg, { maxDestinations: 100 });
    const s = new DetectSlicer(cfg);
    for (let i = 0; i < 300; i++) s.add(rec('198.51.100.1', `10.1.${i >> 8}.${i & 255}`), 1, T0);
    for (const sl of s.takeAll()) det.ingest(sl);
    det.evaluate(T0 + 5000);
    const st = det.stats();
    expect(st.destinations).toBe(100);
    expect(st.overflow.destinations).toBe(200);
  });

  it('a slice arriving after its second was evaluated is counted late and added to the next second', () => {
    const cfg = config();
    const det = new FlowDetector(cfg);
    const s = new DetectSlicer(cfg);
    s.add(rec('1.1.1.1', '10.0.0.1'), 1, T0 + 3000);
    for (const sl of s.takeAll()) det.ingest(sl);
    det.evaluate(T0 + 10_000);
    s.add(rec('1.1.1.1', '10.0.0.1'), 1, T0 + 2000);
    for (const sl of s.takeAll()) det.ingest(sl);
    expect(det.stats().lateSlices).toBe(1);
  });

  it('an attack on a destination never seen before is caught, its partial first second not learned', () => {
    const r = rig();
    // The first second holds 30 % of the attack (it started late in the second): 15,000 pps, below
    // minPps × factor (4000 × … here 1000 × 4), then 50,000 pps.
    r.second((add) => add(rec('203.0.113.1', '10.0.0.9', { packets: 3_500 })));
    const flood = (add: (r: FlowRecord) => void): void =>
      add(rec('203.0.113.1', '10.0.0.9', { packets: 50_000 }));
    r.second(flood);
    r.second(flood);
    const out = r.second(flood);
    expect(out).toHaveLength(1);
    expect(out[0]!.details!.thresholdPps).toBe(4000);
  });

  it('flush ends an ongoing attack', () => {
    const r = rig();
    const flood = (add: (r: FlowRecord) => void): void =>
      add(rec('203.0.113.1', '10.0.0.6', { packets: 50_000 }));
    for (let s = 0; s < 4; s++) r.second(flood);
    expect(r.alerts).toHaveLength(1);
    const out = r.flush();
    expect(out.some((a) => a.fingerprint === 'flow:ddos:10.0.0.6' && a.details?.state === 'ended')).toBe(
      true,
    );
  });
});

describe('FlowDetector: scans', () => {
  it('a port scan: distinct ports of one host from one source within the window, probes only', () => {
    const r = rig();
    // An ordinary client opening many connections (ACK set) is no scan.
    r.second((add) => {
      for (let p = 1; p <= 100; p++) add(rec('10.0.0.9', '10.0.0.10', { dstPort: 8000 + p, tcpFlags: 0x1b }));
    });
    expect(r.alerts).toEqual([]);
    // SYN probes, 5 ports a second: 20 distinct ports are reached in the 4th second.
    const out: AlertInput[] = [];
    for (let s = 0; s < 4; s++) {
      out.push(
        ...r.second((add) => {
          for (let p = 0; p < 5; p++)
            add(rec('203.0.113.7', '10.0.0.10', { dstPort: 20 + s * 5 + p, tcpFlags: 0x02 }));
        }),
      );
    }
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      source: 'flow',
      reference: 'flow:port-scan',
      fingerprint: 'flow:port-scan:203.0.113.7:10.0.0.10',
      attack: ['T1046'],
      assetAddress: '10.0.0.10',
      count: 20,
      observables: [
        { type: 'ip', value: '203.0.113.7', role: 'source' },
        { type: 'ip', value: '10.0.0.10', role: 'target' },
        { type: 'port', value: expect.any(String) as string, role: 'related' },
      ],
    });
  });

  it('probes spread wider than the window do not add up', () => {
    const r = rig();
    // 19 ports per window at most: one new port a second, window 10 s.
    for (let s = 0; s < 60; s++) {
      r.second((add) => add(rec('203.0.113.8', '10.0.0.11', { dstPort: 1000 + s, tcpFlags: 0x02 })));
    }
    expect(r.alerts).toEqual([]);
  });

  it('a host scan: distinct hosts on one port; ICMP sweeps count as port 0; it ends when it stops', () => {
    const r = rig();
    const out = r.second((add) => {
      for (let h = 0; h < 25; h++) add(rec('203.0.113.20', `10.2.0.${h}`, { dstPort: 22, tcpFlags: 0x02 }));
      for (let h = 0; h < 25; h++)
        add(rec('203.0.113.21', `10.2.1.${h}`, { proto: 1, srcPort: 0, dstPort: 0x0800, tcpFlags: 0 }));
    });
    const refs = out.map((a) => a.fingerprint).sort();
    expect(refs).toEqual(['flow:host-scan:203.0.113.20:22', 'flow:host-scan:203.0.113.21:0']);
    expect(out.find((a) => a.fingerprint!.endsWith(':0'))!.title).toMatch(/ICMP/);
    // Nothing more for the window: the end alerts.
    for (let s = 0; s < 10; s++) r.second(() => {});
    const ended = r.alerts.filter((a) => a.details?.state === 'ended');
    expect(ended.map((a) => a.fingerprint).sort()).toEqual(refs);
  });

  it('caps the scan keys and counts the overflow', () => {
    const cfg = config();
    const det = new FlowDetector(cfg, { maxScanKeys: 50 });
    const s = new DetectSlicer(cfg);
    for (let i = 0; i < 100; i++)
      s.add(rec(`203.0.${i >> 8}.${i & 255}`, '10.0.0.1', { tcpFlags: 2 }), 1, T0);
    for (const sl of s.takeAll()) det.ingest(sl);
    det.evaluate(T0 + 5000);
    expect(det.stats().scanKeys).toBe(50);
    expect(det.stats().overflow.scanKeys).toBe(150);
  });
});

describe('FlowDetector: threat intelligence', () => {
  const intel: IntelIndicator[] = [
    { cidr: '192.0.2.0/24', list: 'botnet-c2', id: 'indicator--1', label: 'C2', severity: 'high' },
    { cidr: '2001:db8:bad::/48', list: 'stix-feed', severity: 'critical' },
  ];

  it('matches sources and destinations (IPv4 and IPv6) with the indicator’s list and severity', () => {
    const r = rig(config({ intel }));
    const out = r.second((add) => {
      add(rec('10.0.0.5', '192.0.2.77', { dstPort: 8443 }));
      add(rec('2001:db8:bad::9', '2001:db8:1::5'));
      add(rec('10.0.0.5', '198.51.100.1'));
    });
    expect(out).toHaveLength(2);
    const c2 = out.find((a) => a.reference === 'intel:botnet-c2')!;
    expect(c2).toMatchObject({
      source: 'threat-intel',
      severity: 'high',
      assetAddress: '10.0.0.5',
      observables: [
        { type: 'ip', value: '10.0.0.5', role: 'target' },
        { type: 'ip', value: '192.0.2.77', role: 'related' },
      ],
      details: { list: 'botnet-c2', cidr: '192.0.2.0/24', indicator: 'indicator--1' },
    });
    const v6 = out.find((a) => a.reference === 'intel:stix-feed')!;
    expect(v6).toMatchObject({
      severity: 'critical',
      observables: [
        { type: 'ip', value: '2001:db8:bad::9', role: 'source' },
        { type: 'ip', value: '2001:db8:1::5', role: 'target' },
      ],
    });
    // The same pair again within realertSeconds: no new alert.
    expect(r.second((add) => add(rec('10.0.0.5', '192.0.2.77')))).toEqual([]);
  });
});
