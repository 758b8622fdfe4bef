import type { AlertInput, AlertSeverity, FlowDetectionConfig, Observable } from '@tianshu/protocol';
import type { DestinationCounts, DetectSlice, IntelHit } from './slicer.js';
import { sketchEstimate, spaceSaving } from './slicer.js';

/**
 * The receiving thread's half of the edge detections: merges the per-second slices of every flow
 * worker (a destination's traffic may arrive through several exporters, hence several workers, so
 * the rates of a second are only whole once merged here) and evaluates each second once:
 *
 * - **volumetric DDoS** (T1498): per destination, packets/s and bits/s against a learned baseline
 *   (EWMA with the policy's half-life, learned only from seconds below the threshold, so an attack
 *   never raises its own bar); alert when above max(minPps, baseline × factor) (or the same for
 *   bytes) for `sustainSeconds` in a row; the attack ends after as many seconds below;
 * - **port scan** / **host scan** (T1046): per source, distinct destination ports towards one host
 *   and distinct hosts on one port within `windowSeconds` (probes only: see `isProbe`);
 * - **threat intelligence**: records whose source or destination is in an indicator's CIDR.
 *
 * Ongoing detections repeat every `realertSeconds` (same fingerprint, later lastSeen, larger
 * count) and end with a last alert (`details.state = 'ended'`). Memory is bounded: destinations
 * and scan keys have caps and what does not fit is counted (`stats().overflow`).
 *
 * Time is driven by the caller (`evaluate(now)`), never read from a clock: tests step it.
 */

export interface DetectorLimits {
  /** Destinations with a learned baseline (idle ones are forgotten first). */
  maxDestinations: number;
  /** (source, host) and (source, port) keys of the scan detections. */
  maxScanKeys: number;
  /** Ongoing detections (alerts that may repeat or end). */
  maxOngoing: number;
  /** Seconds after a second ends before it is evaluated (the workers' slices arrive on their tick). */
  graceSeconds: number;
}

export const DEFAULT_DETECTOR_LIMITS: DetectorLimits = {
  maxDestinations: 200_000,
  maxScanKeys: 200_000,
  maxOngoing: 10_000,
  graceSeconds: 1,
};

export interface DetectorStats {
  enabled: boolean;
  secondsEvaluated: number;
  /** Slices that came after their second was evaluated (added to the next second). */
  lateSlices: number;
  destinations: number;
  scanKeys: number;
  ongoing: { ddos: number; portScan: number; hostScan: number; intel: number };
  alerts: { ddos: number; portScan: number; hostScan: number; intel: number; ended: number };
  /** What the caps refused, in the workers' slices and here. */
  overflow: {
    sliceDestinations: number;
    sliceProbes: number;
    sliceIntel: number;
    destinations: number;
    scanKeys: number;
    ongoing: number;
  };
}

interface DstState {
  /** First second seen: the baseline warms up for one half-life from here. */
  firstSec: number;
  basePps: number;
  baseBps: number;
  /** Last second the baseline was brought up to date. */
  lastSec: number;
  above: number;
  below: number;
  attack: Attack | undefined;
}

interface Attack {
  startSec: number;
  lastSec: number;
  lastAlertSec: number;
  seconds: number;
  peakPps: number;
  peakBps: number;
  lastPps: number;
  lastBps: number;
  thresholdPps: number;
  thresholdBps: number;
  distinctSources: number;
  sources: [string, number][];
}

interface Ongoing {
  kind: 'portScan' | 'hostScan' | 'intel';
  firstSec: number;
  lastSec: number;
  lastAlertSec: number;
  count: number;
  build: (o: Ongoing, ended: boolean) => AlertInput;
}

/**
 * One destination's second: per exporter what it saw (summed over the workers: an exporter's
 * records all go to one worker, so this is whole per exporter), and the sources of all of them.
 */
