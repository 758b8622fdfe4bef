import type { EventView } from './event.js';
import { invalid, show, unsupported } from './problem.js';
import type { Pred } from './values.js';

/**
 * Sigma log sources and field names mapped onto Tianshu's events (docs/api-security.md has the
 * table). An event's `type` is its `byType` key: the EVE `event_type` (alert, anomaly, flow,
 * netflow, dns, http, tls, fileinfo), `syslog` or `cef`. A rule is bound to the event types it can
 * match, with a filter for the syslog program when the log source names a service, and a field map
 * from the Sigma taxonomy to ECS. A log source with no events in Tianshu is unsupported, with the
 * reason, and the rule never runs.
 */

export interface SourceBinding {
  /** The event types the rule is tested against (the engine's index). */
  types: readonly string[];
  /** An extra test (the syslog program of a `service`), or undefined. */
  filter: Pred | undefined;
  /** Sigma field name (as written, case-sensitive) → ECS field. */
  fields: Readonly<Record<string, string>>;
  /** What the rule reads, for the rules list: `EVE dns`, `syslog (sshd)`. */
  label: string;
}

/** ECS fields Tianshu's parsers produce; a rule may name them directly (the ECS taxonomy). */
export const ECS_FIELDS = [
  '@timestamp',
  'message',
  'event.kind',
  'event.category',
  'event.type',
  'event.action',
  'event.outcome',
  'event.severity',
  'event.dataset',
  'event.module',
  'event.original',
  'source.ip',
  'source.port',
  'source.address',
  'source.bytes',
  'source.packets',
  'destination.ip',
  'destination.port',
  'destination.address',
  'destination.domain',
  'destination.bytes',
  'destination.packets',
  'network.transport',
  'network.protocol',
  'network.direction',
  'network.community_id',
  'network.bytes',
  'network.packets',
  'host.hostname',
  'host.name',
  'host.ip',
  'observer.hostname',
  'observer.vendor',
  'observer.product',
  'observer.version',
  'process.name',
  'process.pid',
  'log.syslog.appname',
  'log.syslog.hostname',
  'log.syslog.procid',
  'log.syslog.msgid',
  'log.syslog.priority',
  'log.syslog.facility.code',
  'log.syslog.facility.name',
  'log.syslog.severity.code',
  'log.syslog.severity.name',
  'log.level',
  'user.name',
  'user.domain',
  'rule.id',
  'rule.name',
  'rule.category',
  'rule.ruleset',
  'rule.version',
  'dns.question.name',
  'dns.question.type',
  'dns.question.class',
  'dns.question.registered_domain',
  'dns.question.top_level_domain',
  'dns.answers.data',
  'dns.answers.name',
  'dns.answers.type',
  'dns.response_code',
  'dns.type',
  'dns.id',
  'url.original',
  'url.full',
  'url.domain',
  'url.path',
  'url.query',
  'url.extension',
  'url.port',
  'http.request.method',
  'http.request.referrer',
  'http.request.body.bytes',
  'http.response.status_code',
  'http.response.body.bytes',
  'http.response.mime_type',
  'http.request.mime_type',
  'http.version',
  'user_agent.original',
  'tls.version',
  'tls.server.subject',
  'tls.server.issuer',
  'tls.server.ja3s',
  'tls.server.hash.sha1',
  'tls.server.not_after',
  'tls.server.not_before',
  'tls.client.ja3',
  'tls.client.server_name',
  'file.name',
  'file.path',
  'file.size',
  'file.mime_type',
  'file.hash.md5',
  'file.hash.sha1',
  'file.hash.sha256',
  'cef.version',
  'cef.device_event_class_id',
  'cef.name',
  'cef.severity',
  'suricata.flow_id',
  'suricata.app_proto',
  'suricata.anomaly.type',
  'suricata.anomaly.event',
  'related.ip',
  'related.user',
  'related.hosts',
  'related.hash',
  'event.id',
  'event.code',
  'event.reason',
  'event.provider',
  'event.count',
  'event.start',
  'event.end',
  'source.domain',
  'source.mac',
  'source.user.name',
  'source.user.domain',
  'destination.mac',
  'destination.user.name',
  'destination.user.domain',
  'threat.technique.id',
  'threat.technique.name',
  'threat.tactic.id',
  'threat.tactic.name',
  'dns.resolved_ip',
  'ssh.client.software_version',
  'ssh.server.software_version',
  'tls.client.ja4',
  'tls.server.x509.serial_number',
  'observer.name',
  'observer.ip',
  'observer.type',
  'observer.serial_number',
  'process.command_line',
  'user.id',
  'user.effective.name',
  'group.id',
  'group.name',
  'email.from.address',
  'email.to.address',
  'email.cc.address',
  'email.subject',
  'email.attachments.file.name',
  'system.auth.ssh.event',
  'system.auth.ssh.method',
  'system.auth.ssh.invalid_user',
  'system.auth.sudo.command',
  'system.auth.sudo.user',
  'system.auth.sudo.pwd',
  'system.auth.sudo.tty',
  'alert.action',
  'suricata.eve.event_type',
  'suricata.eve.flow_id',
  'log.syslog.version',
] as const;

