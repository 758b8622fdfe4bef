import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { IpfixEncoder, NetflowV9Encoder, SflowEncoder, type LabFlowRecord } from './encode.js';
import { Capture } from './testing/nfdump.js';

// The lab's exporters against nfdump 1.7 (Debian's nfcapd and sfcapd, then nfdump -o csv), a
// decoder we did not write: flows, bytes, packets, addresses, ports, protocol, interfaces, next hop,
// AS and sampling must come out as encoded. Everything on loopback, on ports picked free.

const v4 = (s: string): Buffer => Buffer.from(s.split('.').map(Number));
const v6 = (hex: string): Buffer => Buffer.from(hex, 'hex');
const now = Math.floor(Date.now() / 1000) * 1000;

function record(i: number, over: Partial<LabFlowRecord> = {}): LabFlowRecord {
  return {
    ipVersion: 4,
    src: v4(`10.51.${i >> 8}.${i & 255}`),
    dst: v4('203.0.113.9'),
    nextHop: v4('10.0.0.254'),
    srcPort: 20_000 + i,
    dstPort: 443,
    proto: 6,
    tcpFlags: 0x1b,
    tos: 0x28,
    inIf: 11,
    outIf: 9,
    srcAs: 64_512,
    dstAs: 4134,
    bytes: 1500 * i + 40,
    packets: i + 1,
    startMs: now - 8000,
    endMs: now - 2000,
    ...over,
  };
}

const ipv6Flow = (i: number): LabFlowRecord =>
  record(i, {
    ipVersion: 6,
    src: v6('240e0a0000000000000000000000' + (0x100 + i).toString(16).padStart(4, '0')),
    dst: v6('20010db8000000000000000000000053'),
    nextHop: Buffer.alloc(16),
    proto: 17,
    srcPort: 33_000 + i,
    dstPort: 53,
    tcpFlags: 0,
    tos: 0,
  });

async function send(from: string, port: number, datagrams: Buffer[]): Promise<void> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(0, from, () => resolve());
  });
  for (const d of datagrams) {
    await new Promise<void>((resolve, reject) =>
      s.send(d, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())),
    );
  }
  await new Promise<void>((resolve) => s.close(() => resolve()));
}

let capture: Capture | undefined;
afterEach(async () => {
  await capture?.cleanup();
  capture = undefined;
});

const key = (a: string, sp: number): string => `${a}|${sp}`;

describe.each([
  ['NetFlow v9', () => new NetflowV9Encoder({ domain: 7 })],
  ['IPFIX', () => new IpfixEncoder({ domain: 7 })],
] as const)('%s against nfcapd', (_name, make) => {
  it('exports flows nfdump decodes field for field, IPv4 and IPv6, over several datagrams', async () => {
    capture = await Capture.start('nfcapd');
    const enc = make();
    // More records than one datagram holds, IPv4 and IPv6 mixed, sampled 1 in 10.
    const records = [
      ...Array.from({ length: 60 }, (_, i) => record(i + 1)),
      ...Array.from({ length: 25 }, (_, i) => ipv6Flow(i + 1)),
    ];
    const datagrams = enc.encode(records, { nowMs: now, uptimeMs: 86_400_000, samplingRate: 10 });
    expect(datagrams.length).toBeGreaterThan(2);
    for (const d of datagrams) expect(d.length).toBeLessThanOrEqual(1400);
    await send('127.0.0.1', capture.port, datagrams);
    const flows = await capture.stopAndRead();
    expect(flows.length, capture.output).toBe(records.length);
    // v9 numbers export packets, as nfcapd counts them (it counts IPFIX options records differently).
    if (_name === 'NetFlow v9') expect(capture.output).toMatch(/Sequence Errors: 0,/);
    const byKey = new Map(flows.map((f) => [key(normV6(f.sa), f.sp), f]));
    for (const r of records) {
      const sa = r.ipVersion === 4 ? [...r.src].join('.') : expandV6(r.src);
      const f = byKey.get(key(sa, r.srcPort));
      expect(f, `flow from ${sa}:${r.srcPort}`).toBeDefined();
      expect(normV6(f!.da)).toBe(r.ipVersion === 4 ? [...r.dst].join('.') : expandV6(r.dst));
      expect(f!.dp).toBe(r.dstPort);
      expect(f!.pr).toBe(r.proto === 6 ? 'TCP' : 'UDP');
      expect(f!.in).toBe(r.inIf);
      expect(f!.out).toBe(r.outIf);
      expect(f!.stos).toBe(r.tos);
      // As exported: Debian's nfcapd 1.7.1 does not apply options-announced sampling to v9/IPFIX
      // (not even for a textbook RFC 3954 SAMPLING_INTERVAL record), so the counters come out raw.
      expect(f!.ibyt, capture.output).toBe(r.bytes);
      expect(f!.ipkt).toBe(r.packets);
      if (r.ipVersion === 4) {
        expect(f!.sas).toBe(r.srcAs);
        expect(f!.das).toBe(r.dstAs);
        expect(f!.nh).toBe('10.0.0.254');
      }
    }
  });

  it('sends the templates again after N datagrams, so a collector that starts late decodes the rest', async () => {
    const enc = make();
    // The first datagram (with the templates) never reaches the collector.
    enc.encode([record(1)], { nowMs: now, uptimeMs: 1000, samplingRate: 1 });
    capture = await Capture.start('nfcapd');
    const later: Buffer[] = [];
    for (let i = 2; i <= 25; i++)
      later.push(...enc.encode([record(i)], { nowMs: now, uptimeMs: 1000, samplingRate: 1 }));
    await send('127.0.0.1', capture.port, later);
    const flows = await capture.stopAndRead();
    // Template refresh every 20 datagrams: the 21st carries them, and flows 21..25 decode.
    expect(
      flows.map((f) => f.sp).sort((a, b) => a - b),
      capture.output,
    ).toEqual([20_021, 20_022, 20_023, 20_024, 20_025]);
  });
});

