import { describe, expect, it } from 'vitest';
import { LowCardinalityColumn, NativeBlockBuilder } from './native.js';

// Round trips of every type through the engine are in telemetry.case.ts (chDB and the ClickHouse
// HTTP interface); these pin the bytes of the format and the builder's refusals.
const hex = (b: Buffer): string => b.toString('hex');

describe('Native block bytes', () => {
  it('writes the header, names, types and little-endian values as the format defines them', () => {
    const block = new NativeBlockBuilder(2)
      .uint('a', 'UInt16', [1, 0x1234])
      .string('s', ['', '成'])
      .uint('b', 'UInt64', [2 ** 53 - 1, 18_446_744_073_709_551_615n]);
    expect(block.columns).toEqual(['a', 's', 'b']);
    expect(hex(block.toBuffer())).toBe(
      [
        '03', // columns
        '02', // rows
        '0161',
        '0655496e743136',
        '0100',
        '3412', // a UInt16: 1, 0x1234
        '0173',
        '06537472696e67',
        '00',
        '03e68890', // s String: '', '成' (3 UTF-8 bytes)
        '0162',
        '0655496e743634',
        'ffffffffffff1f00',
        'ffffffffffffffff', // b UInt64
      ].join(''),
    );
  });

  it('writes NULL maps before the values, array offsets before the elements, map keys before values', () => {
    const b = new NativeBlockBuilder(2)
      .nullableUInt('n', 'UInt8', [null, 7])
      .uint32Array('a', [[], [5, 6]])
      .stringMap('m', [{ k: 'v' }, {}]);
    const text = hex(b.toBuffer());
    // n: Nullable(UInt8): null map 01 00, then values 00 07
    expect(text).toContain(`${hex(Buffer.from('\x0fNullable(UInt8)', 'latin1'))}01000007`);
    // a: offsets 0, 2 (UInt64), then 5, 6 (UInt32)
    expect(text).toContain(`${'00'.repeat(8)}02${'00'.repeat(7)}0500000006000000`);
    // m: offsets 1, 1, then keys 'k', then values 'v'
    expect(text.endsWith(`01${'00'.repeat(7)}01${'00'.repeat(7)}016b0176`)).toBe(true);
  });

  it('writes LowCardinality as version, flags, dictionary and one index per row of the smallest width', () => {
    const b = new NativeBlockBuilder(3).lowCardinality('c', ['x', 'y', 'x']);
    const text = hex(b.toBuffer());
    const u64 = (n: number) => n.toString(16).padStart(2, '0') + '00'.repeat(7);
    expect(text.endsWith(`${u64(1)}000600${'00'.repeat(5)}${u64(2)}01780179${u64(3)}000100`)).toBe(true);
    const wide = new LowCardinalityColumn();
    for (let i = 0; i < 300; i++) wide.push(`v${i}`);
    const w = hex(new NativeBlockBuilder(300).lowCardinality('c', wide).toBuffer());
    expect(w).toContain(`${u64(1)}010600${'00'.repeat(5)}`); // 16-bit indexes
  });

  it('copies typed arrays of the column width as they are', () => {
    const a = new NativeBlockBuilder(3).uint('u', 'UInt32', new Uint32Array([1, 2, 0xffffffff])).toBuffer();
    const b = new NativeBlockBuilder(3).uint('u', 'UInt32', [1, 2, 0xffffffff]).toBuffer();
    expect(hex(a)).toBe(hex(b));
    const t = new NativeBlockBuilder(1).dateTime('t', new Uint32Array([1_700_000_000])).toBuffer();
    expect(hex(t)).toBe(hex(new NativeBlockBuilder(1).dateTime('t', [1_700_000_000]).toBuffer()));
  });
});

describe('Native block refusals', () => {
  it('names the column and row of a value the column cannot hold', () => {
    const b = () => new NativeBlockBuilder(2);
    expect(() => b().uint('p', 'UInt16', [1, 65_536])).toThrow(
      'Native column p, row 1: 65536 is not a UInt16',
    );
    expect(() => b().uint('p', 'UInt8', [-1, 0])).toThrow(/row 0: -1 is not a UInt8/);
    expect(() => b().uint('p', 'UInt32', [1.5, 0])).toThrow(/row 0: 1.5/);
    expect(() => b().uint('p', 'UInt64', [2 ** 53, 0])).toThrow(/row 0: .* is not a UInt64/);
    expect(() => b().uint('p', 'UInt32', [1n, 0])).toThrow(/row 0: 1n is not a UInt32/);
    expect(() => b().int64('i', [0, 2n ** 63n])).toThrow(/row 1/);
    expect(() => b().string('s', ['a', 5 as unknown as string])).toThrow(/row 1: 5 is not a string/);
    expect(() => b().dateTime('t', [0, -1])).toThrow(/row 1: -1 is not whole Unix seconds/);
    expect(() => b().dateTime64Millis('t', [0, 1.5])).toThrow(/row 1/);
    expect(() => b().float64('f', [0, '1' as unknown as number])).toThrow(/row 1: "1" is not a number/);
    expect(() => b().stringArray('a', [[], ['x', 1 as unknown as string]])).toThrow(/row 1/);
    expect(() => b().lowCardinalityIndexed('c', ['a'], [0, 1])).toThrow(
      /row 1: 1 is not a dictionary index below 1/,
    );
    expect(() => b().stringMapIndexed('m', [{}], [0, 3])).toThrow(/row 1: 3 is not a map index below 1/);
  });

  it('refuses a column of another length, a name twice and a name that is not an identifier', () => {
    expect(() => new NativeBlockBuilder(2).uint('a', 'UInt8', [1])).toThrow(
      'Native column a has 1 values, the block has 2 rows',
    );
    expect(() => new NativeBlockBuilder(1).uint('a', 'UInt8', [1]).uint('a', 'UInt8', [1])).toThrow(
      /added twice/,
    );
    expect(() => new NativeBlockBuilder(1).uint('a b', 'UInt8', [1])).toThrow(/not a plain identifier/);
    expect(() => new NativeBlockBuilder(-1)).toThrow(/row count/);
  });
});
