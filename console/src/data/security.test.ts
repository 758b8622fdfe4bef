import { afterEach, describe, expect, it, vi } from 'vitest';
import { EVENT_REJECT_REASONS } from '../../../protocol/src/security.js';
import { ApiError } from './api.js';
import {
  ShapeError,
  actionApplies,
  alertFilter,
  alertQuerySearch,
  applicableActions,
  bulkTriage,
  countBySeverity,
  defaultAlertQuery,
  escalationTargets,
  eventParams,
  eventQuerySearch,
  fetchAlerts,
  fetchRisk,
  incidentQuerySearch,
  isSecurityMissing,
  nextIncidentStatuses,
  parseAlertDetail,
  parseAlertPage,
  parseAlertQuery,
  parseEventPage,
  parseEventQuery,
  parseIncidentDetail,
  parseIncidentPage,
  parseIncidentQuery,
  parseRisk,
  parseRiskTrend,
  parseRuleList,
  parseSources,
  parseStats,
  parseSuppression,
  rejectReasonText,
  rejectionReasons,
  riskChildren,
  securityWindow,
  suppressionExpiry,
  wallFigures,
} from './security.js';
import type { AlertQuery, RiskItem } from './security.js';

// Fixtures shaped exactly like the security contract's answers (docs: security-contract, API).
const alert = {
  id: 'al-1',
  fingerprint: 'suricata:2010935:10.17.1.5',
  source: 'suricata',
  reference: 'suricata:2010935',
  title: 'ET SCAN Suspicious inbound to MSSQL port 1433',
  description: 'Suricata signature 2010935',
  severity: 'high',
  attack: ['T1046'],
  observables: [
    { type: 'ip', value: '203.0.113.9' },
    { type: 'ip', value: '10.17.1.5' },
  ],
  orgUnitId: 'sc-cd-jj',
  orgUnitName: '锦江区',
  assetAddress: '10.17.1.5',
  status: 'new',
  count: 3,
  firstSeen: '2026-12-01T08:00:00.000Z',
  lastSeen: '2026-12-01T08:05:00.000Z',
  incidentId: null,
  assignee: null,
};

const event = {
  id: 'ev-1',
  ts: '2026-12-01T08:00:00.123Z',
  orgUnitId: 'sc-cd-jj',
  orgUnitName: '锦江区',
  agentId: 'ag-1',
  source: 'api',
  format: 'eve',
  type: 'alert',
  severity: 3,
  srcIp: '203.0.113.9',
  dstIp: '10.17.1.5',
  srcPort: 51234,
  dstPort: 1433,
  proto: 'TCP',
  host: '',
  user: '',
  rule: 'ET SCAN Suspicious inbound to MSSQL port 1433',
  message: '',
  fields: { 'source.ip': '203.0.113.9', 'destination.port': 1433 },
  raw: '{"event_type":"alert"}',
};

const incident = {
  id: 'inc-1',
  title: 'MSSQL scan of 锦江区',
  severity: 'high',
  status: 'triaged',
  orgUnitId: 'sc-cd-jj',
  orgUnitName: '锦江区',
  handlerOrgUnitId: 'sc-cd',
  handlerOrgUnitName: '成都市',
  escalatedTo: [{ orgUnitId: 'sc-cd', name: '成都市' }],
  assignee: 'city-analyst',
  alertCount: 1,
  observables: [{ type: 'ip', value: '203.0.113.9' }],
  attack: ['T1046'],
  createdAt: '2026-12-01T08:06:00.000Z',
  updatedAt: '2026-12-01T08:10:00.000Z',
  acknowledgedAt: '2026-12-01T08:07:00.000Z',
  resolvedAt: null,
  timeToAcknowledgeSeconds: 60,
  timeToResolveSeconds: null,
};

