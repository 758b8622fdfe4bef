import { randomUUID } from 'node:crypto';
import {
  encodeInterfacePoll,
  interfacePollRows,
  type DiscoveryPayload,
  type EdgeConfig,
  type InterfacePollPayload,
  type InterfacePollReport,
  type PollTarget,
} from '@tianshu/protocol';
import { TsvBuilder, tsvDateTime64Millis, tsvEscape } from '../store/telemetry/index.js';
import { InputError, NotFoundError } from '../errors.js';
import type { AlarmSink } from '../alerting/types.js';
import type { AuditLog } from '../auth/audit.js';
import { inScope, requirePermission, type Identity } from '../auth/identity.js';
import type { AgentPrincipal } from '../fleet/service.js';
import { scopePrefix } from '../inventory/common.js';
import type { Inventory } from '../inventory/inventory.js';
import type { OrgLevel, OrgUnitService } from '../inventory/org-units.js';
import { lockKey } from '../store/state/migrate.js';
import type { Queryable, StateStore } from '../store/state/index.js';
import { NETWORK_TABLES } from './telemetry-schema.js';
import type { TelemetryStore } from '../store/telemetry/index.js';
import type { Logger } from '../logger.js';
import type { SnmpCredentialService } from './credentials.js';
import { pollCandidates, unpolledReason } from './candidates.js';
import { deviceFacts, discoveryOutcome, syncInterfaces } from './discovery.js';
import {
  answered,
  evaluate,
  evaluateDevicePoll,
  pollOutcome,
  interfaceKey,
  pairKey,
  tierVerdict,
  type AlarmAction,
  type DeviceSnapshot,
  type InterfaceSnapshot,
  type LinkDef,
  type LinkEventKind,
  type LinkLevel,
  type LinkState,
  type PairState,
  type RedundancyReason,
  type TierVerdict,
  type Utilisation,
} from './evaluate.js';
import type { NetworkPolicy } from './policy.js';

/** Settings of the network module (config `network.*`). */

/** The columns of `interface_metrics` in the order `storePoll` writes them. */
const INTERFACE_TSV_COLUMNS = [
  'ts',
  'device_id',
  'org_unit_id',
  'if_index',
  'if_name',
  'oper_status',
  'admin_status',
  'speed_mbps',
  'in_bps',
  'out_bps',
  'in_util_percent',
  'out_util_percent',
  'in_errors_ps',
  'out_errors_ps',
  'in_discards_ps',
  'out_discards_ps',
  'counter_event',
  'counter_bits',
] as const;
export interface NetworkSettings {
  pollIntervalSeconds: number;
  discoveryIntervalSeconds: number;
  concurrency: number;
}

export interface NetworkDeps {
  db: StateStore;
  telemetry: TelemetryStore;
  audit: AuditLog;
  orgUnits: OrgUnitService;
  inventory: Inventory;
  credentials: SnmpCredentialService;
  /** The current `policies/network.yaml` (hot-reloaded). */
  policy: () => NetworkPolicy;
  alarms: AlarmSink;
  settings: NetworkSettings;
  log: Logger;
}

export interface LinkEndView {
  deviceId: string;
  deviceName: string;
  ifIndex: number;
  ifName: string;
}

/** A link as the API shows it (the console's contract). */
export interface LinkView {
  id: string;
  name: string;
  orgUnitId: string;
  level: LinkLevel;
  role: 'primary' | 'backup';
  plane: 'A' | 'B';
  pairId: string | null;
  a: LinkEndView;
  b: LinkEndView;
  status: 'up' | 'down' | 'unknown';
  speedMbps: number | null;
  utilisation: Utilisation | null;
  bps: { in: number; out: number } | null;
  errorsPerSecond: number | null;
  active: boolean | null;
  failedOver: boolean;
  tier: TierVerdict;
  flapping: boolean;
  lastChangeAt: string | null;
  updatedAt: string | null;
}

export interface LinkHistoryEntry {
  at: string;
  event: LinkEventKind;
  detail: string;
}

export const METRIC_RANGES = ['15m', '1h', '6h', '24h', '7d'] as const;
export type MetricRange = (typeof METRIC_RANGES)[number];

export interface LinkMetrics {
  stepSeconds: number;
  series: Record<
    'inBitsPerSecond' | 'outBitsPerSecond' | 'inPercent' | 'outPercent' | 'errorsPerSecond',
    [number, number][]
  >;
}

export interface LinkFilterQuery {
  orgUnitId?: string | undefined;
  level?: LinkLevel | undefined;
  status?: 'up' | 'down' | 'unknown' | undefined;
}

export interface ProposalView {
  id: string;
  a: { deviceId: string; ifIndex: number; ifName: string };
  b: { deviceId: string; ifIndex: number; ifName: string };
  seenAt: string;
}

export interface AcceptProposal {
  level: LinkLevel;
  role: 'primary' | 'backup';
  plane: 'A' | 'B';
  pairId?: string | undefined;
  orgUnitId: string;
}

/** What `prepare` checked about a batch's network payloads, for the later steps of ingest. */
export interface NetworkBatch {
  agent: AgentPrincipal;
  devices: Map<string, { orgUnitId: string; name: string }>;
  polls: InterfacePollPayload[];
  discoveries: DiscoveryPayload[];
}

const RANGE_MS: Record<MetricRange, number> = {
  '15m': 15 * 60_000,
  '1h': 3_600_000,
  '6h': 6 * 3_600_000,
  '24h': 24 * 3_600_000,
  '7d': 7 * 24 * 3_600_000,
};

/** Raw samples up to 6 h, the 1-minute roll-up up to 7 days. */
const RANGE_PLAN: Record<MetricRange, { table: 'raw' | '1m'; stepSeconds: number }> = {
  '15m': { table: 'raw', stepSeconds: 30 },
  '1h': { table: 'raw', stepSeconds: 60 },
  '6h': { table: 'raw', stepSeconds: 300 },
  '24h': { table: '1m', stepSeconds: 300 },
  '7d': { table: '1m', stepSeconds: 1800 },
};

interface LinkRow {
  id: string;
  org_unit_id: string;
  level: LinkLevel;
  role: 'primary' | 'backup';
  plane: 'A' | 'B';
  pair_id: string | null;
  target_mbps: number | null;
  path: string;
  a_device_id: string;
  a_device_name: string;
  a_if_index: number;
  a_if_name: string;
  a_speed: number | null;
  b_device_id: string;
  b_device_name: string;
  b_if_index: number;
  b_if_name: string;
  b_speed: number | null;
  state?: LinkState | string | null;
  state_updated_at?: Date | null;
}

