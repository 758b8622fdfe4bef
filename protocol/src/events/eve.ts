import type { Fields } from './common.js';
import { Reject, parseIsoTimestamp, severityFromEve } from './common.js';

/**
 * Suricata EVE JSON → ECS (the mapping of Elastic's Suricata integration, which Sigma pipelines
 * expect; the table is `docs/api-security.md` § Parsers). Every `event_type` keeps its common
 * fields; the sections of the known types (alert, anomaly, flow, netflow, dns, http, tls,
 * fileinfo, ssh, smtp/email, stats…) map to ECS wherever they appear (an alert carries its flow's
 * `http`, `tls`, `dns` sections too), and every other scalar leaf is kept under
 * `suricata.eve.<path>` (up to `EVE_MAX_EXTRA_FIELDS`, the rest stays in the raw line).
 */

/** Most `suricata.eve.*` leaves kept besides the ECS fields (stats records have hundreds). */
export const EVE_MAX_EXTRA_FIELDS = 256;
const MAX_DEPTH = 6;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Obj = { [k: string]: Json };

const isObj = (v: Json | undefined): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: Json | undefined): string | undefined =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
const num = (v: Json | undefined): number | undefined =>
  typeof v === 'number' && Number.isFinite(v)
    ? v
    : typeof v === 'string' && /^\d{1,15}$/.test(v)
      ? Number(v)
      : undefined;
const strings = (v: Json | undefined): string[] | undefined => {
  if (v === undefined || v === null) return undefined;
  const a = Array.isArray(v) ? v : [v];
  const out: string[] = [];
  for (const x of a) {
    const s = str(x);
    if (s !== undefined && s !== '') out.push(s);
  }
  return out.length ? out : undefined;
};

/** The categorisation of each known event_type: [event.kind, event.category, event.type]. */
const CATEGORIES = new Map<string, [string, string[], string[]]>(
  Object.entries({
    alert: ['alert', ['network', 'intrusion_detection'], ['info']],
    anomaly: ['event', ['network'], ['info']],
    drop: ['event', ['network'], ['denied']],
    flow: ['event', ['network'], ['connection']],
    netflow: ['event', ['network'], ['connection']],
    dns: ['event', ['network'], ['protocol', 'info']],
    http: ['event', ['network', 'web'], ['access', 'protocol']],
    http2: ['event', ['network', 'web'], ['access', 'protocol']],
    tls: ['event', ['network'], ['protocol']],
    quic: ['event', ['network'], ['protocol']],
    fileinfo: ['event', ['file', 'network'], ['info']],
    ssh: ['event', ['network'], ['protocol']],
    smtp: ['event', ['network', 'email'], ['protocol']],
    stats: ['metric', [], []],
  } satisfies Record<string, [string, string[], string[]]>),
);

/** Top-level keys consumed by the common mapping (not repeated under suricata.eve.*). */
const COMMON = new Set([
  'timestamp',
  'event_type',
  'src_ip',
  'src_port',
  'dest_ip',
  'dest_port',
  'proto',
  'app_proto',
  'community_id',
  'host',
  'in_iface',
  'flow_id',
]);

/** Leaves consumed by the section mappings (`section.key`). */
const CONSUMED = new Set([
  'alert.signature_id',
  'alert.signature',
  'alert.category',
  'alert.action',
  'alert.rev',
  'flow.pkts_toserver',
  'flow.pkts_toclient',
  'flow.bytes_toserver',
  'flow.bytes_toclient',
  'flow.start',
  'flow.end',
  'netflow.pkts',
  'netflow.bytes',
  'netflow.start',
  'netflow.end',
  'http.hostname',
  'http.url',
  'http.http_user_agent',
  'http.http_method',
  'http.status',
  'http.http_refer',
  'http.length',
  'http.http_content_type',
  'tls.sni',
  'tls.subject',
  'tls.issuerdn',
  'tls.serial',
  'tls.fingerprint',
  'tls.notbefore',
  'tls.notafter',
  'fileinfo.filename',
  'fileinfo.size',
  'fileinfo.md5',
  'fileinfo.sha1',
  'fileinfo.sha256',
  'dns.rrname',
  'dns.rrtype',
  'dns.rcode',
  'dns.id',
  'dns.type',
]);

