import { describe, expect, it } from 'vitest';
import { counter64Column, nullableCountColumn, numberColumn } from './columns.js';
import {
  InterfacePollReport,
  encodeInterfacePoll,
  interfacePollRows,
  type InterfacePollPayload,
} from './network.js';
import {
  HostMetricsPayload,
  ReportPayload,
  countSamples,
  encodeHostMetrics,
  hostMetricsSeries,
  type Series,
} from './report.js';

const issue = (r: {
  success: boolean;
  error?: { issues: Array<{ path: PropertyKey[]; message: string }> };
}) => r.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`)[0];

describe('column validators', () => {
  it('numberColumn takes finite numbers of any sign and names the first bad element', () => {
    expect(numberColumn().safeParse([1, -2.5, 0, 1e300]).success).toBe(true);
    expect(issue(numberColumn().safeParse([1, null]))).toBe('1: must be a finite number, got null');
    expect(issue(numberColumn().safeParse([Number.NaN]))).toBe('0: must be a finite number, got NaN');
    expect(issue(numberColumn().safeParse('x'))).toMatch(/must be an array of numbers/);
    expect(issue(numberColumn(2).safeParse([1, 2, 3]))).toMatch(/at most 2 elements, got 3/);
  });

  it('nullableCountColumn takes null or non-negative numbers', () => {
    expect(nullableCountColumn().safeParse([null, 0, 5.5]).success).toBe(true);
    expect(issue(nullableCountColumn().safeParse([null, -1]))).toMatch(/^1: must be null or a finite number/);
  });

  it('counter64Column takes decimal strings up to 2^64 - 1', () => {
    expect(counter64Column().safeParse(['0', '18446744073709551615']).success).toBe(true);
    expect(issue(counter64Column().safeParse(['1', '18446744073709551616']))).toMatch(
      /^1: must be a Counter64/,
    );
    expect(issue(counter64Column().safeParse([5]))).toMatch(/^0: must be a Counter64.*got 5/);
    expect(issue(counter64Column().safeParse(['-1']))).toMatch(/^0: must be a Counter64/);
  });
});

describe('columnar host metrics', () => {
  const series: Series[] = [
    {
      name: 'node_load1',
      labels: {},
      points: [
        [1_700_000_000_000, 0.5],
        [1_700_000_015_000, 0.75],
      ],
    },
    {
      name: 'node_cpu_seconds_total',
      labels: { cpu: '0', mode: 'idle' },
      points: [[1_700_000_000_000, 12.5]],
    },
    { name: 'node_cpu_seconds_total', labels: { mode: 'idle', cpu: '0' }, points: [[1_700_000_030_000, 13]] },
  ];

  it('encodes names and label sets once, and decodes to the same series', () => {
    const p = encodeHostMetrics('h1', series);
    expect(p.names).toEqual(['node_load1', 'node_cpu_seconds_total']);
    expect(p.labelSets).toEqual([{}, { cpu: '0', mode: 'idle' }]);
    expect(p).toMatchObject({ seriesName: [0, 1, 1], seriesLabels: [0, 1, 1], seriesPoints: [2, 1, 1] });
    expect(p.t0).toBe(1_700_000_000_000);
    expect(p.t).toEqual([0, 15_000, 0, 30_000]);
    const parsed = HostMetricsPayload.parse(JSON.parse(JSON.stringify(p)));
    expect(hostMetricsSeries(parsed).map((s) => [s.name, s.points])).toEqual(
      series.map((s) => [s.name, s.points]),
    );
    expect(countSamples({ payloads: [parsed] })).toBe(4);
  });

  it('refuses bad columns with the element named', () => {
    const p = encodeHostMetrics('h1', series);
    const check = (patch: Record<string, unknown>) => issue(ReportPayload.safeParse({ ...p, ...patch }));
    expect(check({ v: [1, 2, 'x', 4] })).toBe('v.2: must be a finite number, got "x"');
    expect(check({ t: [0, -1, 0, 0] })).toMatch(/^t\.1: must be an integer from 0/);
    expect(check({ seriesLabels: [0, 1, 5] })).toBe(
      'seriesLabels.2: must be an index into labelSets (2 entries), got 5',
    );
    expect(check({ seriesPoints: [2, 1, 2] })).toBe('t: has 4 elements, the series have 5 points');
    expect(check({ seriesName: [0, 1] })).toBe('seriesLabels: has 3 elements, seriesName has 2');
    expect(check({ names: ['Bad-Name', 'x'] })).toMatch(/^names\.0: metric name must match/);
    expect(check({ labelSets: [{}, { 'bad key': 'x' }] })).toMatch(/^labelSets\.1/);
    expect(check({ t0: 4_102_444_800_000 - 10 })).toBe('t.1: timestamp (t0 + t) is after 2100');
    expect(check({ encoding: 'binary' })).toMatch(/^encoding: /);
    expect(check({ series: [] })).toMatch(/Unrecognized key/);
  });

  it('still accepts the series shape of older agents', () => {
    expect(ReportPayload.safeParse({ kind: 'host-metrics', host: 'h', series }).success).toBe(true);
    expect(
      ReportPayload.safeParse({ kind: 'host-metrics', encoding: 'series', host: 'h', series }).success,
    ).toBe(true);
  });
});

describe('columnar interface polls', () => {
  const poll: InterfacePollPayload = {
    kind: 'interface-poll',
    deviceId: 'rt-1',
    polledAt: 1_700_000_000_000,
    durationMs: 12,
    reachable: true,
    outcome: 'ok',
    sysUpTime: 1234,
    interfaces: [
      {
        ifIndex: 1,
        name: 'GigabitEthernet0/1',
        alias: '到成都市',
        operStatus: 'up',
        adminStatus: 'up',
        speedMbps: 1000,
        counterBits: 64,
        inOctets: '18446744073709551615',
        outOctets: '2',
        inErrors: '0',
        outErrors: '0',
        inDiscards: '0',
        outDiscards: '0',
        rates: null,
      },
      {
        ifIndex: 7,
        name: 'eth7',
        alias: '',
        operStatus: 'lowerLayerDown',
        adminStatus: 'up',
        speedMbps: 10,
        counterBits: 32,
        inOctets: '1',
        outOctets: '2',
        inErrors: '3',
        outErrors: '4',
        inDiscards: '5',
        outDiscards: '6',
        rates: {
          inBitsPerSecond: 1.5,
          outBitsPerSecond: 2,
          inErrorsPerSecond: 0,
          outErrorsPerSecond: 0.25,
          inDiscardsPerSecond: 0,
          outDiscardsPerSecond: 0,
          intervalSeconds: 60,
        },
        counterEvent: 'wrap',
      },
    ],
  };

  it('round-trips every field through the columns', () => {
    const c = encodeInterfacePoll(poll);
    expect(c.rows).toBe(2);
    expect(c.interfaces.inOctets).toEqual(['18446744073709551615', '1']);
    const parsed = InterfacePollReport.parse(JSON.parse(JSON.stringify(c)));
    expect(interfacePollRows(parsed)).toEqual(poll);
    expect(countSamples({ payloads: [parsed] })).toBe(2);
  });

  it('refuses bad columns with the element named, and mixed null rates', () => {
    const c = encodeInterfacePoll(poll);
    const check = (patch: Record<string, unknown>) =>
      issue(ReportPayload.safeParse({ ...c, interfaces: { ...c.interfaces, ...patch } }));
    expect(check({ operStatus: ['up', 'sideways'] })).toMatch(
      /^interfaces\.operStatus\.1: must be an IF-MIB status/,
    );
    expect(check({ ifIndex: [1, 0] })).toMatch(/^interfaces\.ifIndex\.1: must be an integer from 1/);
    expect(check({ outOctets: ['1', 2] })).toMatch(/^interfaces\.outOctets\.1: must be a Counter64/);
    expect(check({ inBitsPerSecond: [5, 1.5] })).toBe(
      'interfaces.inBitsPerSecond.0: the rates of an interface are all null (no rates) or all numbers',
    );
    expect(check({ name: ['a'] })).toBe('interfaces.name: has 1 elements, rows is 2');
    expect(check({ alias: ['a\u0000', ''] })).toMatch(/^interfaces\.alias\.0: must not contain NUL/);
    expect(check({ counterBits: ['64', '16'] })).toMatch(/^interfaces\.counterBits\.1: must be "64" or "32"/);
  });

  it('still accepts the object shape of older agents', () => {
    expect(ReportPayload.safeParse(poll).success).toBe(true);
  });
});
