import type { AgentConfig, AgentRole, ReportPayload } from '@tianshu/protocol';
import type { AgentSettings } from '../config.js';
import type { HostCollectorDeps } from '../host/collector.js';
import type { SnmpSessionFactory } from '../edge/snmp-client.js';
import type { FlowCollectorOptions } from '../flows/collector.js';
import type { SecurityCollectorOptions } from '../security/collector.js';
import type { Logger } from '../runtime/logger.js';
import type { AgentMetrics } from '../runtime/metrics.js';

/**
 * The role contract (ADR 0005): an agent role declares the section of the pulled config it follows,
 * the payload kinds it reports, how it starts (its collectors: periodic runners that never reject)
 * and its stats. `startAgent` runs the roles the agent was enrolled with and knows none by name.
 */

/** What a role is started with: the agent's shared runtime. */
export interface RoleContext {
  settings: AgentSettings;
  log: Logger;
  metrics: AgentMetrics;
  /** Host name reported in payloads. */
  host: string;
  /** Hands one payload to the transport (counted as collected samples of this role). */
  report(payload: ReportPayload): void;
  /** Counts collector problems of this role (they are shown in the agent's stats and metrics). */
  collectorErrors(collector: string, source: string, count: number, err?: unknown): void;
  /**
   * True when the agent's disk queue is near its bounds (90 % of its batches or bytes): collectors
   * that can hold or drop (counted) their input do so rather than push older batches out.
   */
  queuePressure?(): boolean;
  /** Runner failures and skipped cycles, as for every runner of the agent. */
  onRunnerError(err: unknown, name: string): void;
  onSkip(name: string): void;
  /** Test seams an embedding program may pass (see StartAgentOptions). */
  inject: {
    hostDeps?: Partial<HostCollectorDeps> | undefined;
    snmpSessionFactory?: SnmpSessionFactory | undefined;
    flowCollector?: FlowCollectorSeams | undefined;
    securityCollector?: SecurityCollectorSeams | undefined;
  };
}

/** What an embedding program or a test may set of the edge role's flow collector. */
export type FlowCollectorSeams = Partial<
  Pick<FlowCollectorOptions, 'workers' | 'workerUrl' | 'tunables' | 'tickMillis' | 'maxInFlightBytes' | 'now'>
>;

/** What an embedding program or a test may set of the edge role's security collector. */
export type SecurityCollectorSeams = Partial<
  Pick<SecurityCollectorOptions, 'flushMillis' | 'maxPendingEvents' | 'receiverOptions' | 'tailPollMillis'>
>;

/** A started role. */
export interface RunningRole {
  /** Follows a newly pulled (or the cached) config: its section may start, retarget or pause it. */
  apply(config: AgentConfig): void;
  stop(): Promise<void>;
  /** A snapshot for the agent's stats, under the role's name. */
  stats?(): unknown;
}

export interface RoleDefinition {
  name: AgentRole;
  /** The section(s) of the agent config it follows (`host`; `edge` and `flows`). */
  configSection: string | readonly string[];
  /** The report payload kinds it produces (the control plane's modules store them). */
  payloadKinds: readonly string[];
  start(ctx: RoleContext, config: AgentConfig): RunningRole;
}

/** Declares a role; a bad definition throws at once naming it. */
export function defineRole(def: RoleDefinition): RoleDefinition {
  if (!def.name) throw new Error('a role requires a name');
  if (typeof def.start !== 'function') throw new Error(`role "${def.name}" requires "start"`);
  const sections = typeof def.configSection === 'string' ? [def.configSection] : def.configSection;
  if (sections.length === 0 || sections.some((s) => !s)) {
    throw new Error(`role "${def.name}" requires "configSection"`);
  }
  return def;
}
