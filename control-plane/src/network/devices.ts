/**
 * Devices as operators see them: status from the last poll (every failure with its outcome and
 * reason), facts from discovery, interfaces with their latest rates, neighbours, links, poll history
 * and per-interface metrics; adding a device by address (discovered at once) or a bounded sweep of a
 * range; discovery on demand.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { PollOutcome, SweepPayload, SweepTarget } from '@tianshu/protocol';
import { InputError, NotFoundError } from '../errors.js';
import type { AuditLog } from '../auth/audit.js';
import { inScope, requirePermission, systemIdentity, type Identity } from '../auth/identity.js';
import type { AgentPrincipal } from '../fleet/service.js';
import { bigIntToAddress, parseCidr } from '../inventory/cidr.js';
import { scopePrefix } from '../inventory/common.js';
import type { DEVICE_ROLES } from '../inventory/devices.js';
import type { Inventory } from '../inventory/inventory.js';
import type { OrgUnitService } from '../inventory/org-units.js';
import type { Logger } from '../logger.js';
import type { Queryable, StateStore } from '../store/state/index.js';
import type { TelemetryStore } from '../store/telemetry/index.js';
import { credentialCheck, type SnmpCredentialService } from './credentials.js';
import { answered } from './evaluate.js';
import { METRIC_RANGES, type MetricRange, type NetworkService } from './service.js';
import { NETWORK_TABLES } from './telemetry-schema.js';

export type DeviceState = 'up' | 'down' | 'failing' | 'unknown';
export const DEVICE_STATES = ['up', 'down', 'failing', 'unknown'] as const;

export interface DeviceStatus {
  id: string;
  name: string;
  orgUnitId: string;
  siteId: string;
  role: string;
  managementAddress: string;
  snmpPort: number | null;
  vendor: string | null;
  model: string | null;
  osVersion: string | null;
  serial: string | null;
  sysName: string | null;
  sysDescr: string | null;
  sysObjectId: string | null;
  sysLocation: string | null;
  uptimeSeconds: number | null;
  status: DeviceState;
  /** Whether the last poll was answered (ok or partial) and is recent. */
  reachable: boolean | null;
  lastPoll: {
    at: string;
    outcome: PollOutcome;
    error: string | null;
    durationMs: number;
    consecutiveFailures: number;
    missing: string[];
    warnings: string[];
  } | null;
  lastDiscovery: { at: string; outcome: PollOutcome; error: string | null; missing: string[] } | null;
  interfaces: { total: number; up: number; down: number; missing: number };
  pollerAgentId: string | null;
  lastPollAgentId: string | null;
}

export interface InterfaceStatus {
  /** The inventory interface's id; null for an interface polled but not (yet) in the inventory. */
  id: string | null;
  ifIndex: number;
  name: string;
  descr: string | null;
  alias: string | null;
  type: number | null;
  speedMbps: number | null;
  mac: string | null;
  adminStatus: string | null;
  operStatus: string | null;
  counterBits: 32 | 64 | null;
  inBps: number | null;
  outBps: number | null;
  inUtilisation: number | null;
  outUtilisation: number | null;
  inErrorsPerSecond: number | null;
  outErrorsPerSecond: number | null;
  inDiscardsPerSecond: number | null;
  outDiscardsPerSecond: number | null;
  lastChangeAt: string | null;
  missingSince: string | null;
  polledAt: string | null;
}

export interface DeviceDetail extends Omit<DeviceStatus, 'interfaces'> {
  interfaceCounts: DeviceStatus['interfaces'];
  interfaces: InterfaceStatus[];
  neighbours: {
    localIfIndex: number;
    localPortName: string | null;
    remoteSysName: string;
    remotePortId: string;
    remoteChassisId: string;
  }[];
  links: { id: string; name: string; status: 'up' | 'down' | 'unknown'; role: string; ifIndex: number }[];
}

export interface InterfaceMetrics {
  stepSeconds: number;
  series: Record<
    | 'inBitsPerSecond'
    | 'outBitsPerSecond'
    | 'inPercent'
    | 'outPercent'
    | 'inErrorsPerSecond'
    | 'outErrorsPerSecond'
    | 'inDiscardsPerSecond'
    | 'outDiscardsPerSecond',
    [number, number][]
  >;
}

export interface DeviceListQuery {
  orgUnitId?: string | undefined;
  status?: DeviceState | undefined;
  q?: string | undefined;
}

type Role = (typeof DEVICE_ROLES)[number];
export interface SnmpSettings {
  version: '2c' | '3';
  credentialRef: string;
  port?: number | undefined;
}
export interface AddByAddress {
  siteId: string;
  address: string;
  snmp: SnmpSettings;
  role?: Role | undefined;
  name?: string | undefined;
  id?: string | undefined;
  pollerAgentId?: string | undefined;
  plane?: 'A' | 'B' | undefined;
}
export interface AddByCidr {
  siteId: string;
  cidr: string;
  snmp: SnmpSettings;
  role?: Role | undefined;
}

export interface SweepView {
  id: string;
  cidr: string;
  state: 'pending' | 'running' | 'done' | 'failed';
  probed: number;
  found: number;
  added: string[];
  error: string | null;
}

