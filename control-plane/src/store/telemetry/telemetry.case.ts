/**
 * The one test suite every telemetry-store implementation passes (run by `chdb.test.ts` and
 * `clickhouse.test.ts`). It checks behaviour through the public interface only.
 */
import { randomUUID } from 'node:crypto';
import type { Series } from '@tianshu/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeHostMetrics } from '@tianshu/protocol';
import {
  hostCharts,
  insertHostMetrics,
  insertHostMetricsPayload,
  latestHostSnapshot,
  seriesToRows,
  type ChartPoint,
} from './host-metrics.js';
import { LowCardinalityColumn, NativeBlockBuilder } from './native.js';
import { MIGRATIONS } from './schema.js';
import { TsvBuilder, tsvDateTime64Millis, tsvEscape, tsvFloat, tsvMap } from './tsv.js';
import type { TelemetryRetention, TelemetryStore } from './types.js';
import { TelemetryStoreError } from './types.js';

/**
 * Opens a store on the suite's backend. Every call must reach the same data (same chDB directory or
 * same server database), so a second store can observe what the first one migrated.
 */
export type TelemetryStoreFactory = (retention?: Partial<TelemetryRetention>) => Promise<TelemetryStore>;

const MINUTE = 60_000;
const HOUR = 3_600_000;
const SUITE_RETENTION = { rawDays: 7, minuteDays: 90, hourDays: 400 };

interface Counters {
  user: number;
  system: number;
  idle: number;
  iowait: number;
}

/**
 * Synthetic node_exporter series for one host, one sample every 30 s over 3 hours from `startMs`.
 * Per 30 s the CPU counters grow by `perStep` (busy share = 1 − (idle + iowait) / total), eth0 and
 * eth1 receive 3000 and 1500 bytes (100 + 50 B/s), eth0 transmits 600 bytes (20 B/s), and `lo` moves
 * huge numbers that must be ignored. At `resetMs` every counter restarts from zero (a reboot).
 */
function syntheticHost(startMs: number, resetMs: number, perStep: Counters, memAvailable: number): Series[] {
  const stepMs = 30_000;
  const samples = (3 * HOUR) / stepMs;
  const series = new Map<string, Series>();
  const add = (name: string, labels: Record<string, string>, ts: number, value: number): void => {
    const key = `${name}${JSON.stringify(labels)}`;
    let s = series.get(key);
    if (!s) {
      s = { name, labels, points: [] };
      series.set(key, s);
    }
    s.points.push([ts, value]);
  };
  for (let i = 0; i < samples; i++) {
    const ts = startMs + i * stepMs;
    // After the reset the counters count from zero again; before it they carry a large offset.
    const n = ts < resetMs ? i + 1000 : (ts - resetMs) / stepMs + 1;
    for (const mode of ['user', 'system', 'idle', 'iowait'] as const) {
      add('node_cpu_seconds_total', { cpu: 'all', mode }, ts, n * perStep[mode]);
      // A per-CPU series with other numbers must not leak into the cpu="all" figure.
      add('node_cpu_seconds_total', { cpu: '0', mode }, ts, n * (mode === 'idle' ? 1 : 50));
    }
    add('node_network_receive_bytes_total', { device: 'eth0' }, ts, n * 3000);
    add('node_network_receive_bytes_total', { device: 'eth1' }, ts, n * 1500);
    add('node_network_receive_bytes_total', { device: 'lo' }, ts, n * 9e9);
    add('node_network_transmit_bytes_total', { device: 'eth0' }, ts, n * 600);
    add('node_memory_total_bytes', {}, ts, 1000);
    add('node_memory_available_bytes', {}, ts, memAvailable);
    add('node_load1', {}, ts, 0.5);
    add('node_filesystem_size_bytes', { mountpoint: '/', device: 'sda1', fstype: 'ext4' }, ts, 100);
    add('node_filesystem_avail_bytes', { mountpoint: '/', device: 'sda1', fstype: 'ext4' }, ts, 40);
    add('node_filesystem_size_bytes', { mountpoint: '/data', device: 'sdb1', fstype: 'xfs' }, ts, 1000);
    add('node_filesystem_avail_bytes', { mountpoint: '/data', device: 'sdb1', fstype: 'xfs' }, ts, 999);
  }
  return [...series.values()];
}

function values(points: ChartPoint[]): number[] {
  return points.map(([, v]) => v);
}

function expectAllClose(points: ChartPoint[], expected: number): void {
  expect(points.length).toBeGreaterThan(0);
  for (const [t, v] of points) {
    if (Math.abs(v - expected) > 1e-6)
      throw new Error(`point at ${new Date(t).toISOString()} is ${v}, expected ${expected}`);
  }
}

