/**
 * The lab routers' flow exporters on the wire: NetFlow v9 (RFC 3954), IPFIX (RFC 7011) and sFlow v5
 * (sflow.org, "sFlow Version 5", 2004). Written for the lab, independent of the collector's decoder:
 * the tests check these datagrams against nfdump (`nfcapd`/`sfcapd`), a decoder we did not write.
 *
 * The NetFlow encoders keep the state a real exporter keeps: the sequence number (v9: export
 * packets sent; IPFIX: data records sent before this message, per observation domain), and when to
 * send the templates and the sampling options again (every `templateEveryPackets` datagrams and
 * every `templateEverySeconds`, as routers do over UDP, so a collector that starts late or forgets
 * its templates learns them again).
 */

/** One flow record as the lab's routers export it (addresses as 4 or 16 octets). */
export interface LabFlowRecord {
  ipVersion: 4 | 6;
  src: Buffer;
  dst: Buffer;
  /** 4 or 16 octets of zeros when the router routes to a directly connected network. */
  nextHop: Buffer;
  srcPort: number;
  dstPort: number;
  proto: number;
  tcpFlags: number;
  tos: number;
  inIf: number;
  outIf: number;
  srcAs: number;
  dstAs: number;
  /** As exported: sampled octets and packets (not multiplied by the sampling rate). */
  bytes: number;
  packets: number;
  startMs: number;
  endMs: number;
  /** The sampler (v9 FLOW_SAMPLER_ID, IPFIX selectorId) that sampled the record; default 1. */
  samplerId?: number;
}

/** The largest datagram the lab sends (fits a 1500-octet MTU with IP and UDP headers). */
export const MAX_DATAGRAM = 1400;

/** Builds datagrams in a growable buffer; writes are big-endian (network order). */
class Writer {
  buf: Buffer;
  pos = 0;

  constructor(size = MAX_DATAGRAM + 256) {
    this.buf = Buffer.alloc(size);
  }

  u8(v: number): void {
    this.buf[this.pos++] = v & 0xff;
  }

  u16(v: number): void {
    this.buf.writeUInt16BE(v & 0xffff, this.pos);
    this.pos += 2;
  }

  u32(v: number): void {
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
  }

  u64(v: number): void {
    this.buf.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(v))), this.pos);
    this.pos += 8;
  }

  u64n(v: bigint): void {
    this.buf.writeBigUInt64BE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
  }

  bytes(b: Buffer): void {
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }

  zeros(n: number): void {
    this.buf.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }

  pad4(): void {
    while (this.pos % 4 !== 0) this.u8(0);
  }

  take(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.pos));
  }
}

/** A template field: information element id and length in octets. */
type Field = readonly [id: number, length: number];

// Information element ids shared by NetFlow v9 (RFC 3954 §8) and IPFIX (IANA registry).
const IE = {
  octets: 1,
  packets: 2,
  proto: 4,
  tos: 5,
  tcpFlags: 6,
  srcPort: 7,
  srcV4: 8,
  inIf: 10,
  dstPort: 11,
  dstV4: 12,
  outIf: 14,
  nextHopV4: 15,
  srcAs: 16,
  dstAs: 17,
  lastSwitched: 21,
  firstSwitched: 22,
  srcV6: 27,
  dstV6: 28,
  samplingInterval: 34,
  samplingAlgorithm: 35,
  samplerId: 48,
  samplerMode: 49,
  samplerRandomInterval: 50,
  ipVersion: 60,
  nextHopV6: 62,
  observationDomainId: 149,
  flowStartMilliseconds: 152,
  flowEndMilliseconds: 153,
  selectorId: 302,
  selectorAlgorithm: 304,
} as const;

/** Template ids: data templates ≥ 256 (both protocols). */
export const TEMPLATE_V4 = 256;
export const TEMPLATE_V6 = 257;
export const TEMPLATE_SAMPLING = 258;
/** v9: the options template of samplers other than 1. */
export const TEMPLATE_SAMPLERS = 259;

