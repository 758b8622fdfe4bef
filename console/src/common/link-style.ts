/**
 * How links are shown: colours by status and utilisation, stroke styles, and short texts for rates,
 * speeds, tier verdicts, statuses, levels, roles and the active/standby state, in the locale in
 * force. Pure functions, unit-tested.
 */
import { msg, str } from '@lit/localize';
import type { BadgeTone } from '../components/ts-status-badge.js';
import type {
  IntegrationConformance,
  LinkLevel,
  LinkRole,
  LinkStatus,
  LinkTier,
  LinkUtilisation,
  LinkView,
  Plane,
  TierVerdict,
} from '../data/network.js';
import { formatBitRate, formatPercent } from './format.js';

/** Utilisation at or above this share of the link speed is shown amber. */
export const warnUtilisationPercent = 50;

/** Utilisation at or above this share of the link speed is shown orange-red. */
export const hotUtilisationPercent = 80;

/** The dedicated-network integration target of the seeds (专网整合率 ≥ 95%). */
export const integrationTargetPercent = 95;

export const linkColours = {
  low: '#1d8a56',
  medium: '#d49000',
  high: '#e2571e',
  down: '#c62828',
  unknown: '#97a2ae',
} as const;

export type UtilisationBand = 'low' | 'medium' | 'high' | 'none';

/** The band a utilisation falls in: below 50 % low, below 80 % medium, else high; none when unknown. */
export function utilisationBand(percent: number | null | undefined): UtilisationBand {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) return 'none';
  if (percent < warnUtilisationPercent) return 'low';
  if (percent < hotUtilisationPercent) return 'medium';
  return 'high';
}

/**
 * The colour of a link: red when down, grey when unknown, and when up the colour of its busiest
 * direction's utilisation band (green when the utilisation is not measured).
 */
export function linkColour(link: Pick<LinkView, 'status' | 'utilisation'>): string {
  if (link.status === 'down') return linkColours.down;
  if (link.status !== 'up') return linkColours.unknown;
  const band = utilisationBand(link.utilisation?.maxPercent);
  return band === 'none' ? linkColours.low : linkColours[band];
}

export interface LinkStroke {
  color: string;
  width: number;
  /** An SVG `stroke-dasharray`, or null for a solid line. */
  dash: string | null;
}

/**
 * The stroke of a link on the topology: backup links are dashed, the member of a pair that carries
 * the traffic is drawn thicker, and a link that is down stays visible at normal width.
 */
export function linkStroke(link: Pick<LinkView, 'status' | 'utilisation' | 'role' | 'active'>): LinkStroke {
  const width = link.active === true ? 4 : link.active === false && link.status !== 'down' ? 1.75 : 2.5;
  return {
    color: linkColour(link),
    width,
    dash: link.role === 'backup' ? '7 4' : null,
  };
}

/** The badge tone for a link status. */
export function linkStatusTone(status: LinkStatus | string): BadgeTone {
  return status === 'up' ? 'ok' : status === 'down' ? 'bad' : 'idle';
}

/** The badge tone for a tier verdict. */
export function verdictTone(verdict: LinkTier['verdict'] | string): BadgeTone {
  return verdict === 'ok' ? 'ok' : verdict === 'below' ? 'warn' : 'idle';
}

/** The badge tone for an alarm severity. */
export function severityTone(severity: string): BadgeTone {
  if (severity === 'critical') return 'critical';
  if (severity === 'major') return 'bad';
  if (severity === 'minor') return 'warn';
  return 'info';
}

/** A utilisation percentage for display: `34%`, `0.4%` below 1, `—` when unknown. */
export function formatUtilisation(percent: number | null | undefined): string {
  if (percent === null || percent === undefined || !Number.isFinite(percent)) return '—';
  const clamped = Math.max(0, percent);
  if (clamped > 0 && clamped < 1) return formatPercent(clamped, 1);
  return formatPercent(Math.round(clamped), 0);
}

/** Both directions of a utilisation, e.g. `in 34 % · out 12 %`. */
export function formatUtilisationPair(utilisation: LinkUtilisation | null | undefined): string {
  if (!utilisation) return '—';
  const inbound = formatUtilisation(utilisation.inPercent);
  const outbound = formatUtilisation(utilisation.outPercent);
  return msg(str`in ${inbound} · out ${outbound}`, { id: 'link.utilisationPair' });
}

/** A link speed given in Mbit/s, as bandwidth is quoted: `100 Mbit/s`, `1 Gbit/s`, `10 Gbit/s`. */
export function formatMbps(mbps: number | null | undefined): string {
  if (mbps === null || mbps === undefined || !Number.isFinite(mbps)) return '—';
  return formatBitRate(mbps * 1_000_000, 1);
}

