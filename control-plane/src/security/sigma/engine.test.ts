import { describe, expect, it } from 'vitest';
import { engineOf, storedEvent } from './testing.js';
import { MAX_GROUPS } from './correlation.js';

const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const s = (n: number) => T0 + n * 1000;

const FAILED = `title: ssh failed
id: failed-1
name: ssh_failed
logsource:
  product: linux
  service: sshd
detection:
  k:
    - 'Failed password'
  condition: k
level: low
`;

const ssh = (host: string, at: number, opts: { orgUnitId?: string; orgPath?: string; msg?: string } = {}) =>
  storedEvent(
    'syslog',
    {
      'process.name': 'sshd',
      'host.hostname': host,
      message: opts.msg ?? 'Failed password for root from 203.0.113.9 port 4242 ssh2',
    },
    { ts: at, ...opts },
  );

const countRule = (condition: string, timespan = '5m', extra = '') => `title: brute force
id: brute-1
level: high
tags:
  - attack.t1110.001
correlation:
  type: event_count
  rules:
    - ssh_failed
  group-by:
    - host.hostname
  timespan: ${timespan}
  condition:
    ${condition}
${extra}`;

describe('detections', () => {
  it('aggregates the hits of a batch into one alert per rule and main observable', () => {
    const e = engineOf(`title: scanner
id: ua-1
level: informational
tags: [attack.t1595.002]
logsource:
  category: webserver
detection:
  s:
    c-useragent|contains: sqlmap
  condition: s
`);
    const ev = (src: string, at: number) =>
      storedEvent(
        'http',
        {
          'source.ip': src,
          'destination.ip': '10.1.2.3',
          'user_agent.original': 'sqlmap/1.7',
          'url.original': '/?id=1',
        },
        { ts: at },
      );
    const events = [
      ev('198.51.100.7', s(1)),
      ev('198.51.100.7', s(5)),
      ev('198.51.100.8', s(3)),
      storedEvent('http', { 'user_agent.original': 'curl' }),
    ];
    const alerts = e.evaluate(events);
    expect(alerts).toHaveLength(2);
    const a = alerts.find((x) => x.observables.some((o) => o.value === '198.51.100.7'))!;
    expect(a).toMatchObject({
      source: 'sigma',
      reference: 'ua-1',
      severity: 'low',
      attack: ['T1595.002'],
      count: 2,
      firstSeen: s(1),
      lastSeen: s(5),
      eventIds: [events[0]!.id, events[1]!.id],
      assetAddress: '10.1.2.3',
      orgUnitId: 'county-a',
    });
    expect(a.observables).toEqual(
      expect.arrayContaining([
        { type: 'ip', value: '198.51.100.7', role: 'source' },
        { type: 'ip', value: '10.1.2.3', role: 'target' },
        { type: 'url', value: '/?id=1', role: 'related' },
      ]),
    );
  });
  it('tests an event only against the rules of its type', () => {
    const e = engineOf(FAILED);
    // Same text in an EVE http event: not a syslog event, not tested.
    expect(
      e.evaluate([storedEvent('http', { message: 'Failed password' }, { raw: 'Failed password' })]),
    ).toEqual([]);
    expect(e.evaluate([ssh('h1', s(1))])).toHaveLength(1);
  });
  it('counts an error and goes on when a rule throws on an event', () => {
    const errors: string[] = [];
    const e = engineOf(FAILED);
    const recorder = { hit: () => undefined, error: (id: string) => errors.push(id) };
    Object.assign(e, { recorder });
    const bad = ssh('h1', s(1));
    Object.defineProperty(bad, 'raw', {
      get: () => {
        throw new Error('boom');
      },
    });
    (bad.fields as Record<string, unknown>).message = 'nothing';
    const alerts = e.evaluate([bad, ssh('h2', s(2))]);
    expect(errors).toEqual(['failed-1']);
    expect(alerts).toHaveLength(1);
  });
});

