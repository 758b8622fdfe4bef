import type { FlowDetectionConfig, IntelIndicator } from '@tianshu/protocol';
import { addressText, type FlowRecord } from '../record.js';
import { PrefixTrie } from './trie.js';

/**
 * The worker-side half of the edge detections: every decoded flow record (sampling-corrected with
 * its rate) is counted into the current second's slice — per destination packets, bytes, flows,
 * a distinct-sources sketch and its top sources; the distinct (source, destination, port) triples
 * the scan detections need; and the records whose source or destination is in a threat-intelligence
 * indicator. Each worker thread has one; the slices of every worker go to the receiving thread's
 * {@link FlowDetector}, which merges them per second (an exporter's records always go to one worker,
 * but a destination's traffic may come from several exporters, so only the merged second is whole).
 *
 * Memory is bounded: every map of a slice has a cap and what does not fit is counted as overflow
 * (the detector reports it in its stats and in the alerts' evidence).
 */

/** Bits of the distinct-sources sketch (linear counting; merged across workers by OR). */
export const SKETCH_WORDS = 32;
/** Sources remembered per destination and second (space-saving: the heaviest survive). */
export const TOP_SOURCES = 4;

export interface DestinationCounts {
  /** As the exporter saw them (the detector takes the largest exporter's view: see detector.ts). */
  packets: number;
  bytes: number;
  flows: number;
  /** Linear-counting bitmap of the sources seen. */
  sketch: number[];
  /** [source, packets] of the heaviest sources (space-saving counters). */
  top: [string, number][];
}

export interface IntelHit {
  /** Index of the indicator in the config's `intel` array. */
  indicator: number;
  /** Which side matched. */
  side: 'src' | 'dst';
  src: string;
  dst: string;
  dstPort: number;
  proto: number;
  packets: number;
  bytes: number;
  flows: number;
}

/** One worker's counts of one second (plain data: it crosses threads by structured clone). */
export interface DetectSlice {
  /** Unix second the records were received in. */
  second: number;
  /** Keyed `<destination> <exporter>`. */
  dst: Record<string, DestinationCounts>;
  /** Distinct `src|dst|port` probes (TCP without ACK, UDP, ICMP as port 0). */
  probes: string[];
  intel: IntelHit[];
  overflow: { destinations: number; probes: number; intel: number };
}

export interface SlicerLimits {
  maxDestinations: number;
  maxProbes: number;
  maxIntelHits: number;
}

export const DEFAULT_SLICER_LIMITS: SlicerLimits = {
  maxDestinations: 50_000,
  maxProbes: 100_000,
  maxIntelHits: 10_000,
};

interface Building {
  second: number;
  dst: Map<string, DestinationCounts>;
  probes: Set<string>;
  intel: Map<string, IntelHit>;
  overflow: { destinations: number; probes: number; intel: number };
}

const TCP = 6;
const UDP = 17;
const ICMP = 1;
const ICMP6 = 58;
const ACK = 0x10;

/** FNV-1a of a string, for the sketch's bit. */
function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Distinct sources estimated from a linear-counting sketch. */
export function sketchEstimate(sketch: readonly number[]): number {
  const m = sketch.length * 32;
  let zeros = 0;
  for (const w of sketch) zeros += 32 - popcount(w);
  if (zeros === 0) return m * Math.log(m); // saturated: at least this many
  return Math.round(-m * Math.log(zeros / m));
}

