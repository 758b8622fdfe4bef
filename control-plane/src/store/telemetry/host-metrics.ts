/**
 * Host metrics over the telemetry store: turning agent series into `host_metrics` rows (the ingest
 * hot path), host charts computed in ClickHouse SQL, and the latest snapshot per host for the fleet
 * table. Works with either store implementation.
 *
 * Metric names are those the host agent sends, in Prometheus node_exporter style:
 * `node_cpu_seconds_total{cpu,mode}`, `node_memory_{total,available}_bytes`, `node_load{1,5,15}`,
 * `node_network_{receive,transmit}_bytes_total{device}` and
 * `node_filesystem_{size,avail}_bytes{mountpoint,device,fstype}`.
 */
import type { HostMetricsColumnarPayload, HostMetricsPayload, Series } from '@tianshu/protocol';
import { InputError } from '../../errors.js';
import { TABLES } from './schema.js';
import { NativeBlockBuilder } from './native.js';
import { TsvBuilder, tsvDateTime64Millis, tsvEscape, tsvMap } from './tsv.js';
import type { InsertOptions, TelemetryStore } from './types.js';
import { TelemetryStoreError } from './types.js';

/** Who sent a batch of series; stamped on every row. */
export interface HostMetricsMeta {
  agentId: string;
  orgUnitId: string;
  host: string;
}

/** One row of `host_metrics`; `ts` is unix milliseconds. */
export type HostMetricRow = {
  ts: number;
  agent_id: string;
  org_unit_id: string;
  host: string;
  name: string;
  labels: Record<string, string>;
  value: number;
};

function nonFinite(series: Series, ts: number, value: number): TelemetryStoreError {
  return new TelemetryStoreError(
    `host metrics: series ${series.name} has a non-finite value ${String(value)} at ${String(ts)}`,
  );
}

/** Rows for `host_metrics`, one per point. The ingest path uses `seriesToTabSeparated` instead. */
export function seriesToRows(meta: HostMetricsMeta, series: readonly Series[]): HostMetricRow[] {
  const rows: HostMetricRow[] = [];
  for (const s of series) {
    const labels = s.labels ?? {};
    for (const [ts, value] of s.points) {
      if (!Number.isFinite(value)) throw nonFinite(s, ts, value);
      rows.push({
        ts,
        agent_id: meta.agentId,
        org_unit_id: meta.orgUnitId,
        host: meta.host,
        name: s.name,
        labels,
        value,
      });
    }
  }
  return rows;
}

/**
 * The same rows as `seriesToRows`, serialized straight to a JSONEachRow buffer for
 * `TelemetryStore.insertJsonEachRow`. The part of each line that is the same for a whole series
 * (agent, org unit, host, name, labels) is serialized once per series; per point only the timestamp
 * and value are appended, which is what makes this several times faster than building objects.
 */
export function seriesToJsonEachRow(
  meta: HostMetricsMeta,
  series: readonly Series[],
): { ndjson: Buffer; rows: number } {
  const common =
    `"agent_id":${JSON.stringify(meta.agentId)},"org_unit_id":${JSON.stringify(meta.orgUnitId)},` +
    `"host":${JSON.stringify(meta.host)},"name":`;
  let text = '';
  let rows = 0;
  for (const s of series) {
    const prefix = `{${common}${JSON.stringify(s.name)},"labels":${JSON.stringify(s.labels ?? {})},"ts":`;
    for (const [ts, value] of s.points) {
      if (!Number.isFinite(value)) throw nonFinite(s, ts, value);
      // Timestamps are integers (the protocol checks it); DateTime64(3) reads an integer as milliseconds.
      text += `${prefix}${ts},"value":${value}}\n`;
    }
    rows += s.points.length;
  }
  return { ndjson: Buffer.from(text, 'utf8'), rows };
}

/** The columns of `host_metrics` in the order the TabSeparated rows below carry them. */
export const HOST_METRICS_TSV_COLUMNS = Object.freeze([
  'ts',
  'value',
  'agent_id',
  'org_unit_id',
  'host',
  'name',
  'labels',
] as const);

/**
 * The same rows as `seriesToRows` as a TabSeparated payload (columns `HOST_METRICS_TSV_COLUMNS`), for
 * `TelemetryStore.insertTabSeparated`: per series the constant tail of its rows (agent, org unit,
 * host, name, labels) is encoded once; per point only the time and the value.
 */
