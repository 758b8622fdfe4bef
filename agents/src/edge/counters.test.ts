import { describe, expect, it } from 'vitest';
import type { InterfaceCounters } from './counters.js';
import { computeRates, counterDelta, two32, two64 } from './counters.js';
import { buildSamples } from './poller.js';
import type { DeviceState, InterfaceReading } from './poller.js';
import { compareOidSuffix } from './oid.js';
import { counter64FromBytes } from './snmp-client.js';

const zero: InterfaceCounters = {
  inOctets: 0n,
  outOctets: 0n,
  inErrors: 0n,
  outErrors: 0n,
  inDiscards: 0n,
  outDiscards: 0n,
};

describe('counterDelta', () => {
  it('is the plain difference when the counter grew', () => {
    expect(counterDelta(10n, 25n, two64)).toEqual({ delta: 15n, wrapped: false });
  });
  it('wraps a 64-bit counter exactly near 2^64', () => {
    const prev = two64 - 1000n;
    expect(counterDelta(prev, 500n, two64)).toEqual({ delta: 1500n, wrapped: true });
    // Past Number precision: the delta must still be exact.
    expect(counterDelta(two64 - 1n, 0n, two64).delta).toBe(1n);
  });
  it('wraps a 32-bit counter at 2^32', () => {
    expect(counterDelta(4_294_967_290n, 4n, two32)).toEqual({ delta: 10n, wrapped: true });
  });
});

describe('computeRates', () => {
  const at = 1_700_000_000_000;
  it('gives no rates on the first sample', () => {
    expect(computeRates(undefined, { sysUpTime: 100, at, counters: zero }, 1000)).toEqual({ rates: null });
  });

  it('computes bits per second over the sysUpTime interval', () => {
    const r = computeRates(
      { sysUpTime: 1000, at, counters: zero },
      {
        sysUpTime: 7000, // 60 s later in device time
        at: at + 61_000,
        counters: { ...zero, inOctets: 750_000_000n, outOctets: 75_000n, inErrors: 6n, outDiscards: 120n },
      },
      1000,
    );
    expect(r.counterEvent).toBeUndefined();
    expect(r.rates).toEqual({
      inBitsPerSecond: 100_000_000,
      outBitsPerSecond: 10_000,
      inErrorsPerSecond: 0.1,
      outErrorsPerSecond: 0,
      inDiscardsPerSecond: 0,
      outDiscardsPerSecond: 2,
      intervalSeconds: 60,
    });
  });

  it('treats a 64-bit decrease as a wrap: 2^64 - prev + cur', () => {
    const prev = { sysUpTime: 0, at, counters: { ...zero, inOctets: two64 - 100_000_000n } };
    const cur = { sysUpTime: 1000, at: at + 10_000, counters: { ...zero, inOctets: 25_000_000n } };
    const r = computeRates(prev, cur, 1000);
    expect(r.counterEvent).toBe('wrap');
    expect(r.rates?.inBitsPerSecond).toBe((125_000_000 * 8) / 10);
  });

  it('wraps 32-bit octet counters (ifInOctets) at 2^32, not 2^64', () => {
    const prev = {
      sysUpTime: 0,
      at,
      counters: { ...zero, inOctets: two32 - 1_000n, octetBits: 32 as const },
    };
    const cur = { sysUpTime: 1000, at, counters: { ...zero, inOctets: 24_000n, octetBits: 32 as const } };
    const r = computeRates(prev, cur, 1000);
    expect(r.counterEvent).toBe('wrap');
    expect(r.rates?.inBitsPerSecond).toBe((25_000 * 8) / 10);
    // 4e9 to 1000 in 10 s on a 100 Mbit/s link would be 236 Mbit/s as a wrap: a reset.
    const big = { sysUpTime: 1000, at, counters: { ...zero, inOctets: 1000n, octetBits: 32 as const } };
    const fromHigh = {
      sysUpTime: 0,
      at,
      counters: { ...zero, inOctets: 4_000_000_000n, octetBits: 32 as const },
    };
    expect(computeRates(fromHigh, big, 100)).toEqual({ rates: null, counterEvent: 'reset' });
  });

  it('gives no rates when the octet counters changed width between polls', () => {
    const prev = { sysUpTime: 0, at, counters: { ...zero, inOctets: 10n, octetBits: 32 as const } };
    const cur = { sysUpTime: 1000, at, counters: { ...zero, inOctets: 20n } };
    expect(computeRates(prev, cur, 1000)).toEqual({ rates: null });
  });

  it('treats a 32-bit error counter decrease as a wrap at 2^32', () => {
    const prev = { sysUpTime: 0, at, counters: { ...zero, inErrors: two32 - 5n } };
    const cur = { sysUpTime: 1000, at, counters: { ...zero, inErrors: 5n } };
    const r = computeRates(prev, cur, 1000);
    expect(r.counterEvent).toBe('wrap');
    expect(r.rates?.inErrorsPerSecond).toBe(1);
  });

  it('reports a reset without rates when sysUpTime went back (reboot): no spike', () => {
    const prev = { sysUpTime: 9_000_000, at, counters: { ...zero, inOctets: 10n ** 15n } };
    const cur = { sysUpTime: 500, at: at + 60_000, counters: { ...zero, inOctets: 1000n } };
    expect(computeRates(prev, cur, 1000)).toEqual({ rates: null, counterEvent: 'reset' });
  });

  it('reports a reset when a "wrap" would exceed the interface speed (counters cleared)', () => {
    const prev = { sysUpTime: 0, at, counters: { ...zero, inOctets: 5_000_000n } };
    const cur = { sysUpTime: 6000, at, counters: { ...zero, inOctets: 1000n } };
    expect(computeRates(prev, cur, 1000)).toEqual({ rates: null, counterEvent: 'reset' });
  });
});

