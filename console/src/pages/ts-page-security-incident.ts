import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import type { User } from '../data/auth.js';
import { ApiError, actionErrorMessage } from '../data/api.js';
import { errorText } from '../data/error-text.js';
import { fetchOrgUnits, orgUnitOptions } from '../data/org-units.js';
import type { OrgUnit } from '../data/org-units.js';
import {
  assignDownIncident,
  commentIncident,
  escalateIncident,
  fetchIncident,
  handBackIncident,
  incidentStatusText,
  nextIncidentStatuses,
  patchIncident,
  severities,
  severityText,
  takeOverIncident,
  timelineKindText,
} from '../data/security.js';
import type { Alert, IncidentDetail, IncidentStatus, Severity, TimelineEntry } from '../data/security.js';
import { formatCount, formatDateTime, formatDuration } from '../common/format.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { DataTableColumn } from '../components/ts-data-table.js';
import {
  alertStatusBadge,
  attackChips,
  incidentStatusBadge,
  securityStyles,
  severityBadge,
} from './ts-page-security-common.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';

/** The ids of a unit's ancestors, nearest first, as far as the list knows them. */
function ancestorsOf(units: readonly OrgUnit[], id: string): OrgUnit[] {
  const byId = new Map(units.map((u) => [u.id, u]));
  const out: OrgUnit[] = [];
  let current = byId.get(id)?.parentId ?? null;
  while (current && out.length < 10) {
    const unit = byId.get(current);
    if (!unit) break;
    out.push(unit);
    current = unit.parentId;
  }
  return out;
}

/**
 * One incident (安全事件): its status with only the legal next ones offered, severity, assignee,
 * time to acknowledge and to resolve, observables, ATT&CK techniques, its alerts and timeline;
 * comments; escalation across levels (to the parent or a chosen ancestor), take over, hand back and
 * assign down.
 */
