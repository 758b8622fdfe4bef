import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN_PASSWORD,
  login,
  startTestControlPlane,
  type Session,
  type TestControlPlane,
} from '../../../test/support/control-plane.js';
import { base32Decode, totp } from './totp.js';

// Small limits, so that the behaviour shows in a few requests; addresses come from X-Forwarded-For.
const AUTH = {
  loginFreeFailures: 3,
  loginDelayMaxSeconds: 60,
  loginUserLockFailures: 6,
  loginAddressMaxFailures: 8,
  loginLockoutSeconds: 600,
};

let t: TestControlPlane;
let admin: Session;

beforeAll(async () => {
  t = await startTestControlPlane({ overrides: { trustProxy: true, auth: AUTH } });
  admin = await login(t.request, 'admin', ADMIN_PASSWORD);
});
afterAll(async () => {
  await t?.close();
});

interface Answer {
  status: number;
  retryAfter: number;
  code: string | undefined;
  message: string | undefined;
  cookie: string | null;
  csrf: string | undefined;
}

async function attempt(username: string, password: string, ip: string, otp?: string): Promise<Answer> {
  const res = await t.request('/api/v1/auth/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ username, password, ...(otp ? { otp } : {}) }),
  });
  const body = (await res.json()) as { error?: { code: string; message: string }; csrfToken?: string };
  return {
    status: res.status,
    retryAfter: Number(res.headers.get('retry-after') ?? 0),
    code: body.error?.code,
    message: body.error?.message,
    cookie: res.headers.get('set-cookie')?.split(';')[0] ?? null,
    csrf: body.csrfToken,
  };
}

async function createUser(username: string, password: string): Promise<string> {
  const res = await admin.send('POST', '/api/v1/users', {
    username,
    displayName: username,
    password,
    roles: ['auditor'],
    orgUnitId: 'sc-cd',
  });
  expect(res.status).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

/** Enrols a second factor for `username` and returns its secret (read from the otpauth URI). */
async function enrolTotp(username: string, password: string): Promise<Buffer> {
  const s = await login(t.request, username, password);
  const begin = await s.send('POST', '/api/v1/auth/totp', { password });
  expect(begin.status).toBe(201);
  const { otpauthUri } = (await begin.json()) as { otpauthUri: string };
  expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/Tianshu%3A/);
  const secret = base32Decode(new URL(otpauthUri).searchParams.get('secret')!);
  // A code of the previous step, so that the current and next steps stay free for the tests.
  const bad = await s.send('POST', '/api/v1/auth/totp/confirm', {
    code: '000000' === totp(secret, Date.now() - 30_000) ? '111111' : '000000',
  });
  expect(bad.status).toBe(400);
  const ok = await s.send('POST', '/api/v1/auth/totp/confirm', { code: totp(secret, Date.now() - 30_000) });
  expect(ok.status).toBe(200);
  return secret;
}

