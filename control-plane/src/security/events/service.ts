import type {
  AlertInput,
  EventFormat,
  EventRejectReason,
  EventSourceStats,
  SecurityCollectorConfig,
  EventListenerConfig,
  SecurityEventsPayload,
} from '@tianshu/protocol';
import { parseEventLine } from '@tianshu/protocol';
import { Counter } from 'prom-client';
import type { Identity } from '../../auth/identity.js';
import { NotFoundError, InputError } from '../../errors.js';
import type { AgentPrincipal } from '../../fleet/service.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import type { AlertSink, RuleEngine, StoredEvent } from '../types.js';
import { attributionAddresses, type OrgAttributor, type Sender } from './attribution.js';
import {
  EVENT_ID,
  eventColumns,
  eventId,
  eventTsvRow,
  idTime,
  payloadStem,
  randomStem,
  suricataAlerts,
} from './encode.js';
import { readLines, type BodyLine } from './lines.js';
import type { SecurityPolicy } from './policy.js';
import { parseEventQuery } from './query.js';
import { EVENT_COLUMNS, SECURITY_TABLES, securityTtl } from './telemetry-schema.js';
import { ControlPlaneListeners } from './listeners.js';

/** Settings of the security events part from the control plane's config (`security.*`). */
export interface SecuritySettings {
  /** Embedded mode: the edge agents get a syslog listener on this port (UDP and TCP). */
  syslogPort?: number | undefined;
  /** The control plane's own CEF and EVE TCP listeners (embedded defaults). */
  cefPort?: number | undefined;
  evePort?: number | undefined;
  bindAddress?: string | undefined;
}

/** What `prepare` made of one agent payload: its events, identified and attributed, as rows. */
interface EncodedPayload {
  events: StoredEvent[];
  tsv: Buffer;
  outOfScope: number;
  at: number;
}

export interface EventBatch {
  agent: AgentPrincipal;
  encoded: Map<SecurityEventsPayload, EncodedPayload>;
}

/** The answer to an upload (`POST /api/v1/security/events`). */
export interface UploadResult {
  accepted: number;
  rejected: number;
  byType: Record<string, number>;
  errors: Array<{ line: number; reason: EventRejectReason; message: string }>;
  errorsTruncated?: number;
  /** Events whose address belongs to a unit outside the caller's: attributed to the caller's unit. */
  outOfScope: number;
  /** Bytes read; the body stopped at `upload.maxBytes` when `truncated`. */
  bytes: number;
  truncated: boolean;
  alerts: { raised: number };
}

export interface EventItem {
  id: string;
  ts: string;
  orgUnitId: string;
  orgUnitName: string;
  agentId: string;
  source: string;
  format: string;
  type: string;
  severity: number;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  proto: string;
  host: string;
  user: string;
  rule: string;
  message: string;
  fields: Record<string, unknown>;
  raw: string;
}

export interface EventSearch {
  from?: string | undefined;
  to?: string | undefined;
  q?: string | undefined;
  type?: string | undefined;
  format?: string | undefined;
  source?: string | undefined;
  orgUnit?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

interface EventRow {
  id: string;
  ts_ms: number | string;
  org_unit: string;
  agent_id: string;
  source: string;
  format: string;
  type: string;
  severity: number;
  src_ip: string;
  dst_ip: string;
  src_port: number;
  dst_port: number;
  proto: string;
  host: string;
  user: string;
  rule: string;
  message: string;
  fields: string;
  raw: string;
}

const MAX_ERRORS = 100;
/** Upload chunks: events per insert, and the TSV bytes that flush earlier. */
const CHUNK_EVENTS = 5000;
const CHUNK_BYTES = 4 * 1024 * 1024;
const DAY_MS = 86_400_000;
const MAX_RANGE_MS = 400 * DAY_MS;

// `ts_ms`, not `ts`: in ClickHouse an alias shadows the column in WHERE and ORDER BY.
const SELECT_COLUMNS = `id, toUnixTimestamp64Milli(ts) AS ts_ms, org_unit, agent_id, source, format, type, severity,
  src_ip, dst_ip, src_port, dst_port, proto, host, user, rule, message, fields, raw`;

/** A time in an API query: ISO 8601 (or Unix ms); the InputError names the parameter. */
export function parseTime(value: string | undefined, name: string, dflt: number): number {
  if (value === undefined || value === '') return dflt;
  const t = /^\d{1,15}$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(t))
    throw new InputError(`${name}: "${value.slice(0, 40)}" is not an ISO 8601 time`, [
      { path: name, message: 'not an ISO 8601 time' },
    ]);
  return t;
}

