import type { FlowRecord } from '../record.js';
import { ipv6Text, uint, u32 } from './bytes.js';

/**
 * NetFlow v9 / IPFIX templates: each template is compiled once into a field plan (what every field
 * feeds, at which offset) and, for fixed-length data templates, into a generated reader — one
 * straight-line function per distinct field layout, built only from numbers (offsets, lengths,
 * target codes), never from packet text, and shared by every template with that layout.
 */

/** Where a template field goes. */
export const enum T {
  Skip = 0,
  Bytes,
  Packets,
  Proto,
  Tos,
  Flags,
  SrcPort,
  DstPort,
  Src4,
  Dst4,
  Nh4,
  InIf,
  OutIf,
  SrcAs,
  DstAs,
  Src6,
  Dst6,
  Nh6,
  IpVersion,
  UptimeStart,
  UptimeEnd,
  SecStart,
  SecEnd,
  MsStart,
  MsEnd,
  NtpStart,
  NtpEnd,
  DeltaUsStart,
  DeltaUsEnd,
  Rate,
  Sampler,
  PacketInterval,
  PacketSpace,
  SampleSize,
  SamplePopulation,
  SystemInit,
}

/** How a record's start or end time is given. */
export const enum TimeKind {
  None = 0,
  /** sysUptime milliseconds (v9 FIRST/LAST_SWITCHED 22/21; IPFIX with systemInitTimeMilliseconds). */
  Uptime,
  /** Absolute unix milliseconds (IPFIX 150–155, converted by the reader). */
  Absolute,
  /** Microseconds before the export time (IPFIX 158/159). */
  DeltaUs,
}

/** Marks a variable-length field (IPFIX, RFC 7011 §7). */
export const VARIABLE = 65535;

/** Scratch values a reader leaves beside the record for the decoder to finish it. */
export interface ReadScratch {
  t0: number;
  t1: number;
  rate: number;
  sampler: number;
  ipv: number;
  packetInterval: number;
  packetSpace: number;
  sampleSize: number;
  samplePopulation: number;
  systemInit: number;
}

export function newReadScratch(): ReadScratch {
  return {
    t0: 0,
    t1: 0,
    rate: 0,
    sampler: 0,
    ipv: 0,
    packetInterval: 0,
    packetSpace: 0,
    sampleSize: 0,
    samplePopulation: 0,
    systemInit: 0,
  };
}

export type FixedReader = (b: Uint8Array, o: number, r: FlowRecord, x: ReadScratch) => void;

export interface Template {
  readonly id: number;
  readonly options: boolean;
  /** Field targets, offsets (−1 after a variable-length field) and lengths (VARIABLE for those). */
  readonly targets: Uint8Array;
  readonly lengths: Uint16Array;
  readonly offsets: Int32Array;
  /** Record length, or −1 when a field is variable-length. */
  readonly fixedLength: number;
  /** Shortest possible record (variable-length fields count one byte). */
  readonly minLength: number;
  readonly startKind: TimeKind;
  readonly endKind: TimeKind;
  /** 4 or 6 when the address fields say it, 0 when the record must decide (field 60 or both families). */
  readonly ipVersion: 0 | 4 | 6;
  readonly hasSampler: boolean;
  /** Options template: does it carry anything about sampling? (Else its data is skipped.) */
  readonly sampling: boolean;
  /** Generated reader (fixed-length data templates, when the layout cache had room). */
  readonly read: FixedReader | null;
  /** The template's definition as received (to tell a refresh from a change without recompiling). */
  readonly definition: Buffer;
  /** Fields whose length does not suit their element (read as unknown and skipped). */
  readonly oddFields: number;
  refreshed: number;
}

const NUMERIC = (len: number) => len >= 1 && len <= 8;

