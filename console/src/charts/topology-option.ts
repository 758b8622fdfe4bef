/**
 * The ECharts option of the topology map: one `graph` series with the positions of the radial layout
 * (`layout: 'none'`), zoom and pan (`roam`), and no animation. Org units are small markers with their
 * names, routers circles (white, red when unreachable, dashed when not known), folded townships a
 * box with their count (an org unit's marker is drawn only where its name is, so at the province's
 * scale the counties are their routers and folded groups); links are coloured by `common/link-style.ts` (down red, by utilisation when
 * up), backups dashed, the member of a pair carrying the traffic thicker. Which names are drawn
 * depends on the scale of the view (`labelTiers`): cities from the first view, counties and folded
 * groups when zoomed in a little, townships and routers when zoomed in further; ECharts hides the
 * labels that would still overlap. Pure, unit-tested.
 */
import { linkColour, linkColours, linkStroke } from '../common/link-style.js';
import type { TopologyLayout } from '../components/topology-layout.js';
import type { ChartOption, GraphSeriesOption } from './option.js';

/** What a node or an edge of the chart stands for, kept on its data item for clicks and tooltips. */
export type TopologyRef =
  | { kind: 'unit'; id: string }
  | { kind: 'device'; id: string }
  | { kind: 'group'; id: string }
  | { kind: 'link'; id: string }
  | { kind: 'bundle'; id: string };

export interface TopologyOptionInput {
  layout: TopologyLayout;
  /** CSS pixels per layout unit of the current view (fitted scale × zoom). */
  scale: number;
  /** Zoom and centre to keep when the option is replaced (from the chart's last roam). */
  zoom?: number;
  center?: [number, number];
  /** The node found by search or clicked, drawn highlighted with its label. */
  selected?: string;
  /** Texts in the console's language. */
  text: {
    /** The name of the unit that holds routers outside the caller's scope. */
    outsideScope: string;
    /** The mark on a pair that failed over to its backup. */
    failedOver: string;
  };
}

/** Which labels are candidates at a scale; ECharts hides the ones that still overlap. */
export interface LabelTiers {
  cities: boolean;
  counties: boolean;
  townships: boolean;
  routers: boolean;
  bundleCounts: boolean;
}

/** Scales (CSS pixels per layout unit) from which each kind of label is drawn. */
export const labelScales = {
  counties: 0.45,
  townships: 0.9,
  routers: 1.6,
} as const;

export function labelTiers(scale: number): LabelTiers {
  const s = Number.isFinite(scale) && scale > 0 ? scale : 0;
  return {
    cities: true,
    counties: s >= labelScales.counties,
    townships: s >= labelScales.townships,
    routers: s >= labelScales.routers,
    bundleCounts: s >= labelScales.counties,
  };
}

/** A change of zoom needs a new option only when it changes which labels are drawn. */
export function sameLabelTiers(a: number, b: number): boolean {
  const x = labelTiers(a);
  const y = labelTiers(b);
  return x.counties === y.counties && x.townships === y.townships && x.routers === y.routers;
}

export interface TopologyNode {
  id: string;
  name: string;
  x: number;
  y: number;
  symbol: string;
  symbolSize: number | [number, number];
  itemStyle: { color: string; borderColor: string; borderWidth: number; borderType?: 'dashed' | 'solid' };
  label: {
    show: boolean;
    position?: 'left' | 'right' | 'top' | 'bottom' | 'inside';
    formatter?: string;
    fontWeight?: number;
    fontSize?: number;
    color?: string;
  };
  ref: TopologyRef;
  z?: number;
}

export interface TopologyEdge {
  source: number;
  target: number;
  lineStyle: { color: string; width: number; type: 'solid' | 'dashed'; opacity?: number };
  label?: {
    show: boolean;
    formatter: string;
    color?: string;
    backgroundColor?: string;
    padding?: number[];
    borderRadius?: number;
    fontSize?: number;
  };
  ref: TopologyRef;
}

const unitMarkerColour = '#5b6876';
const selectedColour = '#2a6fd6';
const planeColours = { A: '#3b5573', B: '#7a4fa3', none: '#8d9aa7' } as const;

const routerSize: Record<string, number> = {
  province: 16,
  city: 12,
  county: 9,
  township: 7,
  village: 6,
  external: 8,
};

