/**
 * The review part's arithmetic, without I/O: coverage of a window by samples, idle detection and the
 * amounts to reclaim, the month of showback and its averages, and the provider score. Unit-tested in
 * `model.test.ts`; the service feeds it from the telemetry and state stores.
 */
import type { Amounts } from '../types.js';

export const DAY_SECONDS = 86_400;

/** What the samples of one (project, class) say over the review window; times are unix seconds. */
export interface SeriesStats {
  class: string;
  /** First and last sample inside the window. */
  first: number;
  last: number;
  samples: number;
  peakUsed: number;
  /** Highest physical measurement, or null when nothing measured this class in the window. */
  peakPhysical: number | null;
  /** How many of the window's whole slices (`coverageSlices`) hold at least one sample. */
  slicesCovered: number;
}

export interface ReviewSettings {
  windowDays: number;
  idleThreshold: number;
  headroom: number;
}

/**
 * The tolerance T of the window's coverage: one hour or 5 % of the window, whichever is longer
 * (30 days: 36 hours; 1 day: 72 minutes).
 */
export function coverageTolerance(windowDays: number): number {
  return Math.max(3600, 0.05 * windowDays * DAY_SECONDS);
}

/**
 * The window [from, to) is cut from its start into slices of T / 2 (a partial slice at the end is not
 * checked); it is covered when every whole slice holds a sample. Then no two samples are more than T
 * apart, the first is at most T / 2 after the window's start (a project younger than the window is
 * not judged) and the last at most T before now. Counting slices, not gaps, keeps the query small.
 */
export function coverageSlices(
  from: number,
  to: number,
  windowDays: number,
): { slice: number; count: number } {
  const slice = Math.floor(coverageTolerance(windowDays) / 2);
  return { slice, count: Math.max(1, Math.floor((to - from) / slice)) };
}

/** Why a series does not cover [from, to], or null when it does. */
export function coverageProblem(s: SeriesStats, from: number, to: number, windowDays: number): string | null {
  const { slice, count } = coverageSlices(from, to, windowDays);
  if (s.samples === 0) return 'no samples in the window';
  if (s.first - from >= slice) {
    return `samples start ${formatHours(s.first - from)} after the window's start (younger than the window)`;
  }
  if (s.slicesCovered < count) {
    return `no sample in ${count - s.slicesCovered} of the window's ${count} slices of ${formatHours(slice)}`;
  }
  return null;
}

