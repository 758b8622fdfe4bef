import { LitElement, css, html, nothing } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { Task } from '@lit/task';
import { errorMessage } from '../data/api.js';
import {
  acceptProposal,
  dismissProposal,
  fetchProposals,
  fetchTopology,
  isNetworkUnavailable,
  linkLevels,
  linkRoles,
  planes,
} from '../data/network.js';
import type { AcceptProposal, LinkLevel, LinkProposal, LinkRole, Plane, Topology } from '../data/network.js';
import { formatDateTime, formatRelativeTime } from '../common/format.js';
import { sharedStyles } from '../common/styles.js';
import type { DataTableColumn } from '../components/ts-data-table.js';
import { networkErrorPanel, networkStyles } from './network-panels.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';

interface Loaded {
  proposals: LinkProposal[];
  /** Routers and org units for names and the org-unit choice; null when the topology failed. */
  topology: Topology | null;
}

/** The level a link between two org units probably serves, from the lower one's level. */
function guessLevel(orgLevel: string | undefined): LinkLevel {
  if (orgLevel === 'township' || orgLevel === 'village') return 'township';
  if (orgLevel === 'county') return 'county';
  if (orgLevel === 'city') return 'city';
  return 'backbone';
}

/**
 * Links proposed by discovery (LLDP neighbours not yet known as links). An operator accepts one,
 * saying its level, role, plane, pair and org unit, or dismisses it.
 *
 * @fires ts-proposal-accepted - A proposal became a link; the links list should be loaded again.
 */
@customElement('ts-discovery-panel')
export class TsDiscoveryPanel extends LitElement {
  static override styles = [
    sharedStyles,
    networkStyles,
    css`
      :host {
        display: block;
      }
      ts-panel {
        --ts-panel-padding: 0;
      }
      dialog {
        width: min(460px, 92vw);
        padding: 0;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        box-shadow: 0 12px 32px rgba(10, 17, 24, 0.3);
        color: var(--ts-text);
      }
      dialog::backdrop {
        background: rgba(18, 27, 37, 0.35);
      }
      form {
        display: grid;
        grid-template-columns: 110px 1fr;
        gap: 10px 12px;
        align-items: center;
        padding: 14px 16px;
      }
      h3 {
        grid-column: 1 / -1;
        margin: 0 0 2px;
        font-size: 14px;
      }
      .ends {
        grid-column: 1 / -1;
        margin: 0 0 4px;
        color: var(--ts-text-muted);
        font-size: 12px;
      }
      label {
        color: var(--ts-text-muted);
      }
      select,
      input {
        height: 28px;
        padding: 0 6px;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        background: var(--ts-surface);
        color: var(--ts-text);
        font: inherit;
      }
      .buttons {
        grid-column: 1 / -1;
        display: flex;
        justify-content: flex-end;
        gap: 8px;
        margin-top: 4px;
      }
      .form-error {
        grid-column: 1 / -1;
        margin: 0;
        color: var(--ts-bad);
      }
      .actions {
        display: inline-flex;
        gap: 6px;
      }
      .actions .btn {
        height: 24px;
        padding: 0 9px;
        font-size: 12px;
      }
      .row-error {
        color: var(--ts-bad);
        font-size: 12px;
      }
    `,
  ];

  @state() private _accepting?: LinkProposal;

  @state() private _saving = false;

  @state() private _formError = '';

  @state() private _rowError = new Map<string, string>();

  @query('dialog') private _dialog?: HTMLDialogElement;

  private readonly _task = new Task<[], Loaded>(this, {
    task: async (_args, { signal }) => {
      const [proposals, topology] = await Promise.all([
        fetchProposals(signal),
        fetchTopology(signal).catch(() => null),
      ]);
      return { proposals: proposals.items, topology };
    },
    args: () => [],
  });

  override render() {
    const heading = 'Discovered links';
    return html`${this._task.render({
      pending: () =>
        this._task.value
          ? this._panel(this._task.value, true)
          : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
      complete: (value) => this._panel(value, false),
      error: (error) =>
        isNetworkUnavailable(error)
          ? html`<ts-panel heading=${heading}>
              <p class="unavailable" data-testid="discovery-unavailable">
                Link discovery is not available on this server.
              </p>
            </ts-panel>`
          : networkErrorPanel(heading, error, () => void this._task.run()),
    })}
    ${this._renderDialog()}`;
  }

  private _deviceName(loaded: Loaded, deviceId: string): string {
    return loaded.topology?.devices.find((d) => d.id === deviceId)?.name ?? deviceId;
  }

  private _panel(loaded: Loaded, busy: boolean) {
    const columns: DataTableColumn<LinkProposal>[] = [
      {
        id: 'a',
        title: 'End A',
        render: (p) =>
          html`<span class="cell-stack"
            ><span>${this._deviceName(loaded, p.a.deviceId)}</span
            ><span class="cell-sub mono">${p.a.ifName} (ifIndex ${p.a.ifIndex})</span></span
          >`,
      },
      {
        id: 'b',
        title: 'End B',
        render: (p) =>
          html`<span class="cell-stack"
            ><span>${this._deviceName(loaded, p.b.deviceId)}</span
            ><span class="cell-sub mono">${p.b.ifName} (ifIndex ${p.b.ifIndex})</span></span
          >`,
      },
      {
        id: 'seen',
        title: 'Seen',
        sortValue: (p) => -Date.parse(p.seenAt),
        render: (p) => html`<span title=${formatDateTime(p.seenAt)}>${formatRelativeTime(p.seenAt)}</span>`,
      },
      {
        id: 'actions',
        title: '',
        align: 'end',
        render: (p) =>
          html`<span class="actions">
            ${this._rowError.has(p.id) ? html`<span class="row-error">${this._rowError.get(p.id)}</span>` : nothing}
            <button
              class="btn primary"
              type="button"
              data-testid="proposal-accept"
              @click=${() => this._open(p)}
            >
              Accept…
            </button>
            <button class="btn" type="button" data-testid="proposal-dismiss" @click=${() => this._dismiss(p)}>
              Dismiss
            </button>
          </span>`,
      },
    ];
    return html`<ts-panel heading="Discovered links" ?busy=${busy}>
      <span slot="meta">LLDP neighbours not yet known as links · ${loaded.proposals.length} proposed</span>
      <ts-data-table
        caption="Discovered links"
        .columns=${columns}
        .rows=${loaded.proposals}
        .rowKey=${(p: LinkProposal) => p.id}
        .rowAttributes=${(p: LinkProposal) => ({ 'data-testid': 'proposal-row', 'data-proposal-id': p.id })}
        emptyMessage="Discovery has nothing new to propose."
      ></ts-data-table>
    </ts-panel>`;
  }

