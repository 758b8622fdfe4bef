/**
 * Error texts in the user's language. The control plane answers every error with a stable code from
 * its registry (`control-plane/src/error-codes.ts`) beside an English message; the console shows its
 * own translation of the code, with the values the server sent in `details[].params` filled in, and
 * falls back to the server's English message for a code it does not know (a newer server).
 */
import { msg, str } from '@lit/localize';
import type { ErrorCode } from '../../../control-plane/src/error-codes.js';
import { formatBytes, formatNumber } from '../common/format.js';
import { ApiError } from './api.js';

/** The code of an `ApiError` that never reached the server (status 0); not a server code. */
export const networkErrorCode = 'network.unreachable';

/** A parameter the server sent in one of the details, as text; undefined when absent. */
function param(error: ApiError, name: string): string | undefined {
  for (const d of error.details) {
    const value = d.params?.[name];
    if (typeof value === 'string' && value) return value;
    if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  }
  return undefined;
}

function numberParam(error: ApiError, name: string): number | undefined {
  const text = param(error, name);
  const n = text === undefined ? NaN : Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** The fields a validation error names, as `path: problem; …` (the problems are the server's words). */
function fieldList(error: ApiError): string {
  return error.details
    .slice(0, 3)
    .map((d) => (d.path && d.path !== '(root)' ? `${d.path}: ${d.message}` : d.message))
    .join('; ');
}

type Text = (error: ApiError) => string;

/**
 * One text per registry code. The type is the control plane's list of codes, so a code added there
 * without a text here does not compile (and `error-text.test.ts` compares the lists at run time).
 */
const texts: { [K in ErrorCode]: Text } = {
  'input.invalid': (e) => {
    const fields = fieldList(e);
    return fields
      ? msg(str`The input is not valid: ${fields}`, { id: 'error.input.invalid.fields' })
      : msg('The input is not valid.', { id: 'error.input.invalid' });
  },
  'input.json': () =>
    msg('The request could not be read (it is not valid JSON). Reload the page and try again.', {
      id: 'error.input.json',
    }),
  'input.yaml': (e) => msg(str`The YAML document is not valid: ${e.message}`, { id: 'error.input.yaml' }),
  'payload.too_large': (e) => {
    const limit = numberParam(e, 'limit');
    return limit === undefined
      ? msg('The request is too large.', { id: 'error.payload.too_large' })
      : msg(str`The request is too large; the limit is ${formatBytes(limit)}.`, {
          id: 'error.payload.too_large.limit',
        });
  },
  'route.not_found': () =>
    msg('This server does not offer this function (it may be an older version).', {
      id: 'error.route.not_found',
    }),
  'route.method_not_allowed': () =>
    msg('This server does not accept this request (method not allowed).', {
      id: 'error.route.method_not_allowed',
    }),
  'request.rejected': () => msg('The server refused the request.', { id: 'error.request.rejected' }),
  'auth.unauthenticated': () =>
    msg('You are not signed in, or your session has expired. Sign in again.', {
      id: 'error.auth.unauthenticated',
    }),
  'auth.invalid_credentials': () =>
    msg('Wrong username or password.', { id: 'error.auth.invalid_credentials' }),
  'auth.password_incorrect': () => msg('The password is wrong.', { id: 'error.auth.password_incorrect' }),
  'auth.otp_required': () =>
    msg('Enter the one-time code from your authenticator app.', { id: 'error.auth.otp_required' }),
  'auth.otp_invalid': () =>
    msg('Wrong one-time code, or the code was already used. Wait for the next code and try again.', {
      id: 'error.auth.otp_invalid',
    }),
  'auth.token_invalid': () =>
    msg('The API token is not valid, has expired or was revoked.', { id: 'error.auth.token_invalid' }),
  'auth.agent_credential_invalid': () =>
    msg('The agent credential is not valid or was revoked.', { id: 'error.auth.agent_credential_invalid' }),
  'auth.enrolment_token_invalid': () =>
    msg('The enrolment token is not valid, has expired, was revoked or is used up.', {
      id: 'error.auth.enrolment_token_invalid',
    }),
  'auth.locked': (e) => {
    const seconds = numberParam(e, 'seconds');
    return seconds === undefined
      ? msg(
          'This username is locked after too many failed sign-ins. Sign in with your password and one-time code, or ask an administrator to unlock it.',
          { id: 'error.auth.locked' },
        )
      : msg(
          str`This username is locked after too many failed sign-ins. It unlocks in ${formatNumber(seconds, 0)} s; or sign in with your password and one-time code, or ask an administrator to unlock it.`,
          { id: 'error.auth.locked.seconds' },
        );
  },
  'auth.rate_limited': (e) => {
    const seconds = numberParam(e, 'seconds');
    return seconds === undefined
      ? msg('Too many failed sign-ins. Wait a moment and try again.', { id: 'error.auth.rate_limited' })
      : msg(str`Too many failed sign-ins. Try again in ${formatNumber(seconds, 0)} s.`, {
          id: 'error.auth.rate_limited.seconds',
        });
  },
  'auth.csrf_invalid': () =>
    msg('Your session is out of date. Reload the page and try again.', { id: 'error.auth.csrf_invalid' }),
  'auth.session_required': () =>
    msg('Only a user signed in to the console can do this.', { id: 'error.auth.session_required' }),
  'permission.denied': (e) => {
    const permission = param(e, 'permission');
    return permission === undefined
      ? msg('You are not allowed to do this.', { id: 'error.permission.denied' })
      : msg(str`You are not allowed to do this: the permission “${permission}” is required.`, {
          id: 'error.permission.denied.named',
        });
  },
  'scope.not_found': () =>
    msg('Not found: the record does not exist or is outside your org units.', {
      id: 'error.scope.not_found',
    }),
  'conflict.state': () =>
    msg('The record was changed in the meantime or is in another state. Reload and try again.', {
      id: 'error.conflict.state',
    }),
  'conflict.not_available': (e) => {
    const field = param(e, 'field');
    return field === undefined
      ? msg('This value is already taken in the province; choose another.', {
          id: 'error.conflict.not_available',
        })
      : msg(str`This ${field} is already taken in the province; choose another.`, {
          id: 'error.conflict.not_available.field',
        });
  },
  'conflict.in_use': () =>
    msg('Other records still refer to it; remove or move them first.', { id: 'error.conflict.in_use' }),
  'quota.exceeded': () => msg('The change would exceed a quota.', { id: 'error.quota.exceeded' }),
  'quota.negative': () => msg('Amounts cannot be negative.', { id: 'error.quota.negative' }),
  'quota.overcommit_range': () =>
    msg('An overcommit factor is between 1 and 100.', { id: 'error.quota.overcommit_range' }),
  'cloud.kind_unmanaged': () =>
    msg('This cloud is not of a kind under quota management (Kubernetes, OpenStack or manual).', {
      id: 'error.cloud.kind_unmanaged',
    }),
  'cloud.connection_invalid': () =>
    msg('The cloud connection is not valid; check the highlighted field.', {
      id: 'error.cloud.connection_invalid',
    }),
  'cloud.endpoint_insecure': () =>
    msg('Plain http is allowed only to this machine (loopback); use https.', {
      id: 'error.cloud.endpoint_insecure',
    }),
  'cloud.secret_missing': () =>
    msg('A required secret of the connection is missing.', { id: 'error.cloud.secret_missing' }),
  'cloud.no_connection': () => msg('This cloud has no connection.', { id: 'error.cloud.no_connection' }),
  'cloud.not_connected': () =>
    msg('The cloud has no connection yet; set one first.', { id: 'error.cloud.not_connected' }),
  'cloud.manual': () =>
    msg('A manual cloud has no API to read; enter its capacity instead.', { id: 'error.cloud.manual' }),
  'quota.unknown_class': (e) => {
    const cls = param(e, 'class');
    return cls === undefined
      ? msg('A resource class named is not known.', { id: 'error.quota.unknown_class' })
      : msg(str`Unknown resource class: ${cls}.`, { id: 'error.quota.unknown_class.named' });
  },
  'quota.not_whole': (e) => {
    const cls = param(e, 'class');
    return cls === undefined
      ? msg('This resource class is counted in whole units.', { id: 'error.quota.not_whole' })
      : msg(str`${cls} is counted in whole units.`, { id: 'error.quota.not_whole.named' });
  },
  'quota.exceeds_parent': (e) => {
    const unit = param(e, 'unit');
    const cls = param(e, 'class');
    const asked = numberParam(e, 'asked');
    const free = numberParam(e, 'free');
    return unit === undefined || cls === undefined || asked === undefined || free === undefined
      ? msg('More than the parent org unit has free.', { id: 'error.quota.exceeds_parent' })
      : msg(str`${unit} has ${formatNumber(free)} ${cls} free, ${formatNumber(asked)} asked.`, {
          id: 'error.quota.exceeds_parent.named',
        });
  },
  'quota.exceeds_capacity': (e) => {
    const cloud = param(e, 'cloud');
    const cls = param(e, 'class');
    const asked = numberParam(e, 'asked');
    const free = numberParam(e, 'free');
    return cloud === undefined || cls === undefined || asked === undefined || free === undefined
      ? msg('More than the cloud can allocate.', { id: 'error.quota.exceeds_capacity' })
      : msg(
          str`Cloud ${cloud} can allocate ${formatNumber(free)} more ${cls}, ${formatNumber(asked)} asked.`,
          { id: 'error.quota.exceeds_capacity.named' },
        );
  },
  'quota.below_allocated': (e) => {
    const unit = param(e, 'unit');
    const cls = param(e, 'class');
    const held = numberParam(e, 'held');
    return unit === undefined || cls === undefined || held === undefined
      ? msg('An org unit’s quota cannot drop below what its sub-units and projects hold.', {
          id: 'error.quota.below_allocated',
        })
      : msg(
          str`The sub-units and projects of ${unit} hold ${formatNumber(held)} ${cls}; its quota cannot be lower.`,
          {
            id: 'error.quota.below_allocated.named',
          },
        );
  },
  'quota.below_usage': (e) => {
    const cls = param(e, 'class');
    const used = numberParam(e, 'used');
    return cls === undefined || used === undefined
      ? msg('A quota cannot drop below what the cloud reports as used.', { id: 'error.quota.below_usage' })
      : msg(str`The ${cls} quota cannot drop below the ${formatNumber(used)} in use.`, {
          id: 'error.quota.below_usage.named',
        });
  },
  'user.self_change': () =>
    msg('You cannot delete or disable yourself, nor change your own roles.', {
      id: 'error.user.self_change',
    }),
  'user.role_unknown': (e) => {
    const roles = param(e, 'roles');
    return roles === undefined
      ? msg('A role named does not exist.', { id: 'error.user.role_unknown' })
      : msg(str`Unknown role: ${roles}.`, { id: 'error.user.role_unknown.named' });
  },
  'user.role_not_held': (e) => {
    const permission = param(e, 'permission');
    return permission === undefined
      ? msg('You cannot grant a role with a permission you do not hold.', { id: 'error.user.role_not_held' })
      : msg(str`You cannot grant a role with the permission “${permission}”, which you do not hold.`, {
          id: 'error.user.role_not_held.named',
        });
  },
  'user.password_weak': () =>
    msg('The password must have 12 to 256 characters, at least 5 of them different.', {
      id: 'error.user.password_weak',
    }),
  'otp.code_invalid': () => msg('Wrong one-time code.', { id: 'error.otp.code_invalid' }),
  'otp.not_pending': () =>
    msg('No one-time code setup is in progress; start again.', { id: 'error.otp.not_pending' }),
  'otp.already_enrolled': () =>
    msg('A one-time code is already set up; remove it first.', { id: 'error.otp.already_enrolled' }),
  'org_unit.own_unit': () =>
    msg('You cannot delete the org unit you belong to.', { id: 'error.org_unit.own_unit' }),
  'org_unit.level_invalid': () =>
    msg('This level does not fit under the parent org unit (province → city → county → township).', {
      id: 'error.org_unit.level_invalid',
    }),
  'org_unit.has_children': () =>
    msg('This org unit has child units; delete them first.', { id: 'error.org_unit.has_children' }),
  'prefix.overlaps': () =>
    msg('This prefix is already registered, or overlaps another prefix.', { id: 'error.prefix.overlaps' }),
  'prefix.not_empty': () =>
    msg('This prefix still holds smaller prefixes or management addresses of devices; remove them first.', {
      id: 'error.prefix.not_empty',
    }),
  'prefix.outside_delegation': () =>
    msg('The prefix or address is not inside a prefix delegated to this org unit.', {
      id: 'error.prefix.outside_delegation',
    }),
  'prefix.delegated': () =>
    msg('This prefix was delegated by the unit above; only its operators can remove it.', {
      id: 'error.prefix.delegated',
    }),
  'flows.filter': (e) => msg(str`The flow filter is not valid: ${e.message}`, { id: 'error.flows.filter' }),
  'flows.range': (e) => msg(str`The time range is not usable: ${e.message}`, { id: 'error.flows.range' }),
  'vulnerability.report_invalid': (e) =>
    msg(str`The vulnerability report cannot be read: ${e.message}`, {
      id: 'error.vulnerability.report_invalid',
    }),
  'device.address_in_use': () =>
    msg('This management address is already used by another device.', { id: 'error.device.address_in_use' }),
  'interface.if_index_in_use': () =>
    msg('The device already has an interface with this ifIndex.', { id: 'error.interface.if_index_in_use' }),
  'security.transition_invalid': (e) =>
    msg(str`The incident cannot move to this status: ${e.message}`, {
      id: 'error.security.transition_invalid',
    }),
  'security.incident_not_handler': (e) =>
    msg(str`Your unit may not change this incident: ${e.message}`, {
      id: 'error.security.incident_not_handler',
    }),
  'security.escalation_invalid': (e) =>
    msg(str`The incident cannot be escalated or assigned there: ${e.message}`, {
      id: 'error.security.escalation_invalid',
    }),
  'security.bulk_too_large': (e) =>
    msg(str`The filter matches too many alerts for one bulk change: ${e.message}`, {
      id: 'error.security.bulk_too_large',
    }),
  'security.suppression_invalid': (e) =>
    msg(str`The suppression is not valid: ${e.message}`, { id: 'error.security.suppression_invalid' }),
  'link.interface_in_use': () =>
    msg('This interface already ends another link; an interface carries one link.', {
      id: 'error.link.interface_in_use',
    }),
  'link.pair_invalid': () =>
    msg('The link does not fit its pair: a pair is one primary link and one backup link at the same level.', {
      id: 'error.link.pair_invalid',
    }),
  'link.outside_scope': () =>
    msg('This link ends on a device outside your org units; only a unit above both ends may change it.', {
      id: 'error.link.outside_scope',
    }),
  'host.agent_in_use': () =>
    msg('This agent is already tied to another host.', { id: 'error.host.agent_in_use' }),
  'credential.in_use': () =>
    msg('Devices use this SNMP credential; change those devices first.', { id: 'error.credential.in_use' }),
  'credential.grant_outside': () =>
    msg('An SNMP credential can be granted only to org units below its owner.', {
      id: 'error.credential.grant_outside',
    }),
  'credential.version_mismatch': () =>
    msg('The SNMP version of the device differs from that of its SNMP credential.', {
      id: 'error.credential.version_mismatch',
    }),
  'sweep.too_large': () =>
    msg('The range to sweep has more than 1,024 addresses; sweep an IPv4 /22 or smaller.', {
      id: 'error.sweep.too_large',
    }),
  'sweep.outside_prefix': () =>
    msg('The range to sweep is not inside a management prefix of the site’s org unit.', {
      id: 'error.sweep.outside_prefix',
    }),
  'alarm.already_acknowledged': () =>
    msg('This alarm was already acknowledged.', { id: 'error.alarm.already_acknowledged' }),
  'policy.province_only': () =>
    msg('Policy files apply to the whole province; only a province-level user may change them.', {
      id: 'error.policy.province_only',
    }),
  'sigma.rule_invalid': () =>
    msg('The Sigma rule is not valid; the message gives the reason.', { id: 'error.sigma.rule_invalid' }),
  'sigma.rule_read_only': () =>
    msg('This rule comes from a rule file; change the file instead.', { id: 'error.sigma.rule_read_only' }),
  'quota.package_unknown': () =>
    msg('This package is not in the service catalogue.', { id: 'error.quota.package_unknown' }),
  'quota.request_state': () =>
    msg('This request is no longer pending; reload it to see its status.', {
      id: 'error.quota.request_state',
    }),
  'quota.approver_level': () =>
    msg('This approval step needs an approver of a higher-level unit than yours.', {
      id: 'error.quota.approver_level',
    }),
  'quota.self_approval': () =>
    msg('You applied for this request; another approver must decide it.', {
      id: 'error.quota.self_approval',
    }),
  'quota.not_applicant': () =>
    msg('Only the applicant can withdraw this request.', { id: 'error.quota.not_applicant' }),
  'rate.limited': () => msg('Too many requests. Wait a moment and try again.', { id: 'error.rate.limited' }),
  'storage.full': (e) => {
    const store = param(e, 'store') ?? e.details[0]?.path;
    if (store === 'state')
      return msg('The state store is out of disk space; changes fail until space is freed.', {
        id: 'error.storage.full.state',
      });
    if (store === 'telemetry')
      return msg(
        'The telemetry store is out of disk space; new figures are not stored until space is freed.',
        {
          id: 'error.storage.full.telemetry',
        },
      );
    return msg('A store is out of disk space; changes fail until space is freed.', {
      id: 'error.storage.full',
    });
  },
  'secret.unavailable': () =>
    msg(
      'The server has no usable secret key, so SNMP credentials and one-time codes cannot be used. Ask an administrator.',
      { id: 'error.secret.unavailable' },
    ),
  'service.unavailable': () =>
    msg('The service is busy or unavailable. Try again later.', { id: 'error.service.unavailable' }),
  internal: (e) =>
    e.requestId
      ? msg(str`An unexpected error occurred on the server (request ${e.requestId}).`, {
          id: 'error.internal.request',
        })
      : msg('An unexpected error occurred on the server.', { id: 'error.internal' }),
};

/** The codes the console has texts for; the same list as the control plane's registry. */
export const translatedErrorCodes = Object.keys(texts) as ErrorCode[];

function isTranslated(code: string): code is ErrorCode {
  return Object.hasOwn(texts, code);
}

/**
 * A one-line message for anything a data call throws, in the user's language: the text of the
 * error's code, the server's English message for a code the console does not know, its own text when
 * the server could not be reached.
 */
export function errorText(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 0 || error.code === networkErrorCode)
      return msg('The server could not be reached. Check your connection and try again.', {
        id: 'error.network.unreachable',
      });
    if (isTranslated(error.code)) return texts[error.code](error);
    return error.message;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
