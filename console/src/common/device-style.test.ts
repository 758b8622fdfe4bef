import { describe, expect, it } from 'vitest';
import {
  deviceStatusTone,
  formatSpeedMbps,
  formatUptime,
  ifTone,
  ifTypeText,
  pollOutcomeLine,
  pollOutcomeTone,
} from './device-style.js';

describe('device words', () => {
  it('gives the outcome with its reason when a poll failed, and only the outcome when it did not', () => {
    expect(pollOutcomeLine({ outcome: 'timeout', error: null })).toBe('timeout');
    expect(pollOutcomeLine({ outcome: 'agent-error', error: 'sysUpTime.0: noSuchInstance' })).toBe(
      'agent error: sysUpTime.0: noSuchInstance',
    );
    expect(pollOutcomeLine({ outcome: 'auth', error: 'unknown user name' })).toBe(
      'authentication failed: unknown user name',
    );
    expect(pollOutcomeLine({ outcome: 'ok', error: 'ignored' })).toBe('ok');
    // A reason that repeats the outcome says it once.
    expect(pollOutcomeLine({ outcome: 'timeout', error: 'timeout: request timed out' })).toBe(
      'timeout: request timed out',
    );
    expect(pollOutcomeLine({ outcome: 'timeout', error: 'Timeout:' })).toBe('timeout');
  });

  it('tones: failures are bad, partial answers a warning', () => {
    expect(pollOutcomeTone('ok')).toBe('ok');
    expect(pollOutcomeTone('partial')).toBe('warn');
    for (const outcome of ['timeout', 'auth', 'agent-error', 'error'])
      expect(pollOutcomeTone(outcome)).toBe('bad');
    expect(deviceStatusTone('failing')).toBe('warn');
    expect(deviceStatusTone('down')).toBe('bad');
    expect(deviceStatusTone('whatever')).toBe('idle');
  });

  it('an interface that is administratively down is idle, one down while enabled is bad', () => {
    expect(ifTone('down', 'down')).toBe('idle');
    expect(ifTone('up', 'down')).toBe('bad');
    expect(ifTone('up', 'lowerLayerDown')).toBe('bad');
    expect(ifTone('up', 'up')).toBe('ok');
    expect(ifTone(null, null)).toBe('idle');
  });

  it('formats an uptime in its two largest units', () => {
    expect(formatUptime(12 * 86_400 + 3 * 3_600 + 59, 'en')).toBe('12 days 3 hr');
    expect(formatUptime(3_600 * 5 + 60 * 7, 'en')).toBe('5 hr 7 min');
    expect(formatUptime(42, 'en')).toBe('42 sec');
    expect(formatUptime(0, 'en')).toBe('0 sec');
    // A whole number of days is just the days.
    expect(formatUptime(2 * 86_400, 'en')).toBe('2 days');
    expect(formatUptime(12 * 86_400 + 3 * 3_600, 'zh-CN')).toMatch(/^12\s?天 3\s?小时$/);
    expect(formatUptime(null, 'en')).toBe('—');
    expect(formatUptime(-1, 'en')).toBe('—');
  });

  it('formats speeds in Mbit/s, Gbit/s, and a dash for none', () => {
    expect(formatSpeedMbps(100, 'en')).toBe('100 Mbit/s');
    expect(formatSpeedMbps(10_000, 'en')).toBe('10 Gbit/s');
    expect(formatSpeedMbps(2_500, 'en')).toBe('2.5 Gbit/s');
    expect(formatSpeedMbps(0, 'en')).toBe('—');
    expect(formatSpeedMbps(null, 'en')).toBe('—');
  });
});

describe('interface types', () => {
  it('names the common IANAifType values and keeps the number', () => {
    expect(ifTypeText(6)).toBe('ethernetCsmacd (6)');
    expect(ifTypeText(24)).toBe('softwareLoopback (24)');
    expect(ifTypeText(999)).toBe('999');
    expect(ifTypeText(null)).toBe('—');
  });
});
