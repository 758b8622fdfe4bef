import { describe, expect, it } from 'vitest';
import type { LinkView, Topology } from '../data/network.js';
import { layoutTopology, worseStatus } from './topology-layout.js';

function link(id: string, a: string, b: string, extra: Partial<LinkView> = {}): LinkView {
  return {
    id,
    name: id,
    orgUnitId: 'p',
    level: 'city',
    role: 'primary',
    plane: 'A',
    pairId: null,
    a: { deviceId: a, deviceName: a, ifIndex: 1, ifName: 'ge-0/0/1' },
    b: { deviceId: b, deviceName: b, ifIndex: 2, ifName: 'ge-0/0/2' },
    status: 'up',
    speedMbps: 1000,
    utilisation: null,
    bps: null,
    errorsPerSecond: null,
    active: null,
    failedOver: false,
    tier: { targetMbps: 1000, actualMbps: 1000, verdict: 'ok' },
    flapping: false,
    lastChangeAt: null,
    updatedAt: null,
    ...extra,
  };
}

const small: Topology = {
  orgUnits: [
    { id: 'p', parentId: null, level: 'province', name: 'Province' },
    { id: 'c2', parentId: 'p', level: 'city', name: 'City B' },
    { id: 'c1', parentId: 'p', level: 'city', name: 'City A' },
    { id: 'k1', parentId: 'c1', level: 'county', name: 'County 1' },
  ],
  devices: [
    { id: 'p-b', name: 'prov-b', orgUnitId: 'p', role: 'core', plane: 'B', reachable: true },
    { id: 'p-a', name: 'prov-a', orgUnitId: 'p', role: 'core', plane: 'A', reachable: true },
    { id: 'c1-a', name: 'city-a', orgUnitId: 'c1', role: 'edge', plane: 'A', reachable: true },
    { id: 'k1-a', name: 'county-1', orgUnitId: 'k1', role: 'edge', plane: 'A', reachable: false },
  ],
  links: [link('l1', 'p-a', 'c1-a'), link('l2', 'k1-a', 'c1-a'), link('l3', 'p-a', 'p-b')],
};

describe('layoutTopology', () => {
  it('puts each level in its own row, top to bottom', () => {
    const layout = layoutTopology(small);
    const y = (id: string) => layout.units.find((u) => u.id === id)?.y ?? NaN;
    expect(y('p')).toBeLessThan(y('c1'));
    expect(y('c1')).toBe(y('c2'));
    expect(y('c1')).toBeLessThan(y('k1'));
    expect(layout.rows.map((r) => r.label)).toEqual(['Province', 'City', 'County']);
  });

  it('orders siblings by name and centres a parent over its children', () => {
    const layout = layoutTopology(small);
    const box = (id: string) => layout.units.find((u) => u.id === id);
    expect(box('c1')?.x ?? 0).toBeLessThan(box('c2')?.x ?? 0);
    const p = box('p');
    const c1 = box('c1');
    const c2 = box('c2');
    if (!p || !c1 || !c2) throw new Error('missing boxes');
    const childrenCentre = (c1.x + c2.x + c2.width) / 2;
    expect(Math.abs(p.x + p.width / 2 - childrenCentre)).toBeLessThan(1);
  });

  it('places plane A before plane B inside an org unit and every router inside its box', () => {
    const layout = layoutTopology(small);
    const a = layout.devices.find((d) => d.id === 'p-a');
    const b = layout.devices.find((d) => d.id === 'p-b');
    const p = layout.units.find((u) => u.id === 'p');
    if (!a || !b || !p) throw new Error('missing nodes');
    expect(a.x).toBeLessThan(b.x);
    for (const d of [a, b]) {
      expect(d.x).toBeGreaterThanOrEqual(p.x);
      expect(d.x + d.width).toBeLessThanOrEqual(p.x + p.width);
    }
    expect(layout.width).toBeGreaterThanOrEqual(p.x + p.width);
  });

  it('draws every link from its A end to its B end', () => {
    const layout = layoutTopology(small);
    expect(layout.links.map((l) => l.link.id).sort()).toEqual(['l1', 'l2', 'l3']);
    const l2 = layout.links.find((l) => l.link.id === 'l2');
    const k1 = layout.devices.find((d) => d.id === 'k1-a');
    if (!l2 || !k1) throw new Error('missing link');
    // The A end (the county router) is below, so the path starts at its top edge.
    expect(l2.d.startsWith('M')).toBe(true);
    const [, y] = l2.d.slice(1).split(' ')[0]?.split(',').map(Number) ?? [];
    expect(y).toBeCloseTo(k1.y, 0);
  });

  it('is deterministic', () => {
    expect(layoutTopology(small)).toEqual(layoutTopology(structuredClone(small)));
  });

  it('puts routers of unknown org units and link-only routers in an outside-scope box', () => {
    const layout = layoutTopology({
      ...small,
      devices: [
        ...small.devices,
        { id: 'x', name: 'x', orgUnitId: 'nowhere', role: 'edge', plane: null, reachable: null },
      ],
      links: [...small.links, link('l4', 'k1-a', 'ghost')],
    });
    const outside = layout.units.find((u) => u.external);
    expect(outside?.depth).toBe(0);
    const ghost = layout.devices.find((d) => d.id === 'ghost');
    expect(ghost?.placeholder).toBe(true);
    expect(ghost?.unitId).toBe(outside?.id);
    expect(layout.links.some((l) => l.link.id === 'l4')).toBe(true);
  });

  it('survives a cycle in parent ids', () => {
    const layout = layoutTopology({
      orgUnits: [
        { id: 'a', parentId: 'b', level: 'city', name: 'A' },
        { id: 'b', parentId: 'a', level: 'city', name: 'B' },
      ],
      devices: [],
      links: [],
    });
    expect(layout.units.length).toBeLessThanOrEqual(2);
  });
});

