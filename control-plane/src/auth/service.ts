import { randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../config.js';
import {
  AuthenticationError,
  ConflictError,
  InputError,
  NotFoundError,
  notAvailable,
  OtpRequiredError,
  RateLimitError,
  StorageFullError,
  UnavailableError,
} from '../errors.js';
import type { Sealer } from './crypto.js';
import type { Logger } from '../logger.js';
import { ROLES_POLICY, type PolicyStore } from '../policies/index.js';
import type { Queryable, StateStore } from '../store/state/index.js';
import type { OrgUnitService } from '../inventory/org-units.js';
import type { AuditLog } from './audit.js';
import { inScope, requirePermission, type Identity } from './identity.js';
import { dummyHash, hashPassword, PASSWORD_HASH_COST, passwordProblem, verifyPassword } from './password.js';
import type { Permission } from './permissions.js';
import { displayPrefix, generatePassword, hashSecret, newSecret } from './secrets.js';
import { newTotpSecret, otpauthUri, verifyTotp } from './totp.js';

export const Username = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{1,63}$/, 'usernames are 2–64 lowercase letters, digits, ".", "_" or "-"');

export const UserInput = z
  .object({
    username: Username,
    displayName: z.string().min(1).max(200),
    password: z.string().min(1).max(256),
    roles: z.array(z.string().min(1).max(64)).min(1).max(10),
    orgUnitId: z.string().min(1).max(63),
  })
  .strict();
export type UserInput = z.infer<typeof UserInput>;

export const UserPatch = z
  .object({
    displayName: z.string().min(1).max(200).optional(),
    password: z.string().min(1).max(256).optional(),
    roles: z.array(z.string().min(1).max(64)).min(1).max(10).optional(),
    disabled: z.boolean().optional(),
  })
  .strict();
export type UserPatch = z.infer<typeof UserPatch>;

export interface User {
  id: string;
  username: string;
  displayName: string;
  roles: string[];
  orgUnitId: string;
  disabled: boolean;
  createdAt: string;
}

/** The console languages a user may choose. */
export const userLocales = ['en', 'zh-CN'] as const;
export type UserLocale = (typeof userLocales)[number];
const isUserLocale = (v: unknown): v is UserLocale => (userLocales as readonly unknown[]).includes(v);

interface UserRow {
  id: string;
  username: string;
  display_name: string;
  password_hash: string;
  roles: string[];
  org_unit_id: string;
  disabled: boolean;
  created_at: Date;
  totp_secret: string | null;
  totp_pending: string | null;
  totp_last_step: string | number | null;
  locale: string | null;
}

const toUser = (r: UserRow): User => ({
  id: r.id,
  username: r.username,
  displayName: r.display_name,
  roles: r.roles,
  orgUnitId: r.org_unit_id,
  disabled: r.disabled,
  createdAt: new Date(r.created_at).toISOString(),
});

export interface RequestContext {
  sourceIp?: string | undefined;
  userAgent?: string | undefined;
  requestId?: string | undefined;
  clientRequestId?: string | undefined;
}

export interface LoginResult {
  sessionId: string;
  csrfToken: string;
  expiresAt: Date;
  identity: Identity;
  user: User;
}

export interface ApiTokenInfo {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

/** Each roles policy object as a Map, built once per (re)load. */
const roleMaps = new WeakMap<
  object,
  ReadonlyMap<string, { readonly permissions: readonly (Permission | '*')[] }>
>();

/** Users, passwords, console sessions, API tokens and login throttling. */
export class AuthService {
  constructor(
    private readonly deps: {
      db: StateStore;
      policies: PolicyStore;
      audit: AuditLog;
      orgUnits: OrgUnitService;
      config: Config['auth'];
      log: Logger;
      /** Seals TOTP secrets; without it one-time codes answer 503. */
      sealer?: Sealer | undefined;
    },
  ) {
    if (deps.config.passwordHashCost < PASSWORD_HASH_COST) {
      deps.log.warn(
        { passwordHashCost: deps.config.passwordHashCost, recommended: PASSWORD_HASH_COST },
        'auth.passwordHashCost is below the recommended scrypt cost: new password hashes are weaker (meant for tests only)',
      );
    }
    this.dummyHash = dummyHash(deps.config.passwordHashCost);
  }

  /** Verified against when the user does not exist, at the cost new hashes get. */
  private readonly dummyHash: string;

  /**
   * The roles of the current policy as a Map: role names come from users, so they are never looked
   * up on a plain object, where `__proto__`, `constructor` or `toString` would be found.
   */
  private roles(): ReadonlyMap<string, { readonly permissions: readonly (Permission | '*')[] }> {
    const policy = this.deps.policies.get(ROLES_POLICY).roles;
    let map = roleMaps.get(policy);
    if (!map) {
      map = new Map(Object.entries(policy));
      roleMaps.set(policy, map);
    }
    return map;
  }