describe('event_count correlation', () => {
  it('fires when the count in the sliding window reaches the condition, per group', () => {
    const e = engineOf(FAILED, countRule('gte: 3'));
    expect(e.rules.map((r) => [r.info.id, r.info.status])).toEqual([
      ['failed-1', 'compiled'],
      ['brute-1', 'compiled'],
    ]);
    // generate is false: the referenced rule raises no alert of its own.
    expect(e.evaluate([ssh('h1', s(0)), ssh('h1', s(60)), ssh('h2', s(61))])).toEqual([]);
    const alerts = e.evaluate([ssh('h1', s(120))]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      source: 'sigma',
      reference: 'brute-1',
      severity: 'high',
      attack: ['T1110.001'],
      count: 3,
      firstSeen: s(0),
      lastSeen: s(120),
      orgUnitId: 'county-a',
      observables: [{ type: 'host', value: 'h1', role: 'target' }],
    });
    expect(alerts[0]!.eventIds).toHaveLength(3);
    expect(alerts[0]!.fingerprint).toBe('sigma:brute-1:h1');
  });
  it('slides by event time: events older than the timespan drop out', () => {
    const e = engineOf(FAILED, countRule('gte: 3', '1m'));
    expect(e.evaluate([ssh('h1', s(0)), ssh('h1', s(30)), ssh('h1', s(95))])).toEqual([]);
    // At s(95) the window is [35, 95]: s(0) and s(30) have dropped out. At s(100): s(95), s(100).
    expect(e.evaluate([ssh('h1', s(100))])).toEqual([]);
    expect(e.evaluate([ssh('h1', s(101))])).toHaveLength(1);
  });
  it('never correlates across org units', () => {
    const e = engineOf(FAILED, countRule('gte: 2'));
    const other = { orgUnitId: 'county-b', orgPath: '/sc/cd/county-b/' };
    expect(e.evaluate([ssh('h1', s(0)), ssh('h1', s(1), other)])).toEqual([]);
    const [a] = e.evaluate([ssh('h1', s(2), other)]);
    expect(a).toMatchObject({ orgUnitId: 'county-b', count: 2 });
  });
  it('decides upper-bound conditions when the window closes', () => {
    const e = engineOf(FAILED, countRule('lt: 3', '1m'));
    expect(e.evaluate([ssh('h1', s(0)), ssh('h1', s(10))])).toEqual([]);
    // Event time passes s(0) + 1 m: the window held 2 < 3 events.
    const alerts = e.evaluate([ssh('other', s(61))]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ count: 2, firstSeen: s(0), lastSeen: s(10) });
    const e2 = engineOf(FAILED, countRule('lt: 2', '1m'));
    expect(e2.evaluate([ssh('h1', s(0)), ssh('h1', s(10)), ssh('x', s(100))])).toEqual([]);
  });
  it('keeps at most MAX_GROUPS groups, evicting the oldest and counting it', () => {
    const e = engineOf(FAILED, countRule('gte: 2'));
    const events = Array.from({ length: MAX_GROUPS + 5 }, (_, i) => ssh(`h${i}`, s(0)));
    e.evaluate(events);
    expect(e.capsHit()['brute-1']).toEqual({ evicted: 5, truncated: 0, groups: MAX_GROUPS });
    // h0 was evicted: its second event starts a new group and does not fire.
    expect(e.evaluate([ssh('h0', s(1))])).toEqual([]);
    expect(e.evaluate([ssh('h9', s(1))])).toHaveLength(1);
  });
  it('generate: true keeps the referenced rule alerting on its own', () => {
    const e2 = engineOf(FAILED, countRule('gte: 5').replace('  timespan:', '  generate: true\n  timespan:'));
    expect(e2.evaluate([ssh('h1', s(0))])).toMatchObject([{ reference: 'failed-1' }]);
  });
});