export const MAX_SWEEP_ADDRESSES = 1024;
/** A sweep no agent reported within this long is shown failed and no longer handed out. */
export const SWEEP_EXPIRY_MINUTES = 15;

const RANGE_MS: Record<MetricRange, number> = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 24 * 3_600_000,
  '7d': 7 * 24 * 3_600_000,
};
const RANGE_PLAN: Record<MetricRange, { table: 'raw' | '1m'; stepSeconds: number }> = {
  '15m': { table: 'raw', stepSeconds: 30 },
  '1h': { table: 'raw', stepSeconds: 60 },
  '6h': { table: 'raw', stepSeconds: 300 },
  '24h': { table: '1m', stepSeconds: 300 },
  '7d': { table: '1m', stepSeconds: 1800 },
};
export { METRIC_RANGES };

interface DeviceRow {
  id: string;
  name: string;
  org_unit_id: string;
  site_id: string;
  role: string;
  management_address: string;
  snmp_port: number | null;
  vendor: string | null;
  model: string | null;
  sys_object_id: string | null;
  poller_agent_id: string | null;
  path: string;
  x_sys_name: string | null;
  x_sys_descr: string | null;
  x_sys_location: string | null;
  x_sys_object_id: string | null;
  x_vendor: string | null;
  x_model: string | null;
  x_os_version: string | null;
  x_serial: string | null;
  x_at: Date | null;
  x_outcome: PollOutcome | null;
  x_reachable: boolean | null;
  x_error: string | null;
  x_missing: string[] | string | null;
  p_at: Date | null;
  p_outcome: PollOutcome | null;
  p_reachable: boolean | null;
  p_error: string | null;
  p_duration: number | null;
  p_failures: number | null;
  p_missing: string[] | string | null;
  p_warnings: string[] | string | null;
  p_agent: string | null;
  p_uptime: string | number | null;
}

const DEVICE_SELECT = `SELECT d.id, d.name, d.org_unit_id, d.site_id, d.role, d.management_address, d.snmp_port,
  d.vendor, d.model, d.sys_object_id, d.poller_agent_id::text AS poller_agent_id, u.path,
  x.sys_name AS x_sys_name, x.sys_descr AS x_sys_descr, x.sys_location AS x_sys_location,
  x.sys_object_id AS x_sys_object_id, x.vendor AS x_vendor, x.model AS x_model, x.os_version AS x_os_version,
  x.serial AS x_serial, x.discovered_at AS x_at, x.outcome AS x_outcome, x.reachable AS x_reachable,
  x.error AS x_error, x.missing AS x_missing,
  p.polled_at AS p_at, p.outcome AS p_outcome, p.reachable AS p_reachable, p.error AS p_error,
  p.duration_ms AS p_duration, p.consecutive_failures AS p_failures, p.missing AS p_missing,
  p.warnings AS p_warnings, p.agent_id::text AS p_agent, p.sys_uptime AS p_uptime
  FROM devices d JOIN org_units u ON u.id = d.org_unit_id
  LEFT JOIN device_discovery x ON x.device_id = d.id
  LEFT JOIN device_poll_state p ON p.device_id = d.id`;

interface InventoryIfRow {
  id: string;
  device_id: string;
  if_index: number;
  name: string;
  descr: string | null;
  alias: string | null;
  if_type: number | null;
  speed_mbps: number | null;
  mac: string | null;
  admin_status: string | null;
  counter_bits: number | null;
  missing_since: Date | null;
}
interface StateIfRow {
  device_id: string;
  if_index: number;
  if_name: string;
  oper_status: string;
  admin_status: string;
  speed_mbps: number;
  in_bps: number | null;
  out_bps: number | null;
  in_errors_ps: number | null;
  out_errors_ps: number | null;
  in_discards_ps: number | null;
  out_discards_ps: number | null;
  counter_bits: number | null;
  last_change_at: Date | null;
  polled_at: Date;
}

const list = (v: string[] | string | null | undefined): string[] =>
  v === null || v === undefined ? [] : typeof v === 'string' ? (JSON.parse(v) as string[]) : v;
const iso = (d: Date | null | undefined) => (d ? new Date(d).toISOString() : null);
const num = (v: number | string | null | undefined) => (v === null || v === undefined ? null : Number(v));

/** Older rows without an outcome: as the agent would have said it. */
const outcomeOf = (o: PollOutcome | null, reachable: boolean | null, error: string | null): PollOutcome =>
  o ?? (reachable === false ? 'timeout' : error ? 'error' : 'ok');

export interface DeviceViewDeps {
  db: StateStore;
  telemetry: TelemetryStore;
  audit: AuditLog;
  orgUnits: OrgUnitService;
  inventory: Inventory;
  credentials: SnmpCredentialService;
  links: NetworkService;
  /** How old a poll may be and still tell the status (a few poll intervals). */
  staleAfterMs: () => number;
  log: Logger;
}

/** A slug of an address for a device id: `10.1.2.3` → `dev-10-1-2-3`. */
export function addressSlug(address: string): string {
  return `dev-${address
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')}`.slice(0, 63);
}

