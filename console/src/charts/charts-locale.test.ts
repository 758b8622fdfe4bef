import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HostMetrics } from '../data/hosts.js';
import type { AppLocale } from '../i18n/locale.js';
import type { LinkMetrics } from '../data/network.js';
import { hostChartKinds, hostChartOption, hostChartTitle } from './host-charts.js';
import { linkChartKinds, linkChartOption } from './link-charts.js';

// Options are read as plain data, the way ECharts reads them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOption = Record<string, any>;

const t0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const points = (values: number[]): [number, number][] => values.map((v, i) => [t0 + i * 30_000, v]);

const host: HostMetrics = {
  agentId: 'a1',
  host: 'db-01',
  range: '1h',
  stepSeconds: 30,
  series: {
    cpuPercent: points([5, 7]),
    memoryPercent: points([40, 41]),
    diskUsedPercent: points([70, 70]),
    load1: points([0.5, 0.7]),
    netRxBytesPerSecond: points([125, 250]),
    netTxBytesPerSecond: points([0, 0]),
  },
};

const link: LinkMetrics = {
  stepSeconds: 60,
  series: {
    inBitsPerSecond: points([1e8, 2e8]),
    outBitsPerSecond: points([5e7, 6e7]),
    inPercent: points([10, 20]),
    outPercent: points([5, 6]),
    errorsPerSecond: points([0, 0.5]),
  },
};

const span = { start: t0, end: t0 + 3_600_000 };
const legendNames = (option: AnyOption): string[] => option.series.map((s: AnyOption) => s.name);

let setLocale: (locale: AppLocale) => Promise<void>;

beforeAll(async () => {
  // @lit/localize announces a switch on `window`, and the console sets `<html lang>`; node has neither.
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

describe('host and link charts', () => {
  it('use the right unit per chart', () => {
    const network = hostChartOption('network', host, span) as AnyOption;
    // Bytes per second from the API are charted as bits per second.
    expect(network.series[0].data[1]).toEqual([t0 + 30_000, 2000]);
    expect(network.yAxis.axisLabel.formatter(network.yAxis.max)).toMatch(/bit\/s$/);
    expect((hostChartOption('cpu', host, span) as AnyOption).yAxis.max).toBe(100);
    expect((linkChartOption('bits', link, span, 'l1') as AnyOption).yAxis.axisLabel.formatter(1e8)).toBe(
      '100 Mbit/s',
    );
    expect((linkChartOption('errors', link, span, 'l1') as AnyOption).yAxis.axisLabel.formatter(0.5)).toBe(
      '0.5/s',
    );
  });

  it('name their legends and toolbox in English, then in Chinese after a switch', async () => {
    expect(legendNames(hostChartOption('network', host, span) as AnyOption)).toEqual(['Received', 'Sent']);
    expect(legendNames(linkChartOption('utilisation', link, span, 'l1') as AnyOption)).toEqual(['In', 'Out']);
    expect(hostChartTitle('memory')).toBe('Memory and disk');

    await setLocale('zh-CN');
    expect(legendNames(hostChartOption('network', host, span) as AnyOption)).toEqual(['接收', '发送']);
    expect(legendNames(hostChartOption('memory', host, span) as AnyOption)).toEqual([
      '内存使用率',
      '磁盘使用率',
    ]);
    expect(legendNames(linkChartOption('utilisation', link, span, 'l1') as AnyOption)).toEqual([
      '入向',
      '出向',
    ]);
    expect(hostChartTitle('memory')).toBe('内存与磁盘');
    const bits = linkChartOption('bits', link, span, 'l1') as AnyOption;
    expect(bits.toolbox.feature.saveAsImage.title).toBe('保存为图片');
    expect((linkChartOption('errors', link, span, 'l1') as AnyOption).yAxis.axisLabel.formatter(0.5)).toBe(
      '0.5 次/秒',
    );
    for (const kind of hostChartKinds) {
      for (const name of legendNames(hostChartOption(kind, host, span) as AnyOption))
        expect(name).toMatch(/[\u4e00-\u9fff]/);
    }
    for (const kind of linkChartKinds) {
      for (const name of legendNames(linkChartOption(kind, link, span, 'l1') as AnyOption))
        expect(name).toMatch(/[\u4e00-\u9fff]/);
    }
    await setLocale('en');
  });
});
