import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { canManage } from '../data/auth.js';
import type { User } from '../data/auth.js';
import { deviceHealths, fetchDevices, matchesText } from '../data/devices.js';
import type { DeviceHealth, DeviceStatus } from '../data/devices.js';
import { formatCount, formatDateTime, formatRelativeTime } from '../common/format.js';
import {
  deviceStatusText,
  deviceStatusTone,
  formatUptime,
  pollOutcomeLine,
  pollOutcomeText,
  pollOutcomeTone,
} from '../common/device-style.js';
import { PollController } from '../common/poll-controller.js';
import { navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { DataTableColumn, RowSelectDetail } from '../components/ts-data-table.js';
import { networkErrorPanel, networkStyles } from './network-panels.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';
import '../components/ts-status-badge.js';
import './ts-device-add-form.js';

const refreshMillis = 10_000;

type StatusFilter = DeviceHealth | 'all';

const statusRank: Record<DeviceHealth, number> = { down: 0, failing: 1, unknown: 2, up: 3 };

/** Problems first: down, failing, unknown; then by name. */
function sortDevices(devices: readonly DeviceStatus[]): DeviceStatus[] {
  return [...devices].sort(
    (a, b) =>
      (statusRank[a.status] ?? 9) - (statusRank[b.status] ?? 9) ||
      a.name.localeCompare(b.name, undefined, { numeric: true }),
  );
}

/**
 * Every network device in scope with its status, the outcome of its last poll and the reason when it
 * failed, uptime, vendor and model, interfaces and last discovery; for users who may change the
 * inventory, the form that adds a device by address or sweeps a subnet.
 */
@localized()
@customElement('ts-page-devices')
export class TsPageDevices extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    networkStyles,
    css`
      .devices {
        --ts-panel-padding: 0;
        margin-bottom: 12px;
      }
      .devices ts-data-table {
        --ts-table-max-height: max(320px, calc(100vh - 210px));
        --ts-cell-wrap-width: 22em;
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 6px 14px;
        padding: 8px 12px;
        border-bottom: 1px solid var(--ts-border);
      }
      .toolbar input[type='search'] {
        height: 24px;
        min-width: 220px;
        padding: 0 8px;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        background: var(--ts-surface);
        color: var(--ts-text);
        font: inherit;
        font-size: 12px;
      }
    `,
  ];

  /** The signed-in user; the add form is offered only to roles that may change the inventory. */
  @property({ attribute: false }) user?: User;

  @state() private _status: StatusFilter = 'all';

  @state() private _text = '';

  @state() private _adding = false;

  @state() private _now = Date.now();

  private readonly _task = new Task<[], DeviceStatus[]>(this, {
    task: async (_args, { signal }) => (await fetchDevices({}, signal)).items,
    args: () => [],
  });

  private readonly _poll = new PollController(this, refreshMillis, () => {
    this._now = Date.now();
    void this._task.run();
  });

  override render() {
    const heading = msg('Devices', { id: 'devices.heading' });
    return html`
      <div class="page-header">
        <h1><span class="muted">${msg('Network /', { id: 'network.breadcrumb' })}</span> ${heading}</h1>
        <span class="muted"
          >${msg('Refreshed every 10 s · select a device for its interfaces, charts and poll history', {
            id: 'devices.subtitle',
          })}</span
        >
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value
            ? this._panel(this._task.value, true)
            : html`<ts-panel class="devices" heading=${heading} state="loading"></ts-panel>`,
        complete: (devices) => this._panel(devices, false),
        error: (error) =>
          this._task.value
            ? this._panel(this._task.value, false)
            : networkErrorPanel(heading, error, () => void this._task.run(), 'devices'),
      })}
    `;
  }

  private _panel(devices: DeviceStatus[], busy: boolean) {
    const byStatus = new Map<string, number>();
    for (const d of devices) byStatus.set(d.status, (byStatus.get(d.status) ?? 0) + 1);
    const rows = devices.filter(
      (d) => (this._status === 'all' || d.status === this._status) && matchesText(d, this._text),
    );
    const heading = msg('Devices', { id: 'devices.heading' });
    const shown = formatCount(rows.length);
    const total = formatCount(devices.length);
    const chip = (value: StatusFilter, label: string, count: number) =>
      html`<button
        type="button"
        data-testid="device-filter"
        data-value=${value}
        aria-pressed=${value === this._status ? 'true' : 'false'}
        @click=${() => (this._status = value)}
      >
        ${label}<span class="count">${formatCount(count)}</span>
      </button>`;
    return html`<ts-panel class="devices" heading=${heading} ?busy=${busy}>
      <span slot="meta">${msg(str`${shown} of ${total}`, { id: 'devices.shownOf' })}</span>
      ${
        canManage(this.user)
          ? html`<button
              slot="actions"
              class="btn primary"
              type="button"
              data-testid="device-add-open"
              aria-expanded=${this._adding ? 'true' : 'false'}
              @click=${() => (this._adding = !this._adding)}
            >
              ${msg('Add device', { id: 'devices.add.open' })}
            </button>`
          : nothing
      }
      ${
        this._adding
          ? html`<ts-device-add-form
              @ts-close=${() => (this._adding = false)}
              @ts-device-added=${() => void this._task.run()}
            ></ts-device-add-form>`
          : nothing
      }
      <div class="toolbar">
        <div
          class="filters"
          role="group"
          aria-label=${msg('Filter by status', { id: 'devices.filter.statusGroup' })}
        >
          <span class="label">${msg('Status', { id: 'devices.filter.status' })}</span>
          ${chip('all', msg('all', { id: 'devices.filter.all' }), devices.length)}
          ${deviceHealths.map((s) => chip(s, deviceStatusText(s), byStatus.get(s) ?? 0))}
        </div>
        <input
          type="search"
          data-testid="device-search"
          aria-label=${msg('Search devices', { id: 'devices.search.label' })}
          placeholder=${msg('Name, address, vendor, model…', { id: 'devices.search.placeholder' })}
          .value=${this._text}
          @input=${(e: Event) => (this._text = (e.target as HTMLInputElement).value)}
        />
      </div>
      <ts-data-table
        caption=${heading}
        selectable
        .columns=${this._columns()}
        .rows=${sortDevices(rows)}
        .rowKey=${(d: DeviceStatus) => d.id}
        .rowAttributes=${(d: DeviceStatus) => ({
          'data-testid': 'device-row',
          'data-device-id': d.id,
          'data-status': d.status,
          'data-outcome': d.lastPoll?.outcome ?? 'none',
        })}
        emptyMessage=${
          devices.length === 0
            ? msg('No devices are monitored in your scope yet.', { id: 'devices.empty' })
            : msg('No devices match the filters.', { id: 'devices.emptyFiltered' })
        }
        @ts-row-select=${this._onSelect}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _columns(): DataTableColumn<DeviceStatus>[] {
    return [
      {
        id: 'status',
        title: msg('Status', { id: 'devices.col.status' }),
        sortValue: (d) => statusRank[d.status] ?? 9,
        render: (d) => {
          const poll = d.lastPoll;
          const failed = poll !== null && poll.outcome !== 'ok';
          return html`<span class="cell-stack"
            ><span
              ><ts-status-badge
                .status=${d.status}
                .label=${deviceStatusText(d.status)}
                .tone=${deviceStatusTone(d.status)}
              ></ts-status-badge
            ></span>
            ${
              failed
                ? html`<span
                    class="cell-sub cell-wrap ${poll.outcome === 'partial' ? '' : 'cell-bad'}"
                    data-testid="device-row-reason"
                    >${pollOutcomeLine(poll)}</span
                  >`
                : nothing
            }</span
          >`;
        },
      },
      {
        id: 'name',
        title: msg('Device', { id: 'devices.col.name' }),
        sortValue: (d) => d.name,
        render: (d) =>
          html`<span class="cell-stack"
            ><a
              href="/network/devices/${encodeURIComponent(d.id)}"
              @click=${(e: Event) => e.stopPropagation()}
              >${d.name}</a
            >${d.sysName && d.sysName !== d.name ? html`<span class="cell-sub">${d.sysName}</span>` : nothing}</span
          >`,
      },
      {
        id: 'address',
        title: msg('Address', { id: 'devices.col.address' }),
        sortValue: (d) => d.managementAddress,
        render: (d) =>
          html`<span class="mono"
            >${d.managementAddress}${d.snmpPort !== null && d.snmpPort !== 161 ? html`<span class="muted">:${d.snmpPort}</span>` : nothing}</span
          >`,
      },
      {
        id: 'model',
        title: msg('Vendor · model', { id: 'devices.col.model' }),
        sortValue: (d) => `${d.vendor ?? ''} ${d.model ?? ''}`,
        render: (d) =>
          d.vendor || d.model
            ? html`<span class="cell-stack"
                ><span>${d.vendor ?? '—'}</span><span class="cell-sub">${d.model ?? ''}</span></span
              >`
            : html`<span class="muted">—</span>`,
      },
      {
        id: 'os',
        title: msg('OS version', { id: 'devices.col.os' }),
        sortValue: (d) => d.osVersion ?? '',
        render: (d) =>
          d.osVersion
            ? html`<span class="cell-truncate" title=${d.osVersion}>${d.osVersion}</span>`
            : html`<span class="muted">—</span>`,
      },
      {
        id: 'uptime',
        title: msg('Uptime', { id: 'devices.col.uptime' }),
        align: 'end',
        sortValue: (d) => d.uptimeSeconds ?? -1,
        render: (d) => formatUptime(d.uptimeSeconds),
      },
      {
        id: 'interfaces',
        title: msg('Interfaces up / total', { id: 'devices.col.interfaces' }),
        align: 'end',
        sortValue: (d) => d.interfaces.total,
        render: (d) => {
          const up = formatCount(d.interfaces.up);
          const total = formatCount(d.interfaces.total);
          const missing = formatCount(d.interfaces.missing);
          return html`<span class="cell-stack"
            ><span data-testid="device-row-interfaces">${up} / ${total}</span>${
              d.interfaces.missing > 0
                ? html`<span class="cell-sub"
                    >${msg(str`${missing} missing`, { id: 'devices.interfaces.missing' })}</span
                  >`
                : nothing
            }</span
          >`;
        },
      },
      {
        id: 'poll',
        title: msg('Last poll', { id: 'devices.col.lastPoll' }),
        sortValue: (d) => (d.lastPoll ? Date.parse(d.lastPoll.at) : 0),
        render: (d) =>
          d.lastPoll
            ? html`<span class="cell-stack"
                ><span title=${formatDateTime(d.lastPoll.at)}
                  >${formatRelativeTime(d.lastPoll.at, this._now)}</span
                ><span class="cell-sub"
                  ><ts-status-badge
                    .status=${d.lastPoll.outcome}
                    .label=${pollOutcomeText(d.lastPoll.outcome)}
                    .tone=${pollOutcomeTone(d.lastPoll.outcome)}
                  ></ts-status-badge></span
              ></span>`
            : html`<span class="muted">${msg('never', { id: 'devices.never' })}</span>`,
      },
      {
        id: 'discovery',
        title: msg('Last discovery', { id: 'devices.col.lastDiscovery' }),
        sortValue: (d) => (d.lastDiscovery ? Date.parse(d.lastDiscovery.at) : 0),
        render: (d) =>
          d.lastDiscovery
            ? html`<span class="cell-stack"
                ><span title=${formatDateTime(d.lastDiscovery.at)}
                  >${formatRelativeTime(d.lastDiscovery.at, this._now)}</span
                >${
                  d.lastDiscovery.outcome !== 'ok'
                    ? html`<span class="cell-sub cell-bad">${pollOutcomeLine(d.lastDiscovery)}</span>`
                    : nothing
                }</span
              >`
            : html`<span class="muted">${msg('never', { id: 'devices.never' })}</span>`,
      },
    ];
  }

  private _onSelect(event: CustomEvent<RowSelectDetail<unknown>>) {
    navigate(`/network/devices/${encodeURIComponent(event.detail.key)}`);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-devices': TsPageDevices;
  }
}
