/**
 * The decoder's output: one flow record, written into an object the caller owns and reuses (the
 * decoder never allocates one per record). IPv4 addresses are unsigned 32-bit numbers and IPv6
 * addresses text, so the hot path builds no strings for IPv4; `addressText` formats either.
 *
 * Contract between the decoder (`decode/`), the collector and the aggregator:
 * - every field is reset by the decoder for every record (a field the packet lacks is 0 or '');
 * - `bytes`, `packets` are as exported (not sampling-corrected); `samplingRate` is the rate the
 *   decoder found in the packet or the exporter's options data (0 = the exporter said nothing; the
 *   collector then applies the configured or default rate);
 * - times are unix milliseconds (from the packet header's export time and the record's uptime-relative
 *   times, or absolute IPFIX times); 0 when the record has none.
 */
export interface FlowRecord {
  /** 5, 9, 10 (IPFIX) or 0x5f (sFlow v5). */
  version: number;
  /** v9 source id, IPFIX observation domain id, sFlow agent sub-id; 0 for v5. */
  domain: number;
  ipVersion: 4 | 6;
  /** IPv4 as uint32 (when ipVersion is 4), else 0. */
  srcV4: number;
  dstV4: number;
  nextHopV4: number;
  /** IPv6 text (when ipVersion is 6), else ''. */
  srcV6: string;
  dstV6: string;
  nextHopV6: string;
  srcPort: number;
  dstPort: number;
  proto: number;
  tcpFlags: number;
  tos: number;
  inIf: number;
  outIf: number;
  srcAs: number;
  dstAs: number;
  bytes: number;
  packets: number;
  samplingRate: number;
  startMillis: number;
  endMillis: number;
}

export const SFLOW_VERSION = 0x5f;

export function newFlowRecord(): FlowRecord {
  return {
    version: 0,
    domain: 0,
    ipVersion: 4,
    srcV4: 0,
    dstV4: 0,
    nextHopV4: 0,
    srcV6: '',
    dstV6: '',
    nextHopV6: '',
    srcPort: 0,
    dstPort: 0,
    proto: 0,
    tcpFlags: 0,
    tos: 0,
    inIf: 0,
    outIf: 0,
    srcAs: 0,
    dstAs: 0,
    bytes: 0,
    packets: 0,
    samplingRate: 0,
    startMillis: 0,
    endMillis: 0,
  };
}

/** Dotted-quad text of an IPv4 address held as uint32. */
export function ipv4Text(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/** The text of the record's source, destination or next-hop address ('' when it has none). */
export function addressText(r: FlowRecord, which: 'src' | 'dst' | 'nextHop'): string {
  if (r.ipVersion === 6) return which === 'src' ? r.srcV6 : which === 'dst' ? r.dstV6 : r.nextHopV6;
  const n = which === 'src' ? r.srcV4 : which === 'dst' ? r.dstV4 : r.nextHopV4;
  return which === 'nextHop' && n === 0 ? '' : ipv4Text(n);
}
