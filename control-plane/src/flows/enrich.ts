import type { FlowAggregatesPayload } from '@tianshu/protocol';
import { InputError } from '../errors.js';
import type { Queryable } from '../store/state/index.js';
import { addressToBigInt, bigIntToAddress } from '../inventory/cidr.js';
import { AppClassifier } from './apps.js';
import { GeoIp, type GeoFacts } from './geoip.js';
import type { FlowsPolicy } from './policy.js';
import { PrefixTrie } from './prefix-lookup.js';
import { tsvDateTimeSeconds, tsvEscape } from '../store/telemetry/tsv.js';
import { ByteWriter } from './bytes.js';

export interface OrgUnitFacts {
  id: string;
  name: string;
  path: string;
}

export interface InterfaceFacts {
  name: string;
  speedMbps: number;
  internetEgress: boolean;
}

export interface ExporterDevice {
  id: string;
  name: string;
  orgUnitId: string;
  path: string;
  address: string;
  interfaces: Map<number, InterfaceFacts>;
}

/** Canonical text of an address (IPv6 compressed, lowercase); the input when it is not one. */
export function canonicalAddress(address: string): string {
  if (!address.includes(':')) return address;
  const v = addressToBigInt(address);
  return v ? bigIntToAddress(v.family, v.value) : address.toLowerCase();
}

/** What the enrichment knows about the inventory, loaded at once and replaced on change. */
export class InventorySnapshot {
  readonly trie = new PrefixTrie();
  /** Index → org unit (the trie's values). */
  readonly units: OrgUnitFacts[] = [];
  readonly unitsById = new Map<string, OrgUnitFacts>();
  readonly devicesByAddress = new Map<string, ExporterDevice>();
  readonly devicesById = new Map<string, ExporterDevice>();

  constructor(readonly signature: string) {}

  static async load(db: Queryable, signature: string): Promise<InventorySnapshot> {
    const s = new InventorySnapshot(signature);
    const units = await db.query<{ id: string; name: string; path: string }>(
      'SELECT id, name, path FROM org_units ORDER BY path',
    );
    const index = new Map<string, number>();
    for (const u of units.rows) {
      index.set(u.id, s.units.length);
      s.units.push(u);
      s.unitsById.set(u.id, u);
    }
    // Shorter first, so that a longer prefix is the deeper node; at the same prefix, `management`
    // (last in order) wins over `hosts` and `egress` — they belong to the same unit in practice.
    const prefixes = await db.query<{ prefix: string; org_unit_id: string }>(
      'SELECT prefix::text AS prefix, org_unit_id FROM ip_prefixes ORDER BY masklen(prefix), purpose',
    );
    for (const p of prefixes.rows) {
      const i = index.get(p.org_unit_id);
      if (i !== undefined) s.trie.add(p.prefix, i);
    }
    const devices = await db.query<{
      id: string;
      name: string;
      management_address: string;
      org_unit_id: string;
      path: string;
    }>(
      `SELECT d.id, d.name, d.management_address, d.org_unit_id, u.path
         FROM devices d JOIN org_units u ON u.id = d.org_unit_id`,
    );
    for (const d of devices.rows) {
      const dev: ExporterDevice = {
        id: d.id,
        name: d.name,
        orgUnitId: d.org_unit_id,
        path: d.path,
        address: canonicalAddress(d.management_address),
        interfaces: new Map(),
      };
      s.devicesByAddress.set(dev.address, dev);
      s.devicesById.set(dev.id, dev);
    }
    const ifaces = await db.query<{
      device_id: string;
      if_index: number;
      name: string;
      internet_egress: boolean;
      speed: number | null;
    }>(
      `SELECT i.device_id, i.if_index, i.name, i.internet_egress,
              coalesce((SELECT s.speed_mbps FROM interface_state s
                         WHERE s.device_id = i.device_id AND s.if_index = i.if_index AND s.speed_mbps > 0),
                       i.speed_mbps) AS speed
         FROM interfaces i`,
    );
    for (const i of ifaces.rows) {
      s.devicesById.get(i.device_id)?.interfaces.set(Number(i.if_index), {
        name: i.name,
        speedMbps: i.speed === null ? 0 : Math.min(Number(i.speed), 4_294_967_295),
        internetEgress: i.internet_egress === true,
      });
    }
    return s;
  }

  /** The org unit owning the longest prefix around an address, or undefined (the internet). */
  orgUnitOf(address: string): OrgUnitFacts | undefined {
    const i = this.trie.lookupText(address);
    return i >= 0 ? this.units[i] : undefined;
  }
}