/** The target of IANA information element `id` with length `len` (0 = not used or unusable). */
function targetOf(id: number, len: number, has: Set<number>): T {
  const numeric = NUMERIC(len);
  switch (id) {
    case 1:
      return numeric ? T.Bytes : T.Skip;
    case 85:
      return numeric && !has.has(1) ? T.Bytes : T.Skip;
    case 2:
      return numeric ? T.Packets : T.Skip;
    case 86:
      return numeric && !has.has(2) ? T.Packets : T.Skip;
    case 4:
      return numeric ? T.Proto : T.Skip;
    case 5:
      return numeric ? T.Tos : T.Skip;
    case 6:
      return numeric ? T.Flags : T.Skip;
    case 7:
      return numeric ? T.SrcPort : T.Skip;
    case 11:
      return numeric ? T.DstPort : T.Skip;
    case 8:
      return len === 4 ? T.Src4 : T.Skip;
    case 12:
      return len === 4 ? T.Dst4 : T.Skip;
    case 15:
      return len === 4 ? T.Nh4 : T.Skip;
    case 10:
      return numeric ? T.InIf : T.Skip;
    case 14:
      return numeric ? T.OutIf : T.Skip;
    case 16:
      return numeric ? T.SrcAs : T.Skip;
    case 17:
      return numeric ? T.DstAs : T.Skip;
    case 27:
      return len === 16 ? T.Src6 : T.Skip;
    case 28:
      return len === 16 ? T.Dst6 : T.Skip;
    case 62:
      return len === 16 ? T.Nh6 : T.Skip;
    case 60:
      return numeric ? T.IpVersion : T.Skip;
    case 22:
      return numeric ? T.UptimeStart : T.Skip;
    case 21:
      return numeric ? T.UptimeEnd : T.Skip;
    case 150:
      return numeric ? T.SecStart : T.Skip;
    case 151:
      return numeric ? T.SecEnd : T.Skip;
    case 152:
      return numeric ? T.MsStart : T.Skip;
    case 153:
      return numeric ? T.MsEnd : T.Skip;
    case 154:
    case 156:
      return len === 8 ? T.NtpStart : T.Skip;
    case 155:
    case 157:
      return len === 8 ? T.NtpEnd : T.Skip;
    case 158:
      return numeric ? T.DeltaUsStart : T.Skip;
    case 159:
      return numeric ? T.DeltaUsEnd : T.Skip;
    case 34: // samplingInterval / SAMPLING_INTERVAL
    case 50: // samplerRandomInterval / FLOW_SAMPLER_RANDOM_INTERVAL
      return numeric ? T.Rate : T.Skip;
    case 48: // samplerId / FLOW_SAMPLER_ID
    case 302: // selectorId
      return numeric ? T.Sampler : T.Skip;
    case 305:
      return numeric ? T.PacketInterval : T.Skip;
    case 306:
      return numeric ? T.PacketSpace : T.Skip;
    case 309:
      return numeric ? T.SampleSize : T.Skip;
    case 310:
      return numeric ? T.SamplePopulation : T.Skip;
    case 160:
      return numeric ? T.SystemInit : T.Skip;
    default:
      return T.Skip;
  }
}

/** Element ids whose length did not suit them (counted as odd fields). */
const KNOWN = new Set([
  1, 85, 2, 86, 4, 5, 6, 7, 11, 8, 12, 15, 10, 14, 16, 17, 27, 28, 62, 60, 22, 21, 150, 151, 152, 153, 154,
  155, 156, 157, 158, 159, 34, 50, 48, 302, 305, 306, 309, 310, 160,
]);

/** Unix epoch in NTP seconds (RFC 5905). */
const NTP_UNIX = 2_208_988_800;

