import { msg } from '@lit/localize';
import { apiFetch, query } from './api.js';

/** One entry of the audit trail: who did what to which object, from where, with what result. */
export interface AuditEntry {
  id: string;
  at: string;
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  orgUnitId: string;
  sourceIp: string;
  outcome: string;
  details: unknown;
}

export interface AuditPage {
  items: AuditEntry[];
  /** Pass as `before` to get the next, older page; null when there is none. */
  nextBefore: string | null;
}

export const fetchAudit = (
  options: { limit?: number; before?: string | null } = {},
  signal?: AbortSignal,
): Promise<AuditPage> =>
  apiFetch<AuditPage>(`/api/v1/audit${query({ limit: options.limit ?? 100, before: options.before })}`, {
    signal,
  });

/**
 * What an audit action (`user.create`, `link.update` …) is called in the console's language;
 * undefined for an action the console does not know, which is then shown as the server records it.
 */
export function auditActionLabel(action: string): string | undefined {
  switch (action) {
    case 'auth.login':
      return msg('Signed in', { id: 'audit.action.authLogin' });
    case 'auth.logout':
      return msg('Signed out', { id: 'audit.action.authLogout' });
    case 'user.create':
      return msg('Created user', { id: 'audit.action.userCreate' });
    case 'user.update':
      return msg('Changed user', { id: 'audit.action.userUpdate' });
    case 'user.delete':
      return msg('Deleted user', { id: 'audit.action.userDelete' });
    case 'user.unlock':
      return msg('Unlocked user', { id: 'audit.action.userUnlock' });
    case 'user.totp.begin':
      return msg('Started one-time code setup', { id: 'audit.action.userTotpBegin' });
    case 'user.totp.enable':
      return msg('Turned on one-time codes', { id: 'audit.action.userTotpEnable' });
    case 'user.totp.remove':
      return msg('Turned off one-time codes', { id: 'audit.action.userTotpRemove' });
    case 'user.totp.reset':
      return msg('Reset one-time codes', { id: 'audit.action.userTotpReset' });
    case 'api-token.create':
      return msg('Created API token', { id: 'audit.action.apiTokenCreate' });
    case 'api-token.revoke':
      return msg('Revoked API token', { id: 'audit.action.apiTokenRevoke' });
    case 'enrolment-token.create':
      return msg('Created enrolment token', { id: 'audit.action.enrolmentTokenCreate' });
    case 'enrolment-token.revoke':
      return msg('Revoked enrolment token', { id: 'audit.action.enrolmentTokenRevoke' });
    case 'agent.enrol':
      return msg('Enrolled agent', { id: 'audit.action.agentEnrol' });
    case 'agent.revoke':
      return msg('Revoked agent', { id: 'audit.action.agentRevoke' });
    case 'alarm.acknowledge':
      return msg('Acknowledged alarm', { id: 'audit.action.alarmAcknowledge' });
    case 'policy.update':
      return msg('Changed policy', { id: 'audit.action.policyUpdate' });
    case 'link-proposal.dismiss':
      return msg('Dismissed link proposal', { id: 'audit.action.linkProposalDismiss' });
    case 'org-unit.create':
      return msg('Created org unit', { id: 'audit.action.orgUnitCreate' });
    case 'org-unit.update':
      return msg('Changed org unit', { id: 'audit.action.orgUnitUpdate' });
    case 'org-unit.delete':
      return msg('Deleted org unit', { id: 'audit.action.orgUnitDelete' });
    case 'device.create':
      return msg('Created device', { id: 'audit.action.deviceCreate' });
    case 'device.update':
      return msg('Changed device', { id: 'audit.action.deviceUpdate' });
    case 'device.delete':
      return msg('Deleted device', { id: 'audit.action.deviceDelete' });
    case 'interface.create':
      return msg('Created interface', { id: 'audit.action.interfaceCreate' });
    case 'interface.update':
      return msg('Changed interface', { id: 'audit.action.interfaceUpdate' });
    case 'interface.delete':
      return msg('Deleted interface', { id: 'audit.action.interfaceDelete' });
    case 'link.create':
      return msg('Created link', { id: 'audit.action.linkCreate' });
    case 'link.update':
      return msg('Changed link', { id: 'audit.action.linkUpdate' });
    case 'link.delete':
      return msg('Deleted link', { id: 'audit.action.linkDelete' });
    case 'prefix.create':
      return msg('Created prefix', { id: 'audit.action.prefixCreate' });
    case 'prefix.update':
      return msg('Changed prefix', { id: 'audit.action.prefixUpdate' });
    case 'prefix.delete':
      return msg('Deleted prefix', { id: 'audit.action.prefixDelete' });
    case 'snmp-credential.create':
      return msg('Created SNMP credential', { id: 'audit.action.snmpCredentialCreate' });
    case 'snmp-credential.update':
      return msg('Changed SNMP credential', { id: 'audit.action.snmpCredentialUpdate' });
    case 'snmp-credential.delete':
      return msg('Deleted SNMP credential', { id: 'audit.action.snmpCredentialDelete' });
    case 'cloud.create':
      return msg('Created cloud', { id: 'audit.action.cloudCreate' });
    case 'cloud.update':
      return msg('Changed cloud', { id: 'audit.action.cloudUpdate' });
    case 'cloud.delete':
      return msg('Deleted cloud', { id: 'audit.action.cloudDelete' });
    case 'dedicated-network.create':
      return msg('Created dedicated network', { id: 'audit.action.dedicatedNetworkCreate' });
    case 'dedicated-network.update':
      return msg('Changed dedicated network', { id: 'audit.action.dedicatedNetworkUpdate' });
    case 'dedicated-network.delete':
      return msg('Deleted dedicated network', { id: 'audit.action.dedicatedNetworkDelete' });
    case 'host.create':
      return msg('Created host', { id: 'audit.action.hostCreate' });
    case 'host.update':
      return msg('Changed host', { id: 'audit.action.hostUpdate' });
    case 'host.delete':
      return msg('Deleted host', { id: 'audit.action.hostDelete' });
    case 'site.create':
      return msg('Created site', { id: 'audit.action.siteCreate' });
    case 'site.update':
      return msg('Changed site', { id: 'audit.action.siteUpdate' });
    case 'site.delete':
      return msg('Deleted site', { id: 'audit.action.siteDelete' });
    case 'probe.create':
      return msg('Created probe', { id: 'audit.action.probeCreate' });
    case 'probe.update':
      return msg('Changed probe', { id: 'audit.action.probeUpdate' });
    case 'probe.delete':
      return msg('Deleted probe', { id: 'audit.action.probeDelete' });
    default:
      return undefined;
  }
}

