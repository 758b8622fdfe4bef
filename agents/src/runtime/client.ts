import http from 'node:http';
import https from 'node:https';
import { gzipSync, gunzipSync } from 'node:zlib';
import { agentAuthorization, ErrorBody } from '@tianshu/protocol';

/** Bodies larger than this many bytes are sent gzip-compressed. */
export const gzipThresholdBytes = 1024;

/** Options of an {@link HttpClient}. */
export interface HttpClientOptions {
  /** Base URL of the control plane, e.g. `https://tianshu.example:8443`. */
  baseUrl: string;
  /** PEM text of the CA certificate(s) the server certificate must chain to. */
  ca?: string | Buffer;
  /** Agent identity for `Authorization: Bearer <agentId>.<credential>`; absent before enrolment. */
  agentId?: string;
  credential?: string;
  /** Per-request timeout covering connect, upload and download. */
  timeoutMillis?: number;
  userAgent?: string;
}

/** An HTTP answer, whatever its status. */
export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Decoded body text. */
  text: string;
}

/** The request never produced an HTTP answer: refused connection, DNS, TLS or timeout. */
export class NetworkError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NetworkError';
    this.code = code;
  }
}

/** The server answered with a status that is not 2xx. */
export class HttpStatusError extends Error {
  readonly status: number;
  readonly code: string | undefined;
  /** Milliseconds the server asked us to wait (Retry-After), if it said. */
  readonly retryAfterMillis: number | undefined;
  constructor(status: number, message: string, code?: string, retryAfterMillis?: number) {
    super(message);
    this.name = 'HttpStatusError';
    this.status = status;
    this.code = code;
    this.retryAfterMillis = retryAfterMillis;
  }
}

/** Parses a Retry-After header (seconds or an HTTP date) into milliseconds from `now`. */
export function parseRetryAfter(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v.trim()) * 1000);
  const date = Date.parse(v);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** Builds the error for a non-2xx answer, taking the message from the protocol's error body. */
export function statusError(res: HttpResponse): HttpStatusError {
  let message = `server answered ${res.status}`;
  let code: string | undefined;
  try {
    const parsed = ErrorBody.safeParse(JSON.parse(res.text));
    if (parsed.success) {
      message = parsed.data.error.message;
      code = parsed.data.error.code;
    }
  } catch {
    // Not JSON; keep the generic message.
  }
  return new HttpStatusError(res.status, message, code, parseRetryAfter(res.headers['retry-after']));
}

/**
 * A small JSON client over node:http/https with a keep-alive agent. The server certificate is always
 * verified, against the configured CA when one is given. JSON bodies above 1 KiB are gzipped.
 */
export class HttpClient {
  readonly baseUrl: URL;
  readonly #agent: http.Agent;
  readonly #secure: boolean;
  readonly #timeoutMillis: number;
  readonly #headers: Record<string, string>;

  constructor(options: HttpClientOptions) {
    let url: URL;
    try {
      url = new URL(options.baseUrl);
    } catch {
      throw new Error(`http client option "baseUrl" is not a valid url: ${options.baseUrl}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`http client option "baseUrl" must use http or https, got ${url.protocol}`);
    }
    this.baseUrl = url;
    this.#secure = url.protocol === 'https:';
    this.#timeoutMillis = options.timeoutMillis ?? 15_000;
    this.#agent = this.#secure
      ? new https.Agent({
          keepAlive: true,
          maxSockets: 4,
          // Verification stays on; a configured CA replaces the system trust store.
          rejectUnauthorized: true,
          ...(options.ca !== undefined ? { ca: options.ca } : {}),
        })
      : new http.Agent({ keepAlive: true, maxSockets: 4 });
    this.#headers = {
      accept: 'application/json',
      'accept-encoding': 'gzip',
      'user-agent': options.userAgent ?? 'tianshu-agent',
    };
    if (options.agentId && options.credential) {
      this.#headers.authorization = agentAuthorization(options.agentId, options.credential);
    }
  }

  /** Sends a request and returns the answer whatever its status; throws {@link NetworkError} only. */
  request(
    method: string,
    path: string,
    body?: unknown,
    options: { timeoutMillis?: number; signal?: AbortSignal } = {},
  ): Promise<HttpResponse> {
    // The base URL may carry a path prefix (behind a reverse proxy); protocol paths go beneath it.
    const url = new URL(this.baseUrl.pathname.replace(/\/$/, '') + path, this.baseUrl);
    const headers: Record<string, string | number> = { ...this.#headers };
    let payload: Buffer | undefined;
    if (body !== undefined) {
      payload = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body), 'utf8');
      headers['content-type'] = 'application/json';
      if (payload.length > gzipThresholdBytes) {
        payload = gzipSync(payload);
        headers['content-encoding'] = 'gzip';
      }
      headers['content-length'] = payload.length;
    }
    const timeoutMillis = options.timeoutMillis ?? this.#timeoutMillis;
    const mod = this.#secure ? https : http;
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        const e = err as NodeJS.ErrnoException;
        reject(
          err instanceof NetworkError ? err : new NetworkError(describe(e, url), e.code, { cause: err }),
        );
      };
      const req = mod.request(url, { method, headers, agent: this.#agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('end', () => {
          if (settled) return;
          let raw = Buffer.concat(chunks);
          try {
            if (res.headers['content-encoding'] === 'gzip' && raw.length > 0) raw = gunzipSync(raw);
          } catch (err) {
            fail(err);
            return;
          }
          settled = true;
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text: raw.toString('utf8') });
        });
      });
      const timer = setTimeout(() => {
        const err = new NetworkError(
          `request to ${url.origin} timed out after ${timeoutMillis} ms`,
          'ETIMEDOUT',
        );
        fail(err);
        req.destroy(err);
      }, timeoutMillis);
      timer.unref();
      const onAbort = (): void => {
        const err = new NetworkError(`request to ${url.origin} aborted`, 'ABORT_ERR');
        fail(err);
        req.destroy(err);
      };
      if (options.signal?.aborted) {
        onAbort();
        return;
      }
      options.signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', fail);
      req.end(payload);
    });
  }

  /** Sends a request and parses a 2xx JSON answer; any other status throws {@link HttpStatusError}. */
  async json(
    method: string,
    path: string,
    body?: unknown,
    options: { timeoutMillis?: number; signal?: AbortSignal } = {},
  ): Promise<unknown> {
    const res = await this.request(method, path, body, options);
    if (res.status < 200 || res.status > 299) throw statusError(res);
    try {
      return res.text === '' ? undefined : (JSON.parse(res.text) as unknown);
    } catch {
      throw new HttpStatusError(res.status, `server answered ${res.status} with a body that is not json`);
    }
  }

  /** Closes idle keep-alive sockets. */
  close(): void {
    this.#agent.destroy();
  }
}

function describe(err: NodeJS.ErrnoException, url: URL): string {
  const where = url.origin;
  switch (err.code) {
    case 'ECONNREFUSED':
      return `cannot reach server at ${where}: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve server host ${url.hostname}`;
    case 'ECONNRESET':
      return `connection to ${where} was reset`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `cannot reach server at ${where}: network unreachable`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `server certificate of ${where} is not trusted: ${err.message}`;
    default:
      return `request to ${where} failed: ${err.message}`;
  }
}
