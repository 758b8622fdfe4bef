import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task, TaskStatus } from '@lit/task';
import { errorMessage } from '../data/api.js';
import { rangeMillis } from '../data/hosts.js';
import type { MetricsRange } from '../data/hosts.js';
import { fetchDevice, fetchInterface, fetchInterfaceMetrics } from '../data/devices.js';
import type { DeviceDetail, InterfaceDetail, InterfaceMetrics } from '../data/devices.js';
import { isMissingRoute, isNetworkUnavailable } from '../data/network.js';
import { formatBitRate, formatDateTime, formatNumber, formatRelativeTime } from '../common/format.js';
import { formatSpeedMbps, ifStatusText, ifTone, ifTypeText } from '../common/device-style.js';
import { formatUtilisation } from '../common/link-style.js';
import { PollController } from '../common/poll-controller.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import { cachedOption, chartFigure, chartSpan } from '../charts/figure.js';
import {
  clipInterfaceMetrics,
  interfaceChartKinds,
  interfaceChartLines,
  interfaceChartOption,
  interfaceChartTitle,
} from '../charts/interface-charts.js';
import { isEmpty } from '../charts/time-series.js';
import { presetCovering, validCustomRange, zoomedWindow } from '../charts/time-range.js';
import type { CustomRange } from '../charts/time-range.js';
import type { ChartRangeDetail } from '../charts/option.js';
import '../charts/ts-range-bar.js';
import { rangeButtons } from '../charts/range-buttons.js';
import { networkStyles } from './network-panels.js';
import '../components/ts-panel.js';
import '../components/ts-status-badge.js';
import '../components/ts-utilisation-bar.js';

const refreshMillis = 10_000;
const metricsRefreshMillis = 60_000;

interface ChartResult {
  metrics: InterfaceMetrics;
  span: { start: number; end: number };
}

/** What an interface history entry says changed, in words. */
export function interfaceChangeText(change: string): string {
  switch (change) {
    case 'added':
      return msg('discovered', { id: 'port.change.added' });
    case 'renamed':
      return msg('renamed', { id: 'port.change.renamed' });
    case 'reindexed':
      return msg('re-indexed', { id: 'port.change.reindexed' });
    case 'missing':
      return msg('missing', { id: 'port.change.missing' });
    case 'back':
      return msg('back', { id: 'port.change.returned' });
    case 'alias':
      return msg('alias changed', { id: 'port.change.alias' });
    case 'up':
      return msg('up', { id: 'port.change.up' });
    case 'down':
      return msg('down', { id: 'port.change.down' });
    case 'speed':
      return msg('speed changed', { id: 'port.change.speed' });
    case 'admin':
      return msg('admin status changed', { id: 'port.change.admin' });
    default:
      return change;
  }
}

const changeTone = (change: string) =>
  change === 'down' || change === 'missing' ? 'bad' : change === 'up' || change === 'back' ? 'ok' : 'info';

