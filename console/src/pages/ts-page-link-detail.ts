import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { errorMessage } from '../data/api.js';
import { rangeMillis } from '../data/hosts.js';
import type { MetricsRange } from '../data/hosts.js';
import {
  fetchLink,
  fetchLinkMetrics,
  fetchLinks,
  isMissingRoute,
  isNetworkUnavailable,
} from '../data/network.js';
import type {
  LinkDetail,
  LinkEventKind,
  LinkLevel,
  LinkMetrics,
  LinkRole,
  LinkStatus,
  LinkTier,
  LinkUtilisation,
  LinkView,
  TierVerdict,
} from '../data/network.js';
import { formatBitRate, formatDateTime, formatNumber, formatRelativeTime } from '../common/format.js';
import { formatMbps, formatUtilisation, linkStatusTone, verdictTone } from '../common/link-style.js';
import { PollController } from '../common/poll-controller.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import { cachedOption, chartFigure, chartSpan } from '../charts/figure.js';
import { linkChartKinds, linkChartLines, linkChartOption, linkChartTitle } from '../charts/link-charts.js';
import { isEmpty } from '../charts/time-series.js';
import { clipPoints, presetCovering, validCustomRange, zoomedWindow } from '../charts/time-range.js';
import '../charts/ts-range-bar.js';
import { rangeButtons } from '../charts/range-buttons.js';
import type { CustomRange } from '../charts/time-range.js';
import type { ChartRangeDetail } from '../charts/option.js';
import type { BadgeTone } from '../components/ts-status-badge.js';
import { networkStyles } from './network-panels.js';
import '../components/ts-panel.js';
import '../components/ts-status-badge.js';
import '../components/ts-utilisation-bar.js';

/** The link's state is loaded again this often; the charts once a minute or once per step. */
const refreshMillis = 10_000;
const metricsRefreshMillis = 60_000;

interface MetricsResult {
  metrics: LinkMetrics;
  /** The charts' time window. */
  span: { start: number; end: number };
  /** The preset the series were loaded with (for a custom window: the one that covers it). */
  loaded: MetricsRange;
}

const eventTone: Record<LinkEventKind, BadgeTone> = {
  down: 'bad',
  up: 'ok',
  failover: 'warn',
  failback: 'info',
  flap: 'warn',
};

const statusText = (status: LinkStatus): string => {
  switch (status) {
    case 'up':
      return msg('up', { id: 'linkDetail.status.up' });
    case 'down':
      return msg('down', { id: 'linkDetail.status.down' });
    default:
      return msg('unknown', { id: 'linkDetail.status.unknown' });
  }
};

const eventText = (event: LinkEventKind): string => {
  switch (event) {
    case 'down':
      return msg('down', { id: 'linkDetail.event.down' });
    case 'up':
      return msg('up', { id: 'linkDetail.event.up' });
    case 'failover':
      return msg('failover', { id: 'linkDetail.event.failover' });
    case 'failback':
      return msg('failback', { id: 'linkDetail.event.failback' });
    case 'flap':
      return msg('flapping', { id: 'linkDetail.event.flap' });
  }
};

const levelText = (level: LinkLevel): string => {
  switch (level) {
    case 'backbone':
      return msg('backbone', { id: 'linkDetail.level.backbone' });
    case 'city':
      return msg('city', { id: 'linkDetail.level.city' });
    case 'county':
      return msg('county', { id: 'linkDetail.level.county' });
    case 'township':
      return msg('township', { id: 'linkDetail.level.township' });
    case 'department':
      return msg('department', { id: 'linkDetail.level.department' });
  }
};

const roleText = (role: LinkRole): string =>
  role === 'primary'
    ? msg('primary', { id: 'linkDetail.role.primary' })
    : msg('backup', { id: 'linkDetail.role.backup' });

const verdictText = (verdict: TierVerdict): string => {
  switch (verdict) {
    case 'ok':
      return msg('meets tier', { id: 'linkDetail.verdict.ok' });
    case 'below':
      return msg('below tier', { id: 'linkDetail.verdict.below' });
    default:
      return msg('unknown', { id: 'linkDetail.verdict.unknown' });
  }
};

