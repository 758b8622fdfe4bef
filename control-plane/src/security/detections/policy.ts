import { z } from 'zod';
import { AlertSeverity } from '@tianshu/protocol';

/**
 * `policies/detections.yaml`: the thresholds of the flow detections the edge agents evaluate on
 * per-second rates (scans, volumetric DDoS), the threat-intelligence files to load from
 * `policies/detections/intel/` (IP/CIDR lists and STIX 2.1 bundles, each with a severity), and the
 * unusual-internet-egress job's settings.
 */

const IntelFile = z
  .object({
    /** The list's name: alerts' reference is `intel:<name>`. */
    name: z
      .string()
      .regex(
        /^[a-z0-9][a-z0-9._-]{0,63}$/,
        'must be lowercase letters, digits, ".", "_" or "-" (at most 64)',
      ),
    /** Path under `policies/detections/intel/` (no `..`, not absolute). */
    file: z
      .string()
      .min(1)
      .max(256)
      .refine((f) => !f.startsWith('/') && !f.split(/[\\/]/).includes('..'), {
        message: 'must be a path inside policies/detections/intel/ (no "..", not absolute)',
      }),
    /** `list`: one IP or CIDR a line, `#` comments; `stix`: a STIX 2.1 bundle (JSON). Default by extension. */
    format: z.enum(['list', 'stix']).optional(),
    severity: AlertSeverity,
  })
  .strict();
export type IntelFile = z.infer<typeof IntelFile>;

export const DetectionsPolicy = z
  .object({
    /** Off: edge agents get no `detections` section and the egress job does nothing. */
    enabled: z.boolean().default(true),
    scan: z
      .object({
        portsPerHost: z.number().int().min(2).max(65_536),
        hostsPerPort: z.number().int().min(2).max(1_000_000),
        windowSeconds: z.number().int().min(1).max(3600),
      })
      .strict(),
    ddos: z
      .object({
        factor: z.number().min(1).max(1000),
        minPps: z.number().int().min(1),
        minBps: z.number().int().min(1),
        sustainSeconds: z.number().int().min(1).max(600),
        baselineHalfLifeSeconds: z
          .number()
          .int()
          .min(10)
          .max(30 * 86_400),
      })
      .strict(),
    realertSeconds: z.number().int().min(1).max(86_400).default(300),
    intel: z
      .array(IntelFile)
      .max(256)
      .default([])
      .superRefine((files, ctx) => {
        const seen = new Set<string>();
        files.forEach((f, i) => {
          if (seen.has(f.name))
            ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${f.name}" is listed twice` });
          seen.add(f.name);
        });
      }),
    egress: z
      .object({
        enabled: z.boolean().default(true),
        /** Alert when today's egress so far exceeds the baseline for the same share of the day × factor. */
        factor: z.number().min(1).max(1000).default(3),
        /** Days of history the baseline is the median of. */
        baselineDays: z.number().int().min(3).max(90).default(14),
        /** Nothing below this many bytes today is unusual (small units). */
        minBytes: z.number().int().min(0).default(1_000_000_000),
        severity: AlertSeverity.default('medium'),
      })
      .strict()
      .default({ enabled: true, factor: 3, baselineDays: 14, minBytes: 1_000_000_000, severity: 'medium' }),
  })
  .strict();
export type DetectionsPolicy = z.infer<typeof DetectionsPolicy>;