/** What a target type (`user`, `org-unit` …) is called in the console's language; others as they come. */
export function auditTargetLabel(targetType: string): string {
  switch (targetType) {
    case 'agent':
      return msg('agent', { id: 'audit.target.agent' });
    case 'alarm':
      return msg('alarm', { id: 'audit.target.alarm' });
    case 'api-token':
      return msg('API token', { id: 'audit.target.apiToken' });
    case 'cloud':
      return msg('cloud', { id: 'audit.target.cloud' });
    case 'device':
      return msg('device', { id: 'audit.target.device' });
    case 'enrolment-token':
      return msg('enrolment token', { id: 'audit.target.enrolmentToken' });
    case 'link':
      return msg('link', { id: 'audit.target.link' });
    case 'link-proposal':
      return msg('link proposal', { id: 'audit.target.linkProposal' });
    case 'org-unit':
      return msg('org unit', { id: 'audit.target.orgUnit' });
    case 'pair':
      return msg('link pair', { id: 'audit.target.pair' });
    case 'policy':
      return msg('policy', { id: 'audit.target.policy' });
    case 'session':
      return msg('session', { id: 'audit.target.session' });
    case 'store':
      return msg('store', { id: 'audit.target.store' });
    case 'system':
      return msg('system', { id: 'audit.target.system' });
    case 'user':
      return msg('user', { id: 'audit.target.user' });
    case 'interface':
      return msg('interface', { id: 'audit.target.interface' });
    case 'prefix':
      return msg('prefix', { id: 'audit.target.prefix' });
    case 'snmp-credential':
      return msg('SNMP credential', { id: 'audit.target.snmpCredential' });
    case 'dedicated-network':
      return msg('dedicated network', { id: 'audit.target.dedicatedNetwork' });
    case 'host':
      return msg('host', { id: 'audit.target.host' });
    case 'site':
      return msg('site', { id: 'audit.target.site' });
    case 'probe':
      return msg('probe', { id: 'audit.target.probe' });
    default:
      return targetType;
  }
}