/** JavaScript text reading an unsigned `len`-byte field at `o + k` (len 1..8). */
function uintExpr(k: number, len: number): string {
  const at = (i: number) => `b[o+${k + i}]`;
  switch (len) {
    case 1:
      return at(0);
    case 2:
      return `(${at(0)}<<8|${at(1)})`;
    case 3:
      return `(${at(0)}<<16|${at(1)}<<8|${at(2)})`;
    case 4:
      return `((${at(0)}<<24|${at(1)}<<16|${at(2)}<<8|${at(3)})>>>0)`;
    default:
      return `(${uintExpr(k, len - 4)}*4294967296+${uintExpr(k + len - 4, 4)})`;
  }
}

const RECORD_DEFAULTS: Record<string, string> = {
  srcV4: '0',
  dstV4: '0',
  nextHopV4: '0',
  srcV6: "''",
  dstV6: "''",
  nextHopV6: "''",
  srcPort: '0',
  dstPort: '0',
  proto: '0',
  tcpFlags: '0',
  tos: '0',
  inIf: '0',
  outIf: '0',
  srcAs: '0',
  dstAs: '0',
  bytes: '0',
  packets: '0',
};
const SCRATCH_DEFAULTS = ['t0', 't1', 'rate', 'sampler', 'ipv'];

const RECORD_FIELD: Partial<Record<T, string>> = {
  [T.Bytes]: 'bytes',
  [T.Packets]: 'packets',
  [T.Proto]: 'proto',
  [T.Tos]: 'tos',
  [T.Flags]: 'tcpFlags',
  [T.SrcPort]: 'srcPort',
  [T.DstPort]: 'dstPort',
  [T.Src4]: 'srcV4',
  [T.Dst4]: 'dstV4',
  [T.Nh4]: 'nextHopV4',
  [T.InIf]: 'inIf',
  [T.OutIf]: 'outIf',
  [T.SrcAs]: 'srcAs',
  [T.DstAs]: 'dstAs',
};

/** Generate the straight-line reader of a fixed-length data layout. */
function generate(targets: Uint8Array, lengths: Uint16Array, offsets: Int32Array): FixedReader {
  const set = new Map<string, string>();
  const scratch = new Map<string, string>();
  for (let i = 0; i < targets.length; i++) {
    const t = targets[i] as T;
    const k = offsets[i]!;
    const len = lengths[i]!;
    const field = RECORD_FIELD[t];
    if (field !== undefined) {
      if (!set.has(field)) set.set(field, uintExpr(k, len));
      continue;
    }
    switch (t) {
      case T.Src6:
        set.set('srcV6', `v6(b,o+${k})`);
        break;
      case T.Dst6:
        set.set('dstV6', `v6(b,o+${k})`);
        break;
      case T.Nh6:
        set.set('nextHopV6', `v6(b,o+${k})`);
        break;
      case T.IpVersion:
        scratch.set('ipv', uintExpr(k, len));
        break;
      case T.UptimeStart:
      case T.DeltaUsStart:
        scratch.set('t0', uintExpr(k, len));
        break;
      case T.UptimeEnd:
      case T.DeltaUsEnd:
        scratch.set('t1', uintExpr(k, len));
        break;
      case T.SecStart:
        scratch.set('t0', `${uintExpr(k, len)}*1000`);
        break;
      case T.SecEnd:
        scratch.set('t1', `${uintExpr(k, len)}*1000`);
        break;
      case T.MsStart:
        scratch.set('t0', uintExpr(k, len));
        break;
      case T.MsEnd:
        scratch.set('t1', uintExpr(k, len));
        break;
      case T.NtpStart:
        scratch.set(
          't0',
          `(${uintExpr(k, 4)}-${NTP_UNIX})*1000+Math.floor(${uintExpr(k + 4, 4)}/4294967.296)`,
        );
        break;
      case T.NtpEnd:
        scratch.set(
          't1',
          `(${uintExpr(k, 4)}-${NTP_UNIX})*1000+Math.floor(${uintExpr(k + 4, 4)}/4294967.296)`,
        );
        break;
      case T.Rate:
        if (!scratch.has('rate')) scratch.set('rate', uintExpr(k, len));
        break;
      case T.Sampler:
        if (!scratch.has('sampler')) scratch.set('sampler', uintExpr(k, len));
        break;
      default:
        break;
    }
  }
  let body = '';
  for (const [field, dflt] of Object.entries(RECORD_DEFAULTS))
    body += `r.${field}=${set.get(field) ?? dflt};`;
  for (const name of SCRATCH_DEFAULTS) body += `x.${name}=${scratch.get(name) ?? '0'};`;
  // The text is built from numbers and the fixed names above only (no packet content); see the
  // module comment. One function per distinct layout, cached by `LayoutCache`.
  const make = new Function('v6', `"use strict";return function read(b,o,r,x){${body}};`) as (
    v6: typeof ipv6Text,
  ) => FixedReader;
  return make(ipv6Text);
}

