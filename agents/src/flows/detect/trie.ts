import { parseAddress, type ParsedAddress } from '../addresses.js';

/**
 * A longest-prefix-match trie of CIDRs (IPv4 and IPv6 in separate roots), one bit per level. Used
 * for the threat-intelligence indicators an edge agent matches every flow record's source and
 * destination against: a lookup walks at most 32 (IPv4) or 128 (IPv6) nodes and allocates nothing.
 * Nodes live in typed arrays (two children per node) so a million indicators stay compact.
 */
export class PrefixTrie<T> {
  #left = new Int32Array(1024);
  #right = new Int32Array(1024);
  #value = new Int32Array(1024).fill(-1);
  #nodes = 2; // node 0: IPv4 root, node 1: IPv6 root
  readonly #values: T[] = [];

  /** Number of prefixes inserted (a prefix inserted twice counts once, the later value kept). */
  get size(): number {
    return this.#values.length - this.#replaced;
  }
  #replaced = 0;

  /** Inserts `cidr` (`a.b.c.d/n`, `x::/n`, or a bare address = host route); returns false when invalid. */
  insert(cidr: string, value: T): boolean {
    const parsed = parseCidr(cidr);
    if (!parsed) return false;
    const { address, bits } = parsed;
    let node = address.version === 4 ? 0 : 1;
    const offset = address.version === 4 ? 96 : 0;
    for (let i = 0; i < bits; i++) {
      const b = bitAt(address.words, offset + i);
      const arr = b ? this.#right : this.#left;
      let next = arr[node]!;
      if (next === 0) {
        next = this.#alloc();
        (b ? this.#right : this.#left)[node] = next;
      }
      node = next;
    }
    if (this.#value[node]! >= 0) {
      this.#values[this.#value[node]!] = value;
      return true;
    }
    this.#value[node] = this.#values.length;
    this.#values.push(value);
    return true;
  }

  /** The value of the longest prefix containing the IPv4 address `v4` (a uint32), or undefined. */
  lookupV4(v4: number): T | undefined {
    let node = 0;
    let best = this.#value[0]!;
    for (let i = 31; i >= 0; i--) {
      node = ((v4 >>> i) & 1 ? this.#right : this.#left)[node]!;
      if (node === 0) break;
      const v = this.#value[node]!;
      if (v >= 0) best = v;
    }
    return best >= 0 ? this.#values[best] : undefined;
  }

  /** The value of the longest prefix containing `address` (IPv4 or IPv6 text), or undefined. */
  lookup(address: string): T | undefined {
    const a = parseAddress(address);
    if (!a) return undefined;
    if (a.version === 4) return this.lookupV4(a.words[3]);
    let node = 1;
    let best = this.#value[1]!;
    for (let i = 0; i < 128; i++) {
      node = (bitAt(a.words, i) ? this.#right : this.#left)[node]!;
      if (node === 0) break;
      const v = this.#value[node]!;
      if (v >= 0) best = v;
    }
    return best >= 0 ? this.#values[best] : undefined;
  }

  #alloc(): number {
    if (this.#nodes >= this.#left.length) {
      const grow = (a: Int32Array<ArrayBuffer>, fill: number): Int32Array<ArrayBuffer> => {
        const n = new Int32Array(a.length * 2).fill(fill);
        n.set(a);
        return n;
      };
      this.#left = grow(this.#left, 0);
      this.#right = grow(this.#right, 0);
      this.#value = grow(this.#value, -1);
    }
    return this.#nodes++;
  }
}

function bitAt(words: readonly number[], i: number): number {
  return (words[i >>> 5]! >>> (31 - (i & 31))) & 1;
}

/** Parses `address/bits` (or a bare address: a host prefix); host bits beyond the prefix are ignored. */
export function parseCidr(text: string): { address: ParsedAddress; bits: number } | undefined {
  const slash = text.indexOf('/');
  const addr = slash >= 0 ? text.slice(0, slash) : text;
  const address = parseAddress(addr.trim());
  if (!address) return undefined;
  const max = address.version === 4 ? 32 : 128;
  if (slash < 0) return { address, bits: max };
  const b = text.slice(slash + 1).trim();
  if (!/^\d{1,3}$/.test(b)) return undefined;
  let bits = Number(b);
  // An IPv4-mapped IPv6 prefix (::ffff:a.b.c.d/120) folds to IPv4 like the address itself.
  if (address.version === 4 && addr.includes(':')) bits -= 96;
  if (bits < 0 || bits > max) return undefined;
  return { address, bits };
}
