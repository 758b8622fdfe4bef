import { LitElement, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { actionErrorMessage } from '../data/api.js';
import type { User } from '../data/auth.js';
import { errorText } from '../data/error-text.js';
import {
  fetchClasses,
  fetchRequest,
  isQuotasMissing,
  levelText,
  requestErrorKindText,
  timelineKindText,
  withdrawRequest,
} from '../data/quotas.js';
import type { QuotaRequest, ResourceClass } from '../data/quotas.js';
import { formatCount, formatDateTime } from '../common/format.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import {
  amountsText,
  cloudErrorLine,
  enforcementBadge,
  quotaStyles,
  quotasUnavailable,
  requestStatusBadge,
  stepBadge,
  yuan,
} from './ts-page-quota-common.js';
import '../components/ts-panel.js';

/** How often an open request is read again while it waits for approval or enforcement. */
const refreshMillis = 5000;

/**
 * One resource application: what was asked and why, every approval step with who decided, when and
 * why, the timeline, and the enforcement on the cloud (applied, waiting, or the cloud's error with its
 * reason). The applicant may withdraw it while it waits.
 */
@localized()
@customElement('ts-page-quota-request')
export class TsPageQuotaRequest extends LitElement {
  static override styles = [sharedStyles, pageStyles, ...quotaStyles];

  @property() requestId = '';

  @property({ attribute: false }) user?: User;

  @state() private _error = '';

  private _timer: ReturnType<typeof setTimeout> | undefined;

  private readonly _classes = new Task(this, {
    task: (_args, { signal }) => fetchClasses(signal),
    args: () => [] as const,
  });

  private readonly _task = new Task(this, {
    task: async ([id], { signal }): Promise<QuotaRequest> => {
      const r = await fetchRequest(id, signal);
      this._schedule(r);
      return r;
    },
    args: () => [this.requestId] as const,
  });

  /** Reads an open request again a little later (approval and enforcement happen on the server). */
  private _schedule(r: QuotaRequest) {
    clearTimeout(this._timer);
    if (r.status === 'pending' || r.status === 'approved')
      this._timer = setTimeout(() => {
        if (this.isConnected) void this._task.run();
      }, refreshMillis);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    clearTimeout(this._timer);
  }

  private async _withdraw(r: QuotaRequest) {
    this._error = '';
    try {
      await withdrawRequest(r.id);
      await this._task.run();
    } catch (e) {
      this._error = actionErrorMessage(e);
    }
  }

  override render() {
    const heading = msg('Resource application', { id: 'quotas.request.heading' });
    if (isQuotasMissing(this._task.error)) return quotasUnavailable(heading);
    return html`<div class="page-header">
        <h1>${heading} <span class="mono">${this.requestId}</span></h1>
        <span class="spacer"></span>
        <a href="/quotas/requests">${msg('All applications', { id: 'quotas.request.back' })}</a>
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value
            ? this._detail(this._task.value, this._classes.value ?? [])
            : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
        error: (e) =>
          html`<ts-panel
            heading=${heading}
            state="error"
            data-testid="request-load-error"
            .error=${errorText(e)}
            @ts-retry=${() => void this._task.run()}
          ></ts-panel>`,
        complete: (r) => this._detail(r, this._classes.value ?? []),
      })}`;
  }

