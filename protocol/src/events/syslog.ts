import type { Fields } from './common.js';
import {
  MONTHS,
  Reject,
  SYSLOG_FACILITIES,
  SYSLOG_SEVERITIES,
  parseIsoTimestamp,
  severityFromSyslog,
  utcMillis,
} from './common.js';

/**
 * Syslog: RFC 5424 (`<PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG`) and RFC 3164 / BSD
 * (`<PRI>Mmm dd hh:mm:ss HOST TAG[PID]: MSG`, the year inferred from the time received; an
 * RFC 3339 timestamp in place of the BSD one is read too). A line without a valid PRI is taken as
 * RFC 3164 §4.3.3 says a relay does: priority 13 (user.notice), its content the message (a BSD
 * timestamp and host at its start are still read). Then the well-known messages of `sshd`,
 * `sudo`, `su` and the shadow tools get `user.name`, `source.ip`, `event.outcome`… (`SYSLOG_EXTRACTIONS`).
 */

export interface SyslogHeader {
  /** Unix milliseconds (the time received when the line has none). */
  ts: number;
  priority: number;
  /** True when the PRI was missing or invalid and 13 was assumed (RFC 3164 §4.3.3). */
  priorityAssumed: boolean;
  rfc: '5424' | '3164';
  version?: number;
  hostname?: string;
  appname?: string;
  procid?: string;
  msgid?: string;
  structuredData?: Map<string, Map<string, string>>;
  message: string;
}

const DEFAULT_PRIORITY = 13;

function readPri(line: string): { pri: number; end: number } | undefined {
  if (line.charCodeAt(0) !== 0x3c /* < */) return undefined;
  let i = 1;
  let n = 0;
  while (i < line.length && i <= 4) {
    const c = line.charCodeAt(i);
    if (c === 0x3e /* > */) break;
    if (c < 0x30 || c > 0x39) return undefined;
    n = n * 10 + (c - 0x30);
    i++;
  }
  if (i === 1 || i > 4 || line.charCodeAt(i) !== 0x3e) return undefined;
  // RFC 5424 §6.2.1: no leading zeros except "<0>".
  if (i > 2 && line.charCodeAt(1) === 0x30) return undefined;
  if (n > 191) return undefined;
  return { pri: n, end: i + 1 };
}

/** Next space-delimited token from `pos`: [token, position after the following space]. */
function token(line: string, pos: number): [string, number] | undefined {
  if (pos >= line.length) return undefined;
  const sp = line.indexOf(' ', pos);
  if (sp === pos) return undefined;
  if (sp < 0) return [line.slice(pos), line.length];
  return [line.slice(pos, sp), sp + 1];
}

const BSD_TS = /^([A-Z][a-z]{2}) ([ \d]\d) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?(?: (\d{4}))?(?= |$)/;

/** The BSD timestamp at `pos` with the year chosen nearest to `receivedAt`: [ms, end]. */
function bsdTimestamp(line: string, pos: number, receivedAt: number): [number, number] | undefined {
  const m = BSD_TS.exec(line.slice(pos, pos + 32));
  if (!m) return undefined;
  const month = Object.hasOwn(MONTHS, m[1]!) ? MONTHS[m[1]!] : undefined;
  if (month === undefined) return undefined;
  const day = Number(m[2]!.trim());
  const ms = m[6] ? Number((m[6] + '00').slice(0, 3)) : 0;
  let best: number | undefined;
  if (m[7]) {
    best = utcMillis(Number(m[7]), month, day, Number(m[3]), Number(m[4]), Number(m[5]), ms);
  } else {
    // The latest year that does not put the line more than a day ahead of its receipt (a BSD
    // timestamp has no year: December's lines read in January belong to the year before).
    const year = new Date(receivedAt).getUTCFullYear();
    for (const y of [year + 1, year, year - 1]) {
      const t = utcMillis(y, month, day, Number(m[3]), Number(m[4]), Number(m[5]), ms);
      if (t !== undefined && t <= receivedAt + 86_400_000) {
        best = t;
        break;
      }
    }
  }
  if (best === undefined || best < 0) return undefined;
  let end = pos + m[0].length;
  if (line.charCodeAt(end) === 0x20) end++;
  return [best, end];
}

