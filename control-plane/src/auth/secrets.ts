import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** A random secret with a readable prefix, e.g. `tsk_…` for API tokens, `tse_…` for enrolment tokens. */
export function newSecret(prefix: string, bytes = 32): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

/**
 * High-entropy secrets (session ids, tokens, agent credentials) are stored as SHA-256 hashes: they
 * cannot be guessed, so a slow hash adds nothing, and lookups stay one indexed query.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export function secretMatches(secret: string, storedHash: string): boolean {
  const a = Buffer.from(hashSecret(secret), 'hex');
  const b = Buffer.from(storedHash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A short, non-secret display prefix of a token ("tsk_AbCd…"). */
export function displayPrefix(secret: string): string {
  return secret.slice(0, 8);
}

/** A readable random password for the first admin (about 120 bits). */
export function generatePassword(): string {
  return randomBytes(15).toString('base64url').replace(/[-_]/g, 'x') + '-Ts9';
}