/** The addresses of a CIDR to probe: IPv4 without network and broadcast (up to /30), else every one. */
export function expandCidr(text: string): string[] {
  const c = parseCidr(text.trim());
  if (typeof c === 'string') throw new InputError(`cidr: ${c}`, [{ path: 'cidr', message: c }]);
  const bits = c.family === 4 ? 32 : 128;
  const size = 1n << BigInt(bits - c.length);
  const hosts = c.family === 4 && c.length <= 30 ? size - 2n : size;
  if (hosts > BigInt(MAX_SWEEP_ADDRESSES)) {
    const m = `${c.text} has ${hosts} addresses; a sweep probes at most ${MAX_SWEEP_ADDRESSES} (an IPv4 /22 or smaller)`;
    throw new InputError(`cidr: ${m}`, {
      code: 'sweep.too_large',
      details: [{ path: 'cidr', message: m, code: 'sweep.too_large' }],
    });
  }
  const first = c.family === 4 && c.length <= 30 ? c.network + 1n : c.network;
  const out: string[] = [];
  for (let i = 0n; i < hosts; i++) out.push(bigIntToAddress(c.family, first + i));
  return out;
}

export class DeviceViews {
  constructor(private readonly deps: DeviceViewDeps) {}

  // ---- reads ---------------------------------------------------------------------------------------

  private async counts(
    deviceIds: string[],
    q: Queryable = this.deps.db,
  ): Promise<Map<string, { total: number; up: number; down: number; missing: number }>> {
    const out = new Map<string, { total: number; up: number; down: number; missing: number }>();
    if (!deviceIds.length) return out;
    const stale = Date.now() - this.deps.staleAfterMs();
    const r = await q.query<{
      device_id: string;
      total: string | number;
      up: string | number;
      down: string | number;
      missing: string | number;
    }>(
      `SELECT COALESCE(i.device_id, s.device_id) AS device_id,
         count(*) FILTER (WHERE i.missing_since IS NULL) AS total,
         count(*) FILTER (WHERE i.missing_since IS NULL AND s.polled_at >= $2 AND s.oper_status = 'up') AS up,
         count(*) FILTER (WHERE i.missing_since IS NULL AND s.polled_at >= $2
           AND (s.oper_status IN ('down', 'lowerLayerDown', 'notPresent') OR s.admin_status = 'down')) AS down,
         count(*) FILTER (WHERE i.missing_since IS NOT NULL) AS missing
       FROM (SELECT * FROM interfaces WHERE device_id = ANY($1)) i
       FULL JOIN (SELECT * FROM interface_state WHERE device_id = ANY($1)) s
         ON s.device_id = i.device_id AND s.if_index = i.if_index
       GROUP BY 1`,
      [deviceIds, new Date(stale)],
    );
    for (const x of r.rows) {
      out.set(x.device_id, {
        total: Number(x.total),
        up: Number(x.up),
        down: Number(x.down),
        missing: Number(x.missing),
      });
    }
    return out;
  }

  private status(r: DeviceRow, counts: DeviceStatus['interfaces'] | undefined, now: number): DeviceStatus {
    const fresh = r.p_at !== null && now - new Date(r.p_at).getTime() <= this.deps.staleAfterMs();
    const outcome = r.p_at ? outcomeOf(r.p_outcome, r.p_reachable, r.p_error) : null;
    const state: DeviceState =
      !outcome || !fresh ? 'unknown' : answered(outcome) ? 'up' : outcome === 'timeout' ? 'down' : 'failing';
    const uptime = num(r.p_uptime);
    return {
      id: r.id,
      name: r.name,
      orgUnitId: r.org_unit_id,
      siteId: r.site_id,
      role: r.role,
      managementAddress: r.management_address,
      snmpPort: r.snmp_port === null ? null : Number(r.snmp_port),
      vendor: r.vendor ?? r.x_vendor,
      model: r.model ?? r.x_model,
      osVersion: r.x_os_version,
      serial: r.x_serial,
      sysName: r.x_sys_name,
      sysDescr: r.x_sys_descr,
      sysObjectId: r.sys_object_id ?? r.x_sys_object_id,
      sysLocation: r.x_sys_location,
      uptimeSeconds: uptime === null || state !== 'up' ? null : Math.floor(uptime / 100),
      status: state,
      reachable: state === 'unknown' ? null : state === 'up',
      lastPoll:
        r.p_at && outcome
          ? {
              at: new Date(r.p_at).toISOString(),
              outcome,
              error: r.p_error,
              durationMs: Number(r.p_duration ?? 0),
              consecutiveFailures: Number(r.p_failures ?? 0),
              missing: list(r.p_missing),
              warnings: list(r.p_warnings),
            }
          : null,
      lastDiscovery: r.x_at
        ? {
            at: new Date(r.x_at).toISOString(),
            outcome: outcomeOf(r.x_outcome, r.x_reachable, r.x_error),
            error: r.x_error,
            missing: list(r.x_missing),
          }
        : null,
      interfaces: counts ?? { total: 0, up: 0, down: 0, missing: 0 },
      pollerAgentId: r.poller_agent_id,
      lastPollAgentId: r.p_agent,
    };
  }

