import { configureLocalization } from '@lit/localize';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodeList, errorCodes } from '../../../control-plane/src/error-codes.js';
import { formatBytes } from '../common/format.js';
import { templates as zh } from '../i18n/zh-CN/index.js';
import { ApiError, actionErrorMessage, errorMessage, parseApiError } from './api.js';
import { errorText, translatedErrorCodes } from './error-text.js';

const SERVER = 'the server’s English message';
const error = (code: string, details: ApiError['details'] = [], requestId?: string) =>
  new ApiError(
    code in errorCodes ? errorCodes[code as keyof typeof errorCodes].status : 400,
    code,
    SERVER,
    requestId,
    details,
  );

describe('the console’s error codes', () => {
  it('are exactly the control plane’s registry: a code added on one side only fails here', () => {
    expect([...translatedErrorCodes].sort()).toEqual([...errorCodeList].sort());
  });

  it('each have a text of their own, not the server’s message', () => {
    const texts = new Set<string>();
    for (const code of errorCodeList) {
      const text = errorText(error(code));
      expect(text, code).not.toBe(SERVER);
      expect(text.length, code).toBeGreaterThan(5);
      texts.add(text);
    }
    // Different codes read differently (none fall through to a shared text).
    expect(texts.size).toBe(errorCodeList.length);
  });

  it('has a Chinese translation for every error text id', () => {
    const ids = Object.keys(zh).filter((k) => k.startsWith('error.'));
    for (const code of errorCodeList)
      expect(
        ids.some((id) => id === `error.${code}` || id.startsWith(`error.${code}.`)),
        code,
      ).toBe(true);
  });
});

describe('errorText', () => {
  it('fills in the values the server sent as params', () => {
    expect(
      errorText(
        error('permission.denied', [
          { path: '(permission)', message: 'x', params: { permission: 'audit:read' } },
        ]),
      ),
    ).toBe('You are not allowed to do this: the permission “audit:read” is required.');
    expect(
      errorText(error('payload.too_large', [{ path: '(body)', message: 'x', params: { limit: 1048576 } }])),
    ).toBe(`The request is too large; the limit is ${formatBytes(1048576)}.`);
    expect(
      errorText(error('conflict.not_available', [{ path: 'id', message: 'x', params: { field: 'id' } }])),
    ).toBe('This id is already taken in the province; choose another.');
    expect(
      errorText(error('auth.rate_limited', [{ path: '(login)', message: 'x', params: { seconds: 42 } }])),
    ).toBe('Too many failed sign-ins. Try again in 42 s.');
    expect(
      errorText(error('storage.full', [{ path: 'state', message: 'disk full', params: { store: 'state' } }])),
    ).toMatch(/^The state store/);
    expect(errorText(error('internal', [], 'req-9'))).toBe(
      'An unexpected error occurred on the server (request req-9).',
    );
  });

  it('names the fields of a failed validation, and reads without params when the server sent none', () => {
    const invalid = parseApiError(
      400,
      JSON.stringify({
        error: {
          code: 'input.invalid',
          message: SERVER,
          details: [
            { path: 'username', message: 'Required' },
            { path: 'level', message: 'bad' },
          ],
        },
      }),
    );
    expect(errorText(invalid)).toBe('The input is not valid: username: Required; level: bad');
    expect(errorText(error('input.invalid'))).toBe('The input is not valid.');
    expect(errorText(error('permission.denied'))).toBe('You are not allowed to do this.');
  });

  it('falls back to the server’s message for a code it does not know, and to its own text when unreachable', () => {
    expect(errorText(error('flows.some_new_code'))).toBe(SERVER);
    expect(errorText(parseApiError(0, ''))).toBe(
      'The server could not be reached. Check your connection and try again.',
    );
    expect(errorText(new Error('boom'))).toBe('boom');
    expect(errorText('plain')).toBe('plain');
  });

  it('is what errorMessage and actionErrorMessage show', () => {
    const wrong = parseApiError(
      401,
      JSON.stringify({ error: { code: 'auth.invalid_credentials', message: 'wrong username or password' } }),
    );
    expect(errorMessage(wrong)).toBe('Wrong username or password.');
    expect(actionErrorMessage(wrong)).toBe('Wrong username or password.');
    const older = parseApiError(
      400,
      JSON.stringify({
        error: {
          code: 'validation',
          message: 'invalid body',
          details: [{ path: 'maxUses', message: 'too big' }],
        },
      }),
    );
    expect(actionErrorMessage(older)).toBe('invalid body — maxUses: too big');
  });
});

describe('errorText in Chinese', () => {
  const g = globalThis as { window?: unknown };
  const hadWindow = 'window' in g;
  beforeAll(async () => {
    // @lit/localize announces a switch on `window`; node has none.
    if (!hadWindow) g.window = new EventTarget();
    const { setLocale } = configureLocalization({
      sourceLocale: 'en',
      targetLocales: ['zh-CN'],
      loadLocale: () => import('../i18n/zh-CN/index.js'),
    });
    await setLocale('zh-CN');
  });
  afterAll(() => {
    if (!hadWindow) delete g.window;
  });

  it('reads the translation with the params in place', () => {
    expect(errorText(error('auth.invalid_credentials'))).toBe('用户名或密码错误。');
    expect(
      errorText(
        error('permission.denied', [
          { path: '(permission)', message: 'x', params: { permission: 'audit:read' } },
        ]),
      ),
    ).toBe('您无权执行此操作：需要“audit:read”权限。');
    expect(errorText(error('scope.not_found'))).toContain('管辖范围');
    expect(errorText(parseApiError(0, ''))).toBe('无法连接到服务器，请检查网络连接后重试。');
    expect(errorText(error('flows.some_new_code'))).toBe(SERVER);
  });
});