@localized()
@customElement('ts-page-security-incident')
export class TsPageSecurityIncident extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    securityStyles,
    css`
      ol.timeline {
        list-style: none;
        margin: 0;
        padding: 0;
        display: grid;
        gap: 6px;
      }
      ol.timeline li {
        display: grid;
        grid-template-columns: 160px 1fr;
        gap: 8px;
        font-size: 13px;
        border-left: 2px solid var(--ts-border-strong);
        padding-left: 8px;
      }
      ol.timeline .when {
        color: var(--ts-text-muted);
        font-size: 12px;
      }
      .actions-grid {
        display: grid;
        gap: 10px;
      }
    `,
  ];

  @property() incidentId = '';

  @property({ attribute: false }) user?: User;

  @state() private _busy = false;

  @state() private _error = '';

  @state() private _result = '';

  private readonly _task = new Task(this, {
    task: ([id], { signal }) => fetchIncident(id, signal),
    args: () => [this.incidentId] as const,
  });

  private readonly _unitsTask = new Task(this, {
    task: async (_args, { signal }) => (await fetchOrgUnits(signal)).items,
    args: () => [] as const,
  });

  private async _do(action: () => Promise<unknown>, done: string) {
    this._busy = true;
    this._error = '';
    this._result = '';
    try {
      await action();
      this._result = done;
      await this._task.run();
    } catch (e) {
      this._error = actionErrorMessage(e);
    } finally {
      this._busy = false;
    }
  }

  override render() {
    return this._task.render({
      pending: () =>
        this._task.value
          ? this._page(this._task.value)
          : html`<ts-panel
              heading=${msg('Incident', { id: 'security.col.incident' })}
              state="loading"
            ></ts-panel>`,
      error: (e) =>
        e instanceof ApiError && e.status === 404
          ? html`<div class="page-header"><h1>${msg('Incident', { id: 'security.col.incident' })}</h1></div>
              <p class="unavailable" data-testid="incident-not-found">
                ${msg('There is no such incident in your scope.', { id: 'security.incident.notFound' })}
              </p>`
          : html`<ts-panel
              heading=${msg('Incident', { id: 'security.col.incident' })}
              state="error"
              .error=${errorText(e)}
              @ts-retry=${() => void this._task.run()}
            ></ts-panel>`,
      complete: (i) => this._page(i),
    });
  }

  private _page(i: IncidentDetail) {
    const tta = i.timeToAcknowledgeSeconds;
    const ttr = i.timeToResolveSeconds;
    return html`
      <div class="page-header">
        <h1 data-testid="incident-title">${i.title}</h1>
        ${severityBadge(i.severity)}
        <span data-testid="incident-status" data-status=${i.status}>${incidentStatusBadge(i.status)}</span>
        <span class="spacer"></span>
        <a href="/security/incidents">${msg('All incidents', { id: 'security.incident.back' })}</a>
      </div>
      <div class="stack">
        ${this._result ? html`<p class="ok-text" role="status" data-testid="incident-result">${this._result}</p>` : nothing}
        ${this._error ? html`<p class="error" role="alert" data-testid="incident-error">${this._error}</p>` : nothing}
        <div class="grid">
          <ts-panel heading=${msg('Summary', { id: 'security.incident.summary' })}>
            <dl class="fields">
              <dt>${msg('Org unit', { id: 'security.col.orgUnit' })}</dt>
              <dd data-testid="incident-owner" data-id=${i.orgUnitId}>${i.orgUnitName || i.orgUnitId}</dd>
              <dt>${msg('Handled by', { id: 'security.col.handler' })}</dt>
              <dd data-testid="incident-handler" data-id=${i.handlerOrgUnitId}>
                ${i.handlerOrgUnitName || i.handlerOrgUnitId}
              </dd>
              <dt>${msg('Escalated to', { id: 'security.col.escalatedTo' })}</dt>
              <dd
                data-testid="incident-escalated"
                data-ids=${i.escalatedTo.map((s) => s.orgUnitId).join(',')}
              >
                ${i.escalatedTo.length ? i.escalatedTo.map((s) => s.name || s.orgUnitId).join(' › ') : msg('Not escalated', { id: 'security.incidents.notEscalated' })}
              </dd>
              <dt>${msg('Assignee', { id: 'security.col.assignee' })}</dt>
              <dd data-testid="incident-assignee">
                ${i.assignee ?? msg('Nobody', { id: 'security.incident.nobody' })}
              </dd>
              <dt>${msg('Opened', { id: 'security.incident.opened' })}</dt>
              <dd>${formatDateTime(i.createdAt)}</dd>
              <dt>${msg('Time to acknowledge', { id: 'security.col.tta' })}</dt>
              <dd data-testid="incident-tta">
                ${tta === null ? msg('not yet', { id: 'security.incident.notYet' }) : formatDuration(tta * 1000)}
              </dd>
              <dt>${msg('Time to resolve', { id: 'security.col.ttr' })}</dt>
              <dd data-testid="incident-ttr">
                ${ttr === null ? msg('not yet', { id: 'security.incident.notYet' }) : formatDuration(ttr * 1000)}
              </dd>
              <dt>${msg('ATT&CK techniques', { id: 'security.incident.attack' })}</dt>
              <dd>${attackChips(i.attack)}</dd>
            </dl>
          </ts-panel>
          ${this._renderActions(i)}
        </div>
        <ts-panel
          heading=${msg(str`Observables (${formatCount(i.observables.length)})`, { id: 'security.incident.observables' })}
        >
          ${
            i.observables.length
              ? html`<dl class="fields" data-testid="incident-observables">
                  ${i.observables.map(
                    (o) =>
                      html`<dt>${o.type}</dt>
                        <dd>${o.value}</dd>`,
                  )}
                </dl>`
              : html`<p class="empty">
                  ${msg('No observables.', { id: 'security.incident.noObservables' })}
                </p>`
          }
        </ts-panel>
        ${this._renderAlerts(i.alerts)} ${this._renderTimeline(i)}
      </div>
    `;
  }

  private _renderActions(i: IncidentDetail) {
    const own = this.user?.orgUnitId ?? '';
    const units = this._unitsTask.value ?? [];
    const ancestors = ancestorsOf(units, i.handlerOrgUnitId);
    const handledHere = own === i.handlerOrgUnitId;
    const inChain = i.escalatedTo.some((s) => s.orgUnitId === own) && !handledHere;
    const below = orgUnitOptions(units).filter((o) => o.id !== own);
    const next = nextIncidentStatuses(i.status);
    return html`<ts-panel heading=${msg('Handling', { id: 'security.incident.handling' })}>
      <div class="actions-grid">
        <div
          class="row"
          data-testid="incident-transitions"
          role="group"
          aria-label=${msg('Change status', { id: 'security.incident.changeStatus' })}
        >
          ${next.map(
            (s: IncidentStatus) =>
              html`<button
                type="button"
                class="btn"
                data-testid="incident-to-${s}"
                ?disabled=${this._busy}
                @click=${() =>
                  void this._do(
                    () => patchIncident(i.id, { status: s }),
                    msg(str`Status changed to ${incidentStatusText(s)}.`, {
                      id: 'security.incident.statusChanged',
                    }),
                  )}
              >
                ${incidentStatusText(s)}
              </button>`,
          )}
        </div>
        <form
          class="row"
          @submit=${(e: Event) => {
            e.preventDefault();
            const f = new FormData(e.target as HTMLFormElement);
            const assignee = String(f.get('assignee') ?? '').trim();
            const severity = String(f.get('severity')) as Severity;
            const change: { assignee?: string | null; severity?: Severity } = {};
            if (assignee !== (i.assignee ?? '')) change.assignee = assignee || null;
            if (severity !== i.severity) change.severity = severity;
            if (Object.keys(change).length)
              void this._do(
                () => patchIncident(i.id, change),
                msg('Incident updated.', { id: 'security.incident.updated' }),
              );
          }}
        >
          <label class="field"
            >${msg('Assignee', { id: 'security.col.assignee' })}
            <input
              type="text"
              name="assignee"
              data-testid="incident-assignee-input"
              .value=${i.assignee ?? ''}
          /></label>
          <label class="field"
            >${msg('Severity', { id: 'security.col.severity' })}
            <select name="severity" data-testid="incident-severity-input">
              ${severities.map((s) => html`<option value=${s} ?selected=${s === i.severity}>${severityText(s)}</option>`)}
            </select></label
          >
          <button type="submit" class="btn" ?disabled=${this._busy}>
            ${msg('Save', { id: 'security.incident.save' })}
          </button>
        </form>
        <form
          class="row"
          data-testid="incident-escalate-form"
          @submit=${(e: Event) => {
            e.preventDefault();
            const f = new FormData(e.target as HTMLFormElement);
            const to = String(f.get('to') ?? '');
            const note = String(f.get('note') ?? '').trim();
            void this._do(
              () => escalateIncident(i.id, { ...(to ? { toOrgUnitId: to } : {}), ...(note ? { note } : {}) }),
              msg('Incident escalated.', { id: 'security.incident.escalatedDone' }),
            );
          }}
        >
          <label class="field"
            >${msg('Escalate to', { id: 'security.incident.escalateTo' })}
            <select name="to" data-testid="incident-escalate-to">
              <option value="">${msg('The parent org unit', { id: 'security.incident.parent' })}</option>
              ${ancestors.map((u) => html`<option value=${u.id}>${u.name}</option>`)}
            </select></label
          >
          <input
            type="text"
            name="note"
            placeholder=${msg('Note (optional)', { id: 'security.incident.note' })}
            aria-label=${msg('Note (optional)', { id: 'security.incident.note' })}
          />
          <button type="submit" class="btn primary" data-testid="incident-escalate" ?disabled=${this._busy}>
            ${msg('Escalate', { id: 'security.incident.escalate' })}
          </button>
        </form>
        <div class="row">
          ${
            inChain
              ? html`<button
                  type="button"
                  class="btn primary"
                  data-testid="incident-take-over"
                  ?disabled=${this._busy}
                  @click=${() => void this._do(() => takeOverIncident(i.id), msg('You handle this incident now.', { id: 'security.incident.takenOver' }))}
                >
                  ${msg('Take over', { id: 'security.incident.takeOver' })}
                </button>`
              : nothing
          }
          ${
            handledHere && i.handlerOrgUnitId !== i.orgUnitId
              ? html`<button
                  type="button"
                  class="btn"
                  data-testid="incident-hand-back"
                  ?disabled=${this._busy}
                  @click=${() => void this._do(() => handBackIncident(i.id), msg('Incident handed back.', { id: 'security.incident.handedBack' }))}
                >
                  ${msg('Hand back', { id: 'security.incident.handBack' })}
                </button>`
              : nothing
          }
        </div>
        ${
          handledHere && below.length
            ? html`<form
                class="row"
                data-testid="incident-assign-down-form"
                @submit=${(e: Event) => {
                  e.preventDefault();
                  const to = String(new FormData(e.target as HTMLFormElement).get('unit') ?? '');
                  if (to)
                    void this._do(
                      () => assignDownIncident(i.id, { orgUnitId: to }),
                      msg('Incident assigned down.', { id: 'security.incident.assignedDown' }),
                    );
                }}
              >
                <label class="field"
                  >${msg('Assign down to', { id: 'security.incident.assignDownTo' })}
                  <select name="unit" data-testid="incident-assign-down-unit">
                    ${below.map((o) => html`<option value=${o.id}>${o.label}</option>`)}
                  </select></label
                >
                <button type="submit" class="btn" ?disabled=${this._busy}>
                  ${msg('Assign down', { id: 'security.incident.assignDown' })}
                </button>
              </form>`
            : nothing
        }
        <form
          class="stack"
          data-testid="incident-comment-form"
          @submit=${(e: Event) => {
            e.preventDefault();
            const form = e.target as HTMLFormElement;
            const text = String(new FormData(form).get('text') ?? '').trim();
            if (text)
              void this._do(
                async () => {
                  await commentIncident(i.id, text);
                  form.reset();
                },
                msg('Comment added.', { id: 'security.incident.commented' }),
              );
          }}
        >
          <textarea
            name="text"
            rows="3"
            data-testid="incident-comment"
            aria-label=${msg('Comment', { id: 'security.timeline.comment' })}
            placeholder=${msg('Findings, steps taken, handling advice…', { id: 'security.incident.commentPlaceholder' })}
          ></textarea>
          <div class="row">
            <button type="submit" class="btn" data-testid="incident-comment-add" ?disabled=${this._busy}>
              ${msg('Add comment', { id: 'security.incident.addComment' })}
            </button>
          </div>
        </form>
      </div>
    </ts-panel>`;
  }

  private _renderAlerts(alerts: Alert[]) {
    const columns: DataTableColumn<Alert>[] = [
      {
        id: 'severity',
        title: msg('Severity', { id: 'security.col.severity' }),
        render: (a) => severityBadge(a.severity),
      },
      {
        id: 'status',
        title: msg('Status', { id: 'security.col.status' }),
        render: (a) => alertStatusBadge(a.status),
      },
      {
        id: 'title',
        title: msg('Alert', { id: 'security.col.alert' }),
        render: (a) =>
          html`<span class="cell-stack"
            ><span>${a.title}</span><span class="cell-sub mono">${a.source} · ${a.reference}</span></span
          >`,
      },
      {
        id: 'unit',
        title: msg('Org unit', { id: 'security.col.orgUnit' }),
        render: (a) => a.orgUnitName || a.orgUnitId,
      },
      {
        id: 'count',
        title: msg('Count', { id: 'security.col.count' }),
        align: 'end',
        render: (a) => formatCount(a.count),
      },
      {
        id: 'last',
        title: msg('Last seen', { id: 'security.col.lastSeen2' }),
        render: (a) => formatDateTime(a.lastSeen),
      },
    ];
    return html`<ts-panel
      heading=${msg(str`Alerts (${formatCount(alerts.length)})`, { id: 'security.incident.alerts' })}
    >
      <ts-data-table
        data-testid="incident-alerts"
        caption=${msg('Alerts', { id: 'security.alerts.tableHeading' })}
        .columns=${columns}
        .rows=${alerts}
        .rowKey=${(a: Alert) => a.id}
        .rowAttributes=${(a: Alert) => ({ 'data-testid': 'incident-alert', 'data-key': a.id })}
        emptyMessage=${msg('No alerts in this incident.', { id: 'security.incident.noAlerts' })}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _entryText(e: TimelineEntry): string {
    const from = e.from ?? '';
    const to = e.to ?? '';
    if (e.kind === 'status' && from && to)
      return msg(str`${incidentStatusText(from)} → ${incidentStatusText(to)}`, {
        id: 'security.timeline.statusChange',
      });
    if (e.kind === 'severity' && from && to)
      return msg(str`${severityText(from)} → ${severityText(to)}`, {
        id: 'security.timeline.severityChange',
      });
    if (from && to) return `${from} → ${to}`;
    return to || from;
  }

  private _renderTimeline(i: IncidentDetail) {
    const entries = [...i.timeline].sort((a, b) => b.at.localeCompare(a.at));
    return html`<ts-panel heading=${msg('Timeline', { id: 'security.incident.timeline' })}>
      ${
        entries.length
          ? html`<ol class="timeline" data-testid="incident-timeline">
              ${entries.map(
                (e) =>
                  html`<li data-testid="timeline-entry" data-kind=${e.kind}>
                    <span class="when">${formatDateTime(e.at)}<br />${e.actor}</span>
                    <span
                      ><strong>${timelineKindText(e.kind)}</strong> ${this._entryText(e)}
                      ${e.text ? html`<br /><span class="cell-wrap">${e.text}</span>` : nothing}</span
                    >
                  </li>`,
              )}
            </ol>`
          : html`<p class="empty">${msg('Nothing yet.', { id: 'security.incident.noTimeline' })}</p>`
      }
    </ts-panel>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-security-incident': TsPageSecurityIncident;
  }
}
