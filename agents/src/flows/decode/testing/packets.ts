/**
 * Builders of NetFlow v5 / v9, IPFIX and sFlow v5 datagrams for tests and the benchmark. They write
 * what the RFCs say, so tests can state a packet field by field; the decoder is checked against
 * real exporters' packets elsewhere (softflowd, nfreplay, recorded sFlow).
 */
import { isIPv4 } from 'node:net';

export type FieldValue = number | bigint | string | Buffer;

/** One template field: IANA element id, length, and (IPFIX) enterprise number. */
export interface FieldSpec {
  id: number;
  length: number;
  enterprise?: number;
}

function ipv4Bytes(s: string): Buffer {
  return Buffer.from(s.split('.').map(Number));
}

export function ipv6Bytes(s: string): Buffer {
  const [head, tail] = s.split('::') as [string, string | undefined];
  const part = (x: string | undefined) => (x === undefined || x === '' ? [] : x.split(':'));
  const h = part(head);
  const t = part(tail);
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(parseInt(g, 16), i * 2));
  return out;
}

/** A value as `length` big-endian bytes (addresses given as text). */
export function encode(value: FieldValue, length: number): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return isIPv4(value) ? ipv4Bytes(value) : ipv6Bytes(value);
  const out = Buffer.alloc(length);
  let v = BigInt(value);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 255n);
    v >>= 8n;
  }
  return out;
}

/** A variable-length IPFIX value: 1-byte length below 255, else 255 and a 2-byte length. */
export function varlen(content: Buffer, long = content.length >= 255): Buffer {
  if (!long) return Buffer.concat([Buffer.from([content.length]), content]);
  const h = Buffer.alloc(3);
  h[0] = 255;
  h.writeUInt16BE(content.length, 1);
  return Buffer.concat([h, content]);
}

export interface V5Flow {
  src: string;
  dst: string;
  nextHop?: string;
  inIf?: number;
  outIf?: number;
  packets: number;
  bytes: number;
  first?: number;
  last?: number;
  srcPort?: number;
  dstPort?: number;
  tcpFlags?: number;
  proto?: number;
  tos?: number;
  srcAs?: number;
  dstAs?: number;
}

export function v5Packet(
  flows: V5Flow[],
  h: {
    uptime?: number;
    secs?: number;
    nsecs?: number;
    sequence?: number;
    engine?: number;
    sampling?: number;
  } = {},
): Buffer {
  const b = Buffer.alloc(24 + 48 * flows.length);
  b.writeUInt16BE(5, 0);
  b.writeUInt16BE(flows.length, 2);
  b.writeUInt32BE(h.uptime ?? 100_000, 4);
  b.writeUInt32BE(h.secs ?? 1_700_000_000, 8);
  b.writeUInt32BE(h.nsecs ?? 0, 12);
  b.writeUInt32BE(h.sequence ?? 0, 16);
  b.writeUInt16BE(h.engine ?? 0, 20);
  b.writeUInt16BE(h.sampling ?? 0, 22);
  flows.forEach((f, i) => {
    const o = 24 + i * 48;
    ipv4Bytes(f.src).copy(b, o);
    ipv4Bytes(f.dst).copy(b, o + 4);
    ipv4Bytes(f.nextHop ?? '0.0.0.0').copy(b, o + 8);
    b.writeUInt16BE(f.inIf ?? 0, o + 12);
    b.writeUInt16BE(f.outIf ?? 0, o + 14);
    b.writeUInt32BE(f.packets, o + 16);
    b.writeUInt32BE(f.bytes, o + 20);
    b.writeUInt32BE(f.first ?? 0, o + 24);
    b.writeUInt32BE(f.last ?? 0, o + 28);
    b.writeUInt16BE(f.srcPort ?? 0, o + 32);
    b.writeUInt16BE(f.dstPort ?? 0, o + 34);
    b[o + 37] = f.tcpFlags ?? 0;
    b[o + 38] = f.proto ?? 0;
    b[o + 39] = f.tos ?? 0;
    b.writeUInt16BE(f.srcAs ?? 0, o + 40);
    b.writeUInt16BE(f.dstAs ?? 0, o + 42);
  });
  return b;
}

function set(id: number, body: Buffer, pad4 = false): Buffer {
  const padding = pad4 ? (4 - (body.length % 4)) % 4 : 0;
  const h = Buffer.alloc(4);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(4 + body.length + padding, 2);
  return Buffer.concat([h, body, Buffer.alloc(padding)]);
}

function fieldSpecs(fields: FieldSpec[]): Buffer {
  return Buffer.concat(
    fields.map((f) => {
      const b = Buffer.alloc(f.enterprise === undefined ? 4 : 8);
      b.writeUInt16BE(f.enterprise === undefined ? f.id : f.id | 0x8000, 0);
      b.writeUInt16BE(f.length, 2);
      if (f.enterprise !== undefined) b.writeUInt32BE(f.enterprise, 4);
      return b;
    }),
  );
}

