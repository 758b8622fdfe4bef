import { describe, expect, it } from 'vitest';
import { ApiError, actionErrorMessage, errorMessage, parseApiError, query } from './api.js';

describe('parseApiError', () => {
  it('reads the server error body', () => {
    const error = parseApiError(
      400,
      JSON.stringify({
        error: {
          code: 'invalid_input',
          message: 'Username is required.',
          requestId: 'req-1',
          details: [{ path: 'username', message: 'Required' }, { bogus: true }],
        },
      }),
    );
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(Error);
    expect(error.status).toBe(400);
    expect(error.code).toBe('invalid_input');
    expect(error.message).toBe('Username is required.');
    expect(error.requestId).toBe('req-1');
    expect(error.details).toEqual([{ path: 'username', message: 'Required' }]);
  });

  it('keeps the server message for wrong passwords and rate limits', () => {
    const wrong = parseApiError(
      401,
      '{"error":{"code":"unauthenticated","message":"Wrong username or password."}}',
    );
    expect([wrong.status, wrong.code, wrong.message]).toEqual([
      401,
      'unauthenticated',
      'Wrong username or password.',
    ]);
    const limited = parseApiError(429, '{"error":{"code":"rate_limited","message":"Too many attempts."}}');
    expect(limited.message).toBe('Too many attempts.');
  });

  it('gives a readable error for bodies that are not ours', () => {
    const html = parseApiError(502, '<html>Bad Gateway</html>', 'Bad Gateway');
    expect(html.code).toBe('server_error');
    expect(html.message).toContain('502');
    const empty = parseApiError(429, '');
    expect(empty.code).toBe('rate_limited');
    const partial = parseApiError(404, '{"error":{"message":42}}', 'Not Found');
    expect(partial.code).toBe('not_found');
    expect(partial.message).toBe('Not Found (HTTP 404).');
  });

  it('describes an unreachable server', () => {
    const error = parseApiError(0, '');
    expect(error.code).toBe('network_error');
    expect(errorMessage(error)).toBe('The control plane could not be reached.');
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
    const error = new ApiError(403, 'forbidden', 'permission "fleet:write" is required');
    expect(actionErrorMessage(error)).toBe(
      'You are not allowed to do this. permission "fleet:write" is required',
    );
  });

  it('adds the fields the server named', () => {
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
