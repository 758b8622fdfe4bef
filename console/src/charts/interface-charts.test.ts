import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { InterfaceMetrics } from '../data/devices.js';
import type { AppLocale } from '../i18n/locale.js';
import {
  clipInterfaceMetrics,
  interfaceChartKinds,
  interfaceChartLines,
  interfaceChartOption,
  interfaceChartSpec,
  interfaceChartTitle,
} from './interface-charts.js';

// Options are read as plain data, the way ECharts reads them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOption = Record<string, any>;

const t0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const points = (values: number[]): [number, number][] => values.map((v, i) => [t0 + i * 30_000, v]);

const metrics: InterfaceMetrics = {
  stepSeconds: 30,
  series: {
    inBitsPerSecond: points([1e8, 2e8, 3e8]),
    outBitsPerSecond: points([5e7, 6e7, 7e7]),
    inPercent: points([10, 20, 30]),
    outPercent: points([5, 6, 7]),
    inErrorsPerSecond: points([0, 0.5, 1]),
    outErrorsPerSecond: points([0, 0, 0.25]),
    inDiscardsPerSecond: points([2, 0, 0]),
    outDiscardsPerSecond: points([0, 3, 0]),
  },
};

const span = { start: t0, end: t0 + 3_600_000 };
const legendNames = (option: AnyOption): string[] => option.series.map((s: AnyOption) => s.name);

let setLocale: (locale: AppLocale) => Promise<void>;

beforeAll(async () => {
  vi.stubGlobal('window', new EventTarget());
  vi.stubGlobal('document', {
    documentElement: { lang: '' },
    createTreeWalker: () => ({}),
    createComment: () => ({}),
  });
  ({ applyLocale: setLocale } = await import('../i18n/locale.js'));
});

afterAll(() => {
  vi.unstubAllGlobals();
});

describe('interface charts', () => {
  it('take each chart from its own pair of series, in then out', () => {
    expect(interfaceChartLines('bits', metrics).map((l) => l.points)).toEqual([
      metrics.series.inBitsPerSecond,
      metrics.series.outBitsPerSecond,
    ]);
    expect(interfaceChartLines('utilisation', metrics).map((l) => l.points)).toEqual([
      metrics.series.inPercent,
      metrics.series.outPercent,
    ]);
    expect(interfaceChartLines('errors', metrics).map((l) => l.points)).toEqual([
      metrics.series.inErrorsPerSecond,
      metrics.series.outErrorsPerSecond,
    ]);
    expect(interfaceChartLines('discards', metrics).map((l) => l.points)).toEqual([
      metrics.series.inDiscardsPerSecond,
      metrics.series.outDiscardsPerSecond,
    ]);
  });

  it('use the unit of each chart: bit/s, percent up to 100, per second', () => {
    expect(interfaceChartSpec('bits', metrics, span, 'r1 ge-0/0/1').unit).toBe('bitRate');
    expect(interfaceChartSpec('utilisation', metrics, span, 'r1').max).toBe(100);
    expect(interfaceChartSpec('errors', metrics, span, 'r1').unit).toBe('perSecond');
    expect(interfaceChartSpec('discards', metrics, span, 'r1').unit).toBe('perSecond');
    const bits = interfaceChartOption('bits', metrics, span, 'r1') as AnyOption;
    expect(bits.yAxis.axisLabel.formatter(1e8)).toBe('100 Mbit/s');
    expect(bits.series[0].data[2]).toEqual([t0 + 60_000, 3e8]);
    expect((interfaceChartOption('utilisation', metrics, span, 'r1') as AnyOption).yAxis.max).toBe(100);
    expect(interfaceChartSpec('bits', metrics, span, 'r1 lo').fileName).toBe('r1 lo-bits');
  });

  it('cut every series to a zoomed window (one sample beyond each edge) and keep the step', () => {
    const long = (v: number) => points([v, v + 1, v + 2, v + 3, v + 4, v + 5]);
    const six: InterfaceMetrics = {
      stepSeconds: 30,
      series: {
        inBitsPerSecond: long(0),
        outBitsPerSecond: long(10),
        inPercent: long(20),
        outPercent: long(30),
        inErrorsPerSecond: long(40),
        outErrorsPerSecond: long(50),
        inDiscardsPerSecond: long(60),
        outDiscardsPerSecond: long(70),
      },
    };
    const clipped = clipInterfaceMetrics(six, { from: t0 + 60_000, to: t0 + 90_000 });
    expect(clipped.stepSeconds).toBe(30);
    for (const series of Object.values(clipped.series) as [number, number][][]) {
      expect(series.map(([t]) => t)).toEqual([t0 + 30_000, t0 + 60_000, t0 + 90_000, t0 + 120_000]);
    }
    expect(clipped.series.outDiscardsPerSecond.map(([, v]) => v)).toEqual([71, 72, 73, 74]);
  });

  it('name titles and legends in English, then in Chinese after a switch', async () => {
    expect(legendNames(interfaceChartOption('bits', metrics, span, 'r1') as AnyOption)).toEqual([
      'In',
      'Out',
    ]);
    expect(interfaceChartTitle('discards')).toBe('Discards per second');
    await setLocale('zh-CN');
    for (const kind of interfaceChartKinds) {
      expect(interfaceChartTitle(kind)).toMatch(/[\u4e00-\u9fff]/);
      expect(legendNames(interfaceChartOption(kind, metrics, span, 'r1') as AnyOption)).toEqual([
        '入向',
        '出向',
      ]);
    }
    await setLocale('en');
  });
});
