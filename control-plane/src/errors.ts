/**
 * Domain errors. Services throw these; one handler in `api/errors.ts` maps them to HTTP answers.
 * Messages are shown to clients, so they name the problem and never carry internals. Each class is a
 * family with one HTTP status and a default code; a throw site may name a more specific code of the
 * same status from the registry (`error-codes.ts`), e.g. `new ConflictError(msg, { code: 'prefix.overlaps' })`.
 */
import type { ErrorCode, ErrorCodeWithStatus } from './error-codes.js';

/** Values a client may put into its own (translated) text, e.g. `{field: 'id'}` or `{limit: 1048576}`. */
export type ErrorParams = Record<string, string | number>;

export interface ErrorDetail {
  path: string;
  message: string;
  /** A registry code for this one problem, when it has its own. */
  code?: ErrorCode;
  /** Values for the client's translated text. */
  params?: ErrorParams;
}

export interface ErrorOptions<C extends ErrorCode> {
  /** A specific code of the family (same HTTP status); the family's default otherwise. */
  code?: C;
  details?: ErrorDetail[];
}

type Opts<C extends ErrorCode> = ErrorDetail[] | ErrorOptions<C>;

export class DomainError extends Error {
  readonly status: number;
  readonly code: ErrorCode;
  readonly details?: ErrorDetail[];
  protected constructor(status: number, code: ErrorCode, message: string, opts?: Opts<ErrorCode>) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    const o = Array.isArray(opts) ? { details: opts } : (opts ?? {});
    this.code = o.code ?? code;
    if (o.details) this.details = o.details;
  }

  /** The same error (class, status, code, details) with `prefix` before its message. */
  prefixed(prefix: string): this {
    const copy = Object.assign(Object.create(Object.getPrototypeOf(this) as object) as this, this);
    Object.defineProperty(copy, 'message', { value: `${prefix}${this.message}`, writable: true });
    copy.stack = this.stack;
    return copy;
  }
}

/** The request is malformed or fails validation (400). */
export class InputError extends DomainError {
  constructor(message: string, opts?: Opts<ErrorCodeWithStatus<400>>) {
    super(400, 'input.invalid', message, opts);
  }
}

/** The caller is not authenticated (401). */
export class AuthenticationError extends DomainError {
  constructor(message: string, opts?: Opts<ErrorCodeWithStatus<401>>) {
    super(401, 'auth.unauthenticated', message, opts);
  }
}

/** The password was right but the user's second factor is missing (401 with its own code). */
export class OtpRequiredError extends DomainError {
  constructor(message: string) {
    super(401, 'auth.otp_required', message);
  }
}

/** The caller is authenticated but lacks the permission (403). */
export class NotAllowedError extends DomainError {
  constructor(message: string, opts?: Opts<ErrorCodeWithStatus<403>>) {
    super(403, 'permission.denied', message, opts);
  }
}

/** The record does not exist or is outside the caller's org units (404): both read the same. */
export class NotFoundError extends DomainError {
  constructor(message: string, opts?: Opts<ErrorCodeWithStatus<404>>) {
    super(404, 'scope.not_found', message, opts);
  }
}

/** The path is a route, but not for this HTTP method (405); `allow` lists the methods it takes. */
export class MethodNotAllowedError extends DomainError {
  constructor(
    message: string,
    readonly allow: readonly string[],
  ) {
    super(405, 'route.method_not_allowed', message);
  }
}

/** The change conflicts with the current state (409). */
export class ConflictError extends DomainError {
  constructor(message: string, opts?: Opts<ErrorCodeWithStatus<409>>) {
    super(409, 'conflict.state', message, opts);
  }
}

/** The body is larger than allowed (413); `limit` (bytes) goes to the client as a param. */
export class PayloadTooLargeError extends DomainError {
  constructor(message: string, limit: number) {
    super(413, 'payload.too_large', message, [{ path: '(body)', message, params: { limit } }]);
  }
}

/** Too many attempts; retry later (429). */
export class RateLimitError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    opts?: Opts<ErrorCodeWithStatus<429>>,
  ) {
    super(429, 'rate.limited', message, opts);
  }
}

/** A quota would be exceeded (409 with its own code). */
export class QuotaExceededError extends DomainError {
  constructor(message: string, opts?: ErrorDetail[]) {
    super(409, 'quota.exceeded', message, opts);
  }
}

/** A dependency (store, upstream) is not available (503). */
export class UnavailableError extends DomainError {
  constructor(message: string, opts?: Opts<ErrorCodeWithStatus<503>>) {
    super(503, 'service.unavailable', message, opts);
  }
}

/** The two stores; storage failures name the one that failed. */
export type StoreName = 'state' | 'telemetry';

/**
 * A store refused a write because its disk is full (507 Insufficient Storage, or 503 for callers
 * that retry, such as agents pushing reports). The detail names the store and the reason.
 */
export class StorageFullError extends DomainError {
  override readonly status: 503 | 507;
  /** Sent as Retry-After. */
  readonly retryAfterSeconds: number;
  constructor(
    readonly store: StoreName,
    readonly reason: string,
    opts: { status?: 503 | 507; retryAfterSeconds?: number } = {},
  ) {
    const status = opts.status ?? 507;
    super(
      status,
      'storage.full',
      `the ${store} store is out of storage space (${reason}); writes fail until space is freed`,
      [{ path: store, message: reason, params: { store } }],
    );
    this.status = status;
    this.retryAfterSeconds = opts.retryAfterSeconds ?? 60;
  }

  /** The same failure answered 503 (Service Unavailable) with Retry-After. */
  unavailable(): StorageFullError {
    return new StorageFullError(this.store, this.reason, {
      status: 503,
      retryAfterSeconds: this.retryAfterSeconds,
    });
  }
}

/**
 * The answer to a create whose client-chosen key (an id, a username) is taken. Such keys are unique
 * across the whole province, so the answer is the same whether the record holding it is in the
 * caller's org units or not: it names neither that record nor its owner, only that the key cannot
 * be had. `what` reads `site id "x"`, `username "x"`.
 */
export function notAvailable(field: string, what: string): ConflictError {
  const message = `${what} is not available; it must be unique across the province, choose another`;
  return new ConflictError(`${field}: ${message}`, {
    code: 'conflict.not_available',
    details: [{ path: field, message, code: 'conflict.not_available', params: { field } }],
  });
}

/** Turns zod issues into error details with dotted paths. */
export function zodDetails(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): ErrorDetail[] {
  return issues.slice(0, 20).map((i) => ({
    path: i.path.length ? i.path.map(String).join('.') : '(root)',
    message: i.message,
  }));
}
