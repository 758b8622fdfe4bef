import type { EventValue } from '@tianshu/protocol';

/** What a compiled rule reads of an event: its ECS fields and raw line. */
export interface MatchableEvent {
  ts: number;
  type: string;
  format: string;
  fields: Readonly<Record<string, EventValue>>;
  raw: string;
}

/**
 * One event as the compiled predicates see it: field values as strings (arrays kept as arrays) and
 * their lower-cased forms, computed once per event and field however many rules read them.
 */
export class EventView {
  private readonly lowerCache = new Map<string, string | string[] | undefined>();
  private rawLower: string | undefined;

  constructor(readonly event: MatchableEvent) {}

  has(field: string): boolean {
    return this.event.fields[field] !== undefined;
  }

  /** The value as text (numbers and booleans printed), a list for multi-valued fields, or undefined. */
  text(field: string): string | string[] | undefined {
    const v = this.event.fields[field];
    if (v === undefined) return undefined;
    if (typeof v === 'string') return v;
    if (Array.isArray(v)) return v;
    return String(v);
  }

  lower(field: string): string | string[] | undefined {
    if (this.lowerCache.has(field)) return this.lowerCache.get(field);
    const t = this.text(field);
    const l =
      t === undefined ? undefined : typeof t === 'string' ? t.toLowerCase() : t.map((x) => x.toLowerCase());
    this.lowerCache.set(field, l);
    return l;
  }

  private keywords: string[] | undefined;

  /**
   * The lower-cased texts keywords search: the raw line, and the message when the raw line does
   * not contain it (a syslog message is part of its line; an EVE record's may not be).
   */
  keywordTexts(): string[] {
    if (this.keywords) return this.keywords;
    const raw = this.rawLowerCase();
    const m = this.lower('message');
    return (this.keywords = typeof m === 'string' && m && !raw.includes(m) ? [raw, m] : [raw]);
  }

  raw(): string {
    return this.event.raw;
  }

  rawLowerCase(): string {
    return (this.rawLower ??= this.event.raw.toLowerCase());
  }

  /** The value as a number (numeric text parsed), or NaN. */
  number(field: string): number {
    const v = this.event.fields[field];
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && v.trim() !== '') return Number(v);
    return NaN;
  }
}
