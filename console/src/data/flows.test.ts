import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { AppLocale } from '../i18n/locale.js';
import { ApiError, parseApiError } from './api.js';
import {
  addToFilter,
  allowanceUsed,
  defaultFlowQuery,
  fetchFlowExporters,
  fetchFlowSankey,
  fetchFlowSeries,
  fetchFlowTop,
  filterClause,
  filterErrorText,
  flowErrorText,
  flowExplorerPath,
  flowOverviewFigures,
  flowQuerySearch,
  flowVersionText,
  isFlowsMissing,
  keyLabel,
  malformedReasons,
  malformedTotal,
  parseFlowQuery,
  queryWindow,
  ratePerSecond,
  reconciliationHintText,
  rowClause,
  rowLabels,
  seriesStep,
  share,
} from './flows.js';
import type { FlowQuery, FlowSankey, FlowSeries, FlowTop } from './flows.js';

// Fixtures shaped exactly like the flows contract's answers.
const top: FlowTop = {
  items: [
    { key: 'ou-cd', label: '成都市', bytes: 6_000_000, packets: 5000, flows: 40 },
    { key: '', label: '', bytes: 3_000_000, packets: 2500, flows: 20 },
  ],
  total: { bytes: 10_000_000, packets: 8000, flows: 70 },
  other: { bytes: 1_000_000, packets: 500, flows: 10 },
  from: '2026-12-01T08:00:00.000Z',
  to: '2026-12-01T09:00:00.000Z',
};

const series: FlowSeries = {
  step: 60,
  from: '2026-12-01T08:00:00.000Z',
  to: '2026-12-01T09:00:00.000Z',
  series: [{ key: 'HTTPS', label: 'HTTPS', points: [[Date.UTC(2026, 11, 1, 8), 600]] }],
  other: { points: [[Date.UTC(2026, 11, 1, 8), 60]] },
};

const sankey: FlowSankey = {
  nodes: [
    { id: 'srcOrgUnit:ou-cd', dimension: 'srcOrgUnit', key: 'ou-cd', label: '成都市' },
    { id: 'app:HTTPS', dimension: 'app', key: 'HTTPS', label: 'HTTPS' },
  ],
  links: [{ source: 'srcOrgUnit:ou-cd', target: 'app:HTTPS', bytes: 100, packets: 2, flows: 1 }],
};

let setLocale: (locale: AppLocale) => Promise<void>;

beforeAll(async () => {
  vi.stubGlobal('window', new EventTarget());
  vi.stubGlobal('document', {
    documentElement: { lang: '' },
    createTreeWalker: () => ({}),
    createComment: () => ({}),
  });
  ({ applyLocale: setLocale } = await import('../i18n/locale.js'));
});

afterAll(() => {
  vi.unstubAllGlobals();
});

afterEach(async () => {
  await setLocale('en');
});

