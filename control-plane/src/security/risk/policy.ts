import { z } from 'zod';
import { CRITICALITIES } from '../../inventory/devices.js';
import { policyRef } from '../../modules/contract.js';

export { CRITICALITIES, type Criticality } from '../../inventory/devices.js';

const Weight = z.number().min(0).max(1000);
const BySeverity = z.object({ low: Weight, medium: Weight, high: Weight, critical: Weight }).strict();

/**
 * `policies/risk.yaml`: the weights of the risk score (docs/api-security.md, "Risk"), the half-lives
 * of its decay, the trend's retention and the vulnerability import's size limit.
 */
export const RiskPolicy = z
  .object({
    /** Points of one open alert by severity, before decay and the asset's criticality. */
    alertWeights: BySeverity,
    /** Points of one open incident by severity (the incident's owner unit). */
    incidentWeights: BySeverity,
    /** Points of one open vulnerability by its CVSS rating (critical ≥ 9, high ≥ 7, medium ≥ 4, low > 0). */
    vulnerabilityWeights: BySeverity,
    /** An alert's or incident's points halve every this many days since it was last seen or changed. */
    halfLifeDays: z.number().min(0.01).max(3650),
    /** A vulnerability's points halve every this many days since a report last showed it (0: never). */
    vulnerabilityHalfLifeDays: z.number().min(0).max(36_500),
    criticality: z
      .object({
        /** Of an asset the inventory does not know, or knows without a criticality. */
        default: z.enum(CRITICALITIES),
        /** The factor on an asset's points by its criticality. */
        multipliers: z.object({ low: Weight, medium: Weight, high: Weight, critical: Weight }).strict(),
      })
      .strict(),
    /** score = 100 × (1 − e^(−points / scale)): the points at which a score reaches 63. */
    scale: z.number().min(0.01).max(1_000_000),
    /**
     * A unit's points: its riskiest asset's, plus `tailWeight` × the sum of its other assets', plus
     * its alerts without an asset and its open incidents.
     */
    tailWeight: z.number().min(0).max(1),
    /** Minutes between the job's computations of every unit (and of today's trend row). */
    everyMinutes: z.number().int().min(1).max(1440),
    /** The province's offset from UTC for the trend's days (default 480, UTC+08:00). */
    utcOffsetMinutes: z.number().int().min(-720).max(840),
    /** Days the daily trend keeps (at least a year). */
    trendDays: z.number().int().min(366).max(3660),
    /** Largest vulnerability report accepted (bytes). */
    importMaxBytes: z
      .number()
      .int()
      .min(1024)
      .max(1024 * 1024 * 1024),
  })
  .strict();
export type RiskPolicy = z.infer<typeof RiskPolicy>;

export const RISK_POLICY = policyRef('risk.yaml', RiskPolicy);