/** Which member of its pair carries the traffic, in words. */
const activeText = (link: Pick<LinkView, 'active' | 'pairId' | 'failedOver' | 'role'>): string => {
  if (link.failedOver) {
    return link.role === 'backup'
      ? msg('active (failed over to this backup link)', { id: 'linkDetail.active.failoverBackup' })
      : msg('failed over to the backup link', { id: 'linkDetail.active.failedOver' });
  }
  if (link.active === true) return msg('active', { id: 'linkDetail.active.active' });
  if (link.active === false) return msg('standby', { id: 'linkDetail.active.standby' });
  return link.pairId === null
    ? msg('unpaired', { id: 'linkDetail.active.unpaired' })
    : msg('unknown', { id: 'linkDetail.active.unknown' });
};

const tierText = (tier: LinkTier): string => {
  const target = formatMbps(tier.targetMbps);
  if (tier.verdict === 'unknown' || tier.actualMbps === null) {
    return msg(str`target ${target}, actual unknown`, { id: 'linkDetail.tier.unknown' });
  }
  const actual = formatMbps(tier.actualMbps);
  if (tier.verdict === 'below')
    return msg(str`${actual} of ${target} target`, { id: 'linkDetail.tier.below' });
  return msg(str`meets ${target}`, { id: 'linkDetail.tier.ok' });
};

const utilisationText = (u: LinkUtilisation): string => {
  const inText = formatUtilisation(u.inPercent);
  const outText = formatUtilisation(u.outPercent);
  return msg(str`in ${inText} · out ${outText}`, { id: 'linkDetail.utilisation.pair' });
};

