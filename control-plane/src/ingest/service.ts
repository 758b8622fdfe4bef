import { ReportBatch, countSamples, findUnsafeValue, type ReportAck } from '@tianshu/protocol';
import { InputError, UnavailableError, zodDetails } from '../errors.js';
import type { FleetService, AgentPrincipal } from '../fleet/service.js';
import type { Metrics } from '../observability/metrics.js';
import type { StateStore } from '../store/state/index.js';
import type { TelemetryStore } from '../store/telemetry/index.js';
import { insertHostMetrics } from '../store/telemetry/index.js';
import type { NetworkBatch, NetworkService } from '../network/service.js';

/**
 * Stores agent report batches in the telemetry store, exactly once per batch id, and acknowledges a
 * batch only after it is durably stored.
 *
 * Exactly once: the telemetry insert carries the batch id as ClickHouse's deduplication token, so a
 * replay after a crash between the insert and the bookkeeping below stores nothing twice; the batch id
 * is then recorded in the state store, which answers later replays as duplicates without touching
 * the telemetry store.
 */
export class IngestService {
  private inFlight = 0;

  constructor(
    private readonly deps: {
      db: StateStore;
      telemetry: TelemetryStore;
      fleet: FleetService;
      metrics: Metrics;
      /** Interface polls and discovery; without it those payloads are refused. */
      network?: Pick<NetworkService, 'prepare' | 'storePoll' | 'apply'> | undefined;
      /** Batches stored concurrently before the endpoint answers 503 (agents retry later). */
      maxInFlight?: number;
    },
  ) {}

  /** Validates the parsed JSON body; throws InputError naming the first problems. */
  parse(body: unknown): ReportBatch {
    const bad = findUnsafeValue(body);
    if (bad) throw new InputError(`report batch is not valid: ${bad.path}: ${bad.message}`, [bad]);
    const r = ReportBatch.safeParse(body);
    if (!r.success) {
      throw new InputError('report batch is not valid', zodDetails(r.error.issues));
    }
    return r.data;
  }

  async store(agent: AgentPrincipal, batch: ReportBatch): Promise<ReportAck> {
    const { metrics } = this.deps;
    const max = this.deps.maxInFlight ?? 8;
    if (this.inFlight >= max) {
      metrics.ingestBatches.inc({ outcome: 'overloaded' });
      throw new UnavailableError('ingest is busy; retry later');
    }
    this.inFlight++;
    metrics.ingestInFlight.set(this.inFlight);
    const end = metrics.ingestDuration.startTimer();
    try {
      const seen = await metrics.timeStore('state', 'batch_lookup', () =>
        this.deps.db.query<{ agent_id: string }>('SELECT agent_id FROM agent_batches WHERE batch_id = $1', [
          batch.batchId,
        ]),
      );
      const samples = countSamples(batch);
      if (seen.rowCount > 0) {
        if (seen.rows[0]!.agent_id !== agent.agentId) {
          throw new InputError('batchId was already used by another agent; batch ids must be fresh UUIDs');
        }
        metrics.ingestBatches.inc({ outcome: 'duplicate' });
        await this.deps.fleet.touchReport(agent.agentId);
        return { batchId: batch.batchId, duplicate: true, samples };
      }
      // Refuse a batch with content this control plane cannot store before storing any of it.
      const network = this.deps.network;
      for (const payload of batch.payloads) {
        if (payload.kind !== 'host-metrics' && !network) {
          throw new InputError(`payload kind "${payload.kind}" is not handled by this control plane`);
        }
      }
      // Polls and discovery must be about devices assigned to this agent (else 400, nothing stored).
      const netPayloads = batch.payloads.filter((p) => p.kind === 'interface-poll' || p.kind === 'discovery');
      let netBatch: NetworkBatch | undefined;
      if (network && netPayloads.length) netBatch = await network.prepare(agent, netPayloads);
      let index = 0;
      for (const payload of batch.payloads) {
        const token = `${batch.batchId}:${index++}`;
        switch (payload.kind) {
          case 'host-metrics': {
            const rows = await metrics.timeStore('telemetry', 'insert_host_metrics', () =>
              insertHostMetrics(
                this.deps.telemetry,
                { agentId: agent.agentId, orgUnitId: agent.orgUnitId, host: payload.host },
                payload.series,
                { dedupToken: token },
              ),
            );
            metrics.ingestSamples.inc({ kind: payload.kind }, rows);
            break;
          }
          case 'interface-poll': {
            const rows = await metrics.timeStore('telemetry', 'insert_interface_metrics', () =>
              network!.storePoll(netBatch!, payload, token),
            );
            metrics.ingestSamples.inc({ kind: payload.kind }, rows);
            break;
          }
          default:
            // Discovery is state only (applied below); other kinds were refused above.
            break;
        }
      }
      if (netBatch) {
        const applied = netBatch;
        await metrics.timeStore('state', 'network_apply', () => network!.apply(applied));
      }
      await metrics.timeStore('state', 'batch_record', () =>
        this.deps.db.query(
          `INSERT INTO agent_batches (batch_id, agent_id, sequence, samples) VALUES ($1, $2, $3, $4)
           ON CONFLICT (batch_id) DO NOTHING`,
          [batch.batchId, agent.agentId, batch.sequence, samples],
        ),
      );
      await this.deps.fleet.touchReport(agent.agentId);
      metrics.ingestBatches.inc({ outcome: 'stored' });
      return { batchId: batch.batchId, duplicate: false, samples };
    } finally {
      this.inFlight--;
      metrics.ingestInFlight.set(this.inFlight);
      end();
    }
  }

  /** Batches and samples received in the last hour in the caller's org units (for the overview). */
  async lastHour(orgUnitPath: string): Promise<{ batchesLastHour: number; samplesLastHour: number }> {
    const r = await this.deps.db.query<{ batches: number | string; samples: number | string | null }>(
      `SELECT count(*) AS batches, sum(b.samples) AS samples FROM agent_batches b
       JOIN agents a ON a.id = b.agent_id JOIN org_units o ON o.id = a.org_unit_id
       WHERE b.received_at > now() - interval '1 hour' AND o.path LIKE $1`,
      [orgUnitPath + '%'],
    );
    return {
      batchesLastHour: Number(r.rows[0]?.batches ?? 0),
      samplesLastHour: Number(r.rows[0]?.samples ?? 0),
    };
  }

  /** Forgets batch ids older than the retention (periodic job). */
  async sweep(retentionDays: number): Promise<number> {
    const r = await this.deps.db.query(
      `DELETE FROM agent_batches WHERE received_at < now() - make_interval(days => $1)`,
      [retentionDays],
    );
    return r.rowCount;
  }
}