  /** Permissions granted by a set of roles under the current roles policy. */
  permissionsOf(roles: readonly string[]): Set<Permission | '*'> {
    const policy = this.roles();
    const out = new Set<Permission | '*'>();
    for (const role of roles) for (const p of policy.get(role)?.permissions ?? []) out.add(p);
    return out;
  }

  private assertRolesKnown(roles: readonly string[]): void {
    const policy = this.roles();
    const unknown = roles.filter((r) => !policy.has(r));
    if (unknown.length) {
      throw new InputError(
        `roles: unknown role(s): ${unknown.join(', ')}; known roles: ${[...policy.keys()].join(', ')}`,
        {
          code: 'user.role_unknown',
          details: [
            {
              path: 'roles',
              message: 'unknown role',
              code: 'user.role_unknown',
              params: { roles: unknown.join(', ') },
            },
          ],
        },
      );
    }
  }

  private async identityFor(
    row: UserRow,
    kind: 'user' | 'token',
    id: string,
    ctx: RequestContext,
  ): Promise<Identity> {
    const path = await this.deps.orgUnits.pathOf(row.org_unit_id);
    if (!path) throw new AuthenticationError('your org unit no longer exists');
    return {
      kind,
      id,
      name: row.username,
      userId: row.id,
      roles: row.roles,
      permissions: this.permissionsOf(row.roles),
      orgUnitId: row.org_unit_id,
      orgUnitPath: path,
      sourceIp: ctx.sourceIp,
      requestId: ctx.requestId,
      clientRequestId: ctx.clientRequestId,
    };
  }

  // ---- login throttling -------------------------------------------------------------------------
  //
  // Three kinds of keys in `login_throttle`, so that nobody can lock out another user:
  // - `ua:<username>|<address>`: failures of one username from one address. After
  //   `loginFreeFailures` each further attempt must wait, doubling from 1 s up to
  //   `loginDelayMaxSeconds` (answered 429 with Retry-After, never by sleeping). Only that address
  //   waits: the owner elsewhere does not.
  // - `user:<username>`: failures from every address. `loginUserLockFailures` within the window
  //   lock the username for `loginLockoutSeconds`; the right password with a valid one-time code,
  //   or an admin (`POST /api/v1/users/{id}/unlock`), clears the lock.
  // - `ip:<address>`: failures for any usernames from one address (credential stuffing). A much
  //   higher limit, `loginAddressMaxFailures`, since a NAT or the load balancer is many users.

  private throttleKeys(username: string, sourceIp: string | undefined) {
    const name = username.toLowerCase().slice(0, 64);
    const ip = sourceIp ?? 'unknown';
    return { pair: `ua:${name}|${ip}`, user: `user:${name}`, address: `ip:${ip}` };
  }

  /** Seconds to wait before the next attempt on `key`, or 0. Failures older than the window count nothing. */
  private async waitSeconds(keys: ReturnType<AuthService['throttleKeys']>): Promise<number> {
    const { loginWindowSeconds, loginFreeFailures, loginDelayMaxSeconds } = this.deps.config;
    const r = await this.deps.db.query<{
      key: string;
      failures: number;
      since_failure: number | string | null;
      locked_for: number | string | null;
    }>(
      `SELECT key, failures,
         EXTRACT(EPOCH FROM (now() - last_failure_at)) AS since_failure,
         EXTRACT(EPOCH FROM (locked_until - now())) AS locked_for
       FROM login_throttle WHERE key = ANY($1)
         AND (window_start > now() - make_interval(secs => $2) OR locked_until > now())`,
      [[keys.pair, keys.address], loginWindowSeconds],
    );
    let wait = 0;
    for (const row of r.rows) {
      if (row.key === keys.address) {
        wait = Math.max(wait, Number(row.locked_for ?? 0));
      } else if (row.failures >= loginFreeFailures && row.since_failure !== null) {
        const delay = Math.min(2 ** (row.failures - loginFreeFailures), loginDelayMaxSeconds);
        wait = Math.max(wait, delay - Number(row.since_failure));
      }
    }
    return wait > 0 ? Math.ceil(wait) : 0;
  }

  /** Seconds the username stays locked, or 0. */
  private async userLockedFor(key: string): Promise<number> {
    const r = await this.deps.db.query<{ locked_for: number | string }>(
      `SELECT EXTRACT(EPOCH FROM (locked_until - now())) AS locked_for FROM login_throttle
       WHERE key = $1 AND locked_until > now()`,
      [key],
    );
    const s = Number(r.rows[0]?.locked_for ?? 0);
    return s > 0 ? Math.ceil(s) : 0;
  }

