import { SFLOW_VERSION, type FlowRecord } from '../record.js';
import { ipv6Text, u16, u32 } from './bytes.js';
import type { FlowDecoder } from './decoder.js';
import { trackSequence } from './sequence.js';
import type { DecodeResult, FlowDecodeCounters, FlowSink } from './types.js';

/**
 * sFlow v5 (sflow.org/sflow_version_5.txt): the datagram header, flow samples (0:1) and expanded
 * flow samples (0:3) → one flow record per sample (bytes = the sampled frame's length, packets = 1,
 * samplingRate = the sample's rate), from its raw packet header (0:1: Ethernet, 802.1Q/802.1ad,
 * IPv4, IPv6, TCP/UDP ports and TCP flags) or sampled IPv4/IPv6 record (0:3, 0:4); extended router
 * (0:1002) gives the next hop, extended gateway (0:1003) the AS numbers; other records are skipped
 * by their length. Counter samples (0:2, 0:4) with generic interface counters (0:1) go to
 * `sink.onCounters`. Everything is XDR: 4-byte aligned, lengths checked against their container.
 * sFlow carries no flow times: a record's start and end are the time it was decoded. A sample without
 * an IP header or sampled IP record (a non-IP frame) is counted in `skippedSamples`, not delivered.
 */

/** At most this many samples per datagram and records per sample (a datagram is ≤ 64 KiB). */
const MAX_SAMPLES = 4096;
const MAX_RECORDS = 1024;

// Per sample: whether a record gave the addresses (0 none, 1 raw header, 2 sampled IPv4/IPv6).
let have = 0;

export function decodeSflow(
  d: FlowDecoder,
  b: Uint8Array,
  exporter: string,
  sink: FlowSink,
  c: FlowDecodeCounters,
  r: FlowRecord,
  now: number,
): DecodeResult {
  const end = b.length;
  if (end < 28) return 'truncated';
  const addressType = u32(b, 4);
  let o: number;
  if (addressType === 1) o = 12;
  else if (addressType === 2) o = 24;
  else return 'bad-field';
  if (o + 16 > end) return 'truncated';
  const subAgent = u32(b, o);
  const seq = u32(b, o + 4);
  const samples = u32(b, o + 12);
  o += 16;
  // A datagram that arrived malformed was not lost: its sequence number counts as received.
  trackSequence(d.domain(exporter, SFLOW_VERSION, subAgent).seq, seq, 1, false, c);
  if (samples > MAX_SAMPLES) return 'too-many-records';
  // Structure first: the samples must tile the datagram.
  let p = o;
  for (let i = 0; i < samples; i++) {
    if (p + 8 > end) return 'truncated';
    const len = u32(b, p + 4);
    if (len % 4 !== 0) return 'bad-length';
    if (p + 8 + len > end) return 'truncated';
    p += 8 + len;
  }
  for (let i = 0; i < samples; i++) {
    const format = u32(b, o);
    const len = u32(b, o + 4);
    const body = o + 8;
    o = body + len;
    let result: DecodeResult = 'ok';
    switch (format) {
      case 1:
        result = flowSample(b, body, o, false, subAgent, sink, c, r, now);
        break;
      case 3:
        result = flowSample(b, body, o, true, subAgent, sink, c, r, now);
        break;
      case 2:
        result = counterSample(d, b, body, o, false, subAgent, exporter, sink, c, now);
        break;
      case 4:
        result = counterSample(d, b, body, o, true, subAgent, exporter, sink, c, now);
        break;
      default:
        c.skippedSamples++;
    }
    if (result !== 'ok') return result;
  }
  return 'ok';
}