describe('login throttling (finding 9)', () => {
  it('delays further attempts per username and address with 429, never sleeping, and never for another address', async () => {
    await createUser('delay-me', 'delay-me-password-1');
    for (let i = 0; i < AUTH.loginFreeFailures; i++) {
      expect((await attempt('delay-me', `wrong-${i}`, '10.1.0.1')).status).toBe(401);
    }
    const started = Date.now();
    const waited = await attempt('delay-me', 'delay-me-password-1', '10.1.0.1');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(waited).toMatchObject({ status: 429, code: 'auth.rate_limited' });
    expect(waited.retryAfter).toBeGreaterThanOrEqual(1);
    // The owner at another address is not held up.
    expect((await attempt('delay-me', 'delay-me-password-1', '10.1.0.2')).status).toBe(200);
    // After the wait, the right password works from the first address too, and clears its count.
    await new Promise((r) => setTimeout(r, waited.retryAfter * 1000 + 50));
    expect((await attempt('delay-me', 'delay-me-password-1', '10.1.0.1')).status).toBe(200);
    expect((await attempt('delay-me', 'wrong-again', '10.1.0.1')).status).toBe(401);
  });

  it('cannot lock out admin from another address: failures elsewhere only delay the attacker', async () => {
    for (let i = 0; i < AUTH.loginFreeFailures + 2; i++) await attempt('admin', `guess-${i}`, '10.2.0.1');
    expect((await attempt('admin', 'guess-x', '10.2.0.1')).status).toBe(429);
    expect((await attempt('admin', ADMIN_PASSWORD, '10.2.0.2')).status).toBe(200);
  });

  it('limits one address across usernames at a separate, higher limit', async () => {
    for (let i = 0; i < AUTH.loginAddressMaxFailures; i++) {
      expect((await attempt(`nobody-${i}`, 'wrong-password', '10.3.0.1')).status).toBe(401);
    }
    const refused = await attempt('admin', ADMIN_PASSWORD, '10.3.0.1');
    expect(refused.status).toBe(429);
    expect(refused.retryAfter).toBeGreaterThan(AUTH.loginLockoutSeconds - 10);
    expect((await attempt('admin', ADMIN_PASSWORD, '10.3.0.2')).status).toBe(200);
  });

  it('locks a username after many failures from many addresses; an admin clears it, audited', async () => {
    const id = await createUser('lock-me', 'lock-me-password-1');
    for (let i = 0; i < AUTH.loginUserLockFailures; i++) {
      expect((await attempt('lock-me', 'wrong-password', `10.4.0.${i + 1}`)).status).toBe(401);
    }
    const right = await attempt('lock-me', 'lock-me-password-1', '10.4.1.1');
    const wrong = await attempt('lock-me', 'wrong-password', '10.4.1.2');
    expect(right).toMatchObject({ status: 429, code: 'auth.locked' });
    expect(wrong).toMatchObject({ status: 429, code: 'auth.locked' });
    // A locked username answers a right and a wrong password alike.
    const general = (m: string | undefined) => m?.replace(/\d+ s\b/, 'N s');
    expect(general(right.message)).toBe(general(wrong.message));
    expect(right.message).toMatch(/locked/);
    const unlock = await admin.send('POST', `/api/v1/users/${id}/unlock`);
    expect(unlock.status).toBe(200);
    expect(await unlock.json()).toEqual({ unlocked: true });
    expect((await attempt('lock-me', 'lock-me-password-1', '10.4.1.3')).status).toBe(200);
    const audit = (await (await admin.get('/api/v1/audit?action=user.unlock')).json()) as {
      items: { targetId: string; actor: string; details: { wasLocked: boolean } }[];
    };
    expect(audit.items.find((i) => i.targetId === id)).toMatchObject({
      actor: 'admin',
      details: { wasLocked: true },
    });
  });
});

