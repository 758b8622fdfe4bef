/**
 * Formatting of numbers, times, sizes and rates for display, with `Intl` for the locale in force
 * (`en` or `zh-CN`). Pure functions, unit-tested; each takes the locale as its last argument
 * (default: the console's), so tests and exports can ask for either.
 */
import { msg } from '@lit/localize';
import { currentLocale, type AppLocale } from '../i18n/locale.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const dash = '—';

function toMillis(value: string | number | Date): number {
  if (typeof value === 'number') return value;
  if (value instanceof Date) return value.getTime();
  return Date.parse(value);
}

const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>();

function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>(
  key: string,
  make: () => T,
): T {
  let f = cache.get(key) as T | undefined;
  if (!f) {
    f = make();
    cache.set(key, f);
  }
  return f;
}

const relative = (locale: AppLocale): Intl.RelativeTimeFormat =>
  cached(`rel:${locale}`, () => new Intl.RelativeTimeFormat(locale, { numeric: 'auto', style: 'short' }));

const numberFormat = (locale: AppLocale, digits: number, minDigits = 0): Intl.NumberFormat =>
  cached(
    `num:${locale}:${digits}:${minDigits}`,
    () => new Intl.NumberFormat(locale, { maximumFractionDigits: digits, minimumFractionDigits: minDigits }),
  );

/** "never" in the console's language, for a moment that has not happened. */
function never(): string {
  return msg('never', { id: 'format.never' });
}

/**
 * Describes how long ago a moment was: "now", "42 sec. ago", "5 min. ago", "3 hr. ago", "2 days ago"
 * ("现在", "42秒前", "5分钟前", "3小时前", "2天前"). A missing moment reads "never"; a moment slightly in the
 * future (clock skew) reads "now"; older than 60 days, the date.
 */
export function formatRelativeTime(
  value: string | number | Date | null | undefined,
  now: number = Date.now(),
  locale: AppLocale = currentLocale(),
): string {
  if (value === null || value === undefined) return never();
  const at = toMillis(value);
  if (Number.isNaN(at)) return dash;
  const elapsed = now - at;
  // More than a minute in the future means the clocks disagree; the absolute time is then clearer.
  if (elapsed < -MINUTE) return formatDateTime(at, locale);
  const rel = relative(locale);
  if (elapsed < 5 * SECOND) return rel.format(0, 'second');
  if (elapsed < MINUTE) return rel.format(-Math.floor(elapsed / SECOND), 'second');
  if (elapsed < HOUR) return rel.format(-Math.floor(elapsed / MINUTE), 'minute');
  if (elapsed < DAY) return rel.format(-Math.floor(elapsed / HOUR), 'hour');
  if (elapsed < 60 * DAY) return rel.format(-Math.floor(elapsed / DAY), 'day');
  return formatDate(at, locale);
}

/**
 * Describes a moment that may lie ahead, such as an expiry: "in 5 min.", "in 23 hr.", "in 3 days"
 * ("5分钟后" …); moments already past read as `formatRelativeTime` does.
 */
export function formatTimeFromNow(
  value: string | number | Date | null | undefined,
  now: number = Date.now(),
  locale: AppLocale = currentLocale(),
): string {
  if (value === null || value === undefined) return never();
  const at = toMillis(value);
  if (Number.isNaN(at)) return dash;
  const ahead = at - now;
  if (ahead <= 0) return formatRelativeTime(at, now, locale);
  const rel = relative(locale);
  if (ahead < MINUTE) return rel.format(Math.ceil(ahead / SECOND), 'second');
  if (ahead < HOUR) return rel.format(Math.floor(ahead / MINUTE), 'minute');
  if (ahead < DAY) return rel.format(Math.floor(ahead / HOUR), 'hour');
  if (ahead < 60 * DAY) return rel.format(Math.floor(ahead / DAY), 'day');
  return formatDate(at, locale);
}

const dateTimeFormat = (locale: AppLocale, withSeconds = true): Intl.DateTimeFormat =>
  cached(`dt:${locale}:${withSeconds}`, () =>
    locale === 'zh-CN'
      ? new Intl.DateTimeFormat(locale, {
          year: 'numeric',
          month: '2-digit',
          day: '2-digit',
          hour: '2-digit',
          minute: '2-digit',
          ...(withSeconds ? { second: '2-digit' } : {}),
          hourCycle: 'h23',
        })
      : new Intl.DateTimeFormat(locale, {
          dateStyle: 'medium',
          timeStyle: withSeconds ? 'medium' : 'short',
          hourCycle: 'h23',
        }),
  );

/** Local date and time: "2026/12/01 12:19:30" in Chinese, "Dec 1, 2026, 12:19:30" in English. */
export function formatDateTime(
  value: string | number | Date | null | undefined,
  locale: AppLocale = currentLocale(),
): string {
  if (value === null || value === undefined) return dash;
  const at = toMillis(value);
  if (Number.isNaN(at)) return dash;
  return dateTimeFormat(locale).format(at);
}

