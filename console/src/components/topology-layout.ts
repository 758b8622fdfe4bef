/**
 * The layout of the extranet topology for the graph chart: a radial tree with the province in the
 * centre, cities on the first ring, counties on the next, each unit in a wedge of the circle sized by
 * what lies under it, so that a city's counties sit together outside it. Each org unit's routers sit
 * side by side across its radius (plane A, then plane B), its name just outside them.
 *
 * Township-level units (townships, villages) are folded per county when there are many: one group
 * node stands for them, and the links from a county router into them become one bundle. A county in
 * `expanded` shows its townships in rows fanned out inside its own wedge, so nothing else moves.
 *
 * Pure and deterministic (the picture does not move between refreshes); unit-tested.
 */
import type { LinkStatus, LinkView, Plane, Topology } from '../data/network.js';

export interface LayoutOptions {
  /** Fold the townships (and villages) of each county: true, false or when there are many. */
  collapse: boolean | 'auto';
  /** With `collapse: 'auto'`, fold when there are more township-level org units than this. */
  autoCollapseAbove: number;
  /** Units whose folded township-level children are shown anyway (a county opened by the user). */
  expanded: ReadonlySet<string>;
}

export const defaultLayoutOptions: LayoutOptions = {
  collapse: 'auto',
  autoCollapseAbove: 40,
  expanded: new Set(),
};

/** Distances of the drawing, in graph units (CSS pixels at zoom 1 before fitting). */
export const layoutMetrics = {
  /** Between the routers of one org unit, across the radius. */
  deviceGap: 16,
  /** From the routers to the org unit's name, outwards. */
  labelOffset: 14,
  /** The least arc between the centres of two neighbours on a ring. */
  minArc: 44,
  /** The least distance between two rings. */
  ringGap: 150,
  /** Between two rows of a county's fanned-out townships. */
  fanRowGap: 44,
  /** Along a row of fanned-out townships. */
  fanArc: 32,
  /** Above the root, where routers outside the scope are put. */
  externalGap: 160,
} as const;

export interface Point {
  x: number;
  y: number;
}

export interface UnitNode extends Point {
  id: string;
  name: string;
  level: string;
  parentId: string | null;
  depth: number;
  /** The org unit that only appears because links name routers outside the scope. */
  external?: boolean;
  /** Set when this unit's township-level children are folded into a group. */
  groupId?: string;
  /** Set when this unit's folded children are shown fanned out. */
  expanded?: boolean;
}

export interface DeviceNode extends Point {
  id: string;
  name: string;
  unitId: string;
  plane: Plane | null;
  reachable: boolean | null;
  managementAddress?: string;
  /** A router known only from a link end, not from the device list. */
  placeholder?: boolean;
}

/** Township-level org units of one unit folded into one node. */
export interface FoldedGroup extends Point {
  id: string;
  /** The org unit whose children were folded. */
  parentId: string;
  level: string;
  units: number;
  devices: number;
  /** Links inside or into the folded units. */
  links: number;
  /** The worst status among those links. */
  worst: LinkStatus | null;
  down: number;
}

/** A link drawn between two routers on the chart. */
export interface LayoutLink {
  link: LinkView;
  source: string;
  target: string;
}

/** Links from one router into a folded group, drawn as one line with a count. */
export interface LinkBundle {
  id: string;
  deviceId: string;
  groupId: string;
  links: LinkView[];
  worst: LinkStatus;
  /** Every link of the bundle is a backup (then it is drawn dashed). */
  backup: boolean;
}

export interface TopologyLayout {
  units: UnitNode[];
  devices: DeviceNode[];
  groups: FoldedGroup[];
  links: LayoutLink[];
  bundles: LinkBundle[];
  /** Whether township-level units are folded. */
  folded: boolean;
  /** For each folded org unit and router (as `device:<id>`), the group that stands for it. */
  foldedInto: ReadonlyMap<string, string>;
  bounds: { minX: number; minY: number; maxX: number; maxY: number };
}

export const externalUnitId = '__outside-scope__';
const foldedLevels = new Set(['township', 'village']);

interface TreeUnit {
  id: string;
  name: string;
  level: string;
  parentId: string | null;
  children: TreeUnit[];
  devices: DeviceNode[];
  depth: number;
  external?: boolean;
  /** Folded children and their subtrees, in drawing order. */
  foldedChildren: TreeUnit[];
  weight: number;
  angle: number;
  x: number;
  y: number;
}