const v9FieldsV4: Field[] = [
  [IE.srcV4, 4],
  [IE.dstV4, 4],
  [IE.nextHopV4, 4],
  [IE.srcPort, 2],
  [IE.dstPort, 2],
  [IE.proto, 1],
  [IE.tos, 1],
  [IE.tcpFlags, 1],
  [IE.ipVersion, 1],
  [IE.inIf, 4],
  [IE.outIf, 4],
  [IE.srcAs, 4],
  [IE.dstAs, 4],
  [IE.firstSwitched, 4],
  [IE.lastSwitched, 4],
  [IE.octets, 8],
  [IE.packets, 8],
  [IE.samplerId, 1],
];
const v9FieldsV6: Field[] = v9FieldsV4.map(([id, len]): Field =>
  id === IE.srcV4
    ? [IE.srcV6, 16]
    : id === IE.dstV4
      ? [IE.dstV6, 16]
      : id === IE.nextHopV4
        ? [IE.nextHopV6, 16]
        : [id, len],
);
const ipfixTimes = (fields: Field[]): Field[] =>
  fields.map(([id, len]): Field =>
    id === IE.firstSwitched
      ? [IE.flowStartMilliseconds, 8]
      : id === IE.lastSwitched
        ? [IE.flowEndMilliseconds, 8]
        : [id, len],
  );
const ipfixFieldsV4 = ipfixTimes(v9FieldsV4).map(([id, len]): Field =>
  id === IE.samplerId ? [IE.selectorId, 1] : [id, len],
);
const ipfixFieldsV6 = ipfixTimes(v9FieldsV6).map(([id, len]): Field =>
  id === IE.samplerId ? [IE.selectorId, 1] : [id, len],
);

/** The sampler (v9 FLOW_SAMPLER_ID) / selector (IPFIX selectorId) every record names. */
export const SAMPLER_ID = 1;
const recordLength = (fields: Field[]): number => fields.reduce((s, [, l]) => s + l, 0);

export interface NetflowEncoderOptions {
  /** v9 source id / IPFIX observation domain id. */
  domain: number;
  /** Send the templates again every this many datagrams (default 20)… */
  templateEveryPackets?: number;
  /** …and at least every this many seconds (default 30). */
  templateEverySeconds?: number;
}

/** What one call encodes around the records: the clock and the sampling the router reports. */
export interface ExportContext {
  nowMs: number;
  /** Router uptime in milliseconds (v9 sysUptime, sFlow uptime). */
  uptimeMs: number;
  /** The sampling interval the router reports in its options data (1 = unsampled): sampler 1's. */
  samplingRate: number;
  /** Other samplers (ids from 2), e.g. interfaces sampled at their own rates. */
  samplers?: readonly { id: number; rate: number }[];
}

/** Every sampler of a context: sampler 1 at `samplingRate`, then the others. */
function samplersOf(ctx: ExportContext): { id: number; rate: number }[] {
  return [
    { id: SAMPLER_ID, rate: ctx.samplingRate },
    ...(ctx.samplers ?? []).filter((x) => x.id !== SAMPLER_ID),
  ];
}

/** Counters of what an encoder produced. */
export interface EncoderCounters {
  datagrams: number;
  records: number;
  templates: number;
  optionsRecords: number;
  octets: number;
}

abstract class NetflowEncoderBase {
  readonly counters: EncoderCounters = {
    datagrams: 0,
    records: 0,
    templates: 0,
    optionsRecords: 0,
    octets: 0,
  };
  /** Flow records in each datagram of the last `encode` (in order). */
  lastRecordCounts: number[] = [];
  protected readonly domain: number;
  private readonly everyPackets: number;
  private readonly everyMs: number;
  private sinceTemplates = Number.POSITIVE_INFINITY;
  private lastTemplatesMs = Number.NEGATIVE_INFINITY;
  private lastRate = '';

  constructor(o: NetflowEncoderOptions) {
    this.domain = o.domain >>> 0;
    this.everyPackets = Math.max(1, o.templateEveryPackets ?? 20);
    this.everyMs = Math.max(1, o.templateEverySeconds ?? 30) * 1000;
  }

