import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { Task } from '@lit/task';
import { fetchTopology } from '../data/network.js';
import type { LinkView, Topology } from '../data/network.js';
import { formatCount, formatDateTime, formatRelativeTime } from '../common/format.js';
import {
  activeText,
  countFailedOverPairs,
  countLinkStatuses,
  formatTier,
  formatUtilisationPair,
  linkColours,
  linkStatusTone,
} from '../common/link-style.js';
import { PollController } from '../common/poll-controller.js';
import { navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { LinkOpenDetail } from '../components/ts-topology-map.js';
import { networkErrorPanel, networkStyles } from './network-panels.js';
import '../components/ts-panel.js';
import '../components/ts-status-badge.js';
import '../components/ts-topology-map.js';

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

  @state() private _fit = false;

  @state() private _now = Date.now();

  private readonly _task = new Task<[], Loaded>(this, {
    task: async (_args, { signal }) => ({ topology: await fetchTopology(signal), at: Date.now() }),
    args: () => [],
  });

  private readonly _poll = new PollController(this, refreshMillis, () => {
    this._now = Date.now();
    void this._task.run();
  });

  override render() {
    const loaded = this._task.value;
    return html`
      <div class="page-header">
        <h1><span class="muted">Network /</span> Topology</h1>
        ${loaded ? this._renderSummary(loaded.topology.links) : nothing}
        <span class="spacer"></span>
        ${
          loaded
            ? html`<span class="muted" title=${formatDateTime(loaded.at)}
                >Updated ${formatRelativeTime(loaded.at, this._now)} · every 10 s</span
              >`
            : nothing
        }
      </div>
      ${this._task.render({
        pending: () =>
          loaded
            ? this._renderLoaded(loaded, true)
            : html`<ts-panel class="map" heading="Extranet" state="loading"></ts-panel>`,
        complete: (value) => this._renderLoaded(value, false),
        error: (error) =>
          loaded
            ? this._renderLoaded(loaded, false, error)
            : networkErrorPanel('Extranet', error, () => void this._task.run(), 'map'),
      })}
    `;
  }

  private _renderSummary(links: readonly LinkView[]) {
    const counts = countLinkStatuses(links);
    const failedOver = countFailedOverPairs(links);
    return html`<span class="summary" data-testid="topology-summary">
      <span><b>${formatCount(links.length)}</b> links</span>
      <span class=${counts.down ? 'bad' : ''}><b>${counts.down}</b> down</span>
      <span><b>${counts.unknown}</b> unknown</span>
      <span class=${failedOver ? 'warn' : ''}><b>${failedOver}</b> failed over</span>
    </span>`;
  }

  private _renderLoaded(loaded: Loaded, busy: boolean, refreshError?: unknown) {
    const { topology } = loaded;
    const collapse = this._folding === 'auto' ? 'auto' : this._folding === 'folded';
    const map =
      topology.orgUnits.length === 0 && topology.devices.length === 0
        ? html`<div class="empty">No org units or routers are monitored in your scope yet.</div>`
        : html`<ts-topology-map
            .topology=${topology}
            .collapse=${collapse}
            ?fit=${this._fit}
            @ts-link-open=${this._onOpen}
          ></ts-topology-map>`;
    return html`
      <ts-panel class="map" heading="Extranet" ?busy=${busy}>
        <span slot="meta"
          >${topology.orgUnits.length} org units · ${topology.devices.length} routers ·
          ${topology.links.length}
          links${
            refreshError
              ? html` · <span style="color:var(--ts-bad)">refresh failed, retrying</span>`
              : nothing
          }</span
        >
        <div class="controls" slot="actions">
          <span class="muted">Townships</span>
          <div class="segmented" role="group" aria-label="Townships">
            ${(['auto', 'folded', 'all'] as Folding[]).map(
              (f) =>
                html`<button
                  type="button"
                  aria-pressed=${this._folding === f ? 'true' : 'false'}
                  @click=${() => (this._folding = f)}
                >
                  ${f === 'auto' ? 'Auto' : f === 'folded' ? 'Fold' : 'Show all'}
                </button>`,
            )}
          </div>
          <label><input type="checkbox" .checked=${this._fit} @change=${this._onFit} /> Fit to width</label>
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
    return html`<div class="legend" aria-label="Legend">
      <span class="group">
        <span>${line(linkColours.low)}up, &lt; 50 %</span>
        <span>${line(linkColours.medium)}50–80 %</span>
        <span>${line(linkColours.high)}≥ 80 %</span>
        <span>${line(linkColours.down)}down</span>
        <span>${line(linkColours.unknown)}unknown</span>
      </span>
      <span class="sep"></span>
      <span class="group">
        <span>${line('#5b6876', 2.5)}primary</span>
        <span>${line('#5b6876', 2.5, '7 4')}backup</span>
        <span>${line('#5b6876', 4.5)}carrying traffic</span>
        <span
          ><svg width="66" height="14" aria-hidden="true">
            <rect x="1" y="1" width="64" height="12" rx="6" fill="#8a4b00"></rect>
            <text x="33" y="10" fill="#fff" font-size="8" font-weight="700" text-anchor="middle">
              FAILED OVER
            </text></svg
          >pair failed over to backup</span
        >
      </span>
    </div>`;
  }

  private _renderAttention(links: readonly LinkView[]) {
    const list = attention(links);
    return html`<ts-panel class="attention" heading="Needs attention">
      <span slot="meta">${list.length} of ${links.length} links</span>
      ${
        list.length === 0
          ? html`<div class="ok">Every link is up, on its primary path and within its tier.</div>`
          : html`<ul>
              ${list.map(
                (l) =>
                  html`<li data-testid="attention-link" data-link-id=${l.id}>
                    <a href="/network/links/${encodeURIComponent(l.id)}">${l.name}</a>
                    <span
                      ><ts-status-badge
                        .status=${l.status}
                        .tone=${linkStatusTone(l.status)}
                      ></ts-status-badge
                    ></span>
                    <span class="why">
                      ${
                        [
                          l.failedOver ? activeText(l) : '',
                          l.flapping ? 'flapping' : '',
                          l.tier.verdict === 'below' ? `below tier: ${formatTier(l.tier)}` : '',
                        ]
                          .filter(Boolean)
                          .join(' · ') || `${l.role} · plane ${l.plane}`
                      }
                    </span>
                    <span class="why"
                      >${formatUtilisationPair(l.utilisation)} · changed
                      ${formatRelativeTime(l.lastChangeAt, this._now)}</span
                    >
                  </li>`,
              )}
            </ul>`
      }
    </ts-panel>`;
  }

  private _onFit(event: Event) {
    this._fit = (event.target as HTMLInputElement).checked;
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
