/**
 * Traffic that moves like real traffic, computed from elapsed time when a counter is read: nothing
 * runs on a timer per interface. A load shape is a daily sine plus a few slower and faster sines
 * (the "noise"), all with closed-form integrals, so the octets carried between two instants are
 * exact and cost a handful of `Math.sin` calls whatever the gap between reads.
 */

const TWO_PI = 2 * Math.PI;
const DAY_SECONDS = 86_400;

/** A deterministic pseudo-random generator (32-bit state, xorshift-multiply mixing). */
export class SeededRandom {
  private state: number;

  constructor(seed: number | string) {
    this.state = typeof seed === 'number' ? seed >>> 0 : hashString(seed);
    if (this.state === 0) this.state = 0x9e3779b9;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let z = this.state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** A number in [lo, hi). */
  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }
}

/** FNV-1a over the UTF-16 code units of a string. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** One sine of the noise: relative amplitude, angular frequency (rad/s) and phase. */
interface Wave {
  amp: number;
  omega: number;
  phase: number;
}

/** How the load of one direction of one hop varies with time, as a fraction of capacity. */
export interface LoadShape {
  /** Mean fraction of capacity. */
  base: number;
  /** Relative amplitude of the daily sine. */
  diurnal: number;
  /** UTC second of the day when the daily sine peaks. */
  peakSecondOfDay: number;
  waves: Wave[];
}

export interface LoadShapeOptions {
  base: number;
  diurnalAmplitude: number;
  noiseAmplitude: number;
  peakSecondOfDay: number;
}

/** Builds a shape whose noise is drawn from `rng`; the fraction stays within base × (1 ± amplitudes). */
export function makeLoadShape(rng: SeededRandom, o: LoadShapeOptions): LoadShape {
  const count = 4;
  const weights = Array.from({ length: count }, () => rng.between(0.5, 1.5));
  const total = weights.reduce((s, w) => s + w, 0);
  const waves = weights.map((w) => {
    // Periods are spread log-uniformly between 20 s and 30 min.
    const period = Math.exp(rng.between(Math.log(20), Math.log(1800)));
    return { amp: (o.noiseAmplitude * w) / total, omega: TWO_PI / period, phase: rng.between(0, TWO_PI) };
  });
  return { base: o.base, diurnal: o.diurnalAmplitude, peakSecondOfDay: o.peakSecondOfDay, waves };
}

/** The fraction of capacity at `t` (Unix seconds). */
export function shapeAt(s: LoadShape, t: number): number {
  let f = 1 + s.diurnal * Math.cos((TWO_PI * (t - s.peakSecondOfDay)) / DAY_SECONDS);
  for (const w of s.waves) f += w.amp * Math.sin(w.omega * t + w.phase);
  return s.base * f;
}

/** ∫ shapeAt(s, t) dt from t0 to t1, in fraction·seconds. */
export function shapeIntegral(s: LoadShape, t0: number, t1: number): number {
  const k = TWO_PI / DAY_SECONDS;
  let v = t1 - t0;
  v += (s.diurnal / k) * (Math.sin(k * (t1 - s.peakSecondOfDay)) - Math.sin(k * (t0 - s.peakSecondOfDay)));
  for (const w of s.waves) {
    v += (w.amp / w.omega) * (Math.cos(w.omega * t0 + w.phase) - Math.cos(w.omega * t1 + w.phase));
  }
  return s.base * v;
}

/** The largest fraction a shape can reach. */
export function shapePeak(s: LoadShape): number {
  return s.base * (1 + s.diurnal + s.waves.reduce((a, w) => a + w.amp, 0));
}

/** What one direction of one link carries from some instant on. */
export type Segment =
  | { kind: 'idle' }
  | { kind: 'shape'; shape: LoadShape; bytesPerSecondAtFull: number }
  | { kind: 'constant'; bytesPerSecond: number; dropsPerSecond: number };

const idle: Segment = { kind: 'idle' };

// Segments longer than this are folded into the settled total on read, so that the floating-point
// part of a counter stays small and exact to the byte.
const settleAfterSeconds = 3600;

/**
 * The octets (and the packets dropped for want of capacity) that one direction of one link has
 * carried since the lab started: an exact settled total plus the integral of the current segment.
 */