function formatHours(seconds: number): string {
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** Rounds up to whole units (integer classes) or to thousandths, ignoring float noise below 1e-9. */
export function roundUp(x: number, integer: boolean): number {
  if (integer) return Math.ceil(x - 1e-9);
  return Math.ceil(x * 1000 - 1e-6) / 1000;
}

export interface ClassJudgement {
  class: string;
  quota: number;
  used: number;
  peakUsed: number | null;
  peakPhysical: number | null;
  /** Samples of the class in the window. */
  samples: number;
  /** `idle` (reclaim proposed), `busy` (peak at or above the threshold), `uncovered` (not judged). */
  verdict: 'idle' | 'busy' | 'uncovered' | 'nothing-to-reclaim';
  reason: string | null;
  /** What stays: ceil(peak × (1 + headroom)), never below what is used now. */
  keep: number | null;
  reclaim: number;
}

/**
 * Judges one project on one cloud. A class is idle when its peak — the higher of the peak used and
 * the peak physically measured — stayed under `idleThreshold × quota` for the whole window (samples
 * covering it, see `coverageProblem`). Its reclaim is `quota − keep` with
 * `keep = max(ceil(peak × (1 + headroom)), used now)`, in whole units for integer classes, and only
 * when positive.
 */
export function judgeProject(a: {
  quota: Amounts;
  used: Amounts;
  stats: ReadonlyMap<string, SeriesStats>;
  integer: (cls: string) => boolean;
  settings: ReviewSettings;
  from: number;
  to: number;
}): { amounts: Amounts; classes: ClassJudgement[] } {
  const amounts: Amounts = {};
  const classes: ClassJudgement[] = [];
  for (const [cls, quota] of Object.entries(a.quota).sort(([x], [y]) => x.localeCompare(y))) {
    if (!(quota > 0)) continue;
    const used = a.used[cls] ?? 0;
    const s = a.stats.get(cls);
    const base = {
      class: cls,
      quota,
      used,
      peakUsed: s?.peakUsed ?? null,
      peakPhysical: s?.peakPhysical ?? null,
      samples: s?.samples ?? 0,
    };
    const problem = s ? coverageProblem(s, a.from, a.to, a.settings.windowDays) : 'no samples in the window';
    if (!s || problem) {
      classes.push({ ...base, verdict: 'uncovered', reason: problem, keep: null, reclaim: 0 });
      continue;
    }
    const peak = Math.max(s.peakUsed, s.peakPhysical ?? 0);
    if (!(peak < a.settings.idleThreshold * quota)) {
      classes.push({ ...base, verdict: 'busy', reason: null, keep: null, reclaim: 0 });
      continue;
    }
    const integer = a.integer(cls);
    const keep = Math.max(roundUp(peak * (1 + a.settings.headroom), integer), roundUp(used, integer));
    let reclaim = quota - keep;
    reclaim = integer ? Math.floor(reclaim + 1e-9) : Math.floor(reclaim * 1000 + 1e-6) / 1000;
    if (reclaim <= 0) {
      classes.push({ ...base, verdict: 'nothing-to-reclaim', reason: null, keep, reclaim: 0 });
      continue;
    }
    amounts[cls] = reclaim;
    classes.push({ ...base, verdict: 'idle', reason: null, keep, reclaim });
  }
  return { amounts, classes };
}

/**
 * At apply time the quota or the usage may have moved since the proposal: takes back at most what
 * the quota still holds above what is used now (whole units for integer classes).
 */
export function clampToCurrent(
  amounts: Amounts,
  quota: Amounts,
  used: Amounts,
  integer: (cls: string) => boolean,
): Amounts {
  const out: Amounts = {};
  for (const [cls, want] of Object.entries(amounts)) {
    const int = integer(cls);
    const room = (quota[cls] ?? 0) - roundUp(used[cls] ?? 0, int);
    const take = Math.min(want, int ? Math.floor(room + 1e-9) : Math.floor(room * 1000 + 1e-6) / 1000);
    if (take > 0) out[cls] = take;
  }
  return out;
}

/* ───────────────────────────── showback ───────────────────────────── */

export interface MonthRange {
  month: string;
  /** First instant of the month and of the next one (UTC). */
  from: Date;
  to: Date;
  /** Days the averages divide by: the month's days, or the days begun so far in the current month. */
  days: number;
}

/** The UTC month `YYYY-MM` (default: the current one); a month in the future is refused. */
export function monthRange(month: string | undefined, now: Date): MonthRange {
  const m = month ?? `${now.getUTCFullYear()}-${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
  const match = /^(\d{4})-(\d{2})$/.exec(m);
  if (!match) throw new RangeError(`month "${m}" is not YYYY-MM`);
  const year = Number(match[1]);
  const mon = Number(match[2]);
  if (mon < 1 || mon > 12) throw new RangeError(`month "${m}" is not YYYY-MM`);
  const from = new Date(Date.UTC(year, mon - 1, 1));
  const to = new Date(Date.UTC(year, mon, 1));
  if (from.getTime() > now.getTime()) throw new RangeError(`month "${m}" has not begun`);
  const full = Math.round((to.getTime() - from.getTime()) / (DAY_SECONDS * 1000));
  const days =
    now.getTime() < to.getTime()
      ? Math.min(full, Math.floor((now.getTime() - from.getTime()) / (DAY_SECONDS * 1000)) + 1)
      : full;
  return { month: m, from, to, days };
}

/** One day of one series from the daily roll-up. */
export interface DailyRow {
  orgPath: string;
  class: string;
  samples: number;
  quotaSum: number;
  usedSum: number;
  physicalSamples: number;
  physicalSum: number;
}

export interface ShowbackClass {
  quota: number;
  used: number;
  cost: number;
}

/**
 * Showback of one subtree: per class, the average quota and average used over the month — each
 * day's average (sum / samples of the day) summed over the days and divided by `days` (a day
 * without samples counts as zero: the project held nothing then) — summed over the subtree's
 * projects; `cost = average quota × monthlyPrice`, rounded to the fen; `total` the sum of the costs.
 */
export function showback(
  rows: Iterable<DailyRow>,
  days: number,
  price: (cls: string) => number,
): { byClass: Record<string, ShowbackClass>; total: number } {
  const sums = new Map<string, { quota: number; used: number }>();
  for (const r of rows) {
    if (r.samples <= 0) continue;
    const s = sums.get(r.class) ?? { quota: 0, used: 0 };
    s.quota += r.quotaSum / r.samples;
    s.used += r.usedSum / r.samples;
    sums.set(r.class, s);
  }
  const byClass: Record<string, ShowbackClass> = {};
  let total = 0;
  for (const [cls, s] of [...sums].sort(([a], [b]) => a.localeCompare(b))) {
    const quota = days > 0 ? s.quota / days : 0;
    const used = days > 0 ? s.used / days : 0;
    const cost = round(quota * price(cls), 2);
    byClass[cls] = { quota: round(quota, 3), used: round(used, 3), cost };
    total += cost;
  }
  return { byClass, total: round(total, 2) };
}

export function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/* ───────────────────────────── scorecards ───────────────────────────── */

/**
 * Weights of the provider score (绩效考核), out of 100. A component without data (no reconcile pass,
 * no fulfilled request, no quota) is left out and the others are rescaled to 100.
 */
export const SCORE_WEIGHTS = Object.freeze({
  availability: 40,
  fulfilment: 20,
  utilisation: 25,
  reliability: 15,
});

/** Fulfilment within a day scores full, a week or more scores zero, linear between. */
export const FULFILMENT_FULL_HOURS = 24;
export const FULFILMENT_ZERO_HOURS = 168;
/** Used / quota at or above this share scores full (quota that is used is quota well allocated). */
export const UTILISATION_TARGET = 0.7;
/** Drift findings plus errors in 10 % of the passes score zero. */
export const RELIABILITY_ZERO_SHARE = 0.1;

export interface ScoreInputs {
  availability: number | null;
  fulfilmentHoursMedian: number | null;
  /** used / quota per class (classes with quota). */
  utilisation: Readonly<Record<string, number>>;
  passes: number;
  drift: number;
  errors: number;
}

export function scoreParts(x: ScoreInputs): Record<keyof typeof SCORE_WEIGHTS, number | null> {
  const clamp = (v: number) => Math.min(1, Math.max(0, v));
  const utils = Object.values(x.utilisation);
  return {
    availability: x.availability === null ? null : clamp(x.availability),
    fulfilment:
      x.fulfilmentHoursMedian === null
        ? null
        : clamp(
            (FULFILMENT_ZERO_HOURS - x.fulfilmentHoursMedian) /
              (FULFILMENT_ZERO_HOURS - FULFILMENT_FULL_HOURS),
          ),
    utilisation:
      utils.length === 0 ? null : utils.reduce((s, u) => s + clamp(u / UTILISATION_TARGET), 0) / utils.length,
    reliability: x.passes > 0 ? clamp(1 - (x.drift + x.errors) / x.passes / RELIABILITY_ZERO_SHARE) : null,
  };
}

/** 0–100, or null when no component has data. */
export function score(x: ScoreInputs): number | null {
  const parts = scoreParts(x);
  let weight = 0;
  let sum = 0;
  for (const [k, w] of Object.entries(SCORE_WEIGHTS) as Array<[keyof typeof SCORE_WEIGHTS, number]>) {
    const v = parts[k];
    if (v === null) continue;
    weight += w;
    sum += w * v;
  }
  return weight === 0 ? null : round((100 * sum) / weight, 1);
}
