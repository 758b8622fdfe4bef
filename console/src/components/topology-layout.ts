/**
 * The layout of the extranet topology: a layered tree of org units (province on top, then cities,
 * counties and townships), the routers of each org unit side by side inside its box, and the links
 * between routers as curves. Pure and deterministic, so that the picture does not move between
 * refreshes; unit-tested.
 */
import type { LinkStatus, LinkView, Plane, Topology } from '../data/network.js';

export interface LayoutOptions {
  /** Fold the townships (and villages) of each county into one box: true, false or when there are many. */
  collapse: boolean | 'auto';
  /** With `collapse: 'auto'`, fold when there are more township-level org units than this. */
  autoCollapseAbove: number;
}

export const defaultLayoutOptions: LayoutOptions = { collapse: 'auto', autoCollapseAbove: 40 };

/** Sizes of the drawing, in SVG user units (CSS pixels at scale 1). */
export const layoutMetrics = {
  margin: 16,
  /** Room at the left for the level labels of the rows. */
  gutter: 78,
  deviceWidth: 96,
  deviceHeight: 24,
  deviceGap: 8,
  unitPadding: 8,
  unitHeader: 18,
  unitGap: 14,
  rowGap: 74,
  minUnitWidth: 112,
} as const;

export interface UnitBox {
  id: string;
  name: string;
  level: string;
  depth: number;
  x: number;
  y: number;
  width: number;
  height: number;
  /** Set on a box that stands for folded org units. */
  folded?: FoldedSummary;
  /** The org unit that only appears because devices or links refer to units outside the scope. */
  external?: boolean;
}

export interface FoldedSummary {
  /** The org unit whose township-level children were folded. */
  parentId: string;
  units: number;
  devices: number;
  links: number;
  /** The worst status among the links inside or into the folded units. */
  worst: LinkStatus | null;
  down: number;
}

export interface DeviceNode {
  id: string;
  name: string;
  unitId: string;
  plane: Plane | null;
  reachable: boolean | null;
  /** Top-left corner. */
  x: number;
  y: number;
  width: number;
  height: number;
  /** A router known only from a link end, not from the device list. */
  placeholder?: boolean;
}

export interface Point {
  x: number;
  y: number;
}

export interface LinkPath {
  link: LinkView;
  /** An SVG path from the A end to the B end. */
  d: string;
  /** The middle of the curve, where markers and the focus tooltip go. */
  mid: Point;
}

/** Links from one router into a folded box, drawn as one line with a count. */
export interface LinkBundle {
  id: string;
  deviceId: string;
  unitId: string;
  links: LinkView[];
  worst: LinkStatus;
  d: string;
  mid: Point;
}

export interface RowLabel {
  depth: number;
  y: number;
  label: string;
}

export interface TopologyLayout {
  width: number;
  height: number;
  units: UnitBox[];
  devices: DeviceNode[];
  links: LinkPath[];
  bundles: LinkBundle[];
  rows: RowLabel[];
  folded: boolean;
}

const externalUnitId = '__outside-scope__';
const foldedLevels = new Set(['township', 'village']);
const levelLabels: Record<string, string> = {
  province: 'Province',
  city: 'City',
  county: 'County',
  township: 'Township',
  village: 'Village',
};

interface TreeUnit {
  id: string;
  name: string;
  level: string;
  parentId: string | null;
  children: TreeUnit[];
  devices: DeviceNode[];
  depth: number;
  folded?: FoldedSummary;
  external?: boolean;
  /** Width of the subtree under this unit, computed bottom-up. */
  span: number;
  width: number;
}

const byName = (a: { name: string; id: string }, b: { name: string; id: string }): number =>
  a.name.localeCompare(b.name, 'zh-Hans-CN', { numeric: true }) || a.id.localeCompare(b.id);

const planeRank = (plane: Plane | null): number => (plane === 'A' ? 0 : plane === 'B' ? 1 : 2);

