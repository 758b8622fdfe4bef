import type { FlowAggregatesPayload, FlowCollectorConfig } from '@tianshu/protocol';
import { Counter } from 'prom-client';
import { InputError } from '../errors.js';
import type { AgentPrincipal } from '../fleet/service.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { StateStore } from '../store/state/index.js';
import type { TelemetryStore } from '../store/telemetry/index.js';
import {
  INVENTORY_SIGNATURE_SQL,
  InventorySnapshot,
  PolicyEnrichment,
  canonicalAddress,
  FlowRowsBuilder,
  type EncodedPayload,
  type ExporterAttribution,
} from './enrich.js';
import type { FlowsPolicy } from './policy.js';
import { FLOWS_TABLES, flowTtl } from './telemetry-schema.js';

/** Settings of the flows module from the control plane's config (`flows.*`). */
export interface FlowsSettings {
  netflowPort?: number | undefined;
  sflowPort?: number | undefined;
  bindAddress?: string | undefined;
  /** Embedded mode: the collector accepts loopback exporters by default. */
  embedded?: boolean | undefined;
}

export interface FlowsDeps {
  db: StateStore;
  telemetry: TelemetryStore;
  policy: () => FlowsPolicy;
  settings: FlowsSettings;
  log: Logger;
  metrics?: Metrics | undefined;
}

/**
 * What `prepare` made of a batch's flow payloads: the rows of all of them enriched into one builder
 * (stored as one insert), and per payload its row count, sampling rates and attribution.
 */
export interface FlowBatch {
  agent: AgentPrincipal;
  encoded: Map<FlowAggregatesPayload, { flows: EncodedPayload; attribution: ExporterAttribution }>;
  rows: FlowRowsBuilder;
  /** The one write of the whole batch, started by the first `store` call. */
  written?: Promise<void>;
}

/** Refresh the inventory snapshot at least this often even when its signature did not change. */
const SNAPSHOT_MAX_AGE_MS = 5 * 60_000;

/**
 * The flows module's core: the enrichment snapshot of the inventory (refreshed when the inventory
 * changes), the ingest of `flow-aggregates`, the edge agents' `flows` config section, and the TTLs
 * that follow the flows policy.
 */
export class FlowsService {
  private snapshot: InventorySnapshot | undefined;
  private snapshotAt = 0;
  private loading: Promise<InventorySnapshot> | undefined;
  private policyEnrichment: PolicyEnrichment | undefined;
  private retentionApplied: string | undefined;
  private readonly rowsStored: Counter | undefined;
  private readonly payloadsRefused: Counter | undefined;

  constructor(readonly deps: FlowsDeps) {
    const registry = deps.metrics?.registry;
    if (registry) {
      this.rowsStored = new Counter({
        name: 'tianshu_flow_rows_stored_total',
        help: 'Flow aggregate rows written to flows_1m.',
        registers: [registry],
      });
      this.payloadsRefused = new Counter({
        name: 'tianshu_flow_payloads_refused_total',
        help: 'flow-aggregates payloads refused (their batch with them), by reason.',
        labelNames: ['reason'],
        registers: [registry],
      });
    }
  }

  /** The inventory as the enrichment sees it: reloaded when its signature changes (one query). */
  async inventory(): Promise<InventorySnapshot> {
    const r = await this.deps.db.query<{ sig: string }>(INVENTORY_SIGNATURE_SQL);
    const sig = r.rows[0]?.sig ?? '';
    const s = this.snapshot;
    if (s && s.signature === sig && Date.now() - this.snapshotAt < SNAPSHOT_MAX_AGE_MS) return s;
    if (!this.loading) {
      this.loading = InventorySnapshot.load(this.deps.db, sig)
        .then((snap) => {
          this.snapshot = snap;
          this.snapshotAt = Date.now();
          return snap;
        })
        .finally(() => {
          this.loading = undefined;
        });
    }
    return this.loading;
  }