/** A template set (v9 id 0, IPFIX id 2) with one or more templates; `fields: []` = IPFIX withdrawal. */
export function templateSet(version: 9 | 10, templates: { id: number; fields: FieldSpec[] }[]): Buffer {
  return set(
    version === 9 ? 0 : 2,
    Buffer.concat(
      templates.map((t) => {
        const h = Buffer.alloc(4);
        h.writeUInt16BE(t.id, 0);
        h.writeUInt16BE(t.fields.length, 2);
        return Buffer.concat([h, fieldSpecs(t.fields)]);
      }),
    ),
  );
}

/** An options template set (v9 id 1, IPFIX id 3). */
export function optionsTemplateSet(
  version: 9 | 10,
  id: number,
  scope: FieldSpec[],
  fields: FieldSpec[],
): Buffer {
  let h: Buffer;
  if (version === 9) {
    h = Buffer.alloc(6);
    h.writeUInt16BE(id, 0);
    h.writeUInt16BE(scope.length * 4, 2);
    h.writeUInt16BE(fields.length * 4, 4);
  } else {
    h = Buffer.alloc(6);
    h.writeUInt16BE(id, 0);
    h.writeUInt16BE(scope.length + fields.length, 2);
    h.writeUInt16BE(scope.length, 4);
  }
  return set(version === 9 ? 1 : 3, Buffer.concat([h, fieldSpecs(scope), fieldSpecs(fields)]), version === 9);
}

/** A data set of records, each a list of values in the template's field order. */
export function dataSet(id: number, fields: FieldSpec[], records: FieldValue[][]): Buffer {
  return set(
    id,
    Buffer.concat(
      records.flatMap((values) =>
        values.map((v, i) => (Buffer.isBuffer(v) ? v : encode(v, fields[i]!.length))),
      ),
    ),
  );
}

export function v9Packet(
  sets: Buffer[],
  h: { uptime?: number; secs?: number; sequence?: number; sourceId?: number } = {},
): Buffer {
  const b = Buffer.alloc(20);
  b.writeUInt16BE(9, 0);
  b.writeUInt16BE(sets.length, 2);
  b.writeUInt32BE(h.uptime ?? 100_000, 4);
  b.writeUInt32BE(h.secs ?? 1_700_000_000, 8);
  b.writeUInt32BE(h.sequence ?? 0, 12);
  b.writeUInt32BE(h.sourceId ?? 0, 16);
  return Buffer.concat([b, ...sets]);
}

export function ipfixPacket(
  sets: Buffer[],
  h: { secs?: number; sequence?: number; domain?: number } = {},
): Buffer {
  const body = Buffer.concat(sets);
  const b = Buffer.alloc(16);
  b.writeUInt16BE(10, 0);
  b.writeUInt16BE(16 + body.length, 2);
  b.writeUInt32BE(h.secs ?? 1_700_000_000, 4);
  b.writeUInt32BE(h.sequence ?? 0, 8);
  b.writeUInt32BE(h.domain ?? 0, 12);
  return Buffer.concat([b, body]);
}

// ------------------------------------------------------------------ sFlow v5

function xdr(...words: number[]): Buffer {
  const b = Buffer.alloc(words.length * 4);
  words.forEach((w, i) => b.writeUInt32BE(w >>> 0, i * 4));
  return b;
}

function pad4(b: Buffer): Buffer {
  const p = (4 - (b.length % 4)) % 4;
  return p === 0 ? b : Buffer.concat([b, Buffer.alloc(p)]);
}

/** An sFlow record or sample: format, length, body. */
function tlv(format: number, body: Buffer): Buffer {
  return Buffer.concat([xdr(format, body.length), body]);
}

export interface SampledPacket {
  src: string;
  dst: string;
  proto: number;
  srcPort?: number;
  dstPort?: number;
  tcpFlags?: number;
  tos?: number;
  frameLength: number;
  vlan?: number;
}

