/**
 * The flows API as the console uses it (`/api/v1/flows/*`, see the flows contract), and the pure
 * pieces of the flow explorer: the query it holds in the URL (dimensions, measure, filter, range,
 * view), the filter clause a clicked row adds, the labels of keys, shares and rates. Pure apart from
 * the fetch functions; unit-tested.
 */
import { msg, str } from '@lit/localize';
import { ApiError, apiFetch, query } from './api.js';
import { errorText } from './error-text.js';
import { metricsRanges, rangeMillis } from './hosts.js';
import type { MetricsRange } from './hosts.js';

/** The dimensions of the analytics API (`by=`). */
export const flowDimensions = [
  'srcOrgUnit',
  'dstOrgUnit',
  'app',
  'direction',
  'exporter',
  'inIf',
  'outIf',
  'srcAddr',
  'dstAddr',
  'srcPort',
  'dstPort',
  'proto',
  'ipVersion',
  'tcpFlags',
  'tos',
  'nextHop',
  'srcAs',
  'dstAs',
  'srcCountry',
  'dstCountry',
] as const;
export type FlowDimension = (typeof flowDimensions)[number];

export const flowMeasures = ['bytes', 'packets', 'flows'] as const;
export type FlowMeasure = (typeof flowMeasures)[number];

/** What the explorer draws beside its table: a stacked time series or a Sankey diagram. */
export const flowViews = ['series', 'sankey'] as const;
export type FlowView = (typeof flowViews)[number];

export const isFlowDimension = (value: string): value is FlowDimension =>
  (flowDimensions as readonly string[]).includes(value);

/** The dimensions whose keys are numbers in the API's answers. */
const numericDimensions = new Set<FlowDimension>([
  'srcPort',
  'dstPort',
  'proto',
  'ipVersion',
  'tcpFlags',
  'tos',
  'srcAs',
  'dstAs',
]);

export type FlowKey = string | number;

export interface FlowTotals {
  bytes: number;
  packets: number;
  flows: number;
}

export interface FlowTopItem extends FlowTotals {
  /** One dimension: its key; several: one key per dimension. */
  key: FlowKey | FlowKey[];
  label?: string | string[];
}

export interface FlowTop {
  items: FlowTopItem[];
  total: FlowTotals;
  other?: FlowTotals;
  from: string;
  to: string;
}

export type FlowPoint = [number, number];

export interface FlowSeriesLine {
  key: FlowKey;
  label?: string;
  points: FlowPoint[];
}

export interface FlowSeries {
  step: number;
  from: string;
  to: string;
  series: FlowSeriesLine[];
  other?: { points: FlowPoint[] };
}

export interface FlowSankeyNode {
  id: string;
  dimension: FlowDimension | string;
  key: FlowKey;
  label?: string;
}

export interface FlowSankeyLink extends FlowTotals {
  source: string;
  target: string;
}

export interface FlowSankey {
  nodes: FlowSankeyNode[];
  links: FlowSankeyLink[];
}

/** The explorer's whole query; the URL holds it so that it can be shared. */
export interface FlowQuery {
  /** One to three distinct dimensions; the first stacks the time series. */
  by: FlowDimension[];
  measure: FlowMeasure;
  filter: string;
  /** The preset range, unless `custom` is set. */
  range: MetricsRange;
  /** A window zoomed or brushed on the chart, or typed in; unix millis. */
  custom?: { from: number; to: number };
  view: FlowView;
  limit: number;
}

export const defaultFlowQuery = (): FlowQuery => ({
  by: ['srcOrgUnit'],
  measure: 'bytes',
  filter: '',
  range: '1h',
  view: 'series',
  limit: 10,
});

export const maxDimensions = 3;

/** The top-N table ranks by the first two dimensions (the API's limit); the Sankey uses all three. */
export const topDimensions = (by: readonly FlowDimension[]): FlowDimension[] => by.slice(0, 2);
export const flowLimits = [5, 10, 20, 50, 100] as const;