describe('layoutTopology folding', () => {
  /** A province with 2 cities, 4 counties each, 10 townships per county, a router in each unit. */
  function large(): Topology {
    const t: Topology = { orgUnits: [], devices: [], links: [] };
    t.orgUnits.push({ id: 'p', parentId: null, level: 'province', name: 'P' });
    t.devices.push({ id: 'd-p', name: 'p', orgUnitId: 'p', role: 'core', plane: 'A', reachable: true });
    for (let c = 0; c < 2; c++) {
      const city = `c${c}`;
      t.orgUnits.push({ id: city, parentId: 'p', level: 'city', name: city });
      t.devices.push({
        id: `d-${city}`,
        name: city,
        orgUnitId: city,
        role: 'edge',
        plane: 'A',
        reachable: true,
      });
      t.links.push(link(`l-${city}`, 'd-p', `d-${city}`));
      for (let k = 0; k < 4; k++) {
        const county = `${city}k${k}`;
        t.orgUnits.push({ id: county, parentId: city, level: 'county', name: county });
        t.devices.push({
          id: `d-${county}`,
          name: county,
          orgUnitId: county,
          role: 'edge',
          plane: 'A',
          reachable: true,
        });
        t.links.push(link(`l-${county}`, `d-${city}`, `d-${county}`));
        for (let s = 0; s < 10; s++) {
          const town = `${county}t${s}`;
          t.orgUnits.push({ id: town, parentId: county, level: 'township', name: town });
          t.devices.push({
            id: `d-${town}`,
            name: town,
            orgUnitId: town,
            role: 'edge',
            plane: 'A',
            reachable: true,
          });
          t.links.push(link(`l-${town}`, `d-${county}`, `d-${town}`, { status: s === 3 ? 'down' : 'up' }));
        }
      }
    }
    return t;
  }

  it('folds the townships of each county into one box when there are many', () => {
    const layout = layoutTopology(large());
    expect(layout.folded).toBe(true);
    const folded = layout.units.filter((u) => u.folded);
    expect(folded).toHaveLength(8);
    expect(folded[0]?.folded).toMatchObject({ units: 10, devices: 10, links: 10, worst: 'down', down: 1 });
    expect(layout.devices.some((d) => d.unitId.includes('t'))).toBe(false);
    expect(layout.bundles).toHaveLength(8);
    expect(layout.bundles[0]?.links).toHaveLength(10);
    expect(layout.bundles[0]?.worst).toBe('down');
    // Links between unfolded routers are still drawn one by one.
    expect(layout.links).toHaveLength(2 + 8);
  });

  it('keeps everything when folding is off or the network is small', () => {
    expect(layoutTopology(large(), { collapse: false, autoCollapseAbove: 40 }).folded).toBe(false);
    expect(layoutTopology(small, { collapse: 'auto', autoCollapseAbove: 40 }).folded).toBe(false);
    const layout = layoutTopology(large(), { collapse: false, autoCollapseAbove: 40 });
    expect(layout.links).toHaveLength(2 + 8 + 80);
    expect(layout.bundles).toHaveLength(0);
  });
});

describe('worseStatus', () => {
  it('prefers down, then unknown, then up', () => {
    expect(worseStatus(null, 'up')).toBe('up');
    expect(worseStatus('up', 'unknown')).toBe('unknown');
    expect(worseStatus('unknown', 'down')).toBe('down');
    expect(worseStatus('down', 'up')).toBe('down');
  });
});
