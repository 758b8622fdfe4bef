import { createHash, randomBytes } from 'node:crypto';
import type { AlertInput, AlertSeverity, EventValue, NormalisedEvent, Observable } from '@tianshu/protocol';
import { AddressText, AttackTechnique } from '@tianshu/protocol';
import { tsvDateTime64Millis, tsvEscape } from '../../store/telemetry/tsv.js';
import type { StoredEvent } from '../types.js';

/**
 * From normalised events to stored rows: ids (time-ordered, unique), the columns pulled out of the
 * ECS fields, the TabSeparated rows of `security_events`, and the alerts Suricata's own `alert`
 * events stand for.
 */

// ---- ids ---------------------------------------------------------------------------------------

/**
 * An event id: 32 hex digits = the event's time (48-bit Unix milliseconds, so ids sort by time and
 * a lookup by id knows the partition), a 48-bit stem unique to its payload or upload, and a 32-bit
 * ordinal within it. An agent payload's stem is a digest of the payload, so a replayed payload
 * (after a crash, before `apply`) gets the same ids again and the alerts point at the stored rows.
 */
export function eventId(ts: number, stem: string, ordinal: number): string {
  return (
    Math.max(0, Math.min(ts, 0xffffffffffff)).toString(16).padStart(12, '0') +
    stem +
    (ordinal >>> 0).toString(16).padStart(8, '0')
  );
}

export const EVENT_ID = /^[0-9a-f]{32}$/;

/** The time an id carries (Unix ms), or undefined when it is not an event id. */
export function idTime(id: string): number | undefined {
  return EVENT_ID.test(id) ? parseInt(id.slice(0, 12), 16) : undefined;
}

/** A random stem (uploads). */
export function randomStem(): string {
  return randomBytes(6).toString('hex');
}

/** The stem of an agent's payload: a digest of who sent it and what it holds. */
export function payloadStem(agentId: string, source: string, events: readonly NormalisedEvent[]): string {
  const h = createHash('sha256');
  h.update(agentId).update('\0').update(source).update('\0');
  for (const e of events) h.update(String(e.ts)).update('\0').update(e.raw).update('\n');
  return h.digest('hex').slice(0, 12);
}

// ---- columns -----------------------------------------------------------------------------------

function str(v: EventValue | undefined): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.join(',');
  return '';
}

function port(v: EventValue | undefined): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : 0;
  return Number.isInteger(n) && n >= 0 && n <= 65_535 ? n : 0;
}

function firstString(f: Record<string, EventValue>, names: readonly string[]): string {
  for (const n of names) {
    const s = str(f[n]);
    if (s !== '') return s;
  }
  return '';
}

/** Stored severity: 0 none, 1 low, 2 medium, 3 high, 4 critical. */
export type SeverityLevel = 0 | 1 | 2 | 3 | 4;
export const SEVERITY_NAMES: readonly AlertSeverity[] = ['low', 'medium', 'high', 'critical'];

/**
 * The severity of an event on our 0–4 scale, by format: Suricata's `alert.severity` (1 high, 2
 * medium, 3 low; 4 = informational), syslog's severity (0–2 critical, 3 high, 4 medium, 5–6 low,
 * 7 none), CEF's 0–10 (9–10 critical, 7–8 high, 4–6 medium, 1–3 low) — when the parser did not
 * already put the normalised value in `event.severity`.
 */
export function severityOf(e: NormalisedEvent): SeverityLevel {
  const f = e.fields;
  const sev = (names: string[]): number | undefined => {
    for (const n of names) {
      const v = f[n];
      if (typeof v === 'number' && Number.isFinite(v)) return v;
      if (typeof v === 'string' && /^\d{1,2}$/.test(v)) return Number(v);
    }
    return undefined;
  };
  // The parsers put the normalised 0–4 value in event.severity (the source's own value beside it).
  const normalised = f['event.severity'];
  if (typeof normalised === 'number' && Number.isInteger(normalised) && normalised >= 0 && normalised <= 4)
    return normalised as SeverityLevel;
  if (e.format === 'eve') {
    const s = sev(['suricata.eve.alert.severity']);
    if (s === undefined) return e.type === 'alert' ? 2 : e.type === 'anomaly' ? 1 : 0;
    return s <= 1 ? 3 : s === 2 ? 2 : s === 3 ? 1 : 0;
  }
  if (e.format === 'cef') {
    const s = sev(['cef.severity']);
    if (s === undefined) return 0;
    return s >= 9 ? 4 : s >= 7 ? 3 : s >= 4 ? 2 : s >= 1 ? 1 : 0;
  }
  const s = sev(['log.syslog.severity.code']);
  if (s === undefined) return 0;
  return s <= 2 ? 4 : s === 3 ? 3 : s === 4 ? 2 : s <= 6 ? 1 : 0;
}

