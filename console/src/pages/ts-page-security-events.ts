import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { errorText } from '../data/error-text.js';
import { fetchOrgUnits, orgUnitOptions } from '../data/org-units.js';
import {
  eventFormats,
  eventParams,
  eventQuerySearch,
  eventSeverityText,
  fetchEvents,
  isSecurityMissing,
  parseEventQuery,
  securityWindow,
} from '../data/security.js';
import type { EventPage, EventQuery, SecurityEvent } from '../data/security.js';
import { formatCount, formatDateTime } from '../common/format.js';
import { locationChangedEvent, navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { DataTableColumn, RowSelectDetail } from '../components/ts-data-table.js';
import {
  customRangeForm,
  orgUnitSelect,
  securityRangeButtons,
  securityStyles,
} from './ts-page-security-common.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';

const pageSize = 100;

const endpoint = (ip: string, port: number) => (ip ? (port ? `${ip}:${port}` : ip) : '');

/**
 * Event search (事件检索): a query (free text, or `field:value` terms), time range, type, format,
 * source and org unit in the URL; each event with its normalised fields and its raw line.
 */
@localized()
@customElement('ts-page-security-events')
export class TsPageSecurityEvents extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    securityStyles,
    css`
      .cols {
        display: grid;
        gap: 12px;
        grid-template-columns: minmax(0, 3fr) minmax(0, 2fr);
      }
    `,
  ];

  @state() private _query: EventQuery = parseEventQuery(window.location.search);

  @state() private _draft = { ...this._query };

  @state() private _more: SecurityEvent[] = [];

  @state() private _cursor: string | null = null;

  @state() private _moreError = '';

  @state() private _chosen?: SecurityEvent;

  @state() private _rangeError = '';

  override connectedCallback() {
    super.connectedCallback();
    window.addEventListener('popstate', this._onLocation);
    window.addEventListener(locationChangedEvent, this._onLocation);
    const search = eventQuerySearch(this._query);
    if (window.location.search !== search) navigate(`/security/events${search}`, { replace: true });
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this._onLocation);
    window.removeEventListener(locationChangedEvent, this._onLocation);
  }

  private _onLocation = () => {
    if (window.location.pathname !== '/security/events') return;
    const next = parseEventQuery(window.location.search);
    if (eventQuerySearch(next) === eventQuerySearch(this._query)) return;
    this._query = next;
    this._draft = { ...next };
  };

  private _set(change: Partial<EventQuery>) {
    const next: EventQuery = { ...this._query, ...change };
    if (next.custom === undefined) delete next.custom;
    this._query = next;
    this._draft = { ...next };
    this._chosen = undefined;
    navigate(`/security/events${eventQuerySearch(next)}`);
  }

  private readonly _unitsTask = new Task(this, {
    task: async (_args, { signal }) => orgUnitOptions((await fetchOrgUnits(signal)).items),
    args: () => [] as const,
  });

  private readonly _task = new Task(this, {
    task: async ([search], { signal }): Promise<EventPage> => {
      const page = await fetchEvents(
        eventParams(parseEventQuery(search), Date.now()),
        null,
        pageSize,
        signal,
      );
      this._more = [];
      this._cursor = page.nextCursor;
      return page;
    },
    args: () => [eventQuerySearch(this._query)] as const,
  });

  private async _loadMore() {
    if (!this._cursor) return;
    try {
      const page = await fetchEvents(eventParams(this._query, Date.now()), this._cursor, pageSize);
      this._more = [...this._more, ...page.items];
      this._cursor = page.nextCursor;
    } catch (e) {
      this._moreError = errorText(e);
    }
  }

  override render() {
    const heading = msg('Event search', { id: 'security.events.heading' });
    if (isSecurityMissing(this._task.error))
      return html`<div class="page-header"><h1>${heading}</h1></div>
        <p class="unavailable" data-testid="security-unavailable">
          ${msg('Security situational awareness is not available on this server.', { id: 'security.unavailable' })}
        </p>`;
    const q = this._query;
    const d = this._draft;
    const input = (key: 'q' | 'type' | 'source') => (e: Event) =>
      (this._draft = { ...this._draft, [key]: (e.target as HTMLInputElement).value });
    return html`<div class="page-header"><h1>${heading}</h1></div>
      <div class="stack">
        <ts-panel heading=${msg('Query', { id: 'security.events.query' })}>
          <form
            class="stack"
            @submit=${(e: Event) => {
              e.preventDefault();
              this._set({ q: d.q.trim(), type: d.type.trim(), source: d.source.trim() });
            }}
          >
            <div class="row">
              ${securityRangeButtons(q.range, !!q.custom, 'events-range', (range) => this._set({ range, custom: undefined }))}
              ${orgUnitSelect(this._unitsTask.value ?? [], q.orgUnit, 'events-org-unit', (orgUnit) => this._set({ orgUnit }))}
              <label class="field"
                >${msg('Format', { id: 'security.col.format' })}
                <select
                  data-testid="events-format"
                  @change=${(e: Event) => this._set({ format: (e.target as HTMLSelectElement).value as EventQuery['format'] })}
                >
                  <option value="" ?selected=${q.format === ''}>
                    ${msg('All', { id: 'security.incidents.all' })}
                  </option>
                  ${eventFormats.map((f) => html`<option value=${f} ?selected=${q.format === f}>${f.toUpperCase()}</option>`)}
                </select></label
              >
            </div>
            <div class="row">
              <input
                type="search"
                class="wide"
                data-testid="events-q"
                aria-label=${msg('Search events', { id: 'security.events.search' })}
                placeholder=${msg('Text, or field:value terms, e.g. src_ip:10.17.1.5 rule:"ET SCAN"', { id: 'security.events.placeholder' })}
                .value=${d.q}
                @input=${input('q')}
              />
              <label class="field"
                >${msg('Type', { id: 'security.col.type' })}
                <input
                  type="text"
                  data-testid="events-type"
                  placeholder=${msg('e.g. alert, dns, syslog', { id: 'security.events.typePlaceholder' })}
                  .value=${d.type}
                  @input=${input('type')}
              /></label>
              <label class="field"
                >${msg('Source', { id: 'security.col.source' })}
                <input type="text" data-testid="events-source" .value=${d.source} @input=${input('source')}
              /></label>
              <button type="submit" class="btn primary" data-testid="events-apply">
                ${msg('Search', { id: 'security.events.apply' })}
              </button>
            </div>
          </form>
          ${customRangeForm(securityWindow(q, Date.now()), 'events-custom-range', (custom) => {
            if (typeof custom === 'string') this._rangeError = custom;
            else {
              this._rangeError = '';
              this._set({ custom });
            }
          })}
          ${this._rangeError ? html`<p class="error" role="alert">${this._rangeError}</p>` : nothing}
        </ts-panel>
        <div class="cols">
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
          ${this._renderChosen()}
        </div>
      </div>`;
  }

  private _table(page: EventPage, busy: boolean) {
    const rows = [...page.items, ...this._more];
    const columns: DataTableColumn<SecurityEvent>[] = [
      {
        id: 'ts',
        title: msg('Time', { id: 'security.col.time' }),
        render: (e) => formatDateTime(e.ts),
        sortValue: (e) => e.ts,
      },
      {
        id: 'type',
        title: msg('Type', { id: 'security.col.type' }),
        render: (e) => html`<span class="mono">${e.format} · ${e.type}</span>`,
      },
      {
        id: 'severity',
        title: msg('Severity', { id: 'security.col.severity' }),
        render: (e) => eventSeverityText(e.severity),
        sortValue: (e) => e.severity,
      },
      {
        id: 'src',
        title: msg('From', { id: 'security.col.src' }),
        render: (e) => html`<span class="mono">${endpoint(e.srcIp, e.srcPort)}</span>`,
      },
      {
        id: 'dst',
        title: msg('To', { id: 'security.col.dst' }),
        render: (e) => html`<span class="mono">${endpoint(e.dstIp, e.dstPort)}</span>`,
      },
      {
        id: 'message',
        title: msg('Message', { id: 'security.col.message' }),
        render: (e) => html`<span class="cell-truncate">${e.rule || e.message}</span>`,
      },
      {
        id: 'unit',
        title: msg('Org unit', { id: 'security.col.orgUnit' }),
        render: (e) => e.orgUnitName || e.orgUnitId,
      },
    ];
    return html`<ts-panel heading=${msg('Events', { id: 'security.events.results' })} ?busy=${busy}>
      <span slot="meta" data-testid="events-shown" data-count=${rows.length}
        >${msg(str`${formatCount(rows.length)} shown`, { id: 'security.alerts.shown' })}</span
      >
      <ts-data-table
        data-testid="events-table"
        caption=${msg('Events', { id: 'security.events.results' })}
        selectable
        .selectedKey=${this._chosen?.id}
        .columns=${columns}
        .rows=${rows}
        .rowKey=${(e: SecurityEvent) => e.id}
        .rowAttributes=${(e: SecurityEvent) => ({ 'data-testid': 'event-row', 'data-key': e.id, 'data-type': e.type })}
        emptyMessage=${msg('No events match in this time range.', { id: 'security.events.empty' })}
        @ts-row-select=${(e: CustomEvent<RowSelectDetail<SecurityEvent>>) => (this._chosen = e.detail.row)}
      ></ts-data-table>
      ${
        this._cursor
          ? html`<button
              type="button"
              class="btn"
              data-testid="events-more"
              @click=${() => void this._loadMore()}
            >
              ${msg('Load more', { id: 'security.alerts.more' })}
            </button>`
          : nothing
      }
      ${this._moreError ? html`<p class="error" role="alert">${this._moreError}</p>` : nothing}
    </ts-panel>`;
  }

  private _renderChosen() {
    const e = this._chosen;
    const heading = msg('Event', { id: 'security.events.one' });
    if (!e)
      return html`<ts-panel heading=${heading}
        ><p class="empty">
          ${msg('Choose an event to see its fields and raw line.', { id: 'security.events.choose' })}
        </p></ts-panel
      >`;
    const fields = Object.entries(e.fields).sort((a, b) => a[0].localeCompare(b[0]));
    return html`<ts-panel heading=${heading} data-testid="event-detail">
      <div class="stack">
        <span class="muted">${formatDateTime(e.ts)} · ${e.source} · ${e.agentId}</span>
        <h3>${msg('Raw line', { id: 'security.events.raw' })}</h3>
        <pre class="raw" data-testid="event-raw">${e.raw}</pre>
        <h3>${msg('Fields', { id: 'security.events.fields' })}</h3>
        <dl class="fields" data-testid="event-fields">
          ${fields.map(
            ([k, v]) =>
              html`<dt>${k}</dt>
                <dd>${typeof v === 'string' ? v : JSON.stringify(v)}</dd>`,
          )}
        </dl>
      </div>
    </ts-panel>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-security-events': TsPageSecurityEvents;
  }
}