function parseStructuredData(
  line: string,
  pos: number,
): { sd: Map<string, Map<string, string>>; end: number } | Reject {
  const sd = new Map<string, Map<string, string>>();
  let i = pos;
  const bad = (what: string) => new Reject('bad-syslog', `structured data: ${what} at column ${i + 1}`);
  while (line.charCodeAt(i) === 0x5b /* [ */) {
    i++;
    let j = i;
    while (j < line.length && j - i <= 32) {
      const c = line.charCodeAt(j);
      if (c === 0x20 || c === 0x5d || c === 0x3d || c === 0x22) break;
      j++;
    }
    if (j === i || j - i > 32) return bad('SD-ID missing or longer than 32 characters');
    const id = line.slice(i, j);
    const params = sd.get(id) ?? new Map<string, string>();
    sd.set(id, params);
    i = j;
    for (;;) {
      const c = line.charCodeAt(i);
      if (c === 0x5d /* ] */) {
        i++;
        break;
      }
      if (c !== 0x20) return bad('expected a space or "]"');
      i++;
      j = i;
      while (j < line.length && j - i <= 32) {
        const d = line.charCodeAt(j);
        if (d === 0x20 || d === 0x5d || d === 0x3d || d === 0x22) break;
        j++;
      }
      if (j === i || j - i > 32) return bad('PARAM-NAME missing or longer than 32 characters');
      const name = line.slice(i, j);
      if (line.charCodeAt(j) !== 0x3d || line.charCodeAt(j + 1) !== 0x22)
        return bad(`expected ="…" after ${name}`);
      i = j + 2;
      let value = '';
      let start = i;
      for (;;) {
        if (i >= line.length) return bad('unterminated PARAM-VALUE');
        const d = line.charCodeAt(i);
        if (d === 0x22) break;
        if (d === 0x5c /* \ */) {
          const e = line.charCodeAt(i + 1);
          // RFC 5424 §6.3.3: only ", \ and ] are escaped; a backslash before anything else is kept.
          if (e === 0x22 || e === 0x5c || e === 0x5d) {
            value += line.slice(start, i);
            start = i + 1;
            i += 2;
            continue;
          }
        }
        i++;
      }
      value += line.slice(start, i);
      i++;
      params.set(name, value);
    }
  }
  return { sd, end: i };
}

function parse5424(line: string, pri: number, pos: number, receivedAt: number): SyslogHeader | Reject {
  let t = token(line, pos);
  if (!t) return new Reject('bad-syslog', 'RFC 5424: missing VERSION');
  const version = Number(t[0]);
  pos = t[1];
  const fieldsAt: string[] = [];
  for (const what of ['TIMESTAMP', 'HOSTNAME', 'APP-NAME', 'PROCID', 'MSGID']) {
    t = token(line, pos);
    if (!t) return new Reject('bad-syslog', `RFC 5424: missing ${what}`);
    fieldsAt.push(t[0]);
    pos = t[1];
  }
  const [tsText, hostname, appname, procid, msgid] = fieldsAt as [string, string, string, string, string];
  let ts = receivedAt;
  if (tsText !== '-') {
    const parsed = parseIsoTimestamp(tsText, true);
    if (parsed === undefined)
      return new Reject(
        'bad-timestamp',
        `RFC 5424: TIMESTAMP "${tsText.slice(0, 40)}" is not RFC 3339 with an offset`,
      );
    ts = parsed;
  }
  let structuredData: Map<string, Map<string, string>> | undefined;
  if (
    line.charCodeAt(pos) === 0x2d /* - */ &&
    (pos + 1 === line.length || line.charCodeAt(pos + 1) === 0x20)
  ) {
    pos += 1;
  } else if (line.charCodeAt(pos) === 0x5b) {
    const sd = parseStructuredData(line, pos);
    if (sd instanceof Reject) return sd;
    structuredData = sd.sd;
    pos = sd.end;
  } else if (pos < line.length) {
    return new Reject('bad-syslog', 'RFC 5424: STRUCTURED-DATA must be "-" or start with "["');
  }
  if (pos < line.length && line.charCodeAt(pos) !== 0x20)
    return new Reject('bad-syslog', 'RFC 5424: expected a space after STRUCTURED-DATA');
  let message = line.slice(pos + 1);
  if (message.charCodeAt(0) === 0xfeff) message = message.slice(1);
  const h: SyslogHeader = { ts, priority: pri, priorityAssumed: false, rfc: '5424', version, message };
  if (hostname !== '-') h.hostname = hostname;
  if (appname !== '-') h.appname = appname;
  if (procid !== '-') h.procid = procid;
  if (msgid !== '-') h.msgid = msgid;
  if (structuredData) h.structuredData = structuredData;
  return h;
}

