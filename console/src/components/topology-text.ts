/**
 * The words of the topology page and map that more than one element needs: link states, levels,
 * roles and the tooltip lines. Functions, so that `msg()` runs in the locale in force.
 */
import { msg, str } from '@lit/localize';
import { formatMbps, formatUtilisation } from '../common/link-style.js';
import type { LinkStatus, LinkTier, LinkUtilisation, LinkView } from '../data/network.js';

export function statusText(status: LinkStatus | string): string {
  if (status === 'up') return msg('up', { id: 'topology.status.up' });
  if (status === 'down') return msg('down', { id: 'topology.status.down' });
  return msg('unknown', { id: 'topology.status.unknown' });
}

export function levelText(level: string): string {
  switch (level) {
    case 'province':
      return msg('Province', { id: 'topology.level.province' });
    case 'city':
      return msg('City', { id: 'topology.level.city' });
    case 'county':
      return msg('County', { id: 'topology.level.county' });
    case 'township':
      return msg('Township', { id: 'topology.level.township' });
    case 'village':
      return msg('Village', { id: 'topology.level.village' });
    case 'backbone':
      return msg('Backbone', { id: 'topology.level.backbone' });
    case 'department':
      return msg('Department', { id: 'topology.level.department' });
    default:
      return level;
  }
}

export function roleText(role: string): string {
  return role === 'backup'
    ? msg('backup', { id: 'topology.role.backup' })
    : msg('primary', { id: 'topology.role.primary' });
}

export function planeText(plane: string): string {
  return msg(str`plane ${plane}`, { id: 'topology.plane' });
}

/** Which member of a pair carries the traffic, in words. */
export function activeText(link: Pick<LinkView, 'active' | 'pairId' | 'failedOver' | 'role'>): string {
  if (link.failedOver) {
    return link.role === 'backup'
      ? msg('active (failover)', { id: 'topology.active.failover' })
      : msg('failed over', { id: 'topology.active.failedOver' });
  }
  if (link.active === true) return msg('active', { id: 'topology.active.active' });
  if (link.active === false) return msg('standby', { id: 'topology.active.standby' });
  return link.pairId === null
    ? msg('unpaired', { id: 'topology.active.unpaired' })
    : msg('unknown', { id: 'topology.status.unknown' });
}

export function utilisationText(utilisation: LinkUtilisation | null | undefined): string {
  if (!utilisation) return '—';
  const inText = formatUtilisation(utilisation.inPercent);
  const outText = formatUtilisation(utilisation.outPercent);
  return msg(str`in ${inText} · out ${outText}`, { id: 'topology.utilisation' });
}

export function tierText(tier: LinkTier): string {
  const target = formatMbps(tier.targetMbps);
  if (tier.verdict === 'unknown' || tier.actualMbps === null) {
    return msg(str`target ${target}, actual unknown`, { id: 'topology.tier.unknown' });
  }
  if (tier.verdict === 'below') {
    const actual = formatMbps(tier.actualMbps);
    return msg(str`${actual} of ${target} target`, { id: 'topology.tier.below' });
  }
  return msg(str`meets ${target}`, { id: 'topology.tier.ok' });
}
