import type { Identity } from '../auth/identity.js';
import type { Permission } from '../auth/permissions.js';
import type { Queryable } from '../store/state/index.js';

export type AlarmSeverity = 'critical' | 'major' | 'minor' | 'warning';

/** Severities from the most to the least urgent. */
export const ALARM_SEVERITIES = [
  'critical',
  'major',
  'minor',
  'warning',
] as const satisfies readonly AlarmSeverity[];

export interface AlarmCondition {
  /** What is wrong, e.g. 'link-down', 'link-flapping', 'redundancy-lost', 'device-unreachable'. */
  kind: string;
  severity: AlarmSeverity;
  /** The org unit the alarm belongs to; callers see it when this unit is in their subtree. */
  orgUnitId: string;
  /** What the alarm is about: 'link' | 'device' | 'pair' | ... */
  targetType: string;
  targetId: string;
  /** One human sentence. */
  summary: string;
  labels?: Record<string, string>;
}

export interface AlarmSink {
  /** Raises or refreshes the alarm for (kind, targetType, targetId); deduplicated: one firing alarm per fingerprint. */
  fire(condition: AlarmCondition, at?: Date, tx?: Queryable): Promise<void>;
  /** Resolves the firing alarm for (kind, targetType, targetId), if any. */
  resolve(kind: string, targetType: string, targetId: string, at?: Date, tx?: Queryable): Promise<void>;
}

export type AlarmState = 'firing' | 'resolved';

/** An alarm as the API shows it. Timestamps are ISO 8601 strings. */
export interface Alarm {
  id: string;
  kind: string;
  severity: AlarmSeverity;
  state: AlarmState;
  orgUnitId: string;
  targetType: string;
  targetId: string;
  summary: string;
  labels: Record<string, string>;
  startsAt: string;
  lastSeenAt: string;
  endsAt: string | null;
  acknowledgedAt: string | null;
  acknowledgedBy: string | null;
}

export interface AlarmListOptions {
  /** Default 'firing'. */
  state?: AlarmState | 'all' | undefined;
  /** Narrows to this unit's subtree; must lie in the caller's subtree (otherwise "not found"). */
  orgUnitId?: string | undefined;
  kind?: string | undefined;
  /** Only kinds of this alarm domain (e.g. 'network'), see `AlarmDomain`. */
  domain?: string | undefined;
  /** Default 100, at most 1000. */
  limit?: number | undefined;
  /** Paging: alarms with an id lower than this one (from `nextBefore`). */
  before?: string | undefined;
}

export interface AlarmPage {
  items: Alarm[];
  /** Pass as `before` to get the next page; null on the last page. */
  nextBefore: string | null;
}

/** Firing alarms in the caller's subtree, for an overview. */
export interface AlarmSummary {
  firing: number;
  unacknowledged: number;
  bySeverity: Record<AlarmSeverity, number>;
}

/**
 * A family of alarm kinds that belongs to one module, recognised by kind prefixes; acknowledging one
 * of its alarms needs `writePermission`.
 */
export interface AlarmDomain {
  name: string;
  /** A kind belongs to the domain when it starts with one of these (a whole kind is its own prefix). */
  kindPrefixes: string[];
  writePermission: Permission;
}

/** What one delivery run did. */
export interface DeliveryReport {
  /** Webhook requests that succeeded / failed. */
  sent: number;
  failed: number;
  /** Deliveries dropped because their receiver is no longer configured. */
  dropped: number;
}

/** The alarm service: the sink other modules fire into, plus scoped reads and acknowledgement. */
export interface AlarmService extends AlarmSink {
  list(identity: Identity, opts?: AlarmListOptions): Promise<AlarmPage>;
  get(identity: Identity, id: string): Promise<Alarm>;
  acknowledge(identity: Identity, id: string, comment?: string): Promise<Alarm>;
  summary(
    identity: Identity,
    opts?: { orgUnitId?: string | undefined; domain?: string | undefined },
  ): Promise<AlarmSummary>;
  /** Sends the notifications that are due (one scheduler run); safe to call from several replicas. */
  deliver(): Promise<DeliveryReport>;
}