/** A tier check in words, e.g. `1 Gbit/s of 10 Gbit/s target` or `meets 1 Gbit/s`. */
export function formatTier(tier: LinkTier): string {
  const target = formatMbps(tier.targetMbps);
  if (tier.verdict === 'unknown' || tier.actualMbps === null)
    return msg(str`target ${target}, actual unknown`, { id: 'link.tier.targetUnknown' });
  if (tier.verdict === 'below') {
    const actual = formatMbps(tier.actualMbps);
    return msg(str`${actual} of ${target} target`, { id: 'link.tier.belowTarget' });
  }
  return msg(str`meets ${target}`, { id: 'link.tier.meetsTarget' });
}

/** A tier verdict in a word or two: `meets tier`, `below tier`, `unknown`. */
export function tierVerdictText(verdict: TierVerdict | string): string {
  if (verdict === 'ok') return msg('meets tier', { id: 'link.verdict.ok' });
  if (verdict === 'below') return msg('below tier', { id: 'link.verdict.below' });
  return msg('unknown', { id: 'link.verdict.unknown' });
}

/** A link status as operators say it: up, down, unknown; a status the console does not know as it comes. */
export function linkStatusText(status: LinkStatus | string): string {
  if (status === 'up') return msg('up', { id: 'link.status.up' });
  if (status === 'down') return msg('down', { id: 'link.status.down' });
  if (status === 'unknown') return msg('unknown', { id: 'link.status.unknown' });
  return status;
}

/** The level a link serves: backbone, city, county, township, department. */
export function linkLevelText(level: LinkLevel | string): string {
  switch (level) {
    case 'backbone':
      return msg('backbone', { id: 'link.level.backbone' });
    case 'city':
      return msg('city', { id: 'link.level.city' });
    case 'county':
      return msg('county', { id: 'link.level.county' });
    case 'township':
      return msg('township', { id: 'link.level.township' });
    case 'department':
      return msg('department', { id: 'link.level.department' });
    default:
      return level;
  }
}

/** A link's role in its pair: primary or backup. */
export function linkRoleText(role: LinkRole | string): string {
  if (role === 'primary') return msg('primary', { id: 'link.role.primary' });
  if (role === 'backup') return msg('backup', { id: 'link.role.backup' });
  return role;
}

/** One of the extranet's two planes, e.g. `plane A`. */
export function planeText(plane: Plane | string): string {
  return msg(str`plane ${plane}`, { id: 'link.plane' });
}

/** The word `flapping`, for a link that goes down and up repeatedly. */
export function flappingText(): string {
  return msg('flapping', { id: 'link.flapping' });
}

/** Counts links by status. */
export function countLinkStatuses(links: readonly Pick<LinkView, 'status'>[]): Record<LinkStatus, number> {
  const counts: Record<LinkStatus, number> = { up: 0, down: 0, unknown: 0 };
  for (const link of links) {
    if (link.status === 'up' || link.status === 'down') counts[link.status] += 1;
    else counts.unknown += 1;
  }
  return counts;
}

/** Counts failed-over pairs: links sharing a pair id count once; an unpaired failed-over link counts alone. */
export function countFailedOverPairs(
  links: readonly Pick<LinkView, 'id' | 'pairId' | 'failedOver'>[],
): number {
  const keys = new Set<string>();
  for (const link of links) {
    if (link.failedOver) keys.add(link.pairId !== null ? `pair:${link.pairId}` : `link:${link.id}`);
  }
  return keys.size;
}

/** What the active/standby state of a link reads as. */
export function activeText(link: Pick<LinkView, 'active' | 'pairId' | 'failedOver' | 'role'>): string {
  if (link.failedOver)
    return link.role === 'backup'
      ? msg('active (failover)', { id: 'link.traffic.activeFailover' })
      : msg('failed over', { id: 'link.traffic.failedOver' });
  if (link.active === true) return msg('active', { id: 'link.traffic.active' });
  if (link.active === false) return msg('standby', { id: 'link.traffic.standby' });
  return link.pairId === null
    ? msg('unpaired', { id: 'link.traffic.unpaired' })
    : msg('unknown', { id: 'link.traffic.unknown' });
}

/**
 * The integration rate of one org unit in percent, or null when nothing tells it. Migrated and
 * eligible counts are preferred; a bare `rate` of at most 1 is read as a fraction.
 */
export function integrationRatePercent(row: IntegrationConformance): number | null {
  if (typeof row.migrated === 'number' && typeof row.eligible === 'number' && row.eligible > 0) {
    return (row.migrated / row.eligible) * 100;
  }
  if (typeof row.rate === 'number' && Number.isFinite(row.rate)) {
    return row.rate <= 1 ? row.rate * 100 : row.rate;
  }
  return null;
}
