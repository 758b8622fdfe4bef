import { MAX_EVENT_LINE_BYTES } from '../security.js';
import type { EventFormat, EventRejectReason, NormalisedEvent } from '../security.js';
import { MAX_TIMESTAMP_MILLIS } from '../network.js';
import { Fields, Reject, safeText, utf8Length } from './common.js';
import { parseEve } from './eve.js';
import { extractWellKnown, parseSyslogHeader, syslogFields } from './syslog.js';
import { parseCef } from './cef.js';

export interface ParseOptions {
  /** Longest line accepted, in UTF-8 bytes (at most `MAX_EVENT_LINE_BYTES`). */
  maxLineBytes?: number;
  /** Unix milliseconds the line was received: the time of events without one, and the year of BSD syslog. */
  receivedAt: number;
}

export type ParseResult =
  { ok: true; event: NormalisedEvent } | { ok: false; reason: EventRejectReason; message: string };

const reject = (r: Reject): ParseResult => ({ ok: false, reason: r.reason, message: r.message });

/**
 * Parse and normalise one line (without its line terminator; a trailing CR or LF is ignored) of
 * the given format. Never throws; the work is bounded by the line length.
 */
export function parseEventLine(format: EventFormat, line: string, options: ParseOptions): ParseResult {
  try {
    return parseUnsafe(format, line, options);
  } catch (e) {
    // A parser bug must cost one line, never the stream: reported with its reason.
    return {
      ok: false,
      reason: 'bad-field',
      message: `internal parser error: ${(e as Error)?.message ?? String(e)}`,
    };
  }
}

function parseUnsafe(format: EventFormat, line: string, options: ParseOptions): ParseResult {
  const max = Math.min(options.maxLineBytes ?? MAX_EVENT_LINE_BYTES, MAX_EVENT_LINE_BYTES);
  if (line.length > max || (line.length * 3 > max && utf8Length(line, max) > max))
    return { ok: false, reason: 'line-too-long', message: `line longer than ${max} bytes` };
  let end = line.length;
  while (end > 0 && (line.charCodeAt(end - 1) === 0x0a || line.charCodeAt(end - 1) === 0x0d)) end--;
  if (end !== line.length) line = line.slice(0, end);
  if (blank(line))
    return {
      ok: false,
      reason: format === 'eve' ? 'not-json' : format === 'cef' ? 'bad-cef' : 'bad-syslog',
      message: 'empty line',
    };
  if (!safeText(line))
    return {
      ok: false,
      reason: 'unsafe-text',
      message: 'line contains a NUL character or an unpaired surrogate',
    };
  const receivedAt = Number.isFinite(options.receivedAt)
    ? Math.min(Math.max(0, Math.trunc(options.receivedAt)), MAX_TIMESTAMP_MILLIS)
    : Date.now();
  const f = new Fields();
  let ts: number;
  let type: string;
  let eventFormat = format;
  if (format === 'eve') {
    // JSON escapes can spell what the raw line does not contain (\u0000, a lone \ud800).
    f.checkValues = line.includes('\\u');
    const r = parseEve(line, f);
    if (r instanceof Reject) return reject(r);
    ts = r.ts;
    type = r.type;
  } else if (format === 'syslog') {
    const h = parseSyslogHeader(line, receivedAt);
    if (h instanceof Reject) return reject(h);
    // A CEF message carried by syslog is read as CEF (its syslog header's fields come along).
    if (h.message.startsWith('CEF:')) {
      const t = parseCef(line, receivedAt, f);
      if (t instanceof Reject) return reject(t);
      ts = t;
      type = 'cef';
      eventFormat = 'cef';
    } else {
      syslogFields(h, f);
      extractWellKnown(h, f);
      ts = h.ts;
      type = 'syslog';
    }
  } else {
    const t = parseCef(line, receivedAt, f);
    if (t instanceof Reject) return reject(t);
    ts = t;
    type = 'cef';
  }
  if (!(ts >= 0 && ts <= MAX_TIMESTAMP_MILLIS))
    return { ok: false, reason: 'bad-timestamp', message: 'time out of range' };
  f.setDefault('@timestamp', new Date(ts).toISOString());
  const fields = f.finish();
  if (fields instanceof Reject) return reject(fields);
  return { ok: true, event: { ts, format: eventFormat, type, fields, raw: line } };
}

function blank(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d && c !== 0x0a) return false;
  }
  return true;
}
