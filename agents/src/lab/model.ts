import { createHash } from 'node:crypto';
import type { LabDevice, LabInventory, LabLinkLevel } from './inventory.js';
import type {
  EntityChassis,
  InterfaceReading,
  LldpNeighbourRow,
  RouterInterfaceInfo,
  RouterModel,
} from './router.js';
import { noQuirks, type DeviceQuirks, type LinkRef, type Scenario } from './scenario.js';
import {
  Flow,
  makeLoadShape,
  mod64,
  SeededRandom,
  shapePeak,
  type LoadShape,
  type Segment,
} from './traffic.js';

/** Mean downstream load by link level when the scenario sets none. */
export const defaultLevelLoad: Record<LabLinkLevel, number> = {
  backbone: 0.3,
  city: 0.35,
  county: 0.4,
  township: 0.35,
  department: 0.3,
};

/** Mean inbound load of an internet egress interface the scenario gives no load. */
export const defaultExternalLoad = 0.2;

const bytesPerPacket = 800n;
const two64 = 1n << 64n;
const two32 = 1n << 32n;

/** A link of the lab as the control API describes it. */
export interface LabLinkInfo {
  /** `device:ifIndex` of the a end. */
  ref: string;
  a: { device: string; ifIndex: number };
  b: { device: string; ifIndex: number };
  level: LabLinkLevel;
  role: 'primary' | 'backup';
  pairId: string | null;
  up: boolean;
  /** True when the link carries its hop's traffic. */
  active: boolean;
}

export class SimInterface implements RouterInterfaceInfo {
  adminUp = true;
  link: SimLink | null = null;
  /** Traffic of an interface facing outside the lab (the internet): its own two directions. */
  external: { in: Flow; out: Flow } | null = null;
  side: 'a' | 'b' = 'a';
  lastChangeMs: number;
  /** Flow totals at the last boot: counters count from there. */
  inMark = 0n;
  outMark = 0n;
  inDropMark = 0n;
  outDropMark = 0n;
  /** What the interface had counted before the lab started (routers have been up for days). */
  inBase = 0n;
  outBase = 0n;
  /** Added to the octet counters only, to bring them near 2^64. */
  inWrap = 0n;
  outWrap = 0n;
  readonly alias: string;
  readonly speedMbps: number;
  readonly mac: Buffer;

  constructor(
    readonly device: SimDevice,
    readonly ifIndex: number,
    readonly name: string,
    alias: string | undefined,
    speedMbps: number | undefined,
  ) {
    this.alias = alias ?? '';
    this.speedMbps = speedMbps ?? 1000;
    this.mac = Buffer.from(device.chassisId);
    this.mac[5] = ifIndex & 0xff;
    this.lastChangeMs = device.bootMs;
  }

  get operUp(): boolean {
    return this.link ? this.link.up : this.adminUp;
  }

  get outFlow(): Flow | null {
    if (!this.link) return this.external?.out ?? null;
    return this.side === 'a' ? this.link.aToB : this.link.bToA;
  }

  get inFlow(): Flow | null {
    if (!this.link) return this.external?.in ?? null;
    return this.side === 'a' ? this.link.bToA : this.link.aToB;
  }

  read(nowMs: number): InterfaceReading {
    const t = nowMs / 1000;
    const inFlow = this.inFlow;
    const outFlow = this.outFlow;
    const inBytes = (inFlow ? inFlow.bytes(t) - this.inMark : 0n) + this.inBase;
    const outBytes = (outFlow ? outFlow.bytes(t) - this.outMark : 0n) + this.outBase;
    const perError = this.link?.bytesPerError ?? 1n;
    const errors = (bytes: bigint, scale: bigint): bigint => (this.link ? bytes / (perError * scale) : 0n);
    return {
      adminUp: this.adminUp,
      operUp: this.operUp,
      lastChangeTicks: ticks(Math.max(0, this.lastChangeMs - this.device.bootMs)),
      hcInOctets: mod64(inBytes + this.inWrap),
      hcOutOctets: mod64(outBytes + this.outWrap),
      hcInPkts: inBytes / bytesPerPacket,
      hcOutPkts: outBytes / bytesPerPacket,
      inErrors: errors(inBytes, 1n),
      outErrors: errors(outBytes, 10n),
      inDiscards: errors(inBytes, 4n),
      outDiscards: outFlow ? outFlow.drops(t) - this.outDropMark : 0n,
    };
  }

