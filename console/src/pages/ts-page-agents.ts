import { LitElement, css, html } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { ApiError, actionErrorMessage } from '../data/api.js';
import { errorText } from '../data/error-text.js';
import { agentRoleLabel, agentStatuses, dropReasons, sortAgents } from '../data/agents.js';
import { describeProcess, fetchProcesses } from '../data/system.js';
import type { Agent, AgentStatus } from '../data/agents.js';
import { canManage } from '../data/auth.js';
import type { User } from '../data/auth.js';
import { revokeAgent } from '../data/enrolment.js';
import { fetchOrgUnits, orgUnitNames } from '../data/org-units.js';
import { FleetLiveController } from '../common/fleet-live-controller.js';
import {
  formatBytes,
  formatCount,
  formatDateTime,
  formatPercent,
  formatRelativeTime,
} from '../common/format.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { DataTableColumn } from '../components/ts-data-table.js';
import type { TsConfirmDialog } from '../components/ts-confirm-dialog.js';
import '../components/ts-confirm-dialog.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';
import { statusLabel } from '../components/ts-status-badge.js';
import './ts-enrolment-tokens.js';

type StatusFilter = AgentStatus | 'all';

/** A status filter button: the status in the console's language and how many agents have it. */
function filterText(status: StatusFilter, count: string): string {
  if (status === 'all') return msg(str`all ${count}`, { id: 'agents.filter.all' });
  const label = statusLabel(status);
  return msg(str`${label} ${count}`, { id: 'agents.filter.status' });
}

/** What the table says when no agent matches the filter. */
function emptyText(filter: StatusFilter): string {
  switch (filter) {
    case 'all':
      return msg('No agents are enrolled in this org unit yet.', { id: 'agents.empty.all' });
    case 'online':
      return msg('No online agents.', { id: 'agents.empty.online' });
    case 'stale':
      return msg('No stale agents.', { id: 'agents.empty.stale' });
    case 'offline':
      return msg('No offline agents.', { id: 'agents.empty.offline' });
    case 'never':
      return msg('No agents that have never reported.', { id: 'agents.empty.never' });
  }
}

/** The tooltip of a drop count: when the agent last dropped a batch. */
function lastDropText(at: string): string {
  return msg(str`last drop ${at}`, { id: 'agents.lastDrop' });
}

/**
 * Every enrolled agent with its version, liveness, transport queue and latest sample, live; the
 * enrolment tokens and, for users who may manage the fleet, enrolling and revoking.
 */
