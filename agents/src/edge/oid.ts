/** Strips a leading dot and checks that `oid` is a dotted list of non-negative integers. */
export function normaliseOid(oid: string): string {
  const s = oid.startsWith('.') ? oid.slice(1) : oid;
  if (!/^\d+(\.\d+)*$/.test(s)) throw new Error(`not a numeric oid: ${JSON.stringify(oid)}`);
  return s;
}

/**
 * Compares two numeric OIDs component by component, starting at character `start`, where both are
 * known to be equal before it (0 compares them whole). Returns -1, 0 or 1. Allocates nothing, since
 * it runs once per varbind of every walk.
 */
export function compareOidSuffix(a: string, b: string, start = 0): number {
  let i = start;
  let j = start;
  for (;;) {
    if (a.charCodeAt(i) === 46) i += 1;
    if (b.charCodeAt(j) === 46) j += 1;
    const aEnd = i >= a.length;
    const bEnd = j >= b.length;
    if (aEnd || bEnd) return aEnd && bEnd ? 0 : aEnd ? -1 : 1;
    let na = 0;
    while (i < a.length) {
      const c = a.charCodeAt(i);
      if (c === 46) break;
      na = na * 10 + (c - 48);
      i += 1;
    }
    let nb = 0;
    while (j < b.length) {
      const c = b.charCodeAt(j);
      if (c === 46) break;
      nb = nb * 10 + (c - 48);
      j += 1;
    }
    if (na !== nb) return na < nb ? -1 : 1;
  }
}

/** The index part of `oid` below `base` (`base.5.1` gives `5.1`), or undefined outside it. */
export function oidIndex(oid: string, base: string): string | undefined {
  return oid.length > base.length + 1 && oid.startsWith(base) && oid.charCodeAt(base.length) === 46
    ? oid.slice(base.length + 1)
    : undefined;
}