  /** Restarts the counters from zero at `nowMs`. */
  resetCounters(nowMs: number): void {
    const t = nowMs / 1000;
    this.inMark = this.inFlow?.bytes(t) ?? 0n;
    this.outMark = this.outFlow?.bytes(t) ?? 0n;
    this.inDropMark = this.inFlow?.drops(t) ?? 0n;
    this.outDropMark = this.outFlow?.drops(t) ?? 0n;
    this.inBase = 0n;
    this.outBase = 0n;
    this.inWrap = 0n;
    this.outWrap = 0n;
  }

  /**
   * Moves both octet counters so that they read `modulus` − remaining now: with 2^64 the HC
   * counters wrap after `remaining` octets; with 2^32 the 32-bit ifTable counters do (the HC ones
   * then read just under 2^32, as they would on a device whose traffic has just passed 4 GiB).
   */
  setNearWrap(nowMs: number, remaining: bigint, modulus = two64): void {
    const t = nowMs / 1000;
    const inBytes = (this.inFlow?.bytes(t) ?? 0n) - this.inMark + this.inBase;
    const outBytes = (this.outFlow?.bytes(t) ?? 0n) - this.outMark + this.outBase;
    this.inWrap = mod64(modulus - remaining - inBytes);
    this.outWrap = mod64(modulus - remaining - outBytes);
  }
}

export class SimDevice implements RouterModel {
  readonly interfaces: SimInterface[] = [];
  readonly byIfIndex = new Map<number, SimInterface>();
  readonly chassisId: Buffer;
  readonly sysDescr: string;
  readonly sysObjectId: string;
  readonly sysLocation: string;
  readonly entity: EntityChassis;
  bootMs: number;
  reachable = true;

  constructor(
    readonly spec: LabDevice,
    private readonly model: LabModel,
    bootMs: number,
    readonly quirks: DeviceQuirks,
  ) {
    this.bootMs = bootMs;
    const h = createHash('sha256').update(spec.id).digest();
    // A locally administered unicast MAC; the last octet is the port on interface addresses.
    this.chassisId = Buffer.from([0x02, h[0]!, h[1]!, h[2]!, h[3]!, 0x00]);
    const what = [spec.vendor, spec.model].filter(Boolean).join(' ');
    this.sysDescr = `Tianshu lab router ${spec.id}${what ? ` (simulated ${what})` : ''}`;
    // Under IANA's documentation enterprise number (RFC 5612) unless the inventory names one.
    this.sysObjectId = spec.sysObjectId ?? `1.3.6.1.4.1.32473.1.${roleNumber(spec.role)}`;
    this.sysLocation = spec.name ?? spec.id;
    // ENTITY-MIB's chassis entry: what discovery reads as vendor, model, serial and software.
    this.entity = {
      descr: what ? `${what} chassis` : 'Tianshu lab router chassis',
      name: 'Chassis',
      vendor: spec.vendor ?? 'Tianshu lab',
      model: spec.model ?? 'LAB-R1',
      serial: `LAB${h.subarray(4, 10).toString('hex').toUpperCase()}`,
      hardwareRev: 'A',
      firmwareRev: '1.0',
      softwareRev: 'Tianshu lab 1.0',
    };
  }

  get deviceId(): string {
    return this.spec.id;
  }

  upTimeTicks(): number {
    return ticks(Math.max(0, this.model.now() - this.bootMs));
  }

  read(ifIndex: number): InterfaceReading | undefined {
    return this.byIfIndex.get(ifIndex)?.read(this.model.now());
  }

  neighbours(): LldpNeighbourRow[] {
    const rows: LldpNeighbourRow[] = [];
    for (const i of this.interfaces) {
      const l = i.link;
      if (!l || !l.up) continue;
      const other = i.side === 'a' ? l.b : l.a;
      rows.push({
        localIfIndex: i.ifIndex,
        timeMark: ticks(Math.max(0, i.lastChangeMs - this.bootMs)),
        chassisId: other.device.chassisId,
        portId: other.name,
        portDesc: other.alias || other.name,
        sysName: other.device.deviceId,
        sysDesc: other.device.sysDescr,
      });
    }
    return rows;
  }
}

export class SimLink {
  cut = false;
  readonly aToB: Flow;
  readonly bToA: Flow;
  group!: LinkGroup;

  constructor(
    readonly a: SimInterface,
    readonly b: SimInterface,
    readonly level: LabLinkLevel,
    readonly role: 'primary' | 'backup',
    readonly pairId: string | null,
    /** Octets received per input error (errors are rare). */
    readonly bytesPerError: bigint,
    startSeconds: number,
  ) {
    this.aToB = new Flow(startSeconds);
    this.bToA = new Flow(startSeconds);
  }