const TAG = /^([^\s[\]:]{1,128})(?:\[([^\]\s]{1,128})\])?:(?: |$)/;

function parse3164(
  line: string,
  pri: number,
  assumed: boolean,
  pos: number,
  receivedAt: number,
): SyslogHeader {
  const h: SyslogHeader = {
    ts: receivedAt,
    priority: pri,
    priorityAssumed: assumed,
    rfc: '3164',
    message: '',
  };
  let ts = bsdTimestamp(line, pos, receivedAt);
  if (!ts) {
    // An RFC 3339 timestamp in the BSD place (rsyslog's high-precision forwarding format).
    const t = token(line, pos);
    const iso = t && /^\d{4}-\d\d-\d\dT/.test(t[0]) ? parseIsoTimestamp(t[0]) : undefined;
    if (t && iso !== undefined) ts = [iso, t[1]];
  }
  if (!ts) {
    // RFC 3164 §4.3.3: no valid timestamp → everything after the PRI is the content.
    h.message = line.slice(pos);
    return h;
  }
  h.ts = ts[0];
  pos = ts[1];
  // HOSTNAME, unless the next word is already the TAG (`sshd[12]:` — a sender that left it out).
  const t = token(line, pos);
  if (t && !TAG.test(line.slice(pos, pos + 260))) {
    h.hostname = t[0];
    pos = t[1];
  }
  let rest = line.slice(pos);
  const tag = TAG.exec(rest.slice(0, 260));
  if (tag) {
    h.appname = tag[1]!;
    if (tag[2]) h.procid = tag[2];
    rest = rest.slice(tag[0].length);
  }
  h.message = rest;
  return h;
}

/** The header of a syslog line (RFC 5424 or 3164) and its message; never throws. */
export function parseSyslogHeader(line: string, receivedAt: number): SyslogHeader | Reject {
  const p = readPri(line);
  if (p) {
    const c = line.charCodeAt(p.end);
    const d = line.charCodeAt(p.end + 1);
    // VERSION: a non-zero digit (1..3 digits) then a space.
    if (
      c >= 0x31 &&
      c <= 0x39 &&
      (d === 0x20 || (d >= 0x30 && d <= 0x39 && /^\d{0,2} /.test(line.slice(p.end + 1, p.end + 4))))
    )
      return parse5424(line, p.pri, p.end, receivedAt);
    return parse3164(line, p.pri, false, p.end, receivedAt);
  }
  return parse3164(line, DEFAULT_PRIORITY, true, 0, receivedAt);
}

interface Extraction {
  /** Lower-case process names (the 3164 TAG or 5424 APP-NAME) it applies to. */
  process: readonly string[];
  re: RegExp;
  apply(m: RegExpExecArray, f: Fields): void;
}

function auth(f: Fields, outcome: 'success' | 'failure', action: string): void {
  f.set('event.category', ['authentication']);
  f.set('event.type', outcome === 'success' ? ['start'] : ['start']);
  f.set('event.outcome', outcome);
  f.set('event.action', action);
}

