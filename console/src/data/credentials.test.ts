import { afterEach, describe, expect, it, vi } from 'vitest';
import { credentialSecretsSet, credentialVersionText, fetchCredentials, isForbidden } from './credentials.js';
import type { SnmpCredential } from './credentials.js';

afterEach(() => {
  vi.unstubAllGlobals();
});

const credential: SnmpCredential = {
  id: 'sc-v3',
  orgUnitId: 'sc',
  version: '3',
  user: 'tianshu',
  level: 'authPriv',
  authProtocol: 'sha',
  privProtocol: 'aes',
  secrets: { community: false, authKey: true, privKey: true },
  grants: ['sc-cd', 'sc-my'],
  devices: 4,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};

describe('fetchCredentials', () => {
  it('reads the credentials with their grants', async () => {
    const fetch = vi.fn(async () => new Response(JSON.stringify({ items: [credential] }), { status: 200 }));
    vi.stubGlobal('fetch', fetch);
    expect((await fetchCredentials()).items[0]?.grants).toEqual(['sc-cd', 'sc-my']);
    expect(fetch).toHaveBeenCalledWith(
      '/api/v1/network/credentials',
      expect.objectContaining({ method: 'GET' }),
    );
  });

  it('rejects with a 403 the page hides the panel for', async () => {
    const body = { error: { code: 'permission.denied', message: 'permission "network:write" is required' } };
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify(body), { status: 403 })),
    );
    const error = await fetchCredentials().catch((e: unknown) => e);
    expect(isForbidden(error)).toBe(true);
    expect(isForbidden(new Error('boom'))).toBe(false);
  });
});

describe('credential texts', () => {
  it('says the version as operators do', () => {
    expect(credentialVersionText(credential)).toBe('v3 · tianshu · authPriv');
    expect(credentialVersionText({ version: '2c', user: null, level: null })).toBe('v2c');
    expect(credentialVersionText({ version: '3', user: 'u', level: null })).toBe('v3 · u');
  });

  it('names the secrets that are set', () => {
    expect(credentialSecretsSet(credential)).toEqual(['authKey', 'privKey']);
    expect(credentialSecretsSet({ secrets: { community: true, authKey: false, privKey: false } })).toEqual([
      'community',
    ]);
  });
});
