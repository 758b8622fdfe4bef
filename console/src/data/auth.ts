import { apiFetch, setCsrfToken } from './api.js';
import type { AppLocale } from '../i18n/locale.js';

/** The signed-in user as the control plane describes them. */
export interface User {
  id: string;
  username: string;
  displayName: string;
  roles: string[];
  orgUnitId: string;
  orgUnitName: string;
  /** Whether the user signs in with a one-time code as well. */
  totpEnabled?: boolean;
  /** The console language the user chose; null or absent: follow the browser. */
  locale?: AppLocale | null;
}

export interface Session {
  user: User;
  /** Null when the caller is not authenticated by a browser session (e.g. an API token). */
  csrfToken: string | null;
}

/**
 * Signs in; the server sets an HttpOnly session cookie and returns the CSRF token for later writes.
 * Users with a second factor send `otp`; without it the server rejects with code `auth.otp_required`.
 */
export async function login(username: string, password: string, otp?: string): Promise<User> {
  const session = await apiFetch<Session>('/api/v1/auth/login', {
    method: 'POST',
    body: { username, password, ...(otp ? { otp } : {}) },
    notifyUnauthorized: false,
  });
  setCsrfToken(session.csrfToken);
  return session.user;
}

/** Returns the current user, or rejects with a 401 `ApiError` when there is no session. */
export async function fetchMe(signal?: AbortSignal): Promise<User> {
  const session = await apiFetch<Session>('/api/v1/auth/me', { signal, notifyUnauthorized: false });
  setCsrfToken(session.csrfToken);
  return session.user;
}

/** Ends the session; the CSRF token is forgotten even if the server cannot be reached. */
export async function logout(): Promise<void> {
  try {
    await apiFetch<void>('/api/v1/auth/logout', { method: 'POST', notifyUnauthorized: false });
  } finally {
    setCsrfToken(null);
  }
}

/** Roles that may enrol and revoke agents and manage API tokens from the console. */
export const managingRoles: readonly string[] = ['admin', 'network-operator', 'cloud-admin'];

/** Whether the console offers write actions (enrol, create, revoke) to this user. */
export function canManage(user: Pick<User, 'roles'> | null | undefined): boolean {
  return user?.roles.some((role) => managingRoles.includes(role)) ?? false;
}

/** Keeps the user's console language on the server, so it follows them to another browser. */
export async function saveLocale(locale: AppLocale | null): Promise<void> {
  await apiFetch<{ locale: AppLocale | null }>('/api/v1/auth/me/preferences', {
    method: 'PUT',
    body: { locale },
  });
}