/**
 * What a key of an entry's details (`reason`, `orgUnitId` …) is called in the console's language; keys
 * the console does not know are shown as the server records them.
 */
export function auditDetailLabel(key: string): string {
  switch (key) {
    case 'reason':
      return msg('reason', { id: 'audit.detail.reason' });
    case 'by':
      return msg('by', { id: 'audit.detail.by' });
    case 'username':
      return msg('username', { id: 'audit.detail.username' });
    case 'displayName':
      return msg('display name', { id: 'audit.detail.displayName' });
    case 'removed':
      return msg('removed', { id: 'audit.detail.removed' });
    case 'wasLocked':
      return msg('was locked', { id: 'audit.detail.wasLocked' });
    case 'clearedKeys':
      return msg('cleared keys', { id: 'audit.detail.clearedKeys' });
    case 'locale':
      return msg('language', { id: 'audit.detail.locale' });
    case 'name':
      return msg('name', { id: 'audit.detail.name' });
    case 'roles':
      return msg('roles', { id: 'audit.detail.roles' });
    case 'hostname':
      return msg('hostname', { id: 'audit.detail.hostname' });
    case 'version':
      return msg('version', { id: 'audit.detail.version' });
    case 'tokenId':
      return msg('token id', { id: 'audit.detail.tokenId' });
    case 'maxUses':
      return msg('max uses', { id: 'audit.detail.maxUses' });
    case 'expiresAt':
      return msg('expires', { id: 'audit.detail.expiresAt' });
    case 'orgUnitId':
      return msg('org unit', { id: 'audit.detail.orgUnitId' });
    case 'parentId':
      return msg('parent org unit', { id: 'audit.detail.parentId' });
    case 'kind':
      return msg('kind', { id: 'audit.detail.kind' });
    case 'targetType':
      return msg('target type', { id: 'audit.detail.targetType' });
    case 'targetId':
      return msg('target', { id: 'audit.detail.targetId' });
    case 'state':
      return msg('state', { id: 'audit.detail.state' });
    case 'comment':
      return msg('comment', { id: 'audit.detail.comment' });
    case 'passwordChanged':
      return msg('password changed', { id: 'audit.detail.passwordChanged' });
    case 'revokedApiTokens':
      return msg('revoked API tokens', { id: 'audit.detail.revokedApiTokens' });
    case 'endedSessions':
      return msg('ended sessions', { id: 'audit.detail.endedSessions' });
    case 'disabled':
      return msg('disabled', { id: 'audit.detail.disabled' });
    case 'level':
      return msg('level', { id: 'audit.detail.level' });
    case 'code':
      return msg('code', { id: 'audit.detail.code' });
    case 'description':
      return msg('description', { id: 'audit.detail.description' });
    default:
      return key;
  }
}

function detailValue(value: unknown): string {
  if (value === true) return msg('yes', { id: 'audit.detail.yes' });
  if (value === false) return msg('no', { id: 'audit.detail.no' });
  return typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * An entry's details as compact `key=value` text, keys and yes/no in the console's language and
 * values as the server recorded them (names, ids, its own words).
 */
export function auditDetailsText(details: unknown): string {
  if (details === null || details === undefined) return '';
  if (typeof details !== 'object') return String(details);
  return Object.entries(details as Record<string, unknown>)
    .map(([key, value]) => `${auditDetailLabel(key)}=${detailValue(value)}`)
    .join(' ');
}
