import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { errorCodes, type ErrorCode } from '../error-codes.js';
import {
  DomainError,
  MethodNotAllowedError,
  RateLimitError,
  StorageFullError,
  type ErrorDetail,
} from '../errors.js';
import type { Logger } from '../logger.js';
import type { AppEnv } from './env.js';

/** The one place where errors become HTTP answers. Clients never see stack traces or internals. */
export function errorResponse(c: Context<AppEnv>, err: unknown, log: Logger): Response {
  const requestId = c.get('requestId');
  let status = 500;
  let code: ErrorCode = 'internal';
  let message = 'internal error; the request id identifies it in the server log';
  let details: ErrorDetail[] | undefined;
  if (err instanceof DomainError) {
    status = err.status;
    code = err.code;
    message = err.message;
    details = err.details;
    if (err instanceof RateLimitError || err instanceof StorageFullError)
      c.header('Retry-After', String(err.retryAfterSeconds));
    if (err instanceof MethodNotAllowedError) c.header('Allow', err.allow.join(', '));
  } else if (err instanceof HTTPException) {
    status = err.status;
    code = httpCode(status);
    message = err.message || errorCodes[code].description;
    if (/malformed json/i.test(message)) {
      code = 'input.json';
      message = 'request body is not valid JSON';
    }
  } else if (isBodyParseError(err)) {
    status = 400;
    code = 'input.json';
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

/** The registry code for a bare HTTP status (Hono's own exceptions). */
export function httpCode(status: number): ErrorCode {
  switch (status) {
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
    case 503:
      return 'service.unavailable';
    case 507:
      return 'storage.full';
    default:
      return status >= 500 ? 'internal' : 'request.rejected';
  }
}