  private _renderDialog() {
    const proposal = this._accepting;
    const loaded = this._task.value;
    const units = loaded?.topology?.orgUnits ?? [];
    const deviceUnit = (deviceId: string | undefined) =>
      loaded?.topology?.devices.find((d) => d.id === deviceId)?.orgUnitId;
    // The lower of the two ends' org units is the likely owner of the link.
    const depth = (id: string | undefined): number => {
      let n = 0;
      let unit = units.find((u) => u.id === id);
      while (unit?.parentId && n < 10) {
        unit = units.find((u) => u.id === unit?.parentId);
        n += 1;
      }
      return n;
    };
    const aUnit = deviceUnit(proposal?.a.deviceId);
    const bUnit = deviceUnit(proposal?.b.deviceId);
    const owner = depth(bUnit) > depth(aUnit) ? bUnit : (aUnit ?? bUnit);
    const ownerLevel = units.find((u) => u.id === owner)?.level;
    return html`<dialog @close=${this._onClose} aria-labelledby="accept-title">
      ${
        proposal && loaded
          ? html`<form @submit=${this._onSubmit} data-testid="proposal-form">
              <h3 id="accept-title">Accept discovered link</h3>
              <p class="ends">
                ${this._deviceName(loaded, proposal.a.deviceId)} ${proposal.a.ifName} ↔
                ${this._deviceName(loaded, proposal.b.deviceId)} ${proposal.b.ifName}
              </p>
              <label for="level">Level</label>
              <select id="level" name="level">
                ${linkLevels.map(
                  (l) => html`<option value=${l} ?selected=${l === guessLevel(ownerLevel)}>${l}</option>`,
                )}
              </select>
              <label for="role">Role</label>
              <select id="role" name="role">
                ${linkRoles.map((r) => html`<option value=${r}>${r}</option>`)}
              </select>
              <label for="plane">Plane</label>
              <select id="plane" name="plane">
                ${planes.map((p) => html`<option value=${p}>${p}</option>`)}
              </select>
              <label for="pairId">Pair id</label>
              <input id="pairId" name="pairId" placeholder="optional, shared with its partner link" />
              <label for="orgUnitId">Org unit</label>
              ${
                units.length > 0
                  ? html`<select id="orgUnitId" name="orgUnitId" required>
                      ${units.map(
                        (u) =>
                          html`<option value=${u.id} ?selected=${u.id === owner}>
                            ${u.name} (${u.level})
                          </option>`,
                      )}
                    </select>`
                  : html`<input id="orgUnitId" name="orgUnitId" required placeholder="org unit id" />`
              }
              ${this._formError ? html`<p class="form-error" role="alert">${this._formError}</p>` : nothing}
              <div class="buttons">
                <button class="btn" type="button" @click=${() => this._dialog?.close()}>Cancel</button>
                <button
                  class="btn primary"
                  type="submit"
                  ?disabled=${this._saving}
                  data-testid="proposal-submit"
                >
                  ${this._saving ? 'Accepting…' : 'Accept link'}
                </button>
              </div>
            </form>`
          : nothing
      }
    </dialog>`;
  }

  private async _open(proposal: LinkProposal) {
    this._accepting = proposal;
    this._formError = '';
    await this.updateComplete;
    this._dialog?.showModal();
  }

  private _onClose() {
    this._accepting = undefined;
  }

  private async _onSubmit(event: SubmitEvent) {
    event.preventDefault();
    const proposal = this._accepting;
    if (!proposal) return;
    const data = new FormData(event.target as HTMLFormElement);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    const body: AcceptProposal = {
      level: text('level') as LinkLevel,
      role: text('role') as LinkRole,
      plane: text('plane') as Plane,
      orgUnitId: text('orgUnitId'),
      ...(text('pairId') ? { pairId: text('pairId') } : {}),
    };
    this._saving = true;
    this._formError = '';
    try {
      await acceptProposal(proposal.id, body);
      this._dialog?.close();
      this.dispatchEvent(new CustomEvent<void>('ts-proposal-accepted', { bubbles: true, composed: true }));
      void this._task.run();
    } catch (error) {
      this._formError = errorMessage(error);
    } finally {
      this._saving = false;
    }
  }

  private async _dismiss(proposal: LinkProposal) {
    try {
      await dismissProposal(proposal.id);
      void this._task.run();
    } catch (error) {
      this._rowError = new Map(this._rowError).set(proposal.id, errorMessage(error));
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-discovery-panel': TsDiscoveryPanel;
  }
  interface HTMLElementEventMap {
    'ts-proposal-accepted': CustomEvent<void>;
  }
}
