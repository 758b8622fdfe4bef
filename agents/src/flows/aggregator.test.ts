import { describe, expect, it } from 'vitest';
import type { FlowAggregatesPayload, FlowKeyField } from '@tianshu/protocol';
import { ReportPayload } from '@tianshu/protocol';
import { FlowAggregator } from './aggregator.js';
import { SamplingResolver } from './sampling.js';
import type { FlowRecord } from './record.js';
import { newFlowRecord } from './record.js';
import { parseIpv4 } from './addresses.js';

const T0 = Date.UTC(2026, 11, 1, 10, 0, 0); // a minute boundary

function rec(p: Partial<FlowRecord> & { src?: string; dst?: string }): FlowRecord {
  const r = newFlowRecord();
  const { src, dst, ...rest } = p;
  Object.assign(r, { version: 9, proto: 6, bytes: 1000, packets: 10, ...rest });
  if (src) r.srcV4 = parseIpv4(src)!;
  if (dst) r.dstV4 = parseIpv4(dst)!;
  return r;
}

function setup(
  opts: {
    key?: FlowKeyField[];
    sampling?: ConstructorParameters<typeof SamplingResolver>[0];
    defaultRate?: number;
    maxKeysPerMinute?: number;
    maxRowsPerPayload?: number;
  } = {},
) {
  const out: FlowAggregatesPayload[] = [];
  const agg = new FlowAggregator({
    key: opts.key ?? ['srcAddr', 'dstAddr', 'proto'],
    sampling: new SamplingResolver(opts.sampling ?? [], opts.defaultRate ?? 1),
    onPayload: (p) => {
      const parsed = ReportPayload.safeParse(p);
      if (!parsed.success) throw new Error(`invalid payload: ${parsed.error.issues[0]?.message}`);
      out.push(p);
    },
    graceMillis: 10_000,
    ...(opts.maxKeysPerMinute ? { maxKeysPerMinute: opts.maxKeysPerMinute } : {}),
    ...(opts.maxRowsPerPayload ? { maxRowsPerPayload: opts.maxRowsPerPayload } : {}),
  });
  return { agg, out };
}

const sum = (ps: FlowAggregatesPayload[], m: 'bytes' | 'packets' | 'flows'): number =>
  ps.reduce((a, p) => a + p.columns[m].reduce((x, y) => x + y, 0), 0);

