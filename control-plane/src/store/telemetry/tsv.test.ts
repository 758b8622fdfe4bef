import { describe, expect, it } from 'vitest';
import {
  TsvBuilder,
  countTabSeparatedRows,
  tsvDateTime64Millis,
  tsvDateTimeSeconds,
  tsvEscape,
  tsvFloat,
  tsvInt,
  tsvMap,
  tsvQuoted,
  tsvStringArray,
} from './tsv.js';

// Round trips through the engine are in telemetry.case.ts (chDB and the ClickHouse HTTP interface).
describe('TabSeparated field encoders', () => {
  it('escapes backslash, tab, line feed, carriage return and NUL in String fields, and nothing else', () => {
    expect(tsvEscape('plain 成都市')).toBe('plain 成都市');
    expect(tsvEscape('a\tb\nc\rd\\e\0f')).toBe('a\\tb\\nc\\rd\\\\e\\0f');
    expect(tsvEscape('it\'s "quoted"')).toBe('it\'s "quoted"');
    expect(tsvEscape('\\t')).toBe('\\\\t');
    expect(tsvEscape('')).toBe('');
    // No raw separator survives.
    expect(tsvEscape('x\ty\nz')).not.toMatch(/[\t\n]/);
  });

  it('single-quotes strings inside maps and arrays, escaping the quote as well', () => {
    expect(tsvQuoted("it's")).toBe("'it\\'s'");
    expect(tsvQuoted('a\tb\\')).toBe("'a\\tb\\\\'");
    expect(tsvMap({})).toBe('{}');
    expect(tsvMap({ device: 'eth0', 挂载点: '/数据' })).toBe("{'device':'eth0','挂载点':'/数据'}");
    expect(tsvMap({ "k'": 'v\n' })).toBe("{'k\\'':'v\\n'}");
    expect(tsvStringArray([])).toBe('[]');
    expect(tsvStringArray(['a', "b'"])).toBe("['a','b\\'']");
  });

  it('writes numbers as text, non-finite floats as nan/inf, and refuses unsafe integers', () => {
    expect(tsvFloat(1.5)).toBe('1.5');
    expect(tsvFloat(-2e-7)).toBe('-2e-7');
    expect(tsvFloat(1e21)).toBe('1e+21');
    expect(tsvFloat(Number.NaN)).toBe('nan');
    expect(tsvFloat(Number.POSITIVE_INFINITY)).toBe('inf');
    expect(tsvFloat(Number.NEGATIVE_INFINITY)).toBe('-inf');
    expect(tsvInt(42)).toBe('42');
    expect(tsvInt(18446744073709551615n)).toBe('18446744073709551615');
    expect(() => tsvInt(1.5)).toThrow(/1.5 is not a safe integer/);
    expect(() => tsvInt(2 ** 60)).toThrow(/not a safe integer/);
  });

  it('writes DateTime64(3) as seconds with three decimals and DateTime as seconds', () => {
    expect(tsvDateTime64Millis(1_700_000_000_123)).toBe('1700000000.123');
    expect(tsvDateTime64Millis(1_700_000_000_007)).toBe('1700000000.007');
    expect(tsvDateTime64Millis(1_700_000_000_070)).toBe('1700000000.070');
    expect(tsvDateTime64Millis(1_700_000_000_000)).toBe('1700000000.000');
    expect(tsvDateTime64Millis(0)).toBe('0.000');
    expect(() => tsvDateTime64Millis(-1)).toThrow(/-1 is not a whole non-negative number of milliseconds/);
    expect(() => tsvDateTime64Millis(1.5)).toThrow(/milliseconds/);
    expect(tsvDateTimeSeconds(1_700_000_000)).toBe('1700000000');
    expect(() => tsvDateTimeSeconds(Number.NaN)).toThrow(/seconds/);
  });
});

describe('TsvBuilder', () => {
  it('joins fields with tabs, ends every row with a line feed and counts rows', () => {
    const tsv = new TsvBuilder(3);
    tsv.row(['1', tsvEscape('a\tb'), tsvMap({ k: 'v' })]);
    tsv.line('2\tc\t{}');
    expect(tsv.rows).toBe(2);
    const buffer = tsv.toBuffer();
    expect(buffer.toString('utf8')).toBe("1\ta\\tb\t{'k':'v'}\n2\tc\t{}\n");
    expect(countTabSeparatedRows(buffer)).toBe(2);
  });

  it('refuses a row with the wrong number of fields, naming the row', () => {
    const tsv = new TsvBuilder(2);
    tsv.row(['a', 'b']);
    expect(() => tsv.row(['a'])).toThrow(/TSV row 1 has 1 fields, expected 2/);
    expect(() => new TsvBuilder(0)).toThrow(/at least one column/);
  });

  it('counts a last row without a line feed, and no rows in an empty payload', () => {
    expect(countTabSeparatedRows(Buffer.from('a\nb'))).toBe(2);
    expect(countTabSeparatedRows(new Uint8Array(0))).toBe(0);
    expect(countTabSeparatedRows(Buffer.from('x\n'))).toBe(1);
  });
});
