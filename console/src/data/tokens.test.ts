import { describe, expect, it } from 'vitest';
import { apiTokenState, metricsExamples } from './tokens.js';

const now = Date.parse('2026-03-01T12:00:00Z');

describe('apiTokenState', () => {
  it('never expires without an expiry', () => {
    expect(apiTokenState({ revokedAt: null, expiresAt: null }, now)).toBe('active');
  });

  it('expires at its expiry and is revoked above all', () => {
    expect(apiTokenState({ revokedAt: null, expiresAt: '2026-03-01T12:00:01Z' }, now)).toBe('active');
    expect(apiTokenState({ revokedAt: null, expiresAt: '2026-03-01T12:00:00Z' }, now)).toBe('expired');
    expect(apiTokenState({ revokedAt: '2026-02-01T00:00:00Z', expiresAt: null }, now)).toBe('revoked');
  });
});

describe('metricsExamples', () => {
  it('sends the token as a bearer credential to /metrics', () => {
    const { curl, prometheus } = metricsExamples('https://tianshu.example:8443', 'tsk_abc');
    expect(curl).toBe(`curl -H 'authorization: Bearer tsk_abc' 'https://tianshu.example:8443/metrics'`);
    expect(prometheus).toContain('scheme: https');
    expect(prometheus).toContain('type: Bearer');
    expect(prometheus).toContain('credentials: "tsk_abc"');
    expect(prometheus).toContain('targets: ["tianshu.example:8443"]');
  });
});
