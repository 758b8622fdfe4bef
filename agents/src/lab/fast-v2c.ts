/**
 * A fast SNMPv2c responder for lab routers. It answers GET, GETNEXT and GETBULK of a v2c message
 * whose community the router accepts from a table of the router's objects, sorted in OID order,
 * whose OIDs and static values are encoded once; only the moving values (sysUpTime, counters,
 * interface status) are read from the model when a request asks for them, each interface once per
 * request. The answer is encoded by hand into one reused buffer.
 *
 * Everything else (SNMPv1 and v3, SET, unknown communities, anything it cannot decode) it declines
 * with `null`, and the router hands the message to its net-snmp agent, which answers it (or rejects
 * it) as before. The answers are those of the net-snmp agent the router builds from the same model
 * (see fast-v2c.test.ts), with two departures that follow RFC 3416: a GETBULK answers
 * non-repeaters + max-repetitions × repeaters varbinds, a repeater past the end of the MIB
 * answering endOfMibView in each remaining repetition (net-snmp stops at max-repetitions varbinds
 * in all, which is the same with one repeater); and an answer bigger than a UDP datagram is cut
 * short (GETBULK) or becomes tooBig (GET, GETNEXT) instead of failing to send.
 */
import type { InterfaceReading, LldpNeighbourRow, RouterModel } from './router.js';

const TAG_INT = 0x02;
const TAG_OCTETS = 0x04;
const TAG_OID = 0x06;
const TAG_SEQ = 0x30;
const TAG_COUNTER32 = 0x41;
const TAG_GAUGE32 = 0x42;
const TAG_TIMETICKS = 0x43;
const TAG_COUNTER64 = 0x46;
const NO_SUCH_OBJECT = 0x80;
const NO_SUCH_INSTANCE = 0x81;
const END_OF_MIB_VIEW = 0x82;
const PDU_GET = 0xa0;
const PDU_GETNEXT = 0xa1;
const PDU_RESPONSE = 0xa2;
const PDU_GETBULK = 0xa5;
const TOO_BIG = 1;

/** The largest UDP payload over IPv4: no answer is bigger. */
export const maxMessageSize = 65_507;

/** How a value that moves is computed when it is read. */
const enum Dyn {
  None = 0,
  SysUpTime,
  AdminStatus,
  OperStatus,
  LastChange,
  In32,
  InPkts32,
  InDiscards32,
  InErrors32,
  Out32,
  OutPkts32,
  OutDiscards32,
  OutErrors32,
  HcIn,
  HcInPkts,
  HcOut,
  HcOutPkts,
}

/** One object instance of the router: its OID and its value (encoded, or how to compute it). */
interface Entry {
  arcs: number[];
  /** The OID's TLV. */
  oid: Buffer;
  /** The value's TLV; for a moving value, what net-snmp answers without a reading. */
  value: Buffer;
  dyn: Dyn;
  ifIndex: number;
}

/** Counters of what the responder did, for tests and the bench. */
export interface FastV2cStats {
  /** Requests answered by the fast path. */
  answered: number;
  /** Messages handed to net-snmp (other versions, PDU types, communities, undecodable). */
  declined: number;
  /** GETBULK answers cut short to fit a datagram; GET/GETNEXT answered tooBig. */
  truncated: number;
}

// ---- BER encoding helpers (minimal encodings, as net-snmp's asn1-ber writes them) ----

function lengthBytes(n: number): number[] {
  if (n < 0x80) return [n];
  if (n <= 0xff) return [0x81, n];
  if (n <= 0xffff) return [0x82, n >> 8, n & 0xff];
  return [0x83, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag, ...lengthBytes(content.length)]), content]);
}

/** Minimal two's-complement bytes of an integer in −2^31 … 2^32 − 1. */
function intBytes(v: number): number[] {
  const bytes: number[] = [];
  let i = v;
  while (i < -0x80 || i >= 0x80) {
    bytes.push(i & 0xff);
    i = Math.floor(i / 0x100);
  }
  bytes.push(i & 0xff);
  return bytes.reverse();
}