export function seriesToTabSeparated(
  meta: HostMetricsMeta,
  series: readonly Series[],
): { tsv: Buffer; rows: number } {
  const common = `${tsvEscape(meta.agentId)}\t${tsvEscape(meta.orgUnitId)}\t${tsvEscape(meta.host)}\t`;
  const out = new TsvBuilder(HOST_METRICS_TSV_COLUMNS.length);
  for (const s of series) {
    const tail = `\t${common}${tsvEscape(s.name)}\t${tsvMap(s.labels ?? {})}`;
    for (const [ts, value] of s.points) {
      if (!Number.isFinite(value)) throw nonFinite(s, ts, value);
      out.line(`${tsvDateTime64Millis(ts)}\t${value}${tail}`);
    }
  }
  return { tsv: out.toBuffer(), rows: out.rows };
}

/**
 * The rows of a columnar host-metrics payload as a TabSeparated payload (columns
 * `HOST_METRICS_TSV_COLUMNS`), straight from the columns: no object per point or per row. The
 * payload must have passed `HostMetricsColumnarPayload` (indices in range, finite values); a value
 * that is not finite is refused all the same rather than stored as something else.
 */
export function columnarToTabSeparated(
  meta: HostMetricsMeta,
  payload: HostMetricsColumnarPayload,
): { tsv: Buffer; rows: number } {
  const common = `${tsvEscape(meta.agentId)}\t${tsvEscape(meta.orgUnitId)}\t${tsvEscape(meta.host)}\t`;
  const names = payload.names.map(tsvEscape);
  const labelSets = payload.labelSets.map(tsvMap);
  const { seriesName, seriesLabels, seriesPoints, t0, t, v } = payload;
  // The series of one host share their collection times: each distinct time is encoded once.
  const times = new Map<number, string>();
  const out = new TsvBuilder(HOST_METRICS_TSV_COLUMNS.length);
  let k = 0;
  for (let i = 0; i < seriesName.length; i++) {
    const tail = `\t${common}${names[seriesName[i]!]}\t${labelSets[seriesLabels[i]!]}`;
    const end = k + seriesPoints[i]!;
    for (; k < end; k++) {
      const value = v[k]!;
      if (value - value !== 0) {
        throw new TelemetryStoreError(
          `host metrics: series ${payload.names[seriesName[i]!]} has a non-finite value ${String(value)} at v[${k}]`,
        );
      }
      const offset = t[k]!;
      let ts = times.get(offset);
      if (ts === undefined) {
        ts = `${tsvDateTime64Millis(t0 + offset)}\t`;
        if (times.size < 65_536) times.set(offset, ts);
      }
      out.line(ts + value + tail);
    }
  }
  return { tsv: out.toBuffer(), rows: out.rows };
}

/**
 * The rows of a columnar host-metrics payload as one Native block (the ingest path): times and
 * values binary, agent, org unit and host as constant dictionaries, the metric names as the
 * payload's own dictionary, each label set encoded once. The payload must have passed
 * `HostMetricsColumnarPayload`; a value that is not finite is refused all the same.
 */
export function columnarToNative(
  meta: HostMetricsMeta,
  payload: HostMetricsColumnarPayload,
): NativeBlockBuilder {
  const { seriesName, seriesLabels, seriesPoints, t0, t, v } = payload;
  const n = v.length;
  const ts = new Array<number>(n);
  const nameIndex = new Uint32Array(n);
  const labelIndex = new Uint32Array(n);
  let k = 0;
  for (let i = 0; i < seriesName.length; i++) {
    const end = k + seriesPoints[i]!;
    if (end > n) {
      throw new TelemetryStoreError(`host metrics: series ${i} claims points beyond the ${n} values of v`);
    }
    const name = seriesName[i]!;
    const labels = seriesLabels[i]!;
    for (; k < end; k++) {
      const value = v[k]!;
      if (value - value !== 0) {
        throw new TelemetryStoreError(
          `host metrics: series ${payload.names[name]} has a non-finite value ${String(value)} at v[${k}]`,
        );
      }
      ts[k] = t0 + t[k]!;
      nameIndex[k] = name;
      labelIndex[k] = labels;
    }
  }
  if (k !== n) throw new TelemetryStoreError(`host metrics: the series own ${k} points, v has ${n} values`);
  return hostBlock(meta, ts, v, payload.names, nameIndex, payload.labelSets, labelIndex);
}

