import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

// OWASP's scrypt guidance: N=2^17, r=8, p=1 (128 MiB). maxmem must exceed 128*N*r.
/** The production cost, log2 N (the default of `auth.passwordHashCost`). */
export const PASSWORD_HASH_COST = 17;
const R = 8;
const P = 1;
const KEYLEN = 32;
const MAXMEM = 256 * 1024 * 1024;

/**
 * Hashes a password with scrypt and a random salt: `scrypt$N$r$p$salt$hash` (base64url), with
 * N = 2^cost (the production cost unless a test configures a lower one).
 */
export async function hashPassword(password: string, cost = PASSWORD_HASH_COST): Promise<string> {
  if (!Number.isInteger(cost) || cost < 10 || cost > 20) throw new Error(`scrypt cost ${cost} is not 10–20`);
  const N = 2 ** cost;
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, KEYLEN, { N, r: R, p: P, maxmem: MAXMEM });
  return ['scrypt', N, R, P, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** Verifies in constant time; a malformed stored hash verifies nothing. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [, n, r, p, saltB64, keyB64] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(keyB64, 'base64url');
  const key = await scrypt(password, Buffer.from(saltB64, 'base64url'), expected.length, {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    maxmem: MAXMEM,
  });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/**
 * A dummy hash at the configured cost, used to spend the same time when the user does not exist.
 */
export function dummyHash(cost = PASSWORD_HASH_COST): string {
  return `scrypt$${2 ** cost}$${R}$${P}$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA`;
}

/** The dummy hash at the production cost. */
export const DUMMY_HASH = dummyHash();

/** Password rules: long enough, not only one character class repeated. */
export function passwordProblem(password: string): string | undefined {
  if (password.length < 12) return 'password must have at least 12 characters';
  if (password.length > 256) return 'password must have at most 256 characters';
  if (new Set(password).size < 5) return 'password must use at least 5 different characters';
  return undefined;
}