describe('alert queue query in the URL', () => {
  it('defaults to open alerts over 7 days, written in a fixed order', () => {
    const q = parseAlertQuery('');
    expect(q).toEqual(defaultAlertQuery());
    expect(alertQuerySearch(q)).toBe('?status=new%2Cacknowledged&range=7d');
  });

  it('round-trips every filter, and drops unknown values', () => {
    const q: AlertQuery = {
      status: ['acknowledged', 'closed'],
      severity: ['critical', 'low'],
      source: 'suricata',
      orgUnit: 'sc-cd-jj',
      q: '10.17.1.5',
      range: '24h',
      incident: 'none',
    };
    expect(parseAlertQuery(alertQuerySearch(q))).toEqual(q);
    const odd = parseAlertQuery('?status=closed,bogus,new,new&severity=low,huge,critical&range=9y');
    // Statuses and severities keep their canonical order; junk and repeats are dropped.
    expect(odd.status).toEqual(['new', 'closed']);
    expect(odd.severity).toEqual(['critical', 'low']);
    expect(odd.range).toBe('7d');
  });

  it('keeps an explicit empty status (every status) apart from the default', () => {
    const all = parseAlertQuery('?status=');
    expect(all.status).toEqual([]);
    expect(alertFilter(all, Date.UTC(2026, 11, 1))).not.toHaveProperty('status');
  });

  it('takes a custom window in place of the preset', () => {
    const q = parseAlertQuery('?from=2026-12-01T00:00:00.000Z&to=2026-12-01T06:00:00.000Z&range=1h');
    expect(q.custom).toEqual({ from: Date.UTC(2026, 11, 1, 0), to: Date.UTC(2026, 11, 1, 6) });
    expect(alertQuerySearch(q)).toContain('from=2026-12-01T00%3A00%3A00.000Z');
    expect(alertQuerySearch(q)).not.toContain('range=');
    // A window that ends before it starts is ignored.
    expect(parseAlertQuery('?from=2026-12-02T00:00:00Z&to=2026-12-01T00:00:00Z').custom).toBeUndefined();
  });

  it('becomes the API filter of GET /alerts and of the bulk filter', () => {
    const now = Date.UTC(2026, 11, 1, 12);
    const f = alertFilter(
      {
        ...defaultAlertQuery(),
        severity: ['high'],
        source: 'sigma',
        q: 'scan',
        range: '1h',
        incident: 'any',
      },
      now,
    );
    expect(f).toEqual({
      from: '2026-12-01T11:00:00.000Z',
      to: '2026-12-01T12:00:00.000Z',
      status: 'new,acknowledged',
      severity: 'high',
      source: 'sigma',
      q: 'scan',
      incident: 'any',
    });
    expect(securityWindow({ range: '30d' }, now).from).toBe(now - 30 * 86_400_000);
  });
});

describe('event search and incident list queries in the URL', () => {
  it('round-trips the event query and builds its API parameters', () => {
    const q = parseEventQuery(
      '?q=src_ip%3A10.17.1.5&type=alert&format=eve&source=api&orgUnit=sc-cd&range=7d',
    );
    expect(q).toEqual({
      q: 'src_ip:10.17.1.5',
      type: 'alert',
      format: 'eve',
      source: 'api',
      orgUnit: 'sc-cd',
      range: '7d',
    });
    expect(parseEventQuery(eventQuerySearch(q))).toEqual(q);
    expect(parseEventQuery('?format=xml').format).toBe('');
    const p = eventParams(q, Date.UTC(2026, 11, 8));
    expect(p).toMatchObject({
      q: 'src_ip:10.17.1.5',
      type: 'alert',
      format: 'eve',
      from: '2026-12-01T00:00:00.000Z',
    });
  });

  it('round-trips the incident query', () => {
    const q = parseIncidentQuery('?status=resolved,new&severity=critical&escalated=true');
    expect(q).toEqual({ status: ['new', 'resolved'], severity: ['critical'], escalated: 'true' });
    expect(parseIncidentQuery(incidentQuerySearch(q))).toEqual(q);
    expect(parseIncidentQuery('').status).toEqual(['new', 'triaged', 'investigating', 'contained']);
    expect(parseIncidentQuery('?escalated=maybe').escalated).toBe('');
  });
});