/** Names every log source maps (Sigma's generic taxonomy and the usual vendor spellings). */
const COMMON: Record<string, string> = {
  src_ip: 'source.ip',
  SourceIp: 'source.ip',
  source_ip: 'source.ip',
  SourceAddress: 'source.ip',
  dst_ip: 'destination.ip',
  dest_ip: 'destination.ip',
  DestinationIp: 'destination.ip',
  destination_ip: 'destination.ip',
  DestAddress: 'destination.ip',
  src_port: 'source.port',
  SourcePort: 'source.port',
  dst_port: 'destination.port',
  dest_port: 'destination.port',
  DestinationPort: 'destination.port',
  User: 'user.name',
  user: 'user.name',
  username: 'user.name',
  Hostname: 'host.hostname',
  hostname: 'host.hostname',
  Computer: 'host.hostname',
  Message: 'message',
  message: 'message',
  protocol: 'network.transport',
  proto: 'network.transport',
  action: 'event.action',
};

const DNS: Record<string, string> = {
  query: 'dns.question.name',
  QueryName: 'dns.question.name',
  record_type: 'dns.question.type',
  QueryType: 'dns.question.type',
  qtype_name: 'dns.question.type',
  answer: 'dns.answers.data',
  answers: 'dns.answers.data',
  QueryResults: 'dns.answers.data',
  rcode: 'dns.response_code',
};

const HTTP: Record<string, string> = {
  'c-uri': 'url.original',
  'cs-uri': 'url.original',
  uri: 'url.original',
  'c-uri-query': 'url.query',
  'cs-uri-query': 'url.query',
  'c-uri-stem': 'url.path',
  'cs-uri-stem': 'url.path',
  'c-uri-extension': 'url.extension',
  'c-useragent': 'user_agent.original',
  'cs-user-agent': 'user_agent.original',
  'cs(User-Agent)': 'user_agent.original',
  user_agent: 'user_agent.original',
  'cs-method': 'http.request.method',
  method: 'http.request.method',
  'cs-host': 'url.domain',
  'r-dns': 'url.domain',
  'cs-referrer': 'http.request.referrer',
  'cs-referer': 'http.request.referrer',
  'sc-status': 'http.response.status_code',
  status: 'http.response.status_code',
  'c-ip': 'source.ip',
  's-ip': 'destination.ip',
  'cs-username': 'user.name',
  'cs-version': 'http.version',
  'sc-bytes': 'http.response.body.bytes',
  'cs-bytes': 'http.request.body.bytes',
  resp_mime_types: 'http.response.mime_type',
};

const IDS: Record<string, string> = {
  signature: 'rule.name',
  'alert.signature': 'rule.name',
  signature_id: 'rule.id',
  sid: 'rule.id',
  'alert.signature_id': 'rule.id',
  category: 'rule.category',
  'alert.category': 'rule.category',
  severity: 'event.severity',
};

/** Programs (syslog APP-NAME / tag) of the Linux services Sigma names. */
const LINUX_SERVICES: Record<string, readonly string[]> = {
  auth: [
    'sshd',
    'sudo',
    'su',
    'login',
    'passwd',
    'useradd',
    'userdel',
    'usermod',
    'groupadd',
    'groupdel',
    'chpasswd',
    'chage',
    'systemd-logind',
    'polkitd',
    'gdm-password',
    'cron',
    'crond',
  ],
  sshd: ['sshd'],
  sudo: ['sudo'],
  cron: ['cron', 'crond', 'anacron'],
  vsftpd: ['vsftpd'],
  clamav: ['clamd', 'freshclam', 'clamav', 'clamscan'],
  guacamole: ['guacd', 'guacamole'],
  apache: ['apache', 'apache2', 'httpd'],
  nginx: ['nginx'],
};

/** Products whose events never reach Tianshu (no parser, no sensor). */
const ABSENT_PRODUCTS = new Set([
  'windows',
  'macos',
  'aws',
  'azure',
  'gcp',
  'm365',
  'okta',
  'github',
  'google_workspace',
  'onelogin',
  'bitbucket',
  'kubernetes',
  'jvm',
  'python',
  'ruby_on_rails',
  'spring',
  'django',
  'nodejs',
  'sql',
  'zeek',
  'qualys',
  'opencanary',
  'cisco_duo',
  'modsecurity',
  'velocity',
  'antivirus',
  'esxi',
]);