  /** App table and GeoIP databases of the current policy (rebuilt when the policy object changes). */
  enrichment(): PolicyEnrichment {
    const policy = this.deps.policy();
    if (this.policyEnrichment?.policy !== policy) {
      const e = new PolicyEnrichment(policy);
      for (const st of e.geo.status) {
        if (st.status === 'error') {
          this.deps.log.error(
            { database: st.path, kind: st.kind, err: st.error },
            'geoip database not usable',
          );
        }
      }
      this.policyEnrichment = e;
    }
    return this.policyEnrichment;
  }

  // ---- ingest ------------------------------------------------------------------------------------

  /**
   * Checks and encodes a batch's flow payloads before anything is stored. An agent reports flows of
   * exporters that are inventory devices in its org-unit subtree, or of exporters the inventory does
   * not know (attributed to the agent's own unit); a device of another unit refuses the batch, as
   * does an address that is not one.
   */
  async prepare(agent: AgentPrincipal, payloads: FlowAggregatesPayload[]): Promise<FlowBatch> {
    if (!agent.roles.includes('edge')) {
      this.payloadsRefused?.inc({ reason: 'not-edge' }, payloads.length);
      throw new InputError('flow-aggregates come from agents with the edge role only');
    }
    const inv = await this.inventory();
    const pol = this.enrichment();
    const encoded: FlowBatch['encoded'] = new Map();
    const rows = new FlowRowsBuilder(payloads.reduce((n, p) => n + p.rows, 0));
    for (const p of payloads) {
      const exporter = canonicalAddress(p.exporter);
      const device = inv.devicesByAddress.get(exporter);
      if (device && !device.path.startsWith(agent.orgUnitPath)) {
        this.payloadsRefused?.inc({ reason: 'exporter-out-of-scope' });
        throw new InputError(
          `flow-aggregates: exporter ${exporter} is a device outside this agent's org units; its flows are reported by an agent of its own unit`,
        );
      }
      const attribution: ExporterAttribution = device
        ? { exporter, device, orgUnitId: device.orgUnitId, orgUnitPath: device.path }
        : { exporter, device: undefined, orgUnitId: agent.orgUnitId, orgUnitPath: agent.orgUnitPath };
      try {
        encoded.set(p, { flows: rows.add(p, agent.agentId, attribution, inv, pol), attribution });
      } catch (err) {
        this.payloadsRefused?.inc({ reason: 'bad-address' });
        throw err;
      }
    }
    return { agent, encoded, rows };
  }

  /**
   * Stores one payload of a prepared batch; resolves with its rows written (its aggregates and its
   * exporter-stats row). The first call writes the whole batch — every payload's aggregates as one
   * Native insert into `flows_1m`, every payload's stats as one insert — with tokens derived from
   * that call's (the batch's first flow payload, the same on every replay of the batch), so a replay
   * stores nothing twice; the other calls wait for that write.
   */
  async store(batch: FlowBatch, p: FlowAggregatesPayload, dedupToken: string): Promise<number> {
    const e = batch.encoded.get(p);
    if (!e) throw new Error('flow-aggregates payload was not prepared with this batch');
    batch.written ??= this.#writeBatch(batch, dedupToken);
    await batch.written;
    this.rowsStored?.inc(e.flows.rows);
    return e.flows.rows + 1;
  }

