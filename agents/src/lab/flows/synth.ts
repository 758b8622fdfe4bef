import { isIPv4, isIPv6 } from 'node:net';
import type { LabInventory } from '../inventory.js';
import type { LabModel, SimDevice } from '../model.js';
import type { SeededRandom } from '../traffic.js';
import type { LabFlowRecord, SflowPacketSample } from './encode.js';

/**
 * Traffic → flows, consistent with SNMP: over one export interval, the octets each interface of a
 * router counted in and out (the same traffic model that sets ifHCInOctets/ifHCOutOctets) are split
 * into synthetic flows. Every octet entering interface j and leaving interface i is one cell of a
 * matrix whose row sums are the interfaces' input deltas and whose column sums are their output
 * deltas (proportional split; what the model does not conserve across the router is traffic the
 * router itself sources or sinks, ifIndex 0). Each cell, divided by the sampling rate, becomes a
 * few flow records (NetFlow/IPFIX) or sampled packets (sFlow), so that per interface and direction
 *
 *   Σ exported octets × sampling rate = the SNMP counter delta
 *
 * to within rounding: a NetFlow cell is rounded to whole sampled octets (≤ rate/2 octets per cell),
 * an sFlow cell to whole frames of at least 64 octets (≤ 64 × rate octets per cell); the tolerance
 * per interface, direction and interval is (number of interfaces + 1) times that.
 */

/** An IP prefix of the registry. */
export interface Prefix {
  version: 4 | 6;
  base: Buffer;
  bits: number;
  orgUnitId: string;
}

/** Parses `10.51.0.0/16` or `2001:db8::/32`; null when it is neither. */
export function parsePrefix(text: string, orgUnitId = ''): Prefix | null {
  const slash = text.lastIndexOf('/');
  if (slash < 0) return null;
  const addr = text.slice(0, slash);
  const bits = Number(text.slice(slash + 1));
  if (isIPv4(addr) && bits >= 0 && bits <= 32) return { version: 4, base: ipBytes(addr), bits, orgUnitId };
  if (isIPv6(addr) && bits >= 0 && bits <= 128) return { version: 6, base: ipBytes(addr), bits, orgUnitId };
  return null;
}

/** The octets of an IPv4 or IPv6 address text. */
export function ipBytes(text: string): Buffer {
  if (isIPv4(text)) return Buffer.from(text.split('.').map(Number));
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const parts = (s: string | undefined): string[] => (s ? s.split(':') : []);
  let h = parts(head);
  let t = parts(tail);
  // An embedded IPv4 tail (::ffff:1.2.3.4).
  const fix = (xs: string[]): string[] => {
    const last = xs[xs.length - 1];
    if (last && isIPv4(last)) {
      const b = last.split('.').map(Number);
      return [...xs.slice(0, -1), ((b[0]! << 8) | b[1]!).toString(16), ((b[2]! << 8) | b[3]!).toString(16)];
    }
    return xs;
  };
  h = fix(h);
  t = fix(t);
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16) & 0xffff, i * 2));
  return b;
}

