import type { Severity } from './findings.js';
import type { Criticality, RiskPolicy } from './policy.js';

/**
 * The risk formula, pure (docs/api-security.md, "Risk"). Every open alert, incident and
 * vulnerability brings points by its severity, decayed by its age (halving every half-life);
 * an asset's points are its alerts' and vulnerabilities' times its criticality's multiplier; a
 * unit's are its riskiest asset's, a share of its other assets', its alerts without an asset and
 * its open incidents; score = 100 × (1 − e^(−points / scale)), 0–100, one decimal.
 */

export type BySeverity = Record<Severity, number>;

export const zero = (): BySeverity => ({ low: 0, medium: 0, high: 0, critical: 0 });

const DAY = 86_400_000;

/** The weight left after `ageMillis` with a half-life of `halfLifeDays` (0: no decay). */
export function decay(ageMillis: number, halfLifeDays: number): number {
  if (halfLifeDays <= 0 || ageMillis <= 0) return 1;
  return 0.5 ** (ageMillis / (halfLifeDays * DAY));
}

/** Σ weight(severity) × amount(severity). */
export function weighted(weights: BySeverity, amounts: BySeverity): number {
  return (
    weights.low * amounts.low +
    weights.medium * amounts.medium +
    weights.high * amounts.high +
    weights.critical * amounts.critical
  );
}

export function toScore(points: number, scale: number): number {
  if (!(points > 0)) return 0;
  return Math.round(1000 * (1 - Math.exp(-points / scale))) / 10;
}

/** Decayed sums by severity of alerts (or vulnerabilities) on an asset. */
export interface AssetSignals {
  criticality: Criticality;
  /** Σ decay per severity of the asset's open alerts. */
  alerts: BySeverity;
  /** Σ decay per CVSS rating of its open vulnerabilities. */
  vulnerabilities: BySeverity;
}

export function assetPoints(p: RiskPolicy, a: AssetSignals): number {
  const m = p.criticality.multipliers[a.criticality];
  return m * (weighted(p.alertWeights, a.alerts) + weighted(p.vulnerabilityWeights, a.vulnerabilities));
}

/** A unit's points from its subtree's asset points (their max and sum) and its other signals. */
export function unitPoints(
  p: RiskPolicy,
  assets: { max: number; sum: number },
  /** Σ decay per severity of alerts without an asset. */
  looseAlerts: BySeverity,
  /** Σ decay per severity of the open incidents that count for the unit. */
  incidents: BySeverity,
): number {
  return (
    assets.max +
    p.tailWeight * Math.max(0, assets.sum - assets.max) +
    weighted(p.alertWeights, looseAlerts) +
    weighted(p.incidentWeights, incidents)
  );
}

/** Competition ranking ("1224") by score, highest first; ties share a rank. */
export function rankByScore<T extends { score: number }>(items: readonly T[]): (T & { rank: number })[] {
  const sorted = [...items].sort((a, b) => b.score - a.score);
  let rank = 0;
  let prev: number | undefined;
  return sorted.map((x, i) => {
    if (x.score !== prev) rank = i + 1;
    prev = x.score;
    return { ...x, rank };
  });
}
