import type { z } from 'zod';
import type { Router } from '../api/route.js';
import type { AuditLog } from '../auth/audit.js';
import type { Identity } from '../auth/identity.js';
import type { Config } from '../config.js';
import type { AgentPrincipal } from '../fleet/service.js';
import type { Inventory } from '../inventory/inventory.js';
import type { OrgUnitService } from '../inventory/org-units.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { PolicyRef, PolicyStore } from '../policies/index.js';
import type { FleetService } from '../fleet/service.js';
import type { Sealer } from '../auth/crypto.js';
import type { AlarmDomain } from '../alerting/types.js';
import type { Migration as StateMigration } from '../store/state/migrations/index.js';
import type { StateStore } from '../store/state/index.js';
import type { TelemetryMigration } from '../store/telemetry/schema.js';
import type { TelemetryStore } from '../store/telemetry/index.js';

/**
 * The module contract (ADR 0005). A domain module — network, alerting, and later flows, security,
 * quotas, backups, IPv6 — declares in one definition everything the control plane wires for it:
 * its migrations, policy files, service, routes, the report payload kinds it stores, its section of
 * the agent config, its scheduled jobs and its overview figures. The composition root lists the
 * modules; ingest, fleet and the scheduler know none of them by name.
 */

/** A typed handle on a module's service, exported from the module's `index.ts` for other modules. */
export interface ModuleRef<S> {
  readonly name: string;
  /** Never set; carries the service type. */
  readonly type?: S;
}

export function moduleRef<S>(name: string): ModuleRef<S> {
  return { name };
}

export { policyRef, type PolicyRef } from '../policies/index.js';

/** What every module is built from: the core services, passed in, never reached for as globals. */
export interface ModuleDeps {
  config: Config;
  log: Logger;
  db: StateStore;
  telemetry: TelemetryStore;
  metrics: Metrics;
  policies: PolicyStore;
  audit: AuditLog;
  orgUnits: OrgUnitService;
  inventory: Inventory;
  fleet: FleetService;
  /** Seals secrets at rest under the control plane's secret key (SNMP credentials, TOTP secrets). */
  sealer: Sealer;
  /** Why the sealer cannot work (no secret key configured), or undefined when it can. */
  sealerProblem: string | undefined;
  /** The alarm domains every listed module declares (for the alerting module). */
  alarmDomains: readonly AlarmDomain[];
  /** The service of a module listed before this one (throws otherwise). */
  use<S>(ref: ModuleRef<S>): S;
}

/** Declares one payload kind's handler with its own payload and batch types. */
export function payloadKind<S, P, B>(h: PayloadHandler<S, P, B>): PayloadHandler<S, never> {
  return h as unknown as PayloadHandler<S, never>;
}

/**
 * One report payload kind a module stores, under the batch's exactly-once guarantee: ingest calls
 * `prepare` with every payload of the kind in the batch before anything of the batch is stored (a
 * throw refuses the whole batch, nothing stored), then `store` once per payload with a
 * deduplication token unique to the (batch, payload) pair, then `apply` once. A replay after a crash
 * repeats `store` with the same tokens (the telemetry store drops the duplicate) and `apply`, which
 * must therefore be idempotent.
 */
export interface PayloadHandler<S, P = never, B = unknown> {
  /** The wire schema of the payload (from `protocol/`), for documentation and checks. */
  schema?: z.ZodType<P>;
  prepare(svc: S, agent: AgentPrincipal, payloads: P[]): Promise<B>;
  /** Writes one payload to the telemetry store; resolves with the rows written. */
  store?(svc: S, batch: B, payload: P, dedupToken: string): Promise<number>;
  /** Applies the prepared batch to the state store once its payloads are stored. */
  apply?(svc: S, batch: B): Promise<void>;
}

/** A periodic job; claimed through the state store so that one replica runs it per period. */
export interface ModuleJob {
  /** `<module>.<job>`. */
  name: string;
  everyMillis: number;
  run(): Promise<void>;
}

export interface ModuleDefinition<S> {
  /** Lowercase word; the prefix of its jobs and the key of its overview figures. */
  name: string;
  migrations?: {
    state?: readonly StateMigration[];
    telemetry?: readonly TelemetryMigration[];
  };
  policies?: readonly PolicyRef<unknown>[];
  create(deps: ModuleDeps): S;
  routes?(r: Router, svc: S): void;
  /** Report payload kinds this module stores, by `kind`. */
  payloads?: Readonly<Record<string, PayloadHandler<S, never>>>;
  /**
   * Its sections of an agent's config (`{ edge: {...} }`), or undefined when the agent gets none.
   * The agent's config version hashes every section, so a change here makes the agent pull again.
   */
  agentConfig?(svc: S, agent: AgentPrincipal): Promise<Record<string, unknown> | undefined>;
  /** Its periodic jobs, named `<module>.<job>` (periods may come from the service's settings). */
  jobs?(svc: S): readonly ModuleJob[];
  /**
   * Loads the module's seed files at start, under the cluster-wide bootstrap lock, after the org
   * units and before the rest of the inventory file (which may refer to what it loads).
   */
  seed?(svc: S, system: Identity): Promise<void>;
  /**
   * Loads seed files that refer to the inventory file's records (e.g. cloud connections name its
   * clouds), under the same bootstrap lock, right after the inventory file is applied.
   */
  afterInventory?(svc: S, system: Identity): Promise<void>;
  /** Figures for the overview and the wall, in the caller's scope. */
  overview?(svc: S, identity: Identity): Promise<Record<string, unknown>>;
  /**
   * The families of alarm kinds it raises, each with the permission that acknowledges them; the
   * alerting module reads them from every module, so a new module's alarms need no change there.
   */
  alarmDomains?: readonly AlarmDomain[];
  /** Runs when the control plane stops. */
  stop?(svc: S): Promise<void>;
}

/**
 * Declares a module. The definition is checked at once (names, job prefixes, payload kinds), so a
 * mistake fails at start-up with a message naming the module.
 */
export function defineModule<S>(def: ModuleDefinition<S>): ModuleDefinition<S> {
  if (!/^[a-z][a-z0-9-]{1,30}$/.test(def.name)) {
    throw new Error(`module names are lowercase words, got "${def.name}"`);
  }
  for (const kind of Object.keys(def.payloads ?? {})) {
    if (!/^[a-z][a-z0-9-]{1,40}$/.test(kind)) {
      throw new Error(`module "${def.name}": payload kind "${kind}" is not a lowercase word`);
    }
  }
  return def;
}
