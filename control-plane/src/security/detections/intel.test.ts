import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FlowDetectionConfig } from '@tianshu/protocol';
import { indicatorCidr, parseIntelList, parseStixBundle, stixPatternCidrs } from './intel.js';
import { DetectionsPolicy } from './policy.js';

const NOW = Date.parse('2026-12-01T00:00:00Z');

describe('IP/CIDR lists', () => {
  it('reads addresses and prefixes with comments, and names every bad line', () => {
    const l = parseIntelList(
      [
        '# header comment',
        '',
        '192.0.2.0/24   # TEST-NET-1',
        '203.0.113.7',
        '2001:db8:bad::/48',
        // The Spamhaus DROP line shape: "prefix ; SBL id".
        '198.51.100.0/24 ; SBL123456',
        'not-an-address',
        '10.0.0.1/8',
        '10.0.0.0/33',
      ].join('\n'),
      'blocklist',
      'high',
    );
    expect(l.indicators.map((i) => i.cidr)).toEqual([
      '192.0.2.0/24',
      '203.0.113.7/32',
      '2001:db8:bad::/48',
      '198.51.100.0/24',
    ]);
    expect(l.indicators[0]).toEqual({
      cidr: '192.0.2.0/24',
      list: 'blocklist',
      id: 'line 3',
      severity: 'high',
    });
    expect(l.errors.map((e) => e.line)).toEqual([7, 8, 9]);
    expect(l.errors[0]!.reason).toMatch(/not an IPv4 or IPv6 address/);
    expect(l.errors[1]!.reason).toMatch(/bits set beyond its length; the prefix is 10\.0\.0\.0\/8/);
    expect(l.errors[2]!.reason).toMatch(/length must be 0 to 32/);
  });

  it('lists the first 100 errors and counts the rest', () => {
    const l = parseIntelList(Array.from({ length: 150 }, (_, i) => `bad-${i}`).join('\n'), 'x', 'low');
    expect(l.errors).toHaveLength(100);
    expect(l.errorsTruncated).toBe(50);
  });

  it('canonicalises IPv6', () => {
    expect(indicatorCidr('2001:0db8:dead:beef:dead:beef:dead:0001/128')).toEqual({
      cidr: '2001:db8:dead:beef:dead:beef:dead:1/128',
    });
  });
});

describe('STIX 2.1 patterns', () => {
  // The pattern examples of the STIX 2.1 specification (OASIS, STIX Version 2.1, §9 "STIX Patterning").
  it('reads ipv4-addr / ipv6-addr comparisons joined by OR, inside and between observations', () => {
    expect(
      stixPatternCidrs(
        "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128']",
      ),
    ).toEqual({ cidrs: ['198.51.100.1/32', '203.0.113.33/32', '2001:db8:dead:beef:dead:beef:dead:1/128'] });
    expect(
      stixPatternCidrs("[ipv4-addr:value = '10.0.0.0'] OR [ipv4-addr:value ISSUBSET '198.51.100.0/24']"),
    ).toEqual({
      cidrs: ['10.0.0.0/32', '198.51.100.0/24'],
    });
  });

  it('skips what flows cannot match, with the reason', () => {
    expect(stixPatternCidrs("[domain-name:value = 'example.com']")).toEqual({
      unsupported: 'domain-name:value is not an address (flows carry IP addresses only)',
    });
    expect(
      stixPatternCidrs(
        "[file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877']",
      ),
    ).toMatchObject({ unsupported: expect.stringMatching(/not an address/) as string });
    expect(
      stixPatternCidrs("[ipv4-addr:value = '198.51.100.1'] AND [ipv4-addr:value = '198.51.100.2']"),
    ).toMatchObject({ unsupported: expect.stringMatching(/AND/) as string });
    expect(
      stixPatternCidrs(
        "([ipv4-addr:value = '198.51.100.1'] FOLLOWEDBY [ipv4-addr:value = '198.51.100.2']) WITHIN 300 SECONDS",
      ),
    ).toMatchObject({ unsupported: expect.stringMatching(/FOLLOWEDBY/) as string });
    expect(stixPatternCidrs("[ipv4-addr:value != '198.51.100.1']")).toMatchObject({
      unsupported: expect.any(String) as string,
    });
  });

  it('reports invalid patterns', () => {
    expect(stixPatternCidrs("ipv4-addr:value = '1.2.3.4'")).toMatchObject({
      invalid: expect.stringMatching(/observation expression/) as string,
    });
    expect(stixPatternCidrs("[ipv4-addr:value = '1.2.3.999']")).toMatchObject({
      invalid: expect.stringMatching(/not an IPv4/) as string,
    });
    expect(stixPatternCidrs("[ipv4-addr:value = '2001:db8::1']")).toMatchObject({
      invalid: expect.stringMatching(/not an ipv4-addr/) as string,
    });
  });
});