/** The rows of series (the original shape) as one Native block, like `columnarToNative`. */
export function seriesToNative(meta: HostMetricsMeta, series: readonly Series[]): NativeBlockBuilder {
  let n = 0;
  for (const s of series) n += s.points.length;
  const ts = new Array<number>(n);
  const values = new Array<number>(n);
  const names: string[] = [];
  const labelSets: Array<Record<string, string>> = [];
  const nameIndex = new Uint32Array(n);
  const labelIndex = new Uint32Array(n);
  let k = 0;
  series.forEach((s, i) => {
    names.push(s.name);
    labelSets.push(s.labels ?? {});
    for (const [time, value] of s.points) {
      if (!Number.isFinite(value)) throw nonFinite(s, time, value);
      ts[k] = time;
      values[k] = value;
      nameIndex[k] = i;
      labelIndex[k] = i;
      k++;
    }
  });
  return hostBlock(meta, ts, values, names, nameIndex, labelSets, labelIndex);
}

function hostBlock(
  meta: HostMetricsMeta,
  ts: ArrayLike<number>,
  values: ArrayLike<number>,
  names: readonly string[],
  nameIndex: ArrayLike<number>,
  labelSets: ReadonlyArray<Readonly<Record<string, string>>>,
  labelIndex: ArrayLike<number>,
): NativeBlockBuilder {
  try {
    return new NativeBlockBuilder(ts.length, ts.length * 24)
      .dateTime64Millis('ts', ts)
      .float64('value', values)
      .lowCardinalityConstant('agent_id', meta.agentId)
      .lowCardinalityConstant('org_unit_id', meta.orgUnitId)
      .lowCardinalityConstant('host', meta.host)
      .lowCardinalityIndexed('name', names, nameIndex)
      .stringMapIndexed('labels', labelSets, labelIndex);
  } catch (error) {
    if (error instanceof RangeError) throw new TelemetryStoreError(`host metrics: ${error.message}`);
    throw error;
  }
}

/** Serializes and inserts one agent's series (the original shape); resolves with the number of rows. */
export async function insertHostMetrics(
  store: TelemetryStore,
  meta: HostMetricsMeta,
  series: readonly Series[],
  options: InsertOptions = {},
): Promise<number> {
  const block = seriesToNative(meta, series);
  if (block.rows === 0) return 0;
  return store.insertNative(TABLES.raw, block, options);
}

/** Stores a host-metrics payload of either encoding (as one Native insert); resolves with the rows. */
export async function insertHostMetricsPayload(
  store: TelemetryStore,
  meta: HostMetricsMeta,
  payload: HostMetricsPayload,
  options: InsertOptions = {},
): Promise<number> {
  if (payload.encoding !== 'columnar') return insertHostMetrics(store, meta, payload.series, options);
  const block = columnarToNative(meta, payload);
  if (block.rows === 0) return 0;
  return store.insertNative(TABLES.raw, block, options);
}

/**
 * The same payload through the TabSeparated path (the ingest path before Native): kept for the
 * benchmarks' side-by-side comparison and for tools.
 */
export async function insertHostMetricsPayloadTabSeparated(
  store: TelemetryStore,
  meta: HostMetricsMeta,
  payload: HostMetricsPayload,
  options: InsertOptions = {},
): Promise<number> {
  const { tsv, rows } =
    payload.encoding === 'columnar'
      ? columnarToTabSeparated(meta, payload)
      : seriesToTabSeparated(meta, payload.series);
  if (rows === 0) return 0;
  await store.insertTabSeparated(TABLES.raw, HOST_METRICS_TSV_COLUMNS, tsv, options);
  return rows;
}

/** A chart point: [unix milliseconds of the bucket start, value]. */
export type ChartPoint = [number, number];

export type HostChartsQuery = {
  fromMs: number;
  toMs: number;
  /** Wanted bucket width; raised to the resolution of the table used (60 s for 1m, 3600 s for 1h). */
  stepSeconds: number;
} & ({ agentId: string; agentIds?: undefined } | { agentIds: readonly string[]; agentId?: undefined });

export type ChartResolution = 'raw' | '1m' | '1h';

