import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SecretBox, loadSecretKey, parseSecretKey, unavailableSealer } from './crypto.js';

const dir = mkdtempSync(join(tmpdir(), 'tianshu-secret-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('secret box', () => {
  const box = new SecretBox(Buffer.alloc(32, 7));

  it('opens what it sealed, only for the same record, and never shows the plaintext', () => {
    const sealed = box.seal('tianshu-lab', 'snmp_credentials:a');
    expect(sealed).not.toContain('tianshu-lab');
    expect(box.seal('tianshu-lab', 'snmp_credentials:a')).not.toBe(sealed);
    expect(box.open(sealed, 'snmp_credentials:a')).toBe('tianshu-lab');
    expect(() => box.open(sealed, 'snmp_credentials:b')).toThrow(/cannot be opened/);
    expect(() => new SecretBox(Buffer.alloc(32, 8)).open(sealed, 'snmp_credentials:a')).toThrow(
      /cannot be opened/,
    );
    const [v, iv, tag, data] = sealed.split('.') as [string, string, string, string];
    const flipped = Buffer.from(data, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() =>
      box.open([v, iv, tag, flipped.toString('base64url')].join('.'), 'snmp_credentials:a'),
    ).toThrow();
  });

  it('reads keys as hex or base64 and refuses others', () => {
    expect(parseSecretKey('ab'.repeat(32), 'k')).toHaveLength(32);
    expect(parseSecretKey(Buffer.alloc(32, 1).toString('base64'), 'k')).toHaveLength(32);
    expect(() => parseSecretKey('short', 'secretKey')).toThrow(/secretKey must be a 32-byte key/);
    expect(() => new SecretBox(Buffer.alloc(16))).toThrow(/32-byte key/);
  });

  it('generates the embedded key once with mode 0600, and refuses a server database without a key', () => {
    const first = loadSecretKey({ dataDir: dir });
    const file = join(dir, 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(loadSecretKey({ dataDir: dir }).equals(first)).toBe(true);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.toString('hex'));
    expect(() => loadSecretKey({ dataDir: dir, databaseUrl: 'postgres://x@y/z' })).toThrow(
      /TIANSHU_SECRET_KEY\) is required with a server database/,
    );
    const given = loadSecretKey({
      dataDir: dir,
      databaseUrl: 'postgres://x@y/z',
      secretKey: 'cd'.repeat(32),
    });
    expect(given.toString('hex')).toBe('cd'.repeat(32));
    expect(() => unavailableSealer('no key').seal('x', 'y')).toThrow(
      /SNMP credentials are unavailable: no key/,
    );
  });
});
