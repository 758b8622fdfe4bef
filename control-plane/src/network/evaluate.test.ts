import { describe, expect, it } from 'vitest';
import {
  activeMember,
  evaluate,
  evaluateDevicePoll,
  pairKey,
  flapWindow,
  interfaceKey,
  saturation,
  tierVerdict,
  type DeviceSnapshot,
  type EvaluationInput,
  type InterfaceSnapshot,
  type LinkDef,
  type LinkState,
  type PairState,
} from './evaluate.js';
import { DEFAULT_NETWORK_POLICY as policy } from './policy.js';

const T0 = 1_700_000_000_000;
const STALE = 90_000;

function link(
  id: string,
  role: 'primary' | 'backup',
  plane: 'A' | 'B',
  over: Partial<LinkDef> = {},
): LinkDef {
  const n = id === 'p' ? 1 : 2;
  return {
    id,
    name: `link ${id}`,
    orgUnitId: 'sc-cd-jj',
    level: 'county',
    role,
    plane,
    pairId: 'pair-1',
    targetMbps: null,
    a: { deviceId: 'agg', deviceName: 'agg', ifIndex: 10 + n, ifName: `g${n}`, inventorySpeedMbps: 1000 },
    b: { deviceId: 'acc', deviceName: 'acc', ifIndex: n, ifName: `u${n}`, inventorySpeedMbps: 1000 },
    ...over,
  };
}

const P = link('p', 'primary', 'A');
const B = link('b', 'backup', 'B');

function sample(
  oper: string,
  inBps: number | null,
  outBps: number | null,
  at = T0,
  speed = 1000,
): InterfaceSnapshot {
  return {
    ifName: 'x',
    operStatus: oper,
    adminStatus: 'up',
    speedMbps: speed,
    inBps,
    outBps,
    inErrorsPs: 0,
    outErrorsPs: 0,
    polledAt: at,
  };
}

/** Both ends of a link with the same status; side B sees the mirror of side A's traffic. */
function ends(l: LinkDef, oper: string, inBps: number | null, outBps: number | null, at = T0, speed = 1000) {
  return [
    [interfaceKey(l.a.deviceId, l.a.ifIndex), sample(oper, inBps, outBps, at, speed)],
    [interfaceKey(l.b.deviceId, l.b.ifIndex), sample(oper, outBps, inBps, at, speed)],
  ] as [string, InterfaceSnapshot][];
}

function input(
  interfaces: [string, InterfaceSnapshot][],
  over: Partial<EvaluationInput> = {},
): EvaluationInput {
  return {
    links: [P, B],
    interfaces: new Map(interfaces),
    devices: new Map(),
    previous: new Map(),
    previousPairs: new Map(),
    policy,
    now: T0,
    staleAfterMs: STALE,
    ...over,
  };
}

/** Runs evaluations one after another, feeding each result's state into the next. */
function sequence(steps: { at: number; interfaces: [string, InterfaceSnapshot][]; links?: LinkDef[] }[]) {
  let previous = new Map<string, LinkState>();
  let previousPairs = new Map<string, PairState>();
  const results = [];
  for (const s of steps) {
    const r = evaluate(
      input(s.interfaces, { now: s.at, previous, previousPairs, ...(s.links ? { links: s.links } : {}) }),
    );
    previous = r.links;
    previousPairs = r.pairs;
    results.push(r);
  }
  return results;
}

const kinds = (r: ReturnType<typeof evaluate>) =>
  r.alarms.map((a) => (a.action === 'fire' ? `fire ${a.condition.kind}` : `resolve ${a.kind}`)).sort();

