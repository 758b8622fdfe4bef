/**
 * Fuzz: random and mutated datagrams of every version through one decoder (stateful: templates learnt
 * from mutated template sets stay), at least 1,000,000 per run, bounded in time. Asserts: nothing
 * throws, every datagram is counted ok or malformed by reason, every record delivered has sane
 * values (a read past the buffer would give NaN), the template cache and state stay within their
 * bounds, the heap stays bounded.
 * FUZZ_SEED reproduces a run; FUZZ_PACKETS / FUZZ_SECONDS change the bounds.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { FlowRecord } from '../record.js';
import { createFlowDecoder, newFlowDecodeCounters, type InterfaceCounters } from './index.js';
import {
  counterSample,
  dataSet,
  flowSample,
  ipfixPacket,
  optionsTemplateSet,
  rawHeaderRecord,
  sampledIpRecord,
  sflowDatagram,
  templateSet,
  v5Packet,
  v9Packet,
  varlen,
  type FieldSpec,
} from './testing/packets.js';
import { readPcapUdp } from './testing/pcap.js';

const TESTDATA = new URL('./testdata/', import.meta.url).pathname;
const PACKETS = Number(process.env.FUZZ_PACKETS ?? 1_000_000);
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 45);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

function seeds(): Buffer[] {
  const out: Buffer[] = [];
  for (const dir of ['akvorado-netflow', 'akvorado-sflow']) {
    for (const f of readdirSync(join(TESTDATA, dir))) {
      if (f.endsWith('.pcap'))
        out.push(...readPcapUdp(readFileSync(join(TESTDATA, dir, f))).map((d) => d.payload));
    }
  }
  out.push(
    v5Packet(
      Array.from({ length: 30 }, (_, i) => ({
        src: `10.0.0.${i}`,
        dst: '10.1.1.1',
        packets: i,
        bytes: i * 100,
        proto: 6,
      })),
      { sampling: 100 },
    ),
  );
  const f: FieldSpec[] = [
    { id: 8, length: 4 },
    { id: 12, length: 4 },
    { id: 7, length: 2 },
    { id: 11, length: 2 },
    { id: 1, length: 8 },
    { id: 2, length: 4 },
    { id: 22, length: 4 },
    { id: 21, length: 4 },
    { id: 48, length: 1 },
  ];
  const row = ['10.0.0.1', '10.0.0.2', 1, 2, 1000, 3, 5, 6, 1];
  const opt = [
    { id: 48, length: 1 },
    { id: 34, length: 4 },
  ] as FieldSpec[];
  out.push(
    v9Packet([
      templateSet(9, [{ id: 256, fields: f }]),
      optionsTemplateSet(9, 257, [{ id: 1, length: 4 }], opt),
      dataSet(257, [{ id: 1, length: 4 }, ...opt], [[0, 1, 512]]),
      dataSet(256, f, [row, row, row]),
    ]),
  );
  const g: FieldSpec[] = [
    { id: 27, length: 16 },
    { id: 28, length: 16 },
    { id: 82, length: 65535 },
    { id: 5, length: 4, enterprise: 9 },
    { id: 85, length: 8 },
    { id: 152, length: 8 },
    { id: 302, length: 4 },
  ];
  const grow = ['2001:db8::1', '2001:db8::2', varlen(Buffer.from('eth0')), 9, 5000, 1_700_000_000_000, 3];
  out.push(
    ipfixPacket([
      templateSet(10, [{ id: 300, fields: g }]),
      optionsTemplateSet(
        10,
        301,
        [{ id: 302, length: 4 }],
        [
          { id: 305, length: 4 },
          { id: 306, length: 4 },
        ],
      ),
      dataSet(
        301,
        [
          { id: 302, length: 4 },
          { id: 305, length: 4 },
          { id: 306, length: 4 },
        ],
        [[3, 1, 99]],
      ),
      dataSet(300, g, [grow, grow]),
      templateSet(10, [{ id: 300, fields: [] }]),
    ]),
  );
  out.push(
    sflowDatagram([
      flowSample({ rate: 100, input: 1, output: 2 }, [
        rawHeaderRecord({
          src: '10.0.0.1',
          dst: '10.0.0.2',
          proto: 6,
          srcPort: 1,
          dstPort: 2,
          frameLength: 1500,
          vlan: 5,
        }),
      ]),
      flowSample({ rate: 100, input: 1, output: 2, expanded: true }, [
        sampledIpRecord({ src: '2001:db8::1', dst: '2001:db8::2', proto: 17, frameLength: 300 }),
      ]),
      counterSample({ ifIndex: 1, inOctets: 5n, outOctets: 6n }),
    ]),
  );
  return out;
}

/** xorshift32: fast and reproducible from FUZZ_SEED. */
function prng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

