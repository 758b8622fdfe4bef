import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UnavailableError } from '../errors.js';

/** What the credential store needs: seal and open. */
export type Sealer = Pick<SecretBox, 'seal' | 'open'>;

/**
 * Authenticated encryption of secrets kept in the state store (SNMP communities and v3 keys).
 *
 * These secrets must be recoverable, because the control plane hands them to the edge agents that
 * poll the devices, so they cannot be hashed as API tokens and passwords are. They are sealed with
 * AES-256-GCM under a 32-byte key that lives outside the database (config `secretKey`, environment
 * `TIANSHU_SECRET_KEY`, or `<dataDir>/secret.key` in embedded mode): a copy of the database alone
 * reveals nothing. Each value is bound to its record through the additional authenticated data, so
 * a sealed value moved to another row fails to open.
 *
 * Sealed form: `v1.<iv base64url>.<tag base64url>.<ciphertext base64url>`.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error(`secret box requires a 32-byte key, got ${key.length} bytes`);
    this.key = Buffer.from(key);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return ['v1', iv.toString('base64url'), tag.toString('base64url'), data.toString('base64url')].join('.');
  }

  /** Throws when the value was not sealed under this key for this context, or was altered. */
  open(sealed: string, context: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1') throw new Error('sealed secret has an unknown format');
    const [, iv, tag, data] = parts as [string, string, string, string];
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new Error('sealed secret cannot be opened: wrong secret key or altered value');
    }
  }
}

/** Reads a key given as 64 hex digits or as base64 / base64url of 32 bytes. */
export function parseSecretKey(text: string, source: string): Buffer {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === 32) return key;
  }
  throw new Error(
    `${source} must be a 32-byte key as 64 hex digits or base64 (generate one with: openssl rand -hex 32)`,
  );
}

/**
 * The control plane's secret key: `secretKey` when configured; otherwise, in embedded mode (no
 * `databaseUrl`), the key in `<dataDir>/secret.key`, generated once with mode 0600. With a server
 * database and no key this throws: replicas sharing one database must share one key, and a key
 * generated on one machine would make the secrets unreadable on the others.
 */
export function loadSecretKey(config: {
  secretKey?: string | undefined;
  databaseUrl?: string | undefined;
  dataDir: string;
}): Buffer {
  if (config.secretKey) return parseSecretKey(config.secretKey, 'secretKey (TIANSHU_SECRET_KEY)');
  if (config.databaseUrl) {
    throw new Error(
      'secretKey (TIANSHU_SECRET_KEY) is required with a server database (databaseUrl): every replica ' +
        'needs the same key to read the encrypted SNMP credentials; generate one with: openssl rand -hex 32',
    );
  }
  const file = join(config.dataDir, 'secret.key');
  if (existsSync(file)) return parseSecretKey(readFileSync(file, 'utf8'), file);
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(file, randomBytes(32).toString('hex') + '\n', { mode: 0o600, flag: 'wx' });
  chmodSync(file, 0o600);
  return parseSecretKey(readFileSync(file, 'utf8'), file);
}

/**
 * A sealer for a control plane started without a usable key: every use fails with the reason, so
 * the rest of the control plane keeps working while SNMP credentials answer 503 naming the fix.
 */
export function unavailableSealer(reason: string): Sealer {
  const fail = (): never => {
    throw new UnavailableError(`SNMP credentials are unavailable: ${reason}`, { code: 'secret.unavailable' });
  };
  return { seal: fail, open: fail };
}