  get ref(): string {
    return `${this.a.device.deviceId}:${this.a.ifIndex}`;
  }

  get up(): boolean {
    return !this.cut && this.a.adminUp && this.b.adminUp;
  }

  /** Octets per second the link can carry in each direction. */
  get capacity(): number {
    return (Math.min(this.a.speedMbps, this.b.speedMbps) * 1_000_000) / 8;
  }

  info(): LabLinkInfo {
    return {
      ref: this.ref,
      a: { device: this.a.device.deviceId, ifIndex: this.a.ifIndex },
      b: { device: this.b.device.deviceId, ifIndex: this.b.ifIndex },
      level: this.level,
      role: this.role,
      pairId: this.pairId,
      up: this.up,
      active: this.group.active === this,
    };
  }
}

/** A hop of the network: a primary/backup pair (or a lone link) sharing one traffic demand. */
class LinkGroup {
  active: SimLink | null = null;
  /** A fixed load replacing the shapes (saturation, or `setLoad`). */
  override: number | null = null;

  constructor(
    readonly id: string,
    readonly links: SimLink[],
    readonly down: LoadShape,
    readonly up: LoadShape,
    readonly upstreamRatio: number,
  ) {}

  /** Octets per second of the hop at full load: the capacity of its primary link. */
  get reference(): number {
    const primary = this.links.find((l) => l.role === 'primary') ?? this.links[0]!;
    return primary.capacity;
  }

  /** Picks the link that carries the traffic and gives every flow of the hop its segment from `t`. */
  reassign(t: number): void {
    const byRole = [...this.links].sort((x, y) => (x.role === y.role ? 0 : x.role === 'primary' ? -1 : 1));
    this.active = byRole.find((l) => l.up) ?? null;
    for (const l of this.links) {
      if (l !== this.active) {
        l.aToB.set(t, { kind: 'idle' });
        l.bToA.set(t, { kind: 'idle' });
        continue;
      }
      l.aToB.set(t, this.segment(l, this.down, 1));
      l.bToA.set(t, this.segment(l, this.up, this.upstreamRatio));
    }
  }

  private segment(l: SimLink, shape: LoadShape, ratio: number): Segment {
    const cap = l.capacity;
    const ref = this.reference;
    if (this.override !== null) {
      const demand = this.override * ratio * ref;
      const carried = Math.min(demand, cap * 0.995);
      // Queues overflow near line rate: a small share of packets is dropped, and all the excess.
      const saturatedDrops = carried >= 0.95 * cap ? (carried / Number(bytesPerPacket)) * 0.002 : 0;
      const excessDrops = Math.max(0, demand - carried) / Number(bytesPerPacket);
      return { kind: 'constant', bytesPerSecond: carried, dropsPerSecond: saturatedDrops + excessDrops };
    }
    // A backup thinner than the demand: the traffic (TCP) shrinks to fit it.
    const peak = shapePeak(shape) * ref;
    const scale = peak > cap ? (cap / shapePeak(shape)) * 0.95 : ref;
    return { kind: 'shape', shape, bytesPerSecondAtFull: scale };
  }
}

/** Called when links change state, with the devices whose LLDP neighbours changed. */
export type TopologyListener = (deviceIds: string[]) => void;
/** Called when the link carrying a hop's traffic changes. */
export type ActiveLinkListener = (pairId: string, from: string | null, to: string | null) => void;

/**
 * The simulated network: devices, interfaces, links and hops, with the operations of the control
 * API. It knows nothing about SNMP; routers read from it.
 */
export class LabModel {
  readonly devices = new Map<string, SimDevice>();
  readonly links: SimLink[] = [];
  readonly groups = new Map<string, LinkGroup>();
  private readonly ends = new Map<string, SimLink>();
  onTopology: TopologyListener = () => undefined;
  onActiveLink: ActiveLinkListener = () => undefined;