@localized()
@customElement('ts-page-agents')
export class TsPageAgents extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    css`
      ts-panel {
        --ts-panel-padding: 0;
      }
      .filters {
        display: inline-flex;
        gap: 4px;
      }
      .filters button {
        height: 24px;
        padding: 0 9px;
        border: 1px solid var(--ts-border-strong);
        border-radius: 12px;
        background: var(--ts-surface);
        color: var(--ts-text);
        font: inherit;
        font-size: 12px;
        cursor: pointer;
      }
      .filters button[aria-pressed='true'] {
        background: var(--ts-accent-soft);
        border-color: var(--ts-accent);
        color: var(--ts-accent-strong);
      }
      ts-enrolment-tokens {
        margin-bottom: 16px;
      }
      .processes {
        margin: 0 0 12px;
        font-size: 12px;
      }
      .processes .bad {
        color: var(--ts-bad);
      }
      .drop-reason {
        display: inline-block;
        margin-left: 4px;
        padding: 0 6px;
        border-radius: 8px;
        background: var(--ts-bad-soft);
        color: var(--ts-bad);
        font-size: 11px;
        white-space: nowrap;
      }
      .action-error {
        margin: 0 0 12px;
        padding: 8px 12px;
        border: 1px solid var(--ts-bad);
        border-radius: var(--ts-radius);
        background: var(--ts-bad-soft);
        color: var(--ts-bad);
      }
      .action-error:empty {
        display: none;
      }
      .btn.small {
        height: 22px;
        padding: 0 8px;
        font-size: 12px;
      }
    `,
  ];

  /** The signed-in user; write actions are offered only to roles that may manage the fleet. */
  @property({ attribute: false }) user?: User;

  @state() private _filter: StatusFilter = 'all';

  @state() private _now = Date.now();

  /** The last failed action, worded in `render` so that it follows a language switch. */
  @state() private _actionError?: () => string;

  @query('ts-confirm-dialog') private _confirm!: TsConfirmDialog;

  private _clock?: number;

  private readonly _fleet = new FleetLiveController(this);

  // Embedded mode's supervised children; hidden for users without system:read and outside embedded mode.
  private readonly _processesTask = new Task(this, {
    task: async (_args: [], { signal }) => {
      try {
        return await fetchProcesses(signal);
      } catch (error) {
        if (error instanceof ApiError && (error.status === 403 || error.status === 404)) return undefined;
        throw error;
      }
    },
    args: () => [] as [],
  });

  private readonly _orgUnitsTask = new Task(this, {
    task: async (_args: [], { signal }) => (await fetchOrgUnits(signal)).items,
    args: () => [] as [],
  });

  override connectedCallback() {
    super.connectedCallback();
    this._clock = window.setInterval(() => {
      this._now = Date.now();
      void this._processesTask.run();
    }, 10_000);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.clearInterval(this._clock);
  }

  override render() {
    const mode = this._fleet.mode;
    return html`
      <div class="page-header">
        <h1>${msg('Agents', { id: 'agents.heading' })}</h1>
        <span class="muted"
          >${
            mode === 'live'
              ? msg('Updated live', { id: 'agents.live' })
              : mode === 'polling'
                ? msg('Refreshing every 15 s', { id: 'agents.polling' })
                : msg('Connecting…', { id: 'agents.connecting' })
          }</span
        >
      </div>
      <ts-enrolment-tokens
        ?canWrite=${canManage(this.user)}
        .orgUnits=${this._orgUnitsTask.value}
        defaultOrgUnitId=${this.user?.orgUnitId ?? ''}
      ></ts-enrolment-tokens>
      ${this._processesLine()}
      <p class="action-error" role="alert">${this._actionError?.() ?? ''}</p>
      ${this._fleet.task.render({
        pending: () => {
          const agents = this._fleet.agents;
          return agents
            ? this._panel(agents, true)
            : html`<ts-panel
                heading=${msg('Enrolled agents', { id: 'agents.panel.heading' })}
                state="loading"
              ></ts-panel>`;
        },
        complete: () => this._panel(this._fleet.agents ?? [], false),
        error: (error) =>
          html`<ts-panel
            heading=${msg('Enrolled agents', { id: 'agents.panel.heading' })}
            state="error"
            .error=${errorText(error)}
            @ts-retry=${() => this._fleet.reload()}
          ></ts-panel>`,
      })}
      <ts-confirm-dialog></ts-confirm-dialog>
    `;
  }

  private _processesLine() {
    return this._processesTask.render({
      pending: () => '',
      complete: (list) =>
        list?.supervised && list.items.length > 0
          ? html`<p class="processes muted" data-testid="supervised-processes">
              ${msg('Embedded processes:', { id: 'agents.processes.label' })}
              ${list.items.map(
                (p, i) =>
                  html`${i > 0 ? ' · ' : ''}<span class=${p.state === 'running' ? '' : 'bad'}
                      >${describeProcess(p, this._now)}</span
                    >`,
              )}
            </p>`
          : '',
      error: (error) => {
        const reason = errorText(error);
        return html`<p class="processes muted">
          ${msg(str`Embedded processes: cannot load (${reason})`, { id: 'agents.processes.error' })}
        </p>`;
      },
    });
  }

  private _panel(agents: Agent[], busy: boolean) {
    const counts = new Map<StatusFilter, number>([['all', agents.length]]);
    for (const a of agents) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
    const rows = this._filter === 'all' ? agents : agents.filter((a) => a.status === this._filter);
    const total = formatCount(agents.length);
    return html`<ts-panel heading=${msg('Enrolled agents', { id: 'agents.panel.heading' })} ?busy=${busy}>
      <span slot="meta"
        >${
          agents.length === 1
            ? msg(str`${total} agent`, { id: 'agents.count.one' })
            : msg(str`${total} agents`, { id: 'agents.count.other' })
        }</span
      >
      <div
        class="filters"
        role="group"
        aria-label=${msg('Filter by status', { id: 'agents.filter.label' })}
        slot="actions"
      >
        ${(['all', ...agentStatuses] as StatusFilter[]).map(
          (status) =>
            html`<button
              type="button"
              aria-pressed=${this._filter === status ? 'true' : 'false'}
              @click=${() => (this._filter = status)}
            >
              ${filterText(status, formatCount(counts.get(status) ?? 0))}
            </button>`,
        )}
      </div>
      <ts-data-table
        caption=${msg('Enrolled agents', { id: 'agents.panel.heading' })}
        .columns=${this._columns()}
        .rows=${sortAgents(rows)}
        .rowKey=${(a: Agent) => a.id}
        .rowAttributes=${(a: Agent) => ({
          'data-testid': 'agent-row',
          'data-status': a.status,
          'data-hostname': a.hostname,
        })}
        emptyMessage=${emptyText(this._filter)}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _columns(): DataTableColumn<Agent>[] {
    const units = this._orgUnitsTask.value;
    const names = units ? orgUnitNames(units) : undefined;
    const time = (value: string | null) =>
      html`<span title=${formatDateTime(value)}>${formatRelativeTime(value, this._now)}</span>`;
    return [
      {
        id: 'hostname',
        title: msg('Hostname', { id: 'agents.column.hostname' }),
        sortValue: (a) => a.hostname,
        render: (a) => a.hostname,
      },
      {
        id: 'status',
        title: msg('Status', { id: 'agents.column.status' }),
        sortValue: (a) => a.status,
        render: (a) => html`<ts-status-badge .status=${a.status}></ts-status-badge>`,
      },
      {
        id: 'roles',
        title: msg('Roles', { id: 'agents.column.roles' }),
        render: (a) =>
          html`<span class="chips"
            >${a.roles.map((r) => html`<span class="chip">${agentRoleLabel(r)}</span>`)}</span
          >`,
      },
      {
        id: 'org',
        title: msg('Org unit', { id: 'agents.column.orgUnit' }),
        sortValue: (a) => names?.get(a.orgUnitId) ?? a.orgUnitId,
        render: (a) => names?.get(a.orgUnitId) ?? a.orgUnitId,
      },
      {
        id: 'platform',
        title: msg('Platform', { id: 'agents.column.platform' }),
        sortValue: (a) => `${a.os ?? ''}/${a.arch ?? ''}`,
        render: (a) => (a.os || a.arch ? [a.os, a.arch].filter(Boolean).join(' / ') : '—'),
      },
      {
        id: 'version',
        title: msg('Version', { id: 'agents.column.version' }),
        sortValue: (a) => a.version,
        render: (a) => html`<span class="mono">${a.version}</span>`,
      },
      {
        id: 'seen',
        title: msg('Last seen', { id: 'agents.column.lastSeen' }),
        sortValue: (a) => (a.lastSeenAt ? -Date.parse(a.lastSeenAt) : Infinity),
        render: (a) => time(a.lastSeenAt),
      },
      {
        id: 'report',
        title: msg('Last report', { id: 'agents.column.lastReport' }),
        sortValue: (a) => (a.lastReportAt ? -Date.parse(a.lastReportAt) : Infinity),
        render: (a) => time(a.lastReportAt),
      },
      {
        id: 'queue',
        title: msg('Queued', { id: 'agents.column.queued' }),
        align: 'end',
        sortValue: (a) => a.queue?.pendingBytes ?? -1,
        render: (a) =>
          a.queue ? `${formatCount(a.queue.pendingBatches)} · ${formatBytes(a.queue.pendingBytes)}` : '—',
      },
      {
        id: 'dropped',
        title: msg('Dropped', { id: 'agents.column.dropped' }),
        align: 'end',
        sortValue: (a) => a.queue?.droppedBatches ?? -1,
        render: (a) =>
          a.queue
            ? html`<span
                  class=${a.queue.droppedBatches > 0 ? 'cell-bad' : ''}
                  title=${a.queue.lastDropAt ? lastDropText(formatDateTime(a.queue.lastDropAt)) : ''}
                  >${formatCount(a.queue.droppedBatches)}</span
                >${dropReasons(a.queue).map(
                  (r) =>
                    html`<span class="drop-reason" data-testid="drop-reason" data-reason=${r.reason}
                      >${r.label} ${formatCount(r.count)}</span
                    >`,
                )}`
            : '—',
      },
      {
        id: 'cpu',
        title: msg('CPU', { id: 'agents.column.cpu' }),
        align: 'end',
        sortValue: (a) => a.latest?.cpuPercent ?? -1,
        render: (a) => formatPercent(a.latest?.cpuPercent),
      },
      {
        id: 'memory',
        title: msg('Memory', { id: 'agents.column.memory' }),
        align: 'end',
        sortValue: (a) => a.latest?.memoryPercent ?? -1,
        render: (a) => formatPercent(a.latest?.memoryPercent),
      },
      {
        id: 'enrolled',
        title: msg('Enrolled', { id: 'agents.column.enrolled' }),
        sortValue: (a) => a.enrolledAt,
        render: (a) => formatDateTime(a.enrolledAt),
      },
      ...(canManage(this.user) ? [this._actionsColumn()] : []),
    ];
  }

  private _actionsColumn(): DataTableColumn<Agent> {
    return {
      id: 'actions',
      title: msg('Actions', { id: 'agents.column.actions' }),
      render: (a) =>
        a.revoked
          ? html`<span class="muted">${statusLabel('revoked')}</span>`
          : html`<button
              class="btn small"
              type="button"
              data-testid="agent-revoke"
              aria-label=${msg(str`Revoke agent ${a.hostname}`, { id: 'agents.revoke.label' })}
              @click=${() => this._revoke(a)}
            >
              ${msg('Revoke', { id: 'agents.revoke.button' })}
            </button>`,
    };
  }

  private async _revoke(agent: Agent) {
    const hostname = agent.hostname;
    const confirmed = await this._confirm.ask({
      heading: msg('Revoke agent?', { id: 'agents.revoke.heading' }),
      message: msg(
        str`${hostname} will no longer be able to report: its credential stops working at once. To bring it back, enrol it again with a new enrolment token.`,
        { id: 'agents.revoke.message' },
      ),
      confirmLabel: msg('Revoke agent', { id: 'agents.revoke.confirm' }),
    });
    if (!confirmed) return;
    this._actionError = undefined;
    try {
      await revokeAgent(agent.id);
    } catch (error) {
      this._actionError = () =>
        msg(str`Could not revoke ${hostname}: ${actionErrorMessage(error)}`, { id: 'agents.revoke.failed' });
    }
    this._fleet.reload();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-agents': TsPageAgents;
  }
}
