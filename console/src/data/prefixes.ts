import { msg } from '@lit/localize';
import { apiFetch, query } from './api.js';
import { compareCidr, cidrContains, parseCidr } from '../common/cidr.js';
import type { ParsedCidr } from '../common/cidr.js';

/** What a prefix is for: device management addresses, hosts (cloud and servers), internet egress. */
export type PrefixPurpose = 'management' | 'hosts' | 'egress';

export const prefixPurposes: readonly PrefixPurpose[] = ['management', 'hosts', 'egress'];

/** A purpose in a word: management, hosts, egress; a purpose the console does not know as it comes. */
export function prefixPurposeText(purpose: PrefixPurpose | string): string {
  if (purpose === 'management') return msg('management', { id: 'prefixes.purpose.management' });
  if (purpose === 'hosts') return msg('hosts', { id: 'prefixes.purpose.hosts' });
  if (purpose === 'egress') return msg('egress', { id: 'prefixes.purpose.egress' });
  return purpose;
}

/** What addresses of a purpose are given to, for the purpose picker. */
export function prefixPurposeHint(purpose: PrefixPurpose): string {
  if (purpose === 'management') return msg('routers and switches', { id: 'prefixes.purposeHint.management' });
  if (purpose === 'hosts') return msg('clouds and servers', { id: 'prefixes.purposeHint.hosts' });
  return msg('internet egress', { id: 'prefixes.purposeHint.egress' });
}

/** An IP prefix of the registry, owned by one org unit. */
export interface Prefix {
  id: string;
  /** Canonical CIDR text, e.g. `127.0.16.0/20` or `2001:db8::/32`. */
  prefix: string;
  orgUnitId: string;
  purpose: PrefixPurpose;
  description: string | null;
  family: 4 | 6;
}

/** A new prefix: a delegation to a child unit, a subdivision of the unit's own, or top-level space. */
export interface PrefixInput {
  prefix: string;
  orgUnitId: string;
  purpose: PrefixPurpose;
  description?: string;
}

/** Only the description changes; a different prefix or owner is a new delegation. */
export interface PrefixPatch {
  description: string | null;
}

export interface PrefixFilter {
  /** The unit and its subtree. */
  orgUnitId?: string;
  purpose?: PrefixPurpose;
  limit?: number;
}

export interface PrefixList {
  items: Prefix[];
}

const base = '/api/v1/inventory/prefixes';

/** The largest page the server gives; the registry of one province stays well below it. */
export const prefixListLimit = 5000;

export const fetchPrefixes = (filter: PrefixFilter = {}, signal?: AbortSignal): Promise<PrefixList> =>
  apiFetch<PrefixList>(
    `${base}${query({
      orgUnitId: filter.orgUnitId,
      purpose: filter.purpose,
      limit: filter.limit ?? prefixListLimit,
    })}`,
    { signal },
  );

export const createPrefix = (input: PrefixInput): Promise<Prefix> =>
  apiFetch<Prefix>(base, { method: 'POST', body: input });

export const updatePrefix = (id: string, patch: PrefixPatch): Promise<Prefix> =>
  apiFetch<Prefix>(`${base}/${encodeURIComponent(id)}`, { method: 'PATCH', body: patch });

export const deletePrefix = (id: string): Promise<void> =>
  apiFetch<void>(`${base}/${encodeURIComponent(id)}`, { method: 'DELETE' });

/** A prefix placed in the nested listing: `depth` listed prefixes of its purpose contain it. */
export interface NestedPrefix<P extends Pick<Prefix, 'prefix' | 'purpose'> = Prefix> {
  item: P;
  depth: number;
}

/**
 * Orders prefixes by purpose (management, hosts, egress), then IPv4 before IPv6, then numerically by
 * network address with a containing prefix before the prefixes inside it; and gives each one its
 * depth: how many listed prefixes of the same purpose strictly contain it. A delegation whose parent
 * prefix is outside the list (another unit's space) is at depth 0. Text that is not a prefix goes
 * last within its purpose, at depth 0.
 */
export function nestPrefixes<P extends Pick<Prefix, 'prefix' | 'purpose'>>(
  prefixes: readonly P[],
): NestedPrefix<P>[] {
  const rank = (purpose: string) => {
    const i = prefixPurposes.indexOf(purpose as PrefixPurpose);
    return i === -1 ? prefixPurposes.length : i;
  };
  const parsed = prefixes.map((item) => ({ item, cidr: parseCidr(item.prefix) }));
  parsed.sort((a, b) => {
    const byPurpose =
      rank(a.item.purpose) - rank(b.item.purpose) || a.item.purpose.localeCompare(b.item.purpose);
    if (byPurpose) return byPurpose;
    if (a.cidr && b.cidr) return compareCidr(a.cidr, b.cidr);
    if (a.cidr || b.cidr) return a.cidr ? -1 : 1;
    return a.item.prefix.localeCompare(b.item.prefix);
  });
  const result: NestedPrefix<P>[] = [];
  // The chain of listed prefixes containing the current one; sorted order makes it a stack.
  let purpose: string | undefined;
  const stack: ParsedCidr[] = [];
  for (const { item, cidr } of parsed) {
    if (item.purpose !== purpose) {
      purpose = item.purpose;
      stack.length = 0;
    }
    if (!cidr) {
      result.push({ item, depth: 0 });
      continue;
    }
    while (stack.length > 0 && !cidrContains(stack[stack.length - 1]!, cidr, true)) stack.pop();
    result.push({ item, depth: stack.length });
    stack.push(cidr);
  }
  return result;
}
