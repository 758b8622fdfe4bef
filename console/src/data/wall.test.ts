import { describe, expect, it } from 'vitest';
import { ApiError } from './api.js';
import type { Agent } from './agents.js';
import type { Alarm } from './alarms.js';
import type { LinkView } from './network.js';
import type { Overview } from './overview.js';
import type { SectionState } from './wall.js';
import {
  alarmFigures,
  busiestLinks,
  complianceFigures,
  createLoadContext,
  fleetFigures,
  formatClockDate,
  isAbortError,
  isAreaAbsent,
  WallTimeoutError,
  linkFigures,
  nextSectionState,
  packRows,
  presentAreas,
  ratePercent,
  refreshStatus,
} from './wall.js';

function link(overrides: Partial<LinkView> & { id: string }): LinkView {
  return {
    name: `link ${overrides.id}`,
    orgUnitId: 'sc',
    level: 'city',
    role: 'primary',
    plane: 'A',
    pairId: null,
    a: { deviceId: 'r1', deviceName: 'r1', ifIndex: 1, ifName: 'ge-0/0/1' },
    b: { deviceId: 'r2', deviceName: 'r2', ifIndex: 1, ifName: 'ge-0/0/1' },
    status: 'up',
    speedMbps: 1000,
    utilisation: null,
    bps: null,
    errorsPerSecond: null,
    active: null,
    failedOver: false,
    tier: { targetMbps: 1000, actualMbps: 1000, verdict: 'ok' },
    flapping: false,
    lastChangeAt: null,
    updatedAt: null,
    ...overrides,
  };
}

function agent(id: string, status: Agent['status'], roles: string[]): Agent {
  return {
    id,
    hostname: id,
    roles,
    orgUnitId: 'sc',
    version: '0.1.0',
    status,
    enrolledAt: '2026-11-01T00:00:00Z',
    lastSeenAt: null,
    lastReportAt: null,
    queue: null,
  };
}

function alarm(
  id: string,
  severity: Alarm['severity'],
  startsAt: string,
  state: Alarm['state'] = 'firing',
): Alarm {
  return {
    id,
    kind: 'link-down',
    severity,
    state,
    orgUnitId: 'sc',
    targetType: 'link',
    targetId: 'l1',
    summary: `alarm ${id}`,
    labels: {},
    startsAt,
    lastSeenAt: startsAt,
    endsAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
  };
}

const overview = (fleet: Overview['fleet'], samples = 0): Overview => ({
  orgUnit: { id: 'sc', name: '四川省' },
  fleet,
  ingest: { batchesLastHour: 0, samplesLastHour: samples },
});

describe('ratePercent', () => {
  it('divides, and has no rate without a whole', () => {
    expect(ratePercent(39, 40)).toBeCloseTo(97.5);
    expect(ratePercent(0, 3)).toBe(0);
    expect(ratePercent(0, 0)).toBeNull();
  });
});

describe('fleetFigures', () => {
  it('counts agents from the overview and cloud hosts from the host-role agents', () => {
    const agents = [
      agent('h1', 'online', ['host']),
      agent('h2', 'offline', ['host']),
      agent('h3', 'online', ['host', 'edge']),
      agent('e1', 'online', ['edge']),
    ];
    const f = fleetFigures(overview({ total: 4, online: 3, stale: 0, offline: 1 }, 12_345), agents);
    expect(f).toEqual({
      agents: { total: 4, online: 3, stale: 0, offline: 1 },
      hosts: { total: 3, online: 2 },
      samplesLastHour: 12_345,
    });
  });

  it('is absent when no agent is enrolled in scope', () => {
    expect(fleetFigures(overview({ total: 0, online: 0, stale: 0, offline: 0 }), [])).toBeNull();
  });
});

