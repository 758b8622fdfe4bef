import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  hotp,
  otpauthUri,
  totp,
  verifyTotp,
  type TotpAlgorithm,
} from './totp.js';

// RFC 6238 appendix B: the seeds and the 8-digit values at each time.
const SEEDS: Record<TotpAlgorithm, Buffer> = {
  sha1: Buffer.from('12345678901234567890'),
  sha256: Buffer.from('12345678901234567890123456789012'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};
const VECTORS: [number, string, TotpAlgorithm][] = [
  [59, '94287082', 'sha1'],
  [59, '46119246', 'sha256'],
  [59, '90693936', 'sha512'],
  [1111111109, '07081804', 'sha1'],
  [1111111109, '68084774', 'sha256'],
  [1111111109, '25091201', 'sha512'],
  [1111111111, '14050471', 'sha1'],
  [1111111111, '67062674', 'sha256'],
  [1111111111, '99943326', 'sha512'],
  [1234567890, '89005924', 'sha1'],
  [1234567890, '91819424', 'sha256'],
  [1234567890, '93441116', 'sha512'],
  [2000000000, '69279037', 'sha1'],
  [2000000000, '90698825', 'sha256'],
  [2000000000, '38618901', 'sha512'],
  [20000000000, '65353130', 'sha1'],
  [20000000000, '77737706', 'sha256'],
  [20000000000, '47863826', 'sha512'],
];

describe('TOTP (RFC 6238)', () => {
  it.each(VECTORS)('at %i s gives %s with %s', (seconds, expected, algorithm) => {
    expect(totp(SEEDS[algorithm], seconds * 1000, { digits: 8, algorithm })).toBe(expected);
  });

  it('matches the RFC 4226 HOTP values', () => {
    const values = [
      '755224',
      '287082',
      '359152',
      '969429',
      '338314',
      '254676',
      '287922',
      '162583',
      '399871',
      '520489',
    ];
    values.forEach((v, i) => expect(hotp(SEEDS.sha1, BigInt(i))).toBe(v));
  });

  it('accepts a code one step either side, once, and refuses others', () => {
    const key = SEEDS.sha1;
    const now = 1_700_000_000_000;
    const code = totp(key, now);
    const step = verifyTotp(key, code, now + 30_000);
    expect(step).toBe(BigInt(Math.floor(now / 30_000)));
    expect(verifyTotp(key, code, now + 90_000)).toBeUndefined();
    expect(verifyTotp(key, code, now, { afterStep: step! })).toBeUndefined();
    expect(verifyTotp(key, '12345', now)).toBeUndefined();
    expect(verifyTotp(key, 'abcdef', now)).toBeUndefined();
  });

  it('round-trips base32 and writes an otpauth URI', () => {
    expect(base32Encode(Buffer.from('12345678901234567890'))).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
    expect(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ').toString()).toBe('12345678901234567890');
    const uri = otpauthUri({ issuer: 'Tianshu', account: 'admin', secret: SEEDS.sha1 });
    expect(uri).toBe(
      'otpauth://totp/Tianshu%3Aadmin?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Tianshu&algorithm=SHA1&digits=6&period=30',
    );
  });
});
