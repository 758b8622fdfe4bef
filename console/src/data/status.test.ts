import { describe, expect, it } from 'vitest';
import { statusMessages } from './status.js';

describe('statusMessages', () => {
  it('says nothing when all is well', () => {
    expect(statusMessages({ shuttingDown: false, storage: [] })).toEqual([]);
  });

  it('names the full store, since when and why, and a pending alarm', () => {
    const [message, ...rest] = statusMessages({
      shuttingDown: false,
      storage: [
        {
          store: 'state',
          sources: ['write'],
          reason: 'disk full (SQLSTATE 53100)',
          since: '2026-03-02T08:15:04.123Z',
          alarm: 'pending',
        },
      ],
    });
    expect(rest).toEqual([]);
    expect(message).toContain('state store');
    expect(message).toContain('2026-03-02 08:15 UTC');
    expect(message).toContain('disk full (SQLSTATE 53100)');
    expect(message).toContain('alarm will be recorded');
  });

  it('says when the server is shutting down', () => {
    expect(statusMessages({ shuttingDown: true, storage: [] })[0]).toMatch(/shutting down/);
  });
});