  constructor(
    inventory: LabInventory,
    scenario: Scenario,
    readonly now: () => number,
  ) {
    const startMs = now();
    const start = startMs / 1000;
    const rng = new SeededRandom(scenario.seed);
    for (const d of inventory.devices) {
      // Routers have been up for a while when the lab starts: 1 to 40 days.
      const upFor = Math.floor(rng.between(1, 40) * 86_400_000);
      const dev = new SimDevice(d, this, startMs - upFor, scenario.devices[d.id] ?? noQuirks);
      for (const i of d.interfaces) {
        const itf = new SimInterface(dev, i.ifIndex, i.name, i.alias, i.speedMbps);
        dev.interfaces.push(itf);
        dev.byIfIndex.set(i.ifIndex, itf);
      }
      this.devices.set(d.id, dev);
    }
    const load = scenario.load;
    const peakSecondOfDay = ((((load.peakHour - load.utcOffsetHours) % 24) + 24) % 24) * 3600;
    const lone: SimLink[][] = [];
    const pairs = new Map<string, SimLink[]>();
    for (const l of inventory.links) {
      const a = this.devices.get(l.a.device)!.byIfIndex.get(l.a.ifIndex)!;
      const b = this.devices.get(l.b.device)!.byIfIndex.get(l.b.ifIndex)!;
      const bytesPerError = BigInt(Math.floor(rng.between(2e10, 2e11)));
      const link = new SimLink(a, b, l.level, l.role, l.pairId ?? null, bytesPerError, start);
      a.link = link;
      a.side = 'a';
      b.link = link;
      b.side = 'b';
      this.links.push(link);
      this.ends.set(`${a.device.deviceId}:${a.ifIndex}`, link);
      this.ends.set(`${b.device.deviceId}:${b.ifIndex}`, link);
      if (l.pairId) {
        const members = pairs.get(l.pairId) ?? [];
        members.push(link);
        pairs.set(l.pairId, members);
      } else {
        lone.push([link]);
      }
    }
    // Interfaces facing the internet carry their own traffic (from a generator of its own, so that
    // the links' traffic stays what it was for the same seed).
    const extRng = new SeededRandom(`${scenario.seed}:external`);
    const external = new Map(Object.entries(load.external));
    for (const d of inventory.devices) {
      for (const i of d.interfaces) {
        const key = `${d.id}:${i.ifIndex}`;
        if (i.internetEgress && !external.has(key)) external.set(key, defaultExternalLoad);
      }
    }
    for (const [key, base] of external) {
      const [id, ifIndex] = [key.slice(0, key.lastIndexOf(':')), Number(key.slice(key.lastIndexOf(':') + 1))];
      const itf = this.devices.get(id)?.byIfIndex.get(ifIndex);
      if (!itf) throw new Error(`load.external.${key}: no interface ${key} in the inventory`);
      if (itf.link) {
        // An egress interface the inventory links to a lab device carries that link's traffic.
        if (key in load.external) {
          throw new Error(`load.external.${key}: ${key} is the end of a link, not an external interface`);
        }
        continue;
      }
      const shape = (b: number): LoadShape =>
        makeLoadShape(extRng, {
          base: b,
          diurnalAmplitude: load.diurnalAmplitude,
          noiseAmplitude: load.noiseAmplitude,
          peakSecondOfDay,
        });
      const capacity = (itf.speedMbps * 1_000_000) / 8;
      const inFlow = new Flow(start);
      const outFlow = new Flow(start);
      inFlow.set(start, { kind: 'shape', shape: shape(base), bytesPerSecondAtFull: capacity });
      outFlow.set(start, {
        kind: 'shape',
        shape: shape(base * load.upstreamRatio),
        bytesPerSecondAtFull: capacity,
      });
      itf.external = { in: inFlow, out: outFlow };
    }
    const baseOf = (members: SimLink[]): number => {
      for (const m of members) {
        const own = load.links[m.ref] ?? load.links[`${m.b.device.deviceId}:${m.b.ifIndex}`];
        if (own !== undefined) return own;
      }
      const level = members[0]!.level;
      return load.levels[level] ?? defaultLevelLoad[level];
    };
    const addGroup = (id: string, members: SimLink[]): void => {
      const base = baseOf(members);
      const shape = (b: number): LoadShape =>
        makeLoadShape(rng, {
          base: b,
          diurnalAmplitude: load.diurnalAmplitude,
          noiseAmplitude: load.noiseAmplitude,
          peakSecondOfDay,
        });
      const g = new LinkGroup(id, members, shape(base), shape(base * load.upstreamRatio), load.upstreamRatio);
      for (const m of members) m.group = g;
      this.groups.set(id, g);
      g.reassign(start);
    };
    for (const [id, members] of pairs) addGroup(id, members);
    for (const [link] of lone) addGroup(link!.ref, [link!]);
    // Counters of a router that has been up for days are far from zero.
    for (const dev of this.devices.values()) {
      const days = (startMs - dev.bootMs) / 86_400_000;
      for (const i of dev.interfaces) {
        const perDay = ((i.speedMbps * 1_000_000) / 8) * 86_400 * 0.1;
        i.inBase = BigInt(Math.floor(perDay * days * rng.between(0.5, 1.5)));
        i.outBase = BigInt(Math.floor(perDay * days * rng.between(0.5, 1.5)));
      }
    }
  }

