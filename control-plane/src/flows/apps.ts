import type { FlowApp } from './policy.js';

/** IP protocol numbers by the names the policy and the filter language use. */
export const PROTOCOL_NUMBERS: Readonly<Record<string, number>> = Object.freeze({
  icmp: 1,
  igmp: 2,
  tcp: 6,
  udp: 17,
  gre: 47,
  esp: 50,
  ah: 51,
  icmpv6: 58,
  ospf: 89,
  sctp: 132,
});

const PROTOCOL_NAMES = new Map<number, string>(Object.entries(PROTOCOL_NUMBERS).map(([n, v]) => [v, n]));

/** `tcp`, `udp`… or the number as text. */
export function protocolName(proto: number): string {
  return PROTOCOL_NAMES.get(proto) ?? String(proto);
}

/**
 * The policy's application table compiled for ingest: one map lookup per row (destination port,
 * then source port, then the protocol alone). The first entry matching a (protocol, port) wins.
 */
export class AppClassifier {
  private readonly byPort = new Map<number, string>();
  private readonly byProto = new Map<number, string>();

  constructor(apps: readonly FlowApp[]) {
    for (const a of apps) {
      const proto = typeof a.proto === 'number' ? a.proto : PROTOCOL_NUMBERS[a.proto]!;
      if (a.ports === undefined) {
        if (!this.byProto.has(proto)) this.byProto.set(proto, a.name);
        continue;
      }
      for (const p of a.ports) {
        const [from, to] = Array.isArray(p) ? p : [p, p];
        for (let port = from; port <= to; port++) {
          const key = proto * 65_536 + port;
          if (!this.byPort.has(key)) this.byPort.set(key, a.name);
        }
      }
    }
  }

  /** The application of a flow, or '' when no entry matches. */
  classify(proto: number, srcPort: number, dstPort: number): string {
    const base = proto * 65_536;
    return (
      this.byPort.get(base + dstPort) ?? this.byPort.get(base + srcPort) ?? this.byProto.get(proto) ?? ''
    );
  }
}
