import { LitElement, css, html, nothing } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { errorText } from '../data/error-text.js';
import { acknowledgeAlarm, fetchNetworkAlarms, networkAlarmKinds } from '../data/alarms.js';
import type { Alarm, AlarmPage, AlarmStateFilter } from '../data/alarms.js';
import { fetchOrgUnits, orgUnitNames } from '../data/org-units.js';
import { formatCount, formatDateTime, formatRelativeTime } from '../common/format.js';
import { severityTone } from '../common/link-style.js';
import { PollController } from '../common/poll-controller.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { DataTableColumn } from '../components/ts-data-table.js';
import { networkErrorPanel, networkStyles } from './network-panels.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';
import '../components/ts-status-badge.js';

const pageSize = 50;
const refreshMillis = 15_000;
const tabs: readonly AlarmStateFilter[] = ['firing', 'resolved', 'all'];

/** An alarm kind in words; a kind the console does not know yet is shown as the server names it. */
function alarmKindText(kind: string): string {
  switch (kind) {
    case 'link-down':
      return msg('link down', { id: 'alarms.kind.linkDown' });
    case 'link-flapping':
      return msg('link flapping', { id: 'alarms.kind.linkFlapping' });
    case 'link-saturated':
      return msg('link saturated', { id: 'alarms.kind.linkSaturated' });
    case 'redundancy-lost':
      return msg('redundancy lost', { id: 'alarms.kind.redundancyLost' });
    case 'failed-over':
      return msg('failed over', { id: 'alarms.kind.failedOver' });
    case 'below-tier':
      return msg('below tier', { id: 'alarms.kind.belowTier' });
    case 'device-unreachable':
      return msg('device unreachable', { id: 'alarms.kind.deviceUnreachable' });
    case 'device-poll-failed':
      return msg('device poll failing', { id: 'alarms.kind.devicePollFailed' });
    case 'device-unpolled':
      return msg('device not polled', { id: 'alarms.kind.deviceUnpolled' });
    default:
      return kind;
  }
}

/** A severity in words: critical, major, minor, warning. */
function severityText(severity: string): string {
  switch (severity) {
    case 'critical':
      return msg('critical', { id: 'alarms.severity.critical' });
    case 'major':
      return msg('major', { id: 'alarms.severity.major' });
    case 'minor':
      return msg('minor', { id: 'alarms.severity.minor' });
    case 'warning':
      return msg('warning', { id: 'alarms.severity.warning' });
    default:
      return severity;
  }
}

/** Whether an alarm is still active (firing) or has cleared (resolved). */
function alarmStateText(state: string): string {
  if (state === 'firing') return msg('firing', { id: 'alarms.state.firing' });
  if (state === 'resolved') return msg('resolved', { id: 'alarms.state.resolved' });
  return state;
}

/** What an alarm is about: a link, a device, a primary/backup pair. */
function targetTypeText(type: string): string {
  if (type === 'link') return msg('link', { id: 'alarms.target.link' });
  if (type === 'device') return msg('device', { id: 'alarms.target.device' });
  if (type === 'pair') return msg('primary/backup pair', { id: 'alarms.target.pair' });
  return type;
}

function tabText(tab: AlarmStateFilter): string {
  if (tab === 'firing') return msg('Firing', { id: 'alarms.tab.firing' });
  if (tab === 'resolved') return msg('Resolved', { id: 'alarms.tab.resolved' });
  return msg('All', { id: 'alarms.tab.all' });
}

/**
 * Network alarms: firing, resolved or all, newest first, with acknowledgement. The first page is
 * refreshed every 15 s until older pages are loaded.
 */
