import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { errorText } from '../data/error-text.js';
import { agentRoleLabel, defaultChartAgent, sortAgents } from '../data/agents.js';
import type { Agent } from '../data/agents.js';
import { fetchOverview } from '../data/overview.js';
import type { Overview } from '../data/overview.js';
import { fetchHostMetrics, metricsRangeLabel, metricsRanges, rangeMillis } from '../data/hosts.js';
import type { HostMetrics, MetricsRange } from '../data/hosts.js';
import { FleetLiveController } from '../common/fleet-live-controller.js';
import type { LiveMode } from '../common/fleet-live-controller.js';
import {
  formatBitRate,
  formatBytes,
  formatCount,
  formatDateTime,
  formatPercent,
  formatRelativeTime,
} from '../common/format.js';
import { flowOverviewFigures } from '../data/flows.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import { countFailedOverPairs, countLinkStatuses } from '../common/link-style.js';
import { fetchLinks, isNetworkUnavailable, networkErrorMessage } from '../data/network.js';
import { alarmSeverities, countBySeverity, fetchNetworkAlarms } from '../data/alarms.js';
import type { AlarmSeverity } from '../data/alarms.js';
import type { LinkStatus } from '../data/network.js';
import type { DataTableColumn, RowSelectDetail } from '../components/ts-data-table.js';
import { cachedOption, chartFigure, chartSpan } from '../charts/figure.js';
import {
  clipHostMetrics,
  hostChartKinds,
  hostChartLines,
  hostChartOption,
  hostChartTitle,
} from '../charts/host-charts.js';
import { isEmpty } from '../charts/time-series.js';
import {
  customRangeButtonLabel,
  presetCovering,
  validCustomRange,
  zoomedWindow,
} from '../charts/time-range.js';
import type { CustomRange } from '../charts/time-range.js';
import type { ChartRangeDetail } from '../charts/option.js';
import '../charts/ts-range-bar.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';
import { statusLabel } from '../components/ts-status-badge.js';

interface MetricsResult {
  metrics: HostMetrics;
  /** The time axis: the preset ending when the metrics were fetched, or the custom window. */
  span: { start: number; end: number };
}

/** Metrics of the selected host are fetched again at most this often (or once per step) when it reports. */
const metricsRefreshMillis = 15_000;

/** Network figures are loaded again this often. */
const networkRefreshMillis = 15_000;

/** Firing alarms counted on the overview; more than this reads "500+". */
const alarmCountLimit = 500;

interface NetworkFigures {
  links: Record<LinkStatus, number>;
  total: number;
  failedOverPairs: number;
  alarms: Record<AlarmSeverity, number>;
  /** There are more firing alarms than were counted. */
  alarmsTruncated: boolean;
}

/** The label of an alarm count on the extranet panel. */
function severityStatLabel(severity: AlarmSeverity): string {
  switch (severity) {
    case 'critical':
      return msg('Critical alarms', { id: 'overview.alarms.critical' });
    case 'major':
      return msg('Major', { id: 'overview.alarms.major' });
    case 'minor':
      return msg('Minor', { id: 'overview.alarms.minor' });
    case 'warning':
      return msg('Warning', { id: 'overview.alarms.warning' });
  }
}

/**
 * The operator's first screen: fleet status of the cloud hosts and agents, and the charts of one host.
 * The extranet panel counts links and firing network alarms. Areas not built yet have no panel.
 */
