import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task, TaskStatus } from '@lit/task';
import { actionErrorMessage, errorMessage } from '../data/api.js';
import { canManage } from '../data/auth.js';
import type { User } from '../data/auth.js';
import { rangeMillis } from '../data/hosts.js';
import type { MetricsRange } from '../data/hosts.js';
import {
  discoverDevice,
  fetchDevice,
  fetchDevicePolls,
  fetchInterfaceMetrics,
  topInterface,
} from '../data/devices.js';
import type { DeviceDetail, InterfaceMetrics, InterfaceStatus, PollRecord } from '../data/devices.js';
import { isMissingRoute, isNetworkUnavailable } from '../data/network.js';
import {
  formatBitRate,
  formatCount,
  formatDateTime,
  formatNumber,
  formatRelativeTime,
} from '../common/format.js';
import {
  deviceStatusText,
  deviceStatusTone,
  formatSpeedMbps,
  formatUptime,
  ifStatusText,
  ifTone,
  pollOutcomeLine,
  pollOutcomeText,
  pollOutcomeTone,
} from '../common/device-style.js';
import { formatUtilisation, linkRoleText, linkStatusText, linkStatusTone } from '../common/link-style.js';
import { PollController } from '../common/poll-controller.js';
import { navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import { cachedOption, chartFigure, chartSpan } from '../charts/figure.js';
import {
  clipInterfaceMetrics,
  interfaceChartLines,
  interfaceChartOption,
  interfaceChartTitle,
} from '../charts/interface-charts.js';
import { isEmpty } from '../charts/time-series.js';
import { presetCovering, rangeLabel, validCustomRange, zoomedWindow } from '../charts/time-range.js';
import type { CustomRange } from '../charts/time-range.js';
import type { ChartRangeDetail } from '../charts/option.js';
import '../charts/ts-range-bar.js';
import { rangeButtons } from '../charts/range-buttons.js';
import type { DataTableColumn, RowSelectDetail } from '../components/ts-data-table.js';
import { networkStyles } from './network-panels.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';
import '../components/ts-status-badge.js';
import '../components/ts-utilisation-bar.js';

const refreshMillis = 10_000;
const metricsRefreshMillis = 60_000;

const rate = (v: number | null) => (v === null ? '—' : formatBitRate(v));
const perSecond = (v: number | null) => (v === null ? '—' : formatNumber(v, 2));

interface ChartResult {
  metrics: InterfaceMetrics;
  span: { start: number; end: number };
}

/**
 * One device: what discovery found (system, vendor, model, OS, serial), its last poll with the reason
 * when it failed, its interfaces with status, speed, rates, utilisation, errors and discards, a traffic
 * chart of one interface, the poll history, LLDP neighbours and the links it belongs to.
 */
@localized()
@customElement('ts-page-device-detail')
export class TsPageDeviceDetail extends LitElement {
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
        margin-bottom: 12px;
      }
      @media (max-width: 1100px) {
        .grid {
          grid-template-columns: minmax(0, 1fr);
        }
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
      .poll-error {
        margin: 0 0 12px;
        padding: 10px 14px;
        border: 1px solid var(--ts-bad);
        border-left-width: 4px;
        border-radius: var(--ts-radius);
        background: var(--ts-surface);
      }
      .poll-error.partial {
        border-color: var(--ts-warn);
      }
      .poll-error strong {
        color: var(--ts-bad);
      }
      .poll-error.partial strong {
        color: var(--ts-warn);
      }
      .poll-error ul {
        margin: 4px 0 0;
        padding-left: 18px;
      }
      .table-panel {
        --ts-panel-padding: 0;
        margin-bottom: 12px;
      }
      .table-panel ts-data-table {
        --ts-table-max-height: 520px;
      }
      .header-actions {
        display: inline-flex;
        gap: 8px;
        align-items: center;
      }
      .notice {
        margin: 0 0 8px;
      }
      .notice.bad {
        color: var(--ts-bad);
      }
      .chart-tools {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 8px;
        margin-bottom: 8px;
      }
      .chart-tools select {
        height: 24px;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        background: var(--ts-surface);
        color: var(--ts-text);
        font: inherit;
        font-size: 12px;
      }
      figure {
        margin: 0;
      }
      figcaption {
        margin-bottom: 4px;
        font-weight: 600;
        font-size: 12px;
      }
      .badge64 {
        font-size: 11px;
      }
      .err {
        color: var(--ts-bad);
        font-weight: 600;
      }
      .side {
        display: grid;
        gap: 12px;
      }
      ul.plain {
        margin: 0;
        padding: 0;
        list-style: none;
      }
      ul.plain li {
        padding: 4px 0;
        border-bottom: 1px solid var(--ts-border);
      }
      ul.plain li:last-child {
        border-bottom: 0;
      }
      .not-found {
        max-width: 640px;
      }
    `,
  ];

  @property() deviceId = '';

  @property({ attribute: false }) user?: User;

  @state() private _range: MetricsRange = '1h';

  @state() private _custom?: CustomRange;

  /** The interface the chart shows; unset: the busiest. */
  @state() private _chartIfIndex?: number;

  @state() private _now = Date.now();

  @state() private _discoverNotice: (() => string) | null = null;

  @state() private _discoverFailed = false;

  @state() private _discovering = false;

  private _lastMetricsRun = 0;

  private readonly _task = new Task<[string], DeviceDetail>(this, {
    task: ([deviceId], { signal }) => fetchDevice(deviceId, signal),
    args: () => [this.deviceId],
  });

  private readonly _pollsTask = new Task<[string, MetricsRange], PollRecord[]>(this, {
    task: async ([deviceId, range], { signal }) => (await fetchDevicePolls(deviceId, range, signal)).items,
    args: () => [this.deviceId, this._range],
  });

  private readonly _metricsTask = new Task<
    [string, number | undefined, MetricsRange, number | undefined, number | undefined],
    ChartResult | null
  >(this, {
    task: async ([deviceId, ifIndex, range, from, to], { signal }) => {
      if (ifIndex === undefined) return null;
      this._lastMetricsRun = Date.now();
      if (from !== undefined && to !== undefined) {
        const now = Date.now();
        const custom = validCustomRange({ from, to }, now);
        const metrics = await fetchInterfaceMetrics(deviceId, ifIndex, presetCovering(custom, now), signal);
        return {
          metrics: clipInterfaceMetrics(metrics, custom),
          span: { start: custom.from, end: custom.to },
        };
      }
      const metrics = await fetchInterfaceMetrics(deviceId, ifIndex, range, signal);
      return { metrics, span: chartSpan(Date.now(), rangeMillis[range]) };
    },
    args: () => [
      this.deviceId,
      this._chartInterface()?.ifIndex,
      this._range,
      this._custom?.from,
      this._custom?.to,
    ],
  });

  private readonly _poll = new PollController(this, refreshMillis, () => {
    this._now = Date.now();
    void this._task.run();
    void this._pollsTask.run();
    if (this._custom) return;
    const metrics = this._metricsTask.value?.metrics;
    const step = (metrics?.stepSeconds ?? 0) * 1000;
    // Until the first samples arrive (a device just added), the chart is loaded at every refresh.
    const waiting = metrics !== undefined && metrics.series.inBitsPerSecond.length < 2;
    if (waiting || Date.now() - this._lastMetricsRun >= Math.max(metricsRefreshMillis, step))
      void this._metricsTask.run();
  });

  private _chartInterface(): InterfaceStatus | undefined {
    const device = this._task.value;
    if (!device || device.id !== this.deviceId) return undefined;
    if (this._chartIfIndex !== undefined) {
      const chosen = device.interfaces.find((i) => i.ifIndex === this._chartIfIndex);
      if (chosen) return chosen;
    }
    return topInterface(device.interfaces);
  }

  override render() {
    return html`
      <div class="crumbs">
        <a href="/network/devices">${msg('← All devices', { id: 'deviceDetail.crumbs.devices' })}</a>
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value && this._task.value.id === this.deviceId
            ? this._renderDevice(this._task.value)
            : html`<div class="page-header"><h1>${msg('Device', { id: 'deviceDetail.heading' })}</h1></div>
                <ts-panel
                  heading=${msg('Device', { id: 'deviceDetail.heading' })}
                  state="loading"
                ></ts-panel>`,
        complete: (device) => this._renderDevice(device),
        error: (error) =>
          this._task.value && this._task.value.id === this.deviceId && !isNetworkUnavailable(error)
            ? html`<p class="notice bad" role="alert">${errorMessage(error)}</p>
                ${this._renderDevice(this._task.value)}`
            : this._renderError(error),
      })}
    `;
  }

  private _renderError(error: unknown) {
    const heading = msg('Device', { id: 'deviceDetail.heading' });
    const header = html`<div class="page-header">
      <h1><span class="muted">${heading}</span> <span class="mono">${this.deviceId}</span></h1>
    </div>`;
    if (isNetworkUnavailable(error)) {
      return html`${header}
        <ts-panel class="not-found" heading=${heading}>
          <p
            class="unavailable"
            data-testid=${isMissingRoute(error) ? 'network-unavailable' : 'device-not-found'}
          >
            ${
              isMissingRoute(error)
                ? msg('Network monitoring is not available on this server.', { id: 'network.unavailable' })
                : msg('There is no such device in your scope. It may have been removed.', {
                    id: 'deviceDetail.notFound',
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

  private _renderDevice(device: DeviceDetail) {
    const poll = device.lastPoll;
    const polled = poll ? formatRelativeTime(poll.at, this._now) : msg('never', { id: 'devices.never' });
    return html`
      <div class="page-header">
        <h1 data-testid="device-title">${device.name}</h1>
        <ts-status-badge
          data-testid="device-status"
          data-status=${device.status}
          .status=${device.status}
          .label=${deviceStatusText(device.status)}
          .tone=${deviceStatusTone(device.status)}
        ></ts-status-badge>
        <span class="spacer"></span>
        <span class="header-actions">
          <span class="muted" title=${poll ? formatDateTime(poll.at) : ''}
            >${msg(str`Polled ${polled}`, { id: 'deviceDetail.polled' })}</span
          >
          ${
            canManage(this.user)
              ? html`<button
                  class="btn"
                  type="button"
                  data-testid="device-discover"
                  ?disabled=${this._discovering}
                  @click=${() => void this._discover(device.id)}
                >
                  ${msg('Discover now', { id: 'deviceDetail.discover' })}
                </button>`
              : nothing
          }
        </span>
      </div>
      ${
        this._discoverNotice
          ? html`<p
              class="notice ${this._discoverFailed ? 'bad' : ''}"
              role=${this._discoverFailed ? 'alert' : 'status'}
              data-testid="device-discover-notice"
            >
              ${this._discoverNotice()}
            </p>`
          : nothing
      }
      ${this._renderPollProblem(device)}
      <div class="grid">
        <div class="side">${this._renderFacts(device)} ${this._renderPollHistory()}</div>
        ${this._renderChart(device)}
      </div>
      ${this._renderInterfaces(device)}
      <div class="grid">${this._renderNeighbours(device)} ${this._renderLinks(device)}</div>
    `;
  }

  /** The last poll's failure and its reason, or a partial answer's missing columns, above everything. */
  private _renderPollProblem(device: DeviceDetail) {
    const poll = device.lastPoll;
    if (!poll) return nothing;
    const partial = poll.outcome === 'partial';
    const failures = poll.consecutiveFailures;
    const lists = html`${
      poll.missing.length > 0
        ? html`<div data-testid="device-poll-missing">
            ${msg('Not answered:', { id: 'deviceDetail.poll.missing' })}
            <ul>
              ${poll.missing.map((m) => html`<li class="mono">${m}</li>`)}
            </ul>
          </div>`
        : nothing
    }
    ${
      poll.warnings.length > 0
        ? html`<div data-testid="device-poll-warnings">
            ${msg('Warnings:', { id: 'deviceDetail.poll.warnings' })}
            <ul>
              ${poll.warnings.map((w) => html`<li>${w}</li>`)}
            </ul>
          </div>`
        : nothing
    }`;
    if (poll.outcome === 'ok') {
      return poll.warnings.length > 0 || poll.missing.length > 0
        ? html`<div class="poll-error partial" role="status">${lists}</div>`
        : nothing;
    }
    const when = formatRelativeTime(poll.at, this._now);
    return html`<div
      class="poll-error ${partial ? 'partial' : ''}"
      role="alert"
      data-testid="device-poll-error"
      data-outcome=${poll.outcome}
    >
      <strong
        >${
          partial
            ? msg('The last poll got a partial answer', { id: 'deviceDetail.poll.partialHeading' })
            : msg('The last poll failed', { id: 'deviceDetail.poll.failedHeading' })
        }</strong
      >
      · <span data-testid="device-poll-reason">${pollOutcomeLine(poll)}</span> ·
      <span class="muted" title=${formatDateTime(poll.at)}>${when}</span>
      ${
        failures > 1
          ? html` ·
              <span
                >${msg(str`${failures} polls in a row failed`, { id: 'deviceDetail.poll.consecutive' })}</span
              >`
          : nothing
      }
      ${lists}
    </div>`;
  }

  private _renderFacts(device: DeviceDetail) {
    const dash = '—';
    const discovery = device.lastDiscovery;
    const discovered = discovery
      ? formatRelativeTime(discovery.at, this._now)
      : msg('never', { id: 'devices.never' });
    return html`<ts-panel heading=${msg('Device', { id: 'deviceDetail.heading' })}>
      <dl class="facts" data-testid="device-facts">
        <dt>${msg('sysName', { id: 'deviceDetail.facts.sysName' })}</dt>
        <dd data-testid="device-sysname">${device.sysName ?? dash}</dd>
        <dt>${msg('Description', { id: 'deviceDetail.facts.sysDescr' })}</dt>
        <dd>${device.sysDescr ?? dash}</dd>
        <dt>${msg('Vendor', { id: 'deviceDetail.facts.vendor' })}</dt>
        <dd>${device.vendor ?? dash}</dd>
        <dt>${msg('Model', { id: 'deviceDetail.facts.model' })}</dt>
        <dd>${device.model ?? dash}</dd>
        <dt>${msg('OS version', { id: 'devices.col.os' })}</dt>
        <dd>${device.osVersion ?? dash}</dd>
        <dt>${msg('Serial number', { id: 'deviceDetail.facts.serial' })}</dt>
        <dd class="mono">${device.serial ?? dash}</dd>
        <dt>${msg('Location', { id: 'deviceDetail.facts.location' })}</dt>
        <dd>${device.sysLocation ?? dash}</dd>
        <dt>${msg('Uptime', { id: 'devices.col.uptime' })}</dt>
        <dd>${formatUptime(device.uptimeSeconds)}</dd>
        <dt>${msg('Management address', { id: 'deviceDetail.facts.address' })}</dt>
        <dd class="mono" data-testid="device-address">
          ${device.managementAddress}:${device.snmpPort ?? 161}
        </dd>
        <dt>${msg('Poller agent', { id: 'deviceDetail.facts.agent' })}</dt>
        <dd class="mono">${device.pollerAgentId ?? device.lastPollAgentId ?? dash}</dd>
        <dt>${msg('Last poll', { id: 'devices.col.lastPoll' })}</dt>
        <dd>
          ${
            device.lastPoll
              ? html`<ts-status-badge
                    .status=${device.lastPoll.outcome}
                    .label=${pollOutcomeText(device.lastPoll.outcome)}
                    .tone=${pollOutcomeTone(device.lastPoll.outcome)}
                  ></ts-status-badge>
                  ${formatRelativeTime(device.lastPoll.at, this._now)}`
              : msg('never', { id: 'devices.never' })
          }
        </dd>
        <dt>${msg('Last discovery', { id: 'devices.col.lastDiscovery' })}</dt>
        <dd data-testid="device-discovery">
          ${discovered}${discovery && discovery.outcome !== 'ok' ? html` · <span class="err">${pollOutcomeLine(discovery)}</span>` : nothing}
        </dd>
      </dl>
    </ts-panel>`;
  }

  private _renderPollHistory() {
    const polls = this._pollsTask.value;
    const heading = msg('Poll history', { id: 'deviceDetail.polls.heading' });
    if (!polls) {
      return this._pollsTask.error
        ? html`<ts-panel
            heading=${heading}
            state="error"
            .error=${errorMessage(this._pollsTask.error)}
            @ts-retry=${() => void this._pollsTask.run()}
          ></ts-panel>`
        : html`<ts-panel heading=${heading} state="loading"></ts-panel>`;
    }
    const sorted = [...polls].sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
    const failed = sorted.filter((p) => p.outcome !== 'ok').length;
    const total = formatCount(sorted.length);
    const failedText = formatCount(failed);
    const range = rangeLabel(this._range);
    return html`<ts-panel class="table-panel" heading=${heading}>
      <span slot="meta"
        >${msg(str`${failedText} of ${total} failed · ${range}`, { id: 'deviceDetail.polls.meta' })}</span
      >
      <ts-data-table
        caption=${heading}
        .columns=${this._pollColumns()}
        .rows=${sorted.slice(0, 200)}
        .rowKey=${(p: PollRecord) => p.at}
        .rowAttributes=${(p: PollRecord) => ({ 'data-testid': 'poll-row', 'data-outcome': p.outcome })}
        emptyMessage=${msg('No polls in this range.', { id: 'deviceDetail.polls.empty' })}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _pollColumns(): DataTableColumn<PollRecord>[] {
    return [
      {
        id: 'at',
        title: msg('Time', { id: 'deviceDetail.polls.col.at' }),
        render: (p) =>
          html`<span title=${formatDateTime(p.at)}>${formatRelativeTime(p.at, this._now)}</span>`,
      },
      {
        id: 'outcome',
        title: msg('Outcome', { id: 'deviceDetail.polls.col.outcome' }),
        render: (p) =>
          html`<span class="cell-stack"
            ><span
              ><ts-status-badge
                .status=${p.outcome}
                .label=${pollOutcomeText(p.outcome)}
                .tone=${pollOutcomeTone(p.outcome)}
              ></ts-status-badge></span
            >${p.error ? html`<span class="cell-sub cell-wrap">${p.error}</span>` : nothing}</span
          >`,
      },
      {
        id: 'duration',
        title: msg('Duration', { id: 'deviceDetail.polls.col.duration' }),
        align: 'end',
        render: (p) => {
          const ms = formatCount(p.durationMs);
          return msg(str`${ms} ms`, { id: 'deviceDetail.polls.ms' });
        },
      },
    ];
  }

  private _renderRanges() {
    return rangeButtons({
      range: this._range,
      custom: this._custom,
      label: msg('Time range', { id: 'deviceDetail.range.label' }),
      testId: 'device-range',
      onSelect: (range) => {
        this._custom = undefined;
        this._range = range;
      },
    });
  }

  private _onChartRange(event: CustomEvent<ChartRangeDetail>) {
    this._custom = zoomedWindow(event.detail, Date.now()) ?? this._custom;
  }

  private _renderChart(device: DeviceDetail) {
    const heading = msg('Interface traffic', { id: 'deviceDetail.chart.heading' });
    const chosen = this._chartInterface();
    const present = device.interfaces.filter((i) => i.missingSince === null);
    const tools = html`<div class="chart-tools">
      <label
        >${msg('Interface', { id: 'deviceDetail.chart.interface' })}
        <select
          data-testid="device-chart-interface"
          @change=${(e: Event) => (this._chartIfIndex = Number((e.target as HTMLSelectElement).value))}
        >
          ${present.map(
            (i) =>
              html`<option value=${i.ifIndex} ?selected=${i.ifIndex === chosen?.ifIndex}>
                ${i.name}${i.alias ? ` · ${i.alias}` : ''}
              </option>`,
          )}
        </select></label
      >
      ${this._renderRanges()}
      <ts-range-bar .range=${this._custom} @ts-range-reset=${() => (this._custom = undefined)}></ts-range-bar>
    </div>`;
    if (!chosen) {
      return html`<ts-panel heading=${heading}>
        <p class="unavailable">
          ${msg('This device has no interfaces yet; discovery finds them.', { id: 'deviceDetail.chart.none' })}
        </p>
      </ts-panel>`;
    }
    const result = this._metricsTask.value;
    if (this._metricsTask.error && !result) {
      return html`<ts-panel
        heading=${heading}
        state="error"
        .error=${errorMessage(this._metricsTask.error)}
        @ts-retry=${() => void this._metricsTask.run()}
        >${tools}</ts-panel
      >`;
    }
    if (!result) return html`<ts-panel heading=${heading} state="loading">${tools}</ts-panel>`;
    const subject = `${device.name} ${chosen.name}`;
    return html`<ts-panel heading=${heading} ?busy=${this._metricsTask.status === TaskStatus.PENDING}>
      <a slot="meta" href=${this._portHref(device.id, chosen.ifIndex)}
        >${msg(str`All charts of ${chosen.name}`, { id: 'deviceDetail.chart.portLink' })}</a
      >
      ${tools}
      <div @ts-chart-range=${this._onChartRange} @ts-chart-reset=${() => (this._custom = undefined)}>
        ${chartFigure({
          testId: 'device-traffic-chart',
          title: `${interfaceChartTitle('bits')} · ${chosen.name}`,
          subject,
          option: cachedOption(result, `bits:${subject}`, () =>
            interfaceChartOption('bits', result.metrics, result.span, subject),
          ),
          empty: isEmpty(interfaceChartLines('bits', result.metrics)),
          height: 220,
        })}
      </div>
    </ts-panel>`;
  }

  private _portHref(deviceId: string, ifIndex: number): string {
    return `/network/devices/${encodeURIComponent(deviceId)}/interfaces/${ifIndex}`;
  }

  private _renderInterfaces(device: DeviceDetail) {
    const heading = msg('Interfaces', { id: 'deviceDetail.interfaces.heading' });
    const total = formatCount(device.interfaces.length);
    const up = formatCount(device.interfaces.filter((i) => i.operStatus === 'up').length);
    return html`<ts-panel class="table-panel" heading=${heading}>
      <span slot="meta">${msg(str`${up} up of ${total}`, { id: 'deviceDetail.interfaces.meta' })}</span>
      <ts-data-table
        data-testid="device-interfaces"
        caption=${heading}
        selectable
        .columns=${this._interfaceColumns()}
        .rows=${[...device.interfaces].sort((a, b) => a.ifIndex - b.ifIndex)}
        .rowKey=${(i: InterfaceStatus) => String(i.ifIndex)}
        .rowAttributes=${(i: InterfaceStatus) => ({
          'data-testid': 'interface-row',
          'data-if-index': String(i.ifIndex),
          'data-if-name': i.name,
          'data-oper-status': i.operStatus ?? 'unknown',
          'data-missing': i.missingSince ? 'true' : 'false',
        })}
        emptyMessage=${msg('No interfaces discovered yet.', { id: 'deviceDetail.interfaces.empty' })}
        @ts-row-select=${(e: CustomEvent<RowSelectDetail<unknown>>) =>
          navigate(this._portHref(device.id, Number(e.detail.key)))}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _interfaceColumns(): DataTableColumn<InterfaceStatus>[] {
    const deviceId = this.deviceId;
    return [
      {
        id: 'name',
        title: msg('Interface', { id: 'deviceDetail.chart.interface' }),
        sortValue: (i) => i.ifIndex,
        render: (i) =>
          html`<span class="cell-stack"
            ><a href=${this._portHref(deviceId, i.ifIndex)} @click=${(e: Event) => e.stopPropagation()}
              >${i.name}</a
            ><span class="cell-sub"
              >${msg(str`ifIndex ${i.ifIndex}`, { id: 'deviceDetail.if.ifIndex' })}${i.descr && i.descr !== i.name ? html` · ${i.descr}` : nothing}</span
            ></span
          >`,
      },
      {
        id: 'alias',
        title: msg('Alias', { id: 'deviceDetail.if.alias' }),
        sortValue: (i) => i.alias ?? '',
        render: (i) =>
          i.alias
            ? html`<span class="cell-truncate" title=${i.alias}>${i.alias}</span>`
            : html`<span class="muted">—</span>`,
      },
      {
        id: 'status',
        title: msg('Admin / oper', { id: 'deviceDetail.if.status' }),
        sortValue: (i) => `${i.adminStatus ?? ''}${i.operStatus ?? ''}`,
        render: (i) =>
          html`<ts-status-badge
              .status=${i.operStatus ?? 'unknown'}
              .label=${`${ifStatusText(i.adminStatus)} / ${ifStatusText(i.operStatus)}`}
              .tone=${ifTone(i.adminStatus, i.operStatus)}
            ></ts-status-badge
            >${
              i.missingSince
                ? html` <ts-status-badge
                    status="missing"
                    .label=${msg('missing', { id: 'deviceDetail.if.missingBadge' })}
                    tone="warn"
                  ></ts-status-badge>`
                : nothing
            }`,
      },
      {
        id: 'speed',
        title: msg('Speed', { id: 'deviceDetail.if.speed' }),
        align: 'end',
        sortValue: (i) => i.speedMbps ?? -1,
        render: (i) => formatSpeedMbps(i.speedMbps),
      },
      {
        id: 'rate',
        title: msg('In / out', { id: 'deviceDetail.if.rate' }),
        align: 'end',
        sortValue: (i) => Math.max(i.inBps ?? -1, i.outBps ?? -1),
        render: (i) =>
          html`<span class="cell-stack"
            ><span>↓ ${rate(i.inBps)}</span><span>↑ ${rate(i.outBps)}</span></span
          >`,
      },
      {
        id: 'utilisation',
        title: msg('Utilisation', { id: 'deviceDetail.if.utilisation' }),
        sortValue: (i) => Math.max(i.inUtilisation ?? -1, i.outUtilisation ?? -1),
        render: (i) => {
          const max =
            i.inUtilisation === null && i.outUtilisation === null
              ? null
              : Math.max(i.inUtilisation ?? 0, i.outUtilisation ?? 0);
          const inU = formatUtilisation(i.inUtilisation);
          const outU = formatUtilisation(i.outUtilisation);
          return html`<ts-utilisation-bar
            .percent=${max}
            .detail=${msg(str`in ${inU} · out ${outU}`, { id: 'port.facts.utilisationValue' })}
          ></ts-utilisation-bar>`;
        },
      },
      {
        id: 'errors',
        title: msg('Errors/s in / out', { id: 'deviceDetail.if.errors' }),
        align: 'end',
        sortValue: (i) => (i.inErrorsPerSecond ?? 0) + (i.outErrorsPerSecond ?? 0),
        render: (i) => {
          const bad = (i.inErrorsPerSecond ?? 0) + (i.outErrorsPerSecond ?? 0) > 0;
          return html`<span class=${bad ? 'cell-bad' : ''}
            >${perSecond(i.inErrorsPerSecond)} / ${perSecond(i.outErrorsPerSecond)}</span
          >`;
        },
      },
      {
        id: 'discards',
        title: msg('Discards/s in / out', { id: 'deviceDetail.if.discards' }),
        align: 'end',
        sortValue: (i) => (i.inDiscardsPerSecond ?? 0) + (i.outDiscardsPerSecond ?? 0),
        render: (i) => html`${perSecond(i.inDiscardsPerSecond)} / ${perSecond(i.outDiscardsPerSecond)}`,
      },
      {
        id: 'counters',
        title: msg('Counters', { id: 'deviceDetail.if.counters' }),
        sortValue: (i) => i.counterBits ?? 0,
        render: (i) =>
          i.counterBits === null
            ? html`<span class="muted">—</span>`
            : html`<span
                class="chip"
                data-testid="interface-counter-bits"
                title=${
                  i.counterBits === 32
                    ? msg(
                        '32-bit ifTable counters (no ifXTable): they wrap, so the poll interval must be short',
                        {
                          id: 'deviceDetail.if.counters32',
                        },
                      )
                    : msg('64-bit ifXTable counters', { id: 'deviceDetail.if.counters64' })
                }
                >${msg(str`${i.counterBits}-bit`, { id: 'deviceDetail.if.bits' })}</span
              >`,
      },
      {
        id: 'changed',
        title: msg('Last change', { id: 'deviceDetail.if.lastChange' }),
        sortValue: (i) => (i.lastChangeAt ? Date.parse(i.lastChangeAt) : 0),
        render: (i) =>
          i.lastChangeAt
            ? html`<span title=${formatDateTime(i.lastChangeAt)}
                >${formatRelativeTime(i.lastChangeAt, this._now)}</span
              >`
            : html`<span class="muted">—</span>`,
      },
      {
        id: 'missing',
        title: msg('Missing since', { id: 'deviceDetail.if.missingSince' }),
        sortValue: (i) => (i.missingSince ? Date.parse(i.missingSince) : 0),
        render: (i) =>
          i.missingSince
            ? html`<span class="cell-bad" title=${formatDateTime(i.missingSince)}
                >${formatRelativeTime(i.missingSince, this._now)}</span
              >`
            : html`<span class="muted">—</span>`,
      },
    ];
  }

  private _renderNeighbours(device: DeviceDetail) {
    const heading = msg('LLDP neighbours', { id: 'deviceDetail.neighbours.heading' });
    const names = new Map(device.interfaces.map((i) => [i.ifIndex, i.name]));
    return html`<ts-panel heading=${heading}>
      ${
        device.neighbours.length === 0
          ? html`<p class="muted" data-testid="device-neighbours">
              ${msg('No LLDP neighbours reported.', { id: 'deviceDetail.neighbours.empty' })}
            </p>`
          : html`<ul class="plain" data-testid="device-neighbours">
              ${device.neighbours.map(
                (n) =>
                  html`<li data-testid="device-neighbour">
                    <span class="mono"
                      >${n.localPortName ?? names.get(n.localIfIndex) ?? n.localIfIndex}</span
                    >
                    → ${n.remoteSysName ?? n.remoteChassisId ?? '—'}
                    <span class="mono">${n.remotePortId ?? ''}</span>
                  </li>`,
              )}
            </ul>`
      }
    </ts-panel>`;
  }

  private _renderLinks(device: DeviceDetail) {
    const heading = msg('Links of this device', { id: 'deviceDetail.links.heading' });
    const names = new Map(device.interfaces.map((i) => [i.ifIndex, i.name]));
    return html`<ts-panel heading=${heading}>
      ${
        device.links.length === 0
          ? html`<p class="muted" data-testid="device-links">
              ${msg('This device belongs to no link.', { id: 'deviceDetail.links.empty' })}
            </p>`
          : html`<ul class="plain" data-testid="device-links">
              ${device.links.map(
                (l) =>
                  html`<li data-testid="device-link">
                    <ts-status-badge
                      .status=${l.status}
                      .label=${linkStatusText(l.status)}
                      .tone=${linkStatusTone(l.status)}
                    ></ts-status-badge>
                    <a href="/network/links/${encodeURIComponent(l.id)}">${l.name}</a>
                    <span class="muted"
                      >${linkRoleText(l.role)} ·
                      <span class="mono">${names.get(l.ifIndex) ?? l.ifIndex}</span></span
                    >
                  </li>`,
              )}
            </ul>`
      }
    </ts-panel>`;
  }

  private async _discover(deviceId: string) {
    this._discovering = true;
    try {
      await discoverDevice(deviceId);
      this._discoverFailed = false;
      this._discoverNotice = () =>
        msg('Discovery was requested; the edge agent runs it within seconds.', {
          id: 'deviceDetail.discover.requested',
        });
    } catch (error) {
      this._discoverFailed = true;
      this._discoverNotice = () =>
        msg(str`Discovery could not be requested: ${actionErrorMessage(error)}`, {
          id: 'deviceDetail.discover.failed',
        });
    } finally {
      this._discovering = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-device-detail': TsPageDeviceDetail;
  }
}