const LINK_SELECT = `SELECT l.id, l.org_unit_id, l.level, l.role, l.plane, l.pair_id, l.target_mbps, u.path,
  l.a_device_id, ad.name AS a_device_name, ai.if_index AS a_if_index, ai.name AS a_if_name, ai.speed_mbps AS a_speed,
  l.b_device_id, bd.name AS b_device_name, bi.if_index AS b_if_index, bi.name AS b_if_name, bi.speed_mbps AS b_speed
  FROM links l
  JOIN org_units u ON u.id = l.org_unit_id
  JOIN interfaces ai ON ai.id = l.a_interface_id JOIN devices ad ON ad.id = l.a_device_id
  JOIN interfaces bi ON bi.id = l.b_interface_id JOIN devices bd ON bd.id = l.b_device_id`;

const json = <T>(v: T | string | null | undefined): T | null =>
  v === null || v === undefined ? null : typeof v === 'string' ? (JSON.parse(v) as T) : v;

const toDef = (r: LinkRow): LinkDef => ({
  id: r.id,
  name: `${r.a_device_name} ${r.a_if_name} ↔ ${r.b_device_name} ${r.b_if_name}`,
  orgUnitId: r.org_unit_id,
  level: r.level,
  role: r.role,
  plane: r.plane,
  pairId: r.pair_id,
  targetMbps: r.target_mbps === null ? null : Number(r.target_mbps),
  a: {
    deviceId: r.a_device_id,
    deviceName: r.a_device_name,
    ifIndex: Number(r.a_if_index),
    ifName: r.a_if_name,
    inventorySpeedMbps: r.a_speed === null ? null : Number(r.a_speed),
  },
  b: {
    deviceId: r.b_device_id,
    deviceName: r.b_device_name,
    ifIndex: Number(r.b_if_index),
    ifName: r.b_if_name,
    inventorySpeedMbps: r.b_speed === null ? null : Number(r.b_speed),
  },
});

const iso = (ms: number | null | undefined) =>
  ms === null || ms === undefined ? null : new Date(ms).toISOString();

/**
 * The network module: which devices each edge agent polls (with their credentials), the ingest of
 * interface polls and discovery, link evaluation (see `evaluate.ts`) with its alarms, and the views
 * of links, topology, conformance and proposed links. Reads of the inventory's tables are joins for
 * the views; changes to the inventory go through its services.
 */
export class NetworkService {
  constructor(private readonly deps: NetworkDeps) {}

  private get staleAfterMs(): number {
    return Math.max(3 * this.deps.settings.pollIntervalSeconds, 90) * 1000;
  }

  // ---- poll assignment ---------------------------------------------------------------------------

  /**
   * The edge part of an agent's config, or undefined for agents without the edge role. An edge agent
   * polls the devices with SNMP settings in its org-unit subtree (the units it serves), except
   * devices that name another poller. A device is left out (see {@link unpolledReason}) unless its
   * management address lies in a management prefix of its own org unit, its credential is usable
   * there (its own unit's, or granted down to it) and of its SNMP version, and the agent may receive
   * the credential's secrets: only agents enrolled at or above the credential's owner do.
   */
  async edgeConfigFor(agent: AgentPrincipal): Promise<EdgeConfig | undefined> {
    if (!agent.roles.includes('edge')) return undefined;
    const rows = await pollCandidates(
      this.deps.db,
      'u.path LIKE $1 AND (d.poller_agent_id IS NULL OR d.poller_agent_id::text = $2)',
      [agent.orgUnitPath + '%', agent.agentId],
    );
    const targets: PollTarget[] = [];
    for (const d of rows) {
      const reason = unpolledReason(d, agent.orgUnitPath);
      if (reason) {
        this.deps.log.debug(
          { deviceId: d.id, agentId: agent.agentId, reason },
          'device left out of edge config',
        );
        continue;
      }
      if (!d.cred_id || !d.secret || !d.version) continue;
      let credentials;
      try {
        credentials = this.deps.credentials.wire({
          ...d,
          id: d.cred_id,
          secret: d.secret,
          version: d.version,
        });
      } catch (err) {
        this.deps.log.warn(
          { deviceId: d.id, err: (err as Error).message },
          'snmp credential cannot be opened',
        );
        continue;
      }
      targets.push({
        deviceId: d.id,
        address: d.management_address,
        port: d.snmp_port === null ? 161 : Number(d.snmp_port),
        credentials,
        timeoutMs: 2000,
        retries: 1,
        maxRepetitions: 50,
        ...(d.discovery_token ? { discoveryToken: d.discovery_token } : {}),
      });
    }
    const s = this.deps.settings;
    return {
      enabled: true,
      pollIntervalSeconds: s.pollIntervalSeconds,
      discoveryIntervalSeconds: s.discoveryIntervalSeconds,
      concurrency: s.concurrency,
      targets,
    };
  }

  // ---- ingest ------------------------------------------------------------------------------------

  /**
   * Checks a batch's polls and discoveries before anything is stored: each must be about a device
   * the agent is assigned to (see `edgeConfigFor`); otherwise the whole batch is refused.
   */
  async prepare(
    agent: AgentPrincipal,
    payloads: ReadonlyArray<InterfacePollReport | DiscoveryPayload>,
  ): Promise<NetworkBatch> {
    const ids = [...new Set(payloads.map((p) => p.deviceId))];
    const r = await this.deps.db.query<{
      id: string;
      name: string;
      org_unit_id: string;
      path: string;
      snmp_version: string | null;
      poller_agent_id: string | null;
    }>(
      `SELECT d.id, d.name, d.org_unit_id, u.path, d.snmp_version, d.poller_agent_id::text AS poller_agent_id
       FROM devices d JOIN org_units u ON u.id = d.org_unit_id WHERE d.id = ANY($1)`,
      [ids],
    );
    const devices = new Map<string, { orgUnitId: string; name: string }>();
    for (const d of r.rows) {
      const assigned =
        d.snmp_version !== null &&
        d.path.startsWith(agent.orgUnitPath) &&
        (d.poller_agent_id === null || d.poller_agent_id === agent.agentId);
      if (assigned) devices.set(d.id, { orgUnitId: d.org_unit_id, name: d.name });
    }
    if (!agent.roles.includes('edge')) {
      throw new InputError('interface polls and discovery come from agents with the edge role only');
    }
    const unassigned = ids.filter((id) => !devices.has(id));
    if (unassigned.length) {
      throw new InputError(
        `batch reports device(s) this agent is not assigned to poll: ${unassigned.slice(0, 10).join(', ')}`,
      );
    }
    return {
      agent,
      devices,
      // Polls in the columnar encoding are turned into objects here: the state store wants one per interface.
      polls: payloads
        .filter((p): p is InterfacePollReport => p.kind === 'interface-poll')
        .map(interfacePollRows),
      discoveries: payloads.filter((p): p is DiscoveryPayload => p.kind === 'discovery'),
    };
  }

