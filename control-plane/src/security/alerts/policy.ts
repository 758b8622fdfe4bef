import { z } from 'zod';
import { AlertSeverity, OBSERVABLE_TYPES } from '@tianshu/protocol';

/**
 * `policies/incidents.yaml`: how alerts are correlated into incidents, which alerts open one, the
 * bounds of bulk triage and suppressions, and how incidents are notified through the alerting
 * module's routes.
 */
export const IncidentsPolicy = z
  .object({
    correlation: z
      .object({
        /** An alert joins an open incident of its org unit whose last alert is at most this old. */
        windowMinutes: z.number().int().min(1).max(10_080).default(60),
        /** Alerts of this severity or above open an incident when none takes them; lower ones only join. */
        openIncidentAt: AlertSeverity.default('high'),
        /** What relates an alert to an incident. */
        by: z
          .array(z.enum(['asset', 'observable', 'reference', 'attack']))
          .min(1)
          .default(['asset', 'observable', 'reference', 'attack']),
        /** Observable types that relate alerts (ports are too common to). */
        observableTypes: z
          .array(z.enum(OBSERVABLE_TYPES))
          .default(['ip', 'domain', 'url', 'hash', 'user', 'host']),
      })
      .strict()
      .prefault({}),
    bulk: z
      .object({
        /** The most alerts one bulk triage (by filter) changes; a larger filter is refused. */
        maxAlerts: z.number().int().min(1).max(100_000).default(10_000),
      })
      .strict()
      .prefault({}),
    suppressions: z
      .object({
        /** The longest a suppression may last. */
        maxDays: z.number().int().min(1).max(90).default(90),
      })
      .strict()
      .prefault({}),
    notifications: z
      .object({
        /** Raise an alarm (domain `security`) for every new incident and every escalation. */
        enabled: z.boolean().default(true),
        /** The alarm severity of an incident's severity. */
        severity: z
          .object({
            low: z.enum(['critical', 'major', 'minor', 'warning']).default('warning'),
            medium: z.enum(['critical', 'major', 'minor', 'warning']).default('minor'),
            high: z.enum(['critical', 'major', 'minor', 'warning']).default('major'),
            critical: z.enum(['critical', 'major', 'minor', 'warning']).default('critical'),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict();
export type IncidentsPolicy = z.infer<typeof IncidentsPolicy>;