function flowSample(
  b: Uint8Array,
  o: number,
  end: number,
  expanded: boolean,
  subAgent: number,
  sink: FlowSink,
  c: FlowDecodeCounters,
  r: FlowRecord,
  now: number,
): DecodeResult {
  const head = expanded ? 44 : 32;
  if (o + head > end) return 'bad-sample';
  let rate: number;
  let input: number;
  let output: number;
  let records: number;
  if (expanded) {
    rate = u32(b, o + 12);
    // Expanded interfaces: a format word (0 = ifIndex) and a value word.
    input = u32(b, o + 24) === 0 ? u32(b, o + 28) : 0;
    output = u32(b, o + 32) === 0 ? u32(b, o + 36) : 0;
    records = u32(b, o + 40);
  } else {
    rate = u32(b, o + 8);
    const inRaw = u32(b, o + 20);
    const outRaw = u32(b, o + 24);
    // Compact form: 2 bits of format (0 = ifIndex, 1 = discarded, 2 = several), 30 bits of value.
    input = inRaw >>> 30 === 0 ? inRaw & 0x3fffffff : 0;
    output = outRaw >>> 30 === 0 ? outRaw & 0x3fffffff : 0;
    records = u32(b, o + 28);
  }
  if (records > MAX_RECORDS) return 'too-many-records';
  r.version = SFLOW_VERSION;
  r.domain = subAgent;
  r.ipVersion = 4;
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
  r.inIf = input;
  r.outIf = output;
  r.srcAs = 0;
  r.dstAs = 0;
  r.bytes = 0;
  r.packets = 1;
  r.samplingRate = rate;
  r.startMillis = now;
  r.endMillis = now;
  have = 0;
  let p = o + head;
  for (let i = 0; i < records; i++) {
    if (p + 8 > end) return 'bad-sample';
    const format = u32(b, p);
    const len = u32(b, p + 4);
    const body = p + 8;
    if (len % 4 !== 0 || body + len > end) return 'bad-sample';
    p = body + len;
    switch (format) {
      // Records in order, a later one overriding an earlier (a sampled IPv4/IPv6 record after the raw
      // header gives the IP length, as nfdump's sfcapd and Akvorado count it).
      case 1:
        rawHeader(b, body, p, r);
        break;
      case 3:
        if (len >= 32) {
          r.bytes = u32(b, body);
          r.proto = u32(b, body + 4) & 255;
          r.srcV4 = u32(b, body + 8);
          r.dstV4 = u32(b, body + 12);
          r.srcPort = u32(b, body + 16) & 0xffff;
          r.dstPort = u32(b, body + 20) & 0xffff;
          r.tcpFlags = u32(b, body + 24) & 255;
          r.tos = u32(b, body + 28) & 255;
          r.ipVersion = 4;
          have = 2;
        }
        break;
      case 4:
        if (len >= 56) {
          r.bytes = u32(b, body);
          r.proto = u32(b, body + 4) & 255;
          r.srcV6 = ipv6Text(b, body + 8);
          r.dstV6 = ipv6Text(b, body + 24);
          r.srcPort = u32(b, body + 40) & 0xffff;
          r.dstPort = u32(b, body + 44) & 0xffff;
          r.tcpFlags = u32(b, body + 48) & 255;
          r.tos = u32(b, body + 52) & 255;
          r.ipVersion = 6;
          have = 2;
        }
        break;
      case 1002: // extended router: next hop address
        if (len >= 8) {
          const t = u32(b, body);
          if (t === 1 && len >= 8) r.nextHopV4 = u32(b, body + 4);
          else if (t === 2 && len >= 20) r.nextHopV6 = ipv6Text(b, body + 4);
        }
        break;
      case 1003: // extended gateway: next hop, own AS, source AS, peer AS, destination AS path
        gateway(b, body, p, r);
        break;
      default:
        break; // other records (extended switch, user, URL, …): skipped by their length
    }
  }
  if (have === 0) {
    c.skippedSamples++; // no IP header or sampled IP record (e.g. a non-IP frame)
    return 'ok';
  }
  if (r.ipVersion === 4) {
    r.srcV6 = '';
    r.dstV6 = '';
    r.nextHopV6 = '';
  } else {
    r.srcV4 = 0;
    r.dstV4 = 0;
    r.nextHopV4 = 0;
  }
  c.records++;
  sink.onFlow(r);
  return 'ok';
}