describe('STIX 2.1 bundles', () => {
  /**
   * Objects shaped as the STIX 2.1 specification's examples (OASIS Standard, 10 June 2021: §4.7
   * Indicator example "Poison Ivy Malware", §9 pattern examples), with validity, revocation and an
   * identity beside them as real feeds carry.
   */
  const bundle = {
    type: 'bundle',
    id: 'bundle--5d0092c5-5f74-4287-9642-33f4c354e56d',
    objects: [
      {
        type: 'identity',
        spec_version: '2.1',
        id: 'identity--f431f809-377b-45e0-aa1c-6a4751cae5ff',
        created: '2016-04-06T20:03:00.000Z',
        modified: '2016-04-06T20:03:00.000Z',
        name: 'ACME Widget, Inc.',
        identity_class: 'organization',
      },
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f',
        created_by_ref: 'identity--f431f809-377b-45e0-aa1c-6a4751cae5ff',
        created: '2016-04-06T20:03:48.000Z',
        modified: '2016-04-06T20:03:48.000Z',
        indicator_types: ['malicious-activity'],
        name: 'Poison Ivy Malware',
        description: 'This file is part of Poison Ivy',
        pattern:
          "[ file:hashes.'SHA-256' = '4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877' ]",
        pattern_type: 'stix',
        valid_from: '2016-01-01T00:00:00Z',
      },
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--a932fcc6-e032-476c-826f-cb970a5a1ade',
        created: '2016-04-06T20:03:48.000Z',
        modified: '2016-04-06T20:03:48.000Z',
        name: 'C2 addresses',
        pattern:
          "[ipv4-addr:value = '198.51.100.1/32' OR ipv4-addr:value = '203.0.113.33/32' OR ipv6-addr:value = '2001:0db8:dead:beef:dead:beef:dead:0001/128']",
        pattern_type: 'stix',
        valid_from: '2016-01-01T00:00:00Z',
      },
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--0b4c3c2a-6e5a-4a5f-9a0b-1c2d3e4f5a6b',
        created: '2016-04-06T20:03:48.000Z',
        modified: '2016-04-06T20:03:48.000Z',
        pattern: "[ipv4-addr:value = '192.0.2.10']",
        pattern_type: 'stix',
        valid_from: '2016-01-01T00:00:00Z',
        valid_until: '2017-01-01T00:00:00Z',
      },
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--1b4c3c2a-6e5a-4a5f-9a0b-1c2d3e4f5a6b',
        created: '2016-04-06T20:03:48.000Z',
        modified: '2016-04-07T20:03:48.000Z',
        revoked: true,
        pattern: "[ipv4-addr:value = '192.0.2.11']",
        pattern_type: 'stix',
        valid_from: '2016-01-01T00:00:00Z',
      },
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--2b4c3c2a-6e5a-4a5f-9a0b-1c2d3e4f5a6b',
        created: '2016-04-06T20:03:48.000Z',
        modified: '2016-04-06T20:03:48.000Z',
        pattern: "[ipv4-addr:value = '192.0.2.12']",
        pattern_type: 'stix',
        valid_from: '2030-01-01T00:00:00Z',
      },
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--3b4c3c2a-6e5a-4a5f-9a0b-1c2d3e4f5a6b',
        created: '2016-04-06T20:03:48.000Z',
        modified: '2016-04-06T20:03:48.000Z',
        pattern: "[ipv4-addr:value = '192.0.2.300']",
        pattern_type: 'stix',
        valid_from: '2016-01-01T00:00:00Z',
      },
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--4b4c3c2a-6e5a-4a5f-9a0b-1c2d3e4f5a6b',
        created: '2016-04-06T20:03:48.000Z',
        modified: '2016-04-06T20:03:48.000Z',
        pattern: "[ipv4-addr:value = '192.0.2.13']",
        pattern_type: 'stix',
      },
      {
        type: 'indicator',
        spec_version: '2.1',
        id: 'indicator--5b4c3c2a-6e5a-4a5f-9a0b-1c2d3e4f5a6b',
        created: '2016-04-06T20:03:48.000Z',
        modified: '2016-04-06T20:03:48.000Z',
        pattern: 'alert tcp any any -> any any (msg:"x";)',
        pattern_type: 'snort',
        valid_from: '2016-01-01T00:00:00Z',
      },
    ],
  };

  it('loads the address indicators and skips and counts the rest, with reasons for the invalid', () => {
    const l = parseStixBundle(JSON.stringify(bundle), 'feed', 'critical', NOW);
    expect(l.indicators).toEqual([
      {
        cidr: '198.51.100.1/32',
        list: 'feed',
        id: 'indicator--a932fcc6-e032-476c-826f-cb970a5a1ade',
        label: 'C2 addresses',
        severity: 'critical',
      },
      {
        cidr: '203.0.113.33/32',
        list: 'feed',
        id: 'indicator--a932fcc6-e032-476c-826f-cb970a5a1ade',
        label: 'C2 addresses',
        severity: 'critical',
      },
      {
        cidr: '2001:db8:dead:beef:dead:beef:dead:1/128',
        list: 'feed',
        id: 'indicator--a932fcc6-e032-476c-826f-cb970a5a1ade',
        label: 'C2 addresses',
        severity: 'critical',
      },
    ]);
    expect(l.skipped).toEqual({ expired: 1, notYetValid: 1, revoked: 1, unsupported: 2 });
    expect(l.errors).toEqual([
      {
        index: 6,
        id: 'indicator--3b4c3c2a-6e5a-4a5f-9a0b-1c2d3e4f5a6b',
        reason: expect.stringMatching(/192\.0\.2\.300/) as string,
      },
      {
        index: 7,
        id: 'indicator--4b4c3c2a-6e5a-4a5f-9a0b-1c2d3e4f5a6b',
        reason: expect.stringMatching(/valid_from/) as string,
      },
    ]);
  });

  it('reports a file that is no JSON or no bundle', () => {
    expect(parseStixBundle('{not json', 'x', 'low', NOW).errors[0]!.reason).toMatch(/not JSON/);
    expect(parseStixBundle('{"type":"bundle","id":"bundle--x"}', 'x', 'low', NOW).errors[0]!.reason).toMatch(
      /objects/,
    );
  });

  it('the example bundle in policies/ loads whole', () => {
    const text = readFileSync(
      new URL('../../../../policies/detections/intel/stix-example.json', import.meta.url),
      'utf8',
    );
    const l = parseStixBundle(text, 'stix-example', 'critical', NOW);
    expect(l.errors).toEqual([]);
    expect(l.indicators).toHaveLength(3);
    const list = readFileSync(
      new URL('../../../../policies/detections/intel/documentation-blocklist.txt', import.meta.url),
      'utf8',
    );
    const b = parseIntelList(list, 'documentation-blocklist', 'high');
    expect(b.errors).toEqual([]);
    expect(b.indicators).toHaveLength(3);
  });
});