function timeRange(from: string | undefined, to: string | undefined, dfltMs: number): [number, number] {
  const t = parseTime(to, 'to', Date.now());
  const f = parseTime(from, 'from', t - dfltMs);
  if (f > t) throw new InputError('from is after to', [{ path: 'from', message: 'after to' }]);
  if (t - f > MAX_RANGE_MS)
    throw new InputError('the time range is longer than 400 days', [
      { path: 'from', message: 'range over 400 days' },
    ]);
  return [f, t];
}

function encodeCursor(ts: number, id: string): string {
  return Buffer.from(`${ts}:${id}`).toString('base64url');
}

function decodeCursor(c: string): [number, string] {
  const m = /^(\d{1,15}):([0-9a-f]{32})$/.exec(Buffer.from(c, 'base64url').toString('utf8'));
  if (!m) throw new InputError('cursor is not one this API gave', [{ path: 'cursor', message: 'not valid' }]);
  return [Number(m[1]), m[2]!];
}

/**
 * Event ingest (edge agents' `security-events` payloads, streamed API uploads, the control plane's
 * own listeners), storage in `security_events`, per-source counters in `security_source_stats`,
 * scoped search and statistics, the edge agents' `security` config section, and the TTLs that
 * follow `policies/security.yaml`.
 */