/** Raw packet header (0:1): protocol, frame length, stripped, header length, header bytes. */
function rawHeader(b: Uint8Array, o: number, end: number, r: FlowRecord): void {
  if (o + 16 > end) return;
  const protocol = u32(b, o);
  const frameLength = u32(b, o + 4);
  const headerLength = u32(b, o + 12);
  let p = o + 16;
  const hEnd = Math.min(end, p + headerLength);
  let ether = 0;
  if (protocol === 1) {
    // Ethernet: 14 bytes, then up to two VLAN tags (802.1Q 0x8100, 802.1ad 0x88a8).
    if (p + 14 > hEnd) return;
    ether = u16(b, p + 12);
    p += 14;
    for (let tags = 0; tags < 2 && (ether === 0x8100 || ether === 0x88a8); tags++) {
      if (p + 4 > hEnd) return;
      ether = u16(b, p + 2);
      p += 4;
    }
  } else if (protocol === 11) ether = 0x0800;
  else if (protocol === 12) ether = 0x86dd;
  else return;
  let l4 = -1;
  let proto = 0;
  if (ether === 0x0800) {
    if (p + 20 > hEnd || b[p]! >> 4 !== 4) return;
    const ihl = (b[p]! & 15) * 4;
    r.tos = b[p + 1]!;
    proto = b[p + 9]!;
    r.srcV4 = u32(b, p + 12);
    r.dstV4 = u32(b, p + 16);
    r.ipVersion = 4;
    const fragmentOffset = u16(b, p + 6) & 0x1fff;
    if (fragmentOffset === 0 && ihl >= 20) l4 = p + ihl;
  } else if (ether === 0x86dd) {
    if (p + 40 > hEnd || b[p]! >> 4 !== 6) return;
    r.tos = ((b[p]! & 15) << 4) | (b[p + 1]! >> 4);
    proto = b[p + 6]!;
    r.srcV6 = ipv6Text(b, p + 8);
    r.dstV6 = ipv6Text(b, p + 24);
    r.ipVersion = 6;
    l4 = p + 40;
    // Extension headers: hop-by-hop 0, routing 43, destination options 60 (8-octet units), fragment 44.
    for (let i = 0; i < 4 && l4 >= 0; i++) {
      if (proto === 0 || proto === 43 || proto === 60) {
        if (l4 + 8 > hEnd) {
          l4 = -1;
          break;
        }
        proto = b[l4]!;
        l4 += 8 + b[l4 + 1]! * 8;
      } else if (proto === 44) {
        if (l4 + 8 > hEnd) {
          l4 = -1;
          break;
        }
        const offset = u16(b, l4 + 2) >> 3;
        proto = b[l4]!;
        l4 = offset === 0 ? l4 + 8 : -1;
      } else break;
    }
  } else return;
  r.proto = proto;
  r.bytes = frameLength;
  have = 1;
  if (l4 < 0) return;
  if ((proto === 6 || proto === 17 || proto === 132) && l4 + 4 <= hEnd) {
    r.srcPort = u16(b, l4);
    r.dstPort = u16(b, l4 + 2);
    if (proto === 6 && l4 + 14 <= hEnd) r.tcpFlags = b[l4 + 13]!;
  } else if ((proto === 1 || proto === 58) && l4 + 2 <= hEnd) {
    // ICMP type and code in the destination port, as NetFlow exporters and nfdump do.
    r.dstPort = (b[l4]! << 8) | b[l4 + 1]!;
  }
}

/** Extended gateway (0:1003): next-hop address, as, src_as, src_peer_as, AS path segments. */
function gateway(b: Uint8Array, o: number, end: number, r: FlowRecord): void {
  if (o + 4 > end) return;
  const t = u32(b, o);
  let p = o + (t === 1 ? 8 : t === 2 ? 20 : 0);
  if (p === o || p + 16 > end) return;
  r.srcAs = u32(b, p + 4);
  const segments = u32(b, p + 12);
  p += 16;
  let last = 0;
  for (let i = 0; i < segments && i < 64; i++) {
    if (p + 8 > end) return;
    const n = u32(b, p + 4);
    if (n > 256 || p + 8 + n * 4 > end) return;
    if (n > 0) last = u32(b, p + 8 + (n - 1) * 4);
    p += 8 + n * 4;
  }
  r.dstAs = last;
}

function counterSample(
  d: FlowDecoder,
  b: Uint8Array,
  o: number,
  end: number,
  expanded: boolean,
  subAgent: number,
  exporter: string,
  sink: FlowSink,
  c: FlowDecodeCounters,
  now: number,
): DecodeResult {
  const head = expanded ? 16 : 12;
  if (o + head > end) return 'bad-sample';
  const records = u32(b, o + head - 4);
  if (records > MAX_RECORDS) return 'too-many-records';
  let p = o + head;
  for (let i = 0; i < records; i++) {
    if (p + 8 > end) return 'bad-sample';
    const format = u32(b, p);
    const len = u32(b, p + 4);
    const body = p + 8;
    if (len % 4 !== 0 || body + len > end) return 'bad-sample';
    p = body + len;
    if (format !== 1 || len < 88) {
      c.skippedSamples++;
      continue;
    }
    c.counterSamples++;
    if (sink.onCounters === undefined) continue;
    const k = d.ifCounters;
    k.domain = subAgent;
    k.ifIndex = u32(b, body);
    k.ifType = u32(b, body + 4);
    k.ifSpeed = u32(b, body + 8) * 4294967296 + u32(b, body + 12);
    k.operUp = (u32(b, body + 20) & 2) === 2 ? 1 : 0;
    k.inOctets = u32(b, body + 24) * 4294967296 + u32(b, body + 28);
    k.inUcastPkts = u32(b, body + 32);
    k.inMulticastPkts = u32(b, body + 36);
    k.inBroadcastPkts = u32(b, body + 40);
    k.inDiscards = u32(b, body + 44);
    k.inErrors = u32(b, body + 48);
    k.outOctets = u32(b, body + 56) * 4294967296 + u32(b, body + 60);
    k.outUcastPkts = u32(b, body + 64);
    k.outMulticastPkts = u32(b, body + 68);
    k.outBroadcastPkts = u32(b, body + 72);
    k.outDiscards = u32(b, body + 76);
    k.outErrors = u32(b, body + 80);
    k.timeMillis = now;
    sink.onCounters(exporter, k);
  }
  return 'ok';
}