describe('link status', () => {
  it('is up when both ends are up, or the only polled end is up', () => {
    const both = evaluate(input(ends(P, 'up', 1e6, 1e6)));
    expect(both.links.get('p')!.status).toBe('up');
    const oneEnd = evaluate(input([[interfaceKey('agg', 11), sample('up', 0, 0)]]));
    expect(oneEnd.links.get('p')!.status).toBe('up');
  });

  it('is down when either end is down (also lowerLayerDown or admin down)', () => {
    const r = evaluate(
      input([
        [interfaceKey('agg', 11), sample('up', 0, 0)],
        [interfaceKey('acc', 1), sample('lowerLayerDown', 0, 0)],
      ]),
    );
    expect(r.links.get('p')!.status).toBe('down');
    const admin = evaluate(
      input([[interfaceKey('agg', 11), { ...sample('down', 0, 0), adminStatus: 'down' }]]),
    );
    expect(admin.links.get('p')!.status).toBe('down');
    expect(admin.events[0]!.detail).toMatch(/administratively down/);
  });

  it('is unknown without data, with stale data, or when the devices are unreachable', () => {
    expect(evaluate(input([])).links.get('p')!.status).toBe('unknown');
    const stale = evaluate(input(ends(P, 'up', 0, 0, T0 - STALE - 1)));
    expect(stale.links.get('p')!.status).toBe('unknown');
    const unreachable: DeviceSnapshot = {
      reachable: false,
      consecutiveFailures: 1,
      polledAt: T0,
      unreachableAlarm: false,
    };
    const r = evaluate(
      input(ends(P, 'up', 0, 0), {
        devices: new Map([
          ['agg', unreachable],
          ['acc', unreachable],
        ]),
      }),
    );
    expect(r.links.get('p')!.status).toBe('unknown');
    expect(r.links.get('p')!.bps).toBeNull();
  });

  it('measures from side A, falls back to side B mirrored, and takes the smaller ifHighSpeed', () => {
    const r = evaluate(
      input([
        [interfaceKey('agg', 11), sample('up', 300e6, 100e6, T0, 1000)],
        [interfaceKey('acc', 1), sample('up', 100e6, 300e6, T0, 100)],
      ]),
    );
    const s = r.links.get('p')!;
    expect(s.speedMbps).toBe(100);
    expect(s.bps).toEqual({ in: 300e6, out: 100e6 });
    expect(s.utilisation).toEqual({ inPercent: 300, outPercent: 100, maxPercent: 300 });
    const onlyB = evaluate(input([[interfaceKey('acc', 1), sample('up', 5e6, 7e6)]]));
    expect(onlyB.links.get('p')!.bps).toEqual({ in: 7e6, out: 5e6 });
  });
});

