/**
 * The dimensions of the analytics API and the filter language: each maps to a SQL expression over
 * `flows_1m` / `flows_1h` (fixed text, never built from input), the type of its values, and what
 * its label is.
 */
export const FLOW_DIMENSIONS = [
  'exporter',
  'srcAddr',
  'dstAddr',
  'srcPort',
  'dstPort',
  'proto',
  'ipVersion',
  'inIf',
  'outIf',
  'srcOrgUnit',
  'dstOrgUnit',
  'app',
  'direction',
  'tcpFlags',
  'tos',
  'nextHop',
  'srcAs',
  'dstAs',
  'srcCountry',
  'dstCountry',
] as const;
export type FlowDimension = (typeof FLOW_DIMENSIONS)[number];

export type DimensionKind = 'address' | 'number' | 'interface' | 'orgUnit' | 'text' | 'proto';

export interface DimensionSpec {
  /** The key expression (what GROUP BY uses). */
  sql: string;
  kind: DimensionKind;
  /** What the label shows, for the console's help (a catalogue key there). */
  label: string;
  /** The bare column behind a numeric interface index (`inIf`/`outIf`: `in_if`). */
  column?: string;
  /** The interface-name column of `inIf`/`outIf`. */
  nameColumn?: string;
}

const ifKey = (col: string) =>
  `concat(if(position(exporter, ':') > 0, concat('[', exporter, ']'), toString(exporter)), ':', toString(${col}))`;

export const DIMENSION_SPECS: Readonly<Record<FlowDimension, DimensionSpec>> = Object.freeze({
  exporter: { sql: 'toString(exporter)', kind: 'address', label: 'exporter address (device name)' },
  srcAddr: { sql: 'src_addr', kind: 'address', label: 'address' },
  dstAddr: { sql: 'dst_addr', kind: 'address', label: 'address' },
  srcPort: { sql: 'src_port', kind: 'number', label: 'port' },
  dstPort: { sql: 'dst_port', kind: 'number', label: 'port' },
  proto: { sql: 'proto', kind: 'proto', label: 'protocol name (tcp, udp) or number' },
  ipVersion: { sql: 'ip_version', kind: 'number', label: 'IPv4 / IPv6' },
  inIf: {
    sql: ifKey('in_if'),
    kind: 'interface',
    label: 'interface name with the exporter',
    column: 'in_if',
    nameColumn: 'in_if_name',
  },
  outIf: {
    sql: ifKey('out_if'),
    kind: 'interface',
    label: 'interface name with the exporter',
    column: 'out_if',
    nameColumn: 'out_if_name',
  },
  srcOrgUnit: { sql: 'toString(src_org_unit)', kind: 'orgUnit', label: 'org unit name' },
  dstOrgUnit: { sql: 'toString(dst_org_unit)', kind: 'orgUnit', label: 'org unit name' },
  app: { sql: 'toString(app)', kind: 'text', label: 'application name' },
  direction: { sql: 'toString(direction)', kind: 'text', label: 'internal / egress / ingress / transit' },
  tcpFlags: { sql: 'tcp_flags', kind: 'number', label: 'TCP flags' },
  tos: { sql: 'tos', kind: 'number', label: 'ToS byte' },
  nextHop: { sql: 'next_hop', kind: 'address', label: 'address' },
  srcAs: { sql: 'src_as', kind: 'number', label: 'AS number' },
  dstAs: { sql: 'dst_as', kind: 'number', label: 'AS number' },
  srcCountry: { sql: 'toString(src_country)', kind: 'text', label: 'ISO country code' },
  dstCountry: { sql: 'toString(dst_country)', kind: 'text', label: 'ISO country code' },
});

export function isDimension(s: string): s is FlowDimension {
  return Object.prototype.hasOwnProperty.call(DIMENSION_SPECS, s);
}
