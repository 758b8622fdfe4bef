import { z } from 'zod';

const Mbps = z.number().int().positive().max(10_000_000);

/**
 * `policies/network.yaml`: bandwidth targets per link level and the thresholds of the link alarms.
 * Strict, so a misspelt key is named instead of silently ignored.
 */
export const NetworkPolicy = z
  .object({
    /** Target bandwidth in Mbit/s for each link level (`inventory/links.ts` LINK_LEVELS). */
    tiers: z
      .object({
        backbone: Mbps,
        city: Mbps,
        county: Mbps,
        township: Mbps,
        department: Mbps,
      })
      .strict(),
    saturation: z
      .object({
        thresholdPercent: z.number().gt(0).max(100),
        forSeconds: z.number().int().min(0).max(86_400),
      })
      .strict(),
    flapping: z
      .object({
        changes: z.number().int().min(2).max(1000),
        windowSeconds: z.number().int().min(10).max(86_400),
      })
      .strict(),
    unreachable: z.object({ afterFailedPolls: z.number().int().min(1).max(100) }).strict(),
    /** Polls failing for another reason than a timeout (auth, agent error, error): `device-poll-failed` after this many in a row (3 when absent). */
    pollFailed: z
      .object({ afterFailedPolls: z.number().int().min(1).max(100) })
      .strict()
      .optional(),
  })
  .strict();
export type NetworkPolicy = z.infer<typeof NetworkPolicy>;

/** The values shipped in `policies/network.yaml`, used where no policy store is at hand (tests). */
export const DEFAULT_NETWORK_POLICY: NetworkPolicy = {
  tiers: { backbone: 10_000, city: 10_000, county: 1000, township: 100, department: 1000 },
  saturation: { thresholdPercent: 90, forSeconds: 300 },
  flapping: { changes: 4, windowSeconds: 600 },
  unreachable: { afterFailedPolls: 2 },
  pollFailed: { afterFailedPolls: 3 },
};
