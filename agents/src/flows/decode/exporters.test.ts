/**
 * The decoder on packets from exporters we did not write, against nfdump decoding the same packets:
 * - Debian's softflowd reads a pcap this test writes and exports NetFlow v5, v9 and IPFIX to a
 *   loopback socket; the datagrams are decoded here and re-sent to nfcapd; per-flow totals must
 *   equal nfdump's and the pcap's own;
 * - nfdump's nfreplay sends a stored file as NetFlow v9 (its own template layout) and v5;
 * - recorded captures of real routers (Cisco, Juniper, ipfixprobe, sFlow agents; see
 *   testdata/README.md) decoded here and by nfcapd/sfcapd + nfdump.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { ipv4Text, type FlowRecord } from '../record.js';
import { createFlowDecoder, newFlowDecodeCounters, type FlowDecodeCounters } from './index.js';
import {
  capdFiles,
  nfdumpFlows,
  nfreplay,
  receiver,
  sendAll,
  startCapd,
  type NfdumpFlow,
} from './testing/nfdump.js';
import { flowKey, readPcapUdp, writePcap, type PcapFlow } from './testing/pcap.js';

const run = promisify(execFile);
const TESTDATA = new URL('./testdata/', import.meta.url).pathname;

interface Totals {
  bytes: number;
  packets: number;
}

const portsOf = (proto: number, sp: number, dp: number) => (proto === 1 || proto === 58 ? [0, 0] : [sp, dp]);

function add(m: Map<string, Totals>, key: string, bytes: number, packets: number) {
  const t = m.get(key) ?? { bytes: 0, packets: 0 };
  t.bytes += bytes;
  t.packets += packets;
  m.set(key, t);
}

/** Decode datagrams with our decoder; per-flow totals (optionally × the sampling rate). */
function decodeAll(datagrams: { src: string; payload: Buffer }[], scale = false) {
  const decoder = createFlowDecoder();
  const counters = new Map<string, FlowDecodeCounters>();
  const totals = new Map<string, Totals>();
  const records: FlowRecord[] = [];
  const sink = {
    onFlow(r: FlowRecord) {
      records.push({ ...r });
      const src = r.ipVersion === 4 ? ipv4Text(r.srcV4) : r.srcV6;
      const dst = r.ipVersion === 4 ? ipv4Text(r.dstV4) : r.dstV6;
      const [sp, dp] = portsOf(r.proto, r.srcPort, r.dstPort);
      const k = scale && r.samplingRate > 0 ? r.samplingRate : 1;
      add(totals, flowKey(src, dst, sp!, dp!, r.proto), r.bytes * k, r.packets * k);
    },
  };
  for (const d of datagrams) {
    let c = counters.get(d.src);
    if (c === undefined) counters.set(d.src, (c = newFlowDecodeCounters()));
    decoder.decode(d.payload, d.src, sink, c);
  }
  return { totals, counters: [...counters.values()], records };
}

function nfTotals(flows: NfdumpFlow[]): Map<string, Totals> {
  const m = new Map<string, Totals>();
  for (const f of flows) {
    const [sp, dp] = portsOf(f.proto, f.srcPort, f.dstPort);
    add(m, flowKey(f.src, f.dst, sp!, dp!, f.proto), f.bytes, f.packets);
  }
  return m;
}

const sorted = (m: Map<string, Totals>) => [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

function clean(counters: FlowDecodeCounters[]) {
  for (const c of counters) {
    expect(
      Object.values(c.malformed).reduce((a, b) => a + b, 0),
      JSON.stringify(c.malformed),
    ).toBe(0);
    expect(c.missingTemplates).toBe(0);
  }
}

/** Send datagrams to a fresh nfcapd/sfcapd and read back what nfdump decodes. */
async function throughNfdump(tool: 'nfcapd' | 'sfcapd', datagrams: Buffer[]) {
  const capd = await startCapd(tool);
  try {
    await sendAll(datagrams, capd.port);
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await capd.stop();
  }
  return { flows: await nfdumpFlows(capd.dir), files: capdFiles(capd.dir) };
}

// Flows with known addresses, ports and sizes: IPv4 and IPv6, TCP and UDP, 1 to 150 packets.
function testFlows(): PcapFlow[] {
  const flows: PcapFlow[] = [];
  let seed = 7;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 48; i++) {
    const v6 = i % 4 === 3;
    const proto = i % 3 === 0 ? 17 : 6;
    const n = i % 8 === 0 ? 150 : 1 + rnd(20);
    const min = (v6 ? 40 : 20) + (proto === 6 ? 20 : 8);
    flows.push({
      src: v6 ? `2001:db8:${i}::${i + 1}` : `10.${i}.0.${1 + rnd(250)}`,
      dst: v6 ? `2001:db8:ff::${(i * 7).toString(16)}` : `172.16.${rnd(250)}.${1 + i}`,
      proto,
      srcPort: 1024 + rnd(60000),
      dstPort: [53, 80, 443, 8080, 123][i % 5]!,
      sizes: Array.from({ length: n }, () => min + rnd(1400)),
      tos: i % 5 === 0 ? 0x28 : 0,
    });
  }
  return flows;
}