function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (((x + (x >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/**
 * Whether a record looks like a client's probe towards a service (what a scan is made of): TCP
 * without ACK (SYN, SYN+RST of a half-open scan; a server's answers always carry ACK), TCP without
 * flags reported when the destination port is the lower one, UDP likewise, ICMP always (port 0).
 */
export function isProbe(r: FlowRecord): boolean {
  if (r.proto === TCP) return r.tcpFlags !== 0 ? (r.tcpFlags & ACK) === 0 : r.dstPort <= r.srcPort;
  if (r.proto === UDP) return r.dstPort <= r.srcPort;
  return r.proto === ICMP || r.proto === ICMP6;
}

export class DetectSlicer {
  #trie = new PrefixTrie<number>();
  #intel: readonly IntelIndicator[] = [];
  #enabled = false;
  #current: Building | undefined;
  readonly #done: DetectSlice[] = [];
  readonly #limits: SlicerLimits;

  constructor(config: FlowDetectionConfig | undefined, limits: Partial<SlicerLimits> = {}) {
    this.#limits = { ...DEFAULT_SLICER_LIMITS, ...limits };
    this.configure(config);
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  configure(config: FlowDetectionConfig | undefined): void {
    this.#enabled = !!config?.enabled;
    const intel = config?.intel ?? [];
    if (intel !== this.#intel) {
      this.#intel = intel;
      this.#trie = new PrefixTrie<number>();
      // Invalid CIDRs were refused by the control plane; one slipping through matches nothing.
      intel.forEach((ind, i) => this.#trie.insert(ind.cidr, i));
    }
  }

  /** Counts one record of `exporter` received at `now` (ms), sampling-corrected by `rate`. */
  add(r: FlowRecord, rate: number, now: number, exporter = ''): void {
    if (!this.#enabled) return;
    const second = Math.floor(now / 1000);
    let b = this.#current;
    if (!b || b.second !== second) {
      if (b) this.#done.push(finish(b));
      b = this.#current = {
        second,
        dst: new Map(),
        probes: new Set(),
        intel: new Map(),
        overflow: { destinations: 0, probes: 0, intel: 0 },
      };
    }
    const src = addressText(r, 'src');
    const dst = addressText(r, 'dst');
    // A record covering several seconds contributes its mean rate (exporters with short active
    // timeouts give the sharpest picture; the lab's attack flows use one second).
    const span =
      r.startMillis > 0 && r.endMillis > r.startMillis
        ? Math.min(60, Math.max(1, Math.round((r.endMillis - r.startMillis) / 1000)))
        : 1;
    const packets = (r.packets * rate) / span;
    const bytes = (r.bytes * rate) / span;
    const flows = rate;
    const dk = `${dst} ${exporter}`;
    let d = b.dst.get(dk);
    if (!d) {
      if (b.dst.size >= this.#limits.maxDestinations) b.overflow.destinations += 1;
      else {
        d = { packets: 0, bytes: 0, flows: 0, sketch: new Array<number>(SKETCH_WORDS).fill(0), top: [] };
        b.dst.set(dk, d);
      }
    }
    if (d) {
      d.packets += packets;
      d.bytes += bytes;
      d.flows += flows;
      const h = hash(src) % (SKETCH_WORDS * 32);
      d.sketch[h >>> 5] = (d.sketch[h >>> 5]! | (1 << (h & 31))) >>> 0;
      spaceSaving(d.top, src, packets);
    }
    if (isProbe(r)) {
      const port = r.proto === ICMP || r.proto === ICMP6 ? 0 : r.dstPort;
      const key = `${src}|${dst}|${port}`;
      if (!b.probes.has(key)) {
        if (b.probes.size >= this.#limits.maxProbes) b.overflow.probes += 1;
        else b.probes.add(key);
      }
    }
    if (this.#intel.length > 0) {
      const si = r.ipVersion === 4 ? this.#trie.lookupV4(r.srcV4) : this.#trie.lookup(src);
      const di = r.ipVersion === 4 ? this.#trie.lookupV4(r.dstV4) : this.#trie.lookup(dst);
      if (si !== undefined) this.#hit(b, si, 'src', r, src, dst, packets, bytes, flows);
      if (di !== undefined) this.#hit(b, di, 'dst', r, src, dst, packets, bytes, flows);
    }
  }

  #hit(
    b: Building,
    indicator: number,
    side: 'src' | 'dst',
    r: FlowRecord,
    src: string,
    dst: string,
    packets: number,
    bytes: number,
    flows: number,
  ): void {
    const key = `${indicator}|${side}|${src}|${dst}`;
    let h = b.intel.get(key);
    if (!h) {
      if (b.intel.size >= this.#limits.maxIntelHits) {
        b.overflow.intel += 1;
        return;
      }
      h = { indicator, side, src, dst, dstPort: r.dstPort, proto: r.proto, packets: 0, bytes: 0, flows: 0 };
      b.intel.set(key, h);
    }
    h.packets += packets;
    h.bytes += bytes;
    h.flows += flows;
  }

  /** The slices of the seconds before `now`'s (the current second stays open). */
  take(now: number): DetectSlice[] {
    const second = Math.floor(now / 1000);
    if (this.#current && this.#current.second < second) {
      this.#done.push(finish(this.#current));
      this.#current = undefined;
    }
    return this.#done.splice(0);
  }

  /** Every slice, the current one too (stop). */
  takeAll(): DetectSlice[] {
    if (this.#current) this.#done.push(finish(this.#current));
    this.#current = undefined;
    return this.#done.splice(0);
  }
}

function finish(b: Building): DetectSlice {
  return {
    second: b.second,
    dst: Object.fromEntries(b.dst),
    probes: [...b.probes],
    intel: [...b.intel.values()],
    overflow: b.overflow,
  };
}

/** Space-saving top-k: a new key replaces the lightest one and inherits its count. */
export function spaceSaving(top: [string, number][], key: string, weight: number, k = TOP_SOURCES): void {
  let min = -1;
  for (let i = 0; i < top.length; i++) {
    const e = top[i]!;
    if (e[0] === key) {
      e[1] += weight;
      return;
    }
    if (min < 0 || e[1] < top[min]![1]) min = i;
  }
  if (top.length < k) top.push([key, weight]);
  else top[min] = [key, top[min]![1] + weight];
}
