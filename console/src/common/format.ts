/** Formatting of times, sizes and rates for display. Pure functions, unit-tested. */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

function toMillis(value: string | number | Date): number {
  if (typeof value === 'number') return value;
  if (value instanceof Date) return value.getTime();
  return Date.parse(value);
}

/**
 * Describes how long ago a moment was, e.g. "just now", "42 s ago", "5 min ago", "3 h ago", "2 d ago".
 * A missing moment reads "never"; a moment slightly in the future (clock skew) reads "just now".
 */
export function formatRelativeTime(
  value: string | number | Date | null | undefined,
  now: number = Date.now(),
): string {
  if (value === null || value === undefined) return 'never';
  const at = toMillis(value);
  if (Number.isNaN(at)) return '—';
  const elapsed = now - at;
  // More than a minute in the future means the clocks disagree; the absolute time is then clearer.
  if (elapsed < -MINUTE) return formatDateTime(at);
  if (elapsed < 5 * SECOND) return 'just now';
  if (elapsed < MINUTE) return `${Math.floor(elapsed / SECOND)} s ago`;
  if (elapsed < HOUR) return `${Math.floor(elapsed / MINUTE)} min ago`;
  if (elapsed < DAY) return `${Math.floor(elapsed / HOUR)} h ago`;
  if (elapsed < 60 * DAY) return `${Math.floor(elapsed / DAY)} d ago`;
  return new Date(at).toISOString().slice(0, 10);
}

/**
 * Describes a moment that may lie ahead, such as an expiry: "in 5 min", "in 23 h", "in 3 d"; moments
 * already past read as `formatRelativeTime` does, e.g. "2 h ago".
 */
export function formatTimeFromNow(
  value: string | number | Date | null | undefined,
  now: number = Date.now(),
): string {
  if (value === null || value === undefined) return 'never';
  const at = toMillis(value);
  if (Number.isNaN(at)) return '—';
  const ahead = at - now;
  if (ahead <= 0) return formatRelativeTime(at, now);
  if (ahead < MINUTE) return 'in less than a minute';
  if (ahead < HOUR) return `in ${Math.floor(ahead / MINUTE)} min`;
  if (ahead < DAY) return `in ${Math.floor(ahead / HOUR)} h`;
  if (ahead < 60 * DAY) return `in ${Math.floor(ahead / DAY)} d`;
  return new Date(at).toISOString().slice(0, 10);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Local date and time as `YYYY-MM-DD HH:mm:ss`, unambiguous in Chinese and English settings alike. */
export function formatDateTime(value: string | number | Date | null | undefined): string {
  if (value === null || value === undefined) return '—';
  const at = toMillis(value);
  if (Number.isNaN(at)) return '—';
  const d = new Date(at);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** A number with at most `digits` decimals and no trailing zeros. */
export function formatNumber(value: number, digits = 2): string {
  if (!Number.isFinite(value)) return '—';
  const fixed = value.toFixed(digits);
  return fixed.includes('.') ? fixed.replace(/\.?0+$/, '') : fixed;
}

/** A count with thousands separators, e.g. 12,345. */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return '—';
  return Math.round(value).toLocaleString('en-US');
}

export function formatPercent(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  return `${value.toFixed(digits)} %`;
}

const binaryUnits = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** A size in bytes with binary prefixes, e.g. 1.5 MiB. */
export function formatBytes(value: number): string {
  if (!Number.isFinite(value)) return '—';
  let v = Math.abs(value);
  let unit = 0;
  while (v >= 1024 && unit < binaryUnits.length - 1) {
    v /= 1024;
    unit += 1;
  }
  const sign = value < 0 ? '-' : '';
  return `${sign}${formatNumber(v, v < 10 && unit > 0 ? 1 : 0)} ${binaryUnits[unit]}`;
}

const siPrefixes = ['', 'k', 'M', 'G', 'T', 'P'];

/**
 * A bit rate with decimal prefixes, as network bandwidth is quoted (100 Mbit/s, 1 Gbit/s). The input is
 * in bits per second.
 */
export function formatBitRate(bitsPerSecond: number, digits = 1): string {
  if (!Number.isFinite(bitsPerSecond)) return '—';
  let v = Math.abs(bitsPerSecond);
  let unit = 0;
  while (v >= 1000 && unit < siPrefixes.length - 1) {
    v /= 1000;
    unit += 1;
  }
  const sign = bitsPerSecond < 0 ? '-' : '';
  return `${sign}${formatNumber(v, digits)} ${siPrefixes[unit]}bit/s`;
}
