import { createHash } from 'node:crypto';
import type { AlertInput, AlertSeverity, Observable } from '@tianshu/protocol';

/** Alert statuses; `new` and `acknowledged` are open (the queue's default). */
export const ALERT_STATUSES = ['new', 'acknowledged', 'closed', 'false-positive', 'suppressed'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];
export const OPEN_ALERT_STATUSES: readonly AlertStatus[] = ['new', 'acknowledged'];

export const INCIDENT_STATUSES = [
  'new',
  'triaged',
  'investigating',
  'contained',
  'resolved',
  'false-positive',
] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];
/** Statuses that end an incident (time to resolve stops; correlation no longer joins alerts). */
export const CLOSED_INCIDENT_STATUSES: readonly IncidentStatus[] = ['resolved', 'false-positive'];

/**
 * The incident workflow: new → triaged → investigating → contained → resolved, or false-positive
 * from any open status; a resolved or false-positive incident may be reopened.
 */
export const INCIDENT_TRANSITIONS: Readonly<Record<IncidentStatus, readonly IncidentStatus[]>> = {
  new: ['triaged', 'false-positive'],
  triaged: ['investigating', 'contained', 'resolved', 'false-positive'],
  investigating: ['contained', 'resolved', 'false-positive'],
  contained: ['investigating', 'resolved', 'false-positive'],
  resolved: ['investigating'],
  'false-positive': ['triaged'],
};

export const TIMELINE_KINDS = [
  'created',
  'status',
  'assigned',
  'comment',
  'escalated',
  'taken-over',
  'handed-back',
  'alert-added',
  'severity',
  'title',
] as const;
export type TimelineKind = (typeof TIMELINE_KINDS)[number];

export const BULK_ACTIONS = [
  'acknowledge',
  'close',
  'false-positive',
  'reopen',
  'assign',
  'to-incident',
] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

const SEVERITY_RANK: Record<AlertSeverity, number> = { low: 1, medium: 2, high: 3, critical: 4 };
export const severityRank = (s: AlertSeverity): number => SEVERITY_RANK[s];
export const maxSeverity = (a: AlertSeverity, b: AlertSeverity): AlertSeverity =>
  SEVERITY_RANK[a] >= SEVERITY_RANK[b] ? a : b;

/** `type:value` of an observable, the key that relates alerts and incidents. */
export const observableKey = (o: { type: string; value: string }): string =>
  `${o.type}:${o.value.toLowerCase()}`;

/**
 * The deduplication key of an alert: the detector's own fingerprint when it gives one, else a hash
 * of source, reference and the sorted observables (so the same detection on the same things is one
 * alert, whatever order the observables came in).
 */
export function fingerprintOf(
  input: Pick<AlertInput, 'fingerprint' | 'source' | 'reference' | 'observables'>,
): string {
  if (input.fingerprint) return input.fingerprint;
  const keys = [...new Set(input.observables.map(observableKey))].sort();
  const hash = createHash('sha256')
    .update(JSON.stringify([input.source, input.reference, keys]))
    .digest('hex')
    .slice(0, 32);
  return `${input.source}:${input.reference}:${hash}`;
}

/** Observables merged without duplicates (by type and value), at most `max`. */
export function mergeObservables(a: readonly Observable[], b: readonly Observable[], max = 64): Observable[] {
  const seen = new Set<string>();
  const out: Observable[] = [];
  for (const o of [...a, ...b]) {
    const k = observableKey(o);
    if (seen.has(k)) continue;
    seen.add(k);
    out.push(o);
    if (out.length >= max) break;
  }
  return out;
}

/** Keeps the newest `max` distinct values, in order (old first). */
export function appendBounded<T>(a: readonly T[], b: readonly T[], max: number): T[] {
  const out = [...a];
  for (const x of b) if (!out.includes(x)) out.push(x);
  return out.length > max ? out.slice(out.length - max) : out;
}

/** The address the alert is about: its asset, else its target observable, else any address. */
export function targetAddress(input: Pick<AlertInput, 'assetAddress' | 'observables'>): string | undefined {
  if (input.assetAddress) return input.assetAddress;
  const ips = input.observables.filter((o) => o.type === 'ip');
  return (ips.find((o) => o.role === 'target') ?? ips.find((o) => o.role !== 'source'))?.value;
}

/** Keyset cursor of the queues: the last row's sort key. */
export function encodeCursor(at: Date | string, id: string): string {
  const iso = typeof at === 'string' ? at : at.toISOString();
  return Buffer.from(JSON.stringify([iso, id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): { at: string; id: string } | undefined {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (
      Array.isArray(v) &&
      v.length === 2 &&
      typeof v[0] === 'string' &&
      typeof v[1] === 'string' &&
      !Number.isNaN(Date.parse(v[0])) &&
      /^[0-9a-f-]{36}$/.test(v[1])
    ) {
      return { at: v[0], id: v[1] };
    }
  } catch {
    // falls through
  }
  return undefined;
}

/** A LIKE pattern matching `text` anywhere, with LIKE's wildcards escaped. */
export const containsPattern = (text: string): string => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Is `path` the unit of `ancestor` or below it (materialized paths end with "/"). */
export const within = (path: string, ancestor: string): boolean => path.startsWith(ancestor);
