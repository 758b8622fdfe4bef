/**
 * Byte helpers for the decoders. Callers check bounds before calling (every read here is within
 * `[off, off + len)` that the caller proved lies inside the buffer); reading a Buffer by index is
 * faster than `readUInt32BE` and DataView in V8 for these short fields.
 */

export function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

/** An unsigned big-endian integer of 1 to 8 bytes (above 2^53 it loses precision, never throws). */
export function uint(b: Uint8Array, o: number, len: number): number {
  switch (len) {
    case 1:
      return b[o]!;
    case 2:
      return (b[o]! << 8) | b[o + 1]!;
    case 3:
      return (b[o]! << 16) | (b[o + 1]! << 8) | b[o + 2]!;
    case 4:
      return u32(b, o);
    default: {
      let v = 0;
      for (let i = 0; i < len; i++) v = v * 256 + b[o + i]!;
      return v;
    }
  }
}

const HEX = Array.from({ length: 65536 }, (_, i) => i.toString(16));

/**
 * RFC 5952 text of the 16-byte IPv6 address at `o`: lower case, leading zeros dropped, the longest
 * run of two or more zero groups (the first of equal runs) as `::`. IPv4-mapped addresses
 * (::ffff:a.b.c.d) keep the dotted tail, as Node's `net` module and nfdump print them.
 */
export function ipv6Text(b: Uint8Array, o: number): string {
  // Formatting costs ~250 ns and flows repeat their hosts: a direct-mapped cache of the last text per
  // slot, checked on all 16 bytes, returns the same string for a repeated address without building it.
  const w0 = u32(b, o) | 0;
  const w1 = u32(b, o + 4) | 0;
  const w2 = u32(b, o + 8) | 0;
  const w3 = u32(b, o + 12) | 0;
  const slot =
    (Math.imul(w3 ^ Math.imul(w2, 0x9e3779b1) ^ Math.imul(w1, 0x85ebca6b) ^ w0, 0x27d4eb2d) >>> 20) << 2;
  if (
    CACHE_TEXT[slot >> 2] !== undefined &&
    CACHE_KEY[slot] === w0 &&
    CACHE_KEY[slot + 1] === w1 &&
    CACHE_KEY[slot + 2] === w2 &&
    CACHE_KEY[slot + 3] === w3
  ) {
    return CACHE_TEXT[slot >> 2]!;
  }
  const text = formatIpv6(b, o);
  CACHE_KEY[slot] = w0;
  CACHE_KEY[slot + 1] = w1;
  CACHE_KEY[slot + 2] = w2;
  CACHE_KEY[slot + 3] = w3;
  CACHE_TEXT[slot >> 2] = text;
  return text;
}

const CACHE_SLOTS = 4096;
const CACHE_KEY = new Int32Array(CACHE_SLOTS * 4);
const CACHE_TEXT: (string | undefined)[] = new Array<string | undefined>(CACHE_SLOTS).fill(undefined);

/** RFC 5952 formatting, uncached (see `ipv6Text`). */
export function formatIpv6(b: Uint8Array, o: number): string {
  let bestStart = -1;
  let bestLen = 1;
  let runStart = -1;
  for (let i = 0; i < 8; i++) {
    const zero = b[o + 2 * i] === 0 && b[o + 2 * i + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = i;
      const len = i - runStart + 1;
      if (len > bestLen) {
        bestLen = len;
        bestStart = runStart;
      }
    } else runStart = -1;
  }
  if (bestStart === 0 && bestLen === 5 && b[o + 10] === 0xff && b[o + 11] === 0xff) {
    return `::ffff:${b[o + 12]}.${b[o + 13]}.${b[o + 14]}.${b[o + 15]}`;
  }
  let s = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      s += i === 0 ? '::' : ':';
      i += bestLen - 1;
      continue;
    }
    s += HEX[(b[o + 2 * i]! << 8) | b[o + 2 * i + 1]!];
    if (i < 7) s += ':';
  }
  return s;
}