  /** Encodes the records into datagrams of at most {@link MAX_DATAGRAM} octets. */
  encode(records: readonly LabFlowRecord[], ctx: ExportContext): Buffer[] {
    const out: Buffer[] = [];
    this.lastRecordCounts = [];
    if (records.length === 0 && !this.templatesDue(ctx)) return out;
    let i = 0;
    do {
      const w = new Writer();
      this.header(w);
      let count = 0;
      if (this.templatesDue(ctx)) {
        count += this.templates(w);
        count += this.options(w, ctx);
        this.sinceTemplates = 0;
        this.lastTemplatesMs = ctx.nowMs;
        this.lastRate = JSON.stringify(samplersOf(ctx));
      }
      // Data sets, one per IP version in a row, until the datagram is full.
      let firstData = 0;
      while (i < records.length) {
        const version = records[i]!.ipVersion;
        const fields = this.fields(version);
        const len = recordLength(fields);
        const room = MAX_DATAGRAM - w.pos - 4;
        const fit = Math.floor(room / len);
        if (fit < 1) break;
        const setStart = w.pos;
        w.u16(version === 4 ? TEMPLATE_V4 : TEMPLATE_V6);
        w.u16(0);
        let n = 0;
        while (i < records.length && n < fit && records[i]!.ipVersion === version) {
          this.record(w, records[i]!, fields, ctx);
          i++;
          n++;
        }
        w.pad4();
        w.buf.writeUInt16BE(w.pos - setStart, setStart + 2);
        count += n;
        firstData += n;
      }
      this.finish(w, count, firstData, ctx);
      const d = w.take();
      out.push(d);
      this.lastRecordCounts.push(firstData);
      this.sinceTemplates++;
      this.counters.datagrams++;
      this.counters.records += firstData;
      this.counters.octets += d.length;
    } while (i < records.length);
    return out;
  }

  /** Whether the next datagram carries the templates and sampling options again. */
  templatesDue(ctx: ExportContext): boolean {
    return (
      this.sinceTemplates >= this.everyPackets ||
      ctx.nowMs - this.lastTemplatesMs >= this.everyMs ||
      JSON.stringify(samplersOf(ctx)) !== this.lastRate
    );
  }

  protected abstract header(w: Writer): void;
  protected abstract templates(w: Writer): number;
  protected abstract options(w: Writer, ctx: ExportContext): number;
  protected abstract fields(version: 4 | 6): Field[];
  protected abstract finish(w: Writer, count: number, dataRecords: number, ctx: ExportContext): void;

  protected record(w: Writer, r: LabFlowRecord, fields: Field[], ctx: ExportContext): void {
    for (const [id, len] of fields) {
      switch (id) {
        case IE.srcV4:
        case IE.srcV6:
          w.bytes(r.src);
          break;
        case IE.dstV4:
        case IE.dstV6:
          w.bytes(r.dst);
          break;
        case IE.nextHopV4:
        case IE.nextHopV6:
          w.bytes(r.nextHop);
          break;
        case IE.srcPort:
          w.u16(r.srcPort);
          break;
        case IE.dstPort:
          w.u16(r.dstPort);
          break;
        case IE.proto:
          w.u8(r.proto);
          break;
        case IE.tos:
          w.u8(r.tos);
          break;
        case IE.tcpFlags:
          if (len === 2) w.u16(r.tcpFlags);
          else w.u8(r.tcpFlags);
          break;
        case IE.ipVersion:
          w.u8(r.ipVersion);
          break;
        case IE.inIf:
          w.u32(r.inIf);
          break;
        case IE.outIf:
          w.u32(r.outIf);
          break;
        case IE.srcAs:
          w.u32(r.srcAs);
          break;
        case IE.dstAs:
          w.u32(r.dstAs);
          break;
        case IE.firstSwitched:
          w.u32(uptimeAt(r.startMs, ctx));
          break;
        case IE.lastSwitched:
          w.u32(uptimeAt(r.endMs, ctx));
          break;
        case IE.flowStartMilliseconds:
          w.u64(r.startMs);
          break;
        case IE.flowEndMilliseconds:
          w.u64(r.endMs);
          break;
        case IE.octets:
          w.u64(r.bytes);
          break;
        case IE.packets:
          w.u64(r.packets);
          break;
        case IE.samplerId:
        case IE.selectorId:
          w.u8(r.samplerId ?? SAMPLER_ID);
          break;
        default:
          w.zeros(len);
      }
    }
  }

  protected templateRecord(w: Writer, id: number, fields: Field[]): void {
    w.u16(id);
    w.u16(fields.length);
    for (const [f, l] of fields) {
      w.u16(f);
      w.u16(l);
    }
    this.counters.templates++;
  }
}

/** The router's uptime at `ms` (v9 FIRST/LAST_SWITCHED), clamped to its boot. */
function uptimeAt(ms: number, ctx: ExportContext): number {
  return Math.max(0, Math.floor(ctx.uptimeMs - (ctx.nowMs - ms))) >>> 0;
}

