import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config.js';
import { DUMMY_HASH, dummyHash, hashPassword, PASSWORD_HASH_COST, verifyPassword } from './password.js';

// The production parameters: the other tests hash at a lower cost (test/support/control-plane.ts),
// so this file is the one that proves what a deployment gets.
describe('password hashing at the production parameters', () => {
  it('is scrypt with N=2^17, r=8, p=1 and a 32-byte key by default, and verifies', async () => {
    const hash = await hashPassword('correct-horse-battery-staple');
    const [alg, n, r, p, salt, key] = hash.split('$');
    expect(alg).toBe('scrypt');
    expect(Number(n)).toBe(131_072);
    expect(Number(r)).toBe(8);
    expect(Number(p)).toBe(1);
    expect(Buffer.from(salt!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(key!, 'base64url')).toHaveLength(32);
    expect(await verifyPassword('correct-horse-battery-staple', hash)).toBe(true);
    expect(await verifyPassword('correct-horse-battery-stapler', hash)).toBe(false);
    // Three 128 MiB scrypt runs: about 2 s on a quiet 2-core machine, over 30 s on a crowded one.
  }, 120_000);

  it('is the configuration default, and the dummy hash costs the same', () => {
    expect(PASSWORD_HASH_COST).toBe(17);
    const config = loadConfig({ env: {} });
    expect(config.auth.passwordHashCost).toBe(17);
    expect(DUMMY_HASH.split('$')[1]).toBe('131072');
  });
});

describe('a configured cost', () => {
  it('hashes at 2^cost, and a stored hash verifies at the cost it was made with', async () => {
    const low = await hashPassword('correct-horse-battery-staple', 10);
    expect(low.split('$')[1]).toBe('1024');
    expect(await verifyPassword('correct-horse-battery-staple', low)).toBe(true);
    expect(await verifyPassword('wrong-horse-battery-staple', low)).toBe(false);
    expect(dummyHash(10).split('$')[1]).toBe('1024');
  });

  it('refuses a cost outside 10–20, in the hash and in the configuration', async () => {
    await expect(hashPassword('correct-horse-battery-staple', 9)).rejects.toThrow(/not 10–20/);
    await expect(hashPassword('correct-horse-battery-staple', 21)).rejects.toThrow(/not 10–20/);
    expect(() => loadConfig({ env: { TIANSHU_AUTH_PASSWORD_HASH_COST: '9' } })).toThrow(/passwordHashCost/);
  });

  it('a malformed stored hash verifies nothing', async () => {
    expect(await verifyPassword('x', 'bcrypt$1$2$3')).toBe(false);
  });
});
