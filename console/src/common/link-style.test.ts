import { describe, expect, it } from 'vitest';
import {
  activeText,
  countFailedOverPairs,
  countLinkStatuses,
  formatMbps,
  formatTier,
  formatUtilisation,
  formatUtilisationPair,
  integrationRatePercent,
  linkColour,
  linkColours,
  linkLevelText,
  linkRoleText,
  linkStatusText,
  linkStroke,
  planeText,
  tierVerdictText,
  utilisationBand,
} from './link-style.js';

const u = (maxPercent: number) => ({ inPercent: maxPercent, outPercent: 0, maxPercent });

describe('linkColour', () => {
  it('is red when down and grey when unknown, whatever the utilisation', () => {
    expect(linkColour({ status: 'down', utilisation: u(10) })).toBe(linkColours.down);
    expect(linkColour({ status: 'unknown', utilisation: u(90) })).toBe(linkColours.unknown);
  });

  it('follows the utilisation bands when up', () => {
    expect(linkColour({ status: 'up', utilisation: u(0) })).toBe(linkColours.low);
    expect(linkColour({ status: 'up', utilisation: u(49.9) })).toBe(linkColours.low);
    expect(linkColour({ status: 'up', utilisation: u(50) })).toBe(linkColours.medium);
    expect(linkColour({ status: 'up', utilisation: u(79.9) })).toBe(linkColours.medium);
    expect(linkColour({ status: 'up', utilisation: u(80) })).toBe(linkColours.high);
    expect(linkColour({ status: 'up', utilisation: u(130) })).toBe(linkColours.high);
  });

  it('is green for an up link whose utilisation is not measured', () => {
    expect(linkColour({ status: 'up', utilisation: null })).toBe(linkColours.low);
  });
});

describe('utilisationBand', () => {
  it('says none for missing or non-finite values', () => {
    expect(utilisationBand(null)).toBe('none');
    expect(utilisationBand(undefined)).toBe('none');
    expect(utilisationBand(Number.NaN)).toBe('none');
  });
});

describe('linkStroke', () => {
  const base = { status: 'up' as const, utilisation: u(10), role: 'primary' as const, active: null };

  it('dashes backup links and draws the active member thicker', () => {
    expect(linkStroke(base).dash).toBeNull();
    expect(linkStroke({ ...base, role: 'backup' }).dash).not.toBeNull();
    const active = linkStroke({ ...base, active: true }).width;
    const standby = linkStroke({ ...base, active: false }).width;
    const unpaired = linkStroke(base).width;
    expect(active).toBeGreaterThan(unpaired);
    expect(unpaired).toBeGreaterThan(standby);
  });
});

describe('formatUtilisation', () => {
  it('rounds to whole percent, keeps one decimal below 1, and reads a dash when unknown', () => {
    expect(formatUtilisation(34.4)).toBe('34%');
    expect(formatUtilisation(0.42)).toBe('0.4%');
    expect(formatUtilisation(0)).toBe('0%');
    expect(formatUtilisation(-3)).toBe('0%');
    expect(formatUtilisation(null)).toBe('—');
    expect(formatUtilisation(Number.POSITIVE_INFINITY)).toBe('—');
  });

  it('writes both directions', () => {
    expect(formatUtilisationPair({ inPercent: 34.4, outPercent: 12, maxPercent: 34.4 })).toBe(
      'in 34% · out 12%',
    );
    expect(formatUtilisationPair(null)).toBe('—');
  });
});

describe('formatMbps and formatTier', () => {
  it('quotes speeds as bandwidth is quoted', () => {
    expect(formatMbps(100)).toBe('100 Mbit/s');
    expect(formatMbps(1000)).toBe('1 Gbit/s');
    expect(formatMbps(10_000)).toBe('10 Gbit/s');
    expect(formatMbps(2500)).toBe('2.5 Gbit/s');
    expect(formatMbps(null)).toBe('—');
  });

  it('says how a link compares with its tier', () => {
    expect(formatTier({ targetMbps: 1000, actualMbps: 1000, verdict: 'ok' })).toBe('meets 1 Gbit/s');
    expect(formatTier({ targetMbps: 10_000, actualMbps: 1000, verdict: 'below' })).toBe(
      '1 Gbit/s of 10 Gbit/s target',
    );
    expect(formatTier({ targetMbps: 100, actualMbps: null, verdict: 'unknown' })).toBe(
      'target 100 Mbit/s, actual unknown',
    );
  });
});

describe('counts', () => {
  it('counts links by status', () => {
    expect(
      countLinkStatuses([{ status: 'up' }, { status: 'down' }, { status: 'up' }, { status: 'unknown' }]),
    ).toEqual({
      up: 2,
      down: 1,
      unknown: 1,
    });
  });

  it('counts a failed-over pair once', () => {
    expect(
      countFailedOverPairs([
        { id: 'a', pairId: 'p1', failedOver: true },
        { id: 'b', pairId: 'p1', failedOver: true },
        { id: 'c', pairId: 'p2', failedOver: false },
        { id: 'd', pairId: null, failedOver: true },
      ]),
    ).toBe(2);
  });

  it('describes the active/standby state', () => {
    expect(activeText({ active: true, pairId: 'p', failedOver: false, role: 'primary' })).toBe('active');
    expect(activeText({ active: false, pairId: 'p', failedOver: false, role: 'backup' })).toBe('standby');
    expect(activeText({ active: true, pairId: 'p', failedOver: true, role: 'backup' })).toBe(
      'active (failover)',
    );
    expect(activeText({ active: null, pairId: null, failedOver: false, role: 'primary' })).toBe('unpaired');
  });
});

describe('link words', () => {
  it('names statuses, levels, roles, planes and verdicts, and passes a word it does not know through', () => {
    expect(['up', 'down', 'unknown', 'testing'].map(linkStatusText)).toEqual([
      'up',
      'down',
      'unknown',
      'testing',
    ]);
    expect(['backbone', 'county', 'township', 'metro'].map(linkLevelText)).toEqual([
      'backbone',
      'county',
      'township',
      'metro',
    ]);
    expect(['primary', 'backup', 'spare'].map(linkRoleText)).toEqual(['primary', 'backup', 'spare']);
    expect(planeText('B')).toBe('plane B');
    expect(['ok', 'below', 'unknown'].map(tierVerdictText)).toEqual(['meets tier', 'below tier', 'unknown']);
  });
});

describe('integrationRatePercent', () => {
  it('prefers migrated over eligible, then reads a rate as a fraction or a percent', () => {
    expect(integrationRatePercent({ orgUnitId: 'x', migrated: 19, eligible: 20, rate: 0.5 })).toBe(95);
    expect(integrationRatePercent({ orgUnitId: 'x', rate: 0.9 })).toBeCloseTo(90);
    expect(integrationRatePercent({ orgUnitId: 'x', rate: 96 })).toBe(96);
    expect(integrationRatePercent({ orgUnitId: 'x', eligible: 0, migrated: 0 })).toBeNull();
  });
});
