import { describe, expect, it } from 'vitest';
import { describeProcess } from './system.js';

describe('describeProcess', () => {
  it('says a backing-off child restarts, why it exited and when it starts again', () => {
    const now = Date.parse('2026-12-01T10:00:00Z');
    expect(
      describeProcess(
        {
          name: 'lab',
          state: 'backing-off',
          pid: null,
          restarts: 5,
          consecutiveFailures: 5,
          startedAt: '2026-12-01T09:59:59Z',
          lastExit: {
            at: '2026-12-01T09:59:59Z',
            code: 1,
            signal: null,
            reason: 'cannot bind udp: address in use',
          },
          nextRestartAt: '2026-12-01T10:00:16Z',
        },
        now,
      ),
    ).toBe(
      'lab: backing off, 5 restarts, last exit code 1: cannot bind udp: address in use, next start in 16 s',
    );
    expect(
      describeProcess(
        {
          name: 'host agent',
          state: 'running',
          pid: 10,
          restarts: 0,
          consecutiveFailures: 0,
          startedAt: '2026-12-01T09:00:00Z',
          lastExit: null,
          nextRestartAt: null,
        },
        now,
      ),
    ).toBe('host agent: running');
  });
});