export class Flow {
  private settledBytes = 0n;
  private settledDrops = 0n;
  private segStart: number;
  private seg: Segment = idle;
  private lastBytes = 0n;
  private lastDrops = 0n;
  /** Traffic added on top of the segment for a while (the lab's attacks): [from, to, bytes/s]. */
  private bursts: [number, number, number][] = [];
  /** Octets of bursts that ended long ago (folded, so the list stays short). */
  private burstsDone = 0;

  constructor(start: number) {
    this.segStart = start;
  }

  get segment(): Segment {
    return this.seg;
  }

  /** Octets carried up to `t` (Unix seconds); never decreases. */
  bytes(t: number): bigint {
    if (t - this.segStart > settleAfterSeconds) this.settle(t);
    const v = this.settledBytes + BigInt(Math.floor(this.partialBytes(t) + this.burstBytes(t)));
    if (v > this.lastBytes) this.lastBytes = v;
    return this.lastBytes;
  }

  /** Packets dropped up to `t`; never decreases. */
  drops(t: number): bigint {
    const v = this.settledDrops + BigInt(Math.floor(this.partialDrops(t)));
    if (v > this.lastDrops) this.lastDrops = v;
    return this.lastDrops;
  }

  /** The rate at `t`, octets per second. */
  rate(t: number): number {
    let extra = 0;
    for (const [a, b, r] of this.bursts) if (t >= a && t < b) extra += r;
    const s = this.seg;
    if (s.kind === 'idle') return extra;
    if (s.kind === 'constant') return s.bytesPerSecond + extra;
    return Math.max(0, shapeAt(s.shape, t)) * s.bytesPerSecondAtFull + extra;
  }

  /**
   * Adds `bytesPerSecond` on top of the segment from `from` to `to` (Unix seconds): an attack's
   * traffic crossing this direction of the link, so the SNMP counters see it as the flows do.
   */
  addBurst(from: number, to: number, bytesPerSecond: number): void {
    if (!(to > from) || !(bytesPerSecond > 0)) return;
    // Bursts over for an hour are folded into one total (their integral no longer changes).
    const old = this.bursts.filter(([, b]) => b < from - 3600);
    for (const [a, b, r] of old) this.burstsDone += (b - a) * r;
    this.bursts = this.bursts.filter(([, b]) => b >= from - 3600);
    this.bursts.push([from, to, bytesPerSecond]);
  }

  /** Octets the bursts added up to `t`. */
  burstBytes(t: number): number {
    let v = this.burstsDone;
    for (const [a, b, r] of this.bursts) if (t > a) v += (Math.min(t, b) - a) * r;
    return v;
  }

  /** Switches to a new segment at `t`, keeping what was carried so far. */
  set(t: number, seg: Segment): void {
    this.settle(t);
    this.seg = seg;
  }

  private settle(t: number): void {
    const at = Math.max(t, this.segStart);
    this.settledBytes += BigInt(Math.floor(this.partialBytes(at)));
    this.settledDrops += BigInt(Math.floor(this.partialDrops(at)));
    this.segStart = at;
  }

  private partialBytes(t: number): number {
    const dt = t - this.segStart;
    if (dt <= 0) return 0;
    const s = this.seg;
    if (s.kind === 'idle') return 0;
    if (s.kind === 'constant') return s.bytesPerSecond * dt;
    return Math.max(0, shapeIntegral(s.shape, this.segStart, t)) * s.bytesPerSecondAtFull;
  }

  private partialDrops(t: number): number {
    const dt = t - this.segStart;
    if (dt <= 0 || this.seg.kind !== 'constant') return 0;
    return this.seg.dropsPerSecond * dt;
  }
}

const two64 = 1n << 64n;

/** Reduces a value modulo 2^64, as a Counter64 does. */
export function mod64(v: bigint): bigint {
  const r = v % two64;
  return r < 0n ? r + two64 : r;
}

/**
 * Encodes a Counter64 as the content octets of a BER INTEGER: big-endian, minimal, with a leading
 * zero octet when the top bit is set (as Net-SNMP's snmpd does). net-snmp's agent writes a Buffer
 * value as it is, so the lab hands it these octets rather than a JavaScript number, which would lose
 * precision above 2^53.
 */
export function encodeCounter64(v: bigint): Buffer {
  let hex = mod64(v).toString(16);
  if (hex.length % 2) hex = '0' + hex;
  if (parseInt(hex.slice(0, 2), 16) & 0x80) hex = '00' + hex;
  return Buffer.from(hex, 'hex');
}
