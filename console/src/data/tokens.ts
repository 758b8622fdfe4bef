import { apiFetch } from './api.js';

/** One of the signed-in user's API tokens, as listed: never its secret. */
export interface ApiToken {
  id: string;
  name: string;
  /** The first characters of the secret, to recognise it. */
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** The answer to a creation: the record and the secret, which the server shows this once. */
export interface CreatedApiToken extends ApiToken {
  token: string;
}

export interface ApiTokenInput {
  name: string;
  /** Without it the token does not expire. */
  expiresInDays?: number;
}

export interface ApiTokenList {
  items: ApiToken[];
}

export const fetchApiTokens = (signal?: AbortSignal): Promise<ApiTokenList> =>
  apiFetch<ApiTokenList>('/api/v1/auth/tokens', { signal });

export const createApiToken = (input: ApiTokenInput): Promise<CreatedApiToken> =>
  apiFetch<CreatedApiToken>('/api/v1/auth/tokens', { method: 'POST', body: input });

export const revokeApiToken = (id: string): Promise<void> =>
  apiFetch<void>(`/api/v1/auth/tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });

export type ApiTokenState = 'active' | 'expired' | 'revoked';

/** Whether a token still authenticates: revoked wins, then a past expiry; no expiry never expires. */
export function apiTokenState(
  token: Pick<ApiToken, 'revokedAt' | 'expiresAt'>,
  now: number = Date.now(),
): ApiTokenState {
  if (token.revokedAt) return 'revoked';
  if (token.expiresAt !== null) {
    const expires = Date.parse(token.expiresAt);
    if (Number.isNaN(expires) || expires <= now) return 'expired';
  }
  return 'active';
}

/** How to try the token on `/metrics` from a shell, and a Prometheus scrape job that uses it. */
export function metricsExamples(origin: string, token: string): { curl: string; prometheus: string } {
  const url = new URL(origin);
  const quotedHeader = `'authorization: Bearer ${token.replace(/'/g, `'\\''`)}'`;
  const quotedUrl = `'${new URL('/metrics', url).href.replace(/'/g, `'\\''`)}'`;
  const prometheus = [
    'scrape_configs:',
    '  - job_name: tianshu',
    `    scheme: ${url.protocol.replace(':', '')}`,
    '    metrics_path: /metrics',
    '    authorization:',
    '      type: Bearer',
    `      credentials: ${JSON.stringify(token)}`,
    '    static_configs:',
    `      - targets: [${JSON.stringify(url.host)}]`,
  ].join('\n');
  return { curl: `curl -H ${quotedHeader} ${quotedUrl}`, prometheus };
}
