import type { FlowDecodeCounters } from './types.js';

/**
 * Sequence-number tracking per (exporter, version, domain), for loss accounting.
 *
 * Each datagram carries the sequence number the exporter gave it; the tracker knows the number it
 * expects next. With d = (seq − expected) mod 2^32:
 * - d = 0: in order.
 * - 0 < d ≤ `maxJump` (ahead): d units were lost. Units are datagrams for v9 and sFlow, records for
 *   v5 and IPFIX; records are converted to datagrams by dividing by the records of the datagram that
 *   revealed the gap (or of the last one whose count was known), rounded up, and are also counted as
 *   `lostRecords`.
 * - behind by at most `reorderWindow` units: a late datagram, counted as reordered; it takes back one
 *   lost datagram (and its records) counted earlier while the counters are still above zero, and does
 *   not move the expectation.
 * - anything else (far behind: the exporter restarted; far ahead: no plausible loss): counted as a
 *   reset, the expectation restarts from this datagram, nothing is counted lost.
 * When the number of units in a datagram is unknown (IPFIX data sets whose template is missing), the
 * next datagram re-synchronises without counting a gap.
 */
export class SequenceState {
  /** The next sequence number expected, or −1 before the first datagram / after an unknown count. */
  next = -1;
  /** Records of the last datagram whose count was known (record sequences), for converting gaps. */
  perDatagram = 1;
}

const MAX_JUMP_DATAGRAMS = 1_000_000;
const REORDER_DATAGRAMS = 64;

/**
 * Track one datagram. `units` is how far this datagram advances the sequence (1 for datagram
 * sequences; its record count for record sequences; −1 when unknown).
 */
export function trackSequence(
  s: SequenceState,
  seq: number,
  units: number,
  recordUnits: boolean,
  c: FlowDecodeCounters,
): void {
  if (recordUnits && units > 0) s.perDatagram = units;
  const perDatagram = recordUnits ? s.perDatagram : 1;
  if (s.next < 0) {
    s.next = units < 0 ? -1 : (seq + units) >>> 0;
    return;
  }
  const d = (seq - s.next) >>> 0;
  const maxJump = MAX_JUMP_DATAGRAMS * perDatagram;
  const window = REORDER_DATAGRAMS * perDatagram;
  if (d === 0) {
    // in order
  } else if (d <= maxJump) {
    if (recordUnits) {
      c.lostRecords += d;
      c.sequenceGaps += Math.ceil(d / perDatagram);
    } else c.sequenceGaps += d;
  } else if (4294967296 - d <= window) {
    c.reordered++;
    if (c.sequenceGaps > 0) c.sequenceGaps--;
    if (recordUnits) c.lostRecords = Math.max(0, c.lostRecords - Math.max(units, 0));
    return;
  } else {
    c.sequenceResets++;
  }
  s.next = units < 0 ? -1 : (seq + units) >>> 0;
}
