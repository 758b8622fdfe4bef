import { describe, expect, it } from 'vitest';
import { DEFAULT_RECONCILIATION, hintFor, judge, snmpBytesPerMinute, type SnmpSample } from './reconcile.js';

const M = 60_000;
const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);

describe('snmpBytesPerMinute', () => {
  it('spreads each sample’s rate over the time since the previous sample, minute by minute', () => {
    // Polls every 30 s, 8 Mbit/s in (1 MB/s), 16 Mbit/s out.
    const samples: SnmpSample[] = [];
    for (let t = T0 - 30_000; t <= T0 + 3 * M; t += 30_000) samples.push({ t, inBps: 8e6, outBps: 16e6 });
    const m = snmpBytesPerMinute(samples, T0, T0 + 3 * M);
    expect([...m.keys()]).toEqual([T0, T0 + M, T0 + 2 * M]);
    for (const v of m.values()) {
      expect(v.in).toBeCloseTo(60e6, 3);
      expect(v.out).toBeCloseTo(120e6, 3);
    }
  });

  it('attributes a sample to the interval before it, across minute boundaries (polls every 90 s)', () => {
    const samples: SnmpSample[] = [
      { t: T0, inBps: 0, outBps: 0 },
      { t: T0 + 90_000, inBps: 8e6, outBps: 0 }, // (T0, T0+90s]: 1 MB/s
      { t: T0 + 180_000, inBps: 16e6, outBps: 0 }, // (T0+90s, T0+180s]: 2 MB/s
    ];
    const m = snmpBytesPerMinute(samples, T0, T0 + 3 * M);
    expect(m.get(T0)!.in).toBeCloseTo(60e6, 3);
    expect(m.get(T0 + M)!.in).toBeCloseTo(30e6 + 60e6, 3);
    expect(m.get(T0 + 2 * M)!.in).toBeCloseTo(120e6, 3);
  });

  it('covers nothing across a long gap, a counter reset (no rates), or before the first sample', () => {
    const samples: SnmpSample[] = [
      { t: T0 + M, inBps: 8e6, outBps: 8e6 },
      { t: T0 + 2 * M, inBps: null, outBps: null }, // reset: (T0+1m, T0+2m] unknown
      { t: T0 + 3 * M, inBps: 8e6, outBps: 8e6 },
      { t: T0 + 30 * M, inBps: 8e6, outBps: 8e6 }, // 27-minute gap: not attributed
    ];
    const m = snmpBytesPerMinute(samples, T0, T0 + 30 * M);
    expect([...m.keys()]).toEqual([T0 + 2 * M]);
  });
});

describe('judge and hintFor', () => {
  const s = DEFAULT_RECONCILIATION;
  const noLoss = { packets: 1000, gaps: 0 };

  it('agrees within the threshold', () => {
    const r = judge(1.1e9, 1e9, 1000, noLoss, s);
    expect(r).toMatchObject({ status: 'ok', hint: null, belowMinimum: false });
    expect(r.divergencePercent).toBeCloseTo(10, 6);
  });

  it('does not judge below the minimum volume', () => {
    expect(judge(1e6, 5e6, 1, noLoss, s)).toMatchObject({ status: 'ok', belowMinimum: true });
  });

  it('sees a sampling rate 10× off and names the likely rate', () => {
    // The exporter samples 1 in 1000 but says nothing; the configured default 100 was applied.
    const r = judge(1e8, 1e9, 100, noLoss, s);
    expect(r.status).toBe('diverging');
    expect(r.divergencePercent).toBeCloseTo(-90, 6);
    expect(r.hint).toMatchObject({ code: 'sampling-rate', likelySamplingRate: 1000 });
    // Flows too high: rate 1000 applied, the exporter samples 1 in 100.
    expect(judge(1e10, 1e9, 1000, noLoss, s).hint).toMatchObject({
      code: 'sampling-rate',
      likelySamplingRate: 100,
    });
    // A factor near 2 with sampling 512 → 1024.
    expect(judge(5.1e8, 1e9, 512, noLoss, s).hint).toMatchObject({ likelySamplingRate: 1024 });
  });

  it('sees an interface without flow export', () => {
    expect(judge(0, 1e9, 1, noLoss, s).hint?.code).toBe('not-exported');
    expect(judge(1e6, 1e9, 1, noLoss, s).hint?.code).toBe('not-exported');
  });

  it('explains a shortfall by lost datagrams when the sequence gaps account for it', () => {
    // 1/3 of the datagrams lost → flows are 2/3 of SNMP (a factor of 1.5, also "near 2"? no: lost wins).
    const h = hintFor(6.6e8, 1e9, 1, { packets: 2000, gaps: 1000 });
    expect(h).toMatchObject({ code: 'lost-datagrams', lossPercent: 33.33 });
    // Half lost: factor 2 would look like sampling, but the gaps explain it.
    expect(hintFor(5e8, 1e9, 1, { packets: 1000, gaps: 1000 }).code).toBe('lost-datagrams');
    // Some loss, not all of the shortfall, no integer factor.
    expect(hintFor(6.5e8, 1e9, 1, { packets: 1000, gaps: 10 }).code).toBe('lost-datagrams');
    expect(hintFor(6.5e8, 1e9, 1, noLoss).code).toBe('unknown');
  });

  it('flags flows on an interface whose SNMP counters show nothing', () => {
    const r = judge(1e9, 0, 1, noLoss, s);
    expect(r).toMatchObject({ status: 'diverging', ratio: null });
    expect(r.hint?.code).toBe('unknown');
  });
});
