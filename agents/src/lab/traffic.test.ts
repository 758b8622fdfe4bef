import { describe, expect, it } from 'vitest';
import { parseInventory } from './inventory.js';
import { LabModel } from './model.js';
import { parseScenario } from './scenario.js';
import {
  encodeCounter64,
  Flow,
  makeLoadShape,
  SeededRandom,
  shapeAt,
  shapeIntegral,
  shapePeak,
} from './traffic.js';

describe('traffic model', () => {
  const shape = makeLoadShape(new SeededRandom(7), {
    base: 0.4,
    diurnalAmplitude: 0.5,
    noiseAmplitude: 0.15,
    peakSecondOfDay: 7 * 3600,
  });

  it('integrates the load shape exactly', () => {
    const t0 = 1_750_000_000;
    const t1 = t0 + 600;
    let numeric = 0;
    const steps = 60_000;
    for (let i = 0; i < steps; i++) numeric += shapeAt(shape, t0 + ((i + 0.5) * (t1 - t0)) / steps);
    numeric *= (t1 - t0) / steps;
    expect(shapeIntegral(shape, t0, t1)).toBeCloseTo(numeric, 3);
  });

  it('stays within its bounds and follows the day', () => {
    let min = Infinity;
    let max = 0;
    for (let t = 0; t < 86_400; t += 60) {
      const f = shapeAt(shape, 1_750_000_000 + t);
      min = Math.min(min, f);
      max = Math.max(max, f);
    }
    expect(min).toBeGreaterThan(0.4 * 0.35);
    expect(max).toBeLessThanOrEqual(shapePeak(shape));
    expect(max / min).toBeGreaterThan(2);
  });

  it('is the same for the same seed', () => {
    const again = makeLoadShape(new SeededRandom(7), {
      base: 0.4,
      diurnalAmplitude: 0.5,
      noiseAmplitude: 0.15,
      peakSecondOfDay: 7 * 3600,
    });
    expect(again).toEqual(shape);
  });

  it('keeps flows monotonic across segment changes', () => {
    const f = new Flow(1000);
    f.set(1000, { kind: 'shape', shape, bytesPerSecondAtFull: 125_000_000 });
    const a = f.bytes(1010);
    f.set(1010, { kind: 'idle' });
    expect(f.bytes(1020)).toBe(a);
    f.set(1020, { kind: 'constant', bytesPerSecond: 1000, dropsPerSecond: 2 });
    expect(f.bytes(1030)).toBe(a + 10_000n);
    expect(f.drops(1030)).toBe(20n);
    // A clock that steps back never makes a counter go back.
    expect(f.bytes(1025)).toBe(a + 10_000n);
  });

  it('encodes Counter64 as a minimal unsigned BER integer', () => {
    expect(encodeCounter64(0n)).toEqual(Buffer.from([0]));
    expect(encodeCounter64(255n)).toEqual(Buffer.from([0, 255]));
    expect(encodeCounter64(1n << 63n)).toEqual(Buffer.from('008000000000000000', 'hex'));
    expect(encodeCounter64((1n << 64n) - 1n)).toEqual(Buffer.from('00ffffffffffffffff', 'hex'));
    expect(encodeCounter64(1n << 64n)).toEqual(Buffer.from([0]));
  });
});