  /** Counts one failure against each key; the user and address keys lock at their limits. */
  private async recordFailure(keys: ReturnType<AuthService['throttleKeys']>): Promise<void> {
    const c = this.deps.config;
    const limits: [string, number | null][] = [
      [keys.pair, null],
      [keys.user, c.loginUserLockFailures],
      [keys.address, c.loginAddressMaxFailures],
    ];
    for (const [key, lockAt] of limits) {
      const r = await this.deps.db.query<{ failures: number }>(
        `INSERT INTO login_throttle (key, failures, window_start, last_failure_at) VALUES ($1, 1, now(), now())
         ON CONFLICT (key) DO UPDATE SET
           failures = CASE WHEN login_throttle.window_start < now() - make_interval(secs => $2)
                           THEN 1 ELSE login_throttle.failures + 1 END,
           window_start = CASE WHEN login_throttle.window_start < now() - make_interval(secs => $2)
                               THEN now() ELSE login_throttle.window_start END,
           last_failure_at = now()
         RETURNING failures`,
        [key, c.loginWindowSeconds],
      );
      if (lockAt !== null && (r.rows[0]?.failures ?? 0) >= lockAt) {
        await this.deps.db.query(
          `UPDATE login_throttle SET locked_until = now() + make_interval(secs => $2), failures = 0,
             window_start = now() WHERE key = $1`,
          [key, c.loginLockoutSeconds],
        );
      }
    }
  }

  /** Forgets the failures of a username: from every address, or from one (`pairKey`). */
  private async clearFailures(q: Queryable, username: string, pairKey?: string): Promise<number> {
    const name = username.toLowerCase();
    if (pairKey) {
      return (await q.query('DELETE FROM login_throttle WHERE key = $1', [pairKey])).rowCount;
    }
    const r = await q.query(`DELETE FROM login_throttle WHERE key = $1 OR left(key, length($2)) = $2`, [
      `user:${name}`,
      `ua:${name}|`,
    ]);
    return r.rowCount;
  }

  // ---- sessions ---------------------------------------------------------------------------------

  /**
   * Checks a password (and the one-time code of users who enrolled one) and opens a session. See
   * the throttling notes above; every failure is audited.
   */
  async login(
    username: string,
    password: string,
    ctx: RequestContext,
    otp?: string | undefined,
  ): Promise<LoginResult> {
    const keys = this.throttleKeys(username, ctx.sourceIp);
    const wait = await this.waitSeconds(keys);
    if (wait > 0) {
      throw new RateLimitError(`too many failed logins; try again in ${wait} s`, wait, {
        code: 'auth.rate_limited',
        details: [{ path: '(login)', message: 'too many failed logins', params: { seconds: wait } }],
      });
    }
    const r = await this.deps.db.query<UserRow>('SELECT * FROM users WHERE username = $1', [
      username.toLowerCase(),
    ]);
    const row = r.rows[0];
    // Spend the same time whether or not the user exists.
    const ok = await verifyPassword(password, row?.password_hash ?? this.dummyHash);
    const anonymous: Identity = {
      kind: 'user',
      id: row?.id ?? 'unknown',
      name: username.slice(0, 64),
      roles: [],
      permissions: new Set(),
      orgUnitId: row?.org_unit_id ?? '',
      orgUnitPath: (row && (await this.deps.orgUnits.pathOf(row.org_unit_id))) || (await this.rootPath()),
      sourceIp: ctx.sourceIp,
      requestId: ctx.requestId,
      clientRequestId: ctx.clientRequestId,
    };
    const fail = async (reason: string, err: Error): Promise<never> => {
      await this.recordFailure(keys);
      await this.deps.audit.record(anonymous, {
        action: 'auth.login',
        targetType: 'session',
        outcome: 'failure',
        details: { reason },
      });
      throw err;
    };
    const wrong = new AuthenticationError('wrong username or password', { code: 'auth.invalid_credentials' });
    const good = row && ok && !row.disabled ? row : undefined;
    // A second factor: checked only once the password is right.
    let step: bigint | undefined;
    if (good?.totp_secret && otp !== undefined) {
      step = verifyTotp(this.openTotp(good.id, good.totp_secret), otp, Date.now(), {
        afterStep: good.totp_last_step === null ? null : BigInt(good.totp_last_step),
      });
    }
    const lockedFor = await this.userLockedFor(keys.user);
    if (lockedFor > 0 && step === undefined) {
      // The same answer for a right and a wrong password, so a locked username reveals neither.
      const locked = new RateLimitError(
        `this username is locked after too many failed logins; it unlocks in ${lockedFor} s, ` +
          'or log in with your password and one-time code, or ask an administrator to unlock it',
        lockedFor,
        {
          code: 'auth.locked',
          details: [{ path: 'username', message: 'locked', params: { seconds: lockedFor } }],
        },
      );
      // Counted alike too: otherwise the next Retry-After would tell a right password from a wrong one.
      return fail(
        !row
          ? 'unknown user (locked)'
          : !good
            ? 'wrong password (locked)'
            : 'right password without one-time code (locked)',
        locked,
      );
    }
    if (!good) {
      return fail(!row ? 'unknown user' : row.disabled ? 'user disabled' : 'wrong password', wrong);
    }
    if (good.totp_secret) {
      if (otp === undefined) {
        throw new OtpRequiredError(
          'one-time code required: send "otp" with the 6 digits from your authenticator',
        );
      }
      if (step === undefined)
        return fail(
          'wrong one-time code',
          new AuthenticationError('wrong one-time code', { code: 'auth.otp_invalid' }),
        );
    }
    const row2 = good;
    const used = await this.deps.db.transaction(async (q) => {
      if (step !== undefined) {
        // Conditional, so two logins racing with one code cannot both use it.
        const r = await q.query(
          `UPDATE users SET totp_last_step = $2 WHERE id = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)`,
          [row2.id, step.toString()],
        );
        if (r.rowCount === 0) return false;
      }
      // The owner proved the password (and the second factor when locked): forget failures.
      await this.clearFailures(q, username, lockedFor > 0 ? undefined : keys.pair);
      return true;
    });
    if (!used)
      return fail(
        'one-time code used twice',
        new AuthenticationError('wrong one-time code', { code: 'auth.otp_invalid' }),
      );
    if (lockedFor > 0) {
      await this.deps.audit.record(anonymous, {
        action: 'user.unlock',
        targetType: 'user',
        targetId: row2.id,
        orgUnitId: row2.org_unit_id,
        details: { by: 'password and one-time code' },
      });
    }
    return this.openSession(row2, ctx);
  }