  async list(identity: Identity, query: DeviceListQuery = {}): Promise<DeviceStatus[]> {
    requirePermission(identity, 'network:read');
    const prefix = await scopePrefix(this.deps.orgUnits, identity, query.orgUnitId);
    const params: unknown[] = [prefix + '%'];
    let where = 'u.path LIKE $1';
    const q = query.q?.trim();
    if (q) {
      params.push(`%${q.replace(/[\\%_]/g, '\\$&')}%`);
      const n = `$${params.length}`;
      where += ` AND (d.id ILIKE ${n} OR d.name ILIKE ${n} OR d.management_address ILIKE ${n}
        OR x.sys_name ILIKE ${n} OR d.vendor ILIKE ${n} OR x.vendor ILIKE ${n} OR d.model ILIKE ${n}
        OR x.model ILIKE ${n})`;
    }
    const r = await this.deps.db.query<DeviceRow>(
      `${DEVICE_SELECT} WHERE ${where} ORDER BY u.path, d.id`,
      params,
    );
    const counts = await this.counts(r.rows.map((x) => x.id));
    const now = Date.now();
    const items = r.rows.map((x) => this.status(x, counts.get(x.id), now));
    return query.status ? items.filter((d) => d.status === query.status) : items;
  }

  /** Devices per status in the caller's subtree (the overview's figures). */
  async summary(identity: Identity): Promise<Record<DeviceState | 'total', number>> {
    requirePermission(identity, 'network:read');
    const r = await this.deps.db.query<{
      outcome: PollOutcome | null;
      reachable: boolean | null;
      fresh: boolean;
    }>(
      `SELECT p.outcome, p.reachable, COALESCE(p.polled_at >= $2, false) AS fresh
       FROM devices d JOIN org_units u ON u.id = d.org_unit_id LEFT JOIN device_poll_state p ON p.device_id = d.id
       WHERE u.path LIKE $1`,
      [identity.orgUnitPath + '%', new Date(Date.now() - this.deps.staleAfterMs())],
    );
    const out = { total: 0, up: 0, down: 0, failing: 0, unknown: 0 };
    for (const x of r.rows) {
      out.total++;
      if (!x.fresh || x.reachable === null) out.unknown++;
      else {
        const o = outcomeOf(x.outcome, x.reachable, null);
        if (answered(o)) out.up++;
        else if (o === 'timeout') out.down++;
        else out.failing++;
      }
    }
    return out;
  }

  private async deviceRow(identity: Identity, id: string, q: Queryable = this.deps.db): Promise<DeviceRow> {
    const r = await q.query<DeviceRow>(`${DEVICE_SELECT} WHERE d.id = $1`, [id]);
    const row = r.rows[0];
    if (!row || !inScope(identity, row.path)) throw new NotFoundError(`device "${id}" not found`);
    return row;
  }

  async statusOf(identity: Identity, id: string, q?: Queryable): Promise<DeviceStatus> {
    const row = await this.deviceRow(identity, id, q);
    const counts = await this.counts([id], q);
    return this.status(row, counts.get(id), Date.now());
  }

  private async interfaceStatuses(deviceId: string, ifIndex?: number): Promise<InterfaceStatus[]> {
    const params: unknown[] = [deviceId];
    let filter = '';
    if (ifIndex !== undefined) {
      params.push(ifIndex);
      filter = ' AND if_index = $2';
    }
    const inv = await this.deps.db.query<InventoryIfRow>(
      `SELECT id, device_id, if_index, name, descr, alias, if_type, speed_mbps, mac, admin_status, counter_bits,
         missing_since FROM interfaces WHERE device_id = $1${filter}`,
      params,
    );
    const st = await this.deps.db.query<StateIfRow>(
      `SELECT * FROM interface_state WHERE device_id = $1${filter}`,
      params,
    );
    const now = Date.now();
    const byIndex = new Map<number, { inv?: InventoryIfRow; st?: StateIfRow }>();
    for (const i of inv.rows) byIndex.set(Number(i.if_index), { inv: i });
    for (const s of st.rows) {
      const k = Number(s.if_index);
      byIndex.set(k, { ...byIndex.get(k), st: s });
    }
    const round = (x: number) => Math.round(x * 1000) / 1000;
    return [...byIndex.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([idx, { inv: i, st: s }]) => {
        const fresh = s !== undefined && now - new Date(s.polled_at).getTime() <= this.deps.staleAfterMs();
        const polledSpeed = s && Number(s.speed_mbps) > 0 ? Number(s.speed_mbps) : null;
        const speed = polledSpeed ?? num(i?.speed_mbps);
        const rate = (v: number | null | undefined) =>
          fresh && v !== null && v !== undefined ? Number(v) : null;
        const inBps = rate(s?.in_bps);
        const outBps = rate(s?.out_bps);
        const util = (bps: number | null) =>
          bps === null || !speed ? null : round((bps / (speed * 1e6)) * 100);
        const bits = num(s?.counter_bits ?? i?.counter_bits);
        return {
          id: i?.id ?? null,
          ifIndex: idx,
          name: i?.name ?? s?.if_name ?? `ifIndex ${idx}`,
          descr: i?.descr ?? null,
          alias: i?.alias ?? null,
          type: num(i?.if_type),
          speedMbps: speed,
          mac: i?.mac ?? null,
          adminStatus: s?.admin_status ?? i?.admin_status ?? null,
          operStatus: s?.oper_status ?? null,
          counterBits: bits === 32 || bits === 64 ? bits : null,
          inBps,
          outBps,
          inUtilisation: util(inBps),
          outUtilisation: util(outBps),
          inErrorsPerSecond: rate(s?.in_errors_ps),
          outErrorsPerSecond: rate(s?.out_errors_ps),
          inDiscardsPerSecond: rate(s?.in_discards_ps),
          outDiscardsPerSecond: rate(s?.out_discards_ps),
          lastChangeAt: iso(s?.last_change_at),
          missingSince: iso(i?.missing_since),
          polledAt: iso(s?.polled_at),
        };
      });
  }

