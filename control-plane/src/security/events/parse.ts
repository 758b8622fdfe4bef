// INTERIM until helper A's parsers (protocol/src/events) are merged: the same signature.
import type { EventFormat, EventRejectReason, EventValue, NormalisedEvent } from '@tianshu/protocol';

export type ParseResult =
  { ok: true; event: NormalisedEvent } | { ok: false; reason: EventRejectReason; message: string };

export function parseLine(
  format: EventFormat,
  line: string,
  opts: { maxLineBytes: number; receivedAt: number },
): ParseResult {
  if (Buffer.byteLength(line) > opts.maxLineBytes)
    return { ok: false, reason: 'line-too-long', message: 'line too long' };
  if (format !== 'eve') {
    return {
      ok: true,
      event: { ts: opts.receivedAt, format, type: format, fields: { message: line }, raw: line },
    };
  }
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch (err) {
    return { ok: false, reason: 'not-json', message: (err as Error).message };
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    return { ok: false, reason: 'not-an-object', message: 'not an object' };
  const r = o as Record<string, unknown>;
  const ts = Date.parse(String(r.timestamp));
  if (!Number.isFinite(ts)) return { ok: false, reason: 'bad-timestamp', message: 'bad timestamp' };
  const fields: Record<string, EventValue> = {};
  const set = (k: string, v: unknown) => {
    if (typeof v === 'string' || typeof v === 'number') fields[k] = v;
  };
  set('source.ip', r.src_ip);
  set('source.port', r.src_port);
  set('destination.ip', r.dest_ip);
  set('destination.port', r.dest_port);
  set('network.transport', typeof r.proto === 'string' ? r.proto.toLowerCase() : undefined);
  const alert = r.alert as Record<string, unknown> | undefined;
  if (alert) {
    set('rule.id', alert.signature_id);
    set('rule.name', alert.signature);
    set('rule.category', alert.category);
    set('suricata.eve.alert.severity', alert.severity);
  }
  const type = typeof r.event_type === 'string' ? r.event_type : 'unknown';
  return { ok: true, event: { ts, format, type, fields, raw: line } };
}
