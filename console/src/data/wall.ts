/**
 * Wall mode (大屏): the data behind the monitoring centre's big screen, and the pure rules that shape
 * it. Every figure comes from routes the console already uses; nothing here renders.
 *
 * The screen is made of sections, each belonging to one area of the shared base (one cloud, one
 * network, one wall, plus the alarms they raise). A section whose area this server does not have (the
 * API answers 404) or this user may not see (403), or that has no data in the user's scope, is absent:
 * it takes no room and shows no placeholder. An area with no present section is not shown at all.
 */
import { ApiError, apiFetch, query } from './api.js';
import type { Agent } from './agents.js';
import { fetchAgents } from './agents.js';
import type { Alarm, AlarmPage, AlarmSeverity } from './alarms.js';
import { alarmSeverities } from './alarms.js';
import type { LinkLevel, LinkStatus, LinkView } from './network.js';
import { fetchLinks, linkLevels } from './network.js';
import type { Overview } from './overview.js';
import { fetchOverview } from './overview.js';

/** The wall reloads its figures this often while the document is visible. */
export const wallRefreshMillis = 30_000;

/** A refresh whose answers have not all come after this long gives up, and the wall says so. */
export const wallRequestTimeoutMillis = 20_000;

/** The error of a section whose answer did not come within `millis`. */
export class WallTimeoutError extends Error {
  readonly millis: number;

  constructor(millis: number) {
    super(`no answer within ${millis} ms`);
    this.name = 'WallTimeoutError';
    this.millis = millis;
  }
}

/** Whether an error is the abort of a request (by a timeout or by leaving the page). */
export const isAbortError = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError';

/** The areas of the screen, left to right. Later areas (flows, quotas, backups, security) add sections. */
export type WallArea = 'cloud' | 'network' | 'security' | 'alarms';

export const wallAreas: readonly WallArea[] = ['cloud', 'network', 'security', 'alarms'];

// ---------------------------------------------------------------------------------------------------
// Loading: one refresh shares each API answer between the sections that need it.