  private async openSession(row: UserRow, ctx: RequestContext): Promise<LoginResult> {
    const sessionId = randomBytes(32).toString('base64url');
    const csrfToken = randomBytes(24).toString('base64url');
    const expiresAt = new Date(Date.now() + this.deps.config.sessionTtlHours * 3_600_000);
    await this.deps.db.query(
      `INSERT INTO sessions (id_hash, user_id, csrf_token, source_ip, user_agent, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6)`,
      [
        hashSecret(sessionId),
        row.id,
        csrfToken,
        ctx.sourceIp ?? null,
        ctx.userAgent?.slice(0, 300) ?? null,
        expiresAt,
      ],
    );
    const identity = await this.identityFor(row, 'user', row.id, ctx);
    identity.csrfToken = csrfToken;
    await this.deps.audit.record(identity, { action: 'auth.login', targetType: 'session', targetId: row.id });
    return { sessionId, csrfToken, expiresAt, identity, user: toUser(row) };
  }

  // ---- second factor (TOTP) ---------------------------------------------------------------------

  /** Seals a TOTP secret; without a usable secret key one-time codes answer 503 naming the fix. */
  private sealTotp(userId: string, secret: Buffer): string {
    try {
      if (!this.deps.sealer) throw new Error('no sealer');
      return this.deps.sealer.seal(secret.toString('base64url'), `totp:${userId}`);
    } catch {
      throw new UnavailableError(
        'one-time codes are unavailable: the control plane has no secret key (set TIANSHU_SECRET_KEY)',
        { code: 'secret.unavailable' },
      );
    }
  }

  private openTotp(userId: string, sealed: string): Buffer {
    try {
      if (!this.deps.sealer) throw new Error('no sealer');
      return Buffer.from(this.deps.sealer.open(sealed, `totp:${userId}`), 'base64url');
    } catch {
      throw new UnavailableError(
        'the one-time code cannot be checked: its secret does not open with the control plane’s secret key; ' +
          'an admin can remove it (DELETE /api/v1/users/{id}/totp)',
        { code: 'secret.unavailable' },
      );
    }
  }

  /**
   * Starts enrolling a second factor for the calling user, who proves the password again: returns
   * the `otpauth://` URI (holding the secret) once; the secret is stored sealed and takes effect
   * when a code from it is confirmed.
   */
  async beginTotp(identity: Identity, password: string): Promise<{ otpauthUri: string }> {
    const row = await this.ownRow(identity);
    if (!(await verifyPassword(password, row.password_hash))) {
      throw new AuthenticationError('password: wrong password', { code: 'auth.password_incorrect' });
    }
    if (row.totp_secret)
      throw new ConflictError('a one-time code is already enrolled; remove it first', {
        code: 'otp.already_enrolled',
      });
    const secret = newTotpSecret();
    const sealed = this.sealTotp(row.id, secret);
    await this.deps.db.transaction(async (q) => {
      await q.query('UPDATE users SET totp_pending = $2, updated_at = now() WHERE id = $1', [row.id, sealed]);
      await this.deps.audit.record(
        identity,
        { action: 'user.totp.begin', targetType: 'user', targetId: row.id, orgUnitId: row.org_unit_id },
        q,
      );
    });
    return { otpauthUri: otpauthUri({ issuer: this.deps.config.totpIssuer, account: row.username, secret }) };
  }