/** Generated readers by layout, bounded (beyond the bound templates use the interpreted reader). */
export class LayoutCache {
  private readonly readers = new Map<string, FixedReader>();
  constructor(private readonly max = 2048) {}
  get size(): number {
    return this.readers.size;
  }
  reader(targets: Uint8Array, lengths: Uint16Array, offsets: Int32Array): FixedReader | null {
    let key = '';
    for (let i = 0; i < targets.length; i++)
      if (targets[i] !== T.Skip) key += `${targets[i]}.${lengths[i]}.${offsets[i]},`;
    const known = this.readers.get(key);
    if (known !== undefined) return known;
    if (this.readers.size >= this.max) return null;
    const fresh = generate(targets, lengths, offsets);
    this.readers.set(key, fresh);
    return fresh;
  }
}

/**
 * Compile a template from its field list. `ids[i]` is the element id (−1 for an enterprise element,
 * which is skipped), `lens[i]` its length (VARIABLE for variable-length). Returns null when the
 * template cannot describe a record (no bytes at all).
 */
export function compileTemplate(
  id: number,
  options: boolean,
  ids: ArrayLike<number>,
  lens: ArrayLike<number>,
  definition: Buffer,
  now: number,
  layouts: LayoutCache,
): Template | null {
  const n = ids.length;
  const targets = new Uint8Array(n);
  const lengths = new Uint16Array(n);
  const offsets = new Int32Array(n);
  const has = new Set<number>();
  for (let i = 0; i < n; i++) has.add(ids[i]!);
  let offset = 0;
  let fixed = true;
  let minLength = 0;
  let startKind = TimeKind.None;
  let endKind = TimeKind.None;
  let v4 = false;
  let v6 = false;
  let ipvField = false;
  let hasSampler = false;
  let sampling = false;
  let oddFields = 0;
  for (let i = 0; i < n; i++) {
    const fid = ids[i]!;
    const len = lens[i]!;
    lengths[i] = len;
    offsets[i] = fixed ? offset : -1;
    if (len === VARIABLE) {
      fixed = false;
      minLength += 1;
      targets[i] = T.Skip;
      continue;
    }
    offset += len;
    minLength += len;
    const t = fid < 0 ? T.Skip : targetOf(fid, len, has);
    if (
      t === T.Skip &&
      fid >= 0 &&
      KNOWN.has(fid) &&
      !((fid === 85 && has.has(1)) || (fid === 86 && has.has(2)))
    ) {
      oddFields++;
    }
    targets[i] = t;
    switch (t) {
      case T.Src4:
      case T.Dst4:
        v4 = true;
        break;
      case T.Src6:
      case T.Dst6:
        v6 = true;
        break;
      case T.IpVersion:
        ipvField = true;
        break;
      case T.UptimeStart:
        startKind = TimeKind.Uptime;
        break;
      case T.UptimeEnd:
        endKind = TimeKind.Uptime;
        break;
      case T.SecStart:
      case T.MsStart:
      case T.NtpStart:
        startKind = TimeKind.Absolute;
        break;
      case T.SecEnd:
      case T.MsEnd:
      case T.NtpEnd:
        endKind = TimeKind.Absolute;
        break;
      case T.DeltaUsStart:
        startKind = TimeKind.DeltaUs;
        break;
      case T.DeltaUsEnd:
        endKind = TimeKind.DeltaUs;
        break;
      case T.Sampler:
        hasSampler = true;
        break;
      case T.Rate:
      case T.PacketInterval:
      case T.PacketSpace:
      case T.SampleSize:
      case T.SamplePopulation:
        sampling = true;
        break;
      default:
        break;
    }
  }
  if (minLength === 0) return null;
  const ipVersion: 0 | 4 | 6 = ipvField || (v4 && v6) ? 0 : v6 ? 6 : 4;
  const read = fixed && !options ? layouts.reader(targets, lengths, offsets) : null;
  return {
    id,
    options,
    targets,
    lengths,
    offsets,
    fixedLength: fixed ? offset : -1,
    minLength,
    startKind,
    endKind,
    ipVersion,
    hasSampler,
    sampling,
    read,
    definition: Buffer.from(definition),
    oddFields,
    refreshed: now,
  };
}

