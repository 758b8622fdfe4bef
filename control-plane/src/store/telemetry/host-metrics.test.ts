import { encodeHostMetrics, type Series } from '@tianshu/protocol';
import { describe, expect, it } from 'vitest';
import {
  HOST_METRICS_TSV_COLUMNS,
  chartResolution,
  columnarToTabSeparated,
  seriesToJsonEachRow,
  seriesToRows,
  seriesToTabSeparated,
} from './host-metrics.js';
import { rowsToJsonEachRow } from './internal.js';
import { TelemetryStoreError } from './types.js';

const meta = { agentId: 'agent-1', orgUnitId: 'ou-"7"', host: 'web-01.example' };

function parseLines(buffer: Buffer): unknown[] {
  return buffer
    .toString('utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as unknown);
}

/** 100 000 samples shaped like a host agent batch: 20 series of 5 000 points. */
function bigBatch(): Series[] {
  const series: Series[] = [];
  for (let s = 0; s < 20; s++) {
    const points: Array<[number, number]> = [];
    for (let i = 0; i < 5_000; i++) points.push([1_760_000_000_000 + i * 15_000, i * 1.25 + s]);
    series.push({ name: 'node_cpu_seconds_total', labels: { cpu: String(s), mode: 'idle' }, points });
  }
  return series;
}

describe('seriesToRows', () => {
  it('stamps every point with the agent, org unit, host, name and labels', () => {
    const rows = seriesToRows(meta, [
      {
        name: 'node_load1',
        labels: {},
        points: [
          [1000, 0.5],
          [2000, 0.75],
        ],
      },
      { name: 'node_network_receive_bytes_total', labels: { device: 'eth0' }, points: [[1000, 12]] },
    ]);
    expect(rows).toEqual([
      {
        ts: 1000,
        agent_id: 'agent-1',
        org_unit_id: 'ou-"7"',
        host: 'web-01.example',
        name: 'node_load1',
        labels: {},
        value: 0.5,
      },
      {
        ts: 2000,
        agent_id: 'agent-1',
        org_unit_id: 'ou-"7"',
        host: 'web-01.example',
        name: 'node_load1',
        labels: {},
        value: 0.75,
      },
      {
        ts: 1000,
        agent_id: 'agent-1',
        org_unit_id: 'ou-"7"',
        host: 'web-01.example',
        name: 'node_network_receive_bytes_total',
        labels: { device: 'eth0' },
        value: 12,
      },
    ]);
  });

  it('refuses a non-finite value', () => {
    expect(() => seriesToRows(meta, [{ name: 'x', labels: {}, points: [[1, Number.NaN]] }])).toThrow(
      TelemetryStoreError,
    );
  });
});

describe('seriesToJsonEachRow', () => {
  it('serializes exactly the rows seriesToRows builds, with escaping', () => {
    const series: Series[] = [
      {
        name: 'node_filesystem_avail_bytes',
        labels: { mountpoint: '/mnt/"quoted"\\x', fstype: 'ext4 \u00e9\n' },
        points: [
          [5, 1e21],
          [6, -0.000001],
        ],
      },
      { name: 'node_load1', labels: {}, points: [[7, 3]] },
    ];
    const { ndjson, rows } = seriesToJsonEachRow(meta, series);
    expect(rows).toBe(3);
    expect(parseLines(ndjson)).toEqual(seriesToRows(meta, series));
    expect(ndjson.toString('utf8').endsWith('\n')).toBe(true);
  });

  it('refuses a non-finite value', () => {
    expect(() => seriesToJsonEachRow(meta, [{ name: 'x', labels: {}, points: [[1, Infinity]] }])).toThrow(
      /non-finite/,
    );
  });

  it('prints its throughput on 100 000 samples (measurement, not an assertion)', () => {
    const batch = bigBatch();
    const measure = (label: string, fn: () => number): number => {
      fn(); // warm-up
      const rounds = 5;
      const started = process.hrtime.bigint();
      let rows = 0;
      for (let i = 0; i < rounds; i++) rows += fn();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const perSecond = Math.round(rows / seconds);
      console.log(`bench host-metrics ${label}: ${perSecond} rows/s`);
      return perSecond;
    };
    const direct = measure('seriesToJsonEachRow', () => seriesToJsonEachRow(meta, batch).rows);
    const viaObjects = measure(
      'seriesToRows+JSON.stringify',
      () => rowsToJsonEachRow(seriesToRows(meta, batch)).length && 100_000,
    );
    measure('seriesToRows', () => seriesToRows(meta, batch).length);
    expect(direct).toBeGreaterThan(0);
    expect(viaObjects).toBeGreaterThan(0);
  });
});

describe('chartResolution', () => {
  it('uses raw up to 6 h, 1-minute roll-ups up to 7 days and 1-hour roll-ups beyond', () => {
    const hour = 3_600_000;
    expect(chartResolution(0, 6 * hour)).toBe('raw');
    expect(chartResolution(0, 6 * hour + 1)).toBe('1m');
    expect(chartResolution(0, 7 * 24 * hour)).toBe('1m');
    expect(chartResolution(0, 7 * 24 * hour + 1)).toBe('1h');
  });
});

describe('TabSeparated rows of both host-metric encodings', () => {
  const series: Series[] = [
    {
      name: 'node_load1',
      labels: {},
      points: [
        [1_700_000_000_007, 0.5],
        [1_700_000_015_000, -0.75],
      ],
    },
    {
      name: 'node_filesystem_avail_bytes',
      labels: { mountpoint: "/数据/it's\tx", device: 'sda1' },
      points: [[1_700_000_000_007, 1e21]],
    },
  ];

  it('the series shape of older agents and the columnar one give the same rows', () => {
    const old = seriesToTabSeparated(meta, series);
    const columnar = columnarToTabSeparated(meta, encodeHostMetrics(meta.host, series));
    expect(old.rows).toBe(3);
    expect(columnar.rows).toBe(3);
    expect(columnar.tsv.toString('utf8')).toBe(old.tsv.toString('utf8'));
    const lines = old.tsv.toString('utf8').split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toBe(`1700000000.007\t0.5\tagent-1\tou-"7"\tweb-01.example\tnode_load1\t{}`);
    expect(lines[2]).toBe(
      `1700000000.007\t1e+21\tagent-1\tou-"7"\tweb-01.example\tnode_filesystem_avail_bytes\t{'mountpoint':'/数据/it\\'s\\tx','device':'sda1'}`,
    );
    expect(HOST_METRICS_TSV_COLUMNS).toEqual([
      'ts',
      'value',
      'agent_id',
      'org_unit_id',
      'host',
      'name',
      'labels',
    ]);
  });

  it('refuses a non-finite value in either shape instead of storing something else', () => {
    const bad: Series[] = [{ name: 'x', labels: {}, points: [[1, Number.NaN]] }];
    expect(() => seriesToTabSeparated(meta, bad)).toThrow(/non-finite value NaN/);
    expect(() => columnarToTabSeparated(meta, encodeHostMetrics('h', bad))).toThrow(
      /non-finite value NaN at v\[0\]/,
    );
  });
});
