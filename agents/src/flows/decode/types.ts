import type { FlowMalformedReason } from '@tianshu/protocol';
import type { FlowRecord } from '../record.js';

/**
 * Where the decoder delivers what it found. `onFlow` is called once per flow record with the same
 * reused `FlowRecord` object every time (copy what you keep; never hold on to the object).
 */
export interface FlowSink {
  onFlow(record: FlowRecord): void;
  /**
   * sFlow counter samples with generic interface counters (format 0:1), for the flow-vs-SNMP
   * reconciliation. `counters` is reused like the flow record. Optional: without it they are skipped.
   */
  onCounters?(exporter: string, counters: InterfaceCounters): void;
}

/** sFlow generic interface counters (sFlow v5 `if_counters`, enterprise 0 format 1). */
export interface InterfaceCounters {
  /** sFlow sub-agent id of the datagram. */
  domain: number;
  ifIndex: number;
  ifType: number;
  /** Bits per second. */
  ifSpeed: number;
  /** 1 = up, from ifStatus bit 1 (ifOperStatus); 0 = down. */
  operUp: 0 | 1;
  inOctets: number;
  inUcastPkts: number;
  inMulticastPkts: number;
  inBroadcastPkts: number;
  inDiscards: number;
  inErrors: number;
  outOctets: number;
  outUcastPkts: number;
  outMulticastPkts: number;
  outBroadcastPkts: number;
  outDiscards: number;
  outErrors: number;
  /** When the datagram was decoded (sFlow carries no absolute time), unix milliseconds. */
  timeMillis: number;
}

export function newInterfaceCounters(): InterfaceCounters {
  return {
    domain: 0,
    ifIndex: 0,
    ifType: 0,
    ifSpeed: 0,
    operUp: 0,
    inOctets: 0,
    inUcastPkts: 0,
    inMulticastPkts: 0,
    inBroadcastPkts: 0,
    inDiscards: 0,
    inErrors: 0,
    outOctets: 0,
    outUcastPkts: 0,
    outMulticastPkts: 0,
    outBroadcastPkts: 0,
    outDiscards: 0,
    outErrors: 0,
    timeMillis: 0,
  };
}

/**
 * What the decoder counts for one exporter. The caller owns the object (one per exporter, usually
 * reset or diffed every minute); the decoder only adds to it, except that a late (reordered) datagram
 * takes back a loss counted earlier while the count is still above zero.
 */
export interface FlowDecodeCounters {
  /** Datagrams given to `decode` (well-formed or not). */
  packets: number;
  /** Flow records delivered to `onFlow`. */
  records: number;
  /** Malformed datagrams by reason; each was dropped (see `decode` for what "dropped" means). */
  malformed: Record<FlowMalformedReason, number>;
  /** v9/IPFIX data sets skipped because their template was unknown or had expired. */
  missingTemplates: number;
  /**
   * Datagrams lost, from the exporter's own sequence numbers: exact for NetFlow v9 (packet sequence)
   * and sFlow (datagram sequence); for v5 and IPFIX, whose sequence numbers count records, the lost
   * records divided by the records of the datagram that revealed the gap, rounded up.
   */
  sequenceGaps: number;
  /** Records lost (v5 and IPFIX only: their sequence numbers count records). */
  lostRecords: number;
  /** Sequence restarts (exporter rebooted, or a jump too large to be loss). */
  sequenceResets: number;
  /** Datagrams that arrived after a later one (their loss, counted earlier, was taken back). */
  reordered: number;
  /** Templates and options templates learned or refreshed. */
  templates: number;
  /** Template withdrawals (IPFIX). */
  templateWithdrawals: number;
  /** Templates refused because the exporter's or the total template limit was reached. */
  templatesRefused: number;
  /** Options data records that set a sampling rate. */
  samplingOptions: number;
  /** sFlow samples or records skipped: non-IP packets, unknown sample or record formats. */
  skippedSamples: number;
  /** sFlow counter samples with generic interface counters delivered to `onCounters`. */
  counterSamples: number;
  /** Versions seen, as bits: 1 = v5, 2 = v9, 4 = IPFIX, 8 = sFlow v5. */
  versions: number;
}

export function newFlowDecodeCounters(): FlowDecodeCounters {
  return {
    packets: 0,
    records: 0,
    malformed: {
      truncated: 0,
      'bad-version': 0,
      'bad-length': 0,
      'bad-template': 0,
      'bad-field': 0,
      'too-many-records': 0,
      'bad-sample': 0,
    },
    missingTemplates: 0,
    sequenceGaps: 0,
    lostRecords: 0,
    sequenceResets: 0,
    reordered: 0,
    templates: 0,
    templateWithdrawals: 0,
    templatesRefused: 0,
    samplingOptions: 0,
    skippedSamples: 0,
    counterSamples: 0,
    versions: 0,
  };
}

export const VERSION_BIT = { 5: 1, 9: 2, 10: 4, sflow: 8 } as const;

/** The outcome of one `decode` call. */
export type DecodeResult = 'ok' | FlowMalformedReason;
