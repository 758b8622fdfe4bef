import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { AppClassifier, protocolName } from './apps.js';
import { FlowsPolicy } from './policy.js';

describe('application classification', () => {
  const apps = new AppClassifier([
    { name: 'HTTPS', proto: 'tcp', ports: [443] },
    { name: 'Web-alt', proto: 'tcp', ports: [443, 8443] },
    { name: '政务外网视频会议', proto: 'udp', ports: [[10000, 20000]] },
    { name: 'DNS', proto: 17, ports: [53] },
    { name: 'ICMP', proto: 'icmp' },
  ]);

  it('matches the destination port first, then the source port; the first entry wins', () => {
    expect(apps.classify(6, 50000, 443)).toBe('HTTPS');
    expect(apps.classify(6, 443, 50000)).toBe('HTTPS');
    expect(apps.classify(6, 8443, 443)).toBe('HTTPS');
    expect(apps.classify(6, 443, 8443)).toBe('Web-alt');
    expect(apps.classify(17, 53, 15000)).toBe('政务外网视频会议');
    expect(apps.classify(17, 40000, 53)).toBe('DNS');
    expect(apps.classify(17, 40000, 443)).toBe('');
    expect(apps.classify(1, 0, 0)).toBe('ICMP');
    expect(protocolName(6)).toBe('tcp');
    expect(protocolName(250)).toBe('250');
  });

  it('the shipped policy file is valid', () => {
    const raw: unknown = parse(
      readFileSync(new URL('../../../policies/flows.yaml', import.meta.url), 'utf8'),
    );
    const p = FlowsPolicy.parse(raw);
    const c = new AppClassifier(p.apps);
    expect(c.classify(6, 50000, 443)).toBe('HTTPS');
    expect(c.classify(17, 50000, 12000)).toBe('政务外网视频会议');
  });
});
