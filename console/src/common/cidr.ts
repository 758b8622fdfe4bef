/** IPv4 and IPv6 prefixes as numbers, to order and nest them in the console. */

/** A parsed prefix: the network address as a number of `bits` bits and the prefix length. */
export interface ParsedCidr {
  family: 4 | 6;
  /** The address with the host bits cleared. */
  network: bigint;
  length: number;
  bits: 32 | 128;
}

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return value;
}

function parseGroups(text: string): number[] | undefined {
  if (text === '') return [];
  const groups: number[] = [];
  const parts = text.split(':');
  for (const [i, part] of parts.entries()) {
    if (i === parts.length - 1 && part.includes('.')) {
      // An embedded IPv4 address (::ffff:192.0.2.1) fills the last two groups.
      const v4 = parseIPv4(part);
      if (v4 === undefined) return undefined;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      continue;
    }
    if (!/^[0-9a-f]{1,4}$/i.test(part)) return undefined;
    groups.push(parseInt(part, 16));
  }
  return groups;
}

function parseIPv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  return groups.reduce((value, group) => (value << 16n) | BigInt(group), 0n);
}

/**
 * Reads `10.20.0.0/16` or `2001:db8::/32` (a bare address counts as a host prefix); undefined for
 * anything else. Host bits set in the text are cleared, as the server stores prefixes.
 */
export function parseCidr(text: string): ParsedCidr | undefined {
  const [address = '', lengthText, ...rest] = text.trim().split('/');
  if (rest.length > 0) return undefined;
  const family = address.includes(':') ? 6 : 4;
  const bits = family === 4 ? 32 : 128;
  const value = family === 4 ? parseIPv4(address) : parseIPv6(address);
  if (value === undefined) return undefined;
  if (lengthText !== undefined && !/^\d{1,3}$/.test(lengthText)) return undefined;
  const length = lengthText === undefined ? bits : Number(lengthText);
  if (length > bits) return undefined;
  const hostBits = BigInt(bits - length);
  const network = (value >> hostBits) << hostBits;
  return { family, network, length, bits };
}

/** Whether `outer` contains `inner` (an equal prefix counts unless `strict`). */
export function cidrContains(outer: ParsedCidr, inner: ParsedCidr, strict = false): boolean {
  if (outer.family !== inner.family) return false;
  if (strict ? outer.length >= inner.length : outer.length > inner.length) return false;
  const shift = BigInt(outer.bits - outer.length);
  return outer.network >> shift === inner.network >> shift;
}

/** Orders IPv4 before IPv6, then by network address, then shorter (containing) prefixes first. */
export function compareCidr(a: ParsedCidr, b: ParsedCidr): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.network !== b.network) return a.network < b.network ? -1 : 1;
  return a.length - b.length;
}
