import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  DiscoveryPayload,
  EdgeConfig,
  InterfacePollPayload,
  PollTarget,
  SweepPayload,
} from '@tianshu/protocol';
import { waitFor } from '../testing/wait.js';
import { EdgeRole } from './role.js';
import { FakeSnmpSession, vb } from './testing/fake-session.js';
import { startSnmpd } from './testing/snmpd.js';
import type { RunningSnmpd } from './testing/snmpd.js';
import type { SnmpSession, Varbind } from './snmp-client.js';

type Payload = InterfacePollPayload | DiscoveryPayload | SweepPayload;

const device: Varbind[] = [
  vb.str('1.3.6.1.2.1.1.1.0', 'test device'),
  vb.oid('1.3.6.1.2.1.1.2.0', '1.3.6.1.4.1.8072.3.2.10'),
  vb.ticks('1.3.6.1.2.1.1.3.0', 100),
  vb.str('1.3.6.1.2.1.1.5.0', 'dev'),
  vb.str('1.3.6.1.2.1.2.2.1.2.1', 'eth0'),
  vb.int('1.3.6.1.2.1.2.2.1.3.1', 6),
  vb.gauge('1.3.6.1.2.1.2.2.1.5.1', 1_000_000_000),
  vb.int('1.3.6.1.2.1.2.2.1.7.1', 1),
  vb.int('1.3.6.1.2.1.2.2.1.8.1', 1),
  vb.c32('1.3.6.1.2.1.2.2.1.10.1', 5),
  vb.c32('1.3.6.1.2.1.2.2.1.16.1', 5),
];

const target = (deviceId: string, over: Partial<PollTarget> = {}): PollTarget => ({
  deviceId,
  address: '192.0.2.10',
  port: 161,
  credentials: { version: '2c', community: 'x' },
  timeoutMs: 500,
  retries: 0,
  maxRepetitions: 20,
  ...over,
});

const edge = (targets: PollTarget[], over: Partial<EdgeConfig> = {}): EdgeConfig => ({
  enabled: true,
  pollIntervalSeconds: 3600,
  discoveryIntervalSeconds: 86_400,
  concurrency: 4,
  targets,
  ...over,
});

/**
 * A session factory over one fake device that records, per session, the target it was made for
 * (discoveries are the sessions whose first GET asks for sysDescr), and can hold discoveries of
 * one device until released.
 */
function recorder(hold?: string) {
  const discoveries: PollTarget[] = [];
  let inFlight = new Map<string, number>();
  let most = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => (release = r));
  const factory = (t: PollTarget): SnmpSession => {
    const s = new FakeSnmpSession(device);
    const get = s.get.bind(s);
    const close = s.close.bind(s);
    let counted = false;
    return Object.assign(s, {
      get: async (oids: readonly string[]) => {
        if (oids[0] === '1.3.6.1.2.1.1.1.0' && !counted) {
          counted = true;
          discoveries.push(t);
          const n = (inFlight.get(t.deviceId) ?? 0) + 1;
          inFlight.set(t.deviceId, n);
          most = Math.max(most, n);
          if (t.deviceId === hold) await gate;
        }
        return get(oids);
      },
      close: () => {
        if (counted) inFlight.set(t.deviceId, (inFlight.get(t.deviceId) ?? 1) - 1);
        close();
      },
    });
  };
  return {
    factory,
    discoveries,
    of: (id: string) => discoveries.filter((t) => t.deviceId === id),
    most: () => most,
    release: () => release(),
    reset: () => {
      discoveries.length = 0;
      inFlight = new Map();
    },
  };
}