// The v9 sampling options: the exporter-wide interval (34, 35) and the sampler the records name
// (48, 49, 50), so that collectors reading either learn the rate.
const v9SamplingOptions: Field[] = [
  [IE.samplingInterval, 4],
  [IE.samplingAlgorithm, 1],
  [IE.samplerId, 1],
  [IE.samplerMode, 1],
  [IE.samplerRandomInterval, 4],
];

/**
 * NetFlow v9 (RFC 3954): a template FlowSet (id 0) with the IPv4 and IPv6 templates, an options
 * template FlowSet (id 1) whose scope is the System and whose options are SAMPLING_INTERVAL (34),
 * SAMPLING_ALGORITHM (35, 2 = random), FLOW_SAMPLER_ID (48), FLOW_SAMPLER_MODE (49) and
 * FLOW_SAMPLER_RANDOM_INTERVAL (50), its options data, then data FlowSets whose records name the
 * sampler (48). The header's count is
 * every record of the packet (templates, options and data); the sequence number counts export
 * packets.
 */
export class NetflowV9Encoder extends NetflowEncoderBase {
  private sequence = 0;

  protected header(w: Writer): void {
    w.zeros(20);
  }

  protected fields(version: 4 | 6): Field[] {
    return version === 4 ? v9FieldsV4 : v9FieldsV6;
  }

  protected templates(w: Writer): number {
    const start = w.pos;
    w.u16(0);
    w.u16(0);
    this.templateRecord(w, TEMPLATE_V4, v9FieldsV4);
    this.templateRecord(w, TEMPLATE_V6, v9FieldsV6);
    w.buf.writeUInt16BE(w.pos - start, start + 2);
    // Options template FlowSet.
    const o = w.pos;
    w.u16(1);
    w.u16(0);
    w.u16(TEMPLATE_SAMPLING);
    w.u16(4); // scope length: one field
    w.u16(20); // option length: five fields
    w.u16(1); // scope: System
    w.u16(4);
    for (const [id, len] of v9SamplingOptions) {
      w.u16(id);
      w.u16(len);
    }
    // Samplers other than 1: FLOW_SAMPLER_ID, _MODE and _RANDOM_INTERVAL only (34 is exporter-wide).
    w.u16(TEMPLATE_SAMPLERS);
    w.u16(4);
    w.u16(12);
    w.u16(1);
    w.u16(4);
    for (const [id, len] of v9SamplingOptions.slice(2)) {
      w.u16(id);
      w.u16(len);
    }
    w.pad4();
    w.buf.writeUInt16BE(w.pos - o, o + 2);
    this.counters.templates += 2;
    return 4;
  }

  protected options(w: Writer, ctx: ExportContext): number {
    const start = w.pos;
    w.u16(TEMPLATE_SAMPLING);
    w.u16(0);
    w.u32(this.domain); // the System scope: the exporter itself
    w.u32(ctx.samplingRate); // SAMPLING_INTERVAL
    w.u8(2); // SAMPLING_ALGORITHM: random
    w.u8(SAMPLER_ID); // FLOW_SAMPLER_ID
    w.u8(2); // FLOW_SAMPLER_MODE: random
    w.u32(ctx.samplingRate); // FLOW_SAMPLER_RANDOM_INTERVAL
    w.pad4();
    w.buf.writeUInt16BE(w.pos - start, start + 2);
    this.counters.optionsRecords++;
    const others = samplersOf(ctx).slice(1);
    if (others.length === 0) return 1;
    const set = w.pos;
    w.u16(TEMPLATE_SAMPLERS);
    w.u16(0);
    for (const x of others) {
      w.u32(this.domain);
      w.u8(x.id);
      w.u8(2);
      w.u32(x.rate);
    }
    w.pad4();
    w.buf.writeUInt16BE(w.pos - set, set + 2);
    this.counters.optionsRecords += others.length;
    return 1 + others.length;
  }

  protected finish(w: Writer, count: number, _data: number, ctx: ExportContext): void {
    w.buf.writeUInt16BE(9, 0);
    w.buf.writeUInt16BE(count, 2);
    w.buf.writeUInt32BE(ctx.uptimeMs >>> 0, 4);
    w.buf.writeUInt32BE(Math.floor(ctx.nowMs / 1000) >>> 0, 8);
    w.buf.writeUInt32BE(this.sequence >>> 0, 12);
    w.buf.writeUInt32BE(this.domain, 16);
    this.sequence = (this.sequence + 1) >>> 0;
  }