  async #writeBatch(batch: FlowBatch, dedupToken: string): Promise<void> {
    if (batch.rows.rows > 0) {
      await this.deps.telemetry.insertNative(FLOWS_TABLES.minute, batch.rows.toBlock(), {
        dedupToken: `${dedupToken}:flows`,
      });
    }
    const stats = [...batch.encoded].map(([p, e]) => {
      const a = e.attribution;
      const st = p.stats;
      return {
        ts: p.minute / 1000,
        agent_id: batch.agent.agentId,
        exporter: a.exporter,
        exporter_device_id: a.device?.id ?? '',
        exporter_org_unit: a.orgUnitId,
        exporter_org_path: a.orgUnitPath,
        packets: st.packets,
        records: st.records,
        dropped: st.dropped,
        malformed: Object.fromEntries(Object.entries(st.malformed).filter(([, v]) => v !== undefined)),
        missing_templates: st.missingTemplates,
        sequence_gaps: st.sequenceGaps,
        versions: st.versions.map(String),
        sampling_exporter: st.samplingSources.exporter,
        sampling_configured: st.samplingSources.configured,
        sampling_default: st.samplingSources.default,
        rows: p.rows,
        sampling_rates: e.flows.samplingRates,
      };
    });
    await this.deps.telemetry.insert(FLOWS_TABLES.exporterStats, stats, {
      dedupToken: `${dedupToken}:stats`,
    });
  }

  // ---- agent config ------------------------------------------------------------------------------

  /**
   * The `flows` section of an edge agent's config: the policy's collector settings (ports and bind
   * address overridden by the control plane's config), the aggregation key and sampling rates, and
   * the exporters it accepts — the policy's `allowedSources` plus every inventory device's
   * management address in the agent's org-unit subtree (embedded: 127.0.0.0/8 too).
   */
  async agentConfig(agent: AgentPrincipal): Promise<FlowCollectorConfig | undefined> {
    if (!agent.roles.includes('edge')) return undefined;
    const policy = this.deps.policy();
    const inv = await this.inventory();
    const s = this.deps.settings;
    const allowed = new Set<string>(policy.collector.allowedSources);
    if (s.embedded) allowed.add('127.0.0.0/8');
    const devices = [...inv.devicesById.values()]
      .filter((d) => d.path.startsWith(agent.orgUnitPath))
      .sort((a, b) => a.address.localeCompare(b.address));
    for (const d of devices) allowed.add(`${d.address}/${d.address.includes(':') ? 128 : 32}`);
    return {
      enabled: true,
      bindAddress: s.bindAddress ?? (s.embedded ? '127.0.0.1' : policy.collector.bindAddress),
      netflowPort: s.netflowPort ?? policy.collector.netflowPort,
      sflowPort: s.sflowPort ?? policy.collector.sflowPort,
      allowedSources: [...allowed],
      key: policy.key.includes('ipVersion') ? [...policy.key] : [...policy.key, 'ipVersion'],
      sampling: policy.sampling,
      defaultSamplingRate: policy.collector.defaultSamplingRate,
      templateTimeoutSeconds: policy.collector.templateTimeoutSeconds,
      receiveBufferBytes: policy.collector.receiveBufferBytes,
    };
  }

  // ---- retention ---------------------------------------------------------------------------------

  /** Brings the flows tables' TTLs in line with the policy (`retentionDays`, `rollupRetentionDays`). */
  async reconcileRetention(): Promise<void> {
    const p = this.deps.policy();
    const key = `${p.retentionDays}/${p.rollupRetentionDays}`;
    if (this.retentionApplied === key) return;
    const wanted: Array<[string, string]> = [
      [FLOWS_TABLES.minute, flowTtl(p.retentionDays)],
      [FLOWS_TABLES.exporterStats, flowTtl(p.retentionDays)],
      [FLOWS_TABLES.hour, flowTtl(p.rollupRetentionDays)],
    ];
    const rows = await this.deps.telemetry.query<{ name: string; engine_full: string }>(
      `SELECT name, engine_full FROM system.tables WHERE database = currentDatabase() AND name IN {names:Array(String)}`,
      { names: wanted.map(([n]) => n) },
    );
    const engines = new Map(rows.map((r) => [r.name, r.engine_full]));
    for (const [table, clause] of wanted) {
      const engine = engines.get(table);
      if (engine !== undefined && !engine.includes(`TTL ${clause}`)) {
        await this.deps.telemetry.exec(`ALTER TABLE ${table} MODIFY TTL ${clause}`);
        this.deps.log.info({ table, ttl: clause }, 'flows retention applied');
      }
    }
    this.retentionApplied = key;
  }
}
