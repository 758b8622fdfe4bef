import { LitElement, css, html, nothing } from 'lit';
import type { PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { guard } from 'lit/directives/guard.js';
import { localized, msg, str } from '@lit/localize';
import { formatBitRate, formatCount } from '../common/format.js';
import { linkStroke } from '../common/link-style.js';
import { sharedStyles } from '../common/styles.js';
import { currentLocale } from '../i18n/locale.js';
import type { LinkView, Topology } from '../data/network.js';
import type { ChartClickDetail, ChartOption } from '../charts/option.js';
import { labelScales, sameLabelTiers, topologyOption } from '../charts/topology-option.js';
import type { TopologyRef } from '../charts/topology-option.js';
import '../charts/ts-chart.js';
import type { TsChart } from '../charts/ts-chart.js';
import { foldingParent, layoutTopology } from './topology-layout.js';
import { layoutInWorker, prepareLayoutWorker, workerLayoutAvailable } from './topology-layout-async.js';
import type { LayoutJob } from './topology-layout-async.js';
import type { DeviceNode, FoldedGroup, LinkBundle, TopologyLayout, UnitNode } from './topology-layout.js';
import { createTopologySearch } from './topology-search.js';
import type { SearchMatch, TopologySearch } from './topology-search.js';
import {
  activeText,
  levelText,
  planeText,
  roleText,
  statusText,
  tierText,
  utilisationText,
} from './topology-text.js';

let prepared = false;

/**
 * Starts what the map's first picture needs before the topology is there: ECharts and its graph
 * series (both chunks at once: the graph's need not wait for the engine's; `<ts-chart>` then finds
 * them loaded) and the layout worker. The topology page calls it while it fetches the topology; the
 * map calls it when it is put on the page. Harmless to call again.
 */
export function prepareTopologyMap(): void {
  if (!prepared) {
    prepared = true;
    void Promise.all([import('../charts/engine.js'), import('../charts/extras/graph.js')]).then(([engine]) =>
      engine.prepare({ series: [{ type: 'graph' }] }),
    );
  }
  prepareLayoutWorker();
}

export interface LinkOpenDetail {
  linkId: string;
}

/** The part of ECharts' instance the map uses beyond `<ts-chart>`'s option. */
interface GraphChart {
  on(event: string, handler: (params: unknown) => void): void;
  dispatchAction(payload: Record<string, unknown>): void;
  convertToPixel(finder: { seriesIndex: number }, value: number[]): number[] | number;
  getWidth(): number;
  getHeight(): number;
  getModel?: () => { getSeriesByIndex(index: number): { get(key: string): unknown } | undefined };
}

/** The properties the chart's option is built from. */
const optionInputs = new Set(['topology', 'collapse', '_expanded', '_selected', '_scale']);

/** One wheel notch or button press zooms by this factor. */
const zoomStep = 1.5;

const escapeHtml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );

/**
 * The extranet as a zoomable graph (ECharts `graph` series in `<ts-chart>`, canvas): the radial layout
 * of `topology-layout.ts`, townships folded per county when there are many (click a county or its
 * folded group to open it), names shown by zoom level, links coloured by status and utilisation,
 * backups dashed. Wheel and drag zoom and pan; the buttons zoom in, out and back to the whole
 * province. The search box finds an org unit or router by name or management address; choosing a
 * match opens its county, centres and highlights it. Clicking a link opens its detail.
 *
 * Below the chart, a visually hidden list of what is drawn (units, routers, links with their state,
 * folded groups and bundles) serves screen readers and tests.
 *
 * @fires ts-link-open - A link was chosen; the page opens its detail.
 */