  /** Confirms the pending second factor with a code from it; from then on logins need a code. */
  async confirmTotp(identity: Identity, code: string): Promise<{ totpEnabled: true }> {
    const row = await this.ownRow(identity);
    if (!row.totp_pending)
      throw new InputError('code: no one-time code enrolment is pending; start one first', {
        code: 'otp.not_pending',
      });
    const step = verifyTotp(this.openTotp(row.id, row.totp_pending), code, Date.now());
    if (step === undefined) throw new InputError('code: wrong one-time code', { code: 'otp.code_invalid' });
    await this.deps.db.transaction(async (q) => {
      await q.query(
        `UPDATE users SET totp_secret = totp_pending, totp_pending = NULL, totp_enabled_at = now(),
           totp_last_step = $2, updated_at = now() WHERE id = $1`,
        [row.id, step.toString()],
      );
      await this.deps.audit.record(
        identity,
        { action: 'user.totp.enable', targetType: 'user', targetId: row.id, orgUnitId: row.org_unit_id },
        q,
      );
    });
    return { totpEnabled: true };
  }

  /** Removes the caller's second factor; needs a current code. */
  async removeTotp(identity: Identity, code: string): Promise<void> {
    const row = await this.ownRow(identity);
    if (!row.totp_secret) throw new NotFoundError('no one-time code is enrolled');
    const step = verifyTotp(this.openTotp(row.id, row.totp_secret), code, Date.now(), {
      afterStep: row.totp_last_step === null ? null : BigInt(row.totp_last_step),
    });
    if (step === undefined) throw new InputError('code: wrong one-time code', { code: 'otp.code_invalid' });
    await this.deps.db.transaction(async (q) => {
      await q.query(
        `UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_enabled_at = NULL, totp_last_step = NULL,
           updated_at = now() WHERE id = $1`,
        [row.id],
      );
      await this.deps.audit.record(
        identity,
        { action: 'user.totp.remove', targetType: 'user', targetId: row.id, orgUnitId: row.org_unit_id },
        q,
      );
    });
  }

  private async ownRow(identity: Identity): Promise<UserRow> {
    if (identity.kind !== 'user' || !identity.userId) {
      throw new InputError('one-time codes are managed by users from a console session', {
        code: 'auth.session_required',
      });
    }
    const r = await this.deps.db.query<UserRow>('SELECT * FROM users WHERE id = $1', [identity.userId]);
    if (!r.rows[0]) throw new NotFoundError('user not found');
    return r.rows[0];
  }

  /** Removes a user's second factor, e.g. after a lost phone (admin, audited). */
  async resetTotp(identity: Identity, id: string): Promise<{ removed: boolean }> {
    requirePermission(identity, 'users:write');
    return this.deps.db.transaction(async (q) => {
      const row = await this.loadUserInScope(identity, id, q);
      const removed = row.totp_secret !== null;
      await q.query(
        `UPDATE users SET totp_secret = NULL, totp_pending = NULL, totp_enabled_at = NULL, totp_last_step = NULL,
           updated_at = now() WHERE id = $1`,
        [row.id],
      );
      await this.deps.audit.record(
        identity,
        {
          action: 'user.totp.reset',
          targetType: 'user',
          targetId: row.id,
          orgUnitId: row.org_unit_id,
          details: { username: row.username, removed },
        },
        q,
      );
      return { removed };
    });
  }

  /** Clears a user's login lock and failure counts (admin, audited). */
  async unlockUser(identity: Identity, id: string): Promise<{ unlocked: boolean }> {
    requirePermission(identity, 'users:write');
    return this.deps.db.transaction(async (q) => {
      const row = await this.loadUserInScope(identity, id, q);
      const locked = await q.query('SELECT 1 FROM login_throttle WHERE key = $1 AND locked_until > now()', [
        `user:${row.username}`,
      ]);
      const cleared = await this.clearFailures(q, row.username);
      await this.deps.audit.record(
        identity,
        {
          action: 'user.unlock',
          targetType: 'user',
          targetId: row.id,
          orgUnitId: row.org_unit_id,
          details: { username: row.username, wasLocked: locked.rowCount > 0, clearedKeys: cleared },
        },
        q,
      );
      return { unlocked: locked.rowCount > 0 };
    });
  }