/** One interface of a device (a port): its state, traffic, utilisation, errors and discards, status history. */
@localized()
@customElement('ts-page-interface-detail')
export class TsPageInterfaceDetail extends LitElement {
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
        min-width: 0;
        overflow-wrap: anywhere;
        font-variant-numeric: tabular-nums;
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
        grid-template-columns: 120px 1fr;
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
      .err {
        color: var(--ts-bad);
        font-weight: 600;
      }
    `,
  ];

  @property() deviceId = '';

  /** The ifIndex from the path, as text. */
  @property() ifIndex = '';

  @state() private _range: MetricsRange = '1h';

  @state() private _custom?: CustomRange;

  @state() private _now = Date.now();

  private _lastMetricsRun = 0;

  private get _index(): number {
    return Number(this.ifIndex);
  }

  private readonly _task = new Task<[string, string], InterfaceDetail>(this, {
    task: ([deviceId, ifIndex], { signal }) => fetchInterface(deviceId, Number(ifIndex), signal),
    args: () => [this.deviceId, this.ifIndex],
  });

  /** The device, for its name in the header; the page works without it. */
  private readonly _deviceTask = new Task<[string], DeviceDetail>(this, {
    task: ([deviceId], { signal }) => fetchDevice(deviceId, signal),
    args: () => [this.deviceId],
  });

  private readonly _metricsTask = new Task<
    [string, string, MetricsRange, number | undefined, number | undefined],
    ChartResult
  >(this, {
    task: async ([deviceId, ifIndex, range, from, to], { signal }) => {
      this._lastMetricsRun = Date.now();
      if (from !== undefined && to !== undefined) {
        const now = Date.now();
        const custom = validCustomRange({ from, to }, now);
        const metrics = await fetchInterfaceMetrics(
          deviceId,
          Number(ifIndex),
          presetCovering(custom, now),
          signal,
        );
        return {
          metrics: clipInterfaceMetrics(metrics, custom),
          span: { start: custom.from, end: custom.to },
        };
      }
      const metrics = await fetchInterfaceMetrics(deviceId, Number(ifIndex), range, signal);
      return { metrics, span: chartSpan(Date.now(), rangeMillis[range]) };
    },
    args: () => [this.deviceId, this.ifIndex, this._range, this._custom?.from, this._custom?.to],
  });

  private readonly _poll = new PollController(this, refreshMillis, () => {
    this._now = Date.now();
    void this._task.run();
    if (this._custom) return;
    const metrics = this._metricsTask.value?.metrics;
    const step = (metrics?.stepSeconds ?? 0) * 1000;
    // Until the first samples arrive (a device just added), the chart is loaded at every refresh.
    const waiting = metrics !== undefined && metrics.series.inBitsPerSecond.length < 2;
    if (waiting || Date.now() - this._lastMetricsRun >= Math.max(metricsRefreshMillis, step))
      void this._metricsTask.run();
  });

  override render() {
    const deviceName = this._deviceTask.value?.name ?? this.deviceId;
    return html`
      <div class="crumbs">
        <a href="/network/devices">${msg('← All devices', { id: 'deviceDetail.crumbs.devices' })}</a> ·
        <a href="/network/devices/${encodeURIComponent(this.deviceId)}" data-testid="port-device-link"
          >${deviceName}</a
        >
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value && this._task.value.ifIndex === this._index
            ? this._renderPort(this._task.value)
            : html`<div class="page-header"><h1>${msg('Interface', { id: 'port.heading' })}</h1></div>
                <ts-panel heading=${msg('Interface', { id: 'port.heading' })} state="loading"></ts-panel>`,
        complete: (port) => this._renderPort(port),
        error: (error) => this._renderError(error),
      })}
    `;
  }

  private _renderError(error: unknown) {
    const heading = msg('Interface', { id: 'port.heading' });
    if (isNetworkUnavailable(error)) {
      return html`<ts-panel heading=${heading}>
        <p
          class="unavailable"
          data-testid=${isMissingRoute(error) ? 'network-unavailable' : 'port-not-found'}
        >
          ${
            isMissingRoute(error)
              ? msg('Network monitoring is not available on this server.', { id: 'network.unavailable' })
              : msg('This device has no such interface in your scope.', { id: 'port.notFound' })
          }
        </p>
      </ts-panel>`;
    }
    return html`<ts-panel
      heading=${heading}
      state="error"
      .error=${errorMessage(error)}
      @ts-retry=${() => void this._task.run()}
    ></ts-panel>`;
  }

  private _renderPort(port: InterfaceDetail) {
    const deviceName = this._deviceTask.value?.name ?? this.deviceId;
    return html`
      <div class="page-header">
        <h1 data-testid="port-title"><span class="muted">${deviceName}</span> ${port.name}</h1>
        <ts-status-badge
          data-testid="port-status"
          data-status=${port.operStatus ?? 'unknown'}
          .status=${port.operStatus ?? 'unknown'}
          .label=${ifStatusText(port.operStatus)}
          .tone=${ifTone(port.adminStatus, port.operStatus)}
        ></ts-status-badge>
        ${
          port.missingSince
            ? html`<ts-status-badge
                status="missing"
                .label=${msg('missing', { id: 'deviceDetail.if.missingBadge' })}
                tone="warn"
              ></ts-status-badge>`
            : nothing
        }
      </div>
      <div class="grid">
        <div class="side">${this._renderFacts(port)} ${this._renderHistory(port)}</div>
        ${this._renderCharts(port)}
      </div>
    `;
  }

  private _renderFacts(port: InterfaceDetail) {
    const dash = '—';
    const inRate = port.inBps === null ? dash : formatBitRate(port.inBps);
    const outRate = port.outBps === null ? dash : formatBitRate(port.outBps);
    const inU = formatUtilisation(port.inUtilisation);
    const outU = formatUtilisation(port.outUtilisation);
    const n = (v: number | null) => (v === null ? dash : formatNumber(v, 2));
    const inE = n(port.inErrorsPerSecond);
    const outE = n(port.outErrorsPerSecond);
    const inD = n(port.inDiscardsPerSecond);
    const outD = n(port.outDiscardsPerSecond);
    const polled = formatRelativeTime(port.polledAt, this._now);
    const max =
      port.inUtilisation === null && port.outUtilisation === null
        ? null
        : Math.max(port.inUtilisation ?? 0, port.outUtilisation ?? 0);
    return html`<ts-panel heading=${msg('State', { id: 'port.facts.heading' })}>
      <dl class="facts" data-testid="port-facts">
        <dt>${msg('ifIndex', { id: 'port.facts.ifIndex' })}</dt>
        <dd class="mono">${port.ifIndex}</dd>
        <dt>${msg('Description', { id: 'deviceDetail.facts.sysDescr' })}</dt>
        <dd>${port.descr ?? dash}</dd>
        <dt>${msg('Alias', { id: 'deviceDetail.if.alias' })}</dt>
        <dd>${port.alias ?? dash}</dd>
        <dt>${msg('Type', { id: 'port.facts.type' })}</dt>
        <dd>${ifTypeText(port.type)}</dd>
        <dt>${msg('MAC address', { id: 'port.facts.mac' })}</dt>
        <dd class="mono">${port.mac ?? dash}</dd>
        <dt>${msg('Admin / oper', { id: 'deviceDetail.if.status' })}</dt>
        <dd>${ifStatusText(port.adminStatus)} / ${ifStatusText(port.operStatus)}</dd>
        <dt>${msg('Speed', { id: 'deviceDetail.if.speed' })}</dt>
        <dd>${formatSpeedMbps(port.speedMbps)}</dd>
        <dt>${msg('Counters', { id: 'deviceDetail.if.counters' })}</dt>
        <dd>
          ${
            port.counterBits === null
              ? dash
              : msg(str`${port.counterBits}-bit`, { id: 'deviceDetail.if.bits' })
          }
        </dd>
        <dt>${msg('Rate', { id: 'port.facts.rate' })}</dt>
        <dd>${msg(str`in ${inRate} · out ${outRate}`, { id: 'port.facts.rateValue' })}</dd>
        <dt>${msg('Utilisation', { id: 'deviceDetail.if.utilisation' })}</dt>
        <dd>
          <ts-utilisation-bar .percent=${max}></ts-utilisation-bar>
          <span class="muted"
            >${msg(str`in ${inU} · out ${outU}`, { id: 'port.facts.utilisationValue' })}</span
          >
        </dd>
        <dt>${msg('Errors/s', { id: 'port.facts.errors' })}</dt>
        <dd>${msg(str`in ${inE} · out ${outE}`, { id: 'port.facts.pairValue' })}</dd>
        <dt>${msg('Discards/s', { id: 'port.facts.discards' })}</dt>
        <dd>${msg(str`in ${inD} · out ${outD}`, { id: 'port.facts.pairValue' })}</dd>
        <dt>${msg('Last change', { id: 'deviceDetail.if.lastChange' })}</dt>
        <dd title=${formatDateTime(port.lastChangeAt)}>
          ${formatRelativeTime(port.lastChangeAt, this._now)}
        </dd>
        ${
          port.missingSince
            ? html`<dt>${msg('Missing since', { id: 'deviceDetail.if.missingSince' })}</dt>
                <dd class="err">${formatDateTime(port.missingSince)}</dd>`
            : nothing
        }
        <dt>${msg('Polled', { id: 'port.facts.polled' })}</dt>
        <dd title=${formatDateTime(port.polledAt)}>${polled}</dd>
      </dl>
    </ts-panel>`;
  }

  private _renderHistory(port: InterfaceDetail) {
    const history = [...port.history].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    return html`<ts-panel class="history" heading=${msg('Status history', { id: 'port.history.heading' })}>
      ${
        history.length === 0
          ? html`<div class="empty" data-testid="port-history">
              ${msg('No changes recorded.', { id: 'port.history.empty' })}
            </div>`
          : html`<ol data-testid="port-history">
              ${history.map(
                (entry) =>
                  html`<li data-testid="port-history-entry" data-change=${entry.change}>
                    <span
                      ><ts-status-badge
                        .status=${entry.change}
                        .label=${interfaceChangeText(entry.change)}
                        .tone=${changeTone(entry.change)}
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

  private _renderRanges() {
    return rangeButtons({
      range: this._range,
      custom: this._custom,
      label: msg('Time range', { id: 'deviceDetail.range.label' }),
      testId: 'port-range',
      onSelect: (range) => {
        this._custom = undefined;
        this._range = range;
      },
    });
  }

  private _onChartRange(event: CustomEvent<ChartRangeDetail>) {
    this._custom = zoomedWindow(event.detail, Date.now()) ?? this._custom;
  }

  private _renderCharts(port: InterfaceDetail) {
    const heading = msg('Traffic, errors and discards', { id: 'port.charts.heading' });
    const ranges = this._renderRanges();
    const result = this._metricsTask.value;
    if (this._metricsTask.error && !result) {
      return html`<ts-panel
        heading=${heading}
        state="error"
        .error=${errorMessage(this._metricsTask.error)}
        @ts-retry=${() => void this._metricsTask.run()}
        >${ranges}</ts-panel
      >`;
    }
    if (!result) return html`<ts-panel heading=${heading} state="loading">${ranges}</ts-panel>`;
    const subject = `${this._deviceTask.value?.name ?? this.deviceId} ${port.name}`;
    const step = result.metrics.stepSeconds;
    return html`<ts-panel heading=${heading} ?busy=${this._metricsTask.status === TaskStatus.PENDING}>
      <span slot="meta" data-testid="port-step" data-step=${step}
        >${msg(str`step ${step} s`, { id: 'port.charts.step' })}</span
      >
      ${ranges}
      <ts-range-bar
        data-testid="port-range-bar"
        .range=${this._custom}
        @ts-range-reset=${() => (this._custom = undefined)}
      ></ts-range-bar>
      <div
        class="charts"
        @ts-chart-range=${this._onChartRange}
        @ts-chart-reset=${() => (this._custom = undefined)}
      >
        ${interfaceChartKinds.map((kind) =>
          chartFigure({
            testId: `chart-port-${kind}`,
            title: interfaceChartTitle(kind),
            subject,
            option: cachedOption(result, `${kind}:${subject}`, () =>
              interfaceChartOption(kind, result.metrics, result.span, subject),
            ),
            empty: isEmpty(interfaceChartLines(kind, result.metrics)),
            height: 180,
          }),
        )}
      </div>
    </ts-panel>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-interface-detail': TsPageInterfaceDetail;
  }
}
