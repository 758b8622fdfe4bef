import { describe, expect, it } from 'vitest';
import { addressToBigInt } from '../inventory/cidr.js';
import { PrefixTrie, parseIpv4, parseIpv6 } from './prefix-lookup.js';

describe('prefix trie', () => {
  it('finds the longest prefix, IPv4 and IPv6, nested', () => {
    const t = new PrefixTrie();
    t.add('10.0.0.0/8', 0);
    t.add('10.16.0.0/12', 1);
    t.add('10.17.0.0/16', 2);
    t.add('10.17.1.128/25', 3);
    t.add('2001:db8::/32', 4);
    t.add('2001:db8:10::/48', 5);
    t.add('0.0.0.0/0', 6);
    expect(t.lookupText('10.17.1.200')).toBe(3);
    expect(t.lookupText('10.17.1.1')).toBe(2);
    expect(t.lookupText('10.31.255.255')).toBe(1);
    expect(t.lookupText('10.32.0.0')).toBe(0);
    expect(t.lookupText('11.0.0.1')).toBe(6);
    expect(t.lookupText('2001:db8:10:ffff::1')).toBe(5);
    expect(t.lookupText('2001:db8:11::1')).toBe(4);
    expect(t.lookupText('2001:db9::1')).toBe(-1);
    expect(t.lookupText('::ffff:10.17.1.1')).toBe(-1);
    expect(t.lookupText('not-an-address')).toBe(-2);
    expect(t.lookupText('10.0.0.256')).toBe(-2);
  });

  it('agrees with a linear scan over random prefixes and addresses', () => {
    let seed = 7;
    const rand = () => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed;
    };
    const t = new PrefixTrie();
    const prefixes: Array<{ net: number; len: number; v: number }> = [];
    for (let i = 0; i < 2000; i++) {
      const len = 8 + (rand() % 25);
      const mask = len === 32 ? 0xffffffff : ~(0xffffffff >>> len) >>> 0;
      const net = (rand() & mask) >>> 0;
      const text = `${net >>> 24}.${(net >>> 16) & 255}.${(net >>> 8) & 255}.${net & 255}/${len}`;
      t.add(text, i);
      const j = prefixes.findIndex((p) => p.net === net && p.len === len);
      if (j >= 0) prefixes[j]!.v = i;
      else prefixes.push({ net, len, v: i });
    }
    for (let i = 0; i < 20_000; i++) {
      // Addresses near registered prefixes, so that most have a match.
      const p = prefixes[rand() % prefixes.length]!;
      const a = (p.net + (rand() % 4096)) >>> 0;
      let best = -1;
      let bestLen = -1;
      for (const q of prefixes) {
        const mask = q.len === 32 ? 0xffffffff : ~(0xffffffff >>> q.len) >>> 0;
        if ((a & mask) >>> 0 === q.net && q.len > bestLen) {
          best = q.v;
          bestLen = q.len;
        }
      }
      expect(t.lookup4(a)).toBe(best);
    }
  });

  it('parses IPv4 and IPv6 text as the inventory does', () => {
    expect(parseIpv4('192.168.1.255')).toBe(0xc0a801ff);
    for (const bad of ['1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.256', '1..3.4', 'a.b.c.d', '']) {
      expect(parseIpv4(bad), bad).toBe(-1);
    }
    const w = new Uint32Array(4);
    for (const text of [
      '2001:db8::1',
      '::',
      '::1',
      'fe80::1:2:3:4',
      '2001:db8:0:0:1:0:0:1',
      '::ffff:10.1.2.3',
      '1::',
    ]) {
      expect(parseIpv6(text, w), text).toBe(true);
      const v = addressToBigInt(text)!.value;
      const got = (BigInt(w[0]!) << 96n) | (BigInt(w[1]!) << 64n) | (BigInt(w[2]!) << 32n) | BigInt(w[3]!);
      expect(got, text).toBe(v);
    }
    for (const bad of ['2001:db8::1::2', '12345::', ':1', '1:2:3:4:5:6:7:8:9', 'g::1', '1:2:3:4:5:6:7:']) {
      expect(parseIpv6(bad, w), bad).toBe(false);
    }
  });

  it('looks up well over a million addresses a second', () => {
    const t = new PrefixTrie();
    for (let i = 0; i < 5000; i++) t.add(`10.${i >> 8}.${i & 255}.0/24`, i);
    const addrs = Array.from({ length: 100_000 }, (_, i) => `10.${(i >> 8) & 15}.${i & 255}.${i % 250}`);
    let hits = 0;
    const started = process.hrtime.bigint();
    for (let r = 0; r < 10; r++) for (const a of addrs) if (t.lookupText(a) >= 0) hits++;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    expect(hits).toBe(1_000_000);
    // Reported, not asserted (no timing thresholds in unit tests).
    console.log(`prefix lookups (text, IPv4): ${Math.round(1_000_000 / seconds)}/s`);
  });
});