function sourceAddress(f: Fields, ip: string | undefined, port?: string): void {
  if (ip && /^[\d.:a-fA-F]+$/.test(ip)) {
    f.set('source.ip', ip);
    f.add('related.ip', ip);
  } else if (ip) f.set('source.domain', ip);
  if (port) f.set('source.port', Number(port));
}

function user(f: Fields, name: string | undefined): void {
  if (!name) return;
  f.set('user.name', name);
  f.add('related.user', name);
}

/**
 * Well-known messages (linear-time expressions; each only for its process names), the fields
 * Sigma's linux rules and analysts look for.
 */
export const SYSLOG_EXTRACTIONS: readonly Extraction[] = [
  {
    process: ['sshd'],
    re: /^Failed (\S+) for (invalid user )?(\S+) from (\S+) port (\d{1,5})/,
    apply(m, f) {
      auth(f, 'failure', 'ssh_login');
      user(f, m[3]);
      sourceAddress(f, m[4], m[5]);
      f.set('system.auth.ssh.method', m[1]);
      f.set('system.auth.ssh.event', 'Failed');
      if (m[2]) f.set('system.auth.ssh.invalid_user', true);
    },
  },
  {
    process: ['sshd'],
    re: /^Accepted (\S+) for (\S+) from (\S+) port (\d{1,5})/,
    apply(m, f) {
      auth(f, 'success', 'ssh_login');
      user(f, m[2]);
      sourceAddress(f, m[3], m[4]);
      f.set('system.auth.ssh.method', m[1]);
      f.set('system.auth.ssh.event', 'Accepted');
    },
  },
  {
    process: ['sshd'],
    re: /^Invalid user (\S*) from (\S+)(?: port (\d{1,5}))?/,
    apply(m, f) {
      auth(f, 'failure', 'ssh_login');
      user(f, m[1]);
      sourceAddress(f, m[2], m[3]);
      f.set('system.auth.ssh.event', 'Invalid');
      f.set('system.auth.ssh.invalid_user', true);
    },
  },
  {
    process: ['sshd', 'sudo', 'su', 'login', 'passwd'],
    re: /^pam_unix\((\S+?):auth\): authentication failure;(?:.*?\brhost=(\S*))?(?:.*?\buser=(\S*))?/,
    apply(m, f) {
      auth(f, 'failure', `${m[1]}_auth`);
      if (m[2]) sourceAddress(f, m[2]);
      user(f, m[3]);
    },
  },
  {
    process: ['sudo'],
    re: /^\s*(\S+) : (?:(\d+) incorrect password attempts? ; |(command not allowed) ; )?TTY=(\S+) ; PWD=([^;]*) ; USER=(\S+) ; (?:[A-Z]+=[^;]* ; )*COMMAND=(.*)$/,
    apply(m, f) {
      user(f, m[1]);
      f.set('user.effective.name', m[6]);
      f.set('event.category', ['process']);
      f.set('event.type', ['start']);
      f.set('event.action', 'sudo');
      f.set('event.outcome', m[2] || m[3] ? 'failure' : 'success');
      f.set('process.command_line', m[7]);
      f.set('system.auth.sudo.tty', m[4]);
      f.set('system.auth.sudo.pwd', m[5]);
      f.set('system.auth.sudo.user', m[6]);
      f.set('system.auth.sudo.command', m[7]);
    },
  },
  {
    process: ['su'],
    re: /^pam_unix\(su(?:-l)?:session\): session opened for user ([^\s(]+)(?:\(uid=\d+\))? by ([^\s(]*)/,
    apply(m, f) {
      user(f, m[2]);
      f.set('user.effective.name', m[1]);
      auth(f, 'success', 'su');
    },
  },
  {
    process: ['su'],
    re: /^FAILED SU \(to (\S+)\) (\S+)/,
    apply(m, f) {
      user(f, m[2]);
      f.set('user.effective.name', m[1]);
      auth(f, 'failure', 'su');
    },
  },
  {
    process: ['useradd'],
    re: /^new user: name=([^,\s]+), UID=(\d+)/,
    apply(m, f) {
      user(f, m[1]);
      f.set('user.id', m[2]);
      f.set('event.category', ['iam']);
      f.set('event.type', ['user', 'creation']);
      f.set('event.action', 'user_add');
      f.set('event.outcome', 'success');
    },
  },
  {
    process: ['groupadd'],
    re: /^new group: name=([^,\s]+), GID=(\d+)/,
    apply(m, f) {
      f.set('group.name', m[1]);
      f.set('group.id', m[2]);
      f.set('event.category', ['iam']);
      f.set('event.type', ['group', 'creation']);
      f.set('event.action', 'group_add');
      f.set('event.outcome', 'success');
    },
  },
  {
    process: ['userdel'],
    re: /^delete user '([^']+)'/,
    apply(m, f) {
      user(f, m[1]);
      f.set('event.category', ['iam']);
      f.set('event.type', ['user', 'deletion']);
      f.set('event.action', 'user_delete');
      f.set('event.outcome', 'success');
    },
  },
  {
    process: ['passwd', 'chpasswd'],
    re: /^pam_unix\(\S+?:chauthtok\): password changed for (\S+)/,
    apply(m, f) {
      user(f, m[1]);
      f.set('event.category', ['iam']);
      f.set('event.type', ['user', 'change']);
      f.set('event.action', 'password_change');
      f.set('event.outcome', 'success');
    },
  },
];

