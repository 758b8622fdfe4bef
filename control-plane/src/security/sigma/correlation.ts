import { invalid, show, unsupported } from './problem.js';

/**
 * Sigma correlation rules (specification 2.x): `event_count`, `value_count`, `temporal` and
 * `temporal_ordered` over the rules they name (by id or name), grouped by `group-by` fields (with
 * `aliases`), over a sliding `timespan` by event time. State is bounded: at most MAX_GROUPS groups
 * per rule (the least recently updated is evicted, and counted) and MAX_EVENTS_PER_GROUP events
 * per group. Conditions with only lower bounds (gt, gte) fire as soon as they are met; conditions
 * with an upper bound (lt, lte, eq, neq) are decided when the group's window closes (when event
 * time passes its first event + timespan).
 */

export type CorrelationType = 'event_count' | 'value_count' | 'temporal' | 'temporal_ordered';
const TYPES: readonly CorrelationType[] = ['event_count', 'value_count', 'temporal', 'temporal_ordered'];
const OPS = ['gt', 'gte', 'lt', 'lte', 'eq', 'neq'] as const;
type Op = (typeof OPS)[number];

export const MAX_GROUPS = 10_000;
export const MAX_EVENTS_PER_GROUP = 10_000;
/** Longest timespan (30 days). */
export const MAX_TIMESPAN_MS = 30 * 86_400_000;
/** Event ids kept per group for the alert. */
const KEEP_IDS = 20;

export interface CorrelationSpec {
  type: CorrelationType;
  /** Rule references (ids or names) as written. */
  rules: string[];
  groupBy: string[];
  timespanMs: number;
  condition: Partial<Record<Op, number>>;
  /** value_count: the field whose distinct values are counted. */
  field: string | undefined;
  /** alias → rule reference → field. */
  aliases: Record<string, Record<string, string>>;
  generate: boolean;
}

const isMap = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseTimespan(v: unknown): number {
  const m = typeof v === 'string' ? /^(\d{1,7})([smhd])$/.exec(v.trim()) : null;
  if (!m) return invalid(`correlation.timespan "${show(v)}" must be a number and s, m, h or d (such as 5m)`);
  const ms =
    Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 's' | 'm' | 'h' | 'd'];
  if (ms <= 0) return invalid('correlation.timespan must be positive');
  if (ms > MAX_TIMESPAN_MS) return unsupported(`correlation.timespan "${show(v)}" is longer than 30 days`);
  return ms;
}

export function compileCorrelationSpec(c: unknown): CorrelationSpec {
  if (!isMap(c)) return invalid('correlation must be a map');
  const type = c.type;
  if (typeof type !== 'string') return invalid('correlation.type is required');
  if (!TYPES.includes(type as CorrelationType)) {
    if (['value_sum', 'value_avg', 'value_percentile'].includes(type)) {
      return unsupported(
        `correlation type "${type}" is not supported (event_count, value_count, temporal, temporal_ordered are)`,
      );
    }
    return invalid(`correlation.type "${show(type)}" is not a correlation type`);
  }
  const rulesRaw = typeof c.rules === 'string' ? [c.rules] : c.rules;
  if (
    !Array.isArray(rulesRaw) ||
    rulesRaw.length === 0 ||
    rulesRaw.some((r) => typeof r !== 'string' || !r)
  ) {
    return invalid('correlation.rules must list the ids or names of the rules it correlates');
  }
  const groupRaw = c['group-by'] ?? [];
  const groupBy = typeof groupRaw === 'string' ? [groupRaw] : groupRaw;
  if (!Array.isArray(groupBy) || groupBy.some((g) => typeof g !== 'string' || !g)) {
    return invalid('correlation.group-by must be a list of field names');
  }
  if (groupBy.length > 8) return unsupported('correlation.group-by names more than 8 fields');
  const timespanMs = parseTimespan(c.timespan ?? c.timeframe);
  const condition: Partial<Record<Op, number>> = {};
  if (c.condition !== undefined) {
    if (!isMap(c.condition)) return invalid('correlation.condition must be a map such as {gte: 10}');
    for (const [k, v] of Object.entries(c.condition)) {
      if (k === 'field') continue;
      if (!OPS.includes(k as Op))
        return invalid(`correlation.condition "${k}" is not one of ${OPS.join(', ')}`);
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
        return invalid(`correlation.condition.${k} must be a whole number, got ${show(v)}`);
      }
      condition[k as Op] = v;
    }
  }
  let field: string | undefined;
  if (type === 'value_count') {
    const f = isMap(c.condition) ? c.condition.field : undefined;
    field = typeof f === 'string' ? f : typeof c.field === 'string' ? c.field : undefined;
    if (!field) return invalid('a value_count correlation needs condition.field');
  }
  if (type === 'event_count' || type === 'value_count') {
    if (Object.keys(condition).length === 0) return invalid(`a ${type} correlation needs a condition`);
    const bound = Math.max(...Object.values(condition));
    if (bound > MAX_EVENTS_PER_GROUP) {
      return unsupported(
        `correlation.condition ${bound} is above the ${MAX_EVENTS_PER_GROUP} events a group keeps`,
      );
    }
  }
  if (type === 'temporal_ordered') {
    const keys = Object.keys(condition);
    if (keys.length > 1 || (keys.length === 1 && !(condition.gte === rulesRaw.length))) {
      return unsupported(
        'a temporal_ordered correlation is supported only when all its rules must occur in order',
      );
    }
  }
  const aliases: Record<string, Record<string, string>> = {};
  if (c.aliases !== undefined) {
    if (!isMap(c.aliases)) return invalid('correlation.aliases must be a map');
    for (const [alias, m] of Object.entries(c.aliases)) {
      if (!isMap(m) || Object.values(m).some((x) => typeof x !== 'string')) {
        return invalid(`correlation.aliases.${alias} must map rule names to field names`);
      }
      aliases[alias] = m as Record<string, string>;
    }
  }
  const generate = c.generate === undefined ? false : c.generate;
  if (typeof generate !== 'boolean') return invalid('correlation.generate must be true or false');
  return {
    type: type as CorrelationType,
    rules: rulesRaw as string[],
    groupBy: groupBy as string[],
    timespanMs,
    condition,
    field,
    aliases,
    generate,
  };
}

