/**
 * The security API as the console uses it (`/api/v1/security/*`, see the security contract), and the
 * pure pieces of the security pages: the alert queue's and the event search's queries held in the
 * URL, the parsing of every answer (a field of the wrong type is an error naming the field, never a
 * silent blank), the legal incident transitions, the bulk actions an alert's status allows, and the
 * words of statuses, severities and reasons. Pure apart from the fetch functions; unit-tested.
 */
import { msg } from '@lit/localize';
import type { EventRejectReason } from '../../../protocol/src/security.js';
import { ApiError, apiFetch, query } from './api.js';

export const securityApi = '/api/v1/security';

// ---- Words: severities, statuses ----

export const severities = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof severities)[number];
export const isSeverity = (v: unknown): v is Severity =>
  typeof v === 'string' && (severities as readonly string[]).includes(v);

export const alertStatuses = ['new', 'acknowledged', 'closed', 'false-positive', 'suppressed'] as const;
export type AlertStatus = (typeof alertStatuses)[number];
/** The statuses of an alert that still needs someone (the queue's default). */
export const openAlertStatuses: AlertStatus[] = ['new', 'acknowledged'];

export const incidentStatuses = [
  'new',
  'triaged',
  'investigating',
  'contained',
  'resolved',
  'false-positive',
] as const;
export type IncidentStatus = (typeof incidentStatuses)[number];
export const openIncidentStatuses: IncidentStatus[] = ['new', 'triaged', 'investigating', 'contained'];

export const ruleStatuses = ['compiled', 'unsupported', 'invalid'] as const;
export type RuleStatus = (typeof ruleStatuses)[number];

export const eventFormats = ['eve', 'syslog', 'cef'] as const;
export type EventFormat = (typeof eventFormats)[number];

/**
 * The next statuses an incident may take from `status`: the workflow new → triaged → investigating →
 * contained → resolved, or false positive from any open status; a resolved incident is reopened for
 * investigation, a false positive back to triage (the alerts part's `INCIDENT_TRANSITIONS`).
 */
export function nextIncidentStatuses(status: IncidentStatus | string): IncidentStatus[] {
  switch (status) {
    case 'new':
      return ['triaged', 'false-positive'];
    case 'triaged':
      return ['investigating', 'contained', 'resolved', 'false-positive'];
    case 'investigating':
      return ['contained', 'resolved', 'false-positive'];
    case 'contained':
      return ['investigating', 'resolved', 'false-positive'];
    case 'resolved':
      return ['investigating'];
    case 'false-positive':
      return ['triaged'];
    default:
      return [];
  }
}

export const bulkActions = [
  'acknowledge',
  'close',
  'false-positive',
  'reopen',
  'assign',
  'to-incident',
] as const;
export type BulkAction = (typeof bulkActions)[number];

/** Whether a bulk action changes an alert of this status (the bar offers only actions that change one of the selected). */
export function actionApplies(action: BulkAction, status: AlertStatus | string): boolean {
  switch (action) {
    case 'acknowledge':
      return status === 'new';
    case 'close':
    case 'false-positive':
      return status === 'new' || status === 'acknowledged';
    case 'reopen':
      return status === 'closed' || status === 'false-positive' || status === 'suppressed';
    case 'assign':
    case 'to-incident':
      return status !== 'suppressed';
  }
}

/** The bulk actions that apply to at least one of the selected alerts' statuses. */
export const applicableActions = (statuses: readonly string[]): BulkAction[] =>
  bulkActions.filter((a) => statuses.some((s) => actionApplies(a, s)));

export function severityText(severity: string): string {
  switch (severity) {
    case 'critical':
      return msg('Critical', { id: 'security.severity.critical' });
    case 'high':
      return msg('High', { id: 'security.severity.high' });
    case 'medium':
      return msg('Medium', { id: 'security.severity.medium' });
    case 'low':
      return msg('Low', { id: 'security.severity.low' });
    default:
      return severity;
  }
}

/** An event's numeric severity (0 none, 1 low … 4 critical) in words. */
export function eventSeverityText(severity: number): string {
  const word = (['', 'low', 'medium', 'high', 'critical'] as const)[severity];
  return word ? severityText(word) : msg('None', { id: 'security.severity.none' });
}

export const severityTone = (severity: string): 'critical' | 'bad' | 'warn' | 'info' | 'idle' =>
  severity === 'critical'
    ? 'critical'
    : severity === 'high'
      ? 'bad'
      : severity === 'medium'
        ? 'warn'
        : severity === 'low'
          ? 'info'
          : 'idle';

export const severityColor: Record<Severity, string> = {
  critical: '#8f1d1d',
  high: '#c23a35',
  medium: '#d98a1c',
  low: '#2a6fd6',
};

export function alertStatusText(status: string): string {
  switch (status) {
    case 'new':
      return msg('New', { id: 'security.alertStatus.new' });
    case 'acknowledged':
      return msg('Acknowledged', { id: 'security.alertStatus.acknowledged' });
    case 'closed':
      return msg('Closed', { id: 'security.alertStatus.closed' });
    case 'false-positive':
      return msg('False positive', { id: 'security.alertStatus.falsePositive' });
    case 'suppressed':
      return msg('Suppressed', { id: 'security.alertStatus.suppressed' });
    default:
      return status;
  }
}

