import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { InterfacePollPayload } from '@tianshu/protocol';
import type { PollTarget } from '@tianshu/protocol';
import { EdgePoller, pollOnce } from './poller.js';
import { EdgeMetrics } from './metrics.js';
import { snmpdViews, startSnmpd } from './testing/snmpd.js';
import type { RunningSnmpd } from './testing/snmpd.js';
import { startHostileAgent } from './testing/hostile-agent.js';
import type { HostileAgent, HostileMode } from './testing/hostile-agent.js';

let snmpd: RunningSnmpd;
const agents: HostileAgent[] = [];

beforeAll(async () => {
  snmpd = await startSnmpd();
});
afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await snmpd?.stop();
});

async function hostile(mode: HostileMode): Promise<HostileAgent> {
  const a = await startHostileAgent(mode);
  agents.push(a);
  return a;
}

describe('interface poll against Debian snmpd', () => {
  it('reports the host interfaces, and rates from the second poll on (v2c and v3)', async () => {
    for (const target of [snmpd.v2cTarget(), snmpd.v3Target()]) {
      const poller = new EdgePoller();
      const first = await poller.pollDevice(target);
      expect(InterfacePollPayload.parse(first)).toEqual(first);
      expect(first).toMatchObject({ reachable: true, deviceId: target.deviceId });
      expect(first.error).toBeUndefined();
      expect(first.outcome).toBe('ok');
      expect(first.missing).toBeUndefined();
      expect(first.interfaces.every((i) => i.counterBits === 64)).toBe(true);
      const lo = first.interfaces.find((i) => i.name === 'lo');
      expect(lo).toMatchObject({ ifIndex: 1, operStatus: 'up', adminStatus: 'up', rates: null });
      expect(BigInt(lo!.inOctets)).toBeGreaterThan(0n);
      await new Promise((r) => setTimeout(r, 1100));
      const second = await poller.pollDevice(target);
      expect(second.sysUpTime).toBeGreaterThan(first.sysUpTime!);
      const lo2 = second.interfaces.find((i) => i.name === 'lo')!;
      expect(lo2.rates).not.toBeNull();
      expect(lo2.rates!.intervalSeconds).toBeGreaterThan(1);
      expect(lo2.counterEvent).toBeUndefined();
      expect(BigInt(lo2.inOctets)).toBeGreaterThanOrEqual(BigInt(lo!.inOctets));
    }
  });

  it('gives the same interfaces whether columns are walked together or one by one', async () => {
    const together = await pollOnce(snmpd.v2cTarget());
    const apart = await pollOnce(snmpd.v2cTarget(), { columnsPerRequest: 1 });
    const shape = (p: InterfacePollPayload): unknown[] =>
      p.interfaces.map((i) => [i.ifIndex, i.name, i.operStatus]);
    expect(shape(apart)).toEqual(shape(together));
  });
});

describe('interface poll against Debian snmpd with parts of the MIB left out', () => {
  const daemons: RunningSnmpd[] = [];
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop()));
  });

  it('an ifTable-only snmpd (no ifXTable) polls its interfaces from 32-bit counters, with rates on the second poll', async () => {
    const d = await startSnmpd({ exclude: snmpdViews.noIfXTable });
    daemons.push(d);
    const poller = new EdgePoller();
    const first = await poller.pollDevice(d.v2cTarget('if-table-only'), { intervalSeconds: 60 });
    expect(InterfacePollPayload.parse(first)).toEqual(first);
    expect(first.error).toBeUndefined();
    expect(first.outcome).toBe('partial');
    expect(first.missing).toEqual(['ifName', 'ifHCInOctets', 'ifHCOutOctets', 'ifHighSpeed', 'ifAlias']);
    expect(first.interfaces.length).toBeGreaterThan(0);
    expect(first.interfaces.every((i) => i.counterBits === 32)).toBe(true);
    const lo = first.interfaces.find((i) => i.ifIndex === 1)!;
    expect(lo).toMatchObject({ counterBits: 32, operStatus: 'up', rates: null, speedMbps: 10 });
    await new Promise((r) => setTimeout(r, 1100));
    const second = await poller.pollDevice(d.v2cTarget('if-table-only'), { intervalSeconds: 60 });
    for (const i of second.interfaces) {
      expect({ ifIndex: i.ifIndex, counterBits: i.counterBits, hasRates: i.rates !== null }).toEqual({
        ifIndex: i.ifIndex,
        counterBits: 32,
        hasRates: true,
      });
    }
    expect(second.interfaces.find((i) => i.ifIndex === 1)!.rates!.intervalSeconds).toBeGreaterThan(1);
  });

  it('an snmpd without the system group fails the poll as agent-error: sysUpTime.0: noSuchObject', async () => {
    const d = await startSnmpd({ exclude: snmpdViews.noSystem });
    daemons.push(d);
    const p = await pollOnce(d.v3Target('no-system'));
    expect(InterfacePollPayload.parse(p)).toEqual(p);
    expect(p).toMatchObject({
      outcome: 'agent-error',
      reachable: true,
      error: 'agent-error: sysUpTime.0: noSuchObject',
      interfaces: [],
    });
  });
});

