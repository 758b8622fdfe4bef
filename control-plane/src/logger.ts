import { pino, type Logger } from 'pino';

export type { Logger };

export const REDACTED = '***';

/**
 * Field names whose values never reach a log line, matched at every depth and in any case: secrets
 * (passwords, hashes, tokens, keys, SNMP communities, cookies, authorization headers) and SQL query
 * parameters and row details, which carry whatever the query wrote (a new user's scrypt hash, a
 * token's hash and prefix).
 */
const SENSITIVE_KEY =
  /pass(word|wd|phrase)?|hash|token|secret|credential|community|auth[-_]?key|priv[-_]?key|private[-_]?key|api[-_]?key|^keys?$|key[-_]?material|cookie|authorization|csrf|session[-_]?id|otp|totp|seed|^params$|^parameters$|^values$|^detail$|^bindings$/i;

/** Values that look like secrets wherever they appear (a message, a query text, a detail). */
const SECRET_VALUE: readonly [RegExp, string][] = [
  [/scrypt\$[^\s"',)]+/g, REDACTED],
  [/\bts[a-z]_[A-Za-z0-9_-]{8,}/g, REDACTED],
  [/\botpauth:\/\/\S+/g, REDACTED],
  [/\bBearer\s+\S+/gi, REDACTED],
  // The password in a URL: `postgres://user:secret@host`.
  [/(\/\/[^/\s:@]+:)[^@\s/]+@/g, `$1${REDACTED}@`],
];

const MAX_DEPTH = 8;
const MAX_ITEMS = 100;
const MAX_STRING = 2_000;

function scrubString(s: string): string {
  let out = s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}…` : s;
  for (const [re, by] of SECRET_VALUE) out = out.replace(re, by);
  return out;
}

/**
 * A copy of `value` safe to log: sensitive fields replaced by `***` at every depth, secret-looking
 * strings masked, errors reduced to their type, message and code (with the stack only when
 * `stacks` is set), cycles and depth bounded.
 */
export function redactForLog(
  value: unknown,
  stacks = false,
  depth = 0,
  seen = new WeakSet<object>(),
): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  seen.add(value);
  if (value instanceof Date) return value;
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ITEMS).map((v) => redactForLog(v, stacks, depth + 1, seen));
    if (value.length > MAX_ITEMS) items.push(`[${value.length - MAX_ITEMS} more]`);
    return items;
  }
  const out: Record<string, unknown> = {};
  if (value instanceof Error) {
    out.type = value.name;
    out.message = scrubString(value.message);
    if (stacks && value.stack) out.stack = scrubString(value.stack);
    if (value.cause !== undefined) out.cause = redactForLog(value.cause, stacks, depth + 1, seen);
  }
  for (const [k, v] of Object.entries(value)) {
    if (k === 'stack' || (value instanceof Error && (k === 'message' || k === 'cause'))) continue;
    out[k] = SENSITIVE_KEY.test(k) ? REDACTED : redactForLog(v, stacks, depth + 1, seen);
  }
  return out;
}

/**
 * Structured JSON logs on stdout; messages are lowercase sentences without trailing periods.
 * Every line passes through {@link redactForLog} in the logger itself, so no call site can leak a
 * secret or a query parameter; stack traces are logged only at level `debug` or `trace`.
 */
export function createLogger(level: string, name = 'tianshu', destination?: pino.DestinationStream): Logger {
  const stacks = level === 'debug' || level === 'trace';
  const options: pino.LoggerOptions = {
    name,
    level,
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      log: (obj) => redactForLog(obj, stacks) as Record<string, unknown>,
      bindings: (b) => redactForLog(b, stacks) as Record<string, unknown>,
    },
    // The objects are already reduced above; pino's own error serializer would undo that.
    serializers: { err: (e: unknown) => e },
    hooks: {
      logMethod(args, method) {
        // A bare error would become the message unscrubbed: log it as `err` with a scrubbed message.
        const first = args[0] as unknown;
        if (first instanceof Error && typeof args[1] !== 'string') {
          args = [{ err: first }, first.message, ...args.slice(1)] as unknown as typeof args;
        }
        const safe = args.map((a) => (typeof a === 'string' ? scrubString(a) : a));
        return method.apply(this, safe as Parameters<typeof method>);
      },
    },
  };
  return redactChildren(destination ? pino(options, destination) : pino(options), stacks);
}

/** Pino resets the bindings formatter for children, so their bindings are reduced here. */
function redactChildren(log: Logger, stacks: boolean): Logger {
  const child = log.child.bind(log);
  log.child = ((bindings: pino.Bindings, opts?: pino.ChildLoggerOptions) =>
    redactChildren(
      child(redactForLog(bindings, stacks) as pino.Bindings, opts),
      stacks,
    )) as unknown as Logger['child'];
  return log;
}
