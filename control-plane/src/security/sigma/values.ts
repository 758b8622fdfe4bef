import { addressToBigInt } from '../../inventory/cidr.js';
import { parseIpv4 } from '../../flows/prefix-lookup.js';
import type { EventView } from './event.js';
import { invalid, show, unsupported } from './problem.js';

/**
 * Field conditions of a Sigma detection (`Field|mod|mod: value(s)`) compiled into closures: needles
 * lower-cased once, wildcard patterns turned into `includes`/`startsWith`/`endsWith` or one RegExp,
 * CIDRs parsed into numbers, encodings (base64, base64offset, windash, UTF-16) expanded at compile
 * time. Sigma matching is case-insensitive unless `cased`; `re` is case-sensitive unless `|i`.
 */

export type Pred = (e: EventView) => boolean;
/** A test of one text value: the value and its lower-cased form. */
type TextTest = (value: string, lower: string) => boolean;

/** Longest field value a regular expression is run on (the rest is not searched). */
export const MAX_RE_INPUT = 16_384;
/** Most expansions one value may produce (windash permutations). */
const MAX_EXPANSIONS = 256;

const MATCH_MODIFIERS = new Set(['contains', 'startswith', 'endswith']);
const NUMERIC = new Set(['gt', 'gte', 'lt', 'lte']);
const ENCODINGS = new Set(['wide', 'utf16le', 'utf16be', 'utf16']);
const TIME = new Set(['minute', 'hour', 'day', 'week', 'month', 'year']);

/** A Sigma value pattern: literal text and wildcards (`*` any run, `?` one character). */
type Token = { lit: string } | '*' | '?';

/** Parses a Sigma string with its escapes: `\*`, `\?`, `\\`; a lone backslash is literal. */
export function parsePattern(s: string): Token[] {
  const out: Token[] = [];
  let lit = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\' && i + 1 < s.length && '*?\\'.includes(s[i + 1]!)) {
      lit += s[++i]!;
    } else if (c === '*' || c === '?') {
      if (lit) out.push({ lit });
      lit = '';
      out.push(c);
    } else lit += c;
  }
  if (lit) out.push({ lit });
  return out;
}