describe.each([
  [
    'NetFlow v9',
    (every: number) =>
      new NetflowV9Encoder({ domain: 9, templateEveryPackets: 1000, templateEverySeconds: every }),
  ],
  [
    'IPFIX',
    (every: number) =>
      new IpfixEncoder({ domain: 9, templateEveryPackets: 1000, templateEverySeconds: every }),
  ],
] as const)('%s template timer', (_name, make) => {
  it('sends the templates again once M seconds have passed, whatever the datagram count', async () => {
    const enc = make(30);
    enc.encode([record(1)], { nowMs: now, uptimeMs: 1000, samplingRate: 1 });
    const perRefresh = enc.counters.templates;
    capture = await Capture.start('nfcapd');
    const later = [
      ...enc.encode([record(2)], { nowMs: now + 10_000, uptimeMs: 11_000, samplingRate: 1 }),
      ...enc.encode([record(3)], { nowMs: now + 30_000, uptimeMs: 31_000, samplingRate: 1 }),
      ...enc.encode([record(4)], { nowMs: now + 31_000, uptimeMs: 32_000, samplingRate: 1 }),
    ];
    expect(enc.counters.templates).toBe(2 * perRefresh); // data and options templates, twice
    await send('127.0.0.1', capture.port, later);
    const flows = await capture.stopAndRead();
    expect(
      flows.map((f) => f.sp).sort((a, b) => a - b),
      capture.output,
    ).toEqual([20_003, 20_004]);
  });
});

describe('sFlow v5 against sfcapd', () => {
  it('exports flow samples whose synthesised headers sfcapd decodes, scaled by their sampling rate', async () => {
    capture = await Capture.start('sfcapd');
    const enc = new SflowEncoder({ agent: v4('127.0.0.1') });
    const samples = [
      ...Array.from({ length: 30 }, (_, i) => ({
        flow: record(i + 1),
        frameLength: 100 + i * 40,
        samplingRate: 512,
        samplePool: 512 * (i + 1),
        sourceIfIndex: 11,
      })),
      ...Array.from({ length: 10 }, (_, i) => ({
        flow: ipv6Flow(i + 1),
        frameLength: 90 + i,
        samplingRate: 512,
        samplePool: 512 * (i + 31),
        sourceIfIndex: 11,
      })),
    ];
    const counters = [
      {
        ifIndex: 11,
        speedBitsPerSecond: 1e9,
        adminUp: true,
        operUp: true,
        inOctets: 123_456_789n,
        inPackets: 1000n,
        inDiscards: 0n,
        inErrors: 0n,
        outOctets: 987_654n,
        outPackets: 900n,
        outDiscards: 0n,
        outErrors: 0n,
      },
    ];
    const datagrams = enc.encode(samples, counters, { uptimeMs: 10_000 });
    expect(datagrams.length).toBeGreaterThan(1);
    await send('127.0.0.1', capture.port, datagrams);
    const flows = await capture.stopAndRead();
    expect(flows.length, capture.output).toBe(samples.length);
    const byKey = new Map(flows.map((f) => [key(normV6(f.sa), f.sp), f]));
    for (const s of samples) {
      const r = s.flow;
      const sa = r.ipVersion === 4 ? [...r.src].join('.') : expandV6(r.src);
      const f = byKey.get(key(sa, r.srcPort));
      expect(f, `sample from ${sa}:${r.srcPort}`).toBeDefined();
      expect(f!.dp).toBe(r.dstPort);
      expect(f!.in).toBe(r.inIf);
      expect(f!.out).toBe(r.outIf);
      expect(f!.ipkt).toBe(512);
      expect(f!.ibyt).toBe(s.frameLength * 512);
    }
  });
});

/** Full text of an IPv6 address as nfdump prints it (lower-case, compressed). */
function expandV6(b: Buffer): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
  return normV6(groups.join(':'));
}

function normV6(a: string): string {
  if (!a.includes(':')) return a;
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail !== undefined ? Array(8 - h.length - t.length).fill('0') : [];
  return [...h, ...fill, ...t].map((g) => parseInt(g, 16).toString(16)).join(':');
}