export function incidentStatusText(status: string): string {
  switch (status) {
    case 'new':
      return msg('New', { id: 'security.incidentStatus.new' });
    case 'triaged':
      return msg('Triaged', { id: 'security.incidentStatus.triaged' });
    case 'investigating':
      return msg('Investigating', { id: 'security.incidentStatus.investigating' });
    case 'contained':
      return msg('Contained', { id: 'security.incidentStatus.contained' });
    case 'resolved':
      return msg('Resolved', { id: 'security.incidentStatus.resolved' });
    case 'false-positive':
      return msg('False positive', { id: 'security.incidentStatus.falsePositive' });
    default:
      return status;
  }
}

export function bulkActionText(action: BulkAction): string {
  switch (action) {
    case 'acknowledge':
      return msg('Acknowledge', { id: 'security.bulk.acknowledge' });
    case 'close':
      return msg('Close', { id: 'security.bulk.close' });
    case 'false-positive':
      return msg('Mark as false positive', { id: 'security.bulk.falsePositive' });
    case 'reopen':
      return msg('Reopen', { id: 'security.bulk.reopen' });
    case 'assign':
      return msg('Assign…', { id: 'security.bulk.assign' });
    case 'to-incident':
      return msg('Group into an incident…', { id: 'security.bulk.toIncident' });
  }
}

export function ruleStatusText(status: string): string {
  switch (status) {
    case 'compiled':
      return msg('Compiled', { id: 'security.ruleStatus.compiled' });
    case 'unsupported':
      return msg('Unsupported (not run)', { id: 'security.ruleStatus.unsupported' });
    case 'invalid':
      return msg('Invalid', { id: 'security.ruleStatus.invalid' });
    default:
      return status;
  }
}

export const ruleStatusTone = (status: string): 'ok' | 'warn' | 'bad' | 'idle' =>
  status === 'compiled' ? 'ok' : status === 'unsupported' ? 'warn' : status === 'invalid' ? 'bad' : 'idle';

export function timelineKindText(kind: string): string {
  switch (kind) {
    case 'created':
      return msg('Opened', { id: 'security.timeline.created' });
    case 'status':
      return msg('Status changed', { id: 'security.timeline.status' });
    case 'assigned':
      return msg('Assigned', { id: 'security.timeline.assigned' });
    case 'comment':
      return msg('Comment', { id: 'security.timeline.comment' });
    case 'escalated':
      return msg('Escalated', { id: 'security.timeline.escalated' });
    case 'taken-over':
      return msg('Taken over', { id: 'security.timeline.takenOver' });
    case 'handed-back':
      return msg('Handed back', { id: 'security.timeline.handedBack' });
    case 'alert-added':
      return msg('Alert added', { id: 'security.timeline.alertAdded' });
    case 'severity':
      return msg('Severity changed', { id: 'security.timeline.severity' });
    default:
      return kind;
  }
}

/**
 * The words of an event rejection reason (`EVENT_REJECT_REASONS` of the protocol; the type makes a
 * reason added there without words here fail to compile); the code itself for a newer server's one.
 */
export function rejectReasonText(reason: string): string {
  const words: Record<EventRejectReason, () => string> = {
    'line-too-long': () => msg('line too long', { id: 'security.reject.lineTooLong' }),
    'not-json': () => msg('not JSON', { id: 'security.reject.notJson' }),
    'not-an-object': () => msg('not a JSON object', { id: 'security.reject.notAnObject' }),
    'bad-timestamp': () => msg('bad timestamp', { id: 'security.reject.badTimestamp' }),
    'bad-syslog': () => msg('not valid syslog', { id: 'security.reject.badSyslog' }),
    'bad-cef': () => msg('not valid CEF', { id: 'security.reject.badCef' }),
    'missing-field': () => msg('missing field', { id: 'security.reject.missingField' }),
    'bad-field': () => msg('bad field value', { id: 'security.reject.badField' }),
    'bad-framing': () => msg('bad framing', { id: 'security.reject.badFraming' }),
    'unsafe-text': () => msg('unsafe characters', { id: 'security.reject.unsafeText' }),
    'too-many-fields': () => msg('too many fields', { id: 'security.reject.tooManyFields' }),
  };
  return Object.hasOwn(words, reason) ? words[reason as EventRejectReason]() : reason;
}

// ---- Shapes of the answers, and their parsing ----

export interface Observable {
  type: string;
  value: string;
}

export interface Alert {
  id: string;
  fingerprint: string;
  source: string;
  reference: string;
  title: string;
  description: string;
  severity: Severity;
  attack: string[];
  observables: Observable[];
  orgUnitId: string;
  orgUnitName: string;
  assetAddress: string | null;
  status: AlertStatus | string;
  count: number;
  firstSeen: string;
  lastSeen: string;
  incidentId: string | null;
  assignee: string | null;
}

export interface AlertPage {
  items: Alert[];
  nextCursor: string | null;
  total: number | null;
  totalIsEstimate: boolean;
}