  /**
   * Writes one poll to `interface_metrics` and `device_polls`; resolves with the rows written. The
   * interface rows go in as one TabSeparated insert built straight from the poll's columns (a poll
   * of an older agent, an object per interface, is put in columns first).
   */
  async storePoll(batch: NetworkBatch, report: InterfacePollReport, dedupToken: string): Promise<number> {
    const poll = report.encoding === 'columnar' ? report : encodeInterfacePoll(interfacePollRows(report));
    const device = batch.devices.get(poll.deviceId)!;
    const c = poll.interfaces;
    const head = `${tsvDateTime64Millis(poll.polledAt)}\t${tsvEscape(poll.deviceId)}\t${tsvEscape(device.orgUnitId)}\t`;
    const tsv = new TsvBuilder(INTERFACE_TSV_COLUMNS.length);
    const nullable = (x: number | null | undefined): string =>
      x === null || x === undefined ? '\\N' : String(x);
    for (let i = 0; i < poll.rows; i++) {
      const bits = c.speedMbps[i]! * 1e6;
      const util = (bps: number | null | undefined): string =>
        bps === null || bps === undefined || bits <= 0
          ? '\\N'
          : String(Math.round((bps / bits) * 100_000) / 1000);
      const inBps = c.inBitsPerSecond[i];
      const outBps = c.outBitsPerSecond[i];
      tsv.line(
        `${head}${c.ifIndex[i]}\t${tsvEscape(c.name[i]!)}\t${c.operStatus[i]}\t${c.adminStatus[i]}\t${c.speedMbps[i]}\t` +
          `${nullable(inBps)}\t${nullable(outBps)}\t${util(inBps)}\t${util(outBps)}\t` +
          `${nullable(c.inErrorsPerSecond[i])}\t${nullable(c.outErrorsPerSecond[i])}\t` +
          `${nullable(c.inDiscardsPerSecond[i])}\t${nullable(c.outDiscardsPerSecond[i])}\t` +
          `${c.counterEvent[i]}\t${c.counterBits[i]}`,
      );
    }
    if (tsv.rows > 0) {
      await this.deps.telemetry.insertTabSeparated(
        NETWORK_TABLES.interfaces,
        INTERFACE_TSV_COLUMNS,
        tsv.toBuffer(),
        {
          dedupToken: `${dedupToken}:interfaces`,
        },
      );
    }
    const pollRow = JSON.stringify({
      ts: poll.polledAt,
      device_id: poll.deviceId,
      org_unit_id: device.orgUnitId,
      agent_id: batch.agent.agentId,
      reachable: poll.reachable ? 1 : 0,
      outcome: pollOutcome(poll),
      error: poll.error ?? '',
      duration_ms: poll.durationMs,
      sys_uptime: poll.sysUpTime ?? null,
    });
    await this.deps.telemetry.insertJsonEachRow(NETWORK_TABLES.polls, Buffer.from(pollRow + '\n', 'utf8'), {
      dedupToken: `${dedupToken}:poll`,
    });
    return tsv.rows + 1;
  }

  /**
   * Applies a batch to the state store: device and interface state, then the evaluation of every
   * link on a polled device (and the other member of its pair), with events and alarms, all in one
   * transaction; then discovery. Polls older than what the state already holds (replays, late
   * batches) change nothing, so applying a batch twice is harmless.
   */
  async apply(batch: NetworkBatch): Promise<void> {
    if (batch.polls.length) await this.applyPolls(batch);
    for (const d of batch.discoveries) await this.applyDiscovery(batch, d);
  }