/** Text of 4 or 16 address octets (IPv6 compressed as RFC 5952 says). */
export function ipText(b: Buffer): string {
  if (b.length === 4) return [...b].join('.');
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push(b.readUInt16BE(i));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function contains(p: Prefix, addr: Buffer): boolean {
  if (addr.length !== p.base.length) return false;
  let bits = p.bits;
  for (let i = 0; i < addr.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((addr[i]! & mask) !== (p.base[i]! & mask)) return false;
  }
  return true;
}

/** Public address space the lab's internet traffic comes from and goes to, with its origin AS. */
const INTERNET: { prefix: string; as: number }[] = [
  { prefix: '36.152.44.0/24', as: 9808 },
  { prefix: '180.101.49.0/24', as: 4134 },
  { prefix: '123.125.0.0/16', as: 4808 },
  { prefix: '101.226.0.0/16', as: 4812 },
  { prefix: '220.181.0.0/16', as: 23724 },
  { prefix: '2408:8000::/20', as: 4837 },
  { prefix: '240e::/20', as: 4134 },
];

/** The addresses on one side of an interface: the prefixes of the org units behind it, or the internet. */
export class AddressPool {
  readonly v4: Prefix[];
  readonly v6: Prefix[];

  constructor(
    prefixes: Prefix[],
    readonly internet: boolean,
    private readonly registry: Prefix[],
    private readonly asOf: Map<Prefix, number> = new Map(),
  ) {
    this.v4 = prefixes.filter((p) => p.version === 4);
    this.v6 = prefixes.filter((p) => p.version === 6);
  }

  static internetPool(): AddressPool {
    const asOf = new Map<Prefix, number>();
    const ps = INTERNET.map((x) => {
      const p = parsePrefix(x.prefix)!;
      asOf.set(p, x.as);
      return p;
    });
    return new AddressPool(ps, true, [], asOf);
  }

  has(version: 4 | 6): boolean {
    return (version === 4 ? this.v4 : this.v6).length > 0;
  }

  /** A host address of a prefix of the pool, outside the more specific prefixes of other units. */
  pick(version: 4 | 6, rng: SeededRandom): { addr: Buffer; as: number } | null {
    const list = version === 4 ? this.v4 : this.v6;
    if (list.length === 0) return null;
    const p = list[Math.floor(rng.next() * list.length)]!;
    let addr = p.base;
    for (let attempt = 0; attempt < 8; attempt++) {
      addr = Buffer.from(p.base);
      for (let bit = p.bits; bit < addr.length * 8; bit++) {
        if (rng.next() < 0.5) addr[bit >> 3]! |= 0x80 >> (bit & 7);
      }
      const last = addr[addr.length - 1]!;
      if (p.bits < addr.length * 8 - 1 && (last === 0 || last === 255)) continue;
      const inner = this.registry.some(
        (q) => q !== p && q.bits > p.bits && contains(q, addr) && q.orgUnitId !== p.orgUnitId,
      );
      if (!inner) break;
    }
    return { addr, as: this.asOf.get(p) ?? 0 };
  }
}

/** What a router's flows are made of: who lies behind each of its interfaces. */
export interface RouterFlowPlan {
  deviceId: string;
  device: SimDevice;
  /** The router's own address (flows it sources or sinks, the sFlow agent address). */
  address: Buffer;
  /** Per ifIndex: the addresses behind the interface. */
  sides: Map<number, AddressPool>;
  /** Per ifIndex: the next hop out of it (the neighbour's address; 0 for the internet). */
  nextHops: Map<number, Buffer>;
  /** The router's own org unit's addresses (its local traffic). */
  local: AddressPool;
}

/** Builds every router's plan from the inventory (org units of devices, prefixes) and the model's links. */
export function buildFlowPlans(
  model: LabModel,
  inventory: LabInventory,
  addressOf: (deviceId: string) => string,
): Map<string, RouterFlowPlan> {
  const registry: Prefix[] = [];
  for (const p of inventory.prefixes) {
    if (p.purpose === 'egress') continue;
    const x = parsePrefix(p.prefix, p.orgUnitId);
    if (x) registry.push(x);
  }
  const unitOfSite = new Map(inventory.sites.map((s) => [s.id, s.orgUnitId]));
  const prefixesOfDevice = new Map<string, Prefix[]>();
  for (const d of inventory.devices) {
    const unit = d.orgUnitId ?? (d.siteId ? unitOfSite.get(d.siteId) : undefined);
    const own = unit ? registry.filter((p) => p.orgUnitId === unit) : [];
    prefixesOfDevice.set(
      d.id,
      own.length > 0 ? own : [parsePrefix(`${d.managementAddress}/32`, unit ?? '')!],
    );
  }
  // Downstream of a device: itself and whatever hangs below it (links name the upper end `a`).
  const children = new Map<string, Set<string>>();
  for (const l of inventory.links) {
    const set = children.get(l.a.device) ?? new Set<string>();
    set.add(l.b.device);
    children.set(l.a.device, set);
  }
  const downCache = new Map<string, Set<string>>();
  const downstream = (id: string): Set<string> => {
    const cached = downCache.get(id);
    if (cached) return cached;
    const seen = new Set<string>([id]);
    const stack = [id];
    while (stack.length > 0) {
      for (const c of children.get(stack.pop()!) ?? []) {
        if (!seen.has(c)) {
          seen.add(c);
          stack.push(c);
        }
      }
    }
    downCache.set(id, seen);
    return seen;
  };
  const poolOf = (devices: Iterable<string>): AddressPool => {
    const ps = new Set<Prefix>();
    for (const id of devices) for (const p of prefixesOfDevice.get(id) ?? []) ps.add(p);
    return new AddressPool([...ps], false, registry);
  };
  const internet = AddressPool.internetPool();
  const allIds = inventory.devices.map((d) => d.id);
  const plans = new Map<string, RouterFlowPlan>();
  for (const d of inventory.devices) {
    const device = model.device(d.id);
    const sides = new Map<number, AddressPool>();
    const nextHops = new Map<number, Buffer>();
    for (const itf of device.interfaces) {
      const link = itf.link;
      if (link) {
        const other = itf.side === 'a' ? link.b : link.a;
        const behind =
          itf.side === 'a'
            ? downstream(other.device.deviceId)
            : new Set(allIds.filter((x) => !downstream(d.id).has(x)));
        sides.set(itf.ifIndex, behind.size > 0 ? poolOf(behind) : poolOf(allIds));
        nextHops.set(itf.ifIndex, ipBytes(addressOf(other.device.deviceId)));
      } else if (itf.external) {
        sides.set(itf.ifIndex, internet);
        nextHops.set(itf.ifIndex, Buffer.alloc(4));
      }
    }
    plans.set(d.id, {
      deviceId: d.id,
      device,
      address: ipBytes(addressOf(d.id)),
      sides,
      nextHops,
      local: poolOf([d.id]),
    });
  }
  return plans;
}

/** One application of the mix: protocol, server port, typical packet size and weight. */
interface App {
  name: string;
  proto: 6 | 17;
  port: number;
  packetBytes: number;
  tos: number;
  internal: number;
  internet: number;
}

/** The application mix (weights for internal and for internet traffic). */
export const APP_MIX: readonly App[] = [
  { name: 'HTTPS', proto: 6, port: 443, packetBytes: 1100, tos: 0, internal: 30, internet: 55 },
  { name: 'HTTP', proto: 6, port: 80, packetBytes: 900, tos: 0, internal: 8, internet: 10 },
  { name: 'QUIC', proto: 17, port: 443, packetBytes: 1200, tos: 0, internal: 2, internet: 10 },
  { name: 'DNS', proto: 17, port: 53, packetBytes: 120, tos: 0, internal: 2, internet: 3 },
  { name: '视频会议', proto: 17, port: 5004, packetBytes: 1150, tos: 0x88, internal: 14, internet: 4 },
  { name: 'SIP', proto: 17, port: 5060, packetBytes: 600, tos: 0x60, internal: 1, internet: 0 },
  { name: 'Oracle', proto: 6, port: 1521, packetBytes: 800, tos: 0, internal: 10, internet: 0 },
  { name: 'MySQL', proto: 6, port: 3306, packetBytes: 700, tos: 0, internal: 4, internet: 0 },
  { name: 'SMB', proto: 6, port: 445, packetBytes: 1200, tos: 0, internal: 6, internet: 0 },
  { name: 'SSH', proto: 6, port: 22, packetBytes: 300, tos: 0x10, internal: 2, internet: 1 },
  { name: 'RDP', proto: 6, port: 3389, packetBytes: 500, tos: 0, internal: 2, internet: 0 },
  { name: 'NTP', proto: 17, port: 123, packetBytes: 90, tos: 0, internal: 1, internet: 1 },
  { name: 'SNMP', proto: 17, port: 161, packetBytes: 150, tos: 0, internal: 1, internet: 0 },
  { name: 'SMTP', proto: 6, port: 25, packetBytes: 800, tos: 0, internal: 1, internet: 1 },
];
const internalWeight = APP_MIX.reduce((s, a) => s + a.internal, 0);
const internetWeight = APP_MIX.reduce((s, a) => s + a.internet, 0);

function pickApp(rng: SeededRandom, internet: boolean): App {
  let x = rng.next() * (internet ? internetWeight : internalWeight);
  for (const a of APP_MIX) {
    x -= internet ? a.internet : a.internal;
    if (x < 0) return a;
  }
  return APP_MIX[0]!;
}

/** What an interface counted over the interval (octets, from the SNMP model). */
export interface InterfaceDelta {
  ifIndex: number;
  inBytes: number;
  outBytes: number;
}

/** One cell of the matrix: octets that entered `inIf` and left `outIf` (0 = the router itself). */
export interface TrafficCell {
  inIf: number;
  outIf: number;
  bytes: number;
}

/**
 * Splits the interfaces' deltas into cells whose row sums are the input deltas and whose column sums
 * are the output deltas (the router's own traffic, ifIndex 0, balances the two).
 */
export function trafficMatrix(deltas: readonly InterfaceDelta[]): TrafficCell[] {
  const rows = deltas.filter((d) => d.inBytes > 0).map((d) => ({ ifIndex: d.ifIndex, bytes: d.inBytes }));
  const cols = deltas.filter((d) => d.outBytes > 0).map((d) => ({ ifIndex: d.ifIndex, bytes: d.outBytes }));
  const totalIn = rows.reduce((s, r) => s + r.bytes, 0);
  const totalOut = cols.reduce((s, c) => s + c.bytes, 0);
  if (totalOut > totalIn) rows.push({ ifIndex: 0, bytes: totalOut - totalIn });
  if (totalIn > totalOut) cols.push({ ifIndex: 0, bytes: totalIn - totalOut });
  const total = Math.max(totalIn, totalOut);
  const cells: TrafficCell[] = [];
  if (total <= 0) return cells;
  for (const r of rows) {
    for (const c of cols) {
      if (r.ifIndex === 0 && c.ifIndex === 0) continue;
      cells.push({ inIf: r.ifIndex, outIf: c.ifIndex, bytes: (r.bytes * c.bytes) / total });
    }
  }
  return cells;
}

export interface SynthOptions {
  /** The real sampling rate of packets entering `inIf` (0: the router's own traffic). */
  rateOf: (inIf: number) => number;
  ipv6Share: number;
  /** At most this many NetFlow records per cell. */
  maxFlowsPerCell: number;
  startMs: number;
  endMs: number;
  rng: SeededRandom;
}

/** A synthetic flow of a cell before sampling: its key and share. */
interface FlowKeyParts {
  ipVersion: 4 | 6;
  src: Buffer;
  dst: Buffer;
  srcAs: number;
  dstAs: number;
  srcPort: number;
  dstPort: number;
  proto: number;
  tos: number;
  tcpFlags: number;
  packetBytes: number;
}

function flowKey(plan: RouterFlowPlan, cell: TrafficCell, o: SynthOptions): FlowKeyParts | null {
  const from = cell.inIf === 0 ? plan.local : plan.sides.get(cell.inIf);
  const to = cell.outIf === 0 ? plan.local : plan.sides.get(cell.outIf);
  if (!from || !to) return null;
  const rng = o.rng;
  const wantV6 = rng.next() < o.ipv6Share && from.has(6) && to.has(6);
  const version: 4 | 6 = wantV6 ? 6 : 4;
  const s =
    cell.inIf === 0
      ? { addr: version === 4 ? plan.address : (from.pick(6, rng)?.addr ?? plan.address), as: 0 }
      : from.pick(version, rng);
  const d =
    cell.outIf === 0
      ? { addr: version === 4 ? plan.address : (to.pick(6, rng)?.addr ?? plan.address), as: 0 }
      : to.pick(version, rng);
  if (!s || !d || s.addr.length !== d.addr.length) return null;
  const internet = from.internet || to.internet;
  const app = pickApp(rng, internet);
  // The server is on the internet side of internet traffic, on either side of internal traffic.
  const serverIsDst = to.internet ? true : from.internet ? false : rng.next() < 0.5;
  const ephemeral = 32_768 + Math.floor(rng.next() * 28_000);
  return {
    ipVersion: version,
    src: s.addr,
    dst: d.addr,
    srcAs: s.as,
    dstAs: d.as,
    srcPort: serverIsDst ? ephemeral : app.port,
    dstPort: serverIsDst ? app.port : ephemeral,
    proto: app.proto,
    tos: app.tos,
    tcpFlags: app.proto === 6 ? (rng.next() < 0.7 ? 0x18 : 0x1b) : 0,
    packetBytes: app.packetBytes,
  };
}

function timesOf(o: SynthOptions): { startMs: number; endMs: number } {
  const span = Math.max(1, o.endMs - o.startMs - 1);
  const start = o.startMs + Math.floor(o.rng.next() * span * 0.5);
  const end = Math.min(o.endMs - 1, start + Math.floor(o.rng.next() * (o.endMs - 1 - start)));
  return { startMs: start, endMs: Math.max(start, end) };
}

/** NetFlow/IPFIX records for the cells: each cell's sampled octets split over a few flows. */
export function netflowRecords(
  plan: RouterFlowPlan,
  cells: readonly TrafficCell[],
  o: SynthOptions,
): { record: LabFlowRecord; rate: number }[] {
  const out: { record: LabFlowRecord; rate: number }[] = [];
  for (const cell of cells) {
    const rate = o.rateOf(cell.inIf);
    const sampled = Math.round(cell.bytes / rate);
    if (sampled <= 0) continue;
    const k = Math.max(1, Math.min(o.maxFlowsPerCell, Math.ceil(sampled / 200_000)));
    const weights = Array.from({ length: k }, () => 0.2 + o.rng.next());
    const wsum = weights.reduce((a, b) => a + b, 0);
    let left = sampled;
    for (let f = 0; f < k && left > 0; f++) {
      const bytes = f === k - 1 ? left : Math.min(left, Math.floor((sampled * weights[f]!) / wsum));
      if (bytes <= 0) continue;
      left -= bytes;
      // Never null for a cell of the matrix: every interface with traffic has a side, and the
      // router's own side has at least its address.
      const key = flowKey(plan, cell, o);
      if (!key) continue;
      const t = timesOf(o);
      out.push({
        rate,
        record: {
          ipVersion: key.ipVersion,
          src: key.src,
          dst: key.dst,
          nextHop:
            cell.outIf === 0
              ? Buffer.alloc(key.ipVersion === 4 ? 4 : 16)
              : nextHop(plan, cell.outIf, key.ipVersion),
          srcPort: key.srcPort,
          dstPort: key.dstPort,
          proto: key.proto,
          tcpFlags: key.tcpFlags,
          tos: key.tos,
          inIf: cell.inIf,
          outIf: cell.outIf,
          srcAs: key.srcAs,
          dstAs: key.dstAs,
          bytes,
          packets: Math.max(1, Math.round(bytes / key.packetBytes)),
          startMs: t.startMs,
          endMs: t.endMs,
        },
      });
    }
  }
  return out;
}

function nextHop(plan: RouterFlowPlan, outIf: number, version: 4 | 6): Buffer {
  const nh = plan.nextHops.get(outIf);
  if (version === 4) return nh && nh.length === 4 ? nh : Buffer.alloc(4);
  return Buffer.alloc(16);
}

/** Largest and smallest frames the lab's sFlow samples carry. */
const MAX_FRAME = 1518;
const MIN_FRAME = 64;

/**
 * sFlow samples for the cells: each cell's sampled octets as whole frames (one sample per sampled
 * packet), the packets of a few flows. `rateOf` may be raised by the caller to bound the samples.
 */
export function sflowSamples(
  plan: RouterFlowPlan,
  cells: readonly TrafficCell[],
  o: SynthOptions,
  pools: Map<number, number>,
): { sample: SflowPacketSample; rate: number }[] {
  const out: { sample: SflowPacketSample; rate: number }[] = [];
  for (const cell of cells) {
    const rate = o.rateOf(cell.inIf);
    const sampled = Math.round(cell.bytes / rate);
    if (sampled < MIN_FRAME) continue;
    const keys: FlowKeyParts[] = [];
    const k = Math.max(1, Math.min(o.maxFlowsPerCell, Math.ceil(sampled / 200_000)));
    for (let f = 0; f < k; f++) {
      const key = flowKey(plan, cell, o);
      if (key) keys.push(key);
    }
    if (keys.length === 0) continue;
    const avg = keys.reduce((s, x) => s + x.packetBytes, 0) / keys.length;
    let count = Math.max(1, Math.round(sampled / Math.max(MIN_FRAME, Math.min(MAX_FRAME, avg))));
    count = Math.max(count, Math.ceil(sampled / MAX_FRAME));
    count = Math.min(count, Math.floor(sampled / MIN_FRAME));
    const base = Math.floor(sampled / count);
    let extra = sampled - base * count;
    const source = cell.inIf === 0 ? cell.outIf : cell.inIf;
    for (let n = 0; n < count; n++) {
      const key = keys[n % keys.length]!;
      const frameLength = base + (extra > 0 ? 1 : 0);
      if (extra > 0) extra--;
      const pool = (pools.get(source) ?? 0) + rate;
      pools.set(source, pool);
      const t = timesOf(o);
      out.push({
        rate,
        sample: {
          flow: {
            ipVersion: key.ipVersion,
            src: key.src,
            dst: key.dst,
            nextHop: nextHop(plan, cell.outIf, key.ipVersion),
            srcPort: key.srcPort,
            dstPort: key.dstPort,
            proto: key.proto,
            tcpFlags: key.tcpFlags,
            tos: key.tos,
            inIf: cell.inIf,
            outIf: cell.outIf,
            srcAs: key.srcAs,
            dstAs: key.dstAs,
            bytes: frameLength,
            packets: 1,
            startMs: t.startMs,
            endMs: t.endMs,
          },
          frameLength,
          samplingRate: rate,
          samplePool: pool >>> 0,
          sourceIfIndex: source,
        },
      });
    }
  }
  return out;
}
