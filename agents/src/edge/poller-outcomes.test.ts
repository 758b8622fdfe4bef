import { describe, expect, it } from 'vitest';
import { InterfacePollPayload } from '@tianshu/protocol';
import type { PollTarget } from '@tianshu/protocol';
import { createJsonLogger } from '../runtime/logger.js';
import { two32 } from './counters.js';
import {
  EdgePoller,
  assembleInterfaces,
  interfaceSpeedMbps,
  pollColumns,
  rowIndex,
  wrapWarnings,
} from './poller.js';
import type { InterfaceReading } from './poller.js';
import { FakeSnmpSession, fakeSessionFactory, vb } from './testing/fake-session.js';
import type { SnmpSession, Varbind } from './snmp-client.js';
import { SnmpError, SnmpType } from './snmp-client.js';

const target = (deviceId: string): PollTarget => ({
  deviceId,
  address: '192.0.2.1',
  port: 161,
  credentials: { version: '2c', community: 'x' },
  timeoutMs: 500,
  retries: 0,
  maxRepetitions: 20,
});

const up = (ticks: number): Varbind => vb.ticks('1.3.6.1.2.1.1.3.0', ticks);
const c = pollColumns;

/** ifTable rows of one interface (32-bit octets, ifSpeed in bit/s, status, errors). */
function ifTableRow(i: number, o: { in: number; out: number; speed: number; oper?: number }): Varbind[] {
  return [
    vb.gauge(`${c.ifSpeed.oid}.${i}`, o.speed),
    vb.int(`${c.ifAdminStatus.oid}.${i}`, 1),
    vb.int(`${c.ifOperStatus.oid}.${i}`, o.oper ?? 1),
    vb.c32(`${c.ifInOctets.oid}.${i}`, o.in),
    vb.c32(`${c.ifOutOctets.oid}.${i}`, o.out),
    vb.c32(`${c.ifInErrors.oid}.${i}`, 0),
    vb.c32(`${c.ifOutErrors.oid}.${i}`, 0),
    vb.c32(`${c.ifInDiscards.oid}.${i}`, 0),
    vb.c32(`${c.ifOutDiscards.oid}.${i}`, 0),
  ];
}

/** ifXTable rows of one interface (64-bit octets, ifHighSpeed in Mbit/s). */
function ifXRow(i: number, name: string, o: { in: bigint; out: bigint; speed: number }): Varbind[] {
  return [
    vb.str(`${c.ifName.oid}.${i}`, name),
    vb.c64(`${c.ifHCInOctets.oid}.${i}`, o.in),
    vb.c64(`${c.ifHCOutOctets.oid}.${i}`, o.out),
    vb.gauge(`${c.ifHighSpeed.oid}.${i}`, o.speed),
    vb.str(`${c.ifAlias.oid}.${i}`, ''),
  ];
}

/** A factory whose device answers change between polls: `answers[n]` for the n-th session. */
function sequence(answers: Varbind[][]): {
  factory: (t: PollTarget) => SnmpSession;
  sessions: FakeSnmpSession[];
} {
  const sessions: FakeSnmpSession[] = [];
  return {
    sessions,
    factory: () => {
      const s = new FakeSnmpSession(answers[Math.min(sessions.length, answers.length - 1)] ?? []);
      sessions.push(s);
      return s;
    },
  };
}