  /** Skips `n` export packets (the router dropped them): the collector sees a sequence gap. */
  skip(n: number): void {
    this.sequence = (this.sequence + n) >>> 0;
  }
}

/**
 * IPFIX (RFC 7011): a template set (id 2) with the IPv4 and IPv6 templates, an options template set
 * (id 3) scoped by selectorId (302) whose options are selectorAlgorithm (304, 3 = random n-out-of-N,
 * RFC 5477) and samplerRandomInterval (50, the N), its data, then data sets whose records name the
 * selector (302). The sequence number is
 * the number of data records sent before this message in the observation domain (options data
 * records included, as RFC 7011 §3.1 counts every data record).
 */
export class IpfixEncoder extends NetflowEncoderBase {
  private sequence = 0;
  private dataRecordsInMessage = 0;

  protected header(w: Writer): void {
    w.zeros(16);
    this.dataRecordsInMessage = 0;
  }

  protected fields(version: 4 | 6): Field[] {
    return version === 4 ? ipfixFieldsV4 : ipfixFieldsV6;
  }

  protected templates(w: Writer): number {
    const start = w.pos;
    w.u16(2);
    w.u16(0);
    this.templateRecord(w, TEMPLATE_V4, ipfixFieldsV4);
    this.templateRecord(w, TEMPLATE_V6, ipfixFieldsV6);
    w.buf.writeUInt16BE(w.pos - start, start + 2);
    const o = w.pos;
    w.u16(3);
    w.u16(0);
    w.u16(TEMPLATE_SAMPLING);
    w.u16(3); // field count
    w.u16(1); // scope field count
    w.u16(IE.selectorId);
    w.u16(1);
    w.u16(IE.selectorAlgorithm);
    w.u16(1);
    w.u16(IE.samplerRandomInterval);
    w.u16(4);
    w.pad4();
    w.buf.writeUInt16BE(w.pos - o, o + 2);
    this.counters.templates++;
    return 0;
  }

  protected options(w: Writer, ctx: ExportContext): number {
    const start = w.pos;
    w.u16(TEMPLATE_SAMPLING);
    w.u16(0);
    for (const x of samplersOf(ctx)) {
      w.u8(x.id); // selectorId
      w.u8(3); // random n-out-of-N
      w.u32(x.rate); // samplerRandomInterval
      this.counters.optionsRecords++;
      this.dataRecordsInMessage++;
    }
    w.pad4();
    w.buf.writeUInt16BE(w.pos - start, start + 2);
    return 0;
  }

  protected finish(w: Writer, _count: number, dataRecords: number, ctx: ExportContext): void {
    w.buf.writeUInt16BE(10, 0);
    w.buf.writeUInt16BE(w.pos, 2);
    w.buf.writeUInt32BE(Math.floor(ctx.nowMs / 1000) >>> 0, 4);
    w.buf.writeUInt32BE(this.sequence >>> 0, 8);
    w.buf.writeUInt32BE(this.domain, 12);
    this.sequence = (this.sequence + dataRecords + this.dataRecordsInMessage) >>> 0;
  }

  /** Skips `records` data records (the router dropped their messages): a sequence gap. */
  skip(records: number): void {
    this.sequence = (this.sequence + records) >>> 0;
  }
}

/** One sFlow flow sample: a sampled packet, its header synthesised from the flow it belongs to. */
export interface SflowPacketSample {
  flow: LabFlowRecord;
  /** Length of the sampled frame (Ethernet header to the end of the payload, FCS not counted). */
  frameLength: number;
  /** The rate the sample says (1 in N); a router misreporting its sampling says another. */
  samplingRate: number;
  /** Packets the interface saw (the sample pool) up to this sample. */
  samplePool: number;
  /** ifIndex of the data source (the interface that sampled). */
  sourceIfIndex: number;
}

/** Generic interface counters (sFlow counters_sample record 1), from the SNMP model. */
export interface SflowInterfaceCounters {
  ifIndex: number;
  speedBitsPerSecond: number;
  adminUp: boolean;
  operUp: boolean;
  inOctets: bigint;
  inPackets: bigint;
  inDiscards: bigint;
  inErrors: bigint;
  outOctets: bigint;
  outPackets: bigint;
  outDiscards: bigint;
  outErrors: bigint;
}