/** One link: its state, role in its pair, tier, traffic and error charts, and failover history. */
@localized()
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

  /** The preset time range of the charts. */
  @state() private _range: MetricsRange = '1h';

  /** A window the user zoomed or brushed a chart to; it replaces the preset until reset. */
  @state() private _custom?: CustomRange;

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

  private readonly _metricsTask = new Task<
    [string, MetricsRange, number | undefined, number | undefined],
    MetricsResult
  >(this, {
    task: async ([linkId, range, from, to], { signal }) => {
      this._lastMetricsRun = Date.now();
      if (from !== undefined && to !== undefined) {
        const now = Date.now();
        const custom = validCustomRange({ from, to }, now);
        const loaded = presetCovering(custom, now);
        const metrics = await fetchLinkMetrics(linkId, loaded, signal);
        const s = metrics.series;
        const clip = (points: typeof s.inPercent) => clipPoints(points, custom);
        return {
          metrics: {
            stepSeconds: metrics.stepSeconds,
            series: {
              inBitsPerSecond: clip(s.inBitsPerSecond),
              outBitsPerSecond: clip(s.outBitsPerSecond),
              inPercent: clip(s.inPercent),
              outPercent: clip(s.outPercent),
              errorsPerSecond: clip(s.errorsPerSecond),
            },
          },
          span: { start: custom.from, end: custom.to },
          loaded,
        };
      }
      const metrics = await fetchLinkMetrics(linkId, range, signal);
      return { metrics, span: chartSpan(Date.now(), rangeMillis[range]), loaded: range };
    },
    args: () => [this.linkId, this._range, this._custom?.from, this._custom?.to],
  });

  private readonly _poll = new PollController(this, refreshMillis, () => {
    this._now = Date.now();
    void this._task.run();
    // A custom window lies in the past: its samples do not change.
    if (this._custom) return;
    const step = (this._metricsTask.value?.metrics.stepSeconds ?? 0) * 1000;
    if (Date.now() - this._lastMetricsRun >= Math.max(metricsRefreshMillis, step))
      void this._metricsTask.run();
  });

  override render() {
    return html`
      <div class="crumbs">
        <a href="/network/links">${msg('← All links', { id: 'linkDetail.crumbs.links' })}</a> ·
        <a href="/network/topology">${msg('Topology', { id: 'linkDetail.crumbs.topology' })}</a>
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value && this._task.value.id === this.linkId
            ? this._renderLink(this._task.value)
            : html`<div class="page-header"><h1>${msg('Link', { id: 'linkDetail.heading' })}</h1></div>
                <ts-panel heading=${msg('Link', { id: 'linkDetail.heading' })} state="loading"></ts-panel>`,
        complete: (link) => this._renderLink(link),
        error: (error) => this._renderError(error),
      })}
    `;
  }

  private _renderError(error: unknown) {
    const heading = msg('Link', { id: 'linkDetail.heading' });
    const header = html`<div class="page-header">
      <h1><span class="muted">${heading}</span> <span class="mono">${this.linkId}</span></h1>
    </div>`;
    if (isNetworkUnavailable(error)) {
      return html`${header}
        <ts-panel class="not-found" heading=${heading}>
          <p
            class="unavailable"
            data-testid=${isMissingRoute(error) ? 'network-unavailable' : 'link-not-found'}
          >
            ${
              isMissingRoute(error)
                ? msg('Network monitoring is not available on this server.', { id: 'linkDetail.unavailable' })
                : msg('There is no such link in your scope. It may have been removed.', {
                    id: 'linkDetail.notFound',
                  })
            }
          </p>
        </ts-panel>`;
    }
    return html`${header}
      <ts-panel
        heading=${heading}
        state="error"
        .error=${errorMessage(error)}
        @ts-retry=${() => void this._task.run()}
      ></ts-panel>`;
  }

  private _renderLink(link: LinkDetail) {
    const polled = formatRelativeTime(link.updatedAt, this._now);
    return html`
      <div class="page-header">
        <h1 data-testid="link-title">${link.name}</h1>
        <span class="header-badges">
          <ts-status-badge
            data-testid="link-status"
            data-status=${link.status}
            .status=${link.status}
            .label=${statusText(link.status)}
            .tone=${linkStatusTone(link.status)}
          ></ts-status-badge>
          ${
            link.failedOver
              ? html`<ts-status-badge
                  status="failed over"
                  .label=${msg('failed over', { id: 'linkDetail.badge.failedOver' })}
                  tone="warn"
                ></ts-status-badge>`
              : nothing
          }
          ${
            link.flapping
              ? html`<ts-status-badge
                  status="flapping"
                  .label=${msg('flapping', { id: 'linkDetail.badge.flapping' })}
                  tone="warn"
                ></ts-status-badge>`
              : nothing
          }
        </span>
        <span class="spacer"></span>
        <span class="muted" title=${formatDateTime(link.updatedAt)}
          >${msg(str`Polled ${polled}`, { id: 'linkDetail.polled' })}</span
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
    const status = statusText(link.status);
    const changed = formatRelativeTime(link.lastChangeAt, this._now);
    const role = roleText(link.role);
    const plane = link.plane;
    const inRate = link.bps ? formatBitRate(link.bps.in) : '';
    const outRate = link.bps ? formatBitRate(link.bps.out) : '';
    const errors = link.errorsPerSecond === null ? '' : formatNumber(link.errorsPerSecond, 2);
    return html`<ts-panel heading=${msg('State', { id: 'linkDetail.facts.heading' })}>
      <dl class="facts">
        <dt>${msg('Status', { id: 'linkDetail.facts.status' })}</dt>
        <dd>${msg(str`${status} · changed ${changed}`, { id: 'linkDetail.facts.statusChanged' })}</dd>
        <dt>${msg('Level', { id: 'linkDetail.facts.level' })}</dt>
        <dd>${levelText(link.level)}</dd>
        <dt>${msg('Role · plane', { id: 'linkDetail.facts.rolePlane' })}</dt>
        <dd>${msg(str`${role} · plane ${plane}`, { id: 'linkDetail.facts.rolePlaneValue' })}</dd>
        <dt>${msg('Pair', { id: 'linkDetail.facts.pair' })}</dt>
        <dd>
          ${
            link.pairId
              ? html`<span class="mono">${link.pairId}</span>${
                    partner
                      ? html` · ${msg('partner', { id: 'linkDetail.facts.partner' })}
                          <a href="/network/links/${encodeURIComponent(partner.id)}">${partner.name}</a>
                          (${statusText(partner.status)})`
                      : nothing
                  }`
              : msg('unpaired', { id: 'linkDetail.active.unpaired' })
          }
        </dd>
        <dt>${msg('Traffic', { id: 'linkDetail.facts.traffic' })}</dt>
        <dd class=${link.failedOver ? 'fo' : ''}>${activeText(link)}</dd>
        <dt>${msg('End A', { id: 'linkDetail.facts.endA' })}</dt>
        <dd>${link.a.deviceName} <span class="mono">${link.a.ifName}</span></dd>
        <dt>${msg('End B', { id: 'linkDetail.facts.endB' })}</dt>
        <dd>${link.b.deviceName} <span class="mono">${link.b.ifName}</span></dd>
        <dt>${msg('Speed', { id: 'linkDetail.facts.speed' })}</dt>
        <dd>${formatMbps(link.speedMbps)}</dd>
        <dt>${msg('Tier', { id: 'linkDetail.facts.tier' })}</dt>
        <dd>
          <ts-status-badge
            .status=${link.tier.verdict}
            .label=${verdictText(link.tier.verdict)}
            .tone=${verdictTone(link.tier.verdict)}
          ></ts-status-badge>
          ${tierText(link.tier)}
        </dd>
        <dt>${msg('Utilisation', { id: 'linkDetail.facts.utilisation' })}</dt>
        <dd>
          ${
            link.utilisation
              ? html`<ts-utilisation-bar .percent=${link.utilisation.maxPercent}></ts-utilisation-bar>
                  <span class="muted">${utilisationText(link.utilisation)}</span>`
              : '—'
          }
        </dd>
        <dt>${msg('Rate', { id: 'linkDetail.facts.rate' })}</dt>
        <dd>
          ${link.bps ? msg(str`in ${inRate} · out ${outRate}`, { id: 'linkDetail.facts.rateValue' }) : '—'}
        </dd>
        <dt>${msg('Errors', { id: 'linkDetail.facts.errors' })}</dt>
        <dd>${errors ? msg(str`${errors}/s`, { id: 'linkDetail.facts.errorsValue' }) : '—'}</dd>
      </dl>
    </ts-panel>`;
  }

  private _renderHistory(link: LinkDetail) {
    const history = [...link.history].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    const count = history.length;
    return html`<ts-panel
      class="history"
      heading=${msg('Failover history', { id: 'linkDetail.history.heading' })}
    >
      <span slot="meta"
        >${
          count === 1
            ? msg('1 event', { id: 'linkDetail.history.count.one' })
            : msg(str`${count} events`, { id: 'linkDetail.history.count.other' })
        }</span
      >
      ${
        history.length === 0
          ? html`<div class="empty" data-testid="link-history">
              ${msg('No state changes recorded.', { id: 'linkDetail.history.empty' })}
            </div>`
          : html`<ol data-testid="link-history">
              ${history.map(
                (entry) =>
                  html`<li data-testid="link-history-entry" data-event=${entry.event}>
                    <span
                      ><ts-status-badge
                        .status=${entry.event}
                        .label=${eventText(entry.event)}
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

  /** The preset buttons; while a zoomed window is shown, a pressed "Custom" stands for it. */
  private _renderRanges() {
    return rangeButtons({
      range: this._range,
      custom: this._custom,
      label: msg('Time range', { id: 'linkDetail.range.label' }),
      testId: 'link-range',
      onSelect: (range) => this._selectPreset(range),
    });
  }

  private _selectPreset(range: MetricsRange) {
    this._custom = undefined;
    this._range = range;
  }

  private _resetRange() {
    this._custom = undefined;
  }

  private _onChartRange(event: CustomEvent<ChartRangeDetail>) {
    this._custom = zoomedWindow(event.detail, Date.now()) ?? this._custom;
  }

  private _renderCharts(link: LinkDetail) {
    const ranges = this._renderRanges();
    const heading = msg('Traffic and errors', { id: 'linkDetail.charts.heading' });
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
    const { metrics, span } = result;
    const step = metrics.stepSeconds;
    return html`<ts-panel
      heading=${msg('Traffic and errors', { id: 'linkDetail.charts.heading' })}
      ?busy=${busy}
    >
      <span slot="meta" data-testid="link-step" data-step=${step}
        >${msg(str`step ${step} s`, { id: 'linkDetail.charts.step' })}</span
      >
      ${ranges}
      <ts-range-bar
        data-testid="link-range-bar"
        .range=${this._custom}
        @ts-range-reset=${this._resetRange}
      ></ts-range-bar>
      <div class="charts" @ts-chart-range=${this._onChartRange} @ts-chart-reset=${this._resetRange}>
        ${linkChartKinds.map((kind) =>
          chartFigure({
            testId: `chart-link-${kind}`,
            title: linkChartTitle(kind),
            subject: link.name,
            option: cachedOption(result, `${kind}:${link.name}`, () =>
              linkChartOption(kind, metrics, span, link.name),
            ),
            empty: isEmpty(linkChartLines(kind, metrics)),
            height: 190,
          }),
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
