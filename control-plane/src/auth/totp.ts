import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP): HMAC of the count of 30-second
 * steps since the Unix epoch, dynamically truncated to 6 digits. Users use HMAC-SHA1, which every
 * authenticator app supports; SHA-256 and SHA-512 exist for the RFC's test vectors.
 */
export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

export interface TotpOptions {
  stepSeconds?: number;
  digits?: number;
  algorithm?: TotpAlgorithm;
}

const DEFAULTS = { stepSeconds: 30, digits: 6, algorithm: 'sha1' as TotpAlgorithm };

/** RFC 4226 HOTP value of `counter` under `key`, as a zero-padded decimal string. */
export function hotp(key: Buffer, counter: bigint, digits = 6, algorithm: TotpAlgorithm = 'sha1'): string {
  if (digits < 6 || digits > 10) throw new Error(`hotp requires 6 to 10 digits, got ${digits}`);
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(counter);
  const mac = createHmac(algorithm, key).update(msg).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const bin = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(bin % 10 ** digits).padStart(digits, '0');
}

/** The step number of `timeMillis`. */
export function totpStep(timeMillis: number, stepSeconds = DEFAULTS.stepSeconds): bigint {
  return BigInt(Math.floor(timeMillis / 1000 / stepSeconds));
}

/** The TOTP value at `timeMillis`. */
export function totp(key: Buffer, timeMillis: number, opts: TotpOptions = {}): string {
  const o = { ...DEFAULTS, ...opts };
  return hotp(key, totpStep(timeMillis, o.stepSeconds), o.digits, o.algorithm);
}

/**
 * The step at which `code` is valid, within `window` steps either side of `timeMillis` (clock
 * drift), and later than `afterStep` (so a code is accepted once); undefined otherwise.
 */
export function verifyTotp(
  key: Buffer,
  code: string,
  timeMillis: number,
  opts: TotpOptions & { window?: number; afterStep?: bigint | null } = {},
): bigint | undefined {
  const o = { ...DEFAULTS, ...opts };
  if (!/^\d+$/.test(code) || code.length !== o.digits) return undefined;
  const now = totpStep(timeMillis, o.stepSeconds);
  const window = BigInt(opts.window ?? 1);
  let found: bigint | undefined;
  // Every candidate is compared, so the time taken does not depend on which one matches.
  for (let step = now - window; step <= now + window; step++) {
    const expected = Buffer.from(hotp(key, step, o.digits, o.algorithm));
    if (timingSafeEqual(expected, Buffer.from(code)) && found === undefined) found = step;
  }
  if (found === undefined) return undefined;
  if (opts.afterStep !== undefined && opts.afterStep !== null && found <= opts.afterStep) return undefined;
  return found;
}

/** A new 160-bit secret (the length RFC 4226 recommends for HMAC-SHA1). */
export function newTotpSecret(): Buffer {
  return randomBytes(20);
}

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32 without padding, as authenticator apps expect. */
export function base32Encode(buf: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of buf) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

export function base32Decode(text: string): Buffer {
  const clean = text.toUpperCase().replace(/=+$/, '').replace(/\s+/g, '');
  let bits = 0;
  let value = 0;
  const out: number[] = [];
  for (const ch of clean) {
    const i = BASE32.indexOf(ch);
    if (i < 0) throw new Error(`"${ch}" is not a base32 character`);
    value = (value << 5) | i;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The `otpauth://` URI an authenticator app reads (as a QR code or pasted). */
export function otpauthUri(input: { issuer: string; account: string; secret: Buffer }): string {
  const label = encodeURIComponent(`${input.issuer}:${input.account}`);
  const q = new URLSearchParams({
    secret: base32Encode(input.secret),
    issuer: input.issuer,
    algorithm: 'SHA1',
    digits: '6',
    period: '30',
  });
  return `otpauth://totp/${label}?${q.toString()}`;
}