describe('the explorer query in the URL', () => {
  it('round-trips every part: dimensions, measure, filter, custom range, view, limit', () => {
    const q: FlowQuery = {
      by: ['srcOrgUnit', 'app', 'dstPort'],
      measure: 'packets',
      filter: 'srcOrgUnit = "成都市" AND proto = tcp AND NOT dstPort IN (80, 443)',
      range: '6h',
      custom: { from: Date.UTC(2026, 11, 1, 8), to: Date.UTC(2026, 11, 1, 9, 30) },
      view: 'sankey',
      limit: 50,
    };
    const search = flowQuerySearch(q);
    expect(parseFlowQuery(search)).toEqual({ ...q, range: '1h' });
    expect(search).toContain('from=2026-12-01T08%3A00%3A00.000Z');
    expect(search).not.toContain('range=');
  });

  it('keeps a preset as its name and writes equal queries identically', () => {
    const q = { ...defaultFlowQuery(), range: '24h' as const, by: ['app' as const] };
    expect(parseFlowQuery(flowQuerySearch(q))).toEqual(q);
    expect(flowQuerySearch(parseFlowQuery(flowQuerySearch(q)))).toBe(flowQuerySearch(q));
    expect(flowExplorerPath({ by: ['dstAddr'] })).toBe(
      `/flows${flowQuerySearch({ ...defaultFlowQuery(), by: ['dstAddr'] })}`,
    );
  });

  it('falls back to the default for anything unusable, and drops unknown and repeated dimensions', () => {
    expect(parseFlowQuery('')).toEqual(defaultFlowQuery());
    const q = parseFlowQuery(
      '?by=bogus,app,app,srcAddr,dstAddr,proto&measure=watts&range=2y&view=pie&limit=0&from=x&to=y',
    );
    expect(q.by).toEqual(['app', 'srcAddr', 'dstAddr']);
    expect(q.measure).toBe('bytes');
    expect(q.range).toBe('1h');
    expect(q.view).toBe('series');
    expect(q.limit).toBe(10);
    expect(q.custom).toBeUndefined();
    expect(parseFlowQuery('?from=2026-12-01T09:00:00Z&to=2026-12-01T08:00:00Z').custom).toBeUndefined();
  });
});

describe('the window and step asked of the API', () => {
  const now = Date.UTC(2026, 11, 1, 9, 0, 30);

  it('ends a preset at the current minute, and aligns a custom window to minutes', () => {
    expect(queryWindow({ range: '1h' }, now)).toEqual({
      from: Date.UTC(2026, 11, 1, 8, 1),
      to: Date.UTC(2026, 11, 1, 9, 1),
    });
    const custom = { from: Date.UTC(2026, 11, 1, 8, 0, 20), to: Date.UTC(2026, 11, 1, 8, 30, 10) };
    expect(queryWindow({ range: '1h', custom }, now)).toEqual({
      from: Date.UTC(2026, 11, 1, 8, 0),
      to: Date.UTC(2026, 11, 1, 8, 31),
    });
  });

  it('steps in whole minutes, about 120 points whatever the range', () => {
    expect(seriesStep({ from: 0, to: 3_600_000 })).toBe(60);
    expect(seriesStep({ from: 0, to: 24 * 3_600_000 })).toBe(720);
    expect(seriesStep({ from: 0, to: 7 * 24 * 3_600_000 }) % 60).toBe(0);
  });
});

describe('clicking a row adds it to the filter', () => {
  it('quotes text keys, writes numbers bare, and escapes quotes', () => {
    expect(filterClause('dstPort', 443)).toBe('dstPort = 443');
    expect(filterClause('app', '政务外网视频会议')).toBe('app = "政务外网视频会议"');
    expect(filterClause('inIf', '10.1.1.1:3')).toBe('inIf = "10.1.1.1:3"');
    expect(filterClause('srcOrgUnit', '')).toBe('srcOrgUnit = ""');
    expect(filterClause('app', 'a "b" \\c')).toBe('app = "a \\"b\\" \\\\c"');
  });

  it('makes one clause per dimension of a multi-dimension row', () => {
    expect(rowClause(['srcOrgUnit', 'dstPort'], { key: ['ou-cd', 443] })).toBe(
      'srcOrgUnit = "ou-cd" AND dstPort = 443',
    );
  });

  it('ANDs the clause onto the filter, parenthesising an OR, and does not repeat it', () => {
    expect(addToFilter('', 'proto = 6')).toBe('proto = 6');
    expect(addToFilter('app = "HTTPS"', 'proto = 6')).toBe('app = "HTTPS" AND proto = 6');
    expect(addToFilter('app = "A" OR app = "B"', 'proto = 6')).toBe('(app = "A" OR app = "B") AND proto = 6');
    expect(addToFilter('app = "A" AND proto = 6', 'proto = 6')).toBe('app = "A" AND proto = 6');
  });
});

