import { describe, expect, it } from 'vitest';
import { AllowList, canonicalAddress, parseCidr } from './addresses.js';

describe('AllowList', () => {
  it('accepts IPv4 and IPv6 sources inside the prefixes and nothing else', () => {
    const a = new AllowList(['127.0.0.0/8', '10.20.0.0/16', '192.0.2.7/32', '2001:db8:10::/48', '::1/128']);
    expect(a.allows('127.0.0.1')).toBe(true);
    expect(a.allows('127.255.255.254')).toBe(true);
    expect(a.allows('10.20.99.1')).toBe(true);
    expect(a.allows('10.21.0.1')).toBe(false);
    expect(a.allows('192.0.2.7')).toBe(true);
    expect(a.allows('192.0.2.8')).toBe(false);
    expect(a.allows('2001:db8:10:ffff::1')).toBe(true);
    expect(a.allows('2001:db8:11::1')).toBe(false);
    expect(a.allows('::1')).toBe(true);
    expect(a.allows('::2')).toBe(false);
    // A dual-stack socket reports IPv4 exporters as mapped addresses.
    expect(a.allows('::ffff:127.0.0.1')).toBe(true);
    expect(a.allows('::ffff:8.8.8.8')).toBe(false);
    expect(a.allows('not an address')).toBe(false);
  });

  it('accepts everything with 0.0.0.0/0 and ::/0, nothing when empty', () => {
    expect(new AllowList(['0.0.0.0/0']).allows('203.0.113.9')).toBe(true);
    expect(new AllowList(['0.0.0.0/0']).allows('2001:db8::1')).toBe(false);
    expect(new AllowList(['::/0']).allows('2001:db8::1')).toBe(true);
    expect(new AllowList([]).allows('127.0.0.1')).toBe(false);
  });

  it('rejects bad prefixes with a clear error', () => {
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/prefix length outside 0..32/);
    expect(() => parseCidr('2001:db8::/129')).toThrow(/outside 0..128/);
    expect(() => parseCidr('10.0.0/8')).toThrow(/not an IPv4 or IPv6 prefix/);
  });
});

describe('canonicalAddress', () => {
  it('writes IPv6 as RFC 5952 text and folds mapped IPv4', () => {
    expect(canonicalAddress('2001:DB8:0:0:0:0:0:1')).toBe('2001:db8::1');
    expect(canonicalAddress('2001:db8:0:0:1:0:0:1')).toBe('2001:db8::1:0:0:1');
    expect(canonicalAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(canonicalAddress('::')).toBe('::');
    expect(canonicalAddress('fe80::1%eth0')).toBe('fe80::1');
    expect(canonicalAddress('10.1.2.3')).toBe('10.1.2.3');
    expect(canonicalAddress('10.1.2')).toBeUndefined();
  });
});
