import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, RateLimitError, StorageFullError, type ErrorDetail } from '../errors.js';
import type { Logger } from '../logger.js';
import type { AppEnv } from './env.js';

/** The one place where errors become HTTP answers. Clients never see stack traces or internals. */
export function errorResponse(c: Context<AppEnv>, err: unknown, log: Logger): Response {
  const requestId = c.get('requestId');
  let status = 500;
  let code = 'internal';
  let message = 'internal error; the request id identifies it in the server log';
  let details: ErrorDetail[] | undefined;
  if (err instanceof DomainError) {
    status = err.status;
    code = err.code;
    message = err.message;
    details = err.details;
    if (err instanceof RateLimitError || err instanceof StorageFullError)
      c.header('Retry-After', String(err.retryAfterSeconds));
  } else if (err instanceof HTTPException) {
    status = err.status;
    code = httpCode(status);
    message = err.message || httpCode(status).replace(/_/g, ' ');
    if (/malformed json/i.test(message)) message = 'request body is not valid JSON';
  } else if (isBodyParseError(err)) {
    status = 400;
    code = 'invalid_input';
    message = 'request body is not valid JSON';
  }
  if (err instanceof DomainError && status >= 500) {
    // An expected failure with its reason (e.g. storage.full); no stack trace.
    log.warn({ code, reason: message, requestId, path: c.req.path }, 'request failed');
  } else if (status >= 500) {
    log.error({ err, requestId, path: c.req.path }, 'request failed');
  }
  return c.json(
    { error: { code, message, requestId, ...(details ? { details } : {}) } },
    status as ContentfulStatusCode,
  );
}

function isBodyParseError(err: unknown): boolean {
  return err instanceof SyntaxError;
}

function httpCode(status: number): string {
  switch (status) {
    case 400:
      return 'invalid_input';
    case 401:
      return 'unauthenticated';
    case 403:
      return 'forbidden';
    case 404:
      return 'not_found';
    case 405:
      return 'method_not_allowed';
    case 409:
      return 'conflict';
    case 413:
      return 'payload_too_large';
    case 415:
      return 'unsupported_media_type';
    case 429:
      return 'rate_limited';
    case 503:
      return 'unavailable';
    default:
      return status >= 500 ? 'internal' : 'error';
  }
}
