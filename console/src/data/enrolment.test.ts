import { describe, expect, it } from 'vitest';
import { enrolCommands, enrolmentTokenState, shellQuote } from './enrolment.js';

const now = Date.parse('2026-03-01T12:00:00Z');
const token = (
  over: Partial<{ revokedAt: string | null; uses: number; maxUses: number; expiresAt: string }>,
) => ({
  revokedAt: null,
  uses: 0,
  maxUses: 1,
  expiresAt: '2026-03-02T12:00:00Z',
  ...over,
});

describe('enrolmentTokenState', () => {
  it('is active while unused, unexpired and not revoked', () => {
    expect(enrolmentTokenState(token({}), now)).toBe('active');
    expect(enrolmentTokenState(token({ uses: 4, maxUses: 5 }), now)).toBe('active');
  });

  it('is used up once the uses reach the maximum', () => {
    expect(enrolmentTokenState(token({ uses: 1, maxUses: 1 }), now)).toBe('used-up');
    expect(enrolmentTokenState(token({ uses: 1, maxUses: 1, expiresAt: '2026-03-01T00:00:00Z' }), now)).toBe(
      'used-up',
    );
  });

  it('is expired at and after its expiry, or when the expiry cannot be read', () => {
    expect(enrolmentTokenState(token({ expiresAt: '2026-03-01T12:00:00Z' }), now)).toBe('expired');
    expect(enrolmentTokenState(token({ expiresAt: '2026-03-01T11:59:59Z' }), now)).toBe('expired');
    expect(enrolmentTokenState(token({ expiresAt: 'soon' }), now)).toBe('expired');
  });

  it('is revoked above everything else', () => {
    const revokedAt = '2026-03-01T10:00:00Z';
    expect(enrolmentTokenState(token({ revokedAt }), now)).toBe('revoked');
    expect(enrolmentTokenState(token({ revokedAt, uses: 1, expiresAt: '2026-01-01T00:00:00Z' }), now)).toBe(
      'revoked',
    );
  });
});

describe('shellQuote', () => {
  it('leaves safe words alone', () => {
    expect(shellQuote('https://tianshu.example:8443')).toBe('https://tianshu.example:8443');
    expect(shellQuote('http://[::1]:8080')).toBe(`'http://[::1]:8080'`);
    expect(shellQuote('tse_AbC-123_x')).toBe('tse_AbC-123_x');
    expect(shellQuote('host,edge')).toBe('host,edge');
  });

  it('single-quotes anything a shell would interpret', () => {
    expect(shellQuote('')).toBe("''");
    expect(shellQuote('https://a b')).toBe(`'https://a b'`);
    expect(shellQuote('https://x/$(rm -rf ~)')).toBe(`'https://x/$(rm -rf ~)'`);
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

describe('enrolCommands', () => {
  it('renders the enrol and run commands with the same roles', () => {
    expect(enrolCommands('https://tianshu.example:8443', 'tse_abc', ['host', 'edge'])).toEqual([
      'tianshu-agent enrol --server https://tianshu.example:8443 --token tse_abc --roles host,edge',
      'tianshu-agent run --roles host,edge',
    ]);
  });

  it('quotes a server location that the shell would otherwise split or expand', () => {
    const [enrol] = enrolCommands('http://[fe80::1]:8080', 'tse_abc', ['edge']);
    expect(enrol).toBe(`tianshu-agent enrol --server 'http://[fe80::1]:8080' --token tse_abc --roles edge`);
  });
});
