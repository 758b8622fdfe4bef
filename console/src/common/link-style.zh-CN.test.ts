// lit loads first, while Node has no `document`, so that it sets itself up for Node.
import 'lit';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { credentialSecretText } from '../data/credentials.js';
import { networkUnavailableText } from '../data/network.js';
import { orgUnitLevelText } from '../data/org-units.js';
import { prefixPurposeText } from '../data/prefixes.js';
import { applyLocale } from '../i18n/locale.js';
import {
  activeText,
  formatTier,
  formatUtilisationPair,
  linkLevelText,
  linkRoleText,
  linkStatusText,
  planeText,
  tierVerdictText,
} from './link-style.js';

/**
 * The link texts in Simplified Chinese, read from the real zh-CN catalogue: values land in the
 * translation's placeholders, and the words are the glossary's.
 */
beforeAll(async () => {
  // @lit/localize announces a switch on `window`, and the console sets `<html lang>`; in Node an
  // EventTarget and a bare element stand in for them.
  vi.stubGlobal('window', new EventTarget());
  vi.stubGlobal('document', { documentElement: { lang: 'en' } });
  await applyLocale('zh-CN');
});

describe('link texts in Chinese', () => {
  it('uses the glossary words for statuses, roles, levels and verdicts', () => {
    expect(['up', 'down', 'unknown'].map(linkStatusText)).toEqual(['正常', '中断', '未知']);
    expect(['primary', 'backup'].map(linkRoleText)).toEqual(['主用', '备用']);
    expect(linkLevelText('county')).toBe('县级');
    expect(planeText('A')).toBe('A 平面');
    expect(tierVerdictText('ok')).toBe('带宽达标');
    expect(tierVerdictText('below')).toBe('带宽未达标');
  });

  it('puts the values into the Chinese sentence', () => {
    expect(formatUtilisationPair({ inPercent: 34.4, outPercent: 12, maxPercent: 34.4 })).toBe(
      '入向 34% · 出向 12%',
    );
    expect(formatTier({ targetMbps: 10_000, actualMbps: 1000, verdict: 'below' })).toBe(
      '实际 1 Gbit/s，未达带宽标准 10 Gbit/s',
    );
    expect(formatTier({ targetMbps: 1000, actualMbps: 1000, verdict: 'ok' })).toBe('带宽达标（1 Gbit/s）');
  });

  it('says failover as the glossary does', () => {
    expect(activeText({ active: true, pairId: 'p', failedOver: true, role: 'backup' })).toBe(
      '承载流量（主备切换）',
    );
    expect(activeText({ active: false, pairId: 'p', failedOver: true, role: 'primary' })).toBe(
      '已切换至备用',
    );
    expect(activeText({ active: false, pairId: 'p', failedOver: false, role: 'backup' })).toBe('备用待命');
  });

  it('translates the display words of the network data modules', () => {
    expect(networkUnavailableText()).toBe('此服务器未提供网络监测功能。');
    expect(orgUnitLevelText('township')).toBe('乡镇级');
    expect(prefixPurposeText('egress')).toBe('互联网出口');
    expect(prefixPurposeText('other')).toBe('other');
    expect(credentialSecretText('community')).toBe('团体名');
  });
});
