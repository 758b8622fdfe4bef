import { msg } from '@lit/localize';
import { ApiError, apiFetch, query } from './api.js';
import { errorText } from './error-text.js';
import type { MetricPoint, MetricsRange } from './hosts.js';

/** The level a link serves, which decides its bandwidth target. */
export type LinkLevel = 'backbone' | 'city' | 'county' | 'township' | 'department';

export const linkLevels: readonly LinkLevel[] = ['backbone', 'city', 'county', 'township', 'department'];

export type LinkRole = 'primary' | 'backup';

export const linkRoles: readonly LinkRole[] = ['primary', 'backup'];

/** The extranet's two planes ("one network, two planes"). */
export type Plane = 'A' | 'B';

export const planes: readonly Plane[] = ['A', 'B'];

export type LinkStatus = 'up' | 'down' | 'unknown';

export const linkStatuses: readonly LinkStatus[] = ['up', 'down', 'unknown'];

export type TierVerdict = 'ok' | 'below' | 'unknown';

/** One end of a link: a router interface. */
export interface LinkEnd {
  deviceId: string;
  deviceName: string;
  ifIndex: number;
  ifName: string;
}

export interface LinkUtilisation {
  inPercent: number;
  outPercent: number;
  maxPercent: number;
}

export interface LinkTier {
  targetMbps: number;
  actualMbps: number | null;
  verdict: TierVerdict;
}

/** A link between two routers with its latest state, as the network API describes it. */
export interface LinkView {
  id: string;
  name: string;
  orgUnitId: string;
  level: LinkLevel;
  role: LinkRole;
  plane: Plane;
  /** Links of one primary/backup pair share this id. */
  pairId: string | null;
  a: LinkEnd;
  b: LinkEnd;
  status: LinkStatus;
  speedMbps: number | null;
  utilisation: LinkUtilisation | null;
  bps: { in: number; out: number } | null;
  errorsPerSecond: number | null;
  /** Whether this member of a pair carries the traffic; null when not known or not paired. */
  active: boolean | null;
  failedOver: boolean;
  tier: LinkTier;
  flapping: boolean;
  lastChangeAt: string | null;
  updatedAt: string | null;
}

export type LinkEventKind = 'down' | 'up' | 'failover' | 'failback' | 'flap';

export interface LinkHistoryEntry {
  at: string;
  event: LinkEventKind;
  detail: string;
}

export interface LinkDetail extends LinkView {
  history: LinkHistoryEntry[];
}

export interface LinkSeries {
  inBitsPerSecond: MetricPoint[];
  outBitsPerSecond: MetricPoint[];
  inPercent: MetricPoint[];
  outPercent: MetricPoint[];
  errorsPerSecond: MetricPoint[];
}

export interface LinkMetrics {
  stepSeconds: number;
  series: LinkSeries;
}

export interface TopologyOrgUnit {
  id: string;
  parentId: string | null;
  level: string;
  name: string;
}

export interface TopologyDevice {
  id: string;
  name: string;
  orgUnitId: string;
  role: string;
  /** The address the router is polled at; older servers leave it out. */
  managementAddress?: string;
  plane: Plane | null;
  reachable: boolean | null;
}

export interface Topology {
  orgUnits: TopologyOrgUnit[];
  devices: TopologyDevice[];
  links: LinkView[];
}

export interface TierConformance {
  orgUnitId: string;
  orgUnitName: string;
  level: string;
  links: number;
  conforming: number;
  below: number;
  unknown: number;
}

export interface RedundancyConformance {
  orgUnitId: string;
  orgUnitName: string;
  pairs: number;
  redundant: number;
  degraded: number;
  failedOver: number;
}

/** Dedicated-network migration per org unit; the server may leave fields out, so all are optional. */
export interface IntegrationConformance {
  orgUnitId: string;
  orgUnitName?: string;
  migrated?: number;
  eligible?: number;
  rate?: number;
  meetsTarget?: boolean;
}

export interface Conformance {
  tiers: TierConformance[];
  redundancy: RedundancyConformance[];
  integration?: IntegrationConformance[];
}

export interface ProposalEnd {
  deviceId: string;
  ifIndex: number;
  ifName: string;
}

/** A link seen through LLDP that nobody has accepted or dismissed yet. */
export interface LinkProposal {
  id: string;
  a: ProposalEnd;
  b: ProposalEnd;
  seenAt: string;
}

export interface AcceptProposal {
  level: LinkLevel;
  role: LinkRole;
  plane: Plane;
  pairId?: string;
  orgUnitId: string;
}

export interface LinkFilter {
  orgUnitId?: string;
  level?: LinkLevel;
  status?: LinkStatus;
}

const base = '/api/v1/network';

const id = (value: string): string => encodeURIComponent(value);

export const fetchLinks = (filter: LinkFilter = {}, signal?: AbortSignal): Promise<{ items: LinkView[] }> =>
  apiFetch<{ items: LinkView[] }>(`${base}/links${query({ ...filter })}`, { signal });

export const fetchLink = (linkId: string, signal?: AbortSignal): Promise<LinkDetail> =>
  apiFetch<LinkDetail>(`${base}/links/${id(linkId)}`, { signal });

export const fetchLinkMetrics = (
  linkId: string,
  range: MetricsRange,
  signal?: AbortSignal,
): Promise<LinkMetrics> =>
  apiFetch<LinkMetrics>(`${base}/links/${id(linkId)}/metrics${query({ range })}`, { signal });

export const fetchTopology = (signal?: AbortSignal): Promise<Topology> =>
  apiFetch<Topology>(`${base}/topology`, { signal });

export const fetchConformance = (signal?: AbortSignal): Promise<Conformance> =>
  apiFetch<Conformance>(`${base}/conformance`, { signal });

export const fetchProposals = (signal?: AbortSignal): Promise<{ items: LinkProposal[] }> =>
  apiFetch<{ items: LinkProposal[] }>(`${base}/discovery/proposals`, { signal });

export const acceptProposal = (proposalId: string, body: AcceptProposal): Promise<unknown> =>
  apiFetch<unknown>(`${base}/discovery/proposals/${id(proposalId)}/accept`, { method: 'POST', body });

export const dismissProposal = (proposalId: string): Promise<void> =>
  apiFetch<void>(`${base}/discovery/proposals/${id(proposalId)}`, { method: 'DELETE' });

/** What a page says when the control plane has no network module at all, in the locale in force. */
export function networkUnavailableText(): string {
  return msg('Network monitoring is not available on this server.', { id: 'network.unavailable' });
}

/**
 * Tells whether an error means the whole network area is missing on this server (an older control
 * plane answers 404 for every network path), as opposed to a failure worth a retry.
 */
export function isNetworkUnavailable(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

/**
 * Tells whether a 404 for one object means the route itself does not exist. The control plane's
 * fallback answers "no route for GET /path"; a missing object has a message of its own.
 */
export function isMissingRoute(error: unknown): boolean {
  if (!isNetworkUnavailable(error)) return false;
  const e = error as ApiError;
  // Older servers answer `not_found` with the message "no route for GET /path".
  return e.code === 'route.not_found' || /^no route\b/i.test(e.message);
}

/** A readable message for an error of the network API, with the plain "not available" for a 404. */
export function networkErrorMessage(error: unknown): string {
  return isNetworkUnavailable(error) ? networkUnavailableText() : errorText(error);
}
