import { isIP } from 'node:net';
import { z } from 'zod';
import { InputError, type ErrorDetail } from '../../errors.js';
import type { ErrorCodeWithStatus } from '../../error-codes.js';
import type { QuotasPolicy, ResourceClassDef } from '../policy.js';
import type { CloudKind } from '../types.js';

/** The cloud kinds under quota management. */
export const MANAGED_KINDS = ['kubernetes', 'openstack', 'manual'] as const satisfies readonly CloudKind[];

export function isManagedKind(kind: string): kind is CloudKind {
  return (MANAGED_KINDS as readonly string[]).includes(kind);
}

/** What an admin sends to set a cloud's connection (`PUT /clouds/{id}/connection`). */
export const ConnectionInput = z
  .object({
    kind: z.enum(MANAGED_KINDS).optional(),
    endpoint: z.string().trim().min(1).max(2000).optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
    secrets: z.record(z.string(), z.string()).optional(),
  })
  .strict();
export type ConnectionInput = z.infer<typeof ConnectionInput>;

/** What an admin sends to enter capacity and overcommit (`PUT /clouds/{id}/capacity`). */
export const CapacityInput = z
  .object({
    classes: z.record(
      z.string(),
      z
        .object({
          capacity: z.number().finite().nullable().optional(),
          overcommit: z.number().finite().nullable().optional(),
        })
        .strict(),
    ),
  })
  .strict();
export type CapacityInput = z.infer<typeof CapacityInput>;

/** Secret and setting names per kind (the secrets are write-only; the settings are shown). */
export const KIND_FIELDS: Record<
  CloudKind,
  { secrets: readonly string[]; requiredSecrets: readonly string[]; settings: readonly string[] }
> = {
  kubernetes: {
    secrets: ['token'],
    requiredSecrets: ['token'],
    settings: ['caCert', 'insecureSkipTlsVerify', 'timeoutSeconds'],
  },
  openstack: {
    secrets: ['applicationCredentialId', 'applicationCredentialSecret'],
    requiredSecrets: ['applicationCredentialId', 'applicationCredentialSecret'],
    settings: ['region', 'interface', 'projectDomain', 'timeoutSeconds', 'concurrency', 'forceBelowUsage'],
  },
  manual: { secrets: [], requiredSecrets: [], settings: [] },
};

function invalid(
  path: string,
  message: string,
  code: ErrorCodeWithStatus<400> = 'cloud.connection_invalid',
): InputError {
  const detail: ErrorDetail = { path, message, code };
  return new InputError(`cloud connection is not valid: ${path}: ${message}`, { code, details: [detail] });
}

/** True for loopback hosts (127.0.0.0/8, ::1, localhost). */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

/**
 * Checks an endpoint: an http(s) URL without user name, password, query or fragment; plain http only
 * to loopback (the embedded simulated clouds), since the connection carries a bearer secret; for
 * OpenStack the Keystone v3 URL (`…/v3`).
 */
export function checkEndpoint(kind: CloudKind, raw: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw invalid('endpoint', `"${raw.slice(0, 100)}" is not a URL`);
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') {
    throw invalid('endpoint', 'the endpoint is an http(s) URL');
  }
  if (u.username || u.password) {
    throw invalid('endpoint', 'the endpoint carries no user name or password; put credentials in secrets');
  }
  if (u.search || u.hash) throw invalid('endpoint', 'the endpoint has no query or fragment');
  if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) {
    throw invalid(
      'endpoint',
      'plain http is allowed only to loopback (127.0.0.0/8, ::1); use https so the secrets are not sent in the clear',
      'cloud.endpoint_insecure',
    );
  }
  const url = u.toString().replace(/\/$/, '');
  // The Keystone v3 URL: `/v3` is added when missing (as the OpenStack adapter does).
  if (kind === 'openstack' && !/\/v3\/?$/.test(u.pathname)) return `${url}/v3`;
  return url;
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/** Checks the kind's settings; unknown names are refused (a secret put in settings would be shown). */
export function checkSettings(kind: CloudKind, raw: Record<string, unknown>): Record<string, unknown> {
  const allowed = KIND_FIELDS[kind].settings;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (KIND_FIELDS[kind].secrets.includes(k)) {
      throw invalid(`settings.${k}`, `"${k}" is a secret: send it in secrets, which are never shown`);
    }
    if (!allowed.includes(k)) {
      throw invalid(
        `settings.${k}`,
        `unknown setting for a ${kind} cloud${allowed.length ? ` (known: ${allowed.join(', ')})` : ' (it has none)'}`,
      );
    }
    if (v === null || v === undefined) continue;
    switch (k) {
      case 'caCert':
        if (typeof v !== 'string' || v.length > 64_000 || !PEM.test(v)) {
          throw invalid('settings.caCert', 'caCert is a PEM certificate (-----BEGIN CERTIFICATE-----)');
        }
        break;
      case 'insecureSkipTlsVerify':
      case 'forceBelowUsage':
        if (typeof v !== 'boolean') throw invalid(`settings.${k}`, `${k} is true or false`);
        break;
      case 'timeoutSeconds':
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > 300) {
          throw invalid(`settings.${k}`, 'timeoutSeconds is a number of seconds from 1 to 300');
        }
        break;
      case 'concurrency':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 64) {
          throw invalid(`settings.${k}`, 'concurrency is a whole number from 1 to 64');
        }
        break;
      case 'interface':
        if (v !== 'public' && v !== 'internal' && v !== 'admin') {
          throw invalid('settings.interface', 'interface is public, internal or admin');
        }
        break;
      default:
        if (typeof v !== 'string' || !v.trim() || v.length > 200) {
          throw invalid(`settings.${k}`, `${k} is a text of 1 to 200 characters`);
        }
    }
    out[k] = typeof v === 'string' && k !== 'caCert' ? v.trim() : v;
  }
  return out;
}