  async get(identity: Identity, id: string): Promise<DeviceDetail> {
    requirePermission(identity, 'network:read');
    const status = await this.statusOf(identity, id);
    const interfaces = await this.interfaceStatuses(id);
    const n = await this.deps.db.query<{
      local_if_index: number;
      local_port_name: string | null;
      remote_sys_name: string;
      remote_port_id: string;
      remote_chassis_id: string;
    }>(
      `SELECT local_if_index, local_port_name, remote_sys_name, remote_port_id, remote_chassis_id
       FROM lldp_neighbours WHERE device_id = $1 ORDER BY local_if_index, remote_sys_name`,
      [id],
    );
    const links = (await this.deps.links.listLinks(identity))
      .filter((l) => l.a.deviceId === id || l.b.deviceId === id)
      .map((l) => ({
        id: l.id,
        name: l.name,
        status: l.status,
        role: l.role,
        ifIndex: l.a.deviceId === id ? l.a.ifIndex : l.b.ifIndex,
      }));
    const { interfaces: interfaceCounts, ...rest } = status;
    return {
      ...rest,
      interfaceCounts,
      interfaces,
      neighbours: n.rows.map((x) => ({
        localIfIndex: Number(x.local_if_index),
        localPortName: x.local_port_name,
        remoteSysName: x.remote_sys_name,
        remotePortId: x.remote_port_id,
        remoteChassisId: x.remote_chassis_id,
      })),
      links,
    };
  }

  async polls(
    identity: Identity,
    id: string,
    range: MetricRange,
    nowMs = Date.now(),
  ): Promise<{ items: { at: string; outcome: PollOutcome; error: string | null; durationMs: number }[] }> {
    requirePermission(identity, 'network:read');
    await this.deviceRow(identity, id);
    const rows = await this.deps.telemetry.query<{
      t: string | number;
      outcome: string;
      reachable: number;
      error: string;
      duration_ms: number;
    }>(
      `SELECT toUnixTimestamp64Milli(ts) AS t, outcome, reachable, error, duration_ms FROM ${NETWORK_TABLES.polls}
       WHERE device_id = {device:String}
         AND ts >= fromUnixTimestamp64Milli(toInt64({from:Int64})) AND ts <= fromUnixTimestamp64Milli(toInt64({to:Int64}))
       ORDER BY ts DESC LIMIT 2000`,
      { device: id, from: nowMs - RANGE_MS[range], to: nowMs },
    );
    return {
      items: rows.map((r) => ({
        at: new Date(Number(r.t)).toISOString(),
        outcome: outcomeOf(
          (r.outcome || null) as PollOutcome | null,
          Number(r.reachable) === 1,
          r.error || null,
        ),
        error: r.error || null,
        durationMs: Number(r.duration_ms),
      })),
    };
  }

  async getInterface(
    identity: Identity,
    id: string,
    ifIndex: number,
  ): Promise<InterfaceStatus & { history: { at: string; change: string; detail: string }[] }> {
    requirePermission(identity, 'network:read');
    await this.deviceRow(identity, id);
    const [status] = await this.interfaceStatuses(id, ifIndex);
    if (!status) throw new NotFoundError(`interface ${ifIndex} of device "${id}" not found`);
    const h = status.id
      ? await this.deps.db.query<{ at: Date; change: string; detail: string }>(
          `SELECT at, change, detail FROM interface_history WHERE interface_id = $1 ORDER BY at DESC, id DESC LIMIT 500`,
          [status.id],
        )
      : { rows: [] };
    return {
      ...status,
      history: h.rows.map((x) => ({ at: new Date(x.at).toISOString(), change: x.change, detail: x.detail })),
    };
  }

