import { isIPv4 } from 'node:net';
import { addressToBigInt } from '../../control-plane/src/inventory/cidr.js';

/**
 * A small writer of MaxMind DB files, following the MaxMind DB File Format Specification 2.0
 * (https://maxmind.github.io/MaxMind-DB/): a binary search tree of 32-bit records over IPv6
 * (IPv4 networks live under ::/96, as the specification's "IPv4 addresses in an IPv6 tree"
 * describes), the 16-byte data section separator, the data section, and the metadata after the
 * `\xAB\xCD\xEFMaxMind.com` marker. Values: maps, UTF-8 strings, unsigned integers, arrays,
 * booleans, doubles. For tests only: the databases a test writes for the GeoIP enrichment.
 */

export type MmdbValue = string | number | boolean | MmdbValue[] | { [key: string]: MmdbValue };

/** A value forced to a type (e.g. `uint16` for metadata fields the readers check). */
interface Typed {
  readonly mmdbType: 'uint16' | 'uint32' | 'uint64' | 'double';
  readonly value: number | bigint;
}
type Encodable = MmdbValue | Typed | Encodable[] | { [key: string]: Encodable };

const typed = (mmdbType: Typed['mmdbType'], value: number | bigint): Typed => ({ mmdbType, value });

function ctrl(type: number, size: number): Buffer {
  const ext = type > 7;
  const head = [(ext ? 0 : type) << 5];
  const sizeBytes: number[] = [];
  if (size < 29) head[0]! |= size;
  else if (size < 285) {
    head[0]! |= 29;
    sizeBytes.push(size - 29);
  } else if (size < 65_821) {
    head[0]! |= 30;
    const s = size - 285;
    sizeBytes.push(s >> 8, s & 0xff);
  } else {
    head[0]! |= 31;
    const s = size - 65_821;
    sizeBytes.push((s >> 16) & 0xff, (s >> 8) & 0xff, s & 0xff);
  }
  if (ext) head.push(type - 7);
  return Buffer.from([...head, ...sizeBytes]);
}

function uintBytes(v: bigint): Buffer {
  const out: number[] = [];
  while (v > 0n) {
    out.unshift(Number(v & 0xffn));
    v >>= 8n;
  }
  return Buffer.from(out);
}

function encode(v: Encodable): Buffer {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8');
    return Buffer.concat([ctrl(2, b.length), b]);
  }
  if (typeof v === 'boolean') return ctrl(14, v ? 1 : 0);
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0) {
      const b = uintBytes(BigInt(v));
      return Buffer.concat([ctrl(v <= 0xffffffff ? 6 : 9, b.length), b]);
    }
    const b = Buffer.alloc(8);
    b.writeDoubleBE(v);
    return Buffer.concat([ctrl(3, 8), b]);
  }
  if (Array.isArray(v)) return Buffer.concat([ctrl(11, v.length), ...v.map(encode)]);
  if ('mmdbType' in v && 'value' in v && Object.keys(v).length === 2) {
    const t = v as Typed;
    if (t.mmdbType === 'double') {
      const b = Buffer.alloc(8);
      b.writeDoubleBE(Number(t.value));
      return Buffer.concat([ctrl(3, 8), b]);
    }
    const b = uintBytes(BigInt(t.value));
    const type = { uint16: 5, uint32: 6, uint64: 9 }[t.mmdbType];
    return Buffer.concat([ctrl(type, b.length), b]);
  }
  const entries = Object.entries(v as Record<string, Encodable>);
  return Buffer.concat([ctrl(7, entries.length), ...entries.flatMap(([k, val]) => [encode(k), encode(val)])]);
}

interface TreeNode {
  kids: [TreeNode | number | null, TreeNode | number | null];
}

/** Writes a database mapping networks (CIDR text, IPv4 or IPv6) to values; longer prefixes win. */
export function writeMmdb(
  databaseType: string,
  networks: ReadonlyArray<readonly [cidr: string, value: MmdbValue]>,
): Buffer {
  const data: Buffer[] = [];
  let dataLength = 0;
  const offsets: number[] = [];
  for (const [, value] of networks) {
    offsets.push(dataLength);
    const b = encode(value);
    data.push(b);
    dataLength += b.length;
  }
  const root: TreeNode = { kids: [null, null] };
  const sorted = networks
    .map(([cidr], i) => {
      const [addr, len] = cidr.split('/') as [string, string];
      const v4 = isIPv4(addr);
      const bits = addressToBigInt(addr)!.value;
      return { bits, length: v4 ? 96 + Number(len) : Number(len), data: i };
    })
    .sort((a, b) => a.length - b.length);
  for (const n of sorted) {
    let node = root;
    for (let d = 0; d < n.length; d++) {
      const bit = Number((n.bits >> BigInt(127 - d)) & 1n) as 0 | 1;
      if (d === n.length - 1) {
        node.kids[bit] = n.data;
        break;
      }
      const child = node.kids[bit];
      if (child === null || typeof child === 'number') {
        // An empty side, or the data of a shorter network: split it so the longer one fits inside.
        const next: TreeNode = { kids: [child, child] };
        node.kids[bit] = next;
        node = next;
      } else node = child;
    }
  }
  const order: TreeNode[] = [];
  const index = new Map<TreeNode, number>();
  const queue: TreeNode[] = [root];
  while (queue.length) {
    const n = queue.shift()!;
    index.set(n, order.length);
    order.push(n);
    for (const k of n.kids) if (k !== null && typeof k !== 'number') queue.push(k);
  }
  const nodeCount = order.length;
  const tree = Buffer.alloc(nodeCount * 8);
  order.forEach((n, i) => {
    n.kids.forEach((k, side) => {
      const record =
        k === null ? nodeCount : typeof k === 'number' ? nodeCount + 16 + offsets[k]! : index.get(k)!;
      tree.writeUInt32BE(record, i * 8 + side * 4);
    });
  });
  const metadata = encode({
    node_count: typed('uint32', nodeCount),
    record_size: typed('uint16', 32),
    ip_version: typed('uint16', 6),
    database_type: databaseType,
    languages: ['en'],
    binary_format_major_version: typed('uint16', 2),
    binary_format_minor_version: typed('uint16', 0),
    build_epoch: typed('uint64', BigInt(Math.floor(Date.UTC(2026, 0, 1) / 1000))),
    description: { en: `${databaseType} written by a Tianshu test` },
  });
  const marker = Buffer.from([0xab, 0xcd, 0xef, ...Buffer.from('MaxMind.com', 'ascii')]);
  return Buffer.concat([tree, Buffer.alloc(16), ...data, marker, metadata]);
}
