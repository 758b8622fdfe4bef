import { LitElement, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { actionErrorMessage } from '../data/api.js';
import type { User } from '../data/auth.js';
import { errorText } from '../data/error-text.js';
import {
  applyReclaim,
  declineReclaim,
  fetchClasses,
  fetchReclaims,
  graceOver,
  isQuotasMissing,
  mayQuotas,
  ratio,
  reclaimStatusText,
  reclaimStatuses,
  runReview,
} from '../data/quotas.js';
import type { Reclaim, ResourceClass } from '../data/quotas.js';
import { formatCount, formatDateTime, formatPercent, formatTimeFromNow } from '../common/format.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import {
  amountText,
  amountsText,
  classLabel,
  quotaStyles,
  quotasUnavailable,
  reclaimStatusBadge,
} from './ts-page-quota-common.js';
import '../components/ts-panel.js';

/**
 * Reclaim proposals (资源回收) of the utilisation review (使用效率核查): what stayed idle over the
 * window, with the evidence (peak used and physically used against the quota, per class), the date it
 * will be applied unless the owner declines with a reason; cloud admins apply one now or run the
 * review now.
 */
@localized()
@customElement('ts-page-quota-reclaims')
export class TsPageQuotaReclaims extends LitElement {
  static override styles = [sharedStyles, pageStyles, ...quotaStyles];

  @property({ attribute: false }) user?: User;

  @state() private _status = 'proposed';

  @state() private _reason: Record<string, string> = {};

  @state() private _errors: Record<string, string> = {};

  @state() private _busy = '';

  @state() private _notice = '';

  private readonly _classes = new Task(this, {
    task: (_args, { signal }) => fetchClasses(signal),
    args: () => [] as const,
  });

  private readonly _task = new Task(this, {
    task: ([status], { signal }) => fetchReclaims(status ? { status } : {}, signal),
    args: () => [this._status] as const,
  });

  private async _act(r: Reclaim, action: 'decline' | 'apply') {
    const reason = (this._reason[r.id] ?? '').trim();
    if (action === 'decline' && !reason) {
      this._errors = {
        ...this._errors,
        [r.id]: msg('Give the reason for declining.', { id: 'quotas.reclaims.needReason' }),
      };
      return;
    }
    this._busy = r.id;
    this._errors = { ...this._errors, [r.id]: '' };
    try {
      if (action === 'decline') await declineReclaim(r.id, reason);
      else await applyReclaim(r.id);
      await this._task.run();
    } catch (e) {
      this._errors = { ...this._errors, [r.id]: actionErrorMessage(e) };
    } finally {
      this._busy = '';
    }
  }

  private async _review() {
    this._busy = 'review';
    this._notice = '';
    try {
      const run = await runReview();
      this._notice = [
        msg(
          str`The review has run: ${formatCount(run.judged)} projects judged, ${formatCount(run.proposed)} proposals made, ${formatCount(run.notJudged)} without enough samples yet.`,
          { id: 'quotas.reclaims.reviewed' },
        ),
        ...run.errors.map((e) => `${e.cloudId}: ${e.message}`),
      ].join(' ');
      await this._task.run();
    } catch (e) {
      this._notice = actionErrorMessage(e);
    } finally {
      this._busy = '';
    }
  }

  override render() {
    const heading = msg('Reclaim proposals', { id: 'quotas.reclaims.heading' });
    if (isQuotasMissing(this._task.error)) return quotasUnavailable(heading);
    return html`<div class="page-header">
        <h1>${heading}</h1>
        <span class="spacer"></span>
        ${
          mayQuotas(this.user, 'write')
            ? html`<button
                type="button"
                class="btn"
                data-testid="reclaims-review"
                ?disabled=${this._busy !== ''}
                @click=${() => void this._review()}
              >
                ${msg('Run the utilisation review now', { id: 'quotas.reclaims.review' })}
              </button>`
            : nothing
        }
      </div>
      <div class="stack">
        <div class="row">
          <label class="field"
            >${msg('Status', { id: 'quotas.col.status' })}
            <select
              data-testid="reclaims-status"
              @change=${(e: Event) => (this._status = (e.target as HTMLSelectElement).value)}
            >
              <option value="" ?selected=${this._status === ''}>${msg('All', { id: 'quotas.all' })}</option>
              ${reclaimStatuses.map(
                (s) =>
                  html`<option value=${s} ?selected=${s === this._status}>${reclaimStatusText(s)}</option>`,
              )}
            </select></label
          >
          ${this._notice ? html`<span class="help" role="status" data-testid="reclaims-notice">${this._notice}</span>` : nothing}
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
          complete: (items) => this._list(items),
        })}
      </div>`;
  }

  private _list(items: Reclaim[]) {
    const classes = this._classes.value ?? [];
    if (!items.length)
      return html`<p class="empty" data-testid="reclaims-empty">
        ${msg('No reclaim proposals.', { id: 'quotas.reclaims.empty' })}
      </p>`;
    return html`<div class="cards">${items.map((r) => this._item(r, classes))}</div>`;
  }

