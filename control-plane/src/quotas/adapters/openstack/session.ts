import { z } from 'zod';
import { CloudError, type CloudErrorKind } from '../../types.js';
import { SERVICE_NAMES, type QuotaService } from './mapping.js';

/**
 * A Keystone v3 session with an application credential: the token (cached, renewed before it
 * expires and once on a 401), the service catalog, and JSON requests to the services with a timeout,
 * every failure a `CloudError` carrying the service's own message and never the secret or the token.
 * Plain `fetch`, no SDK.
 */

export type Service = QuotaService | 'identity';
export type EndpointInterface = 'public' | 'internal' | 'admin';

export interface SessionOptions {
  /** Keystone v3 base URL (`…/v3`). */
  authUrl: string;
  credentialId: string;
  credentialSecret: string;
  region: string | null;
  interface: EndpointInterface;
  timeoutMs: number;
  /** Clock (milliseconds), for tests. */
  now?: () => number;
  fetch?: typeof fetch;
}

const CatalogEntry = z.object({
  type: z.string(),
  name: z.string().optional(),
  endpoints: z.array(
    z.object({
      interface: z.string(),
      url: z.string().url(),
      region_id: z.string().nullish(),
      region: z.string().nullish(),
    }),
  ),
});
const TokenAnswer = z.object({
  token: z.object({
    expires_at: z.string(),
    issued_at: z.string().optional(),
    project: z.object({ id: z.string() }).optional(),
    catalog: z.array(CatalogEntry).default([]),
  }),
});

interface Token {
  value: string;
  expiresAt: number;
  /** Renew at or after this time. */
  renewAt: number;
  catalog: z.infer<typeof CatalogEntry>[];
  projectId: string | undefined;
}

/** The catalog types of each service, preferred first (service-types-authority names and aliases). */
const CATALOG_TYPES: Record<Service, string[]> = {
  identity: ['identity'],
  compute: ['compute'],
  volume: ['block-storage', 'volumev3', 'volume'],
  network: ['network'],
};

/** Renew this long before expiry: a tenth of the token's life, between 30 s and 5 min. */
export function renewMargin(lifetimeMs: number): number {
  return Math.min(300_000, Math.max(30_000, lifetimeMs / 10));
}

/** The CloudError kind of an HTTP status. */
export function kindOfStatus(status: number): CloudErrorKind {
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 408 || status === 504) return 'timeout';
  if (status >= 400 && status < 500) return 'rejected';
  return 'unreachable';
}

/**
 * The message an OpenStack service puts in an error body: Keystone's and keystonemiddleware's
 * `{"error":{"message"}}`, Nova's and Cinder's `{"<fault>":{"code","message"}}`, Neutron's
 * `{"NeutronError":{"message"}}`; else the start of the text.
 */
export function serviceMessage(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const b = body as Record<string, unknown>;
    for (const v of [b.error, b.NeutronError, ...Object.values(b)]) {
      if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') {
        return oneLine((v as { message: string }).message);
      }
    }
    if (typeof b.message === 'string') return oneLine(b.message);
  }
  return oneLine(text.replace(/<[^>]*>/g, ' ')) || '(no message)';
}

const oneLine = (s: string) => s.replace(/\s+/g, ' ').trim().slice(0, 300);

export class KeystoneSession {
  private token: Token | undefined;
  private pending: Promise<Token> | undefined;
  private readonly now: () => number;
  private readonly fetchFn: typeof fetch;
  readonly authUrl: string;

  constructor(private readonly o: SessionOptions) {
    this.now = o.now ?? Date.now;
    this.fetchFn = o.fetch ?? fetch;
    const url = o.authUrl.replace(/\/+$/, '');
    this.authUrl = /\/v3$/.test(url) ? url : `${url}/v3`;
  }

  /** Forgets the token (the next request authenticates again). */
  reset(): void {
    this.token = undefined;
  }

  /** The project the credential is scoped to (Cinder's URLs carry it). */
  async projectId(): Promise<string | undefined> {
    return (await this.currentToken()).projectId;
  }

  /** Whether the catalog lists the service (for the interface and region). */
  async has(service: Service): Promise<boolean> {
    return this.endpointOf(await this.currentToken(), service) !== undefined;
  }

  /** The service's endpoint from the catalog, or a `not-found` error naming what is missing. */
  async endpoint(service: Service): Promise<string> {
    const t = await this.currentToken();
    const url = this.endpointOf(t, service);
    if (url === undefined) {
      throw new CloudError(
        'not-found',
        `the service catalog has no ${SERVICE_NAMES[service]} endpoint (type ${CATALOG_TYPES[service].join(' or ')}, interface ${this.o.interface}${this.o.region ? `, region ${this.o.region}` : ''})`,
      );
    }
    return url;
  }

  private endpointOf(t: Token, service: Service): string | undefined {
    for (const type of CATALOG_TYPES[service]) {
      for (const entry of t.catalog.filter((e) => e.type === type)) {
        const ep = entry.endpoints.find(
          (e) =>
            e.interface === this.o.interface &&
            (this.o.region === null || e.region_id === this.o.region || e.region === this.o.region),
        );
        // Neutron's endpoint is its root; some catalogs list it with the version (`…/v2.0`).
        if (!ep) continue;
        const url = ep.url.replace(/\/+$/, '');
        return service === 'network' ? url.replace(/\/v2\.0$/, '') : url;
      }
    }
    return undefined;
  }