/** An Ethernet frame header (+ optional 802.1Q tag) with an IPv4/IPv6 header and TCP/UDP ports. */
export function frameHeader(p: SampledPacket): Buffer {
  const v6 = !isIPv4(p.src);
  const eth = Buffer.alloc(p.vlan === undefined ? 14 : 18);
  eth.fill(0x02, 0, 12);
  if (p.vlan !== undefined) {
    eth.writeUInt16BE(0x8100, 12);
    eth.writeUInt16BE(p.vlan, 14);
  }
  eth.writeUInt16BE(v6 ? 0x86dd : 0x0800, eth.length - 2);
  let ip: Buffer;
  const payload = p.frameLength - eth.length;
  if (v6) {
    ip = Buffer.alloc(40);
    ip.writeUInt32BE((6 << 28) | ((p.tos ?? 0) << 20), 0);
    ip.writeUInt16BE(Math.max(0, payload - 40), 4);
    ip[6] = p.proto;
    ip[7] = 64;
    ipv6Bytes(p.src).copy(ip, 8);
    ipv6Bytes(p.dst).copy(ip, 24);
  } else {
    ip = Buffer.alloc(20);
    ip[0] = 0x45;
    ip[1] = p.tos ?? 0;
    ip.writeUInt16BE(Math.max(0, payload), 2);
    ip[8] = 64;
    ip[9] = p.proto;
    ipv4Bytes(p.src).copy(ip, 12);
    ipv4Bytes(p.dst).copy(ip, 16);
  }
  const l4 = Buffer.alloc(p.proto === 6 ? 20 : 8);
  l4.writeUInt16BE(p.srcPort ?? 0, 0);
  l4.writeUInt16BE(p.dstPort ?? 0, 2);
  if (p.proto === 6) {
    l4[12] = 0x50;
    l4[13] = p.tcpFlags ?? 0;
  }
  return Buffer.concat([eth, ip, l4]);
}

/** Flow record: raw packet header (0:1) of an Ethernet frame. */
export function rawHeaderRecord(p: SampledPacket): Buffer {
  const h = frameHeader(p);
  return tlv(1, Buffer.concat([xdr(1, p.frameLength, 4, h.length), pad4(h)]));
}

/** Flow record: sampled IPv4 (0:3) or IPv6 (0:4). */
export function sampledIpRecord(p: SampledPacket): Buffer {
  if (isIPv4(p.src)) {
    return tlv(
      3,
      Buffer.concat([
        xdr(p.frameLength, p.proto),
        ipv4Bytes(p.src),
        ipv4Bytes(p.dst),
        xdr(p.srcPort ?? 0, p.dstPort ?? 0, p.tcpFlags ?? 0, p.tos ?? 0),
      ]),
    );
  }
  return tlv(
    4,
    Buffer.concat([
      xdr(p.frameLength, p.proto),
      ipv6Bytes(p.src),
      ipv6Bytes(p.dst),
      xdr(p.srcPort ?? 0, p.dstPort ?? 0, p.tcpFlags ?? 0, p.tos ?? 0),
    ]),
  );
}

/** Flow sample (0:1) or expanded flow sample (0:3) with the given records. */
export function flowSample(
  s: { sequence?: number; rate: number; input: number; output: number; expanded?: boolean },
  records: Buffer[],
): Buffer {
  const body = s.expanded
    ? xdr(s.sequence ?? 0, 0, s.input, s.rate, 0, 0, 0, s.input, 0, s.output, records.length)
    : xdr(s.sequence ?? 0, s.input, s.rate, 0, 0, s.input, s.output, records.length);
  return tlv(s.expanded ? 3 : 1, Buffer.concat([body, ...records]));
}

export interface GenericCounters {
  ifIndex: number;
  ifSpeed?: number;
  up?: boolean;
  inOctets: bigint;
  outOctets: bigint;
  inUcastPkts?: number;
  outUcastPkts?: number;
}

/** Counter sample (0:2) with one generic interface counters record (0:1). */
export function counterSample(c: GenericCounters, sequence = 0): Buffer {
  const rec = Buffer.alloc(88);
  rec.writeUInt32BE(c.ifIndex, 0);
  rec.writeUInt32BE(6, 4);
  rec.writeBigUInt64BE(BigInt(c.ifSpeed ?? 1_000_000_000), 8);
  rec.writeUInt32BE(1, 16);
  rec.writeUInt32BE(c.up === false ? 0 : 3, 20);
  rec.writeBigUInt64BE(c.inOctets, 24);
  rec.writeUInt32BE(c.inUcastPkts ?? 0, 32);
  rec.writeBigUInt64BE(c.outOctets, 56);
  rec.writeUInt32BE(c.outUcastPkts ?? 0, 64);
  return tlv(2, Buffer.concat([xdr(sequence, c.ifIndex, 1), tlv(1, rec)]));
}

export function sflowDatagram(
  samples: Buffer[],
  h: { agent?: string; subAgent?: number; sequence?: number; uptime?: number } = {},
): Buffer {
  const agent = h.agent ?? '192.0.2.1';
  const v6 = !isIPv4(agent);
  return Buffer.concat([
    xdr(5, v6 ? 2 : 1),
    v6 ? ipv6Bytes(agent) : ipv4Bytes(agent),
    xdr(h.subAgent ?? 0, h.sequence ?? 0, h.uptime ?? 100_000, samples.length),
    ...samples,
  ]);
}
