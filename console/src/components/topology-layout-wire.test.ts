import { describe, expect, it } from 'vitest';
import { generateProvince } from './topology-fixture.js';
import { layoutTopology } from './topology-layout.js';
import { fromWire, linkColumns, requestTopology, toWire } from './topology-layout-wire.js';
import type { LayoutRequest, WireLayout } from './topology-layout-wire.js';

const province = generateProvince();

/** What the worker does with a request, without the worker (structuredClone stands in for postMessage). */
function throughTheWire(collapse: boolean | 'auto', expanded: string[]) {
  const request: LayoutRequest = structuredClone({
    id: 1,
    orgUnits: province.orgUnits,
    devices: province.devices,
    links: linkColumns(province.links),
    collapse,
    expanded,
  });
  const topology = requestTopology(request);
  const layout = layoutTopology(topology, { collapse, expanded: new Set(expanded) });
  const wire: WireLayout = structuredClone(toWire(layout, topology));
  return fromWire(wire, province);
}

describe('the layout worker wire', () => {
  it('gives the layout the page would compute itself, folded and with a county open', () => {
    const county = province.orgUnits.find((u) => u.level === 'county');
    expect(county).toBeDefined();
    for (const [collapse, expanded] of [
      ['auto', []],
      ['auto', [county?.id ?? '']],
      [false, []],
    ] as const) {
      const direct = layoutTopology(province, { collapse, expanded: new Set(expanded) });
      const wired = throughTheWire(collapse, [...expanded]);
      expect(wired).toEqual(direct);
    }
    // Six layouts of a Sichuan-sized province: more than the default 5 s on a busy machine.
  }, 60_000);

  it("hands back the page's own link objects, not copies", () => {
    const wired = throughTheWire('auto', []);
    expect(wired.links.length).toBeGreaterThan(0);
    expect(wired.bundles.length).toBeGreaterThan(0);
    const own = new Set(province.links);
    expect(wired.links.every((l) => own.has(l.link))).toBe(true);
    expect(wired.bundles.every((b) => b.links.every((l) => own.has(l)))).toBe(true);
  });

  it('refuses an answer that names a link the topology does not have', () => {
    const layout = layoutTopology(province, { collapse: 'auto' });
    const wire = toWire(layout, province);
    const shorter = { ...province, links: province.links.slice(0, 10) };
    expect(() => fromWire(wire, shorter)).toThrow(/names link #\d+; the topology has 10/);
  });

  it('refuses to send a layout whose links are not those of the topology', () => {
    const layout = layoutTopology(province, { collapse: 'auto' });
    const other = { ...province, links: province.links.map((l) => ({ ...l })) };
    expect(() => toWire(layout, other)).toThrow(/is not in the topology/);
  });
});

describe('layoutInWorker without Web Workers', () => {
  it('computes the layout on the main thread and says so', async () => {
    const { layoutInWorker, workerLayoutAvailable } = await import('./topology-layout-async.js');
    expect(workerLayoutAvailable()).toBe(false);
    const warnings: unknown[] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => warnings.push(args.join(' '));
    try {
      const layout = await layoutInWorker(province, { collapse: 'auto', expanded: new Set() }).done;
      expect(layout).toEqual(layoutTopology(province, { collapse: 'auto' }));
    } finally {
      console.warn = warn;
    }
    expect(warnings).toEqual(['topology layout on the main thread: this browser has no Web Workers']);
  });
});
