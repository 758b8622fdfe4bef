import { isIP } from 'node:net';
import type { Logger } from '../../runtime/logger.js';
import { LabConfigError } from '../errors.js';
import type { LabModel, SimInterface } from '../model.js';
import { SeededRandom, hashString, type Flow } from '../traffic.js';
import type { LabFlowRecord } from './encode.js';
import type { RouterFlowExporter } from './exporter.js';
import { ipText, parsePrefix, type Prefix, type RouterFlowPlan } from './synth.js';

/**
 * The lab's attacks: a port scan, a host scan or a volumetric DDoS from `source` towards `target`,
 * for `durationSeconds`. The attack's traffic is added to the traffic model on every interface of
 * the path (from the target's router up to the router facing the source or the internet), so the
 * SNMP counters carry it, and every exporting router on the path exports it as its own records at
 * per-second granularity (one-second flows: the short active timeout a router would use for them),
 * sampled at the router's rate, while its ordinary interval export leaves those octets out — the
 * same traffic model as the rest of the lab (Σ flow octets × rate = the SNMP counter delta).
 */

export const ATTACK_KINDS = ['port-scan', 'host-scan', 'ddos'] as const;
export type AttackKind = (typeof ATTACK_KINDS)[number];

export interface AttackSpec {
  kind: AttackKind;
  /** The attacker: an address, or (ddos) a prefix the sources are spread over. */
  source: string;
  /** The attacked address; for a host scan a prefix (or an address: its /24 or /120). */
  target: string;
  /** Packets per second (scans: probes per second). */
  pps: number;
  /** Bits per second (default: pps × 64-octet probes, or × 512 octets for a DDoS). */
  bps?: number | undefined;
  durationSeconds: number;
  /** Destination port (host scan default 22, DDoS default 53 over UDP). */
  port?: number | undefined;
  /** DDoS: distinct sources (default 32, at most the prefix's hosts). */
  sources?: number | undefined;
}

export interface AttackInfo {
  id: string;
  spec: AttackSpec;
  startedAt: string;
  endsAt: string;
  /** Routers the attack crosses, the target's first; those exporting flows send its records. */
  path: string[];
  exporters: string[];
  /** Records sent and the packets they represent (× the sampling rate). */
  records: number;
  packets: number;
}

interface Hop {
  deviceId: string;
  inIf: number;
  outIf: number;
  exporter: RouterFlowExporter | undefined;
}

interface Running {
  info: AttackInfo;
  from: number;
  to: number;
  /** Next second (unix) to export. */
  next: number;
  hops: Hop[];
  rng: SeededRandom;
  src: Buffer[];
  targets: Prefix;
  bytesPerPacket: number;
  /** Next port / host of a scan. */
  cursor: number;
}

const MAX_ATTACKS = 64;
const MAX_RECORDS_PER_SECOND = 20_000;

function contains(p: Prefix, addr: Buffer): boolean {
  if (addr.length !== p.base.length) return false;
  for (let bit = 0; bit < p.bits; bit++) {
    const m = 0x80 >> (bit & 7);
    if ((addr[bit >> 3]! & m) !== (p.base[bit >> 3]! & m)) return false;
  }
  return true;
}

/** The i-th host of a prefix (wrapping; never the all-zeros or all-ones host of a short prefix). */
function hostOf(p: Prefix, i: number): Buffer {
  const hostBits = p.base.length * 8 - p.bits;
  const size = hostBits >= 31 ? 2 ** 31 : 2 ** hostBits;
  const usable = size > 2 ? size - 2 : size;
  let n = size > 2 ? (i % usable) + 1 : i % size;
  const b = Buffer.from(p.base);
  for (let k = b.length - 1; k >= 0 && n > 0; k--) {
    b[k] = (b[k]! | (n & 0xff)) & 0xff;
    n = Math.floor(n / 256);
  }
  return b;
}