/** What a section's `load` gets: the refresh's abort signal and fetchers memoised for this refresh. */
export interface WallLoadContext {
  readonly signal: AbortSignal;
  /** Runs `fetcher` once per refresh for `key`; later calls with the same key share its promise. */
  shared<T>(key: string, fetcher: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

export function createLoadContext(signal: AbortSignal): WallLoadContext {
  const cache = new Map<string, Promise<unknown>>();
  return {
    signal,
    shared<T>(key: string, fetcher: (signal: AbortSignal) => Promise<T>): Promise<T> {
      let promise = cache.get(key) as Promise<T> | undefined;
      if (!promise) {
        promise = fetcher(signal);
        cache.set(key, promise);
      }
      return promise;
    },
  };
}

/** Firing alarms in the caller's subtree counted by severity (`GET /api/v1/alarms/summary`). */
export interface AlarmSummary {
  firing: number;
  unacknowledged: number;
  bySeverity: Record<AlarmSeverity, number>;
}

export const fetchAlarmSummary = (signal?: AbortSignal): Promise<AlarmSummary> =>
  apiFetch<AlarmSummary>('/api/v1/alarms/summary', { signal });

/** The newest firing alarms of every domain (`GET /api/v1/alarms`), newest first. */
export const fetchNewestAlarms = (limit: number, signal?: AbortSignal): Promise<AlarmPage> =>
  apiFetch<AlarmPage>(`/api/v1/alarms${query({ state: 'firing', limit })}`, { signal });

/** The shared fetchers of the built-in sections, by the key they are memoised under. */
export const wallSources = {
  overview: (ctx: WallLoadContext): Promise<Overview> => ctx.shared('overview', fetchOverview),
  agents: (ctx: WallLoadContext): Promise<Agent[]> =>
    ctx.shared('agents', async (signal) => (await fetchAgents(signal)).items),
  links: (ctx: WallLoadContext): Promise<LinkView[]> =>
    ctx.shared('links', async (signal) => (await fetchLinks({}, signal)).items),
  alarmSummary: (ctx: WallLoadContext): Promise<AlarmSummary> =>
    ctx.shared('alarm-summary', fetchAlarmSummary),
  newestAlarms: (ctx: WallLoadContext, limit: number): Promise<Alarm[]> =>
    ctx.shared(`alarms-newest-${limit}`, async (signal) => (await fetchNewestAlarms(limit, signal)).items),
};

// ---------------------------------------------------------------------------------------------------
// Section states across refreshes.

/**
 * Whether an error means the section's area is not there for this user: the server has no such
 * routes (404) or the user's role may not read them (403). Such a section is left out, not failed.
 */
export function isAreaAbsent(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.status === 403);
}

export type SectionState<T> =
  /** Not loaded yet. */
  | { kind: 'loading' }
  /** The area is missing, not permitted, or has nothing in scope: the section takes no room. */
  | { kind: 'absent' }
  /** Current figures, loaded at `at` (epoch ms). */
  | { kind: 'ok'; data: T; at: number }
  /** The last refresh failed; the figures shown are those of `at`. */
  | { kind: 'stale'; data: T; at: number; error: unknown }
  /** The section never loaded: its error is all there is to show. */
  | { kind: 'failed'; error: unknown };

/** What one load of a section came to: its data (null = nothing in scope), or the error it threw. */
export type SectionResult<T> = { ok: true; data: T | null } | { ok: false; error: unknown };

/** The state of a section after a refresh, from its previous state and what the load came to. */
export function nextSectionState<T>(
  previous: SectionState<T>,
  result: SectionResult<T>,
  now: number,
): SectionState<T> {
  if (result.ok)
    return result.data === null ? { kind: 'absent' } : { kind: 'ok', data: result.data, at: now };
  if (isAreaAbsent(result.error)) return { kind: 'absent' };
  if (previous.kind === 'ok' || previous.kind === 'stale') {
    return { kind: 'stale', data: previous.data, at: previous.at, error: result.error };
  }
  return { kind: 'failed', error: result.error };
}

/** Whether a section takes room on the screen (loading sections do not, so nothing flashes). */
export const isShown = (state: SectionState<unknown>): boolean =>
  state.kind === 'ok' || state.kind === 'stale' || state.kind === 'failed';

/** The areas that have at least one shown section, in screen order, each with its shown section ids. */
export function presentAreas(
  sections: readonly { id: string; area: WallArea; order: number }[],
  states: ReadonlyMap<string, SectionState<unknown>>,
): { area: WallArea; sections: string[] }[] {
  const out: { area: WallArea; sections: string[] }[] = [];
  for (const area of wallAreas) {
    const ids = sections
      .filter((s) => s.area === area)
      .filter((s) => {
        const state = states.get(s.id);
        return state !== undefined && isShown(state);
      })
      .sort((a, b) => a.order - b.order || a.id.localeCompare(b.id))
      .map((s) => s.id);
    if (ids.length > 0) out.push({ area, sections: ids });
  }
  return out;
}

/**
 * Lays an area's sections out in rows of `columns` grid columns: each section takes its `width`
 * (at most `columns`), a section that does not fit starts a new row, and the last section of a row
 * that is not full widens to fill it, so an area never shows a hole where an absent section would be.
 * Returns, per row, the sections' indexes and the columns each spans.
 */
export function packRows(widths: readonly number[], columns: number): { index: number; span: number }[][] {
  if (!(columns >= 1)) throw new Error('packRows needs at least one column');
  const rows: { index: number; span: number }[][] = [];
  let row: { index: number; span: number }[] = [];
  let used = 0;
  const close = () => {
    if (row.length === 0) return;
    row[row.length - 1]!.span += columns - used;
    rows.push(row);
    row = [];
    used = 0;
  };
  widths.forEach((w, index) => {
    const span = Math.max(1, Math.min(columns, Math.floor(w)));
    if (used + span > columns) close();
    row.push({ index, span });
    used += span;
    if (used === columns) close();
  });
  close();
  return rows;
}

/** How fresh the screen is after a refresh. */
export interface RefreshStatus {
  /** When the last refresh in which every section answered finished; null before the first one. */
  lastCompleteAt: number | null;
  /** The figures shown are older than the last refresh attempt. */
  stale: boolean;
  /** The errors of the sections that failed, one per distinct reason. */
  errors: unknown[];
  /** The oldest figures still on the screen (epoch ms), when stale. */
  oldestDataAt: number | null;
}

/** Sums up the sections' states after the refresh that finished at `now`. */
export function refreshStatus(
  states: Iterable<SectionState<unknown>>,
  previousCompleteAt: number | null,
  now: number,
  reasonOf: (error: unknown) => string,
): RefreshStatus {
  const errors: unknown[] = [];
  const reasons = new Set<string>();
  let oldest: number | null = null;
  for (const state of states) {
    if (state.kind !== 'stale' && state.kind !== 'failed') continue;
    const reason = reasonOf(state.error);
    if (!reasons.has(reason)) {
      reasons.add(reason);
      errors.push(state.error);
    }
    if (state.kind === 'stale' && (oldest === null || state.at < oldest)) oldest = state.at;
  }
  const stale = errors.length > 0;
  return {
    lastCompleteAt: stale ? previousCompleteAt : now,
    stale,
    errors,
    oldestDataAt: stale ? oldest : null,
  };
}

// ---------------------------------------------------------------------------------------------------
// Figures.

/** Collectors and cloud hosts in scope. */
export interface FleetFigures {
  agents: { total: number; online: number; stale: number; offline: number };
  /** Agents with the host role: the cloud hosts they report on. */
  hosts: { total: number; online: number };
  samplesLastHour: number;
}

/** The cloud figures, or null when no agent is enrolled in scope (the section is then absent). */
export function fleetFigures(overview: Overview, agents: readonly Agent[]): FleetFigures | null {
  if (overview.fleet.total === 0 && agents.length === 0) return null;
  const hosts = agents.filter((a) => a.roles.includes('host'));
  return {
    agents: { ...overview.fleet },
    hosts: { total: hosts.length, online: hosts.filter((a) => a.status === 'online').length },
    samplesLastHour: overview.ingest.samplesLastHour,
  };
}

/** A share in percent, or null when there is nothing to divide by. */
export function ratePercent(part: number, whole: number): number | null {
  return whole > 0 ? (part / whole) * 100 : null;
}

/** Links of the extranet in scope. */
export interface LinkFigures {
  total: number;
  byStatus: Record<LinkStatus, number>;
  /** Share of links up, in percent. */
  upPercent: number | null;
  /** Primary/backup pairs now carried by the backup link (已切换至备用); an unpaired link counts alone. */
  failedOver: number;
  flapping: number;
}

/** The link figures, or null when there is no link in scope. */
export function linkFigures(links: readonly LinkView[]): LinkFigures | null {
  if (links.length === 0) return null;
  const byStatus: Record<LinkStatus, number> = { up: 0, down: 0, unknown: 0 };
  const failedOver = new Set<string>();
  let flapping = 0;
  for (const link of links) {
    if (link.status === 'up' || link.status === 'down') byStatus[link.status] += 1;
    else byStatus.unknown += 1;
    if (link.failedOver) failedOver.add(link.pairId !== null ? `pair:${link.pairId}` : `link:${link.id}`);
    if (link.flapping) flapping += 1;
  }
  return {
    total: links.length,
    byStatus,
    upPercent: ratePercent(byStatus.up, links.length),
    failedOver: failedOver.size,
    flapping,
  };
}

/** Bandwidth conformance (带宽达标) of the links of one level. */
export interface LevelCompliance {
  level: LinkLevel;
  links: number;
  conforming: number;
  below: number;
  unknown: number;
  /** Conforming share of the measured links (unknown ones left out), in percent; null when none measured. */
  ratePercent: number | null;
}

export interface ComplianceFigures {
  overall: Omit<LevelCompliance, 'level'>;
  levels: LevelCompliance[];
}

/**
 * The bandwidth compliance rate per link level and overall, from each link's tier verdict. Levels
 * without links are left out; null when no link in scope has been measured against its tier.
 */
export function complianceFigures(links: readonly LinkView[]): ComplianceFigures | null {
  const tally = () => ({ links: 0, conforming: 0, below: 0, unknown: 0 });
  const by = new Map<LinkLevel, ReturnType<typeof tally>>();
  const all = tally();
  for (const link of links) {
    const row = by.get(link.level) ?? tally();
    by.set(link.level, row);
    for (const t of [row, all]) {
      t.links += 1;
      if (link.tier.verdict === 'ok') t.conforming += 1;
      else if (link.tier.verdict === 'below') t.below += 1;
      else t.unknown += 1;
    }
  }
  if (all.conforming + all.below === 0) return null;
  const withRate = <T extends ReturnType<typeof tally>>(t: T) => ({
    ...t,
    ratePercent: ratePercent(t.conforming, t.conforming + t.below),
  });
  return {
    overall: withRate(all),
    levels: linkLevels
      .filter((level) => by.has(level))
      .map((level) => withRate({ level, ...by.get(level)! })),
  };
}

export interface BusyLink {
  id: string;
  name: string;
  level: LinkLevel;
  maxPercent: number;
  inPercent: number;
  outPercent: number;
  failedOver: boolean;
}

/**
 * The busiest links that are up and measured, by the utilisation of their busier direction (ties by
 * name); null when no link has a utilisation.
 */
export function busiestLinks(links: readonly LinkView[], count = 5): BusyLink[] | null {
  const measured = links
    .filter((l) => l.status === 'up' && l.utilisation !== null && Number.isFinite(l.utilisation.maxPercent))
    .map((l) => ({
      id: l.id,
      name: l.name,
      level: l.level,
      maxPercent: l.utilisation!.maxPercent,
      inPercent: l.utilisation!.inPercent,
      outPercent: l.utilisation!.outPercent,
      failedOver: l.failedOver,
    }))
    .sort((a, b) => b.maxPercent - a.maxPercent || a.name.localeCompare(b.name));
  return measured.length === 0 ? null : measured.slice(0, count);
}

export interface AlarmFigures {
  firing: number;
  unacknowledged: number;
  bySeverity: Record<AlarmSeverity, number>;
  /** The newest firing alarms, newest first. */
  newest: Alarm[];
}

/** Active alarms by severity (every severity present, zero when none) and the newest few. */
export function alarmFigures(summary: AlarmSummary, newest: readonly Alarm[], count = 5): AlarmFigures {
  const bySeverity = Object.fromEntries(
    alarmSeverities.map((s) => [s, Number(summary.bySeverity[s] ?? 0)]),
  ) as Record<AlarmSeverity, number>;
  return {
    firing: summary.firing,
    unacknowledged: summary.unacknowledged,
    bySeverity,
    newest: newest
      .filter((a) => a.state === 'firing')
      .sort((a, b) => Date.parse(b.startsAt) - Date.parse(a.startsAt))
      .slice(0, count),
  };
}

// ---------------------------------------------------------------------------------------------------
// The clock.

/** The wall clock's date with the weekday, e.g. `2026年12月1日星期二` or `Tuesday, 1 December 2026`. */
export function formatClockDate(at: number, locale: string): string {
  return new Intl.DateTimeFormat(locale === 'en' ? 'en-GB' : locale, {
    weekday: 'long',
    year: 'numeric',
    month: 'long',
    day: 'numeric',
  }).format(at);
}

/** A moment on the wall: the time of day when it is today, else the date and time. */
export function formatWallMoment(at: number, now: number, locale: string): string {
  const day = (ms: number) => new Date(ms).toDateString();
  const options: Intl.DateTimeFormatOptions =
    day(at) === day(now)
      ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
      : { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };
  return new Intl.DateTimeFormat(locale, options).format(at);
}