describe('softflowd → our decoder and nfcapd/nfdump', () => {
  let dir: string;
  let pcap: string;
  let truth: Map<string, Totals>;
  const nfcapdFiles: string[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tianshu-softflowd-'));
    pcap = join(dir, 'flows.pcap');
    const w = writePcap(testFlows());
    writeFileSync(pcap, w.file);
    truth = new Map([...w.truth].map(([k, t]) => [k, { bytes: t.bytes, packets: t.packets }]));
  });

  for (const version of [5, 9, 10] as const) {
    it(`NetFlow ${version === 10 ? 'IPFIX' : `v${version}`}: per-flow totals equal nfdump's and the pcap's`, async () => {
      const rx = await receiver();
      try {
        await run(
          'softflowd',
          ['-r', pcap, '-n', `127.0.0.1:${rx.port}`, '-v', String(version), '-d', '-T', 'full', '-a'],
          {
            timeout: 60_000,
          },
        );
        await rx.settle(300, 5000);
      } finally {
        await rx.close();
      }
      expect(rx.datagrams.length).toBeGreaterThan(0);
      const ours = decodeAll(rx.datagrams.map((payload) => ({ src: '127.0.0.1', payload })));
      clean(ours.counters);
      expect(ours.counters[0]!.sequenceGaps).toBe(0);
      const nf = await throughNfdump('nfcapd', rx.datagrams);
      nfcapdFiles.push(...nf.files);
      expect(sorted(ours.totals)).toEqual(sorted(nfTotals(nf.flows)));
      // v5 carries no IPv6: softflowd leaves those flows out
      const expected = new Map([...truth].filter(([k]) => version !== 5 || !k.includes(':')));
      expect(sorted(ours.totals)).toEqual(sorted(expected));
      // softflowd -a: flow times from the pcap's (they start at 1,700,000,000 s and last < 10 s; a v9
      // header's export time has whole seconds only, so v9 times may be up to 1 s early)
      const earliest = 1_700_000_000_000 - (version === 9 ? 1000 : 0);
      const times = ours.records.map((r) => [r.startMillis, r.endMillis]);
      expect(times.filter(([s, e]) => !(s! >= earliest && e! >= s! && e! < 1_700_000_010_000))).toEqual([]);
    });
  }

  it('nfreplay (v9 with its own templates, and v5) of an nfcapd file: totals equal nfdump of the file', async () => {
    expect(nfcapdFiles.length).toBeGreaterThan(0);
    const file = nfcapdFiles[nfcapdFiles.length - 1]!; // the IPFIX run's file: IPv4 and IPv6
    const stored = nfTotals(await nfdumpFlows(file, false));
    for (const version of [9, 5] as const) {
      const rx = await receiver();
      try {
        await nfreplay(file, rx.port, version);
        await rx.settle(300, 10_000);
      } finally {
        await rx.close();
      }
      const ours = decodeAll(rx.datagrams.map((payload) => ({ src: '127.0.0.1', payload })));
      clean(ours.counters);
      const expected = new Map([...stored].filter(([k]) => version !== 5 || !k.includes(':')));
      expect(sorted(ours.totals), `nfreplay -v ${version}`).toEqual(sorted(expected));
    }
  });
});