/** Network devices that send syslog (and CEF) to Tianshu's listeners. */
const DEVICE_PRODUCTS = new Set([
  'cisco',
  'huawei',
  'juniper',
  'fortigate',
  'paloalto',
  'checkpoint',
  'sonicwall',
  'h3c',
]);

/** Categories whose events Tianshu does not have (endpoint telemetry). */
const ABSENT_CATEGORIES = new Set([
  'process_creation',
  'file_event',
  'file_change',
  'file_rename',
  'file_delete',
  'file_access',
  'image_load',
  'registry_event',
  'registry_add',
  'registry_set',
  'registry_delete',
  'driver_load',
  'pipe_created',
  'process_access',
  'process_termination',
  'create_remote_thread',
  'create_stream_hash',
  'ps_script',
  'ps_module',
  'ps_classic_start',
  'ps_classic_provider_start',
  'sysmon_status',
  'sysmon_error',
  'wmi_event',
  'raw_access_thread',
  'clipboard_change',
  'process_tampering',
  'database',
  'application',
  'antivirus',
]);

function programFilter(service: string, programs: readonly string[]): Pred {
  const set = new Set(programs.map((p) => p.toLowerCase()));
  const auth = service === 'auth';
  return (e: EventView) => {
    for (const f of ['process.name', 'log.syslog.appname']) {
      const v = e.lower(f);
      if (typeof v === 'string' && set.has(v)) return true;
    }
    if (auth) {
      const fac = e.lower('log.syslog.facility.name');
      if (fac === 'auth' || fac === 'authpriv') return true;
    }
    return false;
  };
}

const text = (v: unknown, key: string): string | undefined => {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') return invalid(`logsource.${key} must be text, got ${show(v)}`);
  return v.toLowerCase();
};

/** Binds a rule's `logsource` to Tianshu's event types and fields. */
export function bindLogsource(logsource: unknown): SourceBinding {
  if (logsource === undefined || logsource === null) return invalid('the rule has no logsource');
  if (typeof logsource !== 'object' || Array.isArray(logsource)) return invalid('logsource must be a map');
  const ls = logsource as Record<string, unknown>;
  const product = text(ls.product, 'product');
  const category = text(ls.category, 'category');
  const service = text(ls.service, 'service');
  const base = (
    types: string[],
    label: string,
    extra: Record<string, string>,
    filter?: Pred,
  ): SourceBinding => ({
    types,
    filter,
    fields: { ...COMMON, ...extra },
    label,
  });
  if (product && ABSENT_PRODUCTS.has(product)) {
    return unsupported(`logsource product "${product}": no ${product} events reach Tianshu`);
  }
  if (category && ABSENT_CATEGORIES.has(category)) {
    return unsupported(
      `logsource category "${category}": Tianshu has no ${category} events (endpoint telemetry is not collected)`,
    );
  }
  if (product === 'suricata' || category === 'ids') return base(['alert'], 'EVE alert', IDS);
  if (category === 'dns') return base(['dns'], 'EVE dns', DNS);
  if (category === 'proxy' || category === 'webserver') return base(['http'], 'EVE http', HTTP);
  if (category === 'firewall') return base(['cef', 'flow', 'netflow'], 'CEF, EVE flow/netflow', {});
  if (category === 'network_connection') return base(['flow'], 'EVE flow', {});
  if (category) return unsupported(`logsource category "${category}" has no events in Tianshu`);
  if (product === 'linux' || product === 'unix' || (!product && service && LINUX_SERVICES[service])) {
    if (!service || service === 'syslog') return base(['syslog'], 'syslog', {});
    if (service === 'auditd') {
      return unsupported(
        'logsource service "auditd": auditd records are not parsed into their fields (type, a0, …)',
      );
    }
    const programs = LINUX_SERVICES[service] ?? [service];
    return base(['syslog'], `syslog (${service})`, {}, programFilter(service, programs));
  }
  if (product && DEVICE_PRODUCTS.has(product)) {
    return base(['syslog', 'cef'], `syslog, CEF (${product}${service ? ` ${service}` : ''})`, {});
  }
  if (product) return unsupported(`logsource product "${product}" has no events in Tianshu`);
  if (service) return unsupported(`logsource service "${service}" has no events in Tianshu`);
  return invalid('logsource names no product, category or service');
}

const ECS = new Set<string>(ECS_FIELDS);

/** The ECS field for a Sigma field name under a binding; unsupported when events have no such field. */
export function resolveField(binding: SourceBinding, field: string): string {
  const mapped = binding.fields[field];
  if (mapped) return mapped;
  if (ECS.has(field)) return field;
  return unsupported(`field "${field}" is not in Tianshu's events for ${binding.label}`);
}