  private async rootPath(): Promise<string> {
    return (await this.deps.orgUnits.root())?.path ?? '/';
  }

  async logout(identity: Identity, sessionId: string): Promise<void> {
    await this.deps.db.query('DELETE FROM sessions WHERE id_hash = $1', [hashSecret(sessionId)]);
    await this.deps.audit.record(identity, {
      action: 'auth.logout',
      targetType: 'session',
      targetId: identity.id,
    });
  }

  /** The identity behind a session cookie, or undefined when it is unknown or expired. */
  async resolveSession(sessionId: string, ctx: RequestContext): Promise<Identity | undefined> {
    const r = await this.deps.db.query<UserRow & { csrf_token: string; last_seen_at: Date }>(
      `SELECT u.*, s.csrf_token, s.last_seen_at FROM sessions s JOIN users u ON u.id = s.user_id
       WHERE s.id_hash = $1 AND s.expires_at > now() AND NOT u.disabled`,
      [hashSecret(sessionId)],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    if (Date.now() - new Date(row.last_seen_at).getTime() > 60_000) {
      // Best effort on a full disk: the console can still read (and see why writes fail).
      await this.deps.db
        .query('UPDATE sessions SET last_seen_at = now() WHERE id_hash = $1', [hashSecret(sessionId)])
        .catch((err: unknown) => {
          if (!(err instanceof StorageFullError)) throw err;
        });
    }
    const identity = await this.identityFor(row, 'user', row.id, ctx);
    identity.csrfToken = row.csrf_token;
    return identity;
  }

  async userOf(
    identity: Identity,
  ): Promise<User & { orgUnitName: string; totpEnabled: boolean; locale: UserLocale | null }> {
    const r = await this.deps.db.query<UserRow & { org_unit_name: string }>(
      'SELECT u.*, o.name AS org_unit_name FROM users u JOIN org_units o ON o.id = u.org_unit_id WHERE u.id::text = $1',
      [identity.userId ?? ''],
    );
    const row = r.rows[0];
    if (!row) throw new NotFoundError('user not found');
    return {
      ...toUser(row),
      orgUnitName: row.org_unit_name,
      totpEnabled: row.totp_secret !== null,
      locale: isUserLocale(row.locale) ? row.locale : null,
    };
  }

  /**
   * Stores the caller's console language (null: follow the browser). Users change only their own;
   * the change is audited.
   */
  async setPreferences(
    identity: Identity,
    prefs: { locale: UserLocale | null },
  ): Promise<{ locale: UserLocale | null }> {
    const row = await this.ownRow(identity);
    await this.deps.db.transaction(async (q) => {
      await q.query('UPDATE users SET locale = $2, updated_at = now() WHERE id = $1', [row.id, prefs.locale]);
      await this.deps.audit.record(
        identity,
        {
          action: 'user.preferences.update',
          targetType: 'user',
          targetId: row.id,
          orgUnitId: row.org_unit_id,
          details: { locale: prefs.locale },
        },
        q,
      );
    });
    return { locale: prefs.locale };
  }

  // ---- API tokens -------------------------------------------------------------------------------

  /** Creates a token acting as the caller; the secret is returned once and stored hashed. */
  async createApiToken(
    identity: Identity,
    input: { name: string; expiresInDays?: number | undefined },
  ): Promise<ApiTokenInfo & { token: string }> {
    requirePermission(identity, 'tokens:write');
    if (identity.kind !== 'user' || !identity.userId) {
      throw new InputError('API tokens are created by users from a console session', {
        code: 'auth.session_required',
      });
    }
    const token = newSecret('tsk');
    const id = randomUUID();
    const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null;
    await this.deps.db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO api_tokens (id, name, token_hash, prefix, user_id, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [id, input.name, hashSecret(token), displayPrefix(token), identity.userId, expiresAt],
      );
      await this.deps.audit.record(
        identity,
        { action: 'api-token.create', targetType: 'api-token', targetId: id, details: { name: input.name } },
        tx,
      );
    });
    return {
      id,
      name: input.name,
      prefix: displayPrefix(token),
      createdAt: new Date().toISOString(),
      expiresAt: expiresAt?.toISOString() ?? null,
      lastUsedAt: null,
      revokedAt: null,
      token,
    };
  }

  async listApiTokens(identity: Identity): Promise<ApiTokenInfo[]> {
    const r = await this.deps.db.query<{
      id: string;
      name: string;
      prefix: string;
      created_at: Date;
      expires_at: Date | null;
      last_used_at: Date | null;
      revoked_at: Date | null;
    }>('SELECT * FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC', [identity.userId ?? null]);
    const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
    return r.rows.map((t) => ({
      id: t.id,
      name: t.name,
      prefix: t.prefix,
      createdAt: new Date(t.created_at).toISOString(),
      expiresAt: iso(t.expires_at),
      lastUsedAt: iso(t.last_used_at),
      revokedAt: iso(t.revoked_at),
    }));
  }