export function runTelemetryStoreSuite(name: string, factory: TelemetryStoreFactory): void {
  describe(`telemetry store: ${name}`, () => {
    let store: TelemetryStore;
    const run = randomUUID().slice(0, 8);
    const agent = (suffix: string): string => `agent-${run}-${suffix}`;

    beforeAll(async () => {
      store = await factory(SUITE_RETENTION);
      await store.migrate();
    });

    afterAll(async () => {
      await store?.close();
    });

    describe('migrate', () => {
      it('can run again and records each version once', async () => {
        await store.migrate();
        await store.migrate();
        const versions = await store.query<{ version: number; n: number }>(
          'SELECT version, toUInt32(count()) AS n FROM schema_migrations FINAL GROUP BY version ORDER BY version',
        );
        expect(versions).toEqual(MIGRATIONS.map((m) => ({ version: m.version, n: 1 })));
        const tables = await store.query<{ name: string }>(
          `SELECT name FROM system.tables WHERE database = currentDatabase() AND name LIKE 'host_metrics%' ORDER BY name`,
        );
        expect(tables.map((t) => t.name)).toEqual([
          'host_metrics',
          'host_metrics_1h',
          'host_metrics_1h_mv',
          'host_metrics_1m',
          'host_metrics_1m_mv',
        ]);
      });

      it('creates each table with the configured TTL', async () => {
        const ddl = async (table: string): Promise<string> => {
          const [row] = await store.query<{ statement: string }>(`SHOW CREATE TABLE ${table}`);
          return row?.statement ?? '';
        };
        expect(await ddl('host_metrics')).toContain('TTL toDateTime(ts) + toIntervalDay(7)');
        expect(await ddl('host_metrics_1m')).toContain('TTL ts + toIntervalDay(90)');
        expect(await ddl('host_metrics_1h')).toContain('TTL ts + toIntervalDay(400)');
        expect(await ddl('host_metrics')).toContain('non_replicated_deduplication_window = 10000');
      });
    });

    describe('insert and query', () => {
      it('round-trips rows and binds String, Array, Int64 and Float64 parameters', async () => {
        const a = agent('rt');
        const ts = Date.now() - 5 * MINUTE;
        const written = await store.insert('host_metrics', [
          {
            ts,
            agent_id: a,
            org_unit_id: 'ou-1',
            host: 'h1',
            name: 'rt_metric',
            labels: { k: "it's" },
            value: 1.5,
          },
          {
            ts: ts + 1,
            agent_id: a,
            org_unit_id: 'ou-1',
            host: 'h1',
            name: 'rt_metric',
            labels: {},
            value: -2,
          },
          {
            ts: ts + 2,
            agent_id: 'other',
            org_unit_id: 'ou-1',
            host: 'h1',
            name: 'rt_metric',
            labels: {},
            value: 9,
          },
        ]);
        expect(written).toBe(3);
        const rows = await store.query<{
          ms: string;
          agent_id: string;
          labels: Record<string, string>;
          value: number;
        }>(
          `SELECT toUnixTimestamp64Milli(ts) AS ms, agent_id, labels, value FROM host_metrics
           WHERE agent_id IN {agents:Array(String)} AND name = {name:String}
             AND toUnixTimestamp64Milli(ts) >= {from:Int64} AND value < {max:Float64}
           ORDER BY ts`,
          { agents: [a, `${a}-none`], name: 'rt_metric', from: ts, max: 100.25 },
        );
        expect(rows).toEqual([
          { ms: String(ts), agent_id: a, labels: { k: "it's" }, value: 1.5 },
          { ms: String(ts + 1), agent_id: a, labels: {}, value: -2 },
        ]);
      });

      it('inserts a raw JSONEachRow payload and reports its row count', async () => {
        const a = agent('raw');
        const ts = Date.now() - MINUTE;
        const ndjson = Buffer.from(
          [0, 1, 2]
            .map(
              (i) =>
                `{"ts":${ts + i},"agent_id":"${a}","org_unit_id":"ou","host":"h","name":"raw_metric","labels":{},"value":${i}}`,
            )
            .join('\n') + '\n',
        );
        expect(await store.insertJsonEachRow('host_metrics', ndjson)).toBe(3);
        const [row] = await store.query<{ n: number; total: number }>(
          'SELECT toUInt32(count()) AS n, sum(value) AS total FROM host_metrics WHERE agent_id = {a:String}',
          { a },
        );
        expect(row).toEqual({ n: 3, total: 3 });
      });

      it('returns 0 for an empty batch without touching the engine', async () => {
        expect(await store.insert('no_such_table', [])).toBe(0);
      });
    });

    describe('TabSeparated insert', () => {
      const COLUMNS = ['ts', 'agent_id', 'org_unit_id', 'host', 'name', 'labels', 'value'] as const;
      interface TsvRow {
        ts: number;
        agent: string;
        host: string;
        name: string;
        labels: Record<string, string>;
        value: number;
      }
      const tsvRows = (rows: readonly TsvRow[]): Buffer => {
        const tsv = new TsvBuilder(COLUMNS.length);
        for (const r of rows) {
          tsv.row([
            tsvDateTime64Millis(r.ts),
            tsvEscape(r.agent),
            'ou-tsv',
            tsvEscape(r.host),
            tsvEscape(r.name),
            tsvMap(r.labels),
            tsvFloat(r.value),
          ]);
        }
        return tsv.toBuffer();
      };

      it('round-trips tabs, line feeds, carriage returns, backslashes, quotes, NUL and Chinese text', async () => {
        const a = agent('tsv');
        const ts = Date.now() - 3 * MINUTE;
        const tricky = 'a\\tb\\\\c\\n\t|\n|\r|\\0|\0|\'|"|成都市 高新区';
        const rows: TsvRow[] = [
          {
            ts,
            agent: a,
            host: tricky,
            name: 'tsv_metric',
            labels: { [tricky]: tricky, 设备: '网卡' },
            value: 1.5,
          },
          { ts: ts + 7, agent: a, host: 'h', name: 'tsv_metric', labels: {}, value: -2e-7 },
          { ts: ts + 1000, agent: a, host: 'h', name: 'tsv_metric', labels: { k: '' }, value: 1e21 },
          {
            ts: ts + 1090,
            agent: a,
            host: '',
            name: 'tsv_metric',
            labels: { "it's": 'x\\y' },
            value: Number.NaN,
          },
        ];
        expect(await store.insertTabSeparated('host_metrics', COLUMNS, tsvRows(rows))).toBe(4);
        const stored = await store.query<{
          ms: string;
          host: string;
          labels: Record<string, string>;
          v: number | null;
          not_a_number: number;
        }>(
          `SELECT toUnixTimestamp64Milli(ts) AS ms, host, labels, if(isNaN(value), NULL, value) AS v,
                  toUInt8(isNaN(value)) AS not_a_number
           FROM host_metrics WHERE agent_id = {a:String} ORDER BY ts`,
          { a },
        );
        expect(stored).toEqual([
          {
            ms: String(ts),
            host: tricky,
            labels: { [tricky]: tricky, 设备: '网卡' },
            v: 1.5,
            not_a_number: 0,
          },
          { ms: String(ts + 7), host: 'h', labels: {}, v: -2e-7, not_a_number: 0 },
          { ms: String(ts + 1000), host: 'h', labels: { k: '' }, v: 1e21, not_a_number: 0 },
          { ms: String(ts + 1090), host: '', labels: { "it's": 'x\\y' }, v: null, not_a_number: 1 },
        ]);
      });

      it('fills the columns it does not name with their defaults', async () => {
        const a = agent('tsv-cols');
        const ts = Date.now() - 4 * MINUTE;
        const payload = Buffer.from(`${tsvDateTime64Millis(ts)}\t${a}\tpartial_metric\t42\n`);
        expect(
          await store.insertTabSeparated('host_metrics', ['ts', 'agent_id', 'name', 'value'], payload),
        ).toBe(1);
        const [row] = await store.query<{ host: string; labels: Record<string, string>; value: number }>(
          'SELECT host, labels, value FROM host_metrics WHERE agent_id = {a:String}',
          { a },
        );
        expect(row).toEqual({ host: '', labels: {}, value: 42 });
      });

      it('stores a batch sent twice with the same token once, in the table and in the roll-ups', async () => {
        const a = agent('tsv-dedup');
        const base = Math.floor((Date.now() - 2 * HOUR) / HOUR) * HOUR + 20 * MINUTE;
        const payload = tsvRows(
          [0, 1, 2].map((i) => ({
            ts: base + i * 10_000,
            agent: a,
            host: 'h',
            name: 'tsv_dedup',
            labels: { i: 'x' },
            value: i,
          })),
        );
        const token = `tsv-${randomUUID()}`;
        expect(await store.insertTabSeparated('host_metrics', COLUMNS, payload, { dedupToken: token })).toBe(
          3,
        );
        expect(await store.insertTabSeparated('host_metrics', COLUMNS, payload, { dedupToken: token })).toBe(
          3,
        );
        const counts = async (): Promise<unknown> => {
          const [row] = await store.query(
            `SELECT
               (SELECT toUInt32(count()) FROM host_metrics WHERE agent_id = {a:String}) AS raw,
               (SELECT toUInt32(sum(value_count)) FROM host_metrics_1m WHERE agent_id = {a:String}) AS minute,
               (SELECT toUInt32(sum(value_count)) FROM host_metrics_1h WHERE agent_id = {a:String}) AS hour`,
            { a },
          );
          return row;
        };
        expect(await counts()).toEqual({ raw: 3, minute: 3, hour: 3 });
        await store.insertTabSeparated('host_metrics', COLUMNS, payload, { dedupToken: `${token}-2` });
        expect(await counts()).toEqual({ raw: 6, minute: 6, hour: 6 });
        await expect(
          store.insertTabSeparated('host_metrics', COLUMNS, payload, { dedupToken: '' }),
        ).rejects.toThrow(/dedupToken must not be empty/);
      });

      it('returns 0 for an empty payload and rejects bad names, bad rows and missing tables with the reason', async () => {
        expect(await store.insertTabSeparated('no_such_table', ['a'], new Uint8Array(0))).toBe(0);
        await expect(store.insertTabSeparated('host_metrics', [], Buffer.from('1\n'))).rejects.toThrow(
          /column list is empty/,
        );
        await expect(
          store.insertTabSeparated('host_metrics', ['value) SELECT 1 --'], Buffer.from('1\n')),
        ).rejects.toThrow(/is not a plain identifier/);
        await expect(
          store.insertTabSeparated('host_metrics', ['value', 'value'], Buffer.from('1\t2\n')),
        ).rejects.toThrow(/named twice/);
        await expect(store.insertTabSeparated('x y', ['a'], Buffer.from('1\n'))).rejects.toBeInstanceOf(
          TelemetryStoreError,
        );
        await expect(store.insertTabSeparated('no_such_table', ['a'], Buffer.from('1\n'))).rejects.toThrow(
          /^INSERT INTO no_such_table failed: /,
        );
        const a = agent('tsv-bad');
        const bad = Buffer.from(`${tsvDateTime64Millis(Date.now())}\t${a}\tnot a number\n`);
        const error = await store
          .insertTabSeparated('host_metrics', ['ts', 'agent_id', 'value'], bad)
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TelemetryStoreError);
        expect((error as Error).message).toMatch(/^INSERT INTO host_metrics failed: Code: \d+/);
        const [row] = await store.query<{ n: number }>(
          'SELECT toUInt32(count()) AS n FROM host_metrics WHERE agent_id = {a:String}',
          { a },
        );
        expect(row?.n).toBe(0);
      });
    });

    describe('Native insert', () => {
      const table = `native_roundtrip_${run}`;
      beforeAll(async () => {
        await store.exec(`CREATE TABLE IF NOT EXISTS ${table}
(
    id UInt32,
    u8 UInt8,
    u16 UInt16,
    u64 UInt64,
    i64 Int64,
    f64 Float64,
    dt DateTime('UTC'),
    dt64 DateTime64(3, 'UTC'),
    s String,
    lc LowCardinality(String),
    lc_const LowCardinality(String),
    ns Nullable(String),
    nf Nullable(Float64),
    nu Nullable(UInt32),
    sa Array(String),
    ua Array(UInt32),
    m Map(String, String),
    ml Map(LowCardinality(String), String),
    untouched String DEFAULT 'default-value'
)
ENGINE = MergeTree
ORDER BY id`);
      });
      afterAll(async () => {
        await store.exec(`DROP TABLE IF EXISTS ${table}`);
      });

      const weird = [
        '',
        'plain',
        '成都市 高新区',
        'tab\there',
        'line\nfeed\r\n',
        'nul\0byte',
        'quote\'s "q" \\',
        '😀',
      ];

      it('round-trips every column type: limits, NULLs, empty strings, UTF-8, control characters, arrays and maps', async () => {
        const n = weird.length;
        const ids = Array.from({ length: n }, (_, i) => i);
        const lc = new LowCardinalityColumn();
        for (const w of weird) lc.push(`lc:${w}`);
        const labelSets: Array<Record<string, string>> = [
          {},
          { device: 'eth0', 挂载点: '/数据' },
          { "k'\t": 'v\n\0' },
        ];
        const block = new NativeBlockBuilder(n)
          .uint('id', 'UInt32', ids)
          .uint(
            'u8',
            'UInt8',
            ids.map((i) => (i === 1 ? 255 : i)),
          )
          .uint(
            'u16',
            'UInt16',
            ids.map((i) => (i === 1 ? 65_535 : i)),
          )
          .uint(
            'u64',
            'UInt64',
            ids.map((i) => (i === 1 ? 18_446_744_073_709_551_615n : i === 2 ? 2 ** 53 - 1 : i)),
          )
          .int64(
            'i64',
            ids.map((i) => (i === 1 ? -(2n ** 63n) : i === 2 ? 2n ** 63n - 1n : -i)),
          )
          .float64(
            'f64',
            ids.map((i) => [0, -0.5, 1e308, 5e-324, Number.POSITIVE_INFINITY, 1 / 3, -1e-9, 42][i]!),
          )
          .dateTime(
            'dt',
            ids.map((i) => (i === 1 ? 4_294_967_295 : 1_700_000_000 + i)),
          )
          .dateTime64Millis(
            'dt64',
            ids.map((i) => 1_700_000_000_000 + i * 1001),
          )
          .string('s', weird)
          .lowCardinality('lc', lc)
          .lowCardinalityConstant('lc_const', '常量')
          .nullableString(
            'ns',
            ids.map((i) => (i % 2 === 0 ? null : weird[i]!)),
          )
          .nullableFloat64(
            'nf',
            ids.map((i) => (i % 3 === 0 ? null : i * 1.5)),
          )
          .nullableUInt(
            'nu',
            'UInt32',
            ids.map((i) => (i === 0 ? null : i === 1 ? 4_294_967_295 : i)),
          )
          .stringArray(
            'sa',
            ids.map((i) =>
              i === 0 ? [] : i === 1 ? Array.from({ length: 1000 }, (_, k) => `e${k}`) : weird.slice(0, i),
            ),
          )
          .uint32Array(
            'ua',
            ids.map((i) => (i === 0 ? [] : [i, 4_294_967_295])),
          )
          .stringMap(
            'm',
            ids.map((i): Record<string, string> =>
              i === 0 ? {} : { [weird[i]!]: weird[n - 1 - i]!, second: '2' },
            ),
          )
          .stringMapIndexed(
            'ml',
            labelSets,
            ids.map((i) => i % labelSets.length),
          );
        expect(await store.insertNative(table, block)).toBe(n);
        const rows = await store.query<Record<string, unknown>>(
          `SELECT id, u8, u16, toString(u64) AS u64, toString(i64) AS i64, toString(f64) AS f64s, f64,
                  toUnixTimestamp(dt) AS dt, toUnixTimestamp64Milli(dt64) AS dt64, s, toString(lc) AS lc,
                  toString(lc_const) AS lc_const, ns, nf, nu, sa, ua, m, CAST(ml, 'Map(String, String)') AS ml,
                  untouched
             FROM ${table} ORDER BY id`,
        );
        expect(rows).toHaveLength(n);
        for (let i = 0; i < n; i++) {
          const r = rows[i]!;
          expect(r.id).toBe(i);
          expect(r.u8).toBe(i === 1 ? 255 : i);
          expect(r.u16).toBe(i === 1 ? 65_535 : i);
          expect(r.u64).toBe(i === 1 ? '18446744073709551615' : i === 2 ? String(2 ** 53 - 1) : String(i));
          expect(r.i64).toBe(i === 1 ? '-9223372036854775808' : i === 2 ? '9223372036854775807' : String(-i));
          expect(Number(r.dt)).toBe(i === 1 ? 4_294_967_295 : 1_700_000_000 + i);
          expect(Number(r.dt64)).toBe(1_700_000_000_000 + i * 1001);
          expect(r.s).toBe(weird[i]);
          expect(r.lc).toBe(`lc:${weird[i]}`);
          expect(r.lc_const).toBe('常量');
          expect(r.ns).toBe(i % 2 === 0 ? null : weird[i]);
          expect(r.nf).toBe(i % 3 === 0 ? null : i * 1.5);
          expect(r.nu).toBe(i === 0 ? null : i === 1 ? 4_294_967_295 : i);
          expect(r.sa).toEqual(
            i === 0 ? [] : i === 1 ? Array.from({ length: 1000 }, (_, k) => `e${k}`) : weird.slice(0, i),
          );
          expect(r.ua).toEqual(i === 0 ? [] : [i, 4_294_967_295]);
          expect(r.m).toEqual(i === 0 ? {} : { [weird[i]!]: weird[n - 1 - i]!, second: '2' });
          expect(r.ml).toEqual(labelSets[i % labelSets.length]);
          expect(r.untouched).toBe('default-value');
        }
        expect(rows.map((r) => r.f64s)).toEqual([
          '0',
          '-0.5',
          '1e308',
          '5e-324',
          'inf',
          '0.3333333333333333',
          '-1e-9',
          '42',
        ]);
      });

      it('stores host metrics of both encodings as exactly the rows of the series', async () => {
        const base = Math.floor((Date.now() - 2 * HOUR) / MINUTE) * MINUTE;
        const series: Series[] = [
          {
            name: 'node_load1',
            labels: {},
            points: [
              [base, 0.25],
              [base + 15_000, 1e-300],
            ],
          },
          {
            name: 'node_cpu_seconds_total',
            labels: { cpu: '0', mode: 'idle' },
            points: [[base, 123_456_789.5]],
          },
          { name: '指标', labels: { 挂载点: '/数据', "k'\t": 'v\n\0' }, points: [[base + 1, -1e300]] },
        ];
        for (const encoding of ['series', 'columnar'] as const) {
          const a = agent(`native-host-${encoding}`);
          const meta = { agentId: a, orgUnitId: 'ou-native', host: `主机-${encoding}` };
          const payload =
            encoding === 'columnar'
              ? encodeHostMetrics(meta.host, series)
              : { kind: 'host-metrics' as const, host: meta.host, series };
          expect(await insertHostMetricsPayload(store, meta, payload)).toBe(4);
          const rows = await store.query<Record<string, unknown>>(
            `SELECT toUnixTimestamp64Milli(ts) AS ts, agent_id, org_unit_id, host, name,
                    CAST(labels, 'Map(String, String)') AS labels, value
               FROM host_metrics WHERE agent_id = {a:String} ORDER BY ts, name`,
            { a },
          );
          const expected = seriesToRows(meta, series).sort(
            (x, y) => x.ts - y.ts || (x.name < y.name ? -1 : 1),
          );
          expect(rows.map((r) => ({ ...r, ts: Number(r.ts) }))).toEqual(expected);
        }
      });

      it('writes dictionaries of more than 256 and 65,536 values (16- and 32-bit indexes)', async () => {
        const n = 70_000;
        const ids = Array.from({ length: n }, (_, i) => 100_000 + i);
        const values = ids.map((_, k) => `v${k % 66_000}`);
        const block = new NativeBlockBuilder(n)
          .uint('id', 'UInt32', ids)
          .lowCardinality('lc', values)
          .lowCardinality(
            'lc_const',
            ids.map((_, k) => `w${k % 300}`),
          );
        expect(await store.insertNative(table, block)).toBe(n);
        const [r] = await store.query<{ n: number; u: number; w: number; bad: number }>(
          `SELECT toUInt32(count()) AS n, toUInt32(uniqExact(lc)) AS u, toUInt32(uniqExact(lc_const)) AS w,
                  toUInt32(countIf(lc != concat('v', toString((id - 100000) % 66000))
                                   OR lc_const != concat('w', toString((id - 100000) % 300)))) AS bad
             FROM ${table} WHERE id >= 100000`,
        );
        expect(r).toEqual({ n, u: 66_000, w: 300, bad: 0 });
      });

      it('stores a block sent twice with the same token once, in the table and in the roll-ups', async () => {
        const a = agent('native-dedup');
        const base = Math.floor((Date.now() - 2 * HOUR) / HOUR) * HOUR + 20 * MINUTE;
        const block = new NativeBlockBuilder(3)
          .dateTime64Millis('ts', [base, base + 10_000, base + 20_000])
          .float64('value', [1, 2, 3])
          .lowCardinalityConstant('agent_id', a)
          .lowCardinalityConstant('org_unit_id', 'ou-native')
          .lowCardinalityConstant('host', 'h')
          .lowCardinalityConstant('name', 'native_dedup')
          .stringMapIndexed('labels', [{ i: 'x' }], [0, 0, 0]);
        const token = `native-${randomUUID()}`;
        expect(await store.insertNative('host_metrics', block, { dedupToken: token })).toBe(3);
        expect(await store.insertNative('host_metrics', block, { dedupToken: token })).toBe(3);
        const counts = async (): Promise<unknown> => {
          const [row] = await store.query(
            `SELECT
               (SELECT toUInt32(count()) FROM host_metrics WHERE agent_id = {a:String}) AS raw,
               (SELECT toUInt32(sum(value_count)) FROM host_metrics_1m WHERE agent_id = {a:String}) AS minute,
               (SELECT toUInt32(sum(value_count)) FROM host_metrics_1h WHERE agent_id = {a:String}) AS hour,
               (SELECT toFloat64(sum(value)) FROM host_metrics WHERE agent_id = {a:String}) AS total`,
            { a },
          );
          return row;
        };
        expect(await counts()).toEqual({ raw: 3, minute: 3, hour: 3, total: 6 });
        await store.insertNative('host_metrics', block, { dedupToken: `${token}-2` });
        expect(await counts()).toEqual({ raw: 6, minute: 6, hour: 6, total: 12 });
      });

      it('returns 0 for an empty block and rejects bad names, missing tables and mistyped columns with the reason', async () => {
        expect(
          await store.insertNative('no_such_table', new NativeBlockBuilder(0).uint('a', 'UInt8', [])),
        ).toBe(0);
        const one = () => new NativeBlockBuilder(1).uint('id', 'UInt32', [7]);
        await expect(store.insertNative('x y', one())).rejects.toBeInstanceOf(TelemetryStoreError);
        await expect(store.insertNative('no_such_table', one())).rejects.toThrow(
          /^INSERT INTO no_such_table failed: /,
        );
        await expect(store.insertNative(table, new NativeBlockBuilder(1))).rejects.toThrow(
          /column list is empty/,
        );
        // An array where the table has a number: the engine refuses the block, nothing is stored.
        const error = await store
          .insertNative(
            table,
            new NativeBlockBuilder(1).uint('id', 'UInt32', [999_999]).stringArray('u8', [['x']]),
          )
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TelemetryStoreError);
        expect((error as Error).message).toMatch(/^INSERT INTO native_roundtrip_\w+ failed: Code: \d+/);
        const [row] = await store.query<{ n: number }>(
          `SELECT toUInt32(count()) AS n FROM ${table} WHERE id = 999999`,
        );
        expect(row?.n).toBe(0);
      });
    });

    describe('dedup token', () => {
      it('stores rows inserted twice with the same token once, in the table and in the roll-ups', async () => {
        const a = agent('dedup');
        const base = Math.floor((Date.now() - 2 * HOUR) / HOUR) * HOUR + 10 * MINUTE;
        const rows = [0, 1, 2, 3].map((i) => ({
          ts: base + i * 10_000,
          agent_id: a,
          org_unit_id: 'ou',
          host: 'h',
          name: 'dedup_metric',
          labels: { i: 'x' },
          value: i,
        }));
        const token = `batch-${randomUUID()}`;
        expect(await store.insert('host_metrics', rows, { dedupToken: token })).toBe(4);
        expect(await store.insert('host_metrics', rows, { dedupToken: token })).toBe(4);
        const counts = async (): Promise<{ raw: number; minute: number; hour: number }> => {
          const [row] = await store.query<{ raw: number; minute: number; hour: number }>(
            `SELECT
               (SELECT toUInt32(count()) FROM host_metrics WHERE agent_id = {a:String}) AS raw,
               (SELECT toUInt32(sum(value_count)) FROM host_metrics_1m WHERE agent_id = {a:String}) AS minute,
               (SELECT toUInt32(sum(value_count)) FROM host_metrics_1h WHERE agent_id = {a:String}) AS hour`,
            { a },
          );
          return row ?? { raw: -1, minute: -1, hour: -1 };
        };
        expect(await counts()).toEqual({ raw: 4, minute: 4, hour: 4 });
        // A different token is a different batch: the same rows are stored again.
        await store.insert('host_metrics', rows, { dedupToken: `${token}-2` });
        expect(await counts()).toEqual({ raw: 8, minute: 8, hour: 8 });
      });

      it('rejects an empty token', async () => {
        await expect(store.insert('host_metrics', [{ value: 1 }], { dedupToken: '' })).rejects.toThrow(
          /dedupToken must not be empty/,
        );
      });
    });

    describe('roll-ups', () => {
      it('aggregates raw points into correct 1-minute and 1-hour rows, also across merges', async () => {
        const a = agent('rollup');
        const hour = Math.floor((Date.now() - 2 * HOUR) / HOUR) * HOUR;
        const m1 = hour + 5 * MINUTE;
        const m2 = hour + 6 * MINUTE;
        const point = (ts: number, value: number, labels: Record<string, string>) => ({
          ts,
          agent_id: a,
          org_unit_id: 'ou',
          host: 'h',
          name: 'rollup_metric',
          labels,
          value,
        });
        // Two inserts make two parts; label order differs but it is the same series.
        await store.insert('host_metrics', [
          point(m1 + 1_000, 4, { a: '1', b: '2' }),
          point(m1 + 50_000, 10, { b: '2', a: '1' }),
          point(m2 + 5_000, 7, { a: '1', b: '2' }),
        ]);
        await store.insert('host_metrics', [
          point(m1 + 20_000, 1, { b: '2', a: '1' }),
          point(m2 + 30_000, 3, { a: '1', b: '2' }),
        ]);
        await store.exec('OPTIMIZE TABLE host_metrics_1m FINAL');
        await store.exec('OPTIMIZE TABLE host_metrics_1h FINAL');
        const minuteRows = await store.query(
          `SELECT toUnixTimestamp(ts) * 1000 AS t, labels, value_min AS min, value_max AS max,
                  value_sum / value_count AS avg, toUInt32(value_count) AS count,
                  finalizeAggregation(value_last) AS last, toUnixTimestamp64Milli(ts_max) AS last_ms
           FROM host_metrics_1m WHERE agent_id = {a:String} ORDER BY ts`,
          { a },
        );
        expect(minuteRows).toEqual([
          {
            t: String(m1),
            labels: { a: '1', b: '2' },
            min: 1,
            max: 10,
            avg: 5,
            count: 3,
            last: 10,
            last_ms: String(m1 + 50_000),
          },
          {
            t: String(m2),
            labels: { a: '1', b: '2' },
            min: 3,
            max: 7,
            avg: 5,
            count: 2,
            last: 3,
            last_ms: String(m2 + 30_000),
          },
        ]);
        const hourRows = await store.query(
          `SELECT toUnixTimestamp(ts) * 1000 AS t, value_min AS min, value_max AS max,
                  value_sum / value_count AS avg, toUInt32(value_count) AS count,
                  finalizeAggregation(value_last) AS last
           FROM host_metrics_1h WHERE agent_id = {a:String}`,
          { a },
        );
        expect(hourRows).toEqual([{ t: String(hour), min: 1, max: 10, avg: 5, count: 5, last: 3 }]);
      });
    });

    describe('host charts and snapshot', () => {
      const a = agent('host-a');
      const b = agent('host-b');
      // Three whole hours of data ending at the last full hour, with a reboot 100 minutes in.
      const end = Math.floor(Date.now() / HOUR) * HOUR;
      const start = end - 3 * HOUR;
      const reset = start + 100 * MINUTE + 15_000;

      beforeAll(async () => {
        // Host A: per 30 s 3 + 1 busy and 5 + 1 idle/iowait CPU seconds → 40 % busy; memory 75 % used.
        const hostA = syntheticHost(start, reset, { user: 3, system: 1, idle: 5, iowait: 1 }, 250);
        // Host B: 1 + 1 busy and 7 + 1 idle → 20 % busy; memory 25 % used.
        const hostB = syntheticHost(start, reset, { user: 1, system: 1, idle: 7, iowait: 1 }, 750);
        await insertHostMetrics(store, { agentId: a, orgUnitId: 'ou-a', host: 'host-a' }, hostA, {
          dedupToken: `${a}-1`,
        });
        await insertHostMetrics(store, { agentId: b, orgUnitId: 'ou-b', host: 'host-b' }, hostB, {
          dedupToken: `${b}-1`,
        });
      });

      it('computes cpu %, memory %, load, network rates and disk % from raw samples', async () => {
        const charts = await hostCharts(store, {
          agentId: a,
          fromMs: start + 60 * MINUTE,
          toMs: start + 120 * MINUTE,
          stepSeconds: 60,
        });
        expect(charts.resolution).toBe('raw');
        expect(charts.stepSeconds).toBe(60);
        // Sixty one-minute buckets; the one holding the reboot has negative differences and no rate.
        const resetBucket = Math.floor(reset / MINUTE) * MINUTE;
        expect(charts.cpuPercent.map(([t]) => t)).not.toContain(resetBucket);
        expect(charts.cpuPercent).toHaveLength(59);
        expect(charts.cpuPercent[0]?.[0]).toBe(start + 60 * MINUTE);
        expectAllClose(charts.cpuPercent, 40);
        expectAllClose(
          charts.netRxBytesPerSecond.filter(([t]) => t !== resetBucket),
          150,
        );
        // In the reboot bucket every interface's difference is negative, so there is no rx point.
        expect(charts.netRxBytesPerSecond.map(([t]) => t)).not.toContain(resetBucket);
        expectAllClose(charts.netTxBytesPerSecond, 20);
        expect(charts.memoryPercent).toHaveLength(60);
        expectAllClose(charts.memoryPercent, 75);
        expectAllClose(charts.load1, 0.5);
        expectAllClose(charts.diskUsedPercent, 60);
      });

      it('combines several hosts: ratios of summed counters, summed rates, mean load', async () => {
        const charts = await hostCharts(store, {
          agentIds: [a, b],
          fromMs: start + 10 * MINUTE,
          toMs: start + 20 * MINUTE,
          stepSeconds: 120,
        });
        expect(charts.cpuPercent).toHaveLength(5);
        expectAllClose(charts.cpuPercent, 30);
        expectAllClose(charts.memoryPercent, 50);
        expectAllClose(charts.netRxBytesPerSecond, 300);
        expectAllClose(charts.load1, 0.5);
      });

      it('reads the 1-minute roll-ups for ranges over 6 hours', async () => {
        const charts = await hostCharts(store, {
          agentId: a,
          fromMs: end - 8 * HOUR,
          toMs: end,
          stepSeconds: 300,
        });
        expect(charts.resolution).toBe('1m');
        expect(charts.stepSeconds).toBe(300);
        const resetBucket = Math.floor(reset / (5 * MINUTE)) * 5 * MINUTE;
        // 36 five-minute buckets with data; the first has no predecessor and the reboot bucket is skipped.
        expect(charts.cpuPercent).toHaveLength(34);
        expect(charts.cpuPercent.map(([t]) => t)).not.toContain(resetBucket);
        expectAllClose(charts.cpuPercent, 40);
        expectAllClose(charts.netRxBytesPerSecond, 150);
        expect(charts.memoryPercent).toHaveLength(36);
        expectAllClose(charts.memoryPercent, 75);
        expectAllClose(charts.diskUsedPercent, 60);
      });

      it('reads the 1-hour roll-ups beyond 7 days and skips the hour with the counter reset', async () => {
        const charts = await hostCharts(store, {
          agentId: a,
          fromMs: end - 8 * 24 * HOUR,
          toMs: end,
          stepSeconds: 60,
        });
        expect(charts.resolution).toBe('1h');
        expect(charts.stepSeconds).toBe(3600);
        expect(charts.cpuPercent).toEqual([[start + 2 * HOUR, expect.closeTo(40, 6)]]);
        expect(charts.netTxBytesPerSecond).toEqual([[start + 2 * HOUR, expect.closeTo(20, 6)]]);
        expect(values(charts.memoryPercent)).toEqual([75, 75, 75]);
      });

      it('gives the latest cpu %, memory %, load and sample time per agent', async () => {
        const snapshot = await latestHostSnapshot(store, [a, b, agent('silent')], { nowMs: end });
        const lastSample = start + 3 * HOUR - 30_000;
        expect(snapshot).toEqual([
          {
            agentId: a,
            cpuPercent: expect.closeTo(40, 6),
            memoryPercent: 75,
            load1: 0.5,
            lastSampleMs: lastSample,
          },
          {
            agentId: b,
            cpuPercent: expect.closeTo(20, 6),
            memoryPercent: 25,
            load1: 0.5,
            lastSampleMs: lastSample,
          },
          {
            agentId: agent('silent'),
            cpuPercent: null,
            memoryPercent: null,
            load1: null,
            lastSampleMs: null,
          },
        ]);
      });

      it('answers empty charts for no agents and rejects a reversed range', async () => {
        const charts = await hostCharts(store, { agentIds: [], fromMs: start, toMs: end, stepSeconds: 60 });
        expect(charts.cpuPercent).toEqual([]);
        await expect(
          hostCharts(store, { agentId: a, fromMs: end, toMs: start, stepSeconds: 60 }),
        ).rejects.toThrow(/fromMs < toMs/);
      });
    });

    describe('errors', () => {
      it('rejects invalid SQL with a TelemetryStoreError naming the statement and the reason', async () => {
        const error = await store.query('SELEC 1').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TelemetryStoreError);
        expect((error as TelemetryStoreError).message).toMatch(/^SELEC failed: .*Syntax error/);
        expect((error as TelemetryStoreError).clickhouseCode).toBe(62);
      });

      it('rejects a query on a missing table with the engine code', async () => {
        const error = await store.query('SELECT * FROM no_such_table_here').catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TelemetryStoreError);
        expect((error as TelemetryStoreError).message).toMatch(/^SELECT failed: .*no_such_table_here/);
        expect((error as TelemetryStoreError).clickhouseCode).toBe(60);
      });

      it('rejects an insert into a missing table and a table name that is not an identifier', async () => {
        await expect(store.insert('no_such_table', [{ a: 1 }])).rejects.toThrow(
          /^INSERT INTO no_such_table failed: /,
        );
        await expect(store.insert('x; DROP TABLE host_metrics', [{ a: 1 }])).rejects.toBeInstanceOf(
          TelemetryStoreError,
        );
      });

      it('rejects rows that do not fit the table', async () => {
        const error = await store
          .insert('host_metrics', [{ ts: 'not a time', value: 'x' }])
          .catch((e: unknown) => e);
        expect(error).toBeInstanceOf(TelemetryStoreError);
        expect((error as Error).message).toMatch(/^INSERT INTO host_metrics failed: Code: \d+/);
      });

      it('rejects a bad exec', async () => {
        await expect(store.exec('OPTIMIZE TABLE no_such_table_here FINAL')).rejects.toThrow(
          /^OPTIMIZE failed: /,
        );
      });
    });

    describe('lifecycle', () => {
      it('pings', async () => {
        await expect(store.ping()).resolves.toBeUndefined();
      });

      it('changes TTLs when another store migrates with a new retention, and rejects calls after close', async () => {
        const other = await factory({ rawDays: 3, minuteDays: 60, hourDays: 365 });
        await other.migrate();
        const [row] = await other.query<{ statement: string }>('SHOW CREATE TABLE host_metrics_1h');
        expect(row?.statement).toContain('TTL ts + toIntervalDay(365)');
        const [raw] = await other.query<{ statement: string }>('SHOW CREATE TABLE host_metrics');
        expect(raw?.statement).toContain('TTL toDateTime(ts) + toIntervalDay(3)');
        await other.close();
        await other.close();
        await expect(other.query('SELECT 1')).rejects.toThrow(/closed/);
        await expect(other.ping()).rejects.toBeInstanceOf(TelemetryStoreError);
      });
    });
  });
}
