import { parseError } from '@clickhouse/client';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { StorageFullError } from '../errors.js';
import { toStoreError } from './telemetry/internal.js';
import { storageFullReason, toStorageError } from './storage-errors.js';

/** An error as `pg` raises it from a server ErrorResponse (pg-protocol's parser fills the fields). */
function pgServerError(code: string, message: string): Error {
  const err = new pg.DatabaseError(message, message.length, 'error');
  err.code = code;
  err.severity = 'ERROR';
  return err;
}

/** An error as `@clickhouse/client` raises it from a server's error body. */
function clickhouseHttpError(body: string): Error {
  return toStoreError('INSERT INTO host_metrics', parseError(body));
}

describe('storageFullReason', () => {
  it('recognises PostgreSQL disk_full (SQLSTATE 53100) from a server', () => {
    const err = pgServerError('53100', 'could not extend file "base/16384/16385": No space left on device');
    expect(storageFullReason(err)).toBe('disk full (SQLSTATE 53100)');
  });

  it('recognises the same error from PGlite (code and message on the error)', () => {
    const err = Object.assign(new Error('could not extend file "base/5/16385": No space left on device'), {
      code: '53100',
    });
    expect(storageFullReason(err)).toBe('disk full (SQLSTATE 53100)');
  });

  it('recognises ClickHouse NOT_ENOUGH_SPACE (code 243) over HTTP', () => {
    const err = clickhouseHttpError(
      'Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space. (NOT_ENOUGH_SPACE) (version 25.3.1.1)',
    );
    expect(storageFullReason(err)).toBe('not enough space (ClickHouse code 243 NOT_ENOUGH_SPACE)');
  });

  it('recognises the same error from chDB (code in the message)', () => {
    const chdb = Object.assign(
      new Error('Code: 243. DB::Exception: Cannot reserve 1.00 MiB, not enough space. (NOT_ENOUGH_SPACE)'),
      { code: 'CHDB_INSERT' },
    );
    expect(storageFullReason(toStoreError('INSERT INTO host_metrics', chdb))).toBe(
      'not enough space (ClickHouse code 243 NOT_ENOUGH_SPACE)',
    );
  });

  it('recognises ENOSPC from the file system, also as a cause or in a ClickHouse write error', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
      errno: -28,
    });
    expect(storageFullReason(enospc)).toBe('no space left on device (ENOSPC)');
    expect(storageFullReason(new Error('migrate failed', { cause: enospc }))).toBe(
      'no space left on device (ENOSPC)',
    );
    const chWrite = clickhouseHttpError(
      'Code: 75. DB::ErrnoException: Cannot write to file /var/lib/clickhouse/store/x.bin, errno: 28, strerror: No space left on device. (CANNOT_WRITE_TO_FILE_DESCRIPTOR) (version 25.3.1.1)',
    );
    expect(storageFullReason(chWrite)).toBe('no space left on device (ENOSPC)');
  });

  it('leaves every other failure alone', () => {
    expect(storageFullReason(pgServerError('23505', 'duplicate key value violates unique constraint'))).toBe(
      undefined,
    );
    expect(storageFullReason(pgServerError('53200', 'out of memory'))).toBe(undefined);
    expect(
      storageFullReason(
        clickhouseHttpError('Code: 62. DB::Exception: Syntax error: failed at position 1. (SYNTAX_ERROR)'),
      ),
    ).toBe(undefined);
    expect(storageFullReason(new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBe(undefined);
    expect(storageFullReason('a string')).toBe(undefined);
    expect(storageFullReason(undefined)).toBe(undefined);
  });
});

describe('toStorageError', () => {
  it('turns a storage-full failure into a StorageFullError naming the store, without engine internals', () => {
    const err = toStorageError(
      'state',
      pgServerError('53100', 'could not extend file "base/16384/16385": No space left on device'),
    );
    expect(err).toBeInstanceOf(StorageFullError);
    const full = err as StorageFullError;
    expect(full.status).toBe(507);
    expect(full.code).toBe('storage.full');
    expect(full.store).toBe('state');
    expect(full.details).toEqual([
      { path: 'state', message: 'disk full (SQLSTATE 53100)', params: { store: 'state' } },
    ]);
    expect(full.message).not.toMatch(/base\/16384/);
    expect(full.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('answers 503 for callers that retry (agent reports)', () => {
    const full = new StorageFullError('telemetry', 'no space left on device (ENOSPC)').unavailable();
    expect(full.status).toBe(503);
    expect(full.code).toBe('storage.full');
    expect(full.store).toBe('telemetry');
  });

  it('returns other errors unchanged', () => {
    const other = new Error('boom');
    expect(toStorageError('telemetry', other)).toBe(other);
  });
});
