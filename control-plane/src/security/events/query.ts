import { InputError } from '../../errors.js';

/**
 * The event search's `q` syntax, parsed into SQL conditions over `security_events` with every value
 * bound as a query parameter (never spliced into the SQL text):
 *
 * - terms separated by spaces, all of which must hold (AND); a leading `-` negates a term;
 * - `word` or `"quoted words"`: free text, case-insensitive, anywhere in the message or raw line;
 * - `field:value` / `field:"quoted value"`: a column (`ip`, `srcIp`, `dstIp`, `port`, `srcPort`,
 *   `dstPort`, `proto`, `host`, `user`, `rule`, `type`, `format`, `source`, `agent`, `severity`,
 *   `message`) or a dotted ECS field of the normalised event (`dns.question.name:example.org`,
 *   `event.category:network`), equal to the value; a value ending in `*` matches as a prefix;
 * - inside quotes `\"` and `\\` escape.
 */
export const QUERY_MAX_LENGTH = 2000;
export const QUERY_MAX_TERMS = 20;
const VALUE_MAX = 512;

export interface EventFilterSql {
  /** Conditions to AND (each a parenthesised SQL expression over placeholders). */
  where: string[];
  params: Record<string, string | number>;
}

type Column = { kind: 'string' | 'port' | 'severity' | 'text'; cols: string[] };

const COLUMNS: Readonly<Record<string, Column>> = {
  ip: { kind: 'string', cols: ['src_ip', 'dst_ip'] },
  srcip: { kind: 'string', cols: ['src_ip'] },
  'source.ip': { kind: 'string', cols: ['src_ip'] },
  dstip: { kind: 'string', cols: ['dst_ip'] },
  'destination.ip': { kind: 'string', cols: ['dst_ip'] },
  port: { kind: 'port', cols: ['src_port', 'dst_port'] },
  srcport: { kind: 'port', cols: ['src_port'] },
  'source.port': { kind: 'port', cols: ['src_port'] },
  dstport: { kind: 'port', cols: ['dst_port'] },
  'destination.port': { kind: 'port', cols: ['dst_port'] },
  proto: { kind: 'string', cols: ['proto'] },
  'network.transport': { kind: 'string', cols: ['proto'] },
  host: { kind: 'string', cols: ['host'] },
  user: { kind: 'string', cols: ['user'] },
  'user.name': { kind: 'string', cols: ['user'] },
  rule: { kind: 'string', cols: ['rule'] },
  'rule.name': { kind: 'string', cols: ['rule'] },
  type: { kind: 'string', cols: ['type'] },
  format: { kind: 'string', cols: ['format'] },
  source: { kind: 'string', cols: ['source'] },
  agent: { kind: 'string', cols: ['agent_id'] },
  agentid: { kind: 'string', cols: ['agent_id'] },
  severity: { kind: 'severity', cols: ['severity'] },
  message: { kind: 'text', cols: ['message'] },
};

/** Stored severities: 0 none, 1 low … 4 critical. */
export const SEVERITY_WORDS = ['none', 'low', 'medium', 'high', 'critical'] as const;

const ECS_FIELD = /^[a-z@_][a-z0-9@_-]*(\.[a-z0-9@_-]+)+$/i;
const FIELD_NAME = /^[A-Za-z@_][A-Za-z0-9@_.-]{0,127}$/;

interface Term {
  negate: boolean;
  field: string | undefined;
  value: string;
  /** The value was quoted (a trailing `*` is then literal). */
  quoted: boolean;
  at: number;
}

function fail(at: number, message: string): never {
  throw new InputError(`q: at ${at + 1}: ${message}`, [{ path: 'q', message: `at ${at + 1}: ${message}` }]);
}

