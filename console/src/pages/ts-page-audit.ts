import { LitElement, css, html } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { errorText } from '../data/error-text.js';
import { auditActionLabel, auditDetailsText, auditTargetLabel, fetchAudit } from '../data/audit.js';
import type { AuditEntry, AuditPage } from '../data/audit.js';
import { formatCount, formatDateTime } from '../common/format.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { DataTableColumn } from '../components/ts-data-table.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';
import '../components/ts-status-badge.js';

const pageSize = 100;

/** The audit trail, newest first, one page at a time: who did what, to which object, from where. */
@localized()
@customElement('ts-page-audit')
export class TsPageAudit extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    css`
      ts-panel {
        --ts-panel-padding: 0;
      }
      .more {
        display: flex;
        justify-content: center;
        gap: 12px;
        align-items: center;
        padding: 10px;
        border-top: 1px solid var(--ts-border);
      }
      .more .error {
        color: var(--ts-bad);
      }
    `,
  ];

  /** Older pages loaded with "Load older entries", appended to the first page. */
  @state() private _older: AuditEntry[] = [];

  @state() private _nextBefore: string | null | undefined;

  @state() private _loadingMore = false;

  /** Why loading older entries failed, worded in `render` so that it follows a language switch. */
  @state() private _moreError?: () => string;

  private readonly _task = new Task<[], AuditPage>(this, {
    task: async (_args, { signal }) => {
      const page = await fetchAudit({ limit: pageSize }, signal);
      this._older = [];
      this._nextBefore = page.nextBefore;
      this._moreError = undefined;
      return page;
    },
    args: () => [],
  });

  override render() {
    return html`
      <div class="page-header">
        <h1>${msg('Audit log', { id: 'audit.heading' })}</h1>
        <span class="muted"
          >${msg('Who did what, to which object, from where — newest first', { id: 'audit.subtitle' })}</span
        >
        <span class="spacer"></span>
        <button class="btn" type="button" @click=${() => this._task.run()}>
          ${msg('Refresh', { id: 'audit.refresh' })}
        </button>
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value
            ? this._panel(this._task.value.items, true)
            : html`<ts-panel
                heading=${msg('Entries', { id: 'audit.panel.heading' })}
                state="loading"
              ></ts-panel>`,
        complete: (page) => this._panel(page.items, false),
        error: (error) =>
          html`<ts-panel
            heading=${msg('Entries', { id: 'audit.panel.heading' })}
            state="error"
            .error=${errorText(error)}
            @ts-retry=${() => this._task.run()}
          ></ts-panel>`,
      })}
    `;
  }

  private _panel(first: AuditEntry[], busy: boolean) {
    const entries = [...first, ...this._older];
    const shown = formatCount(entries.length);
    return html`<ts-panel
      heading=${msg('Entries', { id: 'audit.panel.heading' })}
      ?busy=${busy || this._loadingMore}
    >
      <span slot="meta">${msg(str`${shown} shown`, { id: 'audit.shown' })}</span>
      <ts-data-table
        caption=${msg('Audit log entries', { id: 'audit.caption' })}
        .columns=${this._columns()}
        .rows=${entries}
        .rowKey=${(e: AuditEntry) => e.id}
        .rowAttributes=${() => ({ 'data-testid': 'audit-row' })}
        emptyMessage=${msg('No audit entries yet.', { id: 'audit.empty' })}
      ></ts-data-table>
      ${
        this._nextBefore
          ? html`<div class="more">
              ${this._moreError ? html`<span class="error" role="alert">${this._moreError()}</span>` : ''}
              <button class="btn" type="button" ?disabled=${this._loadingMore} @click=${this._loadMore}>
                ${
                  this._loadingMore
                    ? msg('Loading…', { id: 'audit.loadingMore' })
                    : msg('Load older entries', { id: 'audit.loadMore' })
                }
              </button>
            </div>`
          : ''
      }
    </ts-panel>`;
  }

  private _columns(): DataTableColumn<AuditEntry>[] {
    return [
      {
        id: 'at',
        title: msg('Time', { id: 'audit.column.time' }),
        render: (e) => html`<span class="num">${formatDateTime(e.at)}</span>`,
      },
      { id: 'actor', title: msg('Actor', { id: 'audit.column.actor' }), render: (e) => e.actor },
      {
        id: 'action',
        title: msg('Action', { id: 'audit.column.action' }),
        render: (e) => {
          const label = auditActionLabel(e.action);
          return label === undefined
            ? html`<span class="mono">${e.action}</span>`
            : html`<span title=${e.action}>${label}</span>`;
        },
      },
      {
        id: 'target',
        title: msg('Target', { id: 'audit.column.target' }),
        render: (e) => html`${auditTargetLabel(e.targetType)} <span class="mono muted">${e.targetId}</span>`,
      },
      {
        id: 'outcome',
        title: msg('Outcome', { id: 'audit.column.outcome' }),
        render: (e) => html`<ts-status-badge .status=${e.outcome}></ts-status-badge>`,
      },
      {
        id: 'source',
        title: msg('Source IP', { id: 'audit.column.sourceIp' }),
        render: (e) => html`<span class="mono">${e.sourceIp}</span>`,
      },
      {
        id: 'details',
        title: msg('Details', { id: 'audit.column.details' }),
        render: (e) => {
          const text = auditDetailsText(e.details);
          return html`<span class="cell-truncate mono muted" title=${text}>${text}</span>`;
        },
      },
    ];
  }

  private async _loadMore() {
    if (!this._nextBefore) return;
    this._loadingMore = true;
    this._moreError = undefined;
    try {
      const page = await fetchAudit({ limit: pageSize, before: this._nextBefore });
      this._older = [...this._older, ...page.items];
      this._nextBefore = page.nextBefore;
    } catch (error) {
      this._moreError = () => errorText(error);
    } finally {
      this._loadingMore = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-audit': TsPageAudit;
  }
}
