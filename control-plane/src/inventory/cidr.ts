import { isIPv4, isIPv6 } from 'node:net';

/** An IP prefix as numbers: family, network address (host bits zero) and length. */
export interface Cidr {
  family: 4 | 6;
  /** The network address as an unsigned integer of 32 or 128 bits. */
  network: bigint;
  length: number;
  /** Canonical text: `10.0.0.0/8`, `2001:db8::/32`. */
  text: string;
}

const bits = (family: 4 | 6) => (family === 4 ? 32 : 128);

/** An IPv4 or IPv6 address as an unsigned integer, or undefined when it is not one. */
export function addressToBigInt(address: string): { family: 4 | 6; value: bigint } | undefined {
  if (isIPv4(address)) {
    const v = address.split('.').reduce((n, octet) => (n << 8n) | BigInt(Number(octet)), 0n);
    return { family: 4, value: v };
  }
  if (!isIPv6(address)) return undefined;
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  // An embedded IPv4 tail (::ffff:10.0.0.1) becomes two groups.
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const n = addressToBigInt(v4[1]!)!.value;
    text = text.slice(0, -v4[1]!.length) + `${(n >> 16n).toString(16)}:${(n & 0xffffn).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) return undefined;
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(parseInt(g, 16));
  return { family: 6, value: v };
}

export function bigIntToAddress(family: 4 | 6, v: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(i * 16)) & 0xffffn).toString(16));
  // The longest run of two or more zero groups becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/**
 * Parses `address/length`. Returns a message naming the problem instead of a prefix when the text
 * is not one, or when bits are set beyond the length (`10.0.0.1/8`: did you mean 10.0.0.0/8?).
 */
export function parseCidr(text: string): Cidr | string {
  const slash = text.indexOf('/');
  if (slash < 0) return `"${text}" is not a prefix: write address/length, such as 10.20.0.0/16`;
  const addr = addressToBigInt(text.slice(0, slash));
  const lenText = text.slice(slash + 1);
  if (!addr) return `"${text}" is not a prefix: "${text.slice(0, slash)}" is not an IPv4 or IPv6 address`;
  const max = bits(addr.family);
  if (!/^\d{1,3}$/.test(lenText) || Number(lenText) > max) {
    return `"${text}" is not a prefix: the length must be 0 to ${max}`;
  }
  const length = Number(lenText);
  const hostMask = (1n << BigInt(max - length)) - 1n;
  const network = addr.value & ~hostMask & ((1n << BigInt(max)) - 1n);
  const canonical = `${bigIntToAddress(addr.family, network)}/${length}`;
  if ((addr.value & hostMask) !== 0n) {
    return `"${text}" has bits set beyond its length; the prefix is ${canonical}`;
  }
  return { family: addr.family, network, length, text: canonical };
}

/** Whether `outer` contains `inner` (or equals it). */
export function contains(outer: Cidr, inner: Cidr): boolean {
  if (outer.family !== inner.family || outer.length > inner.length) return false;
  const shift = BigInt(bits(outer.family) - outer.length);
  return outer.network >> shift === inner.network >> shift;
}

/** Whether `address` lies in `prefix`. */
export function containsAddress(prefix: Cidr, address: string): boolean {
  const a = addressToBigInt(address);
  if (!a || a.family !== prefix.family) return false;
  const shift = BigInt(bits(prefix.family) - prefix.length);
  return prefix.network >> shift === a.value >> shift;
}
