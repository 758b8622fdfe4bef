import { InputError } from '../errors.js';
import type { Identity } from '../auth/identity.js';
import { requirePermission } from '../auth/identity.js';
import type { TelemetryStore } from '../store/telemetry/index.js';
import { protocolName } from './apps.js';
import { DIMENSION_SPECS, FLOW_DIMENSIONS, isDimension, type FlowDimension } from './dimensions.js';
import type { InventorySnapshot } from './enrich.js';
import type { GeoDatabaseStatus } from './geoip.js';
import { FILTER_OPERATORS, SqlParams, compileFilter, parseFilter } from './filter.js';
import type { FlowsService } from './service.js';
import { FLOWS_TABLES } from './telemetry-schema.js';

export { FLOW_DIMENSIONS, type FlowDimension } from './dimensions.js';

export const FLOW_MEASURES = ['bytes', 'packets', 'flows'] as const;
export type FlowMeasure = (typeof FLOW_MEASURES)[number];

export interface FlowQuery {
  by: string;
  from?: string | undefined;
  to?: string | undefined;
  limit?: number | undefined;
  filter?: string | undefined;
  measure?: FlowMeasure | undefined;
  step?: number | undefined;
}

export interface Measures {
  bytes: number;
  packets: number;
  flows: number;
}

export type FlowKey = string | number;

export interface TopItem extends Measures {
  key: FlowKey | FlowKey[];
  label: string | string[];
}

export interface TopResult {
  items: TopItem[];
  total: Measures;
  other: Measures;
  from: string;
  to: string;
}

export interface SeriesResult {
  step: number;
  from: string;
  to: string;
  series: Array<{ key: FlowKey; label: string; points: Array<[number, number]> }>;
  other: { points: Array<[number, number]> };
}

export interface SankeyResult {
  nodes: Array<{ id: string; dimension: FlowDimension; key: FlowKey; label: string }>;
  links: Array<{ source: string; target: string } & Measures>;
  from: string;
  to: string;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** Ranges longer than this read the hourly roll-up. */
const HOURLY_AFTER_MS = 48 * HOUR;
const MAX_RANGE_MS = 400 * 24 * HOUR;
const MAX_POINTS = 2000;

interface Plan {
  from: number;
  to: number;
  table: string;
  /** Resolution of the table (ms). */
  grain: number;
}

const rangeError = (message: string) => new InputError(message, { code: 'flows.range' });

/** Parses `from`/`to` (ISO 8601), aligned to the table's grain; the last hour by default. */
export function planRange(fromText: string | undefined, toText: string | undefined, now = Date.now()): Plan {
  const parse = (t: string, name: string) => {
    const ms = Date.parse(t);
    if (!Number.isFinite(ms)) throw rangeError(`${name}: "${t.slice(0, 40)}" is not an ISO 8601 time`);
    return ms;
  };
  const rawTo = toText === undefined ? Math.ceil(now / MINUTE) * MINUTE : parse(toText, 'to');
  const rawFrom = fromText === undefined ? rawTo - HOUR : parse(fromText, 'from');
  if (rawFrom >= rawTo) {
    throw rangeError(
      `from (${new Date(rawFrom).toISOString()}) must be before to (${new Date(rawTo).toISOString()})`,
    );
  }
  if (rawTo - rawFrom > MAX_RANGE_MS) throw rangeError('the time range is longer than 400 days');
  const grain = rawTo - rawFrom > HOURLY_AFTER_MS ? HOUR : MINUTE;
  const from = Math.floor(rawFrom / grain) * grain;
  const to = Math.ceil(rawTo / grain) * grain;
  return { from, to, table: grain === HOUR ? FLOWS_TABLES.hour : FLOWS_TABLES.minute, grain };
}

function parseBy(by: string, min: number, max: number): FlowDimension[] {
  const dims = by
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (dims.length < min || dims.length > max) {
    throw new InputError(
      `by: give ${min === max ? min : `${min} to ${max}`} dimension${max > 1 ? 's' : ''}, comma-separated`,
    );
  }
  for (const d of dims) {
    if (!isDimension(d)) {
      throw new InputError(
        `by: unknown dimension "${d.slice(0, 40)}" (one of ${FLOW_DIMENSIONS.join(', ')})`,
      );
    }
  }
  if (new Set(dims).size !== dims.length) throw new InputError('by: a dimension is listed twice');
  return dims as FlowDimension[];
}

const isRoot = (identity: Identity) => identity.orgUnitPath.split('/').filter(Boolean).length <= 1;

const TCP_FLAGS = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'];

export interface AnalyticsDeps {
  telemetry: TelemetryStore;
  flows: FlowsService;
}

interface Where {
  sql: string;
  params: SqlParams;
  plan: Plan;
}

/**
 * The analytics API over the stored flows: top-N by one or two dimensions, time series stacked by a
 * dimension, Sankey between two or three. Every query is scoped — the caller sees flows whose
 * source or destination org unit lies in its subtree (a root-unit caller sees every flow) — and its
 * filter compiled into parameters.
 */
export class FlowAnalytics {
  constructor(private readonly deps: AnalyticsDeps) {}