/**
 * Host charts. With several agents the charts describe them together: CPU and memory as ratios of
 * the summed counters (so a larger host weighs more), load as the mean of the hosts, network as the
 * sum. A bucket without data for a chart has no point in it.
 */
export interface HostCharts {
  cpuPercent: ChartPoint[];
  memoryPercent: ChartPoint[];
  load1: ChartPoint[];
  netRxBytesPerSecond: ChartPoint[];
  netTxBytesPerSecond: ChartPoint[];
  diskUsedPercent: ChartPoint[];
  /** The table the charts were computed from. */
  resolution: ChartResolution;
  /** The bucket width actually used. */
  stepSeconds: number;
}

const HOUR_MS = 3_600_000;
const MAX_BUCKETS = 20_000;

/** Raw samples up to 6 hours, 1-minute roll-ups up to 7 days, 1-hour roll-ups beyond. */
export function chartResolution(fromMs: number, toMs: number): ChartResolution {
  const range = toMs - fromMs;
  if (range <= 6 * HOUR_MS) return 'raw';
  if (range <= 7 * 24 * HOUR_MS) return '1m';
  return '1h';
}

const CHART_NAMES = [
  'node_cpu_seconds_total',
  'node_memory_total_bytes',
  'node_memory_available_bytes',
  'node_load1',
  'node_network_receive_bytes_total',
  'node_network_transmit_bytes_total',
  'node_filesystem_size_bytes',
  'node_filesystem_avail_bytes',
];

/** Rows of one bucket per series: last value, time of the last sample, mean value. */
function perBucketSql(resolution: ChartResolution): string {
  const where = `agent_id IN {agents:Array(String)}
      AND name IN {names:Array(String)}
      AND ts >= fromUnixTimestamp64Milli({start_ms:Int64}, 'UTC')
      AND ts < fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC')
      AND (name != 'node_cpu_seconds_total' OR labels['cpu'] = 'all')
      AND (name NOT LIKE 'node_network_%' OR labels['device'] != 'lo')
      AND (name NOT LIKE 'node_filesystem_%' OR labels['mountpoint'] = '/')`;
  if (resolution === 'raw') {
    return `SELECT
        agent_id, name, series_id,
        any(labels['mode']) AS mode,
        intDiv(toUnixTimestamp64Milli(ts), {step_ms:Int64}) * {step_ms:Int64} AS bucket,
        argMax(value, ts) AS last_value,
        toUnixTimestamp64Milli(max(ts)) AS last_ms,
        avg(value) AS mean_value
    FROM (SELECT *, cityHash64(mapSort(labels)) AS series_id FROM ${TABLES.raw} WHERE ${where})
    GROUP BY agent_id, name, series_id, bucket`;
  }
  const table = resolution === '1m' ? TABLES.minute : TABLES.hour;
  return `SELECT
        agent_id, name, series_id,
        any(labels['mode']) AS mode,
        intDiv(toInt64(toUnixTimestamp(ts)) * 1000, {step_ms:Int64}) * {step_ms:Int64} AS bucket,
        argMaxMerge(value_last) AS last_value,
        toUnixTimestamp64Milli(max(ts_max)) AS last_ms,
        sum(value_sum) / sum(value_count) AS mean_value
    FROM ${table}
    WHERE ${where}
    GROUP BY agent_id, name, series_id, bucket`;
}

/** A nullable aggregate that is NULL when no row matches `condition`. */
function when(condition: string, expression: string): string {
  return `if(countIf(${condition}) = 0, NULL, ${expression})`;
}

