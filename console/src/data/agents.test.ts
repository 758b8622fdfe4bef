import { describe, expect, it } from 'vitest';
import { defaultChartAgent, dropReasons, mergeAgentEvent, sortAgents } from './agents.js';
import type { Agent, AgentStatus } from './agents.js';

const agent = (id: string, status: AgentStatus, roles: string[] = ['host']): Agent => ({
  id,
  hostname: id,
  roles,
  orgUnitId: 'ou',
  version: '0.1.0',
  status,
  enrolledAt: '2026-01-01T00:00:00Z',
  lastSeenAt: null,
  lastReportAt: null,
  queue: null,
  latest: null,
});

describe('defaultChartAgent', () => {
  it('prefers an online host agent, then any online agent, then the first', () => {
    expect(
      defaultChartAgent([agent('a', 'offline'), agent('b', 'online', ['edge']), agent('c', 'online')])?.id,
    ).toBe('c');
    expect(defaultChartAgent([agent('a', 'offline'), agent('b', 'online', ['edge'])])?.id).toBe('b');
    expect(defaultChartAgent([agent('a', 'stale', ['edge']), agent('b', 'offline')])?.id).toBe('b');
    expect(defaultChartAgent([])).toBeUndefined();
  });
});

describe('sortAgents', () => {
  it('puts problems first, then orders by hostname', () => {
    const sorted = sortAgents([
      agent('b', 'online'),
      agent('z', 'offline'),
      agent('a', 'online'),
      agent('s', 'stale'),
    ]);
    expect(sorted.map((a) => a.id)).toEqual(['z', 's', 'a', 'b']);
  });
});

describe('mergeAgentEvent', () => {
  it('keeps the latest figures that events do not carry', () => {
    const latest = { cpuPercent: 12, memoryPercent: null, load1: 0.5, at: '2026-01-01T00:00:00Z' };
    const before = { ...agent('a', 'stale'), latest };
    const { latest: _omitted, ...event } = { ...agent('a', 'online'), lastSeenAt: '2026-01-01T00:01:00Z' };
    const merged = mergeAgentEvent(before, event);
    expect(merged.status).toBe('online');
    expect(merged.lastSeenAt).toBe('2026-01-01T00:01:00Z');
    expect(merged.latest).toEqual(latest);
    expect(mergeAgentEvent(undefined, event).latest).toBeNull();
  });
});

describe('dropReasons', () => {
  it('lists the reasons with counts, largest first, and says when an agent gave none', () => {
    expect(dropReasons(null)).toEqual([]);
    expect(dropReasons({ pendingBatches: 0, pendingBytes: 0, droppedBatches: 0 })).toEqual([]);
    expect(
      dropReasons({
        pendingBatches: 0,
        pendingBytes: 0,
        droppedBatches: 11,
        droppedReasons: { full: 2, enospc: 9, write_error: 0 },
      }),
    ).toEqual([
      { reason: 'enospc', label: 'disk full', count: 9 },
      { reason: 'full', label: 'queue full', count: 2 },
    ]);
    expect(dropReasons({ pendingBatches: 0, pendingBytes: 0, droppedBatches: 3 })).toEqual([
      { reason: 'unknown', label: 'reason not reported', count: 3 },
    ]);
  });
});