/**
 * Merges the secrets sent with the stored ones (a secret absent keeps the stored one) and checks the
 * result is complete for the kind. Values never appear in the messages.
 */
export function mergeSecrets(
  kind: CloudKind,
  sent: Record<string, string>,
  stored: Record<string, string>,
): Record<string, string> {
  const f = KIND_FIELDS[kind];
  const out: Record<string, string> = {};
  for (const k of f.secrets) if (stored[k]) out[k] = stored[k];
  for (const [k, v] of Object.entries(sent)) {
    if (!f.secrets.includes(k)) {
      throw invalid(
        `secrets.${k}`,
        `unknown secret for a ${kind} cloud${f.secrets.length ? ` (known: ${f.secrets.join(', ')})` : ' (it has none)'}`,
      );
    }
    if (!v || v.length > 16_384 || /\s/.test(v) || [...v].some((ch) => ch.charCodeAt(0) < 0x20)) {
      throw invalid(`secrets.${k}`, `${k} is 1 to 16,384 characters without spaces or control characters`);
    }
    out[k] = v;
  }
  for (const k of f.requiredSecrets) {
    if (!out[k]) throw invalid(`secrets.${k}`, `a ${kind} connection needs ${k}`, 'cloud.secret_missing');
  }
  return out;
}

/** The class definition, or a refusal naming the known classes (`quota.unknown_class`). */
export function knownClass(policy: QuotasPolicy, id: string, path: string): ResourceClassDef {
  const c = policy.classes.find((x) => x.id === id);
  if (!c) {
    throw new InputError(
      `${path}: unknown resource class "${id.slice(0, 64)}" (known: ${policy.classes.map((x) => x.id).join(', ')})`,
      {
        code: 'quota.unknown_class',
        details: [{ path, message: 'unknown resource class', code: 'quota.unknown_class' }],
      },
    );
  }
  return c;
}

/** A capacity an admin enters: not negative, whole units for integer classes. */
export function checkAmount(cls: ResourceClassDef, amount: number, path: string): number {
  if (amount < 0) {
    throw new InputError(`${path}: capacity cannot be negative (got ${amount})`, {
      code: 'quota.negative',
      details: [{ path, message: 'negative', code: 'quota.negative' }],
    });
  }
  if (cls.integer && !Number.isInteger(amount)) {
    throw new InputError(`${path}: ${cls.id} is counted in whole ${cls.unit} (got ${amount})`, {
      code: 'quota.not_whole',
      details: [
        {
          path,
          message: 'not a whole number',
          code: 'quota.not_whole',
          params: { class: cls.id, amount, unit: cls.unit },
        },
      ],
    });
  }
  return amount;
}

export function checkOvercommit(factor: number, path: string): number {
  if (factor < 1 || factor > 100) {
    throw new InputError(`${path}: an overcommit factor is between 1 and 100 (got ${factor})`, {
      code: 'quota.overcommit_range',
      details: [{ path, message: 'out of range', code: 'quota.overcommit_range' }],
    });
  }
  return factor;
}

/**
 * Allocatable = capacity × overcommit, floored to whole units for integer classes (a tiny epsilon so
 * that 0.1 × 30 = 3 and not 2.9999…).
 */
export function allocatableOf(amount: number, overcommit: number, integer: boolean): number {
  const a = amount * overcommit;
  return integer ? Math.floor(a + 1e-9) : a;
}

/** Replaces every secret value found in `text` (an adapter's error message) with `[secret]`. */
export function scrubSecrets(text: string, secrets: Record<string, string>): string {
  let out = text;
  for (const v of Object.values(secrets)) {
    if (v && v.length >= 4) out = out.split(v).join('[secret]');
  }
  return out;
}