const BY_PROCESS = new Map<string, Extraction[]>();
for (const x of SYSLOG_EXTRACTIONS)
  for (const p of x.process) BY_PROCESS.set(p, [...(BY_PROCESS.get(p) ?? []), x]);

/** The `log.syslog.*`, `host.hostname`, `process.*`, `message` fields of a parsed header. */
export function syslogFields(h: SyslogHeader, f: Fields): void {
  const facility = h.priority >> 3;
  const severity = h.priority & 7;
  f.set('log.syslog.priority', h.priority);
  f.set('log.syslog.facility.code', facility);
  f.set('log.syslog.facility.name', SYSLOG_FACILITIES[facility]);
  f.set('log.syslog.severity.code', severity);
  f.set('log.syslog.severity.name', SYSLOG_SEVERITIES[severity]);
  if (h.priorityAssumed) f.set('log.syslog.priority_assumed', true);
  if (h.version !== undefined) f.set('log.syslog.version', String(h.version));
  f.set('log.syslog.hostname', h.hostname);
  f.set('host.hostname', h.hostname);
  f.set('log.syslog.appname', h.appname);
  f.set('process.name', h.appname);
  f.set('log.syslog.procid', h.procid);
  if (h.procid && /^\d{1,10}$/.test(h.procid)) f.set('process.pid', Number(h.procid));
  f.set('log.syslog.msgid', h.msgid);
  if (h.structuredData)
    for (const [id, params] of h.structuredData) {
      if (params.size === 0) f.set(`log.syslog.structured_data.${id}`, true);
      for (const [k, v] of params) f.set(`log.syslog.structured_data.${id}.${k}`, v);
    }
  f.set('message', h.message);
  f.set('event.severity', severityFromSyslog(severity));
  f.set('event.kind', 'event');
}

/** Apply the first matching well-known extraction for the line's process. */
export function extractWellKnown(h: SyslogHeader, f: Fields): void {
  if (!h.appname) return;
  const list = BY_PROCESS.get(h.appname.toLowerCase());
  if (!list) return;
  // Bounded: extractions only look at the first 4 KiB of a message.
  // (Leading spaces are skipped: rsyslog's templates keep the space after a BSD tag's colon.)
  let from = 0;
  while (h.message.charCodeAt(from) === 0x20) from++;
  const msg = h.message.slice(from, from + 4096);
  for (const x of list) {
    const m = x.re.exec(msg);
    if (m) {
      x.apply(m, f);
      return;
    }
  }
}
