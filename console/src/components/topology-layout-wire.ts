/**
 * The topology layout as it crosses from the layout worker (`topology-layout.worker.ts`) to the
 * page: the same `TopologyLayout`, except that links are named by their index in the topology's
 * `links` rather than copied, so the page gets its own `LinkView` objects back (and the copy is small).
 * Pure; unit-tested.
 */
import type { LinkView, Topology } from '../data/network.js';
import type { LayoutLink, LinkBundle, TopologyLayout } from './topology-layout.js';

/**
 * What the page asks the worker: one layout with these options, of the topology's org units and
 * routers as they are and of just the parts of its links the layout reads, in columns (copying
 * thousands of whole `LinkView`s into the worker would cost the page more than the layout itself).
 */
export interface LayoutRequest {
  id: number;
  orgUnits: Topology['orgUnits'];
  devices: Topology['devices'];
  links: LinkColumns;
  collapse: boolean | 'auto';
  expanded: string[];
}

/** Link `i`: ends `ends[4i..4i+3]` (a's device id and name, b's), `status[i]`, `role[i]`. */
export interface LinkColumns {
  ends: string[];
  status: LinkView['status'][];
  role: LinkView['role'][];
}

export function linkColumns(links: readonly LinkView[]): LinkColumns {
  const ends: string[] = new Array<string>(links.length * 4);
  const status: LinkView['status'][] = new Array<LinkView['status']>(links.length);
  const role: LinkView['role'][] = new Array<LinkView['role']>(links.length);
  for (let i = 0; i < links.length; i += 1) {
    const link = links[i] as LinkView;
    ends[4 * i] = link.a.deviceId;
    ends[4 * i + 1] = link.a.deviceName;
    ends[4 * i + 2] = link.b.deviceId;
    ends[4 * i + 3] = link.b.deviceName;
    status[i] = link.status;
    role[i] = link.role;
  }
  return { ends, status, role };
}

/**
 * The topology the worker lays out: its links carry only what the layout reads (ends, status,
 * role). They stand in for the page's `LinkView`s only inside the worker, which answers with their
 * indices (`toWire`), never with them.
 */
export function requestTopology(request: LayoutRequest): Topology {
  const { ends, status, role } = request.links;
  const links = status.map((linkStatus, i) => ({
    a: { deviceId: ends[4 * i] ?? '', deviceName: ends[4 * i + 1] ?? '' },
    b: { deviceId: ends[4 * i + 2] ?? '', deviceName: ends[4 * i + 3] ?? '' },
    status: linkStatus,
    role: role[i] ?? 'primary',
  }));
  return { orgUnits: request.orgUnits, devices: request.devices, links: links as unknown as LinkView[] };
}

export interface WireLayout extends Omit<TopologyLayout, 'links' | 'bundles'> {
  links: (Omit<LayoutLink, 'link'> & { link: number })[];
  bundles: (Omit<LinkBundle, 'links'> & { links: number[] })[];
}

/** The worker's answer: the layout, or why there is none. */
export type LayoutResponse = { id: number; layout: WireLayout } | { id: number; error: string };

/** The layout with each link replaced by its index in `topology.links`. */
export function toWire(layout: TopologyLayout, topology: Topology): WireLayout {
  const index = new Map<LinkView, number>();
  topology.links.forEach((link, i) => index.set(link, i));
  const indexOf = (link: LinkView): number => {
    const i = index.get(link);
    if (i === undefined) throw new Error(`the layout drew link ${link.id}, which is not in the topology`);
    return i;
  };
  return {
    ...layout,
    links: layout.links.map((l) => ({ link: indexOf(l.link), source: l.source, target: l.target })),
    bundles: layout.bundles.map((b) => ({ ...b, links: b.links.map(indexOf) })),
  };
}

/** The layout again, its links the topology's own objects; throws when an index does not fit. */
export function fromWire(wire: WireLayout, topology: Topology): TopologyLayout {
  const linkAt = (i: number): LinkView => {
    const link = topology.links[i];
    if (!link) throw new Error(`the layout names link #${i}; the topology has ${topology.links.length}`);
    return link;
  };
  return {
    ...wire,
    links: wire.links.map((l) => ({ link: linkAt(l.link), source: l.source, target: l.target })),
    bundles: wire.bundles.map((b) => ({ ...b, links: b.links.map(linkAt) })),
  };
}
