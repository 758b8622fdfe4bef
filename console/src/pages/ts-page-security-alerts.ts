import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import type { User } from '../data/auth.js';
import { actionErrorMessage } from '../data/api.js';
import { errorText } from '../data/error-text.js';
import { fetchOrgUnits, orgUnitOptions } from '../data/org-units.js';
import {
  alertFilter,
  alertQuerySearch,
  alertStatuses,
  alertStatusText,
  applicableActions,
  bulkActionText,
  bulkTriage,
  createIncident,
  createSuppression,
  fetchAlert,
  fetchAlerts,
  isSecurityMissing,
  parseAlertQuery,
  severities,
  securityWindow,
  severityText,
  suppressionExpiry,
} from '../data/security.js';
import type { Alert, AlertPage, AlertQuery, AlertStatus, BulkAction, Severity } from '../data/security.js';
import { formatCount, formatDateTime } from '../common/format.js';
import { locationChangedEvent, navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { DataTableColumn } from '../components/ts-data-table.js';
import {
  alertStatusBadge,
  attackChips,
  customRangeForm,
  orgUnitSelect,
  securityRangeButtons,
  securityStyles,
  severityBadge,
} from './ts-page-security-common.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';

const pageSize = 100;

/** The form the bulk bar shows for an action that needs more than a click. */
type Pending = '' | 'assign' | 'to-incident' | 'suppress';

/** The alert sources the filter offers ('' = every source), with their names in the user's language. */
function alertSourceOptions(): [string, string][] {
  return [
    ['', msg('All sources', { id: 'security.source.all' })],
    ['sigma', msg('Sigma rules', { id: 'security.source.sigma' })],
    ['suricata', msg('Suricata IDS', { id: 'security.source.suricata' })],
    ['flow', msg('Flow detections', { id: 'security.source.flow' })],
    ['threat-intel', msg('Threat intelligence', { id: 'security.source.threatIntel' })],
    ['egress', msg('Unusual internet egress', { id: 'security.source.egress' })],
    ['manual', msg('Raised by hand', { id: 'security.source.manual' })],
  ];
}

/**
 * The alert queue (告警队列): filters in the URL (status, severity, source, org unit, time range,
 * text), keyset paging ("load more"), multi-select with bulk triage (acknowledge, close, false
 * positive, reopen, assign, group into an incident) and suppression with an expiry and a reason.
 * A chosen alert shows its events with their raw lines.
 */
@localized()
@customElement('ts-page-security-alerts')
export class TsPageSecurityAlerts extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    securityStyles,
    css`
      .bulk {
        position: sticky;
        top: 0;
        z-index: 2;
        display: flex;
        flex-wrap: wrap;
        gap: 8px;
        align-items: center;
        padding: 8px 12px;
        background: var(--ts-accent-soft);
        border: 1px solid var(--ts-border);
        border-radius: var(--ts-radius);
      }
      fieldset {
        display: inline-flex;
        gap: 8px;
        align-items: center;
        border: none;
        margin: 0;
        padding: 0;
        font-size: 12px;
      }
      legend {
        float: left;
        margin-right: 6px;
        color: var(--ts-text-muted);
      }
      .more {
        display: flex;
        justify-content: center;
        padding: 8px;
      }
    `,
  ];

  @property({ attribute: false }) user?: User;

  @state() private _query: AlertQuery = parseAlertQuery(window.location.search);

  @state() private _draft = { q: this._query.q, source: this._query.source };

  /** Bumped to load the first page again (after a change). */
  @state() private _generation = 0;

  /** Pages loaded after the first ("load more"). */
  @state() private _more: Alert[] = [];

  @state() private _cursor: string | null = null;

  @state() private _moreError = '';

  @state() private _loadingMore = false;

  @state() private _selected = new Set<string>();

  @state() private _pending: Pending = '';

  @state() private _busy = false;

  @state() private _result = '';

  @state() private _error = '';

  @state() private _detailId = '';

  override connectedCallback() {
    super.connectedCallback();
    window.addEventListener('popstate', this._onLocation);
    window.addEventListener(locationChangedEvent, this._onLocation);
    const search = alertQuerySearch(this._query);
    if (window.location.search !== search) navigate(`/security/alerts${search}`, { replace: true });
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this._onLocation);
    window.removeEventListener(locationChangedEvent, this._onLocation);
  }

  private _onLocation = () => {
    if (window.location.pathname !== '/security/alerts') return;
    const next = parseAlertQuery(window.location.search);
    if (alertQuerySearch(next) === alertQuerySearch(this._query)) return;
    this._query = next;
    this._draft = { q: next.q, source: next.source };
    this._reset();
  };

  private _reset() {
    this._selected = new Set();
    this._more = [];
    this._cursor = null;
    this._moreError = '';
    this._pending = '';
  }

  private _set(change: Partial<AlertQuery>) {
    const next: AlertQuery = { ...this._query, ...change };
    if (next.custom === undefined) delete next.custom;
    this._query = next;
    this._reset();
    this._result = '';
    navigate(`/security/alerts${alertQuerySearch(next)}`);
  }

  private readonly _unitsTask = new Task(this, {
    task: async (_args, { signal }) => orgUnitOptions((await fetchOrgUnits(signal)).items),
    args: () => [] as const,
  });

  private readonly _pageTask = new Task(this, {
    task: async ([search, generation], { signal }): Promise<AlertPage> => {
      void generation;
      const page = await fetchAlerts(
        alertFilter(parseAlertQuery(search), Date.now()),
        null,
        pageSize,
        signal,
      );
      this._cursor = page.nextCursor;
      this._more = [];
      return page;
    },
    args: () => [alertQuerySearch(this._query), this._generation] as const,
  });

  private readonly _detailTask = new Task(this, {
    task: async ([id], { signal }) => (id ? fetchAlert(id, signal) : undefined),
    args: () => [this._detailId] as const,
  });

  private _items(): Alert[] {
    return [...(this._pageTask.value?.items ?? []), ...this._more];
  }

  private async _loadMore() {
    if (!this._cursor || this._loadingMore) return;
    this._loadingMore = true;
    this._moreError = '';
    try {
      const page = await fetchAlerts(alertFilter(this._query, Date.now()), this._cursor, pageSize);
      const known = new Set(this._items().map((a) => a.id));
      this._more = [...this._more, ...page.items.filter((a) => !known.has(a.id))];
      this._cursor = page.nextCursor;
    } catch (e) {
      this._moreError = errorText(e);
    } finally {
      this._loadingMore = false;
    }
  }

  override render() {
    if (isSecurityMissing(this._pageTask.error))
      return html`<div class="page-header">
          <h1>${msg('Alert queue', { id: 'security.alerts.heading' })}</h1>
        </div>
        <p class="unavailable" data-testid="security-unavailable">
          ${msg('Security situational awareness is not available on this server.', { id: 'security.unavailable' })}
        </p>`;
    return html`
      <div class="page-header">
        <h1>${msg('Alert queue', { id: 'security.alerts.heading' })}</h1>
      </div>
      <div class="stack">
        ${this._renderFilters()} ${this._renderBulk()} ${this._renderTable()} ${this._renderDetail()}
      </div>
    `;
  }

  private _toggle<T extends string>(list: readonly T[], value: T, on: boolean, order: readonly T[]): T[] {
    const next = new Set(list);
    if (on) next.add(value);
    else next.delete(value);
    return order.filter((v) => next.has(v));
  }

  private _renderFilters() {
    const q = this._query;
    const units = this._unitsTask.value ?? [];
    return html`<ts-panel heading=${msg('Filters', { id: 'security.filters.heading' })}>
      <div class="stack">
        ${customRangeForm(securityWindow(q, Date.now()), 'alerts-custom-range', (custom) => {
          if (typeof custom === 'string') this._error = custom;
          else this._set({ custom });
        })}
        <div class="row">
          ${securityRangeButtons(q.range, !!q.custom, 'alerts-range', (range) => this._set({ range, custom: undefined }))}
          ${orgUnitSelect(units, q.orgUnit, 'alerts-org-unit', (orgUnit) => this._set({ orgUnit }))}
          <label class="field"
            >${msg('Incident', { id: 'security.filter.incident' })}
            <select
              data-testid="alerts-incident"
              @change=${(e: Event) => this._set({ incident: (e.target as HTMLSelectElement).value })}
            >
              <option value="" ?selected=${q.incident === ''}>
                ${msg('Any or none', { id: 'security.filter.incidentAll' })}
              </option>
              <option value="none" ?selected=${q.incident === 'none'}>
                ${msg('Not in an incident', { id: 'security.filter.incidentNone' })}
              </option>
              <option value="any" ?selected=${q.incident === 'any'}>
                ${msg('In an incident', { id: 'security.filter.incidentAny' })}
              </option>
            </select></label
          >
        </div>
        <div class="row">
          <fieldset data-testid="alerts-status">
            <legend>${msg('Status', { id: 'security.col.status' })}</legend>
            ${alertStatuses.map(
              (s) =>
                html`<label
                  ><input
                    type="checkbox"
                    value=${s}
                    .checked=${q.status.includes(s)}
                    @change=${(e: Event) =>
                      this._set({
                        status: this._toggle(
                          q.status,
                          s,
                          (e.target as HTMLInputElement).checked,
                          alertStatuses,
                        ),
                      })}
                  />${alertStatusText(s)}</label
                >`,
            )}
          </fieldset>
          <fieldset data-testid="alerts-severity">
            <legend>${msg('Severity', { id: 'security.col.severity' })}</legend>
            ${severities.map(
              (s) =>
                html`<label
                  ><input
                    type="checkbox"
                    value=${s}
                    .checked=${q.severity.includes(s)}
                    @change=${(e: Event) =>
                      this._set({
                        severity: this._toggle(
                          q.severity,
                          s,
                          (e.target as HTMLInputElement).checked,
                          severities,
                        ),
                      })}
                  />${severityText(s)}</label
                >`,
            )}
          </fieldset>
        </div>
        <form
          class="row"
          @submit=${(e: Event) => {
            e.preventDefault();
            this._set({ q: this._draft.q.trim(), source: this._draft.source.trim() });
          }}
        >
          <input
            type="search"
            class="wide"
            data-testid="alerts-text"
            aria-label=${msg('Search alerts', { id: 'security.alerts.search' })}
            placeholder=${msg('Title, reference or observable, e.g. 10.17.1.5', { id: 'security.alerts.searchPlaceholder' })}
            .value=${this._draft.q}
            @input=${(e: Event) => (this._draft = { ...this._draft, q: (e.target as HTMLInputElement).value })}
          />
          <label class="field"
            >${msg('Source', { id: 'security.col.source' })}
            <select
              data-testid="alerts-source"
              .value=${this._draft.source}
              @change=${(e: Event) => (this._draft = { ...this._draft, source: (e.target as HTMLSelectElement).value })}
            >
              ${alertSourceOptions().map(
                ([value, label]) =>
                  html`<option value=${value} ?selected=${this._draft.source === value}>${label}</option>`,
              )}
            </select></label
          >
          <button type="submit" class="btn primary" data-testid="alerts-apply">
            ${msg('Apply', { id: 'security.filters.apply' })}
          </button>
        </form>
      </div>
    </ts-panel>`;
  }

  private _selectedAlerts(): Alert[] {
    return this._items().filter((a) => this._selected.has(a.id));
  }

  private _renderBulk() {
    const chosen = this._selectedAlerts();
    const message = this._result
      ? html`<span class="ok-text" role="status" data-testid="alerts-result">${this._result}</span>`
      : nothing;
    const error = this._error
      ? html`<p class="error" role="alert" data-testid="alerts-error">${this._error}</p>`
      : nothing;
    if (chosen.length === 0) return html`${message}${error}`;
    const actions = applicableActions(chosen.map((a) => a.status));
    return html`<div
      class="bulk"
      data-testid="alerts-bulk"
      role="region"
      aria-label=${msg('Bulk triage', { id: 'security.bulk.label' })}
    >
      <span data-testid="alerts-selected" data-count=${chosen.length}
        >${msg(str`${formatCount(chosen.length)} selected`, { id: 'security.bulk.selected' })}</span
      >
      ${actions.map(
        (a) =>
          html`<button
            type="button"
            class="btn"
            data-testid="bulk-${a}"
            ?disabled=${this._busy}
            @click=${() => this._onAction(a)}
          >
            ${bulkActionText(a)}
          </button>`,
      )}
      <button
        type="button"
        class="btn"
        data-testid="bulk-suppress"
        ?disabled=${this._busy}
        @click=${() => (this._pending = 'suppress')}
      >
        ${msg('Suppress…', { id: 'security.bulk.suppress' })}
      </button>
      <button type="button" class="btn" data-testid="bulk-clear" @click=${() => (this._selected = new Set())}>
        ${msg('Clear selection', { id: 'security.bulk.clear' })}
      </button>
      ${this._renderPendingForm(chosen)} ${message} ${error}
    </div>`;
  }

  private _onAction(action: BulkAction) {
    if (action === 'assign' || action === 'to-incident') {
      this._pending = action;
      return;
    }
    void this._bulk(action, {});
  }

  private async _bulk(
    action: BulkAction,
    extra: { assignee?: string; incidentId?: string; comment?: string },
  ) {
    const ids = [...this._selected];
    this._busy = true;
    this._error = '';
    try {
      const { updated } = await bulkTriage({ ids, action, ...extra });
      const n = formatCount(updated);
      this._result =
        updated === 1
          ? msg(str`${n} alert updated.`, { id: 'security.bulk.updated.one' })
          : msg(str`${n} alerts updated.`, { id: 'security.bulk.updated.other' });
      this._afterChange();
    } catch (e) {
      this._error = actionErrorMessage(e);
    } finally {
      this._busy = false;
    }
  }

  private _afterChange() {
    this._reset();
    this._generation += 1;
    if (this._detailId) void this._detailTask.run();
  }

  private _renderPendingForm(chosen: Alert[]) {
    switch (this._pending) {
      case '':
        return nothing;
      case 'assign':
        return html`<form
          class="row"
          data-testid="bulk-assign-form"
          @submit=${(e: Event) => {
            e.preventDefault();
            const assignee = new FormData(e.target as HTMLFormElement).get('assignee');
            if (typeof assignee === 'string' && assignee.trim())
              void this._bulk('assign', { assignee: assignee.trim() });
          }}
        >
          <input
            type="text"
            name="assignee"
            required
            aria-label=${msg('Assignee', { id: 'security.col.assignee' })}
            placeholder=${msg('User name', { id: 'security.bulk.assigneePlaceholder' })}
          />
          <button type="submit" class="btn primary" ?disabled=${this._busy}>
            ${msg('Assign', { id: 'security.bulk.assignApply' })}
          </button>
        </form>`;
      case 'to-incident': {
        const worst = severities.find((s) => chosen.some((a) => a.severity === s)) ?? 'medium';
        const first = chosen[0];
        const units = [...new Set(chosen.map((a) => a.orgUnitId))];
        const title = first
          ? chosen.length > 1
            ? `${first.title} (+${chosen.length - 1})`
            : first.title
          : '';
        return html`<form
          class="row"
          data-testid="bulk-incident-form"
          @submit=${(e: Event) => this._toIncident(e, chosen)}
        >
          <label class="field"
            >${msg('New incident', { id: 'security.bulk.newIncident' })}
            <input
              type="text"
              name="title"
              class="wide"
              data-testid="bulk-incident-title"
              .value=${title}
              required
          /></label>
          <label class="field"
            >${msg('Severity', { id: 'security.col.severity' })}
            <select name="severity" data-testid="bulk-incident-severity">
              ${severities.map((s) => html`<option value=${s} ?selected=${s === worst}>${severityText(s)}</option>`)}
            </select></label
          >
          <label class="field"
            >${msg('or add to incident', { id: 'security.bulk.existingIncident' })}
            <input
              type="text"
              name="incidentId"
              data-testid="bulk-incident-id"
              placeholder=${msg('Incident id', { id: 'security.bulk.incidentIdPlaceholder' })}
          /></label>
          ${units.length > 1 ? html`<span class="help">${msg('The incident belongs to the org unit of the first selected alert.', { id: 'security.bulk.firstUnit' })}</span>` : nothing}
          <button type="submit" class="btn primary" data-testid="bulk-incident-apply" ?disabled=${this._busy}>
            ${msg('Group', { id: 'security.bulk.group' })}
          </button>
        </form>`;
      }
      case 'suppress': {
        const first = chosen[0];
        const same =
          first && chosen.every((a) => a.source === first.source && a.reference === first.reference);
        if (!first || !same)
          return html`<p class="error" role="alert" data-testid="bulk-suppress-mixed">
            ${msg('Choose alerts of one source and reference to suppress them.', { id: 'security.suppress.mixed' })}
          </p>`;
        return html`<form
          class="row"
          data-testid="bulk-suppress-form"
          @submit=${(e: Event) => this._suppress(e, first)}
        >
          <span class="mono">${first.source} · ${first.reference}</span>
          <label class="field"
            ><input
              type="checkbox"
              name="unitOnly"
              checked
            />${msg(str`only in ${first.orgUnitName || first.orgUnitId}`, { id: 'security.suppress.unitOnly' })}</label
          >
          <label class="field"
            >${msg('Reason', { id: 'security.suppress.reason' })}
            <input type="text" name="reason" class="wide" required data-testid="bulk-suppress-reason"
          /></label>
          <label class="field"
            >${msg('Days (at most 90)', { id: 'security.suppress.days' })}
            <input
              type="number"
              name="days"
              min="1"
              max="90"
              value="7"
              required
              data-testid="bulk-suppress-days"
          /></label>
          <button type="submit" class="btn primary" data-testid="bulk-suppress-apply" ?disabled=${this._busy}>
            ${msg('Suppress', { id: 'security.suppress.apply' })}
          </button>
        </form>`;
      }
    }
  }

  private async _toIncident(e: Event, chosen: Alert[]) {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const existing = String(form.get('incidentId') ?? '').trim();
    const first = chosen[0];
    if (!first) return;
    if (existing) {
      await this._bulk('to-incident', { incidentId: existing });
      return;
    }
    this._busy = true;
    this._error = '';
    try {
      const incident = await createIncident({
        title: String(form.get('title') ?? '').trim() || first.title,
        severity: String(form.get('severity')) as Severity,
        orgUnitId: first.orgUnitId,
        alertIds: chosen.map((a) => a.id),
      });
      this._result = msg(str`Incident opened: ${incident.title}`, { id: 'security.bulk.incidentOpened' });
      this._afterChange();
      navigate(`/security/incidents/${encodeURIComponent(incident.id)}`);
    } catch (err) {
      this._error = actionErrorMessage(err);
    } finally {
      this._busy = false;
    }
  }

  private async _suppress(e: Event, alert: Alert) {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    const reason = String(form.get('reason') ?? '').trim();
    const days = Number(form.get('days'));
    if (!reason || !(days >= 1 && days <= 90)) {
      this._error = msg('Give a reason and between 1 and 90 days.', { id: 'security.suppress.invalid' });
      return;
    }
    this._busy = true;
    this._error = '';
    try {
      await createSuppression({
        match: {
          source: alert.source,
          reference: alert.reference,
          ...(form.get('unitOnly') ? { orgUnitId: alert.orgUnitId } : {}),
        },
        reason,
        expiresAt: suppressionExpiry(days, Date.now()),
      });
      this._result = msg('Suppression created.', { id: 'security.suppress.created' });
      this._afterChange();
    } catch (err) {
      this._error = actionErrorMessage(err);
    } finally {
      this._busy = false;
    }
  }

  private _columns(): DataTableColumn<Alert>[] {
    return [
      {
        id: 'pick',
        title: msg('Select', { id: 'security.col.select' }),
        width: '44px',
        render: (a) =>
          html`<input
            type="checkbox"
            data-testid="alert-pick"
            aria-label=${msg(str`Select ${a.title}`, { id: 'security.alerts.pick' })}
            .checked=${this._selected.has(a.id)}
            @change=${(e: Event) => {
              const next = new Set(this._selected);
              if ((e.target as HTMLInputElement).checked) next.add(a.id);
              else next.delete(a.id);
              this._selected = next;
              this._pending = '';
            }}
          />`,
      },
      {
        id: 'severity',
        title: msg('Severity', { id: 'security.col.severity' }),
        render: (a) => severityBadge(a.severity),
        sortValue: (a) => severities.indexOf(a.severity),
      },
      {
        id: 'status',
        title: msg('Status', { id: 'security.col.status' }),
        render: (a) => alertStatusBadge(a.status),
        sortValue: (a) => a.status,
      },
      {
        id: 'title',
        title: msg('Alert', { id: 'security.col.alert' }),
        render: (a) =>
          html`<span class="cell-stack"
            ><a
              href=${`#alert-${a.id}`}
              data-testid="alert-open"
              @click=${(e: Event) => {
                e.preventDefault();
                this._detailId = a.id;
              }}
              >${a.title}</a
            ><span class="cell-sub mono">${a.source} · ${a.reference}</span></span
          >`,
        sortValue: (a) => a.title,
      },
      {
        id: 'unit',
        title: msg('Org unit', { id: 'security.col.orgUnit' }),
        render: (a) => a.orgUnitName || a.orgUnitId,
        sortValue: (a) => a.orgUnitName,
      },
      {
        id: 'asset',
        title: msg('Asset', { id: 'security.col.asset' }),
        render: (a) => html`<span class="mono">${a.assetAddress ?? ''}</span>`,
      },
      {
        id: 'count',
        title: msg('Count', { id: 'security.col.count' }),
        align: 'end',
        render: (a) => formatCount(a.count),
        sortValue: (a) => a.count,
      },
      {
        id: 'last',
        title: msg('Last seen', { id: 'security.col.lastSeen2' }),
        render: (a) => formatDateTime(a.lastSeen),
        sortValue: (a) => a.lastSeen,
      },
      {
        id: 'incident',
        title: msg('Incident', { id: 'security.col.incident' }),
        render: (a) =>
          a.incidentId
            ? html`<a href=${`/security/incidents/${encodeURIComponent(a.incidentId)}`}
                >${msg('Open', { id: 'security.alerts.openIncident' })}</a
              >`
            : '',
      },
      {
        id: 'assignee',
        title: msg('Assignee', { id: 'security.col.assignee' }),
        render: (a) => a.assignee ?? '',
      },
    ];
  }

  private _renderTable() {
    const heading = msg('Alerts', { id: 'security.alerts.tableHeading' });
    const page = this._pageTask.value;
    return this._pageTask.render({
      pending: () =>
        page ? this._tablePanel(page, true) : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
      error: (e) =>
        html`<ts-panel
          heading=${heading}
          state="error"
          .error=${errorText(e)}
          @ts-retry=${() => void this._pageTask.run()}
        ></ts-panel>`,
      complete: (p) => this._tablePanel(p, false),
    });
  }

  private _tablePanel(page: AlertPage, busy: boolean) {
    const items = this._items();
    const total =
      page.total === null
        ? ''
        : page.totalIsEstimate
          ? msg(str`about ${formatCount(page.total)} match`, { id: 'security.alerts.totalEstimate' })
          : msg(str`${formatCount(page.total)} match`, { id: 'security.alerts.total' });
    const allChosen = items.length > 0 && items.every((a) => this._selected.has(a.id));
    return html`<ts-panel heading=${msg('Alerts', { id: 'security.alerts.tableHeading' })} ?busy=${busy}>
      <span slot="meta" data-testid="alerts-shown" data-count=${items.length} data-total=${page.total ?? ''}
        >${msg(str`${formatCount(items.length)} shown`, { id: 'security.alerts.shown' })} ${total}</span
      >
      <button
        slot="actions"
        type="button"
        class="btn"
        data-testid="alerts-select-all"
        ?disabled=${items.length === 0}
        @click=${() => {
          this._selected = allChosen ? new Set() : new Set(items.map((a) => a.id));
          this._pending = '';
        }}
      >
        ${allChosen ? msg('Select none', { id: 'security.alerts.selectNone' }) : msg('Select all shown', { id: 'security.alerts.selectAll' })}
      </button>
      <ts-data-table
        data-testid="alerts-table"
        caption=${msg('Alerts', { id: 'security.alerts.tableHeading' })}
        .columns=${this._columns()}
        .rows=${items}
        .rowKey=${(a: Alert) => a.id}
        .rowAttributes=${(a: Alert) => ({
          'data-testid': 'alert-row',
          'data-key': a.id,
          'data-status': a.status,
          'data-org-unit': a.orgUnitId,
          'data-reference': a.reference,
        })}
        emptyMessage=${msg('No alerts match.', { id: 'security.alerts.empty' })}
      ></ts-data-table>
      ${
        this._cursor
          ? html`<div class="more">
              <button
                type="button"
                class="btn"
                data-testid="alerts-more"
                ?disabled=${this._loadingMore}
                @click=${() => void this._loadMore()}
              >
                ${msg('Load more', { id: 'security.alerts.more' })}
              </button>
            </div>`
          : nothing
      }
      ${this._moreError ? html`<p class="error" role="alert">${this._moreError}</p>` : nothing}
    </ts-panel>`;
  }

  private _renderDetail() {
    if (!this._detailId) return nothing;
    const heading = msg('Alert', { id: 'security.col.alert' });
    return this._detailTask.render({
      pending: () => html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
      error: (e) =>
        html`<ts-panel
          heading=${heading}
          state="error"
          .error=${errorText(e)}
          @ts-retry=${() => void this._detailTask.run()}
        ></ts-panel>`,
      complete: (a) =>
        a
          ? html`<ts-panel heading=${a.title} data-testid="alert-detail">
              <button slot="actions" type="button" class="btn" @click=${() => (this._detailId = '')}>
                ${msg('Close', { id: 'security.detail.close' })}
              </button>
              <div class="stack">
                <div class="row">
                  ${severityBadge(a.severity)} ${alertStatusBadge(a.status as AlertStatus)}
                  ${attackChips(a.attack)}
                </div>
                ${a.description ? html`<p>${a.description}</p>` : nothing}
                <dl class="fields">
                  <dt>${msg('Source', { id: 'security.col.source' })}</dt>
                  <dd>${a.source} · ${a.reference}</dd>
                  <dt>${msg('First seen', { id: 'security.col.firstSeen' })}</dt>
                  <dd>${formatDateTime(a.firstSeen)}</dd>
                  <dt>${msg('Last seen', { id: 'security.col.lastSeen2' })}</dt>
                  <dd>${formatDateTime(a.lastSeen)}</dd>
                  ${a.observables.map(
                    (o) =>
                      html`<dt>${o.type}</dt>
                        <dd>${o.value}</dd>`,
                  )}
                </dl>
                <h3>
                  ${msg(str`Events (${formatCount(a.events.length)})`, { id: 'security.detail.events' })}
                </h3>
                ${
                  a.events.length
                    ? a.events.map(
                        (ev) =>
                          html`<div data-testid="alert-event">
                            <span class="muted">${formatDateTime(ev.ts)} · ${ev.format} · ${ev.type}</span>
                            <pre class="raw">${ev.raw}</pre>
                          </div>`,
                      )
                    : a.evidence.length
                      ? a.evidence.map(
                          (line) =>
                            html`<pre class="raw" data-testid="alert-evidence">
${typeof line === 'string' ? line : JSON.stringify(line)}</pre>`,
                        )
                      : html`<p class="empty">
                          ${msg('No stored events behind this alert.', { id: 'security.detail.noEvents' })}
                        </p>`
                }
              </div>
            </ts-panel>`
          : nothing,
    });
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-security-alerts': TsPageSecurityAlerts;
  }
}
