import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { fetchTopology } from '../data/network.js';
import type { LinkView, Topology } from '../data/network.js';
import { formatCount, formatDateTime, formatPercent, formatRelativeTime } from '../common/format.js';
import {
  countFailedOverPairs,
  countLinkStatuses,
  linkColours,
  linkStatusTone,
  hotUtilisationPercent,
  warnUtilisationPercent,
} from '../common/link-style.js';
import { PollController } from '../common/poll-controller.js';
import { navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { LinkOpenDetail } from '../components/ts-topology-map.js';
import {
  activeText,
  planeText,
  roleText,
  statusText,
  tierText,
  utilisationText,
} from '../components/topology-text.js';
import { networkErrorPanel, networkStyles } from './network-panels.js';
import '../components/ts-panel.js';
import '../components/ts-status-badge.js';
import { prepareTopologyMap } from '../components/ts-topology-map.js';

/** The topology is loaded again this often. */
const refreshMillis = 10_000;

type Folding = 'auto' | 'folded' | 'all';

interface Loaded {
  topology: Topology;
  at: number;
}

/** Links that need an operator's eye: down, unknown, failed over, flapping or below their tier. */
function attention(links: readonly LinkView[]): LinkView[] {
  const rank = (l: LinkView) =>
    l.status === 'down' ? 0 : l.failedOver ? 1 : l.flapping ? 2 : l.status === 'unknown' ? 3 : 4;
  return links
    .filter((l) => l.status !== 'up' || l.failedOver || l.flapping || l.tier.verdict === 'below')
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

/** The extranet from province to township on one screen, refreshed every 10 s. */
@localized()
@customElement('ts-page-topology')
export class TsPageTopology extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    networkStyles,
    css`
      .map {
        --ts-panel-padding: 0;
        margin-bottom: 12px;
      }
      .summary {
        display: inline-flex;
        gap: 14px;
        font-size: 12px;
        color: var(--ts-text-muted);
        font-variant-numeric: tabular-nums;
      }
      .summary b {
        color: var(--ts-text);
        font-weight: 600;
      }
      .summary .bad b {
        color: var(--ts-bad);
      }
      .summary .warn b {
        color: var(--ts-warn);
      }
      .controls {
        display: inline-flex;
        align-items: center;
        gap: 10px;
        font-size: 12px;
      }
      .controls label {
        display: inline-flex;
        align-items: center;
        gap: 4px;
        color: var(--ts-text-muted);
      }
      .legend {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 6px 16px;
        padding: 7px 12px;
        border-top: 1px solid var(--ts-border);
        background: var(--ts-surface-alt);
        font-size: 12px;
        color: var(--ts-text-muted);
      }
      .legend svg {
        vertical-align: middle;
        margin-right: 5px;
      }
      .legend .group {
        display: inline-flex;
        gap: 12px;
      }
      .legend .sep {
        width: 1px;
        height: 14px;
        background: var(--ts-border-strong);
      }
      .attention {
        --ts-panel-padding: 0;
      }
      .attention ul {
        margin: 0;
        padding: 0;
        list-style: none;
      }
      .attention li {
        display: grid;
        grid-template-columns: minmax(160px, 1.4fr) 90px minmax(120px, 1fr) minmax(160px, 1.2fr);
        align-items: center;
        gap: 10px;
        padding: 5px 12px;
        border-bottom: 1px solid var(--ts-border);
      }
      .attention li:last-child {
        border-bottom: 0;
      }
      .attention .ok {
        padding: 14px 12px;
        color: var(--ts-text-muted);
      }
      .attention .why {
        color: var(--ts-text-muted);
        font-size: 12px;
      }
      .empty {
        padding: 32px 12px;
        text-align: center;
        color: var(--ts-text-muted);
      }
    `,
  ];

  @state() private _folding: Folding = 'auto';

  @state() private _now = Date.now();

  private readonly _task = new Task<[], Loaded>(this, {
    task: async (_args, { signal }) => ({ topology: await fetchTopology(signal), at: Date.now() }),
    args: () => [],
  });

  private readonly _poll = new PollController(this, refreshMillis, () => {
    this._now = Date.now();
    void this._task.run();
  });

  override connectedCallback() {
    super.connectedCallback();
    // ECharts and the layout worker load while the topology is fetched.
    prepareTopologyMap();
  }

  override render() {
    const loaded = this._task.value;
    const heading = msg('Extranet', { id: 'topology.panel' });
    return html`
      <div class="page-header">
        <h1>
          <span class="muted">${msg('Network /', { id: 'topology.crumb' })}</span>
          ${msg('Topology', { id: 'topology.heading' })}
        </h1>
        ${loaded ? this._renderSummary(loaded.topology.links) : nothing}
        <span class="spacer"></span>
        ${
          loaded
            ? html`<span class="muted" title=${formatDateTime(loaded.at)}
                >${this._updatedText(loaded.at)}</span
              >`
            : nothing
        }
      </div>
      ${this._task.render({
        pending: () =>
          loaded
            ? this._renderLoaded(loaded, true)
            : html`<ts-panel class="map" heading=${heading} state="loading"></ts-panel>`,
        complete: (value) => this._renderLoaded(value, false),
        error: (error) =>
          loaded
            ? this._renderLoaded(loaded, false, error)
            : networkErrorPanel(heading, error, () => void this._task.run(), 'map'),
      })}
    `;
  }

  private _updatedText(at: number) {
    const ago = formatRelativeTime(at, this._now);
    return msg(str`Updated ${ago} · every 10 s`, { id: 'topology.updated' });
  }

  private _renderSummary(links: readonly LinkView[]) {
    const counts = countLinkStatuses(links);
    const failedOver = countFailedOverPairs(links);
    const total = html`<b>${formatCount(links.length)}</b>`;
    const down = html`<b>${formatCount(counts.down)}</b>`;
    const unknown = html`<b>${formatCount(counts.unknown)}</b>`;
    const failed = html`<b>${formatCount(failedOver)}</b>`;
    return html`<span class="summary" data-testid="topology-summary">
      <span>${msg(html`${total} links`, { id: 'topology.summary.links' })}</span>
      <span class=${counts.down ? 'bad' : ''}
        >${msg(html`${down} down`, { id: 'topology.summary.down' })}</span
      >
      <span>${msg(html`${unknown} unknown`, { id: 'topology.summary.unknown' })}</span>
      <span class=${failedOver ? 'warn' : ''}
        >${msg(html`${failed} failed over`, { id: 'topology.summary.failedOver' })}</span
      >
    </span>`;
  }

  private _renderLoaded(loaded: Loaded, busy: boolean, refreshError?: unknown) {
    const { topology } = loaded;
    const collapse = this._folding === 'auto' ? 'auto' : this._folding === 'folded';
    const map =
      topology.orgUnits.length === 0 && topology.devices.length === 0
        ? html`<div class="empty">
            ${msg('No org units or routers are monitored in your scope yet.', { id: 'topology.empty' })}
          </div>`
        : html`<ts-topology-map
            .topology=${topology}
            .collapse=${collapse}
            @ts-link-open=${this._onOpen}
          ></ts-topology-map>`;
    const units = formatCount(topology.orgUnits.length);
    const routers = formatCount(topology.devices.length);
    const links = formatCount(topology.links.length);
    const foldingLabel = msg('Townships', { id: 'topology.folding' });
    const foldingText: Record<Folding, string> = {
      auto: msg('Auto', { id: 'topology.folding.auto' }),
      folded: msg('Fold', { id: 'topology.folding.fold' }),
      all: msg('Show all', { id: 'topology.folding.all' }),
    };
    return html`
      <ts-panel class="map" heading=${msg('Extranet', { id: 'topology.panel' })} ?busy=${busy}>
        <span slot="meta"
          >${msg(str`${units} org units · ${routers} routers · ${links} links`, { id: 'topology.meta' })}${
            refreshError
              ? html` ·
                  <span style="color:var(--ts-bad)"
                    >${msg('refresh failed, retrying', { id: 'topology.refreshFailed' })}</span
                  >`
              : nothing
          }</span
        >
        <div class="controls" slot="actions">
          <span class="muted">${foldingLabel}</span>
          <div class="segmented" role="group" aria-label=${foldingLabel}>
            ${(['auto', 'folded', 'all'] as Folding[]).map(
              (f) =>
                html`<button
                  type="button"
                  data-testid="topology-folding"
                  data-value=${f}
                  aria-pressed=${this._folding === f ? 'true' : 'false'}
                  @click=${() => (this._folding = f)}
                >
                  ${foldingText[f]}
                </button>`,
            )}
          </div>
        </div>
        ${map} ${this._renderLegend()}
      </ts-panel>
      ${this._renderAttention(topology.links)}
    `;
  }

  private _renderLegend() {
    const line = (color: string, width = 3, dash = '') =>
      html`<svg width="26" height="10" aria-hidden="true">
        <line
          x1="1"
          y1="5"
          x2="25"
          y2="5"
          stroke=${color}
          stroke-width=${width}
          stroke-dasharray=${dash}
        ></line>
      </svg>`;
    return html`<div class="legend" aria-label=${msg('Legend', { id: 'topology.legend' })}>
      <span class="group">
        <span
          >${line(linkColours.low)}${msg(str`up, < ${formatPercent(warnUtilisationPercent, 0)}`, { id: 'topology.legend.low' })}</span
        >
        <span
          >${line(linkColours.medium)}${msg(str`${formatPercent(warnUtilisationPercent, 0)}–${formatPercent(hotUtilisationPercent, 0)}`, { id: 'topology.legend.medium' })}</span
        >
        <span
          >${line(linkColours.high)}${msg(str`≥ ${formatPercent(hotUtilisationPercent, 0)}`, { id: 'topology.legend.high' })}</span
        >
        <span>${line(linkColours.down)}${statusText('down')}</span>
        <span>${line(linkColours.unknown)}${statusText('unknown')}</span>
      </span>
      <span class="sep"></span>
      <span class="group">
        <span>${line('#5b6876', 2.5)}${roleText('primary')}</span>
        <span>${line('#5b6876', 2.5, '7 4')}${roleText('backup')}</span>
        <span>${line('#5b6876', 4.5)}${msg('carrying traffic', { id: 'topology.legend.active' })}</span>
        <span
          ><svg width="66" height="14" aria-hidden="true">
            <rect x="1" y="1" width="64" height="12" rx="6" fill="#8a4b00"></rect>
            <text x="33" y="10" fill="#fff" font-size="8" font-weight="700" text-anchor="middle">
              ${msg('FAILED OVER', { id: 'topology.failedOver' })}
            </text></svg
          >${msg('pair failed over to backup', { id: 'topology.legend.failedOver' })}</span
        >
        <span
          ><svg width="26" height="14" aria-hidden="true">
            <rect
              x="2"
              y="1"
              width="22"
              height="12"
              rx="3"
              fill="#fff"
              stroke=${linkColours.low}
              stroke-width="2"
            ></rect></svg
          >${msg('folded townships (click to show)', { id: 'topology.legend.folded' })}</span
        >
      </span>
    </div>`;
  }

  private _renderAttention(links: readonly LinkView[]) {
    const list = attention(links);
    const shown = formatCount(list.length);
    const total = formatCount(links.length);
    return html`<ts-panel class="attention" heading=${msg('Needs attention', { id: 'topology.attention' })}>
      <span slot="meta">${msg(str`${shown} of ${total} links`, { id: 'topology.attention.meta' })}</span>
      ${
        list.length === 0
          ? html`<div class="ok">
              ${msg('Every link is up, on its primary path and within its tier.', { id: 'topology.attention.none' })}
            </div>`
          : html`<ul>
              ${list.map(
                (l) =>
                  html`<li data-testid="attention-link" data-link-id=${l.id}>
                    <a href="/network/links/${encodeURIComponent(l.id)}">${l.name}</a>
                    <span
                      ><ts-status-badge
                        .status=${l.status}
                        .label=${statusText(l.status)}
                        .tone=${linkStatusTone(l.status)}
                      ></ts-status-badge
                    ></span>
                    <span class="why">${this._why(l)}</span>
                    <span class="why">${this._usage(l)}</span>
                  </li>`,
              )}
            </ul>`
      }
    </ts-panel>`;
  }

  private _why(l: LinkView): string {
    const tier = tierText(l.tier);
    const reasons = [
      l.failedOver ? activeText(l) : '',
      l.flapping ? msg('flapping', { id: 'topology.why.flapping' }) : '',
      l.tier.verdict === 'below' ? msg(str`below tier: ${tier}`, { id: 'topology.why.belowTier' }) : '',
    ].filter(Boolean);
    return reasons.length > 0 ? reasons.join(' · ') : `${roleText(l.role)} · ${planeText(l.plane)}`;
  }

  private _usage(l: LinkView): string {
    const utilisation = utilisationText(l.utilisation);
    const changed = formatRelativeTime(l.lastChangeAt, this._now);
    return msg(str`${utilisation} · changed ${changed}`, { id: 'topology.why.usage' });
  }

  private _onOpen(event: CustomEvent<LinkOpenDetail>) {
    navigate(`/network/links/${encodeURIComponent(event.detail.linkId)}`);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-topology': TsPageTopology;
  }
}