/**
 * The interpreted reader: reads one record at `o` (variable-length fields included) into `r` and
 * `x`, and returns the offset after it, or −1 when a variable-length field runs past `end`.
 */
export function readRecord(
  t: Template,
  b: Uint8Array,
  o: number,
  end: number,
  r: FlowRecord,
  x: ReadScratch,
): number {
  r.srcV4 = 0;
  r.dstV4 = 0;
  r.nextHopV4 = 0;
  r.srcV6 = '';
  r.dstV6 = '';
  r.nextHopV6 = '';
  r.srcPort = 0;
  r.dstPort = 0;
  r.proto = 0;
  r.tcpFlags = 0;
  r.tos = 0;
  r.inIf = 0;
  r.outIf = 0;
  r.srcAs = 0;
  r.dstAs = 0;
  r.bytes = 0;
  r.packets = 0;
  x.t0 = 0;
  x.t1 = 0;
  x.rate = 0;
  x.sampler = 0;
  x.ipv = 0;
  x.packetInterval = 0;
  x.packetSpace = 0;
  x.sampleSize = 0;
  x.samplePopulation = 0;
  x.systemInit = 0;
  const targets = t.targets;
  const lengths = t.lengths;
  for (let i = 0; i < targets.length; i++) {
    let len = lengths[i]!;
    if (len === VARIABLE) {
      if (o >= end) return -1;
      len = b[o]!;
      o += 1;
      if (len === 255) {
        if (o + 2 > end) return -1;
        len = (b[o]! << 8) | b[o + 1]!;
        o += 2;
      }
      if (o + len > end) return -1;
      o += len;
      continue;
    }
    if (o + len > end) return -1;
    switch (targets[i] as T) {
      case T.Skip:
        break;
      case T.Bytes:
        r.bytes = uint(b, o, len);
        break;
      case T.Packets:
        r.packets = uint(b, o, len);
        break;
      case T.Proto:
        r.proto = uint(b, o, len);
        break;
      case T.Tos:
        r.tos = uint(b, o, len);
        break;
      case T.Flags:
        r.tcpFlags = uint(b, o, len);
        break;
      case T.SrcPort:
        r.srcPort = uint(b, o, len);
        break;
      case T.DstPort:
        r.dstPort = uint(b, o, len);
        break;
      case T.Src4:
        r.srcV4 = u32(b, o);
        break;
      case T.Dst4:
        r.dstV4 = u32(b, o);
        break;
      case T.Nh4:
        r.nextHopV4 = u32(b, o);
        break;
      case T.InIf:
        r.inIf = uint(b, o, len);
        break;
      case T.OutIf:
        r.outIf = uint(b, o, len);
        break;
      case T.SrcAs:
        r.srcAs = uint(b, o, len);
        break;
      case T.DstAs:
        r.dstAs = uint(b, o, len);
        break;
      case T.Src6:
        r.srcV6 = ipv6Text(b, o);
        break;
      case T.Dst6:
        r.dstV6 = ipv6Text(b, o);
        break;
      case T.Nh6:
        r.nextHopV6 = ipv6Text(b, o);
        break;
      case T.IpVersion:
        x.ipv = uint(b, o, len);
        break;
      case T.UptimeStart:
      case T.DeltaUsStart:
      case T.MsStart:
        x.t0 = uint(b, o, len);
        break;
      case T.UptimeEnd:
      case T.DeltaUsEnd:
      case T.MsEnd:
        x.t1 = uint(b, o, len);
        break;
      case T.SecStart:
        x.t0 = uint(b, o, len) * 1000;
        break;
      case T.SecEnd:
        x.t1 = uint(b, o, len) * 1000;
        break;
      case T.NtpStart:
        x.t0 = (u32(b, o) - NTP_UNIX) * 1000 + Math.floor(u32(b, o + 4) / 4294967.296);
        break;
      case T.NtpEnd:
        x.t1 = (u32(b, o) - NTP_UNIX) * 1000 + Math.floor(u32(b, o + 4) / 4294967.296);
        break;
      case T.Rate:
        if (x.rate === 0) x.rate = uint(b, o, len);
        break;
      case T.Sampler:
        x.sampler = uint(b, o, len);
        break;
      case T.PacketInterval:
        x.packetInterval = uint(b, o, len);
        break;
      case T.PacketSpace:
        x.packetSpace = uint(b, o, len);
        break;
      case T.SampleSize:
        x.sampleSize = uint(b, o, len);
        break;
      case T.SamplePopulation:
        x.samplePopulation = uint(b, o, len);
        break;
      case T.SystemInit:
        x.systemInit = uint(b, o, len);
        break;
    }
    o += len;
  }
  return o;
}

