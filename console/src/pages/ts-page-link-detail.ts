import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { Task } from '@lit/task';
import { errorMessage } from '../data/api.js';
import { metricsRanges, rangeMillis } from '../data/hosts.js';
import type { MetricsRange } from '../data/hosts.js';
import {
  fetchLink,
  fetchLinkMetrics,
  fetchLinks,
  isMissingRoute,
  isNetworkUnavailable,
  networkUnavailableMessage,
} from '../data/network.js';
import type { LinkDetail, LinkEventKind, LinkMetrics, LinkView } from '../data/network.js';
import {
  formatBitRate,
  formatDateTime,
  formatNumber,
  formatPercent,
  formatRelativeTime,
} from '../common/format.js';
import {
  activeText,
  formatMbps,
  formatTier,
  formatUtilisationPair,
  linkStatusTone,
  verdictTone,
} from '../common/link-style.js';
import { PollController } from '../common/poll-controller.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { ChartSeries } from '../components/ts-line-chart.js';
import { chartFigure, chartWindow } from '../components/chart-figure.js';
import type { BadgeTone } from '../components/ts-status-badge.js';
import { networkStyles } from './network-panels.js';
import '../components/ts-line-chart.js';
import '../components/ts-panel.js';
import '../components/ts-status-badge.js';
import '../components/ts-utilisation-bar.js';

const colors = { in: '#1d8a56', out: '#2a6fd6', errors: '#c23a35' };

/** The link's state is loaded again this often; the charts once a minute or once per step. */
const refreshMillis = 10_000;
const metricsRefreshMillis = 60_000;

interface MetricsResult {
  metrics: LinkMetrics;
  end: number;
  range: MetricsRange;
}

const eventTone: Record<LinkEventKind, BadgeTone> = {
  down: 'bad',
  up: 'ok',
  failover: 'warn',
  failback: 'info',
  flap: 'warn',
};

