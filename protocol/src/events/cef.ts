import type { Fields } from './common.js';
import { MONTHS, Reject, parseIsoTimestamp, severityFromCef, utcMillis } from './common.js';
import { parseSyslogHeader, syslogFields } from './syslog.js';

/**
 * CEF (ArcSight Common Event Format, revision 25):
 * `CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension`,
 * header `\|` and `\\` escapes, extension `key=value` pairs whose values may contain spaces (a value
 * runs to the next ` key=`), with `\=`, `\\`, `\n`, `\r` escapes. A CEF message inside a syslog
 * line (`<134>Dec  1 10:00:00 host CEF:0|…`) is read with the syslog header's fields too.
 */

/** Extension keys (short and full names) → ECS fields; the value is also kept in `cef.extensions.<key>`. */
export const CEF_TO_ECS: Readonly<Record<string, string>> = {
  src: 'source.ip',
  sourceAddress: 'source.ip',
  dst: 'destination.ip',
  destinationAddress: 'destination.ip',
  spt: 'source.port',
  sourcePort: 'source.port',
  dpt: 'destination.port',
  destinationPort: 'destination.port',
  proto: 'network.transport',
  transportProtocol: 'network.transport',
  app: 'network.protocol',
  applicationProtocol: 'network.protocol',
  suser: 'source.user.name',
  sourceUserName: 'source.user.name',
  duser: 'destination.user.name',
  destinationUserName: 'destination.user.name',
  suid: 'source.user.id',
  duid: 'destination.user.id',
  shost: 'source.domain',
  sourceHostName: 'source.domain',
  dhost: 'destination.domain',
  destinationHostName: 'destination.domain',
  smac: 'source.mac',
  dmac: 'destination.mac',
  act: 'event.action',
  deviceAction: 'event.action',
  outcome: 'event.outcome',
  msg: 'message',
  message: 'message',
  request: 'url.original',
  requestUrl: 'url.original',
  requestMethod: 'http.request.method',
  requestClientApplication: 'user_agent.original',
  requestContext: 'http.request.referrer',
  fname: 'file.name',
  fileName: 'file.name',
  filePath: 'file.path',
  fsize: 'file.size',
  fileSize: 'file.size',
  fileHash: 'file.hash.sha256',
  in: 'source.bytes',
  bytesIn: 'source.bytes',
  out: 'destination.bytes',
  bytesOut: 'destination.bytes',
  dvc: 'observer.ip',
  deviceAddress: 'observer.ip',
  dvchost: 'observer.hostname',
  deviceHostName: 'observer.hostname',
  deviceExternalId: 'observer.serial_number',
  dvcpid: 'process.pid',
  sproc: 'process.name',
  sourceProcessName: 'process.name',
  cnt: 'event.count',
  cat: 'event.provider',
  deviceEventCategory: 'event.provider',
  externalId: 'event.id',
  reason: 'event.reason',
  spriv: 'source.user.group.name',
  dpriv: 'destination.user.group.name',
  deviceInboundInterface: 'observer.ingress.interface.name',
  deviceOutboundInterface: 'observer.egress.interface.name',
  sntdom: 'source.user.domain',
  dntdom: 'destination.user.domain',
};

/** Full extension names → their short keys (so `cs1Label` and `deviceCustomString1Label` pair). */
const FULL_TO_SHORT: Readonly<Record<string, string>> = {
  receiptTime: 'rt',
  startTime: 'start',
  endTime: 'end',
};
for (let i = 1; i <= 6; i++) {
  Object.assign(FULL_TO_SHORT, {
    [`deviceCustomString${i}`]: `cs${i}`,
    [`deviceCustomString${i}Label`]: `cs${i}Label`,
    [`deviceCustomNumber${i}`]: `cn${i}`,
    [`deviceCustomNumber${i}Label`]: `cn${i}Label`,
  });
}

const fullToShort = (k: string): string => (Object.hasOwn(FULL_TO_SHORT, k) ? FULL_TO_SHORT[k]! : k);

const NUMERIC = new Set([
  'source.port',
  'destination.port',
  'file.size',
  'source.bytes',
  'destination.bytes',
  'process.pid',
  'event.count',
]);