describe('32-bit counters (ifTable only)', () => {
  it('polls an ifTable-only device with counterBits 32, speed from ifSpeed, and rates across a 2^32 wrap', async () => {
    const { factory } = sequence([
      [up(100_000), ...ifTableRow(1, { in: 4_294_000_000, out: 10, speed: 100_000_000 })],
      // 10 s later: in went 967,296 up to 2^32 and 2,000,000 beyond (2,967,296 octets = 2.37 Mbit/s).
      [up(101_000), ...ifTableRow(1, { in: 2_000_000, out: 1_000_010, speed: 100_000_000 })],
    ]);
    const poller = new EdgePoller({ sessionFactory: factory });
    const first = await poller.pollDevice(target('d'));
    expect(InterfacePollPayload.parse(first)).toEqual(first);
    expect(first.interfaces).toEqual([
      expect.objectContaining({
        ifIndex: 1,
        counterBits: 32,
        speedMbps: 100,
        inOctets: '4294000000',
        rates: null,
      }),
    ]);
    expect(first.outcome).toBe('partial');
    expect(first.missing).toEqual(['ifName', 'ifHCInOctets', 'ifHCOutOctets', 'ifHighSpeed', 'ifAlias']);
    const second = await poller.pollDevice(target('d'));
    const [s] = second.interfaces;
    expect(s?.counterEvent).toBe('wrap');
    expect(s?.rates?.inBitsPerSecond).toBe(((Number(two32) - 4_294_000_000 + 2_000_000) * 8) / 10);
    expect(s?.rates?.outBitsPerSecond).toBe((1_000_000 * 8) / 10);
  });

  it('tells a 32-bit reset from a wrap: a "wrap" faster than the interface is a reset', async () => {
    const { factory } = sequence([
      [up(100_000), ...ifTableRow(1, { in: 3_000_000_000, out: 10, speed: 10_000_000 })],
      // A wrap would mean 1.29e9 octets in 10 s (1 Gbit/s) on a 10 Mbit/s link: counters were cleared.
      [up(101_000), ...ifTableRow(1, { in: 5_000, out: 20, speed: 10_000_000 })],
    ]);
    const poller = new EdgePoller({ sessionFactory: factory });
    await poller.pollDevice(target('d'));
    const [s] = (await poller.pollDevice(target('d'))).interfaces;
    expect(s).toMatchObject({ counterEvent: 'reset', rates: null });
  });

  it('uses ifHighSpeed over a saturated ifSpeed, HC counters where present and 32-bit per interface elsewhere', () => {
    const rows: Varbind[] = [
      ...ifXRow(1, 'xe-0/0/0', { in: 5n, out: 6n, speed: 10_000 }),
      ...ifTableRow(1, { in: 1, out: 2, speed: 4_294_967_295 }),
      // A stack port: in ifXTable (name, speed) but without HC counters.
      vb.str(`${c.ifName.oid}.5179`, 'StackPort1'),
      vb.gauge(`${c.ifHighSpeed.oid}.5179`, 0),
      ...ifTableRow(5179, { in: 7, out: 8, speed: 0 }),
      // An interface without octet counters in either table.
      vb.str(`${c.ifName.oid}.5001`, 'Po1'),
      vb.int(`${c.ifOperStatus.oid}.5001`, 2),
    ];
    const walked = Object.values(pollColumns).map((col) =>
      rows.filter((v) => v.oid.startsWith(`${col.oid}.`)),
    );
    const { readings, missing } = assembleInterfaces(walked);
    expect(readings.map((r) => [r.ifIndex, r.name, r.counterBits, r.counters.inOctets, r.speedMbps])).toEqual(
      [
        [1, 'xe-0/0/0', 64, 5n, 10_000],
        [5179, 'StackPort1', 32, 7n, 0],
      ],
    );
    expect(missing).toEqual(['ifIndex 5001: no octet counters']);
  });

  it('warns when the poll interval lets a 32-bit counter wrap at the interface speed, and logs it once per device', async () => {
    const lines: string[] = [];
    const logger = createJsonLogger({ level: 'debug', write: (l) => lines.push(l) });
    const rows = [
      up(1),
      ...ifTableRow(1, { in: 1, out: 1, speed: 1_000_000_000 }),
      ...ifTableRow(2, { in: 1, out: 1, speed: 10_000_000 }),
    ];
    const poller = new EdgePoller({ sessionFactory: fakeSessionFactory({ d: rows }), logger });
    const a = await poller.pollDevice(target('d'), { intervalSeconds: 60 });
    const b = await poller.pollDevice(target('d'), { intervalSeconds: 60 });
    // 1 Gbit/s: 2^32 * 8 / 1e9 = 34.4 s <= 60 s; 10 Mbit/s: 3436 s > 60 s.
    for (const p of [a, b]) {
      expect(p.warnings).toEqual([
        'ifIndex 1: 32-bit octet counters wrap every 34.4 s at 1000 Mbit/s; the poll interval of 60 s is too long to tell one wrap from two (poll more often than every 34 s, or enable ifXTable)',
      ]);
    }
    expect(lines.filter((l) => l.includes('32-bit counters that can wrap')).length).toBe(1);
    expect((await poller.pollDevice(target('d'), { intervalSeconds: 30 })).warnings).toBeUndefined();
    expect(wrapWarnings([{ counterBits: 32, speedMbps: 1000 } as InterfaceReading], undefined)).toEqual([]);
  });

  it('walks every column, ifTable and ifXTable, in the same GETBULK rounds (one walk per poll by default)', async () => {
    const { factory, sessions } = sequence([[up(1), ...ifTableRow(1, { in: 1, out: 1, speed: 1 })]]);
    await new EdgePoller({ sessionFactory: factory }).pollDevice(target('d'));
    expect(sessions[0]?.walkCalls).toBe(1);
  });
});