export interface TemplateCacheOptions {
  /** Templates not refreshed for this long are forgotten (UDP: RFC 7011 §8.4). Default 30 min. */
  timeoutMillis?: number;
  /** Per exporter (all its domains). Default 1,024. */
  maxPerExporter?: number;
  /** In total. Default 50,000. */
  maxTotal?: number;
  /** Distinct generated readers. Default 2,048. */
  maxLayouts?: number;
}

/** What the cache did, since it was created. */
export interface TemplateCacheCounts {
  learned: number;
  refreshed: number;
  changed: number;
  withdrawn: number;
  expired: number;
  refused: number;
}

/**
 * Templates keyed by exporter address, then by (version, observation domain / source id, template
 * id) folded into one number: `((version * 2^32) + domain) * 65536 + templateId` (below 2^53).
 * Bounded per exporter and in total; a template older than the timeout is dropped when looked up
 * and by `expire()`.
 */
export class TemplateCache {
  readonly timeoutMillis: number;
  readonly maxPerExporter: number;
  readonly maxTotal: number;
  readonly layouts: LayoutCache;
  readonly counts: TemplateCacheCounts = {
    learned: 0,
    refreshed: 0,
    changed: 0,
    withdrawn: 0,
    expired: 0,
    refused: 0,
  };
  private readonly byExporter = new Map<string, Map<number, Template>>();
  private total = 0;
  /** When the whole cache was last swept for expired templates (a full cache sweeps at most once a second). */
  private lastSweep = -Infinity;

  constructor(options: TemplateCacheOptions = {}) {
    this.timeoutMillis = options.timeoutMillis ?? 1_800_000;
    this.maxPerExporter = options.maxPerExporter ?? 1024;
    this.maxTotal = options.maxTotal ?? 50_000;
    this.layouts = new LayoutCache(options.maxLayouts ?? 2048);
  }

  static key(version: number, domain: number, templateId: number): number {
    return (version * 4294967296 + domain) * 65536 + templateId;
  }

