import { describe, expect, it } from 'vitest';
import { linkColours } from '../common/link-style.js';
import type { LinkView, Topology } from '../data/network.js';
import { generateProvince } from '../components/topology-fixture.js';
import { layoutTopology } from '../components/topology-layout.js';
import { labelScales, labelTiers, sameLabelTiers, topologyGraph, topologyOption } from './topology-option.js';
import type { TopologyOptionInput } from './topology-option.js';

const text = { outsideScope: 'Outside your scope', failedOver: 'FAILED OVER' };

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
    utilisation: { inPercent: 10, outPercent: 20, maxPercent: 20 },
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
    { id: 'p', parentId: null, level: 'province', name: '四川省' },
    { id: 'c', parentId: 'p', level: 'city', name: '成都市' },
    { id: 'k', parentId: 'c', level: 'county', name: '双流区' },
  ],
  devices: [
    { id: 'p-a', name: 'p-a', orgUnitId: 'p', role: 'core', plane: 'A', reachable: true },
    { id: 'c-a', name: 'c-a', orgUnitId: 'c', role: 'aggregation', plane: 'A', reachable: true },
    { id: 'c-b', name: 'c-b', orgUnitId: 'c', role: 'aggregation', plane: 'B', reachable: true },
    { id: 'k-a', name: 'k-a', orgUnitId: 'k', role: 'access', plane: 'A', reachable: false },
  ],
  links: [
    link('up', 'c-a', 'p-a', {
      pairId: 'c-up',
      active: false,
      failedOver: true,
      status: 'down',
      utilisation: null,
    }),
    link('backup', 'c-b', 'p-a', {
      role: 'backup',
      plane: 'B',
      pairId: 'c-up',
      active: true,
      failedOver: true,
    }),
    link('busy', 'k-a', 'c-a', { utilisation: { inPercent: 90, outPercent: 10, maxPercent: 90 } }),
    link('gone', 'k-a', 'c-b', { status: 'unknown', utilisation: null }),
  ],
};

const input = (scale: number, extra: Partial<TopologyOptionInput> = {}): TopologyOptionInput => ({
  layout: layoutTopology(small),
  scale,
  text,
  ...extra,
});

const edgeOf = (graph: ReturnType<typeof topologyGraph>, id: string) => {
  const edge = graph.edges.find((e) => e.ref.id === id);
  if (!edge) throw new Error(`no edge ${id}`);
  return edge;
};

describe('topology option', () => {
  it('colours links by status and utilisation and dashes backups', () => {
    const graph = topologyGraph(input(1));
    expect(edgeOf(graph, 'up').lineStyle.color).toBe(linkColours.down);
    expect(edgeOf(graph, 'up').lineStyle.type).toBe('solid');
    expect(edgeOf(graph, 'backup').lineStyle.type).toBe('dashed');
    expect(edgeOf(graph, 'backup').lineStyle.color).toBe(linkColours.low);
    expect(edgeOf(graph, 'busy').lineStyle.color).toBe(linkColours.high);
    expect(edgeOf(graph, 'gone').lineStyle.color).toBe(linkColours.unknown);
    // The member carrying the traffic is thicker than its standby.
    expect(edgeOf(graph, 'backup').lineStyle.width).toBeGreaterThan(edgeOf(graph, 'up').lineStyle.width);
  });

  it('marks a failed-over pair once, on its backup', () => {
    const graph = topologyGraph(input(1));
    expect(edgeOf(graph, 'backup').label?.formatter).toBe('FAILED OVER');
    expect(edgeOf(graph, 'up').label).toBeUndefined();
  });

  it('joins each edge to the nodes of its routers, at the layout positions', () => {
    const layout = layoutTopology(small);
    const graph = topologyGraph({ layout, scale: 1, text });
    const busy = edgeOf(graph, 'busy');
    expect(graph.nodes[busy.source]?.ref).toEqual({ kind: 'device', id: 'k-a' });
    expect(graph.nodes[busy.target]?.ref).toEqual({ kind: 'device', id: 'c-a' });
    const node = graph.nodes.find((n) => n.ref.id === 'k-a');
    const device = layout.devices.find((d) => d.id === 'k-a');
    expect([node?.x, node?.y]).toEqual([device?.x, device?.y]);
    expect(node?.itemStyle.color).toBe(linkColours.down);
  });

  it('hides county and router names when zoomed out and shows them when zoomed in', () => {
    const label = (scale: number, id: string) =>
      topologyGraph(input(scale)).nodes.find((n) => n.ref.id === id)?.label.show;
    expect(label(0.1, 'p')).toBe(true);
    expect(label(0.1, 'c')).toBe(true);
    // Zoomed out, a county is drawn by its routers (and folded group): no marker without its name.
    expect(label(0.1, 'k')).toBeUndefined();
    expect(label(0.1, 'k-a')).toBe(false);
    expect(label(labelScales.counties, 'k')).toBe(true);
    expect(label(labelScales.counties, 'k-a')).toBe(false);
    expect(label(labelScales.routers, 'k-a')).toBe(true);
    // The selected node shows its name at any scale.
    expect(
      topologyGraph(input(0.1, { selected: 'k-a' })).nodes.find((n) => n.ref.id === 'k-a')?.label.show,
    ).toBe(true);
    expect(topologyGraph(input(0.1, { selected: 'k' })).nodes.find((n) => n.ref.id === 'k')?.label.show).toBe(
      true,
    );
    expect(labelTiers(Number.NaN).counties).toBe(false);
    expect(sameLabelTiers(0.1, 0.2)).toBe(true);
    expect(sameLabelTiers(0.1, labelScales.counties)).toBe(false);
  });

  it('draws a Sichuan-sized province folded: folded groups with counts, bundles dashed when all backup', () => {
    const layout = layoutTopology(generateProvince());
    const option = topologyOption({ layout, scale: 0.25, text, zoom: 2, center: [10, 20] });
    const series = (option.series as Record<string, unknown>[])[0] as {
      type: string;
      layout: string;
      roam: boolean;
      zoom: number;
      center: number[];
      data: { ref: { kind: string }; label: { show: boolean } }[];
      links: { ref: { kind: string }; lineStyle: { type: string } }[];
    };
    expect([series.type, series.layout, series.roam, series.zoom, series.center]).toEqual([
      'graph',
      'none',
      true,
      2,
      [10, 20],
    ]);
    expect(series.data.filter((n) => n.ref.kind === 'group')).toHaveLength(183);
    expect(series.links).toHaveLength(layout.links.length + layout.bundles.length);
    const bundles = series.links.filter((l) => l.ref.kind === 'bundle');
    expect(bundles.filter((b) => b.lineStyle.type === 'dashed')).toHaveLength(183);
    const shown = series.data.filter((n) => n.label.show).length;
    expect(shown).toBe(1 + 21);
    // The province's first frame: the province and its cities marked, the 183 counties by their
    // routers and folded groups only.
    const units = series.data.filter((n) => n.ref.kind === 'unit');
    expect(units).toHaveLength(1 + 21);
    expect(series.data).toHaveLength(22 + layout.devices.length + 183);
    const zoomedIn = topologyGraph({ layout, scale: labelScales.counties, text });
    expect(zoomedIn.nodes.filter((n) => n.ref.kind === 'unit')).toHaveLength(1 + 21 + 183);
  });
});