export interface SflowEncoderOptions {
  /** The agent address (the router's own, 4 or 16 octets). */
  agent: Buffer;
  subAgentId?: number;
  /** MACs of the router's interfaces by ifIndex (the synthesised Ethernet headers use them). */
  macOf?: (ifIndex: number) => Buffer;
}

const SFLOW_FLOW_SAMPLE = 1;
const SFLOW_COUNTER_SAMPLE = 2;
const SFLOW_RAW_HEADER = 1;
const SFLOW_GENERIC_IF = 1;
const ETHERNET = 1;
const flowSampleFixed = 4 * 8; // sequence … flow record count
const rawHeaderFixed = 4 * 4;

/** The headers of a sampled packet: Ethernet + IPv4/IPv6 + TCP/UDP, as a router copies them. */
export function packetHeader(r: LabFlowRecord, frameLength: number, srcMac: Buffer, dstMac: Buffer): Buffer {
  const l4 = r.proto === 6 ? 20 : r.proto === 17 ? 8 : 0;
  const ipLen = r.ipVersion === 4 ? 20 : 40;
  const h = Buffer.alloc(14 + ipLen + l4);
  dstMac.copy(h, 0);
  srcMac.copy(h, 6);
  h.writeUInt16BE(r.ipVersion === 4 ? 0x0800 : 0x86dd, 12);
  const ipTotal = Math.max(ipLen + l4, frameLength - 14);
  let p = 14;
  if (r.ipVersion === 4) {
    h[p] = 0x45;
    h[p + 1] = r.tos;
    h.writeUInt16BE(Math.min(65535, ipTotal), p + 2);
    h.writeUInt16BE(0, p + 4);
    h.writeUInt16BE(0x4000, p + 6); // don't fragment
    h[p + 8] = 62;
    h[p + 9] = r.proto;
    r.src.copy(h, p + 12);
    r.dst.copy(h, p + 16);
    h.writeUInt16BE(ipv4Checksum(h.subarray(p, p + 20)), p + 10);
  } else {
    h.writeUInt32BE(((6 << 28) | (r.tos << 20)) >>> 0, p);
    h.writeUInt16BE(Math.min(65535, ipTotal - 40), p + 4);
    h[p + 6] = r.proto;
    h[p + 7] = 62;
    r.src.copy(h, p + 8);
    r.dst.copy(h, p + 24);
  }
  p += ipLen;
  if (r.proto === 6) {
    h.writeUInt16BE(r.srcPort, p);
    h.writeUInt16BE(r.dstPort, p + 2);
    h.writeUInt32BE(1, p + 4);
    h.writeUInt32BE(1, p + 8);
    h[p + 12] = 5 << 4;
    h[p + 13] = r.tcpFlags & 0xff;
    h.writeUInt16BE(65535, p + 14);
  } else if (r.proto === 17) {
    h.writeUInt16BE(r.srcPort, p);
    h.writeUInt16BE(r.dstPort, p + 2);
    h.writeUInt16BE(Math.min(65535, ipTotal - ipLen), p + 4);
  }
  return h;
}

function ipv4Checksum(h: Buffer): number {
  let s = 0;
  for (let i = 0; i < h.length; i += 2) if (i !== 10) s += h.readUInt16BE(i);
  while (s > 0xffff) s = (s & 0xffff) + (s >>> 16);
  return ~s & 0xffff;
}

const zeroMac = Buffer.alloc(6);

/**
 * sFlow v5 datagrams: flow samples (format 1) with one raw packet header record (Ethernet), and
 * counter samples (format 2) with the generic interface counters. The datagram sequence number
 * counts datagrams; each data source (ifIndex) has its own flow and counter sample sequences.
 */
export class SflowEncoder {
  readonly counters: EncoderCounters = {
    datagrams: 0,
    records: 0,
    templates: 0,
    optionsRecords: 0,
    octets: 0,
  };
  /** Flow samples in each datagram of the last `encode` (in order). */
  lastRecordCounts: number[] = [];
  private sequence = 0;
  private readonly flowSeq = new Map<number, number>();
  private readonly counterSeq = new Map<number, number>();