describe('linkFigures', () => {
  it('counts statuses, failed-over pairs once, and flapping links', () => {
    const links = [
      link({ id: 'a', status: 'up' }),
      link({ id: 'b', status: 'down' }),
      link({ id: 'c', status: 'unknown' }),
      link({ id: 'p1', pairId: 'pair-1', status: 'down', failedOver: true }),
      link({ id: 'p2', pairId: 'pair-1', role: 'backup', status: 'up', failedOver: true }),
      link({ id: 'solo', status: 'up', failedOver: true, flapping: true }),
    ];
    const f = linkFigures(links)!;
    expect(f.total).toBe(6);
    expect(f.byStatus).toEqual({ up: 3, down: 2, unknown: 1 });
    expect(f.failedOver).toBe(2);
    expect(f.flapping).toBe(1);
    expect(f.upPercent).toBeCloseTo(50);
  });

  it('is absent when there is no link in scope', () => {
    expect(linkFigures([])).toBeNull();
  });
});

describe('complianceFigures', () => {
  it('gives the conforming share of measured links per level, in level order, and overall', () => {
    const links = [
      link({ id: 't1', level: 'township', tier: { targetMbps: 100, actualMbps: 50, verdict: 'below' } }),
      link({ id: 't2', level: 'township', tier: { targetMbps: 100, actualMbps: 100, verdict: 'ok' } }),
      link({ id: 't3', level: 'township', tier: { targetMbps: 100, actualMbps: null, verdict: 'unknown' } }),
      link({ id: 'c1', level: 'city' }),
      link({ id: 'c2', level: 'city' }),
      link({ id: 'b1', level: 'backbone' }),
    ];
    const f = complianceFigures(links)!;
    expect(f.levels.map((l) => l.level)).toEqual(['backbone', 'city', 'township']);
    const township = f.levels.find((l) => l.level === 'township')!;
    expect(township).toMatchObject({ links: 3, conforming: 1, below: 1, unknown: 1 });
    expect(township.ratePercent).toBeCloseTo(50);
    expect(f.levels.find((l) => l.level === 'city')!.ratePercent).toBe(100);
    expect(f.overall).toMatchObject({ links: 6, conforming: 4, below: 1, unknown: 1 });
    expect(f.overall.ratePercent).toBeCloseTo(80);
  });

  it('has no rate for a level whose links are all unmeasured', () => {
    const f = complianceFigures([
      link({ id: 'a', level: 'city' }),
      link({ id: 'b', level: 'county', tier: { targetMbps: 100, actualMbps: null, verdict: 'unknown' } }),
    ])!;
    expect(f.levels.find((l) => l.level === 'county')!.ratePercent).toBeNull();
  });

  it('is absent when nothing has been measured against its tier', () => {
    expect(complianceFigures([])).toBeNull();
    expect(
      complianceFigures([link({ id: 'a', tier: { targetMbps: 100, actualMbps: null, verdict: 'unknown' } })]),
    ).toBeNull();
  });
});

describe('busiestLinks', () => {
  const util = (maxPercent: number) => ({ inPercent: maxPercent, outPercent: maxPercent / 2, maxPercent });

  it('lists the links that are up by the utilisation of their busier direction', () => {
    const links = [
      link({ id: 'low', utilisation: util(10) }),
      link({ id: 'hot', utilisation: util(93) }),
      link({ id: 'down', status: 'down', utilisation: util(99) }),
      link({ id: 'none' }),
      link({ id: 'mid', utilisation: util(55) }),
    ];
    expect(busiestLinks(links, 2)!.map((l) => [l.id, l.maxPercent])).toEqual([
      ['hot', 93],
      ['mid', 55],
    ]);
    expect(busiestLinks(links)!.map((l) => l.id)).toEqual(['hot', 'mid', 'low']);
  });

  it('is absent when no link is measured', () => {
    expect(
      busiestLinks([link({ id: 'a' }), link({ id: 'b', status: 'down', utilisation: util(5) })]),
    ).toBeNull();
  });
});