  async interfaceMetrics(
    identity: Identity,
    id: string,
    ifIndex: number,
    range: MetricRange,
    nowMs = Date.now(),
  ): Promise<InterfaceMetrics> {
    requirePermission(identity, 'network:read');
    await this.deviceRow(identity, id);
    const plan = RANGE_PLAN[range];
    const avg = (m: string) =>
      plan.table === 'raw' ? `avg(${m})` : `sum(${m}_sum) / nullIf(sum(${m}_count), 0)`;
    const table = plan.table === 'raw' ? NETWORK_TABLES.interfaces : NETWORK_TABLES.interfacesMinute;
    const rows = await this.deps.telemetry.query<Record<string, number | string | null>>(
      `SELECT toUnixTimestamp(toStartOfInterval(ts, INTERVAL ${plan.stepSeconds} SECOND)) * 1000 AS t,
         ${avg('in_bps')} AS i, ${avg('out_bps')} AS o, ${avg('in_util_percent')} AS ip,
         ${avg('out_util_percent')} AS op, ${avg('in_errors_ps')} AS ie, ${avg('out_errors_ps')} AS oe,
         ${avg('in_discards_ps')} AS idc, ${avg('out_discards_ps')} AS odc
       FROM ${table}
       WHERE device_id = {device:String} AND if_index = {ifIndex:UInt32}
         AND ts >= fromUnixTimestamp64Milli(toInt64({from:Int64})) AND ts <= fromUnixTimestamp64Milli(toInt64({to:Int64}))
       GROUP BY t ORDER BY t`,
      { device: id, ifIndex, from: nowMs - RANGE_MS[range], to: nowMs },
    );
    const series: InterfaceMetrics['series'] = {
      inBitsPerSecond: [],
      outBitsPerSecond: [],
      inPercent: [],
      outPercent: [],
      inErrorsPerSecond: [],
      outErrorsPerSecond: [],
      inDiscardsPerSecond: [],
      outDiscardsPerSecond: [],
    };
    const cols: [keyof InterfaceMetrics['series'], string][] = [
      ['inBitsPerSecond', 'i'],
      ['outBitsPerSecond', 'o'],
      ['inPercent', 'ip'],
      ['outPercent', 'op'],
      ['inErrorsPerSecond', 'ie'],
      ['outErrorsPerSecond', 'oe'],
      ['inDiscardsPerSecond', 'idc'],
      ['outDiscardsPerSecond', 'odc'],
    ];
    for (const r of rows) {
      const t = Number(r.t);
      for (const [key, col] of cols) {
        const v = r[col];
        if (v !== null && v !== undefined && Number.isFinite(Number(v))) series[key].push([t, Number(v)]);
      }
    }
    return { stepSeconds: plan.stepSeconds, series };
  }

  // ---- writes --------------------------------------------------------------------------------------

  /** A new discovery token: the device's PollTarget changes, so its agent discovers it now. */
  private async requestDiscovery(q: Queryable, id: string): Promise<Date> {
    const at = new Date();
    await q.query('UPDATE devices SET discovery_token = $2, discovery_requested_at = $3 WHERE id = $1', [
      id,
      `${at.getTime().toString(36)}-${randomBytes(6).toString('hex')}`,
      at,
    ]);
    return at;
  }

  async discover(identity: Identity, id: string): Promise<{ requestedAt: string }> {
    requirePermission(identity, 'inventory:write');
    return this.deps.db.transaction(async (tx) => {
      const row = await this.deviceRow(identity, id, tx);
      const at = await this.requestDiscovery(tx, id);
      await this.deps.audit.record(
        identity,
        { action: 'device.discover', targetType: 'device', targetId: id, orgUnitId: row.org_unit_id },
        tx,
      );
      return { requestedAt: at.toISOString() };
    });
  }

  /** A free device id from the address: `dev-10-1-2-3`, then `dev-10-1-2-3-2`, … */
  private async freeId(q: Queryable, address: string): Promise<string> {
    const base = addressSlug(address);
    const r = await q.query<{ id: string }>('SELECT id FROM devices WHERE id = $1 OR id LIKE $2', [
      base,
      `${base}-%`,
    ]);
    const taken = new Set(r.rows.map((x) => x.id));
    if (!taken.has(base)) return base;
    for (let n = 2; ; n++) {
      const id = `${base.slice(0, 58)}-${n}`;
      if (!taken.has(id)) return id;
    }
  }

  /**
   * Adds a device by address through the inventory (all its checks: management prefix, credential,
   * poller), named by its address until discovery brings its sysName, and asks for its discovery now.
   */
  async addByAddress(identity: Identity, input: AddByAddress, tx?: Queryable): Promise<DeviceStatus> {
    requirePermission(identity, 'inventory:write');
    const run = async (q: Queryable) => {
      const id = input.id ?? (await this.freeId(q, input.address));
      await this.deps.inventory.devices.create(
        identity,
        {
          id,
          siteId: input.siteId,
          name: input.name ?? input.address,
          role: input.role ?? 'access',
          managementAddress: input.address,
          snmp: input.snmp,
          ...(input.plane ? { plane: input.plane } : {}),
          ...(input.pollerAgentId ? { pollerAgentId: input.pollerAgentId } : {}),
        },
        q,
      );
      if (!input.name) await q.query('UPDATE devices SET name_auto = true WHERE id = $1', [id]);
      await this.requestDiscovery(q, id);
      return this.statusOf(identity, id, q);
    };
    return tx ? run(tx) : this.deps.db.transaction(run);
  }

