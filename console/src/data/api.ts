/**
 * The one place where the console talks HTTP to the control plane. Elements call the thin functions in
 * the other `data/*.ts` modules, which call `apiFetch`.
 */
import { errorText } from './error-text.js';

/** One field-level problem reported by the server, e.g. a failed validation. */
export interface ApiErrorDetail {
  path: string;
  message: string;
  /** The problem's own error code, when the server gave it one. */
  code?: string;
  /** Values for the translated text, e.g. `{field: 'id'}` or `{limit: 1048576}`. */
  params?: Record<string, string | number>;
}

/**
 * An error answer of the API, or a failure to reach it (status 0). `code` is the server's stable code
 * (`control-plane/src/error-codes.ts`), which `errorText()` turns into the user's language; `message`
 * is the server's English.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly requestId: string | undefined;
  readonly details: ApiErrorDetail[];

  constructor(
    status: number,
    code: string,
    message: string,
    requestId?: string,
    details: ApiErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.requestId = requestId;
    this.details = details;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Registry codes used when the server did not send a usable error body (a proxy's page, no answer). */
function fallbackCode(status: number): string {
  switch (status) {
    case 0:
      return 'network.unreachable';
    case 400:
      return 'input.invalid';
    case 401:
      return 'auth.unauthenticated';
    case 403:
      return 'permission.denied';
    case 404:
      return 'route.not_found';
    case 405:
      return 'route.method_not_allowed';
    case 409:
      return 'conflict.state';
    case 413:
      return 'payload.too_large';
    case 429:
      return 'rate.limited';
    case 502:
    case 503:
    case 504:
      return 'service.unavailable';
    default:
      return status >= 500 ? 'internal' : 'request.rejected';
  }
}

function fallbackMessage(status: number, statusText: string): string {
  if (status === 0) return 'The control plane could not be reached.';
  if (status === 429) return 'Too many requests. Wait a moment and try again.';
  if (status >= 500) return `The control plane failed to answer (HTTP ${status}).`;
  return statusText ? `${statusText} (HTTP ${status}).` : `Request failed (HTTP ${status}).`;
}

/**
 * Turns an error answer into an `ApiError`. The body is `{error:{code, message, requestId?, details?}}`
 * when the control plane produced it; anything else (a proxy's HTML page, an empty body) still gives a
 * readable message.
 */
export function parseApiError(status: number, bodyText: string, statusText = ''): ApiError {
  let parsed: unknown;
  try {
    parsed = bodyText ? JSON.parse(bodyText) : undefined;
  } catch {
    parsed = undefined;
  }
  const error = isRecord(parsed) ? parsed['error'] : undefined;
  if (isRecord(error)) {
    const code = typeof error['code'] === 'string' && error['code'] ? error['code'] : fallbackCode(status);
    const message =
      typeof error['message'] === 'string' && error['message']
        ? error['message']
        : fallbackMessage(status, statusText);
    const requestId = typeof error['requestId'] === 'string' ? error['requestId'] : undefined;
    const rawDetails = Array.isArray(error['details']) ? error['details'] : [];
    const details = rawDetails.filter(isRecord).flatMap((d): ApiErrorDetail[] => {
      if (typeof d['path'] !== 'string' || typeof d['message'] !== 'string') return [];
      const detail: ApiErrorDetail = { path: d['path'], message: d['message'] };
      if (typeof d['code'] === 'string') detail.code = d['code'];
      const params = isRecord(d['params'])
        ? Object.entries(d['params']).filter(
            (e): e is [string, string | number] => typeof e[1] === 'string' || typeof e[1] === 'number',
          )
        : [];
      if (params.length) detail.params = Object.fromEntries(params);
      return [detail];
    });
    return new ApiError(status, code, message, requestId, details);
  }
  return new ApiError(status, fallbackCode(status), fallbackMessage(status, statusText));
}

/** A readable one-line message for anything thrown by a data call, in the user's language. */
export function errorMessage(error: unknown): string {
  return errorText(error);
}

let csrfToken: string | null = null;

/** Keeps the CSRF token from login or `me` in memory; it is sent on every non-GET request. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

type UnauthorizedListener = () => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Registers a function to run whenever the API answers 401; returns a function that unregisters it. */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface ApiFetchOptions {
  method?: HttpMethod;
  body?: unknown;
  signal?: AbortSignal;
  /** Whether a 401 should send the user to the login page; false for the login call itself. */
  notifyUnauthorized?: boolean;
}

/** Calls the API with JSON in and out; resolves `undefined` for 204 and rejects with `ApiError`. */
export async function apiFetch<T>(path: string, options: ApiFetchOptions = {}): Promise<T> {
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;

  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: options.signal,
    });
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause;
    throw parseApiError(0, '');
  }

  if (!response.ok) {
    const text = await response.text().catch(() => '');
    const error = parseApiError(response.status, text, response.statusText);
    if (response.status === 401 && options.notifyUnauthorized !== false) {
      csrfToken = null;
      for (const listener of unauthorizedListeners) listener();
    }
    throw error;
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Builds a query string from defined values only, e.g. `?limit=100`. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/**
 * A message for a failed change, in the user's language: the text of the server's code (which names
 * a missing permission, and the fields at fault of a failed validation); for a code this console does
 * not know, the server's own message followed by the field problems it named.
 */
export function actionErrorMessage(error: unknown): string {
  const text = errorText(error);
  if (!(error instanceof ApiError) || text !== error.message) return text;
  const fields = error.details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message));
  return [error.message, ...fields.filter((f) => f !== error.message)].join(' — ');
}