  async revokeApiToken(identity: Identity, id: string): Promise<void> {
    await this.deps.db.transaction(async (tx) => {
      const r = await tx.query(
        'UPDATE api_tokens SET revoked_at = now() WHERE id::text = $1 AND user_id = $2 AND revoked_at IS NULL',
        [id, identity.userId ?? null],
      );
      if (r.rowCount === 0) throw new NotFoundError(`API token "${id}" not found`);
      await this.deps.audit.record(
        identity,
        { action: 'api-token.revoke', targetType: 'api-token', targetId: id },
        tx,
      );
    });
  }

  async resolveApiToken(token: string, ctx: RequestContext): Promise<Identity | undefined> {
    const r = await this.deps.db.query<UserRow & { token_id: string; token_last_used: Date | null }>(
      `SELECT u.*, t.id AS token_id, t.last_used_at AS token_last_used FROM api_tokens t JOIN users u ON u.id = t.user_id
       WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > now())
         AND NOT u.disabled`,
      [hashSecret(token)],
    );
    const row = r.rows[0];
    if (!row) return undefined;
    if (!row.token_last_used || Date.now() - new Date(row.token_last_used).getTime() > 60_000) {
      await this.deps.db.query('UPDATE api_tokens SET last_used_at = now() WHERE id = $1', [row.token_id]);
    }
    const identity = await this.identityFor(row, 'token', row.token_id, ctx);
    identity.name = `${row.username} (token)`;
    return identity;
  }

  // ---- users ------------------------------------------------------------------------------------

  async listUsers(identity: Identity): Promise<User[]> {
    requirePermission(identity, 'users:read');
    const r = await this.deps.db.query<UserRow>(
      `SELECT u.* FROM users u JOIN org_units o ON o.id = u.org_unit_id WHERE o.path LIKE $1 ORDER BY u.username`,
      [identity.orgUnitPath + '%'],
    );
    return r.rows.map(toUser);
  }

  private async loadUserInScope(identity: Identity, id: string, q: Queryable): Promise<UserRow> {
    const r = await q.query<UserRow & { path: string }>(
      'SELECT u.*, o.path FROM users u JOIN org_units o ON o.id = u.org_unit_id WHERE u.id::text = $1',
      [id],
    );
    const row = r.rows[0];
    if (!row || !inScope(identity, row.path)) throw new NotFoundError(`user "${id}" not found`);
    return row;
  }

  async getUser(identity: Identity, id: string): Promise<User> {
    requirePermission(identity, 'users:read');
    return toUser(await this.loadUserInScope(identity, id, this.deps.db));
  }

  /** A caller may only grant roles whose permissions it holds itself (no privilege escalation). */
  private assertCanGrant(identity: Identity, roles: readonly string[]): void {
    if (identity.permissions.has('*')) return;
    for (const p of this.permissionsOf(roles)) {
      if (!identity.permissions.has(p))
        throw new InputError(`you cannot grant roles with permission "${p}" that you do not hold`, {
          code: 'user.role_not_held',
          details: [{ path: 'roles', message: 'permission not held', params: { permission: p } }],
        });
    }
  }

