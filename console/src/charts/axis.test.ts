import { describe, expect, it } from 'vitest';
import { formatValue, niceByteStep, niceDecimalStep, valueAxis, valueUnits } from './axis.js';
import type { ValueUnit } from './axis.js';

const magnitudes = [0, 0.3, 7, 999, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12];
const awkward = [1.1, 3.7, 12.5, 1001, 1023, 1025, 1536, 123_456, 9.99e8, 1.234e9, 3.2 * 1024 ** 3, 7.77e11];

const unitPattern: Record<ValueUnit, RegExp> = {
  bitRate: / [kMGTP]?bit\/s$/,
  bytes: / (B|KiB|MiB|GiB|TiB|PiB)$/,
  percent: /%$/,
  perSecond: /\/s$/,
  number: /^-?[\d.,]+$/,
};

describe('valueAxis', () => {
  for (const unit of valueUnits) {
    for (const max of [...magnitudes, ...awkward]) {
      it(`${unit}: data up to ${max} gets distinct labels with the unit and a round top above the data`, () => {
        const axis = valueAxis(unit, max);
        expect(axis.min).toBe(0);
        expect(axis.max).toBeGreaterThanOrEqual(max);
        expect(axis.interval).toBeGreaterThan(0);
        expect(axis.ticks[0]).toBe(0);
        expect(axis.ticks[axis.ticks.length - 1]).toBe(axis.max);
        expect(axis.ticks.length).toBeGreaterThanOrEqual(2);
        expect(axis.ticks.length).toBeLessThanOrEqual(9);
        for (let i = 1; i < axis.ticks.length; i++) {
          expect(axis.ticks[i]! - axis.ticks[i - 1]!).toBeCloseTo(axis.interval, 6);
        }
        const labels = axis.ticks.map(axis.label);
        expect(new Set(labels).size, labels.join(' | ')).toBe(labels.length);
        for (const label of labels) expect(label).toMatch(unitPattern[unit]);
      });
    }
  }

  it('labels an idle host network axis 0 … 1 bit/s, never 0, 1, 1', () => {
    const axis = valueAxis('bitRate', 0);
    expect(axis.max).toBe(1);
    const labels = axis.ticks.map(axis.label);
    expect(labels[0]).toBe('0 bit/s');
    expect(labels[labels.length - 1]).toBe('1 bit/s');
    expect(labels).toEqual(['0 bit/s', '0.25 bit/s', '0.5 bit/s', '0.75 bit/s', '1 bit/s']);
  });

  it('gives all-zero or missing data the axis 0 … 1 unit', () => {
    expect(valueAxis('bytes', 0).max).toBe(1);
    expect(valueAxis('number', undefined).max).toBe(1);
    expect(valueAxis('perSecond', Number.NaN).max).toBe(1);
    expect(valueAxis('bytes', 0).ticks.map(valueAxis('bytes', 0).label)).toEqual(['0 B', '1 B']);
  });

  it('writes bit rates exactly across prefixes (1000-based)', () => {
    const axis = valueAxis('bitRate', 1.3e6);
    expect(axis.ticks.map(axis.label)).toEqual(['0 bit/s', '500 kbit/s', '1 Mbit/s', '1.5 Mbit/s']);
    const small = valueAxis('bitRate', 2300);
    expect(small.ticks.map(small.label)).toEqual(['0 bit/s', '1 kbit/s', '2 kbit/s', '3 kbit/s']);
  });

  it('steps bytes in powers of two (1024-based)', () => {
    const axis = valueAxis('bytes', 3.2 * 1024 ** 3);
    expect(axis.interval).toBe(1024 ** 3);
    expect(axis.ticks.map(axis.label)).toEqual(['0 B', '1 GiB', '2 GiB', '3 GiB', '4 GiB']);
    const mib = valueAxis('bytes', 700 * 1024 ** 2);
    expect(mib.ticks.map(mib.label)).toEqual(['0 B', '256 MiB', '512 MiB', '768 MiB']);
  });

  it('keeps a fixed maximum such as 100 % and grows past it when the data does', () => {
    const axis = valueAxis('percent', 0.3, 100);
    expect(axis.ticks.map(axis.label)).toEqual(['0%', '25%', '50%', '75%', '100%']);
    expect(valueAxis('percent', 130, 100).max).toBeGreaterThanOrEqual(130);
  });

  it('refuses an unknown unit and a bad fixed maximum', () => {
    expect(() => valueAxis('furlongs' as ValueUnit, 1)).toThrow(/unknown chart unit/);
    expect(() => valueAxis('percent', 1, 0)).toThrow(/invalid axis maximum/);
    expect(() => valueAxis('percent', 1, Number.POSITIVE_INFINITY)).toThrow(/invalid axis maximum/);
  });
});

describe('nice steps', () => {
  it('rounds decimal steps up to 1, 2, 2.5 or 5 × 10ⁿ', () => {
    expect([0.07, 0.3, 1.7, 2.2, 4, 7, 120, 2.4e9].map(niceDecimalStep)).toEqual([
      0.1, 0.5, 2, 2.5, 5, 10, 200, 2.5e9,
    ]);
  });

  it('rounds byte steps up to a power of two, at least half the axis prefix', () => {
    expect(niceByteStep(100, 400)).toBe(128);
    expect(niceByteStep(0.3 * 1024 ** 3, 1.2 * 1024 ** 3)).toBe(512 * 1024 ** 2);
  });
});

describe('formatValue', () => {
  it('writes the exact value with its unit for tooltips', () => {
    expect(formatValue('bitRate', 1_234_567)).toBe('1.23 Mbit/s');
    expect(formatValue('bytes', 1536)).toBe('1.5 KiB');
    expect(formatValue('percent', 42.25)).toBe('42.3%');
    expect(formatValue('percent', 0.37)).toBe('0.37%');
    expect(formatValue('perSecond', 0.125)).toBe('0.125/s');
    expect(formatValue('number', 1.5)).toBe('1.5');
  });

  it('writes a dash for a gap', () => {
    expect(formatValue('bitRate', null)).toBe('—');
    expect(formatValue('bytes', Number.NaN)).toBe('—');
  });
});
