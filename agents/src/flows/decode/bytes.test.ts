import { describe, expect, it } from 'vitest';
import { formatIpv6, ipv6Text } from './bytes.js';

/** A plain RFC 5952 reference: longest run of ≥ 2 zero groups (first on ties) as '::'. */
function reference(b: Uint8Array): string {
  const g = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff)
    return `::ffff:${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; i++) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

describe('ipv6Text', () => {
  it('formats like RFC 5952, from the cache as from scratch, also when slots collide', () => {
    let seed = 99;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const cases: Buffer[] = [Buffer.alloc(16), Buffer.from('00000000000000000000ffffc0000201', 'hex')];
    for (let i = 0; i < 20_000; i++) {
      const b = Buffer.alloc(16);
      // mostly zero groups so that runs of every length and position occur
      for (let k = 0; k < 8; k++)
        if (rnd(3) === 0) b.writeUInt16BE(rnd(4) === 0 ? rnd(16) : rnd(65536), 2 * k);
      cases.push(b);
    }
    for (let round = 0; round < 2; round++) {
      for (const b of cases) {
        const want = reference(b);
        expect(formatIpv6(b, 0)).toBe(want);
        expect(ipv6Text(b, 0)).toBe(want);
      }
    }
    const inside = Buffer.concat([
      Buffer.from([1, 2, 3]),
      Buffer.from('20010db8000000000000000000000001', 'hex'),
    ]);
    expect(ipv6Text(inside, 3)).toBe('2001:db8::1');
  });
});