@localized()
@customElement('ts-page-alarms')
export class TsPageAlarms extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    networkStyles,
    css`
      .alarms {
        --ts-panel-padding: 0;
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 8px 16px;
        padding: 8px 12px;
        border-bottom: 1px solid var(--ts-border);
      }
      select {
        height: 24px;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        background: var(--ts-surface);
        font: inherit;
        font-size: 12px;
      }
      .more {
        display: flex;
        justify-content: center;
        gap: 12px;
        align-items: center;
        padding: 10px;
        border-top: 1px solid var(--ts-border);
      }
      .more .error,
      .ack-error {
        color: var(--ts-bad);
      }
      .ack {
        height: 24px;
        padding: 0 9px;
        font-size: 12px;
      }
      .acked {
        font-size: 12px;
      }
      .summary {
        display: inline-block;
        max-width: 460px;
        overflow: hidden;
        text-overflow: ellipsis;
        vertical-align: bottom;
      }
      dialog {
        width: min(440px, 92vw);
        padding: 0;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        box-shadow: 0 12px 32px rgba(10, 17, 24, 0.3);
        color: var(--ts-text);
      }
      dialog::backdrop {
        background: rgba(18, 27, 37, 0.35);
      }
      dialog form {
        display: grid;
        gap: 10px;
        padding: 14px 16px;
      }
      dialog h3 {
        margin: 0;
        font-size: 14px;
      }
      dialog p {
        margin: 0;
        color: var(--ts-text-muted);
      }
      textarea {
        min-height: 70px;
        padding: 6px;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        font: inherit;
        resize: vertical;
      }
      .buttons {
        display: flex;
        justify-content: flex-end;
        gap: 8px;
      }
    `,
  ];

  @state() private _tab: AlarmStateFilter = 'firing';

  @state() private _kind = '';

  @state() private _older: Alarm[] = [];

  @state() private _nextBefore: string | null = null;

  @state() private _loadingMore = false;

  /** Errors are kept as they came and worded when shown, in the language in force (null when none). */
  @state() private _moreError: unknown = null;

  /** Alarms acknowledged here, by id, shown until the next load brings them from the server. */
  @state() private _updated = new Map<string, Alarm>();

  @state() private _acking?: Alarm;

  @state() private _ackSaving = false;

  @state() private _ackError: unknown = null;

  @state() private _now = Date.now();

  @query('dialog') private _dialog?: HTMLDialogElement;

  private readonly _task = new Task<[AlarmStateFilter, string], AlarmPage>(this, {
    task: async ([state, kind], { signal }) => {
      const page = await fetchNetworkAlarms({ state, kind: kind || undefined, limit: pageSize }, signal);
      this._older = [];
      this._nextBefore = page.nextBefore;
      this._moreError = null;
      this._updated = new Map();
      return page;
    },
    args: () => [this._tab, this._kind],
  });

  private readonly _orgUnitsTask = new Task(this, {
    task: async (_args: [], { signal }) => orgUnitNames((await fetchOrgUnits(signal)).items),
    args: () => [] as [],
  });

  private readonly _poll = new PollController(this, refreshMillis, () => {
    this._now = Date.now();
    if (this._older.length === 0 && !this._acking) void this._task.run();
  });

  override render() {
    const heading = msg('Alarms', { id: 'alarms.heading' });
    return html`
      <div class="page-header">
        <h1><span class="muted">${msg('Network /', { id: 'network.breadcrumb' })}</span> ${heading}</h1>
        <span class="muted"
          >${msg('Link down, flapping, saturation, redundancy, failover, tier and reachability', {
            id: 'alarms.subtitle',
          })}</span
        >
        <span class="spacer"></span>
        <button class="btn" type="button" @click=${() => void this._task.run()}>
          ${msg('Refresh', { id: 'alarms.refresh' })}
        </button>
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value
            ? this._panel(this._task.value.items, true)
            : html`<ts-panel class="alarms" heading=${heading} state="loading">${this._toolbar()}</ts-panel>`,
        complete: (page) => this._panel(page.items, false),
        error: (error) =>
          this._task.value
            ? this._panel(this._task.value.items, false)
            : networkErrorPanel(heading, error, () => void this._task.run(), 'alarms'),
      })}
      ${this._renderDialog()}
    `;
  }

  private _toolbar() {
    return html`<div class="toolbar">
      <div class="segmented" role="tablist" aria-label=${msg('Alarm state', { id: 'alarms.tabs' })}>
        ${tabs.map(
          (tab) =>
            html`<button
              type="button"
              role="tab"
              data-testid="alarm-tab-${tab}"
              aria-selected=${this._tab === tab ? 'true' : 'false'}
              @click=${() => (this._tab = tab)}
            >
              ${tabText(tab)}
            </button>`,
        )}
      </div>
      <label class="muted"
        >${msg('Kind', { id: 'alarms.filter.kind' })}
        <select
          data-testid="alarm-kind"
          @change=${(e: Event) => (this._kind = (e.target as HTMLSelectElement).value)}
        >
          <option value="" ?selected=${this._kind === ''}>
            ${msg('all kinds', { id: 'alarms.filter.allKinds' })}
          </option>
          ${networkAlarmKinds.map(
            (k) => html`<option value=${k} ?selected=${this._kind === k}>${alarmKindText(k)}</option>`,
          )}
        </select></label
      >
    </div>`;
  }

  private _panel(first: Alarm[], busy: boolean) {
    const alarms = [...first, ...this._older].map((a) => this._updated.get(a.id) ?? a);
    const firing = alarms.filter((a) => a.state === 'firing').length;
    const shown = formatCount(alarms.length);
    const firingCount = formatCount(firing);
    return html`<ts-panel class="alarms" heading=${msg('Alarms', { id: 'alarms.heading' })} ?busy=${busy}>
      <span slot="meta"
        >${
          this._tab !== 'resolved'
            ? msg(str`${shown} shown · ${firingCount} firing`, { id: 'alarms.meta.firing' })
            : msg(str`${shown} shown`, { id: 'alarms.meta.shown' })
        }</span
      >
      ${this._toolbar()}
      <ts-data-table
        caption=${msg('Network alarms', { id: 'alarms.caption' })}
        .columns=${this._columns()}
        .rows=${alarms}
        .rowKey=${(a: Alarm) => a.id}
        .rowAttributes=${(a: Alarm) => ({
          'data-testid': 'alarm-row',
          'data-alarm-id': a.id,
          'data-kind': a.kind,
          'data-state': a.state,
          'data-severity': a.severity,
          'data-acknowledged': a.acknowledgedAt ? 'true' : 'false',
        })}
        emptyMessage=${
          this._tab === 'firing'
            ? msg('No network alarm is firing.', { id: 'alarms.emptyFiring' })
            : msg('No alarms.', { id: 'alarms.empty' })
        }
      ></ts-data-table>
      ${
        this._nextBefore
          ? html`<div class="more">
              ${this._moreError !== null ? html`<span class="error">${errorText(this._moreError)}</span>` : nothing}
              <button
                class="btn"
                type="button"
                data-testid="alarms-older"
                ?disabled=${this._loadingMore}
                @click=${this._loadOlder}
              >
                ${
                  this._loadingMore
                    ? msg('Loading…', { id: 'alarms.loadingOlder' })
                    : msg('Load older', { id: 'alarms.loadOlder' })
                }
              </button>
            </div>`
          : nothing
      }
    </ts-panel>`;
  }

  private _columns(): DataTableColumn<Alarm>[] {
    const names = this._orgUnitsTask.value;
    const time = (value: string | null, fallback = '—') =>
      value
        ? html`<span title=${formatDateTime(value)}>${formatRelativeTime(value, this._now)}</span>`
        : html`<span class="muted">${fallback}</span>`;
    return [
      {
        id: 'severity',
        title: msg('Severity', { id: 'alarms.col.severity' }),
        sortValue: (a) => ['critical', 'major', 'minor', 'warning'].indexOf(a.severity),
        render: (a) =>
          html`<ts-status-badge
            .status=${a.severity}
            .label=${severityText(a.severity)}
            .tone=${severityTone(a.severity)}
          ></ts-status-badge>`,
      },
      {
        id: 'kind',
        title: msg('Kind', { id: 'alarms.col.kind' }),
        sortValue: (a) => alarmKindText(a.kind),
        render: (a) =>
          html`<span class="cell-stack"
            ><span>${alarmKindText(a.kind)}</span
            ><span class="cell-sub">${alarmStateText(a.state)}</span></span
          >`,
      },
      {
        id: 'org',
        title: msg('Org unit', { id: 'alarms.col.orgUnit' }),
        sortValue: (a) => names?.get(a.orgUnitId) ?? a.orgUnitId,
        render: (a) => names?.get(a.orgUnitId) ?? html`<span class="mono">${a.orgUnitId}</span>`,
      },
      {
        id: 'target',
        title: msg('Target', { id: 'alarms.col.target' }),
        sortValue: (a) => `${a.targetType}:${a.targetId}`,
        render: (a) => {
          const label = a.labels['link'] ?? a.labels['device'] ?? a.labels['pairId'] ?? a.targetId;
          return html`<span class="cell-stack"
            ><span
              >${
                a.targetType === 'link'
                  ? html`<a href="/network/links/${encodeURIComponent(a.targetId)}">${label}</a>`
                  : label
              }</span
            ><span class="cell-sub">${targetTypeText(a.targetType)}</span></span
          >`;
        },
      },
      {
        id: 'summary',
        title: msg('Summary', { id: 'alarms.col.summary' }),
        render: (a) => html`<span class="summary" title=${a.summary}>${a.summary}</span>`,
      },
      {
        id: 'started',
        title: msg('Started', { id: 'alarms.col.started' }),
        sortValue: (a) => -Date.parse(a.startsAt),
        render: (a) => time(a.startsAt),
      },
      {
        id: 'ended',
        title: msg('Ended', { id: 'alarms.col.ended' }),
        sortValue: (a) => (a.endsAt ? -Date.parse(a.endsAt) : -Infinity),
        render: (a) =>
          a.endsAt
            ? time(a.endsAt)
            : html`<span class="muted">${msg('ongoing', { id: 'alarms.ongoing' })}</span>`,
      },
      {
        id: 'ack',
        title: msg('Acknowledged', { id: 'alarms.col.acknowledged' }),
        render: (a) =>
          a.acknowledgedAt
            ? html`<span class="acked" data-testid="alarm-acked" title=${formatDateTime(a.acknowledgedAt)}
                >${this._ackedText(a.acknowledgedBy, a.acknowledgedAt)}</span
              >`
            : a.state === 'firing'
              ? html`<button
                  class="btn ack"
                  type="button"
                  data-testid="alarm-ack"
                  @click=${() => this._openAck(a)}
                >
                  ${msg('Acknowledge', { id: 'alarms.ack' })}
                </button>`
              : html`<span class="muted">—</span>`,
      },
    ];
  }

  private _renderDialog() {
    const alarm = this._acking;
    return html`<dialog @close=${() => (this._acking = undefined)} aria-labelledby="ack-title">
      ${
        alarm
          ? html`<form @submit=${this._onAck}>
              <h3 id="ack-title">${msg('Acknowledge alarm', { id: 'alarms.ackDialog.heading' })}</h3>
              <p>${alarm.summary}</p>
              <label class="muted" for="comment"
                >${msg('Comment (optional)', { id: 'alarms.ackDialog.comment' })}</label
              >
              <textarea
                id="comment"
                name="comment"
                data-testid="alarm-ack-comment"
                maxlength="500"
              ></textarea>
              ${this._ackError !== null ? html`<p class="ack-error" role="alert">${errorText(this._ackError)}</p>` : nothing}
              <div class="buttons">
                <button class="btn" type="button" @click=${() => this._dialog?.close()}>
                  ${msg('Cancel', { id: 'alarms.ackDialog.cancel' })}
                </button>
                <button
                  class="btn primary"
                  type="submit"
                  data-testid="alarm-ack-confirm"
                  ?disabled=${this._ackSaving}
                >
                  ${
                    this._ackSaving
                      ? msg('Acknowledging…', { id: 'alarms.ackDialog.saving' })
                      : msg('Acknowledge', { id: 'alarms.ack' })
                  }
                </button>
              </div>
            </form>`
          : nothing
      }
    </dialog>`;
  }

  /** Who acknowledged an alarm and when, e.g. `admin · 5 min ago`. */
  private _ackedText(by: string | null, at: string): string {
    const who = by ?? msg('someone', { id: 'alarms.someone' });
    return `${who} · ${formatRelativeTime(at, this._now)}`;
  }

  private async _openAck(alarm: Alarm) {
    this._acking = alarm;
    this._ackError = null;
    await this.updateComplete;
    this._dialog?.showModal();
    this.renderRoot.querySelector<HTMLTextAreaElement>('textarea')?.focus();
  }

  private async _onAck(event: SubmitEvent) {
    event.preventDefault();
    const alarm = this._acking;
    if (!alarm) return;
    const comment = String(new FormData(event.target as HTMLFormElement).get('comment') ?? '').trim();
    this._ackSaving = true;
    this._ackError = null;
    try {
      const updated = await acknowledgeAlarm(alarm.id, comment || undefined);
      this._updated = new Map(this._updated).set(alarm.id, updated);
      this._dialog?.close();
    } catch (error) {
      this._ackError = error;
    } finally {
      this._ackSaving = false;
    }
  }

  private async _loadOlder() {
    if (!this._nextBefore) return;
    this._loadingMore = true;
    this._moreError = null;
    try {
      const page = await fetchNetworkAlarms({
        state: this._tab,
        kind: this._kind || undefined,
        limit: pageSize,
        before: this._nextBefore,
      });
      this._older = [...this._older, ...page.items];
      this._nextBefore = page.nextBefore;
    } catch (error) {
      this._moreError = error;
    } finally {
      this._loadingMore = false;
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-alarms': TsPageAlarms;
  }
}
