import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FlowEgress, FlowSankey, FlowSeries } from '../data/flows.js';
import type { AppLocale } from '../i18n/locale.js';
import { extrasFor } from './engine.js';
import {
  egressDaysOption,
  flowSankeyOption,
  flowSeriesLines,
  flowSeriesOption,
  formatRate,
  otherColor,
  stackedMax,
} from './flow-charts.js';

// Options are read as plain data, the way ECharts reads them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOption = Record<string, any>;

const t0 = Date.UTC(2026, 11, 1, 8, 0, 0);

// Shaped like `GET /api/v1/flows/series` of the flows contract: value = measure per step.
const series: FlowSeries = {
  step: 60,
  from: new Date(t0).toISOString(),
  to: new Date(t0 + 3_600_000).toISOString(),
  series: [
    {
      key: 'ou-cd',
      label: '成都市',
      points: [
        [t0, 750_000],
        [t0 + 60_000, 1_500_000],
      ],
    },
    {
      key: '',
      label: '',
      points: [
        [t0, 75_000],
        [t0 + 60_000, 0],
      ],
    },
  ],
  other: {
    points: [
      [t0, 7_500],
      [t0 + 60_000, 7_500],
    ],
  },
};

const sankey: FlowSankey = {
  nodes: [
    { id: 'srcOrgUnit:ou-cd', dimension: 'srcOrgUnit', key: 'ou-cd', label: '成都市' },
    { id: 'srcOrgUnit:', dimension: 'srcOrgUnit', key: '', label: '' },
    { id: 'app:HTTPS', dimension: 'app', key: 'HTTPS', label: 'HTTPS' },
    { id: 'dstPort:443', dimension: 'dstPort', key: 443, label: '443' },
    { id: 'app:unused', dimension: 'app', key: 'unused', label: 'unused' },
  ],
  links: [
    { source: 'srcOrgUnit:ou-cd', target: 'app:HTTPS', bytes: 900, packets: 9, flows: 3 },
    { source: 'srcOrgUnit:', target: 'app:HTTPS', bytes: 100, packets: 0, flows: 1 },
    { source: 'app:HTTPS', target: 'dstPort:443', bytes: 1000, packets: 9, flows: 4 },
    { source: 'app:HTTPS', target: 'nowhere', bytes: 5, packets: 1, flows: 1 },
  ],
};

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

describe('the stacked time series', () => {
  it('turns bytes per step into bit/s, names keys by label and ends with a grey "other"', () => {
    const lines = flowSeriesLines('srcOrgUnit', 'bytes', series);
    expect(lines.map((l) => l.name)).toEqual(['成都市', 'Internet or unknown', 'Other']);
    expect(lines[0]!.points).toEqual([
      [t0, 100_000],
      [t0 + 60_000, 200_000],
    ]);
    expect(lines[2]!.color).toBe(otherColor);
  });

  it('leaves "other" out when it carried nothing, and keeps packets per second', () => {
    const lines = flowSeriesLines('srcOrgUnit', 'packets', { ...series, other: { points: [[t0, 0]] } });
    expect(lines).toHaveLength(2);
    expect(lines[0]!.points[0]).toEqual([t0, 12_500]);
  });

  it('stacks every line and reaches the top of the stack', () => {
    const option = flowSeriesOption('srcOrgUnit', 'bytes', series, {
      start: t0,
      end: t0 + 3_600_000,
    }) as AnyOption;
    expect(option.series.map((s: AnyOption) => s.stack)).toEqual(['total', 'total', 'total']);
    const top = stackedMax(flowSeriesLines('srcOrgUnit', 'bytes', series));
    expect(top).toBe(200_000 + 0 + 1_000);
    expect(option.yAxis.max).toBeGreaterThanOrEqual(top);
    expect(option.yAxis.axisLabel.formatter(option.yAxis.max)).toMatch(/bit\/s$/);
  });

  it('writes rates with their unit', () => {
    expect(formatRate('bytes', 2_000_000)).toBe('2 Mbit/s');
    expect(formatRate('flows', 3)).toBe('3/s');
  });
});

describe('the Sankey diagram', () => {
  it('keeps only links between known nodes, weighted by the measure, and nodes that carry traffic', () => {
    const { option, empty } = flowSankeyOption('bytes', sankey);
    const s = (option as AnyOption).series[0];
    expect(empty).toBe(false);
    expect(s.type).toBe('sankey');
    expect(s.links).toEqual([
      { source: 'srcOrgUnit:ou-cd', target: 'app:HTTPS', value: 900 },
      { source: 'srcOrgUnit:', target: 'app:HTTPS', value: 100 },
      { source: 'app:HTTPS', target: 'dstPort:443', value: 1000 },
    ]);
    expect(s.data.map((n: AnyOption) => n.name)).toEqual([
      'srcOrgUnit:ou-cd',
      'srcOrgUnit:',
      'app:HTTPS',
      'dstPort:443',
    ]);
    expect(extrasFor(option)).toEqual(['sankey']);
  });

  it('labels nodes by name, the internet included, and in Chinese too', async () => {
    const s = (flowSankeyOption('bytes', sankey).option as AnyOption).series[0];
    expect(s.label.formatter({ name: 'srcOrgUnit:ou-cd' })).toBe('成都市');
    expect(s.label.formatter({ name: 'srcOrgUnit:' })).toBe('Internet or unknown');
    await setLocale('zh-CN');
    const zh = (flowSankeyOption('bytes', sankey).option as AnyOption).series[0];
    expect(zh.label.formatter({ name: 'srcOrgUnit:' })).toBe('互联网或未知');
    await setLocale('en');
  });

  it('drops links without the measure (zero packets) and says when nothing is left', () => {
    const s = (flowSankeyOption('packets', sankey).option as AnyOption).series[0];
    expect(s.links).toHaveLength(2);
    expect(flowSankeyOption('bytes', { nodes: sankey.nodes, links: [] }).empty).toBe(true);
  });

  it('escapes labels in tooltips', () => {
    const evil: FlowSankey = {
      nodes: [
        { id: 'app:<b>', dimension: 'app', key: '<b>', label: '<img src=x>' },
        { id: 'dstPort:1', dimension: 'dstPort', key: 1, label: '1' },
      ],
      links: [{ source: 'app:<b>', target: 'dstPort:1', bytes: 1, packets: 1, flows: 1 }],
    };
    const tooltip = (flowSankeyOption('bytes', evil).option as AnyOption).tooltip;
    const text = tooltip.formatter({
      dataType: 'edge',
      data: { source: 'app:<b>', target: 'dstPort:1' },
      value: 1,
    });
    expect(text).not.toContain('<img');
    expect(text).toContain('&#60;img');
  });
});

describe('the egress per-day chart', () => {
  it('draws out and in per day, in day order', () => {
    const day = { peakOutBps: 0, peakInBps: 0, p95OutBps: 0, p95InBps: 0 };
    const egress = {
      days: [
        { date: '2026-12-02', outBytes: 20, inBytes: 2, ...day },
        { date: '2026-12-01', outBytes: 10, inBytes: 1, ...day },
      ],
    } as Partial<FlowEgress> as FlowEgress;
    const option = egressDaysOption(egress) as AnyOption;
    expect(option.xAxis.data).toEqual(['2026-12-01', '2026-12-02']);
    expect(option.series.map((s: AnyOption) => s.data)).toEqual([
      [10, 20],
      [1, 2],
    ]);
    expect(extrasFor(option)).toEqual(['bar']);
  });
});