interface MergedDst {
  byExporter: Map<string, { packets: number; bytes: number; flows: number }>;
  sketch: number[];
  top: [string, number][];
}
type Merged = Map<string, MergedDst>;

export class FlowDetector {
  #cfg: FlowDetectionConfig | undefined;
  readonly #limits: DetectorLimits;
  readonly #pending = new Map<number, { dst: Merged; probes: Set<string>; intel: Map<string, IntelHit> }>();
  #lastEvaluated: number | undefined;
  readonly #dsts = new Map<string, DstState>();
  /** Destinations above their threshold or under attack: a silent second counts for them too. */
  readonly #active = new Set<string>();
  readonly #ports = new Map<string, Map<number, number>>();
  readonly #hosts = new Map<string, Map<string, number>>();
  readonly #ongoing = new Map<string, Ongoing>();
  #lastSweep = 0;
  readonly #stats: DetectorStats = {
    enabled: false,
    secondsEvaluated: 0,
    lateSlices: 0,
    destinations: 0,
    scanKeys: 0,
    ongoing: { ddos: 0, portScan: 0, hostScan: 0, intel: 0 },
    alerts: { ddos: 0, portScan: 0, hostScan: 0, intel: 0, ended: 0 },
    overflow: {
      sliceDestinations: 0,
      sliceProbes: 0,
      sliceIntel: 0,
      destinations: 0,
      scanKeys: 0,
      ongoing: 0,
    },
  };

  constructor(config: FlowDetectionConfig | undefined, limits: Partial<DetectorLimits> = {}) {
    this.#limits = { ...DEFAULT_DETECTOR_LIMITS, ...limits };
    this.configure(config);
  }

  configure(config: FlowDetectionConfig | undefined): void {
    this.#cfg = config?.enabled ? config : undefined;
    this.#stats.enabled = !!this.#cfg;
  }

  /** Adds one worker's slice (any order; seconds already evaluated go to the next one). */
  ingest(slice: DetectSlice): void {
    if (!this.#cfg) return;
    const o = this.#stats.overflow;
    o.sliceDestinations += slice.overflow.destinations;
    o.sliceProbes += slice.overflow.probes;
    o.sliceIntel += slice.overflow.intel;
    let second = slice.second;
    if (this.#lastEvaluated !== undefined && second <= this.#lastEvaluated) {
      this.#stats.lateSlices += 1;
      second = this.#lastEvaluated + 1;
    }
    let p = this.#pending.get(second);
    if (!p) {
      p = { dst: new Map(), probes: new Set(), intel: new Map() };
      this.#pending.set(second, p);
    }
    for (const [key, c] of Object.entries(slice.dst)) {
      const sp = key.indexOf(' ');
      const dst = sp < 0 ? key : key.slice(0, sp);
      const exporter = sp < 0 ? '' : key.slice(sp + 1);
      let m = p.dst.get(dst);
      if (!m) {
        m = { byExporter: new Map(), sketch: [...c.sketch], top: [] };
        p.dst.set(dst, m);
      } else {
        for (let i = 0; i < m.sketch.length; i++) m.sketch[i] = (m.sketch[i]! | (c.sketch[i] ?? 0)) >>> 0;
      }
      const e = m.byExporter.get(exporter);
      if (e) {
        e.packets += c.packets;
        e.bytes += c.bytes;
        e.flows += c.flows;
      } else m.byExporter.set(exporter, { packets: c.packets, bytes: c.bytes, flows: c.flows });
      for (const [s, n] of c.top) spaceSaving(m.top, s, n);
    }
    for (const k of slice.probes) p.probes.add(k);
    for (const h of slice.intel) {
      const key = `${h.indicator}|${h.side}|${h.src}|${h.dst}`;
      const m = p.intel.get(key);
      if (!m) p.intel.set(key, { ...h });
      else {
        m.packets += h.packets;
        m.bytes += h.bytes;
        m.flows += h.flows;
      }
    }
  }

  /**
   * Evaluates every second that ended at least `graceSeconds` before `now` (ms) and was not
   * evaluated yet; returns the alerts to send (new, repeated, ended).
   */
  evaluate(now: number): AlertInput[] {
    const cfg = this.#cfg;
    if (!cfg) {
      this.#pending.clear();
      return [];
    }
    const upTo = Math.floor(now / 1000) - 1 - this.#limits.graceSeconds;
    const out: AlertInput[] = [];
    if (this.#lastEvaluated === undefined) {
      if (this.#pending.size === 0) return out;
      this.#lastEvaluated = Math.min(...this.#pending.keys()) - 1;
    }
    // After a long pause (a stopped clock, a suspended host) the empty seconds need no walk: the
    // baselines decay lazily, and attacks end on the first evaluated second.
    if (upTo - this.#lastEvaluated > 3600) this.#lastEvaluated = upTo - 3600;
    for (let s = this.#lastEvaluated + 1; s <= upTo; s++) {
      const p = this.#pending.get(s);
      this.#pending.delete(s);
      this.#second(cfg, s, p?.dst ?? new Map(), p?.probes ?? new Set(), p?.intel ?? new Map(), out);
      this.#lastEvaluated = s;
      this.#stats.secondsEvaluated += 1;
    }
    return out;
  }

  /** Ends every ongoing detection (the collector stops): their last alerts. */
  flush(now: number): AlertInput[] {
    const out = this.evaluate(now + (this.#limits.graceSeconds + 1) * 1000);
    for (const [dst, st] of this.#dsts) {
      if (st.attack) {
        out.push(this.#ddosAlert(dst, st.attack, true));
        this.#stats.alerts.ended += 1;
        st.attack = undefined;
      }
    }
    for (const [k, o] of this.#ongoing) {
      out.push(o.build(o, true));
      this.#stats.alerts.ended += 1;
      this.#ongoing.delete(k);
    }
    return out;
  }

  stats(): DetectorStats {
    const s = this.#stats;
    s.destinations = this.#dsts.size;
    s.scanKeys = this.#ports.size + this.#hosts.size;
    let ddos = 0;
    for (const st of this.#dsts.values()) if (st.attack) ddos++;
    const on = { ddos, portScan: 0, hostScan: 0, intel: 0 };
    for (const o of this.#ongoing.values()) on[o.kind] += 1;
    s.ongoing = on;
    return structuredClone(s);
  }

  // ---- one second --------------------------------------------------------------------------------

  #second(
    cfg: FlowDetectionConfig,
    s: number,
    dst: Merged,
    probes: Set<string>,
    intel: Map<string, IntelHit>,
    out: AlertInput[],
  ): void {
    this.#ddos(cfg, s, dst, out);
    this.#scans(cfg, s, probes);
    this.#intel(cfg, s, intel);
    this.#ongoingAlerts(cfg, s, out);
    if (s - this.#lastSweep >= cfg.scan.windowSeconds) this.#sweep(cfg, s);
  }

  #ddos(cfg: FlowDetectionConfig, s: number, dst: Merged, out: AlertInput[]): void {
    const d = cfg.ddos;
    // EWMA per second with the policy's half-life: after h seconds an old value weighs one half.
    const keep = Math.pow(2, -1 / d.baselineHalfLifeSeconds);
    const alpha = 1 - keep;
    const seen = new Set<string>();
    for (const [addr, m] of dst) {
      seen.add(addr);
      // The same packets cross every router of their path, and each exports them: summing the
      // exporters would count them once per hop. In the extranet's tree every path to a destination
      // converges on the destination's own router, which therefore sees all of its traffic: the
      // destination's rate is the largest exporter's view.
      let packets = 0;
      let bytes = 0;
      for (const e of m.byExporter.values()) {
        if (e.packets > packets) packets = e.packets;
        if (e.bytes > bytes) bytes = e.bytes;
      }
      const c = { packets, bytes, sketch: m.sketch, top: m.top };
      let st = this.#dsts.get(addr);
      if (!st) {
        if (this.#dsts.size >= this.#limits.maxDestinations && !this.#evictIdle(s)) {
          this.#stats.overflow.destinations += 1;
          continue;
        }
        st = { firstSec: s, basePps: 0, baseBps: 0, lastSec: s - 1, above: 0, below: 0, attack: undefined };
        this.#dsts.set(addr, st);
      }
      this.#decay(st, s, keep);
      const pps = c.packets;
      const bps = c.bytes * 8;
      // Warming up (the first half-life of a destination): only a rate above minPps × factor
      // (minBps × factor) counts as an attack, so a busy server is not an attack because the agent
      // just started; the baseline is the mean of what was seen so far, each second counted at most
      // at minPps (minBps), so an attack's first, partial second cannot raise the bar above the
      // floor × factor.
      const age = s - st.firstSec + 1;
      const warm = age <= d.baselineHalfLifeSeconds;
      const thPps = Math.max(warm ? d.minPps * d.factor : d.minPps, st.basePps * d.factor);
      const thBps = Math.max(warm ? d.minBps * d.factor : d.minBps, st.baseBps * d.factor);
      const over = pps > thPps || bps > thBps;
      this.#step(cfg, addr, st, s, over, { pps, bps, thPps, thBps, c }, out);
      if (!over && !st.attack) {
        // Learned only from ordinary seconds: an attack never raises its own threshold.
        const a = warm ? Math.max(alpha, 1 / age) : alpha;
        st.basePps += a * ((warm ? Math.min(pps, d.minPps) : pps) - st.basePps);
        st.baseBps += a * ((warm ? Math.min(bps, d.minBps) : bps) - st.baseBps);
      }
      st.lastSec = s;
    }
    // Destinations above or under attack that sent nothing this second: a second below.
    for (const addr of [...this.#active]) {
      const st = this.#dsts.get(addr);
      if (!st) this.#active.delete(addr);
      else if (!seen.has(addr)) this.#step(cfg, addr, st, s, false, undefined, out);
    }
  }

  #step(
    cfg: FlowDetectionConfig,
    addr: string,
    st: DstState,
    s: number,
    over: boolean,
    r:
      | {
          pps: number;
          bps: number;
          thPps: number;
          thBps: number;
          c: Pick<DestinationCounts, 'sketch' | 'top'>;
        }
      | undefined,
    out: AlertInput[],
  ): void {
    const sustain = cfg.ddos.sustainSeconds;
    if (over && r) {
      this.#active.add(addr);
      st.above += 1;
      st.below = 0;
      const a = st.attack;
      if (a) {
        a.lastSec = s;
        a.seconds += 1;
        a.lastPps = r.pps;
        a.lastBps = r.bps;
        a.peakPps = Math.max(a.peakPps, r.pps);
        a.peakBps = Math.max(a.peakBps, r.bps);
        a.distinctSources = Math.max(a.distinctSources, sketchEstimate(r.c.sketch));
        for (const [src, n] of r.c.top) spaceSaving(a.sources, src, n, 8);
        if (s - a.lastAlertSec >= cfg.realertSeconds) {
          a.lastAlertSec = s;
          out.push(this.#ddosAlert(addr, a, false));
          this.#stats.alerts.ddos += 1;
        }
      } else if (st.above >= sustain) {
        st.attack = {
          startSec: s - st.above + 1,
          lastSec: s,
          lastAlertSec: s,
          seconds: st.above,
          peakPps: r.pps,
          peakBps: r.bps,
          lastPps: r.pps,
          lastBps: r.bps,
          thresholdPps: r.thPps,
          thresholdBps: r.thBps,
          distinctSources: sketchEstimate(r.c.sketch),
          sources: r.c.top.map(([a, n]) => [a, n]),
        };
        out.push(this.#ddosAlert(addr, st.attack, false));
        this.#stats.alerts.ddos += 1;
      }
      return;
    }
    st.above = 0;
    if (!st.attack) {
      this.#active.delete(addr);
      return;
    }
    st.below += 1;
    if (st.below >= sustain) {
      out.push(this.#ddosAlert(addr, st.attack, true));
      this.#stats.alerts.ended += 1;
      st.attack = undefined;
      st.below = 0;
      this.#active.delete(addr);
    }
  }

  #decay(st: DstState, s: number, keep: number): void {
    const gap = s - st.lastSec - 1;
    if (gap > 0 && !st.attack) {
      const f = Math.pow(keep, gap);
      st.basePps *= f;
      st.baseBps *= f;
    }
  }

  /** Forgets the destination idle the longest, when one is idle; false when all are busy. */
  #evictIdle(s: number): boolean {
    let oldest: string | undefined;
    let oldestSec = s;
    let checked = 0;
    // Map order is insertion order: the first entries are the oldest inserted; look at a few.
    for (const [addr, st] of this.#dsts) {
      if (!st.attack && st.lastSec < oldestSec) {
        oldest = addr;
        oldestSec = st.lastSec;
      }
      if (++checked >= 64) break;
    }
    if (oldest === undefined || oldestSec >= s - 1) return false;
    this.#dsts.delete(oldest);
    return true;
  }

  #ddosAlert(addr: string, a: Attack, ended: boolean): AlertInput {
    const sources = [...a.sources].sort((x, y) => y[1] - x[1]).slice(0, 8);
    const observables: Observable[] = [
      { type: 'ip', value: addr, role: 'target' },
      ...sources.map(([src]): Observable => ({ type: 'ip', value: src, role: 'source' })),
    ];
    const severity: AlertSeverity = a.peakPps >= a.thresholdPps * 10 ? 'critical' : 'high';
    return {
      source: 'flow',
      reference: 'flow:ddos',
      fingerprint: `flow:ddos:${addr}`,
      title: `Volumetric DDoS against ${addr}`,
      description:
        `${fmt(a.peakPps)} packets/s (${fmt(a.peakBps)} bit/s) at peak towards ${addr} ` +
        `for ${a.seconds} s, threshold ${fmt(a.thresholdPps)} packets/s / ${fmt(a.thresholdBps)} bit/s` +
        (ended ? '; the attack has stopped' : ''),
      severity,
      attack: ['T1498'],
      observables,
      assetAddress: addr,
      firstSeen: a.startSec * 1000,
      lastSeen: a.lastSec * 1000 + 999,
      count: Math.max(1, a.seconds),
      evidence: [
        `target ${addr}: ${fmt(a.lastPps)} pps ${fmt(a.lastBps)} bps now, peak ${fmt(a.peakPps)} pps ` +
          `${fmt(a.peakBps)} bps, threshold ${fmt(a.thresholdPps)} pps ${fmt(a.thresholdBps)} bps, ` +
          `${a.seconds} s above, ~${a.distinctSources} distinct sources`,
        ...sources.map(([src, n]) => `source ${src}: ${fmt(n)} packets`),
      ],
      details: {
        state: ended ? 'ended' : 'ongoing',
        peakPps: Math.round(a.peakPps),
        peakBps: Math.round(a.peakBps),
        thresholdPps: Math.round(a.thresholdPps),
        thresholdBps: Math.round(a.thresholdBps),
        seconds: a.seconds,
        distinctSources: a.distinctSources,
      },
    };
  }

  // ---- scans -------------------------------------------------------------------------------------

  #scans(cfg: FlowDetectionConfig, s: number, probes: Set<string>): void {
    const { portsPerHost, hostsPerPort, windowSeconds } = cfg.scan;
    const from = s - windowSeconds + 1;
    for (const key of probes) {
      const a = key.indexOf('|');
      const b = key.lastIndexOf('|');
      const src = key.slice(0, a);
      const dst = key.slice(a + 1, b);
      const port = Number(key.slice(b + 1));
      if (port !== 0) {
        const ports = this.#scanSet(this.#ports, `${src}|${dst}`);
        if (ports && touch(ports, port, s, portsPerHost * 4) >= portsPerHost) {
          const n = countSince(ports, from);
          if (n >= portsPerHost) this.#scanHit(cfg, 'portScan', src, dst, port, n, s);
        }
      }
      const hosts = this.#scanSet(this.#hosts, `${src}|${port}`);
      if (hosts && touch(hosts, dst, s, hostsPerPort * 4) >= hostsPerPort) {
        const n = countSince(hosts, from);
        if (n >= hostsPerPort) this.#scanHit(cfg, 'hostScan', src, dst, port, n, s);
      }
    }
  }

  #scanSet<K>(m: Map<string, Map<K, number>>, key: string): Map<K, number> | undefined {
    let set = m.get(key);
    if (!set) {
      if (this.#ports.size + this.#hosts.size >= this.#limits.maxScanKeys) {
        this.#stats.overflow.scanKeys += 1;
        return undefined;
      }
      set = new Map();
      m.set(key, set);
    }
    return set;
  }

  #scanHit(
    cfg: FlowDetectionConfig,
    kind: 'portScan' | 'hostScan',
    src: string,
    dst: string,
    port: number,
    n: number,
    s: number,
  ): void {
    const fingerprint =
      kind === 'portScan' ? `flow:port-scan:${src}:${dst}` : `flow:host-scan:${src}:${port}`;
    const o = this.#track(fingerprint, kind, s, (o, ended) => {
      const what =
        kind === 'portScan'
          ? `${o.count} distinct ports of ${dst}`
          : `${o.count} distinct hosts on ${port === 0 ? 'ICMP' : `port ${port}`}`;
      return {
        source: 'flow',
        reference: kind === 'portScan' ? 'flow:port-scan' : 'flow:host-scan',
        fingerprint,
        title:
          kind === 'portScan'
            ? `Port scan of ${dst} from ${src}`
            : `Host scan from ${src} (${port === 0 ? 'ICMP' : `port ${port}`})`,
        description:
          `${src} probed ${what} within ${cfg.scan.windowSeconds} s` +
          (ended ? '; the scan has stopped' : ''),
        severity: 'medium',
        attack: ['T1046'],
        observables: [
          { type: 'ip', value: src, role: 'source' },
          ...(kind === 'portScan' ? [{ type: 'ip' as const, value: dst, role: 'target' as const }] : []),
          ...(port !== 0 ? [{ type: 'port' as const, value: String(port), role: 'related' as const }] : []),
        ],
        ...(kind === 'portScan' ? { assetAddress: dst } : {}),
        firstSeen: o.firstSec * 1000,
        lastSeen: o.lastSec * 1000 + 999,
        count: Math.max(1, o.count),
        evidence: [
          `${src}: ${what} within ${cfg.scan.windowSeconds} s (threshold ${kind === 'portScan' ? cfg.scan.portsPerHost : cfg.scan.hostsPerPort})`,
        ],
        details: { state: ended ? 'ended' : 'ongoing', distinct: o.count },
      };
    });
    if (o) o.count = Math.max(o.count, n);
  }

  #track(
    fingerprint: string,
    kind: Ongoing['kind'],
    s: number,
    build: Ongoing['build'],
  ): Ongoing | undefined {
    let o = this.#ongoing.get(fingerprint);
    if (!o) {
      if (this.#ongoing.size >= this.#limits.maxOngoing) {
        this.#stats.overflow.ongoing += 1;
        return undefined;
      }
      // lastAlertSec = -Infinity: the first evaluation of the second alerts at once.
      o = { kind, firstSec: s, lastSec: s, lastAlertSec: -Infinity, count: 0, build };
      this.#ongoing.set(fingerprint, o);
    }
    o.lastSec = s;
    return o;
  }

  // ---- threat intelligence -------------------------------------------------------------------------

  #intel(cfg: FlowDetectionConfig, s: number, hits: Map<string, IntelHit>): void {
    for (const h of hits.values()) {
      const ind = cfg.intel[h.indicator];
      if (!ind) continue;
      const matched = h.side === 'src' ? h.src : h.dst;
      const peer = h.side === 'src' ? h.dst : h.src;
      const fingerprint = `intel:${ind.list}:${matched}:${peer}`;
      const o = this.#track(fingerprint, 'intel', s, (o, ended) => ({
        source: 'threat-intel',
        reference: `intel:${ind.list}`,
        fingerprint,
        title:
          h.side === 'src'
            ? `Traffic from ${matched} (${ind.list}) to ${peer}`
            : `Traffic from ${peer} to ${matched} (${ind.list})`,
        description:
          `${matched} is in ${ind.cidr} of the threat-intelligence list ${ind.list}` +
          (ind.label ? ` (${ind.label})` : '') +
          (ended ? '; the traffic has stopped' : ''),
        severity: ind.severity,
        attack: [],
        observables:
          h.side === 'src'
            ? [
                { type: 'ip', value: matched, role: 'source' },
                { type: 'ip', value: peer, role: 'target' },
              ]
            : [
                { type: 'ip', value: peer, role: 'target' },
                { type: 'ip', value: matched, role: 'related' },
              ],
        assetAddress: peer,
        firstSeen: o.firstSec * 1000,
        lastSeen: o.lastSec * 1000 + 999,
        count: Math.max(1, Math.round(o.count)),
        evidence: [
          `${h.src} → ${h.dst}${h.dstPort ? `:${h.dstPort}` : ''} proto ${h.proto}: ${fmt(h.packets)} packets ` +
            `${fmt(h.bytes)} bytes in the last second; indicator ${ind.id ?? ind.cidr}`,
        ],
        details: {
          state: ended ? 'ended' : 'ongoing',
          list: ind.list,
          cidr: ind.cidr,
          ...(ind.id ? { indicator: ind.id } : {}),
          flows: Math.round(o.count),
        },
      }));
      if (o) o.count += h.flows;
    }
  }

  #ongoingAlerts(cfg: FlowDetectionConfig, s: number, out: AlertInput[]): void {
    const idle = Math.max(cfg.scan.windowSeconds, cfg.ddos.sustainSeconds);
    for (const [k, o] of this.#ongoing) {
      if (o.lastSec === s && s - o.lastAlertSec >= cfg.realertSeconds) {
        o.lastAlertSec = s;
        out.push(o.build(o, false));
        this.#stats.alerts[o.kind] += 1;
      } else if (s - o.lastSec >= idle) {
        out.push(o.build(o, true));
        this.#stats.alerts.ended += 1;
        this.#ongoing.delete(k);
      }
    }
  }

  #sweep(cfg: FlowDetectionConfig, s: number): void {
    this.#lastSweep = s;
    const from = s - cfg.scan.windowSeconds + 1;
    for (const m of [this.#ports, this.#hosts] as Map<string, Map<unknown, number>>[]) {
      for (const [k, set] of m) {
        for (const [e, t] of set) if (t < from) set.delete(e);
        if (set.size === 0) m.delete(k);
      }
    }
    // Destinations with no baseline left to speak of and no traffic for a while.
    for (const [addr, st] of this.#dsts) {
      if (!st.attack && s - st.lastSec > 3 * cfg.ddos.baselineHalfLifeSeconds) this.#dsts.delete(addr);
    }
  }
}

/** Sets `key` seen at `s` (when the set is full, only keys already in it are refreshed); its size. */
function touch<K>(set: Map<K, number>, key: K, s: number, cap: number): number {
  if (set.has(key) || set.size < cap) set.set(key, s);
  return set.size;
}

function countSince<K>(set: Map<K, number>, from: number): number {
  let n = 0;
  for (const [k, t] of set) {
    if (t >= from) n++;
    else set.delete(k);
  }
  return n;
}

function fmt(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}