  private async currentToken(): Promise<Token> {
    const t = this.token;
    if (t && this.now() < t.renewAt) return t;
    this.pending ??= this.authenticate().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async authenticate(): Promise<Token> {
    const started = this.now();
    const res = await this.send('identity', 'POST', `${this.authUrl}/auth/tokens`, undefined, {
      auth: {
        identity: {
          methods: ['application_credential'],
          application_credential: { id: this.o.credentialId, secret: this.o.credentialSecret },
        },
      },
    });
    if (res.status !== 201 && res.status !== 200) {
      const text = await res.text().catch(() => '');
      const message = this.scrub(serviceMessage(text));
      throw new CloudError(
        kindOfStatus(res.status),
        res.status === 401
          ? `Keystone refused the application credential ${this.o.credentialId} (401): ${message}`
          : `Keystone answered ${res.status} to the token request: ${message}`,
        res.status,
      );
    }
    const value = res.headers.get('x-subject-token');
    const parsed = TokenAnswer.safeParse(await this.json('identity', res));
    if (!value || !parsed.success) {
      throw new CloudError(
        'invalid-answer',
        `Keystone's token answer is not a Keystone v3 token (${value ? describe(parsed.error) : 'no X-Subject-Token header'})`,
        res.status,
      );
    }
    const expiresAt = Date.parse(parsed.data.token.expires_at);
    if (!Number.isFinite(expiresAt)) {
      throw new CloudError('invalid-answer', `Keystone's token has no valid expires_at`, res.status);
    }
    const issuedAt = parsed.data.token.issued_at ? Date.parse(parsed.data.token.issued_at) : NaN;
    // The lifetime by Keystone's own clock; the expiry on ours (the two clocks may differ).
    const lifetime = Math.max(0, expiresAt - (Number.isFinite(issuedAt) ? issuedAt : started));
    const localExpiry = started + lifetime;
    const token: Token = {
      value,
      expiresAt: localExpiry,
      renewAt: localExpiry - renewMargin(lifetime),
      catalog: parsed.data.token.catalog,
      projectId: parsed.data.token.project?.id,
    };
    this.token = token;
    return token;
  }

  /**
   * A JSON request to a service; `path` is appended to its catalog endpoint (or is a full URL).
   * Answers the parsed body (undefined when empty); a 401 renews the token and tries once more.
   */
  async request(
    service: Service,
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.currentToken();
      const base = service === 'identity' ? this.authUrl : await this.endpoint(service);
      const url = /^https?:\/\//.test(path) ? path : `${base}${path}`;
      const res = await this.send(service, method, url, token.value, body);
      if (res.status === 401 && attempt === 0) {
        await res.body?.cancel().catch(() => undefined);
        if (this.token === token) this.token = undefined;
        continue;
      }
      if (res.status < 200 || res.status >= 300) {
        const text = await res.text().catch(() => '');
        throw new CloudError(
          kindOfStatus(res.status),
          `${SERVICE_NAMES[service]} answered ${res.status} to ${method} ${displayPath(url)}: ${this.scrub(serviceMessage(text))}`,
          res.status,
        );
      }
      return this.json(service, res);
    }
  }

  private async send(
    service: Service,
    method: string,
    url: string,
    token: string | undefined,
    body: unknown,
  ): Promise<Response> {
    try {
      return await this.fetchFn(url, {
        method,
        redirect: 'manual',
        headers: {
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { 'x-auth-token': token } : {}),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (err) {
      const name = err instanceof Error ? err.name : '';
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new CloudError(
          'timeout',
          `${SERVICE_NAMES[service]} did not answer ${method} ${displayPath(url)} within ${this.o.timeoutMs / 1000} s`,
        );
      }
      const cause = err instanceof Error && err.cause instanceof Error ? err.cause : undefined;
      const code = (cause as { code?: unknown } | undefined)?.code;
      const why =
        typeof code === 'string'
          ? code
          : (cause?.message ?? (err instanceof Error ? err.message : String(err)));
      throw new CloudError(
        'unreachable',
        `${SERVICE_NAMES[service]} at ${originOf(url)} is unreachable: ${this.scrub(oneLine(why))}`,
      );
    }
  }

  private async json(service: Service, res: Response): Promise<unknown> {
    const text = await res.text().catch((err: unknown) => {
      throw new CloudError(
        'unreachable',
        `${SERVICE_NAMES[service]}'s answer broke off: ${err instanceof Error ? err.message : String(err)}`,
      );
    });
    if (!text.trim()) return undefined;
    try {
      return JSON.parse(text);
    } catch {
      const type = res.headers.get('content-type') ?? 'no content type';
      throw new CloudError(
        'invalid-answer',
        `${SERVICE_NAMES[service]} answered ${res.status} with something that is not JSON (${type}): ${this.scrub(oneLine(text).slice(0, 80))}`,
        res.status,
      );
    }
  }

  /** Never let the secret or the token reach a message. */
  private scrub(s: string): string {
    let out = s;
    for (const secret of [this.o.credentialSecret, this.token?.value]) {
      if (secret && secret.length >= 4) out = out.split(secret).join('***');
    }
    return out;
  }
}

/** A URL's path without its query, for messages. */
function displayPath(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/** zod's first issue in a line: where and what. */
export function describe(error: z.ZodError | undefined): string {
  const issue = error?.issues[0];
  if (!issue) return 'unexpected shape';
  return `${issue.path.join('.') || '(top)'}: ${issue.message}`;
}
