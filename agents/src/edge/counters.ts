import type { InterfaceSample } from '@tianshu/protocol';

/** 2^64 and 2^32, the moduli of Counter64 and Counter32. */
export const two64 = 1n << 64n;
export const two32 = 1n << 32n;

/** The counters of one interface in one poll. */
export interface InterfaceCounters {
  inOctets: bigint;
  outOctets: bigint;
  /** ifTable errors and discards are Counter32. */
  inErrors: bigint;
  outErrors: bigint;
  inDiscards: bigint;
  outDiscards: bigint;
  /**
   * Width of the octet counters: 64 for ifHCInOctets/ifHCOutOctets (the default), 32 for ifTable's
   * ifInOctets/ifOutOctets on devices or interfaces without them.
   */
  octetBits?: 32 | 64;
}

/** What is remembered of an interface between polls. */
export interface CounterSnapshot {
  /** sysUpTime of the device, hundredths of a second. */
  sysUpTime: number;
  /** Wall-clock time of the poll, Unix milliseconds (used when sysUpTime did not move). */
  at: number;
  counters: InterfaceCounters;
}

/** Difference of a counter between two polls; a decrease is taken as one wrap at `modulus`. */
export function counterDelta(
  prev: bigint,
  cur: bigint,
  modulus: bigint,
): { delta: bigint; wrapped: boolean } {
  if (cur >= prev) return { delta: cur - prev, wrapped: false };
  return { delta: modulus - prev + cur, wrapped: true };
}

export type InterfaceRates = NonNullable<InterfaceSample['rates']>;

/** Result of {@link computeRates}. */
export interface RateResult {
  rates: InterfaceRates | null;
  counterEvent?: 'wrap' | 'reset';
}

/**
 * Rates of one interface from its previous and current snapshot.
 *
 * - no previous snapshot: `rates: null`;
 * - sysUpTime went back (the device rebooted): `rates: null`, `counterEvent: 'reset'`, so a reboot
 *   never shows as a spike;
 * - the octet counters changed width since the previous poll (ifXTable appeared or went): `rates:
 *   null`, since the two readings are of different counters;
 * - a counter went down while sysUpTime went on: a wrap, `2^64 - prev + cur` for 64-bit octet
 *   counters, `2^32 - prev + cur` for 32-bit ones (`octetBits: 32`) and for the 32-bit error and
 *   discard counters (`'wrap'`). A 32-bit octet counter wraps every 34 s at 1 Gbit/s. When such
 *   a "wrap" would mean more traffic than the interface can carry (more than `speedMbps`, or more
 *   than 10 Tbit/s when the speed is unknown), the counters were cleared rather than wrapped: the
 *   result is then treated as a reset.
 */
export function computeRates(
  prev: CounterSnapshot | undefined,
  cur: CounterSnapshot,
  speedMbps: number,
): RateResult {
  if (!prev) return { rates: null };
  if (cur.sysUpTime < prev.sysUpTime) return { rates: null, counterEvent: 'reset' };
  let seconds = (cur.sysUpTime - prev.sysUpTime) / 100;
  if (!(seconds > 0)) seconds = (cur.at - prev.at) / 1000;
  if (!(seconds > 0)) return { rates: null };
  const p = prev.counters;
  const c = cur.counters;
  const bits = c.octetBits ?? 64;
  if ((p.octetBits ?? 64) !== bits) return { rates: null };
  const octetModulus = bits === 32 ? two32 : two64;
  const d = {
    inOctets: counterDelta(p.inOctets, c.inOctets, octetModulus),
    outOctets: counterDelta(p.outOctets, c.outOctets, octetModulus),
    inErrors: counterDelta(p.inErrors, c.inErrors, two32),
    outErrors: counterDelta(p.outErrors, c.outErrors, two32),
    inDiscards: counterDelta(p.inDiscards, c.inDiscards, two32),
    outDiscards: counterDelta(p.outDiscards, c.outDiscards, two32),
  };
  const wrapped = Object.values(d).some((x) => x.wrapped);
  const rate = (x: { delta: bigint }): number => Number(x.delta) / seconds;
  const rates: InterfaceRates = {
    inBitsPerSecond: rate(d.inOctets) * 8,
    outBitsPerSecond: rate(d.outOctets) * 8,
    inErrorsPerSecond: rate(d.inErrors),
    outErrorsPerSecond: rate(d.outErrors),
    inDiscardsPerSecond: rate(d.inDiscards),
    outDiscardsPerSecond: rate(d.outDiscards),
    intervalSeconds: seconds,
  };
  if (!wrapped) return { rates };
  // Bits per second the interface can carry (with headroom), and packets per second at the
  // smallest Ethernet frame (64 bytes plus 20 of preamble and gap) as the ceiling of error counters.
  const bitCeiling = speedMbps > 0 ? speedMbps * 1e6 * 1.5 : 1e13;
  const packetCeiling = bitCeiling / (84 * 8);
  const implausible =
    (d.inOctets.wrapped && rates.inBitsPerSecond > bitCeiling) ||
    (d.outOctets.wrapped && rates.outBitsPerSecond > bitCeiling) ||
    (d.inErrors.wrapped && rates.inErrorsPerSecond > packetCeiling) ||
    (d.outErrors.wrapped && rates.outErrorsPerSecond > packetCeiling) ||
    (d.inDiscards.wrapped && rates.inDiscardsPerSecond > packetCeiling) ||
    (d.outDiscards.wrapped && rates.outDiscardsPerSecond > packetCeiling);
  if (implausible) {
    return { rates: null, counterEvent: 'reset' };
  }
  return { rates, counterEvent: 'wrap' };
}
