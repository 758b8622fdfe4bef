import { describe, expect, it } from 'vitest';
import { InputError } from '../errors.js';
import { planRange } from './query.js';

describe('flow query time ranges', () => {
  const now = Date.parse('2026-12-01T10:30:20Z');

  it('defaults to the last hour up to the next minute, on the minute table', () => {
    expect(planRange(undefined, undefined, now)).toEqual({
      from: Date.parse('2026-12-01T09:31:00Z'),
      to: Date.parse('2026-12-01T10:31:00Z'),
      table: 'flows_1m',
      grain: 60_000,
    });
  });

  it('reads the hourly roll-up over 48 h, aligned to the hour', () => {
    expect(planRange('2026-11-28T10:15:00Z', '2026-12-01T10:15:00Z', now)).toEqual({
      from: Date.parse('2026-11-28T10:00:00Z'),
      to: Date.parse('2026-12-01T11:00:00Z'),
      table: 'flows_1h',
      grain: 3_600_000,
    });
    expect(planRange('2026-11-29T10:15:00Z', '2026-12-01T10:15:00Z', now).table).toBe('flows_1m');
  });

  it('refuses a range that is reversed, too long, or not a time, with flows.range', () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(InputError);
        return `${(err as InputError).code}: ${(err as Error).message}`;
      }
      return 'no error';
    };
    expect(code(() => planRange('2026-12-01T10:00:00Z', '2026-12-01T09:00:00Z', now))).toBe(
      'flows.range: from (2026-12-01T10:00:00.000Z) must be before to (2026-12-01T09:00:00.000Z)',
    );
    expect(code(() => planRange('2024-01-01T00:00:00Z', undefined, now))).toBe(
      'flows.range: the time range is longer than 400 days',
    );
    expect(code(() => planRange('yesterday', undefined, now))).toBe(
      'flows.range: from: "yesterday" is not an ISO 8601 time',
    );
  });
});
