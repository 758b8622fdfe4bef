import { createHash } from 'node:crypto';
import type { Receiver } from './policy.js';
import type { AlarmSeverity } from './types.js';

/** Alertmanager writes this for the end of an alert that has not ended. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** One alarm as a notification carries it. */
export interface NotifiedAlarm {
  id: string;
  /** 'firing' or 'resolved': what this notification reports about the alarm. */
  status: 'firing' | 'resolved';
  kind: string;
  severity: AlarmSeverity;
  orgUnitId: string;
  targetType: string;
  targetId: string;
  summary: string;
  labels: Record<string, string>;
  startsAt: Date;
  endsAt: Date | null;
}

export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

/** The JSON body of Alertmanager's webhook receiver, version 4. */
export interface AlertmanagerPayload {
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: AlertmanagerAlert[];
}

/**
 * The identity of an alarm: kind, target type and target id. Stored as a SHA-256 hex digest; the
 * first 16 digits are the `fingerprint` in notifications, as Alertmanager's are 16 hex digits.
 */
export function fingerprintOf(kind: string, targetType: string, targetId: string): string {
  return createHash('sha256')
    .update(JSON.stringify([kind, targetType, targetId]))
    .digest('hex');
}

/** The labels an alarm carries in a notification; the alarm's own fields win over its free labels. */
export function alertLabels(a: NotifiedAlarm): Record<string, string> {
  return {
    ...a.labels,
    alertname: a.kind,
    severity: a.severity,
    org_unit: a.orgUnitId,
    target_type: a.targetType,
    target_id: a.targetId,
  };
}

function common(maps: Record<string, string>[]): Record<string, string> {
  const [first, ...rest] = maps;
  if (!first) return {};
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(first)) if (rest.every((m) => m[k] === v)) out[k] = v;
  return out;
}

const quote = (labels: Record<string, string>) =>
  `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`)
    .join(', ')}}`;

/**
 * Builds the request body for one group: alarms of one kind going to one receiver. The group is
 * 'firing' while any of its alarms fires.
 */
export function buildPayload(
  receiver: string,
  alarms: NotifiedAlarm[],
  externalUrl: string,
): AlertmanagerPayload {
  const base = externalUrl.replace(/\/+$/, '');
  const alerts: AlertmanagerAlert[] = alarms.map((a) => ({
    status: a.status,
    labels: alertLabels(a),
    annotations: { summary: a.summary },
    startsAt: a.startsAt.toISOString(),
    endsAt: a.status === 'resolved' && a.endsAt ? a.endsAt.toISOString() : ZERO_TIME,
    generatorURL: `${base}/api/v1/alarms/${a.id}`,
    fingerprint: fingerprintOf(a.kind, a.targetType, a.targetId).slice(0, 16),
  }));
  const groupLabels: Record<string, string> = alarms[0] ? { alertname: alarms[0].kind } : {};
  return {
    version: '4',
    groupKey: `${quote({ receiver })}:${quote(groupLabels)}`,
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver,
    groupLabels,
    commonLabels: common(alerts.map((a) => a.labels)),
    commonAnnotations: common(alerts.map((a) => a.annotations)),
    externalURL: base,
    alerts,
  };
}

/**
 * POSTs a payload to a receiver's webhook within its timeout. Resolves on any 2xx answer; rejects
 * with an error naming the status or the network failure otherwise.
 */
export async function postWebhook(
  receiver: Receiver,
  payload: AlertmanagerPayload,
  userAgent: string,
): Promise<void> {
  let res: Response;
  try {
    res = await fetch(receiver.webhook.url, {
      method: 'POST',
      headers: { ...receiver.webhook.headers, 'content-type': 'application/json', 'user-agent': userAgent },
      body: JSON.stringify(payload),
      signal: AbortSignal.timeout(receiver.webhook.timeoutMs),
      redirect: 'error',
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') throw new Error(`no answer within ${receiver.webhook.timeoutMs} ms`);
    throw new Error(`request failed: ${e.cause?.code ?? e.cause?.message ?? e.message}`);
  }
  // The body is not used; reading it lets the connection be reused.
  const text = await res.text().catch(() => '');
  if (res.status < 200 || res.status > 299) {
    throw new Error(`HTTP ${res.status}${text ? `: ${text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}`);
  }
}