/** The plain text of a pattern without wildcards (for encodings), or undefined when it has some. */
function literalOf(tokens: Token[]): string | undefined {
  let s = '';
  for (const t of tokens) {
    if (typeof t === 'string') return undefined;
    s += t.lit;
  }
  return s;
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A test for a pattern (already wrapped in `*` for contains/startswith/endswith). */
function patternTest(tokens: Token[], cased: boolean): TextTest {
  // Collapse runs of `*`.
  const t: Token[] = [];
  for (const x of tokens) if (!(x === '*' && t[t.length - 1] === '*')) t.push(x);
  const hasQ = t.includes('?');
  const inner = t.filter((x, i) => x === '*' && i > 0 && i < t.length - 1).length;
  if (!hasQ && inner === 0) {
    const lead = t[0] === '*';
    const trail = t.length > 1 && t[t.length - 1] === '*';
    const lits = t.filter((x): x is { lit: string } => typeof x !== 'string');
    const needleRaw = lits[0]?.lit ?? '';
    const needle = cased ? needleRaw : needleRaw.toLowerCase();
    const pick = (v: string, l: string) => (cased ? v : l);
    if (t.length === 1 && lead) return () => true; // `*` alone: any value
    if (lits.length === 0) return (v) => v === '';
    if (lead && trail) return (v, l) => pick(v, l).includes(needle);
    if (lead) return (v, l) => pick(v, l).endsWith(needle);
    if (trail) return (v, l) => pick(v, l).startsWith(needle);
    return (v, l) => pick(v, l) === needle;
  }
  const src = t.map((x) => (x === '*' ? '.*' : x === '?' ? '.' : reEscape(x.lit))).join('');
  const re = new RegExp(`^${src}$`, cased ? 's' : 'si');
  return (v) => re.test(v);
}

/** A pattern as a RegExp alternative (literals lower-cased unless `cased`; the text is then lower-cased too). */
function regexSource(tokens: Token[], cased: boolean): string {
  const t: Token[] = [];
  for (const x of tokens) if (!(x === '*' && t[t.length - 1] === '*')) t.push(x);
  const lead = t[0] === '*';
  const trail = t.length > 1 && t[t.length - 1] === '*';
  const body = t.slice(lead ? 1 : 0, trail ? -1 : undefined);
  const src = body
    .map((x) => (x === '*' ? '.*' : x === '?' ? '.' : reEscape(cased ? x.lit : x.lit.toLowerCase())))
    .join('');
  return `(?:${lead ? '' : '^'}${src}${trail || (lead && t.length === 1) ? '' : '$'})`;
}

/**
 * A test that any of several patterns matches. Many alternatives become one RegExp (one pass over
 * the text, much faster than one `includes` per needle for the long keyword lists of SigmaHQ).
 */
function anyOf(lists: Token[][], cased: boolean): TextTest {
  if (lists.length === 1) return patternTest(lists[0]!, cased);
  if (lists.length <= 3) {
    const ts = lists.map((l) => patternTest(l, cased));
    return (a, l) => ts.some((t) => t(a, l));
  }
  const re = new RegExp(lists.map((l) => regexSource(l, cased)).join('|'), 's');
  return cased ? (v) => re.test(v) : (_v, l) => re.test(l);
}

/** Rejects regular expressions with nested quantifiers (`(a+)+`, `(.*)*`): catastrophic backtracking. */
function assertSafeRegex(src: string): void {
  if (/\((?:[^()\\]|\\.)*[*+](?:[^()\\]|\\.)*\)\s*(?:[*+]|\{\d+,\d*\})/.test(src)) {
    unsupported(`regular expression "${show(src)}" has a nested quantifier (catastrophic backtracking)`);
  }
  if (/\\[1-9]/.test(src)) unsupported(`regular expression "${show(src)}" uses a back-reference`);
}

function regexTest(value: string, flags: Set<string>): TextTest {
  let src = value;
  let f = '';
  // PCRE's leading inline flags, common in SigmaHQ rules: `(?i)`, `(?s)`, `(?is)`.
  const inline = /^\(\?([ims]+)\)/.exec(src);
  if (inline) {
    for (const c of inline[1]!) flags.add(c);
    src = src.slice(inline[0].length);
  }
  if (/\(\?P?</.test(src)) src = src.replace(/\(\?P</g, '(?<');
  assertSafeRegex(src);
  for (const c of ['i', 'm', 's']) if (flags.has(c)) f += c;
  let re: RegExp;
  try {
    re = new RegExp(src, f);
  } catch (err) {
    return unsupported(`regular expression "${show(value)}" is not supported: ${(err as Error).message}`);
  }
  return (v) => re.test(v.length > MAX_RE_INPUT ? v.slice(0, MAX_RE_INPUT) : v);
}

/** A CIDR as numbers: IPv4 as a 32-bit range, IPv6 as a bigint network and mask. */
function cidrTest(value: string): TextTest {
  const slash = value.indexOf('/');
  const addrText = slash < 0 ? value : value.slice(0, slash);
  const addr = addressToBigInt(addrText);
  if (!addr) return invalid(`"${show(value)}" is not a CIDR (cidr modifier)`);
  const max = addr.family === 4 ? 32 : 128;
  const len = slash < 0 ? max : Number(value.slice(slash + 1));
  if (!Number.isInteger(len) || len < 0 || len > max || !/^\d+$/.test(value.slice(slash + 1) || '0')) {
    return invalid(`"${show(value)}" is not a CIDR: the length must be 0 to ${max}`);
  }
  if (addr.family === 4) {
    const size = 2 ** (32 - len);
    const lo = Math.floor(Number(addr.value) / size) * size;
    const hi = lo + size;
    return (v) => {
      const n = parseIpv4(v);
      return n >= lo && n < hi;
    };
  }
  const shift = BigInt(128 - len);
  const net = addr.value >> shift;
  return (v) => {
    if (!v.includes(':')) return false;
    const a = addressToBigInt(v);
    return a !== undefined && a.family === 6 && a.value >> shift === net;
  };
}

function encode(text: string, encoding: string | undefined): Buffer {
  switch (encoding) {
    case 'wide':
    case 'utf16le':
      return Buffer.from(text, 'utf16le');
    case 'utf16be':
      return Buffer.from(text, 'utf16le').swap16();
    case 'utf16':
      return Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    default:
      return Buffer.from(text, 'utf8');
  }
}

/** The three base64 forms of a value at any offset in an encoded string (as pySigma does). */
export function base64Offsets(bytes: Buffer): string[] {
  const starts = [0, 2, 3];
  const ends = [undefined, -3, -2];
  const out: string[] = [];
  for (let i = 0; i < 3; i++) {
    const b64 = Buffer.concat([Buffer.alloc(i, 0x20), bytes]).toString('base64');
    const end = ends[(bytes.length + i) % 3];
    out.push(b64.slice(starts[i], end));
  }
  return out;
}

const DASHES = ['-', '/', '\u2013', '\u2014', '\u2015'];

/** Every permutation of a command-line flag's dash (`-x`, `/x`, en dash, em dash, horizontal bar). */
export function windash(s: string): string[] {
  const positions: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if ((s[i] === '-' || s[i] === '/') && (i === 0 || /\s/.test(s[i - 1]!))) positions.push(i);
  }
  if (DASHES.length ** positions.length > MAX_EXPANSIONS) {
    unsupported(`windash on "${show(s)}" gives more than ${MAX_EXPANSIONS} permutations`);
  }
  let out = [s];
  for (const p of positions) {
    out = out.flatMap((x) => DASHES.map((d) => x.slice(0, p) + d + x.slice(p + 1)));
  }
  return out;
}

/** Escapes text so that it is a literal Sigma pattern. */
const literal = (s: string) => s.replace(/[*?\\]/g, '\\$&');

export interface FieldSpec {
  /** The Sigma field name as written. */
  field: string;
  modifiers: string[];
}

export function parseFieldKey(key: string): FieldSpec {
  const [field = '', ...modifiers] = key.split('|');
  return { field, modifiers };
}

/**
 * Compiles `field|modifiers: value(s)`. `resolve` maps a Sigma field name to the event's field
 * (throwing `unsupported` for a field Tianshu's events do not carry).
 */
export function compileField(key: string, raw: unknown, resolve: (sigmaField: string) => string): Pred {
  const { field, modifiers } = parseFieldKey(key);
  if (!field) return unsupported(`"${show(key)}": modifiers on keywords (no field name) are not supported`);
  const target = resolve(field);
  let all = false;
  let cased = false;
  let match: string | undefined;
  let encoding: string | undefined;
  let neq = false;
  const reFlags = new Set<string>();
  const transforms: string[] = [];
  for (const m of modifiers) {
    if (m === 'all') all = true;
    else if (m === 'cased') cased = true;
    else if (m === 'neq') neq = true;
    else if (
      MATCH_MODIFIERS.has(m) ||
      NUMERIC.has(m) ||
      m === 're' ||
      m === 'cidr' ||
      m === 'exists' ||
      m === 'fieldref'
    ) {
      if (match) {
        if (match === 'fieldref' || m === 'fieldref') {
          return unsupported(
            `"${show(key)}": fieldref combined with ${match === 'fieldref' ? m : match} is not supported`,
          );
        }
        return invalid(`"${show(key)}": modifiers "${match}" and "${m}" cannot be combined`);
      }
      match = m;
    } else if ((m === 'i' || m === 'm' || m === 's') && match === 're') reFlags.add(m);
    else if (m === 'base64' || m === 'base64offset' || m === 'windash') transforms.push(m);
    else if (ENCODINGS.has(m)) {
      if (encoding) return invalid(`"${show(key)}": two text encodings (${encoding}, ${m})`);
      encoding = m;
    } else if (m === 'expand') {
      return unsupported(
        `"${show(key)}": the expand modifier needs placeholder values (a pySigma pipeline), which Tianshu does not define`,
      );
    } else if (TIME.has(m)) {
      return unsupported(`"${show(key)}": time modifier "${m}" is not supported`);
    } else return unsupported(`"${show(key)}": unknown modifier "${m}"`);
  }
  if (encoding && !transforms.some((t) => t.startsWith('base64'))) {
    return unsupported(`"${show(key)}": ${encoding} without base64: events here are text, not UTF-16 bytes`);
  }
  const values = Array.isArray(raw) ? raw : [raw];
  if (values.length === 0) return invalid(`"${show(key)}": an empty list of values`);
  for (const v of values) {
    if (v !== null && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      return invalid(`"${show(key)}": a value must be a string, number, boolean or null, got ${show(v)}`);
    }
  }
  const vals = values as (string | number | boolean | null)[];

  if (match === 'exists') {
    if (vals.length !== 1 || typeof vals[0] !== 'boolean')
      return invalid(`"${show(key)}": exists takes true or false`);
    const want = vals[0];
    return (e) => e.has(target) === want;
  }
  if (match === 'fieldref') {
    const others = vals.map((v) => {
      if (typeof v !== 'string') return invalid(`"${show(key)}": fieldref takes field names`);
      return resolve(v);
    });
    const tests = others.map((o): Pred => (e) => {
      const a = cased ? e.text(target) : e.lower(target);
      const b = cased ? e.text(o) : e.lower(o);
      return a !== undefined && b !== undefined && typeof a === 'string' && a === b;
    });
    return combine(tests, all, neq);
  }
  if (match && NUMERIC.has(match)) {
    const tests = vals.map((v): Pred => {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isFinite(n)) return invalid(`"${show(key)}": ${match} takes a number, got ${show(v)}`);
      if (match === 'gt') return (e) => e.number(target) > n;
      if (match === 'gte') return (e) => e.number(target) >= n;
      if (match === 'lt') return (e) => e.number(target) < n;
      return (e) => e.number(target) <= n;
    });
    return combine(tests, all, neq);
  }

  // Encoded needles are case-sensitive (base64 is).
  const isCased = cased || transforms.some((t) => t.startsWith('base64'));
  /** The patterns (alternatives) of one plain value, wrapped for contains/startswith/endswith. */
  const tokenLists = (v: string | number | boolean): Token[][] => {
    const text = String(v);
    // Expansions of this one value (alternatives), as Sigma patterns.
    let patterns = [typeof v === 'string' ? text : literal(text)];
    for (const t of transforms) {
      if (t === 'windash') {
        patterns = patterns.flatMap((p) => windash(p));
        continue;
      }
      patterns = patterns.flatMap((p) => {
        const lit = literalOf(parsePattern(p));
        if (lit === undefined) return invalid(`"${show(key)}": ${t} of a value with wildcards (${show(p)})`);
        const bytes = encode(lit, encoding);
        return (t === 'base64' ? [bytes.toString('base64')] : base64Offsets(bytes)).map(literal);
      });
    }
    return patterns.map((p) => {
      const tokens = parsePattern(p);
      if (match === 'contains') return ['*', ...tokens, '*'];
      if (match === 'startswith') return [...tokens, '*'];
      if (match === 'endswith') return ['*', ...tokens];
      return tokens;
    });
  };
  const tests: Pred[] = [];
  const plain: Token[][][] = [];
  for (const v of vals) {
    if (v === null) {
      if (transforms.length || match) return invalid(`"${show(key)}": null cannot take modifiers`);
      tests.push((e) => {
        const t = e.text(target);
        return t === undefined || t === '' || (Array.isArray(t) && t.length === 0);
      });
    } else if (match === 're') {
      if (transforms.length) return unsupported(`"${show(key)}": re after a transformation is not supported`);
      tests.push(fieldTest(target, regexTest(String(v), new Set(reFlags)), false));
    } else if (match === 'cidr') {
      if (transforms.length) return invalid(`"${show(key)}": cidr after a transformation`);
      tests.push(fieldTest(target, cidrTest(String(v)), false));
    } else if (all) {
      tests.push(fieldTest(target, anyOf(tokenLists(v), isCased), !isCased));
    } else plain.push(tokenLists(v));
  }
  // OR over values: every alternative of every value in one test.
  if (plain.length) tests.push(fieldTest(target, anyOf(plain.flat(), isCased), !isCased));
  return combine(tests, all, neq);
}

/** Applies a text test to a field (any element of a multi-valued one). */
function fieldTest(target: string, test: TextTest, needsLower: boolean): Pred {
  if (!needsLower) {
    return (e) => {
      const t = e.text(target);
      if (t === undefined) return false;
      if (typeof t === 'string') return test(t, t);
      return t.some((x) => test(x, x));
    };
  }
  return (e) => {
    const t = e.text(target);
    if (t === undefined) return false;
    const l = e.lower(target)!;
    if (typeof t === 'string') return test(t, l as string);
    return t.some((x, i) => test(x, (l as string[])[i]!));
  };
}

function combine(tests: Pred[], all: boolean, neq: boolean): Pred {
  let p: Pred;
  if (tests.length === 1) p = tests[0]!;
  else if (all) p = (e) => tests.every((t) => t(e));
  else p = (e) => tests.some((t) => t(e));
  if (neq) {
    const q = p;
    return (e) => !q(e);
  }
  return p;
}

/**
 * Keywords (an unnamed list): each value searched in the event's `message` field and its raw line,
 * case-insensitively, as a substring (wildcards inside allowed); with `all` (`'|all': [...]`) every
 * keyword must appear.
 */
export function compileKeywords(values: unknown[], all = false): Pred {
  if (values.length === 0) return invalid('an empty list of keywords');
  const lists = values.map((v): Token[] => {
    if (typeof v !== 'string' && typeof v !== 'number') {
      return invalid(`a keyword must be a string or number, got ${show(v)}`);
    }
    return ['*', ...parsePattern(typeof v === 'string' ? v : String(v)), '*'];
  });
  const one = (t: TextTest, e: EventView) => {
    for (const text of e.keywordTexts()) if (t(text, text)) return true;
    return false;
  };
  if (all) {
    const tests = lists.map((l) => patternTest(l, false));
    return (e) => tests.every((t) => one(t, e));
  }
  const test = anyOf(lists, false);
  return (e) => one(test, e);
}