export interface SecurityEvent {
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

export interface EventPage {
  items: SecurityEvent[];
  nextCursor: string | null;
}

export interface AlertDetail extends Alert {
  events: SecurityEvent[];
  evidence: unknown[];
}

export interface EscalationStep {
  orgUnitId: string;
  name: string;
}

export interface Incident {
  id: string;
  title: string;
  severity: Severity;
  status: IncidentStatus | string;
  orgUnitId: string;
  orgUnitName: string;
  handlerOrgUnitId: string;
  handlerOrgUnitName: string;
  escalatedTo: EscalationStep[];
  assignee: string | null;
  alertCount: number;
  observables: Observable[];
  attack: string[];
  createdAt: string;
  updatedAt: string;
  acknowledgedAt: string | null;
  resolvedAt: string | null;
  timeToAcknowledgeSeconds: number | null;
  timeToResolveSeconds: number | null;
}

export interface TimelineEntry {
  at: string;
  actor: string;
  kind: string;
  from?: string;
  to?: string;
  text?: string;
  orgUnitId?: string;
}

export interface IncidentDetail extends Incident {
  alerts: Alert[];
  timeline: TimelineEntry[];
}

export interface IncidentPage {
  items: Incident[];
  nextCursor: string | null;
}

export interface SourceStats {
  source: string;
  agentId: string;
  format: string;
  transport: string;
  received: number;
  accepted: number;
  rejected: number;
  rejectedByReason: Record<string, number>;
  dropped: number;
  lastSeen: string;
}

export interface StatItem {
  key: string;
  label: string;
  count: number;
}

export interface Rule {
  id: string;
  title: string;
  file: string;
  origin: 'policy' | 'api' | string;
  kind: 'sigma' | 'correlation' | string;
  level: string;
  status: RuleStatus | string;
  reason: string | null;
  logsource: Record<string, unknown>;
  attack: string[];
  hits: number;
  lastHitAt: string | null;
  errors: number;
}

export interface RuleList {
  items: Rule[];
  summary: { compiled: number; unsupported: number; invalid: number };
}

export interface RiskItem {
  orgUnitId: string;
  name: string;
  path: string;
  level: string;
  score: number;
  openAlerts: number;
  openIncidents: number;
  vulnerabilities: { critical: number; high: number; medium: number; low: number };
  /** Null: no score 7 days ago. */
  change7d: number | null;
}

export interface RiskTrend {
  orgUnitId: string;
  points: [string, number][];
}

export interface Suppression {
  id: string;
  match: { source?: string; reference?: string; observable?: Observable; orgUnitId?: string };
  reason: string;
  author: string;
  createdAt: string;
  expiresAt: string;
}

/** An answer that does not have the contract's shape: names the field, so the page can say what is wrong. */
export class ShapeError extends Error {
  readonly path: string;