describe('policies/detections.yaml', () => {
  it('is valid and its thresholds make a valid agent section', () => {
    const p = DetectionsPolicy.parse(
      parseYaml(readFileSync(new URL('../../../../policies/detections.yaml', import.meta.url), 'utf8')),
    );
    expect(p.intel.map((i) => i.name)).toEqual(['documentation-blocklist', 'stix-example']);
    const section = {
      enabled: true,
      scan: p.scan,
      ddos: p.ddos,
      intel: [],
      realertSeconds: p.realertSeconds,
    };
    expect(FlowDetectionConfig.safeParse(section).success).toBe(true);
  });

  it('refuses bad thresholds and file paths with the field named', () => {
    const base = {
      scan: { portsPerHost: 50, hostsPerPort: 50, windowSeconds: 60 },
      ddos: { factor: 5, minPps: 1, minBps: 1, sustainSeconds: 3, baselineHalfLifeSeconds: 60 },
    };
    const bad = DetectionsPolicy.safeParse({ ...base, ddos: { ...base.ddos, factor: 0.5 } });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues[0]!.path).toEqual(['ddos', 'factor']);
    const escape = DetectionsPolicy.safeParse({
      ...base,
      intel: [{ name: 'x', file: '../../etc/passwd', severity: 'low' }],
    });
    expect(escape.error!.issues[0]!.message).toMatch(/inside policies\/detections\/intel/);
    const twice = DetectionsPolicy.safeParse({
      ...base,
      intel: [
        { name: 'x', file: 'a.txt', severity: 'low' },
        { name: 'x', file: 'b.txt', severity: 'low' },
      ],
    });
    expect(twice.error!.issues[0]!.message).toMatch(/listed twice/);
  });
});