function prefixOf(text: string, hostBitsDefault: boolean): Prefix {
  if (text.includes('/')) {
    const p = parsePrefix(text);
    if (!p) throw new LabConfigError(`"${text}" is not an IPv4 or IPv6 prefix`);
    return p;
  }
  const v = isIP(text);
  if (!v) throw new LabConfigError(`"${text}" is not an IPv4 or IPv6 address`);
  const bits = v === 4 ? (hostBitsDefault ? 24 : 32) : hostBitsDefault ? 120 : 128;
  const p = parsePrefix(`${text}/${bits}`)!;
  if (hostBitsDefault) {
    // Clear the host bits: the scan sweeps the whole /24 (/120).
    for (let bit = bits; bit < p.base.length * 8; bit++) p.base[bit >> 3]! &= ~(0x80 >> (bit & 7));
  }
  return p;
}

export class LabAttacks {
  readonly #running = new Map<string, Running>();
  readonly #done: AttackInfo[] = [];
  #timer: NodeJS.Timeout | undefined;
  #seq = 0;
  #busy = false;

  constructor(
    private readonly model: LabModel,
    private readonly plans: ReadonlyMap<string, RouterFlowPlan>,
    private readonly exporters: readonly RouterFlowExporter[],
    private readonly clock: () => number,
    private readonly log: Logger,
    private readonly seed: number,
  ) {}