  /**
   * A bounded sweep of a range inside a management prefix of the site's org unit, handed to the edge
   * agents serving that unit (`EdgeConfig.sweeps`).
   */
  async startSweep(identity: Identity, input: AddByCidr): Promise<{ sweepId: string }> {
    requirePermission(identity, 'inventory:write');
    const addresses = expandCidr(input.cidr);
    const cidr = parseCidr(input.cidr.trim()) as Exclude<ReturnType<typeof parseCidr>, string>;
    return this.deps.db.transaction(async (tx) => {
      const site = await tx.query<{ org_unit_id: string; path: string }>(
        'SELECT s.org_unit_id, u.path FROM sites s JOIN org_units u ON u.id = s.org_unit_id WHERE s.id = $1',
        [input.siteId],
      );
      const s = site.rows[0];
      if (!s || !inScope(identity, s.path)) {
        throw new NotFoundError(`siteId: site "${input.siteId}" not found`);
      }
      const inside = await tx.query(
        `SELECT 1 FROM ip_prefixes WHERE purpose = 'management' AND org_unit_id = $1 AND prefix >>= $2::cidr`,
        [s.org_unit_id, cidr.text],
      );
      if (inside.rowCount === 0) {
        const m = `${cidr.text} is not inside a management prefix of org unit "${s.org_unit_id}"; sweep a range of the site's own management prefixes`;
        throw new InputError(`cidr: ${m}`, {
          code: 'sweep.outside_prefix',
          details: [{ path: 'cidr', message: m, code: 'sweep.outside_prefix' }],
        });
      }
      // The credential must be usable there, as for a device (its owner, grants and version).
      await credentialCheck(
        identity,
        {
          id: 'sweep',
          orgUnitId: s.org_unit_id,
          path: s.path,
          managementAddress: addresses[0]!,
          snmp: input.snmp,
          pollerAgentId: null,
        },
        tx,
      );
      // Some edge agent must be able to run it: one serving the unit and receiving the credential.
      const agents = await tx.query(
        `SELECT 1 FROM agents a JOIN org_units au ON au.id = a.org_unit_id, snmp_credentials c
           JOIN org_units cu ON cu.id = c.org_unit_id
         WHERE c.id = $1 AND a.revoked_at IS NULL AND 'edge' = ANY(a.roles)
           AND $2 LIKE au.path || '%' AND cu.path LIKE au.path || '%' LIMIT 1`,
        [input.snmp.credentialRef, s.path],
      );
      if (agents.rowCount === 0) {
        throw new InputError(
          `siteId: no edge agent serves org unit "${s.org_unit_id}" with SNMP credential "${input.snmp.credentialRef}" (an agent enrolled at or above both the unit and the credential's owner); enrol one first`,
        );
      }
      const id = randomUUID();
      await tx.query(
        `INSERT INTO network_sweeps (id, org_unit_id, site_id, cidr, addresses, snmp_version, credential_ref, snmp_port,
           role, state, requested_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10)`,
        [
          id,
          s.org_unit_id,
          input.siteId,
          cidr.text,
          JSON.stringify(addresses),
          input.snmp.version,
          input.snmp.credentialRef,
          input.snmp.port ?? null,
          input.role ?? 'access',
          identity.name,
        ],
      );
      await this.deps.audit.record(
        identity,
        {
          action: 'device.sweep',
          targetType: 'sweep',
          targetId: id,
          orgUnitId: s.org_unit_id,
          details: { cidr: cidr.text, siteId: input.siteId, addresses: addresses.length, snmp: input.snmp },
        },
        tx,
      );
      return { sweepId: id };
    });
  }

  async getSweep(identity: Identity, id: string): Promise<SweepView> {
    requirePermission(identity, 'network:read');
    const r = await this.deps.db.query<{
      id: string;
      cidr: string;
      state: SweepView['state'];
      probed: number;
      found: unknown[] | string;
      added: string[] | string;
      error: string | null;
      path: string;
      expired: boolean;
    }>(
      `SELECT w.id, w.cidr, w.state, w.probed, w.found, w.added, w.error, u.path,
         w.created_at <= now() - interval '${SWEEP_EXPIRY_MINUTES} minutes' AS expired
       FROM network_sweeps w JOIN org_units u ON u.id = w.org_unit_id WHERE w.id::text = $1`,
      [id],
    );
    const row = r.rows[0];
    if (!row || !inScope(identity, row.path)) throw new NotFoundError(`sweep "${id}" not found`);
    const found = typeof row.found === 'string' ? (JSON.parse(row.found) as unknown[]) : row.found;
    // A sweep no agent reported in time is shown as failed, with why.
    const lost = row.expired && (row.state === 'pending' || row.state === 'running');
    return {
      id: row.id,
      cidr: row.cidr,
      state: lost ? 'failed' : row.state,
      probed: Number(row.probed),
      found: found.length,
      added: list(row.added),
      error: lost
        ? `no edge agent reported this sweep within ${SWEEP_EXPIRY_MINUTES} minutes (${row.state === 'pending' ? 'no agent took it' : 'an agent took it but sent no result'})`
        : row.error,
    };
  }