@localized()
@customElement('ts-page-overview')
export class TsPageOverview extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    css`
      .live {
        display: inline-flex;
        align-items: center;
        gap: 6px;
        font-size: 12px;
        color: var(--ts-text-muted);
      }
      .live::before {
        content: '';
        width: 8px;
        height: 8px;
        border-radius: 50%;
        background: var(--ts-idle);
      }
      .live.live-live::before {
        background: var(--ts-ok);
        box-shadow: 0 0 0 3px var(--ts-ok-soft);
      }
      .live.live-polling::before {
        background: var(--ts-warn);
      }
      :host {
        container-type: inline-size;
      }
      .top {
        display: grid;
        grid-template-columns: minmax(0, 2.2fr) minmax(0, 1.6fr);
        gap: 12px;
        margin-bottom: 12px;
      }
      ts-panel.flows {
        margin-bottom: 12px;
      }
      .apps {
        display: grid;
        gap: 1px;
        font-size: 12px;
      }
      .main {
        display: grid;
        grid-template-columns: minmax(0, 5fr) minmax(0, 7fr);
        gap: 12px;
        align-items: start;
      }
      @container (max-width: 1080px) {
        .main {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      @container (max-width: 760px) {
        .top {
          grid-template-columns: minmax(0, 1fr);
        }
      }
      .stats {
        display: flex;
        flex-wrap: wrap;
        row-gap: 8px;
      }
      .stat {
        flex: 1 1 76px;
        padding: 2px 12px;
        border-left: 1px solid var(--ts-border);
      }
      .stat:first-child {
        border-left: 0;
        padding-left: 0;
      }
      .stat .label {
        color: var(--ts-text-muted);
        font-size: 12px;
        white-space: nowrap;
        overflow: hidden;
        text-overflow: ellipsis;
      }
      .stat .value {
        font-size: 22px;
        font-weight: 600;
        line-height: 1.3;
        font-variant-numeric: tabular-nums;
      }
      .stat.ok .value {
        color: var(--ts-ok);
      }
      .stat.warn .value {
        color: var(--ts-warn);
      }
      .stat.bad .value {
        color: var(--ts-bad);
      }
      .stat.zero .value {
        color: var(--ts-text-muted);
      }
      .stat.idle .value {
        color: var(--ts-idle);
      }
      a.stat {
        color: inherit;
        text-decoration: none;
        border-radius: 2px;
      }
      a.stat:hover .label {
        color: var(--ts-accent);
        text-decoration: underline;
      }
      .stats.alarms {
        margin-top: 8px;
        padding-top: 8px;
        border-top: 1px solid var(--ts-border);
      }
      .stats.alarms .value {
        font-size: 18px;
      }
      .more-link {
        color: var(--ts-accent);
        font-size: 12px;
      }
      .agents {
        --ts-panel-padding: 0;
        --ts-table-max-height: 560px;
      }
      .ranges {
        display: inline-flex;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        overflow: hidden;
      }
      .ranges button {
        height: 24px;
        padding: 0 9px;
        border: 0;
        border-left: 1px solid var(--ts-border-strong);
        background: var(--ts-surface);
        color: var(--ts-text);
        font: inherit;
        font-size: 12px;
        cursor: pointer;
      }
      .ranges button:first-child {
        border-left: 0;
      }
      .ranges button[aria-pressed='true'] {
        background: var(--ts-accent);
        color: #fff;
      }
      .charts-wrap {
        container-type: inline-size;
      }
      .charts {
        display: grid;
        grid-template-columns: minmax(0, 1fr);
        gap: 16px 20px;
      }
      @container (min-width: 600px) {
        .charts {
          grid-template-columns: repeat(2, minmax(0, 1fr));
        }
      }
      figure {
        margin: 0;
        min-width: 0;
      }
      figcaption {
        margin-bottom: 4px;
        font-weight: 600;
        font-size: 12px;
      }
      figcaption .muted {
        font-weight: 400;
      }
      .hostname {
        font-weight: 600;
        color: var(--ts-text);
      }
      .no-host {
        padding: 24px 0;
        text-align: center;
        color: var(--ts-text-muted);
      }
      .pending p {
        margin: 0 0 6px;
        color: var(--ts-text-muted);
      }
    `,
  ];

  @state() private _selectedId?: string;

  @state() private _range: MetricsRange = '1h';

  /** A window the user zoomed or brushed a chart to; it replaces the preset until reset. */
  @state() private _custom?: CustomRange;

  /** The clock for relative times; it ticks every 10 s. */
  @state() private _now = Date.now();

  private _clock?: number;

  private _lastMetricsRun = 0;

  private _overviewTimer?: number;

  private _fleetLoads = 0;

  private readonly _fleet = new FleetLiveController(this, {
    onAgentEvent: (agent, previous) => this._onAgentEvent(agent, previous),
    onReload: () => this._refreshAfterReload(),
  });

  private readonly _overviewTask = new Task<[], Overview>(this, {
    task: (_args, { signal }) => fetchOverview(signal),
    args: () => [],
  });

  private readonly _metricsTask = new Task<
    [string | undefined, MetricsRange, number | undefined, number | undefined],
    MetricsResult | undefined
  >(this, {
    task: async ([agentId, range, from, to], { signal }) => {
      if (!agentId) return undefined;
      this._lastMetricsRun = Date.now();
      if (from !== undefined && to !== undefined) {
        const now = Date.now();
        const custom = validCustomRange({ from, to }, now);
        const metrics = await fetchHostMetrics(agentId, presetCovering(custom, now), signal);
        return { metrics: clipHostMetrics(metrics, custom), span: { start: custom.from, end: custom.to } };
      }
      const metrics = await fetchHostMetrics(agentId, range, signal);
      return { metrics, span: chartSpan(Date.now(), rangeMillis[range]) };
    },
    args: () => [this._chartAgentId(), this._range, this._custom?.from, this._custom?.to],
  });

  private readonly _networkTask = new Task<[], NetworkFigures>(this, {
    task: async (_args, { signal }) => {
      const [links, alarms] = await Promise.all([
        fetchLinks({}, signal),
        fetchNetworkAlarms({ state: 'firing', limit: alarmCountLimit }, signal),
      ]);
      return {
        links: countLinkStatuses(links.items),
        total: links.items.length,
        failedOverPairs: countFailedOverPairs(links.items),
        alarms: countBySeverity(alarms.items),
        alarmsTruncated: alarms.nextBefore !== null,
      };
    },
    args: () => [],
  });

  private _networkTimer?: number;

  override connectedCallback() {
    super.connectedCallback();
    this._clock = window.setInterval(() => (this._now = Date.now()), 10_000);
    this._networkTimer = window.setInterval(() => {
      if (!document.hidden && !isNetworkUnavailable(this._networkTask.error)) void this._networkTask.run();
    }, networkRefreshMillis);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.clearInterval(this._clock);
    window.clearInterval(this._networkTimer);
    window.clearTimeout(this._overviewTimer);
  }

  override render() {
    return html`
      <div class="page-header">
        <h1>${msg('Overview', { id: 'overview.heading' })}</h1>
        ${
          this._overviewTask.value
            ? html`<span class="muted">${this._overviewTask.value.orgUnit.name}</span>`
            : nothing
        }
        <span class="spacer"></span>
        ${this._renderLiveMode(this._fleet.mode)}
      </div>
      <div class="top">${this._renderFleetCounts()} ${this._renderNetwork()}</div>
      ${this._renderFlows()}
      <div class="main">${this._renderAgents()} ${this._renderCharts()}</div>
    `;
  }

  private _renderLiveMode(mode: LiveMode) {
    const text =
      mode === 'live'
        ? msg('Live', { id: 'overview.live' })
        : mode === 'polling'
          ? msg('Refreshing every 15 s', { id: 'overview.polling' })
          : msg('Connecting to live updates…', { id: 'overview.connecting' });
    return html`<span class="live live-${mode}" role="status">${text}</span>`;
  }

  private _renderFleetCounts() {
    const heading = msg('Cloud hosts and agents', { id: 'overview.fleet.heading' });
    return this._overviewTask.render({
      pending: () =>
        this._overviewTask.value
          ? this._fleetCountsPanel(this._overviewTask.value, true)
          : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
      complete: (overview) => this._fleetCountsPanel(overview, false),
      error: (error) =>
        html`<ts-panel
          heading=${heading}
          state="error"
          .error=${errorText(error)}
          @ts-retry=${() => this._overviewTask.run()}
        ></ts-panel>`,
    });
  }

  private _fleetCountsPanel(overview: Overview, busy: boolean) {
    const { fleet, ingest } = overview;
    const stat = (label: string, value: number, tone: string, testId?: string) =>
      html`<div class="stat ${value === 0 && tone !== '' ? 'zero' : tone}">
        <div class="label">${label}</div>
        <div class="value" data-testid=${testId ?? nothing}>${formatCount(value)}</div>
      </div>`;
    return html`<ts-panel
      heading=${msg('Cloud hosts and agents', { id: 'overview.fleet.heading' })}
      ?busy=${busy}
    >
      <div class="stats">
        ${stat(msg('Agents', { id: 'overview.fleet.agents' }), fleet.total, '', 'fleet-total')}
        ${stat(msg('Online', { id: 'overview.fleet.online' }), fleet.online, 'ok', 'fleet-online')}
        ${stat(msg('Stale', { id: 'overview.fleet.stale' }), fleet.stale, 'warn', 'fleet-stale')}
        ${stat(msg('Offline', { id: 'overview.fleet.offline' }), fleet.offline, 'bad', 'fleet-offline')}
        ${stat(msg('Batches / h', { id: 'overview.fleet.batches' }), ingest.batchesLastHour, '')}
        ${stat(msg('Samples / h', { id: 'overview.fleet.samples' }), ingest.samplesLastHour, '')}
      </div>
    </ts-panel>`;
  }

  /** The flows module's figures: traffic over the last hour, egress now, top applications. */
  private _renderFlows() {
    const figures = flowOverviewFigures(this._overviewTask.value?.modules);
    if (!figures) return nothing;
    const heading = msg('Flows', { id: 'overview.flows.heading' });
    if (figures.error !== undefined) {
      const reason = figures.error;
      return html`<ts-panel class="flows" heading=${heading}>
        <p class="muted" role="alert" data-testid="overview-flows-error">
          ${msg(str`Flow figures are not available: ${reason}`, { id: 'overview.flows.error' })}
        </p>
      </ts-panel>`;
    }
    const apps = figures.topApps ?? [];
    return html`<ts-panel class="flows" heading=${heading} data-testid="overview-flows">
      <a slot="actions" href="/flows">${msg('Flow explorer', { id: 'overview.flows.explorer' })}</a>
      <div class="stats">
        <a class="stat link" href="/flows">
          <div class="label">${msg('Traffic, last hour', { id: 'overview.flows.lastHour' })}</div>
          <div class="value" data-testid="overview-flows-hour">
            ${figures.bytesLastHour === undefined ? '—' : formatBytes(figures.bytesLastHour)}
          </div>
        </a>
        <a class="stat link" href="/flows/egress">
          <div class="label">${msg('Internet egress now', { id: 'overview.flows.egressNow' })}</div>
          <div class="value" data-testid="overview-flows-egress">
            ${figures.egressBps === undefined ? '—' : formatBitRate(figures.egressBps)}
          </div>
        </a>
        <div class="stat">
          <div class="label">${msg('Top applications', { id: 'overview.flows.topApps' })}</div>
          <div class="apps" data-testid="overview-flows-apps">
            ${
              apps.length
                ? apps.slice(0, 5).map(
                    (a) =>
                      html`<div>
                        <span>${a.name || msg('Unclassified', { id: 'flows.key.unclassified' })}</span>
                        <span class="muted">${formatBytes(a.bytes)}</span>
                      </div>`,
                  )
                : html`<span class="muted">—</span>`
            }
          </div>
        </div>
      </div>
    </ts-panel>`;
  }

  private _renderNetwork() {
    const heading = msg('Extranet', { id: 'overview.network.heading' });
    return this._networkTask.render({
      pending: () =>
        this._networkTask.value
          ? this._networkPanel(this._networkTask.value, true)
          : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
      complete: (figures) => this._networkPanel(figures, false),
      error: (error) =>
        isNetworkUnavailable(error)
          ? html`<ts-panel heading=${heading} class="pending">
              <p data-testid="network-unavailable">
                ${msg('Network monitoring is not available on this server.', { id: 'overview.network.unavailable' })}
              </p>
            </ts-panel>`
          : this._networkTask.value
            ? this._networkPanel(this._networkTask.value, false)
            : html`<ts-panel
                heading=${heading}
                state="error"
                .error=${networkErrorMessage(error)}
                @ts-retry=${() => void this._networkTask.run()}
              ></ts-panel>`,
    });
  }

  private _networkPanel(figures: NetworkFigures, busy: boolean) {
    const stat = (label: string, value: number, tone: string, testId: string, href: string, suffix = '') =>
      html`<a class="stat link ${value === 0 && tone !== '' ? 'zero' : tone}" href=${href}>
        <div class="label">${label}</div>
        <div class="value" data-testid=${testId}>${formatCount(value)}${suffix}</div>
      </a>`;
    const more = figures.alarmsTruncated ? '+' : '';
    const total = formatCount(figures.total);
    return html`<ts-panel heading=${msg('Extranet', { id: 'overview.network.heading' })} ?busy=${busy}>
      <span slot="meta"
        >${
          figures.total === 1
            ? msg(str`${total} link`, { id: 'overview.network.links.one' })
            : msg(str`${total} links`, { id: 'overview.network.links.other' })
        }</span
      >
      <a slot="actions" class="more-link" href="/network/topology"
        >${msg('Topology', { id: 'overview.network.topology' })}</a
      >
      <div class="stats">
        ${stat(msg('Links up', { id: 'overview.network.up' }), figures.links.up, 'ok', 'network-links-up', '/network/links')}
        ${stat(msg('Down', { id: 'overview.network.down' }), figures.links.down, 'bad', 'network-links-down', '/network/links')}
        ${stat(
          msg('Unknown', { id: 'overview.network.unknown' }),
          figures.links.unknown,
          'idle',
          'network-links-unknown',
          '/network/links',
        )}
        ${stat(
          msg('Failed over', { id: 'overview.network.failedOver' }),
          figures.failedOverPairs,
          'warn',
          'network-failed-over',
          '/network/topology',
        )}
      </div>
      <div class="stats alarms">
        ${alarmSeverities.map((severity) =>
          stat(
            severityStatLabel(severity),
            figures.alarms[severity],
            severity === 'critical' || severity === 'major' ? 'bad' : severity === 'minor' ? 'warn' : 'info',
            `network-alarms-${severity}`,
            '/network/alarms',
            more,
          ),
        )}
      </div>
    </ts-panel>`;
  }

  private _agentColumns(): DataTableColumn<Agent>[] {
    return [
      {
        id: 'host',
        title: msg('Host', { id: 'overview.agents.host' }),
        sortValue: (a) => a.hostname,
        render: (a) =>
          html`<span class="cell-stack"
            ><span>${a.hostname}</span
            ><span class="cell-sub">${a.roles.map(agentRoleLabel).join(' · ')}</span></span
          >`,
      },
      {
        id: 'status',
        title: msg('Status', { id: 'overview.agents.status' }),
        sortValue: (a) => a.status,
        render: (a) => html`<ts-status-badge .status=${a.status}></ts-status-badge>`,
      },
      {
        id: 'seen',
        title: msg('Last seen', { id: 'overview.agents.lastSeen' }),
        sortValue: (a) => (a.lastSeenAt ? -Date.parse(a.lastSeenAt) : Infinity),
        render: (a) =>
          html`<span title=${formatDateTime(a.lastSeenAt)}
            >${formatRelativeTime(a.lastSeenAt, this._now)}</span
          >`,
      },
      {
        id: 'cpu',
        title: msg('CPU', { id: 'overview.agents.cpu' }),
        align: 'end',
        sortValue: (a) => a.latest?.cpuPercent ?? -1,
        render: (a) => formatPercent(a.latest?.cpuPercent),
      },
      {
        id: 'memory',
        title: msg('Memory', { id: 'overview.agents.memory' }),
        align: 'end',
        sortValue: (a) => a.latest?.memoryPercent ?? -1,
        render: (a) => formatPercent(a.latest?.memoryPercent),
      },
    ];
  }

  private _renderAgents() {
    const heading = msg('Agents', { id: 'overview.agents.heading' });
    return this._fleet.task.render({
      pending: () => {
        const agents = this._fleet.agents;
        return agents
          ? this._agentsPanel(agents, true)
          : html`<ts-panel class="agents" heading=${heading} state="loading"></ts-panel>`;
      },
      complete: () => this._agentsPanel(this._fleet.agents ?? [], false),
      error: (error) =>
        html`<ts-panel
          class="agents"
          heading=${heading}
          state="error"
          .error=${errorText(error)}
          @ts-retry=${() => this._fleet.reload()}
        ></ts-panel>`,
    });
  }

  private _agentsPanel(agents: Agent[], busy: boolean) {
    const count = formatCount(agents.length);
    return html`<ts-panel
      class="agents"
      heading=${msg('Agents', { id: 'overview.agents.heading' })}
      ?busy=${busy}
    >
      <span slot="meta"
        >${
          agents.length === 1
            ? msg(str`${count} enrolled · select one to chart it`, { id: 'overview.agents.meta.one' })
            : msg(str`${count} enrolled · select one to chart it`, { id: 'overview.agents.meta.other' })
        }</span
      >
      <ts-data-table
        caption=${msg('Agents', { id: 'overview.agents.heading' })}
        selectable
        .columns=${this._agentColumns()}
        .rows=${sortAgents(agents)}
        .rowKey=${(a: Agent) => a.id}
        .rowAttributes=${(a: Agent) => ({
          'data-testid': 'agent-row',
          'data-status': a.status,
          'data-hostname': a.hostname,
        })}
        .selectedKey=${this._chartAgentId()}
        emptyMessage=${msg('No agents are enrolled in this org unit yet.', { id: 'overview.agents.empty' })}
        @ts-row-select=${this._onSelect}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _renderCharts() {
    const agent = this._chartAgent();
    const custom = this._custom;
    const ranges = html`<div
        class="ranges"
        role="group"
        aria-label=${msg('Time range', { id: 'overview.range.label' })}
        slot="actions"
        data-testid="metrics-range"
        data-value=${custom ? 'custom' : this._range}
      >
        ${metricsRanges.map(
          (range) =>
            html`<button
              type="button"
              data-testid="metrics-range-${range}"
              aria-pressed=${!custom && range === this._range ? 'true' : 'false'}
              @click=${() => this._selectPreset(range)}
            >
              ${metricsRangeLabel(range)}
            </button>`,
        )}
        ${
          custom
            ? html`<button type="button" aria-pressed="true" disabled>${customRangeButtonLabel()}</button>`
            : nothing
        }
      </div>
      <ts-range-bar
        data-testid="metrics-range-bar"
        .range=${custom}
        @ts-range-reset=${this._resetRange}
      ></ts-range-bar>`;
    const meta = agent ? this._chartMeta(agent) : nothing;
    const heading = msg('Host metrics', { id: 'overview.metrics.heading' });
    return this._metricsTask.render({
      initial: () => html`<ts-panel heading=${heading} state="loading">${ranges}</ts-panel>`,
      pending: () => {
        const value = this._metricsTask.value;
        return value
          ? this._chartsPanel(value, ranges, meta, true)
          : html`<ts-panel heading=${heading} state="loading">${meta}${ranges}</ts-panel>`;
      },
      complete: (value) =>
        value
          ? this._chartsPanel(value, ranges, meta, false)
          : html`<ts-panel heading=${heading}>
              ${ranges}
              <div class="no-host">
                ${
                  this._fleet.agents
                    ? msg('No agent to chart yet.', { id: 'overview.metrics.noAgent' })
                    : msg('Waiting for the agent list…', { id: 'overview.metrics.waiting' })
                }
              </div>
            </ts-panel>`,
      error: (error) =>
        html`<ts-panel
          heading=${heading}
          state="error"
          .error=${errorText(error)}
          @ts-retry=${() => this._metricsTask.run()}
          >${meta}${ranges}</ts-panel
        >`,
    });
  }

  private _chartsPanel(result: MetricsResult, ranges: unknown, meta: unknown, busy: boolean) {
    const { metrics, span } = result;
    return html`<ts-panel heading=${msg('Host metrics', { id: 'overview.metrics.heading' })} ?busy=${busy}>
      ${meta}${ranges}
      <div class="charts-wrap">
        <div class="charts" @ts-chart-range=${this._onChartRange} @ts-chart-reset=${this._resetRange}>
          ${hostChartKinds.map((kind) =>
            chartFigure({
              testId: `chart-${kind}`,
              title: hostChartTitle(kind),
              subject: metrics.host,
              option: cachedOption(result, kind, () => hostChartOption(kind, metrics, span)),
              empty: isEmpty(hostChartLines(kind, metrics)),
            }),
          )}
        </div>
      </div>
    </ts-panel>`;
  }

  /** The charted host's name, status and last report, beside the panel title. */
  private _chartMeta(agent: Agent) {
    const status = statusLabel(agent.status);
    const when = formatRelativeTime(agent.lastReportAt, this._now);
    return html`<span slot="meta"
      ><span class="hostname">${agent.hostname}</span> ·
      ${msg(str`${status} · last report ${when}`, { id: 'overview.metrics.meta' })}</span
    >`;
  }

  /** The agent whose charts are shown: the one the user chose, or a sensible default. */
  private _chartAgent(): Agent | undefined {
    const agents = this._fleet.agents;
    if (!agents) return undefined;
    return (
      (this._selectedId ? agents.find((a) => a.id === this._selectedId) : undefined) ??
      defaultChartAgent(sortAgents(agents))
    );
  }

  private _chartAgentId(): string | undefined {
    return this._chartAgent()?.id;
  }

  private _onSelect(event: CustomEvent<RowSelectDetail<unknown>>) {
    this._selectedId = event.detail.key;
  }

  private _selectPreset(range: MetricsRange) {
    this._custom = undefined;
    this._range = range;
  }

  private _resetRange() {
    this._custom = undefined;
  }

  /** A chart was zoomed or brushed: its window becomes the page's time range. */
  private _onChartRange(event: CustomEvent<ChartRangeDetail>) {
    this._custom = zoomedWindow(event.detail, Date.now()) ?? this._custom;
  }

  private _onAgentEvent(agent: Agent, previous: Agent | undefined) {
    if (previous?.status !== agent.status) this._scheduleOverviewRefresh();
    if (
      agent.id === this._chartAgentId() &&
      agent.lastReportAt !== previous?.lastReportAt &&
      this._metricsDue()
    ) {
      void this._metricsTask.run();
    }
  }

  /** After the agent list was loaded again (periodically or while polling), refresh the rest too. */
  private _refreshAfterReload() {
    // The first load happens together with the other panels' own first loads.
    if (this._fleetLoads++ === 0) return;
    this._scheduleOverviewRefresh();
    if (this._metricsTask.value && this._metricsDue()) {
      void this._metricsTask.run();
    }
  }

  /** Whether the charts are old enough to fetch again: never sooner than one step of the series. */
  private _metricsDue(): boolean {
    // A custom window lies in the past: its samples do not change.
    if (this._custom) return false;
    const stepMillis = (this._metricsTask.value?.metrics.stepSeconds ?? 0) * 1000;
    return Date.now() - this._lastMetricsRun >= Math.max(metricsRefreshMillis, stepMillis);
  }

  private _scheduleOverviewRefresh() {
    if (this._overviewTimer !== undefined) return;
    this._overviewTimer = window.setTimeout(() => {
      this._overviewTimer = undefined;
      void this._overviewTask.run();
    }, 1_000);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-overview': TsPageOverview;
  }
}