describe('parsing every contract shape', () => {
  it('reads an alert page, its totals and cursor', () => {
    const page = parseAlertPage({ items: [alert], nextCursor: 'c2', total: 1200, totalIsEstimate: true });
    expect(page.items[0]).toEqual(alert);
    expect(page).toMatchObject({ nextCursor: 'c2', total: 1200, totalIsEstimate: true });
    expect(parseAlertPage({ items: [], nextCursor: null, total: null })).toEqual({
      items: [],
      nextCursor: null,
      total: null,
      totalIsEstimate: false,
    });
  });

  it('names the field of an answer that breaks the contract, never a silent blank', () => {
    expect(() => parseAlertPage({ items: [{ ...alert, severity: 'severe' }], nextCursor: null })).toThrow(
      /alerts\.items\[0\]\.severity is not a severity/,
    );
    expect(() => parseAlertPage({ items: [{ ...alert, count: '3' }], nextCursor: null })).toThrow(ShapeError);
    expect(() => parseAlertPage({ nextCursor: null })).toThrow(/alerts\.items is not a list/);
    expect(() =>
      parseIncidentPage({ items: [{ ...incident, escalatedTo: [{ name: 'x' }] }], nextCursor: null }),
    ).toThrow(/incidents\.items\[0\]\.escalatedTo\[0\]\.orgUnitId is not a string/);
  });

  it('reads an alert with its events and evidence', () => {
    const d = parseAlertDetail({ ...alert, events: [event], evidence: [{ kind: 'flow' }] });
    expect(d.events[0]).toEqual(event);
    expect(d.evidence).toHaveLength(1);
    expect(parseAlertDetail(alert).events).toEqual([]);
  });

  it('reads an event page, filling what an older server leaves out', () => {
    const page = parseEventPage({ items: [event], nextCursor: null });
    expect(page.items[0]).toEqual(event);
    const bare = parseEventPage({
      items: [{ id: 'e', ts: event.ts, format: 'syslog', type: 'syslog' }],
      nextCursor: 'n',
    });
    expect(bare.items[0]).toMatchObject({ srcPort: 0, severity: 0, fields: {}, raw: '' });
  });

  it('reads incidents, and an incident with its alerts and timeline', () => {
    expect(parseIncidentPage({ items: [incident], nextCursor: null }).items[0]).toEqual(incident);
    const d = parseIncidentDetail({
      ...incident,
      alerts: [alert],
      timeline: [
        { at: '2026-12-01T08:06:00.000Z', actor: 'county-analyst', kind: 'created' },
        {
          at: '2026-12-01T08:08:00.000Z',
          actor: 'county-analyst',
          kind: 'escalated',
          to: 'sc-cd',
          orgUnitId: 'sc-cd',
          text: null,
        },
      ],
    });
    expect(d.alerts).toHaveLength(1);
    expect(d.timeline[1]).toEqual({
      at: '2026-12-01T08:08:00.000Z',
      actor: 'county-analyst',
      kind: 'escalated',
      to: 'sc-cd',
      orgUnitId: 'sc-cd',
    });
    // A handler missing (before any escalation, older server): the owner handles it.
    const own = parseIncidentPage({
      items: [{ ...incident, handlerOrgUnitId: undefined, handlerOrgUnitName: undefined }],
      nextCursor: null,
    });
    expect(own.items[0]).toMatchObject({ handlerOrgUnitId: 'sc-cd-jj', handlerOrgUnitName: '锦江区' });
  });

  it('reads sources with their rejections by reason, and event stats', () => {
    const sources = parseSources({
      items: [
        {
          source: 'api',
          agentId: '',
          format: 'eve',
          transport: 'http',
          received: 12,
          accepted: 10,
          rejected: 2,
          rejectedByReason: { 'not-json': 1, 'line-too-long': 1 },
          dropped: 0,
          lastSeen: '2026-12-01T08:00:00.000Z',
        },
      ],
    });
    expect(sources[0]?.rejectedByReason).toEqual({ 'not-json': 1, 'line-too-long': 1 });
    expect(() => parseSources({ items: [{ source: 'x', rejectedByReason: { a: 'one' } }] })).toThrow(
      /rejectedByReason\.a is not a number/,
    );
    expect(
      parseStats({
        items: [
          { key: 'api', label: 'api', count: 10 },
          { key: 6, count: 2 },
        ],
      }),
    ).toEqual([
      { key: 'api', label: 'api', count: 10 },
      { key: '6', label: '6', count: 2 },
    ]);
  });

  it('reads rules with their statuses and summary, or counts the summary itself', () => {
    const rule = {
      id: 'r-1',
      title: 'Suspicious port scan',
      file: 'policies/detections/sigma/scan.yml',
      origin: 'policy',
      kind: 'sigma',
      level: 'high',
      status: 'unsupported',
      reason: 'modifier |expand is not supported',
      logsource: { product: 'suricata' },
      attack: ['T1046'],
      hits: 0,
      lastHitAt: null,
      errors: 0,
    };
    const list = parseRuleList({ items: [rule], summary: { compiled: 100, unsupported: 1, invalid: 0 } });
    expect(list.items[0]).toEqual(rule);
    expect(list.summary).toEqual({ compiled: 100, unsupported: 1, invalid: 0 });
    expect(parseRuleList({ items: [rule, { ...rule, id: 'r-2', status: 'compiled' }] }).summary).toEqual({
      compiled: 1,
      unsupported: 1,
      invalid: 0,
    });
  });

  it('reads risk, its trend and a suppression', () => {
    const risk = parseRisk({
      items: [
        {
          orgUnitId: 'sc-cd',
          name: '成都市',
          path: '/sc/sc-cd',
          level: 'city',
          score: 62.5,
          openAlerts: 3,
          openIncidents: 1,
          vulnerabilities: { critical: 1, high: 2, medium: 0, low: 4 },
          change7d: 5,
        },
      ],
    });
    expect(risk[0]).toMatchObject({
      score: 62.5,
      vulnerabilities: { critical: 1, high: 2, medium: 0, low: 4 },
    });
    expect(
      parseRiskTrend({
        orgUnitId: 'sc-cd',
        points: [
          ['2026-11-30', 40],
          ['2026-12-01', 62.5],
        ],
      }).points,
    ).toHaveLength(2);
    expect(() => parseRiskTrend({ orgUnitId: 'sc-cd', points: [['2026-12-01', '62']] })).toThrow(
      /trend\.points\[0\]/,
    );
    const s = parseSuppression({
      id: 's-1',
      match: {
        source: 'suricata',
        reference: 'suricata:2010935',
        observable: { type: 'ip', value: '10.0.0.1' },
      },
      reason: 'scanner of the security team',
      author: 'analyst',
      createdAt: '2026-12-01T08:00:00.000Z',
      expiresAt: '2026-12-08T08:00:00.000Z',
    });
    expect(s.match).toEqual({
      source: 'suricata',
      reference: 'suricata:2010935',
      observable: { type: 'ip', value: '10.0.0.1' },
    });
  });
});