  /** Finds a link by `device:ifIndex` of either end, `{device, ifIndex}` or `{pairId, role}`. */
  link(ref: LinkRef): SimLink {
    if (typeof ref === 'string' || 'device' in ref) {
      const key = typeof ref === 'string' ? ref : `${ref.device}:${ref.ifIndex}`;
      const l = this.ends.get(key);
      if (!l) throw new Error(`no link has end ${key}`);
      return l;
    }
    const g = this.groups.get(ref.pairId);
    if (!g) throw new Error(`no link pair ${ref.pairId}`);
    const l = g.links.find((x) => x.role === ref.role);
    if (!l) throw new Error(`pair ${ref.pairId} has no ${ref.role} link`);
    return l;
  }

  device(id: string): SimDevice {
    const d = this.devices.get(id);
    if (!d) throw new Error(`no device ${id}`);
    return d;
  }

  linkDown(ref: LinkRef, options: { admin?: boolean } = {}): void {
    const l = this.link(ref);
    this.change(l, () => {
      if (!options.admin) {
        l.cut = true;
        return;
      }
      // The end named by the reference is shut down; a pair reference shuts the a end.
      const key = typeof ref === 'string' ? ref : 'device' in ref ? `${ref.device}:${ref.ifIndex}` : l.ref;
      const end = key === `${l.b.device.deviceId}:${l.b.ifIndex}` ? l.b : l.a;
      end.adminUp = false;
    });
  }

  linkUp(ref: LinkRef): void {
    const l = this.link(ref);
    this.change(l, () => {
      l.cut = false;
      l.a.adminUp = true;
      l.b.adminUp = true;
    });
  }

  /** Sets the load of a link's hop (whichever link of the pair carries it); null restores the profile. */
  setLoad(ref: LinkRef, fraction: number | null): void {
    if (fraction !== null && !(fraction >= 0 && fraction <= 1)) {
      throw new Error(`a load is a fraction between 0 and 1, not ${fraction}`);
    }
    const g = this.link(ref).group;
    g.override = fraction;
    g.reassign(this.now() / 1000);
  }

  reboot(deviceId: string): void {
    const d = this.device(deviceId);
    const now = this.now();
    d.bootMs = now;
    for (const i of d.interfaces) {
      i.resetCounters(now);
      i.lastChangeMs = now;
    }
    this.onTopology([deviceId]);
  }

  setCountersNearWrap(deviceId: string, remaining: bigint): void {
    if (remaining <= 0n || remaining >= two64) throw new Error('remaining must be between 1 and 2^64 - 1');
    const d = this.device(deviceId);
    const now = this.now();
    for (const i of d.interfaces) i.setNearWrap(now, remaining);
  }

  /** Moves a device's 32-bit ifInOctets/ifOutOctets to 2^32 − remaining, so they wrap soon. */
  setCounters32NearWrap(deviceId: string, remaining: bigint): void {
    if (remaining <= 0n || remaining >= two32) throw new Error('remaining must be between 1 and 2^32 - 1');
    const d = this.device(deviceId);
    const now = this.now();
    for (const i of d.interfaces) i.setNearWrap(now, remaining, two32);
  }

  activeLink(pairId: string): LabLinkInfo | null {
    const g = this.groups.get(pairId);
    if (!g) throw new Error(`no link pair ${pairId}`);
    return g.active ? g.active.info() : null;
  }

  linkInfos(): LabLinkInfo[] {
    return this.links.map((l) => l.info());
  }

  private change(l: SimLink, mutate: () => void): void {
    const wasUp = l.up;
    const before = l.group.active;
    mutate();
    if (l.up === wasUp) return;
    const now = this.now();
    l.a.lastChangeMs = now;
    l.b.lastChangeMs = now;
    l.group.reassign(now / 1000);
    this.onTopology([l.a.device.deviceId, l.b.device.deviceId]);
    if (l.group.active !== before) {
      this.onActiveLink(l.group.id, before?.ref ?? null, l.group.active?.ref ?? null);
    }
  }
}

/** Milliseconds as TimeTicks (hundredths of a second), modulo 2^32. */
function ticks(ms: number): number {
  return Math.floor(ms / 10) % 4_294_967_296;
}

function roleNumber(role: string | undefined): number {
  return { core: 1, aggregation: 2, access: 3 }[role ?? ''] ?? 9;
}