/** The six header fields after the version (unescaped) and where the extension starts. */
function headerFields(s: string, start: number): { parts: string[]; end: number } | Reject {
  const parts: string[] = [];
  let cur = '';
  let from = start;
  let i = start;
  while (parts.length < 6) {
    if (i >= s.length) {
      // The last header field (severity) may end the line when there is no extension.
      if (parts.length === 5) {
        parts.push(cur + s.slice(from));
        return { parts, end: s.length };
      }
      return new Reject('bad-cef', `CEF header has ${parts.length + 2} of 8 fields`);
    }
    const c = s.charCodeAt(i);
    if (c === 0x5c /* \ */ && i + 1 < s.length) {
      const e = s.charCodeAt(i + 1);
      if (e === 0x7c || e === 0x5c) {
        cur += s.slice(from, i);
        from = i + 1;
        i += 2;
        continue;
      }
    }
    if (c === 0x7c /* | */) {
      cur += s.slice(from, i);
      parts.push(cur);
      cur = '';
      from = i + 1;
    }
    i++;
  }
  return { parts, end: i };
}

const KEY = /[A-Za-z0-9_.[\]-]{1,100}/y;

function unescapeValue(v: string): string {
  if (v.indexOf('\\') < 0) return v.trim();
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '\\' && i + 1 < v.length) {
      const e = v[i + 1];
      i++;
      if (e === 'n') out += '\n';
      else if (e === 'r') out += '\r';
      else if (e === '=' || e === '\\' || e === '|') out += e;
      else out += '\\' + e;
    } else out += c;
  }
  return out.trim();
}

/** The extension's `key=value` pairs in order; linear in its length. */
export function parseCefExtension(ext: string): [string, string][] | Reject {
  const pairs: [string, string][] = [];
  // Positions of unescaped '=' preceded by a key that starts after a space (or at the start).
  const starts: { key: string; keyAt: number; valueAt: number }[] = [];
  let i = 0;
  while (i < ext.length && ext.charCodeAt(i) === 0x20) i++;
  const tryKey = (at: number) => {
    KEY.lastIndex = at;
    const m = KEY.exec(ext);
    if (m && ext.charCodeAt(at + m[0].length) === 0x3d) {
      starts.push({ key: m[0], keyAt: at, valueAt: at + m[0].length + 1 });
      return at + m[0].length + 1;
    }
    return -1;
  };
  if (i < ext.length) {
    const n = tryKey(i);
    if (n < 0) return new Reject('bad-cef', 'CEF extension does not start with key=value');
    i = n;
  }
  for (; i < ext.length; i++) {
    const c = ext.charCodeAt(i);
    if (c === 0x5c) {
      i++;
      continue;
    }
    if (c === 0x20) {
      const n = tryKey(i + 1);
      if (n >= 0) i = n - 1;
    }
  }
  for (let k = 0; k < starts.length; k++) {
    const s = starts[k]!;
    const end = k + 1 < starts.length ? starts[k + 1]!.keyAt - 1 : ext.length;
    pairs.push([s.key, unescapeValue(ext.slice(s.valueAt, Math.max(s.valueAt, end)))]);
  }
  return pairs;
}