describe('labels, shares and rates', () => {
  it('shows org unit names, and the internet for the empty org unit, in both languages', async () => {
    expect(rowLabels(['srcOrgUnit'], top.items[0]!)).toEqual(['成都市']);
    expect(rowLabels(['srcOrgUnit'], top.items[1]!)).toEqual(['Internet or unknown']);
    expect(keyLabel('direction', 'egress')).toBe('to the internet');
    await setLocale('zh-CN');
    expect(rowLabels(['dstOrgUnit'], top.items[1]!)).toEqual(['互联网或未知']);
    expect(keyLabel('direction', 'egress')).toBe('流出至互联网');
    expect(keyLabel('app', '')).toBe('未识别');
  });

  it('names protocols without a label, and keeps the API label otherwise', () => {
    expect(keyLabel('proto', 6)).toBe('tcp');
    expect(keyLabel('proto', 17, 'udp')).toBe('udp');
    expect(keyLabel('proto', 250)).toBe('250');
    expect(keyLabel('inIf', '10.1.1.1:3', 'GigabitEthernet0/3 · r1')).toBe('GigabitEthernet0/3 · r1');
    expect(keyLabel('ipVersion', 6)).toBe('IPv6');
  });

  it('computes shares of the total and rates (bytes as bit/s)', () => {
    expect(share(6_000_000, 10_000_000)).toBe(60);
    expect(share(1, 0)).toBeNull();
    expect(ratePerSecond('bytes', 450, 60)).toBe(60);
    expect(ratePerSecond('packets', 120, 60)).toBe(2);
    expect(ratePerSecond('flows', 1, 0)).toBeNaN();
  });
});

describe('the filter error of the API', () => {
  const filterError = () =>
    parseApiError(
      400,
      JSON.stringify({ error: { code: 'flows.filter', message: 'filter: at 17: expected a value' } }),
    );

  it('shows the position and the reason, in the user language', async () => {
    expect(filterErrorText(filterError())).toBe('The filter is not valid at character 17: expected a value');
    await setLocale('zh-CN');
    expect(filterErrorText(filterError())).toBe('过滤条件在第 17 个字符处无效：expected a value');
  });

  it('takes the position from the details when the server sends it there', () => {
    const e = new ApiError(400, 'flows.filter', 'filter: unknown dimension "colour"', undefined, [
      { path: 'filter', message: 'unknown dimension', params: { position: 4 } },
    ]);
    expect(filterErrorText(e)).toBe('The filter is not valid at character 4: unknown dimension "colour"');
  });

  it('is not taken for other errors, which keep their own text', () => {
    const denied = parseApiError(
      403,
      JSON.stringify({ error: { code: 'permission.denied', message: 'no' } }),
    );
    expect(filterErrorText(denied)).toBeUndefined();
    expect(flowErrorText(denied)).not.toBe('');
    expect(isFlowsMissing(parseApiError(404, ''))).toBe(true);
    expect(isFlowsMissing(denied)).toBe(false);
  });
});

