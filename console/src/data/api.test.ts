import { describe, expect, it } from 'vitest';
import { ApiError, actionErrorMessage, errorMessage, parseApiError, query } from './api.js';

describe('parseApiError', () => {
  it('reads the server error body', () => {
    const error = parseApiError(
      400,
      JSON.stringify({
        error: {
          code: 'input.invalid',
          message: 'Username is required.',
          requestId: 'req-1',
          details: [
            {
              path: 'username',
              message: 'Required',
              code: 'input.invalid',
              params: { field: 'username', max: 64, x: {} },
            },
            { bogus: true },
          ],
        },
      }),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(Error);
    expect(error.status).toBe(400);
    expect(error.code).toBe('input.invalid');
    expect(error.message).toBe('Username is required.');
    expect(error.requestId).toBe('req-1');
    expect(error.details).toEqual([
      {
        path: 'username',
        message: 'Required',
        code: 'input.invalid',
        params: { field: 'username', max: 64 },
      },
    ]);
  });

  it('keeps the server message for wrong passwords and rate limits', () => {
    const wrong = parseApiError(
      401,
      '{"error":{"code":"auth.invalid_credentials","message":"Wrong username or password."}}',
    );
    expect([wrong.status, wrong.code, wrong.message]).toEqual([
      401,
      'auth.invalid_credentials',
      'Wrong username or password.',
    ]);
    const limited = parseApiError(
      429,
      '{"error":{"code":"auth.rate_limited","message":"Too many attempts."}}',
    );
    expect(limited.message).toBe('Too many attempts.');
  });

  it('gives a readable error for bodies that are not ours', () => {
    const html = parseApiError(502, '<html>Bad Gateway</html>', 'Bad Gateway');
    expect(html.code).toBe('service.unavailable');
    expect(html.message).toContain('502');
    const empty = parseApiError(429, '');
    expect(empty.code).toBe('rate.limited');
    const partial = parseApiError(404, '{"error":{"message":42}}', 'Not Found');
    expect(partial.code).toBe('route.not_found');
    expect(partial.message).toBe('Not Found (HTTP 404).');
  });

  it('describes an unreachable server', () => {
    const error = parseApiError(0, '');
    expect(error.code).toBe('network.unreachable');
    expect(error.message).toBe('The control plane could not be reached.');
    expect(errorMessage(error)).toBe('The server could not be reached. Check your connection and try again.');
  });
});

describe('query', () => {
  it('keeps defined values only', () => {
    expect(query({ limit: 100, before: null, range: '1h', x: undefined })).toBe('?limit=100&range=1h');
    expect(query({})).toBe('');
  });
});

describe('actionErrorMessage', () => {
  it('says plainly when the server refused for lack of permission', () => {
    const error = parseApiError(
      403,
      JSON.stringify({
        error: {
          code: 'permission.denied',
          message: 'permission "fleet:write" is required',
          details: [{ path: '(permission)', message: 'x', params: { permission: 'fleet:write' } }],
        },
      }),
    );
    expect(actionErrorMessage(error)).toBe(
      'You are not allowed to do this: the permission “fleet:write” is required.',
    );
    expect(actionErrorMessage(new ApiError(403, 'permission.denied', 'no'))).toBe(
      'You are not allowed to do this.',
    );
  });

  it('adds the fields the server named, for a code it does not know', () => {
    const error = parseApiError(
      400,
      JSON.stringify({
        error: {
          code: 'validation',
          message: 'invalid body',
          details: [{ path: 'maxUses', message: 'too big' }],
        },
      }),
    );
    expect(actionErrorMessage(error)).toBe('invalid body — maxUses: too big');
    expect(actionErrorMessage(new Error('boom'))).toBe('boom');
  });
});
