/**
 * The one registry of the API's error codes. Every error answer carries one of these codes (a stable,
 * dotted machine name the console translates) beside its English message; the OpenAPI document lists
 * them all, and the console's translations are checked against this list. A code never changes its
 * meaning: add a new code rather than reuse one. This file imports nothing, so the console's tests
 * can read it too.
 */
export interface ErrorCodeSpec {
  /** The HTTP status the code is answered with. */
  readonly status: number;
  /** Another status the same code is answered with in some places (e.g. 503 for retrying agents). */
  readonly alsoStatus?: number;
  /** One line of English for API clients. */
  readonly description: string;
}

export const errorCodes = {
  // --- the request itself --------------------------------------------------------------------
  'input.invalid': {
    status: 400,
    description: 'The request fails validation; `details` name each field and its problem.',
  },
  'input.json': {
    status: 400,
    description: 'The request body is not valid JSON, or is not sent as `application/json`.',
  },
  'input.yaml': { status: 400, description: 'A YAML document in the request is not valid YAML.' },
  'payload.too_large': {
    status: 413,
    description:
      'The request body is larger than the limit; `details[0].params.limit` is the limit in bytes.',
  },
  'route.not_found': { status: 404, description: 'No API route has this path.' },
  'route.method_not_allowed': { status: 405, description: 'The route does not accept this HTTP method.' },
  'request.rejected': {
    status: 400,
    description: 'The request was refused for a reason without a more specific code (other 4xx statuses).',
  },

  // --- who is calling -----------------------------------------------------------------------
  'auth.unauthenticated': {
    status: 401,
    description: 'No valid session or API token was sent (or the session has expired); log in.',
  },
  'auth.invalid_credentials': { status: 401, description: 'Wrong username or password.' },
  'auth.password_incorrect': {
    status: 401,
    description: 'The current password given to confirm a change is wrong.',
  },
  'auth.otp_required': {
    status: 401,
    description: 'The password is right but the user has a second factor: send `otp` with the one-time code.',
  },
  'auth.otp_invalid': {
    status: 401,
    description: 'The one-time code at login is wrong or was already used.',
  },
  'auth.token_invalid': {
    status: 401,
    description: 'The API token is not valid, has expired or was revoked.',
  },
  'auth.agent_credential_invalid': {
    status: 401,
    description: 'The agent credential is missing, malformed, not valid or revoked.',
  },
  'auth.enrolment_token_invalid': {
    status: 401,
    description: 'The enrolment token is not valid, has expired, was revoked or has no uses left.',
  },
  'auth.locked': {
    status: 429,
    description:
      'The username is locked after too many failed logins; it unlocks after Retry-After seconds, or with password and one-time code.',
  },
  'auth.rate_limited': {
    status: 429,
    description:
      'Too many failed logins from this address for this username; retry after Retry-After seconds.',
  },
  'auth.csrf_invalid': {
    status: 403,
    description: 'A change sent with a session cookie lacks the session’s `x-csrf-token` header.',
  },
  'auth.session_required': {
    status: 400,
    description: 'Only a user in a console session may do this (API tokens, one-time codes).',
  },
  'permission.denied': {
    status: 403,
    description:
      'The caller lacks the permission; `details[0].params.permission` names it when there is one.',
  },

  // --- records and scope --------------------------------------------------------------------
  'scope.not_found': {
    status: 404,
    description:
      'The record does not exist or is outside the caller’s org units; both read the same, by design.',
  },
  'conflict.state': {
    status: 409,
    description:
      'The change conflicts with the record’s current state (or a concurrent change); reload and retry.',
  },
  'conflict.not_available': {
    status: 409,
    description:
      'A client-chosen key (id, username) is taken somewhere in the province; `details[0].params.field` names the field.',
  },
  'conflict.in_use': {
    status: 409,
    description:
      'The record is still referred to by others (or still holds records); remove or move them first.',
  },
  'quota.exceeded': { status: 409, description: 'The change would exceed a quota.' },

  // --- quotas: clouds (connections, capacity) -------------------------------------------------
  'quota.unknown_class': {
    status: 400,
    description:
      'A resource class named is not one of `policies/quotas.yaml`; `details[0].params.class` names it.',
  },
  'quota.not_whole': {
    status: 400,
    description:
      'A fractional amount for a class counted in whole units; `details[0].params` `class`, `amount`.',
  },
  'quota.negative': { status: 400, description: 'An amount or capacity is negative.' },
  'quota.overcommit_range': { status: 400, description: 'An overcommit factor is outside 1 to 100.' },
  'quota.exceeds_capacity': {
    status: 409,
    description:
      'The change would make the quotas on a cloud exceed its capacity × overcommit (allocatable).',
  },
  'quota.exceeds_parent': {
    status: 409,
    description:
      'More than the parent org unit has free on the cloud; `details[0].params` `unit`, `class`, `asked`, `free`.',
  },
  'quota.below_allocated': {
    status: 409,
    description:
      'An org unit’s quota would drop below what its sub-units and projects hold; `details[0].params` `unit`, `class`, `held`, `quota`.',
  },
  'quota.below_usage': {
    status: 409,
    description:
      'The quota would drop below what the cloud reports as used (only a reclaim may); `details[0].params` `class`, `used`, `quota`.',
  },
  'cloud.kind_unmanaged': {
    status: 400,
    description: 'The cloud is not of a kind under quota management (kubernetes, openstack, manual).',
  },
  'cloud.connection_invalid': {
    status: 400,
    description:
      'The cloud connection is not valid for its kind; `details[0].path` names the field (endpoint, a setting or a secret).',
  },
  'cloud.endpoint_insecure': {
    status: 400,
    description: 'The endpoint uses plain http to a host other than loopback; use https.',
  },
  'cloud.secret_missing': {
    status: 400,
    description:
      'A secret the cloud kind needs (Kubernetes token, OpenStack application credential) is neither sent nor stored.',
  },
  'cloud.no_connection': { status: 404, description: 'The cloud has no connection to delete.' },
  'cloud.not_connected': {
    status: 409,
    description: 'The capacity cannot be read: the cloud has no connection yet.',
  },
  'cloud.manual': {
    status: 409,
    description: 'A manual cloud has no API to read; enter its capacity instead.',
  },

  // --- users and second factor --------------------------------------------------------------
  'user.self_change': {
    status: 400,
    description: 'Users cannot delete or disable themselves nor change their own roles.',
  },
  'user.role_unknown': { status: 400, description: 'A role named in the request does not exist.' },
  'user.role_not_held': {
    status: 400,
    description:
      'A role to grant carries a permission the caller does not hold; `details[0].params.permission`.',
  },
  'user.password_weak': {
    status: 400,
    description: 'The new password breaks the password rules (at least 12 characters, 5 different).',
  },
  'otp.code_invalid': {
    status: 400,
    description: 'The one-time code given to confirm or remove a second factor is wrong.',
  },
  'otp.not_pending': { status: 400, description: 'No one-time code enrolment is pending; start one first.' },
  'otp.already_enrolled': {
    status: 409,
    description: 'A one-time code is already enrolled for the user; remove it first.',
  },

  // --- inventory ---------------------------------------------------------------------------
  'org_unit.own_unit': { status: 400, description: 'Users cannot delete the org unit they are bound to.' },
  'org_unit.level_invalid': {
    status: 400,
    description: 'The org unit’s level does not fit under its parent (province → city → county → township).',
  },
  'org_unit.has_children': {
    status: 409,
    description: 'The org unit has child units; delete them first.',
  },
  'prefix.overlaps': {
    status: 409,
    description: 'The IP prefix is already registered, overlaps another one or would contain another unit’s.',
  },
  'prefix.not_empty': {
    status: 409,
    description: 'The IP prefix still holds smaller prefixes or management addresses of devices.',
  },
  'prefix.outside_delegation': {
    status: 400,
    description: 'The prefix or address is not inside a prefix delegated to the org unit (or to its parent).',
  },
  'prefix.delegated': {
    status: 403,
    description:
      'The prefix was delegated by the unit above (or is top-level); only that unit’s operators can remove it.',
  },
  'device.address_in_use': {
    status: 409,
    description: 'The management address is already used by another device.',
  },
  'interface.if_index_in_use': {
    status: 409,
    description: 'The device already has an interface with this ifIndex.',
  },
  'flows.filter': {
    status: 400,
    description:
      'The flow filter expression does not parse or names an unknown dimension or value; the message gives the position (`filter: at 17: expected a value`).',
  },
  'flows.range': {
    status: 400,
    description:
      'The flow query’s time range or step is not usable: `from` after `to`, a range over 400 days, or a step giving more than 2,000 points.',
  },
  'vulnerability.report_invalid': {
    status: 400,
    description:
      'The uploaded vulnerability report is not one: malformed XML, not a Greenbone/OpenVAS GMP report, not UTF-8, or a CSV header naming unknown or lacking required columns; the message says which.',
  },
  'security.transition_invalid': {
    status: 409,
    description:
      'The incident cannot move from its status to the one asked for; `details[0].params` give `from`, `to` and the statuses `allowed`.',
  },
  'security.incident_not_handler': {
    status: 409,
    description:
      'Only the unit handling the incident (or a unit above it that the incident was escalated to) may do this; `details[0].params.handler` names the handler.',
  },
  'security.escalation_invalid': {
    status: 400,
    description:
      'The incident cannot be escalated or assigned there: it is already visible to that unit, at the top of the hierarchy, or the unit is the caller’s own.',
  },
  'security.bulk_too_large': {
    status: 400,
    description:
      'A bulk triage by filter matches more alerts than `bulk.maxAlerts` (incidents.yaml); `details[0].params.max` is the limit.',
  },
  'security.suppression_invalid': {
    status: 400,
    description:
      'A suppression needs a match (source, reference or observable) and an expiry in the future, at most `suppressions.maxDays` away.',
  },
  'link.interface_in_use': {
    status: 400,
    description: 'An endpoint interface already ends another link; an interface carries one link.',
  },
  'link.pair_invalid': {
    status: 400,
    description: 'The link does not fit its pair: the pair already has this role, or serves another level.',
  },
  'link.outside_scope': {
    status: 403,
    description:
      'The link ends on a device outside the caller’s org units; only a unit above both ends may change it.',
  },
  'host.agent_in_use': { status: 409, description: 'The agent is already tied to another host.' },
  'credential.in_use': {
    status: 409,
    description: 'The SNMP credential is used by devices that would lose it; change those devices first.',
  },
  'credential.grant_outside': {
    status: 400,
    description: 'An SNMP credential is granted only to org units below its owner.',
  },
  'credential.version_mismatch': {
    status: 400,
    description: 'The device’s SNMP version differs from the version of the credential it names.',
  },
  'sweep.too_large': {
    status: 400,
    description: 'The range to sweep has more than 1,024 addresses (an IPv4 /22 is the largest).',
  },
  'sweep.outside_prefix': {
    status: 400,
    description: 'The range to sweep is not inside one management prefix of the site’s org unit.',
  },
  'alarm.already_acknowledged': { status: 409, description: 'The alarm was already acknowledged.' },
  'policy.province_only': {
    status: 400,
    description: 'Policy files apply to the whole province; only a province-level user may change them.',
  },
  'sigma.rule_invalid': {
    status: 400,
    description:
      'The Sigma rule is not valid (or has no id, or holds more than one rule); the message gives the reason.',
  },
  'sigma.rule_read_only': {
    status: 409,
    description: 'The rule comes from a file under policies/detections/sigma/; change the file instead.',
  },
  // quota requests (issue 11, part C)
  'quota.package_unknown': {
    status: 400,
    description:
      'The package is not in the service catalogue (`policies/quotas.yaml`); `details[0].params.package`.',
  },
  'quota.request_state': {
    status: 409,
    description:
      'The quota request is no longer pending (approved, rejected, withdrawn …), so it cannot be decided or withdrawn; `details[0].params` give `status` and `action`.',
  },
  'quota.approver_level': {
    status: 403,
    description:
      'The request’s current approval step needs an approver whose org unit is at a higher level; `details[0].params` give `required`, `level` and `step`.',
  },
  'quota.self_approval': {
    status: 403,
    description: 'The applicant cannot approve or reject their own quota request; another approver must.',
  },
  'quota.not_applicant': {
    status: 403,
    description: 'Only the applicant can withdraw a quota request; `details[0].params.applicant` names them.',
  },

  // --- the server --------------------------------------------------------------------------
  'rate.limited': { status: 429, description: 'Too many requests; retry after Retry-After seconds.' },
  'storage.full': {
    status: 507,
    alsoStatus: 503,
    description:
      'A store is out of disk space; `details[0].path` names it (`state` or `telemetry`). 503 with Retry-After for agents.',
  },
  'secret.unavailable': {
    status: 503,
    description:
      'The control plane has no usable secret key (TIANSHU_SECRET_KEY) for sealed secrets (SNMP credentials, one-time codes).',
  },
  'service.unavailable': {
    status: 503,
    description: 'A dependency or the service is busy or unavailable; retry later.',
  },
  internal: {
    status: 500,
    description: 'An unexpected error; the request id identifies it in the server log.',
  },
} as const satisfies Record<string, ErrorCodeSpec>;

/** A code of the registry; a typo in a throw site does not compile. */
export type ErrorCode = keyof typeof errorCodes;

/** Every code, in registry order. */
export const errorCodeList = Object.keys(errorCodes) as ErrorCode[];

/** The codes answered with HTTP status `S`: a domain error family accepts only those. */
export type ErrorCodeWithStatus<S extends number> = {
  [K in ErrorCode]: (typeof errorCodes)[K]['status'] extends S ? K : never;
}[ErrorCode];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(errorCodes, value);
}