describe('active member and failover', () => {
  it('picks the member carrying traffic; when both idle, the primary if it is up', () => {
    const idle = evaluate(input([...ends(P, 'up', 0, 0), ...ends(B, 'up', 0, 0)]));
    expect(idle.links.get('p')!.active).toBe(true);
    expect(idle.links.get('b')!.active).toBe(false);
    expect(idle.pairs.get(pairKey('sc-cd-jj', 'pair-1'))!.failedOver).toBe(false);
    // Below max(1 % of 1 Gbit/s, 1 Mbit/s) = 10 Mbit/s the backup is idle.
    const trickle = evaluate(input([...ends(P, 'up', 0, 0), ...ends(B, 'up', 9e6, 0)]));
    expect(trickle.links.get('p')!.active).toBe(true);
    const backupBusy = evaluate(input([...ends(P, 'up', 0, 0), ...ends(B, 'up', 200e6, 50e6)]));
    expect(backupBusy.links.get('b')!.active).toBe(true);
    expect(backupBusy.pairs.get(pairKey('sc-cd-jj', 'pair-1'))!.failedOver).toBe(true);
  });

  it('records failover and failback and raises and clears failed-over, link-down and redundancy-lost', () => {
    const t1 = T0 + 30_000;
    const t2 = T0 + 60_000;
    const [normal, failed, recovered] = sequence([
      { at: T0, interfaces: [...ends(P, 'up', 300e6, 100e6, T0), ...ends(B, 'up', 0, 0, T0)] },
      { at: t1, interfaces: [...ends(P, 'down', 0, 0, t1), ...ends(B, 'up', 300e6, 100e6, t1)] },
      { at: t2, interfaces: [...ends(P, 'up', 300e6, 100e6, t2), ...ends(B, 'up', 0, 0, t2)] },
    ]);
    expect(normal!.events).toEqual([]);
    expect(kinds(normal!)).toEqual([]);

    expect(failed!.links.get('p')!).toMatchObject({ status: 'down', active: false, failedOver: true });
    expect(failed!.links.get('b')!).toMatchObject({ status: 'up', active: true, failedOver: true });
    expect(failed!.pairs.get(pairKey('sc-cd-jj', 'pair-1'))!).toMatchObject({
      failedOver: true,
      degraded: true,
      planesDown: ['A'],
    });
    expect(failed!.events.map((e) => `${e.linkId} ${e.event}`).sort()).toEqual([
      'b failover',
      'p down',
      'p failover',
    ]);
    expect(kinds(failed!)).toEqual(['fire failed-over', 'fire link-down', 'fire redundancy-lost']);
    const down = failed!.alarms.find((a) => a.action === 'fire' && a.condition.kind === 'link-down');
    expect(down).toMatchObject({
      condition: { severity: 'critical', targetType: 'link', targetId: 'p', orgUnitId: 'sc-cd-jj' },
    });

    expect(recovered!.pairs.get(pairKey('sc-cd-jj', 'pair-1'))!).toMatchObject({
      failedOver: false,
      degraded: false,
      activeLinkId: 'p',
    });
    expect(recovered!.events.map((e) => `${e.linkId} ${e.event}`).sort()).toEqual([
      'b failback',
      'p failback',
      'p up',
    ]);
    expect(kinds(recovered!)).toEqual([
      'resolve failed-over',
      'resolve link-down',
      'resolve redundancy-lost',
    ]);
  });

  it('chooses the primary when it is up and both carry traffic; no active member when both are down', () => {
    const busy = { status: 'up', bps: { in: 500e6, out: 0 }, speedMbps: 1000 } as LinkState;
    expect(activeMember({ id: 'p', state: busy }, { id: 'b', state: busy })).toBe('p');
    const down = { status: 'down', bps: null, speedMbps: 1000 } as LinkState;
    expect(activeMember({ id: 'p', state: down }, { id: 'b', state: down })).toBeNull();
  });
});

describe('redundancy', () => {
  it('is degraded by the backup being down while the primary is up, with a major link-down', () => {
    const r = evaluate(input([...ends(P, 'up', 100e6, 0), ...ends(B, 'down', 0, 0)]));
    expect(r.pairs.get(pairKey('sc-cd-jj', 'pair-1'))!).toMatchObject({
      degraded: true,
      failedOver: false,
      planesDown: ['B'],
    });
    expect(r.pairs.get(pairKey('sc-cd-jj', 'pair-1'))!.reasons).toEqual(['backup-down', 'plane-down']);
    const down = r.alarms.find((a) => a.action === 'fire' && a.condition.kind === 'link-down');
    expect(down).toMatchObject({ condition: { severity: 'major', targetId: 'b' } });
    expect(kinds(r)).toEqual(['fire link-down', 'fire redundancy-lost']);
  });

  it('is degraded when the member of one plane is down, and not degraded while the status is unknown', () => {
    const planeDown = evaluate(input([...ends(P, 'down', 0, 0), ...ends(B, 'up', 0, 0)]));
    expect(planeDown.pairs.get(pairKey('sc-cd-jj', 'pair-1'))!).toMatchObject({
      degraded: true,
      reasons: ['plane-down'],
      planesDown: ['A'],
    });
    const unknown = evaluate(input([...ends(P, 'up', 0, 0)]));
    expect(unknown.pairs.get(pairKey('sc-cd-jj', 'pair-1'))!.degraded).toBe(false);
  });

  it('calls a pair without a backup not redundant', () => {
    const r = evaluate(input(ends(P, 'up', 0, 0), { links: [P] }));
    expect(r.pairs.get(pairKey('sc-cd-jj', 'pair-1'))!).toMatchObject({
      degraded: true,
      reasons: ['no-backup'],
    });
  });
});