describe('edge role: discovery at once (session double)', () => {
  it('discovers new targets, changed addresses, ports, credentials and tokens at once; unchanged ones not', async () => {
    const rec = recorder();
    const payloads: Payload[] = [];
    const role = new EdgeRole({ sessionFactory: rec.factory, onPayload: (p) => payloads.push(p) });
    const discovered = (id: string): number =>
      payloads.filter((p) => p.kind === 'discovery' && p.deviceId === id).length;
    try {
      role.apply(edge([target('a')]));
      await waitFor(() => discovered('a') === 1, 5000, 'the first cycle to discover a');

      role.apply(edge([target('a'), target('b')]));
      await waitFor(() => discovered('b') === 1, 5000, 'b discovered at once');
      await role.settled();
      expect(discovered('a')).toBe(1);

      role.apply(edge([target('a'), target('b', { discoveryToken: 'now-1' })]));
      await waitFor(() => discovered('b') === 2, 5000, 'b discovered again for its new token');
      role.apply(edge([target('a', { port: 1161 }), target('b', { discoveryToken: 'now-1' })]));
      await waitFor(() => discovered('a') === 2, 5000, 'a discovered again for its new port');
      role.apply(
        edge([
          target('a', { port: 1161, credentials: { version: '2c', community: 'y' } }),
          target('b', { discoveryToken: 'now-1' }),
        ]),
      );
      await waitFor(() => discovered('a') === 3, 5000, 'a discovered again for its new credentials');
      // The same targets again (another config version, another concurrency): nothing to discover.
      role.apply(
        edge(
          [
            target('a', { port: 1161, credentials: { version: '2c', community: 'y' } }),
            target('b', { discoveryToken: 'now-1' }),
          ],
          { concurrency: 2 },
        ),
      );
      await role.settled();
      await new Promise((r) => setTimeout(r, 50));
      expect([discovered('a'), discovered('b')]).toEqual([3, 2]);
      expect(role.stats()).toMatchObject({ discoveryCycles: 1, immediateDiscoveries: 4 });
      expect(rec.of('a').map((t) => t.port)).toEqual([161, 1161, 1161]);
    } finally {
      await role.stop();
    }
  });

  it('never runs two discoveries of one device at a time: a change during one is discovered after it, once', async () => {
    const rec = recorder('slow');
    const payloads: Payload[] = [];
    const role = new EdgeRole({ sessionFactory: rec.factory, onPayload: (p) => payloads.push(p) });
    try {
      role.apply(edge([target('slow')]));
      await waitFor(() => rec.of('slow').length === 1, 5000, 'the cycle to start discovering slow');
      role.apply(edge([target('slow', { discoveryToken: 't1' })]));
      role.apply(edge([target('slow', { discoveryToken: 't2' })]));
      await new Promise((r) => setTimeout(r, 50));
      expect(rec.of('slow').length).toBe(1);
      rec.release();
      await waitFor(() => rec.of('slow').length === 2, 5000, 'the newest token to be discovered after');
      await role.settled();
      await new Promise((r) => setTimeout(r, 50));
      expect(rec.of('slow').map((t) => t.discoveryToken)).toEqual([undefined, 't2']);
      expect(rec.most()).toBe(1);
      expect(payloads.filter((p) => p.kind === 'discovery').length).toBe(2);
    } finally {
      rec.release();
      await role.stop();
    }
  });

  it('runs each sweep once per agent run and hands its payload on; passes the poll interval for 32-bit warnings', async () => {
    const rec = recorder();
    const payloads: Payload[] = [];
    const role = new EdgeRole({ sessionFactory: rec.factory, onPayload: (p) => payloads.push(p) });
    const sw = {
      sweepId: 'sw-1',
      addresses: ['192.0.2.20', '192.0.2.21'],
      port: 161,
      credentials: { version: '2c' as const, community: 'x' },
      timeoutMs: 200,
      retries: 0,
    };
    try {
      role.apply(edge([target('a')], { sweeps: [sw], pollIntervalSeconds: 60 }));
      await waitFor(() => payloads.some((p) => p.kind === 'sweep'), 5000, 'the sweep payload');
      const p = payloads.find((x): x is SweepPayload => x.kind === 'sweep')!;
      expect(p).toMatchObject({ sweepId: 'sw-1', probed: 2 });
      expect(p.found.map((f) => [f.address, f.sysName])).toEqual([
        ['192.0.2.20', 'dev'],
        ['192.0.2.21', 'dev'],
      ]);
      role.apply(edge([target('a')], { sweeps: [sw], pollIntervalSeconds: 61 }));
      role.apply(edge([target('a')], { sweeps: [sw, { ...sw, sweepId: 'sw-2' }], pollIntervalSeconds: 61 }));
      await waitFor(() => payloads.filter((x) => x.kind === 'sweep').length === 2, 5000, 'the second sweep');
      await role.settled();
      expect(payloads.filter((x) => x.kind === 'sweep').map((x) => (x as SweepPayload).sweepId)).toEqual([
        'sw-1',
        'sw-2',
      ]);
      expect(role.stats().sweeps).toBe(2);
      // eth0 is 1 Gbit/s with 32-bit counters: a 60 s interval is too long for it.
      await waitFor(() => payloads.some((x) => x.kind === 'interface-poll'), 5000, 'a poll');
      const poll = payloads.find((x): x is InterfacePollPayload => x.kind === 'interface-poll')!;
      expect(poll.warnings?.[0]).toMatch(
        /^ifIndex 1: 32-bit octet counters wrap every 34\.4 s at 1000 Mbit\/s; the poll interval of 6[01] s/,
      );
    } finally {
      await role.stop();
    }
  });
});

describe('edge role: discovery at once against Debian snmpd', () => {
  let snmpd: RunningSnmpd;
  beforeAll(async () => {
    snmpd = await startSnmpd();
  });
  afterAll(async () => {
    await snmpd?.stop();
  });

  it('a device added to the config is discovered at once, not at the next (daily) cycle', async () => {
    const payloads: Payload[] = [];
    const role = new EdgeRole({ onPayload: (p) => payloads.push(p) });
    const discovery = (id: string) =>
      payloads.find((p): p is DiscoveryPayload => p.kind === 'discovery' && p.deviceId === id);
    try {
      role.apply(edge([snmpd.v2cTarget('rt-a')]));
      await waitFor(() => discovery('rt-a') !== undefined, 10_000, 'the first discovery of rt-a');
      role.apply(edge([snmpd.v2cTarget('rt-a'), snmpd.v3Target('rt-b')]));
      await waitFor(() => discovery('rt-b') !== undefined, 10_000, 'rt-b discovered at once');
      const b = discovery('rt-b')!;
      expect(b.outcome).toBe('ok');
      expect(b.interfaces.find((i) => i.ifIndex === 1)).toMatchObject({ name: 'lo', adminStatus: 'up' });
      role.apply(edge([snmpd.v2cTarget('rt-a', { discoveryToken: 'console-1' }), snmpd.v3Target('rt-b')]));
      await waitFor(
        () => payloads.filter((p) => p.kind === 'discovery' && p.deviceId === 'rt-a').length === 2,
        10_000,
        'rt-a discovered again on demand',
      );
      expect(role.stats().discoveryCycles).toBe(1);
    } finally {
      await role.stop();
    }
  });
});