  constructor(path: string, expected: string) {
    super(`unexpected answer from the server: ${path} is not ${expected}`);
    this.name = 'ShapeError';
    this.path = path;
  }
}

type Obj = Record<string, unknown>;

function obj(v: unknown, path: string): Obj {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ShapeError(path, 'an object');
  return v as Obj;
}
function str(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (typeof v !== 'string') throw new ShapeError(`${path}.${key}`, 'a string');
  return v;
}
/** A string that may be absent (older server): empty. */
function optStr(o: Obj, key: string, path: string): string {
  const v = o[key];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw new ShapeError(`${path}.${key}`, 'a string');
  return v;
}
function strOrNull(o: Obj, key: string, path: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new ShapeError(`${path}.${key}`, 'a string or null');
  return v;
}
function num(o: Obj, key: string, path: string, fallback?: number): number {
  const v = o[key];
  if (v === undefined && fallback !== undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ShapeError(`${path}.${key}`, 'a number');
  return v;
}
function numOrNull(o: Obj, key: string, path: string): number | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new ShapeError(`${path}.${key}`, 'a number or null');
  return v;
}
function list<T>(
  o: Obj,
  key: string,
  path: string,
  item: (v: unknown, path: string) => T,
  optional = false,
): T[] {
  const v = o[key];
  if ((v === undefined || v === null) && optional) return [];
  if (!Array.isArray(v)) throw new ShapeError(`${path}.${key}`, 'a list');
  return v.map((x, i) => item(x, `${path}.${key}[${i}]`));
}
const strItem = (v: unknown, path: string): string => {
  if (typeof v !== 'string') throw new ShapeError(path, 'a string');
  return v;
};
function counts(o: Obj, key: string, path: string): Record<string, number> {
  const v = o[key];
  if (v === undefined || v === null) return {};
  const m = obj(v, `${path}.${key}`);
  const out: Record<string, number> = {};
  for (const [k, n] of Object.entries(m)) {
    if (typeof n !== 'number' || !Number.isFinite(n)) throw new ShapeError(`${path}.${key}.${k}`, 'a number');
    out[k] = n;
  }
  return out;
}
function severity(o: Obj, key: string, path: string): Severity {
  const v = o[key];
  if (!isSeverity(v)) throw new ShapeError(`${path}.${key}`, 'a severity (low, medium, high, critical)');
  return v;
}

export function parseObservable(v: unknown, path = 'observable'): Observable {
  const o = obj(v, path);
  return { type: str(o, 'type', path), value: str(o, 'value', path) };
}

export function parseAlert(v: unknown, path = 'alert'): Alert {
  const o = obj(v, path);
  return {
    id: str(o, 'id', path),
    fingerprint: optStr(o, 'fingerprint', path),
    source: str(o, 'source', path),
    reference: optStr(o, 'reference', path),
    title: str(o, 'title', path),
    description: optStr(o, 'description', path),
    severity: severity(o, 'severity', path),
    attack: list(o, 'attack', path, strItem, true),
    observables: list(o, 'observables', path, parseObservable, true),
    orgUnitId: str(o, 'orgUnitId', path),
    orgUnitName: optStr(o, 'orgUnitName', path),
    assetAddress: strOrNull(o, 'assetAddress', path),
    status: str(o, 'status', path),
    count: num(o, 'count', path, 1),
    firstSeen: str(o, 'firstSeen', path),
    lastSeen: str(o, 'lastSeen', path),
    incidentId: strOrNull(o, 'incidentId', path),
    assignee: strOrNull(o, 'assignee', path),
  };
}

export function parseAlertPage(v: unknown): AlertPage {
  const o = obj(v, 'alerts');
  const estimate = o['totalIsEstimate'];
  return {
    items: list(o, 'items', 'alerts', parseAlert),
    nextCursor: strOrNull(o, 'nextCursor', 'alerts'),
    total: numOrNull(o, 'total', 'alerts'),
    totalIsEstimate: estimate === true,
  };
}

export function parseEvent(v: unknown, path = 'event'): SecurityEvent {
  const o = obj(v, path);
  const fields = o['fields'];
  return {
    id: str(o, 'id', path),
    ts: str(o, 'ts', path),
    orgUnitId: optStr(o, 'orgUnitId', path),
    orgUnitName: optStr(o, 'orgUnitName', path),
    agentId: optStr(o, 'agentId', path),
    source: optStr(o, 'source', path),
    format: str(o, 'format', path),
    type: str(o, 'type', path),
    severity: num(o, 'severity', path, 0),
    srcIp: optStr(o, 'srcIp', path),
    dstIp: optStr(o, 'dstIp', path),
    srcPort: num(o, 'srcPort', path, 0),
    dstPort: num(o, 'dstPort', path, 0),
    proto: optStr(o, 'proto', path),
    host: optStr(o, 'host', path),
    user: optStr(o, 'user', path),
    rule: optStr(o, 'rule', path),
    message: optStr(o, 'message', path),
    fields: fields === undefined || fields === null ? {} : obj(fields, `${path}.fields`),
    raw: optStr(o, 'raw', path),
  };
}

export function parseEventPage(v: unknown): EventPage {
  const o = obj(v, 'events');
  return { items: list(o, 'items', 'events', parseEvent), nextCursor: strOrNull(o, 'nextCursor', 'events') };
}

export function parseAlertDetail(v: unknown): AlertDetail {
  const o = obj(v, 'alert');
  const evidence = o['evidence'];
  return {
    ...parseAlert(o),
    events: list(o, 'events', 'alert', parseEvent, true),
    evidence: Array.isArray(evidence) ? evidence : [],
  };
}

const parseStep = (v: unknown, path: string): EscalationStep => {
  const o = obj(v, path);
  return { orgUnitId: str(o, 'orgUnitId', path), name: optStr(o, 'name', path) };
};

export function parseIncident(v: unknown, path = 'incident'): Incident {
  const o = obj(v, path);
  return {
    id: str(o, 'id', path),
    title: str(o, 'title', path),
    severity: severity(o, 'severity', path),
    status: str(o, 'status', path),
    orgUnitId: str(o, 'orgUnitId', path),
    orgUnitName: optStr(o, 'orgUnitName', path),
    handlerOrgUnitId: optStr(o, 'handlerOrgUnitId', path) || str(o, 'orgUnitId', path),
    handlerOrgUnitName: optStr(o, 'handlerOrgUnitName', path) || optStr(o, 'orgUnitName', path),
    escalatedTo: list(o, 'escalatedTo', path, parseStep, true),
    assignee: strOrNull(o, 'assignee', path),
    alertCount: num(o, 'alertCount', path, 0),
    observables: list(o, 'observables', path, parseObservable, true),
    attack: list(o, 'attack', path, strItem, true),
    createdAt: str(o, 'createdAt', path),
    updatedAt: optStr(o, 'updatedAt', path) || str(o, 'createdAt', path),
    acknowledgedAt: strOrNull(o, 'acknowledgedAt', path),
    resolvedAt: strOrNull(o, 'resolvedAt', path),
    timeToAcknowledgeSeconds: numOrNull(o, 'timeToAcknowledgeSeconds', path),
    timeToResolveSeconds: numOrNull(o, 'timeToResolveSeconds', path),
  };
}

export function parseTimelineEntry(v: unknown, path = 'timeline'): TimelineEntry {
  const o = obj(v, path);
  const entry: TimelineEntry = {
    at: str(o, 'at', path),
    actor: optStr(o, 'actor', path),
    kind: str(o, 'kind', path),
  };
  for (const key of ['from', 'to', 'text', 'orgUnitId'] as const) {
    const x = o[key];
    if (x === undefined || x === null) continue;
    if (typeof x !== 'string') throw new ShapeError(`${path}.${key}`, 'a string');
    entry[key] = x;
  }
  return entry;
}

export function parseIncidentDetail(v: unknown): IncidentDetail {
  const o = obj(v, 'incident');
  return {
    ...parseIncident(o),
    alerts: list(o, 'alerts', 'incident', parseAlert, true),
    timeline: list(o, 'timeline', 'incident', parseTimelineEntry, true),
  };
}

export function parseIncidentPage(v: unknown): IncidentPage {
  const o = obj(v, 'incidents');
  return {
    items: list(o, 'items', 'incidents', parseIncident),
    nextCursor: strOrNull(o, 'nextCursor', 'incidents'),
  };
}

export function parseSources(v: unknown): SourceStats[] {
  const o = obj(v, 'sources');
  return list(o, 'items', 'sources', (x, path) => {
    const s = obj(x, path);
    return {
      source: str(s, 'source', path),
      agentId: optStr(s, 'agentId', path),
      format: optStr(s, 'format', path),
      transport: optStr(s, 'transport', path),
      received: num(s, 'received', path, 0),
      accepted: num(s, 'accepted', path, 0),
      rejected: num(s, 'rejected', path, 0),
      rejectedByReason: counts(s, 'rejectedByReason', path),
      dropped: num(s, 'dropped', path, 0),
      lastSeen: optStr(s, 'lastSeen', path),
    };
  });
}

export function parseStats(v: unknown): StatItem[] {
  const o = obj(v, 'stats');
  return list(o, 'items', 'stats', (x, path) => {
    const s = obj(x, path);
    const key = s['key'];
    const k = typeof key === 'number' ? String(key) : str(s, 'key', path);
    return { key: k, label: optStr(s, 'label', path) || k, count: num(s, 'count', path) };
  });
}

export function parseRule(v: unknown, path = 'rule'): Rule {
  const o = obj(v, path);
  const logsource = o['logsource'];
  return {
    id: str(o, 'id', path),
    title: optStr(o, 'title', path),
    file: optStr(o, 'file', path),
    origin: optStr(o, 'origin', path),
    kind: optStr(o, 'kind', path) || 'sigma',
    level: optStr(o, 'level', path),
    status: str(o, 'status', path),
    reason: strOrNull(o, 'reason', path),
    logsource: logsource && typeof logsource === 'object' ? (logsource as Obj) : {},
    attack: list(o, 'attack', path, strItem, true),
    hits: num(o, 'hits', path, 0),
    lastHitAt: strOrNull(o, 'lastHitAt', path),
    errors: num(o, 'errors', path, 0),
  };
}

export function parseRuleList(v: unknown): RuleList {
  const o = obj(v, 'rules');
  const items = list(o, 'items', 'rules', parseRule);
  const s = o['summary'];
  const summary =
    s && typeof s === 'object'
      ? {
          compiled: num(s as Obj, 'compiled', 'rules.summary', 0),
          unsupported: num(s as Obj, 'unsupported', 'rules.summary', 0),
          invalid: num(s as Obj, 'invalid', 'rules.summary', 0),
        }
      : {
          compiled: items.filter((r) => r.status === 'compiled').length,
          unsupported: items.filter((r) => r.status === 'unsupported').length,
          invalid: items.filter((r) => r.status === 'invalid').length,
        };
  return { items, summary };
}

export function parseRisk(v: unknown): RiskItem[] {
  const o = obj(v, 'risk');
  return list(o, 'items', 'risk', (x, path) => {
    const r = obj(x, path);
    const vulns = r['vulnerabilities'];
    const vo = vulns && typeof vulns === 'object' ? (vulns as Obj) : {};
    const vp = `${path}.vulnerabilities`;
    return {
      orgUnitId: str(r, 'orgUnitId', path),
      name: optStr(r, 'name', path) || str(r, 'orgUnitId', path),
      path: optStr(r, 'path', path),
      level: optStr(r, 'level', path),
      score: num(r, 'score', path),
      openAlerts: num(r, 'openAlerts', path, 0),
      openIncidents: num(r, 'openIncidents', path, 0),
      vulnerabilities: {
        critical: num(vo, 'critical', vp, 0),
        high: num(vo, 'high', vp, 0),
        medium: num(vo, 'medium', vp, 0),
        low: num(vo, 'low', vp, 0),
      },
      change7d: numOrNull(r, 'change7d', path),
    };
  });
}

export function parseRiskTrend(v: unknown): RiskTrend {
  const o = obj(v, 'trend');
  return {
    orgUnitId: optStr(o, 'orgUnitId', 'trend'),
    points: list(o, 'points', 'trend', (x, path) => {
      if (!Array.isArray(x) || typeof x[0] !== 'string' || typeof x[1] !== 'number' || !Number.isFinite(x[1]))
        throw new ShapeError(path, 'a [day, score] pair');
      return [x[0], x[1]] as [string, number];
    }),
  };
}

export function parseSuppression(v: unknown, path = 'suppression'): Suppression {
  const o = obj(v, path);
  const m = obj(o['match'] ?? {}, `${path}.match`);
  const match: Suppression['match'] = {};
  for (const key of ['source', 'reference', 'orgUnitId'] as const) {
    const x = m[key];
    if (typeof x === 'string') match[key] = x;
  }
  if (m['observable'] !== undefined && m['observable'] !== null)
    match.observable = parseObservable(m['observable'], `${path}.match.observable`);
  return {
    id: str(o, 'id', path),
    match,
    reason: str(o, 'reason', path),
    author: optStr(o, 'author', path),
    createdAt: optStr(o, 'createdAt', path),
    expiresAt: str(o, 'expiresAt', path),
  };
}

// ---- Time windows ----

export const securityRanges = ['1h', '24h', '7d', '30d'] as const;
export type SecurityRange = (typeof securityRanges)[number];
export const securityRangeMillis: Record<SecurityRange, number> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
};

