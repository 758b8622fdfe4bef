/**
 * A deliberately small BER encoder and decoder for SNMP messages, written for the test responders:
 * it lets tests craft answers (good, malformed or hostile) byte by byte.
 */

/** Encodes a BER length. */
export function berLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** Tag, length, content. */
export function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), berLength(content.length), content]);
}

/** A two's-complement INTEGER-like value with the given tag (Integer, Counter32, TimeTicks...). */
export function berInt(n: number | bigint, tag = 0x02): Buffer {
  let v = BigInt(n);
  const bytes: number[] = [];
  // Unsigned application types are encoded as non-negative integers, with a leading zero if needed.
  for (;;) {
    bytes.unshift(Number(v & 0xffn));
    const rest = v >> 8n;
    const signBit = (bytes[0] as number) & 0x80;
    if ((rest === 0n && !signBit) || (rest === -1n && signBit)) break;
    v = rest;
  }
  return tlv(tag, Buffer.from(bytes));
}

export function berOctets(s: string | Buffer, tag = 0x04): Buffer {
  return tlv(tag, Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'));
}

export function berNull(tag = 0x05): Buffer {
  return tlv(tag, Buffer.alloc(0));
}

/** Encodes a dotted OID. */
export function berOid(oid: string): Buffer {
  const arcs = oid
    .replace(/^\./, '')
    .split('.')
    .map((x) => BigInt(x));
  const [a = 0n, b = 0n, ...rest] = arcs;
  const out: number[] = [];
  for (const arc of [a * 40n + b, ...rest]) {
    const group: number[] = [Number(arc & 0x7fn)];
    for (let v = arc >> 7n; v > 0n; v >>= 7n) group.unshift(Number(v & 0x7fn) | 0x80);
    out.push(...group);
  }
  return tlv(0x06, Buffer.from(out));
}

export function berSequence(...parts: Buffer[]): Buffer {
  return tlv(0x30, Buffer.concat(parts));
}

/** Tags of SNMP value and PDU types used by the responders. */
export const Tag = {
  Integer: 0x02,
  OctetString: 0x04,
  Null: 0x05,
  Oid: 0x06,
  Counter32: 0x41,
  Gauge32: 0x42,
  TimeTicks: 0x43,
  Counter64: 0x46,
  EndOfMibView: 0x82,
  GetRequest: 0xa0,
  GetNextRequest: 0xa1,
  Response: 0xa2,
  GetBulkRequest: 0xa5,
} as const;

/** A value the responder puts in a varbind. */
export type ResponderValue =
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'counter32'; value: number }
  | { type: 'gauge32'; value: number }
  | { type: 'timeticks'; value: number }
  | { type: 'counter64'; value: bigint }
  | { type: 'oid'; value: string }
  | { type: 'endOfMibView' }
  | { type: 'raw'; bytes: Buffer };

export function berValue(v: ResponderValue): Buffer {
  switch (v.type) {
    case 'int':
      return berInt(v.value);
    case 'string':
      return berOctets(v.value);
    case 'counter32':
      return berInt(v.value, Tag.Counter32);
    case 'gauge32':
      return berInt(v.value, Tag.Gauge32);
    case 'timeticks':
      return berInt(v.value, Tag.TimeTicks);
    case 'counter64':
      return berInt(v.value, Tag.Counter64);
    case 'oid':
      return berOid(v.value);
    case 'endOfMibView':
      return berNull(Tag.EndOfMibView);
    case 'raw':
      return v.bytes;
  }
}

/** Encodes a v1/v2c response message. */
export function encodeResponse(
  version: number,
  community: string,
  requestId: number,
  varbinds: readonly { oid: string; value: ResponderValue }[],
  errorStatus = 0,
  errorIndex = 0,
): Buffer {
  const vbs = berSequence(...varbinds.map((vb) => berSequence(berOid(vb.oid), berValue(vb.value))));
  const pdu = tlv(
    Tag.Response,
    Buffer.concat([berInt(requestId), berInt(errorStatus), berInt(errorIndex), vbs]),
  );
  return berSequence(berInt(version), berOctets(community), pdu);
}

interface Node {
  tag: number;
  start: number;
  end: number;
}

function readNode(buf: Buffer, at: number): Node {
  if (at + 2 > buf.length) throw new Error('truncated tlv');
  const tag = buf[at] as number;
  let len = buf[at + 1] as number;
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || start + n > buf.length) throw new Error('bad length');
    len = 0;
    for (let i = 0; i < n; i += 1) len = len * 256 + (buf[start + i] as number);
    start += n;
  }
  if (start + len > buf.length) throw new Error('truncated content');
  return { tag, start, end: start + len };
}

function readInt(buf: Buffer, n: Node): number {
  let v = 0;
  for (let i = n.start; i < n.end; i += 1) v = v * 256 + (buf[i] as number);
  if (n.end > n.start && (buf[n.start] as number) & 0x80) v -= 2 ** (8 * (n.end - n.start));
  return v;
}

function readOid(buf: Buffer, n: Node): string {
  const arcs: number[] = [];
  let v = 0;
  for (let i = n.start; i < n.end; i += 1) {
    const b = buf[i] as number;
    v = v * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

/** A decoded v1/v2c request. */
export interface DecodedRequest {
  version: number;
  community: string;
  pduType: number;
  requestId: number;
  /** Error status / non-repeaters. */
  field2: number;
  /** Error index / max-repetitions. */
  field3: number;
  oids: string[];
}

/** Decodes a v1/v2c request; throws on anything else (v3 requests are not supported). */
export function decodeRequest(buf: Buffer): DecodedRequest {
  const msg = readNode(buf, 0);
  const ver = readNode(buf, msg.start);
  const version = readInt(buf, ver);
  const comm = readNode(buf, ver.end);
  const community = buf.subarray(comm.start, comm.end).toString('utf8');
  const pdu = readNode(buf, comm.end);
  const id = readNode(buf, pdu.start);
  const f2 = readNode(buf, id.end);
  const f3 = readNode(buf, f2.end);
  const list = readNode(buf, f3.end);
  const oids: string[] = [];
  for (let at = list.start; at < list.end;) {
    const vb = readNode(buf, at);
    oids.push(readOid(buf, readNode(buf, vb.start)));
    at = vb.end;
  }
  return {
    version,
    community,
    pduType: pdu.tag,
    requestId: readInt(buf, id),
    field2: readInt(buf, f2),
    field3: readInt(buf, f3),
    oids,
  };
}