  private _detail(r: QuotaRequest, classes: ResourceClass[]) {
    const mine = this.user !== undefined && r.applicant === this.user.username;
    const e = r.enforcement;
    return html`<div class="grid" data-testid="request-detail" data-status=${r.status}>
      <ts-panel heading=${msg('Application', { id: 'quotas.request.what' })}>
        <span slot="meta" data-testid="request-status">${requestStatusBadge(r.status)}</span>
        <div class="stack">
          <dl class="fields">
            <dt>${msg('Cloud', { id: 'quotas.col.cloud' })}</dt>
            <dd>${r.cloudId}</dd>
            <dt>${msg('Project', { id: 'quotas.col.project' })}</dt>
            <dd>${r.projectId}</dd>
            <dt>${msg('Org unit', { id: 'quotas.col.orgUnit' })}</dt>
            <dd>${r.orgUnitName || r.orgUnitId}</dd>
            <dt>${msg('Applicant', { id: 'quotas.col.applicant' })}</dt>
            <dd>${r.applicant}</dd>
            ${
              r.package
                ? html`<dt>${msg('Package', { id: 'quotas.col.package' })}</dt>
                    <dd>${r.package} × ${formatCount(r.quantity ?? 1)}</dd>`
                : nothing
            }
            <dt>${msg('Resources', { id: 'quotas.col.resources' })}</dt>
            <dd data-testid="request-detail-amounts">${amountsText(r.amounts, classes)}</dd>
            <dt>${msg('Monthly cost', { id: 'quotas.new.monthlyCost' })}</dt>
            <dd>${yuan(r.monthlyCost)}</dd>
            <dt>${msg('Duration (days)', { id: 'quotas.new.duration' })}</dt>
            <dd>${formatCount(r.durationDays)}</dd>
            <dt>${msg('Applied', { id: 'quotas.col.created' })}</dt>
            <dd>${formatDateTime(r.createdAt)}</dd>
            ${
              r.decidedAt
                ? html`<dt>${msg('Decided', { id: 'quotas.col.decided' })}</dt>
                    <dd>${formatDateTime(r.decidedAt)}</dd>`
                : nothing
            }
            ${
              r.expiresAt
                ? html`<dt>${msg('Expires', { id: 'quotas.col.expires' })}</dt>
                    <dd>${formatDateTime(r.expiresAt)}</dd>`
                : nothing
            }
            <dt>${msg('Justification', { id: 'quotas.col.justification' })}</dt>
            <dd>${r.justification}</dd>
          </dl>
          ${
            r.error
              ? html`<p class="error" role="alert" data-testid="request-failure" data-code=${r.error.code}>
                  ${msg(str`${requestErrorKindText(r.error.kind)}: ${r.error.message}`, {
                    id: 'quotas.request.failure',
                  })}
                </p>`
              : nothing
          }
          ${
            mine && r.status === 'pending'
              ? html`<div class="row">
                  <button
                    type="button"
                    class="btn"
                    data-testid="request-withdraw"
                    @click=${() => void this._withdraw(r)}
                  >
                    ${msg('Withdraw', { id: 'quotas.request.withdraw' })}
                  </button>
                </div>`
              : nothing
          }
          ${this._error ? html`<p class="error" role="alert">${this._error}</p>` : nothing}
        </div>
      </ts-panel>
      <ts-panel heading=${msg('Approval steps', { id: 'quotas.request.steps' })}>
        ${
          r.steps.length
            ? html`<ol class="steps" data-testid="request-steps">
                ${r.steps.map(
                  (s) =>
                    html`<li data-state=${s.state}>
                      ${s.orgUnitName || levelText(s.approverLevel)} ${stepBadge(s.state)} ${s.by ?? ''}
                      ${s.at ? html`<span class="muted">${formatDateTime(s.at)}</span>` : nothing}
                      ${s.comment ? html`<div data-testid="step-comment">${s.comment}</div>` : nothing}
                    </li>`,
                )}
              </ol>`
            : html`<p class="empty">${msg('No approval steps.', { id: 'quotas.request.noSteps' })}</p>`
        }
      </ts-panel>
      <ts-panel heading=${msg('Enforcement on the cloud', { id: 'quotas.request.enforcement' })}>
        <div
          class="stack"
          data-testid="request-enforcement"
          data-state=${e?.state ?? ''}
          data-applied=${e?.applied ? 'true' : 'false'}
        >
          ${
            e
              ? html`${enforcementBadge(e.state)}
                  <dl class="fields">
                    ${
                      e.version !== null
                        ? html`<dt>${msg('Version', { id: 'quotas.request.version' })}</dt>
                            <dd>${e.version}</dd>`
                        : nothing
                    }
                    ${
                      e.appliedVersion !== null
                        ? html`<dt>${msg('Applied version', { id: 'quotas.request.appliedVersion' })}</dt>
                            <dd>${e.appliedVersion}</dd>`
                        : nothing
                    }
                    ${
                      e.checkedAt
                        ? html`<dt>${msg('Last checked', { id: 'quotas.clouds.checked' })}</dt>
                            <dd>${formatDateTime(e.checkedAt)}</dd>`
                        : nothing
                    }
                  </dl>
                  ${cloudErrorLine(e.error, 'request-cloud-error')}`
              : html`<p class="empty">
                  ${msg('Nothing to apply until the application is approved.', { id: 'quotas.request.notYet' })}
                </p>`
          }
        </div>
      </ts-panel>
      <ts-panel heading=${msg('Timeline', { id: 'quotas.request.timeline' })}>
        ${
          r.timeline.length
            ? html`<ol class="timeline" data-testid="request-timeline">
                ${r.timeline.map(
                  (t) =>
                    html`<li data-kind=${t.kind}>
                      <span class="muted">${formatDateTime(t.at)}</span>
                      <strong>${timelineKindText(t.kind)}</strong>
                      ${t.by ?? ''} ${t.text ?? ''}
                    </li>`,
                )}
              </ol>`
            : html`<p class="empty">${msg('No entries yet.', { id: 'quotas.request.noTimeline' })}</p>`
        }
      </ts-panel>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-quota-request': TsPageQuotaRequest;
  }
}