/** One query whose answer changes whenever the inventory the enrichment uses changes. */
export const INVENTORY_SIGNATURE_SQL = `SELECT concat_ws('|',
  (SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') FROM ip_prefixes),
  (SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') FROM interfaces),
  (SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') FROM devices),
  (SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') FROM org_units)) AS sig`;

/** What the policy contributes to enrichment, rebuilt when the policy changes. */
export class PolicyEnrichment {
  readonly apps: AppClassifier;
  readonly geo: GeoIp;

  constructor(readonly policy: FlowsPolicy) {
    this.apps = new AppClassifier(policy.apps);
    this.geo = new GeoIp(policy.geoip);
  }
}

/** Where an exporter's rows are attributed: its device, or (unknown exporter) the agent's unit. */
export interface ExporterAttribution {
  exporter: string;
  device: ExporterDevice | undefined;
  orgUnitId: string;
  orgUnitPath: string;
}

/** The stored rows of one payload, serialized for the telemetry store, and what they contained. */
export interface EncodedPayload {
  rows: number;
  /** flows_1m rows (TabSeparated, columns in the order of `FLOW_COLUMNS`). */
  body: Buffer;
  /** Distinct sampling rates of the rows. */
  samplingRates: number[];
}

const DIRECTION_INTERNAL = 'internal';

/**
 * The direction of a flow: `internal` when both ends are ours; `egress` when it leaves through an
 * interface marked as internet egress (or goes from ours to an address outside every prefix),
 * `ingress` the reverse; `transit` when neither end is ours and no egress interface is involved.
 */
export function flowDirection(
  srcOurs: boolean,
  dstOurs: boolean,
  outIfEgress: boolean,
  inIfEgress: boolean,
): string {
  if (srcOurs && dstOurs) return DIRECTION_INTERNAL;
  if (outIfEgress) return 'egress';
  if (inIfEgress) return 'ingress';
  if (srcOurs) return 'egress';
  if (dstOurs) return 'ingress';
  return 'transit';
}

/**
 * Builds the `flows_1m` rows of one payload straight from its columns, as TabSeparated in the order
 * of `FLOW_COLUMNS`: one pass, lookups in the snapshot's trie and maps (no database query per row),
 * strings escaped once per distinct value, GeoIP facts cached per distinct address. Addresses need
 * no escaping (the protocol's column validator admits only digits, hex letters, `.` and `:`).
 * Throws an `InputError` naming the column and row of an address that is not one.
 */