describe('bandwidth tiers', () => {
  it('checks each level against its target and honours the link override', () => {
    expect(tierVerdict('backbone', null, 10_000, policy)).toEqual({
      targetMbps: 10_000,
      actualMbps: 10_000,
      verdict: 'ok',
    });
    expect(tierVerdict('backbone', null, 1000, policy).verdict).toBe('below');
    expect(tierVerdict('city', null, 10_000, policy).verdict).toBe('ok');
    expect(tierVerdict('county', null, 1000, policy).verdict).toBe('ok');
    expect(tierVerdict('county', null, 100, policy).verdict).toBe('below');
    expect(tierVerdict('township', null, 100, policy).verdict).toBe('ok');
    expect(tierVerdict('department', null, 100, policy).verdict).toBe('below');
    expect(tierVerdict('township', 1000, 100, policy)).toEqual({
      targetMbps: 1000,
      actualMbps: 100,
      verdict: 'below',
    });
    expect(tierVerdict('county', null, null, policy).verdict).toBe('unknown');
  });

  it('uses the polled speed over the inventory speed and raises below-tier once', () => {
    const [first, second] = sequence([
      { at: T0, interfaces: ends(P, 'up', 0, 0, T0, 100), links: [P] },
      { at: T0 + 30_000, interfaces: ends(P, 'up', 0, 0, T0 + 30_000, 100), links: [P] },
    ]);
    expect(first!.links.get('p')!.tier).toEqual({ targetMbps: 1000, actualMbps: 100, verdict: 'below' });
    expect(kinds(first!)).toEqual(['fire below-tier', 'fire redundancy-lost']);
    expect(kinds(second!)).toEqual([]);
    const notPolled = evaluate(input([], { links: [P] }));
    expect(notPolled.links.get('p')!.tier).toEqual({ targetMbps: 1000, actualMbps: 1000, verdict: 'ok' });
  });
});

describe('flapping', () => {
  it('counts status changes in the window', () => {
    expect(flapWindow([T0 - 700_000, T0 - 500_000, T0 - 1000], T0, policy)).toEqual({
      changes: [T0 - 500_000, T0 - 1000],
      flapping: false,
    });
    expect(
      flapWindow(
        [1, 2, 3, 4].map((i) => T0 - i * 1000),
        T0,
        policy,
      ).flapping,
    ).toBe(true);
  });

  it('flags a link flapping after four changes within ten minutes and clears it once the window passes', () => {
    const steps = [];
    const states = ['up', 'down', 'up', 'down', 'up'];
    for (let i = 0; i < states.length; i++) {
      const at = T0 + i * 30_000;
      steps.push({ at, interfaces: ends(P, states[i]!, 0, 0, at), links: [P] });
    }
    const quiet = T0 + 4 * 30_000 + 601_000;
    steps.push({ at: quiet, interfaces: ends(P, 'up', 0, 0, quiet), links: [P] });
    const results = sequence(steps);
    expect(results[3]!.links.get('p')!.flapping).toBe(false);
    expect(results[4]!.links.get('p')!.flapping).toBe(true);
    expect(results[4]!.events.map((e) => e.event)).toEqual(['up', 'flap']);
    expect(kinds(results[4]!)).toContain('fire link-flapping');
    expect(results[5]!.links.get('p')!.flapping).toBe(false);
    expect(kinds(results[5]!)).toEqual(['resolve link-flapping']);
  });
});

describe('saturation', () => {
  it('needs the threshold held for the configured duration', () => {
    expect(saturation(95, null, T0, policy)).toEqual({ since: T0, saturated: false });
    expect(saturation(95, T0, T0 + 299_000, policy)).toEqual({ since: T0, saturated: false });
    expect(saturation(95, T0, T0 + 300_000, policy)).toEqual({ since: T0, saturated: true });
    expect(saturation(50, T0, T0 + 400_000, policy)).toEqual({ since: null, saturated: false });
  });

  it('raises link-saturated after five minutes at 95 % and resolves it when traffic drops', () => {
    const steps = [];
    for (let i = 0; i <= 10; i++) {
      const at = T0 + i * 30_000;
      steps.push({ at, interfaces: ends(P, 'up', 950e6, 10e6, at), links: [P] });
    }
    const at = T0 + 11 * 30_000;
    steps.push({ at, interfaces: ends(P, 'up', 100e6, 10e6, at), links: [P] });
    const results = sequence(steps);
    expect(results[9]!.links.get('p')!.saturated).toBe(false);
    expect(results[10]!.links.get('p')!.saturated).toBe(true);
    expect(kinds(results[10]!)).toEqual(['fire link-saturated']);
    expect(kinds(results[11]!)).toEqual(['resolve link-saturated']);
  });
});