  private _item(r: Reclaim, classes: ResourceClass[]) {
    const open = r.status === 'proposed';
    const now = Date.now();
    const cls = Object.keys(r.evidence.quota);
    return html`<ts-panel
      heading=${`${r.projectId} · ${r.cloudId}`}
      data-testid="reclaim-item"
      data-key=${r.id}
      data-status=${r.status}
    >
      <span slot="meta">${reclaimStatusBadge(r.status)}</span>
      <div class="stack">
        <p>
          ${msg('To reclaim', { id: 'quotas.reclaims.amounts' })}:
          <strong data-testid="reclaim-amounts">${amountsText(r.amounts, classes)}</strong>
        </p>
        <table class="amounts" data-testid="reclaim-evidence">
          <caption class="help">
            ${msg(str`Evidence over the last ${formatCount(r.evidence.windowDays)} days`, { id: 'quotas.reclaims.window' })}
          </caption>
          <thead>
            <tr>
              <th>${msg('Resource class', { id: 'quotas.col.class' })}</th>
              <th>${msg('Quota', { id: 'quotas.col.quota' })}</th>
              <th>${msg('Peak used', { id: 'quotas.col.peakUsed' })}</th>
              <th>${msg('Peak physically used', { id: 'quotas.col.peakPhysical' })}</th>
              <th>${msg('Peak ÷ quota', { id: 'quotas.col.peakShare' })}</th>
            </tr>
          </thead>
          <tbody>
            ${cls.map((c) => {
              const q = r.evidence.quota[c] ?? 0;
              const share = ratio(r.evidence.peakUsed[c], q);
              return html`<tr data-class=${c}>
                <td>${classLabel(c, classes)}</td>
                <td>${amountText(c, q, classes)}</td>
                <td>${amountText(c, r.evidence.peakUsed[c] ?? 0, classes)}</td>
                <td>
                  ${r.evidence.peakPhysical[c] === undefined ? '—' : amountText(c, r.evidence.peakPhysical[c] ?? 0, classes)}
                </td>
                <td>${share === null ? '—' : formatPercent(share * 100, 0)}</td>
              </tr>`;
            })}
          </tbody>
        </table>
        <dl class="fields">
          <dt>${msg('Proposed', { id: 'quotas.reclaims.proposedAt' })}</dt>
          <dd>${formatDateTime(r.proposedAt)}</dd>
          <dt>${msg('Applied after', { id: 'quotas.reclaims.applyAfter' })}</dt>
          <dd data-testid="reclaim-apply-after">
            ${formatDateTime(r.applyAfter)}
            ${
              open
                ? html`<span class="muted"
                    >(${
                      graceOver(r, now)
                        ? msg('grace period over', { id: 'quotas.reclaims.graceOver' })
                        : formatTimeFromNow(r.applyAfter)
                    })</span
                  >`
                : nothing
            }
          </dd>
          ${
            r.decidedBy
              ? html`<dt>${msg('Decided by', { id: 'quotas.reclaims.decidedBy' })}</dt>
                  <dd>${r.decidedBy}</dd>`
              : nothing
          }
          ${
            r.reason
              ? html`<dt>${msg('Reason', { id: 'quotas.reclaims.reason' })}</dt>
                  <dd data-testid="reclaim-reason">${r.reason}</dd>`
              : nothing
          }
        </dl>
        ${
          open
            ? html`<div class="row">
                ${
                  mayQuotas(this.user, 'apply')
                    ? html`<input
                          type="text"
                          class="wide"
                          maxlength="2000"
                          data-testid="reclaim-reason-input"
                          aria-label=${msg('Reason for declining', { id: 'quotas.reclaims.reasonLabel' })}
                          placeholder=${msg('Reason for declining', { id: 'quotas.reclaims.reasonLabel' })}
                          .value=${this._reason[r.id] ?? ''}
                          @input=${(e: Event) => (this._reason = { ...this._reason, [r.id]: (e.target as HTMLInputElement).value })}
                        />
                        <button
                          type="button"
                          class="btn"
                          data-testid="reclaim-decline"
                          ?disabled=${this._busy !== ''}
                          @click=${() => void this._act(r, 'decline')}
                        >
                          ${msg('Decline', { id: 'quotas.reclaims.decline' })}
                        </button>`
                    : nothing
                }
                ${
                  mayQuotas(this.user, 'write')
                    ? html`<button
                        type="button"
                        class="btn primary"
                        data-testid="reclaim-apply"
                        ?disabled=${this._busy !== ''}
                        @click=${() => void this._act(r, 'apply')}
                      >
                        ${msg('Reclaim now', { id: 'quotas.reclaims.apply' })}
                      </button>`
                    : nothing
                }
              </div>`
            : nothing
        }
        ${
          r.applied
            ? html`<p data-testid="reclaim-applied">
                ${msg('Taken back', { id: 'quotas.reclaims.takenBack' })}: ${amountsText(r.applied, classes)}
              </p>`
            : nothing
        }
        ${
          r.error
            ? html`<p class="error" role="alert" data-testid="reclaim-failure">
                ${msg(str`Applying it failed: ${r.error.message}`, { id: 'quotas.reclaims.failed' })}
              </p>`
            : nothing
        }
        ${this._errors[r.id] ? html`<p class="error" role="alert" data-testid="reclaim-error">${this._errors[r.id]}</p>` : nothing}
      </div>
    </ts-panel>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-quota-reclaims': TsPageQuotaReclaims;
  }
}
