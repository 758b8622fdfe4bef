import { MAX_TIMESTAMP_MILLIS } from '../network.js';
import { MAX_EVENT_FIELDS, MAX_EVENT_LINE_BYTES } from '../security.js';
import type { EventRejectReason, EventValue } from '../security.js';

/** Longest element of a multi-valued field (the wire schema's limit); longer ones are cut there. */
export const MAX_ARRAY_ELEMENT_CHARS = 4096;
/** Most elements of a multi-valued field (the wire schema's limit); the rest stay in `raw`. */
export const MAX_ARRAY_ELEMENTS = 256;
/** Longest field name. */
export const MAX_FIELD_NAME_CHARS = 256;

/**
 * True when `s` has no NUL and no unpaired surrogate (what `isSafeText` tests, with native scans:
 * the parsers check every raw line with it).
 */
export function safeText(s: string): boolean {
  // Both native scans (String.prototype.isWellFormed is ES2024, in Node ≥ 20).
  return s.indexOf('\u0000') < 0 && (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/** `s` cut to at most `n` UTF-16 units, never between the halves of a surrogate pair. */
export function cut(s: string, n: number): string {
  if (s.length <= n) return s;
  const c = s.charCodeAt(n - 1);
  return s.slice(0, c >= 0xd800 && c <= 0xdbff ? n - 1 : n);
}

/** A parser's refusal: the reason counted per source and a message an operator can act on. */
export class Reject {
  constructor(
    readonly reason: EventRejectReason,
    readonly message: string,
  ) {}
}

/**
 * The ECS fields of one event being built. Refuses (by returning a `Reject` from `finish`) more
 * than `MAX_EVENT_FIELDS` fields or unsafe text; multi-valued fields are bounded to the wire
 * schema's limits (what is cut stays in the raw line).
 */
export class Fields {
  // A plain object: its keys (always dotted ECS names, never a prototype property's name) come in
  // much the same order for every event of a kind, so it keeps a fast shape.
  readonly out: Record<string, EventValue> = {};
  private count = 0;
  overflow = false;
  /**
   * Set when values may hold text the raw line does not (JSON escapes such as \u0000): then
   * `finish` checks every value. Values cut from a raw line already checked are safe.
   */
  checkValues = false;

  get size(): number {
    return this.count;
  }

  has(name: string): boolean {
    return this.out[name] !== undefined;
  }

  get(name: string): EventValue | undefined {
    return this.out[name];
  }

  /** Set a field (undefined, null and empty strings are skipped). */
  set(name: string, value: EventValue | undefined | null): void {
    if (value === undefined || value === null || value === '') return;
    if (typeof value === 'number' && !Number.isFinite(value)) return;
    if (name.length === 0 || name.length > MAX_FIELD_NAME_CHARS || name === '__proto__') return;
    if (Array.isArray(value)) {
      if (value.length === 0) return;
      if (value.length > MAX_ARRAY_ELEMENTS) value = value.slice(0, MAX_ARRAY_ELEMENTS);
      for (let i = 0; i < value.length; i++) {
        const v = value[i]!;
        if (v.length > MAX_ARRAY_ELEMENT_CHARS) value[i] = cut(v, MAX_ARRAY_ELEMENT_CHARS);
      }
    } else if (typeof value === 'string' && value.length > MAX_EVENT_LINE_BYTES) {
      value = cut(value, MAX_EVENT_LINE_BYTES);
    }
    if (this.out[name] === undefined) {
      if (this.count >= MAX_EVENT_FIELDS) {
        this.overflow = true;
        return;
      }
      this.count++;
    }
    this.out[name] = value;
  }

  /** Set unless already set. */
  setDefault(name: string, value: EventValue | undefined | null): void {
    if (this.out[name] === undefined) this.set(name, value);
  }

  /** Append to a multi-valued field. */
  add(name: string, value: string): void {
    const cur = this.out[name];
    if (Array.isArray(cur)) {
      if (!cur.includes(value) && cur.length < MAX_ARRAY_ELEMENTS)
        cur.push(cut(value, MAX_ARRAY_ELEMENT_CHARS));
    } else this.set(name, [value]);
  }

  /** The fields, or why they cannot be sent. */
  finish(): Record<string, EventValue> | Reject {
    if (this.overflow)
      return new Reject('too-many-fields', `the event has more than ${MAX_EVENT_FIELDS} fields`);
    if (!this.checkValues) return this.out;
    for (const k in this.out) {
      if (!safeText(k))
        return new Reject('unsafe-text', 'a field name contains a NUL character or an unpaired surrogate');
      const v = this.out[k];
      if (typeof v === 'string') {
        if (!safeText(v))
          return new Reject('unsafe-text', `field ${k} contains a NUL character or an unpaired surrogate`);
      } else if (Array.isArray(v)) {
        for (const x of v)
          if (!safeText(x))
            return new Reject('unsafe-text', `field ${k} contains a NUL character or an unpaired surrogate`);
      }
    }
    return this.out;
  }
}

/** UTF-8 length of `s`, counting at most up to `limit + 4` (enough to tell whether it is over). */
export function utf8Length(s: string, limit = Infinity): number {
  let n = 0;
  for (let i = 0; i < s.length && n <= limit; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * Unix milliseconds of an RFC 3339 / ISO 8601 timestamp (`2019-01-19T19:31:03.712406+0000`,
 * `…+00:00`, `…Z`; without an offset it is taken as UTC), or undefined when it is not one or out
 * of range. Fractions beyond milliseconds are truncated.
 */
export function parseIsoTimestamp(s: string, requireOffset = false): number | undefined {
  if (s.length > 40) return undefined;
  const m = ISO_RE.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, frac, z, sign, oh, om] = m;
  if (requireOffset && !z && !sign) return undefined;
  const ms = frac ? Number((frac + '00').slice(0, 3)) : 0;
  let t = utcMillis(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(se), ms);
  if (t === undefined) return undefined;
  if (sign) {
    const offH = Number(oh);
    const offM = Number(om);
    if (offH > 23 || offM > 59) return undefined;
    const off = (offH * 60 + offM) * 60_000;
    t = sign === '+' ? t - off : t + off;
  }
  return t >= 0 && t <= MAX_TIMESTAMP_MILLIS ? t : undefined;
}

/** Unix milliseconds of a UTC date and time, undefined when a part is out of range. */
export function utcMillis(
  y: number,
  mo: number,
  d: number,
  h: number,
  mi: number,
  s: number,
  ms = 0,
): number | undefined {
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const t = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59), ms);
  // Date.UTC rolls 31 February over into March: refuse that.
  if (new Date(t).getUTCDate() !== d) return undefined;
  return t;
}

export const MONTHS: Readonly<Record<string, number>> = {
  Jan: 1,
  Feb: 2,
  Mar: 3,
  Apr: 4,
  May: 5,
  Jun: 6,
  Jul: 7,
  Aug: 8,
  Sep: 9,
  Oct: 10,
  Nov: 11,
  Dec: 12,
};

/**
 * Normalised severity in `event.severity`, the scale of the `security_events.severity` column:
 * 0 none, 1 low, 2 medium, 3 high, 4 critical. The source's own value is kept beside it
 * (`suricata.eve.alert.severity`, `log.syslog.severity.code`, `cef.severity`).
 */
export const SEVERITY_NONE = 0;

/** Suricata's alert severity (1 highest … 3 lowest; 4 is used by some rule sets) → 0..4. */
export function severityFromEve(s: number): number {
  if (s <= 1) return 3;
  if (s === 2) return 2;
  return 1;
}

/** Syslog severity code (0 emergency … 7 debug) → 0..4. */
export function severityFromSyslog(code: number): number {
  if (code <= 2) return 4;
  if (code === 3) return 3;
  if (code === 4) return 2;
  if (code === 5) return 1;
  return 0;
}

/** CEF severity (0–10, or Low/Medium/High/Very-High) → 0..4, undefined when neither. */
export function severityFromCef(s: string): number | undefined {
  const t = s.trim();
  if (/^\d{1,2}$/.test(t)) {
    const n = Number(t);
    if (n > 10) return undefined;
    if (n <= 3) return 1;
    if (n <= 6) return 2;
    if (n <= 8) return 3;
    return 4;
  }
  switch (t.toLowerCase()) {
    case 'unknown':
      return 0;
    case 'low':
      return 1;
    case 'medium':
      return 2;
    case 'high':
      return 3;
    case 'very-high':
    case 'very high':
      return 4;
    default:
      return undefined;
  }
}

/** The names of the syslog severities and facilities (RFC 5424 table 1 and 2). */
export const SYSLOG_SEVERITIES = [
  'emergency',
  'alert',
  'critical',
  'error',
  'warning',
  'notice',
  'informational',
  'debug',
] as const;
export const SYSLOG_FACILITIES = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
] as const;
