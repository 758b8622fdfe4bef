/**
 * Words and tones for devices and interfaces: status, poll outcomes, interface states and uptime, in
 * the locale in force. Pure, unit-tested.
 */
import { msg, str } from '@lit/localize';
import type { DeviceHealth, LastPoll, PollOutcome } from '../data/devices.js';
import type { BadgeTone } from '../components/ts-status-badge.js';
import { currentLocale } from '../i18n/locale.js';
import type { AppLocale } from '../i18n/locale.js';

export function deviceStatusText(status: DeviceHealth | string): string {
  switch (status) {
    case 'up':
      return msg('up', { id: 'devices.status.up' });
    case 'down':
      return msg('down', { id: 'devices.status.down' });
    case 'failing':
      return msg('failing', { id: 'devices.status.failing' });
    default:
      return msg('unknown', { id: 'devices.status.unknown' });
  }
}

export function deviceStatusTone(status: DeviceHealth | string): BadgeTone {
  switch (status) {
    case 'up':
      return 'ok';
    case 'down':
      return 'bad';
    case 'failing':
      return 'warn';
    default:
      return 'idle';
  }
}

export function pollOutcomeText(outcome: PollOutcome | string): string {
  switch (outcome) {
    case 'ok':
      return msg('ok', { id: 'devices.outcome.ok' });
    case 'partial':
      return msg('partial answer', { id: 'devices.outcome.partial' });
    case 'timeout':
      return msg('timeout', { id: 'devices.outcome.timeout' });
    case 'auth':
      return msg('authentication failed', { id: 'devices.outcome.auth' });
    case 'agent-error':
      return msg('agent error', { id: 'devices.outcome.agentError' });
    default:
      return msg('error', { id: 'devices.outcome.error' });
  }
}

export function pollOutcomeTone(outcome: PollOutcome | string): BadgeTone {
  switch (outcome) {
    case 'ok':
      return 'ok';
    case 'partial':
      return 'warn';
    default:
      return 'bad';
  }
}

/**
 * The outcome of a poll with its reason, as one line: "timeout", "agent error: sysUpTime.0:
 * noSuchInstance". An ok poll is just "ok".
 */
export function pollOutcomeLine(poll: Pick<LastPoll, 'outcome' | 'error'>): string {
  const outcome = pollOutcomeText(poll.outcome);
  if (poll.outcome === 'ok' || !poll.error) return outcome;
  // Agents often lead the reason with the outcome itself ("timeout: request timed out"): say it once.
  const lead = `${poll.outcome}:`;
  const reason = poll.error.toLowerCase().startsWith(lead)
    ? poll.error.slice(lead.length).trim()
    : poll.error;
  if (!reason) return outcome;
  return msg(str`${outcome}: ${reason}`, { id: 'devices.outcome.withReason' });
}

/** An interface's administrative or operational status (IF-MIB words). */
export function ifStatusText(status: string | null): string {
  switch (status) {
    case 'up':
      return msg('up', { id: 'devices.if.up' });
    case 'down':
      return msg('down', { id: 'devices.if.down' });
    case 'testing':
      return msg('testing', { id: 'devices.if.testing' });
    case 'dormant':
      return msg('dormant', { id: 'devices.if.dormant' });
    case 'notPresent':
      return msg('not present', { id: 'devices.if.notPresent' });
    case 'lowerLayerDown':
      return msg('lower layer down', { id: 'devices.if.lowerLayerDown' });
    case null:
      return '—';
    default:
      return msg('unknown', { id: 'devices.if.unknown' });
  }
}

/** Tone of an interface by admin and oper status: admin down is idle, oper down (admin up) is bad. */
export function ifTone(adminStatus: string | null, operStatus: string | null): BadgeTone {
  if (adminStatus === 'down') return 'idle';
  if (operStatus === 'up') return 'ok';
  if (operStatus === 'down' || operStatus === 'lowerLayerDown') return 'bad';
  return 'idle';
}

/** Names of the common IANAifType values, as IF-MIB spells them; others: the number. */
const ifTypes: Record<number, string> = {
  1: 'other',
  6: 'ethernetCsmacd',
  23: 'ppp',
  24: 'softwareLoopback',
  53: 'propVirtual',
  131: 'tunnel',
  135: 'l2vlan',
  136: 'l3ipvlan',
  161: 'ieee8023adLag',
};

/** An interface's type: its IF-MIB name with the IANAifType number, e.g. "ethernetCsmacd (6)". */
export function ifTypeText(type: number | null): string {
  if (type === null) return '—';
  const name = ifTypes[type];
  return name ? `${name} (${type})` : String(type);
}

const units = [
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
] as const;

const unitFormats = new Map<string, Intl.NumberFormat>();

/**
 * An uptime in its two largest units, "12 days 3 hr" / "12天 3小时"; under a minute, in seconds.
 * Null or negative: a dash.
 */
export function formatUptime(seconds: number | null, locale: AppLocale = currentLocale()): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '—';
  let rest = Math.floor(seconds);
  const parts: string[] = [];
  for (const [unit, size] of units) {
    if (parts.length === 2) break;
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n === 0 && parts.length === 0 && unit !== 'second') continue;
    if (n === 0 && parts.length > 0) break;
    const key = `${locale}:${unit}`;
    let format = unitFormats.get(key);
    if (!format) {
      format = new Intl.NumberFormat(locale, { style: 'unit', unit, unitDisplay: 'short' });
      unitFormats.set(key, format);
    }
    parts.push(format.format(n));
  }
  return parts.join(' ');
}

/** An interface's speed: 1 Gbit/s, 100 Mbit/s; null or 0: a dash. */
export function formatSpeedMbps(mbps: number | null, locale: AppLocale = currentLocale()): string {
  if (mbps === null || !Number.isFinite(mbps) || mbps <= 0) return '—';
  const [value, unit] =
    mbps >= 1_000_000
      ? [mbps / 1_000_000, 'Tbit/s']
      : mbps >= 1000
        ? [mbps / 1000, 'Gbit/s']
        : [mbps, 'Mbit/s'];
  return `${new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }).format(value)} ${unit}`;
}
