/**
 * Domain errors. Services throw these; one handler in `api/errors.ts` maps them to HTTP answers.
 * Messages are shown to clients, so they name the problem and never carry internals.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export class DomainError extends Error {
  readonly status: number = 500;
  readonly code: string = 'internal';
  constructor(
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The request is malformed or fails validation (400). */
export class InputError extends DomainError {
  override readonly status = 400;
  override readonly code = 'invalid_input';
}

/** The caller is not authenticated (401). */
export class AuthenticationError extends DomainError {
  override readonly status = 401;
  override readonly code = 'unauthenticated';
}

/** The password was right but the user's second factor is missing (401 with its own code). */
export class OtpRequiredError extends DomainError {
  override readonly status = 401;
  override readonly code = 'otp_required';
}

/** The caller is authenticated but lacks the permission (403). */
export class NotAllowedError extends DomainError {
  override readonly status = 403;
  override readonly code = 'forbidden';
}

/** The record does not exist or is outside the caller's org units (404). */
export class NotFoundError extends DomainError {
  override readonly status = 404;
  override readonly code = 'not_found';
}

/** The change conflicts with the current state (409). */
export class ConflictError extends DomainError {
  override readonly status = 409;
  override readonly code = 'conflict';
}

/** The body is larger than allowed (413). */
export class PayloadTooLargeError extends DomainError {
  override readonly status = 413;
  override readonly code = 'payload_too_large';
}

/** Too many attempts; retry later (429). */
export class RateLimitError extends DomainError {
  override readonly status = 429;
  override readonly code = 'rate_limited';
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** A quota would be exceeded (409 with its own code). */
export class QuotaExceededError extends DomainError {
  override readonly status = 409;
  override readonly code = 'quota_exceeded';
}

/** A dependency (store, upstream) is not available (503). */
export class UnavailableError extends DomainError {
  override readonly status = 503;
  override readonly code = 'unavailable';
}

/** The two stores; storage failures name the one that failed. */
export type StoreName = 'state' | 'telemetry';

/**
 * A store refused a write because its disk is full (507 Insufficient Storage, or 503 for callers
 * that retry, such as agents pushing reports). The detail names the store and the reason.
 */
export class StorageFullError extends DomainError {
  override readonly code = 'storage.full';
  override readonly status: 503 | 507;
  /** Sent as Retry-After. */
  readonly retryAfterSeconds: number;
  constructor(
    readonly store: StoreName,
    readonly reason: string,
    opts: { status?: 503 | 507; retryAfterSeconds?: number } = {},
  ) {
    super(`the ${store} store is out of storage space (${reason}); writes fail until space is freed`, [
      { path: store, message: reason },
    ]);
    this.status = opts.status ?? 507;
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
  return new ConflictError(`${field}: ${message}`, [{ path: field, message }]);
}

/** Turns zod issues into error details with dotted paths. */
export function zodDetails(issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): ErrorDetail[] {
  return issues.slice(0, 20).map((i) => ({
    path: i.path.length ? i.path.map(String).join('.') : '(root)',
    message: i.message,
  }));
}
