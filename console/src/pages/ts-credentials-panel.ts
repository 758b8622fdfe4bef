import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { Task, TaskStatus } from '@lit/task';
import {
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

/** Every visible string of the panel, to move into the message catalogue. */
const text = {
  heading: 'SNMP credentials',
  meta: 'Read-only · secrets are never shown, only whether each one is set',
  caption: 'SNMP credentials',
  empty: 'No SNMP credentials in this org unit.',
  count: (n: number) => `${formatCount(n)} ${n === 1 ? 'credential' : 'credentials'}`,
  colId: 'Credential',
  colOwner: 'Owner',
  colVersion: 'Version',
  colGrants: 'Granted to',
  colSecrets: 'Secrets set',
  colDevices: 'Devices',
  noGrants: 'owner only',
  noGrantsTitle: 'Only devices of the owner org unit may use this credential',
  grantTitle: 'Devices of this org unit and below may use the credential',
  noSecrets: 'none',
};

/**
 * The SNMP credentials in scope with their owner, version, grants (org units below the owner whose
 * devices may use them) and how many devices use each. Only callers with `network:write` may list
 * them; for everyone else the server answers 403 and the panel shows nothing.
 */
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
    return this._task.render({
      pending: () =>
        this._task.value
          ? this._panel(this._task.value, true)
          : html`<ts-panel heading=${text.heading} state="loading"></ts-panel>`,
      complete: (credentials) => this._panel(credentials, false),
      error: (error) =>
        isForbidden(error) ? nothing : networkErrorPanel(text.heading, error, () => void this._task.run()),
    });
  }

  protected override updated() {
    // A caller without network:write has no credentials to see: the panel takes no room at all.
    this.hidden = this._task.status === TaskStatus.ERROR && isForbidden(this._task.error);
  }

  private _panel(credentials: SnmpCredential[], busy: boolean) {
    const sorted = [...credentials].sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
    return html`<ts-panel heading=${text.heading} ?busy=${busy} data-testid="credentials-panel">
      <span slot="meta">${text.count(credentials.length)} · ${text.meta}</span>
      <ts-data-table
        caption=${text.caption}
        .columns=${this._columns()}
        .rows=${sorted}
        .rowKey=${(c: SnmpCredential) => c.id}
        .rowAttributes=${(c: SnmpCredential) => ({
          'data-testid': 'credential-row',
          'data-credential-id': c.id,
          'data-grants': c.grants.join(','),
        })}
        emptyMessage=${text.empty}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _columns(): DataTableColumn<SnmpCredential>[] {
    const name = (id: string) => this.orgUnitNames?.get(id) ?? id;
    return [
      {
        id: 'id',
        title: text.colId,
        sortValue: (c) => c.id,
        render: (c) => html`<span class="mono">${c.id}</span>`,
      },
      {
        id: 'owner',
        title: text.colOwner,
        sortValue: (c) => name(c.orgUnitId),
        render: (c) => name(c.orgUnitId),
      },
      {
        id: 'version',
        title: text.colVersion,
        sortValue: (c) => credentialVersionText(c),
        render: (c) => credentialVersionText(c),
      },
      {
        id: 'grants',
        title: text.colGrants,
        render: (c) =>
          c.grants.length === 0
            ? html`<span class="muted" title=${text.noGrantsTitle}>${text.noGrants}</span>`
            : html`<span class="chips"
                >${c.grants.map(
                  (g) =>
                    html`<span
                      class="chip"
                      data-testid="credential-grant"
                      data-org-unit-id=${g}
                      title=${text.grantTitle}
                      >${name(g)}</span
                    >`,
                )}</span
              >`,
      },
      {
        id: 'secrets',
        title: text.colSecrets,
        render: (c) => {
          const set = credentialSecretsSet(c);
          return set.length === 0
            ? html`<span class="muted">${text.noSecrets}</span>`
            : html`<span class="mono">${set.join(', ')}</span>`;
        },
      },
      {
        id: 'devices',
        title: text.colDevices,
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