describe('recorded exporters (testdata/README.md) → our decoder and nfcapd/sfcapd + nfdump', () => {
  const netflow = (...names: string[]) =>
    names.flatMap((n) => readPcapUdp(readFileSync(join(TESTDATA, 'akvorado-netflow', `${n}.pcap`))));
  // The sampling rates are those Akvorado's own tests expect of these captures
  // (outlet/flow/decoder/netflow/root_test.go). nfcapd 1.7 applies a v9 options-data rate to what
  // it stores when the exporter has one sampler (`nfdumpScales`), not a per-record
  // SAMPLING_INTERVAL; with several samplers it applies one sampler's rate and not the other's
  // (`'either'`: each nfdump total equals ours unscaled or scaled by the rate we found). `missing`: data sets the capture has before their
  // template (nfdump drops them too). `noAddresses`: nfdump does not decode this template's
  // addresses (it stores ::), so the comparison leaves addresses out.
  const scenarios: Record<
    string,
    {
      files: string[];
      rates: number[];
      missing?: number;
      noAddresses?: boolean;
      nfdumpScales?: boolean | 'either';
    }
  > = {
    'NetFlow v5': { files: ['nfv5'], rates: [0] },
    'v9 with options data sampling (Cisco)': {
      files: ['options-template', 'options-data', 'template', 'data'],
      rates: [30000],
      nfdumpScales: true,
    },
    'v9 with several samplers (FLOW_SAMPLER_ID)': {
      files: [
        'multiplesamplingrates-options-template',
        'multiplesamplingrates-options-data',
        'multiplesamplingrates-template',
        'multiplesamplingrates-data',
      ],
      rates: [2000, 4000],
      nfdumpScales: 'either',
    },
    'v9 with per-record sampling interval': {
      files: ['samplingrate-template', 'samplingrate-data'],
      rates: [2048],
    },
    'v9 ICMP': { files: ['icmp-template', 'icmp-data'], rates: [0] },
    'IPFIX from ipfixprobe': { files: ['ipfixprobe-templates', 'ipfixprobe-data'], rates: [0] },
    'IPFIX from Juniper': { files: ['juniper-cpid-template', 'juniper-cpid-data'], rates: [0] },
    'IPFIX with SRv6': { files: ['ipfix-srv6-template', 'ipfix-srv6-data'], rates: [0] },
    'v9 templates and data in one datagram': { files: ['data+templates'], rates: [100], missing: 1 },
    'IPFIX physical interfaces': { files: ['physicalinterfaces'], rates: [1000], noAddresses: true },
    'v9 with NAT fields': { files: ['nat'], rates: [0] },
    'v9 MPLS': { files: ['mpls'], rates: [10] },
  };

  for (const [name, s] of Object.entries(scenarios)) {
    it(`${name}: totals equal nfdump's, sampling rates as the exporter said`, async () => {
      const datagrams = netflow(...s.files);
      const ours = decodeAll(datagrams, s.nfdumpScales === true);
      for (const c of ours.counters) {
        expect(
          Object.values(c.malformed).reduce((a, b) => a + b, 0),
          JSON.stringify(c.malformed),
        ).toBe(0);
        expect(c.missingTemplates).toBe(s.missing ?? 0);
      }
      expect(ours.records.length).toBeGreaterThan(0);
      expect([...new Set(ours.records.map((r) => r.samplingRate))].sort((a, b) => a - b)).toEqual(s.rates);
      const nf = await throughNfdump(
        'nfcapd',
        datagrams.map((d) => d.payload),
      );
      const strip = (m: Map<string, Totals>) => {
        if (!s.noAddresses) return sorted(m);
        const out = new Map<string, Totals>();
        for (const [k, t] of m) add(out, k.split('|').slice(2).join('|'), t.bytes, t.packets);
        return sorted(out);
      };
      if (s.nfdumpScales === 'either') {
        const scaled = decodeAll(datagrams, true).totals;
        const theirs = nfTotals(nf.flows);
        expect(sorted(theirs).map(([k]) => k)).toEqual(sorted(ours.totals).map(([k]) => k));
        for (const [k, t] of theirs) expect([ours.totals.get(k), scaled.get(k)], k).toContainEqual(t);
        return;
      }
      expect(strip(ours.totals)).toEqual(strip(nfTotals(nf.flows)));
    });
  }

  const sflowFiles = readdirSync(join(TESTDATA, 'akvorado-sflow')).filter((f) => f.endsWith('.pcap'));
  for (const file of sflowFiles) {
    // sfcapd scales sFlow packets and bytes by the sample's rate: compared sampling-corrected.
    it(`sFlow ${file}: sampling-corrected totals equal sfcapd + nfdump`, async () => {
      const datagrams = readPcapUdp(readFileSync(join(TESTDATA, 'akvorado-sflow', file)));
      const ours = decodeAll(datagrams, true);
      clean(ours.counters);
      const nf = await throughNfdump(
        'sfcapd',
        datagrams.map((d) => d.payload),
      );
      expect(sorted(ours.totals)).toEqual(sorted(nfTotals(nf.flows)));
    });
  }
});