export function meets(condition: Partial<Record<Op, number>>, n: number): boolean {
  const c = condition;
  return (
    (c.gt === undefined || n > c.gt) &&
    (c.gte === undefined || n >= c.gte) &&
    (c.lt === undefined || n < c.lt) &&
    (c.lte === undefined || n <= c.lte) &&
    (c.eq === undefined || n === c.eq) &&
    (c.neq === undefined || n !== c.neq)
  );
}

/** One event a referenced rule matched, as the correlation sees it. */
export interface CorrelatedEvent {
  id: string;
  ts: number;
  /** The group-by values, in `groupBy` order. */
  group: string[];
  /** value_count: the counted field's value. */
  value: string | undefined;
}

/** A correlation that fired: its group, how many events, and the span they cover. */
export interface CorrelationFire {
  group: string[];
  count: number;
  firstSeen: number;
  lastSeen: number;
  eventIds: string[];
}

interface Group {
  key: string;
  group: string[];
  ts: number[];
  head: number;
  ids: string[];
  /** value_count: value → occurrences in the window, and the values in time order. */
  values?: Map<string, number>;
  valueLog?: (string | undefined)[];
  /** temporal: rule index → timestamps (ascending). */
  seen?: number[][];
  first: number;
  last: number;
}

/** The running state of one correlation rule. */
export class CorrelationRuntime {
  private readonly groups = new Map<string, Group>();
  /** Groups evicted because MAX_GROUPS was reached. */
  evicted = 0;
  /** Events not kept because a group was at MAX_EVENTS_PER_GROUP. */
  truncated = 0;
  private readonly lowerOnly: boolean;
  /** The condition in force (temporal without one: every referenced rule). */
  private readonly condition: Partial<Record<Op, number>>;

  constructor(
    readonly spec: CorrelationSpec,
    /** How many rules it refers to (temporal: the rule index of an event). */
    private readonly ruleCount: number,
  ) {
    const c =
      Object.keys(spec.condition).length === 0 && spec.type !== 'event_count' && spec.type !== 'value_count'
        ? { gte: ruleCount }
        : spec.condition;
    this.condition = c;
    this.lowerOnly = c.lt === undefined && c.lte === undefined && c.eq === undefined && c.neq === undefined;
  }

  get groupCount(): number {
    return this.groups.size;
  }

  private getGroup(ev: CorrelatedEvent): Group {
    const key = ev.group.join('\u0000');
    let g = this.groups.get(key);
    if (g) {
      // Least recently updated first: re-insert.
      this.groups.delete(key);
      this.groups.set(key, g);
      return g;
    }
    if (this.groups.size >= MAX_GROUPS) {
      const oldest = this.groups.keys().next().value as string;
      this.groups.delete(oldest);
      this.evicted++;
    }
    g = { key, group: ev.group, ts: [], head: 0, ids: [], first: ev.ts, last: ev.ts };
    if (this.spec.type === 'value_count') {
      g.values = new Map();
      g.valueLog = [];
    }
    if (this.spec.type === 'temporal' || this.spec.type === 'temporal_ordered') {
      g.seen = Array.from({ length: this.ruleCount }, () => []);
    }
    this.groups.set(key, g);
    return g;
  }