const statusRank: Record<LinkStatus, number> = { down: 0, unknown: 1, up: 2 };

/** The worse of two link statuses: down before unknown before up. */
export function worseStatus(a: LinkStatus | null, b: LinkStatus): LinkStatus {
  if (a === null) return b;
  return statusRank[b] < statusRank[a] ? b : a;
}

/** A cubic Bézier curve's point at t = 0.5. */
function cubicMid(p0: Point, p1: Point, p2: Point, p3: Point): Point {
  return {
    x: (p0.x + 3 * p1.x + 3 * p2.x + p3.x) / 8,
    y: (p0.y + 3 * p1.y + 3 * p2.y + p3.y) / 8,
  };
}

const round = (n: number): number => Math.round(n * 10) / 10;

function curve(p0: Point, p1: Point, p2: Point, p3: Point): { d: string; mid: Point } {
  const d =
    `M${round(p0.x)},${round(p0.y)} C${round(p1.x)},${round(p1.y)} ` +
    `${round(p2.x)},${round(p2.y)} ${round(p3.x)},${round(p3.y)}`;
  return { d, mid: cubicMid(p0, p1, p2, p3) };
}

/**
 * Computes the layered layout. Org units form a tree by `parentId` (units whose parent is not in the
 * list are roots); routers of unknown org units and routers known only from link ends are put in an
 * "outside your scope" box at the top.
 */