function chartsSql(resolution: ChartResolution): string {
  const counterOk = `rn > 1 AND delta >= 0 AND dt > 0`;
  const cpu = `name = 'node_cpu_seconds_total' AND ${counterOk}`;
  const rx = `name = 'node_network_receive_bytes_total' AND ${counterOk}`;
  const tx = `name = 'node_network_transmit_bytes_total' AND ${counterOk}`;
  const ratio = (used: string, total: string): string =>
    when(
      `name = '${total}'`,
      `100 * (1 - sumIf(mean_value, name = '${used}') / nullIf(sumIf(mean_value, name = '${total}'), 0))`,
    );
  return `WITH
per_bucket AS (
    ${perBucketSql(resolution)}
),
with_delta AS (
    SELECT
        bucket, name, mode, mean_value,
        last_value - lagInFrame(last_value) OVER w AS delta,
        (last_ms - lagInFrame(last_ms) OVER w) / 1000 AS dt,
        row_number() OVER w AS rn
    FROM per_bucket
    WINDOW w AS (PARTITION BY agent_id, name, series_id ORDER BY bucket ASC
                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
)
SELECT
    toFloat64(bucket) AS t,
    ${when(cpu, `100 * (1 - sumIf(delta, ${cpu} AND mode IN ('idle', 'iowait')) / nullIf(sumIf(delta, ${cpu}), 0))`)} AS cpu_percent,
    ${ratio('node_memory_available_bytes', 'node_memory_total_bytes')} AS memory_percent,
    ${when(`name = 'node_load1'`, `avgIf(mean_value, name = 'node_load1')`)} AS load1,
    ${when(rx, `sumIf(delta / dt, ${rx})`)} AS net_rx,
    ${when(tx, `sumIf(delta / dt, ${tx})`)} AS net_tx,
    ${ratio('node_filesystem_avail_bytes', 'node_filesystem_size_bytes')} AS disk_percent
FROM with_delta
WHERE bucket >= {from_ms:Int64}
GROUP BY bucket
ORDER BY bucket`;
}

interface ChartRow {
  t: number;
  cpu_percent: number | null;
  memory_percent: number | null;
  load1: number | null;
  net_rx: number | null;
  net_tx: number | null;
  disk_percent: number | null;
}

function agentsOf(query: {
  agentId?: string | undefined;
  agentIds?: readonly string[] | undefined;
}): string[] {
  const ids =
    query.agentIds !== undefined ? [...query.agentIds] : query.agentId !== undefined ? [query.agentId] : [];
  if (ids.some((id) => typeof id !== 'string' || id === ''))
    throw new InputError('agent ids must be non-empty strings');
  return ids;
}

/**
 * Computes host charts in ClickHouse SQL. Counters become per-bucket differences of the last value
 * in each bucket (per series), divided by the time between those last samples; a negative difference
 * (a counter reset) is left out. The bucket before `fromMs` is read so the first bucket has a rate.
 */
export async function hostCharts(store: TelemetryStore, query: HostChartsQuery): Promise<HostCharts> {
  const { fromMs, toMs, stepSeconds } = query;
  if (!Number.isSafeInteger(fromMs) || !Number.isSafeInteger(toMs) || fromMs < 0 || toMs <= fromMs) {
    throw new InputError('host charts need integer fromMs < toMs (unix milliseconds)');
  }
  if (!Number.isInteger(stepSeconds) || stepSeconds < 1) {
    throw new InputError('host charts need stepSeconds, a whole number of seconds ≥ 1');
  }
  const agents = agentsOf(query);
  const resolution = chartResolution(fromMs, toMs);
  const unit = resolution === 'raw' ? 1 : resolution === '1m' ? 60 : 3600;
  const step = Math.ceil(stepSeconds / unit) * unit;
  const stepMs = step * 1000;
  if ((toMs - fromMs) / stepMs > MAX_BUCKETS) {
    throw new InputError(
      `host charts: ${stepSeconds} s steps give more than ${MAX_BUCKETS} points; use a larger step`,
    );
  }
  const charts: HostCharts = {
    cpuPercent: [],
    memoryPercent: [],
    load1: [],
    netRxBytesPerSecond: [],
    netTxBytesPerSecond: [],
    diskUsedPercent: [],
    resolution,
    stepSeconds: step,
  };
  if (agents.length === 0) return charts;
  const alignedFrom = Math.floor(fromMs / stepMs) * stepMs;
  const rows = await store.query<ChartRow>(chartsSql(resolution), {
    agents,
    names: CHART_NAMES,
    start_ms: alignedFrom - stepMs,
    from_ms: alignedFrom,
    to_ms: toMs,
    step_ms: stepMs,
  });
  const push = (target: ChartPoint[], t: number, value: number | null): void => {
    if (value !== null && Number.isFinite(value)) target.push([t, value]);
  };
  for (const row of rows) {
    const t = Number(row.t);
    push(charts.cpuPercent, t, row.cpu_percent);
    push(charts.memoryPercent, t, row.memory_percent);
    push(charts.load1, t, row.load1);
    push(charts.netRxBytesPerSecond, t, row.net_rx);
    push(charts.netTxBytesPerSecond, t, row.net_tx);
    push(charts.diskUsedPercent, t, row.disk_percent);
  }
  return charts;
}