export function encodePayload(
  p: FlowAggregatesPayload,
  agentId: string,
  attribution: ExporterAttribution,
  inv: InventorySnapshot,
  pol: PolicyEnrichment,
): EncodedPayload {
  const c = p.columns;
  const n = p.rows;
  const dev = attribution.device;
  const enc = (text: string) => Buffer.from(tsvEscape(text), 'utf8');
  // ts, agent_id, exporter, exporter_device_id, exporter_org_unit, and the tab after them
  const head = Buffer.from(
    [tsvDateTimeSeconds(p.minute / 1000), agentId, attribution.exporter, dev?.id ?? '', attribution.orgUnitId]
      .map(tsvEscape)
      .join('\t') + '\t',
    'utf8',
  );
  const ifCache = new Map<number, { name: Buffer; speed: number; egress: boolean }>();
  const ifFacts = (ifIndex: number) => {
    let f = ifCache.get(ifIndex);
    if (!f) {
      const i = dev?.interfaces.get(ifIndex);
      f = { name: enc(i?.name ?? ''), speed: i?.speedMbps ?? 0, egress: i?.internetEgress === true };
      ifCache.set(ifIndex, f);
    }
    return f;
  };
  const geoCache = new Map<string, GeoFacts>();
  const geo = (address: string): GeoFacts => {
    let g = geoCache.get(address);
    if (!g) {
      g = pol.geo.lookup(address);
      geoCache.set(address, g);
    }
    return g;
  };
  const unitOf = (address: string, column: string, row: number): number => {
    if (address === '') return -1;
    const u = inv.trie.lookupText(address);
    if (u === -2) {
      throw new InputError(
        `flow-aggregates from ${attribution.exporter}: columns.${column}[${row}]: "${address.slice(0, 45)}" is not an IPv4 or IPv6 address`,
      );
    }
    return u;
  };
  const appBytes = new Map<string, Buffer>();
  const EMPTY: Buffer = Buffer.alloc(0);
  const unitBytes = new Map<number, [Buffer, Buffer]>();
  const unitTsv = (u: number): [Buffer, Buffer] => {
    let t = unitBytes.get(u);
    if (!t) {
      const unit = u >= 0 ? inv.units[u] : undefined;
      t = unit ? [enc(unit.id), enc(unit.path)] : [EMPTY, EMPTY];
      unitBytes.set(u, t);
    }
    return t;
  };
  const geoOn = pol.geo.enabled;
  const rates = new Set<number>();
  const w = new ByteWriter(Math.max(4096, n * 200));
  const TAB = 9;
  for (let i = 0; i < n; i++) {
    const inIf = c.inIf?.[i] ?? 0;
    const outIf = c.outIf?.[i] ?? 0;
    const src = c.srcAddr?.[i] ?? '';
    const dst = c.dstAddr?.[i] ?? '';
    const nextHop = c.nextHop?.[i] ?? '';
    if (nextHop !== '') unitOf(nextHop, 'nextHop', i);
    const srcPort = c.srcPort?.[i] ?? 0;
    const dstPort = c.dstPort?.[i] ?? 0;
    const proto = c.proto?.[i] ?? 0;
    const su = unitOf(src, 'srcAddr', i);
    const du = unitOf(dst, 'dstAddr', i);
    const inF = ifFacts(inIf);
    const outF = ifFacts(outIf);
    let srcAs = c.srcAs?.[i] ?? 0;
    let dstAs = c.dstAs?.[i] ?? 0;
    let srcCountry = '';
    let dstCountry = '';
    if (geoOn) {
      if (su < 0 && src !== '') {
        const g = geo(src);
        srcCountry = g.country;
        if (srcAs === 0) srcAs = g.asn;
      }
      if (du < 0 && dst !== '') {
        const g = geo(dst);
        dstCountry = g.country;
        if (dstAs === 0) dstAs = g.asn;
      }
    }
    const direction = flowDirection(su >= 0, du >= 0, outF.egress, inF.egress);
    let app: Buffer = EMPTY;
    if (c.proto) {
      const name = pol.apps.classify(proto, srcPort, dstPort);
      if (name !== '') {
        let b = appBytes.get(name);
        if (!b) {
          b = enc(name);
          appBytes.set(name, b);
        }
        app = b;
      }
    }
    const [suId, suPath] = unitTsv(su);
    const [duId, duPath] = unitTsv(du);
    const rate = c.samplingRate[i]!;
    rates.add(rate);
    w.bytes(head);
    w.uint(inIf);
    w.byte(TAB);
    w.uint(outIf);
    w.byte(TAB);
    w.bytes(inF.name);
    w.byte(TAB);
    w.bytes(outF.name);
    w.byte(TAB);
    w.uint(inF.speed);
    w.byte(TAB);
    w.uint(outF.speed);
    w.byte(TAB);
    w.ascii(src);
    w.byte(TAB);
    w.ascii(dst);
    w.byte(TAB);
    w.ascii(nextHop);
    w.byte(TAB);
    w.uint(srcPort);
    w.byte(TAB);
    w.uint(dstPort);
    w.byte(TAB);
    w.uint(proto);
    w.byte(TAB);
    w.uint(c.ipVersion[i]!);
    w.byte(TAB);
    w.uint(c.tcpFlags?.[i] ?? 0);
    w.byte(TAB);
    w.uint(c.tos?.[i] ?? 0);
    w.byte(TAB);
    w.uint(srcAs);
    w.byte(TAB);
    w.uint(dstAs);
    w.byte(TAB);
    w.ascii(srcCountry);
    w.byte(TAB);
    w.ascii(dstCountry);
    w.byte(TAB);
    w.bytes(suId);
    w.byte(TAB);
    w.bytes(duId);
    w.byte(TAB);
    w.bytes(suPath);
    w.byte(TAB);
    w.bytes(duPath);
    w.byte(TAB);
    w.ascii(direction);
    w.byte(TAB);
    w.bytes(app);
    w.byte(TAB);
    w.uint(rate);
    w.byte(TAB);
    w.uint(Math.round(c.bytes[i]!));
    w.byte(TAB);
    w.uint(Math.round(c.packets[i]!));
    w.byte(TAB);
    w.uint(Math.round(c.flows[i]!));
    w.byte(10);
  }
  return {
    rows: n,
    body: w.toBuffer(),
    samplingRates: [...rates].sort((a, b) => a - b),
  };
}