export class SecurityEvents {
  private retentionApplied: number | undefined;
  private readonly listeners: ControlPlaneListeners;
  private readonly stored: Counter | undefined;
  private readonly rejected: Counter | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    readonly d: ModuleDeps,
    readonly parts: {
      policy: () => SecurityPolicy;
      rules: RuleEngine;
      alerts: AlertSink;
      attribution: OrgAttributor;
    },
    readonly settings: SecuritySettings = securitySettings(d),
  ) {
    const registry = d.metrics?.registry;
    if (registry) {
      this.stored = new Counter({
        name: 'tianshu_security_events_stored_total',
        help: 'Security events written to security_events, by transport (upload, agent, listener).',
        labelNames: ['via'],
        registers: [registry],
      });
      this.rejected = new Counter({
        name: 'tianshu_security_events_rejected_total',
        help: 'Security event lines rejected at the control plane (uploads and listeners), by reason.',
        labelNames: ['reason'],
        registers: [registry],
      });
    }
    this.listeners = new ControlPlaneListeners(this, d.log);
    this.unsubscribe = d.policies.onChange(() => {
      void this.reconcileRetention().catch((err: unknown) =>
        d.log.error({ err: (err as Error).message }, 'security retention not applied'),
      );
      void this.listeners.reconcile();
    });
    void this.listeners.reconcile();
  }

  get policy(): SecurityPolicy {
    return this.parts.policy();
  }

  // ---- agent payloads ----------------------------------------------------------------------------

  /**
   * Identifies and attributes a batch's events before anything is stored: ids from a digest of the
   * payload (a replay gets the same ids), org units by address within the agent's subtree (an
   * address of a unit outside it is attributed to the agent's unit, and counted), else the agent's.
   */
  async prepare(agent: AgentPrincipal, payloads: SecurityEventsPayload[]): Promise<EventBatch> {
    await this.parts.attribution.refresh();
    const encoded: EventBatch['encoded'] = new Map();
    const at = Date.now();
    for (const p of payloads) {
      const stem = payloadStem(agent.agentId, p.source, p.events);
      const { events, tsv, outOfScope } = this.encode(p.events, agent, agent.agentId, p.source, stem, 0);
      encoded.set(p, { events, tsv, outOfScope, at });
    }
    return { agent, encoded };
  }

  /** Identifies, attributes and serializes normalised events. */
  private encode(
    list: readonly SecurityEventsPayload['events'][number][],
    sender: Sender,
    agentId: string,
    source: string,
    stem: string,
    firstOrdinal: number,
  ): { events: StoredEvent[]; tsv: Buffer; outOfScope: number } {
    const attr = this.parts.attribution;
    const events: StoredEvent[] = [];
    const rows: string[] = [];
    let outOfScope = 0;
    for (let i = 0; i < list.length; i++) {
      const e = list[i]!;
      const a = attr.attribute(attributionAddresses(e.type, e.fields), sender);
      if (a.outOfScope) outOfScope++;
      const s: StoredEvent = {
        ...e,
        id: eventId(e.ts, stem, firstOrdinal + i),
        orgUnitId: a.orgUnitId,
        orgPath: a.orgPath,
        agentId,
        source,
      };
      events.push(s);
      rows.push(eventTsvRow(s, eventColumns(s)));
    }
    return { events, tsv: Buffer.from(rows.join(''), 'utf8'), outOfScope };
  }

  async store(batch: EventBatch, p: SecurityEventsPayload, token: string): Promise<number> {
    const e = batch.encoded.get(p)!;
    if (e.events.length > 0) {
      await this.d.telemetry.insertTabSeparated(SECURITY_TABLES.events, EVENT_COLUMNS, e.tsv, {
        dedupToken: `${token}:events`,
      });
    }
    const rejected = Object.fromEntries(Object.entries(p.stats.rejected).filter(([, v]) => v !== undefined));
    await this.insertStats(
      {
        at: e.at,
        agentId: batch.agent.agentId,
        sender: batch.agent,
        source: p.source,
        format: p.format,
        transport: p.transport,
        received: p.stats.received,
        accepted: p.stats.accepted,
        rejected: rejected as Record<string, number>,
        dropped: p.stats.dropped,
        outOfScope: e.outOfScope,
      },
      `${token}:stats`,
    );
    this.stored?.inc({ via: 'agent' }, e.events.length);
    return e.events.length + 1;
  }

  /** Runs the rules over the batch's events and raises their alerts and Suricata's (idempotent). */
  async apply(batch: EventBatch): Promise<void> {
    const events = [...batch.encoded.values()].flatMap((e) => e.events).sort((a, b) => a.ts - b.ts);
    if (events.length) await this.raiseFor(events, { agent: batch.agent });
  }

  /** Alerts of the rules and of Suricata's alert events; resolves with how many were raised. */
  private async raiseFor(
    events: readonly StoredEvent[],
    origin: { agent?: AgentPrincipal; actor?: string },
  ): Promise<number> {
    let inputs: AlertInput[] = [];
    try {
      inputs = this.parts.rules.evaluate(events);
    } catch (err) {
      this.d.log.error(
        { err: (err as Error).message, events: events.length },
        'sigma evaluation failed for a batch',
      );
    }
    inputs = inputs.concat(suricataAlerts(events));
    if (inputs.length === 0) return 0;
    await this.parts.alerts.raise(inputs, origin);
    return inputs.length;
  }

  private async insertStats(
    s: {
      at: number;
      agentId: string;
      sender: Sender;
      source: string;
      format: string;
      transport: string;
      received: number;
      accepted: number;
      rejected: Record<string, number>;
      dropped: number;
      outOfScope: number;
    },
    dedupToken: string,
  ): Promise<void> {
    await this.d.telemetry.insert(
      SECURITY_TABLES.sourceStats,
      [
        {
          ts: new Date(s.at).toISOString().replace('T', ' ').replace('Z', ''),
          agent_id: s.agentId,
          org_unit: s.sender.orgUnitId,
          org_path: s.sender.orgUnitPath,
          source: s.source,
          format: s.format,
          transport: s.transport,
          received: s.received,
          accepted: s.accepted,
          rejected: s.rejected,
          dropped: s.dropped,
          out_of_scope: s.outOfScope,
        },
      ],
      { dedupToken },
    );
  }

  // ---- lines (uploads and the control plane's listeners) -----------------------------------------

  /**
   * Parses, stores and evaluates lines in chunks as they arrive; the caller feeds lines and calls
   * `finish`. Errors: the first 100 with their line numbers, and how many more.
   */
  lineIngest(opts: {
    format: EventFormat;
    source: string;
    sender: Sender;
    agentId: string;
    transport: string;
    origin: { agent?: AgentPrincipal; actor?: string };
    via: 'upload' | 'listener';
  }): LineIngest {
    return new LineIngest(this, opts);
  }

  /** @internal Writes one chunk of events and raises its alerts. */
  async writeChunk(
    list: SecurityEventsPayload['events'],
    o: {
      sender: Sender;
      agentId: string;
      source: string;
      stem: string;
      first: number;
      origin: { agent?: AgentPrincipal; actor?: string };
      via: string;
    },
  ): Promise<{ outOfScope: number; alerts: number }> {
    if (list.length === 0) return { outOfScope: 0, alerts: 0 };
    const { events, tsv, outOfScope } = this.encode(list, o.sender, o.agentId, o.source, o.stem, o.first);
    await this.d.telemetry.insertTabSeparated(SECURITY_TABLES.events, EVENT_COLUMNS, tsv, {
      dedupToken: `${o.stem}:${o.first}`,
    });
    this.stored?.inc({ via: o.via }, events.length);
    events.sort((a, b) => a.ts - b.ts);
    const alerts = await this.raiseFor(events, o.origin);
    return { outOfScope, alerts };
  }

  /** @internal */
  async writeLineStats(s: Parameters<SecurityEvents['insertStats']>[0]): Promise<void> {
    for (const [reason, n] of Object.entries(s.rejected)) this.rejected?.inc({ reason }, n);
    await this.insertStats(s, `${s.source}:${s.agentId}:${s.at}:${randomStem()}`);
  }

  /** Stores what one of the control plane's listeners received (attributed by address, else the top unit). */
  async storeListenerEvents(
    config: EventListenerConfig,
    events: SecurityEventsPayload['events'],
    stats: EventSourceStats,
    stem: string,
    first: number,
  ): Promise<void> {
    await this.parts.attribution.refresh();
    const top = this.parts.attribution.topUnit();
    const sender: Sender = top
      ? { orgUnitId: top.id, orgUnitPath: top.path }
      : { orgUnitId: '', orgUnitPath: '/' };
    const r = await this.writeChunk(events, {
      sender,
      agentId: '',
      source: config.name,
      stem,
      first,
      origin: { actor: `listener ${config.name}` },
      via: 'listener',
    });
    const rejected = Object.fromEntries(Object.entries(stats.rejected).filter(([, v]) => v !== undefined));
    await this.writeLineStats({
      at: Date.now(),
      agentId: '',
      sender,
      source: config.name,
      format: config.format,
      transport: config.transport,
      received: stats.received,
      accepted: stats.accepted,
      rejected: rejected as Record<string, number>,
      dropped: stats.dropped,
      outOfScope: r.outOfScope,
    });
  }

  /**
   * A streamed upload: the body read line by line (never whole), parsed, stored and evaluated in
   * chunks; stops at `upload.maxBytes` (what was accepted before stays stored and is reported).
   */
  async upload(
    identity: Identity,
    format: EventFormat,
    source: string,
    body: AsyncIterable<Uint8Array> | null,
  ): Promise<UploadResult> {
    await this.parts.attribution.refresh();
    const policy = this.policy;
    const ingest = this.lineIngest({
      format,
      source,
      sender: identity,
      agentId: '',
      transport: 'http',
      origin: { actor: identity.name },
      via: 'upload',
    });
    let read = { bytes: 0, truncated: false };
    try {
      read = await readLines(
        body,
        { maxLineBytes: policy.maxLineBytes, maxBytes: policy.upload.maxBytes },
        (lines) => ingest.lines(lines),
      );
    } finally {
      await ingest.finish();
    }
    const r = ingest.result();
    await this.d.audit.record(identity, {
      action: 'security.events.upload',
      targetType: 'security-events',
      targetId: source,
      orgUnitId: identity.orgUnitId,
      outcome: read.truncated ? 'failure' : 'success',
      details: {
        format,
        accepted: r.accepted,
        rejected: r.rejected,
        bytes: read.bytes,
        truncated: read.truncated,
        outOfScope: r.outOfScope,
      },
    });
    return { ...r, bytes: read.bytes, truncated: read.truncated };
  }

  // ---- search ------------------------------------------------------------------------------------

  private async scopePath(identity: Identity, orgUnit: string | undefined): Promise<string> {
    if (!orgUnit) return identity.orgUnitPath;
    await this.parts.attribution.refresh();
    const u = this.parts.attribution.unit(orgUnit);
    if (!u || !u.path.startsWith(identity.orgUnitPath)) throw new NotFoundError('org unit not found');
    return u.path;
  }

  private item(r: EventRow): EventItem {
    let fields: Record<string, unknown> = {};
    try {
      fields = JSON.parse(r.fields) as Record<string, unknown>;
    } catch {
      // Stored by us as JSON; an unreadable value shows as no fields rather than failing the page.
    }
    return {
      id: r.id,
      ts: new Date(Number(r.ts_ms)).toISOString(),
      orgUnitId: r.org_unit,
      orgUnitName: this.parts.attribution.unit(r.org_unit)?.name ?? r.org_unit,
      agentId: r.agent_id,
      source: r.source,
      format: r.format,
      type: r.type,
      severity: Number(r.severity),
      srcIp: r.src_ip,
      dstIp: r.dst_ip,
      srcPort: Number(r.src_port),
      dstPort: Number(r.dst_port),
      proto: r.proto,
      host: r.host,
      user: r.user,
      rule: r.rule,
      message: r.message,
      fields,
      raw: r.raw,
    };
  }

  /** Events in the caller's org units, newest first, by cursor pages. */
  async search(
    identity: Identity,
    s: EventSearch,
  ): Promise<{ items: EventItem[]; nextCursor: string | null }> {
    const [from, to] = timeRange(s.from, s.to, DAY_MS);
    const scope = await this.scopePath(identity, s.orgUnit);
    const filter = parseEventQuery(s.q ?? '');
    const where = [
      'startsWith(org_path, {scope:String})',
      'ts >= fromUnixTimestamp64Milli({from:Int64})',
      'ts < fromUnixTimestamp64Milli({to:Int64})',
      ...filter.where,
    ];
    const params: Record<string, string | number> = { scope, from, to, limit: s.limit + 1, ...filter.params };
    for (const [k, col] of [
      ['type', 'type'],
      ['format', 'format'],
      ['source', 'source'],
    ] as const) {
      const v = s[k];
      if (v) {
        where.push(`${col} = {f_${k}:String}`);
        params[`f_${k}`] = v;
      }
    }
    if (s.cursor) {
      const [cts, cid] = decodeCursor(s.cursor);
      where.push('(ts, id) < (fromUnixTimestamp64Milli({cts:Int64}), {cid:String})');
      params.cts = cts;
      params.cid = cid;
    }
    const rows = await this.d.telemetry.query<EventRow>(
      `SELECT ${SELECT_COLUMNS} FROM ${SECURITY_TABLES.events}
        WHERE ${where.join(' AND ')}
        ORDER BY ts DESC, id DESC LIMIT {limit:UInt32}`,
      params,
    );
    await this.parts.attribution.refresh();
    const more = rows.length > s.limit;
    const page = rows.slice(0, s.limit).map((r) => this.item(r));
    const last = page[page.length - 1];
    return { items: page, nextCursor: more && last ? encodeCursor(Date.parse(last.ts), last.id) : null };
  }

  /** Events by id in the caller's org units (others are absent); in time order. */
  async byIds(identity: Identity, ids: readonly string[]): Promise<EventItem[]> {
    const valid = [...new Set(ids.filter((i) => EVENT_ID.test(i)))].slice(0, 500);
    if (valid.length === 0) return [];
    const times = valid.map((i) => idTime(i)!);
    const rows = await this.d.telemetry.query<EventRow>(
      `SELECT ${SELECT_COLUMNS} FROM ${SECURITY_TABLES.events}
        WHERE startsWith(org_path, {scope:String})
          AND ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts <= fromUnixTimestamp64Milli({to:Int64})
          AND id IN {ids:Array(String)}
        ORDER BY ts, id LIMIT 1 BY id`,
      { scope: identity.orgUnitPath, from: Math.min(...times), to: Math.max(...times), ids: valid },
    );
    await this.parts.attribution.refresh();
    return rows.map((r) => this.item(r));
  }

  /** One event, or NotFoundError when absent or outside the caller's org units. */
  async get(identity: Identity, id: string): Promise<EventItem> {
    const [e] = await this.byIds(identity, [id]);
    if (!e) throw new NotFoundError('event not found');
    return e;
  }

  /** Per-source counters over a window (default the last 24 h), with rejections by reason. */
  async sources(identity: Identity, range: { from?: string | undefined; to?: string | undefined }) {
    const [from, to] = timeRange(range.from, range.to, DAY_MS);
    const rows = await this.d.telemetry.query<{
      source: string;
      agent_id: string;
      format: string;
      transport: string;
      received: number;
      accepted: number;
      rejected: Record<string, number | string>;
      dropped: number;
      out_of_scope: number;
      last: number;
    }>(
      `SELECT source, agent_id, format, transport, toFloat64(sum(received)) AS received,
              toFloat64(sum(accepted)) AS accepted, sumMap(rejected) AS rejected,
              toFloat64(sum(dropped)) AS dropped, toFloat64(sum(out_of_scope)) AS out_of_scope,
              toUnixTimestamp64Milli(max(ts)) AS last
         FROM ${SECURITY_TABLES.sourceStats}
        WHERE startsWith(org_path, {scope:String})
          AND ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts < fromUnixTimestamp64Milli({to:Int64})
        GROUP BY source, agent_id, format, transport
        ORDER BY source, agent_id, format, transport
        LIMIT 10000`,
      { scope: identity.orgUnitPath, from, to },
    );
    return {
      items: rows.map((r) => {
        const byReason = Object.fromEntries(Object.entries(r.rejected).map(([k, v]) => [k, Number(v)]));
        return {
          source: r.source,
          agentId: r.agent_id,
          format: r.format,
          transport: r.transport,
          received: Number(r.received),
          accepted: Number(r.accepted),
          rejected: Object.values(byReason).reduce((a, b) => a + b, 0),
          rejectedByReason: byReason,
          dropped: Number(r.dropped),
          outOfScope: Number(r.out_of_scope),
          lastSeen: new Date(Number(r.last)).toISOString(),
        };
      }),
    };
  }

  /** Event counts grouped by type, format, source or org unit. */
  async stats(
    identity: Identity,
    s: { from?: string | undefined; to?: string | undefined; by: 'type' | 'format' | 'source' | 'orgUnit' },
  ): Promise<{ items: Array<{ key: string; label: string; count: number }> }> {
    const [from, to] = timeRange(s.from, s.to, DAY_MS);
    const col = s.by === 'orgUnit' ? 'org_unit' : s.by;
    const rows = await this.d.telemetry.query<{ key: string; count: number }>(
      `SELECT toString(${col}) AS key, toFloat64(count()) AS count FROM ${SECURITY_TABLES.events}
        WHERE startsWith(org_path, {scope:String})
          AND ts >= fromUnixTimestamp64Milli({from:Int64}) AND ts < fromUnixTimestamp64Milli({to:Int64})
        GROUP BY key ORDER BY count DESC, key LIMIT 1000`,
      { scope: identity.orgUnitPath, from, to },
    );
    if (s.by === 'orgUnit') await this.parts.attribution.refresh();
    return {
      items: rows.map((r) => ({
        key: r.key,
        label: s.by === 'orgUnit' ? (this.parts.attribution.unit(r.key)?.name ?? r.key) : r.key,
        count: Number(r.count),
      })),
    };
  }

  /** Overview figures: events of the last 24 h, per source, and the sources that rejected lines. */
  async overview(identity: Identity): Promise<Record<string, unknown>> {
    const [bySource, sources] = await Promise.all([
      this.stats(identity, { by: 'source' }),
      this.sources(identity, {}),
    ]);
    return {
      eventsLast24h: bySource.items.reduce((a, b) => a + b.count, 0),
      eventsBySource: bySource.items.slice(0, 20).map((i) => ({ source: i.key, count: i.count })),
      rejectedLast24h: sources.items.reduce((a, b) => a + b.rejected, 0),
      droppedLast24h: sources.items.reduce((a, b) => a + b.dropped, 0),
    };
  }

  // ---- agent config ------------------------------------------------------------------------------

  /**
   * The `security` section of an edge agent: the listeners and files of every collector of the
   * policy whose selector matches it (its unit or one above, or its id); in embedded mode also a
   * syslog listener (UDP and TCP) on `security.syslogPort`.
   */
  async agentConfig(agent: AgentPrincipal): Promise<Record<string, unknown> | undefined> {
    if (!agent.roles.includes('edge')) return undefined;
    const policy = this.policy;
    await this.parts.attribution.refresh();
    const listeners: EventListenerConfig[] = [];
    const files: SecurityCollectorConfig['files'] = [];
    for (const c of policy.collectors) {
      const m = c.match;
      const any = m.orgUnits.length === 0 && m.agents.length === 0;
      const byUnit = m.orgUnits.some((id) => {
        const u = this.parts.attribution.unit(id);
        return u ? agent.orgUnitPath.startsWith(u.path) : id === agent.orgUnitId;
      });
      if (!any && !byUnit && !m.agents.includes(agent.agentId)) continue;
      listeners.push(...c.listeners.filter((l) => !listeners.some((x) => x.name === l.name)));
      files.push(...c.files.filter((f) => !files.some((x) => x.name === f.name)));
    }
    const s = this.settings;
    if (s.syslogPort) {
      const bindAddress = s.bindAddress ?? '127.0.0.1';
      for (const transport of ['udp', 'tcp'] as const) {
        const name = `embedded-syslog-${transport}`;
        if (listeners.some((l) => l.name === name)) continue;
        listeners.push({
          name,
          format: 'syslog',
          transport,
          bindAddress,
          port: s.syslogPort,
          framing: 'auto',
          allowedSources: [],
        });
      }
    }
    if (listeners.length === 0 && files.length === 0) return undefined;
    const security: SecurityCollectorConfig = {
      enabled: true,
      listeners,
      files,
      maxLineBytes: policy.maxLineBytes,
    };
    return { security };
  }

  /** The control plane's own listeners: the policy's, and in embedded mode CEF and EVE over TCP. */
  controlPlaneListeners(): EventListenerConfig[] {
    const out = [...this.policy.listeners];
    const s = this.settings;
    const bindAddress = s.bindAddress ?? '127.0.0.1';
    for (const [format, port] of [
      ['cef', s.cefPort],
      ['eve', s.evePort],
    ] as const) {
      const name = `embedded-${format}-tcp`;
      if (port && !out.some((l) => l.name === name))
        out.push({ name, format, transport: 'tcp', bindAddress, port, framing: 'auto', allowedSources: [] });
    }
    return out;
  }

  /** Where the control plane's listeners listen (name → port), for tests and the system page. */
  listening(): Record<string, number> {
    return this.listeners.ports();
  }

  /** Each of the control plane's listeners: its port, or why it does not run. */
  listenerStatus(): Array<{ name: string; port: number | null; error: string | null }> {
    return this.listeners.status();
  }

  // ---- retention ---------------------------------------------------------------------------------

  /** Brings both tables' TTLs in line with `retentionDays`. */
  async reconcileRetention(): Promise<void> {
    const days = this.policy.retentionDays;
    if (this.retentionApplied === days) return;
    const clause = securityTtl(days);
    const names = [SECURITY_TABLES.events, SECURITY_TABLES.sourceStats];
    const rows = await this.d.telemetry.query<{ name: string; engine_full: string }>(
      `SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)}`,
      { names },
    );
    for (const r of rows) {
      if (!r.engine_full.includes(`TTL ${clause}`)) {
        await this.d.telemetry.exec(`ALTER TABLE ${r.name} MODIFY TTL ${clause}`);
        this.d.log.info({ table: r.name, ttl: clause }, 'security retention applied');
      }
    }
    this.retentionApplied = days;
  }

  jobs(): ModuleJob[] {
    return [{ name: 'security.retention', everyMillis: 10 * 60_000, run: () => this.reconcileRetention() }];
  }

  async stop(): Promise<void> {
    this.unsubscribe();
    await this.listeners.close();
  }
}