describe('alarmFigures', () => {
  it('keeps every severity, and lists the newest firing alarms first', () => {
    const f = alarmFigures(
      { firing: 7, unacknowledged: 5, bySeverity: { critical: 2, major: 3, minor: 0, warning: 2 } },
      [
        alarm('1', 'major', '2026-12-01T10:00:00Z'),
        alarm('3', 'critical', '2026-12-01T12:00:00Z'),
        alarm('2', 'minor', '2026-12-01T11:00:00Z', 'resolved'),
        alarm('4', 'warning', '2026-12-01T11:30:00Z'),
      ],
      2,
    );
    expect(f.bySeverity).toEqual({ critical: 2, major: 3, minor: 0, warning: 2 });
    expect(f.firing).toBe(7);
    expect(f.unacknowledged).toBe(5);
    expect(f.newest.map((a) => a.id)).toEqual(['3', '4']);
  });

  it('reads a severity the server left out as zero', () => {
    const f = alarmFigures({ firing: 1, unacknowledged: 1, bySeverity: { critical: 1 } as never }, [
      alarm('1', 'critical', '2026-12-01T10:00:00Z'),
    ]);
    expect(f.bySeverity).toEqual({ critical: 1, major: 0, minor: 0, warning: 0 });
  });
});

describe('section states', () => {
  const notFound = new ApiError(404, 'not_found', 'no route for GET /api/v1/network/links');
  const forbidden = new ApiError(403, 'forbidden', 'missing permission network:read');
  const down = new ApiError(0, 'network_error', 'The control plane could not be reached.');
  const broken = new ApiError(502, 'server_error', 'Bad gateway');

  it('treats 404 and 403 as an absent area, and other failures as failures', () => {
    expect(isAreaAbsent(notFound)).toBe(true);
    expect(isAreaAbsent(forbidden)).toBe(true);
    expect(isAreaAbsent(down)).toBe(false);
    expect(isAreaAbsent(broken)).toBe(false);
    expect(isAreaAbsent(new Error('boom'))).toBe(false);
  });

  it('moves between loading, ok, stale, failed and absent', () => {
    const loading: SectionState<number> = { kind: 'loading' };
    expect(nextSectionState(loading, { ok: true, data: 5 }, 100)).toEqual({ kind: 'ok', data: 5, at: 100 });
    expect(nextSectionState(loading, { ok: true, data: null }, 100)).toEqual({ kind: 'absent' });
    expect(nextSectionState(loading, { ok: false, error: notFound }, 100)).toEqual({ kind: 'absent' });
    expect(nextSectionState(loading, { ok: false, error: down }, 100)).toEqual({
      kind: 'failed',
      error: down,
    });

    const ok: SectionState<number> = { kind: 'ok', data: 5, at: 100 };
    const stale = nextSectionState(ok, { ok: false, error: down }, 200);
    expect(stale).toEqual({ kind: 'stale', data: 5, at: 100, error: down });
    // A second failure keeps the time of the figures, not of the failure.
    expect(nextSectionState(stale, { ok: false, error: broken }, 300)).toEqual({
      kind: 'stale',
      data: 5,
      at: 100,
      error: broken,
    });
    expect(nextSectionState(stale, { ok: true, data: 6 }, 400)).toEqual({ kind: 'ok', data: 6, at: 400 });
    // An area that went away (module removed) leaves the screen.
    expect(nextSectionState(ok, { ok: false, error: notFound }, 500)).toEqual({ kind: 'absent' });
  });

  it('lays out only areas with a shown section, in area and section order', () => {
    const sections = [
      { id: 'alarms', area: 'alarms' as const, order: 10 },
      { id: 'busiest', area: 'network' as const, order: 30 },
      { id: 'links', area: 'network' as const, order: 10 },
      { id: 'fleet', area: 'cloud' as const, order: 10 },
      { id: 'incidents', area: 'security' as const, order: 10 },
    ];
    const states = new Map<string, SectionState<unknown>>([
      ['alarms', { kind: 'failed', error: down }],
      ['busiest', { kind: 'ok', data: 1, at: 1 }],
      ['links', { kind: 'stale', data: 1, at: 1, error: down }],
      ['fleet', { kind: 'absent' }],
      ['incidents', { kind: 'absent' }],
    ]);
    expect(presentAreas(sections, states)).toEqual([
      { area: 'network', sections: ['links', 'busiest'] },
      { area: 'alarms', sections: ['alarms'] },
    ]);
    expect(presentAreas(sections, new Map())).toEqual([]);
  });

  it('sums up a refresh: complete, or stale with one error per reason and the oldest figures', () => {
    const reason = (e: unknown) => (e as Error).message;
    const ok = refreshStatus([{ kind: 'ok', data: 1, at: 900 }, { kind: 'absent' }], 500, 1000, reason);
    expect(ok).toEqual({ lastCompleteAt: 1000, stale: false, errors: [], oldestDataAt: null });

    const other = new ApiError(0, 'network_error', 'The control plane could not be reached.');
    const stale = refreshStatus(
      [
        { kind: 'stale', data: 1, at: 700, error: down },
        { kind: 'stale', data: 1, at: 600, error: other },
        { kind: 'failed', error: broken },
        { kind: 'ok', data: 1, at: 1000 },
      ],
      700,
      1000,
      reason,
    );
    expect(stale.stale).toBe(true);
    expect(stale.lastCompleteAt).toBe(700);
    expect(stale.errors).toEqual([down, broken]);
    expect(stale.oldestDataAt).toBe(600);
  });
});

