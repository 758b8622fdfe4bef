import { z } from 'zod';
import { text } from './text.js';
import { AddressText } from './columns.js';
import { MAX_TIMESTAMP_MILLIS } from './network.js';

/**
 * Security on the wire: the normalised event (ECS field names, as Sigma pipelines map them), the
 * `security-events` and `security-alerts` report payloads an edge agent sends, and the `security`
 * and `detections` sections of an edge agent's config (its syslog/CEF/EVE listeners and files, and
 * the flow detections it runs on per-second rates before aggregation).
 */

/** The input formats of security events. */
export const EVENT_FORMATS = ['eve', 'syslog', 'cef'] as const;
export const EventFormat = z.enum(EVENT_FORMATS);
export type EventFormat = z.infer<typeof EventFormat>;

/** Longest raw line kept for evidence (longer lines are rejected with reason `line-too-long`). */
export const MAX_EVENT_LINE_BYTES = 65_536;
/** Most fields one normalised event carries. */
export const MAX_EVENT_FIELDS = 512;

/**
 * A normalised field value. ECS names (`source.ip`, `destination.port`, `event.category`,
 * `rule.name`, `dns.question.name`, `url.original`, `user.name`, `host.hostname`, `process.name`,
 * `message`, …); arrays for multi-valued ECS fields (`event.category`, `event.type`, `related.ip`).
 */
export const EventValue = z.union([
  text().max(MAX_EVENT_LINE_BYTES),
  z.number(),
  z.boolean(),
  z.array(text().max(4096)).max(256),
]);
export type EventValue = z.infer<typeof EventValue>;

/** Why a line was rejected (counted per source and reason). */
export const EVENT_REJECT_REASONS = [
  'line-too-long',
  'not-json',
  'not-an-object',
  'bad-timestamp',
  'bad-syslog',
  'bad-cef',
  'missing-field',
  'bad-field',
  'bad-framing',
  'unsafe-text',
  'too-many-fields',
] as const;
export const EventRejectReason = z.enum(EVENT_REJECT_REASONS);
export type EventRejectReason = z.infer<typeof EventRejectReason>;

/**
 * One event as the parsers produce it: the timestamp, the format, the type (`byType` key: the EVE
 * `event_type` — alert, anomaly, flow, dns, http, tls, fileinfo, … —, `syslog` or `cef`), the ECS
 * fields and the raw line kept beside them for evidence.
 */
export const NormalisedEvent = z
  .object({
    /** Unix milliseconds. */
    ts: z.number().int().min(0).max(MAX_TIMESTAMP_MILLIS),
    format: EventFormat,
    type: text().min(1).max(64),
    fields: z.record(text().min(1).max(256), EventValue),
    raw: text().max(MAX_EVENT_LINE_BYTES),
  })
  .strict();
export type NormalisedEvent = z.infer<typeof NormalisedEvent>;

/** Counters of one event source over the interval of one payload (deltas, not running totals). */
export const EventSourceStats = z
  .object({
    /** Lines (or datagrams) received. */
    received: z.number().int().min(0),
    accepted: z.number().int().min(0),
    /** Rejected as malformed, by reason. */
    rejected: z.partialRecord(EventRejectReason, z.number().int().min(0)),
    /** Dropped for another reason than malformation (queue full, sender not allowed, shut down). */
    dropped: z.number().int().min(0),
  })
  .strict();
export type EventSourceStats = z.infer<typeof EventSourceStats>;

/** Most events in one `security-events` payload. */
export const MAX_EVENTS_PER_PAYLOAD = 5000;

/**
 * `security-events`: events one source of an edge agent accepted, normalised, with the source's
 * counters for the same interval (a payload may carry counters and no events).
 */
export const SecurityEventsPayload = z
  .object({
    kind: z.literal('security-events'),
    /** The listener's or file's name in the agent's `security` config section. */
    source: text().min(1).max(128),
    format: EventFormat,
    /** `udp` | `tcp` | `tls` | `file`. */
    transport: z.enum(['udp', 'tcp', 'tls', 'file']),
    events: z.array(NormalisedEvent).max(MAX_EVENTS_PER_PAYLOAD),
    stats: EventSourceStats,
  })
  .strict();
export type SecurityEventsPayload = z.infer<typeof SecurityEventsPayload>;

export const ALERT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export const AlertSeverity = z.enum(ALERT_SEVERITIES);
export type AlertSeverity = z.infer<typeof AlertSeverity>;

/** Where an alert came from. */
export const ALERT_SOURCES = ['sigma', 'suricata', 'flow', 'threat-intel', 'egress', 'manual'] as const;
export const AlertSource = z.enum(ALERT_SOURCES);
export type AlertSource = z.infer<typeof AlertSource>;

export const OBSERVABLE_TYPES = ['ip', 'domain', 'url', 'hash', 'user', 'host', 'port'] as const;
export const Observable = z
  .object({
    type: z.enum(OBSERVABLE_TYPES),
    value: text().min(1).max(2048),
    /** The observable's part: the attacker (`source`), the attacked (`target`), or neither. */
    role: z.enum(['source', 'target', 'related']).optional(),
  })
  .strict();
export type Observable = z.infer<typeof Observable>;

/** An ATT&CK technique id (`T1046`, `T1498.001`). */
export const AttackTechnique = text().regex(
  /^T\d{4}(\.\d{3})?$/,
  'must be an ATT&CK technique id such as T1046',
);

/**
 * An alert as a detector raises it (an edge agent's flow detection, a Sigma rule, an EVE alert, a
 * threat-intelligence match). The control plane deduplicates by `fingerprint` (or, when absent, by
 * source + reference + observables), attributes it to an org unit (`orgUnitId`, else by the target
 * observable's address in the IP prefix registry, else the sending agent's) and correlates it into
 * incidents.
 */