describe('device reachability', () => {
  it('raises device-unreachable after the configured failed polls and resolves on the next answer', () => {
    const dev = { id: 'agg', name: 'agg', orgUnitId: 'sc-cd' };
    const one = evaluateDevicePoll(undefined, { reachable: false, polledAt: T0 }, dev, policy);
    expect(one.alarms).toEqual([]);
    const two = evaluateDevicePoll(
      one.state,
      { reachable: false, polledAt: T0 + 30_000, error: 'timeout' },
      dev,
      policy,
    );
    expect(two.alarms).toMatchObject([
      { action: 'fire', condition: { kind: 'device-unreachable', severity: 'critical' } },
    ]);
    const three = evaluateDevicePoll(two.state, { reachable: false, polledAt: T0 + 60_000 }, dev, policy);
    expect(three.alarms).toEqual([]);
    const back = evaluateDevicePoll(three.state, { reachable: true, polledAt: T0 + 90_000 }, dev, policy);
    expect(back.alarms).toEqual([
      { action: 'resolve', kind: 'device-unreachable', targetType: 'device', targetId: 'agg' },
    ]);
    expect(back.state.consecutiveFailures).toBe(0);
  });
});

describe('poll failures', () => {
  const dev = { id: 'acc', name: 'acc', orgUnitId: 'sc-cd' };
  const p = { ...policy, pollFailed: { afterFailedPolls: 3 } };
  it('raises device-poll-failed after three failures of any other kind, naming the reason, and not on partial answers', () => {
    let state;
    const kinds: string[][] = [];
    for (const [i, outcome] of (['agent-error', 'error', 'agent-error', 'agent-error'] as const).entries()) {
      const r = evaluateDevicePoll(
        state,
        { reachable: true, polledAt: T0 + i * 1000, outcome, error: 'sysUpTime.0: noSuchInstance' },
        dev,
        p,
      );
      state = r.state;
      kinds.push(
        r.alarms.map((a) => (a.action === 'fire' ? `fire ${a.condition.kind}` : `resolve ${a.kind}`)),
      );
      expect(r.state.reachable).toBe(false);
    }
    expect(kinds).toEqual([[], [], ['fire device-poll-failed'], []]);
    const partial = evaluateDevicePoll(
      state,
      { reachable: true, polledAt: T0 + 5000, outcome: 'partial' },
      dev,
      p,
    );
    expect(partial.state).toMatchObject({ reachable: true, consecutiveFailures: 0, pollFailedAlarm: false });
    expect(partial.alarms).toEqual([
      { action: 'resolve', kind: 'device-poll-failed', targetType: 'device', targetId: 'acc' },
    ]);
  });

  it('names the outcome and reason in the alarm', () => {
    let state;
    let fired;
    for (let i = 0; i < 3; i++) {
      const r = evaluateDevicePoll(
        state,
        { reachable: true, polledAt: T0 + i, outcome: 'auth', error: 'usmStatsWrongDigests' },
        dev,
        p,
      );
      state = r.state;
      fired = r.alarms[0];
    }
    expect(fired).toMatchObject({
      action: 'fire',
      condition: {
        kind: 'device-poll-failed',
        labels: { outcome: 'auth', reason: 'usmStatsWrongDigests' },
        summary: expect.stringContaining('(auth): usmStatsWrongDigests'),
      },
    });
  });

  it('reads an older agent without outcome: unreachable is a timeout, an error an error', () => {
    const t1 = evaluateDevicePoll(undefined, { reachable: false, polledAt: T0 }, dev, p);
    expect(t1.state.reachable).toBe(false);
    const two = evaluateDevicePoll(t1.state, { reachable: false, polledAt: T0 + 1 }, dev, p);
    expect(two.alarms.map((a) => (a.action === 'fire' ? a.condition.kind : a.kind))).toEqual([
      'device-unreachable',
    ]);
  });
});
