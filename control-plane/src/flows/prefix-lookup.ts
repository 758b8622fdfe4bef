import { parseCidr } from '../inventory/cidr.js';

/**
 * Longest-prefix match over IPv4 and IPv6 prefixes: a binary trie in typed arrays (one node per
 * prefix bit, shared by prefixes with a common start), walked bit by bit — at most 32 (IPv4) or 128
 * (IPv6) steps, no allocation per lookup. Values are small integers (indexes into the caller's
 * table); -1 = no prefix contains the address.
 */
export class PrefixTrie {
  private zero = new Int32Array(1024);
  private one = new Int32Array(1024);
  private value = new Int32Array(1024).fill(-1);
  private nodes = 2; // node 0: IPv4 root, node 1: IPv6 root
  private readonly words = new Uint32Array(4);

  constructor() {
    this.zero.fill(0);
    this.one.fill(0);
  }

  /** Adds `cidr` (text) with `value`; a later add of the same prefix replaces the value. */
  add(cidr: string, value: number): void {
    const c = parseCidr(cidr);
    if (typeof c === 'string') throw new Error(c);
    const width = c.family === 4 ? 32 : 128;
    let node = c.family === 4 ? 0 : 1;
    for (let i = 0; i < c.length; i++) {
      const bit = Number((c.network >> BigInt(width - 1 - i)) & 1n);
      const arr = bit ? this.one : this.zero;
      let next = arr[node]!;
      if (next === 0) {
        next = this.newNode();
        (bit ? this.one : this.zero)[node] = next;
      }
      node = next;
    }
    this.value[node] = value;
  }

  /** The value of the longest prefix containing an IPv4 address given as an unsigned 32-bit number. */
  lookup4(address: number): number {
    let node = 0;
    let best = this.value[0]!;
    const zero = this.zero;
    const one = this.one;
    const value = this.value;
    for (let i = 31; i >= 0; i--) {
      node = (address >>> i) & 1 ? one[node]! : zero[node]!;
      if (node === 0) return best;
      const v = value[node]!;
      if (v >= 0) best = v;
    }
    return best;
  }

  /** The value for an IPv6 address given as four 32-bit words (most significant first). */
  lookup6(w: Uint32Array): number {
    let node = 1;
    let best = this.value[1]!;
    for (let k = 0; k < 4; k++) {
      const word = w[k]!;
      for (let i = 31; i >= 0; i--) {
        node = (word >>> i) & 1 ? this.one[node]! : this.zero[node]!;
        if (node === 0) return best;
        const v = this.value[node]!;
        if (v >= 0) best = v;
      }
    }
    return best;
  }

  /** The value for an address as text (IPv4 or IPv6); -1 when none contains it, -2 when it is no address. */
  lookupText(address: string): number {
    const v4 = parseIpv4(address);
    if (v4 >= 0) return this.lookup4(v4);
    if (!parseIpv6(address, this.words)) return -2;
    return this.lookup6(this.words);
  }

  private newNode(): number {
    if (this.nodes === this.zero.length) {
      const grow = (a: Int32Array, fill: number) => {
        const b = new Int32Array(a.length * 2).fill(fill);
        b.set(a);
        return b;
      };
      this.zero = grow(this.zero, 0);
      this.one = grow(this.one, 0);
      this.value = grow(this.value, -1);
    }
    return this.nodes++;
  }
}

/** A dotted-quad IPv4 address as an unsigned 32-bit number, or -1 when the text is not one. */
export function parseIpv4(s: string): number {
  const n = s.length;
  if (n < 7 || n > 15) return -1;
  let result = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      result = result * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits === 3 || (digits > 0 && octet === 0)) return -1;
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else return -1;
  }
  if (dots !== 3 || digits === 0) return -1;
  return result * 256 + octet;
}

const GROUPS = new Uint16Array(8);
const FULL = new Uint16Array(8);

/**
 * An IPv6 address (RFC 4291 text, `::` compression, an IPv4 tail) into four 32-bit words; false
 * when the text is not one. No allocation beyond the caller's array.
 */
export function parseIpv6(s: string, out: Uint32Array): boolean {
  const n = s.length;
  if (n < 2 || n > 45) return false;
  const groups = GROUPS;
  let count = 0;
  let gap = -1;
  let i = 0;
  if (s.charCodeAt(0) === 58) {
    if (s.charCodeAt(1) !== 58) return false;
    gap = 0;
    i = 2;
    if (n === 2) {
      out.fill(0);
      return true;
    }
  }
  while (i < n) {
    // An IPv4 tail: the rest holds a dot.
    if (s.indexOf(':', i) < 0 && s.indexOf('.', i) >= 0) {
      const v4 = parseIpv4(s.slice(i));
      if (v4 < 0 || count > 6) return false;
      groups[count++] = v4 >>> 16;
      groups[count++] = v4 & 0xffff;
      i = n;
      break;
    }
    let v = 0;
    let digits = 0;
    while (i < n) {
      const c = s.charCodeAt(i);
      let d: number;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      else break;
      if (++digits > 4) return false;
      v = v * 16 + d;
      i++;
    }
    if (digits === 0 || count === 8) return false;
    groups[count++] = v;
    if (i === n) break;
    if (s.charCodeAt(i) !== 58) return false;
    i++;
    if (i < n && s.charCodeAt(i) === 58) {
      if (gap >= 0) return false;
      gap = count;
      i++;
      if (i === n) break;
    } else if (i === n) return false;
  }
  if (gap < 0 ? count !== 8 : count > 7) return false;
  const full = FULL;
  full.fill(0);
  if (gap < 0) full.set(groups);
  else {
    for (let k = 0; k < gap; k++) full[k] = groups[k]!;
    const tail = count - gap;
    for (let k = 0; k < tail; k++) full[8 - tail + k] = groups[gap + k]!;
  }
  for (let k = 0; k < 4; k++) out[k] = ((full[2 * k]! << 16) | full[2 * k + 1]!) >>> 0;
  return true;
}
