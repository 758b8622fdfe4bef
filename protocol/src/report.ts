import { z } from 'zod';
import { text } from './text.js';
import { DiscoveryPayload, InterfacePollReport, MAX_TIMESTAMP_MILLIS, SweepPayload } from './network.js';
import { FlowAggregatesPayload } from './flows.js';
import { SecurityAlertsPayload, SecurityEventsPayload } from './security.js';
import { intColumn, numberColumn } from './columns.js';

/** Metric names follow Prometheus naming: lowercase snake case with a unit suffix. */
export const MetricName = text()
  .min(1)
  .max(128)
  .regex(/^[a-z_][a-z0-9_]*$/, 'metric name must match [a-z_][a-z0-9_]*');

const LabelValue = text().max(256);
export const Labels = z
  .record(
    text()
      .min(1)
      .max(64)
      .regex(/^[a-z_][a-z0-9_]*$/, 'label name must match [a-z_][a-z0-9_]*'),
    LabelValue,
  )
  .refine((l) => Object.keys(l).length <= 16, 'at most 16 labels per series');

/** One point: [unix time in milliseconds, value]. */
export const Point = z.tuple([
  z.number().int().min(0).max(MAX_TIMESTAMP_MILLIS, 'timestamp is after 2100'),
  z.number().refine(Number.isFinite, 'value must be a finite number'),
]);
export type Point = z.infer<typeof Point>;

/** A series of points for one metric name and label set (the shape of Prometheus remote write). */
export const Series = z
  .object({
    name: MetricName,
    labels: Labels.default({}),
    points: z.array(Point).min(1).max(100_000),
  })
  .strict();
export type Series = z.infer<typeof Series>;

/**
 * Host metrics in the original shape, one object per series with `[t, v]` pairs: what agents before
 * the columnar encoding send. Still accepted (and stored the same way); new agents send
 * `HostMetricsColumnarPayload`.
 */
export const HostMetricsSeriesPayload = z
  .object({
    kind: z.literal('host-metrics'),
    /** Absent in payloads of older agents; `"series"` names this shape explicitly. */
    encoding: z.literal('series').optional(),
    host: text().min(1).max(253),
    series: z.array(Series).max(100_000),
  })
  .strict();
export type HostMetricsSeriesPayload = z.infer<typeof HostMetricsSeriesPayload>;

/** Points in one columnar host-metrics payload (the report body limit bounds it well before). */
export const MAX_HOST_POINTS = 1_000_000;
/** Series in one host-metrics payload. */
export const MAX_HOST_SERIES = 100_000;
const MAX_HOST_NAMES = 10_000;

/**
 * Host metrics, columnar (`encoding: "columnar"`): metric names and label sets once each in two
 * dictionaries, the series as three integer columns (index of the name, index of the label set, number
 * of points), and the points of all series one after another in two columns: `t`, milliseconds after
 * `t0`, and `v`, the values. Series `i` owns the `seriesPoints[i]` points that follow those of series
 * `i - 1`. Checked by one loop per column (`columns.ts`), never by a schema per point; an error
 * names the element (`v[1234]: must be a finite number, got null`).
 *
 * ```json
 * {"kind":"host-metrics","encoding":"columnar","host":"h1",
 *  "names":["node_load1","node_cpu_seconds_total"],"labelSets":[{},{"cpu":"0","mode":"idle"}],
 *  "seriesName":[0,1],"seriesLabels":[0,1],"seriesPoints":[2,1],
 *  "t0":1700000000000,"t":[0,15000,0],"v":[0.5,0.75,1234.5]}
 * ```
 */
export const HostMetricsColumnarPayload = z
  .object({
    kind: z.literal('host-metrics'),
    encoding: z.literal('columnar'),
    host: text().min(1).max(253),
    names: z.array(MetricName).max(MAX_HOST_NAMES),
    labelSets: z.array(Labels).max(MAX_HOST_SERIES),
    seriesName: intColumn(0, MAX_HOST_NAMES - 1, MAX_HOST_SERIES),
    seriesLabels: intColumn(0, MAX_HOST_SERIES - 1, MAX_HOST_SERIES),
    seriesPoints: intColumn(1, MAX_HOST_POINTS, MAX_HOST_SERIES),
    /** Base time of the payload, unix milliseconds; every point's time is `t0 + t[i]`. */
    t0: z.number().int().min(0).max(MAX_TIMESTAMP_MILLIS, 'timestamp is after 2100'),
    t: intColumn(0, MAX_TIMESTAMP_MILLIS, MAX_HOST_POINTS),
    v: numberColumn(MAX_HOST_POINTS),
  })
  .strict()
  .superRefine((p, ctx) => {
    const series = p.seriesName.length;
    for (const key of ['seriesLabels', 'seriesPoints'] as const) {
      if (p[key].length !== series) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `has ${p[key].length} elements, seriesName has ${series}`,
        });
        return;
      }
    }
    let points = 0;
    for (let i = 0; i < series; i++) {
      if (p.seriesName[i]! >= p.names.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['seriesName', i],
          message: `must be an index into names (${p.names.length} entries), got ${p.seriesName[i]}`,
        });
        return;
      }
      if (p.seriesLabels[i]! >= p.labelSets.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['seriesLabels', i],
          message: `must be an index into labelSets (${p.labelSets.length} entries), got ${p.seriesLabels[i]}`,
        });
        return;
      }
      points += p.seriesPoints[i]!;
    }
    for (const key of ['t', 'v'] as const) {
      if (p[key].length !== points) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `has ${p[key].length} elements, the series have ${points} points`,
        });
        return;
      }
    }
    const latest = MAX_TIMESTAMP_MILLIS - p.t0;
    const t = p.t;
    for (let i = 0; i < t.length; i++) {
      if (t[i]! > latest) {
        ctx.addIssue({ code: 'custom', path: ['t', i], message: 'timestamp (t0 + t) is after 2100' });
        return;
      }
    }
  });
