import { ReportBatch, countSamples, findUnsafeValue, type ReportAck } from '@tianshu/protocol';
import { InputError, StorageFullError, UnavailableError, zodDetails } from '../errors.js';
import type { FleetService, AgentPrincipal } from '../fleet/service.js';
import type { PayloadRegistry } from '../modules/host.js';
import type { Metrics } from '../observability/metrics.js';
import type { StateStore } from '../store/state/index.js';

/**
 * Stores agent report batches in the telemetry store, exactly once per batch id, and acknowledges a
 * batch only after it is durably stored.
 *
 * Ingest knows no payload kind: each kind belongs to the module that declares it (see
 * `modules/contract.ts`). For a batch, every kind's handler first prepares (checks) all of its
 * payloads — any refusal refuses the whole batch with nothing stored — then each payload is stored,
 * then each kind's prepared batch is applied to the state store.
 *
 * Exactly once: every telemetry insert carries `<batchId>:<index>` as ClickHouse's deduplication
 * token, so a replay after a crash between the insert and the bookkeeping below stores nothing twice;
 * the batch id is then recorded in the state store, which answers later replays as duplicates
 * without touching the telemetry store.
 */
export class IngestService {
  private inFlight = 0;

  constructor(
    private readonly deps: {
      db: StateStore;
      fleet: FleetService;
      metrics: Metrics;
      /** The handlers of the payload kinds the modules store; other kinds are refused. */
      payloads: PayloadRegistry;
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
      const kinds = new Map<string, unknown[]>();
      for (const payload of batch.payloads) {
        const list = kinds.get(payload.kind) ?? [];
        list.push(payload);
        kinds.set(payload.kind, list);
      }
      const prepared = new Map<string, unknown>();
      for (const [kind, payloads] of kinds) {
        const handler = this.deps.payloads.handler(kind);
        if (!handler) throw new InputError(`payload kind "${kind}" is not handled by this control plane`);
        prepared.set(
          kind,
          await metrics.timeStore('state', `prepare_${kind}`, () => handler.prepare(agent, payloads)),
        );
      }
      let index = 0;
      for (const payload of batch.payloads) {
        const token = `${batch.batchId}:${index++}`;
        const handler = this.deps.payloads.handler(payload.kind)!;
        if (!handler.store) continue;
        const store = handler.store;
        const rows = await metrics.timeStore('telemetry', `store_${payload.kind}`, () =>
          store(prepared.get(payload.kind), payload, token),
        );
        metrics.ingestSamples.inc({ kind: payload.kind }, rows);
      }
      for (const kind of kinds.keys()) {
        const handler = this.deps.payloads.handler(kind)!;
        if (!handler.apply) continue;
        const apply = handler.apply;
        await metrics.timeStore('state', `apply_${kind}`, () => apply(prepared.get(kind)));
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
    } catch (err) {
      // A full store: the agent keeps the batch in its queue and retries after Retry-After.
      if (err instanceof StorageFullError) {
        metrics.ingestBatches.inc({ outcome: 'storage_full' });
        throw err.unavailable();
      }
      throw err;
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