describe('buildSamples', () => {
  const reading = (inOctets: bigint): InterfaceReading => ({
    ifIndex: 3,
    name: 'ge-0/0/3',
    alias: 'uplink',
    operStatus: 'up',
    adminStatus: 'up',
    speedMbps: 10_000,
    counters: { ...zero, inOctets, outOctets: inOctets },
  });
  const state = (sysUpTime: number, inOctets: bigint): DeviceState => ({
    address: '10.0.0.1',
    port: 161,
    sysUpTime,
    at: 0,
    interfaces: new Map([[3, { ...zero, inOctets, outOctets: inOctets }]]),
  });

  it('keeps Counter64 values exact as decimal strings near 2^64', () => {
    const near = two64 - 1n;
    const [s] = buildSamples([reading(near)], 100, 0, undefined);
    expect(s?.inOctets).toBe('18446744073709551615');
    expect(s?.rates).toBeNull();
  });

  it('wraps across 2^64 between two polls', () => {
    const [s] = buildSamples([reading(1_000n)], 1100, 10_000, state(100, two64 - 1_000n));
    expect(s?.counterEvent).toBe('wrap');
    expect(s?.rates?.inBitsPerSecond).toBe(1600);
  });

  it('resets every interface after a sysUpTime drop, even one without previous counters', () => {
    const prev = state(50_000, 10n ** 12n);
    const samples = buildSamples([reading(10n), { ...reading(10n), ifIndex: 4 }], 200, 0, prev);
    expect(samples.map((s) => [s.rates, s.counterEvent])).toEqual([
      [null, 'reset'],
      [null, 'reset'],
    ]);
  });
});

describe('oid and counter64 helpers', () => {
  it('compares OIDs numerically, not as text', () => {
    expect(compareOidSuffix('1.3.6.1.10', '1.3.6.1.9')).toBe(1);
    expect(compareOidSuffix('1.3.6.1.9', '1.3.6.1.9')).toBe(0);
    expect(compareOidSuffix('1.3.6.1', '1.3.6.1.0')).toBe(-1);
    expect(compareOidSuffix('1.3.6.1.2.5', '1.3.6.1.2', 9)).toBe(1);
  });
  it('decodes Counter64 bytes, with a leading zero byte and above 2^53', () => {
    expect(counter64FromBytes(Buffer.from([0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBe(
      two64 - 1n,
    );
    expect(counter64FromBytes(Buffer.from([0x01, 0x00]))).toBe(256n);
    expect(counter64FromBytes(Buffer.from([0x20, 0, 0, 0, 0, 0, 0, 1]))).toBe((1n << 61n) + 1n);
    expect(() => counter64FromBytes(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0]))).toThrow(/significant bytes/);
  });
});