  private async where(identity: Identity, q: FlowQuery, inv: InventorySnapshot): Promise<Where> {
    requirePermission(identity, 'flows:read');
    const plan = planRange(q.from, q.to);
    const params = new SqlParams();
    const parts = [
      `ts >= toDateTime(${params.add('UInt32', plan.from / 1000)}, 'UTC')`,
      `ts < toDateTime(${params.add('UInt32', plan.to / 1000)}, 'UTC')`,
    ];
    if (!isRoot(identity)) {
      const scope = params.add('String', identity.orgUnitPath);
      parts.push(`(startsWith(src_org_path, ${scope}) OR startsWith(dst_org_path, ${scope}))`);
    }
    const ast = q.filter === undefined || q.filter.trim() === '' ? undefined : parseFilter(q.filter);
    if (ast) {
      const resolve = (v: string) =>
        inv.units.filter((u) => u.id === v || u.name === v || u.path === v).map((u) => u.id);
      parts.push(compileFilter(ast, params, resolve));
    }
    return { sql: parts.join(' AND '), params, plan };
  }

  private label(inv: InventorySnapshot, dim: FlowDimension, key: FlowKey, ifName?: string): string {
    switch (dim) {
      case 'exporter':
        return inv.devicesByAddress.get(String(key))?.name ?? String(key);
      case 'proto':
        return protocolName(Number(key));
      case 'ipVersion':
        return `IPv${key}`;
      case 'srcOrgUnit':
      case 'dstOrgUnit':
        return key === '' ? '' : (inv.unitsById.get(String(key))?.name ?? String(key));
      case 'inIf':
      case 'outIf': {
        const k = String(key);
        const at = k.lastIndexOf(':');
        const exporter = k.slice(0, at).replace(/^\[|\]$/g, '');
        const device = inv.devicesByAddress.get(exporter);
        const name = ifName || device?.interfaces.get(Number(k.slice(at + 1)))?.name || k.slice(at + 1);
        return `${device?.name ?? exporter} ${name}`;
      }
      case 'tcpFlags': {
        const n = Number(key);
        const names = TCP_FLAGS.filter((_, i) => n & (1 << i));
        return names.length ? names.join(' ') : '0';
      }
      case 'srcAs':
      case 'dstAs':
        return Number(key) === 0 ? '' : `AS${key}`;
      default:
        return String(key);
    }
  }

  private measures(r: { b: number | string; p: number | string; f: number | string }): Measures {
    return { bytes: Number(r.b), packets: Number(r.p), flows: Number(r.f) };
  }

  private async totals(where: Where): Promise<Measures> {
    const rows = await this.deps.telemetry.query<{ b: number; p: number; f: number }>(
      `SELECT toFloat64(sum(bytes)) AS b, toFloat64(sum(packets)) AS p, toFloat64(sum(flows)) AS f
         FROM ${where.plan.table} WHERE ${where.sql}`,
      where.params.values,
    );
    return rows[0] ? this.measures(rows[0]) : { bytes: 0, packets: 0, flows: 0 };
  }

