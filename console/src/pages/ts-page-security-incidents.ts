import { LitElement, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { errorText } from '../data/error-text.js';
import {
  fetchIncidents,
  incidentQuerySearch,
  incidentStatuses,
  incidentStatusText,
  isSecurityMissing,
  parseIncidentQuery,
  severities,
  severityText,
} from '../data/security.js';
import type { Incident, IncidentPage, IncidentQuery } from '../data/security.js';
import { formatCount, formatDateTime, formatDuration } from '../common/format.js';
import { locationChangedEvent, navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { DataTableColumn, RowSelectDetail } from '../components/ts-data-table.js';
import { incidentStatusBadge, securityStyles, severityBadge } from './ts-page-security-common.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';

const pageSize = 100;

/**
 * The incidents in scope (安全事件): the caller's own and its units', and those escalated to it;
 * filters by status, severity and escalation in the URL, keyset paging; a row opens the incident.
 */
@localized()
@customElement('ts-page-security-incidents')
export class TsPageSecurityIncidents extends LitElement {
  static override styles = [sharedStyles, pageStyles, securityStyles];

  @state() private _query: IncidentQuery = parseIncidentQuery(window.location.search);

  @state() private _more: Incident[] = [];

  @state() private _cursor: string | null = null;

  @state() private _moreError = '';

  override connectedCallback() {
    super.connectedCallback();
    window.addEventListener('popstate', this._onLocation);
    window.addEventListener(locationChangedEvent, this._onLocation);
    const search = incidentQuerySearch(this._query);
    if (window.location.search !== search) navigate(`/security/incidents${search}`, { replace: true });
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this._onLocation);
    window.removeEventListener(locationChangedEvent, this._onLocation);
  }

  private _onLocation = () => {
    if (window.location.pathname !== '/security/incidents') return;
    const next = parseIncidentQuery(window.location.search);
    if (incidentQuerySearch(next) !== incidentQuerySearch(this._query)) this._query = next;
  };

  private _set(change: Partial<IncidentQuery>) {
    this._query = { ...this._query, ...change };
    navigate(`/security/incidents${incidentQuerySearch(this._query)}`);
  }

  private readonly _task = new Task(this, {
    task: async ([search], { signal }): Promise<IncidentPage> => {
      const page = await fetchIncidents(parseIncidentQuery(search), null, pageSize, signal);
      this._more = [];
      this._cursor = page.nextCursor;
      return page;
    },
    args: () => [incidentQuerySearch(this._query)] as const,
  });

  private async _loadMore() {
    if (!this._cursor) return;
    try {
      const page = await fetchIncidents(this._query, this._cursor, pageSize);
      this._more = [...this._more, ...page.items];
      this._cursor = page.nextCursor;
    } catch (e) {
      this._moreError = errorText(e);
    }
  }

  override render() {
    const heading = msg('Incidents', { id: 'security.incidents.heading' });
    if (isSecurityMissing(this._task.error))
      return html`<div class="page-header"><h1>${heading}</h1></div>
        <p class="unavailable" data-testid="security-unavailable">
          ${msg('Security situational awareness is not available on this server.', { id: 'security.unavailable' })}
        </p>`;
    const q = this._query;
    const toggle = <T extends string>(list: readonly T[], v: T, on: boolean, order: readonly T[]) =>
      order.filter((x) => (x === v ? on : list.includes(x)));
    return html`<div class="page-header"><h1>${heading}</h1></div>
      <div class="stack">
        <ts-panel heading=${msg('Filters', { id: 'security.filters.heading' })}>
          <div class="row">
            <span data-testid="incidents-status">
              ${incidentStatuses.map(
                (s) =>
                  html`<label class="field"
                    ><input
                      type="checkbox"
                      value=${s}
                      .checked=${q.status.includes(s)}
                      @change=${(e: Event) =>
                        this._set({
                          status: toggle(
                            q.status,
                            s,
                            (e.target as HTMLInputElement).checked,
                            incidentStatuses,
                          ),
                        })}
                    />${incidentStatusText(s)}</label
                  >`,
              )}
            </span>
            <span>
              ${severities.map(
                (s) =>
                  html`<label class="field"
                    ><input
                      type="checkbox"
                      .checked=${q.severity.includes(s)}
                      @change=${(e: Event) =>
                        this._set({
                          severity: toggle(q.severity, s, (e.target as HTMLInputElement).checked, severities),
                        })}
                    />${severityText(s)}</label
                  >`,
              )}
            </span>
            <label class="field"
              >${msg('Escalation', { id: 'security.incidents.escalation' })}
              <select
                data-testid="incidents-escalated"
                @change=${(e: Event) => this._set({ escalated: (e.target as HTMLSelectElement).value as IncidentQuery['escalated'] })}
              >
                <option value="" ?selected=${q.escalated === ''}>
                  ${msg('All', { id: 'security.incidents.all' })}
                </option>
                <option value="true" ?selected=${q.escalated === 'true'}>
                  ${msg('Escalated', { id: 'security.incidents.escalated' })}
                </option>
                <option value="false" ?selected=${q.escalated === 'false'}>
                  ${msg('Not escalated', { id: 'security.incidents.notEscalated' })}
                </option>
              </select></label
            >
          </div>
        </ts-panel>
        ${this._task.render({
          pending: () =>
            this._task.value
              ? this._table(this._task.value, true)
              : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
          error: (e) =>
            html`<ts-panel
              heading=${heading}
              state="error"
              .error=${errorText(e)}
              @ts-retry=${() => void this._task.run()}
            ></ts-panel>`,
          complete: (p) => this._table(p, false),
        })}
      </div>`;
  }

  private _table(page: IncidentPage, busy: boolean) {
    const rows = [...page.items, ...this._more];
    const columns: DataTableColumn<Incident>[] = [
      {
        id: 'severity',
        title: msg('Severity', { id: 'security.col.severity' }),
        render: (i) => severityBadge(i.severity),
        sortValue: (i) => severities.indexOf(i.severity),
      },
      {
        id: 'title',
        title: msg('Incident', { id: 'security.col.incident' }),
        render: (i) => html`<a href=${`/security/incidents/${encodeURIComponent(i.id)}`}>${i.title}</a>`,
        sortValue: (i) => i.title,
      },
      {
        id: 'status',
        title: msg('Status', { id: 'security.col.status' }),
        render: (i) => incidentStatusBadge(i.status),
        sortValue: (i) => i.status,
      },
      {
        id: 'owner',
        title: msg('Org unit', { id: 'security.col.orgUnit' }),
        render: (i) => i.orgUnitName,
        sortValue: (i) => i.orgUnitName,
      },
      {
        id: 'handler',
        title: msg('Handled by', { id: 'security.col.handler' }),
        render: (i) => i.handlerOrgUnitName,
      },
      {
        id: 'escalated',
        title: msg('Escalated to', { id: 'security.col.escalatedTo' }),
        render: (i) => i.escalatedTo.map((s) => s.name || s.orgUnitId).join(' › '),
      },
      {
        id: 'alerts',
        title: msg('Alerts', { id: 'security.col.alerts' }),
        align: 'end',
        render: (i) => formatCount(i.alertCount),
        sortValue: (i) => i.alertCount,
      },
      {
        id: 'assignee',
        title: msg('Assignee', { id: 'security.col.assignee' }),
        render: (i) => i.assignee ?? '',
      },
      {
        id: 'tta',
        title: msg('Time to acknowledge', { id: 'security.col.tta' }),
        align: 'end',
        render: (i) =>
          i.timeToAcknowledgeSeconds === null ? '' : formatDuration(i.timeToAcknowledgeSeconds * 1000),
      },
      {
        id: 'updated',
        title: msg('Updated', { id: 'security.col.updated' }),
        render: (i) => formatDateTime(i.updatedAt),
        sortValue: (i) => i.updatedAt,
      },
    ];
    return html`<ts-panel heading=${msg('Incidents', { id: 'security.incidents.heading' })} ?busy=${busy}>
      <span slot="meta" data-testid="incidents-shown" data-count=${rows.length}
        >${msg(str`${formatCount(rows.length)} shown`, { id: 'security.alerts.shown' })}</span
      >
      <ts-data-table
        data-testid="incidents-table"
        caption=${msg('Incidents', { id: 'security.incidents.heading' })}
        selectable
        .columns=${columns}
        .rows=${rows}
        .rowKey=${(i: Incident) => i.id}
        .rowAttributes=${(i: Incident) => ({ 'data-testid': 'incident-row', 'data-key': i.id, 'data-status': i.status })}
        emptyMessage=${msg('No incidents match.', { id: 'security.incidents.empty' })}
        @ts-row-select=${(e: CustomEvent<RowSelectDetail<Incident>>) => navigate(`/security/incidents/${encodeURIComponent(e.detail.row.id)}`)}
      ></ts-data-table>
      ${
        this._cursor
          ? html`<button
              type="button"
              class="btn"
              data-testid="incidents-more"
              @click=${() => void this._loadMore()}
            >
              ${msg('Load more', { id: 'security.alerts.more' })}
            </button>`
          : nothing
      }
      ${this._moreError ? html`<p class="error" role="alert">${this._moreError}</p>` : nothing}
    </ts-panel>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-security-incidents': TsPageSecurityIncidents;
  }
}