  /** Drops the events of a group older than `from`. */
  private expire(g: Group, from: number): void {
    while (g.head < g.ts.length && g.ts[g.head]! < from) {
      if (g.values && g.valueLog) {
        const v = g.valueLog[g.head];
        if (v !== undefined) {
          const n = (g.values.get(v) ?? 1) - 1;
          if (n <= 0) g.values.delete(v);
          else g.values.set(v, n);
        }
      }
      g.head++;
    }
    if (g.head > 1024 && g.head * 2 > g.ts.length) {
      g.ts = g.ts.slice(g.head);
      if (g.valueLog) g.valueLog = g.valueLog.slice(g.head);
      g.head = 0;
    }
    if (g.seen) for (const s of g.seen) while (s.length && s[0]! < from) s.shift();
    g.first = g.head < g.ts.length ? g.ts[g.head]! : g.last;
  }

  private measure(g: Group): number {
    switch (this.spec.type) {
      case 'event_count':
        return g.ts.length - g.head;
      case 'value_count':
        return g.values!.size;
      default:
        return g.seen!.filter((s) => s.length > 0).length;
    }
  }

  private fire(g: Group, count: number): CorrelationFire {
    const f: CorrelationFire = {
      group: g.group,
      count: Math.max(1, count),
      firstSeen: g.first,
      lastSeen: g.last,
      eventIds: [...g.ids],
    };
    this.groups.delete(g.key);
    return f;
  }

  /** Closes the windows of groups whose first event is more than a timespan before `watermark`. */
  sweep(watermark: number): CorrelationFire[] {
    if (this.lowerOnly) {
      // Lower-bound conditions fire eagerly; stale groups are only memory.
      for (const [k, g] of this.groups) {
        if (g.last < watermark - this.spec.timespanMs) this.groups.delete(k);
      }
      return [];
    }
    const out: CorrelationFire[] = [];
    for (const g of [...this.groups.values()]) {
      if (g.first + this.spec.timespanMs < watermark) {
        const n = this.measure(g);
        if (meets(this.condition, n)) out.push(this.fire(g, g.ts.length - g.head));
        else this.groups.delete(g.key);
      }
    }
    return out;
  }

  /** Adds an event one of the referenced rules matched (`rule`: its index in `spec.rules`). */
  observe(ev: CorrelatedEvent, rule: number): CorrelationFire | undefined {
    const span = this.spec.timespanMs;
    let g = this.getGroup(ev);
    if (!this.lowerOnly && ev.ts > g.first + span && g.ts.length - g.head > 0) {
      // The previous window of this group closed: decide it, then start anew.
      const n = this.measure(g);
      const closed = meets(this.condition, n) ? this.fire(g, g.ts.length - g.head) : undefined;
      this.groups.delete(g.key);
      g = this.getGroup(ev);
      this.add(g, ev, rule);
      return closed;
    }
    if (this.lowerOnly) this.expire(g, ev.ts - span);
    this.add(g, ev, rule);
    if (!this.lowerOnly) return undefined;
    if (this.spec.type === 'temporal_ordered') {
      return rule === this.ruleCount - 1 && this.ordered(g, ev.ts)
        ? this.fire(g, g.ts.length - g.head)
        : undefined;
    }
    return meets(this.condition, this.measure(g)) ? this.fire(g, g.ts.length - g.head) : undefined;
  }

  private add(g: Group, ev: CorrelatedEvent, rule: number): void {
    if (g.ts.length - g.head >= MAX_EVENTS_PER_GROUP) {
      this.truncated++;
      return;
    }
    if (g.ts.length === g.head) g.first = ev.ts;
    g.ts.push(ev.ts);
    g.last = Math.max(g.last, ev.ts);
    if (g.values && g.valueLog) {
      const v = ev.value;
      g.valueLog.push(v);
      if (v !== undefined) g.values.set(v, (g.values.get(v) ?? 0) + 1);
    }
    if (g.seen) {
      const s = g.seen[rule]!;
      s.push(ev.ts);
      if (s.length > 64) s.shift();
    }
    g.ids.push(ev.id);
    if (g.ids.length > KEEP_IDS) g.ids.shift();
  }

  /** Whether the rules occurred in order (each after the previous one) within the window ending at `now`. */
  private ordered(g: Group, now: number): boolean {
    const seen = g.seen!;
    let t = now;
    for (let i = this.ruleCount - 2; i >= 0; i--) {
      const s = seen[i]!;
      let found = -1;
      for (let j = s.length - 1; j >= 0; j--) {
        if (s[j]! <= t) {
          found = s[j]!;
          break;
        }
      }
      if (found < 0 || found < now - this.spec.timespanMs) return false;
      t = found;
    }
    return true;
  }
}