describe('FlowAggregator', () => {
  it('aggregates records of one key into one row, scaled by the sampling rate, per minute', () => {
    const { agg, out } = setup({ defaultRate: 100 });
    const now = T0 + 20_000;
    const ex = agg.exporter('10.0.0.1', now);
    ex.stats.packets += 1;
    for (let i = 0; i < 3; i++)
      agg.add(ex, rec({ src: '10.1.1.1', dst: '10.2.2.2', endMillis: now - 1000 }), now);
    agg.add(ex, rec({ src: '10.1.1.1', dst: '10.2.2.3', endMillis: now - 1000, bytes: 7 }), now);
    agg.flush(T0 + 60_000 + 9_999);
    expect(out).toHaveLength(0); // still in its grace period
    agg.flush(T0 + 70_000);
    expect(out).toHaveLength(1);
    const p = out[0]!;
    expect(p).toMatchObject({
      exporter: '10.0.0.1',
      minute: T0,
      rows: 2,
      key: ['srcAddr', 'dstAddr', 'proto', 'ipVersion'],
    });
    expect(p.columns.srcAddr).toEqual(['10.1.1.1', '10.1.1.1']);
    expect(p.columns.dstAddr).toEqual(['10.2.2.2', '10.2.2.3']);
    expect(p.columns.bytes).toEqual([300_000, 700]);
    expect(p.columns.packets).toEqual([3000, 1000]);
    expect(p.columns.flows).toEqual([300, 100]);
    expect(p.columns.samplingRate).toEqual([100, 100]);
    expect(p.columns.ipVersion).toEqual([4, 4]);
    expect(p.stats).toMatchObject({
      packets: 1,
      records: 4,
      versions: [9],
      samplingSources: { exporter: 0, configured: 0, default: 4 },
    });
  });

  it('keeps rows of different sampling rates apart and counts where each rate came from', () => {
    const { agg, out } = setup({
      key: ['proto'],
      defaultRate: 7,
      sampling: [
        { exporter: '10.0.0.1', samplingRate: 50, interfaces: [{ ifIndex: 3, samplingRate: 200 }] },
        { exporter: '10.0.0.2', samplingRate: 1000, override: true },
      ],
    });
    const now = T0 + 1000;
    const a = agg.exporter('10.0.0.1', now);
    agg.add(a, rec({ samplingRate: 10, inIf: 3 }), now); // exporter says 10: wins (no override)
    agg.add(a, rec({ samplingRate: 0, inIf: 3 }), now); // interface 3 configured: 200
    agg.add(a, rec({ samplingRate: 0, inIf: 9, outIf: 3 }), now); // output interface 3: 200
    agg.add(a, rec({ samplingRate: 0, inIf: 9 }), now); // exporter configured: 50
    const b = agg.exporter('10.0.0.2', now);
    agg.add(b, rec({ samplingRate: 10 }), now); // override: configured 1000 wins over exporter's 10
    const c = agg.exporter('10.0.0.3', now);
    agg.add(c, rec({ samplingRate: 0 }), now); // nothing known: default 7
    agg.flush(T0 + 70_000);
    const by = (e: string) => out.find((p) => p.exporter === e)!;
    expect(by('10.0.0.1').columns.samplingRate).toEqual([10, 200, 50]);
    expect(by('10.0.0.1').columns.flows).toEqual([10, 400, 50]);
    expect(by('10.0.0.1').columns.bytes).toEqual([10_000, 400_000, 50_000]);
    expect(by('10.0.0.1').stats.samplingSources).toEqual({ exporter: 1, configured: 3, default: 0 });
    expect(by('10.0.0.2').columns.samplingRate).toEqual([1000]);
    expect(by('10.0.0.2').stats.samplingSources).toEqual({ exporter: 0, configured: 1, default: 0 });
    expect(by('10.0.0.3').columns.samplingRate).toEqual([7]);
    expect(by('10.0.0.3').stats.samplingSources).toEqual({ exporter: 0, configured: 0, default: 1 });
  });

  it('keys by the configured fields only, with ipVersion always', () => {
    const { agg, out } = setup({ key: ['dstPort'] });
    const now = T0 + 1000;
    const ex = agg.exporter('2001:db8::1', now);
    agg.add(ex, rec({ src: '10.1.1.1', dstPort: 443 }), now);
    agg.add(ex, rec({ src: '10.1.1.2', dstPort: 443 }), now);
    agg.add(ex, rec({ ipVersion: 6, srcV6: '2001:db8::5', dstV6: '2001:db8::6', dstPort: 443 }), now);
    agg.add(ex, rec({ src: '10.1.1.2', dstPort: 53, proto: 17 }), now);
    agg.flush(T0 + 70_000);
    expect(out).toHaveLength(1);
    const p = out[0]!;
    expect(p.key).toEqual(['dstPort', 'ipVersion']);
    expect(Object.keys(p.columns).sort()).toEqual([
      'bytes',
      'dstPort',
      'flows',
      'ipVersion',
      'packets',
      'samplingRate',
    ]);
    expect(p.columns.dstPort).toEqual([443, 443, 53]);
    expect(p.columns.ipVersion).toEqual([4, 6, 4]);
    expect(p.columns.flows).toEqual([2, 1, 1]);
  });

  it('formats IPv6 addresses and an absent next hop as empty', () => {
    const { agg, out } = setup({
      key: [
        'srcAddr',
        'dstAddr',
        'nextHop',
        'inIf',
        'outIf',
        'srcAs',
        'dstAs',
        'tos',
        'tcpFlags',
        'srcPort',
        'dstPort',
      ],
    });
    const now = T0 + 1000;
    const ex = agg.exporter('10.0.0.1', now);
    agg.add(
      ex,
      rec({
        ipVersion: 6,
        srcV6: '2001:db8::5',
        dstV6: '2001:db8::6',
        inIf: 1,
        outIf: 2,
        srcAs: 65000,
        dstAs: 4200000000,
        tos: 184,
        tcpFlags: 0x12,
        srcPort: 1,
        dstPort: 2,
      }),
      now,
    );
    agg.add(ex, rec({ src: '10.1.1.1', dst: '10.2.2.2', nextHopV4: parseIpv4('10.9.9.9')! }), now);
    agg.flush(T0 + 70_000);
    const c = out[0]!.columns;
    expect(c.srcAddr).toEqual(['2001:db8::5', '10.1.1.1']);
    expect(c.nextHop).toEqual(['', '10.9.9.9']);
    expect(c.dstAs).toEqual([4200000000, 0]);
    expect(c.tos).toEqual([184, 0]);
    expect(c.tcpFlags).toEqual([0x12, 0]);
  });

  it('puts a record in the minute of its end time, or of its receive time when that is implausible', () => {
    const { agg, out } = setup({ key: ['proto'] });
    const now = T0 + 60_000 + 5_000; // 10:01:05
    const ex = agg.exporter('10.0.0.1', now);
    agg.add(ex, rec({ endMillis: T0 + 59_000 }), now); // ended 10:00:59 → minute 10:00
    agg.add(ex, rec({ endMillis: Date.UTC(2020, 0, 1) }), now); // replayed old capture → 10:01
    agg.add(ex, rec({ endMillis: 0 }), now); // no time → 10:01
    agg.add(ex, rec({ endMillis: now + 3_600_000 }), now); // an hour ahead → 10:01
    agg.flushAll(now);
    const byMinute = new Map(out.map((p) => [p.minute, p]));
    expect(byMinute.get(T0)!.columns.flows).toEqual([1]);
    expect(byMinute.get(T0 + 60_000)!.columns.flows).toEqual([3]);
  });

  it('sends records for a minute already flushed in a late payload for that minute, never drops them', () => {
    const { agg, out } = setup({ key: ['proto'] });
    let now = T0 + 30_000;
    const ex = agg.exporter('10.0.0.1', now);
    agg.add(ex, rec({ endMillis: now }), now);
    agg.flush(T0 + 70_000); // minute T0 closed
    expect(out.map((p) => [p.minute, p.rows])).toEqual([[T0, 1]]);
    now = T0 + 75_000;
    agg.add(agg.exporter('10.0.0.1', now), rec({ endMillis: T0 + 58_000, bytes: 5 }), now); // late for T0
    agg.add(agg.exporter('10.0.0.1', now), rec({ endMillis: now }), now);
    expect(agg.stats().lateRecords).toBe(1);
    agg.flush(T0 + 130_000);
    const late = out.filter((p) => p.minute === T0);
    expect(late).toHaveLength(2);
    expect(late[1]!.columns.bytes).toEqual([5]);
    expect(late[1]!.stats.records).toBe(0); // its record was counted in the stats of the minute it arrived
    const m1 = out.find((p) => p.minute === T0 + 60_000)!;
    expect(m1.stats.records).toBe(2);
    expect(sum(out, 'flows')).toBe(3);
  });

  it('folds keys beyond the cap into a catch-all row and says so in stats', () => {
    const { agg, out } = setup({ key: ['srcAddr', 'dstPort'], maxKeysPerMinute: 3, defaultRate: 2 });
    const now = T0 + 1000;
    const ex = agg.exporter('10.0.0.1', now);
    for (let i = 0; i < 10; i++) agg.add(ex, rec({ src: `10.1.1.${i}`, dstPort: 80 + i, bytes: 100 }), now);
    agg.add(ex, rec({ ipVersion: 6, srcV6: '2001:db8::1', dstPort: 1, bytes: 100 }), now);
    agg.flush(T0 + 70_000);
    const p = out[0]!;
    expect(p.rows).toBe(5); // 3 detailed, one IPv4 catch-all, one IPv6 catch-all
    expect(p.columns.srcAddr).toEqual(['10.1.1.0', '10.1.1.1', '10.1.1.2', '', '']);
    expect(p.columns.dstPort).toEqual([80, 81, 82, 0, 0]);
    expect(p.columns.ipVersion).toEqual([4, 4, 4, 4, 6]);
    expect(p.columns.flows).toEqual([2, 2, 2, 14, 2]);
    expect(p.stats.detailDropped).toBe(8);
    expect(sum(out, 'bytes')).toBe(11 * 100 * 2); // nothing lost
  });

  it('splits a minute into payloads of at most maxRowsPerPayload rows; stats on the first only', () => {
    const { agg, out } = setup({ key: ['srcPort'], maxRowsPerPayload: 4 });
    const now = T0 + 1000;
    const ex = agg.exporter('10.0.0.1', now);
    ex.stats.packets += 1;
    for (let i = 0; i < 10; i++) agg.add(ex, rec({ srcPort: i }), now);
    agg.flush(T0 + 70_000);
    expect(out.map((p) => p.rows)).toEqual([4, 4, 2]);
    expect(out.map((p) => p.stats.records)).toEqual([10, 0, 0]);
    expect(out.flatMap((p) => p.columns.srcPort)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('sends a payload with zero rows for a minute that only had malformed datagrams', () => {
    const { agg, out } = setup();
    const now = T0 + 1000;
    const ex = agg.exporter('10.0.0.1', now);
    ex.stats.packets += 2;
    ex.stats.malformed.truncated = 2;
    agg.flush(T0 + 70_000);
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({ rows: 0, minute: T0, stats: { packets: 2, malformed: { truncated: 2 } } });
    agg.flush(T0 + 200_000);
    expect(out).toHaveLength(1); // silent minutes send nothing
  });

  it('flushes the rows in progress when the key changes, so no minute is lost', () => {
    const { agg, out } = setup({ key: ['proto'] });
    const now = T0 + 1000;
    agg.add(agg.exporter('10.0.0.1', now), rec({ proto: 6 }), now);
    agg.configure(['dstPort'], new SamplingResolver([], 1));
    expect(out.map((p) => [p.minute, p.key, p.rows])).toEqual([[T0, ['proto', 'ipVersion'], 1]]);
    agg.add(agg.exporter('10.0.0.1', now + 1), rec({ dstPort: 22 }), now + 1);
    agg.flush(T0 + 70_000);
    expect(out.map((p) => [p.minute, p.key, p.rows])).toEqual([
      [T0, ['proto', 'ipVersion'], 1],
      [T0, ['dstPort', 'ipVersion'], 1],
    ]);
    expect(out[1]!.stats.records).toBe(2);
  });

  it('adds up like a plain map over many keys (table growth, rehash, IPv6 text, 32-bit values)', () => {
    const { agg, out } = setup({
      key: ['srcAddr', 'dstAddr', 'srcPort', 'dstAs', 'nextHop'],
      sampling: [{ exporter: '10.0.0.1', interfaces: [{ ifIndex: 7, samplingRate: 3 }] }],
    });
    const now = T0 + 1000;
    const ex = agg.exporter('10.0.0.1', now);
    const expected = new Map<string, number>();
    let seed = 12345;
    const rnd = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed % n;
    };
    for (let i = 0; i < 30_000; i++) {
      const v6 = rnd(5) === 0;
      const r = v6
        ? rec({
            ipVersion: 6,
            srcV6: `2001:db8::${rnd(300).toString(16)}`,
            dstV6: '2001:db8::1',
            nextHopV6: rnd(2) ? 'fe80::1' : '',
          })
        : rec({
            srcV4: 0xc0000200 + rnd(400),
            dstV4: 0xfffffff0 + rnd(3),
            nextHopV4: rnd(2) ? 0x0a000001 : 0,
          });
      r.srcPort = rnd(20);
      r.dstAs = rnd(2) ? 4_294_967_295 : 65_000;
      r.inIf = rnd(2) ? 7 : 1;
      r.bytes = 1 + rnd(1000);
      const rate = r.inIf === 7 ? 3 : 1;
      const k = [
        r.ipVersion,
        rate,
        v6 ? r.srcV6 : r.srcV4,
        v6 ? r.dstV6 : r.dstV4,
        r.srcPort,
        r.dstAs,
        v6 ? r.nextHopV6 : r.nextHopV4,
      ].join('|');
      expected.set(k, (expected.get(k) ?? 0) + r.bytes * rate);
      agg.add(ex, r, now);
    }
    agg.flush(T0 + 70_000);
    const p = out[0]!;
    expect(p.rows).toBe(expected.size);
    const got = new Map<string, number>();
    const c = p.columns;
    for (let i = 0; i < p.rows; i++) {
      const v6 = c.ipVersion[i] === 6;
      const num = (a: string) => (v6 ? a : String(a.split('.').reduce((x, y) => x * 256 + Number(y), 0)));
      const nh = c.nextHop![i]!;
      const k = [
        c.ipVersion[i],
        c.samplingRate[i],
        num(c.srcAddr![i]!),
        num(c.dstAddr![i]!),
        c.srcPort![i],
        c.dstAs![i],
        v6 ? nh : nh === '' ? '0' : num(nh),
      ].join('|');
      expect(got.has(k), k).toBe(false);
      got.set(k, c.bytes[i]!);
    }
    expect(got).toEqual(expected);
  });
});