  private async applyPolls(batch: NetworkBatch): Promise<void> {
    const policy = this.deps.policy();
    const polls = [...batch.polls].sort((x, y) => x.polledAt - y.polledAt);
    await this.deps.db.transaction(async (tx) => {
      // Evaluations of links shared by two devices must not interleave (several replicas, or
      // batches of both ends at once).
      await tx.query('SELECT pg_advisory_xact_lock($1)', [lockKey('network.evaluate')]);
      const touched = new Set<string>();
      const alarms: AlarmAction[] = [];
      let now = 0;
      for (const poll of polls) {
        const prevRow = await tx.query<{
          polled_at: Date;
          reachable: boolean;
          consecutive_failures: number;
          unreachable_alarm: boolean;
          poll_failed_alarm: boolean;
        }>(
          `SELECT polled_at, reachable, consecutive_failures, unreachable_alarm, poll_failed_alarm
           FROM device_poll_state WHERE device_id = $1`,
          [poll.deviceId],
        );
        const p = prevRow.rows[0];
        if (p && new Date(p.polled_at).getTime() >= poll.polledAt) continue;
        const prev: DeviceSnapshot | undefined = p && {
          reachable: p.reachable,
          consecutiveFailures: Number(p.consecutive_failures),
          polledAt: new Date(p.polled_at).getTime(),
          unreachableAlarm: p.unreachable_alarm,
          pollFailedAlarm: p.poll_failed_alarm,
        };
        const device = batch.devices.get(poll.deviceId)!;
        const outcome = pollOutcome(poll);
        const { state, alarms: deviceAlarms } = evaluateDevicePoll(
          prev,
          poll,
          { id: poll.deviceId, ...device },
          policy,
        );
        alarms.push(...deviceAlarms);
        if (!answered(outcome) && (!prev || prev.reachable)) {
          this.deps.log.warn(
            { deviceId: poll.deviceId, outcome, error: poll.error, agentId: batch.agent.agentId },
            'device poll failed',
          );
        }
        await tx.query(
          `INSERT INTO device_poll_state (device_id, agent_id, polled_at, reachable, consecutive_failures,
             unreachable_alarm, error, sys_uptime, duration_ms, outcome, missing, warnings, poll_failed_alarm)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
           ON CONFLICT (device_id) DO UPDATE SET agent_id = excluded.agent_id, polled_at = excluded.polled_at,
             reachable = excluded.reachable, consecutive_failures = excluded.consecutive_failures,
             unreachable_alarm = excluded.unreachable_alarm, error = excluded.error,
             sys_uptime = excluded.sys_uptime, duration_ms = excluded.duration_ms, outcome = excluded.outcome,
             missing = excluded.missing, warnings = excluded.warnings,
             poll_failed_alarm = excluded.poll_failed_alarm`,
          [
            poll.deviceId,
            batch.agent.agentId,
            new Date(poll.polledAt),
            state.reachable,
            state.consecutiveFailures,
            state.unreachableAlarm,
            poll.error ?? null,
            poll.sysUpTime ?? null,
            poll.durationMs,
            outcome,
            JSON.stringify(poll.missing ?? []),
            JSON.stringify(poll.warnings ?? []),
            state.pollFailedAlarm ?? false,
          ],
        );
        if (answered(outcome) && poll.interfaces.length) {
          const ifs = poll.interfaces;
          const at = new Date(poll.polledAt);
          // Status changes of inventory interfaces go to their history (the port page's).
          await tx.query(
            `INSERT INTO interface_history (interface_id, device_id, at, change, before, after, detail)
             SELECT i.id, $1, $2, 'oper', s.oper_status, x.oper,
               i.name || ' went ' || x.oper || ' (was ' || s.oper_status || ')'
             FROM unnest($3::int[], $4::text[]) AS x(if_index, oper)
             JOIN interface_state s ON s.device_id = $1 AND s.if_index = x.if_index
             JOIN interfaces i ON i.device_id = $1 AND i.if_index = x.if_index
             WHERE s.oper_status <> x.oper`,
            [poll.deviceId, at, ifs.map((i) => i.ifIndex), ifs.map((i) => i.operStatus)],
          );
          await tx.query(
            `INSERT INTO interface_state (device_id, if_index, if_name, oper_status, admin_status, speed_mbps,
               in_bps, out_bps, in_errors_ps, out_errors_ps, in_discards_ps, out_discards_ps, counter_bits, polled_at)
             SELECT $1, x.if_index, x.if_name, x.oper, x.admin, x.speed, x.in_bps, x.out_bps, x.in_err, x.out_err,
               x.in_disc, x.out_disc, x.bits, $2
             FROM unnest($3::int[], $4::text[], $5::text[], $6::text[], $7::int[], $8::float8[], $9::float8[],
               $10::float8[], $11::float8[], $12::float8[], $13::float8[], $14::int[])
               AS x(if_index, if_name, oper, admin, speed, in_bps, out_bps, in_err, out_err, in_disc, out_disc, bits)
             ON CONFLICT (device_id, if_index) DO UPDATE SET if_name = excluded.if_name,
               oper_status = excluded.oper_status, admin_status = excluded.admin_status,
               speed_mbps = excluded.speed_mbps, in_bps = excluded.in_bps, out_bps = excluded.out_bps,
               in_errors_ps = excluded.in_errors_ps, out_errors_ps = excluded.out_errors_ps,
               in_discards_ps = excluded.in_discards_ps, out_discards_ps = excluded.out_discards_ps,
               counter_bits = excluded.counter_bits,
               last_change_at = CASE WHEN interface_state.oper_status <> excluded.oper_status
                 THEN excluded.polled_at ELSE interface_state.last_change_at END,
               polled_at = excluded.polled_at`,
            [
              poll.deviceId,
              at,
              ifs.map((i) => i.ifIndex),
              ifs.map((i) => i.name),
              ifs.map((i) => i.operStatus),
              ifs.map((i) => i.adminStatus),
              ifs.map((i) => i.speedMbps),
              ifs.map((i) => i.rates?.inBitsPerSecond ?? null),
              ifs.map((i) => i.rates?.outBitsPerSecond ?? null),
              ifs.map((i) => i.rates?.inErrorsPerSecond ?? null),
              ifs.map((i) => i.rates?.outErrorsPerSecond ?? null),
              ifs.map((i) => i.rates?.inDiscardsPerSecond ?? null),
              ifs.map((i) => i.rates?.outDiscardsPerSecond ?? null),
              ifs.map((i) => i.counterBits ?? 64),
            ],
          );
        }
        touched.add(poll.deviceId);
        now = Math.max(now, poll.polledAt);
      }
      if (touched.size) await this.evaluateDevices(tx, [...touched], now, policy, alarms);
      await this.dispatch(alarms, now, tx);
    });
  }