export function rangeText(range: SecurityRange): string {
  switch (range) {
    case '1h':
      return msg('Last hour', { id: 'security.range.1h' });
    case '24h':
      return msg('Last 24 hours', { id: 'security.range.24h' });
    case '7d':
      return msg('Last 7 days', { id: 'security.range.7d' });
    case '30d':
      return msg('Last 30 days', { id: 'security.range.30d' });
  }
}

/** The window of a preset range ending now, or of a custom one. */
export function securityWindow(
  q: { range: SecurityRange; custom?: { from: number; to: number } },
  now: number,
): { from: number; to: number } {
  if (q.custom) return q.custom;
  return { from: now - securityRangeMillis[q.range], to: now };
}

const iso = (t: number) => new Date(t).toISOString();

function readList<T extends string>(params: URLSearchParams, name: string, allowed: readonly T[]): T[] {
  const parts = (params.get(name) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s): s is T => (allowed as readonly string[]).includes(s));
  return [...new Set(parts)].sort((a, b) => allowed.indexOf(a) - allowed.indexOf(b));
}

function readRange(params: URLSearchParams, fallback: SecurityRange) {
  const r = params.get('range');
  const range = r && (securityRanges as readonly string[]).includes(r) ? (r as SecurityRange) : fallback;
  const from = Date.parse(params.get('from') ?? '');
  const to = Date.parse(params.get('to') ?? '');
  const custom = Number.isFinite(from) && Number.isFinite(to) && to > from ? { from, to } : undefined;
  return { range, custom };
}