/** Reads the explorer's query from a URL's search part; anything unusable falls back to the default. */
export function parseFlowQuery(search: string): FlowQuery {
  const params = new URLSearchParams(search);
  const q = defaultFlowQuery();
  const by = (params.get('by') ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter(isFlowDimension);
  const distinct = [...new Set(by)].slice(0, maxDimensions);
  if (distinct.length > 0) q.by = distinct;
  const measure = params.get('measure');
  if (measure && (flowMeasures as readonly string[]).includes(measure)) q.measure = measure as FlowMeasure;
  q.filter = (params.get('filter') ?? '').slice(0, 4000);
  const range = params.get('range');
  if (range && (metricsRanges as readonly string[]).includes(range)) q.range = range as MetricsRange;
  const from = Date.parse(params.get('from') ?? '');
  const to = Date.parse(params.get('to') ?? '');
  if (Number.isFinite(from) && Number.isFinite(to) && to > from) q.custom = { from, to };
  const view = params.get('view');
  if (view && (flowViews as readonly string[]).includes(view)) q.view = view as FlowView;
  const limit = Number(params.get('limit'));
  if (Number.isInteger(limit) && limit >= 1 && limit <= 1000) q.limit = limit;
  return q;
}

/** Writes the query as a URL search part (`?by=…`), in a fixed order so that equal queries compare equal. */
export function flowQuerySearch(q: FlowQuery): string {
  const params = new URLSearchParams();
  params.set('by', q.by.join(','));
  params.set('measure', q.measure);
  if (q.custom) {
    params.set('from', new Date(q.custom.from).toISOString());
    params.set('to', new Date(q.custom.to).toISOString());
  } else {
    params.set('range', q.range);
  }
  if (q.filter.trim()) params.set('filter', q.filter.trim());
  params.set('view', q.view);
  params.set('limit', String(q.limit));
  return `?${params.toString()}`;
}

/** The explorer's URL for a query (the default one changed by `change`), for links from other pages. */
export const flowExplorerPath = (change: Partial<FlowQuery> = {}): string =>
  `/flows${flowQuerySearch({ ...defaultFlowQuery(), ...change })}`;

const minuteMillis = 60_000;

/**
 * The window a query asks the API for: a preset ends at the current minute, a custom window is
 * aligned to whole minutes (the API's resolution).
 */
export function queryWindow(
  q: Pick<FlowQuery, 'range' | 'custom'>,
  now: number,
): { from: number; to: number } {
  if (q.custom) {
    const from = Math.floor(q.custom.from / minuteMillis) * minuteMillis;
    const to = Math.max(
      from + minuteMillis,
      Math.ceil(Math.min(q.custom.to, now) / minuteMillis) * minuteMillis,
    );
    return { from, to };
  }
  const to = Math.ceil(now / minuteMillis) * minuteMillis;
  return { from: to - rangeMillis[q.range], to };
}

/** About 120 points per chart, on whole minutes (the aggregates' resolution). */
export function seriesStep(window: { from: number; to: number }): number {
  const seconds = (window.to - window.from) / 1000;
  return Math.max(60, Math.ceil(seconds / 120 / 60) * 60);
}

/** A filter string: quoted with `"`, the quote and backslash escaped. */
export const quoteFilterValue = (value: string): string => `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** The filter clause that selects one key of a dimension, e.g. `dstPort = 443`, `app = "HTTPS"`. */
export function filterClause(dimension: FlowDimension, key: FlowKey): string {
  const value =
    numericDimensions.has(dimension) && typeof key === 'number' && Number.isFinite(key)
      ? String(key)
      : quoteFilterValue(String(key));
  return `${dimension} = ${value}`;
}

/** The clauses of one table row (one per dimension of the query), joined by AND. */
export function rowClause(by: readonly FlowDimension[], item: Pick<FlowTopItem, 'key'>): string {
  const keys = Array.isArray(item.key) ? item.key : [item.key];
  return by
    .map((dimension, i) => (keys[i] === undefined ? '' : filterClause(dimension, keys[i] as FlowKey)))
    .filter((c) => c)
    .join(' AND ');
}

/** Adds a clause to a filter with AND (the old filter in parentheses); a clause already there is not repeated. */
export function addToFilter(filter: string, clause: string): string {
  const current = filter.trim();
  if (!current) return clause;
  if (current === clause || current.endsWith(` AND ${clause}`)) return current;
  const simple = !/\bOR\b/i.test(current);
  return `${simple ? current : `(${current})`} AND ${clause}`;
}

/** The measure of a row or total. */
export const measureOf = (totals: FlowTotals, measure: FlowMeasure): number => totals[measure];

/** A row's share of the total, 0–100; null when the total is zero. */
export function share(value: number, total: number): number | null {
  return total > 0 && Number.isFinite(value) ? (value / total) * 100 : null;
}

/**
 * A measure per second over `seconds`: bytes become bits per second (as bandwidth is quoted),
 * packets and flows stay per second.
 */
export function ratePerSecond(measure: FlowMeasure, value: number, seconds: number): number {
  if (!(seconds > 0)) return NaN;
  return ((measure === 'bytes' ? 8 : 1) * value) / seconds;
}

/** The name of a dimension, as the dimension picker and column headers show it. */
export function dimensionLabel(dimension: FlowDimension): string {
  switch (dimension) {
    case 'exporter':
      return msg('Exporter', { id: 'flows.dim.exporter' });
    case 'srcAddr':
      return msg('Source address', { id: 'flows.dim.srcAddr' });
    case 'dstAddr':
      return msg('Destination address', { id: 'flows.dim.dstAddr' });
    case 'srcPort':
      return msg('Source port', { id: 'flows.dim.srcPort' });
    case 'dstPort':
      return msg('Destination port', { id: 'flows.dim.dstPort' });
    case 'proto':
      return msg('Protocol', { id: 'flows.dim.proto' });
    case 'ipVersion':
      return msg('IP version', { id: 'flows.dim.ipVersion' });
    case 'inIf':
      return msg('Input interface', { id: 'flows.dim.inIf' });
    case 'outIf':
      return msg('Output interface', { id: 'flows.dim.outIf' });
    case 'srcOrgUnit':
      return msg('Source org unit', { id: 'flows.dim.srcOrgUnit' });
    case 'dstOrgUnit':
      return msg('Destination org unit', { id: 'flows.dim.dstOrgUnit' });
    case 'app':
      return msg('Application', { id: 'flows.dim.app' });
    case 'direction':
      return msg('Direction', { id: 'flows.dim.direction' });
    case 'tcpFlags':
      return msg('TCP flags', { id: 'flows.dim.tcpFlags' });
    case 'tos':
      return msg('ToS / DSCP', { id: 'flows.dim.tos' });
    case 'nextHop':
      return msg('Next hop', { id: 'flows.dim.nextHop' });
    case 'srcAs':
      return msg('Source AS', { id: 'flows.dim.srcAs' });
    case 'dstAs':
      return msg('Destination AS', { id: 'flows.dim.dstAs' });
    case 'srcCountry':
      return msg('Source country or region', { id: 'flows.dim.srcCountry' });
    case 'dstCountry':
      return msg('Destination country or region', { id: 'flows.dim.dstCountry' });
  }
}

export function measureLabel(measure: FlowMeasure): string {
  switch (measure) {
    case 'bytes':
      return msg('Bytes', { id: 'flows.measure.bytes' });
    case 'packets':
      return msg('Packets', { id: 'flows.measure.packets' });
    case 'flows':
      return msg('Flows', { id: 'flows.measure.flows' });
  }
}

/** A traffic direction in words. */
export function directionText(direction: string): string {
  switch (direction) {
    case 'internal':
      return msg('internal', { id: 'flows.direction.internal' });
    case 'egress':
      return msg('to the internet', { id: 'flows.direction.egress' });
    case 'ingress':
      return msg('from the internet', { id: 'flows.direction.ingress' });
    case 'transit':
      return msg('transit', { id: 'flows.direction.transit' });
    default:
      return direction;
  }
}

const protocolNames: Record<number, string> = {
  1: 'icmp',
  6: 'tcp',
  17: 'udp',
  47: 'gre',
  50: 'esp',
  58: 'ipv6-icmp',
  89: 'ospf',
  132: 'sctp',
};

/**
 * The label of one key of a dimension: the API's label (org unit name, interface name with its
 * exporter, application, protocol name), with the words the console translates itself: the empty
 * org unit (outside every prefix: the internet or unknown), directions, unclassified applications.
 */
export function keyLabel(dimension: FlowDimension | string, key: FlowKey, apiLabel?: string): string {
  if (dimension === 'srcOrgUnit' || dimension === 'dstOrgUnit') {
    if (key === '') return msg('Internet or unknown', { id: 'flows.key.outside' });
  }
  if (dimension === 'direction') return directionText(String(key));
  if (dimension === 'app' && key === '') return msg('Unclassified', { id: 'flows.key.unclassified' });
  if ((dimension === 'srcCountry' || dimension === 'dstCountry') && key === '')
    return msg('Unknown', { id: 'flows.key.unknown' });
  if (dimension === 'ipVersion') return `IPv${String(key)}`;
  if (apiLabel !== undefined && apiLabel !== '') return apiLabel;
  if (dimension === 'proto' && typeof key === 'number') return protocolNames[key] ?? String(key);
  return String(key);
}

/** The labels of a row, one per dimension of the query. */
export function rowLabels(by: readonly FlowDimension[], item: Pick<FlowTopItem, 'key' | 'label'>): string[] {
  const keys = Array.isArray(item.key) ? item.key : [item.key];
  const labels = Array.isArray(item.label) ? item.label : [item.label];
  return by.map((d, i) => keyLabel(d, keys[i] ?? '', labels[i]));
}

/** A stable text for a key (multi-dimension rows included), for list identities and test ids. */
export const keyText = (key: FlowKey | FlowKey[]): string =>
  Array.isArray(key) ? key.map(String).join(' · ') : String(key);

/**
 * The message for a failed flows query. A filter the API rejects (`flows.filter`, "filter: at 17:
 * expected a value") is shown with its position in the user's language; the API's own words for the
 * problem follow (the grammar's expectations are the dimension names and operators, which read the
 * same in both languages).
 */
export function filterErrorText(error: unknown): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const isFilter =
    error.code === 'flows.filter' ||
    (error.status === 400 && /^filter: /.test(error.message)) ||
    error.details.some((d) => d.path === 'filter' || d.code === 'flows.filter');
  if (!isFilter) return undefined;
  const param = error.details.find((d) => d.params?.['position'] !== undefined)?.params?.['position'];
  const match = /^filter: at (\d+): (.*)$/s.exec(error.message);
  const position = param !== undefined ? String(param) : match?.[1];
  const reason = match?.[2] ?? error.message.replace(/^filter: /, '');
  if (position === undefined)
    return msg(str`The filter is not valid: ${reason}`, { id: 'flows.filter.error' });
  return msg(str`The filter is not valid at character ${position}: ${reason}`, {
    id: 'flows.filter.errorAt',
  });
}

/** The message of any failed flows request: the filter's problem, or the general error text. */
export const flowErrorText = (error: unknown): string => filterErrorText(error) ?? errorText(error);

/** Whether the server has no flows module (an older server): the flow pages say so instead of failing. */
export const isFlowsMissing = (error: unknown): boolean =>
  error instanceof ApiError && error.status === 404 && error.code === 'route.not_found';

interface WindowParams {
  from: number;
  to: number;
}

const iso = (t: number) => new Date(t).toISOString();

export interface FlowRequest extends WindowParams {
  by: readonly FlowDimension[];
  measure: FlowMeasure;
  filter: string;
  limit: number;
}

const requestParams = (r: FlowRequest) => ({
  by: r.by.join(','),
  from: iso(r.from),
  to: iso(r.to),
  limit: r.limit,
  filter: r.filter.trim() || undefined,
  measure: r.measure,
});

export const fetchFlowTop = (r: FlowRequest, signal?: AbortSignal): Promise<FlowTop> =>
  apiFetch<FlowTop>(`/api/v1/flows/top${query(requestParams(r))}`, { signal });

export const fetchFlowSeries = (
  r: FlowRequest & { step: number },
  signal?: AbortSignal,
): Promise<FlowSeries> =>
  apiFetch<FlowSeries>(
    `/api/v1/flows/series${query({ ...requestParams({ ...r, by: r.by.slice(0, 1) }), step: r.step })}`,
    { signal },
  );

export const fetchFlowSankey = (r: FlowRequest, signal?: AbortSignal): Promise<FlowSankey> =>
  apiFetch<FlowSankey>(`/api/v1/flows/sankey${query(requestParams(r))}`, { signal });

// ---- Exporters and reconciliation (the collector's health; `GET /api/v1/flows/exporters`, `…/reconciliation`) ----

export type ReconciliationStatus = 'ok' | 'diverging' | 'no-snmp' | 'no-flows';

/** Why flows and SNMP disagree: a code, the server's sentence, and what it measured. */
export interface ReconciliationHint {
  code: 'sampling-rate' | 'not-exported' | 'lost-datagrams' | 'unknown' | string;
  message: string;
  likelySamplingRate?: number;
  lossPercent?: number;
}

/** One exporter interface and direction: flow bytes (× sampling) against SNMP octets over the same minutes. */
export interface FlowReconciliationRow {
  exporter: string;
  deviceId: string;
  ifIndex: number;
  ifName: string;
  direction: 'in' | 'out';
  minutes: number;
  flowBytes: number;
  snmpBytes: number;
  ratio: number | null;
  divergencePercent: number | null;
  samplingRate: number;
  status: ReconciliationStatus | string;
  /** Neither side reached the policy's minimum: shown, not judged. */
  belowMinimum: boolean;
  hint: ReconciliationHint | null;
}

export interface FlowExporterReconciliation {
  status: ReconciliationStatus | string;
  reason: string;
  diverging: number;
  from: string;
  to: string;
  worstInterface: Pick<
    FlowReconciliationRow,
    'ifIndex' | 'ifName' | 'direction' | 'divergencePercent' | 'hint' | 'flowBytes' | 'snmpBytes'
  > | null;
}

export interface FlowExporter {
  address: string;
  deviceId: string | null;
  deviceName: string | null;
  orgUnitId: string;
  agentId: string;
  minutes: number;
  packetsPerSecond: number;
  recordsPerSecond: number;
  packets: number;
  records: number;
  flows: number;
  bytes: number;
  dropped: number;
  malformed: Record<string, number>;
  malformedTotal: number;
  missingTemplates: number;
  sequenceGaps: number;
  versions: string[];
  /** Distinct sampling rates seen over the window. */
  samplingRates: number[];
  /** Rows whose rate came from each source. */
  samplingSources: { exporter: number; configured: number; default: number };
  lastSeen: string;
  reconciliation: FlowExporterReconciliation;
}

export interface FlowExporterList {
  items: FlowExporter[];
  from: string;
  to: string;
}

export interface FlowExporterReconciliationDetail {
  exporter: string;
  deviceId: string;
  orgUnitId: string;
  status: ReconciliationStatus | string;
  reason: string;
  diverging: number;
  worst: FlowReconciliationRow | null;
  interfaces: FlowReconciliationRow[];
}

export interface FlowReconciliation {
  items: FlowExporterReconciliationDetail[];
  from: string;
  to: string;
}

export const fetchFlowExporters = (window: WindowParams, signal?: AbortSignal): Promise<FlowExporterList> =>
  apiFetch<FlowExporterList>(
    `/api/v1/flows/exporters${query({ from: iso(window.from), to: iso(window.to) })}`,
    {
      signal,
    },
  );

export const fetchFlowReconciliation = (
  window: WindowParams & { exporter?: string },
  signal?: AbortSignal,
): Promise<FlowReconciliation> =>
  apiFetch<FlowReconciliation>(
    `/api/v1/flows/reconciliation${query({ from: iso(window.from), to: iso(window.to), exporter: window.exporter })}`,
    { signal },
  );

/** The malformed datagrams of an exporter, biggest reason first, zeros left out. */
export function malformedReasons(malformed: Record<string, number> | undefined): [string, number][] {
  return Object.entries(malformed ?? {})
    .filter(([, n]) => typeof n === 'number' && n > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
}

export const malformedTotal = (malformed: Record<string, number> | undefined): number =>
  malformedReasons(malformed).reduce((sum, [, n]) => sum + n, 0);

/** A malformation reason of the decoder in words. */
export function malformedReasonText(reason: string): string {
  switch (reason) {
    case 'truncated':
      return msg('truncated', { id: 'flows.malformed.truncated' });
    case 'bad-version':
      return msg('unknown version', { id: 'flows.malformed.badVersion' });
    case 'bad-length':
      return msg('bad length', { id: 'flows.malformed.badLength' });
    case 'bad-template':
      return msg('bad template', { id: 'flows.malformed.badTemplate' });
    case 'bad-field':
      return msg('bad field', { id: 'flows.malformed.badField' });
    case 'too-many-records':
      return msg('too many records', { id: 'flows.malformed.tooManyRecords' });
    case 'bad-sample':
      return msg('bad sFlow sample', { id: 'flows.malformed.badSample' });
    default:
      return reason;
  }
}

export function reconciliationStatusText(status: string): string {
  switch (status) {
    case 'ok':
      return msg('agrees with SNMP', { id: 'flows.recon.status.ok' });
    case 'diverging':
      return msg('diverges from SNMP', { id: 'flows.recon.status.diverging' });
    case 'no-snmp':
      return msg('no SNMP counters', { id: 'flows.recon.status.noSnmp' });
    case 'no-flows':
      return msg('no flows', { id: 'flows.recon.status.noFlows' });
    default:
      return status;
  }
}

export const reconciliationTone = (status: string): 'ok' | 'warn' | 'bad' | 'idle' =>
  status === 'ok' ? 'ok' : status === 'diverging' ? 'bad' : status === 'no-flows' ? 'warn' : 'idle';

/** Why flows and SNMP disagree, in words, from the API's hint (its code; the server's sentence for a code this console does not know). */
export function reconciliationHintText(hint: ReconciliationHint | null | undefined): string {
  if (!hint) return '';
  switch (hint.code) {
    case 'sampling-rate': {
      if (hint.likelySamplingRate) {
        const rate = `1:${hint.likelySamplingRate}`;
        return msg(str`The sampling rate is probably wrong: the counters match a rate of ${rate}.`, {
          id: 'flows.recon.hint.samplingLikely',
        });
      }
      return msg('The sampling rate is probably wrong (flows × rate do not match the counters).', {
        id: 'flows.recon.hint.sampling',
      });
    }
    case 'not-exported':
      return msg('Flows are probably not exported on this interface.', {
        id: 'flows.recon.hint.notExported',
      });
    case 'lost-datagrams': {
      if (hint.lossPercent !== undefined) {
        const loss = `${Math.round(hint.lossPercent * 10) / 10}%`;
        return msg(str`Datagrams were lost on the way (sequence gaps, about ${loss}).`, {
          id: 'flows.recon.hint.sequenceGapsShare',
        });
      }
      return msg('Datagrams were lost on the way (sequence gaps).', { id: 'flows.recon.hint.sequenceGaps' });
    }
    default:
      return hint.message;
  }
}

/** An export protocol version as the collector reports it (5, 9, 10, sflow) by its name. */
export function flowVersionText(version: string): string {
  switch (version.toLowerCase()) {
    case '5':
      return 'NetFlow v5';
    case '9':
      return 'NetFlow v9';
    case '10':
    case 'ipfix':
      return 'IPFIX';
    case 'sflow':
      return 'sFlow v5';
    default:
      return version;
  }
}

/** Where a sampling rate came from, in words. */
export function samplingSourceText(source: string): string {
  switch (source) {
    case 'exporter':
      return msg('from the exporter', { id: 'flows.sampling.exporter' });
    case 'configured':
      return msg('configured', { id: 'flows.sampling.configured' });
    case 'default':
      return msg('default (exporter said nothing)', { id: 'flows.sampling.default' });
    default:
      return source;
  }
}

// ---- Internet egress per org unit (`GET /api/v1/flows/egress`) ----

export type EgressPeriod = 'day' | 'month';

export interface EgressDay {
  date: string;
  outBytes: number;
  inBytes: number;
  peakOutBps: number;
  peakInBps: number;
  p95OutBps: number;
  p95InBps: number;
}

export interface EgressAllowance {
  monthlyGigabytes: number | null;
  peakMbps: number | null;
  month: string;
  monthBytes: number;
  monthPeakBps: number;
  volumeExceeded: boolean;
  peakExceeded: boolean;
  exceeded: boolean;
}

export interface FlowEgress {
  orgUnitId: string;
  orgUnitName: string;
  period: EgressPeriod;
  /** The day or month in words of the server (e.g. 2026-12-01, 2026-12). */
  label: string;
  from: string;
  to: string;
  utcOffsetMinutes: number;
  outBytes: number;
  inBytes: number;
  peakOutBps: number;
  peakInBps: number;
  p95OutBps: number;
  p95InBps: number;
  buckets: number;
  days: EgressDay[];
  /** `[unixMillis, outBps, inBps]` per 5-minute bucket. */
  fiveMinutes: [number, number, number][];
  topDestinations: { address: string; country: string; as: number; outBytes: number; inBytes: number }[];
  applications: { app: string; outBytes: number; inBytes: number }[];
  internalSources: { address: string; orgUnitId: string; outBytes: number; inBytes: number }[];
  allowance: EgressAllowance | null;
}

export const fetchFlowEgress = (
  p: { orgUnitId: string; period: EgressPeriod; at?: string },
  signal?: AbortSignal,
): Promise<FlowEgress> => apiFetch<FlowEgress>(`/api/v1/flows/egress${query(p)}`, { signal });

/** The day of a date as the egress route takes it (`at`, YYYY-MM-DD), in UTC. */
export const egressAt = (t: number): string => new Date(t).toISOString().slice(0, 10);

/** Percent of a monthly allowance (decimal gigabytes) used; null without an allowance. */
export function allowanceUsed(usedBytes: number, monthlyGigabytes: number | null | undefined): number | null {
  if (!monthlyGigabytes || !(monthlyGigabytes > 0)) return null;
  return (usedBytes / (monthlyGigabytes * 1e9)) * 100;
}

// ---- The overview's flow figures (the flows module's part of `GET /api/v1/overview`) ----

export interface FlowOverviewFigures {
  /** Bytes over the last hour in scope. */
  bytesLastHour?: number;
  /** Egress over the last hour, bits per second. */
  egressBps?: number;
  topApps?: { name: string; bytes: number }[];
  error?: string;
}

/**
 * Reads the module's figures from the overview's `modules.flows` (`{lastHour, topApps,
 * egressBitsPerSecond}`; earlier servers nested them under `flows`), `{}` without `flows:read`,
 * `{error}` when the module could not answer. Undefined when there is nothing to show.
 */
export function flowOverviewFigures(
  modules: Record<string, unknown> | undefined,
): FlowOverviewFigures | undefined {
  const outer = modules?.['flows'];
  if (!outer || typeof outer !== 'object') return undefined;
  const o = outer as Record<string, unknown>;
  if (typeof o['error'] === 'string') return { error: o['error'] };
  const nested = o['flows'];
  const inner = 'lastHour' in o ? o : nested && typeof nested === 'object' ? nested : undefined;
  if (!inner) return undefined;
  const r = inner as Record<string, unknown>;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const out: FlowOverviewFigures = {};
  const lastHour = r['lastHour'];
  const bytes =
    lastHour && typeof lastHour === 'object'
      ? num((lastHour as Record<string, unknown>)['bytes'])
      : undefined;
  if (bytes !== undefined) out.bytesLastHour = bytes;
  const egress = num(r['egressBitsPerSecond']);
  if (egress !== undefined) out.egressBps = egress;
  if (Array.isArray(r['topApps'])) {
    out.topApps = r['topApps'].flatMap((a: unknown) => {
      if (!a || typeof a !== 'object') return [];
      const x = a as Record<string, unknown>;
      const b = num(x['bytes']);
      return typeof x['app'] === 'string' && b !== undefined ? [{ name: x['app'], bytes: b }] : [];
    });
  }
  return out;
}