  async createUser(identity: Identity, input: UserInput, tx?: Queryable): Promise<User> {
    requirePermission(identity, 'users:write');
    this.assertRolesKnown(input.roles);
    this.assertCanGrant(identity, input.roles);
    const problem = passwordProblem(input.password);
    if (problem) throw weakPassword(problem);
    const hash = await hashPassword(input.password, this.deps.config.passwordHashCost);
    const run = async (q: Queryable) => {
      await this.deps.orgUnits.assertInScope(identity, input.orgUnitId, q);
      const dup = await q.query('SELECT 1 FROM users WHERE username = $1', [input.username]);
      if (dup.rowCount) throw notAvailable('username', `username "${input.username}"`);
      const r = await q.query<UserRow>(
        `INSERT INTO users (id, username, display_name, password_hash, roles, org_unit_id)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [randomUUID(), input.username, input.displayName, hash, input.roles, input.orgUnitId],
      );
      const user = toUser(r.rows[0]!);
      await this.deps.audit.record(
        identity,
        {
          action: 'user.create',
          targetType: 'user',
          targetId: user.id,
          orgUnitId: user.orgUnitId,
          details: { username: user.username, roles: user.roles },
        },
        q,
      );
      return user;
    };
    return tx ? run(tx) : this.deps.db.transaction(run);
  }

  /**
   * Changes a user. A new password (or disabling) ends the user's sessions, except the caller's own
   * session (`opts.sessionId`) when users change their own password, and revokes every API token
   * of the user; the answer and the audit entry say how many.
   */
  async updateUser(
    identity: Identity,
    id: string,
    patch: UserPatch,
    opts: { sessionId?: string | undefined } = {},
  ): Promise<User & { revoked?: { apiTokens: number; sessions: number } }> {
    requirePermission(identity, 'users:write');
    if (patch.roles) {
      this.assertRolesKnown(patch.roles);
      this.assertCanGrant(identity, patch.roles);
    }
    let hash: string | undefined;
    if (patch.password !== undefined) {
      const problem = passwordProblem(patch.password);
      if (problem) throw weakPassword(problem);
      hash = await hashPassword(patch.password, this.deps.config.passwordHashCost);
    }
    return this.deps.db.transaction(async (q) => {
      const row = await this.loadUserInScope(identity, id, q);
      if (row.id === identity.userId && (patch.disabled || patch.roles)) {
        throw new InputError('you cannot disable yourself or change your own roles', {
          code: 'user.self_change',
        });
      }
      const r = await q.query<UserRow>(
        `UPDATE users SET display_name = COALESCE($2, display_name), roles = COALESCE($3, roles),
           disabled = COALESCE($4, disabled), password_hash = COALESCE($5, password_hash),
           password_changed_at = CASE WHEN $5::text IS NULL THEN password_changed_at ELSE now() END,
           updated_at = now()
         WHERE id = $1 RETURNING *`,
        [row.id, patch.displayName ?? null, patch.roles ?? null, patch.disabled ?? null, hash ?? null],
      );
      let revoked: { apiTokens: number; sessions: number } | undefined;
      if (patch.disabled || hash) {
        const keep = hash && !patch.disabled && opts.sessionId ? hashSecret(opts.sessionId) : null;
        const sessions = await q.query(
          'DELETE FROM sessions WHERE user_id = $1 AND id_hash IS DISTINCT FROM $2',
          [row.id, keep],
        );
        const tokens = await q.query(
          'UPDATE api_tokens SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL',
          [row.id],
        );
        revoked = { apiTokens: tokens.rowCount, sessions: sessions.rowCount };
      }
      const { password: _omit, ...shown } = patch;
      await this.deps.audit.record(
        identity,
        {
          action: 'user.update',
          targetType: 'user',
          targetId: row.id,
          orgUnitId: row.org_unit_id,
          details: {
            ...shown,
            passwordChanged: hash !== undefined,
            ...(revoked ? { revokedApiTokens: revoked.apiTokens, endedSessions: revoked.sessions } : {}),
          },
        },
        q,
      );
      return { ...toUser(r.rows[0]!), ...(revoked ? { revoked } : {}) };
    });
  }

  async deleteUser(identity: Identity, id: string): Promise<void> {
    requirePermission(identity, 'users:write');
    await this.deps.db.transaction(async (q) => {
      const row = await this.loadUserInScope(identity, id, q);
      if (row.id === identity.userId)
        throw new InputError('you cannot delete yourself', { code: 'user.self_change' });
      await q.query('DELETE FROM users WHERE id = $1', [row.id]);
      await this.deps.audit.record(
        identity,
        {
          action: 'user.delete',
          targetType: 'user',
          targetId: row.id,
          orgUnitId: row.org_unit_id,
          details: { username: row.username },
        },
        q,
      );
    });
  }

  /**
   * First start: creates user `admin` bound to the root org unit with `password`, or with a generated
   * one that is returned so the caller can print it once. Does nothing when `admin` exists.
   */
  async ensureAdmin(
    identity: Identity,
    rootOrgUnitId: string,
    password?: string,
  ): Promise<string | undefined> {
    const r = await this.deps.db.query('SELECT 1 FROM users WHERE username = $1', ['admin']);
    if (r.rowCount > 0) return undefined;
    const pw = password ?? generatePassword();
    await this.createUser(identity, {
      username: 'admin',
      displayName: 'Administrator',
      password: pw,
      roles: ['admin'],
      orgUnitId: rootOrgUnitId,
    });
    this.deps.log.info('created user admin');
    return password ? undefined : pw;
  }

  /** Removes expired sessions and stale throttle rows (periodic job). */
  async sweep(): Promise<void> {
    await this.deps.db.query('DELETE FROM sessions WHERE expires_at < now()');
    await this.deps.db.query(
      `DELETE FROM login_throttle WHERE (locked_until IS NULL OR locked_until < now())
         AND window_start < now() - interval '1 day'`,
    );
  }
}

/** A new password that breaks the rules: 400 `user.password_weak`, the rule in the detail. */
function weakPassword(problem: string): InputError {
  return new InputError(problem, {
    code: 'user.password_weak',
    details: [{ path: 'password', message: problem, code: 'user.password_weak' }],
  });
}
