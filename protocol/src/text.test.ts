import { describe, expect, it } from 'vitest';
import { ReportBatch } from './report.js';
import { findUnsafeValue, isSafeText, text } from './text.js';

describe('safe text', () => {
  it('refuses NUL and lone surrogates but keeps paired ones', () => {
    expect(isSafeText('plain 天枢 😀')).toBe(true);
    expect(isSafeText('a\u0000b')).toBe(false);
    expect(isSafeText('\ud800')).toBe(false);
    expect(isSafeText('x\udfff')).toBe(false);
    expect(text().max(5).safeParse('a\u0000').success).toBe(false);
  });

  it('names the first unsafe field, key or over-deep value without recursion', () => {
    expect(findUnsafeValue({ a: [{ b: 'ok' }, { c: 'x\u0000' }] })).toEqual({
      path: 'a.1.c',
      message: expect.stringMatching(/NUL/),
    });
    expect(findUnsafeValue({ ['k\u0000']: 1 })?.path).toBe('k\uFFFD');
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(findUnsafeValue({ d: deep })?.message).toMatch(/nested more than 64/);
    expect(findUnsafeValue({ a: 1, b: [true, null, 'fine'] })).toBeUndefined();
    expect(findUnsafeValue(JSON.parse('{"labels": {"__proto__": "x"}}'))).toEqual({
      path: 'labels.__proto__',
      message: 'field name "__proto__" is not allowed',
    });
  });

  it('report batches refuse a NUL in a host name or label', () => {
    const batch = (host: string, labels: Record<string, string>) => ({
      batchId: '00000000-0000-4000-8000-000000000000',
      sequence: 1,
      createdAt: new Date().toISOString(),
      payloads: [{ kind: 'host-metrics', host, series: [{ name: 'x', labels, points: [[1, 1]] }] }],
    });
    expect(ReportBatch.safeParse(batch('h', { a: 'b' })).success).toBe(true);
    const host = ReportBatch.safeParse(batch('h\u0000', {}));
    expect(host.error?.issues[0]?.path).toEqual(['payloads', 0, 'host']);
    const label = ReportBatch.safeParse(batch('h', { a: '\ud800' }));
    expect(label.error?.issues[0]?.path).toEqual(['payloads', 0, 'series', 0, 'labels', 'a']);
  });
});