export const AlertInput = z
  .object({
    source: AlertSource,
    /** The rule, signature or detector: Sigma rule id, `suricata:<sid>`, `flow:ddos`, `intel:<list>`. */
    reference: text().min(1).max(256),
    fingerprint: text().min(1).max(256).optional(),
    title: text().min(1).max(512),
    description: text().max(8192).optional(),
    severity: AlertSeverity,
    attack: z.array(AttackTechnique).max(32),
    observables: z.array(Observable).max(64),
    orgUnitId: text().max(128).optional(),
    /** The attacked asset's address, when there is one. */
    assetAddress: AddressText.optional(),
    /** Unix milliseconds of the first and last event behind it, and how many there were. */
    firstSeen: z.number().int().min(0).max(MAX_TIMESTAMP_MILLIS),
    lastSeen: z.number().int().min(0).max(MAX_TIMESTAMP_MILLIS),
    count: z.number().int().min(1),
    /** Ids of stored events behind it (`security_events.id`), newest last. */
    eventIds: z.array(text().max(64)).max(100).optional(),
    /** Raw evidence (lines, or a rendering of the flow rates) when there are no stored events. */
    evidence: z.array(text().max(MAX_EVENT_LINE_BYTES)).max(20).optional(),
    details: z.record(text().max(128), z.union([text().max(4096), z.number(), z.boolean()])).optional(),
  })
  .strict();
export type AlertInput = z.infer<typeof AlertInput>;

/** `security-alerts`: alerts an edge agent's detections raised. */
export const SecurityAlertsPayload = z
  .object({
    kind: z.literal('security-alerts'),
    alerts: z.array(AlertInput).min(1).max(1000),
  })
  .strict();
export type SecurityAlertsPayload = z.infer<typeof SecurityAlertsPayload>;

/** One listener of an edge agent (or of the control plane) for syslog, CEF or EVE lines. */
export const EventListenerConfig = z
  .object({
    name: text().min(1).max(128),
    format: EventFormat,
    transport: z.enum(['udp', 'tcp', 'tls']),
    bindAddress: AddressText,
    port: z.number().int().min(0).max(65_535),
    /** TCP/TLS framing (RFC 6587): octet counting, newline, or decided per connection (default). */
    framing: z.enum(['auto', 'octet-counting', 'newline']).default('auto'),
    /** TLS only: PEM files on the agent's host. */
    tls: z
      .object({ certFile: text().min(1), keyFile: text().min(1), caFile: text().min(1).optional() })
      .strict()
      .optional(),
    /** Senders accepted (CIDRs); empty = any. */
    allowedSources: z.array(text().max(64)).max(10_000).default([]),
  })
  .strict();
export type EventListenerConfig = z.infer<typeof EventListenerConfig>;

/** A file an edge agent tails (an EVE log; rotation by rename or truncation is followed). */
export const EventFileConfig = z
  .object({
    name: text().min(1).max(128),
    format: EventFormat,
    path: text().min(1).max(4096),
    /** Start at the end of an existing file (default) or read it from the start. */
    startAt: z.enum(['end', 'beginning']).default('end'),
  })
  .strict();
export type EventFileConfig = z.infer<typeof EventFileConfig>;

/** The `security` section of an edge agent's config. */
export const SecurityCollectorConfig = z
  .object({
    enabled: z.boolean(),
    listeners: z.array(EventListenerConfig).max(64),
    files: z.array(EventFileConfig).max(64),
    maxLineBytes: z.number().int().min(1024).max(MAX_EVENT_LINE_BYTES),
  })
  .strict();
export type SecurityCollectorConfig = z.infer<typeof SecurityCollectorConfig>;

/** One threat-intelligence indicator shipped to edge agents (from IP/CIDR lists and STIX bundles). */
export const IntelIndicator = z
  .object({
    cidr: text().min(1).max(64),
    /** The list or bundle it came from, and the indicator's own id (STIX) or line. */
    list: text().min(1).max(128),
    id: text().max(256).optional(),
    label: text().max(512).optional(),
    severity: AlertSeverity,
  })
  .strict();
export type IntelIndicator = z.infer<typeof IntelIndicator>;

/**
 * The `detections` section of an edge agent that collects flows: thresholds of the detections it
 * evaluates on per-second rates of the decoded flow records, before aggregation (thresholds from
 * `policies/detections/`). The owner of the flow detections may add optional fields.
 */
export const FlowDetectionConfig = z
  .object({
    enabled: z.boolean(),
    scan: z
      .object({
        /** Distinct destination ports of one source towards one host within the window. */
        portsPerHost: z.number().int().min(2),
        /** Distinct destination hosts of one source on one port within the window. */
        hostsPerPort: z.number().int().min(2),
        windowSeconds: z.number().int().min(1).max(3600),
      })
      .strict(),
    ddos: z
      .object({
        /** Alert when a destination's packets/s exceeds max(minPps, baseline × factor). */
        factor: z.number().min(1),
        minPps: z.number().int().min(1),
        minBps: z.number().int().min(1),
        /** Seconds the rate must stay above the threshold before alerting. */
        sustainSeconds: z.number().int().min(1).max(600),
        /** Half-life of the learned per-destination baseline. */
        baselineHalfLifeSeconds: z.number().int().min(10),
      })
      .strict(),
    intel: z.array(IntelIndicator).max(1_000_000),
    /** Seconds between repeated alerts for the same ongoing detection. */
    realertSeconds: z.number().int().min(1).max(86_400),
  })
  .loose();
export type FlowDetectionConfig = z.infer<typeof FlowDetectionConfig>;
