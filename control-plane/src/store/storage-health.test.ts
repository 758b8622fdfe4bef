import { describe, expect, it } from 'vitest';
import type { AlarmCondition, AlarmSink } from '../alerting/index.js';
import { StorageFullError } from '../errors.js';
import { createLogger } from '../logger.js';
import { StorageHealth } from './storage-health.js';

/** An alarm sink that, like the real one, cannot write while the state store is full. */
class RecordingSink implements AlarmSink {
  stateFull = false;
  readonly events: { event: 'fire' | 'resolve'; targetId: string; at: Date }[] = [];
  async fire(c: AlarmCondition, at = new Date()): Promise<void> {
    if (this.stateFull) throw new StorageFullError('state', 'disk full (SQLSTATE 53100)');
    this.events.push({ event: 'fire', targetId: c.targetId, at });
  }
  async resolve(_kind: string, _type: string, targetId: string, at = new Date()): Promise<void> {
    if (this.stateFull) throw new StorageFullError('state', 'disk full (SQLSTATE 53100)');
    this.events.push({ event: 'resolve', targetId, at });
  }
}

const diskFull = () =>
  Object.assign(new Error('could not extend file "base/5/16385": No space left on device'), {
    code: '53100',
  });

function health(sink: RecordingSink, probeFails: () => boolean) {
  const h = new StorageHealth({
    log: createLogger('silent'),
    settings: { minFreeMegabytes: 0, checkIntervalSeconds: 1 },
  });
  h.useAlarms(sink, async () => 'province');
  h.useProbes({
    state: async () => {
      if (probeFails()) throw h.failed('state', diskFull());
      h.wrote('state');
    },
  });
  return h;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('StorageHealth', () => {
  it('checks its settings at once', () => {
    expect(
      () =>
        new StorageHealth({
          log: createLogger('silent'),
          settings: { minFreeMegabytes: -1, checkIntervalSeconds: 1 },
        }),
    ).toThrow(/minFreeMegabytes/);
  });

  it('keeps the alarm in memory while the state store is full, stores it when space returns, then resolves it', async () => {
    const sink = new RecordingSink();
    sink.stateFull = true;
    const h = health(sink, () => sink.stateFull);

    const err = h.failed('state', diskFull());
    expect(err).toBeInstanceOf(StorageFullError);
    await h.check();
    expect(h.conditions()).toMatchObject([{ store: 'state', sources: ['write'], alarm: 'pending' }]);
    const since = new Date(h.conditions()[0]!.since);
    expect(sink.events).toEqual([]);

    // Space returns: after a quiet interval the probe's write ends the condition; the alarm is
    // stored with the time the condition began, then resolved.
    sink.stateFull = false;
    await sleep(1100);
    await h.check();
    await h.check();
    expect(h.conditions()).toEqual([]);
    expect(sink.events.map((e) => [e.event, e.targetId])).toEqual([
      ['fire', 'state'],
      ['resolve', 'state'],
    ]);
    expect(sink.events[0]!.at).toEqual(since);
  });

  it('stores the alarm at once when only the telemetry store is full, and passes other failures through', async () => {
    const sink = new RecordingSink();
    const h = health(sink, () => false);
    const other = new Error('syntax error');
    expect(h.failed('telemetry', other)).toBe(other);
    expect(h.conditions()).toEqual([]);
    h.failed(
      'telemetry',
      new Error('Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space. (NOT_ENOUGH_SPACE)'),
    );
    await h.check();
    expect(h.conditions()).toMatchObject([{ store: 'telemetry', alarm: 'firing' }]);
    expect(sink.events.map((e) => e.event)).toEqual(['fire']);
    // A write right after a failure does not end it (no flapping); one after a quiet interval does.
    h.wrote('telemetry');
    expect(h.conditions()).toHaveLength(1);
    await sleep(1100);
    h.wrote('telemetry');
    await h.check();
    expect(h.conditions()).toEqual([]);
    expect(sink.events.map((e) => e.event)).toEqual(['fire', 'resolve']);
  });
});