/** The settings of the events part from the control plane's config (`security.*`). */
export function securitySettings(d: Pick<ModuleDeps, 'config'>): SecuritySettings {
  return d.config.security ?? {};
}

/**
 * Lines of one upload or listener connection: parsed, counted by type and reason, and written in
 * chunks (every 5000 events or 4 MiB) so memory stays bounded whatever the body's size.
 */
export class LineIngest {
  accepted = 0;
  rejected = 0;
  readonly rejectedByReason: Partial<Record<EventRejectReason, number>> = {};
  readonly byType: Record<string, number> = {};
  readonly errors: UploadResult['errors'] = [];
  errorsTruncated = 0;
  outOfScope = 0;
  alerts = 0;
  received = 0;
  private pending: SecurityEventsPayload['events'] = [];
  private pendingBytes = 0;
  private written = 0;
  private readonly stem = randomStem();
  private readonly startedAt = Date.now();

  constructor(
    private readonly svc: SecurityEvents,
    private readonly o: Parameters<SecurityEvents['lineIngest']>[0],
  ) {}

  private reject(line: number, reason: EventRejectReason, message: string): void {
    this.rejected++;
    this.rejectedByReason[reason] = (this.rejectedByReason[reason] ?? 0) + 1;
    if (this.errors.length < MAX_ERRORS) this.errors.push({ line, reason, message: message.slice(0, 300) });
    else this.errorsTruncated++;
  }

