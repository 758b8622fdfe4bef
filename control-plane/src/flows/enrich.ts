import type { FlowAggregatesPayload } from '@tianshu/protocol';
import { InputError } from '../errors.js';
import type { Queryable } from '../store/state/index.js';
import { addressToBigInt, bigIntToAddress } from '../inventory/cidr.js';
import { AppClassifier } from './apps.js';
import { GeoIp, type GeoFacts } from './geoip.js';
import type { FlowsPolicy } from './policy.js';
import { PrefixTrie } from './prefix-lookup.js';
import { LowCardinalityColumn, NativeBlockBuilder, type NativeUIntType } from '../store/telemetry/native.js';
import { FLOW_COLUMNS } from './telemetry-schema.js';

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

/** What one payload added to a `FlowRowsBuilder`. */
export interface EncodedPayload {
  rows: number;
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
 * The `flows_1m` rows of one or more payloads (a report batch's), enriched and held column by
 * column in typed arrays sized for the batch, ready to go to the telemetry store as one Native block
 * (`toBlock`): numbers as numbers, the few distinct texts of a column (org units, paths, interface
 * names, apps, countries, direction) as LowCardinality dictionaries, addresses as strings. One pass
 * per payload, lookups in the snapshot's trie and maps (no database query per row), GeoIP facts
 * cached per distinct address. `add` throws an `InputError` naming the column and row of an address
 * that is not one, and a `RangeError` beyond the capacity or for a measure that is not a
 * non-negative safe integer after rounding; the builder must then be dropped (the batch is refused).
 */
export class FlowRowsBuilder {
  readonly capacity: number;
  #rows = 0;
  readonly #ts: Uint32Array;
  readonly #agent: LowCardinalityColumn;
  readonly #exporter: LowCardinalityColumn;
  readonly #deviceId: LowCardinalityColumn;
  readonly #exporterUnit: LowCardinalityColumn;
  readonly #inIf: Uint32Array;
  readonly #outIf: Uint32Array;
  readonly #inIfName: LowCardinalityColumn;
  readonly #outIfName: LowCardinalityColumn;
  readonly #inSpeed: Uint32Array;
  readonly #outSpeed: Uint32Array;
  /** The payloads' own address columns (no copy), or a row count where a payload has none. */
  readonly #src: Array<readonly string[] | number> = [];
  readonly #dst: Array<readonly string[] | number> = [];
  readonly #nextHop: Array<readonly string[] | number> = [];
  /** The three address columns joined, for `row` (dropped by `add`). */
  #addresses: [readonly string[], readonly string[], readonly string[]] | undefined;
  readonly #srcPort: Uint16Array;
  readonly #dstPort: Uint16Array;
  readonly #proto: Uint8Array;
  readonly #ipVersion: Uint8Array;
  readonly #tcpFlags: Uint8Array;
  readonly #tos: Uint8Array;
  readonly #srcAs: Uint32Array;
  readonly #dstAs: Uint32Array;
  readonly #srcCountry: LowCardinalityColumn;
  readonly #dstCountry: LowCardinalityColumn;
  readonly #srcUnit: LowCardinalityColumn;
  readonly #dstUnit: LowCardinalityColumn;
  readonly #srcPath: LowCardinalityColumn;
  readonly #dstPath: LowCardinalityColumn;
  readonly #direction: LowCardinalityColumn;
  readonly #app: LowCardinalityColumn;
  readonly #rate: Uint32Array;
  readonly #bytes: Float64Array;
  readonly #packets: Float64Array;
  readonly #flows: Float64Array;

  /** `capacity`: the rows of every payload that will be added (the batch's sum of `rows`). */
  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) throw new RangeError(`capacity ${capacity}`);
    this.capacity = capacity;
    const lc = () => new LowCardinalityColumn(capacity);
    this.#ts = new Uint32Array(capacity);
    this.#agent = lc();
    this.#exporter = lc();
    this.#deviceId = lc();
    this.#exporterUnit = lc();
    this.#inIf = new Uint32Array(capacity);
    this.#outIf = new Uint32Array(capacity);
    this.#inIfName = lc();
    this.#outIfName = lc();
    this.#inSpeed = new Uint32Array(capacity);
    this.#outSpeed = new Uint32Array(capacity);
    this.#srcPort = new Uint16Array(capacity);
    this.#dstPort = new Uint16Array(capacity);
    this.#proto = new Uint8Array(capacity);
    this.#ipVersion = new Uint8Array(capacity);
    this.#tcpFlags = new Uint8Array(capacity);
    this.#tos = new Uint8Array(capacity);
    this.#srcAs = new Uint32Array(capacity);
    this.#dstAs = new Uint32Array(capacity);
    this.#srcCountry = lc();
    this.#dstCountry = lc();
    this.#srcUnit = lc();
    this.#dstUnit = lc();
    this.#srcPath = lc();
    this.#dstPath = lc();
    this.#direction = lc();
    this.#app = lc();
    this.#rate = new Uint32Array(capacity);
    this.#bytes = new Float64Array(capacity);
    this.#packets = new Float64Array(capacity);
    this.#flows = new Float64Array(capacity);
  }