/** The columns of one event besides its identity and attribution. */
export interface EventColumns {
  severity: SeverityLevel;
  srcIp: string;
  dstIp: string;
  srcPort: number;
  dstPort: number;
  proto: string;
  host: string;
  user: string;
  rule: string;
  message: string;
}

export function eventColumns(e: NormalisedEvent): EventColumns {
  const f = e.fields;
  const rule = firstString(f, ['rule.name']);
  return {
    severity: severityOf(e),
    srcIp: str(f['source.ip']),
    dstIp: str(f['destination.ip']),
    srcPort: port(f['source.port']),
    dstPort: port(f['destination.port']),
    proto: firstString(f, ['network.transport']).toLowerCase(),
    host: firstString(f, ['host.hostname', 'host.name', 'observer.name', 'observer.hostname']),
    user: firstString(f, ['user.name', 'source.user.name', 'destination.user.name']),
    rule,
    message: firstString(f, ['message']) || rule || firstString(f, ['event.original']),
  };
}

/** One `security_events` row as TabSeparated (columns in the order of `EVENT_COLUMNS`). */
export function eventTsvRow(e: StoredEvent, c: EventColumns = eventColumns(e)): string {
  return (
    [
      e.id,
      tsvDateTime64Millis(e.ts),
      tsvEscape(e.orgUnitId),
      tsvEscape(e.orgPath),
      tsvEscape(e.agentId),
      tsvEscape(e.source),
      e.format,
      tsvEscape(e.type),
      String(c.severity),
      tsvEscape(c.srcIp),
      tsvEscape(c.dstIp),
      String(c.srcPort),
      String(c.dstPort),
      tsvEscape(c.proto),
      tsvEscape(c.host),
      tsvEscape(c.user),
      tsvEscape(c.rule),
      tsvEscape(c.message),
      tsvEscape(JSON.stringify(e.fields)),
      tsvEscape(e.raw),
    ].join('\t') + '\n'
  );
}

// ---- Suricata alerts ---------------------------------------------------------------------------

function clip(s: string, n: number): string {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}

function techniques(v: EventValue | undefined): string[] {
  const all = Array.isArray(v) ? v : typeof v === 'string' ? v.split(/[,\s]+/) : [];
  const out = new Set<string>();
  for (const t of all) if (AttackTechnique.safeParse(t).success) out.add(t);
  return [...out].slice(0, 32);
}

const isAddress = (s: string) => s !== '' && AddressText.safeParse(s).success;

/**
 * Suricata's `alert` events as alerts (`source: suricata`, `reference: suricata:<signature_id>`,
 * ATT&CK ids from the rule's `mitre_technique_id` metadata), one per signature, attacker, target
 * and org unit in the batch, counting the events behind it.
 */
export function suricataAlerts(events: readonly StoredEvent[]): AlertInput[] {
  const byKey = new Map<string, AlertInput>();
  for (const e of events) {
    if (e.format !== 'eve' || e.type !== 'alert') continue;
    const f = e.fields;
    const sid = str(f['rule.id']) || 'unknown';
    const c = eventColumns(e);
    const key = `${sid}\0${c.srcIp}\0${c.dstIp}\0${e.orgUnitId}`;
    const a = byKey.get(key);
    if (a) {
      a.count++;
      a.firstSeen = Math.min(a.firstSeen, e.ts);
      a.lastSeen = Math.max(a.lastSeen, e.ts);
      if (a.eventIds && a.eventIds.length < 100) a.eventIds.push(e.id);
      continue;
    }
    const observables: Observable[] = [];
    if (isAddress(c.srcIp)) observables.push({ type: 'ip', value: c.srcIp, role: 'source' });
    if (isAddress(c.dstIp)) observables.push({ type: 'ip', value: c.dstIp, role: 'target' });
    const category = str(f['rule.category']);
    const level = Math.max(1, c.severity) as 1 | 2 | 3 | 4;
    byKey.set(key, {
      source: 'suricata',
      reference: clip(`suricata:${sid}`, 256),
      title: clip(c.rule || `Suricata signature ${sid}`, 512),
      ...(category ? { description: clip(category, 8192) } : {}),
      severity: SEVERITY_NAMES[level - 1]!,
      attack: techniques(f['threat.technique.id']),
      observables,
      orgUnitId: e.orgUnitId,
      ...(isAddress(c.dstIp) ? { assetAddress: c.dstIp } : {}),
      firstSeen: e.ts,
      lastSeen: e.ts,
      count: 1,
      eventIds: [e.id],
    });
  }
  return [...byKey.values()];
}
