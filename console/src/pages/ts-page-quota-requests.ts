import { LitElement, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { actionErrorMessage } from '../data/api.js';
import type { User } from '../data/auth.js';
import { errorText } from '../data/error-text.js';
import {
  approveRequest,
  fetchClasses,
  fetchRequests,
  isQuotasMissing,
  levelText,
  parseRequestQuery,
  rejectRequest,
  requestFilter,
  requestQuerySearch,
  requestStatusText,
  requestStatuses,
} from '../data/quotas.js';
import type { QuotaRequest, RequestPage, RequestQuery, ResourceClass } from '../data/quotas.js';
import { formatCount, formatDateTime } from '../common/format.js';
import { locationChangedEvent, navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { DataTableColumn, RowSelectDetail } from '../components/ts-data-table.js';
import {
  amountsText,
  quotaStyles,
  quotasUnavailable,
  requestStatusBadge,
  yuan,
} from './ts-page-quota-common.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';

const pageSize = 100;

/** The request columns both lists show. */
function requestColumns(classes: readonly ResourceClass[]): DataTableColumn<QuotaRequest>[] {
  return [
    {
      id: 'id',
      title: msg('Request', { id: 'quotas.col.request' }),
      render: (r) => html`<a class="mono" href=${`/quotas/requests/${encodeURIComponent(r.id)}`}>${r.id}</a>`,
      sortValue: (r) => r.id,
    },
    {
      id: 'status',
      title: msg('Status', { id: 'quotas.col.status' }),
      render: (r) => requestStatusBadge(r.status),
      sortValue: (r) => r.status,
    },
    {
      id: 'unit',
      title: msg('Org unit', { id: 'quotas.col.orgUnit' }),
      render: (r) => r.orgUnitName || r.orgUnitId,
      sortValue: (r) => r.orgUnitName,
    },
    { id: 'project', title: msg('Project', { id: 'quotas.col.project' }), render: (r) => r.projectId },
    { id: 'cloud', title: msg('Cloud', { id: 'quotas.col.cloud' }), render: (r) => r.cloudId },
    {
      id: 'amounts',
      title: msg('Resources', { id: 'quotas.col.resources' }),
      render: (r) => html`<span class="cell-wrap">${amountsText(r.amounts, classes)}</span>`,
    },
    {
      id: 'cost',
      title: msg('Monthly cost', { id: 'quotas.new.monthlyCost' }),
      align: 'end',
      render: (r) => yuan(r.monthlyCost),
      sortValue: (r) => r.monthlyCost,
    },
    { id: 'applicant', title: msg('Applicant', { id: 'quotas.col.applicant' }), render: (r) => r.applicant },
    {
      id: 'created',
      title: msg('Applied', { id: 'quotas.col.created' }),
      render: (r) => formatDateTime(r.createdAt),
      sortValue: (r) => r.createdAt,
    },
  ];
}

/**
 * Resource applications (资源申请) in scope: my own, or every one of my org unit and below, filtered by
 * status (in the URL); a row opens the request with its steps and enforcement.
 */
@localized()
@customElement('ts-page-quota-requests')
export class TsPageQuotaRequests extends LitElement {
  static override styles = [sharedStyles, pageStyles, ...quotaStyles];

  @state() private _query: RequestQuery = parseRequestQuery(window.location.search);

  @state() private _more: QuotaRequest[] = [];

  @state() private _cursor: string | null = null;

  @state() private _moreError = '';

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
    if (window.location.pathname !== '/quotas/requests') return;
    const next = parseRequestQuery(window.location.search);
    if (requestQuerySearch(next) !== requestQuerySearch(this._query)) this._query = next;
  };

  private _set(change: Partial<RequestQuery>) {
    this._query = { ...this._query, ...change };
    navigate(`/quotas/requests${requestQuerySearch(this._query)}`);
  }

  private readonly _classes = new Task(this, {
    task: (_args, { signal }) => fetchClasses(signal),
    args: () => [] as const,
  });

  private readonly _task = new Task(this, {
    task: async ([search], { signal }): Promise<RequestPage> => {
      const page = await fetchRequests(requestFilter(parseRequestQuery(search)), null, pageSize, signal);
      this._more = [];
      this._cursor = page.nextCursor;
      return page;
    },
    args: () => [requestQuerySearch(this._query)] as const,
  });

  private async _loadMore() {
    if (!this._cursor) return;
    try {
      const page = await fetchRequests(requestFilter(this._query), this._cursor, pageSize);
      this._more = [...this._more, ...page.items];
      this._cursor = page.nextCursor;
    } catch (e) {
      this._moreError = errorText(e);
    }
  }

  override render() {
    const heading = msg('Resource applications', { id: 'quotas.requests.heading' });
    if (isQuotasMissing(this._task.error)) return quotasUnavailable(heading);
    const q = this._query;
    return html`<div class="page-header">
        <h1>${heading}</h1>
        <span class="spacer"></span>
        <a class="btn primary" href="/quotas/requests/new" data-testid="quotas-apply"
          >${msg('Apply for resources', { id: 'quotas.apply' })}</a
        >
      </div>
      <div class="stack">
        <ts-panel heading=${msg('Filters', { id: 'quotas.filters' })}>
          <div class="row">
            <span class="segmented" role="group" data-testid="requests-scope">
              <button
                type="button"
                aria-pressed=${q.scope === 'all' ? 'true' : 'false'}
                @click=${() => this._set({ scope: 'all' })}
              >
                ${msg('My org unit and below', { id: 'quotas.requests.scopeAll' })}
              </button>
              <button
                type="button"
                data-value="mine"
                aria-pressed=${q.scope === 'mine' ? 'true' : 'false'}
                @click=${() => this._set({ scope: 'mine' })}
              >
                ${msg('Mine', { id: 'quotas.requests.scopeMine' })}
              </button>
            </span>
            <span data-testid="requests-status">
              ${requestStatuses.map(
                (s) =>
                  html`<label class="field"
                    ><input
                      type="checkbox"
                      value=${s}
                      .checked=${q.status.includes(s)}
                      @change=${(e: Event) => {
                        const on = (e.target as HTMLInputElement).checked;
                        this._set({
                          status: requestStatuses.filter((x) => (x === s ? on : q.status.includes(x))),
                        });
                      }}
                    />${requestStatusText(s)}</label
                  >`,
              )}
            </span>
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

  private _table(page: RequestPage, busy: boolean) {
    const rows = [...page.items, ...this._more];
    return html`<ts-panel
      heading=${msg('Resource applications', { id: 'quotas.requests.heading' })}
      ?busy=${busy}
    >
      <span slot="meta" data-testid="requests-shown" data-count=${rows.length}
        >${msg(str`${formatCount(rows.length)} shown`, { id: 'quotas.shown' })}</span
      >
      <ts-data-table
        data-testid="requests-table"
        caption=${msg('Resource applications', { id: 'quotas.requests.heading' })}
        selectable
        .columns=${requestColumns(this._classes.value ?? [])}
        .rows=${rows}
        .rowKey=${(r: QuotaRequest) => r.id}
        .rowAttributes=${(r: QuotaRequest) => ({ 'data-testid': 'request-row', 'data-key': r.id, 'data-status': r.status })}
        emptyMessage=${msg('No applications match.', { id: 'quotas.requests.empty' })}
        @ts-row-select=${(e: CustomEvent<RowSelectDetail<QuotaRequest>>) =>
          navigate(`/quotas/requests/${encodeURIComponent(e.detail.row.id)}`)}
      ></ts-data-table>
      ${
        this._cursor
          ? html`<button
              type="button"
              class="btn"
              data-testid="requests-more"
              @click=${() => void this._loadMore()}
            >
              ${msg('Load more', { id: 'quotas.more' })}
            </button>`
          : nothing
      }
      ${this._moreError ? html`<p class="error" role="alert">${this._moreError}</p>` : nothing}
    </ts-panel>`;
  }
}

/**
 * The approval inbox (待审批): requests of my subtree waiting for a step at my level; approve with an
 * optional comment, or reject with a reason (required). A refusal of the API (another approver was
 * quicker, the parent quota is exhausted) is shown on the row with its reason.
 */
@localized()
@customElement('ts-page-quota-inbox')
export class TsPageQuotaInbox extends LitElement {
  static override styles = [sharedStyles, pageStyles, ...quotaStyles];

  @property({ attribute: false }) user?: User;

  @state() private _text: Record<string, string> = {};

  @state() private _errors: Record<string, string> = {};

  @state() private _done: Record<string, 'approved' | 'rejected'> = {};

  @state() private _busy = '';

  private readonly _classes = new Task(this, {
    task: (_args, { signal }) => fetchClasses(signal),
    args: () => [] as const,
  });

  private readonly _task = new Task(this, {
    task: (_args, { signal }) => fetchRequests({ awaiting: 'me', status: 'pending' }, null, 500, signal),
    args: () => [] as const,
  });

  private async _decide(r: QuotaRequest, decision: 'approve' | 'reject') {
    const text = (this._text[r.id] ?? '').trim();
    if (decision === 'reject' && !text) {
      this._errors = {
        ...this._errors,
        [r.id]: msg('Give the reason for the rejection.', { id: 'quotas.inbox.needReason' }),
      };
      return;
    }
    this._busy = r.id;
    this._errors = { ...this._errors, [r.id]: '' };
    try {
      if (decision === 'approve') await approveRequest(r.id, text);
      else await rejectRequest(r.id, text);
      this._done = { ...this._done, [r.id]: decision === 'approve' ? 'approved' : 'rejected' };
    } catch (e) {
      this._errors = { ...this._errors, [r.id]: actionErrorMessage(e) };
    } finally {
      this._busy = '';
    }
  }

  override render() {
    const heading = msg('Approval inbox', { id: 'quotas.inbox.heading' });
    if (isQuotasMissing(this._task.error)) return quotasUnavailable(heading);
    return html`<div class="page-header">
        <h1>${heading}</h1>
        <span class="spacer"></span>
        <button type="button" class="btn" data-testid="inbox-reload" @click=${() => void this._task.run()}>
          ${msg('Reload', { id: 'quotas.reload' })}
        </button>
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value
            ? this._list(this._task.value)
            : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
        error: (e) =>
          html`<ts-panel
            heading=${heading}
            state="error"
            .error=${errorText(e)}
            @ts-retry=${() => void this._task.run()}
          ></ts-panel>`,
        complete: (p) => this._list(p),
      })}`;
  }

  private _list(page: RequestPage) {
    const classes = this._classes.value ?? [];
    if (!page.items.length)
      return html`<p class="empty" data-testid="inbox-empty">
        ${msg('Nothing awaits your approval.', { id: 'quotas.inbox.empty' })}
      </p>`;
    return html`<div class="stack">
      ${page.items.map((r) => {
        const done = this._done[r.id];
        const waiting = r.steps.find((s) => s.state === 'waiting');
        return html`<ts-panel
          heading=${`${r.orgUnitName || r.orgUnitId} · ${r.projectId}`}
          data-testid="inbox-item"
          data-key=${r.id}
        >
          <span slot="meta">${requestStatusBadge(done ?? r.status)}</span>
          <div class="stack">
            <dl class="fields">
              <dt>${msg('Request', { id: 'quotas.col.request' })}</dt>
              <dd><a href=${`/quotas/requests/${encodeURIComponent(r.id)}`}>${r.id}</a></dd>
              <dt>${msg('Cloud', { id: 'quotas.col.cloud' })}</dt>
              <dd>${r.cloudId}</dd>
              <dt>${msg('Resources', { id: 'quotas.col.resources' })}</dt>
              <dd>${amountsText(r.amounts, classes)}</dd>
              <dt>${msg('Monthly cost', { id: 'quotas.new.monthlyCost' })}</dt>
              <dd>${yuan(r.monthlyCost)}</dd>
              <dt>${msg('Duration (days)', { id: 'quotas.new.duration' })}</dt>
              <dd>${formatCount(r.durationDays)}</dd>
              <dt>${msg('Applicant', { id: 'quotas.col.applicant' })}</dt>
              <dd>${r.applicant}</dd>
              <dt>${msg('Justification', { id: 'quotas.col.justification' })}</dt>
              <dd>${r.justification}</dd>
              ${
                waiting
                  ? html`<dt>${msg('Step', { id: 'quotas.col.step' })}</dt>
                      <dd>${levelText(waiting.approverLevel)}</dd>`
                  : nothing
              }
            </dl>
            ${
              done
                ? html`<p class="ok-text" role="status" data-testid="inbox-done" data-decision=${done}>
                    ${
                      done === 'approved'
                        ? msg('Approved.', { id: 'quotas.inbox.approved' })
                        : msg('Rejected.', { id: 'quotas.inbox.rejected' })
                    }
                  </p>`
                : html`<label class="field"
                      >${msg('Comment or reason', { id: 'quotas.inbox.comment' })}
                      <input
                        type="text"
                        class="wide"
                        maxlength="2000"
                        data-testid="inbox-text"
                        .value=${this._text[r.id] ?? ''}
                        @input=${(e: Event) => (this._text = { ...this._text, [r.id]: (e.target as HTMLInputElement).value })}
                    /></label>
                    <div class="row">
                      <button
                        type="button"
                        class="btn primary"
                        data-testid="inbox-approve"
                        ?disabled=${this._busy !== ''}
                        @click=${() => void this._decide(r, 'approve')}
                      >
                        ${msg('Approve', { id: 'quotas.inbox.approve' })}
                      </button>
                      <button
                        type="button"
                        class="btn"
                        data-testid="inbox-reject"
                        ?disabled=${this._busy !== ''}
                        @click=${() => void this._decide(r, 'reject')}
                      >
                        ${msg('Reject', { id: 'quotas.inbox.reject' })}
                      </button>
                    </div>`
            }
            ${
              this._errors[r.id]
                ? html`<p class="error" role="alert" data-testid="inbox-error">${this._errors[r.id]}</p>`
                : nothing
            }
          </div>
        </ts-panel>`;
      })}
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-quota-requests': TsPageQuotaRequests;
    'ts-page-quota-inbox': TsPageQuotaInbox;
  }
}