describe('the flows API calls', () => {
  afterEach(() => vi.restoreAllMocks());

  const capture = (body: unknown) => {
    const urls: string[] = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (url) => {
      urls.push(String(url));
      return new Response(JSON.stringify(body), { status: 200 });
    });
    return urls;
  };

  const request = {
    by: ['srcOrgUnit', 'app'] as const,
    measure: 'bytes' as const,
    filter: ' proto = tcp ',
    limit: 10,
    from: Date.UTC(2026, 11, 1, 8),
    to: Date.UTC(2026, 11, 1, 9),
  };

  it('asks top-N with every part of the query', async () => {
    const urls = capture(top);
    expect(await fetchFlowTop({ ...request, by: [...request.by] })).toEqual(top);
    const url = new URL(urls[0]!, 'http://x');
    expect(url.pathname).toBe('/api/v1/flows/top');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      by: 'srcOrgUnit,app',
      from: '2026-12-01T08:00:00.000Z',
      to: '2026-12-01T09:00:00.000Z',
      limit: '10',
      filter: 'proto = tcp',
      measure: 'bytes',
    });
  });

  it('stacks the series by the first dimension only, with its step', async () => {
    const urls = capture(series);
    await fetchFlowSeries({ ...request, by: [...request.by], step: 60 });
    const url = new URL(urls[0]!, 'http://x');
    expect(url.pathname).toBe('/api/v1/flows/series');
    expect(url.searchParams.get('by')).toBe('srcOrgUnit');
    expect(url.searchParams.get('step')).toBe('60');
  });

  it('asks the Sankey between all the dimensions, and exporters over the window', async () => {
    const urls = capture(sankey);
    await fetchFlowSankey({ ...request, by: [...request.by] });
    await fetchFlowExporters({ from: request.from, to: request.to });
    expect(new URL(urls[0]!, 'http://x').searchParams.get('by')).toBe('srcOrgUnit,app');
    expect(urls[1]).toBe(
      '/api/v1/flows/exporters?from=2026-12-01T08%3A00%3A00.000Z&to=2026-12-01T09%3A00%3A00.000Z',
    );
  });
});

describe('exporter health and egress helpers', () => {
  it('lists malformed reasons biggest first, without zeros', () => {
    expect(malformedReasons({ truncated: 2, 'bad-template': 5, 'bad-length': 0 })).toEqual([
      ['bad-template', 5],
      ['truncated', 2],
    ]);
    expect(malformedTotal({ truncated: 2, 'bad-template': 5 })).toBe(7);
    expect(malformedTotal(undefined)).toBe(0);
  });

  it('explains a divergence from the API hint, and keeps an unknown hint as sent', () => {
    const hint = (code: string, more = {}) => ({ code, message: `server: ${code}`, ...more });
    expect(reconciliationHintText(hint('sampling-rate'))).toMatch(/sampling rate is probably wrong/);
    expect(reconciliationHintText(hint('sampling-rate', { likelySamplingRate: 1000 }))).toMatch(
      /rate of 1:1000/,
    );
    expect(reconciliationHintText(hint('lost-datagrams', { lossPercent: 12.34 }))).toMatch(/about 12.3%/);
    expect(reconciliationHintText(hint('not-exported'))).toMatch(/not exported/);
    expect(reconciliationHintText(hint('something-new'))).toBe('server: something-new');
    expect(reconciliationHintText(null)).toBe('');
  });

  it('names export protocol versions', () => {
    expect(['5', '9', '10', 'sflow', 'x'].map(flowVersionText)).toEqual([
      'NetFlow v5',
      'NetFlow v9',
      'IPFIX',
      'sFlow v5',
      'x',
    ]);
  });

  it('computes the allowance used from decimal gigabytes', () => {
    expect(allowanceUsed(50e9, 100)).toBe(50);
    expect(allowanceUsed(1, null)).toBeNull();
  });

  it('reads the overview figures of the flows module, or its error', () => {
    const figures = {
      flows: {
        lastHour: { bytes: 5, packets: 1, flows: 1 },
        egressBitsPerSecond: 8,
        topApps: [{ app: 'HTTPS', bytes: 3 }, { bad: 1 }],
      },
    };
    const expected = { bytesLastHour: 5, egressBps: 8, topApps: [{ name: 'HTTPS', bytes: 3 }] };
    expect(flowOverviewFigures({ flows: figures.flows })).toEqual(expected);
    // As the first servers nested them.
    expect(flowOverviewFigures({ flows: figures })).toEqual(expected);
    // A caller without flows:read gets nothing from the module: no panel.
    expect(flowOverviewFigures({ flows: {} })).toBeUndefined();
    expect(flowOverviewFigures({ flows: { error: 'telemetry store unavailable' } })).toEqual({
      error: 'telemetry store unavailable',
    });
    expect(flowOverviewFigures({ network: {} })).toBeUndefined();
    expect(flowOverviewFigures(undefined)).toBeUndefined();
  });
});
