import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { StatsAccumulator } from './aggregator.js';

/** Exporter label values kept before the rest are counted as `other` (bounded cardinality). */
export const MAX_EXPORTER_LABELS = 200;

/** The flow collector's metrics, registered on the agent's registry. */
export class FlowMetrics {
  readonly packets: Counter<'exporter'>;
  readonly records: Counter<'exporter'>;
  readonly dropped: Counter<'exporter' | 'reason'>;
  readonly malformed: Counter<'exporter' | 'reason'>;
  readonly missingTemplates: Counter<'exporter'>;
  readonly sequenceGaps: Counter<'exporter'>;
  readonly detailDropped: Counter<'exporter'>;
  readonly payloads: Counter;
  readonly rows: Counter;
  readonly receiveBuffer: Gauge<'socket'>;
  readonly #labels = new Set<string>();
  readonly #max: number;

  constructor(registry: Registry, options: { maxExporterLabels?: number } = {}) {
    this.#max = options.maxExporterLabels ?? MAX_EXPORTER_LABELS;
    const registers = [registry];
    const note = `; at most ${this.#max} exporter values, the rest as "other"`;
    this.packets = new Counter({
      name: 'tianshu_agent_flow_packets_total',
      help: `Flow datagrams received, by exporter (accepted or not)${note}.`,
      labelNames: ['exporter'],
      registers,
    });
    this.records = new Counter({
      name: 'tianshu_agent_flow_records_total',
      help: `Flow records decoded, by exporter${note}.`,
      labelNames: ['exporter'],
      registers,
    });
    this.dropped = new Counter({
      name: 'tianshu_agent_flow_dropped_total',
      help: `Flow datagrams dropped, by exporter (the source) and reason (not-allowed, queue-full)${note}.`,
      labelNames: ['exporter', 'reason'],
      registers,
    });
    this.malformed = new Counter({
      name: 'tianshu_agent_flow_malformed_total',
      help: `Malformed flow datagrams, by exporter and reason${note}.`,
      labelNames: ['exporter', 'reason'],
      registers,
    });
    this.missingTemplates = new Counter({
      name: 'tianshu_agent_flow_missing_templates_total',
      help: `Flow data sets or records skipped because their template was unknown, by exporter${note}.`,
      labelNames: ['exporter'],
      registers,
    });
    this.sequenceGaps = new Counter({
      name: 'tianshu_agent_flow_sequence_gaps_total',
      help: `Flow datagrams lost on the way, from the exporters' sequence numbers, by exporter${note}.`,
      labelNames: ['exporter'],
      registers,
    });
    this.detailDropped = new Counter({
      name: 'tianshu_agent_flow_detail_dropped_total',
      help: `Flow records folded into a catch-all row (key cap of an exporter-minute reached), by exporter${note}.`,
      labelNames: ['exporter'],
      registers,
    });
    this.payloads = new Counter({
      name: 'tianshu_agent_flow_payloads_total',
      help: 'flow-aggregates payloads handed to the transport.',
      registers,
    });
    this.rows = new Counter({
      name: 'tianshu_agent_flow_rows_total',
      help: 'Aggregate rows in flow-aggregates payloads handed to the transport.',
      registers,
    });
    this.receiveBuffer = new Gauge({
      name: 'tianshu_agent_flow_receive_buffer_bytes',
      help: 'Receive buffer the kernel granted each flow socket (SO_RCVBUF as read back).',
      labelNames: ['socket'],
      registers,
    });
  }

  /** The label value for an exporter: itself while fewer than the cap are known, else `other`. */
  label(exporter: string): string {
    if (this.#labels.has(exporter)) return exporter;
    if (this.#labels.size >= this.#max) return 'other';
    this.#labels.add(exporter);
    return exporter;
  }

  /** Adds a worker's per-exporter counters since its last report. */
  observe(exporter: string, d: StatsAccumulator): void {
    const exp = this.label(exporter);
    if (d.packets > 0) this.packets.inc({ exporter: exp }, d.packets);
    if (d.records > 0) this.records.inc({ exporter: exp }, d.records);
    if (d.missingTemplates > 0) this.missingTemplates.inc({ exporter: exp }, d.missingTemplates);
    if (d.sequenceGaps > 0) this.sequenceGaps.inc({ exporter: exp }, d.sequenceGaps);
    if (d.detailDropped > 0) this.detailDropped.inc({ exporter: exp }, d.detailDropped);
    for (const [reason, n] of Object.entries(d.malformed)) {
      if (n > 0) this.malformed.inc({ exporter: exp, reason }, n);
    }
  }
}