/** Splits `q` into terms; throws an InputError naming the position of the problem. */
export function tokenize(q: string): Term[] {
  if (q.length > QUERY_MAX_LENGTH) fail(QUERY_MAX_LENGTH, `longer than ${QUERY_MAX_LENGTH} characters`);
  const terms: Term[] = [];
  let i = 0;
  const n = q.length;
  const isSpace = (c: string) => c === ' ' || c === '\t' || c === '\n' || c === '\r';
  const quoted = (start: number): [string, number] => {
    let out = '';
    let j = start + 1;
    for (; j < n; j++) {
      const c = q[j]!;
      if (c === '\\') {
        const e = q[j + 1];
        if (e !== '"' && e !== '\\') fail(j, 'only \\" and \\\\ escape inside quotes');
        out += e;
        j++;
      } else if (c === '"') return [out, j + 1];
      else out += c;
    }
    return fail(start, 'unterminated quote');
  };
  while (i < n) {
    if (isSpace(q[i]!)) {
      i++;
      continue;
    }
    const at = i;
    let negate = false;
    if (q[i] === '-' && i + 1 < n && !isSpace(q[i + 1]!)) {
      negate = true;
      i++;
    }
    let field: string | undefined;
    let value: string;
    let wasQuoted = false;
    if (q[i] === '"') {
      [value, i] = quoted(i);
      wasQuoted = true;
    } else {
      let j = i;
      while (j < n && !isSpace(q[j]!) && q[j] !== ':' && q[j] !== '"') j++;
      const word = q.slice(i, j);
      if (j < n && q[j] === ':') {
        if (!FIELD_NAME.test(word)) fail(i, `"${word.slice(0, 40)}" is not a field name`);
        field = word;
        j++;
        if (j < n && q[j] === '"') {
          [value, i] = quoted(j);
          wasQuoted = true;
        } else {
          let k = j;
          while (k < n && !isSpace(q[k]!)) k++;
          value = q.slice(j, k);
          if (value.includes('"')) fail(j, 'a quote inside an unquoted value');
          i = k;
        }
        if (value === '') fail(j, `no value after "${field}:"`);
      } else {
        if (j < n && q[j] === '"') fail(j, 'a quote inside a word');
        value = word;
        i = j;
      }
    }
    if (value.length > VALUE_MAX) fail(at, `a value is longer than ${VALUE_MAX} characters`);
    if (terms.length === QUERY_MAX_TERMS) fail(at, `more than ${QUERY_MAX_TERMS} terms`);
    if (value !== '' || field !== undefined) terms.push({ negate, field, value, quoted: wasQuoted, at });
  }
  return terms;
}

/** Parses `q` into conditions over `security_events`; parameters named `${prefix}0`, `${prefix}1`, … */
export function parseEventQuery(q: string, prefix = 'q'): EventFilterSql {
  const where: string[] = [];
  const params: Record<string, string | number> = {};
  let n = 0;
  const param = (v: string | number, type: 'String' | 'UInt16' | 'UInt8') => {
    const name = `${prefix}${n++}`;
    params[name] = v;
    return `{${name}:${type}}`;
  };
  for (const t of tokenize(q)) {
    let cond: string;
    const prefixMatch = !t.quoted && t.value.length > 1 && t.value.endsWith('*');
    const value = prefixMatch ? t.value.slice(0, -1) : t.value;
    if (t.field === undefined) {
      const p = param(t.value, 'String');
      cond = `(positionCaseInsensitiveUTF8(message, ${p}) > 0 OR positionCaseInsensitiveUTF8(raw, ${p}) > 0)`;
    } else {
      const key = t.field.toLowerCase();
      const col = COLUMNS[key];
      if (col) {
        if (col.kind === 'port') {
          if (!/^\d{1,5}$/.test(t.value) || Number(t.value) > 65_535)
            fail(t.at, `${t.field} needs a port number 0–65535, got "${t.value.slice(0, 40)}"`);
          const p = param(Number(t.value), 'UInt16');
          cond = `(${col.cols.map((c) => `${c} = ${p}`).join(' OR ')})`;
        } else if (col.kind === 'severity') {
          const w = SEVERITY_WORDS.indexOf(t.value.toLowerCase() as (typeof SEVERITY_WORDS)[number]);
          const num = /^[0-4]$/.test(t.value) ? Number(t.value) : w;
          if (num < 0) fail(t.at, `severity is one of ${SEVERITY_WORDS.join(', ')} or 0–4`);
          cond = `(severity = ${param(num, 'UInt8')})`;
        } else if (col.kind === 'text') {
          cond = `(positionCaseInsensitiveUTF8(message, ${param(t.value, 'String')}) > 0)`;
        } else {
          const p = param(value, 'String');
          cond = `(${col.cols.map((c) => (prefixMatch ? `startsWith(${c}, ${p})` : `${c} = ${p}`)).join(' OR ')})`;
        }
      } else if (ECS_FIELD.test(t.field)) {
        const k = param(t.field, 'String');
        const p = param(value, 'String');
        cond = prefixMatch
          ? `(startsWith(JSONExtractString(fields, ${k}), ${p}) OR arrayExists(x -> startsWith(x, ${p}), JSONExtract(fields, ${k}, 'Array(String)')))`
          : `(JSONExtractString(fields, ${k}) = ${p} OR JSONExtractRaw(fields, ${k}) = ${p} OR has(JSONExtract(fields, ${k}, 'Array(String)'), ${p}))`;
      } else {
        fail(
          t.at,
          `unknown field "${t.field.slice(0, 40)}": one of ${Object.keys(COLUMNS).join(', ')}, or a dotted ECS field such as dns.question.name`,
        );
      }
    }
    where.push(t.negate ? `(NOT ${cond})` : cond);
  }
  return { where, params };
}