/** The nodes and edges of the graph; exported for tests and the accessible list. */
export function topologyGraph(input: TopologyOptionInput): { nodes: TopologyNode[]; edges: TopologyEdge[] } {
  const { layout, selected, text } = input;
  const tiers = labelTiers(input.scale);
  const nodes: TopologyNode[] = [];
  const index = new Map<string, number>();
  const unitLevel = new Map<string, string>();
  const side = (x: number): 'left' | 'right' => (x < 0 ? 'left' : 'right');

  for (const unit of layout.units) {
    unitLevel.set(unit.id, unit.level);
    const show =
      unit.external || unit.depth === 0
        ? true
        : unit.level === 'city'
          ? tiers.cities
          : unit.level === 'county'
            ? tiers.counties
            : unit.level === 'township' || unit.level === 'village'
              ? tiers.townships
              : tiers.counties;
    const isSelected = selected === unit.id;
    // An org unit's marker only with its name: at the province's scale the counties' markers would
    // be hundreds of nodes more to draw, and their routers and folded groups already stand there.
    if (!show && !isSelected) continue;
    const major = unit.depth === 0 || unit.level === 'city';
    index.set(`unit:${unit.id}`, nodes.length);
    nodes.push({
      id: `unit:${unit.id}`,
      name: unit.external ? text.outsideScope : unit.name,
      x: unit.x,
      y: unit.y,
      symbol: 'roundRect',
      symbolSize: isSelected ? 10 : major ? 6 : 4,
      itemStyle: {
        color: isSelected ? selectedColour : unitMarkerColour,
        borderColor: isSelected ? selectedColour : unitMarkerColour,
        borderWidth: 0,
      },
      label: {
        show: true,
        position: unit.depth === 0 && !unit.external ? 'top' : side(unit.x),
        fontWeight: major || isSelected ? 600 : 400,
        fontSize: major ? 13 : 11,
        ...(isSelected ? { color: selectedColour } : {}),
      },
      ref: { kind: 'unit', id: unit.id },
      ...(isSelected ? { z: 10 } : {}),
    });
  }

  for (const device of layout.devices) {
    const level = unitLevel.get(device.unitId) ?? 'county';
    const isSelected = selected === device.id;
    const plane = device.plane ?? 'none';
    index.set(`device:${device.id}`, nodes.length);
    nodes.push({
      id: `device:${device.id}`,
      name: device.name,
      x: device.x,
      y: device.y,
      symbol: 'circle',
      symbolSize: (routerSize[level] ?? 8) + (isSelected ? 6 : 0),
      itemStyle: {
        color: device.reachable === false ? linkColours.down : '#ffffff',
        borderColor: isSelected
          ? selectedColour
          : device.reachable === false
            ? linkColours.down
            : planeColours[plane],
        borderWidth: isSelected ? 3 : 1.5,
        borderType: device.reachable === null ? 'dashed' : 'solid',
      },
      label: {
        show: tiers.routers || isSelected,
        position: 'bottom',
        fontSize: 10,
        ...(isSelected ? { color: selectedColour } : {}),
      },
      ref: { kind: 'device', id: device.id },
      ...(isSelected ? { z: 10 } : {}),
    });
  }

  for (const group of layout.groups) {
    const colour =
      group.worst === 'down'
        ? linkColours.down
        : group.worst === 'unknown'
          ? linkColours.unknown
          : linkColours.low;
    const isSelected = selected === group.id;
    index.set(`group:${group.id}`, nodes.length);
    nodes.push({
      id: `group:${group.id}`,
      name: String(group.units),
      x: group.x,
      y: group.y,
      symbol: 'roundRect',
      symbolSize: [22, 14],
      itemStyle: {
        color: '#ffffff',
        borderColor: isSelected ? selectedColour : colour,
        borderWidth: isSelected ? 3 : 2,
      },
      label: {
        show: tiers.counties || isSelected,
        position: 'inside',
        fontSize: 10,
        fontWeight: 600,
        formatter: String(group.units),
      },
      ref: { kind: 'group', id: group.id },
    });
  }

  const edges: TopologyEdge[] = [];
  // A failed-over pair is marked once, on its backup (or on a failed-over link without a partner).
  const backupFailed = new Set(
    layout.links
      .filter((l) => l.link.failedOver && l.link.role === 'backup' && l.link.pairId !== null)
      .map((l) => l.link.pairId),
  );
  for (const { link, source, target } of layout.links) {
    const s = index.get(`device:${source}`);
    const t = index.get(`device:${target}`);
    if (s === undefined || t === undefined) continue;
    const stroke = linkStroke(link);
    const marked =
      link.failedOver && (link.role === 'backup' || link.pairId === null || !backupFailed.has(link.pairId));
    edges.push({
      source: s,
      target: t,
      lineStyle: {
        color: stroke.color,
        width: stroke.width,
        type: stroke.dash ? 'dashed' : 'solid',
        opacity: 0.9,
      },
      ...(marked
        ? {
            label: {
              show: tiers.counties,
              formatter: text.failedOver,
              color: '#ffffff',
              backgroundColor: '#8a4b00',
              padding: [2, 5],
              borderRadius: 8,
              fontSize: 9,
            },
          }
        : {}),
      ref: { kind: 'link', id: link.id },
    });
  }
  for (const bundle of layout.bundles) {
    const s = index.get(`device:${bundle.deviceId}`);
    const t = index.get(`group:${bundle.groupId}`);
    if (s === undefined || t === undefined) continue;
    edges.push({
      source: s,
      target: t,
      lineStyle: {
        color: linkColour({ status: bundle.worst, utilisation: null }),
        width: 2.5,
        type: bundle.backup ? 'dashed' : 'solid',
        opacity: 0.9,
      },
      label: {
        show: tiers.bundleCounts && bundle.links.length > 1,
        formatter: String(bundle.links.length),
        fontSize: 9,
      },
      ref: { kind: 'bundle', id: bundle.id },
    });
  }
  return { nodes, edges };
}

/** The whole option of `<ts-chart>` for the topology map. */
export function topologyOption(input: TopologyOptionInput): ChartOption {
  const { nodes, edges } = topologyGraph(input);
  const series: GraphSeriesOption = {
    type: 'graph',
    id: 'topology',
    layout: 'none',
    coordinateSystem: 'view',
    roam: true,
    scaleLimit: { min: 0.5, max: 60 },
    // Symbols keep their size on screen; zooming in spreads them apart. (ECharts 6 reads 0 as 1.)
    nodeScaleRatio: 0.001,
    animation: false,
    ...(input.zoom !== undefined ? { zoom: input.zoom } : {}),
    ...(input.center ? { center: input.center } : {}),
    data: nodes as unknown as GraphSeriesOption['data'],
    links: edges as unknown as GraphSeriesOption['links'],
    label: { color: '#1d2733', fontSize: 11, distance: 4 },
    edgeLabel: { fontSize: 9, color: '#1d2733' },
    labelLayout: { hideOverlap: true },
    emphasis: { focus: 'adjacency', lineStyle: { width: 5 } },
    lineStyle: { curveness: 0 },
  };
  return { animation: false, series: [series] };
}
