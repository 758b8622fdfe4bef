import { z } from 'zod';
import { text } from './text.js';
import { DiscoveryPayload, InterfacePollPayload, MAX_TIMESTAMP_MILLIS, SweepPayload } from './network.js';
import { FlowAggregatesPayload } from './flows.js';

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

/** Host metrics: CPU, memory, load, disk and network counters read from /proc. */
export const HostMetricsPayload = z
  .object({
    kind: z.literal('host-metrics'),
    host: text().min(1).max(253),
    series: z.array(Series).max(100_000),
  })
  .strict();
export type HostMetricsPayload = z.infer<typeof HostMetricsPayload>;

/** Every kind of report content; later capabilities add members. */
export const ReportPayload = z.discriminatedUnion('kind', [
  HostMetricsPayload,
  InterfacePollPayload,
  DiscoveryPayload,
  SweepPayload,
  FlowAggregatesPayload,
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
        for (const s of p.series) n += s.points.length;
        break;
      case 'interface-poll':
        n += Math.max(1, p.interfaces.length);
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
    }
  }
  return n;
}