export function layoutTopology(
  topology: Topology,
  options: LayoutOptions = defaultLayoutOptions,
): TopologyLayout {
  const m = layoutMetrics;
  const units = new Map<string, TreeUnit>();
  for (const unit of topology.orgUnits) {
    units.set(unit.id, {
      id: unit.id,
      name: unit.name,
      level: unit.level,
      parentId: unit.parentId,
      children: [],
      devices: [],
      depth: 0,
      span: 0,
      width: 0,
    });
  }

  const external = (): TreeUnit => {
    let unit = units.get(externalUnitId);
    if (!unit) {
      unit = {
        id: externalUnitId,
        name: 'Outside your scope',
        level: 'external',
        parentId: null,
        children: [],
        devices: [],
        depth: 0,
        span: 0,
        width: 0,
        external: true,
      };
      units.set(externalUnitId, unit);
    }
    return unit;
  };

  // Routers: the listed ones, then any that only a link end names.
  const devices = new Map<string, DeviceNode>();
  const addDevice = (node: DeviceNode) => {
    devices.set(node.id, node);
    const unit = units.get(node.unitId) ?? external();
    node.unitId = unit.id;
    unit.devices.push(node);
  };
  for (const device of topology.devices) {
    addDevice({
      id: device.id,
      name: device.name,
      unitId: device.orgUnitId,
      plane: device.plane,
      reachable: device.reachable,
      x: 0,
      y: 0,
      width: m.deviceWidth,
      height: m.deviceHeight,
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
        width: m.deviceWidth,
        height: m.deviceHeight,
        placeholder: true,
      });
    }
  }

  // The tree, children in name order, and each unit's depth.
  const roots: TreeUnit[] = [];
  for (const unit of units.values()) {
    const parent = unit.parentId !== null ? units.get(unit.parentId) : undefined;
    if (parent && parent !== unit) parent.children.push(unit);
    else roots.push(unit);
  }
  const sortTree = (list: TreeUnit[]) => {
    list.sort((a, b) => (a.external ? -1 : b.external ? 1 : byName(a, b)));
    for (const unit of list) {
      unit.devices.sort((a, b) => planeRank(a.plane) - planeRank(b.plane) || byName(a, b));
      sortTree(unit.children);
    }
  };
  sortTree(roots);
  const visited = new Set<TreeUnit>();
  const setDepth = (unit: TreeUnit, depth: number) => {
    // A cycle in parent ids would otherwise recurse forever; the second visit is cut off.
    if (visited.has(unit)) return;
    visited.add(unit);
    unit.depth = depth;
    unit.children = unit.children.filter((child) => !visited.has(child));
    for (const child of unit.children) setDepth(child, depth + 1);
  };
  for (const root of roots) setDepth(root, 0);

  // Folding: township-level units under each non-township parent become one box.
  const isFoldable = (unit: TreeUnit) => foldedLevels.has(unit.level) || unit.depth >= 3;
  const foldable = [...visited].filter((u) => !u.external && isFoldable(u) && u.depth > 0);
  const fold =
    options.collapse === true || (options.collapse === 'auto' && foldable.length > options.autoCollapseAbove);
  /** Maps a folded unit's id to the id of the box that stands for it. */
  const foldedInto = new Map<string, string>();
  if (fold) {
    const foldUnder = (unit: TreeUnit) => {
      const foldedChildren = unit.children.filter(isFoldable);
      if (!isFoldable(unit) && foldedChildren.length > 0) {
        const box: TreeUnit = {
          id: `folded:${unit.id}`,
          name: '',
          level: foldedChildren[0]?.level ?? 'township',
          parentId: unit.id,
          children: [],
          devices: [],
          depth: unit.depth + 1,
          span: 0,
          width: 0,
          folded: { parentId: unit.id, units: 0, devices: 0, links: 0, worst: null, down: 0 },
        };
        const collect = (child: TreeUnit) => {
          foldedInto.set(child.id, box.id);
          const summary = box.folded as FoldedSummary;
          summary.units += 1;
          summary.devices += child.devices.length;
          for (const device of child.devices) foldedInto.set(`device:${device.id}`, box.id);
          for (const grandchild of child.children) collect(grandchild);
        };
        for (const child of foldedChildren) collect(child);
        const summary = box.folded as FoldedSummary;
        box.name = `${summary.units} ${summary.units === 1 ? 'unit' : 'units'} folded`;
        unit.children = [...unit.children.filter((c) => !isFoldable(c)), box];
      }
      for (const child of unit.children) if (!child.folded) foldUnder(child);
    };
    for (const root of roots) foldUnder(root);
  }

  // Widths bottom-up, then positions top-down: each unit centred over its children.
  const unitWidth = (unit: TreeUnit) => {
    if (unit.folded) return m.minUnitWidth;
    const n = unit.devices.length;
    const inner = n * m.deviceWidth + Math.max(0, n - 1) * m.deviceGap;
    return Math.max(m.minUnitWidth, inner + 2 * m.unitPadding);
  };
  const measure = (unit: TreeUnit): number => {
    unit.width = unitWidth(unit);
    const childSpan = unit.children.reduce((sum, child) => sum + measure(child), 0);
    const gaps = Math.max(0, unit.children.length - 1) * m.unitGap;
    unit.span = Math.max(unit.width, childSpan + gaps);
    return unit.span;
  };
  for (const root of roots) measure(root);

  const unitHeight = m.unitHeader + m.deviceHeight + 2 * m.unitPadding;
  const rowY = (depth: number) => m.margin + depth * (unitHeight + m.rowGap);
  const boxes: UnitBox[] = [];
  const placed: DeviceNode[] = [];
  let maxDepth = 0;
  const place = (unit: TreeUnit, left: number) => {
    maxDepth = Math.max(maxDepth, unit.depth);
    const x = left + (unit.span - unit.width) / 2;
    const y = rowY(unit.depth);
    boxes.push({
      id: unit.id,
      name: unit.name,
      level: unit.level,
      depth: unit.depth,
      x,
      y,
      width: unit.width,
      height: unitHeight,
      ...(unit.folded ? { folded: unit.folded } : {}),
      ...(unit.external ? { external: true } : {}),
    });
    if (!unit.folded) {
      const n = unit.devices.length;
      const inner = n * m.deviceWidth + Math.max(0, n - 1) * m.deviceGap;
      let dx = x + (unit.width - inner) / 2;
      for (const device of unit.devices) {
        device.x = dx;
        device.y = y + m.unitHeader + m.unitPadding;
        placed.push(device);
        dx += m.deviceWidth + m.deviceGap;
      }
    }
    const childSpan =
      unit.children.reduce((sum, child) => sum + child.span, 0) +
      Math.max(0, unit.children.length - 1) * m.unitGap;
    let childLeft = left + (unit.span - childSpan) / 2;
    for (const child of unit.children) {
      place(child, childLeft);
      childLeft += child.span + m.unitGap;
    }
  };
  let left = m.margin + m.gutter;
  for (const root of roots) {
    place(root, left);
    left += root.span + m.unitGap;
  }
  const width = Math.max(left - m.unitGap + m.margin, m.margin * 2 + m.gutter + m.minUnitWidth);
  const height = rowY(maxDepth) + unitHeight + m.margin + 22;

  // Row labels: the most common level at each depth.
  const levelsByDepth = new Map<number, Map<string, number>>();
  for (const box of boxes) {
    if (box.external) continue;
    const counts = levelsByDepth.get(box.depth) ?? new Map<string, number>();
    counts.set(box.level, (counts.get(box.level) ?? 0) + 1);
    levelsByDepth.set(box.depth, counts);
  }
  const rows: RowLabel[] = [...levelsByDepth.entries()]
    .sort(([a], [b]) => a - b)
    .map(([depth, counts]) => {
      const level = [...counts.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
      return { depth, y: rowY(depth), label: levelLabels[level] ?? level };
    });

  // Links: individual curves between placed routers; links into folded boxes become bundles.
  const boxById = new Map(boxes.map((b) => [b.id, b]));
  const drawn: LinkView[] = [];
  const bundles = new Map<string, LinkBundle>();
  for (const link of topology.links) {
    const aBox = foldedInto.get(`device:${link.a.deviceId}`);
    const bBox = foldedInto.get(`device:${link.b.deviceId}`);
    if (aBox === undefined && bBox === undefined) {
      drawn.push(link);
      continue;
    }
    const summaryBox = boxById.get((aBox ?? bBox) as string);
    if (summaryBox?.folded) {
      summaryBox.folded.links += 1;
      summaryBox.folded.worst = worseStatus(summaryBox.folded.worst, link.status);
      if (link.status === 'down') summaryBox.folded.down += 1;
    }
    // A link with both ends folded stays inside the box and is only counted.
    if (aBox !== undefined && bBox !== undefined) continue;
    const deviceId = aBox === undefined ? link.a.deviceId : link.b.deviceId;
    const unitId = (aBox ?? bBox) as string;
    const key = `${deviceId}>${unitId}`;
    const bundle = bundles.get(key) ?? {
      id: key,
      deviceId,
      unitId,
      links: [],
      worst: 'up' as LinkStatus,
      d: '',
      mid: { x: 0, y: 0 },
    };
    bundle.links.push(link);
    bundle.worst = worseStatus(bundle.worst, link.status);
    bundles.set(key, bundle);
  }

  // Attachment points: each router spreads the lines leaving its top and its bottom across its width,
  // ordered by where the other end lies, so that lines do not cross right at the router.
  type End = { key: string; otherX: number };
  const tops = new Map<string, End[]>();
  const bottoms = new Map<string, End[]>();
  const attach = (map: Map<string, End[]>, deviceId: string, end: End) => {
    const list = map.get(deviceId) ?? [];
    list.push(end);
    map.set(deviceId, list);
  };
  const centreX = (node: { x: number; width: number }) => node.x + node.width / 2;
  const linkEnds = drawn.flatMap((link) => {
    const a = devices.get(link.a.deviceId);
    const b = devices.get(link.b.deviceId);
    if (!a || !b) return [];
    const [upper, lower] = a.y <= b.y ? [a, b] : [b, a];
    if (upper.y === lower.y) {
      attach(bottoms, upper.id, { key: `${link.id}:u`, otherX: centreX(lower) });
      attach(bottoms, lower.id, { key: `${link.id}:l`, otherX: centreX(upper) });
    } else {
      attach(bottoms, upper.id, { key: `${link.id}:u`, otherX: centreX(lower) });
      attach(tops, lower.id, { key: `${link.id}:l`, otherX: centreX(upper) });
    }
    return [{ link, upper, lower }];
  });
  for (const bundle of bundles.values()) {
    const device = devices.get(bundle.deviceId);
    const box = boxById.get(bundle.unitId);
    if (!device || !box) continue;
    attach(box.y < device.y ? tops : bottoms, device.id, { key: `${bundle.id}:d`, otherX: centreX(box) });
  }
  const offsets = new Map<string, number>();
  for (const map of [tops, bottoms]) {
    for (const [deviceId, ends] of map) {
      const device = devices.get(deviceId);
      if (!device) continue;
      ends.sort((p, q) => p.otherX - q.otherX || p.key.localeCompare(q.key));
      const usable = device.width * 0.7;
      const step = ends.length > 1 ? Math.min(14, usable / (ends.length - 1)) : 0;
      const start = centreX(device) - (step * (ends.length - 1)) / 2;
      ends.forEach((end, i) => offsets.set(end.key, start + i * step));
    }
  }

  const links: LinkPath[] = linkEnds.map(({ link, upper, lower }) => {
    const ux = offsets.get(`${link.id}:u`) ?? centreX(upper);
    const lx = offsets.get(`${link.id}:l`) ?? centreX(lower);
    let path: { d: string; mid: Point };
    if (upper.y === lower.y) {
      // Same row: an arc below the two routers, deeper the further apart they are.
      const y = upper.y + upper.height;
      const depth = Math.min(48, 16 + Math.abs(lx - ux) * 0.12);
      path = curve({ x: ux, y }, { x: ux, y: y + depth }, { x: lx, y: y + depth }, { x: lx, y });
    } else {
      const y0 = upper.y + upper.height;
      const y1 = lower.y;
      const bend = (y1 - y0) * 0.5;
      path = curve({ x: ux, y: y0 }, { x: ux, y: y0 + bend }, { x: lx, y: y1 - bend }, { x: lx, y: y1 });
    }
    // Paths run from the A end to the B end, whichever is on top.
    const reversed = devices.get(link.a.deviceId) !== upper;
    return { link, d: reversed ? reversePath(path.d) : path.d, mid: path.mid };
  });

  const bundleList: LinkBundle[] = [];
  for (const bundle of bundles.values()) {
    const device = devices.get(bundle.deviceId);
    const box = boxById.get(bundle.unitId);
    if (!device || !box) continue;
    const dx = offsets.get(`${bundle.id}:d`) ?? centreX(device);
    const downward = box.y > device.y;
    const y0 = downward ? device.y + device.height : device.y;
    const y1 = downward ? box.y : box.y + box.height;
    const bend = (y1 - y0) * 0.5;
    const path = curve(
      { x: dx, y: y0 },
      { x: dx, y: y0 + bend },
      { x: centreX(box), y: y1 - bend },
      { x: centreX(box), y: y1 },
    );
    bundleList.push({ ...bundle, d: path.d, mid: path.mid });
  }

  return {
    width: Math.ceil(width),
    height: Math.ceil(height),
    units: boxes,
    devices: placed,
    links,
    bundles: bundleList,
    rows,
    folded: fold,
  };
}

/** Reverses a path of the form `M x0,y0 C x1,y1 x2,y2 x3,y3`, so that it starts at the other end. */
function reversePath(d: string): string {
  const numbers = d.match(/-?\d+(\.\d+)?/g) ?? [];
  if (numbers.length !== 8) return d;
  const [x0, y0, x1, y1, x2, y2, x3, y3] = numbers;
  return `M${x3},${y3} C${x2},${y2} ${x1},${y1} ${x0},${y0}`;
}
