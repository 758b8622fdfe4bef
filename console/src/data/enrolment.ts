import { msg } from '@lit/localize';
import { apiFetch } from './api.js';

/** The roles an enrolment token can grant; the console offers `host` and `edge`. */
export type EnrolmentRole = 'host' | 'edge' | 'lab';

/** An enrolment token as listed: never its secret. */
export interface EnrolmentToken {
  id: string;
  name: string;
  /** The first characters of the secret, to recognise it. */
  prefix: string;
  orgUnitId: string;
  roles: string[];
  maxUses: number;
  uses: number;
  expiresAt: string;
  createdBy: string;
  createdAt: string;
  revokedAt: string | null;
}

/** The answer to a creation: the record and the secret, which the server shows this once. */
export interface CreatedEnrolmentToken extends EnrolmentToken {
  token: string;
}

export interface EnrolmentTokenInput {
  name: string;
  orgUnitId: string;
  roles: EnrolmentRole[];
  maxUses: number;
  expiresInHours: number;
}

export interface EnrolmentTokenList {
  items: EnrolmentToken[];
}

export const fetchEnrolmentTokens = (signal?: AbortSignal): Promise<EnrolmentTokenList> =>
  apiFetch<EnrolmentTokenList>('/api/v1/fleet/enrolment-tokens', { signal });

export const createEnrolmentToken = (input: EnrolmentTokenInput): Promise<CreatedEnrolmentToken> =>
  apiFetch<CreatedEnrolmentToken>('/api/v1/fleet/enrolment-tokens', { method: 'POST', body: input });

export const revokeEnrolmentToken = (id: string): Promise<void> =>
  apiFetch<void>(`/api/v1/fleet/enrolment-tokens/${encodeURIComponent(id)}`, { method: 'DELETE' });

/** Revokes an agent's credential; the agent can no longer report and must be enrolled again. */
export const revokeAgent = (id: string): Promise<void> =>
  apiFetch<void>(`/api/v1/agents/${encodeURIComponent(id)}`, { method: 'DELETE' });

export type EnrolmentTokenState = 'active' | 'used-up' | 'expired' | 'revoked';

/** What a token's state is called in the console's language. */
export function enrolmentTokenStateLabel(state: EnrolmentTokenState): string {
  switch (state) {
    case 'active':
      return msg('active', { id: 'enrolment.state.active' });
    case 'used-up':
      return msg('used up', { id: 'enrolment.state.usedUp' });
    case 'expired':
      return msg('expired', { id: 'enrolment.state.expired' });
    case 'revoked':
      return msg('revoked', { id: 'enrolment.state.revoked' });
  }
}

/**
 * Whether a token can still enrol an agent. Revocation wins over everything, then a token that has
 * reached its uses, then one past its expiry; a token whose expiry cannot be read counts as expired.
 */
export function enrolmentTokenState(
  token: Pick<EnrolmentToken, 'revokedAt' | 'uses' | 'maxUses' | 'expiresAt'>,
  now: number = Date.now(),
): EnrolmentTokenState {
  if (token.revokedAt) return 'revoked';
  if (token.uses >= token.maxUses) return 'used-up';
  const expires = Date.parse(token.expiresAt);
  if (Number.isNaN(expires) || expires <= now) return 'expired';
  return 'active';
}

/** Characters that a POSIX shell never treats specially inside a word. */
const shellSafe = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes a value for a POSIX shell: safe words stay as they are, anything else is put in single
 * quotes, with each single quote closed, escaped and reopened.
 */
export function shellQuote(value: string): string {
  if (value === '') return "''";
  if (shellSafe.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** The two commands that enrol an agent on its host and then run it with the same roles. */
export function enrolCommands(server: string, token: string, roles: readonly string[]): string[] {
  const roleList = shellQuote(roles.join(','));
  return [
    `tianshu-agent enrol --server ${shellQuote(server)} --token ${shellQuote(token)} --roles ${roleList}`,
    `tianshu-agent run --roles ${roleList}`,
  ];
}
