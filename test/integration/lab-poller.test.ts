import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PollTarget } from '@tianshu/protocol';
import { EdgePoller, startLab, type Lab } from '../../agents/src/index.js';
import { REPO } from '../support/control-plane.js';

/**
 * The edge poller against the lab's simulated routers (real SNMP over loopback UDP): counters and
 * rates, a 64-bit wrap, and a reboot (sysUpTime drop) that does not produce a spike.
 */
let lab: Lab;
const poller = new EdgePoller();

const target = (deviceId: string): PollTarget => {
  const r = lab.routers.find((x) => x.deviceId === deviceId)!;
  return {
    deviceId,
    address: r.address,
    port: r.port,
    credentials: { version: '2c', community: 'public' },
    timeoutMs: 1000,
    retries: 1,
    maxRepetitions: 50,
  };
};

beforeAll(async () => {
  lab = await startLab({
    inventoryFile: `${REPO}control-plane/inventory/demo-province.yaml`,
    scenarioFile: `${REPO}agents/lab/scenarios/quiet.yaml`,
    portOverride: 0,
  });
});
afterAll(async () => {
  await lab?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('edge poller against the lab', () => {
  it('reads interfaces and computes rates that match the simulated load', async () => {
    const t = target('sc-cd-agg');
    const first = await poller.pollDevice(t);
    expect(first.reachable).toBe(true);
    expect(first.interfaces.length).toBeGreaterThan(2);
    expect(first.interfaces.every((i) => i.rates === null)).toBe(true);
    await sleep(1500);
    const second = await poller.pollDevice(t);
    const busy = second.interfaces.filter(
      (i) => i.operStatus === 'up' && (i.rates?.inBitsPerSecond ?? 0) > 0,
    );
    expect(busy.length).toBeGreaterThan(0);
    for (const i of busy) {
      // Rates never exceed the interface's speed: no spikes from counter handling.
      expect(i.rates!.inBitsPerSecond).toBeLessThanOrEqual(i.speedMbps * 1e6 * 1.01);
      expect(BigInt(i.inOctets)).toBeGreaterThan(
        BigInt(first.interfaces.find((x) => x.ifIndex === i.ifIndex)!.inOctets),
      );
    }
  });

  it('handles a 64-bit counter wrap as a wrap, with a plausible rate', async () => {
    const t = target('sc-my-agg');
    // The lab's traffic follows the time of day: set the counters about 3 s of the current traffic
    // below 2^64 (a fixed amount wraps within seconds at the afternoon peak, not at night).
    await poller.pollDevice(t);
    await sleep(1000);
    const rated = await poller.pollDevice(t);
    const bytesPerSecond = Math.max(
      1,
      ...rated.interfaces.map((x) => (x.rates ? x.rates.inBitsPerSecond / 8 : 0)),
    );
    lab.setCountersNearWrap('sc-my-agg', BigInt(Math.ceil(bytesPerSecond * 3)));
    await poller.pollDevice(t);
    let wrapped;
    for (let i = 0; i < 20 && !wrapped; i++) {
      await sleep(500);
      const p = await poller.pollDevice(t);
      wrapped = p.interfaces.find((x) => x.counterEvent === 'wrap');
    }
    expect(wrapped, 'a counter wrapped within 10 s').toBeDefined();
    expect(wrapped!.rates).not.toBeNull();
    expect(wrapped!.rates!.inBitsPerSecond + wrapped!.rates!.outBitsPerSecond).toBeLessThanOrEqual(
      wrapped!.speedMbps * 1e6 * 2 * 1.01,
    );
  });

  it('treats a reboot (sysUpTime drop) as a reset without a spike', async () => {
    const t = target('sc-lz-agg');
    await poller.pollDevice(t);
    await sleep(1200);
    const before = await poller.pollDevice(t);
    expect(before.interfaces.some((i) => i.rates !== null)).toBe(true);
    lab.reboot('sc-lz-agg');
    await sleep(300);
    const after = await poller.pollDevice(t);
    expect(after.sysUpTime!).toBeLessThan(before.sysUpTime!);
    for (const i of after.interfaces) {
      expect(i.rates).toBeNull();
      expect(i.counterEvent).toBe('reset');
    }
    await sleep(1200);
    const next = await poller.pollDevice(t);
    for (const i of next.interfaces)
      if (i.rates) expect(i.rates.inBitsPerSecond).toBeLessThanOrEqual(i.speedMbps * 1e6 * 1.01);
  });

  it('records an error for a device that stops answering, without delaying the others', async () => {
    await lab.setDeviceReachable('sc-core-b', false);
    try {
      const started = Date.now();
      const [dead, alive] = await Promise.all([
        poller.pollDevice(target('sc-core-b')),
        poller.pollDevice(target('sc-core-a')),
      ]);
      expect(dead.reachable).toBe(false);
      expect(dead.error).toMatch(/timeout|timed out/i);
      expect(alive.reachable).toBe(true);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await lab.setDeviceReachable('sc-core-b', true);
    }
  });
});