  /** The groups of `dims` ranked by the measure, with the measures and the interface names. */
  private async groups(
    where: Where,
    dims: FlowDimension[],
    measure: FlowMeasure,
    limit: number,
  ): Promise<Array<{ keys: FlowKey[]; names: string[] } & Measures>> {
    const keys = dims.map((d, i) => `${DIMENSION_SPECS[d].sql} AS k${i}`);
    const names = dims.map((d, i) => {
      const c = DIMENSION_SPECS[d].nameColumn;
      return c ? `toString(any(${c})) AS n${i}` : `'' AS n${i}`;
    });
    const m = { bytes: 'b', packets: 'p', flows: 'f' }[measure];
    const lim = where.params.add('UInt32', limit);
    const rows = await this.deps.telemetry.query<Record<string, FlowKey>>(
      `SELECT ${keys.join(', ')}, ${names.join(', ')},
              toFloat64(sum(bytes)) AS b, toFloat64(sum(packets)) AS p, toFloat64(sum(flows)) AS f
         FROM ${where.plan.table} WHERE ${where.sql}
        GROUP BY ${dims.map((_, i) => `k${i}`).join(', ')}
        ORDER BY ${m} DESC, ${dims.map((_, i) => `k${i}`).join(', ')}
        LIMIT ${lim}`,
      where.params.values,
    );
    return rows.map((r) => ({
      keys: dims.map((_, i) => r[`k${i}`]!),
      names: dims.map((_, i) => String(r[`n${i}`] ?? '')),
      ...this.measures(r as unknown as { b: number; p: number; f: number }),
    }));
  }

  async top(identity: Identity, q: FlowQuery): Promise<TopResult> {
    const dims = parseBy(q.by, 1, 2);
    const inv = await this.deps.flows.inventory();
    const where = await this.where(identity, q, inv);
    const measure = q.measure ?? 'bytes';
    const [groups, total] = await Promise.all([
      this.groups(where, dims, measure, q.limit ?? 10),
      this.totals(where),
    ]);
    const items: TopItem[] = groups.map((g) => {
      const labels = dims.map((d, i) => this.label(inv, d, g.keys[i]!, g.names[i]));
      return {
        key: dims.length === 1 ? g.keys[0]! : g.keys,
        label: dims.length === 1 ? labels[0]! : labels,
        bytes: g.bytes,
        packets: g.packets,
        flows: g.flows,
      };
    });
    const sum = (k: keyof Measures) => items.reduce((s, i) => s + i[k], 0);
    return {
      items,
      total,
      other: {
        bytes: Math.max(0, total.bytes - sum('bytes')),
        packets: Math.max(0, total.packets - sum('packets')),
        flows: Math.max(0, total.flows - sum('flows')),
      },
      from: new Date(where.plan.from).toISOString(),
      to: new Date(where.plan.to).toISOString(),
    };
  }

  async series(identity: Identity, q: FlowQuery): Promise<SeriesResult> {
    const [dim] = parseBy(q.by, 1, 1) as [FlowDimension];
    const inv = await this.deps.flows.inventory();
    const where = await this.where(identity, q, inv);
    const { plan } = where;
    const span = plan.to - plan.from;
    const grainS = plan.grain / 1000;
    let step = q.step ?? Math.max(grainS, Math.ceil(span / 1000 / 300 / grainS) * grainS);
    if (!Number.isInteger(step) || step < grainS || step % grainS !== 0) {
      throw rangeError(`step must be a multiple of ${grainS} seconds for this range, got ${q.step}`);
    }
    if (span / 1000 / step > MAX_POINTS)
      throw rangeError(`step ${step} s gives more than ${MAX_POINTS} points`);
    step = Math.trunc(step);
    const measure = q.measure ?? 'bytes';
    const top = await this.groups(where, [dim], measure, q.limit ?? 10);
    const spec = DIMENSION_SPECS[dim];
    const fromP = where.params.add('Int64', plan.from / 1000);
    const stepP = where.params.add('Int64', step);
    const bucket = `intDiv(toInt64(toUnixTimestamp(ts)) - ${fromP}, ${stepP})`;
    const numeric = spec.kind === 'number' || spec.kind === 'proto';
    const keysP = where.params.add(
      numeric ? 'Array(UInt32)' : 'Array(String)',
      top.map((t) => (numeric ? Number(t.keys[0]) : String(t.keys[0]))),
    );
    const [rows, totals] = await Promise.all([
      top.length
        ? this.deps.telemetry.query<{ bk: number | string; k0: FlowKey; v: number }>(
            `SELECT ${bucket} AS bk, ${spec.sql} AS k0, toFloat64(sum(${measure})) AS v
               FROM ${plan.table} WHERE ${where.sql} AND ${spec.sql} IN ${keysP}
              GROUP BY bk, k0`,
            where.params.values,
          )
        : Promise.resolve([]),
      this.deps.telemetry.query<{ bk: number | string; v: number }>(
        `SELECT ${bucket} AS bk, toFloat64(sum(${measure})) AS v FROM ${plan.table} WHERE ${where.sql} GROUP BY bk`,
        where.params.values,
      ),
    ]);
    const buckets = Math.ceil(span / 1000 / step);
    const times = Array.from({ length: buckets }, (_, i) => plan.from + i * step * 1000);
    const byKey = new Map<string, number[]>(
      top.map((t) => [String(t.keys[0]), new Array<number>(buckets).fill(0)]),
    );
    for (const r of rows) {
      const arr = byKey.get(String(r.k0));
      const b = Number(r.bk);
      if (arr && b >= 0 && b < buckets) arr[b]! += Number(r.v);
    }
    const other = new Array<number>(buckets).fill(0);
    for (const r of totals) {
      const b = Number(r.bk);
      if (b >= 0 && b < buckets) other[b]! += Number(r.v);
    }
    for (const arr of byKey.values()) for (let i = 0; i < buckets; i++) other[i]! -= arr[i]!;
    return {
      step,
      from: new Date(plan.from).toISOString(),
      to: new Date(plan.to).toISOString(),
      series: top.map((t) => ({
        key: t.keys[0]!,
        label: this.label(inv, dim, t.keys[0]!, t.names[0]),
        points: byKey.get(String(t.keys[0]))!.map((v, i): [number, number] => [times[i]!, v]),
      })),
      other: { points: other.map((v, i): [number, number] => [times[i]!, Math.max(0, v)]) },
    };
  }