const text = (params: URLSearchParams, name: string, max = 500) =>
  (params.get(name) ?? '').trim().slice(0, max);

// ---- The alert queue's query (in the URL) ----

export type IncidentFilter = '' | 'none' | 'any' | string;

export interface AlertQuery {
  /** Empty: every status. */
  status: AlertStatus[];
  severity: Severity[];
  source: string;
  orgUnit: string;
  q: string;
  range: SecurityRange;
  custom?: { from: number; to: number };
  incident: IncidentFilter;
}

export const defaultAlertQuery = (): AlertQuery => ({
  status: [...openAlertStatuses],
  severity: [],
  source: '',
  orgUnit: '',
  q: '',
  range: '7d',
  incident: '',
});

/** Reads the queue's query from a URL's search part; anything unusable falls back to the default. */
export function parseAlertQuery(search: string): AlertQuery {
  const params = new URLSearchParams(search);
  const q = defaultAlertQuery();
  if (params.has('status')) q.status = readList(params, 'status', alertStatuses);
  q.severity = readList(params, 'severity', severities);
  q.source = text(params, 'source', 100);
  q.orgUnit = text(params, 'orgUnit', 100);
  q.q = text(params, 'q');
  q.incident = text(params, 'incident', 100);
  const { range, custom } = readRange(params, q.range);
  q.range = range;
  if (custom) q.custom = custom;
  return q;
}

/** Writes the query as a URL search part in a fixed order, so that equal queries compare equal. */
export function alertQuerySearch(q: AlertQuery): string {
  const params = new URLSearchParams();
  params.set('status', q.status.join(','));
  if (q.severity.length) params.set('severity', q.severity.join(','));
  if (q.source) params.set('source', q.source);
  if (q.orgUnit) params.set('orgUnit', q.orgUnit);
  if (q.q) params.set('q', q.q);
  if (q.incident) params.set('incident', q.incident);
  if (q.custom) {
    params.set('from', iso(q.custom.from));
    params.set('to', iso(q.custom.to));
  } else params.set('range', q.range);
  return `?${params.toString()}`;
}

export const alertQueuePath = (change: Partial<AlertQuery> = {}): string =>
  `/security/alerts${alertQuerySearch({ ...defaultAlertQuery(), ...change })}`;

/** The API's filter for the query (`GET /alerts` and the bulk `filter`). */
export function alertFilter(q: AlertQuery, now: number): Record<string, string> {
  const w = securityWindow(q, now);
  const f: Record<string, string> = { from: iso(w.from), to: iso(w.to) };
  if (q.status.length) f['status'] = q.status.join(',');
  if (q.severity.length) f['severity'] = q.severity.join(',');
  if (q.source) f['source'] = q.source;
  if (q.orgUnit) f['orgUnit'] = q.orgUnit;
  if (q.q) f['q'] = q.q;
  if (q.incident) f['incident'] = q.incident;
  return f;
}

// ---- The event search's query (in the URL) ----

export interface EventQuery {
  q: string;
  type: string;
  format: EventFormat | '';
  source: string;
  orgUnit: string;
  range: SecurityRange;
  custom?: { from: number; to: number };
}

export const defaultEventQuery = (): EventQuery => ({
  q: '',
  type: '',
  format: '',
  source: '',
  orgUnit: '',
  range: '24h',
});

export function parseEventQuery(search: string): EventQuery {
  const params = new URLSearchParams(search);
  const q = defaultEventQuery();
  q.q = text(params, 'q', 2000);
  q.type = text(params, 'type', 60);
  const format = params.get('format');
  if (format && (eventFormats as readonly string[]).includes(format)) q.format = format as EventFormat;
  q.source = text(params, 'source', 100);
  q.orgUnit = text(params, 'orgUnit', 100);
  const { range, custom } = readRange(params, q.range);
  q.range = range;
  if (custom) q.custom = custom;
  return q;
}

export function eventQuerySearch(q: EventQuery): string {
  const params = new URLSearchParams();
  if (q.q) params.set('q', q.q);
  if (q.type) params.set('type', q.type);
  if (q.format) params.set('format', q.format);
  if (q.source) params.set('source', q.source);
  if (q.orgUnit) params.set('orgUnit', q.orgUnit);
  if (q.custom) {
    params.set('from', iso(q.custom.from));
    params.set('to', iso(q.custom.to));
  } else params.set('range', q.range);
  return `?${params.toString()}`;
}

export function eventParams(q: EventQuery, now: number): Record<string, string> {
  const w = securityWindow(q, now);
  const p: Record<string, string> = { from: iso(w.from), to: iso(w.to) };
  if (q.q) p['q'] = q.q;
  if (q.type) p['type'] = q.type;
  if (q.format) p['format'] = q.format;
  if (q.source) p['source'] = q.source;
  if (q.orgUnit) p['orgUnit'] = q.orgUnit;
  return p;
}

