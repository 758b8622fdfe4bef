/**
 * Value axes for any magnitude (0 … 10¹² and beyond): a round maximum and interval for the unit,
 * and a label formatter whose labels carry the unit, show every tick exactly and never repeat.
 * Pure functions, unit-tested.
 */
import { msg, str } from '@lit/localize';
import { formatBitRate, formatBytes, formatNumber, formatPercent } from '../common/format.js';

/**
 * What a chart's values measure: `percent` (0–100), `bytes` (1024-based prefixes), `bitRate`
 * (bit/s, 1000-based prefixes), `perSecond` (events per second) or a plain `number` (e.g. load).
 */
export type ValueUnit = 'percent' | 'bytes' | 'bitRate' | 'perSecond' | 'number';

export const valueUnits: readonly ValueUnit[] = ['percent', 'bytes', 'bitRate', 'perSecond', 'number'];

export interface ValueAxis {
  min: number;
  max: number;
  interval: number;
  /** The tick values from `min` to `max`, `interval` apart. */
  ticks: number[];
  /** The label of one tick, with its unit. */
  label: (value: number) => string;
}

/** About this many intervals on a value axis. */
const targetIntervals = 4;

/** Rounds a raw step up to 1, 2, 2.5 or 5 times a power of ten. */
export function niceDecimalStep(raw: number): number {
  if (!(raw > 0) || !Number.isFinite(raw)) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / magnitude;
  const nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 2.5 ? 2.5 : fraction <= 5 ? 5 : 10;
  return nice * magnitude;
}

/**
 * A step for byte axes: a power of two bytes, at least half of the binary prefix the axis maximum is
 * written in (so that 1.5 GiB, never 1.25 GiB, appears: `formatBytes` shows one decimal there).
 */
export function niceByteStep(raw: number, max: number): number {
  let step = 1;
  while (step < raw) step *= 2;
  let prefix = 1;
  while (prefix * 1024 <= max) prefix *= 1024;
  return prefix > 1 ? Math.max(step, prefix / 2) : step;
}

/** Decimals needed to write `value` exactly (at most 6). */
function decimalsOf(value: number): number {
  for (let d = 0; d < 6; d++) {
    if (Math.abs(Number(value.toFixed(d)) - value) <= Math.abs(value) * 1e-9) return d;
  }
  return 6;
}

/** `value` divided by the largest power of 1000 not above it, as `formatBitRate` writes it. */
function siMantissa(value: number): number {
  let v = Math.abs(value);
  let prefixes = 0;
  while (v >= 1000 && prefixes < 5) {
    v /= 1000;
    prefixes += 1;
  }
  return v;
}

/** A per-second rate of events, e.g. interface errors: `0.5/s`. */
export function formatPerSecond(value: number, digits = 2): string {
  const n = formatNumber(value, digits);
  return msg(str`${n}/s`, { id: 'charts.unit.perSecond' });
}

/** The exact value as a tooltip shows it, with its unit. */
export function formatValue(unit: ValueUnit, value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return '—';
  switch (unit) {
    case 'percent':
      return formatPercent(value, Math.abs(value) < 10 ? 2 : 1);
    case 'bytes':
      return formatBytes(value);
    case 'bitRate':
      return formatBitRate(value, 2);
    case 'perSecond':
      return formatPerSecond(value, 3);
    case 'number':
      return formatNumber(value, 2);
  }
}

/** The label formatter for ticks `interval` apart, exact for every tick. */
function tickLabel(unit: ValueUnit, ticks: readonly number[]): (value: number) => string {
  switch (unit) {
    case 'bytes':
      return (v) => formatBytes(v);
    case 'bitRate': {
      const digits = Math.max(0, ...ticks.map((t) => decimalsOf(siMantissa(t))));
      return (v) => formatBitRate(v, digits);
    }
    case 'percent': {
      const digits = Math.max(0, ...ticks.map((t) => decimalsOf(t)));
      return (v) => formatPercent(v, digits);
    }
    case 'perSecond': {
      const digits = Math.max(0, ...ticks.map((t) => decimalsOf(t)));
      return (v) => formatPerSecond(v, digits);
    }
    case 'number': {
      const digits = Math.max(0, ...ticks.map((t) => decimalsOf(t)));
      return (v) => formatNumber(v, digits);
    }
  }
}

function ticksOf(max: number, interval: number): number[] {
  const count = Math.round(max / interval);
  // Multiples of 0.1 carry floating-point noise (0.30000000000000004); round to the step's decimals.
  const decimals = decimalsOf(interval);
  const ticks: number[] = [];
  for (let i = 0; i <= count; i++) ticks.push(Number((i * interval).toFixed(decimals)));
  return ticks;
}

/**
 * The value axis from 0 for data whose largest value is `dataMax`: a round maximum at or above it
 * (at or above `fixedMax` too, e.g. 100 for percentages), a round interval for the unit (bytes in
 * powers of two, everything else 1, 2, 2.5 or 5 × 10ⁿ), and labels with the unit. All-zero or
 * missing data gets the axis 0 … 1 unit.
 */
export function valueAxis(unit: ValueUnit, dataMax: number | undefined, fixedMax?: number): ValueAxis {
  if (!valueUnits.includes(unit)) throw new Error(`unknown chart unit: ${String(unit)}`);
  let top = dataMax !== undefined && Number.isFinite(dataMax) && dataMax > 0 ? dataMax : 0;
  if (fixedMax !== undefined) {
    if (!(fixedMax > 0) || !Number.isFinite(fixedMax)) throw new Error(`invalid axis maximum: ${fixedMax}`);
    top = Math.max(top, fixedMax);
  }
  if (top === 0) top = 1;
  const raw = top / targetIntervals;
  let interval = unit === 'bytes' ? niceByteStep(raw, top) : niceDecimalStep(raw);
  for (;;) {
    const max = Math.ceil(top / interval - 1e-9) * interval;
    const ticks = ticksOf(max, interval);
    const label = tickLabel(unit, ticks);
    const labels = ticks.map(label);
    if (new Set(labels).size === labels.length)
      return { min: 0, max: ticks[ticks.length - 1]!, interval, ticks, label };
    // Not expected for the steps above; a wider step still guarantees distinct labels.
    interval = unit === 'bytes' ? interval * 2 : niceDecimalStep(interval * 1.5);
  }
}
