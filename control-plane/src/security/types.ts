import type { AlertInput, NormalisedEvent } from '@tianshu/protocol';
import type { AgentPrincipal } from '../fleet/service.js';

/**
 * The seams between the security module's parts (events, rules, alerts and incidents, risk, flow
 * detections). Each part lives in its own folder and meets the others only through these types.
 */

/** An event as stored in `security_events`: the parsers' output, identified and attributed. */
export interface StoredEvent extends NormalisedEvent {
  /** `security_events.id`: unique, assigned at ingest (alerts refer to it). */
  id: string;
  /** The org unit it is attributed to (by address in the IP prefix registry, else the sender's). */
  orgUnitId: string;
  orgPath: string;
  /** The sending agent, or '' for an upload through the API. */
  agentId: string;
  /** The listener's or file's name, or `upload` for the API. */
  source: string;
}

/** The org unit of an address (longest prefix in the IP prefix registry). */
export interface Attribution {
  orgUnitId: string;
  orgPath: string;
}

export interface OrgAttribution {
  /** The org unit owning the address by longest prefix, or undefined (the internet, unknown). */
  byAddress(address: string): Attribution | undefined;
  /** Reloads the prefixes when the inventory changed (cheap when it did not). */
  refresh(): Promise<void>;
}

/** Sigma rules, compiled once and evaluated on the ingest path. */
export interface RuleEngine {
  /**
   * Evaluates a batch of events (in time order): alerts of the rules that match and of the
   * correlation rules whose condition is met now. Never throws for an event.
   */
  evaluate(events: readonly StoredEvent[]): AlertInput[];
}

/** Who raised alerts. */
export interface AlertOrigin {
  /** The edge agent whose detections raised them (attribution falls back to its org unit). */
  agent?: AgentPrincipal | undefined;
  /** A user or token (manual alerts, uploads): its name for the timeline. */
  actor?: string | undefined;
}

export interface RaiseResult {
  created: number;
  updated: number;
  suppressed: number;
}

/** Alerts and incidents: deduplication, attribution, suppression, correlation. */
export interface AlertSink {
  /** Idempotent: raising the same alert again (same fingerprint and lastSeen) changes nothing. */
  raise(inputs: readonly AlertInput[], origin: AlertOrigin): Promise<RaiseResult>;
}