describe('value_count, temporal and references', () => {
  const alertRule = `title: any suricata alert
id: any-alert
name: any_alert
logsource:
  product: suricata
detection:
  s:
    signature|exists: true
  condition: s
`;
  const alert = (src: string, sig: string, at: number) =>
    storedEvent('alert', { 'source.ip': src, 'destination.ip': '10.0.0.5', 'rule.name': sig }, { ts: at });
  it('value_count counts distinct values of the field per group', () => {
    const e = engineOf(
      alertRule,
      `title: many signatures
id: vc-1
correlation:
  type: value_count
  rules: [any_alert]
  group-by: [src_ip]
  timespan: 10m
  condition:
    field: signature
    gte: 3
`,
    );
    expect(
      e.evaluate([
        alert('1.1.1.1', 'A', s(0)),
        alert('1.1.1.1', 'A', s(1)),
        alert('1.1.1.1', 'B', s(2)),
        alert('2.2.2.2', 'C', s(3)),
      ]),
    ).toEqual([]);
    const [a] = e.evaluate([alert('1.1.1.1', 'C', s(4))]);
    expect(a).toMatchObject({
      reference: 'vc-1',
      count: 4,
      observables: [{ type: 'ip', value: '1.1.1.1', role: 'source' }],
    });
  });
  it('temporal: every referenced rule within the timespan, in any order', () => {
    const a = `title: a\nid: rule-a\nname: ra\nlogsource:\n  category: dns\ndetection:\n  s:\n    query: a.example\n  condition: s\n`;
    const b = `title: b\nid: rule-b\nname: rb\nlogsource:\n  category: proxy\ndetection:\n  s:\n    c-uri: /b\n  condition: s\n`;
    const corr = (type: string) =>
      `title: t\nid: temp-1\ncorrelation:\n  type: ${type}\n  rules: [ra, rb]\n  group-by: [src_ip]\n  timespan: 1m\n`;
    const dns = (at: number) =>
      storedEvent('dns', { 'source.ip': '10.0.0.1', 'dns.question.name': 'a.example' }, { ts: at });
    const http = (at: number) =>
      storedEvent('http', { 'source.ip': '10.0.0.1', 'url.original': '/b' }, { ts: at });
    const e = engineOf(a, b, corr('temporal'));
    expect(e.evaluate([http(s(0))])).toEqual([]);
    expect(e.evaluate([dns(s(30))])).toMatchObject([{ reference: 'temp-1', count: 2 }]);
    const late = engineOf(a, b, corr('temporal'));
    expect(late.evaluate([http(s(0)), dns(s(61))])).toEqual([]);
    // temporal_ordered: ra must come before rb.
    const ordered = engineOf(a, b, corr('temporal_ordered'));
    expect(ordered.evaluate([http(s(0)), dns(s(10))])).toEqual([]);
    expect(ordered.evaluate([http(s(20))])).toMatchObject([{ reference: 'temp-1' }]);
  });
  it('refers to rules by id, and reports unknown or unsupported references with the reason', () => {
    const byId = engineOf(FAILED, countRule('gte: 2').replace('- ssh_failed', '- failed-1'));
    expect(byId.rules[1]!.info.status).toBe('compiled');
    const missing = engineOf(countRule('gte: 2'));
    expect(missing.rules[0]!.info).toMatchObject({
      status: 'invalid',
      reason: expect.stringMatching(/"ssh_failed", which no loaded rule/),
    });
    const win = `title: w\nid: w1\nname: ssh_failed\nlogsource:\n  product: windows\ndetection:\n  s:\n    EventID: 4625\n  condition: s\n`;
    const unsup = engineOf(win, countRule('gte: 2'));
    expect(unsup.rules[1]!.info).toMatchObject({
      status: 'unsupported',
      reason: expect.stringMatching(/unsupported/),
    });
    expect(unsup.evaluate([ssh('h1', s(0)), ssh('h1', s(1))])).toEqual([]);
  });
  it('refuses malformed correlations with the reason', () => {
    const bad = (body: string) => engineOf(`title: c\nid: c1\ncorrelation:\n${body}`).rules[0]!.info;
    expect(
      bad('  type: event_count\n  rules: [x]\n  timespan: 5 minutes\n  condition: {gte: 1}\n'),
    ).toMatchObject({
      status: 'invalid',
      reason: expect.stringMatching(/timespan/),
    });
    expect(bad('  type: value_sum\n  rules: [x]\n  timespan: 5m\n  condition: {gte: 1}\n').status).toBe(
      'unsupported',
    );
    expect(bad('  type: value_count\n  rules: [x]\n  timespan: 5m\n  condition: {gte: 1}\n').reason).toMatch(
      /field/,
    );
    expect(bad('  type: event_count\n  rules: []\n  timespan: 5m\n  condition: {gte: 1}\n').status).toBe(
      'invalid',
    );
  });
});