describe('TOTP second factor (finding 9)', () => {
  it('enrols with the password, shows the secret once, stores it sealed and asks for a code at login', async () => {
    const id = await createUser('otp-user', 'otp-user-password-1');
    const secret = await enrolTotp('otp-user', 'otp-user-password-1');
    const stored = await t.cp.services.db.query<{ totp_secret: string; totp_pending: string | null }>(
      'SELECT totp_secret, totp_pending FROM users WHERE id = $1',
      [id],
    );
    expect(stored.rows[0]!.totp_secret).toMatch(/^v1\./);
    expect(stored.rows[0]!.totp_secret).not.toContain(secret.toString('base64url'));
    expect(stored.rows[0]!.totp_pending).toBeNull();

    const noCode = await attempt('otp-user', 'otp-user-password-1', '10.5.0.1');
    expect(noCode).toMatchObject({ status: 401, code: 'auth.otp_required' });
    const badCode = await attempt(
      'otp-user',
      'otp-user-password-1',
      '10.5.0.1',
      '123456' === totp(secret, Date.now()) ? '654321' : '123456',
    );
    expect(badCode.status).toBe(401);
    const code = totp(secret, Date.now());
    const ok = await attempt('otp-user', 'otp-user-password-1', '10.5.0.1', code);
    expect(ok.status).toBe(200);
    // A code is accepted once: the same code again is refused (computing it anew could give the next
    // 30-s step's code, which is a different, valid one, when the logins took long).
    expect((await attempt('otp-user', 'otp-user-password-1', '10.5.0.9', code)).status).toBe(401);

    const s = { cookie: ok.cookie!, csrf: ok.csrf! };
    const me = await t.request('/api/v1/auth/me', { headers: { cookie: s.cookie } });
    const meText = await me.text();
    expect(JSON.parse(meText)).toMatchObject({ user: { totpEnabled: true } });
    expect(meText).not.toContain(secret.toString('base64url'));
    const again = await t.request('/api/v1/auth/totp', {
      method: 'POST',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'otp-user-password-1' }),
    });
    expect(again.status).toBe(409);
    const wrongPassword = await t.request('/api/v1/auth/totp', {
      method: 'POST',
      headers: { cookie: s.cookie, 'x-csrf-token': s.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ password: 'not-my-password' }),
    });
    expect(wrongPassword.status).toBe(401);
    const audit = (await (await admin.get('/api/v1/audit?action=user.totp.enable')).json()) as {
      items: { targetId: string }[];
    };
    expect(audit.items.map((i) => i.targetId)).toContain(id);
  });

  it('lets the owner clear a username lock with the password and a one-time code', async () => {
    await createUser('otp-locked', 'otp-locked-password-1');
    const secret = await enrolTotp('otp-locked', 'otp-locked-password-1');
    for (let i = 0; i < AUTH.loginUserLockFailures; i++) {
      await attempt('otp-locked', 'wrong-password', `10.6.0.${i + 1}`);
    }
    expect((await attempt('otp-locked', 'otp-locked-password-1', '10.6.1.1')).status).toBe(429);
    const cleared = await attempt(
      'otp-locked',
      'otp-locked-password-1',
      '10.6.1.2',
      totp(secret, Date.now()),
    );
    expect(cleared.status).toBe(200);
    // The lock is gone: the next login needs only the next code.
    const next = await attempt(
      'otp-locked',
      'otp-locked-password-1',
      '10.6.1.3',
      totp(secret, Date.now() + 30_000),
    );
    expect(next.status).toBe(200);
  });
  it('answers 503 naming the fix, not 500, when a sealed secret no longer opens', async () => {
    const id = await createUser('otp-rekeyed', 'otp-rekeyed-password-1');
    await enrolTotp('otp-rekeyed', 'otp-rekeyed-password-1');
    await t.cp.services.db.query("UPDATE users SET totp_secret = 'v1.AAAA.AAAA.AAAA' WHERE id = $1", [id]);
    const res = await attempt('otp-rekeyed', 'otp-rekeyed-password-1', '10.8.0.1', '123456');
    expect(res).toMatchObject({ status: 503, code: 'secret.unavailable' });
    expect(res.message).toMatch(/DELETE \/api\/v1\/users\/\{id\}\/totp/);
  });

  it('lets an admin remove a user’s second factor (a lost phone), audited', async () => {
    const id = await createUser('otp-lost', 'otp-lost-password-1');
    await enrolTotp('otp-lost', 'otp-lost-password-1');
    expect((await attempt('otp-lost', 'otp-lost-password-1', '10.7.0.1')).code).toBe('auth.otp_required');
    const reset = await admin.send('DELETE', `/api/v1/users/${id}/totp`);
    expect(reset.status).toBe(200);
    expect(await reset.json()).toEqual({ removed: true });
    expect((await attempt('otp-lost', 'otp-lost-password-1', '10.7.0.1')).status).toBe(200);
    const audit = (await (await admin.get('/api/v1/audit?action=user.totp.reset')).json()) as {
      items: { targetId: string; actor: string }[];
    };
    expect(audit.items.find((i) => i.targetId === id)).toMatchObject({ actor: 'admin' });
  });
});