// ---- The incident list's query (in the URL) ----

export interface IncidentQuery {
  status: IncidentStatus[];
  severity: Severity[];
  escalated: '' | 'true' | 'false';
}

export const defaultIncidentQuery = (): IncidentQuery => ({
  status: [...openIncidentStatuses],
  severity: [],
  escalated: '',
});

export function parseIncidentQuery(search: string): IncidentQuery {
  const params = new URLSearchParams(search);
  const q = defaultIncidentQuery();
  if (params.has('status')) q.status = readList(params, 'status', incidentStatuses);
  q.severity = readList(params, 'severity', severities);
  const e = params.get('escalated');
  if (e === 'true' || e === 'false') q.escalated = e;
  return q;
}

export function incidentQuerySearch(q: IncidentQuery): string {
  const params = new URLSearchParams();
  params.set('status', q.status.join(','));
  if (q.severity.length) params.set('severity', q.severity.join(','));
  if (q.escalated) params.set('escalated', q.escalated);
  return `?${params.toString()}`;
}

// ---- Figures ----

/** Open alerts counted by severity, from a page of alerts (the situation page's fallback when the overview lacks them). */
export function countBySeverity(items: readonly { severity: string }[]): Record<Severity, number> {
  const out: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const i of items) if (isSeverity(i.severity)) out[i.severity] += 1;
  return out;
}

