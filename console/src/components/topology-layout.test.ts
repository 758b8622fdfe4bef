import { describe, expect, it } from 'vitest';
import type { LinkView, Topology } from '../data/network.js';
import { generateProvince } from './topology-fixture.js';
import { externalUnitId, foldingParent, layoutTopology, worseStatus } from './topology-layout.js';
import type { TopologyLayout } from './topology-layout.js';

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

const radius = (p: { x: number; y: number }) => Math.hypot(p.x, p.y);
const angle = (p: { x: number; y: number }) => Math.atan2(p.y, p.x);

/** Every point of the layout with a name, for the overlap checks. */
function points(layout: TopologyLayout): { key: string; x: number; y: number }[] {
  return [
    ...layout.units.map((u) => ({ key: `unit ${u.id}`, x: u.x, y: u.y })),
    ...layout.devices.map((d) => ({ key: `device ${d.id}`, x: d.x, y: d.y })),
    ...layout.groups.map((g) => ({ key: `group ${g.id}`, x: g.x, y: g.y })),
  ];
}

function closestPair(layout: TopologyLayout): number {
  // A grid of 10-unit cells: only points in neighbouring cells can be closer than 10.
  const cells = new Map<string, { x: number; y: number }[]>();
  let best = Infinity;
  for (const p of points(layout)) {
    const cx = Math.floor(p.x / 10);
    const cy = Math.floor(p.y / 10);
    for (let dx = -1; dx <= 1; dx += 1) {
      for (let dy = -1; dy <= 1; dy += 1) {
        for (const q of cells.get(`${cx + dx},${cy + dy}`) ?? [])
          best = Math.min(best, Math.hypot(p.x - q.x, p.y - q.y));
      }
    }
    const key = `${cx},${cy}`;
    cells.set(key, [...(cells.get(key) ?? []), p]);
  }
  return best;
}

describe('layoutTopology', () => {
  it('puts the root in the centre and each level on a ring further out', () => {
    const layout = layoutTopology(small);
    const unit = (id: string) => layout.units.find((u) => u.id === id);
    const p = layout.devices.filter((d) => d.unitId === 'p');
    expect(Math.hypot((p[0]?.x ?? 1) + (p[1]?.x ?? 1), (p[0]?.y ?? 1) + (p[1]?.y ?? 1))).toBeLessThan(1);
    const c1 = unit('c1');
    const c2 = unit('c2');
    const k1 = unit('k1');
    if (!c1 || !c2 || !k1) throw new Error('missing units');
    expect(Math.abs(radius(c1) - radius(c2))).toBeLessThan(1);
    expect(radius(k1)).toBeGreaterThan(radius(c1) + 100);
  });

  it('places plane A before plane B, across the radius of their unit', () => {
    const layout = layoutTopology(small);
    expect(layout.devices.filter((d) => d.unitId === 'p').map((d) => d.id)).toEqual(['p-a', 'p-b']);
    const a = layout.devices.find((d) => d.id === 'p-a');
    const b = layout.devices.find((d) => d.id === 'p-b');
    expect((a?.x ?? 0) < (b?.x ?? 0)).toBe(true);
  });

  it('draws every link between the routers it names', () => {
    const layout = layoutTopology(small);
    expect(layout.links.map((l) => [l.link.id, l.source, l.target])).toEqual([
      ['l1', 'p-a', 'c1-a'],
      ['l2', 'k1-a', 'c1-a'],
      ['l3', 'p-a', 'p-b'],
    ]);
  });

  it('is deterministic', () => {
    expect(JSON.stringify(layoutTopology(small))).toBe(JSON.stringify(layoutTopology(small)));
  });

  it('puts routers of unknown org units and link-only routers outside the scope, above the tree', () => {
    const topology: Topology = {
      orgUnits: [{ id: 'k1', parentId: 'c1', level: 'county', name: 'County 1' }],
      devices: [
        { id: 'k1-a', name: 'county-a', orgUnitId: 'k1', role: 'edge', plane: 'A', reachable: true },
        { id: 'x', name: 'stray', orgUnitId: 'nowhere', role: 'edge', plane: null, reachable: null },
      ],
      links: [link('up', 'k1-a', 'city-a')],
    };
    const layout = layoutTopology(topology);
    const outside = layout.devices.filter((d) => d.unitId === externalUnitId).map((d) => d.id);
    expect(outside.sort()).toEqual(['city-a', 'x']);
    expect(layout.devices.find((d) => d.id === 'city-a')?.placeholder).toBe(true);
    const root = layout.devices.find((d) => d.id === 'k1-a');
    for (const id of outside)
      expect(layout.devices.find((d) => d.id === id)?.y ?? 0).toBeLessThan(root?.y ?? 0);
    expect(layout.links).toHaveLength(1);
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
    expect(layout.units.map((u) => u.id).sort()).toEqual(['a', 'b']);
    for (const u of layout.units) expect(Number.isFinite(u.x) && Number.isFinite(u.y)).toBe(true);
  });

  it('prefers down, then unknown, then up', () => {
    expect(worseStatus(null, 'up')).toBe('up');
    expect(worseStatus('up', 'unknown')).toBe('unknown');
    expect(worseStatus('unknown', 'down')).toBe('down');
    expect(worseStatus('down', 'up')).toBe('down');
  });
});