/** A local date: "2026/12/01", "Dec 1, 2026". */
export function formatDate(value: string | number | Date, locale: AppLocale = currentLocale()): string {
  const at = toMillis(value);
  if (Number.isNaN(at)) return dash;
  return cached(`d:${locale}`, () =>
    locale === 'zh-CN'
      ? new Intl.DateTimeFormat(locale, { year: 'numeric', month: '2-digit', day: '2-digit' })
      : new Intl.DateTimeFormat(locale, { dateStyle: 'medium' }),
  ).format(at);
}

/** A local time of day for axes and clocks: "12:19" (with seconds: "12:19:30"). */
export function formatTime(
  value: string | number | Date,
  withSeconds = false,
  locale: AppLocale = currentLocale(),
): string {
  const at = toMillis(value);
  if (Number.isNaN(at)) return dash;
  return cached(
    `t:${locale}:${withSeconds}`,
    () =>
      new Intl.DateTimeFormat(locale, {
        hour: '2-digit',
        minute: '2-digit',
        ...(withSeconds ? { second: '2-digit' } : {}),
        hourCycle: 'h23',
      }),
  ).format(at);
}

/** A time range, e.g. "2026/12/1 11:19–12:19", "Dec 1, 2026, 11:19 – 12:19". */
export function formatTimeRange(
  from: string | number | Date,
  to: string | number | Date,
  locale: AppLocale = currentLocale(),
): string {
  const a = toMillis(from);
  const b = toMillis(to);
  if (Number.isNaN(a) || Number.isNaN(b) || b < a) return dash;
  return dateTimeFormat(locale, false).formatRange(a, b);
}

/** A length of time in its largest whole unit: "24 hours" / "24小时", "7 days" / "7天", "90 seconds". */
export function formatDuration(millis: number, locale: AppLocale = currentLocale()): string {
  if (!Number.isFinite(millis) || millis < 0) return dash;
  const [unit, size] =
    millis >= DAY && millis % DAY === 0
      ? (['day', DAY] as const)
      : millis >= HOUR && millis % HOUR === 0
        ? (['hour', HOUR] as const)
        : millis >= MINUTE && millis % MINUTE === 0
          ? (['minute', MINUTE] as const)
          : (['second', SECOND] as const);
  return cached(
    `dur:${locale}:${unit}`,
    () =>
      new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'long', maximumFractionDigits: 1 }),
  ).format(millis / size);
}

/** A number with at most `digits` decimals and no trailing zeros, grouped for the locale. */
export function formatNumber(value: number, digits = 2, locale: AppLocale = currentLocale()): string {
  if (!Number.isFinite(value)) return dash;
  return numberFormat(locale, digits).format(value);
}

/** A count with the locale's grouping, e.g. 12,345. */
export function formatCount(value: number, locale: AppLocale = currentLocale()): string {
  if (!Number.isFinite(value)) return dash;
  return numberFormat(locale, 0).format(Math.round(value));
}

/** A percentage given as 0–100, e.g. 12.3%. */
export function formatPercent(
  value: number | null | undefined,
  digits = 1,
  locale: AppLocale = currentLocale(),
): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return dash;
  return cached(
    `pct:${locale}:${digits}`,
    () =>
      new Intl.NumberFormat(locale, {
        style: 'percent',
        maximumFractionDigits: digits,
        minimumFractionDigits: digits,
      }),
  ).format(value / 100);
}

const binaryUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** A size in bytes with binary prefixes, e.g. 1.5 KiB. */
export function formatBytes(value: number, locale: AppLocale = currentLocale()): string {
  if (!Number.isFinite(value)) return dash;
  let v = Math.abs(value);
  let unit = 0;
  while (v >= 1024 && unit < binaryUnits.length - 1) {
    v /= 1024;
    unit += 1;
  }
  const sign = value < 0 ? -1 : 1;
  return `${numberFormat(locale, v < 10 && unit > 0 ? 1 : 0).format(sign * v)} ${binaryUnits[unit]}`;
}

const siPrefixes = ['', 'k', 'M', 'G', 'T', 'P', 'E'];

/**
 * A bit rate with decimal prefixes, as network bandwidth is quoted (100 Mbit/s, 1 Gbit/s). The input is
 * in bits per second.
 */
export function formatBitRate(
  bitsPerSecond: number,
  digits = 1,
  locale: AppLocale = currentLocale(),
): string {
  if (!Number.isFinite(bitsPerSecond)) return dash;
  let v = Math.abs(bitsPerSecond);
  let unit = 0;
  while (v >= 1000 && unit < siPrefixes.length - 1) {
    v /= 1000;
    unit += 1;
  }
  const sign = bitsPerSecond < 0 ? -1 : 1;
  return `${numberFormat(locale, digits).format(sign * v)} ${siPrefixes[unit]}bit/s`;
}