/** A source's rejections, biggest reason first, zeros left out. */
export function rejectionReasons(byReason: Record<string, number>): [string, number][] {
  return Object.entries(byReason)
    .filter(([, n]) => n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

/** The units a risk answer ranks: the children of the asked unit (itself left out), riskiest first. */
export function riskChildren(items: readonly RiskItem[], parentId: string | undefined): RiskItem[] {
  return items
    .filter((i) => i.orgUnitId !== parentId)
    .sort((a, b) => b.score - a.score || a.name.localeCompare(b.name));
}

export const riskTone = (score: number): 'bad' | 'warn' | 'ok' =>
  score >= 70 ? 'bad' : score >= 40 ? 'warn' : 'ok';

/** The ancestors an incident can be escalated to: the owner's path above it, minus those it already reached. */
export function escalationTargets(
  ownerPath: readonly { id: string; name: string }[],
  reached: readonly EscalationStep[],
): { id: string; name: string }[] {
  const done = new Set(reached.map((s) => s.orgUnitId));
  return ownerPath
    .slice(0, -1)
    .reverse()
    .filter((u) => !done.has(u.id));
}

/** Whether the security module is missing on this server (an older one): the pages say so. */
export const isSecurityMissing = (error: unknown): boolean =>
  error instanceof ApiError && error.status === 404 && error.code === 'route.not_found';

// ---- Fetching ----

const get = async <T>(path: string, parse: (v: unknown) => T, signal?: AbortSignal): Promise<T> =>
  parse(await apiFetch<unknown>(`${securityApi}${path}`, { signal }));

export const fetchAlerts = (
  filter: Record<string, string>,
  cursor: string | null,
  limit = 100,
  signal?: AbortSignal,
): Promise<AlertPage> =>
  get(`/alerts${query({ ...filter, limit, cursor: cursor ?? undefined })}`, parseAlertPage, signal);

export const fetchAlert = (id: string, signal?: AbortSignal): Promise<AlertDetail> =>
  get(`/alerts/${encodeURIComponent(id)}`, parseAlertDetail, signal);

export interface BulkRequest {
  ids?: string[];
  filter?: Record<string, string>;
  action: BulkAction;
  assignee?: string;
  incidentId?: string;
  comment?: string;
}

export const bulkTriage = (body: BulkRequest): Promise<{ updated: number }> =>
  apiFetch<{ updated: number }>(`${securityApi}/alerts/bulk`, { method: 'POST', body });

export const fetchIncidents = (
  q: IncidentQuery,
  cursor: string | null,
  limit = 100,
  signal?: AbortSignal,
): Promise<IncidentPage> =>
  get(
    `/incidents${query({
      status: q.status.join(',') || undefined,
      severity: q.severity.join(',') || undefined,
      escalated: q.escalated || undefined,
      limit,
      cursor: cursor ?? undefined,
    })}`,
    parseIncidentPage,
    signal,
  );

export const fetchIncident = (id: string, signal?: AbortSignal): Promise<IncidentDetail> =>
  get(`/incidents/${encodeURIComponent(id)}`, parseIncidentDetail, signal);

export const createIncident = async (body: {
  title: string;
  severity: Severity;
  orgUnitId: string;
  alertIds?: string[];
  assignee?: string;
  description?: string;
}): Promise<Incident> =>
  parseIncident(await apiFetch<unknown>(`${securityApi}/incidents`, { method: 'POST', body }));

const incidentPath = (id: string, tail = '') => `${securityApi}/incidents/${encodeURIComponent(id)}${tail}`;

export const patchIncident = (
  id: string,
  body: { status?: IncidentStatus; assignee?: string | null; severity?: Severity; title?: string },
): Promise<unknown> => apiFetch(incidentPath(id), { method: 'PATCH', body });

export const commentIncident = (id: string, text: string): Promise<unknown> =>
  apiFetch(incidentPath(id, '/comments'), { method: 'POST', body: { text } });

export const escalateIncident = (
  id: string,
  body: { toOrgUnitId?: string; note?: string },
): Promise<unknown> => apiFetch(incidentPath(id, '/escalate'), { method: 'POST', body });

export const takeOverIncident = (id: string): Promise<unknown> =>
  apiFetch(incidentPath(id, '/take-over'), { method: 'POST', body: {} });

export const handBackIncident = (id: string, note?: string): Promise<unknown> =>
  apiFetch(incidentPath(id, '/hand-back'), { method: 'POST', body: note ? { note } : {} });

export const assignDownIncident = (
  id: string,
  body: { orgUnitId: string; note?: string },
): Promise<unknown> => apiFetch(incidentPath(id, '/assign-down'), { method: 'POST', body });

export const createSuppression = async (body: {
  match: Suppression['match'];
  reason: string;
  expiresAt: string;
}): Promise<Suppression> =>
  parseSuppression(await apiFetch<unknown>(`${securityApi}/suppressions`, { method: 'POST', body }));

export const fetchEvents = (
  params: Record<string, string>,
  cursor: string | null,
  limit = 100,
  signal?: AbortSignal,
): Promise<EventPage> =>
  get(`/events${query({ ...params, limit, cursor: cursor ?? undefined })}`, parseEventPage, signal);

export const fetchSources = (
  window: { from: number; to: number },
  signal?: AbortSignal,
): Promise<SourceStats[]> =>
  get(`/sources${query({ from: iso(window.from), to: iso(window.to) })}`, parseSources, signal);

export const fetchEventStats = (
  window: { from: number; to: number },
  by: 'type' | 'format' | 'source' | 'orgUnit',
  signal?: AbortSignal,
): Promise<StatItem[]> =>
  get(`/events/stats${query({ from: iso(window.from), to: iso(window.to), by })}`, parseStats, signal);

export const fetchRules = (signal?: AbortSignal): Promise<RuleList> => get('/rules', parseRuleList, signal);

export const addRule = async (yaml: string): Promise<Rule> => {
  const answer = await apiFetch<unknown>(`${securityApi}/rules`, { method: 'POST', body: { yaml } });
  const o = obj(answer, 'rule');
  // The answer is the rule itself, or `{rule: …}`.
  return parseRule(o['rule'] && typeof o['rule'] === 'object' ? o['rule'] : o);
};

export const deleteRule = (id: string): Promise<unknown> =>
  apiFetch(`${securityApi}/rules/${encodeURIComponent(id)}`, { method: 'DELETE' });

export const fetchRisk = (parent: string | undefined, signal?: AbortSignal): Promise<RiskItem[]> =>
  get(`/risk${query({ parent })}`, parseRisk, signal);

export const fetchRiskTrend = (
  orgUnit: string | undefined,
  days: number,
  signal?: AbortSignal,
): Promise<RiskTrend> => get(`/risk/trend${query({ orgUnit, days })}`, parseRiskTrend, signal);

/** A suppression's expiry from a number of days (1–90, the contract's limit) after `now`. */
export function suppressionExpiry(days: number, now: number): string {
  const d = Math.max(1, Math.min(90, Math.round(days)));
  return iso(now + d * 86_400_000);
}

/** A duration in seconds as the incident page shows TTA/TTR, or null. */
export const secondsToMillis = (s: number | null): number | null => (s === null ? null : s * 1000);

// ---- The wall's security section ----

export interface SecurityWallFigures {
  severities: readonly Severity[];
  openIncidents: Record<Severity, number>;
  openIncidentTotal: number;
  /** The riskiest units below the caller's, at most five, with the wall's colour band. */
  riskTop: { orgUnitId: string; name: string; score: number; band: 'low' | 'medium' | 'high' }[];
}

/** The wall's figures from open incidents and risk answers; null when there is nothing in scope. */
export function wallFigures(
  incidents: readonly Incident[],
  risk: readonly RiskItem[],
  ownUnit?: string,
): SecurityWallFigures | null {
  const open = incidents.filter((i) => (openIncidentStatuses as readonly string[]).includes(i.status));
  const counts = countBySeverity(open);
  const below = risk.filter((r) => r.orgUnitId !== ownUnit);
  const ranked = (below.length ? below : [...risk]).sort(
    (a, b) => b.score - a.score || a.name.localeCompare(b.name),
  );
  const riskTop = ranked.slice(0, 5).map((r) => ({
    orgUnitId: r.orgUnitId,
    name: r.name,
    score: r.score,
    band: r.score >= 70 ? ('high' as const) : r.score >= 40 ? ('medium' as const) : ('low' as const),
  }));
  if (open.length === 0 && riskTop.length === 0) return null;
  return { severities, openIncidents: counts, openIncidentTotal: open.length, riskTop };
}

/**
 * Loads the wall's security figures: open incidents and the risk of the caller's units. A missing
 * risk part (404) leaves the risk bars out; any other failure is the section's error.
 */
export async function securityWallFigures(signal: AbortSignal): Promise<SecurityWallFigures | null> {
  const [incidents, risk] = await Promise.all([
    fetchIncidents({ status: openIncidentStatuses, severity: [], escalated: '' }, null, 500, signal),
    fetchRisk(undefined, signal).catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 404) return [] as RiskItem[];
      throw e;
    }),
  ]);
  // The answer holds the caller's unit and its children: the caller's is the one with the shortest path.
  const own = [...risk].sort((a, b) => a.path.length - b.path.length)[0]?.orgUnitId;
  return wallFigures(incidents.items, risk, risk.length > 1 ? own : undefined);
}
