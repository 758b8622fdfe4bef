import { msg } from '@lit/localize';
import { ApiError, apiFetch } from './api.js';

/**
 * An SNMP credential as the network API shows it: never a secret, only whether each one is set.
 * Listing needs the permission `network:write`; other callers are answered 403.
 */
export interface SnmpCredential {
  /** What devices name in `snmp.credentialRef`. */
  id: string;
  /** The owner; its own devices may use the credential. */
  orgUnitId: string;
  version: '2c' | '3';
  user: string | null;
  level: string | null;
  authProtocol: string | null;
  privProtocol: string | null;
  secrets: { community: boolean; authKey: boolean; privKey: boolean };
  /** Org units below the owner whose subtrees' devices may use the credential too. */
  grants: string[];
  /** Devices that refer to the credential. */
  devices: number;
  createdAt: string;
  updatedAt: string;
}

export interface SnmpCredentialList {
  items: SnmpCredential[];
}

export const fetchCredentials = (signal?: AbortSignal): Promise<SnmpCredentialList> =>
  apiFetch<SnmpCredentialList>('/api/v1/network/credentials', { signal });

/** Whether the caller may not see credentials at all (no `network:write`): hide, do not complain. */
export function isForbidden(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403;
}

/** The version as operators say it: `v2c`, or `v3` with the user and security level. */
export function credentialVersionText(c: Pick<SnmpCredential, 'version' | 'user' | 'level'>): string {
  if (c.version === '2c') return 'v2c';
  return ['v3', c.user, c.level].filter((part) => part).join(' · ');
}

export type CredentialSecret = keyof SnmpCredential['secrets'];

/** The names of the secrets that are set, e.g. `community` or `authKey, privKey`. */
export function credentialSecretsSet(c: Pick<SnmpCredential, 'secrets'>): CredentialSecret[] {
  return (['community', 'authKey', 'privKey'] as const).filter((name) => c.secrets[name]);
}

/** A secret of a credential as operators call it: community string, auth key, privacy key. */
export function credentialSecretText(secret: CredentialSecret): string {
  if (secret === 'community') return msg('community string', { id: 'credentials.secret.community' });
  if (secret === 'authKey') return msg('auth key', { id: 'credentials.secret.authKey' });
  return msg('privacy key', { id: 'credentials.secret.privKey' });
}