  /** The pending sweeps an edge agent runs: those of units it serves, with their credentials. */
  async sweepTargets(agent: AgentPrincipal): Promise<SweepTarget[]> {
    if (!agent.roles.includes('edge')) return [];
    const r = await this.deps.db.query<{
      id: string;
      addresses: string[] | string;
      snmp_port: number | null;
      cred_id: string;
      secret: string;
      version: '2c' | '3';
      user_name: string | null;
      security_level: string | null;
      auth_protocol: string | null;
      priv_protocol: string | null;
      cred_path: string;
    }>(
      `SELECT w.id, w.addresses, w.snmp_port, c.id AS cred_id, c.secret, c.version, c.user_name, c.security_level,
         c.auth_protocol, c.priv_protocol, cu.path AS cred_path
       FROM network_sweeps w JOIN org_units u ON u.id = w.org_unit_id
       JOIN snmp_credentials c ON c.id = w.credential_ref JOIN org_units cu ON cu.id = c.org_unit_id
       WHERE w.state IN ('pending', 'running') AND w.created_at > now() - interval '${SWEEP_EXPIRY_MINUTES} minutes'
         AND u.path LIKE $1 ORDER BY w.created_at LIMIT 16`,
      [agent.orgUnitPath + '%'],
    );
    const out: SweepTarget[] = [];
    for (const w of r.rows) {
      // Secrets go only to agents enrolled at or above the credential's owner.
      if (!w.cred_path.startsWith(agent.orgUnitPath)) continue;
      let credentials;
      try {
        credentials = this.deps.credentials.wire({ ...w, id: w.cred_id });
      } catch (err) {
        this.deps.log.warn(
          { sweepId: w.id, err: (err as Error).message },
          'sweep credential cannot be opened',
        );
        continue;
      }
      out.push({
        sweepId: w.id,
        addresses: list(w.addresses),
        port: w.snmp_port === null ? 161 : Number(w.snmp_port),
        credentials,
        timeoutMs: 1000,
        retries: 0,
      });
    }
    if (out.length) {
      await this.deps.db.query(
        `UPDATE network_sweeps SET state = 'running' WHERE id = ANY($1) AND state = 'pending'`,
        [out.map((s) => s.sweepId)],
      );
    }
    return out;
  }

  /** Checks a batch's sweep payloads: each must be a sweep of a unit the agent serves. */
  async prepareSweeps(
    agent: AgentPrincipal,
    payloads: SweepPayload[],
  ): Promise<{ agent: AgentPrincipal; sweeps: SweepPayload[] }> {
    if (!agent.roles.includes('edge'))
      throw new InputError('sweeps come from agents with the edge role only');
    const ids = [...new Set(payloads.map((p) => p.sweepId))];
    const r = await this.deps.db.query<{ id: string; path: string }>(
      'SELECT w.id, u.path FROM network_sweeps w JOIN org_units u ON u.id = w.org_unit_id WHERE w.id::text = ANY($1)',
      [ids],
    );
    const known = new Set(r.rows.filter((w) => w.path.startsWith(agent.orgUnitPath)).map((w) => w.id));
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length) {
      throw new InputError(
        `batch reports sweep(s) this agent was not given: ${unknown.slice(0, 10).join(', ')}`,
      );
    }
    return { agent, sweeps: payloads };
  }

  /**
   * Applies what a sweep found: every address that answered becomes a device as an add by address
   * (addresses already used are skipped; an address the inventory refuses is named in `error`).
   */
  async applySweeps(batch: { agent: AgentPrincipal; sweeps: SweepPayload[] }): Promise<void> {
    for (const p of batch.sweeps) {
      await this.deps.db.transaction(async (tx) => {
        const r = await tx.query<{
          id: string;
          org_unit_id: string;
          site_id: string;
          snmp_version: '2c' | '3';
          credential_ref: string;
          snmp_port: number | null;
          role: Role;
          state: string;
          added: string[] | string;
          path: string;
          requested_by: string | null;
        }>(
          `SELECT w.*, u.path FROM network_sweeps w JOIN org_units u ON u.id = w.org_unit_id WHERE w.id::text = $1 FOR UPDATE OF w`,
          [p.sweepId],
        );
        const w = r.rows[0];
        if (!w) return;
        const identity: Identity = {
          ...systemIdentity(w.path),
          name: `sweep ${w.id}${w.requested_by ? ` (requested by ${w.requested_by})` : ''}`,
        };
        const added = list(w.added);
        const problems: string[] = [];
        for (const f of p.found) {
          const used = await tx.query('SELECT 1 FROM devices WHERE management_address = $1', [f.address]);
          if (used.rowCount > 0) continue;
          try {
            await tx.query('SAVEPOINT sweep_add');
            const d = await this.addByAddress(
              identity,
              {
                siteId: w.site_id,
                address: f.address,
                snmp: {
                  version: w.snmp_version,
                  credentialRef: w.credential_ref,
                  ...(w.snmp_port === null ? {} : { port: Number(w.snmp_port) }),
                },
                role: w.role,
              },
              tx,
            );
            await tx.query('RELEASE SAVEPOINT sweep_add');
            const sysName = f.sysName?.trim().slice(0, 200);
            if (sysName)
              await tx.query('UPDATE devices SET name = $2 WHERE id = $1 AND name_auto', [d.id, sysName]);
            added.push(d.id);
          } catch (err) {
            await tx.query('ROLLBACK TO SAVEPOINT sweep_add');
            problems.push(`${f.address}: ${(err as Error).message}`);
          }
        }
        const error = [p.error, ...problems].filter(Boolean).join('; ').slice(0, 2000) || null;
        await tx.query(
          `UPDATE network_sweeps SET state = $2, probed = GREATEST(probed, $3), found = $4, added = $5, error = $6,
             finished_at = $7 WHERE id = $1`,
          [
            w.id,
            p.error && !p.found.length ? 'failed' : 'done',
            p.probed,
            JSON.stringify(p.found),
            JSON.stringify(added),
            error,
            new Date(p.at),
          ],
        );
      });
    }
  }
}