  async sankey(identity: Identity, q: FlowQuery): Promise<SankeyResult> {
    const dims = parseBy(q.by, 2, 3);
    const inv = await this.deps.flows.inventory();
    const where = await this.where(identity, q, inv);
    const groups = await this.groups(where, dims, q.measure ?? 'bytes', q.limit ?? 50);
    const nodes = new Map<string, SankeyResult['nodes'][number]>();
    const links = new Map<string, SankeyResult['links'][number]>();
    for (const g of groups) {
      const ids = dims.map((d, i) => {
        const id = `${d}:${g.keys[i]}`;
        if (!nodes.has(id))
          nodes.set(id, {
            id,
            dimension: d,
            key: g.keys[i]!,
            label: this.label(inv, d, g.keys[i]!, g.names[i]),
          });
        return id;
      });
      for (let i = 0; i + 1 < ids.length; i++) {
        const lk = `${ids[i]}\u0000${ids[i + 1]}`;
        const l = links.get(lk) ?? { source: ids[i]!, target: ids[i + 1]!, bytes: 0, packets: 0, flows: 0 };
        l.bytes += g.bytes;
        l.packets += g.packets;
        l.flows += g.flows;
        links.set(lk, l);
      }
    }
    return {
      nodes: [...nodes.values()],
      links: [...links.values()],
      from: new Date(where.plan.from).toISOString(),
      to: new Date(where.plan.to).toISOString(),
    };
  }

  /** The dimensions, measures and filter operators (for the console's help), and the GeoIP state. */
  dimensions(identity: Identity): {
    dimensions: Array<{ name: FlowDimension; kind: string; label: string }>;
    measures: readonly FlowMeasure[];
    operators: string[];
    geoip: GeoDatabaseStatus[];
  } {
    requirePermission(identity, 'flows:read');
    return {
      dimensions: FLOW_DIMENSIONS.map((name) => ({
        name,
        kind: DIMENSION_SPECS[name].kind,
        label: DIMENSION_SPECS[name].label,
      })),
      measures: FLOW_MEASURES,
      operators: FILTER_OPERATORS,
      geoip: this.deps.flows.enrichment().geo.status,
    };
  }

  /** Overview figures in the caller's scope: the last hour's bytes and flows, top apps, egress rate. */
  async overview(identity: Identity): Promise<{
    lastHour: Measures;
    topApps: Array<{ app: string; bytes: number }>;
    egressBitsPerSecond: number;
  }> {
    const inv = await this.deps.flows.inventory();
    const where = await this.where(identity, { by: 'app' }, inv);
    const [total, apps, egress] = await Promise.all([
      this.totals(where),
      this.groups(where, ['app'], 'bytes', 5),
      this.deps.telemetry.query<{ b: number }>(
        `SELECT toFloat64(sum(bytes)) AS b FROM ${where.plan.table} WHERE ${where.sql} AND direction = 'egress'`,
        where.params.values,
      ),
    ]);
    const seconds = (where.plan.to - where.plan.from) / 1000;
    return {
      lastHour: total,
      topApps: apps.map((a) => ({ app: String(a.keys[0]), bytes: a.bytes })),
      egressBitsPerSecond: Math.round((Number(egress[0]?.b ?? 0) * 8) / seconds),
    };
  }
}