describe('timeouts and aborts', () => {
  it('tells an aborted request from other failures', () => {
    expect(isAbortError(new DOMException('The operation was aborted.', 'AbortError'))).toBe(true);
    expect(isAbortError(new ApiError(0, 'network_error', 'unreachable'))).toBe(false);
    expect(isAbortError(new WallTimeoutError(20_000))).toBe(false);
    expect(isAbortError(null)).toBe(false);
  });

  it('keeps how long a timed-out refresh waited', () => {
    const error = new WallTimeoutError(20_000);
    expect(error.millis).toBe(20_000);
    expect(isAreaAbsent(error)).toBe(false);
    expect(nextSectionState({ kind: 'ok', data: 1, at: 5 }, { ok: false, error }, 9)).toEqual({
      kind: 'stale',
      data: 1,
      at: 5,
      error,
    });
  });
});

describe('createLoadContext', () => {
  it('fetches a shared source once per refresh', async () => {
    let calls = 0;
    const ctx = createLoadContext(new AbortController().signal);
    const fetcher = async () => ++calls;
    const [a, b] = await Promise.all([ctx.shared('links', fetcher), ctx.shared('links', fetcher)]);
    expect([a, b, calls]).toEqual([1, 1, 1]);
    const next = createLoadContext(new AbortController().signal);
    expect(await next.shared('links', fetcher)).toBe(2);
  });

  it('shares a failure too', async () => {
    const ctx = createLoadContext(new AbortController().signal);
    let calls = 0;
    const fetcher = async () => {
      calls += 1;
      throw new Error('down');
    };
    await expect(ctx.shared('x', fetcher)).rejects.toThrow('down');
    await expect(ctx.shared('x', fetcher)).rejects.toThrow('down');
    expect(calls).toBe(1);
  });
});

describe('packRows', () => {
  it('fills rows and widens the last section of a row that is not full', () => {
    expect(packRows([2, 1, 1], 2)).toEqual([
      [{ index: 0, span: 2 }],
      [
        { index: 1, span: 1 },
        { index: 2, span: 1 },
      ],
    ]);
    // The compliance section absent: the busiest links take the whole row.
    expect(packRows([2, 1], 2)).toEqual([[{ index: 0, span: 2 }], [{ index: 1, span: 2 }]]);
    expect(packRows([1, 2, 1], 2)).toEqual([
      [{ index: 0, span: 2 }],
      [{ index: 1, span: 2 }],
      [{ index: 2, span: 2 }],
    ]);
    expect(packRows([1, 1], 1)).toEqual([[{ index: 0, span: 1 }], [{ index: 1, span: 1 }]]);
    expect(packRows([3], 2)).toEqual([[{ index: 0, span: 2 }]]);
    expect(packRows([], 2)).toEqual([]);
  });

  it('refuses a grid without columns', () => {
    expect(() => packRows([1], 0)).toThrow(/column/);
  });
});

describe('the clock', () => {
  const at = new Date(2026, 11, 1, 9, 5, 7).getTime();

  it('shows the date with its weekday', () => {
    expect(formatClockDate(at, 'zh-CN')).toBe('2026年12月1日星期二');
    expect(formatClockDate(at, 'en')).toMatch(/^Tuesday,? 1 December 2026$/);
  });
});
