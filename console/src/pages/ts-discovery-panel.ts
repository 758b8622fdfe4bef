import { LitElement, css, html, nothing } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { errorText } from '../data/error-text.js';
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
import { orgUnitLevelText } from '../data/org-units.js';
import { formatCount, formatDateTime, formatRelativeTime } from '../common/format.js';
import { linkLevelText, linkRoleText, planeText } from '../common/link-style.js';
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
@localized()
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

  /** The error of the last accept, shown in the user's language (null when none). */
  @state() private _formError: unknown = null;

  @state() private _rowError = new Map<string, unknown>();

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
    const heading = msg('Discovered links', { id: 'discovery.heading' });
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
                ${msg('Link discovery is not available on this server.', { id: 'discovery.unavailable' })}
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
        title: msg('End A', { id: 'discovery.col.endA' }),
        render: (p) =>
          html`<span class="cell-stack"
            ><span>${this._deviceName(loaded, p.a.deviceId)}</span
            ><span class="cell-sub mono">${this._interfaceText(p.a.ifName, p.a.ifIndex)}</span></span
          >`,
      },
      {
        id: 'b',
        title: msg('End B', { id: 'discovery.col.endB' }),
        render: (p) =>
          html`<span class="cell-stack"
            ><span>${this._deviceName(loaded, p.b.deviceId)}</span
            ><span class="cell-sub mono">${this._interfaceText(p.b.ifName, p.b.ifIndex)}</span></span
          >`,
      },
      {
        id: 'seen',
        title: msg('Seen', { id: 'discovery.col.seen' }),
        sortValue: (p) => -Date.parse(p.seenAt),
        render: (p) => html`<span title=${formatDateTime(p.seenAt)}>${formatRelativeTime(p.seenAt)}</span>`,
      },
      {
        id: 'actions',
        title: msg('Actions', { id: 'discovery.col.actions' }),
        align: 'end',
        render: (p) =>
          html`<span class="actions">
            ${this._rowError.has(p.id) ? html`<span class="row-error">${errorText(this._rowError.get(p.id))}</span>` : nothing}
            <button
              class="btn primary"
              type="button"
              data-testid="proposal-accept"
              @click=${() => this._open(p)}
            >
              ${msg('Accept…', { id: 'discovery.accept' })}
            </button>
            <button class="btn" type="button" data-testid="proposal-dismiss" @click=${() => this._dismiss(p)}>
              ${msg('Dismiss', { id: 'discovery.dismiss' })}
            </button>
          </span>`,
      },
    ];
    const heading = msg('Discovered links', { id: 'discovery.heading' });
    const proposed = formatCount(loaded.proposals.length);
    return html`<ts-panel heading=${heading} ?busy=${busy}>
      <span slot="meta"
        >${msg(str`LLDP neighbours not yet known as links · ${proposed} proposed`, { id: 'discovery.meta' })}</span
      >
      <ts-data-table
        caption=${heading}
        .columns=${columns}
        .rows=${loaded.proposals}
        .rowKey=${(p: LinkProposal) => p.id}
        .rowAttributes=${(p: LinkProposal) => ({ 'data-testid': 'proposal-row', 'data-proposal-id': p.id })}
        emptyMessage=${msg('Discovery has nothing new to propose.', { id: 'discovery.empty' })}
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
              <h3 id="accept-title">${msg('Accept discovered link', { id: 'discovery.form.heading' })}</h3>
              <p class="ends">
                ${this._deviceName(loaded, proposal.a.deviceId)} ${proposal.a.ifName} ↔
                ${this._deviceName(loaded, proposal.b.deviceId)} ${proposal.b.ifName}
              </p>
              <label for="level">${msg('Level', { id: 'discovery.form.level' })}</label>
              <select id="level" name="level">
                ${linkLevels.map(
                  (l) =>
                    html`<option value=${l} ?selected=${l === guessLevel(ownerLevel)}>
                      ${linkLevelText(l)}
                    </option>`,
                )}
              </select>
              <label for="role">${msg('Role', { id: 'discovery.form.role' })}</label>
              <select id="role" name="role">
                ${linkRoles.map((r) => html`<option value=${r}>${linkRoleText(r)}</option>`)}
              </select>
              <label for="plane">${msg('Plane', { id: 'discovery.form.plane' })}</label>
              <select id="plane" name="plane">
                ${planes.map((p) => html`<option value=${p}>${planeText(p)}</option>`)}
              </select>
              <label for="pairId">${msg('Pair id', { id: 'discovery.form.pairId' })}</label>
              <input
                id="pairId"
                name="pairId"
                placeholder=${msg('optional, shared with its partner link', { id: 'discovery.form.pairIdHint' })}
              />
              <label for="orgUnitId">${msg('Org unit', { id: 'discovery.form.orgUnit' })}</label>
              ${
                units.length > 0
                  ? html`<select id="orgUnitId" name="orgUnitId" required>
                      ${units.map(
                        (u) =>
                          html`<option value=${u.id} ?selected=${u.id === owner}>
                            ${this._unitOption(u.name, u.level)}
                          </option>`,
                      )}
                    </select>`
                  : html`<input
                      id="orgUnitId"
                      name="orgUnitId"
                      required
                      placeholder=${msg('org unit id', { id: 'discovery.form.orgUnitIdHint' })}
                    />`
              }
              ${this._formError !== null ? html`<p class="form-error" role="alert">${errorText(this._formError)}</p>` : nothing}
              <div class="buttons">
                <button class="btn" type="button" @click=${() => this._dialog?.close()}>
                  ${msg('Cancel', { id: 'discovery.form.cancel' })}
                </button>
                <button
                  class="btn primary"
                  type="submit"
                  ?disabled=${this._saving}
                  data-testid="proposal-submit"
                >
                  ${
                    this._saving
                      ? msg('Accepting…', { id: 'discovery.form.submitting' })
                      : msg('Accept link', { id: 'discovery.form.submit' })
                  }
                </button>
              </div>
            </form>`
          : nothing
      }
    </dialog>`;
  }

  private _interfaceText(ifName: string, ifIndex: number): string {
    return msg(str`${ifName} (ifIndex ${ifIndex})`, { id: 'discovery.interface' });
  }

  private _unitOption(name: string, level: string): string {
    const levelText = orgUnitLevelText(level);
    return msg(str`${name} (${levelText})`, { id: 'discovery.form.orgUnitOption' });
  }

  private async _open(proposal: LinkProposal) {
    this._accepting = proposal;
    this._formError = null;
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
    this._formError = null;
    try {
      await acceptProposal(proposal.id, body);
      this._dialog?.close();
      this.dispatchEvent(new CustomEvent<void>('ts-proposal-accepted', { bubbles: true, composed: true }));
      void this._task.run();
    } catch (error) {
      this._formError = error;
    } finally {
      this._saving = false;
    }
  }

  private async _dismiss(proposal: LinkProposal) {
    try {
      await dismissProposal(proposal.id);
      void this._task.run();
    } catch (error) {
      this._rowError = new Map(this._rowError).set(proposal.id, error);
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
