import type { Router } from '../api/route.js';
import type { Identity } from '../auth/identity.js';
import type { AgentPrincipal } from '../fleet/service.js';
import type { PolicyRef } from '../policies/index.js';
import { mergeMigrations } from '../store/state/migrate.js';
import type { Migration as StateMigration } from '../store/state/migrations/index.js';
import { mergeTelemetryMigrations, type TelemetryMigration } from '../store/telemetry/schema.js';
import type { ModuleDefinition, ModuleDeps, ModuleJob, ModuleRef, PayloadHandler } from './contract.js';

/** A payload handler bound to its module's service: what ingest calls. */
export interface BoundPayloadHandler {
  module: string;
  prepare(agent: AgentPrincipal, payloads: unknown[]): Promise<unknown>;
  store?(batch: unknown, payload: unknown, dedupToken: string): Promise<number>;
  apply?(batch: unknown): Promise<void>;
}

/** What ingest needs of the modules: the handler of a payload kind. */
export interface PayloadRegistry {
  handler(kind: string): BoundPayloadHandler | undefined;
}

// Module definitions of any service type; each is only ever called with the service it created.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyModule = ModuleDefinition<any>;

/**
 * The modules of a control plane, in the order listed: checks the list at construction (unique
 * names, payload kinds, policy files and agent-config sections), creates each module's service with
 * the core services, and answers ingest, fleet, the scheduler, the API and the overview on their
 * behalf, so that none of those knows a module by name.
 */
export class ModuleHost implements PayloadRegistry {
  private readonly services = new Map<string, unknown>();
  private readonly handlers = new Map<string, BoundPayloadHandler>();

  constructor(readonly definitions: readonly AnyModule[]) {
    const names = new Set<string>();
    const kinds = new Map<string, string>();
    const files = new Map<string, string>();
    for (const m of definitions) {
      if (names.has(m.name)) throw new Error(`module "${m.name}" is listed twice`);
      names.add(m.name);
      for (const kind of Object.keys(m.payloads ?? {})) {
        const other = kinds.get(kind);
        if (other) throw new Error(`payload kind "${kind}" is claimed by modules "${other}" and "${m.name}"`);
        kinds.set(kind, m.name);
      }
      for (const ref of m.policies ?? []) {
        const other = files.get(ref.file);
        if (other)
          throw new Error(`policy file ${ref.file} is claimed by modules "${other}" and "${m.name}"`);
        files.set(ref.file, m.name);
      }
    }
  }

  /** The state-store migrations of every module (merged with the core's by the store). */
  stateMigrations(): StateMigration[] {
    return mergeMigrations(...this.definitions.map((m) => m.migrations?.state ?? []));
  }

  telemetryMigrations(): TelemetryMigration[] {
    return mergeTelemetryMigrations(...this.definitions.map((m) => m.migrations?.telemetry ?? []));
  }

  policyRefs(): PolicyRef<unknown>[] {
    return this.definitions.flatMap((m) => m.policies ?? []);
  }

  /** Creates every module's service in list order; a module may use those listed before it. */
  create(core: Omit<ModuleDeps, 'use' | 'alarmDomains'>): void {
    const alarmDomains = this.definitions.flatMap((m) => m.alarmDomains ?? []);
    for (const m of this.definitions) {
      const deps: ModuleDeps = { ...core, alarmDomains, use: (ref) => this.use(ref) };
      const svc: unknown = m.create(deps);
      this.services.set(m.name, svc);
      for (const [kind, h] of Object.entries<PayloadHandler<unknown, never>>(m.payloads ?? {})) {
        const handler = h as unknown as PayloadHandler<unknown, unknown>;
        this.handlers.set(kind, {
          module: m.name,
          prepare: (agent, payloads) => handler.prepare(svc, agent, payloads),
          ...(handler.store ? { store: (b, p, token) => handler.store!(svc, b, p, token) } : {}),
          ...(handler.apply ? { apply: (b) => handler.apply!(svc, b) } : {}),
        });
      }
    }
  }

  /** The service of a created module. */
  use<S>(ref: ModuleRef<S>): S {
    if (!this.services.has(ref.name)) {
      throw new Error(`module "${ref.name}" is not created (yet): list it before the modules that use it`);
    }
    return this.services.get(ref.name) as S;
  }

  handler(kind: string): BoundPayloadHandler | undefined {
    return this.handlers.get(kind);
  }

  /** Every payload kind some module stores. */
  payloadKinds(): string[] {
    return [...this.handlers.keys()];
  }

  routes(r: Router): void {
    for (const m of this.definitions) m.routes?.(r, this.services.get(m.name));
  }

  /** The agent-config sections of every module for the agent; two modules may not fill one section. */
  async agentConfig(agent: AgentPrincipal): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    const owner = new Map<string, string>();
    for (const m of this.definitions) {
      if (!m.agentConfig) continue;
      const sections = await m.agentConfig(this.services.get(m.name), agent);
      for (const [key, value] of Object.entries(sections ?? {})) {
        const other = owner.get(key);
        if (other)
          throw new Error(`agent config section "${key}" is filled by modules "${other}" and "${m.name}"`);
        owner.set(key, m.name);
        out[key] = value;
      }
    }
    return out;
  }

  /** Every module's periodic jobs; names must carry the module's prefix. */
  jobs(): ModuleJob[] {
    return this.definitions.flatMap((m) => {
      const jobs = m.jobs?.(this.services.get(m.name)) ?? [];
      for (const job of jobs) {
        if (!job.name.startsWith(`${m.name}.`)) {
          throw new Error(`module "${m.name}": job "${job.name}" must be named "${m.name}.<job>"`);
        }
        if (!(job.everyMillis >= 1000)) {
          throw new Error(`module "${m.name}": job "${job.name}" must run at most once a second`);
        }
      }
      return jobs;
    });
  }

  async seed(system: Identity): Promise<void> {
    for (const m of this.definitions) await m.seed?.(this.services.get(m.name), system);
  }

  /** Runs every module's `afterInventory` hook, in list order (after the inventory file is applied). */
  async afterInventory(system: Identity): Promise<void> {
    for (const m of this.definitions) await m.afterInventory?.(this.services.get(m.name), system);
  }

  /**
   * Overview figures of every module, keyed by module name. A module that cannot answer shows its
   * reason in place of its figures; the others still answer.
   */
  async overview(identity: Identity): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    await Promise.all(
      this.definitions.map(async (m) => {
        if (!m.overview) return;
        try {
          out[m.name] = await m.overview(this.services.get(m.name), identity);
        } catch (err) {
          out[m.name] = { error: (err as Error).message.slice(0, 300) };
        }
      }),
    );
    return out;
  }

  async stop(): Promise<void> {
    for (const m of [...this.definitions].reverse()) await m.stop?.(this.services.get(m.name));
  }
}
