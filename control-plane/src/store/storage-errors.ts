/**
 * Recognising "the disk is full" in the failures of both stores and both engines of each:
 *
 * - PostgreSQL server and PGlite: SQLSTATE 53100 `disk_full` (PostgreSQL maps ENOSPC to it, e.g.
 *   `could not extend file "base/5/16385": No space left on device`);
 * - ClickHouse server (over HTTP) and chDB: code 243 `NOT_ENOUGH_SPACE` (`Cannot reserve 1.00 MiB,
 *   not enough space`), or a write error carrying `errno: 28` / `No space left on device`;
 * - the file system itself: `ENOSPC` (errno 28), e.g. while creating a data directory.
 *
 * The reason returned is a fixed phrase: engine messages name files inside the data directory, which
 * clients must not see (the log has them).
 */
import { StorageFullError, type StoreName } from '../errors.js';

const PG_DISK_FULL = '53100';
const CH_NOT_ENOUGH_SPACE = 243;
const ENOSPC_TEXT = /No space left on device|errno: 28\b/i;

/** Why the failure means "storage full", or undefined when it means something else. */
export function storageFullReason(error: unknown): string | undefined {
  // Wrapped errors (TelemetryStoreError, Error with `cause`) carry the engine's error as a cause.
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    const reason = reasonOf(current);
    if (reason) return reason;
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
  return undefined;
}

function reasonOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as { code?: unknown; errno?: unknown; type?: unknown; clickhouseCode?: unknown };
  const message = error instanceof Error ? error.message : '';
  if (e.code === PG_DISK_FULL) return 'disk full (SQLSTATE 53100)';
  if (
    e.clickhouseCode === CH_NOT_ENOUGH_SPACE ||
    e.type === 'NOT_ENOUGH_SPACE' ||
    (e.code === String(CH_NOT_ENOUGH_SPACE) && typeof e.type === 'string') ||
    /\bCode: 243\.|\(NOT_ENOUGH_SPACE\)/.test(message)
  ) {
    return 'not enough space (ClickHouse code 243 NOT_ENOUGH_SPACE)';
  }
  if (e.code === 'ENOSPC' || e.errno === -28 || ENOSPC_TEXT.test(message)) {
    return 'no space left on device (ENOSPC)';
  }
  return undefined;
}

/** A `StorageFullError` for `store` when the failure is one; otherwise the failure unchanged. */
export function toStorageError(store: StoreName, error: unknown): unknown {
  if (error instanceof StorageFullError) return error;
  const reason = storageFullReason(error);
  return reason ? new StorageFullError(store, reason) : error;
}