/** The latest state of one host for the fleet table; `null` where there is no recent data. */
export interface HostSnapshot {
  agentId: string;
  /** CPU busy % between the last two samples of `node_cpu_seconds_total{cpu="all"}`. */
  cpuPercent: number | null;
  memoryPercent: number | null;
  load1: number | null;
  /** Time of the newest CPU, memory or load sample. */
  lastSampleMs: number | null;
}

export interface SnapshotOptions {
  /** How far back to look for samples; default one hour. */
  lookbackMs?: number;
  /** The present, for tests; default `Date.now()`. */
  nowMs?: number;
}

const SNAPSHOT_SQL = `WITH
ranked AS (
    SELECT
        agent_id, name, cityHash64(mapSort(labels)) AS series_id, labels['mode'] AS mode, value,
        toUnixTimestamp64Milli(ts) AS ms,
        row_number() OVER (PARTITION BY agent_id, name, series_id ORDER BY ts DESC) AS rn
    FROM ${TABLES.raw}
    WHERE agent_id IN {agents:Array(String)}
      AND name IN ('node_cpu_seconds_total', 'node_memory_total_bytes', 'node_memory_available_bytes', 'node_load1')
      AND ts >= fromUnixTimestamp64Milli({since_ms:Int64}, 'UTC')
      AND (name != 'node_cpu_seconds_total' OR labels['cpu'] = 'all')
),
per_series AS (
    SELECT
        agent_id, name, any(mode) AS mode,
        anyIf(value, rn = 1) AS v1,
        anyIf(value, rn = 2) AS v2,
        countIf(rn = 2) AS has_previous,
        maxIf(ms, rn = 1) AS last_ms
    FROM ranked
    WHERE rn <= 2
    GROUP BY agent_id, name, series_id
)
SELECT
    agent_id,
    ${when(
      `name = 'node_cpu_seconds_total' AND has_previous > 0 AND v1 >= v2`,
      `100 * (1 - sumIf(v1 - v2, name = 'node_cpu_seconds_total' AND has_previous > 0 AND v1 >= v2 AND mode IN ('idle', 'iowait'))
        / nullIf(sumIf(v1 - v2, name = 'node_cpu_seconds_total' AND has_previous > 0 AND v1 >= v2), 0))`,
    )} AS cpu_percent,
    ${when(
      `name = 'node_memory_total_bytes'`,
      `100 * (1 - anyIf(v1, name = 'node_memory_available_bytes') / nullIf(anyIf(v1, name = 'node_memory_total_bytes'), 0))`,
    )} AS memory_percent,
    ${when(`name = 'node_load1'`, `anyIf(v1, name = 'node_load1')`)} AS load1,
    toFloat64(max(last_ms)) AS last_ms
FROM per_series
GROUP BY agent_id`;

/** The latest CPU, memory and load per agent, in the order of `agentIds`. */
export async function latestHostSnapshot(
  store: TelemetryStore,
  agentIds: readonly string[],
  options: SnapshotOptions = {},
): Promise<HostSnapshot[]> {
  const lookbackMs = options.lookbackMs ?? HOUR_MS;
  const nowMs = options.nowMs ?? Date.now();
  if (!Number.isSafeInteger(lookbackMs) || lookbackMs <= 0) {
    throw new InputError('host snapshot lookbackMs must be a positive integer');
  }
  const agents = agentsOf({ agentIds });
  if (agents.length === 0) return [];
  const rows = await store.query<{
    agent_id: string;
    cpu_percent: number | null;
    memory_percent: number | null;
    load1: number | null;
    last_ms: number;
  }>(SNAPSHOT_SQL, { agents: [...new Set(agents)], since_ms: nowMs - lookbackMs });
  const byAgent = new Map(rows.map((r) => [r.agent_id, r]));
  const finite = (v: number | null | undefined): number | null =>
    v !== null && v !== undefined && Number.isFinite(v) ? v : null;
  return agents.map((agentId) => {
    const row = byAgent.get(agentId);
    return {
      agentId,
      cpuPercent: finite(row?.cpu_percent),
      memoryPercent: finite(row?.memory_percent),
      load1: finite(row?.load1),
      lastSampleMs: row ? Number(row.last_ms) : null,
    };
  });
}