describe('hostile agents', () => {
  const cases: [HostileMode, RegExp, boolean][] = [
    ['truncated', /^malformed: /, true],
    ['garbage', /^malformed: /, true],
    [
      'wrong-type',
      /^wrong-type: ifHCInOctets at 1\.3\.6\.1\.2\.1\.31\.1\.1\.1\.6\.1 has type OctetString, expected Counter64/,
      true,
    ],
    ['repeat', /^walk-not-increasing: .*repeated oid/, true],
    ['backwards', /^walk-not-increasing: .*went back/, true],
    ['endless', /^too-many-varbinds: walk stopped after 500 varbinds/, true],
    ['silent', /^timeout: request timed out/, false],
  ];

  it('each ends its own poll with a recorded error within its timeout budget; snmpd in the same cycle is fine', async () => {
    const targets: PollTarget[] = [snmpd.v2cTarget('healthy')];
    for (const [mode] of cases) targets.push((await hostile(mode)).target(`hostile-${mode}`));
    const registry = new Registry();
    const metrics = new EdgeMetrics(registry);
    const poller = new EdgePoller({ maxVarbinds: 500, metrics });
    const payloads: InterfacePollPayload[] = [];
    const summary = await poller.pollAll(targets, {
      concurrency: targets.length,
      deadlineMillis: 5000,
      onPayload: (p) => payloads.push(p),
    });
    expect(summary).toMatchObject({ devices: targets.length, ok: 1, failed: cases.length });
    const byId = new Map(payloads.map((p) => [p.deviceId, p]));
    const healthy = byId.get('healthy')!;
    expect(healthy.error).toBeUndefined();
    expect(healthy.interfaces.some((i) => i.name === 'lo')).toBe(true);
    for (const [mode, pattern, reachable] of cases) {
      const p = byId.get(`hostile-${mode}`)!;
      expect(InterfacePollPayload.parse(p)).toEqual(p);
      expect({ mode, error: p.error }).toEqual({ mode, error: expect.stringMatching(pattern) });
      expect({ mode, reachable: p.reachable }).toEqual({ mode, reachable });
      expect(p.interfaces).toEqual([]);
      // Budget of one request: timeout 300 ms × (1 retry + 1); malformed answers end sooner.
      expect({ mode, within: p.durationMs < 300 * 2 + 250 }).toEqual({ mode, within: true });
    }
    const text = await registry.metrics();
    expect(text).toMatch(/tianshu_agent_snmp_polls_total\{outcome="ok"\} 1/);
    expect(text).toMatch(/tianshu_agent_snmp_errors_total\{task="poll",kind="walk-not-increasing"\} 2/);
    expect(text).toMatch(/tianshu_agent_snmp_polls_total\{outcome="unreachable"\} 1/);
  });

  it('polls an honest crafted agent correctly (the responder itself is sound)', async () => {
    const p = await pollOnce((await hostile('honest')).target());
    expect(p.error).toBeUndefined();
    expect(p.interfaces.map((i) => [i.ifIndex, i.name, i.inOctets, i.outOctets, i.speedMbps])).toEqual([
      [1, 'ge-0/0/1', '1000', '2000', 1000],
      [2, 'ge-0/0/2', '2000', '4000', 1000],
      [3, 'ge-0/0/3', '3000', '6000', 1000],
    ]);
  });
});

describe('concurrency', () => {
  it('20 targets of which 10 never answer finish in about one timeout budget, not ten', async () => {
    const silent = await hostile('silent');
    const targets: PollTarget[] = [];
    for (let i = 0; i < 20; i += 1) {
      targets.push(
        i % 2 === 0
          ? snmpd.v2cTarget(`good-${i}`)
          : silent.target(`dead-${i}`, { timeoutMs: 400, retries: 1 }),
      );
    }
    const poller = new EdgePoller();
    const payloads: InterfacePollPayload[] = [];
    const t0 = performance.now();
    await poller.pollAll(targets, {
      concurrency: 20,
      deadlineMillis: 10_000,
      onPayload: (p) => payloads.push(p),
    });
    const elapsed = performance.now() - t0;
    const budget = 400 * 2;
    expect(elapsed).toBeGreaterThanOrEqual(budget - 50);
    expect(elapsed).toBeLessThan(budget * 2);
    expect(payloads.filter((p) => !p.reachable).length).toBe(10);
    expect(payloads.filter((p) => p.reachable && !p.error).length).toBe(10);
    // Good devices are not held back by the dead ones: their payloads come first.
    expect(payloads.slice(0, 10).every((p) => p.deviceId.startsWith('good-'))).toBe(true);
  });

  it('a concurrency limit of 2 over 4 dead devices takes two budgets', async () => {
    const silent = await hostile('silent');
    const targets = [0, 1, 2, 3].map((i) => silent.target(`dead-${i}`, { timeoutMs: 200, retries: 0 }));
    const t0 = performance.now();
    await new EdgePoller().pollAll(targets, {
      concurrency: 2,
      deadlineMillis: 5000,
      onPayload: () => undefined,
    });
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(390);
    expect(elapsed).toBeLessThan(700);
  });
});