  /** Templates held in total. */
  get size(): number {
    return this.total;
  }

  /** Templates held for one exporter. */
  sizeOf(exporter: string): number {
    return this.byExporter.get(exporter)?.size ?? 0;
  }

  /** The exporter's templates (for the decoder's per-datagram lookups), or undefined. */
  of(exporter: string): Map<number, Template> | undefined {
    return this.byExporter.get(exporter);
  }

  /** The template, or undefined when unknown or expired (an expired one is dropped and counted). */
  get(templates: Map<number, Template> | undefined, key: number, now: number): Template | undefined {
    if (templates === undefined) return undefined;
    const t = templates.get(key);
    if (t === undefined) return undefined;
    if (now - t.refreshed > this.timeoutMillis) {
      templates.delete(key);
      this.total--;
      this.counts.expired++;
      return undefined;
    }
    return t;
  }

  /**
   * Learn or refresh a template from its definition bytes. `compile` runs only for a new or changed
   * definition. Returns false when refused (limits reached even after expiring old templates) or
   * when the definition cannot describe a record.
   */
  put(
    exporter: string,
    key: number,
    definition: Buffer,
    now: number,
    compile: () => Template | null,
  ): boolean {
    let templates = this.byExporter.get(exporter);
    const old = templates?.get(key);
    if (old !== undefined) {
      if (old.definition.length === definition.length && old.definition.equals(definition)) {
        old.refreshed = now;
        this.counts.refreshed++;
        return true;
      }
      const fresh = compile();
      if (fresh === null) return false;
      templates!.set(key, fresh);
      this.counts.changed++;
      return true;
    }
    if (templates !== undefined && templates.size >= this.maxPerExporter) this.expireExporter(templates, now);
    if (this.total >= this.maxTotal && now - this.lastSweep >= 1000) this.expire(now);
    if ((templates !== undefined && templates.size >= this.maxPerExporter) || this.total >= this.maxTotal) {
      this.counts.refused++;
      return false;
    }
    const fresh = compile();
    if (fresh === null) return false;
    if (templates === undefined) {
      templates = new Map();
      this.byExporter.set(exporter, templates);
    }
    templates.set(key, fresh);
    this.total++;
    this.counts.learned++;
    return true;
  }

  /** Withdraw one template (IPFIX field count 0). */
  withdraw(exporter: string, key: number): void {
    const templates = this.byExporter.get(exporter);
    if (templates?.delete(key) === true) {
      this.total--;
      this.counts.withdrawn++;
    }
  }

  /** Withdraw every data (or options) template of one domain (IPFIX template id 2 / 3, count 0). */
  withdrawAll(exporter: string, version: number, domain: number, options: boolean): void {
    const templates = this.byExporter.get(exporter);
    if (templates === undefined) return;
    const lo = TemplateCache.key(version, domain, 0);
    const hi = lo + 65536;
    for (const [key, t] of templates) {
      if (key >= lo && key < hi && t.options === options) {
        templates.delete(key);
        this.total--;
        this.counts.withdrawn++;
      }
    }
  }

  /** Forget everything about an exporter. */
  forget(exporter: string): void {
    const templates = this.byExporter.get(exporter);
    if (templates === undefined) return;
    this.total -= templates.size;
    this.byExporter.delete(exporter);
  }

  /** Drop every template older than the timeout; returns how many. */
  expire(now: number): number {
    this.lastSweep = now;
    let n = 0;
    for (const [exporter, templates] of this.byExporter) {
      n += this.expireExporter(templates, now);
      if (templates.size === 0) this.byExporter.delete(exporter);
    }
    return n;
  }

  private expireExporter(templates: Map<number, Template>, now: number): number {
    let n = 0;
    for (const [key, t] of templates) {
      if (now - t.refreshed > this.timeoutMillis) {
        templates.delete(key);
        n++;
      }
    }
    this.total -= n;
    this.counts.expired += n;
    return n;
  }
}
