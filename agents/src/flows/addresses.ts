/**
 * Address text parsing for the collector: IPv4 and IPv6 (with `::` compression and an embedded
 * dotted quad), IPv4-mapped IPv6 folded to IPv4 (a socket bound on `::` sees IPv4 exporters as
 * `::ffff:a.b.c.d`), and CIDR allow lists. Parsing happens per new source address, never per
 * datagram: the collector caches the answer per source.
 */

/** An address as four 32-bit words (IPv4 uses the last word only). */
export interface ParsedAddress {
  version: 4 | 6;
  words: [number, number, number, number];
}

/** Parses dotted-quad IPv4 text into a uint32, or undefined. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const v = Number(p);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n >>> 0;
}

/** Parses IPv6 text into eight 16-bit groups, or undefined. */
export function parseIpv6Groups(text: string): number[] | undefined {
  const zone = text.indexOf('%');
  const t = zone >= 0 ? text.slice(0, zone) : text;
  if (t.length < 2 || t.length > 45) return undefined;
  const halves = t.split('::');
  if (halves.length > 2) return undefined;
  const side = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const parts = s.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(p)) return undefined;
        out.push(parseInt(p, 16));
      }
    }
    return out;
  };
  const head = side(halves[0]!);
  if (!head) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const tail = side(halves[1]!);
  if (!tail || head.length + tail.length > 7) return undefined;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

/** Parses IPv4 or IPv6 text; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) becomes IPv4. */
export function parseAddress(text: string): ParsedAddress | undefined {
  if (!text.includes(':')) {
    const v4 = parseIpv4(text);
    return v4 === undefined ? undefined : { version: 4, words: [0, 0, 0, v4] };
  }
  const g = parseIpv6Groups(text);
  if (!g) return undefined;
  if (g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff) {
    return { version: 4, words: [0, 0, 0, ((g[6]! << 16) | g[7]!) >>> 0] };
  }
  return {
    version: 6,
    words: [
      ((g[0]! << 16) | g[1]!) >>> 0,
      ((g[2]! << 16) | g[3]!) >>> 0,
      ((g[4]! << 16) | g[5]!) >>> 0,
      ((g[6]! << 16) | g[7]!) >>> 0,
    ],
  };
}

/**
 * The text the collector uses for an exporter: dotted quad for IPv4 (mapped addresses folded), the
 * RFC 5952 form for IPv6 (lower case, longest zero run compressed) — the same form Node gives as a
 * datagram's source, so configured addresses and received ones compare as strings.
 */
export function canonicalAddress(text: string): string | undefined {
  const a = parseAddress(text.trim());
  if (!a) return undefined;
  if (a.version === 4) {
    const n = a.words[3];
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
  }
  const g: number[] = [];
  for (const w of a.words) g.push(w >>> 16, w & 0xffff);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestAt = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

interface Prefix {
  version: 4 | 6;
  words: [number, number, number, number];
  bits: number;
}

/** Parses `addr/len` (IPv4 or IPv6); throws a clear error for a bad prefix. */
export function parseCidr(text: string): Prefix {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const a = addr.includes(':') ? parseIpv6Groups(addr) : undefined;
  const parsed = parseAddress(addr);
  if (!parsed) throw new Error(`allowed source "${text}" is not an IPv4 or IPv6 prefix`);
  // A mapped prefix written as IPv6 (::ffff:10.0.0.0/104) keeps its IPv6 length semantics.
  const version: 4 | 6 = a && parsed.version === 4 ? 6 : parsed.version;
  const max = version === 4 ? 32 : 128;
  const bits = slash >= 0 ? Number(text.slice(slash + 1)) : max;
  if (
    !Number.isInteger(bits) ||
    bits < 0 ||
    bits > max ||
    (slash >= 0 && !/^\d{1,3}$/.test(text.slice(slash + 1)))
  ) {
    throw new Error(`allowed source "${text}" has a prefix length outside 0..${max}`);
  }
  if (version === 6 && parsed.version === 4) {
    // ::ffff:a.b.c.d/n with n >= 96 is the IPv4 prefix a.b.c.d/(n-96); shorter ones match no IPv4.
    if (bits >= 96) return { version: 4, words: parsed.words, bits: bits - 96 };
    return { version: 6, words: [0, 0, 0xffff, parsed.words[3]], bits };
  }
  return { version, words: parsed.words, bits };
}

function matches(p: Prefix, a: ParsedAddress): boolean {
  if (p.version !== a.version) return false;
  let bits = p.bits;
  const first = p.version === 4 ? 3 : 0;
  for (let i = first; i < 4 && bits > 0; i++) {
    const n = Math.min(32, bits);
    const mask = n === 32 ? 0xffffffff : ~(0xffffffff >>> n) >>> 0;
    if ((p.words[i]! & mask) >>> 0 !== (a.words[i]! & mask) >>> 0) return false;
    bits -= n;
  }
  return true;
}

/**
 * The exporters a collector accepts: a list of CIDR prefixes. `allows` is called once per new source
 * address (the collector caches its answer), so a linear scan is enough even for many prefixes.
 */
export class AllowList {
  readonly #prefixes: Prefix[];

  constructor(cidrs: readonly string[]) {
    this.#prefixes = cidrs.map(parseCidr);
  }

  get size(): number {
    return this.#prefixes.length;
  }

  allows(address: string): boolean {
    const a = parseAddress(address);
    if (!a) return false;
    for (const p of this.#prefixes) if (matches(p, a)) return true;
    return false;
  }
}