const collator = new Intl.Collator('zh-Hans-CN', { numeric: true });

const byName = (a: { name: string; id: string }, b: { name: string; id: string }): number =>
  collator.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

const planeRank = (plane: Plane | null): number => (plane === 'A' ? 0 : plane === 'B' ? 1 : 2);

const statusRank: Record<LinkStatus, number> = { down: 0, unknown: 1, up: 2 };

/** The worse of two link statuses: down before unknown before up. */
export function worseStatus(a: LinkStatus | null, b: LinkStatus): LinkStatus {
  if (a === null) return b;
  return statusRank[b] < statusRank[a] ? b : a;
}

const round = (n: number): number => Math.round(n * 10) / 10;

/**
 * Computes the radial layout. Org units form a tree by `parentId` (units whose parent is not in the
 * list are roots; several roots share the centre's rings); routers of unknown org units and routers
 * known only from link ends are put in an "outside your scope" unit above the tree.
 */
export function layoutTopology(topology: Topology, options: Partial<LayoutOptions> = {}): TopologyLayout {
  const o: LayoutOptions = { ...defaultLayoutOptions, ...options };
  const m = layoutMetrics;
  const units = new Map<string, TreeUnit>();
  const newUnit = (id: string, name: string, level: string, parentId: string | null): TreeUnit => ({
    id,
    name,
    level,
    parentId,
    children: [],
    devices: [],
    depth: 0,
    foldedChildren: [],
    weight: 1,
    angle: 0,
    x: 0,
    y: 0,
  });
  for (const unit of topology.orgUnits)
    units.set(unit.id, newUnit(unit.id, unit.name, unit.level, unit.parentId));

  let externalUnit: TreeUnit | undefined;
  const external = (): TreeUnit => {
    if (!externalUnit) {
      externalUnit = { ...newUnit(externalUnitId, 'Outside your scope', 'external', null), external: true };
      units.set(externalUnitId, externalUnit);
    }
    return externalUnit;
  };

  // Routers: the listed ones, then any that only a link end names.
  const devices = new Map<string, DeviceNode>();
  const ownerOf = new Map<string, TreeUnit>();
  const addDevice = (node: DeviceNode) => {
    if (devices.has(node.id)) return;
    const unit = units.get(node.unitId) ?? external();
    node.unitId = unit.id;
    devices.set(node.id, node);
    ownerOf.set(node.id, unit);
    unit.devices.push(node);
  };
  for (const device of topology.devices) {
    addDevice({
      id: device.id,
      name: device.name,
      unitId: device.orgUnitId,
      plane: device.plane,
      reachable: device.reachable,
      ...(device.managementAddress ? { managementAddress: device.managementAddress } : {}),
      x: 0,
      y: 0,
    });
  }
  for (const link of topology.links) {
    for (const end of [link.a, link.b]) {
      if (devices.has(end.deviceId)) continue;
      addDevice({
        id: end.deviceId,
        name: end.deviceName || end.deviceId,
        unitId: externalUnitId,
        plane: null,
        reachable: null,
        x: 0,
        y: 0,
        placeholder: true,
      });
    }
  }

  // The tree, children in name order, and each unit's depth (a cycle in parent ids is cut off).
  const roots: TreeUnit[] = [];
  for (const unit of units.values()) {
    if (unit.external) continue;
    const parent = unit.parentId !== null ? units.get(unit.parentId) : undefined;
    if (parent && parent !== unit && !parent.external) parent.children.push(unit);
    else roots.push(unit);
  }
  const visited = new Set<TreeUnit>();
  const setDepth = (unit: TreeUnit, depth: number) => {
    visited.add(unit);
    unit.depth = depth;
    unit.children = unit.children.filter((child) => !visited.has(child)).sort(byName);
    unit.devices.sort((a, b) => planeRank(a.plane) - planeRank(b.plane) || byName(a, b));
    for (const child of unit.children) if (!visited.has(child)) setDepth(child, depth + 1);
  };
  roots.sort(byName);
  for (const root of roots) setDepth(root, 0);
  // Units in a parent cycle never reached from a root become roots of their own.
  for (const unit of units.values()) {
    if (!visited.has(unit) && !unit.external) {
      roots.push(unit);
      setDepth(unit, 0);
    }
  }
  externalUnit?.devices.sort(byName);

  // Folding: the township-level children of each other unit become one group.
  const isFoldable = (unit: TreeUnit) => foldedLevels.has(unit.level) || unit.depth >= 3;
  let foldableCount = 0;
  for (const unit of visited) if (unit.depth > 0 && isFoldable(unit)) foldableCount += 1;
  const fold = o.collapse === true || (o.collapse === 'auto' && foldableCount > o.autoCollapseAbove);
  const foldedInto = new Map<string, string>();
  const groups = new Map<string, FoldedGroup>();
  /** Fanned-out units (shown, but in rows inside their county's wedge). */
  const fanned = new Set<TreeUnit>();
  if (fold) {
    const foldUnder = (unit: TreeUnit) => {
      const children = unit.children.filter((c) => isFoldable(c) && c.depth > 0);
      if (!isFoldable(unit) && children.length > 0) {
        const all: TreeUnit[] = [];
        const collect = (child: TreeUnit) => {
          all.push(child);
          for (const grandchild of child.children) collect(grandchild);
        };
        for (const child of children) collect(child);
        unit.foldedChildren = all;
        unit.children = unit.children.filter((c) => !children.includes(c));
        if (o.expanded.has(unit.id)) {
          for (const child of all) fanned.add(child);
        } else {
          const group: FoldedGroup = {
            id: `folded:${unit.id}`,
            parentId: unit.id,
            level: children[0]?.level ?? 'township',
            units: all.length,
            devices: 0,
            links: 0,
            worst: null,
            down: 0,
            x: 0,
            y: 0,
          };
          for (const child of all) {
            foldedInto.set(child.id, group.id);
            group.devices += child.devices.length;
            for (const device of child.devices) foldedInto.set(`device:${device.id}`, group.id);
          }
          groups.set(group.id, group);
        }
      }
      for (const child of unit.children) foldUnder(child);
    };
    for (const root of roots) foldUnder(root);
  }

  // Wedges: each unit's share of its parent's is its weight, the number of leaves under it (a folded
  // group or a fan counts as one leaf).
  const weigh = (unit: TreeUnit): number => {
    const extra = unit.foldedChildren.length > 0 ? 1 : 0;
    const sum = unit.children.reduce((s, child) => s + weigh(child), 0) + extra;
    unit.weight = Math.max(1, sum);
    return unit.weight;
  };
  /** Everything on the rings, with its depth and angle, to size the rings. */
  interface RingItem {
    depth: number;
    angle: number;
    /** Room it takes across the radius. */
    span: number;
    place: (radius: number) => void;
  }
  const ringItems: RingItem[] = [];
  const wedges = new Map<TreeUnit, { from: number; to: number }>();
  const assign = (unit: TreeUnit, from: number, to: number) => {
    unit.angle = (from + to) / 2;
    wedges.set(unit, { from, to });
    const span = Math.max(0, unit.devices.length - 1) * m.deviceGap;
    ringItems.push({
      depth: unit.depth,
      angle: unit.angle,
      span,
      place: (radius) => {
        unit.x = radius * Math.cos(unit.angle);
        unit.y = radius * Math.sin(unit.angle);
      },
    });
    const total = unit.weight;
    let start = from;
    const share = (w: number) => ((to - from) * w) / total;
    for (const child of unit.children) {
      const end = start + share(child.weight);
      assign(child, start, end);
      start = end;
    }
    if (unit.foldedChildren.length > 0) {
      const end = start + share(1);
      const group = groups.get(`folded:${unit.id}`);
      const angle = (start + end) / 2;
      if (group) {
        ringItems.push({
          depth: unit.depth + 1,
          angle,
          span: 0,
          place: (radius) => {
            group.x = radius * Math.cos(angle);
            group.y = radius * Math.sin(angle);
          },
        });
      } else {
        fans.push({ unit, from: start, to: end });
      }
    }
  };
  const fans: { unit: TreeUnit; from: number; to: number }[] = [];
  const top = -Math.PI / 2;
  const single = roots.length === 1 ? roots[0] : undefined;
  if (single) {
    weigh(single);
    assign(single, top, top + 2 * Math.PI);
  } else {
    // Several roots share the first ring around an empty centre.
    const total = roots.reduce((s, r) => s + weigh(r), 0);
    let start = top;
    for (const root of roots) {
      const end = start + (2 * Math.PI * root.weight) / total;
      root.depth = 0;
      assign(root, start, end);
      start = end;
    }
  }

  // Ring radii: far enough out that neighbours on each ring are at least `minArc` (plus their
  // routers' span) apart, and each ring at least `ringGap` beyond the last.
  const byDepth = new Map<number, RingItem[]>();
  for (const item of ringItems) {
    const list = byDepth.get(item.depth) ?? [];
    list.push(item);
    byDepth.set(item.depth, list);
  }
  const depths = [...byDepth.keys()].sort((a, b) => a - b);
  const radii = new Map<number, number>();
  let previous = single ? 0 : -m.ringGap;
  for (const depth of depths) {
    const items = (byDepth.get(depth) ?? []).sort((a, b) => a.angle - b.angle);
    let radius = depth === 0 && single ? 0 : previous + m.ringGap;
    if (!(depth === 0 && single) && items.length > 1) {
      for (let i = 0; i < items.length; i += 1) {
        const a = items[i] as RingItem;
        const b = (i + 1 < items.length ? items[i + 1] : items[0]) as RingItem;
        let gap = b.angle - a.angle;
        if (i + 1 >= items.length) gap += 2 * Math.PI;
        const needed = m.minArc + (a.span + b.span) / 2;
        if (gap > 1e-9) radius = Math.max(radius, needed / gap);
      }
    }
    radii.set(depth, radius);
    previous = radius;
  }
  // Inner rings spread out to their share of the outermost one, so that the few cities do not
  // crowd the centre while the many counties set the size of the picture.
  const deepest = depths[depths.length - 1] ?? 0;
  const outer = radii.get(deepest) ?? 0;
  const first = single ? 1 : 0;
  for (const depth of depths) {
    if (depth < first || deepest <= first - 1) continue;
    const share = Math.sqrt((depth - first + 1) / (deepest - first + 1));
    radii.set(depth, Math.max(radii.get(depth) ?? 0, outer * share * 0.9));
  }
  for (const depth of depths) {
    const radius = radii.get(depth) ?? 0;
    for (const item of byDepth.get(depth) ?? []) item.place(radius);
  }

  // Fans: a county's townships in rows across its wedge, from the ring its group would be on outward.
  const fanRows = new Map<TreeUnit, number>();
  for (const fan of fans) {
    const ring = radii.get(fan.unit.depth + 1) ?? (radii.get(fan.unit.depth) ?? 0) + m.ringGap;
    const items = fan.unit.foldedChildren;
    let index = 0;
    let row = 0;
    while (index < items.length) {
      const radius = ring + row * m.fanRowGap;
      const width = (fan.to - fan.from) * radius;
      const perRow = Math.max(1, Math.floor(width / m.fanArc));
      const count = Math.min(perRow, items.length - index);
      for (let i = 0; i < count; i += 1) {
        const unit = items[index + i] as TreeUnit;
        const angle = fan.from + ((fan.to - fan.from) * (i + 0.5)) / count;
        unit.angle = angle;
        unit.x = radius * Math.cos(angle);
        unit.y = radius * Math.sin(angle);
      }
      index += count;
      row += 1;
    }
    fanRows.set(fan.unit, row);
  }

  // Routers across the radius of their unit; the unit's name just outside them.
  const shown: TreeUnit[] = [];
  const collectShown = (unit: TreeUnit) => {
    shown.push(unit);
    for (const child of unit.children) collectShown(child);
    for (const child of unit.foldedChildren) if (fanned.has(child)) shown.push(child);
  };
  for (const root of roots) collectShown(root);
  const placeDevices = (unit: TreeUnit, labelDir: Point) => {
    const centre = { x: unit.x, y: unit.y };
    const radial = Math.hypot(centre.x, centre.y);
    const tangent = radial > 1e-6 ? { x: -centre.y / radial, y: centre.x / radial } : { x: 1, y: 0 };
    const n = unit.devices.length;
    unit.devices.forEach((device, i) => {
      const offset = (i - (n - 1) / 2) * m.deviceGap;
      device.x = round(centre.x + tangent.x * offset);
      device.y = round(centre.y + tangent.y * offset);
    });
    unit.x = round(centre.x + labelDir.x * m.labelOffset);
    unit.y = round(centre.y + labelDir.y * m.labelOffset);
  };
  let maxRadius = 0;
  for (const unit of shown) {
    const r = Math.hypot(unit.x, unit.y);
    maxRadius = Math.max(maxRadius, r);
    placeDevices(unit, r > 1e-6 ? { x: unit.x / r, y: unit.y / r } : { x: 0, y: -1 });
  }
  for (const group of groups.values()) {
    group.x = round(group.x);
    group.y = round(group.y);
    maxRadius = Math.max(maxRadius, Math.hypot(group.x, group.y));
  }
  if (externalUnit) {
    externalUnit.x = 0;
    externalUnit.y = -(maxRadius + m.externalGap);
    const n = externalUnit.devices.length;
    externalUnit.devices.forEach((device, i) => {
      device.x = round((i - (n - 1) / 2) * m.deviceGap * 2);
      device.y = round((externalUnit as TreeUnit).y);
    });
    externalUnit.y = round(externalUnit.y - m.labelOffset);
  }

  // Links: between shown routers as they are; into folded groups as one bundle per router and group.
  const drawn: LayoutLink[] = [];
  const bundles = new Map<string, LinkBundle>();
  for (const link of topology.links) {
    const aGroup = foldedInto.get(`device:${link.a.deviceId}`);
    const bGroup = foldedInto.get(`device:${link.b.deviceId}`);
    if (aGroup === undefined && bGroup === undefined) {
      drawn.push({ link, source: link.a.deviceId, target: link.b.deviceId });
      continue;
    }
    const group = groups.get((aGroup ?? bGroup) as string);
    if (group) {
      group.links += 1;
      group.worst = worseStatus(group.worst, link.status);
      if (link.status === 'down') group.down += 1;
    }
    // A link with both ends folded stays inside the group and is only counted.
    if (aGroup !== undefined && bGroup !== undefined) continue;
    const deviceId = aGroup === undefined ? link.a.deviceId : link.b.deviceId;
    const groupId = (aGroup ?? bGroup) as string;
    const key = `${deviceId}>${groupId}`;
    const bundle = bundles.get(key) ?? { id: key, deviceId, groupId, links: [], worst: 'up', backup: true };
    bundle.links.push(link);
    bundle.worst = worseStatus(bundle.worst, link.status);
    bundle.backup = bundle.backup && link.role === 'backup';
    bundles.set(key, bundle);
  }

  const unitNodes: UnitNode[] = shown.map((u) => ({
    id: u.id,
    name: u.name,
    level: u.level,
    parentId: u.parentId,
    depth: u.depth,
    x: u.x,
    y: u.y,
    ...(groups.has(`folded:${u.id}`) ? { groupId: `folded:${u.id}` } : {}),
    ...(fanRows.has(u) ? { expanded: true } : {}),
  }));
  if (externalUnit) {
    unitNodes.unshift({
      id: externalUnit.id,
      name: externalUnit.name,
      level: 'external',
      parentId: null,
      depth: 0,
      x: externalUnit.x,
      y: externalUnit.y,
      external: true,
    });
  }
  const deviceNodes: DeviceNode[] = [];
  if (externalUnit) deviceNodes.push(...externalUnit.devices);
  for (const unit of shown) deviceNodes.push(...unit.devices);

  const bounds = { minX: Infinity, minY: Infinity, maxX: -Infinity, maxY: -Infinity };
  for (const p of [...unitNodes, ...deviceNodes, ...groups.values()]) {
    bounds.minX = Math.min(bounds.minX, p.x);
    bounds.minY = Math.min(bounds.minY, p.y);
    bounds.maxX = Math.max(bounds.maxX, p.x);
    bounds.maxY = Math.max(bounds.maxY, p.y);
  }
  if (!Number.isFinite(bounds.minX)) Object.assign(bounds, { minX: 0, minY: 0, maxX: 0, maxY: 0 });

  return {
    units: unitNodes,
    devices: deviceNodes,
    groups: [...groups.values()],
    links: drawn,
    bundles: [...bundles.values()],
    folded: fold,
    foldedInto,
    bounds,
  };
}

/** The unit whose folded children hold an org unit or router, to expand when it is looked for. */
export function foldingParent(layout: TopologyLayout, id: string): string | undefined {
  const groupId = layout.foldedInto.get(id) ?? layout.foldedInto.get(`device:${id}`);
  return groupId === undefined ? undefined : layout.groups.find((g) => g.id === groupId)?.parentId;
}