describe('layoutTopology at the size of Sichuan', () => {
  const province = generateProvince();

  it('is generated at the size asked for', () => {
    const count = (level: string) => province.orgUnits.filter((u) => u.level === level).length;
    expect([count('province'), count('city'), count('county'), count('township')]).toEqual([
      1, 21, 183, 3000,
    ]);
    expect(province.links.length).toBe(2 * (21 + 183 + 3000));
    expect(new Set(province.devices.map((d) => d.id)).size).toBe(province.devices.length);
    expect(province.links.some((l) => l.status === 'down' && l.failedOver)).toBe(true);
    expect(JSON.stringify(generateProvince())).toBe(JSON.stringify(province));
  });

  it('folds the townships per county: an overview of province, cities and counties', () => {
    const layout = layoutTopology(province);
    expect(layout.folded).toBe(true);
    expect(layout.units.filter((u) => u.level === 'township')).toHaveLength(0);
    expect(layout.groups).toHaveLength(183);
    expect(layout.groups.reduce((s, g) => s + g.units, 0)).toBe(3000);
    expect(layout.devices).toHaveLength(2 + 42 + 366);
    // Every link is drawn, bundled into a group, and counted there.
    const bundled = layout.bundles.reduce((s, b) => s + b.links.length, 0);
    expect(layout.links.length + bundled).toBe(province.links.length);
    expect(layout.groups.reduce((s, g) => s + g.links, 0)).toBe(bundled);
    expect(layout.bundles.filter((b) => b.backup)).toHaveLength(183);
    const downs = province.links.filter((l) => l.level === 'township' && l.status === 'down').length;
    expect(layout.groups.reduce((s, g) => s + g.down, 0)).toBe(downs);
  });

  it('gives every node a finite position and no two the same point', () => {
    for (const layout of [
      layoutTopology(province),
      layoutTopology(province, { collapse: false }),
      layoutTopology(province, { expanded: new Set(['sc-c01-k01', 'sc-c20-k03']) }),
    ]) {
      for (const p of points(layout)) expect(Number.isFinite(p.x) && Number.isFinite(p.y), p.key).toBe(true);
      expect(closestPair(layout)).toBeGreaterThanOrEqual(8);
      for (const b of Object.values(layout.bounds)) expect(Number.isFinite(b)).toBe(true);
    }
  });

  it('keeps counties in their city’s wedge, outside it', () => {
    const layout = layoutTopology(province);
    const units = new Map(layout.units.map((u) => [u.id, u]));
    const counties = layout.units.filter((u) => u.level === 'county').sort((a, b) => angle(a) - angle(b));
    // Going round the ring, each city's counties come in one run (the first run may wrap around).
    const runs = counties.map((c) => c.parentId).filter((id, i, all) => i === 0 || all[i - 1] !== id);
    if (runs.length > 1 && runs[0] === runs[runs.length - 1]) runs.pop();
    expect(runs).toHaveLength(21);
    expect(new Set(runs).size).toBe(21);
    for (const county of counties) {
      const city = units.get(county.parentId ?? '');
      if (!city) throw new Error(`no city for ${county.id}`);
      expect(city.level).toBe('city');
      expect(radius(county)).toBeGreaterThan(radius(city) + 100);
    }
  });

  it('shows the townships of an expanded county, every link drawn, and nothing else moves', () => {
    const folded = layoutTopology(province);
    const county = 'sc-c05-k02';
    const open = layoutTopology(province, { expanded: new Set([county]) });
    const townships = province.orgUnits.filter((u) => u.parentId === county);
    const shown = open.units.filter((u) => u.parentId === county);
    expect(shown.map((u) => u.id).sort()).toEqual(townships.map((u) => u.id).sort());
    expect(open.units.find((u) => u.id === county)?.expanded).toBe(true);
    expect(open.groups).toHaveLength(182);
    const ids = new Set(open.links.map((l) => l.link.id));
    for (const t of townships) {
      expect(ids.has(`${t.id}-primary`)).toBe(true);
      expect(ids.has(`${t.id}-backup`)).toBe(true);
    }
    const before = new Map(folded.devices.map((d) => [d.id, d]));
    for (const d of open.devices) {
      const old = before.get(d.id);
      if (old) expect([d.x, d.y]).toEqual([old.x, old.y]);
    }
    // The fan stays outside its county.
    const c = open.units.find((u) => u.id === county);
    for (const t of shown) expect(radius(t)).toBeGreaterThan(radius(c ?? { x: 0, y: 0 }));
  });

  it('knows which county to expand to show a folded township or router', () => {
    const layout = layoutTopology(province);
    expect(foldingParent(layout, 'sc-c05-k02-t001')).toBe('sc-c05-k02');
    expect(foldingParent(layout, 'sc-c05-k02-t001-acc')).toBe('sc-c05-k02');
    expect(foldingParent(layout, 'sc-c05-k02')).toBeUndefined();
  });

  it('draws everything when folding is off', () => {
    const layout = layoutTopology(province, { collapse: false });
    expect(layout.folded).toBe(false);
    expect(layout.units).toHaveLength(1 + 21 + 183 + 3000);
    expect(layout.devices).toHaveLength(province.devices.length);
    expect(layout.links).toHaveLength(province.links.length);
    expect(layout.bundles).toHaveLength(0);
  });
});