  constructor(private readonly o: SflowEncoderOptions) {}

  encode(
    samples: readonly SflowPacketSample[],
    counters: readonly SflowInterfaceCounters[],
    ctx: { uptimeMs: number },
  ): Buffer[] {
    const out: Buffer[] = [];
    this.lastRecordCounts = [];
    const agent = this.o.agent;
    let s = 0;
    let c = 0;
    const macOf = this.o.macOf ?? (() => zeroMac);
    do {
      const w = new Writer();
      w.u32(5);
      w.u32(agent.length === 4 ? 1 : 2);
      w.bytes(agent);
      w.u32(this.o.subAgentId ?? 0);
      w.u32(this.sequence + 1);
      w.u32(ctx.uptimeMs >>> 0);
      const countAt = w.pos;
      w.u32(0);
      let n = 0;
      let flows = 0;
      while (c < counters.length && w.pos + 8 + 12 + 8 + 88 <= MAX_DATAGRAM) {
        this.counterSample(w, counters[c]!);
        c++;
        n++;
      }
      while (s < samples.length) {
        const x = samples[s]!;
        const header = packetHeader(x.flow, x.frameLength, macOf(x.flow.inIf), macOf(x.flow.outIf));
        const padded = (header.length + 3) & ~3;
        const len = flowSampleFixed + 8 + rawHeaderFixed + padded;
        if (w.pos + 8 + len > MAX_DATAGRAM) break;
        w.u32(SFLOW_FLOW_SAMPLE);
        w.u32(len);
        const seq = (this.flowSeq.get(x.sourceIfIndex) ?? 0) + 1;
        this.flowSeq.set(x.sourceIfIndex, seq);
        w.u32(seq);
        w.u32(x.sourceIfIndex & 0xffffff); // source type 0 (ifIndex)
        w.u32(x.samplingRate);
        w.u32(x.samplePool);
        w.u32(0); // drops
        w.u32(x.flow.inIf);
        w.u32(x.flow.outIf);
        w.u32(1);
        w.u32(SFLOW_RAW_HEADER);
        w.u32(rawHeaderFixed + padded);
        w.u32(ETHERNET);
        w.u32(x.frameLength);
        w.u32(0); // stripped
        w.u32(header.length);
        w.bytes(header);
        w.pad4();
        s++;
        n++;
        flows++;
      }
      w.buf.writeUInt32BE(n, countAt);
      const d = w.take();
      out.push(d);
      this.lastRecordCounts.push(flows);
      this.sequence = (this.sequence + 1) >>> 0;
      this.counters.datagrams++;
      this.counters.records += flows;
      this.counters.octets += d.length;
    } while (s < samples.length || c < counters.length);
    return out;
  }

  /** Skips `n` datagrams (the router dropped them): the collector sees a sequence gap. */
  skip(n: number): void {
    this.sequence = (this.sequence + n) >>> 0;
  }

  private counterSample(w: Writer, k: SflowInterfaceCounters): void {
    w.u32(SFLOW_COUNTER_SAMPLE);
    w.u32(12 + 8 + 88);
    const seq = (this.counterSeq.get(k.ifIndex) ?? 0) + 1;
    this.counterSeq.set(k.ifIndex, seq);
    w.u32(seq);
    w.u32(k.ifIndex & 0xffffff);
    w.u32(1);
    w.u32(SFLOW_GENERIC_IF);
    w.u32(88);
    w.u32(k.ifIndex);
    w.u32(6); // ethernetCsmacd
    w.u64(k.speedBitsPerSecond);
    w.u32(1); // full duplex
    w.u32((k.adminUp ? 1 : 0) | (k.operUp ? 2 : 0));
    w.u64n(k.inOctets);
    w.u32(Number(BigInt.asUintN(32, k.inPackets)));
    w.u32(0);
    w.u32(0);
    w.u32(Number(BigInt.asUintN(32, k.inDiscards)));
    w.u32(Number(BigInt.asUintN(32, k.inErrors)));
    w.u32(0);
    w.u64n(k.outOctets);
    w.u32(Number(BigInt.asUintN(32, k.outPackets)));
    w.u32(0);
    w.u32(0);
    w.u32(Number(BigInt.asUintN(32, k.outDiscards)));
    w.u32(Number(BigInt.asUintN(32, k.outErrors)));
    w.u32(0);
  }
}
