import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SweepPayload } from '@tianshu/protocol';
import type { PollTarget, SweepTarget } from '@tianshu/protocol';
import { runSweep, sweepOids } from './sweep.js';
import { FakeSnmpSession, vb } from './testing/fake-session.js';
import { startSnmpd } from './testing/snmpd.js';
import type { RunningSnmpd } from './testing/snmpd.js';
import { startHostileAgent } from './testing/hostile-agent.js';
import type { SnmpSession } from './snmp-client.js';
import { SnmpError } from './snmp-client.js';

const sweep = (addresses: string[], over: Partial<SweepTarget> = {}): SweepTarget => ({
  sweepId: 'sw-1',
  addresses,
  port: 161,
  credentials: { version: '2c', community: 'x' },
  timeoutMs: 200,
  retries: 0,
  ...over,
});

const answering = (name: string): SnmpSession =>
  new FakeSnmpSession([
    vb.oid(sweepOids[0], '1.3.6.1.4.1.2011.2.224.67'),
    vb.str(sweepOids[1], name),
    vb.str(sweepOids[2], `Huawei VRP ${name}`),
  ]);
const timingOut = (): SnmpSession => ({
  get: () => Promise.reject(new SnmpError('timeout', 'request timed out')),
  walk: () => Promise.reject(new SnmpError('timeout', 'request timed out')),
  walkColumns: () => Promise.reject(new SnmpError('timeout', 'request timed out')),
  varbindsReceived: 0,
  close: () => undefined,
});

describe('sweep (session double)', () => {
  it('probes every address once, at most `concurrency` at a time, and lists those that answered in sweep order', async () => {
    let inFlight = 0;
    let most = 0;
    const seen: string[] = [];
    const factory = (t: PollTarget): SnmpSession => {
      seen.push(t.address);
      inFlight += 1;
      most = Math.max(most, inFlight);
      const s =
        t.address.endsWith('.2') || t.address.endsWith('.4') ? timingOut() : answering(`rt-${t.address}`);
      const get = s.get.bind(s);
      return {
        ...s,
        get: async (oids) => {
          await new Promise((r) => setImmediate(r));
          try {
            return await get(oids);
          } finally {
            inFlight -= 1;
          }
        },
        close: () => s.close(),
        varbindsReceived: 0,
      };
    };
    const addresses = ['10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.4', '10.1.0.5'];
    const p = await runSweep(sweep(addresses), { sessionFactory: factory, concurrency: 2, now: () => 1000 });
    expect(SweepPayload.parse(p)).toEqual(p);
    expect(p).toMatchObject({ kind: 'sweep', sweepId: 'sw-1', at: 1000, probed: 5 });
    expect(p.error).toBeUndefined();
    expect(p.found).toEqual(
      ['10.1.0.1', '10.1.0.3', '10.1.0.5'].map((a) => ({
        address: a,
        sysObjectId: '1.3.6.1.4.1.2011.2.224.67',
        sysName: `rt-${a}`,
        sysDescr: `Huawei VRP rt-${a}`,
      })),
    );
    expect(seen.sort()).toEqual(addresses);
    expect(most).toBeLessThanOrEqual(2);
  });

  it('says it was cut short, and how far it got, when stopped', async () => {
    const ac = new AbortController();
    let calls = 0;
    const factory = (): SnmpSession => {
      calls += 1;
      if (calls === 2) ac.abort(new Error('the edge role stopped'));
      return answering('x');
    };
    const p = await runSweep(sweep(['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']), {
      sessionFactory: factory,
      concurrency: 1,
      signal: ac.signal,
    });
    expect(SweepPayload.parse(p)).toEqual(p);
    expect(p.probed).toBeLessThan(4);
    expect(p.error).toBe(`sweep cut short after ${p.probed} of 4 addresses: the edge role stopped`);
  });
});

describe('sweep against Debian snmpd on loopback', () => {
  let snmpd: RunningSnmpd;
  beforeAll(async () => {
    snmpd = await startSnmpd();
  });
  afterAll(async () => {
    await snmpd?.stop();
  });

  it('finds the snmpd; a silent agent is probed and not found', async () => {
    const silent = await startHostileAgent('silent');
    try {
      // Every address of a sweep shares one port; the same address twice is probed twice.
      const p = await runSweep(
        sweep(['127.0.0.1', '127.0.0.1'], {
          sweepId: 'lo',
          port: snmpd.port,
          credentials: { version: '2c', community: snmpd.community },
          timeoutMs: 300,
        }),
        { concurrency: 4 },
      );
      expect(p.probed).toBe(2);
      expect(p.found.length).toBe(2);
      expect(p.found[0]).toMatchObject({
        address: '127.0.0.1',
        sysObjectId: expect.stringMatching(/^1\.3\.6\.1\.4\.1\.8072\./),
      });
      expect(p.found[0]?.sysDescr).toContain('Linux');
      const none = await runSweep(
        sweep([silent.target().address], { sweepId: 'silent', port: silent.target().port, timeoutMs: 200 }),
        { concurrency: 1 },
      );
      expect(none).toMatchObject({ probed: 1, found: [] });
      expect(none.error).toBeUndefined();
    } finally {
      await silent.close();
    }
  });
});