  /** Evaluates every link on `deviceIds` and the other members of their pairs, and saves the result. */
  private async evaluateDevices(
    tx: Queryable,
    deviceIds: string[],
    now: number,
    policy: NetworkPolicy,
    alarms: AlarmAction[],
  ): Promise<void> {
    const r = await tx.query<LinkRow>(
      `${LINK_SELECT} WHERE l.a_device_id = ANY($1) OR l.b_device_id = ANY($1)
         OR (l.org_unit_id, l.pair_id) IN (SELECT org_unit_id, pair_id FROM links
           WHERE pair_id IS NOT NULL AND (a_device_id = ANY($1) OR b_device_id = ANY($1)))`,
      [deviceIds],
    );
    if (!r.rows.length) return;
    const defs = r.rows.map(toDef);
    const endDevices = [...new Set(defs.flatMap((d) => [d.a.deviceId, d.b.deviceId]))];
    const ifRows = await tx.query<{
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
      polled_at: Date;
    }>('SELECT * FROM interface_state WHERE device_id = ANY($1)', [endDevices]);
    const interfaces = new Map<string, InterfaceSnapshot>();
    for (const i of ifRows.rows) {
      interfaces.set(interfaceKey(i.device_id, Number(i.if_index)), {
        ifName: i.if_name,
        operStatus: i.oper_status,
        adminStatus: i.admin_status,
        speedMbps: Number(i.speed_mbps),
        inBps: i.in_bps === null ? null : Number(i.in_bps),
        outBps: i.out_bps === null ? null : Number(i.out_bps),
        inErrorsPs: i.in_errors_ps === null ? null : Number(i.in_errors_ps),
        outErrorsPs: i.out_errors_ps === null ? null : Number(i.out_errors_ps),
        polledAt: new Date(i.polled_at).getTime(),
      });
    }
    const devRows = await tx.query<{
      device_id: string;
      reachable: boolean;
      consecutive_failures: number;
      polled_at: Date;
      unreachable_alarm: boolean;
    }>('SELECT * FROM device_poll_state WHERE device_id = ANY($1)', [endDevices]);
    const devices = new Map<string, DeviceSnapshot>(
      devRows.rows.map((d) => [
        d.device_id,
        {
          reachable: d.reachable,
          consecutiveFailures: Number(d.consecutive_failures),
          polledAt: new Date(d.polled_at).getTime(),
          unreachableAlarm: d.unreachable_alarm,
        },
      ]),
    );
    const linkIds = defs.map((d) => d.id);
    const prevLinks = await tx.query<{ link_id: string; state: LinkState | string }>(
      'SELECT link_id, state FROM link_state WHERE link_id = ANY($1::uuid[])',
      [linkIds],
    );
    const pairIds = [...new Set(defs.flatMap((d) => (d.pairId ? [pairKey(d.orgUnitId, d.pairId)] : [])))];
    const prevPairs = await tx.query<{ pair_id: string; state: PairState | string }>(
      'SELECT pair_id, state FROM pair_state WHERE pair_id = ANY($1)',
      [pairIds],
    );
    const result = evaluate({
      links: defs,
      interfaces,
      devices,
      previous: new Map(prevLinks.rows.map((x) => [x.link_id, json<LinkState>(x.state)!])),
      previousPairs: new Map(prevPairs.rows.map((x) => [x.pair_id, json<PairState>(x.state)!])),
      policy,
      now,
      staleAfterMs: this.staleAfterMs,
    });
    for (const [id, state] of result.links) {
      await tx.query(
        `INSERT INTO link_state (link_id, state, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (link_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
        [id, JSON.stringify(state), new Date(now)],
      );
    }
    for (const [id, state] of result.pairs) {
      await tx.query(
        `INSERT INTO pair_state (pair_id, state, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (pair_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
        [id, JSON.stringify(state), new Date(now)],
      );
    }
    for (const e of result.events) {
      await tx.query('INSERT INTO link_events (link_id, at, event, detail) VALUES ($1, $2, $3, $4)', [
        e.linkId,
        new Date(e.at),
        e.event,
        e.detail,
      ]);
    }
    alarms.push(...result.alarms);
  }

  private async dispatch(alarms: AlarmAction[], now: number, tx: Queryable): Promise<void> {
    const at = new Date(now || Date.now());
    for (const a of alarms) {
      if (a.action === 'fire') await this.deps.alarms.fire(a.condition, at, tx);
      else await this.deps.alarms.resolve(a.kind, a.targetType, a.targetId, at, tx);
    }
  }

  /**
   * Stores what discovery found on a device (system information, LLDP neighbours), records its
   * sysObjectID in the inventory, and proposes links for neighbours that match known devices and
   * interfaces (remote sysName = device id or name; remote port id or description = interface name)
   * when no link joins those two interfaces yet.
   */
  private async applyDiscovery(batch: NetworkBatch, d: DiscoveryPayload): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const prev = await tx.query<{ discovered_at: Date }>(
        'SELECT discovered_at FROM device_discovery WHERE device_id = $1',
        [d.deviceId],
      );
      if (prev.rows[0] && new Date(prev.rows[0].discovered_at).getTime() >= d.at) return;
      const at = new Date(d.at);
      const outcome = discoveryOutcome(d);
      const usable = answered(outcome);
      const facts = usable ? deviceFacts(d) : undefined;
      await tx.query(
        `INSERT INTO device_discovery (device_id, discovered_at, reachable, error, sys_name, sys_descr, sys_object_id,
           interfaces, outcome, missing, sys_location, sys_contact, sys_uptime, vendor, model, os_version, serial, entity)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         ON CONFLICT (device_id) DO UPDATE SET discovered_at = excluded.discovered_at, reachable = excluded.reachable,
           error = excluded.error, outcome = excluded.outcome, missing = excluded.missing,
           sys_name = COALESCE(excluded.sys_name, device_discovery.sys_name),
           sys_descr = COALESCE(excluded.sys_descr, device_discovery.sys_descr),
           sys_object_id = COALESCE(excluded.sys_object_id, device_discovery.sys_object_id),
           sys_location = COALESCE(excluded.sys_location, device_discovery.sys_location),
           sys_contact = COALESCE(excluded.sys_contact, device_discovery.sys_contact),
           sys_uptime = COALESCE(excluded.sys_uptime, device_discovery.sys_uptime),
           vendor = COALESCE(excluded.vendor, device_discovery.vendor),
           model = COALESCE(excluded.model, device_discovery.model),
           os_version = COALESCE(excluded.os_version, device_discovery.os_version),
           serial = COALESCE(excluded.serial, device_discovery.serial),
           entity = COALESCE(excluded.entity, device_discovery.entity),
           interfaces = CASE WHEN excluded.outcome IN ('ok', 'partial') AND jsonb_array_length(excluded.interfaces) > 0
             THEN excluded.interfaces ELSE device_discovery.interfaces END`,
        [
          d.deviceId,
          at,
          usable,
          d.error ?? null,
          d.sysName ?? null,
          d.sysDescr ?? null,
          d.sysObjectId ?? null,
          JSON.stringify(d.interfaces),
          outcome,
          JSON.stringify(d.missing ?? []),
          d.sysLocation ?? null,
          d.sysContact ?? null,
          d.sysUpTime ?? null,
          facts?.vendor ?? null,
          facts?.model ?? null,
          facts?.osVersion ?? null,
          facts?.serial ?? null,
          d.entity ? JSON.stringify(d.entity) : null,
        ],
      );
      if (!usable) return;
      if (d.sysObjectId && /^[0-9]+(\.[0-9]+)+$/.test(d.sysObjectId)) {
        await tx.query(
          'UPDATE devices SET sys_object_id = $2, updated_at = now() WHERE id = $1 AND sys_object_id IS DISTINCT FROM $2',
          [d.deviceId, d.sysObjectId],
        );
      }
      // A name given automatically (the address, at add) follows the sysName; a user's name stays.
      const sysName = d.sysName?.trim().slice(0, 200);
      if (sysName) {
        await tx.query(
          'UPDATE devices SET name = $2, updated_at = now() WHERE id = $1 AND name_auto AND name <> $2',
          [d.deviceId, sysName],
        );
      }
      const device = batch.devices.get(d.deviceId)!;
      await syncInterfaces(tx, d.deviceId, device.orgUnitId, d.interfaces, at);
      await tx.query('DELETE FROM lldp_neighbours WHERE device_id = $1', [d.deviceId]);
      for (const n of d.neighbours) {
        await tx.query(
          `INSERT INTO lldp_neighbours (device_id, local_if_index, local_port_name, remote_chassis_id, remote_port_id,
             remote_sys_name, remote_port_description, seen_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT DO NOTHING`,
          [
            d.deviceId,
            n.localIfIndex,
            n.localPortName ?? null,
            n.remoteChassisId,
            n.remotePortId,
            n.remoteSysName,
            n.remotePortDescription ?? null,
            at,
          ],
        );
        const local = await tx.query<{ id: string }>(
          'SELECT id FROM interfaces WHERE device_id = $1 AND if_index = $2',
          [d.deviceId, n.localIfIndex],
        );
        const sys = n.remoteSysName.trim();
        const short = sys.split('.')[0] ?? sys;
        const remote = await tx.query<{ id: string }>(
          `SELECT i.id FROM interfaces i JOIN devices r ON r.id = i.device_id
           WHERE (r.id = $1 OR r.id = $2 OR lower(r.name) = lower($1)) AND r.id <> $3
             AND (i.name = $4 OR i.name = $5)
           ORDER BY (i.name = $4) DESC LIMIT 1`,
          [sys, short.toLowerCase(), d.deviceId, n.remotePortId, n.remotePortDescription ?? n.remotePortId],
        );
        const a = local.rows[0]?.id;
        const b = remote.rows[0]?.id;
        if (!a || !b) continue;
        const joined = await tx.query(
          `SELECT 1 FROM links WHERE (a_interface_id = $1 AND b_interface_id = $2) OR (a_interface_id = $2 AND b_interface_id = $1)`,
          [a, b],
        );
        if (joined.rowCount > 0) continue;
        const [lo, hi] = a < b ? [a, b] : [b, a];
        await tx.query(
          `INSERT INTO link_proposals (id, a_interface_id, b_interface_id, first_seen_at, seen_at) VALUES ($1, $2, $3, $4, $4)
           ON CONFLICT (a_interface_id, b_interface_id) DO UPDATE SET seen_at = GREATEST(link_proposals.seen_at, excluded.seen_at)`,
          [randomUUID(), lo, hi, at],
        );
      }
    });
    this.deps.log.debug(
      { deviceId: d.deviceId, neighbours: d.neighbours.length, agentId: batch.agent.agentId },
      'discovery applied',
    );
  }

  // ---- views -------------------------------------------------------------------------------------

  private view(r: LinkRow, policy: NetworkPolicy, nowMs: number): LinkView {
    const def = toDef(r);
    const state = json<LinkState>(r.state ?? null);
    const ends = {
      a: {
        deviceId: def.a.deviceId,
        deviceName: def.a.deviceName,
        ifIndex: def.a.ifIndex,
        ifName: def.a.ifName,
      },
      b: {
        deviceId: def.b.deviceId,
        deviceName: def.b.deviceName,
        ifIndex: def.b.ifIndex,
        ifName: def.b.ifName,
      },
    };
    const base = {
      id: def.id,
      name: def.name,
      orgUnitId: def.orgUnitId,
      level: def.level,
      role: def.role,
      plane: def.plane,
      pairId: def.pairId,
      ...ends,
    };
    if (!state) {
      const speeds = [def.a.inventorySpeedMbps, def.b.inventorySpeedMbps].filter((x): x is number => !!x);
      const speedMbps = speeds.length ? Math.min(...speeds) : null;
      return {
        ...base,
        status: 'unknown',
        speedMbps,
        utilisation: null,
        bps: null,
        errorsPerSecond: null,
        active: null,
        failedOver: false,
        tier: tierVerdict(def.level, def.targetMbps, speedMbps, policy),
        flapping: false,
        lastChangeAt: null,
        updatedAt: null,
      };
    }
    // A state nobody refreshed for several poll intervals no longer tells the status.
    const stale = nowMs - state.updatedAt > this.staleAfterMs;
    return {
      ...base,
      status: stale ? 'unknown' : state.status,
      speedMbps: state.speedMbps,
      utilisation: stale ? null : state.utilisation,
      bps: stale ? null : state.bps,
      errorsPerSecond: stale ? null : state.errorsPerSecond,
      active: stale ? null : state.active,
      failedOver: state.failedOver,
      tier: tierVerdict(def.level, def.targetMbps, state.speedMbps, policy),
      flapping: state.flapping,
      lastChangeAt: iso(state.lastChangeAt),
      updatedAt: iso(state.updatedAt),
    };
  }

  private async linkRows(where: string, params: unknown[]): Promise<LinkRow[]> {
    const r = await this.deps.db.query<LinkRow>(
      `SELECT x.*, s.state, s.updated_at AS state_updated_at FROM (${LINK_SELECT} WHERE ${where}) x
       LEFT JOIN link_state s ON s.link_id = x.id
       ORDER BY x.path, x.pair_id NULLS LAST, x.role, x.id`,
      params,
    );
    return r.rows;
  }

  async listLinks(identity: Identity, filter: LinkFilterQuery = {}): Promise<LinkView[]> {
    requirePermission(identity, 'network:read');
    const prefix = await scopePrefix(this.deps.orgUnits, identity, filter.orgUnitId);
    const params: unknown[] = [prefix + '%'];
    let where = 'u.path LIKE $1';
    if (filter.level) {
      params.push(filter.level);
      where += ` AND l.level = $${params.length}`;
    }
    const policy = this.deps.policy();
    const now = Date.now();
    const views = (await this.linkRows(where, params)).map((r) => this.view(r, policy, now));
    return filter.status ? views.filter((v) => v.status === filter.status) : views;
  }

  private async linkRow(identity: Identity, id: string): Promise<LinkRow> {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
    const rows = uuid ? await this.linkRows('l.id = $1', [id]) : [];
    const row = rows[0];
    if (!row || !inScope(identity, row.path)) throw new NotFoundError(`link "${id}" not found`);
    return row;
  }

  async getLink(identity: Identity, id: string): Promise<LinkView & { history: LinkHistoryEntry[] }> {
    requirePermission(identity, 'network:read');
    const row = await this.linkRow(identity, id);
    const h = await this.deps.db.query<{ at: Date; event: LinkEventKind; detail: string }>(
      'SELECT at, event, detail FROM link_events WHERE link_id = $1 ORDER BY at DESC, id DESC LIMIT 200',
      [row.id],
    );
    return {
      ...this.view(row, this.deps.policy(), Date.now()),
      history: h.rows.map((e) => ({ at: new Date(e.at).toISOString(), event: e.event, detail: e.detail })),
    };
  }

  /** Traffic of a link over a range, from side A's interface (side B's, mirrored, when A has none). */
  async linkMetrics(
    identity: Identity,
    id: string,
    range: MetricRange,
    nowMs = Date.now(),
  ): Promise<LinkMetrics> {
    requirePermission(identity, 'network:read');
    const def = toDef(await this.linkRow(identity, id));
    const plan = RANGE_PLAN[range];
    const fromMs = nowMs - RANGE_MS[range];
    const query = async (deviceId: string, ifIndex: number) => {
      const avg = (m: string) =>
        plan.table === 'raw' ? `avg(${m})` : `sum(${m}_sum) / nullIf(sum(${m}_count), 0)`;
      const table = plan.table === 'raw' ? NETWORK_TABLES.interfaces : NETWORK_TABLES.interfacesMinute;
      const errors =
        plan.table === 'raw'
          ? 'avg(ifNull(in_errors_ps, 0) + ifNull(out_errors_ps, 0))'
          : '(sum(in_errors_ps_sum) + sum(out_errors_ps_sum)) / nullIf(greatest(sum(in_errors_ps_count), sum(out_errors_ps_count)), 0)';
      return this.deps.telemetry.query<{
        t: string | number;
        i: number | null;
        o: number | null;
        ip: number | null;
        op: number | null;
        e: number | null;
      }>(
        `SELECT toUnixTimestamp(toStartOfInterval(ts, INTERVAL ${plan.stepSeconds} SECOND)) * 1000 AS t,
           ${avg('in_bps')} AS i, ${avg('out_bps')} AS o, ${avg('in_util_percent')} AS ip,
           ${avg('out_util_percent')} AS op, ${errors} AS e
         FROM ${table}
         WHERE device_id = {device:String} AND if_index = {ifIndex:UInt32}
           AND ts >= fromUnixTimestamp64Milli(toInt64({from:Int64})) AND ts <= fromUnixTimestamp64Milli(toInt64({to:Int64}))
         GROUP BY t ORDER BY t`,
        { device: deviceId, ifIndex, from: fromMs, to: nowMs },
      );
    };
    let rows = await query(def.a.deviceId, def.a.ifIndex);
    let mirrored = false;
    if (!rows.length) {
      rows = await query(def.b.deviceId, def.b.ifIndex);
      mirrored = true;
    }
    const series: LinkMetrics['series'] = {
      inBitsPerSecond: [],
      outBitsPerSecond: [],
      inPercent: [],
      outPercent: [],
      errorsPerSecond: [],
    };
    const push = (key: keyof LinkMetrics['series'], t: number, v: number | null) => {
      if (v !== null && v !== undefined && Number.isFinite(Number(v))) series[key].push([t, Number(v)]);
    };
    for (const r of rows) {
      const t = Number(r.t);
      push('inBitsPerSecond', t, mirrored ? r.o : r.i);
      push('outBitsPerSecond', t, mirrored ? r.i : r.o);
      push('inPercent', t, mirrored ? r.op : r.ip);
      push('outPercent', t, mirrored ? r.ip : r.op);
      push('errorsPerSecond', t, r.e);
    }
    return { stepSeconds: plan.stepSeconds, series };
  }

  async topology(identity: Identity): Promise<{
    orgUnits: { id: string; parentId: string | null; level: OrgLevel; name: string }[];
    devices: {
      id: string;
      name: string;
      orgUnitId: string;
      role: string;
      managementAddress: string;
      plane: 'A' | 'B' | null;
      reachable: boolean | null;
    }[];
    links: LinkView[];
  }> {
    requirePermission(identity, 'network:read');
    const prefix = identity.orgUnitPath + '%';
    const units = await this.deps.db.query<{
      id: string;
      parent_id: string | null;
      level: OrgLevel;
      name: string;
    }>('SELECT id, parent_id, level, name FROM org_units WHERE path LIKE $1 ORDER BY path', [prefix]);
    const devices = await this.deps.db.query<{
      id: string;
      name: string;
      org_unit_id: string;
      role: string;
      management_address: string;
      plane: 'A' | 'B' | null;
      reachable: boolean | null;
      polled_at: Date | null;
    }>(
      `SELECT d.id, d.name, d.org_unit_id, d.role, d.management_address, d.plane, p.reachable, p.polled_at
       FROM devices d JOIN org_units u ON u.id = d.org_unit_id LEFT JOIN device_poll_state p ON p.device_id = d.id
       WHERE u.path LIKE $1 ORDER BY u.path, d.id`,
      [prefix],
    );
    const now = Date.now();
    return {
      orgUnits: units.rows.map((u) => ({ id: u.id, parentId: u.parent_id, level: u.level, name: u.name })),
      devices: devices.rows.map((d) => ({
        id: d.id,
        name: d.name,
        orgUnitId: d.org_unit_id,
        role: d.role,
        managementAddress: d.management_address,
        plane: d.plane,
        reachable:
          d.reachable === null || !d.polled_at || now - new Date(d.polled_at).getTime() > this.staleAfterMs
            ? null
            : d.reachable,
      })),
      links: await this.listLinks(identity),
    };
  }

  /**
   * Tier conformance and redundancy per org unit (each unit counts the links and pairs of its whole
   * subtree; units without links are left out), and the dedicated-network integration rates.
   */
  async conformance(identity: Identity): Promise<{
    tiers: {
      orgUnitId: string;
      orgUnitName: string;
      level: OrgLevel;
      links: number;
      conforming: number;
      below: number;
      unknown: number;
    }[];
    redundancy: {
      orgUnitId: string;
      orgUnitName: string;
      pairs: number;
      redundant: number;
      degraded: number;
      failedOver: number;
      degradedPairs: { pairId: string; reasons: RedundancyReason[] }[];
    }[];
    integration: Awaited<ReturnType<Inventory['dedicatedNetworks']['integrationRate']>>;
  }> {
    requirePermission(identity, 'network:read');
    const units = await this.deps.db.query<{ id: string; name: string; level: OrgLevel; path: string }>(
      'SELECT id, name, level, path FROM org_units WHERE path LIKE $1 ORDER BY path',
      [identity.orgUnitPath + '%'],
    );
    const links = await this.listLinks(identity);
    const pathOf = new Map(units.rows.map((u) => [u.id, u.path]));
    const ancestors = (orgUnitId: string): string[] => {
      const path = pathOf.get(orgUnitId) ?? '';
      return path
        .split('/')
        .filter(Boolean)
        .filter((id) => pathOf.has(id));
    };
    const tiers = new Map<string, { links: number; conforming: number; below: number; unknown: number }>();
    for (const l of links) {
      for (const u of ancestors(l.orgUnitId)) {
        const t = tiers.get(u) ?? { links: 0, conforming: 0, below: 0, unknown: 0 };
        t.links++;
        if (l.tier.verdict === 'ok') t.conforming++;
        else if (l.tier.verdict === 'below') t.below++;
        else t.unknown++;
        tiers.set(u, t);
      }
    }
    const pairIds = [...new Set(links.flatMap((l) => (l.pairId ? [pairKey(l.orgUnitId, l.pairId)] : [])))];
    const states = await this.deps.db.query<{ pair_id: string; state: PairState | string }>(
      'SELECT pair_id, state FROM pair_state WHERE pair_id = ANY($1)',
      [pairIds],
    );
    const pairState = new Map(states.rows.map((s) => [s.pair_id, json<PairState>(s.state)!]));
    const red = new Map<
      string,
      {
        pairs: number;
        redundant: number;
        degraded: number;
        failedOver: number;
        degradedPairs: { pairId: string; reasons: RedundancyReason[] }[];
      }
    >();
    const pairUnit = new Map<string, string>();
    for (const l of links) if (l.pairId) pairUnit.set(pairKey(l.orgUnitId, l.pairId), l.orgUnitId);
    const now = Date.now();
    for (const [key, orgUnitId] of pairUnit) {
      const s = pairState.get(key);
      const pairId = key.slice(orgUnitId.length + 1);
      const fresh = s && now - s.updatedAt <= this.staleAfterMs;
      for (const u of ancestors(orgUnitId)) {
        const t = red.get(u) ?? { pairs: 0, redundant: 0, degraded: 0, failedOver: 0, degradedPairs: [] };
        t.pairs++;
        if (fresh && s.degraded) {
          t.degraded++;
          t.degradedPairs.push({ pairId, reasons: s.reasons });
        } else if (fresh) t.redundant++;
        if (fresh && s.failedOver) t.failedOver++;
        red.set(u, t);
      }
    }
    // The integration figures belong to the inventory; network readers see them for their scope.
    const reader: Identity = {
      ...identity,
      permissions: new Set([...identity.permissions, 'inventory:read' as const]),
    };
    const integration = await this.deps.inventory.dedicatedNetworks.integrationRate(reader);
    return {
      tiers: units.rows
        .filter((u) => tiers.has(u.id))
        .map((u) => ({ orgUnitId: u.id, orgUnitName: u.name, level: u.level, ...tiers.get(u.id)! })),
      redundancy: units.rows
        .filter((u) => red.has(u.id))
        .map((u) => ({ orgUnitId: u.id, orgUnitName: u.name, ...red.get(u.id)! })),
      integration,
    };
  }

  // ---- proposals ---------------------------------------------------------------------------------

  private async proposalRows(identity: Identity, id?: string, q: Queryable = this.deps.db) {
    const params: unknown[] = [identity.orgUnitPath + '%'];
    let where = 'p.dismissed_at IS NULL AND au.path LIKE $1 AND bu.path LIKE $1';
    if (id !== undefined) {
      params.push(id);
      where += ` AND p.id::text = $${params.length}`;
    }
    const r = await q.query<{
      id: string;
      seen_at: Date;
      a_interface_id: string;
      a_device_id: string;
      a_if_index: number;
      a_if_name: string;
      b_interface_id: string;
      b_device_id: string;
      b_if_index: number;
      b_if_name: string;
    }>(
      `SELECT p.id, p.seen_at, ai.id AS a_interface_id, ai.device_id AS a_device_id, ai.if_index AS a_if_index,
         ai.name AS a_if_name, bi.id AS b_interface_id, bi.device_id AS b_device_id, bi.if_index AS b_if_index,
         bi.name AS b_if_name
       FROM link_proposals p
       JOIN interfaces ai ON ai.id = p.a_interface_id JOIN org_units au ON au.id = ai.org_unit_id
       JOIN interfaces bi ON bi.id = p.b_interface_id JOIN org_units bu ON bu.id = bi.org_unit_id
       WHERE ${where} ORDER BY p.seen_at DESC, p.id`,
      params,
    );
    return r.rows;
  }

  /** Proposed links whose two devices are both in the caller's scope. */
  async listProposals(identity: Identity): Promise<ProposalView[]> {
    requirePermission(identity, 'network:read');
    return (await this.proposalRows(identity)).map((p) => ({
      id: p.id,
      a: { deviceId: p.a_device_id, ifIndex: Number(p.a_if_index), ifName: p.a_if_name },
      b: { deviceId: p.b_device_id, ifIndex: Number(p.b_if_index), ifName: p.b_if_name },
      seenAt: new Date(p.seen_at).toISOString(),
    }));
  }

  /** Creates the proposed link through the inventory (checked and audited there) and drops the proposal. */
  async acceptProposal(identity: Identity, id: string, input: AcceptProposal) {
    requirePermission(identity, 'network:write');
    return this.deps.db.transaction(async (tx) => {
      const p = (await this.proposalRows(identity, id, tx))[0];
      if (!p) throw new NotFoundError(`link proposal "${id}" not found`);
      const link = await this.deps.inventory.links.create(
        identity,
        {
          a: { deviceId: p.a_device_id, interfaceId: p.a_interface_id },
          b: { deviceId: p.b_device_id, interfaceId: p.b_interface_id },
          orgUnitId: input.orgUnitId,
          level: input.level,
          role: input.role,
          plane: input.plane,
          ...(input.pairId ? { pairId: input.pairId } : {}),
        },
        tx,
      );
      await tx.query('DELETE FROM link_proposals WHERE id = $1', [p.id]);
      return link;
    });
  }

  /** Dismisses a proposal; discovery seeing the same neighbours again does not bring it back. */
  async dismissProposal(identity: Identity, id: string): Promise<void> {
    requirePermission(identity, 'network:write');
    await this.deps.db.transaction(async (tx) => {
      const p = (await this.proposalRows(identity, id, tx))[0];
      if (!p) throw new NotFoundError(`link proposal "${id}" not found`);
      await tx.query('UPDATE link_proposals SET dismissed_at = now() WHERE id = $1', [p.id]);
      await this.deps.audit.record(
        identity,
        {
          action: 'link-proposal.dismiss',
          targetType: 'link-proposal',
          targetId: p.id,
          details: { a: `${p.a_device_id}:${p.a_if_name}`, b: `${p.b_device_id}:${p.b_if_name}` },
        },
        tx,
      );
    });
  }
}
