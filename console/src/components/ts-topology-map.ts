import { LitElement, css, html, nothing, svg, unsafeCSS } from 'lit';
import type { PropertyValues } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { repeat } from 'lit/directives/repeat.js';
import { formatBitRate } from '../common/format.js';
import {
  activeText,
  formatTier,
  formatUtilisationPair,
  linkColour,
  linkColours,
  linkStatusTone,
  linkStroke,
  verdictTone,
} from '../common/link-style.js';
import type { LinkView, Topology } from '../data/network.js';
import { defaultLayoutOptions, layoutMetrics, layoutTopology } from './topology-layout.js';
import type { DeviceNode, LinkBundle, LinkPath, TopologyLayout, UnitBox } from './topology-layout.js';
import './ts-status-badge.js';

export interface LinkOpenDetail {
  linkId: string;
}

type Hovered =
  | { kind: 'link'; link: LinkView; x: number; y: number }
  | { kind: 'bundle'; bundle: LinkBundle; box: UnitBox | undefined; x: number; y: number };

/** Shortens a label to fit a width at about 6.2 px per character of 11 px text. */
function fit(text: string, width: number): string {
  const max = Math.max(3, Math.floor(width / 6.2));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The extranet drawn as a layered tree: org units as boxes in rows by level, their routers inside,
 * and links coloured by status and utilisation (backup dashed, the active member of a pair thicker,
 * failed-over and down links marked). Links can be hovered or focused for a summary and opened with
 * a click or Enter.
 *
 * @fires ts-link-open - A link was chosen; the page opens its detail.
 */
@customElement('ts-topology-map')
export class TsTopologyMap extends LitElement {
  static override styles = css`
    :host {
      display: block;
      position: relative;
    }
    .scroller {
      position: relative;
      overflow: auto;
      max-height: var(--ts-topology-max-height, 78vh);
    }
    svg {
      display: block;
      margin: 0 auto;
      font-family: inherit;
    }
    .labels text {
      fill: var(--ts-text, #1d2733);
      font-size: 11px;
      font-weight: 600;
      paint-order: stroke;
      stroke: var(--ts-surface-alt, #f6f8fa);
      stroke-width: 3px;
      stroke-linejoin: round;
      pointer-events: none;
    }
    .labels text.external {
      fill: var(--ts-text-muted, #5b6876);
      font-weight: 400;
    }
    .row-label {
      fill: var(--ts-text-muted, #5b6876);
      font-size: 10px;
      font-weight: 600;
      letter-spacing: 0.08em;
      text-transform: uppercase;
    }
    .row-rule {
      stroke: var(--ts-border, #d8dee5);
      stroke-dasharray: 2 4;
    }
    .unit rect.box {
      fill: var(--ts-surface-alt, #f6f8fa);
      stroke: var(--ts-border, #d8dee5);
    }
    .unit.external rect.box {
      fill: none;
      stroke-dasharray: 4 3;
    }
    .unit text {
      fill: var(--ts-text, #1d2733);
      font-size: 11px;
      font-weight: 600;
    }
    .unit.external text,
    .unit text.sub {
      fill: var(--ts-text-muted, #5b6876);
      font-weight: 400;
    }
    .device rect.body {
      fill: #fff;
      stroke: #8d9aa7;
      stroke-width: 1;
    }
    .device.unreachable rect.body {
      fill: var(--ts-bad-soft, #fbe7e6);
      stroke: ${unsafeCSS(linkColours.down)};
      stroke-width: 1.5;
    }
    .device.unknown rect.body {
      stroke-dasharray: 3 2;
    }
    .device text {
      fill: var(--ts-text, #1d2733);
      font-size: 11px;
    }
    .device .plane {
      fill: #e3ebf5;
    }
    .device .plane-b {
      fill: #efe7f7;
    }
    .device text.plane-text {
      font-size: 9px;
      font-weight: 700;
      fill: #3b5573;
    }
    .link {
      cursor: pointer;
      outline: none;
    }
    .link .hit {
      stroke: transparent;
      stroke-width: 12;
      fill: none;
    }
    .link .casing {
      stroke: #fff;
      fill: none;
      opacity: 0.9;
    }
    .link .line {
      fill: none;
      stroke-linecap: round;
    }
    .link:hover .line,
    .link:focus-visible .line,
    .link.current .line {
      filter: drop-shadow(0 0 2px rgba(42, 111, 214, 0.9));
    }
    .link:focus-visible .hit {
      stroke: rgba(42, 111, 214, 0.18);
    }
    .marker text {
      font-size: 9px;
      font-weight: 700;
      fill: #fff;
    }
    .bundle-count {
      font-size: 10px;
      font-weight: 600;
      fill: var(--ts-text, #1d2733);
    }
    .tooltip {
      position: absolute;
      z-index: 3;
      min-width: 220px;
      max-width: 320px;
      padding: 8px 10px;
      border: 1px solid var(--ts-border-strong, #c3ccd6);
      border-radius: 4px;
      background: rgba(255, 255, 255, 0.98);
      box-shadow: 0 4px 14px rgba(18, 27, 37, 0.16);
      color: var(--ts-text, #1d2733);
      font-size: 12px;
      pointer-events: none;
    }
    .tooltip .name {
      display: flex;
      align-items: center;
      justify-content: space-between;
      gap: 10px;
      margin-bottom: 4px;
      font-weight: 600;
    }
    .tooltip dl {
      display: grid;
      grid-template-columns: auto 1fr;
      gap: 1px 10px;
      margin: 0;
    }
    .tooltip dt {
      color: var(--ts-text-muted, #5b6876);
    }
    .tooltip dd {
      margin: 0;
      font-variant-numeric: tabular-nums;
    }
    .tooltip .warn {
      color: var(--ts-warn, #b26a00);
      font-weight: 600;
    }
    .tooltip .bad {
      color: var(--ts-bad, #c23a35);
      font-weight: 600;
    }
  `;

  @property({ attribute: false }) topology?: Topology;

  /** Fold the townships of each county: always, never or when there are many. */
  @property({ attribute: false }) collapse: boolean | 'auto' = 'auto';

  /** Scale the drawing down to the width of the element instead of scrolling. */
  @property({ type: Boolean }) fit = false;

  @state() private _hovered?: Hovered;

  @query('.scroller') private _scroller?: HTMLElement;

  @query('svg') private _svg?: SVGSVGElement;

  private _layout?: TopologyLayout;

  /** Whether the view was scrolled to the top of the tree after the first drawing. */
  private _centred = false;

  /** The layout, computed again only when the topology or folding changes. */
  get layout(): TopologyLayout | undefined {
    return this._layout;
  }

  protected override willUpdate(changed: PropertyValues<this>) {
    if ((changed.has('topology') || changed.has('collapse')) && this.topology) {
      this._layout = layoutTopology(this.topology, { ...defaultLayoutOptions, collapse: this.collapse });
      // Keep the tooltip of a hovered link current, or drop it when the link is gone.
      const hovered = this._hovered;
      if (hovered?.kind === 'link') {
        const link = this._layout.links.find((l) => l.link.id === hovered.link.id)?.link;
        this._hovered = link ? { ...hovered, link } : undefined;
      } else {
        this._hovered = undefined;
      }
    }
  }

  protected override updated() {
    // A tree wider than the view opens centred on its root, where the province is.
    const scroller = this._scroller;
    const root = this._layout?.units.find((u) => u.depth === 0 && !u.external);
    if (this._centred || !scroller || !root || this.fit) return;
    this._centred = true;
    if (scroller.scrollWidth > scroller.clientWidth) {
      scroller.scrollLeft = root.x + root.width / 2 - scroller.clientWidth / 2;
    }
  }

  override render() {
    const layout = this._layout;
    if (!layout) return nothing;
    const { width, height } = layout;
    const size = this.fit
      ? `width:100%;height:auto;max-width:${width}px`
      : `width:${width}px;height:${height}px`;
    const failedOverPairs = new Set(
      layout.links
        .filter((l) => l.link.failedOver && l.link.role === 'backup' && l.link.pairId !== null)
        .map((l) => l.link.pairId),
    );
    return html`<div class="scroller">
      <svg
        viewBox="0 0 ${width} ${height}"
        style=${size}
        role="group"
        aria-label="Extranet topology: ${layout.units.length} org units, ${layout.devices.length} routers, ${layout.links.length} links"
      >
        ${this._renderRows(layout)}
        <g class="units">${layout.units.map((u) => this._renderUnit(u))}</g>
        <g class="bundles">${layout.bundles.map((b) => this._renderBundle(b, layout))}</g>
        <g class="links">
          ${repeat(
            layout.links,
            (l) => l.link.id,
            (l) => this._renderLink(l, failedOverPairs),
          )}
        </g>
        <g class="labels">${layout.units.map((u) => this._renderUnitLabel(u))}</g>
        <g class="devices">
          ${repeat(
            layout.devices,
            (d) => d.id,
            (d) => this._renderDevice(d),
          )}
        </g>
      </svg>
      ${this._renderTooltip()}
    </div>`;
  }

  private _renderRows(layout: TopologyLayout) {
    const m = layoutMetrics;
    const unitHeight = m.unitHeader + m.deviceHeight + 2 * m.unitPadding;
    return svg`<g class="rows">${layout.rows.map(
      (row, i) => svg`
        ${
          i > 0
            ? svg`<line class="row-rule" x1=${m.margin} x2=${layout.width - m.margin} y1=${row.y - m.rowGap / 2} y2=${row.y - m.rowGap / 2}></line>`
            : nothing
        }
        <text class="row-label" x=${m.margin} y=${row.y + unitHeight / 2 + 3}>${row.label}</text>`,
    )}</g>`;
  }

  private _renderUnit(unit: UnitBox) {
    const folded = unit.folded;
    if (folded) {
      const worst = folded.worst;
      const stripe =
        worst === 'down' ? linkColours.down : worst === 'unknown' ? linkColours.unknown : linkColours.low;
      return svg`<g class="unit folded" data-testid="topology-folded" data-parent-id=${folded.parentId}>
        <rect class="box" x=${unit.x} y=${unit.y} width=${unit.width} height=${unit.height} rx="3"></rect>
        <rect x=${unit.x} y=${unit.y} width="3" height=${unit.height} fill=${stripe}></rect>
        <text x=${unit.x + 9} y=${unit.y + 14}>${folded.units} ${unit.level === 'village' ? 'villages' : 'townships'}</text>
        <text class="sub" x=${unit.x + 9} y=${unit.y + 30}>${folded.devices} routers · ${folded.links} links</text>
        <text class="sub" x=${unit.x + 9} y=${unit.y + 44} fill=${folded.down > 0 ? linkColours.down : ''}>${
          folded.down > 0 ? `${folded.down} down` : 'all links up'
        }</text>
      </g>`;
    }
    return svg`<g class="unit ${unit.external ? 'external' : ''}" data-testid="topology-unit" data-org-unit-id=${unit.id}>
      <rect class="box" x=${unit.x} y=${unit.y} width=${unit.width} height=${unit.height} rx="3"></rect>
    </g>`;
  }

  /** Org-unit names are drawn above the links, with a halo, so that no line hides them. */
  private _renderUnitLabel(unit: UnitBox) {
    if (unit.folded) return nothing;
    return svg`<text class=${unit.external ? 'external' : ''} x=${unit.x + 7} y=${unit.y + 13}>${fit(unit.name, unit.width - 12)}<title>${unit.name}</title></text>`;
  }

  private _renderDevice(device: DeviceNode) {
    const reach = device.reachable === false ? 'unreachable' : device.reachable === null ? 'unknown' : '';
    const tag = device.plane ?? '';
    const textX = tag ? device.x + 21 : device.x + 7;
    const title = `${device.name}${device.plane ? ` · plane ${device.plane}` : ''}${
      device.reachable === false
        ? ' · unreachable'
        : device.reachable === null
          ? ' · reachability unknown'
          : ''
    }`;
    return svg`<g class="device ${reach}" data-testid="topology-device" data-device-id=${device.id}>
      <title>${title}</title>
      <rect class="body" x=${device.x} y=${device.y} width=${device.width} height=${device.height} rx="3"></rect>
      ${
        tag
          ? svg`<rect class="plane ${tag === 'B' ? 'plane-b' : ''}" x=${device.x + 3} y=${device.y + 4} width="14" height=${device.height - 8} rx="2"></rect>
            <text class="plane-text" x=${device.x + 10} y=${device.y + device.height / 2 + 3.5} text-anchor="middle">${tag}</text>`
          : nothing
      }
      <text x=${textX} y=${device.y + device.height / 2 + 4}>${fit(device.name, device.x + device.width - textX - 4)}</text>
    </g>`;
  }

  private _renderLink(path: LinkPath, failedOverPairs: Set<string | null>) {
    const { link, d, mid } = path;
    const stroke = linkStroke(link);
    const marked =
      link.failedOver &&
      (link.role === 'backup' || link.pairId === null || !failedOverPairs.has(link.pairId));
    const current = this._hovered?.kind === 'link' && this._hovered.link.id === link.id;
    const label =
      `${link.name}: ${link.status}, ${formatUtilisationPair(link.utilisation)}, tier ${link.tier.verdict}` +
      (link.failedOver ? ', failed over' : '');
    return svg`<g
      class="link ${current ? 'current' : ''}"
      data-testid="topology-link"
      data-link-id=${link.id}
      data-status=${link.status}
      data-failed-over=${link.failedOver ? 'true' : 'false'}
      data-role=${link.role}
      tabindex="0"
      role="link"
      aria-label=${label}
      @pointerenter=${(e: PointerEvent) => this._onLinkPointer(e, link)}
      @pointermove=${(e: PointerEvent) => this._onLinkPointer(e, link)}
      @pointerleave=${this._onLeave}
      @focus=${() => this._onLinkFocus(link, mid.x, mid.y)}
      @blur=${this._onLeave}
      @click=${() => this._open(link.id)}
      @keydown=${(e: KeyboardEvent) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          this._open(link.id);
        } else if (e.key === 'Escape') {
          this._hovered = undefined;
        }
      }}
    >
      <path class="hit" d=${d}></path>
      <path class="casing" d=${d} stroke-width=${stroke.width + 3}></path>
      <path class="line" d=${d} stroke=${stroke.color} stroke-width=${stroke.width} stroke-dasharray=${stroke.dash ?? nothing}></path>
      ${
        link.status === 'down'
          ? svg`<g class="marker" transform="translate(${mid.x} ${mid.y})">
              <circle r="7" fill=${linkColours.down} stroke="#fff" stroke-width="1.5"></circle>
              <path d="M-3,-3 L3,3 M3,-3 L-3,3" stroke="#fff" stroke-width="1.8" stroke-linecap="round"></path>
            </g>`
          : nothing
      }
      ${
        marked
          ? svg`<g class="marker failover" transform="translate(${mid.x} ${link.status === 'down' ? mid.y + 16 : mid.y})">
              <rect x="-34" y="-8" width="68" height="16" rx="8" fill="#8a4b00" stroke="#fff" stroke-width="1.5"></rect>
              <text x="0" y="3.5" text-anchor="middle">FAILED OVER</text>
            </g>`
          : nothing
      }
    </g>`;
  }

  private _renderBundle(bundle: LinkBundle, layout: TopologyLayout) {
    const box = layout.units.find((u) => u.id === bundle.unitId);
    const color = linkColour({ status: bundle.worst, utilisation: null });
    return svg`<g
      class="link bundle"
      data-testid="topology-bundle"
      data-status=${bundle.worst}
      data-count=${bundle.links.length}
      @pointerenter=${(e: PointerEvent) => this._onBundlePointer(e, bundle, box)}
      @pointermove=${(e: PointerEvent) => this._onBundlePointer(e, bundle, box)}
      @pointerleave=${this._onLeave}
    >
      <path class="hit" d=${bundle.d}></path>
      <path class="casing" d=${bundle.d} stroke-width="6"></path>
      <path class="line" d=${bundle.d} stroke=${color} stroke-width="3"></path>
      ${
        bundle.links.length > 1
          ? svg`<g transform="translate(${bundle.mid.x} ${bundle.mid.y})">
              <rect x="-12" y="-8" width="24" height="16" rx="3" fill="#fff" stroke=${color}></rect>
              <text class="bundle-count" x="0" y="3.5" text-anchor="middle">${bundle.links.length}</text>
            </g>`
          : nothing
      }
    </g>`;
  }

  private _renderTooltip() {
    const hovered = this._hovered;
    if (!hovered) return nothing;
    const scroller = this._scroller;
    const viewWidth = scroller ? scroller.clientWidth + scroller.scrollLeft : 1200;
    const left = hovered.x + 300 > viewWidth ? Math.max(0, hovered.x - 300) : hovered.x + 14;
    const style = `left:${left}px;top:${hovered.y + 14}px`;
    if (hovered.kind === 'bundle') {
      const { bundle } = hovered;
      const counts = { up: 0, down: 0, unknown: 0 };
      for (const l of bundle.links) counts[l.status] += 1;
      return html`<div class="tooltip" style=${style} role="tooltip">
        <div class="name">
          ${bundle.links.length} links into ${hovered.box?.folded?.units ?? 0} folded units
        </div>
        <dl>
          <dt>Up</dt>
          <dd>${counts.up}</dd>
          <dt>Down</dt>
          <dd class=${counts.down ? 'bad' : ''}>${counts.down}</dd>
          <dt>Unknown</dt>
          <dd>${counts.unknown}</dd>
        </dl>
      </div>`;
    }
    const { link } = hovered;
    return html`<div class="tooltip" style=${style} role="tooltip" data-testid="topology-tooltip">
      <div class="name">
        <span>${link.name}</span>
        <ts-status-badge .status=${link.status} .tone=${linkStatusTone(link.status)}></ts-status-badge>
      </div>
      <dl>
        <dt>Ends</dt>
        <dd>${link.a.deviceName} ${link.a.ifName} ↔ ${link.b.deviceName} ${link.b.ifName}</dd>
        <dt>Role</dt>
        <dd>${link.role} · plane ${link.plane} · ${link.level}</dd>
        <dt>Traffic</dt>
        <dd class=${link.failedOver ? 'warn' : ''}>${activeText(link)}</dd>
        <dt>Utilisation</dt>
        <dd>${formatUtilisationPair(link.utilisation)}</dd>
        ${
          link.bps
            ? html`<dt>Rate</dt>
                <dd>in ${formatBitRate(link.bps.in)} · out ${formatBitRate(link.bps.out)}</dd>`
            : nothing
        }
        <dt>Tier</dt>
        <dd>
          <ts-status-badge
            .status=${link.tier.verdict}
            .tone=${verdictTone(link.tier.verdict)}
          ></ts-status-badge>
          ${formatTier(link.tier)}
        </dd>
        ${
          link.flapping
            ? html`<dt>Flapping</dt>
                <dd class="warn">yes</dd>`
            : nothing
        }
      </dl>
    </div>`;
  }

  /** Pointer position relative to the scrolled content of the scroller. */
  private _pointer(event: PointerEvent): { x: number; y: number } {
    const scroller = this._scroller;
    if (!scroller) return { x: 0, y: 0 };
    const rect = scroller.getBoundingClientRect();
    return {
      x: event.clientX - rect.left + scroller.scrollLeft,
      y: event.clientY - rect.top + scroller.scrollTop,
    };
  }

  private _onLinkPointer(event: PointerEvent, link: LinkView) {
    this._hovered = { kind: 'link', link, ...this._pointer(event) };
  }

  private _onBundlePointer(event: PointerEvent, bundle: LinkBundle, box: UnitBox | undefined) {
    this._hovered = { kind: 'bundle', bundle, box, ...this._pointer(event) };
  }

  /** For keyboard focus the tooltip goes to the middle of the link, scaled like the drawing. */
  private _onLinkFocus(link: LinkView, x: number, y: number) {
    const scale =
      this._svg && this._layout ? this._svg.getBoundingClientRect().width / this._layout.width : 1;
    this._hovered = { kind: 'link', link, x: x * scale, y: y * scale };
  }

  private _onLeave() {
    this._hovered = undefined;
  }

  private _open(linkId: string) {
    this.dispatchEvent(
      new CustomEvent<LinkOpenDetail>('ts-link-open', { detail: { linkId }, bubbles: true, composed: true }),
    );
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