describe('lab model', () => {
  const inventory = parseInventory({
    devices: [
      {
        id: 'county',
        managementAddress: '127.0.0.1',
        interfaces: [
          { ifIndex: 1, name: 'ge1', speedMbps: 1000 },
          { ifIndex: 2, name: 'ge2', speedMbps: 1000 },
          { ifIndex: 3, name: 'fe3', speedMbps: 100 },
        ],
      },
      {
        id: 'town',
        managementAddress: '127.0.0.2',
        interfaces: [
          { ifIndex: 1, name: 'ge1', speedMbps: 1000 },
          { ifIndex: 2, name: 'ge2', speedMbps: 1000 },
          { ifIndex: 3, name: 'fe3', speedMbps: 100 },
        ],
      },
    ],
    links: [
      {
        a: { device: 'county', ifIndex: 1 },
        b: { device: 'town', ifIndex: 1 },
        level: 'township',
        role: 'primary',
        pairId: 'p',
      },
      {
        a: { device: 'county', ifIndex: 2 },
        b: { device: 'town', ifIndex: 2 },
        level: 'township',
        role: 'backup',
        pairId: 'p',
      },
      { a: { device: 'county', ifIndex: 3 }, b: { device: 'town', ifIndex: 3 }, level: 'department' },
    ],
  });
  const make = () => {
    let now = 1_750_000_000_000;
    const model = new LabModel(inventory, parseScenario({ seed: 3 }), () => now);
    return { model, advance: (s: number) => (now += s * 1000) };
  };
  const read = (m: LabModel, device: string, ifIndex: number) => m.device(device).read(ifIndex)!;

  it('carries both directions on the active link only, out on one end equal to in on the other', () => {
    const { model, advance } = make();
    const a0 = read(model, 'county', 1);
    const b0 = read(model, 'town', 1);
    const backup0 = read(model, 'county', 2);
    advance(60);
    const a1 = read(model, 'county', 1);
    const b1 = read(model, 'town', 1);
    const down = a1.hcOutOctets - a0.hcOutOctets;
    const up = a1.hcInOctets - a0.hcInOctets;
    expect(b1.hcInOctets - b0.hcInOctets).toBe(down);
    expect(b1.hcOutOctets - b0.hcOutOctets).toBe(up);
    expect(Number(up) / Number(down)).toBeGreaterThan(0.2);
    expect(Number(up) / Number(down)).toBeLessThan(0.8);
    expect(read(model, 'county', 2).hcOutOctets).toBe(backup0.hcOutOctets);

    model.linkDown('town:1');
    expect(model.activeLink('p')?.ref).toBe('county:2');
    const p2 = read(model, 'county', 1);
    const k2 = read(model, 'county', 2);
    advance(60);
    expect(read(model, 'county', 1).hcOutOctets).toBe(p2.hcOutOctets);
    expect(read(model, 'county', 1).operUp).toBe(false);
    expect(read(model, 'town', 1).operUp).toBe(false);
    const k3 = read(model, 'county', 2);
    expect(k3.hcOutOctets - k2.hcOutOctets).toBeGreaterThan(0n);
    expect(k3.hcInOctets - k2.hcInOctets).toBeGreaterThan(0n);

    model.linkDown('county:2');
    expect(model.activeLink('p')).toBeNull();
    model.linkUp({ pairId: 'p', role: 'primary' });
    expect(model.activeLink('p')?.role).toBe('primary');
  });

  it('saturates a link at the given load, with drops, and returns to its profile', () => {
    const { model, advance } = make();
    model.setLoad('county:3', 0.98);
    const s0 = read(model, 'county', 3);
    advance(10);
    const s1 = read(model, 'county', 3);
    expect(Number(s1.hcOutOctets - s0.hcOutOctets)).toBeCloseTo(0.98 * 12_500_000 * 10, -3);
    expect(s1.outDiscards).toBeGreaterThan(s0.outDiscards);
    model.setLoad('county:3', null);
    const s2 = read(model, 'county', 3);
    advance(10);
    const s3 = read(model, 'county', 3);
    expect(Number(s3.hcOutOctets - s2.hcOutOctets)).toBeLessThan(0.7 * 12_500_000 * 10);
  });

  it('wraps the HC counters after setCountersNearWrap, and reboot restarts them', () => {
    const { model, advance } = make();
    model.setCountersNearWrap('county', 1000n);
    const before = read(model, 'county', 1).hcOutOctets;
    expect(before).toBe((1n << 64n) - 1000n);
    advance(1);
    expect(read(model, 'county', 1).hcOutOctets).toBeLessThan(before);
    model.reboot('county');
    expect(model.device('county').upTimeTicks()).toBe(0);
    expect(read(model, 'county', 1).hcOutOctets).toBe(0n);
    advance(2);
    expect(model.device('county').upTimeTicks()).toBe(200);
  });
});