  /** Takes lines; writes a chunk when enough has gathered. */
  async lines(lines: readonly BodyLine[]): Promise<void> {
    const maxLineBytes = this.svc.policy.maxLineBytes;
    const receivedAt = Date.now();
    for (const l of lines) {
      this.received++;
      if ('reject' in l) {
        this.reject(l.lineNo, l.reject, l.message);
        continue;
      }
      const r = parseEventLine(this.o.format, l.text, { maxLineBytes, receivedAt });
      if (!r.ok) {
        this.reject(l.lineNo, r.reason, r.message);
        continue;
      }
      this.pending.push(r.event);
      this.pendingBytes += r.event.raw.length * 2 + 256;
      if (this.pending.length >= CHUNK_EVENTS || this.pendingBytes >= CHUNK_BYTES) await this.flush();
    }
  }

  private async flush(): Promise<void> {
    const list = this.pending;
    if (list.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    const first = this.written;
    this.written += list.length;
    const types: Record<string, number> = {};
    for (const e of list) types[e.type] = (types[e.type] ?? 0) + 1;
    const r = await this.svc.writeChunk(list, {
      sender: this.o.sender,
      agentId: this.o.agentId,
      source: this.o.source,
      stem: this.stem,
      first,
      origin: this.o.origin,
      via: this.o.via,
    });
    // Counted as accepted once stored: a failed insert is never reported as accepted.
    this.accepted += list.length;
    for (const [t, n] of Object.entries(types)) this.byType[t] = (this.byType[t] ?? 0) + n;
    this.outOfScope += r.outOfScope;
    this.alerts += r.alerts;
  }

  /** Writes what is left and the source's counters. */
  async finish(): Promise<void> {
    try {
      await this.flush();
    } finally {
      await this.svc.writeLineStats({
        at: this.startedAt,
        agentId: this.o.agentId,
        sender: this.o.sender,
        source: this.o.source,
        format: this.o.format,
        transport: this.o.transport,
        received: this.received,
        accepted: this.accepted,
        rejected: this.rejectedByReason as Record<string, number>,
        dropped: 0,
        outOfScope: this.outOfScope,
      });
    }
  }

  result(): Omit<UploadResult, 'bytes' | 'truncated'> {
    return {
      accepted: this.accepted,
      rejected: this.rejected,
      byType: { ...this.byType },
      errors: [...this.errors],
      ...(this.errorsTruncated ? { errorsTruncated: this.errorsTruncated } : {}),
      outOfScope: this.outOfScope,
      alerts: { raised: this.alerts },
    };
  }
}
