import { z } from 'zod';
import { PERMISSIONS } from '../auth/permissions.js';

const Permission = z.enum(PERMISSIONS);

/** Typed configuration of the alerting module, every setting with a default. */
export const AlertingConfig = z
  .object({
    notifyIntervalMillis: z
      .number()
      .int()
      .min(1000)
      .default(5000)
      .describe('How often the delivery job looks for due notifications.'),
    batchSize: z.number().int().min(1).max(10_000).default(200).describe('Deliveries claimed per query.'),
    retryBaseMillis: z
      .number()
      .int()
      .min(0)
      .default(10_000)
      .describe('Wait before the first retry of a failed delivery; doubles with every further failure.'),
    retryMaxMillis: z.number().int().min(0).default(300_000).describe('Longest wait between retries.'),
    readPermission: Permission.default('network:read').describe('Permission needed to read alarms.'),
    defaultWritePermission: Permission.default('network:write').describe(
      'Permission needed to acknowledge an alarm whose kind belongs to no domain.',
    ),
    domains: z
      .array(
        z
          .object({
            name: z.string().regex(/^[a-z][a-z0-9-]{0,30}$/),
            kindPrefixes: z.array(z.string().min(1)).min(1),
            writePermission: Permission,
          })
          .strict(),
      )
      .default([])
      .describe(
        'Families of alarm kinds by prefix, and the permission that acknowledges each, beside the ones the modules declare.',
      ),
  })
  .strict();
export type AlertingConfig = z.infer<typeof AlertingConfig>;

export function defaultAlertingConfig(): AlertingConfig {
  return AlertingConfig.parse({});
}