describe('triage rules', () => {
  it('offers only the legal next incident statuses', () => {
    expect(nextIncidentStatuses('new')).toEqual(['triaged', 'false-positive']);
    expect(nextIncidentStatuses('investigating')).toEqual(['contained', 'resolved', 'false-positive']);
    expect(nextIncidentStatuses('resolved')).toEqual(['investigating']);
    expect(nextIncidentStatuses('false-positive')).toEqual(['triaged']);
    expect(nextIncidentStatuses('new')).not.toContain('resolved');
    expect(nextIncidentStatuses('weird')).toEqual([]);
  });

  it('offers the bulk actions that change at least one selected alert', () => {
    expect(actionApplies('acknowledge', 'acknowledged')).toBe(false);
    expect(applicableActions(['new'])).toEqual([
      'acknowledge',
      'close',
      'false-positive',
      'assign',
      'to-incident',
    ]);
    expect(applicableActions(['closed'])).toEqual(['reopen', 'assign', 'to-incident']);
    expect(applicableActions(['suppressed'])).toEqual(['reopen']);
  });

  it('lists the ancestors an incident can still be escalated to, nearest first', () => {
    const path = [
      { id: 'sc', name: '四川省' },
      { id: 'sc-cd', name: '成都市' },
      { id: 'sc-cd-jj', name: '锦江区' },
    ];
    expect(escalationTargets(path, []).map((u) => u.id)).toEqual(['sc-cd', 'sc']);
    expect(escalationTargets(path, [{ orgUnitId: 'sc-cd', name: '成都市' }]).map((u) => u.id)).toEqual([
      'sc',
    ]);
  });

  it('bounds a suppression to 1–90 days', () => {
    const now = Date.UTC(2026, 11, 1);
    expect(suppressionExpiry(7, now)).toBe('2026-12-08T00:00:00.000Z');
    expect(suppressionExpiry(365, now)).toBe(new Date(now + 90 * 86_400_000).toISOString());
    expect(suppressionExpiry(0, now)).toBe('2026-12-02T00:00:00.000Z');
  });
});