/** Parse one EVE record (the already-parsed JSON object) into `f`; its time or a rejection. */
export function eveFields(o: Obj, f: Fields): { ts: number; type: string } | Reject {
  const type = o.event_type;
  if (type === undefined) return new Reject('missing-field', 'EVE record has no event_type');
  if (typeof type !== 'string' || type.length === 0 || type.length > 64 || !/^[\w.-]+$/.test(type))
    return new Reject('bad-field', 'EVE event_type must be a word of at most 64 characters');
  const tsText = o.timestamp;
  if (tsText === undefined) return new Reject('missing-field', 'EVE record has no timestamp');
  const ts = typeof tsText === 'string' ? parseIsoTimestamp(tsText) : undefined;
  if (ts === undefined)
    return new Reject(
      'bad-timestamp',
      `EVE timestamp ${JSON.stringify(tsText).slice(0, 48)} is not ISO 8601`,
    );

  const cat = CATEGORIES.get(type);
  f.set('event.kind', cat ? cat[0] : 'event');
  if (cat && cat[1].length) f.set('event.category', [...cat[1]]);
  if (cat && cat[2].length) f.set('event.type', [...cat[2]]);
  f.set('event.dataset', `suricata.${type}`);
  f.set('event.module', 'suricata');
  f.set('suricata.eve.event_type', type);
  f.set('observer.type', 'ids');
  f.set('observer.vendor', 'OISF');
  f.set('observer.product', 'Suricata');

  // Common fields.
  const srcIp = str(o.src_ip);
  const dstIp = str(o.dest_ip);
  f.set('source.ip', srcIp);
  f.set('destination.ip', dstIp);
  f.set('source.port', num(o.src_port));
  f.set('destination.port', num(o.dest_port));
  if (srcIp) f.add('related.ip', srcIp);
  if (dstIp) f.add('related.ip', dstIp);
  const proto = str(o.proto);
  if (proto) {
    const p = proto.toLowerCase();
    f.set('network.transport', p === 'ipv6-icmp' ? 'ipv6-icmp' : p);
  }
  const app = str(o.app_proto);
  if (app && app !== 'failed') f.set('network.protocol', app.toLowerCase());
  f.set('network.community_id', str(o.community_id));
  const host = str(o.host);
  f.set('observer.name', host);
  f.set('host.name', host);
  f.set('observer.ingress.interface.name', str(o.in_iface));

  mapSections(o, f, type);

  // Everything else, flattened under suricata.eve.*.
  let budget = EVE_MAX_EXTRA_FIELDS;
  const stack: [string, Json, number][] = [];
  for (const k of Object.keys(o).reverse()) if (!COMMON.has(k)) stack.push([k, o[k]!, 1]);
  while (stack.length && budget > 0) {
    const [path, v, depth] = stack.pop()!;
    if (CONSUMED.has(path)) continue;
    if (isObj(v)) {
      if (depth >= MAX_DEPTH) continue;
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) stack.push([`${path}.${keys[i]}`, v[keys[i]!]!, depth + 1]);
      continue;
    }
    if (path.length > 200) continue;
    if (Array.isArray(v)) {
      if (v.length && v.every((x) => x === null || typeof x !== 'object')) {
        const a = strings(v);
        if (a) {
          f.set(`suricata.eve.${path}`, a);
          budget--;
        }
      }
      continue;
    }
    if (v === null) continue;
    f.set(`suricata.eve.${path}`, v);
    budget--;
  }
  return { ts, type };
}

