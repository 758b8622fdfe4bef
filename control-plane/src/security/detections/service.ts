import { readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { AlertInput, FlowDetectionConfig, IntelIndicator, Observable } from '@tianshu/protocol';
import { requirePermission, systemIdentity, type Identity } from '../../auth/identity.js';
import type { AgentPrincipal } from '../../fleet/service.js';
import { flowsRef, type FlowsModule } from '../../flows/module.js';
import type { ModuleDeps, ModuleJob } from '../../modules/contract.js';
import { policyRef } from '../../modules/contract.js';
import type { AlertSink, OrgAttribution } from '../types.js';
import { parseIntelList, parseStixBundle, type IntelError, type IntelLoad } from './intel.js';
import { DetectionsPolicy, type IntelFile } from './policy.js';

/** `policies/detections.yaml`. */
export const DETECTIONS_POLICY = policyRef('detections.yaml', DetectionsPolicy);

/** One intelligence file as loaded. */
export interface IntelListView {
  name: string;
  file: string;
  format: 'list' | 'stix';
  severity: string;
  indicators: number;
  errors: number;
  errorDetails: IntelError[];
  skipped: IntelLoad['skipped'];
  loadedAt: string;
}

export interface DetectionsView {
  enabled: boolean;
  thresholds: Pick<FlowDetectionConfig, 'scan' | 'ddos' | 'realertSeconds'>;
  egress: DetectionsPolicy['egress'];
  lists: IntelListView[];
  agents: { agentId: string; hostname: string; orgUnitId: string; lastConfigAt: string }[];
}

const DAY = 86_400_000;
/** Files are checked for changes at most this often (agent configs are asked for on every heartbeat). */
const RESTAT_MILLIS = 10_000;
const MAX_EGRESS_UNITS = 2000;

/**
 * The flow detections' control-plane side: the policy (thresholds, intelligence files, egress
 * settings), the threat intelligence loaded from `policies/detections/intel/` and shipped to the
 * edge agents in their `detections` section, the view behind `GET /api/v1/security/detections`,
 * and the unusual-internet-egress job (the flows module's egress per org unit against its own
 * recent days → `egress` alerts).
 */
export class FlowDetections {
  #intel:
    { key: string; lists: IntelListView[]; indicators: IntelIndicator[]; checkedAt: number } | undefined;
  #loading: Promise<void> | undefined;
  readonly #agents = new Map<string, { agent: AgentPrincipal; at: number }>();

  constructor(
    readonly d: ModuleDeps,
    readonly parts: { alerts: AlertSink; attribution: OrgAttribution },
  ) {}

  #policy(): DetectionsPolicy {
    return this.d.policies.get(DETECTIONS_POLICY);
  }

  /** The intelligence directory: `policies/detections/intel/`. */
  intelDir(): string {
    return join(this.d.config.policiesDir, 'detections', 'intel');
  }

  /** Loads (or reuses) every intelligence file of the policy; reloads a file that changed. */
  async intel(now = Date.now()): Promise<{ lists: IntelListView[]; indicators: IntelIndicator[] }> {
    const cached = this.#intel;
    if (cached && now - cached.checkedAt < RESTAT_MILLIS && cached.key.startsWith(this.#policyKey())) {
      return cached;
    }
    this.#loading ??= this.#load(now).finally(() => (this.#loading = undefined));
    await this.#loading;
    return this.#intel!;
  }

  #policyKey(): string {
    return JSON.stringify(this.#policy().intel);
  }

  async #load(now: number): Promise<void> {
    const files = this.#policy().intel;
    const stamps = await Promise.all(
      files.map(async (f) => {
        try {
          const s = await stat(join(this.intelDir(), f.file));
          return `${s.mtimeMs}:${s.size}`;
        } catch {
          return 'missing';
        }
      }),
    );
    // The key holds the day too: indicators expire (valid_until) and become valid (valid_from).
    const key = `${this.#policyKey()}|${stamps.join(',')}|${Math.floor(now / 3_600_000)}`;
    if (this.#intel?.key === key) {
      this.#intel.checkedAt = now;
      return;
    }
    const lists: IntelListView[] = [];
    const indicators: IntelIndicator[] = [];
    for (const f of files) {
      const l = await this.#loadFile(f, now);
      lists.push(l.view);
      indicators.push(...l.load.indicators);
    }
    this.#intel = { key, lists, indicators, checkedAt: now };
  }

  async #loadFile(f: IntelFile, now: number): Promise<{ view: IntelListView; load: IntelLoad }> {
    const format = f.format ?? (extname(f.file).toLowerCase() === '.json' ? 'stix' : 'list');
    const path = join(this.intelDir(), f.file);
    let load: IntelLoad;
    try {
      const text = await readFile(path, 'utf8');
      load =
        format === 'stix'
          ? parseStixBundle(text, f.name, f.severity, now)
          : parseIntelList(text, f.name, f.severity);
    } catch (err) {
      load = {
        indicators: [],
        errors: [
          {
            reason: `cannot read policies/detections/intel/${f.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
          },
        ],
        errorsTruncated: 0,
        skipped: { expired: 0, notYetValid: 0, revoked: 0, unsupported: 0 },
      };
    }
    const errors = load.errors.length + load.errorsTruncated;
    if (errors > 0) {
      this.d.log.warn(
        { list: f.name, file: f.file, errors, first: load.errors[0]?.reason },
        'threat-intelligence file has invalid entries; they are not loaded (see GET /api/v1/security/detections)',
      );
    }
    this.d.log.info(
      { list: f.name, file: f.file, indicators: load.indicators.length, skipped: load.skipped, errors },
      'threat-intelligence file loaded',
    );
    return {
      load,
      view: {
        name: f.name,
        file: f.file,
        format,
        severity: f.severity,
        indicators: load.indicators.length,
        errors,
        errorDetails: load.errors,
        skipped: load.skipped,
        loadedAt: new Date(now).toISOString(),
      },
    };
  }

  /** The `detections` section of an edge agent's config (edge agents collect flows), or undefined. */
  async agentConfig(agent: AgentPrincipal): Promise<Record<string, unknown> | undefined> {
    const p = this.#policy();
    if (!p.enabled || !agent.roles.includes('edge')) return undefined;
    const { indicators } = await this.intel();
    this.#agents.set(agent.agentId, { agent, at: Date.now() });
    const detections: FlowDetectionConfig = {
      enabled: true,
      scan: p.scan,
      ddos: p.ddos,
      intel: indicators,
      realertSeconds: p.realertSeconds,
    };
    return { detections };
  }

  /** `GET /api/v1/security/detections`: thresholds, lists (global), edge agents (scoped). */
  async view(identity: Identity): Promise<DetectionsView> {
    requirePermission(identity, 'security:read');
    const p = this.#policy();
    const { lists } = await this.intel();
    const agents = [...this.#agents.values()]
      .filter((a) => a.agent.orgUnitPath.startsWith(identity.orgUnitPath))
      .sort((a, b) => a.agent.agentId.localeCompare(b.agent.agentId))
      .map((a) => ({
        agentId: a.agent.agentId,
        hostname: a.agent.hostname,
        orgUnitId: a.agent.orgUnitId,
        lastConfigAt: new Date(a.at).toISOString(),
      }));
    return {
      enabled: p.enabled,
      thresholds: { scan: p.scan, ddos: p.ddos, realertSeconds: p.realertSeconds },
      egress: p.egress,
      lists,
      agents,
    };
  }

  jobs(): ModuleJob[] {
    return [
      {
        name: 'security.unusual-egress',
        everyMillis: 15 * 60_000,
        run: async () => {
          await this.checkEgress();
        },
      },
    ];
  }

  /**
   * Unusual internet egress per org unit: today's egress so far against the median of the unit's
   * previous `baselineDays` days scaled to the same share of the day; above max(minBytes,
   * expected × factor) raises an `egress` alert (one per unit and day; later runs update it).
   */
  async checkEgress(now = Date.now()): Promise<{ units: number; alerts: number }> {
    const p = this.#policy();
    if (!p.enabled || !p.egress.enabled) return { units: 0, alerts: 0 };
    let flows: FlowsModule;
    try {
      flows = this.d.use(flowsRef);
    } catch {
      return { units: 0, alerts: 0 };
    }
    const units = await this.d.db.query<{ id: string; name: string; path: string }>(
      'SELECT id, name, path FROM org_units ORDER BY path LIMIT $1',
      [MAX_EGRESS_UNITS],
    );
    const sys = systemIdentity();
    const alerts: AlertInput[] = [];
    for (const u of units.rows) {
      try {
        const a = await this.#egressOf(flows, sys, u, now);
        if (a) alerts.push(a);
      } catch (err) {
        this.d.log.warn({ orgUnitId: u.id, err: (err as Error).message }, 'unusual egress: unit not checked');
      }
    }
    if (alerts.length > 0) await this.parts.alerts.raise(alerts, { actor: 'egress-baseline' });
    return { units: units.rows.length, alerts: alerts.length };
  }

  async #egressOf(
    flows: FlowsModule,
    sys: Identity,
    u: { id: string; name: string },
    now: number,
  ): Promise<AlertInput | undefined> {
    const e = this.#policy().egress;
    const month = await flows.egress.report(sys, { orgUnitId: u.id, period: 'month' }, now);
    const today = new Date(now + month.utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
    let days = month.days.filter((d) => d.date < today);
    if (days.length < e.baselineDays) {
      const first = Date.parse(month.from);
      const prev = new Date(first - DAY + month.utcOffsetMinutes * 60_000).toISOString().slice(0, 7);
      const before = await flows.egress.report(sys, { orgUnitId: u.id, period: 'month', at: prev }, now);
      days = [...before.days, ...days];
    }
    const history = days.slice(-e.baselineDays).map((d) => d.outBytes);
    const todayOut = month.days.find((d) => d.date === today)?.outBytes ?? 0;
    if (todayOut < e.minBytes) return undefined;
    const sorted = [...history].sort((a, b) => a - b);
    const median = sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)]! : 0;
    const dayStart = Date.parse(`${today}T00:00:00Z`) - month.utcOffsetMinutes * 60_000;
    const share = Math.min(1, Math.max(1 / 24, (now - dayStart) / DAY));
    const expected = median * share;
    const threshold = Math.max(e.minBytes, expected * e.factor);
    if (todayOut <= threshold) return undefined;
    const day = await flows.egress.report(sys, { orgUnitId: u.id, period: 'day', at: today, limit: 5 }, now);
    const observables: Observable[] = [
      ...day.internalSources
        .slice(0, 5)
        .map((s): Observable => ({ type: 'ip', value: s.address, role: 'source' })),
      ...day.topDestinations
        .slice(0, 5)
        .map((s): Observable => ({ type: 'ip', value: s.address, role: 'target' })),
    ];
    const gb = (n: number): string => `${(n / 1e9).toFixed(2)} GB`;
    return {
      source: 'egress',
      reference: 'egress:unusual',
      fingerprint: `egress:${u.id}:${today}`,
      title: `Unusual internet egress of ${u.name} on ${today}`,
      description:
        `${gb(todayOut)} sent to the internet today by ${Math.round(share * 100)} % of the day, against ` +
        `${gb(expected)} expected (median of the previous ${history.length} days ${gb(median)}) × ${e.factor}`,
      severity: e.severity,
      attack: ['T1048'],
      observables,
      orgUnitId: u.id,
      firstSeen: dayStart,
      lastSeen: now,
      count: 1,
      evidence: [
        `today ${gb(todayOut)}; threshold ${gb(threshold)}; history ${history.map((h) => gb(h)).join(', ')}`,
        ...day.internalSources.slice(0, 5).map((s) => `internal source ${s.address}: ${gb(s.outBytes)} out`),
        ...day.topDestinations
          .slice(0, 5)
          .map((s) => `destination ${s.address} (${s.country || '?'}): ${gb(s.outBytes)} out`),
      ],
      details: {
        todayBytes: todayOut,
        expectedBytes: Math.round(expected),
        medianBytes: median,
        factor: e.factor,
      },
    };
  }
}