function intTlv(tag: number, v: number): Buffer {
  const b = intBytes(v);
  return Buffer.from([tag, b.length, ...b]);
}

function oidContent(arcs: readonly number[]): Buffer {
  const out: number[] = [];
  const first = arcs.length >= 2 ? (arcs[0] ?? 0) * 40 + (arcs[1] ?? 0) : (arcs[0] ?? 0) * 40;
  const rest = [first, ...arcs.slice(2)];
  for (const arc of rest) {
    const group = [arc % 128];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) group.unshift((v % 128) | 0x80);
    out.push(...group);
  }
  return Buffer.from(out);
}

function oidTlv(arcs: readonly number[]): Buffer {
  return tlv(TAG_OID, oidContent(arcs));
}

const parseOid = (s: string): number[] => s.split('.').map(Number);

function compareArcs(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function isStrictPrefix(prefix: readonly number[], of: readonly number[]): boolean {
  if (prefix.length >= of.length) return false;
  for (let i = 0; i < prefix.length; i++) if (prefix[i] !== of[i]) return false;
  return true;
}

const strTlv = (s: string | Buffer): Buffer =>
  tlv(TAG_OCTETS, Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8'));

// The OIDs the router serves (as router.ts registers them with net-snmp).
const sys = [1, 3, 6, 1, 2, 1, 1];
const ifNumber = [1, 3, 6, 1, 2, 1, 2, 1];
const ifTableEntry = [1, 3, 6, 1, 2, 1, 2, 2, 1];
const ifXTableEntry = [1, 3, 6, 1, 2, 1, 31, 1, 1, 1];
const entPhysicalEntry = [1, 3, 6, 1, 2, 1, 47, 1, 1, 1, 1];
const lldpLocal = [1, 0, 8802, 1, 1, 2, 1, 3];
const lldpLocPortEntry = [1, 0, 8802, 1, 1, 2, 1, 3, 7, 1];
const lldpRemEntry = [1, 0, 8802, 1, 1, 2, 1, 4, 1, 1];
const MAX32 = 0xffff_ffff;
const capRouter = Buffer.from([0x08]);

const ifTableDyn: Partial<Record<number, Dyn>> = {
  7: Dyn.AdminStatus,
  8: Dyn.OperStatus,
  9: Dyn.LastChange,
  10: Dyn.In32,
  11: Dyn.InPkts32,
  13: Dyn.InDiscards32,
  14: Dyn.InErrors32,
  16: Dyn.Out32,
  17: Dyn.OutPkts32,
  19: Dyn.OutDiscards32,
  20: Dyn.OutErrors32,
};
const ifXTableDyn: Partial<Record<number, Dyn>> = {
  6: Dyn.HcIn,
  7: Dyn.HcInPkts,
  10: Dyn.HcOut,
  11: Dyn.HcOutPkts,
};

/** A decoded request, in reused storage. */
interface Request {
  pdu: number;
  requestId: number;
  nonRepeaters: number;
  maxRepetitions: number;
  oids: number[][];
}

/**
 * The fast responder of one router. `answer` returns the response message for a request it
 * handles, or null for one the router's net-snmp agent must handle.
 */
export class FastV2cResponder {
  readonly stats: FastV2cStats = { answered: 0, declined: 0, truncated: 0 };
  private entries: Entry[] = [];
  private readonly staticEntries: Entry[];
  /** OIDs of the registered providers (scalars' objects and tables' entries). */
  private readonly providers: number[][];
  private readonly communities: Buffer[];
  private readonly model: RouterModel;
  private readonly readings = new Map<number, InterfaceReading | undefined>();
  private out = Buffer.allocUnsafe(maxMessageSize + 1024);
  /** Moving values encoded during the current request, per entry (see `dynamic`). */
  private dynCache = Buffer.alloc(0);
  private dynLen = new Uint8Array(0);
  private dynGen = new Uint32Array(0);
  private generation = 0;

  constructor(model: RouterModel, communities: readonly string[]) {
    this.model = model;
    this.communities = communities.map((c) => Buffer.from(c, 'utf8'));
    const { entries, providers } = staticTable(model);
    this.staticEntries = entries;
    this.providers = providers;
    this.refreshLldp(model.neighbours());
  }

  /** Rebuilds the LLDP remote table (the router calls it whenever it rebuilds net-snmp's). */
  refreshLldp(neighbours: readonly LldpNeighbourRow[]): void {
    const rows: Entry[] = [];
    const counts = new Map<number, number>();
    for (const n of neighbours) {
      const idx = (counts.get(n.localIfIndex) ?? 0) + 1;
      counts.set(n.localIfIndex, idx);
      const values: Buffer[] = [
        intTlv(TAG_INT, 4),
        strTlv(n.chassisId),
        intTlv(TAG_INT, 5),
        strTlv(n.portId),
        strTlv(n.portDesc),
        strTlv(n.sysName),
        strTlv(n.sysDesc),
        strTlv(capRouter),
        strTlv(capRouter),
      ];
      values.forEach((value, i) => {
        const arcs = [...lldpRemEntry, 4 + i, n.timeMark, n.localIfIndex, idx];
        rows.push({ arcs, oid: oidTlv(arcs), value, dyn: Dyn.None, ifIndex: 0 });
      });
    }
    // net-snmp keeps one node per OID: a second row with the same index replaces the first.
    const all = [...this.staticEntries, ...rows].sort((a, b) => compareArcs(a.arcs, b.arcs));
    const unique: Entry[] = [];
    for (const e of all) {
      const last = unique[unique.length - 1];
      if (last && compareArcs(last.arcs, e.arcs) === 0) unique[unique.length - 1] = e;
      else unique.push(e);
    }
    this.entries = unique;
    this.dynCache = Buffer.alloc(unique.length * dynSlot);
    this.dynLen = new Uint8Array(unique.length);
    this.dynGen = new Uint32Array(unique.length);
  }

  /** The response to `msg`, or null when net-snmp must handle it. */
  answer(msg: Buffer): Buffer | null {
    let req: Request | null;
    let community: Buffer;
    try {
      const decoded = this.decode(msg);
      if (!decoded) {
        this.stats.declined += 1;
        return null;
      }
      [req, community] = decoded;
    } catch {
      this.stats.declined += 1;
      return null;
    }
    this.readings.clear();
    const out = this.respond(req, community);
    this.readings.clear();
    this.stats.answered += 1;
    return out;
  }

  /** Decodes a v2c GET/GETNEXT/GETBULK with an accepted community; null for anything else. */
  private decode(buf: Buffer): [Request, Buffer] | null {
    const r = new Reader(buf);
    const msgEnd = r.enter(TAG_SEQ);
    if (msgEnd !== buf.length) return null;
    if (r.int() !== 1) return null; // only v2c (version 1)
    const community = r.octets();
    if (!this.communities.some((c) => c.equals(community))) return null;
    const pdu = r.peekTag();
    if (pdu !== PDU_GET && pdu !== PDU_GETNEXT && pdu !== PDU_GETBULK) return null;
    const pduEnd = r.enter(pdu);
    if (pduEnd !== msgEnd) return null;
    const requestId = r.int();
    const f2 = r.int();
    const f3 = r.int();
    const listEnd = r.enter(TAG_SEQ);
    if (listEnd !== pduEnd) return null;
    const oids: number[][] = [];
    while (r.at < listEnd) {
      const vbEnd = r.enter(TAG_SEQ);
      const oid = r.oid();
      if (oid.length === 0) return null;
      r.skip(); // the request's value (NULL)
      if (r.at !== vbEnd) return null;
      oids.push(oid);
    }
    if (r.at !== listEnd) return null;
    return [{ pdu, requestId, nonRepeaters: f2, maxRepetitions: f3, oids }, community];
  }

  private respond(req: Request, community: Buffer): Buffer {
    const out = this.out;
    // Varbinds are written from `start`, leaving room for the header before them.
    const start = 64 + community.length;
    const limit = maxMessageSize - start;
    let at = start;
    let tooBig = false;
    this.generation = (this.generation + 1) >>> 0 || 1;
    const cache = this.dynCache;
    const put = (oid: Buffer, i: number, type: number): boolean => {
      // `i` ≥ 0: the entry's value; otherwise a NULL-like `type` (noSuch…, endOfMibView).
      let src: Buffer | null = null;
      let from = 0;
      let valueLen = 2;
      if (i >= 0) {
        const e = this.entries[i] as Entry;
        const n = e.dyn === Dyn.None ? -1 : this.dynamic(i, e);
        if (n < 0) {
          src = e.value;
          valueLen = src.length;
        } else {
          src = cache;
          from = i * dynSlot;
          valueLen = n;
        }
      }
      const oidLen = oid.length;
      const content = oidLen + valueLen;
      const head = content < 0x80 ? 2 : content <= 0xff ? 3 : 4;
      if (at - start + head + content > limit) return false;
      out[at++] = TAG_SEQ;
      if (head === 2) out[at++] = content;
      else if (head === 3) {
        out[at++] = 0x81;
        out[at++] = content;
      } else {
        out[at++] = 0x82;
        out[at++] = content >> 8;
        out[at++] = content & 0xff;
      }
      for (let k = 0; k < oidLen; k++) out[at++] = oid[k] as number;
      if (src) {
        if (valueLen > 32) {
          src.copy(out, at, from, from + valueLen);
          at += valueLen;
        } else for (let k = 0; k < valueLen; k++) out[at++] = src[from + k] as number;
      } else {
        out[at++] = type;
        out[at++] = 0;
      }
      return true;
    };
    const oids = req.oids;
    if (req.pdu === PDU_GET) {
      for (const oid of oids) {
        const i = this.find(oid);
        const ok =
          i >= 0 ? put((this.entries[i] as Entry).oid, i, 0) : put(echoOid(oid), -1, this.missing(oid));
        if (!ok) {
          tooBig = true;
          break;
        }
      }
    } else if (req.pdu === PDU_GETNEXT) {
      for (const oid of oids) {
        if (!this.putNext(oid, this.after(oid), put)) {
          tooBig = true;
          break;
        }
      }
    } else {
      const n = Math.max(0, Math.min(req.nonRepeaters, oids.length));
      const m = Math.max(0, req.maxRepetitions);
      let full = true;
      for (let k = 0; k < n && full; k++)
        full = this.putNext(oids[k] as number[], this.after(oids[k] as number[]), put);
      // Each repeater's position: the entry index of its last answer (or −1 before the first).
      const reps = oids.length - n;
      const cursor: number[] = [];
      // Each repeater's last OID: the requested one, then the last one answered.
      const last: number[][] = [];
      for (let k = n; k < oids.length; k++) {
        cursor.push(this.after(oids[k] as number[]));
        last.push(oids[k] as number[]);
      }
      const count = this.entries.length;
      const cursor0 = cursor.slice();
      for (let rep = 0; rep < m && full && reps > 0; rep++) {
        for (let k = 0; k < reps && full; k++) {
          const i = cursor[k] as number;
          if (i < count) {
            const e = this.entries[i] as Entry;
            full = put(e.oid, i, 0);
            cursor[k] = i + 1;
            last[k] = e.arcs;
          } else if (i > cursor0[k]!) {
            // Off the end after answering the last instance: endOfMibView at its OID.
            full = put((this.entries[count - 1] as Entry).oid, -1, END_OF_MIB_VIEW);
          } else {
            // Off the end at once: answered for the requested OID, as net-snmp does.
            full = this.putNext(last[k] as number[], count, put);
          }
        }
      }
      if (!full) this.stats.truncated += 1;
    }
    if (tooBig) {
      this.stats.truncated += 1;
      at = start;
    }
    // Header: SEQUENCE { version 1, community, Response { request-id, error-status, error-index, varbinds } }.
    const vbLen = at - start;
    const reqId = intBytes(req.requestId);
    const errorStatus = tooBig ? TOO_BIG : 0;
    const vbHead = lengthBytes(vbLen);
    const pduLen = 2 + reqId.length + 3 + 3 + 1 + vbHead.length + vbLen;
    const pduHead = lengthBytes(pduLen);
    const msgLen =
      3 + 1 + lengthBytes(community.length).length + community.length + 1 + pduHead.length + pduLen;
    const msgHead = lengthBytes(msgLen);
    const header = [TAG_SEQ, ...msgHead, TAG_INT, 1, 1, TAG_OCTETS, ...lengthBytes(community.length)];
    const tail = [
      PDU_RESPONSE,
      ...pduHead,
      TAG_INT,
      reqId.length,
      ...reqId,
      TAG_INT,
      1,
      errorStatus,
      TAG_INT,
      1,
      0,
      TAG_SEQ,
      ...vbHead,
    ];
    const total = header.length + community.length + tail.length + vbLen;
    const msg = Buffer.allocUnsafe(total);
    let p = 0;
    for (const b of header) msg[p++] = b;
    community.copy(msg, p);
    p += community.length;
    for (const b of tail) msg[p++] = b;
    out.copy(msg, p, start, at);
    return msg;
  }

  /** Writes the GETNEXT answer for `from` whose successor is entry `i` (count: none). */
  private putNext(
    from: number[],
    i: number,
    put: (oid: Buffer, i: number, type: number) => boolean,
  ): boolean {
    if (i < this.entries.length) return put((this.entries[i] as Entry).oid, i, 0);
    // net-snmp answers the start OID: endOfMibView when it is an instance, otherwise as a GET does.
    const type = this.find(from) >= 0 ? END_OF_MIB_VIEW : this.missing(from);
    return put(echoOid(from), -1, type);
  }

  /** Index of the entry for `oid`, or −1. */
  private find(oid: readonly number[]): number {
    const i = this.lowerBound(oid);
    const e = this.entries[i];
    return e && compareArcs(e.arcs, oid) === 0 ? i : -1;
  }

  /** Index of the first entry ≥ oid. */
  private lowerBound(oid: readonly number[]): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareArcs((this.entries[mid] as Entry).arcs, oid) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Index of the first entry > oid (entries.length when none). */
  private after(oid: readonly number[]): number {
    const i = this.lowerBound(oid);
    const e = this.entries[i];
    return e && compareArcs(e.arcs, oid) === 0 ? i + 1 : i;
  }

  /**
   * What a GET of an OID that is no instance answers, as net-snmp decides it: noSuchInstance under
   * a registered object or table entry or for an OID on the way to instances, noSuchObject otherwise.
   */
  private missing(oid: readonly number[]): number {
    const next = this.entries[this.lowerBound(oid)];
    if (next && isStrictPrefix(oid, next.arcs)) return NO_SUCH_INSTANCE;
    for (const p of this.providers) if (isStrictPrefix(p, oid)) return NO_SUCH_INSTANCE;
    return NO_SUCH_OBJECT;
  }

  private reading(ifIndex: number): InterfaceReading | undefined {
    if (this.readings.has(ifIndex)) return this.readings.get(ifIndex);
    const x = this.model.read(ifIndex);
    this.readings.set(ifIndex, x);
    return x;
  }

  /** The moving value of an entry now, as a number or a Counter64 bigint; undefined: the static one. */
  private dynValue(e: Entry): number | bigint | undefined {
    if (e.dyn === Dyn.SysUpTime) return this.model.upTimeTicks();
    const x = this.reading(e.ifIndex);
    if (!x) return undefined;
    switch (e.dyn) {
      case Dyn.AdminStatus:
        return x.adminUp ? 1 : 2;
      case Dyn.OperStatus:
        return x.operUp ? 1 : 2;
      case Dyn.LastChange:
        return x.lastChangeTicks;
      case Dyn.In32:
        return mask32(x.hcInOctets);
      case Dyn.InPkts32:
        return mask32(x.hcInPkts);
      case Dyn.InDiscards32:
        return mask32(x.inDiscards);
      case Dyn.InErrors32:
        return mask32(x.inErrors);
      case Dyn.Out32:
        return mask32(x.hcOutOctets);
      case Dyn.OutPkts32:
        return mask32(x.hcOutPkts);
      case Dyn.OutDiscards32:
        return mask32(x.outDiscards);
      case Dyn.OutErrors32:
        return mask32(x.outErrors);
      case Dyn.HcIn:
        return x.hcInOctets;
      case Dyn.HcInPkts:
        return x.hcInPkts;
      case Dyn.HcOut:
        return x.hcOutOctets;
      case Dyn.HcOutPkts:
        return x.hcOutPkts;
      default:
        return undefined;
    }
  }

  /**
   * Encodes entry `i`'s moving value (once per request) into its slot of the cache; returns the
   * length of its TLV, or −1 for the static value (no reading of the interface).
   */
  private dynamic(i: number, e: Entry): number {
    const at = i * dynSlot;
    if (this.dynGen[i] === this.generation) {
      const n = this.dynLen[i] as number;
      return n === 255 ? -1 : n;
    }
    const v = this.dynValue(e);
    let n = -1;
    if (v !== undefined) {
      const c = this.dynCache;
      c[at] = e.value[0] as number; // the value's tag
      let len: number;
      if (typeof v === 'bigint') {
        const u = BigInt.asUintN(64, v);
        const hi = Number(u >> 32n);
        const lo = Number(u & 0xffff_ffffn);
        if (hi === 0) len = writeUnsigned(c, at + 2, lo);
        else {
          len = writeUnsigned(c, at + 2, hi);
          const p = at + 2 + len;
          c[p] = lo >>> 24;
          c[p + 1] = (lo >>> 16) & 0xff;
          c[p + 2] = (lo >>> 8) & 0xff;
          c[p + 3] = lo & 0xff;
          len += 4;
        }
      } else len = writeUnsigned(c, at + 2, v);
      c[at + 1] = len;
      n = len + 2;
    }
    this.dynGen[i] = this.generation;
    this.dynLen[i] = n < 0 ? 255 : n;
    return n;
  }
}

/** Bytes of a cache slot: tag, length and up to 9 content bytes. */
const dynSlot = 12;

/** Writes 0 ≤ v < 2^32 as the content of a minimal non-negative BER integer; returns its length. */
function writeUnsigned(b: Buffer, at: number, v: number): number {
  const n = v < 0x80 ? 1 : v < 0x8000 ? 2 : v < 0x80_0000 ? 3 : v < 0x8000_0000 ? 4 : 5;
  for (let k = n - 1, x = v; k >= 0; k--, x = Math.floor(x / 256)) b[at + k] = x & 0xff;
  return n;
}

const mask32 = (v: bigint): number => Number(v & 0xffff_ffffn);

const shortOid = oidTlv([1, 3, 6, 1]);

/** The OID of an answer that names the requested OID (net-snmp answers 1.3.6.1 for one under 4 arcs). */
function echoOid(arcs: readonly number[]): Buffer {
  return arcs.length < 4 ? shortOid : oidTlv(arcs);
}

/** The router's objects but the LLDP remote table, as router.ts fills net-snmp's MIB. */
function staticTable(m: RouterModel): { entries: Entry[]; providers: number[][] } {
  const entries: Entry[] = [];
  const providers: number[][] = [];
  const add = (arcs: number[], value: Buffer, dyn = Dyn.None, ifIndex = 0): void => {
    entries.push({ arcs, oid: oidTlv(arcs), value, dyn, ifIndex });
  };
  const scalar = (object: number[], value: Buffer | null, dyn = Dyn.None): void => {
    providers.push(object);
    if (value) add([...object, 0], value, dyn);
  };
  const q = m.quirks;
  if (q.systemGroup) {
    scalar([...sys, 1], strTlv(m.sysDescr));
    scalar([...sys, 2], oidTlv(parseOid(m.sysObjectId)));
    // With the quirk the object is registered without its instance: sysUpTime.0 is noSuchInstance.
    scalar([...sys, 3], q.sysUpTime === 'noSuchInstance' ? null : intTlv(TAG_TIMETICKS, 0), Dyn.SysUpTime);
    scalar([...sys, 4], strTlv('tianshu lab'));
    scalar([...sys, 5], strTlv(m.deviceId));
    scalar([...sys, 6], strTlv(m.sysLocation));
    scalar([...sys, 7], intTlv(TAG_INT, 6));
  }
  scalar(ifNumber, intTlv(TAG_INT, m.interfaces.length));

  providers.push(ifTableEntry);
  if (q.ifXTable) providers.push(ifXTableEntry);
  for (const i of m.interfaces) {
    const speedBps = Math.min(i.speedMbps * 1_000_000, MAX32);
    const ifRow: [number, Buffer][] = [
      [1, intTlv(TAG_INT, i.ifIndex)],
      [2, strTlv(i.name)],
      [3, intTlv(TAG_INT, 6)],
      [4, intTlv(TAG_INT, 1500)],
      [5, intTlv(TAG_GAUGE32, speedBps)],
      [6, strTlv(i.mac)],
      [7, intTlv(TAG_INT, 1)],
      [8, intTlv(TAG_INT, 1)],
      [9, intTlv(TAG_TIMETICKS, 0)],
      [10, intTlv(TAG_COUNTER32, 0)],
      [11, intTlv(TAG_COUNTER32, 0)],
      [13, intTlv(TAG_COUNTER32, 0)],
      [14, intTlv(TAG_COUNTER32, 0)],
      [15, intTlv(TAG_COUNTER32, 0)],
      [16, intTlv(TAG_COUNTER32, 0)],
      [17, intTlv(TAG_COUNTER32, 0)],
      [19, intTlv(TAG_COUNTER32, 0)],
      [20, intTlv(TAG_COUNTER32, 0)],
    ];
    for (const [col, value] of ifRow)
      add([...ifTableEntry, col, i.ifIndex], value, ifTableDyn[col], i.ifIndex);
    if (!q.ifXTable) continue;
    const zero64 = tlv(TAG_COUNTER64, Buffer.alloc(8));
    const xRow: [number, Buffer][] = [
      [1, strTlv(i.name)],
      [6, zero64],
      [7, zero64],
      [10, zero64],
      [11, zero64],
      [14, intTlv(TAG_INT, 1)],
      [15, intTlv(TAG_GAUGE32, i.speedMbps)],
      [16, intTlv(TAG_INT, 2)],
      [17, intTlv(TAG_INT, 1)],
      [18, strTlv(i.alias)],
      [19, intTlv(TAG_TIMETICKS, 0)],
    ];
    for (const [col, value] of xRow)
      add([...ifXTableEntry, col, i.ifIndex], value, ifXTableDyn[col], i.ifIndex);
  }

  if (q.entityMib) {
    providers.push(entPhysicalEntry);
    const e = m.entity;
    // Column 1 (entPhysicalIndex) is not-accessible: net-snmp has no instance for it.
    const row: Buffer[] = [
      strTlv(e.descr),
      oidTlv(parseOid(m.sysObjectId)),
      intTlv(TAG_INT, 0),
      intTlv(TAG_INT, 3),
      intTlv(TAG_INT, -1),
      strTlv(e.name),
      strTlv(e.hardwareRev),
      strTlv(e.firmwareRev),
      strTlv(e.softwareRev),
      strTlv(e.serial),
      strTlv(e.vendor),
      strTlv(e.model),
      strTlv(''),
      strTlv(''),
      intTlv(TAG_INT, 2),
    ];
    row.forEach((value, k) => add([...entPhysicalEntry, k + 2, 1], value));
  }

  scalar([...lldpLocal, 1], intTlv(TAG_INT, 4));
  scalar([...lldpLocal, 2], strTlv(m.chassisId));
  scalar([...lldpLocal, 3], strTlv(m.deviceId));
  scalar([...lldpLocal, 4], strTlv(m.sysDescr));
  providers.push(lldpLocPortEntry);
  for (const i of m.interfaces) {
    add([...lldpLocPortEntry, 2, i.ifIndex], intTlv(TAG_INT, 5));
    add([...lldpLocPortEntry, 3, i.ifIndex], strTlv(i.name));
    add([...lldpLocPortEntry, 4, i.ifIndex], strTlv(i.alias));
  }
  providers.push(lldpRemEntry);
  return { entries, providers };
}

/** A strict reader of the BER a request is made of; throws on anything malformed. */
class Reader {
  at = 0;

  constructor(private readonly buf: Buffer) {}

  peekTag(): number {
    if (this.at >= this.buf.length) throw new Error('truncated');
    return this.buf[this.at] as number;
  }

  /** Reads a tag and length; returns where the content ends. */
  private header(tag: number): number {
    const b = this.buf;
    if (b[this.at] !== tag) throw new Error(`expected tag ${tag}`);
    this.at += 1;
    if (this.at >= b.length) throw new Error('truncated');
    let len = b[this.at++] as number;
    if (len & 0x80) {
      const n = len & 0x7f;
      if (n === 0 || n > 3 || this.at + n > b.length) throw new Error('bad length');
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + (b[this.at++] as number);
    }
    const end = this.at + len;
    if (end > b.length) throw new Error('truncated');
    return end;
  }

  enter(tag: number): number {
    return this.header(tag);
  }

  int(): number {
    const end = this.header(TAG_INT);
    const n = end - this.at;
    if (n < 1 || n > 4) throw new Error('integer size');
    let v = 0;
    for (let i = this.at; i < end; i++) v = v * 256 + (this.buf[i] as number);
    if ((this.buf[this.at] as number) & 0x80) v -= 2 ** (8 * n);
    this.at = end;
    return v;
  }

  octets(): Buffer {
    const end = this.header(TAG_OCTETS);
    const s = this.buf.subarray(this.at, end);
    this.at = end;
    return s;
  }

  oid(): number[] {
    const end = this.header(TAG_OID);
    const arcs: number[] = [];
    let v = 0;
    let bytes = 0;
    for (let i = this.at; i < end; i++) {
      const b = this.buf[i] as number;
      v = v * 128 + (b & 0x7f);
      if (++bytes > 5) throw new Error('oid arc too large');
      if (!(b & 0x80)) {
        if (arcs.length === 0) {
          if (v < 40) arcs.push(0, v);
          else if (v < 80) arcs.push(1, v - 40);
          else arcs.push(2, v - 80);
        } else arcs.push(v);
        v = 0;
        bytes = 0;
      }
    }
    if (bytes !== 0) throw new Error('truncated oid');
    this.at = end;
    return arcs;
  }

  /** Skips one TLV. */
  skip(): void {
    const tag = this.peekTag();
    this.at = this.header(tag);
  }
}
