import { getCookie, setCookie, deleteCookie } from 'hono/cookie';
import { z } from 'zod';
import type { Router } from '../route.js';
import type { Services } from '../../services.js';
import { AuthenticationError, RateLimitError } from '../../errors.js';
import { userLocales } from '../../auth/service.js';

export const SESSION_COOKIE = 'tianshu_session';

const OtpCode = z.string().regex(/^\d{6}$/, 'a one-time code is 6 digits');

const LoginBody = z
  .object({
    username: z.string().min(1).max(64),
    password: z.string().min(1).max(256),
    /** The current code of users who enrolled a second factor. */
    otp: OtpCode.optional(),
  })
  .strict();

const UserOut = z.object({
  id: z.string(),
  username: z.string(),
  displayName: z.string(),
  roles: z.array(z.string()),
  orgUnitId: z.string(),
  orgUnitName: z.string(),
  disabled: z.boolean(),
  createdAt: z.string(),
  totpEnabled: z.boolean(),
  /** The console language the user chose; null: the console follows the browser's languages. */
  locale: z.enum(userLocales).nullable(),
});

export function authRoutes(r: Router, s: Services): void {
  r.define(
    {
      method: 'post',
      path: '/api/v1/auth/login',
      summary: 'Log in; sets an HttpOnly session cookie and returns the CSRF token',
      tags: ['auth'],
      auth: 'public',
      body: LoginBody,
      response: z.object({ user: UserOut, csrfToken: z.string() }),
    },
    async ({ c, body }) => {
      try {
        const result = await s.auth.login(
          body.username,
          body.password,
          {
            sourceIp: c.get('sourceIp'),
            userAgent: c.req.header('user-agent'),
            requestId: c.get('requestId'),
            clientRequestId: c.get('clientRequestId'),
          },
          body.otp,
        );
        s.metrics.loginAttempts.inc({ outcome: 'success' });
        const secure =
          s.config.auth.cookieSecure === 'always' ||
          (s.config.auth.cookieSecure === 'auto' && Boolean(s.config.tls.certFile));
        setCookie(c, SESSION_COOKIE, result.sessionId, {
          httpOnly: true,
          sameSite: 'Strict',
          secure,
          path: '/',
          expires: result.expiresAt,
        });
        const user = await s.auth.userOf(result.identity);
        return { user, csrfToken: result.csrfToken };
      } catch (err) {
        if (err instanceof RateLimitError) s.metrics.loginAttempts.inc({ outcome: 'throttled' });
        else if (err instanceof AuthenticationError) s.metrics.loginAttempts.inc({ outcome: 'failure' });
        throw err;
      }
    },
  );
  r.define(
    { method: 'post', path: '/api/v1/auth/logout', summary: 'End the session', tags: ['auth'], status: 204 },
    async ({ c, identity }) => {
      const sid = getCookie(c, SESSION_COOKIE);
      if (sid) await s.auth.logout(identity, sid);
      deleteCookie(c, SESSION_COOKIE, { path: '/' });
      return undefined;
    },
  );
  r.define(
    {
      method: 'get',
      path: '/api/v1/auth/me',
      summary: 'The calling user and the session CSRF token',
      tags: ['auth'],
      response: z.object({ user: UserOut, csrfToken: z.string().nullable() }),
    },
    async ({ identity }) => ({ user: await s.auth.userOf(identity), csrfToken: identity.csrfToken ?? null }),
  );

  r.define(
    {
      method: 'put',
      path: '/api/v1/auth/me/preferences',
      summary: 'Set the calling user’s preferences: the console language (null follows the browser)',
      tags: ['auth'],
      body: z.object({ locale: z.enum(userLocales).nullable() }).strict(),
      response: z.object({ locale: z.enum(userLocales).nullable() }),
    },
    async ({ identity, body }) => s.auth.setPreferences(identity, body),
  );

  r.define(
    {
      method: 'post',
      path: '/api/v1/auth/totp',
      summary:
        'Start enrolling a TOTP second factor (password again); returns the otpauth:// URI once, confirm with a code',
      tags: ['auth'],
      status: 201,
      body: z.object({ password: z.string().min(1).max(256) }).strict(),
      response: z.object({ otpauthUri: z.string() }),
    },
    async ({ identity, body }) => s.auth.beginTotp(identity, body.password),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/auth/totp/confirm',
      summary: 'Confirm the pending TOTP second factor with a code; later logins need one',
      tags: ['auth'],
      body: z.object({ code: OtpCode }).strict(),
      response: z.object({ totpEnabled: z.literal(true) }),
    },
    async ({ identity, body }) => s.auth.confirmTotp(identity, body.code),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/auth/totp/remove',
      summary: 'Remove the caller’s TOTP second factor (needs a current code)',
      tags: ['auth'],
      status: 204,
      body: z.object({ code: OtpCode }).strict(),
    },
    async ({ identity, body }) => {
      await s.auth.removeTotp(identity, body.code);
      return undefined;
    },
  );

  const TokenOut = z.object({
    id: z.string(),
    name: z.string(),
    prefix: z.string(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable(),
    revokedAt: z.string().nullable(),
  });
  r.define(
    {
      method: 'get',
      path: '/api/v1/auth/tokens',
      summary: "The caller's API tokens (never their secrets)",
      tags: ['auth'],
      response: z.object({ items: z.array(TokenOut) }),
    },
    async ({ identity }) => ({ items: await s.auth.listApiTokens(identity) }),
  );
  r.define(
    {
      method: 'post',
      path: '/api/v1/auth/tokens',
      summary: 'Create an API token acting as the caller; the secret is shown once',
      tags: ['auth'],
      permission: 'tokens:write',
      status: 201,
      body: z
        .object({
          name: z.string().min(1).max(200),
          expiresInDays: z.number().int().min(1).max(3650).optional(),
        })
        .strict(),
      response: TokenOut.extend({ token: z.string() }),
    },
    async ({ identity, body }) => s.auth.createApiToken(identity, body),
  );
  r.define(
    {
      method: 'delete',
      path: '/api/v1/auth/tokens/{id}',
      summary: 'Revoke an API token',
      tags: ['auth'],
      status: 204,
    },
    async ({ identity, params }) => {
      await s.auth.revokeApiToken(identity, params.id!);
      return undefined;
    },
  );
}