const EVIL16 = [0, 1, 3, 4, 255, 256, 0x7fff, 0x8000, 0xfffe, 0xffff];

function mutate(seed: Buffer, rnd: (n: number) => number): Buffer {
  const kind = rnd(10);
  if (kind === 0) {
    // truncation
    return Buffer.from(seed.subarray(0, rnd(seed.length + 1)));
  }
  const b = Buffer.from(seed);
  if (b.length < 2) return b;
  switch (kind) {
    case 1:
    case 2: {
      // bit flips
      const n = 1 + rnd(8);
      for (let i = 0; i < n; i++) b[rnd(b.length)]! ^= 1 << rnd(8);
      return b;
    }
    case 3:
    case 4: {
      // a 16-bit word (length, count, id, field length) set to a boundary value
      const n = 1 + rnd(3);
      for (let i = 0; i < n; i++) b.writeUInt16BE(EVIL16[rnd(EVIL16.length)]!, rnd(b.length - 1));
      return b;
    }
    case 5: {
      // a 32-bit word (sFlow lengths and counts, sequence numbers) set to a boundary value
      if (b.length < 4) return b;
      const o = rnd(b.length - 3) & ~3;
      b.writeUInt32BE([0, 1, 0x7fffffff, 0xffffffff, 0x10000, b.length][rnd(6)]!, o);
      return b;
    }
    case 6: {
      // a variable-length prefix: 255 then a huge 2-byte length
      const o = rnd(b.length - 1);
      b[o] = 255;
      if (o + 2 < b.length) b.writeUInt16BE(0xffff - rnd(16), o + 1);
      return b;
    }
    case 7: {
      // random bytes over a range
      const o = rnd(b.length);
      const n = Math.min(b.length - o, 1 + rnd(32));
      for (let i = 0; i < n; i++) b[o + i] = rnd(256);
      return b;
    }
    case 8: {
      // splice: this packet's head, another part repeated
      const cut = rnd(b.length);
      return Buffer.concat([
        b.subarray(0, cut),
        b.subarray(rnd(b.length)),
        b.subarray(0, rnd(b.length)),
      ]).subarray(0, 65535);
    }
    default: {
      // garbage with a valid version prefix
      const r = Buffer.alloc(rnd(1500));
      for (let i = 0; i < r.length; i++) r[i] = rnd(256);
      const v = rnd(4);
      if (r.length >= 4) {
        if (v === 3) r.writeUInt32BE(5, 0);
        else r.writeUInt16BE([5, 9, 10][v]!, 0);
      }
      return r;
    }
  }
}

function sane(r: FlowRecord): boolean {
  const nums = [
    r.srcV4,
    r.dstV4,
    r.nextHopV4,
    r.srcPort,
    r.dstPort,
    r.proto,
    r.tcpFlags,
    r.tos,
    r.inIf,
    r.outIf,
    r.srcAs,
    r.dstAs,
    r.bytes,
    r.packets,
    r.samplingRate,
    r.domain,
  ];
  for (const n of nums) if (!(n >= 0 && n <= Number.MAX_VALUE)) return false;
  if (!Number.isFinite(r.startMillis) || !Number.isFinite(r.endMillis)) return false;
  if (r.ipVersion !== 4 && r.ipVersion !== 6) return false;
  if (r.ipVersion === 4 && (r.srcV6 !== '' || r.dstV6 !== '')) return false;
  if (r.ipVersion === 6 && (r.srcV4 !== 0 || r.dstV4 !== 0)) return false;
  return (
    typeof r.srcV6 === 'string' && r.srcV6.length <= 39 && r.dstV6.length <= 39 && r.nextHopV6.length <= 39
  );
}