  get rows(): number {
    return this.#rows;
  }

  /** Enriches and appends one payload's rows. */
  add(
    p: FlowAggregatesPayload,
    agentId: string,
    attribution: ExporterAttribution,
    inv: InventorySnapshot,
    pol: PolicyEnrichment,
  ): EncodedPayload {
    const c = p.columns;
    const n = p.rows;
    const base = this.#rows;
    if (base + n > this.capacity) {
      throw new RangeError(`flow rows: ${base + n} rows exceed the builder's capacity of ${this.capacity}`);
    }
    const dev = attribution.device;
    const measure = (column: string, v: number, row: number): number => {
      const r = Math.round(v);
      if (!(r >= 0 && r <= Number.MAX_SAFE_INTEGER)) {
        throw new RangeError(
          `flow-aggregates from ${attribution.exporter}: columns.${column}[${row}] = ${v} is not a count`,
        );
      }
      return r;
    };
    const ifCache = new Map<number, { speed: number; egress: boolean }>();
    const ifFacts = (ifIndex: number) => {
      let f = ifCache.get(ifIndex);
      if (!f) {
        const i = dev?.interfaces.get(ifIndex);
        f = { speed: i?.speedMbps ?? 0, egress: i?.internetEgress === true };
        ifCache.set(ifIndex, f);
      }
      return f;
    };
    // Interface-name keys per column (the two dictionaries differ), cached per interface.
    const inNames = new Map<number, number>();
    const outNames = new Map<number, number>();
    const nameKey = (ifIndex: number, names: LowCardinalityColumn, cache: Map<number, number>): number => {
      let k = cache.get(ifIndex);
      if (k === undefined) {
        k = names.key(dev?.interfaces.get(ifIndex)?.name ?? '');
        cache.set(ifIndex, k);
      }
      return k;
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
    // Dictionary keys of a unit (id and path) per side, cached per unit index.
    const unitKeys = (
      u: number,
      ids: LowCardinalityColumn,
      paths: LowCardinalityColumn,
      cache: Map<number, [number, number]>,
    ) => {
      let k = cache.get(u);
      if (!k) {
        const unit = u >= 0 ? inv.units[u] : undefined;
        k = [ids.key(unit?.id ?? ''), paths.key(unit?.path ?? '')];
        cache.set(u, k);
      }
      return k;
    };
    const srcUnits = new Map<number, [number, number]>();
    const dstUnits = new Map<number, [number, number]>();
    const appKeys = new Map<string, number>();
    const directionKeys = new Map<string, number>();
    const geoOn = pol.geo.enabled;
    const rates = new Set<number>();
    const ts = p.minute / 1000;
    const noCountry = [this.#srcCountry.key(''), this.#dstCountry.key('')];
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
      let srcCountry = noCountry[0]!;
      let dstCountry = noCountry[1]!;
      if (geoOn) {
        if (su < 0 && src !== '') {
          const g = geo(src);
          srcCountry = this.#srcCountry.key(g.country);
          if (srcAs === 0) srcAs = g.asn;
        }
        if (du < 0 && dst !== '') {
          const g = geo(dst);
          dstCountry = this.#dstCountry.key(g.country);
          if (dstAs === 0) dstAs = g.asn;
        }
      }
      const direction = flowDirection(su >= 0, du >= 0, outF.egress, inF.egress);
      let dk = directionKeys.get(direction);
      if (dk === undefined) {
        dk = this.#direction.key(direction);
        directionKeys.set(direction, dk);
      }
      const appName = c.proto ? pol.apps.classify(proto, srcPort, dstPort) : '';
      let ak = appKeys.get(appName);
      if (ak === undefined) {
        ak = this.#app.key(appName);
        appKeys.set(appName, ak);
      }
      const [suId, suPath] = unitKeys(su, this.#srcUnit, this.#srcPath, srcUnits);
      const [duId, duPath] = unitKeys(du, this.#dstUnit, this.#dstPath, dstUnits);
      const rate = c.samplingRate[i]!;
      rates.add(rate);
      const at = base + i;
      this.#inIf[at] = inIf;
      this.#outIf[at] = outIf;
      this.#inIfName.pushKey(nameKey(inIf, this.#inIfName, inNames));
      this.#outIfName.pushKey(nameKey(outIf, this.#outIfName, outNames));
      this.#inSpeed[at] = inF.speed;
      this.#outSpeed[at] = outF.speed;
      this.#srcPort[at] = srcPort;
      this.#dstPort[at] = dstPort;
      this.#proto[at] = proto;
      this.#ipVersion[at] = c.ipVersion[i]!;
      this.#tcpFlags[at] = c.tcpFlags?.[i] ?? 0;
      this.#tos[at] = c.tos?.[i] ?? 0;
      this.#srcAs[at] = srcAs;
      this.#dstAs[at] = dstAs;
      this.#srcCountry.pushKey(srcCountry);
      this.#dstCountry.pushKey(dstCountry);
      this.#srcUnit.pushKey(suId);
      this.#dstUnit.pushKey(duId);
      this.#srcPath.pushKey(suPath);
      this.#dstPath.pushKey(duPath);
      this.#direction.pushKey(dk);
      this.#app.pushKey(ak);
      this.#rate[at] = rate;
      this.#bytes[at] = measure('bytes', c.bytes[i]!, i);
      this.#packets[at] = measure('packets', c.packets[i]!, i);
      this.#flows[at] = measure('flows', c.flows[i]!, i);
    }
    this.#ts.fill(ts, base, base + n);
    this.#addresses = undefined;
    this.#src.push(c.srcAddr ?? n);
    this.#dst.push(c.dstAddr ?? n);
    this.#nextHop.push(c.nextHop ?? n);
    this.#agent.fill(agentId, n);
    this.#exporter.fill(attribution.exporter, n);
    this.#deviceId.fill(dev?.id ?? '', n);
    this.#exporterUnit.fill(attribution.orgUnitId, n);
    this.#rows += n;
    return { rows: n, samplingRates: [...rates].sort((a, b) => a - b) };
  }

  /** The columns in the order of `FLOW_COLUMNS`, as (name, values) for `row` and `toBlock`. */
  #lc(): Array<[string, LowCardinalityColumn]> {
    return [
      ['agent_id', this.#agent],
      ['exporter', this.#exporter],
      ['exporter_device_id', this.#deviceId],
      ['exporter_org_unit', this.#exporterUnit],
      ['in_if_name', this.#inIfName],
      ['out_if_name', this.#outIfName],
      ['src_country', this.#srcCountry],
      ['dst_country', this.#dstCountry],
      ['src_org_unit', this.#srcUnit],
      ['dst_org_unit', this.#dstUnit],
      ['src_org_path', this.#srcPath],
      ['dst_org_path', this.#dstPath],
      ['direction', this.#direction],
      ['app', this.#app],
    ];
  }

  #numbers(): Array<[string, NativeUIntType, Uint8Array | Uint16Array | Uint32Array | Float64Array]> {
    return [
      ['in_if', 'UInt32', this.#inIf],
      ['out_if', 'UInt32', this.#outIf],
      ['in_if_speed_mbps', 'UInt32', this.#inSpeed],
      ['out_if_speed_mbps', 'UInt32', this.#outSpeed],
      ['src_port', 'UInt16', this.#srcPort],
      ['dst_port', 'UInt16', this.#dstPort],
      ['proto', 'UInt8', this.#proto],
      ['ip_version', 'UInt8', this.#ipVersion],
      ['tcp_flags', 'UInt8', this.#tcpFlags],
      ['tos', 'UInt8', this.#tos],
      ['src_as', 'UInt32', this.#srcAs],
      ['dst_as', 'UInt32', this.#dstAs],
      ['sampling_rate', 'UInt32', this.#rate],
      ['bytes', 'UInt64', this.#bytes],
      ['packets', 'UInt64', this.#packets],
      ['flows', 'UInt64', this.#flows],
    ];
  }

  /** Row `i` as column name → value (for tests and diagnostics). */
  row(i: number): Record<string, string | number> {
    if (!(i >= 0 && i < this.#rows)) throw new RangeError(`row ${i} of ${this.#rows}`);
    this.#addresses ??= [strings(this.#src), strings(this.#dst), strings(this.#nextHop)];
    const [src, dst, nextHop] = this.#addresses;
    const r: Record<string, string | number> = {
      src_addr: src[i]!,
      dst_addr: dst[i]!,
      next_hop: nextHop[i]!,
    };
    for (const [name, col] of this.#lc()) r[name] = col.keys[col.indexes[i]!]!;
    for (const [name, , values] of this.#numbers()) r[name] = values[i]!;
    r.ts = this.#ts[i]!;
    return Object.fromEntries(FLOW_COLUMNS.map((c) => [c, r[c]!]));
  }

  /** Every row as one Native block with the columns of `FLOW_COLUMNS`. */
  toBlock(): NativeBlockBuilder {
    const b = new NativeBlockBuilder(this.#rows, this.#rows * 80);
    const n = this.#rows;
    b.dateTime('ts', this.#ts.subarray(0, n));
    for (const [name, col] of this.#lc()) b.lowCardinality(name, col);
    for (const [name, type, values] of this.#numbers()) b.uint(name, type, values.subarray(0, n));
    b.string('src_addr', strings(this.#src))
      .string('dst_addr', strings(this.#dst))
      .string('next_hop', strings(this.#nextHop));
    return b;
  }
}

/** The values of a column kept as the payloads' own arrays (a count stands for that many ''). */
function strings(segments: ReadonlyArray<readonly string[] | number>): readonly string[] {
  if (segments.length === 1 && typeof segments[0] !== 'number') return segments[0]!;
  const out: string[] = [];
  for (const seg of segments) {
    if (typeof seg === 'number') for (let i = 0; i < seg; i++) out.push('');
    else for (let i = 0; i < seg.length; i++) out.push(seg[i]!);
  }
  return out;
}

/** The rows of one payload in a builder of their own (tests, tools). */
export function encodePayload(
  p: FlowAggregatesPayload,
  agentId: string,
  attribution: ExporterAttribution,
  inv: InventorySnapshot,
  pol: PolicyEnrichment,
): EncodedPayload & { builder: FlowRowsBuilder } {
  const builder = new FlowRowsBuilder(p.rows);
  return { ...builder.add(p, agentId, attribution, inv, pol), builder };
}