  /** Starts an attack now; throws LabConfigError naming what is wrong with it. */
  start(spec: AttackSpec): AttackInfo {
    if (!(ATTACK_KINDS as readonly string[]).includes(spec.kind)) {
      throw new LabConfigError(`attack kind must be port-scan, host-scan or ddos, not "${spec.kind}"`);
    }
    if (!(Number.isFinite(spec.pps) && spec.pps > 0 && spec.pps <= 100_000_000)) {
      throw new LabConfigError(`attack pps must be a number above 0 (at most 100000000), not ${spec.pps}`);
    }
    if (!(
      Number.isInteger(spec.durationSeconds) &&
      spec.durationSeconds >= 1 &&
      spec.durationSeconds <= 86_400
    )) {
      throw new LabConfigError(
        `attack durationSeconds must be an integer from 1 to 86400, not ${spec.durationSeconds}`,
      );
    }
    if (spec.bps !== undefined && !(spec.bps > 0)) throw new LabConfigError(`attack bps must be above 0`);
    if (spec.port !== undefined && !(Number.isInteger(spec.port) && spec.port >= 1 && spec.port <= 65_535)) {
      throw new LabConfigError(`attack port must be 1 to 65535, not ${spec.port}`);
    }
    if (this.#running.size >= MAX_ATTACKS)
      throw new LabConfigError(`at most ${MAX_ATTACKS} attacks at a time`);
    const srcPrefix = prefixOf(spec.source, false);
    const targets = prefixOf(spec.target, spec.kind === 'host-scan');
    if (srcPrefix.version !== targets.version) {
      throw new LabConfigError(
        `attack source ${spec.source} and target ${spec.target} are not of one IP version`,
      );
    }
    const target = spec.kind === 'host-scan' ? hostOf(targets, 0) : targets.base;
    const hops = this.#path(target, srcPrefix.base);
    const rng = new SeededRandom(hashString(`${this.seed}:attack:${this.#seq}`));
    const k =
      spec.kind === 'ddos'
        ? Math.max(
            1,
            Math.min(spec.sources ?? 32, 2 ** Math.min(20, srcPrefix.base.length * 8 - srcPrefix.bits)),
          )
        : 1;
    const src = Array.from({ length: k }, (_, i) =>
      srcPrefix.bits === srcPrefix.base.length * 8 ? srcPrefix.base : hostOf(srcPrefix, i * 7 + 1),
    );
    const bytesPerPacket = spec.bps !== undefined ? spec.bps / 8 / spec.pps : spec.kind === 'ddos' ? 512 : 64;
    const now = this.clock() / 1000;
    const from = now;
    const to = now + spec.durationSeconds;
    const bytesPerSecond = spec.pps * bytesPerPacket;
    // The traffic model: every direction of every link (or external interface) on the path, once.
    const flows = new Set<Flow>();
    for (const h of hops) {
      const dev = this.model.device(h.deviceId);
      const inItf = dev.byIfIndex.get(h.inIf);
      const outItf = h.outIf ? dev.byIfIndex.get(h.outIf) : undefined;
      if (inItf?.inFlow) flows.add(inItf.inFlow);
      if (outItf?.outFlow) flows.add(outItf.outFlow);
      h.exporter?.attackTraffic.push({ inIf: h.inIf, outIf: h.outIf, from, to, bytesPerSecond });
    }
    for (const f of flows) f.addBurst(from, to, bytesPerSecond);
    const id = `attack-${++this.#seq}`;
    const info: AttackInfo = {
      id,
      spec: { ...spec },
      startedAt: new Date(from * 1000).toISOString(),
      endsAt: new Date(to * 1000).toISOString(),
      path: hops.map((h) => h.deviceId),
      exporters: hops.filter((h) => h.exporter).map((h) => h.deviceId),
      records: 0,
      packets: 0,
    };
    if (info.exporters.length === 0) {
      this.log.warn('lab attack crosses no router that exports flows: only the SNMP counters see it', { id });
    }
    this.#running.set(id, {
      info,
      from,
      to,
      next: Math.floor(from),
      hops,
      rng,
      src,
      targets,
      bytesPerPacket,
      cursor: 0,
    });
    this.log.info('lab attack started', {
      id,
      kind: spec.kind,
      source: spec.source,
      target: spec.target,
      pps: spec.pps,
      path: info.path,
    });
    this.#timer ??= setInterval(() => void this.tick(), 1000);
    this.#timer.unref();
    return structuredClone(info);
  }

  /** Running and finished attacks. */
  list(): AttackInfo[] {
    return [...this.#done, ...[...this.#running.values()].map((r) => r.info)]
      .sort((a, b) => Number(a.id.slice(7)) - Number(b.id.slice(7)))
      .map((i) => structuredClone(i));
  }

  /** The routers from the target's up to the one facing the source (or the internet). */
  #path(target: Buffer, source: Buffer): Hop[] {
    const byDevice = new Map(this.exporters.map((e) => [e.plan.deviceId, e]));
    let best: { plan: RouterFlowPlan; bits: number } | undefined;
    for (const plan of this.plans.values()) {
      for (const p of [...plan.local.v4, ...plan.local.v6]) {
        if (contains(p, target) && (!best || p.bits > best.bits)) best = { plan, bits: p.bits };
      }
    }
    if (!best)
      throw new LabConfigError(`attack target ${ipText(target)} is in no org unit's prefix of the lab`);
    const hops: Hop[] = [];
    let plan: RouterFlowPlan | undefined = best.plan;
    let outIf = 0;
    const seen = new Set<string>();
    const internal = [...this.plans.values()].some((pl) =>
      [...pl.local.v4, ...pl.local.v6].some((p) => contains(p, source)),
    );
    while (plan && !seen.has(plan.deviceId)) {
      seen.add(plan.deviceId);
      const dev = plan.device;
      const exporter = byDevice.get(plan.deviceId);
      const up = (i: SimInterface | undefined): boolean => !!i && i.operUp && (!i.link || i.link.up);
      if ([...plan.local.v4, ...plan.local.v6].some((p) => contains(p, source))) {
        // The source is the router's own unit: it enters from the router itself (ifIndex 0).
        hops.push({ deviceId: plan.deviceId, inIf: 0, outIf, exporter });
        break;
      }
      // The interface facing the source: an internal source's side, else the internet.
      let inIf: number | undefined;
      for (const [ifIndex, pool] of plan.sides) {
        if (ifIndex === outIf || !up(dev.byIfIndex.get(ifIndex))) continue;
        const here = pool.internet ? !internal : [...pool.v4, ...pool.v6].some((p) => contains(p, source));
        if (here && (inIf === undefined || pool.internet)) inIf = ifIndex;
      }
      // Else upstream: the link this router is the lower end of.
      inIf ??= dev.interfaces.find((i) => i.link && i.side === 'b' && up(i))?.ifIndex;
      if (inIf === undefined) {
        throw new LabConfigError(
          `attack from ${ipText(source)}: no interface of ${plan.deviceId} leads towards it`,
        );
      }
      hops.push({ deviceId: plan.deviceId, inIf, outIf, exporter });
      const itf = dev.byIfIndex.get(inIf)!;
      // The internet, or a source below this router: the path ends here.
      if (!itf.link || itf.side === 'a') break;
      outIf = itf.link.a.ifIndex;
      plan = this.plans.get(itf.link.a.device.deviceId);
    }
    return hops;
  }

  /** Exports every attack's records of the seconds that have passed (the timer calls it each second). */
  async tick(): Promise<void> {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const nowS = Math.floor(this.clock() / 1000);
      for (const [id, r] of this.#running) {
        while (r.next < nowS && r.next < r.to) {
          await this.#second(r, r.next);
          r.next += 1;
        }
        if (r.next >= r.to) {
          this.#running.delete(id);
          this.#done.push(r.info);
          if (this.#done.length > MAX_ATTACKS) this.#done.shift();
          this.log.info('lab attack ended', { id, records: r.info.records });
        }
      }
      if (this.#running.size === 0 && this.#timer) {
        clearInterval(this.#timer);
        this.#timer = undefined;
      }
    } finally {
      this.#busy = false;
    }
  }

  async #second(r: Running, s: number): Promise<void> {
    // The share of this second the attack ran (its first and last seconds are partial).
    const share = Math.max(0, Math.min(s + 1, r.to) - Math.max(s, r.from));
    if (share <= 0) return;
    const spec = r.info.spec;
    const packets = spec.pps * share;
    for (const h of r.hops) {
      if (!h.exporter) continue;
      const rate = h.exporter.samplingRateOf(h.inIf);
      const recs: LabFlowRecord[] = [];
      const represented: number[] = [];
      const v = r.targets.version;
      const nextHop = Buffer.alloc(v === 4 ? 4 : 16);
      const base = {
        ipVersion: v,
        nextHop,
        tos: 0,
        inIf: h.inIf,
        outIf: h.outIf,
        srcAs: 0,
        dstAs: 0,
        startMs: s * 1000,
        endMs: s * 1000 + 999,
      } as const;
      if (spec.kind === 'ddos') {
        const per = packets / r.src.length / rate;
        for (const src of r.src) {
          // Stochastic rounding keeps the sampled total unbiased.
          const n = Math.floor(per) + (r.rng.next() < per - Math.floor(per) ? 1 : 0);
          if (n <= 0) continue;
          const bytes = Math.max(1, Math.round(n * r.bytesPerPacket));
          recs.push({
            ...base,
            src,
            dst: r.targets.base,
            srcPort: 1024 + Math.floor(r.rng.next() * 60_000),
            dstPort: spec.port ?? 53,
            proto: 17,
            tcpFlags: 0,
            bytes,
            packets: n,
          });
          represented.push(bytes * rate);
        }
      } else {
        // Each probe is one packet; a router sampling 1 in N sees one in N of them.
        const probes = Math.min(MAX_RECORDS_PER_SECOND, Math.round(packets));
        for (let i = 0; i < probes; i++) {
          const c = r.cursor++;
          if (rate > 1 && r.rng.next() >= 1 / rate) continue;
          const bytes = Math.max(40, Math.round(r.bytesPerPacket));
          recs.push({
            ...base,
            src: r.src[0]!,
            dst: spec.kind === 'host-scan' ? hostOf(r.targets, c) : r.targets.base,
            srcPort: 40_000 + (c % 20_000),
            dstPort: spec.kind === 'host-scan' ? (spec.port ?? 22) : (c % 65_535) + 1,
            proto: 6,
            tcpFlags: 0x02,
            bytes,
            packets: 1,
          });
          represented.push(bytes * rate);
        }
      }
      const sent = await h.exporter.sendRecords(recs, represented);
      r.info.records += sent;
      for (let i = 0; i < sent; i++) r.info.packets += recs[i]!.packets * rate;
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
