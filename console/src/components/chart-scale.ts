/** Scales, ticks and paths for `ts-line-chart`. Pure functions, unit-tested. */

export type Point = readonly [number, number];

export interface NiceTicks {
  min: number;
  max: number;
  step: number;
  ticks: number[];
}

/** Rounds a raw step up to 1, 2, 2.5 or 5 times a power of ten. */
export function niceStep(rawStep: number): number {
  if (!(rawStep > 0) || !Number.isFinite(rawStep)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(rawStep));
  const fraction = rawStep / magnitude;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * magnitude;
}

/**
 * Chooses round value-axis ticks that cover [min, max] with at most `maxTicks` intervals. An empty or
 * flat domain is widened so that the axis is still readable.
 */
export function niceTicks(min: number, max: number, maxTicks = 4): NiceTicks {
  let lo = Number.isFinite(min) ? min : 0;
  let hi = Number.isFinite(max) ? max : 1;
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    if (hi === 0) hi = 1;
    else if (hi > 0) lo = 0;
    else hi = 0;
  }
  const step = niceStep((hi - lo) / Math.max(1, maxTicks));
  const niceMin = Math.floor(lo / step + 1e-9) * step;
  const niceMax = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  const count = Math.round((niceMax - niceMin) / step);
  for (let i = 0; i <= count; i++) ticks.push(roundTo(niceMin + i * step, step));
  return { min: niceMin, max: niceMax, step, ticks };
}

/** Removes floating-point noise such as 0.30000000000000004 relative to the step size. */
function roundTo(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 2);
  return Number(value.toFixed(Math.min(decimals, 12)));
}

/** A linear map from a domain to a range; a zero-width domain maps to the middle of the range. */
export function linearScale(
  domain: readonly [number, number],
  range: readonly [number, number],
): (value: number) => number {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  if (d1 === d0) return () => (r0 + r1) / 2;
  const k = (r1 - r0) / (d1 - d0);
  return (value) => r0 + (value - d0) * k;
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Candidate distances between time ticks, all of which divide a day or are whole days. */
export const timeSteps: readonly number[] = [
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  4 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  3 * DAY,
  7 * DAY,
];

/** The local time zone's offset east of UTC, in minutes (480 in China). */
export function localOffsetMinutes(at: number = Date.now()): number {
  return -new Date(at).getTimezoneOffset();
}

export interface TimeTicks {
  step: number;
  ticks: number[];
}

/**
 * Chooses time-axis ticks between `start` and `end` (unix millis) at round local times: the smallest
 * step from `timeSteps` that gives at most `maxTicks` ticks, aligned to the local clock.
 */
export function timeTicks(
  start: number,
  end: number,
  maxTicks = 6,
  offsetMinutes: number = localOffsetMinutes(start),
): TimeTicks {
  if (!(end > start)) return { step: MINUTE, ticks: [] };
  const offset = offsetMinutes * MINUTE;
  const span = end - start;
  const step = timeSteps.find((s) => span / s <= maxTicks) ?? (timeSteps[timeSteps.length - 1] as number);
  const first = Math.ceil((start + offset) / step) * step - offset;
  const ticks: number[] = [];
  for (let t = first; t <= end; t += step) ticks.push(t);
  return { step, ticks };
}

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * Labels a time tick: `HH:mm` for steps under a day, `MM-DD` for day steps and for ticks at local
 * midnight, so that the day is visible where it changes.
 */
export function formatTimeTick(
  at: number,
  step: number,
  offsetMinutes: number = localOffsetMinutes(at),
): string {
  const local = new Date(at + offsetMinutes * MINUTE);
  const date = `${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}`;
  const time = `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}`;
  if (step >= DAY || time === '00:00') return date;
  return time;
}

/** Index of the point whose time is closest to `x` in points sorted by time; -1 when empty. */
export function nearestIndex(points: readonly Point[], x: number): number {
  if (points.length === 0) return -1;
  let lo = 0;
  let hi = points.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if ((points[mid] as Point)[0] < x) lo = mid;
    else hi = mid;
  }
  const a = points[lo] as Point;
  const b = points[hi] as Point;
  return Math.abs(a[0] - x) <= Math.abs(b[0] - x) ? lo : hi;
}

/** Smallest and largest finite value over several series; undefined when there is none. */
export function valueExtent(series: readonly (readonly Point[])[]): [number, number] | undefined {
  let min = Infinity;
  let max = -Infinity;
  for (const points of series) {
    for (const [, v] of points) {
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return min <= max ? [min, max] : undefined;
}

/**
 * Builds an SVG path for a series. Non-finite values and gaps longer than `maxGap` millis break the
 * line, so that missing samples are not drawn as a straight interpolation.
 */
export function linePath(
  points: readonly Point[],
  x: (t: number) => number,
  y: (v: number) => number,
  maxGap = Infinity,
): string {
  let path = '';
  let previous: number | undefined;
  for (const [t, v] of points) {
    if (!Number.isFinite(v) || !Number.isFinite(t)) {
      previous = undefined;
      continue;
    }
    const command = previous === undefined || t - previous > maxGap ? 'M' : 'L';
    path += `${command}${x(t).toFixed(1)},${y(v).toFixed(1)}`;
    previous = t;
  }
  return path;
}