/** A CEF time: Unix milliseconds, or `MMM dd yyyy HH:mm:ss[.SSS][ zone]`, `MMM dd HH:mm:ss`, ISO. */
export function parseCefTime(v: string, receivedAt: number): number | undefined {
  if (/^\d{10,13}$/.test(v)) {
    const n = Number(v);
    return v.length <= 10 ? n * 1000 : n;
  }
  const m =
    /^([A-Z][a-z]{2}) (\d{1,2})(?: (\d{4}))? (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?: (?:UTC|GMT|Z))?$/.exec(
      v,
    );
  if (m) {
    const month = Object.hasOwn(MONTHS, m[1]!) ? MONTHS[m[1]!] : undefined;
    if (!month) return undefined;
    const year = m[3] ? Number(m[3]) : new Date(receivedAt).getUTCFullYear();
    return utcMillis(
      year,
      month,
      Number(m[2]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
      m[7] ? Number((m[7] + '00').slice(0, 3)) : 0,
    );
  }
  return parseIsoTimestamp(v);
}

/** Parse a CEF line (optionally inside syslog) into `f`; the event's time, or a rejection. */
export function parseCef(line: string, receivedAt: number, f: Fields): number | Reject {
  let at = line.startsWith('CEF:') ? 0 : line.indexOf('CEF:');
  if (at < 0) return new Reject('bad-cef', 'no "CEF:" header in the line');
  let ts = receivedAt;
  if (at > 0) {
    // CEF inside syslog: the syslog header's fields (host, time, priority) come along.
    const h = parseSyslogHeader(line, receivedAt);
    if (!(h instanceof Reject)) {
      const cefAt = h.message.indexOf('CEF:');
      if (cefAt >= 0) {
        syslogFields({ ...h, message: '' }, f);
        ts = h.ts;
        at = line.length - (h.message.length - cefAt);
      }
    }
  }
  const verEnd = line.indexOf('|', at);
  if (verEnd < 0) return new Reject('bad-cef', 'CEF header has no "|" separators');
  const version = line.slice(at + 4, verEnd).trim();
  if (!/^\d{1,2}(\.\d{1,2})?$/.test(version))
    return new Reject('bad-cef', `CEF version "${version.slice(0, 20)}" is not a number`);
  const h = headerFields(line, verEnd + 1);
  if (h instanceof Reject) return h;
  const [vendor, product, devVersion, sigId, name, severity] = h.parts as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  f.set('cef.version', version);
  f.set('observer.vendor', vendor);
  f.set('observer.product', product);
  f.set('observer.version', devVersion);
  f.set('event.code', sigId);
  f.set('rule.id', sigId);
  f.set('rule.name', name);
  f.set('cef.name', name);
  f.set('cef.severity', severity);
  const sev = severityFromCef(severity);
  if (sev === undefined)
    return new Reject(
      'bad-cef',
      `CEF severity "${severity.slice(0, 20)}" is neither 0–10 nor Low/Medium/High/Very-High`,
    );
  f.set('event.severity', sev);
  f.set('event.kind', 'event');
  // The extension is everything after the 7th unescaped pipe (pipes need no escape in it).
  const pairs = parseCefExtension(line.slice(h.end));
  if (pairs instanceof Reject) return pairs;
  const labels = new Map<string, string>();
  for (const [k, v] of pairs) {
    const short = fullToShort(k);
    if (/^c[sn]\dLabel$|^c[fn]\d?Label$|^flexString\dLabel$|^deviceCustom\w*Label$/.test(short))
      labels.set(short.slice(0, -5), v);
  }
  for (const [k, v] of pairs) {
    const short = fullToShort(k);
    f.set(`cef.extensions.${k}`, v);
    const ecs = Object.hasOwn(CEF_TO_ECS, k) ? CEF_TO_ECS[k] : undefined;
    if (ecs) {
      if (NUMERIC.has(ecs)) {
        if (/^\d{1,15}$/.test(v)) f.set(ecs, Number(v));
        else if (v !== '') return new Reject('bad-field', `CEF ${k}="${v.slice(0, 40)}" is not a number`);
      } else if (ecs === 'network.transport' || ecs === 'network.protocol') f.set(ecs, v.toLowerCase());
      else f.set(ecs, v);
      continue;
    }
    if (short === 'rt' || short === 'start' || short === 'end') {
      const t = parseCefTime(v, receivedAt);
      if (t === undefined) return new Reject('bad-timestamp', `CEF ${k}="${v.slice(0, 40)}" is not a time`);
      if (short === 'rt') ts = t;
      else f.set(short === 'start' ? 'event.start' : 'event.end', new Date(t).toISOString());
      if (short === 'start' && !pairs.some(([x]) => fullToShort(x) === 'rt')) ts = t;
      continue;
    }
    const label = labels.get(short);
    if (label !== undefined && /^c[sn]\d$/.test(short)) {
      const key = label.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 100);
      if (key) f.set(`cef.extensions.${key}`, v);
    }
  }
  if (!f.has('message')) f.set('message', name);
  for (const ip of ['source.ip', 'destination.ip']) {
    const v = f.get(ip);
    if (typeof v === 'string') f.add('related.ip', v);
  }
  for (const u of ['source.user.name', 'destination.user.name']) {
    const v = f.get(u);
    if (typeof v === 'string') {
      f.setDefault('user.name', v);
      f.add('related.user', v);
    }
  }
  return ts;
}