describe('poll outcomes', () => {
  const full = [
    up(5),
    ...ifXRow(1, 'ge-0/0/1', { in: 1n, out: 2n, speed: 1000 }),
    ...ifTableRow(1, { in: 1, out: 2, speed: 1_000_000_000 }),
  ];

  it('is ok when every column answered and every interface has counters', async () => {
    const p = await new EdgePoller({ sessionFactory: fakeSessionFactory({ d: full }) }).pollDevice(
      target('d'),
    );
    expect(p).toMatchObject({ outcome: 'ok', reachable: true });
    expect(p.missing).toBeUndefined();
    expect(p.error).toBeUndefined();
  });

  it('is ok when only the unneeded fallbacks are absent (ifSpeed, ifInOctets, ifOutOctets with HC counters and ifHighSpeed everywhere)', async () => {
    const rows = [
      up(5),
      ...ifXRow(1, 'ge-0/0/1', { in: 1n, out: 2n, speed: 1000 }),
      vb.int(`${c.ifOperStatus.oid}.1`, 1),
    ];
    const p = await new EdgePoller({ sessionFactory: fakeSessionFactory({ d: rows }) }).pollDevice(
      target('d'),
    );
    expect(p.missing).toEqual([
      'ifAdminStatus',
      'ifInDiscards',
      'ifInErrors',
      'ifOutDiscards',
      'ifOutErrors',
    ]);
    const hc = [up(5), ...ifXRow(1, 'ge-0/0/1', { in: 1n, out: 2n, speed: 1000 })];
    const q = await new EdgePoller({ sessionFactory: fakeSessionFactory({ d: hc }) }).pollDevice(target('d'));
    expect(q.missing).not.toContain('ifSpeed');
    expect(q.missing).not.toContain('ifInOctets');
    // Without ifHighSpeed for an interface, ifSpeed is needed: its absence is then said.
    const noSpeed = hc.filter((v) => !v.oid.startsWith(c.ifHighSpeed.oid));
    const r = await new EdgePoller({ sessionFactory: fakeSessionFactory({ d: noSpeed }) }).pollDevice(
      target('d'),
    );
    expect(r.missing).toContain('ifSpeed');
  });

  it('is partial with missing ifTable when the device answers sysUpTime but has no interfaces at all', async () => {
    const p = await new EdgePoller({ sessionFactory: fakeSessionFactory({ d: [up(5)] }) }).pollDevice(
      target('d'),
    );
    expect(p).toMatchObject({ outcome: 'partial', missing: ['ifTable'], reachable: true, interfaces: [] });
  });

  it('is agent-error naming the reason when sysUpTime.0 is answered noSuchInstance', async () => {
    const rows = [{ oid: '1.3.6.1.2.1.1.3.0', type: SnmpType.NoSuchInstance, value: null }, ...full.slice(1)];
    const p = await new EdgePoller({ sessionFactory: fakeSessionFactory({ d: rows }) }).pollDevice(
      target('d'),
    );
    expect(InterfacePollPayload.parse(p)).toEqual(p);
    expect(p).toMatchObject({
      outcome: 'agent-error',
      error: 'agent-error: sysUpTime.0: noSuchInstance',
      reachable: true,
      interfaces: [],
    });
  });

  it('maps session failures to timeout, auth, agent-error and error', async () => {
    const failing = (err: SnmpError) => (): SnmpSession => ({
      get: () => Promise.reject(err),
      walk: () => Promise.reject(err),
      walkColumns: () => Promise.reject(err),
      varbindsReceived: 0,
      close: () => undefined,
    });
    const cases: [SnmpError, string, boolean][] = [
      [new SnmpError('timeout', 'request timed out'), 'timeout', false],
      [new SnmpError('auth', 'authentication failed: wrong digest'), 'auth', true],
      [new SnmpError('agent-error', 'agent reported an error: genErr'), 'agent-error', true],
      [new SnmpError('malformed', 'cannot decode response'), 'error', true],
      [new SnmpError('walk-not-increasing', 'went back'), 'error', true],
    ];
    for (const [err, outcome, reachable] of cases) {
      const p = await new EdgePoller({ sessionFactory: failing(err) }).pollDevice(target('d'));
      expect({ kind: err.kind, outcome: p.outcome, reachable: p.reachable, error: p.error }).toEqual({
        kind: err.kind,
        outcome,
        reachable,
        error: `${err.kind}: ${err.message}`,
      });
    }
  });

  it('logs a partial answer once per device, not on every poll', async () => {
    const lines: string[] = [];
    const logger = createJsonLogger({ level: 'debug', write: (l) => lines.push(l) });
    const poller = new EdgePoller({ sessionFactory: fakeSessionFactory({ d: [up(5)] }), logger });
    await poller.pollDevice(target('d'));
    await poller.pollDevice(target('d'));
    expect(lines.filter((l) => l.includes('answered partially')).length).toBe(1);
  });
});

