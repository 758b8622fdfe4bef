import { describe, expect, it } from 'vitest';
import { dataMax, gapSteps, isEmpty, timeSeriesOption, tooltipHtml, withGaps } from './time-series.js';
import type { TimeSeriesSpec } from './time-series.js';

const t0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const step = 30;
const at = (i: number) => t0 + i * step * 1000;

const spec = (over: Partial<TimeSeriesSpec> = {}): TimeSeriesSpec => ({
  unit: 'bitRate',
  lines: [
    { name: 'Received', color: '#1d8a56', points: [0, 1, 2, 3].map((i) => [at(i), 1000 * (i + 1)] as const) },
    { name: 'Sent', color: '#d9822b', points: [0, 1, 2, 3].map((i) => [at(i), 0] as const) },
  ],
  start: at(0),
  end: at(10),
  stepSeconds: step,
  ...over,
});

// Options are read as plain data, the way ECharts reads them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOption = Record<string, any>;

describe('withGaps', () => {
  it('joins samples one or two steps apart', () => {
    expect(
      withGaps(
        [
          [at(0), 1],
          [at(1), 2],
          [at(3), 3],
        ],
        step,
      ),
    ).toEqual([
      [at(0), 1],
      [at(1), 2],
      [at(3), 3],
    ]);
  });

  it(`breaks the line where more than ${gapSteps} steps are missing`, () => {
    expect(
      withGaps(
        [
          [at(0), 1],
          [at(1), 2],
          [at(5), 3],
          [at(6), 4],
        ],
        step,
      ),
    ).toEqual([
      [at(0), 1],
      [at(1), 2],
      [at(2), null],
      [at(5), 3],
      [at(6), 4],
    ]);
  });

  it('turns non-finite values into gaps and sorts by time', () => {
    expect(
      withGaps(
        [
          [at(1), Number.NaN],
          [at(0), 5],
        ],
        step,
      ),
    ).toEqual([
      [at(0), 5],
      [at(1), null],
    ]);
  });

  it('refuses a step that is not a positive number', () => {
    expect(() => withGaps([], 0)).toThrow(/invalid step/);
  });
});

describe('timeSeriesOption', () => {
  it('draws lines on a time axis with gaps left open', () => {
    const option = timeSeriesOption(
      spec({
        lines: [
          {
            name: 'CPU',
            color: '#2a6fd6',
            points: [
              [at(0), 10],
              [at(1), 20],
              [at(8), 30],
            ],
          },
        ],
        unit: 'percent',
        max: 100,
      }),
    ) as AnyOption;
    expect(option.xAxis).toMatchObject({ type: 'time', min: at(0), max: at(10) });
    expect(option.series).toHaveLength(1);
    const [series] = option.series;
    expect(series).toMatchObject({ type: 'line', name: 'CPU', connectNulls: false });
    expect(series.data).toEqual([
      [at(0), 10],
      [at(1), 20],
      [at(2), null],
      [at(8), 30],
    ]);
    expect(option.yAxis).toMatchObject({ min: 0, max: 100, interval: 25 });
    expect(option.yAxis.axisLabel.formatter(50)).toBe('50%');
  });

  it('labels the value axis with the unit, without duplicates, for an idle host', () => {
    const option = timeSeriesOption(
      spec({
        lines: [
          {
            name: 'Received',
            color: '#1d8a56',
            points: [
              [at(0), 0],
              [at(1), 0],
            ],
          },
          {
            name: 'Sent',
            color: '#d9822b',
            points: [
              [at(0), 0],
              [at(1), 0],
            ],
          },
        ],
      }),
    ) as AnyOption;
    const { min, max, interval, axisLabel } = option.yAxis;
    const labels: string[] = [];
    for (let v = min; v <= max + 1e-9; v += interval) labels.push(axisLabel.formatter(v));
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels[labels.length - 1]).toBe('1 bit/s');
  });

  it('has legend toggles for several lines, zoom on the time axis, save as image and reset', () => {
    const option = timeSeriesOption(spec({ fileName: 'host-a-network' })) as AnyOption;
    expect(option.legend).toMatchObject({ show: true });
    expect(option.dataZoom.map((z: AnyOption) => z.type)).toEqual(['inside', 'slider']);
    for (const zoom of option.dataZoom) expect(zoom.xAxisIndex).toBe(0);
    expect(option.toolbox.feature.saveAsImage).toMatchObject({
      name: 'host-a-network',
      title: 'Save as image',
    });
    expect(option.toolbox.feature.restore).toMatchObject({ title: 'Reset' });
    expect(option.toolbox.feature.dataZoom).toMatchObject({ yAxisIndex: 'none' });
    expect(timeSeriesOption(spec({ lines: [spec().lines[0]!] })).legend).toMatchObject({ show: false });
  });

  it('builds an empty chart with the axis 0 … 1 unit', () => {
    const empty = spec({ lines: [{ name: 'Load', color: '#0f8b8d', points: [] }], unit: 'number' });
    expect(isEmpty(empty.lines)).toBe(true);
    const option = timeSeriesOption(empty) as AnyOption;
    expect(option.series[0].data).toEqual([]);
    expect(option.yAxis).toMatchObject({ min: 0, max: 1 });
  });

  it('refuses a time range that ends before it starts', () => {
    expect(() => timeSeriesOption(spec({ start: at(5), end: at(5) }))).toThrow(/invalid time range/);
  });

  it('shows the exact value with its unit and the time in the tooltip', () => {
    const option = timeSeriesOption(spec()) as AnyOption;
    const html: string = option.tooltip.formatter([
      { seriesName: 'Received', color: '#1d8a56', value: [at(2), 1_234_567], axisValue: at(2) },
      { seriesName: 'Sent <b>', color: '#d9822b', value: [at(2), null], axisValue: at(2) },
    ]);
    expect(option.tooltip.trigger).toBe('axis');
    expect(html).toContain('1.23 Mbit/s');
    expect(html).toContain('—');
    expect(html).toContain('Sent &#60;b&#62;');
    const local = new Date(at(2));
    const hh = String(local.getHours()).padStart(2, '0');
    const mm = String(local.getMinutes()).padStart(2, '0');
    expect(html).toContain(`${hh}:${mm}:00`);
  });

  it('writes bytes in 1024-based units in the tooltip', () => {
    expect(
      tooltipHtml('bytes', { seriesName: 'Memory', value: [at(0), 3 * 1024 ** 3], axisValue: at(0) }),
    ).toContain('3 GiB');
  });
});

describe('dataMax', () => {
  it('is the largest finite value, undefined without samples', () => {
    expect(dataMax(spec().lines)).toBe(4000);
    expect(dataMax([{ name: 'x', color: '#000', points: [[0, Number.NaN]] }])).toBeUndefined();
  });
});