function mapSections(o: Obj, f: Fields, type: string): void {
  // flow_id is a 64-bit integer: JSON numbers lose its low digits, so it is read as text elsewhere.
  const alert = o.alert;
  if (isObj(alert)) {
    f.set('rule.id', str(alert.signature_id));
    f.set('rule.name', str(alert.signature));
    f.set('rule.category', str(alert.category));
    f.set('rule.version', str(alert.rev));
    f.set('rule.ruleset', str(alert.gid) ? `gid:${str(alert.gid)}` : undefined);
    const sev = num(alert.severity);
    if (sev !== undefined) f.set('event.severity', severityFromEve(sev));
    const action = str(alert.action);
    f.set('event.action', action);
    if (type === 'alert' && action) f.set('event.type', [action === 'blocked' ? 'denied' : 'allowed']);
    f.setDefault('message', str(alert.signature));
    const md = alert.metadata;
    if (isObj(md)) {
      const ids = strings(md.mitre_technique_id);
      if (ids) f.set('threat.technique.id', ids);
      f.set('threat.technique.name', strings(md.mitre_technique_name));
      f.set('threat.tactic.id', strings(md.mitre_tactic_id));
      f.set('threat.tactic.name', strings(md.mitre_tactic_name));
      if (ids) f.set('threat.framework', 'MITRE ATT&CK');
    }
  }
  const flow = o.flow;
  if (isObj(flow)) {
    const ps = num(flow.pkts_toserver);
    const pc = num(flow.pkts_toclient);
    const bs = num(flow.bytes_toserver);
    const bc = num(flow.bytes_toclient);
    f.set('source.packets', ps);
    f.set('destination.packets', pc);
    f.set('source.bytes', bs);
    f.set('destination.bytes', bc);
    if (ps !== undefined || pc !== undefined) f.set('network.packets', (ps ?? 0) + (pc ?? 0));
    if (bs !== undefined || bc !== undefined) f.set('network.bytes', (bs ?? 0) + (bc ?? 0));
    timeField(f, 'event.start', flow.start);
    timeField(f, 'event.end', flow.end);
  }
  const netflow = o.netflow;
  if (isObj(netflow)) {
    f.set('source.packets', num(netflow.pkts));
    f.set('source.bytes', num(netflow.bytes));
    f.set('network.packets', num(netflow.pkts));
    f.set('network.bytes', num(netflow.bytes));
    timeField(f, 'event.start', netflow.start);
    timeField(f, 'event.end', netflow.end);
  }
  const http = o.http;
  if (isObj(http)) {
    const hostname = str(http.hostname);
    f.set('url.domain', hostname);
    f.setDefault('destination.domain', hostname);
    const url = str(http.url);
    if (url) {
      f.set('url.original', url);
      const q = url.indexOf('?');
      f.set('url.path', q >= 0 ? url.slice(0, q) : url);
      if (q >= 0) f.set('url.query', url.slice(q + 1));
    }
    f.set('url.port', num(http.http_port));
    f.set('http.request.method', str(http.http_method));
    f.set('http.response.status_code', num(http.status));
    f.set('http.request.referrer', str(http.http_refer));
    f.set('http.response.body.bytes', num(http.length));
    f.set('http.response.mime_type', str(http.http_content_type));
    f.set('user_agent.original', str(http.http_user_agent));
    const version = str(http.protocol);
    if (version) f.set('http.version', version.replace(/^HTTP\//i, ''));
  }
  const tls = o.tls;
  if (isObj(tls)) {
    const sni = str(tls.sni);
    f.set('tls.client.server_name', sni);
    f.setDefault('destination.domain', sni);
    const v = str(tls.version);
    if (v) {
      const m = /^(TLS|SSL|DTLS)\s*v?\s*(\d(?:\.\d)?)$/i.exec(v.trim());
      if (m) {
        f.set('tls.version', m[2]!.includes('.') ? m[2] : `${m[2]}.0`);
        f.set('tls.version_protocol', m[1]!.toLowerCase());
      } else f.set('tls.version', v);
    }
    f.set('tls.server.subject', str(tls.subject));
    f.set('tls.server.issuer', str(tls.issuerdn));
    f.set('tls.server.x509.serial_number', str(tls.serial)?.replace(/:/g, ''));
    const fp = str(tls.fingerprint);
    if (fp) f.set('tls.server.hash.sha1', fp.replace(/:/g, '').toUpperCase());
    timeField(f, 'tls.server.not_before', tls.notbefore);
    timeField(f, 'tls.server.not_after', tls.notafter);
    const ja3 = tls.ja3;
    if (isObj(ja3)) f.set('tls.client.ja3', str(ja3.hash));
    const ja3s = tls.ja3s;
    if (isObj(ja3s)) f.set('tls.server.ja3s', str(ja3s.hash));
    f.set('tls.client.ja4', str(tls.ja4));
  }
  const file = o.fileinfo;
  if (isObj(file)) {
    const name = str(file.filename);
    f.set('file.name', name ? (name.split('/').pop() ?? name) : undefined);
    f.set('file.path', name);
    f.set('file.size', num(file.size));
    f.set('file.hash.md5', str(file.md5));
    f.set('file.hash.sha1', str(file.sha1));
    f.set('file.hash.sha256', str(file.sha256));
    for (const h of ['md5', 'sha1', 'sha256']) {
      const v = str(file[h]);
      if (v) f.add('related.hash', v);
    }
  }
  const dns = o.dns;
  if (isObj(dns)) dnsFields(dns, f);
  const smtp = o.smtp;
  if (isObj(smtp)) {
    f.set('email.from.address', strings(smtp.mail_from));
    f.set('email.to.address', strings(smtp.rcpt_to));
  }
  const email = o.email;
  if (isObj(email)) {
    f.setDefault('email.from.address', strings(email.from));
    f.setDefault('email.to.address', strings(email.to));
    f.set('email.cc.address', strings(email.cc));
    f.set('email.subject', str(email.subject));
    f.set('email.attachments.file.name', strings(email.attachment));
  }
  const anomaly = o.anomaly;
  if (isObj(anomaly)) {
    f.set('event.action', str(anomaly.event));
    f.setDefault('message', str(anomaly.event));
  }
  const ssh = o.ssh;
  if (isObj(ssh)) {
    const c = ssh.client;
    const s = ssh.server;
    if (isObj(c)) f.set('ssh.client.software_version', str(c.software_version));
    if (isObj(s)) f.set('ssh.server.software_version', str(s.software_version));
  }
}

function dnsFields(dns: Obj, f: Fields): void {
  // EVE DNS v1/v2 (rrname/rrtype at the top) and v3 (Suricata 8: queries[] and answers[]).
  f.set('dns.type', str(dns.type));
  f.set('dns.id', str(dns.id));
  f.set('dns.response_code', str(dns.rcode));
  let qname = str(dns.rrname);
  let qtype = str(dns.rrtype);
  const queries = dns.queries;
  if (Array.isArray(queries) && isObj(queries[0])) {
    qname ??= str(queries[0].rrname);
    qtype ??= str(queries[0].rrtype);
  }
  // In v1 answer records rrname/rrtype/rdata describe the answer; the question name is the same name.
  f.set('dns.question.name', qname);
  f.set('dns.question.type', qtype);
  const data: string[] = [];
  const names: string[] = [];
  const types: string[] = [];
  const resolved: string[] = [];
  const add = (name: string | undefined, rtype: string | undefined, rdata: string | undefined) => {
    if (rdata === undefined) return;
    data.push(rdata);
    names.push(name ?? '');
    types.push(rtype ?? '');
    if ((rtype === 'A' || rtype === 'AAAA') && !resolved.includes(rdata)) resolved.push(rdata);
  };
  if (dns.type === 'answer' && str(dns.rdata) !== undefined) add(qname, qtype, str(dns.rdata));
  const answers = dns.answers;
  if (Array.isArray(answers))
    for (const a of answers.slice(0, 256)) if (isObj(a)) add(str(a.rrname), str(a.rrtype), str(a.rdata));
  const grouped = dns.grouped;
  if (isObj(grouped) && !data.length)
    for (const [t, list] of Object.entries(grouped))
      if (Array.isArray(list)) for (const x of list.slice(0, 256)) add(qname, t, str(x));
  if (data.length) {
    f.set('dns.answers.data', data);
    f.set('dns.answers.name', names);
    f.set('dns.answers.type', types);
  }
  if (resolved.length) {
    f.set('dns.resolved_ip', resolved);
    for (const ip of resolved) f.add('related.ip', ip);
  }
}

function timeField(f: Fields, name: string, v: Json | undefined): void {
  if (typeof v !== 'string') return;
  const t = parseIsoTimestamp(v);
  if (t !== undefined) f.set(name, new Date(t).toISOString());
}

const FLOW_ID = /"flow_id"\s*:\s*(\d{1,20})\b/;

/** Parse an EVE line; never throws. */
export function parseEve(line: string, f: Fields): { ts: number; type: string } | Reject {
  let o: Json;
  try {
    o = JSON.parse(line) as Json;
  } catch (e) {
    return new Reject('not-json', `not JSON: ${(e as Error).message.slice(0, 120)}`);
  }
  if (!isObj(o)) return new Reject('not-an-object', 'an EVE record must be a JSON object');
  const r = eveFields(o, f);
  if (r instanceof Reject) return r;
  if (o.flow_id !== undefined) {
    const m = FLOW_ID.exec(line);
    const id = m ? m[1] : str(o.flow_id);
    f.set('event.id', id);
    f.set('suricata.eve.flow_id', id);
  }
  return r;
}