/** One link: its state, role in its pair, tier, traffic and error charts, and failover history. */
@customElement('ts-page-link-detail')
export class TsPageLinkDetail extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    networkStyles,
    css`
      .crumbs {
        margin-bottom: 6px;
        font-size: 12px;
      }
      .grid {
        display: grid;
        grid-template-columns: minmax(0, 1fr) minmax(0, 2.2fr);
        gap: 12px;
        align-items: start;
      }
      @media (max-width: 1100px) {
        .grid {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      .side {
        display: grid;
        gap: 12px;
      }
      dl.facts {
        display: grid;
        grid-template-columns: max-content 1fr;
        gap: 5px 14px;
        margin: 0;
      }
      dl.facts dt {
        color: var(--ts-text-muted);
      }
      dl.facts dd {
        margin: 0;
        font-variant-numeric: tabular-nums;
        min-width: 0;
        overflow-wrap: anywhere;
      }
      .fo {
        color: var(--ts-warn);
        font-weight: 600;
      }
      .header-badges {
        display: inline-flex;
        gap: 6px;
        align-items: center;
      }
      .charts {
        display: grid;
        gap: 16px;
      }
      figure {
        margin: 0;
      }
      figcaption {
        margin-bottom: 4px;
        font-weight: 600;
        font-size: 12px;
      }
      .history {
        --ts-panel-padding: 0;
      }
      .history ol {
        margin: 0;
        padding: 0;
        list-style: none;
        max-height: 420px;
        overflow: auto;
      }
      .history li {
        display: grid;
        grid-template-columns: 84px 1fr;
        gap: 2px 10px;
        padding: 6px 12px;
        border-bottom: 1px solid var(--ts-border);
      }
      .history li:last-child {
        border-bottom: 0;
      }
      .history .when {
        grid-column: 2;
        color: var(--ts-text-muted);
        font-size: 12px;
      }
      .history .empty {
        padding: 16px 12px;
        color: var(--ts-text-muted);
      }
      .not-found {
        max-width: 640px;
      }
    `,
  ];

  @property() linkId = '';

  @state() private _range: MetricsRange = '1h';

  @state() private _now = Date.now();

  private _lastMetricsRun = 0;

  private readonly _task = new Task<[string], LinkDetail>(this, {
    task: ([linkId], { signal }) => fetchLink(linkId, signal),
    args: () => [this.linkId],
  });

  /** The other member of the pair, found in the list by pair id. */
  private readonly _pairTask = new Task<[string | null | undefined], LinkView | null>(this, {
    task: async ([pairId], { signal }) => {
      if (!pairId) return null;
      const { items } = await fetchLinks({}, signal);
      return items.find((l) => l.pairId === pairId && l.id !== this.linkId) ?? null;
    },
    args: () => [this._task.value?.pairId],
  });

  private readonly _metricsTask = new Task<[string, MetricsRange], MetricsResult>(this, {
    task: async ([linkId, range], { signal }) => {
      this._lastMetricsRun = Date.now();
      const metrics = await fetchLinkMetrics(linkId, range, signal);
      return { metrics, end: Date.now(), range };
    },
    args: () => [this.linkId, this._range],
  });

  private readonly _poll = new PollController(this, refreshMillis, () => {
    this._now = Date.now();
    void this._task.run();
    const step = (this._metricsTask.value?.metrics.stepSeconds ?? 0) * 1000;
    if (Date.now() - this._lastMetricsRun >= Math.max(metricsRefreshMillis, step))
      void this._metricsTask.run();
  });

  override render() {
    return html`
      <div class="crumbs">
        <a href="/network/links">← All links</a> · <a href="/network/topology">Topology</a>
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value && this._task.value.id === this.linkId
            ? this._renderLink(this._task.value)
            : html`<div class="page-header"><h1>Link</h1></div>
                <ts-panel heading="Link" state="loading"></ts-panel>`,
        complete: (link) => this._renderLink(link),
        error: (error) => this._renderError(error),
      })}
    `;
  }

  private _renderError(error: unknown) {
    const header = html`<div class="page-header">
      <h1><span class="muted">Link</span> <span class="mono">${this.linkId}</span></h1>
    </div>`;
    if (isNetworkUnavailable(error)) {
      return html`${header}
        <ts-panel class="not-found" heading="Link">
          <p
            class="unavailable"
            data-testid=${isMissingRoute(error) ? 'network-unavailable' : 'link-not-found'}
          >
            ${
              isMissingRoute(error)
                ? networkUnavailableMessage
                : 'There is no such link in your scope. It may have been removed.'
            }
          </p>
        </ts-panel>`;
    }
    return html`${header}
      <ts-panel
        heading="Link"
        state="error"
        .error=${errorMessage(error)}
        @ts-retry=${() => void this._task.run()}
      ></ts-panel>`;
  }

  private _renderLink(link: LinkDetail) {
    return html`
      <div class="page-header">
        <h1 data-testid="link-title">${link.name}</h1>
        <span class="header-badges">
          <ts-status-badge
            data-testid="link-status"
            data-status=${link.status}
            .status=${link.status}
            .tone=${linkStatusTone(link.status)}
          ></ts-status-badge>
          ${link.failedOver ? html`<ts-status-badge status="failed over" tone="warn"></ts-status-badge>` : nothing}
          ${link.flapping ? html`<ts-status-badge status="flapping" tone="warn"></ts-status-badge>` : nothing}
        </span>
        <span class="spacer"></span>
        <span class="muted" title=${formatDateTime(link.updatedAt)}
          >Polled ${formatRelativeTime(link.updatedAt, this._now)}</span
        >
      </div>
      <div class="grid">
        <div class="side">${this._renderFacts(link)} ${this._renderHistory(link)}</div>
        ${this._renderCharts(link)}
      </div>
    `;
  }

  private _renderFacts(link: LinkDetail) {
    const partner = this._pairTask.value;
    return html`<ts-panel heading="State">
      <dl class="facts">
        <dt>Status</dt>
        <dd>${link.status} · changed ${formatRelativeTime(link.lastChangeAt, this._now)}</dd>
        <dt>Level</dt>
        <dd>${link.level}</dd>
        <dt>Role · plane</dt>
        <dd>${link.role} · plane ${link.plane}</dd>
        <dt>Pair</dt>
        <dd>
          ${
            link.pairId
              ? html`<span class="mono">${link.pairId}</span>${
                    partner
                      ? html` · partner
                          <a href="/network/links/${encodeURIComponent(partner.id)}">${partner.name}</a>
                          (${partner.status})`
                      : nothing
                  }`
              : 'unpaired'
          }
        </dd>
        <dt>Traffic</dt>
        <dd class=${link.failedOver ? 'fo' : ''}>${activeText(link)}</dd>
        <dt>End A</dt>
        <dd>${link.a.deviceName} <span class="mono">${link.a.ifName}</span></dd>
        <dt>End B</dt>
        <dd>${link.b.deviceName} <span class="mono">${link.b.ifName}</span></dd>
        <dt>Speed</dt>
        <dd>${formatMbps(link.speedMbps)}</dd>
        <dt>Tier</dt>
        <dd>
          <ts-status-badge
            .status=${link.tier.verdict}
            .tone=${verdictTone(link.tier.verdict)}
          ></ts-status-badge>
          ${formatTier(link.tier)}
        </dd>
        <dt>Utilisation</dt>
        <dd>
          ${
            link.utilisation
              ? html`<ts-utilisation-bar .percent=${link.utilisation.maxPercent}></ts-utilisation-bar>
                  <span class="muted">${formatUtilisationPair(link.utilisation)}</span>`
              : '—'
          }
        </dd>
        <dt>Rate</dt>
        <dd>${link.bps ? `in ${formatBitRate(link.bps.in)} · out ${formatBitRate(link.bps.out)}` : '—'}</dd>
        <dt>Errors</dt>
        <dd>${link.errorsPerSecond === null ? '—' : `${formatNumber(link.errorsPerSecond, 2)} /s`}</dd>
      </dl>
    </ts-panel>`;
  }

  private _renderHistory(link: LinkDetail) {
    const history = [...link.history].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    return html`<ts-panel class="history" heading="Failover history">
      <span slot="meta">${history.length} events</span>
      ${
        history.length === 0
          ? html`<div class="empty" data-testid="link-history">No state changes recorded.</div>`
          : html`<ol data-testid="link-history">
              ${history.map(
                (entry) =>
                  html`<li data-testid="link-history-entry" data-event=${entry.event}>
                    <span
                      ><ts-status-badge
                        .status=${entry.event}
                        .tone=${eventTone[entry.event] ?? 'info'}
                      ></ts-status-badge
                    ></span>
                    <span>${entry.detail}</span>
                    <span class="when" title=${formatDateTime(entry.at)}
                      >${formatDateTime(entry.at)} · ${formatRelativeTime(entry.at, this._now)}</span
                    >
                  </li>`,
              )}
            </ol>`
      }
    </ts-panel>`;
  }

  private _renderCharts(link: LinkDetail) {
    const ranges = html`<div class="segmented" role="group" aria-label="Time range" slot="actions">
      ${metricsRanges.map(
        (range) =>
          html`<button
            type="button"
            aria-pressed=${range === this._range ? 'true' : 'false'}
            @click=${() => (this._range = range)}
          >
            ${range}
          </button>`,
      )}
    </div>`;
    const heading = 'Traffic and errors';
    return this._metricsTask.render({
      pending: () => {
        const value = this._metricsTask.value;
        return value
          ? this._chartsPanel(link, value, ranges, true)
          : html`<ts-panel heading=${heading} state="loading">${ranges}</ts-panel>`;
      },
      complete: (value) => this._chartsPanel(link, value, ranges, false),
      error: (error) =>
        html`<ts-panel
          heading=${heading}
          state="error"
          .error=${errorMessage(error)}
          @ts-retry=${() => void this._metricsTask.run()}
          >${ranges}</ts-panel
        >`,
    });
  }

  private _chartsPanel(link: LinkDetail, result: MetricsResult, ranges: unknown, busy: boolean) {
    const { metrics, end, range } = result;
    const span = chartWindow(metrics.stepSeconds, end, rangeMillis[range]);
    const s = metrics.series;
    const chart = (
      testId: string,
      title: string,
      unit: string,
      series: ChartSeries[],
      options: { max?: number; format: (v: number) => string; tick?: (v: number) => string },
    ) => chartFigure(span, link.name, { testId, title, unit, series, height: 150, ...options });
    return html`<ts-panel heading="Traffic and errors" ?busy=${busy}>
      <span slot="meta">step ${metrics.stepSeconds} s</span>
      ${ranges}
      <div class="charts">
        ${chart(
          'chart-link-utilisation',
          'Utilisation',
          '% of speed',
          [
            { label: 'In', color: colors.in, points: s.inPercent },
            { label: 'Out', color: colors.out, points: s.outPercent },
          ],
          { max: 100, format: (v) => formatPercent(v), tick: (v) => formatNumber(v, 0) },
        )}
        ${chart(
          'chart-link-bits',
          'Traffic',
          'bit/s',
          [
            { label: 'In', color: colors.in, points: s.inBitsPerSecond },
            { label: 'Out', color: colors.out, points: s.outBitsPerSecond },
          ],
          { format: (v) => formatBitRate(v), tick: (v) => formatBitRate(v, 0).replace('bit/s', '') },
        )}
        ${chart(
          'chart-link-errors',
          'Errors',
          'per second',
          [{ label: 'Errors', color: colors.errors, points: s.errorsPerSecond }],
          { format: (v) => `${formatNumber(v, 2)} /s`, tick: (v) => formatNumber(v, 2) },
        )}
      </div>
    </ts-panel>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-link-detail': TsPageLinkDetail;
  }
}
