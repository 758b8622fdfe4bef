import { LitElement, css, html } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { Task } from '@lit/task';
import { ApiError, actionErrorMessage, errorMessage } from '../data/api.js';
import { agentStatuses, dropReasons, sortAgents } from '../data/agents.js';
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
import '../components/ts-status-badge.js';
import './ts-enrolment-tokens.js';

type StatusFilter = AgentStatus | 'all';

/**
 * Every enrolled agent with its version, liveness, transport queue and latest sample, live; the
 * enrolment tokens and, for users who may manage the fleet, enrolling and revoking.
 */
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

  @state() private _actionError = '';

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
        <h1>Agents</h1>
        <span class="muted"
          >${mode === 'live' ? 'Updated live' : mode === 'polling' ? 'Refreshing every 15 s' : 'Connecting…'}</span
        >
      </div>
      <ts-enrolment-tokens
        ?canWrite=${canManage(this.user)}
        .orgUnits=${this._orgUnitsTask.value}
        defaultOrgUnitId=${this.user?.orgUnitId ?? ''}
      ></ts-enrolment-tokens>
      ${this._processesLine()}
      <p class="action-error" role="alert">${this._actionError}</p>
      ${this._fleet.task.render({
        pending: () => {
          const agents = this._fleet.agents;
          return agents
            ? this._panel(agents, true)
            : html`<ts-panel heading="Enrolled agents" state="loading"></ts-panel>`;
        },
        complete: () => this._panel(this._fleet.agents ?? [], false),
        error: (error) =>
          html`<ts-panel
            heading="Enrolled agents"
            state="error"
            .error=${errorMessage(error)}
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
              Embedded processes:
              ${list.items.map(
                (p, i) =>
                  html`${i > 0 ? ' · ' : ''}<span class=${p.state === 'running' ? '' : 'bad'}
                      >${describeProcess(p, this._now)}</span
                    >`,
              )}
            </p>`
          : '',
      error: (error) =>
        html`<p class="processes muted">Embedded processes: cannot load (${errorMessage(error)})</p>`,
    });
  }

  private _panel(agents: Agent[], busy: boolean) {
    const counts = new Map<StatusFilter, number>([['all', agents.length]]);
    for (const a of agents) counts.set(a.status, (counts.get(a.status) ?? 0) + 1);
    const rows = this._filter === 'all' ? agents : agents.filter((a) => a.status === this._filter);
    return html`<ts-panel heading="Enrolled agents" ?busy=${busy}>
      <span slot="meta">${formatCount(agents.length)} agents</span>
      <div class="filters" role="group" aria-label="Filter by status" slot="actions">
        ${(['all', ...agentStatuses] as StatusFilter[]).map(
          (status) =>
            html`<button
              type="button"
              aria-pressed=${this._filter === status ? 'true' : 'false'}
              @click=${() => (this._filter = status)}
            >
              ${status} ${counts.get(status) ?? 0}
            </button>`,
        )}
      </div>
      <ts-data-table
        caption="Enrolled agents"
        .columns=${this._columns()}
        .rows=${sortAgents(rows)}
        .rowKey=${(a: Agent) => a.id}
        .rowAttributes=${(a: Agent) => ({
          'data-testid': 'agent-row',
          'data-status': a.status,
          'data-hostname': a.hostname,
        })}
        emptyMessage=${this._filter === 'all' ? 'No agents are enrolled in this org unit yet.' : `No ${this._filter} agents.`}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _columns(): DataTableColumn<Agent>[] {
    const units = this._orgUnitsTask.value;
    const names = units ? orgUnitNames(units) : undefined;
    const time = (value: string | null) =>
      html`<span title=${formatDateTime(value)}>${formatRelativeTime(value, this._now)}</span>`;
    return [
      { id: 'hostname', title: 'Hostname', sortValue: (a) => a.hostname, render: (a) => a.hostname },
      {
        id: 'status',
        title: 'Status',
        sortValue: (a) => a.status,
        render: (a) => html`<ts-status-badge .status=${a.status}></ts-status-badge>`,
      },
      {
        id: 'roles',
        title: 'Roles',
        render: (a) =>
          html`<span class="chips">${a.roles.map((r) => html`<span class="chip">${r}</span>`)}</span>`,
      },
      {
        id: 'org',
        title: 'Org unit',
        sortValue: (a) => names?.get(a.orgUnitId) ?? a.orgUnitId,
        render: (a) => names?.get(a.orgUnitId) ?? a.orgUnitId,
      },
      {
        id: 'platform',
        title: 'Platform',
        sortValue: (a) => `${a.os ?? ''}/${a.arch ?? ''}`,
        render: (a) => (a.os || a.arch ? [a.os, a.arch].filter(Boolean).join(' / ') : '—'),
      },
      {
        id: 'version',
        title: 'Version',
        sortValue: (a) => a.version,
        render: (a) => html`<span class="mono">${a.version}</span>`,
      },
      {
        id: 'seen',
        title: 'Last seen',
        sortValue: (a) => (a.lastSeenAt ? -Date.parse(a.lastSeenAt) : Infinity),
        render: (a) => time(a.lastSeenAt),
      },
      {
        id: 'report',
        title: 'Last report',
        sortValue: (a) => (a.lastReportAt ? -Date.parse(a.lastReportAt) : Infinity),
        render: (a) => time(a.lastReportAt),
      },
      {
        id: 'queue',
        title: 'Queued',
        align: 'end',
        sortValue: (a) => a.queue?.pendingBytes ?? -1,
        render: (a) =>
          a.queue ? `${formatCount(a.queue.pendingBatches)} · ${formatBytes(a.queue.pendingBytes)}` : '—',
      },
      {
        id: 'dropped',
        title: 'Dropped',
        align: 'end',
        sortValue: (a) => a.queue?.droppedBatches ?? -1,
        render: (a) =>
          a.queue
            ? html`<span
                  class=${a.queue.droppedBatches > 0 ? 'cell-bad' : ''}
                  title=${a.queue.lastDropAt ? `last drop ${formatDateTime(a.queue.lastDropAt)}` : ''}
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
        title: 'CPU',
        align: 'end',
        sortValue: (a) => a.latest?.cpuPercent ?? -1,
        render: (a) => formatPercent(a.latest?.cpuPercent),
      },
      {
        id: 'memory',
        title: 'Memory',
        align: 'end',
        sortValue: (a) => a.latest?.memoryPercent ?? -1,
        render: (a) => formatPercent(a.latest?.memoryPercent),
      },
      {
        id: 'enrolled',
        title: 'Enrolled',
        sortValue: (a) => a.enrolledAt,
        render: (a) => formatDateTime(a.enrolledAt),
      },
      ...(canManage(this.user) ? [this._actionsColumn()] : []),
    ];
  }

  private _actionsColumn(): DataTableColumn<Agent> {
    return {
      id: 'actions',
      title: 'Actions',
      render: (a) =>
        a.revoked
          ? html`<span class="muted">revoked</span>`
          : html`<button
              class="btn small"
              type="button"
              data-testid="agent-revoke"
              aria-label="Revoke agent ${a.hostname}"
              @click=${() => this._revoke(a)}
            >
              Revoke
            </button>`,
    };
  }

  private async _revoke(agent: Agent) {
    const confirmed = await this._confirm.ask({
      heading: 'Revoke agent?',
      message:
        `${agent.hostname} will no longer be able to report: its credential stops working at once. ` +
        'To bring it back, enrol it again with a new enrolment token.',
      confirmLabel: 'Revoke agent',
    });
    if (!confirmed) return;
    this._actionError = '';
    try {
      await revokeAgent(agent.id);
    } catch (error) {
      this._actionError = `Could not revoke ${agent.hostname}: ${actionErrorMessage(error)}`;
    }
    this._fleet.reload();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-agents': TsPageAgents;
  }
}
