import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import type { User } from '../data/auth.js';
import { errorText } from '../data/error-text.js';
import {
  alertQueuePath,
  countBySeverity,
  fetchAlerts,
  fetchEventStats,
  fetchIncidents,
  fetchRisk,
  fetchRiskTrend,
  fetchSources,
  isSecurityMissing,
  openAlertStatuses,
  openIncidentStatuses,
  rejectReasonText,
  rejectionReasons,
  riskChildren,
  riskTone,
  severities,
} from '../data/security.js';
import type { Incident, RiskItem, Severity, SourceStats, StatItem } from '../data/security.js';
import { formatCount, formatDateTime, formatNumber } from '../common/format.js';
import { locationChangedEvent, navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import { cachedOption, chartFigure } from '../charts/figure.js';
import {
  clickedOrgUnit,
  riskBarsOption,
  riskTrendOption,
  severityBarsOption,
} from '../charts/security-charts.js';
import type { ChartClickDetail } from '../charts/option.js';
import type { DataTableColumn } from '../components/ts-data-table.js';
import { incidentStatusBadge, securityStyles, severityBadge } from './ts-page-security-common.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';

const dayMillis = 86_400_000;
const unitOf = (search: string): string => new URLSearchParams(search).get('unit') ?? '';

/**
 * The security situation (安全态势): the risk of the caller's unit and of each unit below it (click a
 * bar or a row to go down a level), the risk trend, the top open incidents, open alerts by
 * severity, and the events of each source over the last 24 hours with their rejections by reason.
 */
@localized()
@customElement('ts-page-security')
export class TsPageSecurity extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    securityStyles,
    css`
      .score {
        font-weight: 600;
        font-variant-numeric: tabular-nums;
      }
      .score.bad {
        color: var(--ts-bad);
      }
      .score.warn {
        color: var(--ts-warn);
      }
      .score.ok {
        color: var(--ts-ok);
      }
      .crumbs {
        font-size: 12px;
      }
      .crumbs button {
        all: unset;
        color: var(--ts-accent);
        cursor: pointer;
      }
      .crumbs button:focus-visible {
        box-shadow: var(--ts-focus-ring);
      }
    `,
  ];

  @property({ attribute: false }) user?: User;

  /** The unit whose children are ranked; empty: the caller's own. */
  @state() private _unit = unitOf(window.location.search);

  /** The units passed on the way down, for the way back up. */
  @state() private _trail: { id: string; name: string }[] = [];

  override connectedCallback() {
    super.connectedCallback();
    window.addEventListener('popstate', this._onLocation);
    window.addEventListener(locationChangedEvent, this._onLocation);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this._onLocation);
    window.removeEventListener(locationChangedEvent, this._onLocation);
  }

  private _onLocation = () => {
    if (window.location.pathname !== '/security') return;
    const unit = unitOf(window.location.search);
    if (unit === this._unit) return;
    this._unit = unit;
    const at = this._trail.findIndex((t) => t.id === unit);
    this._trail = unit === '' ? [] : at >= 0 ? this._trail.slice(0, at + 1) : this._trail;
  };

  private _goDown(item: Pick<RiskItem, 'orgUnitId' | 'name'>) {
    if (item.orgUnitId === this._unit) return;
    this._trail = [...this._trail, { id: item.orgUnitId, name: item.name }];
    this._unit = item.orgUnitId;
    navigate(`/security?unit=${encodeURIComponent(item.orgUnitId)}`);
  }

  private _goTo(id: string) {
    this._unit = id;
    const at = this._trail.findIndex((t) => t.id === id);
    this._trail = id === '' ? [] : this._trail.slice(0, at + 1);
    navigate(id ? `/security?unit=${encodeURIComponent(id)}` : '/security');
  }

  private readonly _riskTask = new Task(this, {
    task: ([unit], { signal }) => fetchRisk(unit || undefined, signal),
    args: () => [this._unit] as const,
  });

  private readonly _trendTask = new Task(this, {
    task: ([unit], { signal }) => fetchRiskTrend(unit || undefined, 30, signal),
    args: () => [this._unit] as const,
  });

  private readonly _incidentsTask = new Task(this, {
    task: async (_args, { signal }) =>
      (await fetchIncidents({ status: openIncidentStatuses, severity: [], escalated: '' }, null, 100, signal))
        .items,
    args: () => [] as const,
  });

  private readonly _alertsTask = new Task(this, {
    task: async (_args, { signal }) => {
      const now = Date.now();
      const filter = {
        status: openAlertStatuses.join(','),
        from: new Date(now - 30 * dayMillis).toISOString(),
        to: new Date(now).toISOString(),
      };
      const page = await fetchAlerts(filter, null, 500, signal);
      return { counts: countBySeverity(page.items), more: page.nextCursor !== null, total: page.total };
    },
    args: () => [] as const,
  });

  private readonly _sourcesTask = new Task(this, {
    task: async (_args, { signal }) => {
      const now = Date.now();
      const window = { from: now - dayMillis, to: now };
      const [sources, bySource] = await Promise.all([
        fetchSources(window, signal),
        fetchEventStats(window, 'source', signal),
      ]);
      return { sources, bySource };
    },
    args: () => [] as const,
  });

  override render() {
    if (isSecurityMissing(this._riskTask.error) && isSecurityMissing(this._incidentsTask.error))
      return html`<div class="page-header">
          <h1>${msg('Security situation', { id: 'security.situation.heading' })}</h1>
        </div>
        <p class="unavailable" data-testid="security-unavailable">
          ${msg('Security situational awareness is not available on this server.', { id: 'security.unavailable' })}
        </p>`;
    return html`
      <div class="page-header">
        <h1>${msg('Security situation', { id: 'security.situation.heading' })}</h1>
        <span class="spacer"></span>
        <a href="/security/alerts">${msg('Alert queue', { id: 'security.link.alerts' })}</a>
        <a href="/security/incidents">${msg('Incidents', { id: 'security.link.incidents' })}</a>
        <a href="/wall">${msg('Wall mode', { id: 'security.link.wall' })}</a>
      </div>
      <div class="stack">
        <div class="grid">${this._renderRisk()} ${this._renderTrend()}</div>
        <div class="grid">${this._renderIncidents()} ${this._renderAlerts()}</div>
        ${this._renderSources()}
      </div>
    `;
  }

  private _crumbs() {
    const own = this.user?.orgUnitName ?? msg('My org unit', { id: 'security.situation.ownUnit' });
    return html`<span class="crumbs" slot="meta" data-testid="security-crumbs">
      <button type="button" @click=${() => this._goTo('')}>${own}</button>
      ${this._trail.map(
        (t) => html` › <button type="button" @click=${() => this._goTo(t.id)}>${t.name}</button>`,
      )}
    </span>`;
  }

  private _renderRisk() {
    const heading = msg('Risk by org unit', { id: 'security.risk.heading' });
    return this._riskTask.render({
      pending: () => html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
      error: (e) =>
        html`<ts-panel
          heading=${heading}
          state="error"
          .error=${errorText(e)}
          @ts-retry=${() => void this._riskTask.run()}
        ></ts-panel>`,
      complete: (items) => {
        const self = items.find((i) => i.orgUnitId === (this._unit || this.user?.orgUnitId));
        const children = riskChildren(items, self?.orgUnitId ?? (this._unit || this.user?.orgUnitId));
        const columns: DataTableColumn<RiskItem>[] = [
          {
            id: 'name',
            title: msg('Org unit', { id: 'security.risk.unit' }),
            render: (r) => r.name,
            sortValue: (r) => r.name,
          },
          {
            id: 'score',
            title: msg('Risk score', { id: 'security.risk.score' }),
            align: 'end',
            render: (r) => html`<span class="score ${riskTone(r.score)}">${formatNumber(r.score, 1)}</span>`,
            sortValue: (r) => r.score,
          },
          {
            id: 'change',
            title: msg('Change in 7 days', { id: 'security.risk.change' }),
            align: 'end',
            render: (r) =>
              r.change7d === null ? '' : `${r.change7d > 0 ? '+' : ''}${formatNumber(r.change7d, 1)}`,
            sortValue: (r) => r.change7d ?? 0,
          },
          {
            id: 'alerts',
            title: msg('Open alerts', { id: 'security.risk.alerts' }),
            align: 'end',
            render: (r) => formatCount(r.openAlerts),
            sortValue: (r) => r.openAlerts,
          },
          {
            id: 'incidents',
            title: msg('Open incidents', { id: 'security.risk.incidents' }),
            align: 'end',
            render: (r) => formatCount(r.openIncidents),
            sortValue: (r) => r.openIncidents,
          },
          {
            id: 'vulns',
            title: msg('Critical / high vulnerabilities', { id: 'security.risk.vulns' }),
            align: 'end',
            render: (r) =>
              `${formatCount(r.vulnerabilities.critical)} / ${formatCount(r.vulnerabilities.high)}`,
            sortValue: (r) => r.vulnerabilities.critical * 1000 + r.vulnerabilities.high,
          },
        ];
        return html`<ts-panel heading=${heading}>
          ${this._crumbs()}
          ${
            self
              ? html`<div class="figures">
                  <div class="figure">
                    <span
                      class="value score ${riskTone(self.score)}"
                      data-testid="security-risk-self"
                      data-score=${self.score}
                      >${formatNumber(self.score, 1)}</span
                    >
                    <span class="label"
                      >${msg(str`Risk score of ${self.name}`, { id: 'security.risk.self' })}</span
                    >
                  </div>
                </div>`
              : nothing
          }
          ${
            children.length
              ? html`<div
                  @ts-chart-click=${(e: CustomEvent<ChartClickDetail>) => {
                    const id = clickedOrgUnit(e.detail.data);
                    const item = children.find((c) => c.orgUnitId === id);
                    if (item) this._goDown(item);
                  }}
                >
                  ${chartFigure({
                    testId: 'chart-security-risk',
                    title: msg('Risk score of the units below (click to go down)', {
                      id: 'security.risk.chart',
                    }),
                    subject: self?.name ?? '',
                    option: cachedOption(items, 'risk', () => riskBarsOption(children)),
                    empty: false,
                    height: Math.max(160, children.length * 26 + 20),
                  })}
                </div>`
              : nothing
          }
          <ts-data-table
            data-testid="security-risk-table"
            caption=${heading}
            selectable
            .columns=${columns}
            .rows=${children}
            .rowKey=${(r: RiskItem) => r.orgUnitId}
            .rowAttributes=${(r: RiskItem) => ({ 'data-testid': 'security-risk-row', 'data-key': r.orgUnitId })}
            emptyMessage=${msg('No org units below this one.', { id: 'security.risk.empty' })}
            @ts-row-select=${(e: CustomEvent<{ row: RiskItem }>) => this._goDown(e.detail.row)}
          ></ts-data-table>
        </ts-panel>`;
      },
    });
  }

  private _renderTrend() {
    const heading = msg('Risk trend (30 days)', { id: 'security.trend.heading' });
    return this._trendTask.render({
      pending: () => html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
      error: (e) =>
        html`<ts-panel
          heading=${heading}
          state="error"
          .error=${errorText(e)}
          @ts-retry=${() => void this._trendTask.run()}
        ></ts-panel>`,
      complete: (trend) =>
        html`<ts-panel heading=${heading}>
          ${chartFigure({
            testId: 'chart-security-trend',
            title: msg('Daily risk score', { id: 'security.trend.title' }),
            subject: trend.orgUnitId,
            option: cachedOption(trend, 'trend', () => riskTrendOption(trend)),
            empty: trend.points.length === 0,
            height: 240,
          })}
        </ts-panel>`,
    });
  }

  private _renderIncidents() {
    const heading = msg('Top open incidents', { id: 'security.topIncidents.heading' });
    const rank = (s: string) => severities.indexOf(s as Severity);
    return this._incidentsTask.render({
      pending: () => html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
      error: (e) =>
        html`<ts-panel
          heading=${heading}
          state="error"
          .error=${errorText(e)}
          @ts-retry=${() => void this._incidentsTask.run()}
        ></ts-panel>`,
      complete: (items) => {
        const top = [...items]
          .sort((a, b) => rank(a.severity) - rank(b.severity) || b.updatedAt.localeCompare(a.updatedAt))
          .slice(0, 10);
        const columns: DataTableColumn<Incident>[] = [
          {
            id: 'severity',
            title: msg('Severity', { id: 'security.col.severity' }),
            render: (i) => severityBadge(i.severity),
          },
          {
            id: 'title',
            title: msg('Incident', { id: 'security.col.incident' }),
            render: (i) => html`<a href=${`/security/incidents/${encodeURIComponent(i.id)}`}>${i.title}</a>`,
          },
          {
            id: 'status',
            title: msg('Status', { id: 'security.col.status' }),
            render: (i) => incidentStatusBadge(i.status),
          },
          {
            id: 'unit',
            title: msg('Handled by', { id: 'security.col.handler' }),
            render: (i) => i.handlerOrgUnitName,
          },
          {
            id: 'alerts',
            title: msg('Alerts', { id: 'security.col.alerts' }),
            align: 'end',
            render: (i) => formatCount(i.alertCount),
          },
        ];
        return html`<ts-panel heading=${heading}>
          <span slot="meta" data-testid="security-open-incidents" data-count=${items.length}
            >${msg(str`${formatCount(items.length)} open`, { id: 'security.topIncidents.count' })}</span
          >
          <ts-data-table
            data-testid="security-top-incidents"
            caption=${heading}
            .columns=${columns}
            .rows=${top}
            .rowKey=${(i: Incident) => i.id}
            .rowAttributes=${(i: Incident) => ({ 'data-testid': 'security-top-incident', 'data-key': i.id })}
            emptyMessage=${msg('No open incidents in scope.', { id: 'security.topIncidents.empty' })}
          ></ts-data-table>
        </ts-panel>`;
      },
    });
  }

  private _renderAlerts() {
    const heading = msg('Open alerts by severity', { id: 'security.openAlerts.heading' });
    return this._alertsTask.render({
      pending: () => html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
      error: (e) =>
        html`<ts-panel
          heading=${heading}
          state="error"
          .error=${errorText(e)}
          @ts-retry=${() => void this._alertsTask.run()}
        ></ts-panel>`,
      complete: (v) => {
        const shown = severities.reduce((sum, s) => sum + v.counts[s], 0);
        const total = v.total ?? shown;
        return html`<ts-panel heading=${heading}>
          <span slot="meta" data-testid="security-open-alerts" data-count=${total}
            >${
              v.more
                ? msg(str`${formatCount(total)} open (by severity: the newest ${formatCount(shown)})`, {
                    id: 'security.openAlerts.partial',
                  })
                : msg(str`${formatCount(total)} open`, { id: 'security.openAlerts.count' })
            }</span
          >
          ${chartFigure({
            testId: 'chart-security-severity',
            title: msg('Open alerts over the last 30 days', { id: 'security.openAlerts.chart' }),
            subject: '',
            option: cachedOption(v, 'severity', () => severityBarsOption(v.counts)),
            empty: shown === 0,
            height: 200,
          })}
          <div class="row">
            ${severities.map(
              (s) =>
                html`<a
                  data-testid="security-severity-${s}"
                  data-count=${v.counts[s]}
                  href=${alertQueuePath({ severity: [s], range: '30d' })}
                  >${severityBadge(s)} ${formatCount(v.counts[s])}</a
                >`,
            )}
          </div>
        </ts-panel>`;
      },
    });
  }

  private _renderSources() {
    const heading = msg('Events per source (24 hours)', { id: 'security.sources.heading' });
    return this._sourcesTask.render({
      pending: () => html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
      error: (e) =>
        html`<ts-panel
          heading=${heading}
          state="error"
          .error=${errorText(e)}
          @ts-retry=${() => void this._sourcesTask.run()}
        ></ts-panel>`,
      complete: ({ sources, bySource }) => {
        const stored = new Map(bySource.map((s: StatItem) => [s.key, s.count]));
        const columns: DataTableColumn<SourceStats>[] = [
          {
            id: 'source',
            title: msg('Source', { id: 'security.col.source' }),
            render: (s) =>
              html`<span class="cell-stack"
                ><span>${s.source}</span><span class="cell-sub mono">${s.agentId}</span></span
              >`,
            sortValue: (s) => s.source,
          },
          {
            id: 'format',
            title: msg('Format', { id: 'security.col.format' }),
            render: (s) => `${s.format} · ${s.transport}`,
          },
          {
            id: 'received',
            title: msg('Received', { id: 'security.col.received' }),
            align: 'end',
            render: (s) => formatCount(s.received),
            sortValue: (s) => s.received,
          },
          {
            id: 'accepted',
            title: msg('Accepted', { id: 'security.col.accepted' }),
            align: 'end',
            render: (s) => formatCount(s.accepted),
            sortValue: (s) => s.accepted,
          },
          {
            id: 'stored',
            title: msg('Stored events', { id: 'security.col.stored' }),
            align: 'end',
            render: (s) => formatCount(stored.get(s.source) ?? 0),
          },
          {
            id: 'rejected',
            title: msg('Rejected, by reason', { id: 'security.col.rejected' }),
            render: (s) => {
              const reasons = rejectionReasons(s.rejectedByReason);
              if (s.rejected === 0) return '0';
              return html`<span
                class="cell-wrap cell-bad"
                data-testid="security-source-rejected"
                data-count=${s.rejected}
                >${formatCount(s.rejected)}${reasons.length ? ': ' : ''}${reasons
                  .map(([r, n]) => `${rejectReasonText(r)} ${formatCount(n)}`)
                  .join(', ')}</span
              >`;
            },
            sortValue: (s) => s.rejected,
          },
          {
            id: 'dropped',
            title: msg('Dropped', { id: 'security.col.dropped' }),
            align: 'end',
            render: (s) =>
              s.dropped > 0 ? html`<span class="cell-bad">${formatCount(s.dropped)}</span>` : '0',
            sortValue: (s) => s.dropped,
          },
          {
            id: 'last',
            title: msg('Last event', { id: 'security.col.lastSeen' }),
            render: (s) => (s.lastSeen ? formatDateTime(s.lastSeen) : ''),
            sortValue: (s) => s.lastSeen,
          },
        ];
        return html`<ts-panel heading=${heading}>
          <ts-data-table
            data-testid="security-sources"
            caption=${heading}
            .columns=${columns}
            .rows=${sources}
            .rowKey=${(s: SourceStats) => `${s.agentId}|${s.source}|${s.format}|${s.transport}`}
            .rowAttributes=${(s: SourceStats) => ({ 'data-testid': 'security-source-row', 'data-key': s.source })}
            emptyMessage=${msg('No events received in the last 24 hours.', { id: 'security.sources.empty' })}
          ></ts-data-table>
        </ts-panel>`;
      },
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-security': TsPageSecurity;
  }
}
