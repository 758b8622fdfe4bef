import { describe, expect, it } from 'vitest';
import { cidrContains, compareCidr, parseCidr } from './cidr.js';

const cidr = (text: string) => {
  const parsed = parseCidr(text);
  if (!parsed) throw new Error(`not a prefix: ${text}`);
  return parsed;
};

describe('parseCidr', () => {
  it('reads IPv4 prefixes and clears host bits', () => {
    expect(parseCidr('127.0.16.0/20')).toEqual({ family: 4, network: 0x7f001000n, length: 20, bits: 32 });
    expect(parseCidr('10.1.2.3/8')?.network).toBe(0x0a000000n);
    expect(parseCidr('0.0.0.0/0')).toEqual({ family: 4, network: 0n, length: 0, bits: 32 });
    expect(parseCidr('192.0.2.7')?.length).toBe(32);
  });

  it('reads IPv6 prefixes, with :: and an embedded IPv4 address', () => {
    expect(parseCidr('2001:db8::/32')).toEqual({
      family: 6,
      network: 0x20010db8n << 96n,
      length: 32,
      bits: 128,
    });
    expect(parseCidr('::/0')?.network).toBe(0n);
    expect(parseCidr('::1/128')?.network).toBe(1n);
    expect(parseCidr('::ffff:192.0.2.1/128')?.network).toBe(0xffffc0000201n);
    expect(parseCidr('2001:0db8:0:0:0:0:0:1/64')?.network).toBe(0x20010db8n << 96n);
  });

  it('refuses what is not a prefix', () => {
    for (const bad of ['', '10.0.0/8', '10.0.0.256/8', '10.0.0.0/33', '10.0.0.0/-1', '10.0.0.0/8/1']) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
    for (const bad of ['2001:db8:::/32', '1::2::3/64', '1:2:3:4:5:6:7:8:9/64', 'fe80::g/10', '::/129']) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
  });
});

describe('cidrContains', () => {
  it('tells nesting, equality and different families apart', () => {
    expect(cidrContains(cidr('10.0.0.0/8'), cidr('10.20.0.0/16'))).toBe(true);
    expect(cidrContains(cidr('10.20.0.0/16'), cidr('10.0.0.0/8'))).toBe(false);
    expect(cidrContains(cidr('10.0.0.0/8'), cidr('11.0.0.0/16'))).toBe(false);
    expect(cidrContains(cidr('10.0.0.0/8'), cidr('10.0.0.0/8'))).toBe(true);
    expect(cidrContains(cidr('10.0.0.0/8'), cidr('10.0.0.0/8'), true)).toBe(false);
    expect(cidrContains(cidr('0.0.0.0/0'), cidr('2001:db8::/32'))).toBe(false);
    expect(cidrContains(cidr('2001:db8::/32'), cidr('2001:db8:10::/48'))).toBe(true);
  });
});

describe('compareCidr', () => {
  it('orders numerically, not as text, and a container before what it holds', () => {
    const sorted = ['10.10.0.0/16', '10.9.0.0/16', '10.0.0.0/8', '2001:db8::/32', '9.0.0.0/8'].map(cidr);
    sorted.sort(compareCidr);
    expect(sorted.map((c) => `${c.network}/${c.length}`)).toEqual(
      ['9.0.0.0/8', '10.0.0.0/8', '10.9.0.0/16', '10.10.0.0/16', '2001:db8::/32']
        .map(cidr)
        .map((c) => `${c.network}/${c.length}`),
    );
  });
});