describe('interfaceSpeedMbps', () => {
  it('prefers ifHighSpeed, falls back to ifSpeed / 10^6, and stays within the wire format', () => {
    expect(interfaceSpeedMbps(100_000, 4_294_967_295)).toBe(100_000);
    expect(interfaceSpeedMbps(undefined, 4_294_967_295)).toBe(4295);
    expect(interfaceSpeedMbps(undefined, 1_984_000)).toBe(2);
    expect(interfaceSpeedMbps(undefined, undefined)).toBe(0);
    expect(interfaceSpeedMbps(4_294_967_295, undefined)).toBe(2_147_483_647);
  });
});

describe('rowIndex', () => {
  it('reads one integer component below the column and nothing else', () => {
    const col = '1.3.6.1.2.1.2.2.1.10';
    expect(rowIndex(`${col}.5001`, col.length)).toBe(5001);
    expect(rowIndex(`${col}.2147483647`, col.length)).toBe(2_147_483_647);
    expect(rowIndex(`${col}.2147483648`, col.length)).toBeUndefined();
    expect(rowIndex(`${col}.0`, col.length)).toBeUndefined();
    expect(rowIndex(`${col}.1.2`, col.length)).toBeUndefined();
    expect(rowIndex(`${col}.`, col.length)).toBeUndefined();
    expect(rowIndex(`${col}1.2`, col.length)).toBeUndefined();
    expect(rowIndex(`${col}.12345678901`, col.length)).toBeUndefined();
  });
});
