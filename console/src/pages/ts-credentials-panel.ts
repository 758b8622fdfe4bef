import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task, TaskStatus } from '@lit/task';
import {
  credentialSecretText,
  credentialSecretsSet,
  credentialVersionText,
  fetchCredentials,
  isForbidden,
} from '../data/credentials.js';
import type { SnmpCredential } from '../data/credentials.js';
import { formatCount } from '../common/format.js';
import { sharedStyles } from '../common/styles.js';
import type { DataTableColumn } from '../components/ts-data-table.js';
import { networkErrorPanel, networkStyles } from './network-panels.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';

/** Every visible string of the panel, in the locale in force. */
const text = () => ({
  heading: msg('SNMP credentials', { id: 'credentials.heading' }),
  meta: msg('Read-only · secrets are never shown, only whether each one is set', { id: 'credentials.meta' }),
  empty: msg('No SNMP credentials in this org unit.', { id: 'credentials.empty' }),
  count: (n: number) => {
    const count = formatCount(n);
    return n === 1
      ? msg(str`${count} credential`, { id: 'credentials.count.one' })
      : msg(str`${count} credentials`, { id: 'credentials.count.other' });
  },
  colId: msg('Credential', { id: 'credentials.col.id' }),
  colOwner: msg('Owner', { id: 'credentials.col.owner' }),
  colVersion: msg('Version', { id: 'credentials.col.version' }),
  colGrants: msg('Granted to', { id: 'credentials.col.grants' }),
  colSecrets: msg('Secrets set', { id: 'credentials.col.secrets' }),
  colDevices: msg('Devices', { id: 'credentials.col.devices' }),
  noGrants: msg('owner only', { id: 'credentials.noGrants' }),
  noGrantsTitle: msg('Only devices of the owner org unit may use this credential', {
    id: 'credentials.noGrantsTitle',
  }),
  grantTitle: msg('Devices of this org unit and below may use the credential', {
    id: 'credentials.grantTitle',
  }),
  noSecrets: msg('none', { id: 'credentials.noSecrets' }),
});

/**
 * The SNMP credentials in scope with their owner, version, grants (org units below the owner whose
 * devices may use them) and how many devices use each. Only callers with `network:write` may list
 * them; for everyone else the server answers 403 and the panel shows nothing.
 */
@localized()
@customElement('ts-credentials-panel')
export class TsCredentialsPanel extends LitElement {
  static override styles = [
    sharedStyles,
    networkStyles,
    css`
      :host {
        display: block;
      }
      :host([hidden]) {
        display: none;
      }
      ts-panel {
        --ts-panel-padding: 0;
      }
    `,
  ];

  /** Org-unit names by id; without them the table shows ids. */
  @property({ attribute: false }) orgUnitNames?: Map<string, string>;

  private readonly _task = new Task<[], SnmpCredential[]>(this, {
    task: async (_args, { signal }) => (await fetchCredentials(signal)).items,
    args: () => [],
  });

  override render() {
    const heading = text().heading;
    return this._task.render({
      pending: () =>
        this._task.value
          ? this._panel(this._task.value, true)
          : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
      complete: (credentials) => this._panel(credentials, false),
      error: (error) =>
        isForbidden(error) ? nothing : networkErrorPanel(heading, error, () => void this._task.run()),
    });
  }

  protected override updated() {
    // A caller without network:write has no credentials to see: the panel takes no room at all.
    this.hidden = this._task.status === TaskStatus.ERROR && isForbidden(this._task.error);
  }

  private _panel(credentials: SnmpCredential[], busy: boolean) {
    const sorted = [...credentials].sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
    const t = text();
    return html`<ts-panel heading=${t.heading} ?busy=${busy} data-testid="credentials-panel">
      <span slot="meta">${t.count(credentials.length)} · ${t.meta}</span>
      <ts-data-table
        caption=${t.heading}
        .columns=${this._columns()}
        .rows=${sorted}
        .rowKey=${(c: SnmpCredential) => c.id}
        .rowAttributes=${(c: SnmpCredential) => ({
          'data-testid': 'credential-row',
          'data-credential-id': c.id,
          'data-grants': c.grants.join(','),
        })}
        emptyMessage=${t.empty}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _columns(): DataTableColumn<SnmpCredential>[] {
    const name = (id: string) => this.orgUnitNames?.get(id) ?? id;
    const t = text();
    return [
      {
        id: 'id',
        title: t.colId,
        sortValue: (c) => c.id,
        render: (c) => html`<span class="mono">${c.id}</span>`,
      },
      {
        id: 'owner',
        title: t.colOwner,
        sortValue: (c) => name(c.orgUnitId),
        render: (c) => name(c.orgUnitId),
      },
      {
        id: 'version',
        title: t.colVersion,
        sortValue: (c) => credentialVersionText(c),
        render: (c) => credentialVersionText(c),
      },
      {
        id: 'grants',
        title: t.colGrants,
        render: (c) =>
          c.grants.length === 0
            ? html`<span class="muted" title=${t.noGrantsTitle}>${t.noGrants}</span>`
            : html`<span class="chips"
                >${c.grants.map(
                  (g) =>
                    html`<span
                      class="chip"
                      data-testid="credential-grant"
                      data-org-unit-id=${g}
                      title=${t.grantTitle}
                      >${name(g)}</span
                    >`,
                )}</span
              >`,
      },
      {
        id: 'secrets',
        title: t.colSecrets,
        render: (c) => {
          const set = credentialSecretsSet(c);
          return set.length === 0
            ? html`<span class="muted">${t.noSecrets}</span>`
            : html`<span class="chips"
                >${set.map((secret) => html`<span class="chip">${credentialSecretText(secret)}</span>`)}</span
              >`;
        },
      },
      {
        id: 'devices',
        title: t.colDevices,
        align: 'end',
        sortValue: (c) => c.devices,
        render: (c) => html`<span data-testid="credential-devices">${formatCount(c.devices)}</span>`,
      },
    ];
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-credentials-panel': TsCredentialsPanel;
  }
}
