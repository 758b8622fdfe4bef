import { LitElement, css, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { errorText } from '../data/error-text.js';
import { fetchOrgUnits, orgUnitNames } from '../data/org-units.js';
import { fetchUsers, userRoleLabel } from '../data/users.js';
import type { UserAccount } from '../data/users.js';
import { formatCount, formatDateTime } from '../common/format.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { DataTableColumn } from '../components/ts-data-table.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';
import '../components/ts-status-badge.js';

/** The console's users with their roles and the org unit whose scope they work in. */
@localized()
@customElement('ts-page-users')
export class TsPageUsers extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    css`
      ts-panel {
        --ts-panel-padding: 0;
      }
    `,
  ];

  private readonly _task = new Task<[], UserAccount[]>(this, {
    task: async (_args, { signal }) => (await fetchUsers(signal)).items,
    args: () => [],
  });

  /** Org-unit names are a nicety: without them the table shows ids. */
  private readonly _orgUnitsTask = new Task(this, {
    task: async (_args: [], { signal }) => orgUnitNames((await fetchOrgUnits(signal)).items),
    args: () => [] as [],
  });

  override render() {
    return html`
      <div class="page-header">
        <h1>${msg('Users', { id: 'users.heading' })}</h1>
        <span class="muted"
          >${msg('Accounts, roles and the org unit each one is scoped to', { id: 'users.subtitle' })}</span
        >
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value
            ? this._panel(this._task.value, true)
            : html`<ts-panel
                heading=${msg('Accounts', { id: 'users.panel.heading' })}
                state="loading"
              ></ts-panel>`,
        complete: (users) => this._panel(users, false),
        error: (error) =>
          html`<ts-panel
            heading=${msg('Accounts', { id: 'users.panel.heading' })}
            state="error"
            .error=${errorText(error)}
            @ts-retry=${() => this._task.run()}
          ></ts-panel>`,
      })}
    `;
  }

  private _panel(users: UserAccount[], busy: boolean) {
    const count = formatCount(users.length);
    return html`<ts-panel heading=${msg('Accounts', { id: 'users.panel.heading' })} ?busy=${busy}>
      <span slot="meta"
        >${
          users.length === 1
            ? msg(str`${count} account`, { id: 'users.count.one' })
            : msg(str`${count} accounts`, { id: 'users.count.other' })
        }</span
      >
      <ts-data-table
        caption=${msg('User accounts', { id: 'users.caption' })}
        .columns=${this._columns()}
        .rows=${users}
        .rowKey=${(u: UserAccount) => u.id}
        .rowAttributes=${(u: UserAccount) => ({ 'data-testid': 'user-row', 'data-username': u.username })}
        emptyMessage=${msg('No users.', { id: 'users.empty' })}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _columns(): DataTableColumn<UserAccount>[] {
    const names = this._orgUnitsTask.value;
    return [
      {
        id: 'username',
        title: msg('Username', { id: 'users.column.username' }),
        sortValue: (u) => u.username,
        render: (u) => html`<span class="mono">${u.username}</span>`,
      },
      {
        id: 'name',
        title: msg('Name', { id: 'users.column.name' }),
        sortValue: (u) => u.displayName,
        render: (u) => u.displayName,
      },
      {
        id: 'roles',
        title: msg('Roles', { id: 'users.column.roles' }),
        render: (u) =>
          html`<span class="chips"
            >${u.roles.map((r) => html`<span class="chip" title=${r}>${userRoleLabel(r)}</span>`)}</span
          >`,
      },
      {
        id: 'org',
        title: msg('Org unit', { id: 'users.column.orgUnit' }),
        sortValue: (u) => names?.get(u.orgUnitId) ?? u.orgUnitId,
        render: (u) => names?.get(u.orgUnitId) ?? u.orgUnitId,
      },
      {
        id: 'state',
        title: msg('State', { id: 'users.column.state' }),
        sortValue: (u) => (u.disabled ? 1 : 0),
        render: (u) =>
          html`<ts-status-badge .status=${u.disabled ? 'disabled' : 'enabled'}></ts-status-badge>`,
      },
      {
        id: 'created',
        title: msg('Created', { id: 'users.column.created' }),
        sortValue: (u) => u.createdAt,
        render: (u) => formatDateTime(u.createdAt),
      },
    ];
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-users': TsPageUsers;
  }
}
