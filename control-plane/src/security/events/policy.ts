import { z } from 'zod';
import { EventFileConfig, EventListenerConfig, MAX_EVENT_LINE_BYTES } from '@tianshu/protocol';

/** Network logs are kept at least six months (Cybersecurity Law of the PRC, art. 21; 等级保护). */
export const MIN_RETENTION_DAYS = 180;
export const RETENTION_REFUSAL = `network logs are kept at least ${MIN_RETENTION_DAYS} days (Cybersecurity Law art. 21)`;
export const DEFAULT_UPLOAD_MAX_BYTES = 10 * 1024 ** 3;

const Selector = z
  .object({
    /** Org unit ids: an agent of one of these units or of a unit below them. */
    orgUnits: z.array(z.string().trim().min(1).max(128)).max(10_000).default([]),
    /** Agent ids. */
    agents: z.array(z.string().trim().min(1).max(128)).max(10_000).default([]),
  })
  .strict();

/** Listeners and files pushed to the edge agents a selector matches (the `security` section). */
export const SecurityCollector = z
  .object({
    name: z.string().trim().min(1).max(128),
    /** Which edge agents get this collector; both empty = every edge agent. */
    match: Selector.default({ orgUnits: [], agents: [] }),
    listeners: z.array(EventListenerConfig).max(64).default([]),
    files: z.array(EventFileConfig).max(64).default([]),
  })
  .strict();
export type SecurityCollector = z.infer<typeof SecurityCollector>;

/**
 * `policies/security.yaml`: how long events are kept (at least 180 days; a lower setting is refused
 * with the reason), the API upload's own size limit, the edge agents' collectors (listeners and
 * files by agent selector) and the control plane's own listeners.
 */
export const SecurityPolicy = z
  .object({
    /** Days `security_events` and `security_source_stats` keep rows. */
    retentionDays: z
      .number()
      .int()
      .max(3650)
      .default(MIN_RETENTION_DAYS)
      .refine((d) => d >= MIN_RETENTION_DAYS, {
        message: `${RETENTION_REFUSAL}; a lower setting is refused`,
      }),
    upload: z
      .object({
        /** Bytes one `POST /api/v1/security/events` may stream (apart from the 1 MiB API body limit). */
        maxBytes: z
          .number()
          .int()
          .min(1024)
          .max(2 ** 50)
          .default(DEFAULT_UPLOAD_MAX_BYTES),
      })
      .strict()
      .default({ maxBytes: DEFAULT_UPLOAD_MAX_BYTES }),
    /** Longest line accepted (raw lines are kept for evidence). */
    maxLineBytes: z.number().int().min(1024).max(MAX_EVENT_LINE_BYTES).default(MAX_EVENT_LINE_BYTES),
    collectors: z.array(SecurityCollector).max(1000).default([]),
    /** Listeners of the control plane itself (CEF/EVE/syslog over UDP, TCP, TLS). */
    listeners: z.array(EventListenerConfig).max(64).default([]),
  })
  .strict()
  .superRefine((p, ctx) => {
    const names = new Set<string>();
    for (const [i, l] of p.listeners.entries()) {
      if (names.has(l.name))
        ctx.addIssue({ code: 'custom', path: ['listeners', i, 'name'], message: `"${l.name}" twice` });
      names.add(l.name);
    }
    for (const [i, c] of p.collectors.entries()) {
      const own = new Set<string>();
      for (const [j, x] of [...c.listeners, ...c.files].entries()) {
        if (own.has(x.name))
          ctx.addIssue({
            code: 'custom',
            path: ['collectors', i],
            message: `source name "${x.name}" twice (entry ${j}); sources are counted by name`,
          });
        own.add(x.name);
      }
    }
  });
export type SecurityPolicy = z.infer<typeof SecurityPolicy>;

/** The policy with every default (no file contents), for tests. */
export const DEFAULT_SECURITY_POLICY: SecurityPolicy = SecurityPolicy.parse({});
