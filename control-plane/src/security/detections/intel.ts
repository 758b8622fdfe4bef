import type { AlertSeverity, IntelIndicator } from '@tianshu/protocol';
import { addressToBigInt, parseCidr } from '../../inventory/cidr.js';

/**
 * Threat-intelligence files → indicators the edge agents match flows against:
 * - IP/CIDR lists: one address or prefix a line, `#` starts a comment (whole line or after the
 *   entry), blank lines ignored; anything else is an error naming the line;
 * - STIX 2.1 bundles: `indicator` objects with `pattern_type: stix` whose pattern is one or more
 *   observation expressions joined by OR, each comparing `ipv4-addr:value` / `ipv6-addr:value`
 *   with `=` or `ISSUBSET` (joined by OR inside the brackets too). Revoked indicators and those
 *   outside `valid_from`..`valid_until` are skipped and counted; indicators of other observables
 *   (domain names, files, URLs: flows carry none) are skipped and counted as unsupported; malformed
 *   ones are errors with the reason. Never half-loaded silently: every skip and error is counted
 *   and the errors listed (the first 100) for `GET /api/v1/security/detections`.
 */

export interface IntelError {
  /** Line (lists) or index in `objects` (STIX) of the bad entry. */
  line?: number;
  index?: number;
  id?: string;
  reason: string;
}

export interface IntelLoad {
  indicators: IntelIndicator[];
  errors: IntelError[];
  /** Errors beyond the first 100 (counted, not listed). */
  errorsTruncated: number;
  skipped: { expired: number; notYetValid: number; revoked: number; unsupported: number };
}

const MAX_ERRORS = 100;

function newLoad(): IntelLoad {
  return {
    indicators: [],
    errors: [],
    errorsTruncated: 0,
    skipped: { expired: 0, notYetValid: 0, revoked: 0, unsupported: 0 },
  };
}

function addError(l: IntelLoad, e: IntelError): void {
  if (l.errors.length < MAX_ERRORS) l.errors.push(e);
  else l.errorsTruncated += 1;
}

/** An address or CIDR as a canonical prefix, or the reason it is not one. */
export function indicatorCidr(text: string): { cidr: string } | { reason: string } {
  const t = text.trim();
  if (!t.includes('/')) {
    const a = addressToBigInt(t);
    if (!a) return { reason: `"${t}" is not an IPv4 or IPv6 address or prefix` };
    const c = parseCidr(`${t}/${a.family === 4 ? 32 : 128}`);
    return typeof c === 'string' ? { reason: c } : { cidr: c.text };
  }
  const c = parseCidr(t);
  return typeof c === 'string' ? { reason: c } : { cidr: c.text };
}

/** Parses an IP/CIDR list. */
export function parseIntelList(text: string, list: string, severity: AlertSeverity): IntelLoad {
  const l = newLoad();
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, i) => {
    const hash = raw.indexOf('#');
    const entry = (hash >= 0 ? raw.slice(0, hash) : raw).trim();
    if (!entry) return;
    // Some published lists (Spamhaus DROP) put "; SBL…" after the prefix.
    const first = entry.split(/[\s;,]+/)[0]!;
    const r = indicatorCidr(first);
    if ('reason' in r) addError(l, { line: i + 1, reason: r.reason });
    else l.indicators.push({ cidr: r.cidr, list, id: `line ${i + 1}`, severity });
  });
  return l;
}