describe('decoder fuzz', () => {
  it(
    `survives ${PACKETS} random and mutated datagrams (seed ${SEED})`,
    () => {
      const maxPerExporter = 64;
      const maxTotal = 1000;
      const decoder = createFlowDecoder({
        maxPerExporter,
        maxTotal,
        maxLayouts: 256,
        maxExporters: 512,
        maxDomains: 5000,
      });
      const counters = newFlowDecodeCounters();
      const rnd = prng(SEED);
      const pool = seeds();
      let insane: FlowRecord | null = null;
      let records = 0;
      const sink = {
        onFlow(r: FlowRecord) {
          records++;
          if (insane === null && !sane(r)) insane = { ...r };
        },
        onCounters(_e: string, c: InterfaceCounters) {
          if (!(c.inOctets >= 0 && c.outOctets >= 0)) throw new Error('bad counters');
        },
      };
      const exporters = Array.from({ length: 600 }, (_, i) => `192.0.2.${i % 256}.${i >> 8}`);
      const heapBefore = process.memoryUsage().heapUsed;
      const deadline = Date.now() + SECONDS * 1000;
      let n = 0;
      let ok = 0;
      let failure: { error: unknown; packet: string } | null = null;
      while (n < PACKETS) {
        if ((n & 1023) === 0 && Date.now() > deadline) break;
        const seed = pool[rnd(pool.length)]!;
        // a third of the datagrams unmutated, so mutated data meets learnt templates
        const packet = rnd(3) === 0 ? seed : mutate(seed, rnd);
        const exporter = exporters[rnd(n < PACKETS / 2 ? 8 : exporters.length)]!;
        try {
          if (decoder.decode(packet, exporter, sink, counters) === 'ok') ok++;
        } catch (error) {
          failure = { error, packet: packet.toString('hex') };
          break;
        }
        n++;
      }
      const timeCapHit = n < PACKETS && failure === null;
      if (timeCapHit) {
        console.warn(
          `\n!!! FUZZ TIME CAP HIT: only ${n} of ${PACKETS} datagrams in ${SECONDS} s (seed ${SEED}); the machine is too busy or the decoder too slow !!!\n`,
        );
      }
      expect(failure).toBeNull();
      expect(insane).toBeNull();
      expect(n).toBeGreaterThanOrEqual(timeCapHit ? 100_000 : PACKETS);
      const malformed = Object.values(counters.malformed).reduce((a, b) => a + b, 0);
      expect(counters.packets).toBe(n);
      expect(ok + malformed).toBe(n);
      expect(counters.records).toBe(records);
      expect(malformed).toBeGreaterThan(n / 10);
      expect(ok).toBeGreaterThan(n / 10);
      expect(records).toBeGreaterThan(0);
      expect(decoder.templates.size).toBeLessThanOrEqual(maxTotal);
      for (const e of exporters) expect(decoder.templates.sizeOf(e)).toBeLessThanOrEqual(maxPerExporter);
      expect(decoder.templates.layouts.size).toBeLessThanOrEqual(256);
      expect(decoder.exporterCount).toBeLessThanOrEqual(512);
      expect(decoder.domainCount).toBeLessThanOrEqual(5000);
      const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
      console.log(
        JSON.stringify({
          fuzz: {
            seed: SEED,
            datagrams: n,
            ok,
            malformed: counters.malformed,
            records,
            templates: decoder.templates.size,
          },
          heapGrowthMiB: Math.round(heapGrowth / 2 ** 20),
          templateCounts: decoder.templates.counts,
        }),
      );
      expect(heapGrowth).toBeLessThan(256 * 2 ** 20);
    },
    (SECONDS + 60) * 1000,
  );
});