describe('figures', () => {
  const risk = (orgUnitId: string, score: number, path: string): RiskItem => ({
    orgUnitId,
    name: orgUnitId,
    path,
    level: 'county',
    score,
    openAlerts: 0,
    openIncidents: 0,
    vulnerabilities: { critical: 0, high: 0, medium: 0, low: 0 },
    change7d: 0,
  });

  it('counts severities, ranks risk children and sorts rejection reasons', () => {
    expect(
      countBySeverity([{ severity: 'high' }, { severity: 'high' }, { severity: 'low' }, { severity: 'x' }]),
    ).toEqual({
      critical: 0,
      high: 2,
      medium: 0,
      low: 1,
    });
    const items = [
      risk('sc-cd', 30, '/sc/sc-cd'),
      risk('sc-cd-jj', 80, '/sc/sc-cd/sc-cd-jj'),
      risk('sc-cd-wh', 50, '/sc/sc-cd/sc-cd-wh'),
    ];
    expect(riskChildren(items, 'sc-cd').map((r) => r.orgUnitId)).toEqual(['sc-cd-jj', 'sc-cd-wh']);
    expect(rejectionReasons({ 'not-json': 2, 'bad-cef': 0, 'line-too-long': 5 })).toEqual([
      ['line-too-long', 5],
      ['not-json', 2],
    ]);
  });

  it('builds the wall figures; nothing in scope is no section', () => {
    const items = [risk('sc-cd', 30, '/sc/sc-cd'), risk('sc-cd-jj', 80, '/sc/sc-cd/sc-cd-jj')];
    const f = wallFigures(
      [{ ...parseIncidentPage({ items: [incident], nextCursor: null }).items[0]! }],
      items,
      'sc-cd',
    );
    expect(f?.openIncidents.high).toBe(1);
    expect(f?.openIncidentTotal).toBe(1);
    expect(f?.riskTop).toEqual([{ orgUnitId: 'sc-cd-jj', name: 'sc-cd-jj', score: 80, band: 'high' }]);
    expect(wallFigures([], [], undefined)).toBeNull();
  });

  it('has words for every rejection reason of the protocol', () => {
    for (const reason of EVENT_REJECT_REASONS) expect(rejectReasonText(reason)).not.toBe(reason);
    expect(rejectReasonText('from-a-newer-server')).toBe('from-a-newer-server');
  });
});

describe('fetching', () => {
  afterEach(() => vi.unstubAllGlobals());

  const answer = (status: number, body: unknown) =>
    vi.fn(
      async () =>
        new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } }),
    );

  it('asks GET /alerts with the filter, limit and cursor, and parses the page', async () => {
    const fetch = answer(200, { items: [alert], nextCursor: null, total: 1, totalIsEstimate: false });
    vi.stubGlobal('fetch', fetch);
    const page = await fetchAlerts({ status: 'new', severity: 'high' }, 'c1', 50);
    expect(page.items[0]?.id).toBe('al-1');
    const url = String((fetch.mock.calls[0] as unknown[])[0]);
    expect(url).toBe('/api/v1/security/alerts?status=new&severity=high&limit=50&cursor=c1');
  });

  it('posts the bulk triage body', async () => {
    const fetch = answer(200, { updated: 2 });
    vi.stubGlobal('fetch', fetch);
    expect(await bulkTriage({ ids: ['a', 'b'], action: 'acknowledge' })).toEqual({ updated: 2 });
    const init = (fetch.mock.calls[0] as unknown[])[1] as RequestInit;
    expect(init.method).toBe('POST');
    expect(JSON.parse(String(init.body))).toEqual({ ids: ['a', 'b'], action: 'acknowledge' });
  });

  it('tells a server without the security module from other failures', async () => {
    vi.stubGlobal('fetch', answer(404, { error: { code: 'route.not_found', message: 'no route' } }));
    const missing = await fetchRisk(undefined).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ApiError);
    expect(isSecurityMissing(missing)).toBe(true);
    vi.stubGlobal('fetch', answer(404, { error: { code: 'scope.not_found', message: 'no such unit' } }));
    expect(isSecurityMissing(await fetchRisk('sc-x').catch((e: unknown) => e))).toBe(false);
  });
});