export type HostMetricsColumnarPayload = z.infer<typeof HostMetricsColumnarPayload>;

/**
 * Host metrics: CPU, memory, load, disk and network counters read from /proc, in either encoding
 * (`encoding` absent or `"series"`: the original shape; `"columnar"`: what current agents send).
 */
export const HostMetricsPayload = z.discriminatedUnion('encoding', [
  HostMetricsColumnarPayload,
  HostMetricsSeriesPayload,
]);
export type HostMetricsPayload = z.infer<typeof HostMetricsPayload>;

/** The columnar payload of `series` (what the agent sends); points keep their order within a series. */
export function encodeHostMetrics(host: string, series: readonly Series[]): HostMetricsColumnarPayload {
  const names: string[] = [];
  const nameIndex = new Map<string, number>();
  const labelSets: Array<Record<string, string>> = [];
  const labelIndex = new Map<string, number>();
  const seriesName: number[] = [];
  const seriesLabels: number[] = [];
  const seriesPoints: number[] = [];
  let t0 = Number.POSITIVE_INFINITY;
  for (const s of series) for (const [ts] of s.points) if (ts < t0) t0 = ts;
  if (t0 === Number.POSITIVE_INFINITY) t0 = 0;
  const t: number[] = [];
  const v: number[] = [];
  for (const s of series) {
    if (s.points.length === 0) continue;
    let n = nameIndex.get(s.name);
    if (n === undefined) {
      n = names.push(s.name) - 1;
      nameIndex.set(s.name, n);
    }
    const labels = s.labels ?? {};
    const key = JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    let l = labelIndex.get(key);
    if (l === undefined) {
      l = labelSets.push(labels) - 1;
      labelIndex.set(key, l);
    }
    seriesName.push(n);
    seriesLabels.push(l);
    seriesPoints.push(s.points.length);
    for (const [ts, value] of s.points) {
      t.push(ts - t0);
      v.push(value);
    }
  }
  return {
    kind: 'host-metrics',
    encoding: 'columnar',
    host,
    names,
    labelSets,
    seriesName,
    seriesLabels,
    seriesPoints,
    t0,
    t,
    v,
  };
}

/** The series of a host-metrics payload of either encoding (builds objects: not for the ingest path). */
export function hostMetricsSeries(payload: HostMetricsPayload): Series[] {
  if (payload.encoding !== 'columnar') return payload.series;
  const out: Series[] = [];
  let k = 0;
  for (let i = 0; i < payload.seriesName.length; i++) {
    const points: Point[] = [];
    for (let j = 0; j < payload.seriesPoints[i]!; j++, k++) {
      points.push([payload.t0 + payload.t[k]!, payload.v[k]!]);
    }
    out.push({
      name: payload.names[payload.seriesName[i]!]!,
      labels: payload.labelSets[payload.seriesLabels[i]!]!,
      points,
    });
  }
  return out;
}

/** The number of points in a host-metrics payload of either encoding. */
export function hostMetricsPointCount(payload: HostMetricsPayload): number {
  if (payload.encoding === 'columnar') return payload.t.length;
  let n = 0;
  for (const s of payload.series) n += s.points.length;
  return n;
}

/** Every kind of report content; later capabilities add members. */
export const ReportPayload = z.discriminatedUnion('kind', [
  HostMetricsPayload,
  InterfacePollReport,
  DiscoveryPayload,
  SweepPayload,
  FlowAggregatesPayload,
  SecurityEventsPayload,
  SecurityAlertsPayload,
]);
export type ReportPayload = z.infer<typeof ReportPayload>;

/**
 * `POST /api/v1/agents/{id}/reports` — a batch. The batch id makes the post idempotent: the server
 * stores a batch once however often it is replayed, and acknowledges only after it is durable.
 */
export const ReportBatch = z
  .object({
    batchId: text().uuid(),
    /** Monotonic per agent; the order in which the agent produced batches. */
    sequence: z.number().int().nonnegative(),
    createdAt: text().datetime({ offset: true }),
    payloads: z.array(ReportPayload).min(1).max(1000),
  })
  .strict();
export type ReportBatch = z.infer<typeof ReportBatch>;

export const ReportAck = z
  .object({
    batchId: text().uuid(),
    /** True when this batch had been stored before (a replay). */
    duplicate: z.boolean(),
    samples: z.number().int().nonnegative(),
  })
  .strict();
export type ReportAck = z.infer<typeof ReportAck>;

/** Count of samples in a batch: points of host series, interfaces of polls, items of discovery and sweeps. */
export function countSamples(batch: Pick<ReportBatch, 'payloads'>): number {
  let n = 0;
  for (const p of batch.payloads) {
    switch (p.kind) {
      case 'host-metrics':
        n += hostMetricsPointCount(p);
        break;
      case 'interface-poll':
        n += Math.max(1, p.encoding === 'columnar' ? p.rows : p.interfaces.length);
        break;
      case 'discovery':
        n += 1 + p.interfaces.length + p.neighbours.length;
        break;
      case 'sweep':
        n += Math.max(1, p.found.length);
        break;
      case 'flow-aggregates':
        n += Math.max(1, p.rows);
        break;
      case 'security-events':
        n += Math.max(1, p.events.length);
        break;
      case 'security-alerts':
        n += p.alerts.length;
        break;
    }
  }
  return n;
}