@localized()
@customElement('ts-topology-map')
export class TsTopologyMap extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
        position: relative;
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 8px;
        padding: 8px 12px;
        border-bottom: 1px solid var(--ts-border, #d8dee5);
      }
      .search {
        position: relative;
        flex: 0 1 320px;
      }
      .search input {
        width: 100%;
        box-sizing: border-box;
      }
      .results {
        position: absolute;
        z-index: 5;
        top: calc(100% + 2px);
        left: 0;
        right: 0;
        max-height: 320px;
        overflow: auto;
        margin: 0;
        padding: 4px 0;
        list-style: none;
        border: 1px solid var(--ts-border-strong, #c3ccd6);
        border-radius: 4px;
        background: #fff;
        box-shadow: 0 4px 14px rgba(18, 27, 37, 0.16);
      }
      .results button {
        display: flex;
        justify-content: space-between;
        gap: 10px;
        width: 100%;
        padding: 4px 10px;
        border: 0;
        background: none;
        font: inherit;
        font-size: 12px;
        text-align: left;
        cursor: pointer;
      }
      .results button:hover,
      .results button:focus-visible,
      .results li[aria-selected='true'] button {
        background: var(--ts-accent-soft, #e6effb);
      }
      .results .detail {
        color: var(--ts-text-muted, #5b6876);
      }
      .results .none {
        padding: 4px 10px;
        font-size: 12px;
        color: var(--ts-text-muted, #5b6876);
      }
      .zoom {
        display: inline-flex;
        gap: 4px;
      }
      .zoom button {
        min-width: 30px;
      }
      .hint {
        font-size: 12px;
        color: var(--ts-text-muted, #5b6876);
      }
      ts-chart {
        height: var(--ts-topology-height, 70vh);
        min-height: 420px;
      }
    `,
  ];

  @property({ attribute: false }) topology?: Topology;

  /** Fold the townships of each county: always, never or when there are many. */
  @property({ attribute: false }) collapse: boolean | 'auto' = 'auto';

  @state() private _expanded: ReadonlySet<string> = new Set();

  @state() private _selected?: string;

  @state() private _query = '';

  @state() private _active = 0;

  /** CSS pixels per layout unit; changes of it that change the labels drawn re-render. */
  @state() private _scale = 0;

  /** The accessible list is drawn once the chart is, so that it does not delay the picture. */
  @state() private _listShown = false;

  @query('ts-chart') private _chartElement?: TsChart;

  private _layout?: TopologyLayout;
  /** The first layout, computed in a worker while ECharts loads; with the inputs it was asked for. */
  private _job?: {
    job: LayoutJob;
    topology: Topology;
    collapse: boolean | 'auto';
    expanded: ReadonlySet<string>;
  };
  private _workerTried = false;
  private _search?: TopologySearch;
  private _option?: ChartOption;
  private _zoom?: number;
  private _center?: [number, number];
  private _hooked?: GraphChart;
  private _observer?: MutationObserver;
  private _lookup = {
    units: new Map<string, UnitNode>(),
    devices: new Map<string, DeviceNode>(),
    groups: new Map<string, FoldedGroup>(),
    links: new Map<string, LinkView>(),
    bundles: new Map<string, LinkBundle>(),
  };

  /** The layout drawn, for tests and the bench. */
  get layout(): TopologyLayout | undefined {
    return this._layout;
  }

  override connectedCallback() {
    super.connectedCallback();
    prepareTopologyMap();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this._observer?.disconnect();
    this._observer = undefined;
    this._hooked = undefined;
  }

  protected override willUpdate(changed: PropertyValues) {
    // The search index is built on the first query, not with the picture.
    if (changed.has('topology')) this._search = undefined;
    if ((changed.has('topology') || changed.has('collapse') || changed.has('_expanded')) && this.topology) {
      const topology = this.topology;
      const inputs = { collapse: this.collapse, expanded: this._expanded };
      const pending = this._job;
      if (
        pending &&
        pending.topology === topology &&
        pending.collapse === inputs.collapse &&
        pending.expanded === inputs.expanded
      ) {
        // Still on its way.
      } else if (!this._layout && !this._workerTried && workerLayoutAvailable()) {
        // The first picture: the layout in a worker while ECharts loads and starts on this thread.
        this._workerTried = true;
        const job = layoutInWorker(topology, inputs);
        const entry = { job, topology, ...inputs };
        this._job = entry;
        void job.done.then((layout) => {
          if (this._job !== entry) return;
          this._job = undefined;
          this._setLayout(layout);
          this.requestUpdate();
        });
      } else {
        // Later layouts (a county opened, new data) are quick on the main thread, and reveal() and
        // clicks expect them at once.
        pending?.job.cancel();
        this._job = undefined;
        this._setLayout(layoutTopology(topology, inputs));
      }
    }
    // A new option (a full redraw of the chart) only for what the chart shows; typing in the search
    // box or the hidden list appearing leave it as it is. No changes at all: the language switched,
    // or `fit()` asked for the whole picture.
    const redraw = changed.size === 0 || [...changed.keys()].some((k) => optionInputs.has(k as string));
    // The first option waits for the chart's size (see `updated`): built for a guessed size, it
    // would be drawn twice when the names drawn at the real size differ.
    if (this._layout && redraw && this._scale > 0) {
      const option = topologyOption({
        layout: this._layout,
        scale: this._scale,
        ...(this._zoom !== undefined ? { zoom: this._zoom } : {}),
        ...(this._center ? { center: this._center } : {}),
        ...(this._selected ? { selected: this._selected } : {}),
        text: {
          outsideScope: msg('Outside your scope', { id: 'topology.outsideScope' }),
          failedOver: msg('FAILED OVER', { id: 'topology.failedOver' }),
        },
      });
      this._option = {
        ...option,
        tooltip: {
          trigger: 'item',
          confine: true,
          enterable: false,
          formatter: (params: unknown) => this._tooltip(params),
        },
      };
    }
  }

  private _setLayout(l: TopologyLayout) {
    this._layout = l;
    this._lookup = {
      units: new Map(l.units.map((u) => [u.id, u])),
      devices: new Map(l.devices.map((d) => [d.id, d])),
      groups: new Map(l.groups.map((g) => [g.id, g])),
      links: new Map(l.links.map((x) => [x.link.id, x.link])),
      bundles: new Map(l.bundles.map((b) => [b.id, b])),
    };
    if (this._scale === 0) this._scale = this._measuredFitScale();
  }

  protected override updated() {
    if (this._layout && this._scale === 0) {
      // The element is on the page now, with the size the chart will have.
      this._scale = this._measuredFitScale() || this._fitScale();
      return;
    }
    this._hookChart();
    const l = this._layout;
    if (l) {
      this.dataset.linkCount = String(l.links.length);
      this.dataset.downLinks = String(l.links.filter((x) => x.link.status === 'down').length);
      this.dataset.nodeCount = String(l.units.length + l.devices.length + l.groups.length);
    }
  }

  override render() {
    const layout = this._layout;
    // While the first layout is computed, the chart's element is already there: ECharts loads into it
    // and its size is known when the layout arrives.
    if (!layout && !this._job) return nothing;
    const label = layout
      ? msg(
          str`Extranet topology: ${layout.units.length} org units, ${layout.devices.length} routers, ${layout.links.length} links`,
          { id: 'topology.map.label' },
        )
      : '';
    return html`${this._renderToolbar()}
      <ts-chart
        data-testid="topology-chart"
        .option=${this._option}
        .label=${label}
        @ts-chart-click=${this._onChartClick}
      ></ts-chart>
      ${layout && this._listShown ? guard([layout, currentLocale()], () => this._renderList(layout)) : nothing}`;
  }

  private _renderToolbar() {
    if (this._query && !this._search && this.topology) this._search = createTopologySearch(this.topology);
    const matches = this._query ? (this._search?.find(this._query, 30) ?? []) : [];
    const open = this._query.trim() !== '';
    return html`<div class="toolbar">
      <div class="search" role="search">
        <input
          type="search"
          data-testid="topology-search"
          role="combobox"
          aria-expanded=${open ? 'true' : 'false'}
          aria-controls="topology-results"
          aria-autocomplete="list"
          aria-label=${msg('Find a router or org unit', { id: 'topology.search.label' })}
          placeholder=${msg('Find a router, address or org unit', { id: 'topology.search.placeholder' })}
          .value=${this._query}
          @input=${(e: Event) => {
            this._query = (e.target as HTMLInputElement).value;
            this._active = 0;
          }}
          @keydown=${(e: KeyboardEvent) => this._onSearchKey(e, matches)}
        />
        ${
          open
            ? html`<ul class="results" id="topology-results" role="listbox">
                ${
                  matches.length === 0
                    ? html`<li class="none" data-testid="topology-search-none">
                        ${msg('Nothing matches', { id: 'topology.search.none' })}
                      </li>`
                    : matches.map(
                        (m, i) =>
                          html`<li
                            role="option"
                            aria-selected=${i === this._active ? 'true' : 'false'}
                            data-testid="topology-search-result"
                            data-kind=${m.kind}
                            data-id=${m.id}
                          >
                            <button type="button" tabindex="-1" @click=${() => this._choose(m)}>
                              <span>${m.name}</span>
                              <span class="detail"
                                >${
                                  m.kind === 'unit'
                                    ? levelText(m.detail)
                                    : m.managementAddress
                                      ? `${m.managementAddress} · ${m.detail}`
                                      : m.detail
                                }</span
                              >
                            </button>
                          </li>`,
                      )
                }
              </ul>`
            : nothing
        }
      </div>
      <div class="zoom" role="group" aria-label=${msg('Zoom', { id: 'topology.zoom.group' })}>
        <button
          type="button"
          data-testid="topology-zoom-in"
          title=${msg('Zoom in', { id: 'topology.zoom.in' })}
          aria-label=${msg('Zoom in', { id: 'topology.zoom.in' })}
          @click=${() => this._zoomBy(zoomStep)}
        >
          +
        </button>
        <button
          type="button"
          data-testid="topology-zoom-out"
          title=${msg('Zoom out', { id: 'topology.zoom.out' })}
          aria-label=${msg('Zoom out', { id: 'topology.zoom.out' })}
          @click=${() => this._zoomBy(1 / zoomStep)}
        >
          −
        </button>
        <button type="button" data-testid="topology-fit" @click=${this.fit}>
          ${msg('Fit', { id: 'topology.zoom.fit' })}
        </button>
      </div>
      <span class="hint"
        >${msg('Wheel to zoom, drag to pan; click a county to show its townships.', { id: 'topology.hint' })}</span
      >
    </div>`;
  }

  private _renderList(layout: TopologyLayout) {
    return html`<div class="visually-hidden" data-testid="topology-list">
      <h3>${msg('Org units', { id: 'topology.list.units' })}</h3>
      <ul>
        ${layout.units.map(
          (u) =>
            html`<li data-testid="topology-unit" data-org-unit-id=${u.id}>
              ${u.external ? msg('Outside your scope', { id: 'topology.outsideScope' }) : u.name} ·
              ${levelText(u.level)}
            </li>`,
        )}
        ${layout.groups.map(
          (g) =>
            html`<li data-testid="topology-folded" data-parent-id=${g.parentId}>${this._groupText(g)}</li>`,
        )}
      </ul>
      <h3>${msg('Routers', { id: 'topology.list.routers' })}</h3>
      <ul>
        ${layout.devices.map(
          (d) =>
            html`<li data-testid="topology-device" data-device-id=${d.id}>
              ${d.name}${d.managementAddress ? ` · ${d.managementAddress}` : ''}
              ${d.reachable === false ? html` · ${msg('unreachable', { id: 'topology.unreachable' })}` : nothing}
            </li>`,
        )}
      </ul>
      <h3>${msg('Links', { id: 'topology.list.links' })}</h3>
      <ul>
        ${layout.links.map(({ link }) => {
          const stroke = linkStroke(link);
          return html`<li
            data-testid="topology-link"
            data-link-id=${link.id}
            data-status=${link.status}
            data-failed-over=${link.failedOver ? 'true' : 'false'}
            data-role=${link.role}
          >
            <a href="/network/links/${encodeURIComponent(link.id)}">${link.name}</a>
            · ${statusText(link.status)} · ${roleText(link.role)} · ${activeText(link)}
            <span
              class="line"
              data-dashed=${stroke.dash ? 'true' : 'false'}
              style="stroke:${stroke.color}"
              aria-hidden="true"
            ></span>
          </li>`;
        })}
        ${layout.bundles.map(
          (b) =>
            html`<li data-testid="topology-bundle" data-status=${b.worst} data-count=${b.links.length}>
              ${msg(str`${b.links.length} links into folded org units`, { id: 'topology.bundle' })} ·
              ${statusText(b.worst)}
            </li>`,
        )}
      </ul>
    </div>`;
  }

  private _groupText(g: FoldedGroup): string {
    const count = this._countFormat();
    const units = count.format(g.units);
    const devices = count.format(g.devices);
    const links = count.format(g.links);
    const summary =
      g.level === 'village'
        ? msg(str`${units} villages folded · ${devices} routers · ${links} links`, {
            id: 'topology.folded.villages',
          })
        : msg(str`${units} townships folded · ${devices} routers · ${links} links`, {
            id: 'topology.folded.townships',
          });
    const down =
      g.down > 0
        ? msg(str`${g.down} down`, { id: 'topology.folded.down' })
        : msg('all links up', { id: 'topology.folded.allUp' });
    return `${summary} · ${down}`;
  }

  private _counts?: { locale: string; format: Intl.NumberFormat };

  /** One number format for the many counts of the list (creating one per number is slow). */
  private _countFormat(): Intl.NumberFormat {
    const locale = currentLocale();
    if (this._counts?.locale !== locale) this._counts = { locale, format: new Intl.NumberFormat(locale) };
    return this._counts.format;
  }

  /** The tooltip of a node or edge, as HTML (names from data escaped). */
  private _tooltip(params: unknown): string {
    const ref = (params as { data?: { ref?: TopologyRef } }).data?.ref;
    if (!ref) return '';
    const row = (term: string, value: string) =>
      `<tr><td style="color:#5b6876;padding-right:10px">${escapeHtml(term)}</td><td>${escapeHtml(value)}</td></tr>`;
    const box = (title: string, rows: string[]) =>
      `<div data-testid="topology-tooltip" style="font-size:12px"><div style="font-weight:600;margin-bottom:4px">${escapeHtml(title)}</div><table>${rows.join('')}</table></div>`;
    const l = this._lookup;
    switch (ref.kind) {
      case 'link': {
        const link = l.links.get(ref.id);
        if (!link) return '';
        const rows = [
          row(msg('Status', { id: 'topology.tip.status' }), statusText(link.status)),
          row(
            msg('Ends', { id: 'topology.tip.ends' }),
            `${link.a.deviceName} ${link.a.ifName} ↔ ${link.b.deviceName} ${link.b.ifName}`,
          ),
          row(
            msg('Role', { id: 'topology.tip.role' }),
            `${roleText(link.role)} · ${planeText(link.plane)} · ${levelText(link.level)}`,
          ),
          row(msg('Traffic', { id: 'topology.tip.traffic' }), activeText(link)),
          row(msg('Utilisation', { id: 'topology.tip.utilisation' }), utilisationText(link.utilisation)),
        ];
        if (link.bps) {
          const inRate = formatBitRate(link.bps.in);
          const outRate = formatBitRate(link.bps.out);
          rows.push(
            row(
              msg('Rate', { id: 'topology.tip.rate' }),
              msg(str`in ${inRate} · out ${outRate}`, { id: 'topology.tip.rateValue' }),
            ),
          );
        }
        rows.push(row(msg('Tier', { id: 'topology.tip.tier' }), tierText(link.tier)));
        if (link.flapping)
          rows.push(
            row(msg('Flapping', { id: 'topology.tip.flapping' }), msg('yes', { id: 'topology.tip.yes' })),
          );
        return box(link.name, rows);
      }
      case 'bundle': {
        const bundle = l.bundles.get(ref.id);
        if (!bundle) return '';
        const counts = { up: 0, down: 0, unknown: 0 };
        for (const x of bundle.links) counts[x.status] += 1;
        return box(msg(str`${bundle.links.length} links into folded org units`, { id: 'topology.bundle' }), [
          row(statusText('up'), formatCount(counts.up)),
          row(statusText('down'), formatCount(counts.down)),
          row(statusText('unknown'), formatCount(counts.unknown)),
        ]);
      }
      case 'group': {
        const group = l.groups.get(ref.id);
        if (!group) return '';
        const parent = l.units.get(group.parentId)?.name ?? group.parentId;
        return box(parent, [
          row(levelText(group.level), this._groupText(group)),
          row('', msg('Click to show them', { id: 'topology.tip.expand' })),
        ]);
      }
      case 'device': {
        const device = l.devices.get(ref.id);
        if (!device) return '';
        const reach =
          device.reachable === true
            ? msg('reachable', { id: 'topology.reachable' })
            : device.reachable === false
              ? msg('unreachable', { id: 'topology.unreachable' })
              : msg('reachability unknown', { id: 'topology.reachUnknown' });
        const rows = [row(msg('Reachability', { id: 'topology.tip.reach' }), reach)];
        if (device.plane) rows.push(row(msg('Plane', { id: 'topology.tip.plane' }), planeText(device.plane)));
        if (device.managementAddress)
          rows.push(row(msg('Management address', { id: 'topology.tip.address' }), device.managementAddress));
        const unit = l.units.get(device.unitId);
        if (unit && !unit.external) rows.push(row(levelText(unit.level), unit.name));
        return box(device.name, rows);
      }
      case 'unit': {
        const unit = l.units.get(ref.id);
        if (!unit) return '';
        const rows = [row(msg('Level', { id: 'topology.tip.level' }), levelText(unit.level))];
        if (unit.groupId)
          rows.push(row('', msg('Click to show its townships', { id: 'topology.tip.expandUnit' })));
        if (unit.expanded)
          rows.push(row('', msg('Click to fold its townships', { id: 'topology.tip.foldUnit' })));
        return box(
          unit.external ? msg('Outside your scope', { id: 'topology.outsideScope' }) : unit.name,
          rows,
        );
      }
    }
  }

  /** Listens to roaming once `<ts-chart>` has created its chart. */
  private _hookChart() {
    const element = this._chartElement;
    if (!element) return;
    const attach = () => {
      if (element.dataset.state === 'ready' && !this._listShown) {
        // After the chart's frame is on screen.
        requestAnimationFrame(() => (this._listShown = true));
      }
      const chart = element.getEchartsInstance() as unknown as GraphChart | undefined;
      if (!chart || chart === this._hooked) return;
      this._hooked = chart;
      chart.on('graphroam', () => this._onRoam(chart));
      // The chart sizes itself to the element; the first fitted scale is known only then (a new
      // option only if that changes the names drawn).
      const scale = this._fitScale() * (this._zoom ?? 1);
      if (!sameLabelTiers(scale, this._scale)) this._scale = scale;
    };
    attach();
    if (!this._observer) {
      this._observer = new MutationObserver(attach);
      this._observer.observe(element, { attributes: true, attributeFilter: ['data-state'] });
    }
  }

  /** The fitted scale once the chart's element has a size; 0 before. */
  private _measuredFitScale(): number {
    const element = this._chartElement;
    if (!this._hooked && !(element && element.clientWidth > 0 && element.clientHeight > 0)) return 0;
    return this._fitScale();
  }

  /** CSS pixels per layout unit at zoom 1, when ECharts fits the whole layout into the chart. */
  private _fitScale(): number {
    const b = this._layout?.bounds;
    if (!b) return 0;
    const chart = this._hooked;
    const width = chart?.getWidth() ?? this._chartElement?.clientWidth ?? 1000;
    const height = chart?.getHeight() ?? this._chartElement?.clientHeight ?? 600;
    const w = Math.max(1, b.maxX - b.minX);
    const h = Math.max(1, b.maxY - b.minY);
    return Math.min(width / w, height / h);
  }

  private _onRoam(chart: GraphChart) {
    const series = chart.getModel?.().getSeriesByIndex(0);
    const zoom = series?.get('zoom');
    const center = series?.get('center');
    if (typeof zoom === 'number') this._zoom = zoom;
    if (Array.isArray(center) && center.length === 2 && center.every((c) => typeof c === 'number')) {
      this._center = [center[0] as number, center[1] as number];
    }
    const scale = this._fitScale() * (this._zoom ?? 1);
    // A new option (a full redraw) only when the zoom changes which names are drawn.
    if (!sameLabelTiers(scale, this._scale)) this._scale = scale;
  }

  private _zoomBy(factor: number) {
    const chart = this._hooked;
    if (!chart) return;
    chart.dispatchAction({
      type: 'graphRoam',
      seriesIndex: 0,
      zoom: factor,
      originX: chart.getWidth() / 2,
      originY: chart.getHeight() / 2,
    });
  }

  /** Shows the whole topology again. */
  fit() {
    this._zoom = undefined;
    this._center = undefined;
    this._scale = this._fitScale();
    // Same scale: a new option anyway, since the chart's own zoom has to go.
    this.requestUpdate();
  }

  /** Finds, opens (its county), centres and highlights an org unit or router by id. */
  async reveal(kind: 'unit' | 'device', id: string): Promise<void> {
    const layout = this._layout;
    if (!layout) return;
    const parent = foldingParent(layout, id);
    if (parent !== undefined) this._expanded = new Set([...this._expanded, parent]);
    this._selected = id;
    await this.updateComplete;
    await this._chartElement?.updateComplete;
    const chart = this._hooked;
    const node = kind === 'unit' ? this._lookup.units.get(id) : this._lookup.devices.get(id);
    if (!chart || !node) return;
    const level = kind === 'unit' ? (node && 'level' in node ? (node as UnitNode).level : '') : 'device';
    const wanted =
      level === 'device'
        ? labelScales.routers * 1.1
        : level === 'county'
          ? labelScales.counties * 1.6
          : labelScales.townships * 1.2;
    const current = this._fitScale() * (this._zoom ?? 1);
    const point = chart.convertToPixel({ seriesIndex: 0 }, [node.x, node.y]);
    if (Array.isArray(point) && point.length === 2) {
      const [px, py] = point as [number, number];
      chart.dispatchAction({
        type: 'graphRoam',
        seriesIndex: 0,
        dx: chart.getWidth() / 2 - px,
        dy: chart.getHeight() / 2 - py,
      });
    }
    if (current < wanted && current > 0) {
      chart.dispatchAction({
        type: 'graphRoam',
        seriesIndex: 0,
        zoom: wanted / current,
        originX: chart.getWidth() / 2,
        originY: chart.getHeight() / 2,
      });
    }
  }

  private _choose(match: SearchMatch) {
    this._query = '';
    void this.reveal(match.kind, match.id);
  }

  private _onSearchKey(event: KeyboardEvent, matches: SearchMatch[]) {
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      this._active = Math.min(this._active + 1, Math.max(0, matches.length - 1));
    } else if (event.key === 'ArrowUp') {
      event.preventDefault();
      this._active = Math.max(0, this._active - 1);
    } else if (event.key === 'Enter') {
      const match = matches[this._active];
      if (match) {
        event.preventDefault();
        this._choose(match);
      }
    } else if (event.key === 'Escape') {
      this._query = '';
    }
  }

  private _toggle(unitId: string) {
    const next = new Set(this._expanded);
    if (next.has(unitId)) next.delete(unitId);
    else next.add(unitId);
    this._expanded = next;
  }

  private _onChartClick(event: CustomEvent<ChartClickDetail>) {
    const ref = (event.detail.data as { ref?: TopologyRef } | undefined)?.ref;
    if (!ref) return;
    switch (ref.kind) {
      case 'link':
        this.dispatchEvent(
          new CustomEvent<LinkOpenDetail>('ts-link-open', {
            detail: { linkId: ref.id },
            bubbles: true,
            composed: true,
          }),
        );
        return;
      case 'bundle': {
        const group = this._lookup.bundles.get(ref.id)?.groupId;
        const parent = group ? this._lookup.groups.get(group)?.parentId : undefined;
        if (parent) this._toggle(parent);
        return;
      }
      case 'group': {
        const parent = this._lookup.groups.get(ref.id)?.parentId;
        if (parent) this._toggle(parent);
        return;
      }
      case 'unit': {
        const unit = this._lookup.units.get(ref.id);
        if (unit?.groupId || unit?.expanded) this._toggle(unit.id);
        this._selected = ref.id;
        return;
      }
      case 'device':
        this._selected = ref.id;
        return;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-topology-map': TsTopologyMap;
  }
  interface HTMLElementEventMap {
    'ts-link-open': CustomEvent<LinkOpenDetail>;
  }
}