const OBSERVATION = /^\[(.*)\]$/s;
const COMPARISON =
  /^(ipv4-addr|ipv6-addr|[a-z0-9-]+):([A-Za-z0-9_.'-]+)\s+(=|ISSUBSET|[A-Z!<>=]+)\s+'((?:[^'\\]|\\.)*)'$/s;

/** Splits `text` on ` OR ` outside brackets and quotes. */
function splitTop(text: string, word: 'OR' | 'AND'): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = false;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === '\\') i++;
      else if (c === "'") quote = false;
      continue;
    }
    if (c === "'") quote = true;
    else if (c === '[' || c === '(') depth++;
    else if (c === ']' || c === ')') depth--;
    else if (depth === 0 && text.startsWith(` ${word} `, i)) {
      out.push(text.slice(start, i));
      start = i + word.length + 2;
      i = start - 1;
    }
  }
  out.push(text.slice(start));
  return out.map((s) => s.trim());
}

/**
 * The address prefixes a STIX pattern matches, `unsupported` with the reason when it matches on
 * something flows do not carry (or uses what cannot be one prefix list: AND, qualifiers), or
 * `invalid` with the reason.
 */
export function stixPatternCidrs(
  pattern: string,
): { cidrs: string[] } | { unsupported: string } | { invalid: string } {
  const p = pattern.trim();
  if (/\b(FOLLOWEDBY|WITHIN|REPEATS|START)\b/.test(p.replace(/'(?:[^'\\]|\\.)*'/g, "''"))) {
    return { unsupported: 'temporal qualifiers and FOLLOWEDBY cannot be matched per flow' };
  }
  const cidrs: string[] = [];
  for (const obs of splitTop(p, 'OR')) {
    if (splitTop(obs, 'AND').length > 1) return { unsupported: 'observation expressions joined by AND' };
    const m = OBSERVATION.exec(obs);
    if (!m) return { invalid: `"${obs.slice(0, 80)}" is not an observation expression [ … ]` };
    const inner = m[1]!.trim();
    if (splitTop(inner, 'AND').length > 1) return { unsupported: 'comparisons joined by AND' };
    for (const cmp of splitTop(inner, 'OR')) {
      const c = COMPARISON.exec(cmp.replace(/^\(+|\)+$/g, '').trim());
      if (!c)
        return {
          invalid: `"${cmp.slice(0, 80)}" is not a comparison such as ipv4-addr:value = '198.51.100.1'`,
        };
      const [, object, property, op, value] = c;
      if (object !== 'ipv4-addr' && object !== 'ipv6-addr') {
        return { unsupported: `${object}:${property} is not an address (flows carry IP addresses only)` };
      }
      if (property !== 'value') return { unsupported: `${object}:${property} is not the address value` };
      if (op !== '=' && op !== 'ISSUBSET') return { unsupported: `operator ${op} on ${object}:value` };
      const r = indicatorCidr(value!);
      if ('reason' in r) return { invalid: r.reason };
      const fam = r.cidr.includes(':') ? 'ipv6-addr' : 'ipv4-addr';
      if (fam !== object) return { invalid: `${value} is not an ${object}` };
      cidrs.push(r.cidr);
    }
  }
  return { cidrs };
}

function time(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

/** Parses a STIX 2.1 bundle (or a bare array of objects, or one indicator). */
export function parseStixBundle(
  text: string,
  list: string,
  severity: AlertSeverity,
  now = Date.now(),
): IntelLoad {
  const l = newLoad();
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    addError(l, { reason: `not JSON: ${(err as Error).message}` });
    return l;
  }
  const objects: unknown[] = Array.isArray(doc)
    ? doc
    : doc && typeof doc === 'object' && (doc as { type?: unknown }).type === 'bundle'
      ? Array.isArray((doc as { objects?: unknown }).objects)
        ? (doc as { objects: unknown[] }).objects
        : []
      : [doc];
  if (
    doc &&
    typeof doc === 'object' &&
    !Array.isArray(doc) &&
    (doc as { type?: unknown }).type === 'bundle'
  ) {
    if (!Array.isArray((doc as { objects?: unknown }).objects))
      addError(l, { reason: 'the bundle has no "objects" array' });
  }
  objects.forEach((o, index) => {
    if (!o || typeof o !== 'object') {
      addError(l, { index, reason: 'not an object' });
      return;
    }
    const ind = o as Record<string, unknown>;
    if (ind.type !== 'indicator') return; // identities, relationships, malware…: not indicators
    const id = typeof ind.id === 'string' ? ind.id : undefined;
    if (!id || !/^indicator--[0-9a-f-]{36}$/i.test(id)) {
      addError(l, { index, reason: 'an indicator needs an id "indicator--<uuid>"' });
      return;
    }
    if (ind.spec_version !== undefined && ind.spec_version !== '2.1') {
      addError(l, { index, id, reason: `spec_version "${String(ind.spec_version)}" is not 2.1` });
      return;
    }
    if (ind.revoked === true) {
      l.skipped.revoked += 1;
      return;
    }
    if (typeof ind.pattern !== 'string' || !ind.pattern.trim()) {
      addError(l, { index, id, reason: 'an indicator needs a "pattern"' });
      return;
    }
    if (ind.pattern_type !== undefined && ind.pattern_type !== 'stix') {
      l.skipped.unsupported += 1;
      return;
    }
    const from = time(ind.valid_from);
    if (ind.valid_from === undefined || from === undefined) {
      addError(l, { index, id, reason: 'an indicator needs "valid_from" (an RFC 3339 timestamp)' });
      return;
    }
    const until = ind.valid_until === undefined ? undefined : time(ind.valid_until);
    if (ind.valid_until !== undefined && until === undefined) {
      addError(l, { index, id, reason: '"valid_until" is not an RFC 3339 timestamp' });
      return;
    }
    if (until !== undefined && until <= from) {
      addError(l, { index, id, reason: '"valid_until" must be later than "valid_from"' });
      return;
    }
    if (until !== undefined && until <= now) {
      l.skipped.expired += 1;
      return;
    }
    if (from > now) {
      l.skipped.notYetValid += 1;
      return;
    }
    const r = stixPatternCidrs(ind.pattern);
    if ('unsupported' in r) {
      l.skipped.unsupported += 1;
      return;
    }
    if ('invalid' in r) {
      addError(l, { index, id, reason: r.invalid });
      return;
    }
    const label = typeof ind.name === 'string' ? ind.name.slice(0, 512) : undefined;
    for (const cidr of r.cidrs) l.indicators.push({ cidr, list, id, ...(label ? { label } : {}), severity });
  });
  return l;
}
