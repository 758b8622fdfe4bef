import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { actionErrorMessage } from '../data/api.js';
import { errorText } from '../data/error-text.js';
import {
  createEnrolmentToken,
  enrolCommands,
  enrolmentTokenState,
  enrolmentTokenStateLabel,
  fetchEnrolmentTokens,
  revokeEnrolmentToken,
} from '../data/enrolment.js';
import type { CreatedEnrolmentToken, EnrolmentRole, EnrolmentToken } from '../data/enrolment.js';
import { agentRoleLabel } from '../data/agents.js';
import { orgUnitNames, orgUnitOptions } from '../data/org-units.js';
import type { OrgUnit } from '../data/org-units.js';
import { formatDateTime, formatRelativeTime, formatTimeFromNow } from '../common/format.js';
import { sharedStyles } from '../common/styles.js';
import type { DataTableColumn } from '../components/ts-data-table.js';
import type { TsConfirmDialog } from '../components/ts-confirm-dialog.js';
import '../components/ts-confirm-dialog.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';
import '../components/ts-secret-box.js';
import '../components/ts-status-badge.js';

/** The roles the form offers, with what each one makes the agent do. */
const roleChoices = (): { role: EnrolmentRole; hint: string }[] => [
  {
    role: 'host',
    hint: msg('reports this machine’s CPU, memory, load, disks and network', {
      id: 'enrolment.role.hostHint',
    }),
  },
  {
    role: 'edge',
    hint: msg('polls the org unit’s routers and switches over SNMP', { id: 'enrolment.role.edgeHint' }),
  },
];

/**
 * Enrolment tokens of the caller's subtree, the form that creates one (`enrol-open`) and the secret of
 * the token just created, shown once with the commands that enrol and run the agent.
 */
@localized()
@customElement('ts-enrolment-tokens')
export class TsEnrolmentTokens extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      ts-panel {
        --ts-panel-padding: 0;
      }
      .section {
        padding: 12px 14px 14px;
        border-bottom: 1px solid var(--ts-border);
      }
      h3 {
        margin: 0 0 10px;
        font-size: 14px;
        font-weight: 600;
      }
      h3:focus {
        outline: none;
      }
      form {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(210px, 1fr));
        gap: 10px 16px;
        align-items: start;
      }
      label,
      legend {
        display: block;
        color: var(--ts-text-muted);
        font-size: 12px;
        font-weight: 600;
      }
      input[type='text'],
      input[type='number'],
      select {
        display: block;
        width: 100%;
        height: 28px;
        margin-top: 3px;
        padding: 0 8px;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        background: var(--ts-surface);
        color: var(--ts-text);
        font: inherit;
        font-weight: 400;
      }
      fieldset {
        margin: 0;
        padding: 0;
        border: 0;
      }
      .check {
        display: flex;
        gap: 6px;
        margin-top: 4px;
        color: var(--ts-text);
        font-weight: 400;
      }
      .check .muted {
        font-size: 12px;
      }
      .buttons {
        grid-column: 1 / -1;
        display: flex;
        gap: 8px;
      }
      .error {
        grid-column: 1 / -1;
        margin: 0;
        color: var(--ts-bad);
      }
      .error:empty {
        display: none;
      }
      .warning {
        margin: 0 0 10px;
        padding: 8px 10px;
        border-left: 3px solid var(--ts-warn);
        background: var(--ts-warn-soft);
      }
      .result ts-secret-box {
        margin-bottom: 10px;
      }
      .result p {
        margin: 0 0 6px;
      }
      .row-error {
        margin: 0;
        padding: 8px 14px;
        color: var(--ts-bad);
        border-bottom: 1px solid var(--ts-border);
      }
      .row-error:empty {
        display: none;
      }
      .btn.small {
        height: 22px;
        padding: 0 8px;
        font-size: 12px;
      }
    `,
  ];

  /** Whether the user may create and revoke tokens. */
  @property({ type: Boolean }) canWrite = false;

  /** The org units the user can see, for the picker and the table; undefined while loading. */
  @property({ attribute: false }) orgUnits?: OrgUnit[];

  /** The org unit the picker starts on, normally the user's own. */
  @property() defaultOrgUnitId = '';

  @state() private _formOpen = false;

  @state() private _submitting = false;

  /** Problems are kept as functions that word them, so that they follow a language switch. */
  @state() private _formError?: () => string;

  @state() private _actionError?: () => string;

  /** The token just created; its secret lives only here, until the user dismisses it. */
  @state() private _created?: CreatedEnrolmentToken;

  @state() private _now = Date.now();

  @query('ts-confirm-dialog') private _confirm!: TsConfirmDialog;

  private _clock?: number;

  private readonly _task = new Task<[], EnrolmentToken[]>(this, {
    task: async (_args, { signal }) => (await fetchEnrolmentTokens(signal)).items,
    args: () => [],
  });

  override connectedCallback() {
    super.connectedCallback();
    this._clock = window.setInterval(() => (this._now = Date.now()), 30_000);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.clearInterval(this._clock);
    this._created = undefined;
  }

  override render() {
    const heading = msg('Enrolment tokens', { id: 'enrolment.heading' });
    return html`${this._task.render({
        pending: () =>
          this._task.value
            ? this._panel(this._task.value, true)
            : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
        complete: (tokens) => this._panel(tokens, false),
        error: (error) =>
          html`<ts-panel
            heading=${heading}
            state="error"
            .error=${errorText(error)}
            @ts-retry=${() => this._task.run()}
          ></ts-panel>`,
      })} <ts-confirm-dialog></ts-confirm-dialog>`;
  }

  private _panel(tokens: EnrolmentToken[], busy: boolean) {
    const sorted = [...tokens].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    return html`<ts-panel heading=${msg('Enrolment tokens', { id: 'enrolment.heading' })} ?busy=${busy}>
      <span slot="meta"
        >${msg('Single-purpose secrets that let an agent enrol into an org unit', { id: 'enrolment.meta' })}</span
      >
      ${
        this.canWrite
          ? html`<button
              slot="actions"
              class="btn primary"
              type="button"
              data-testid="enrol-open"
              aria-expanded=${this._formOpen ? 'true' : 'false'}
              aria-controls="enrol-form"
              @click=${this._toggleForm}
            >
              ${msg('Enrol an agent', { id: 'enrolment.open' })}
            </button>`
          : nothing
      }
      ${this._formOpen ? this._form() : nothing} ${this._created ? this._result(this._created) : nothing}
      <p class="row-error" role="alert">${this._actionError?.() ?? ''}</p>
      <ts-data-table
        caption=${msg('Enrolment tokens', { id: 'enrolment.heading' })}
        .columns=${this._columns()}
        .rows=${sorted}
        .rowKey=${(t: EnrolmentToken) => t.id}
        .rowAttributes=${(t: EnrolmentToken) => ({
          'data-testid': 'enrolment-token-row',
          'data-state': enrolmentTokenState(t, this._now),
          'data-name': t.name,
        })}
        emptyMessage=${msg('No enrolment tokens yet.', { id: 'enrolment.empty' })}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _form() {
    const options = this.orgUnits ? orgUnitOptions(this.orgUnits) : undefined;
    const selected =
      options?.find((o) => o.id === this.defaultOrgUnitId)?.id ?? options?.[0]?.id ?? this.defaultOrgUnitId;
    return html`<section class="section" aria-labelledby="enrol-heading">
      <h3 id="enrol-heading">${msg('Enrol an agent', { id: 'enrolment.open' })}</h3>
      <form id="enrol-form" @submit=${this._submit}>
        <label
          >${msg('Name', { id: 'enrolment.form.name' })}
          <input
            type="text"
            name="name"
            required
            maxlength="200"
            autocomplete="off"
            placeholder=${msg('e.g. Chengdu web servers', { id: 'enrolment.form.namePlaceholder' })}
            data-testid="enrol-name"
        /></label>
        <label
          >${msg('Org unit', { id: 'enrolment.form.orgUnit' })}
          <select name="orgUnitId" required data-testid="enrol-org-unit" ?disabled=${!options}>
            ${
              options
                ? options.map(
                    (o) => html`<option value=${o.id} ?selected=${o.id === selected}>${o.label}</option>`,
                  )
                : html`<option value="">
                    ${msg('Loading org units…', { id: 'enrolment.form.orgUnitsLoading' })}
                  </option>`
            }
          </select></label
        >
        <fieldset>
          <legend>${msg('Roles', { id: 'enrolment.form.roles' })}</legend>
          ${roleChoices().map(
            ({ role, hint }) =>
              html`<label class="check"
                ><input
                  type="checkbox"
                  name="roles"
                  value=${role}
                  ?checked=${role === 'host'}
                  data-testid="enrol-role-${role}"
                />
                <span>${agentRoleLabel(role)} <span class="muted">— ${hint}</span></span></label
              >`,
          )}
        </fieldset>
        <label
          >${msg('Max uses', { id: 'enrolment.form.maxUses' })}
          <input
            type="number"
            name="maxUses"
            required
            min="1"
            max="100000"
            step="1"
            value="1"
            data-testid="enrol-max-uses"
        /></label>
        <label
          >${msg('Expires in (hours)', { id: 'enrolment.form.expires' })}
          <input
            type="number"
            name="expiresInHours"
            required
            min="0.01"
            max="8760"
            step="any"
            value="24"
            data-testid="enrol-expires"
        /></label>
        <p class="error" role="alert">${this._formError?.() ?? ''}</p>
        <div class="buttons">
          <button class="btn primary" type="submit" data-testid="enrol-submit" ?disabled=${this._submitting}>
            ${
              this._submitting
                ? msg('Creating…', { id: 'enrolment.form.creating' })
                : msg('Create enrolment token', { id: 'enrolment.form.submit' })
            }
          </button>
          <button class="btn" type="button" @click=${this._toggleForm}>
            ${msg('Cancel', { id: 'enrolment.form.cancel' })}
          </button>
        </div>
      </form>
    </section>`;
  }

  private _result(created: CreatedEnrolmentToken) {
    const commands = enrolCommands(window.location.origin, created.token, created.roles);
    return html`<section class="section result" aria-labelledby="enrol-result-heading">
      <h3 id="enrol-result-heading" tabindex="-1">
        ${msg(str`Enrolment token “${created.name}” created`, { id: 'enrolment.created.heading' })}
      </h3>
      <p class="warning">
        ${msg(
          html`<strong>Copy the token now: it will not be shown again.</strong> Anyone holding it can enrol an
            agent into this org unit until it expires, is used up or is revoked.`,
          { id: 'enrolment.created.warning' },
        )}
      </p>
      <ts-secret-box
        label=${msg('Enrolment token', { id: 'enrolment.created.token' })}
        .text=${created.token}
        codeTestId="enrol-secret"
      ></ts-secret-box>
      <p>
        ${msg('On the host, enrol once, then run the agent (usually from a service manager):', {
          id: 'enrolment.created.commandsIntro',
        })}
      </p>
      <ts-secret-box
        label=${msg('Commands', { id: 'enrolment.created.commands' })}
        .text=${commands.join('\n')}
        codeTestId="enrol-commands"
      ></ts-secret-box>
      <button class="btn" type="button" @click=${this._dismissResult}>
        ${msg('Done, I have copied it', { id: 'enrolment.created.done' })}
      </button>
    </section>`;
  }

  private _columns(): DataTableColumn<EnrolmentToken>[] {
    const names = this.orgUnits ? orgUnitNames(this.orgUnits) : undefined;
    const columns: DataTableColumn<EnrolmentToken>[] = [
      {
        id: 'name',
        title: msg('Name', { id: 'enrolment.column.name' }),
        sortValue: (t) => t.name,
        render: (t) => t.name,
      },
      {
        id: 'prefix',
        title: msg('Token', { id: 'enrolment.column.token' }),
        render: (t) =>
          html`<span
            class="mono"
            title=${msg('The start of the secret', { id: 'enrolment.column.tokenTitle' })}
            >${t.prefix}…</span
          >`,
      },
      {
        id: 'org',
        title: msg('Org unit', { id: 'enrolment.column.orgUnit' }),
        sortValue: (t) => names?.get(t.orgUnitId) ?? t.orgUnitId,
        render: (t) => names?.get(t.orgUnitId) ?? t.orgUnitId,
      },
      {
        id: 'roles',
        title: msg('Roles', { id: 'enrolment.column.roles' }),
        render: (t) =>
          html`<span class="chips"
            >${t.roles.map((r) => html`<span class="chip">${agentRoleLabel(r)}</span>`)}</span
          >`,
      },
      {
        id: 'uses',
        title: msg('Uses', { id: 'enrolment.column.uses' }),
        align: 'end',
        sortValue: (t) => t.uses,
        render: (t) => `${t.uses} / ${t.maxUses}`,
      },
      {
        id: 'expires',
        title: msg('Expires', { id: 'enrolment.column.expires' }),
        sortValue: (t) => t.expiresAt,
        render: (t) =>
          html`<span title=${formatDateTime(t.expiresAt)}
            >${formatTimeFromNow(t.expiresAt, this._now)}</span
          >`,
      },
      {
        id: 'state',
        title: msg('State', { id: 'enrolment.column.state' }),
        sortValue: (t) => enrolmentTokenState(t, this._now),
        render: (t) => {
          const state = enrolmentTokenState(t, this._now);
          return html`<ts-status-badge
            .status=${state}
            .label=${enrolmentTokenStateLabel(state)}
          ></ts-status-badge>`;
        },
      },
      {
        id: 'created',
        title: msg('Created', { id: 'enrolment.column.created' }),
        sortValue: (t) => t.createdAt,
        render: (t) =>
          html`<span title=${formatDateTime(t.createdAt)}
            >${formatRelativeTime(t.createdAt, this._now)}</span
          >`,
      },
    ];
    if (this.canWrite) {
      columns.push({
        id: 'actions',
        title: msg('Actions', { id: 'enrolment.column.actions' }),
        render: (t) =>
          enrolmentTokenState(t, this._now) === 'revoked'
            ? nothing
            : html`<button
                class="btn small"
                type="button"
                data-testid="enrolment-token-revoke"
                aria-label=${msg(str`Revoke enrolment token ${t.name}`, { id: 'enrolment.revoke.label' })}
                @click=${() => this._revoke(t)}
              >
                ${msg('Revoke', { id: 'enrolment.revoke.button' })}
              </button>`,
      });
    }
    return columns;
  }

  private async _toggleForm() {
    this._formOpen = !this._formOpen;
    this._formError = undefined;
    await this.updateComplete;
    if (this._formOpen)
      this.renderRoot.querySelector<HTMLInputElement>('[data-testid="enrol-name"]')?.focus();
    else this.renderRoot.querySelector<HTMLElement>('ts-panel [data-testid="enrol-open"]')?.focus();
  }

  private async _submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const roles = data.getAll('roles').filter((r): r is EnrolmentRole => r === 'host' || r === 'edge');
    if (roles.length === 0) {
      this._formError = () => msg('Choose at least one role.', { id: 'enrolment.form.noRole' });
      form.querySelector<HTMLInputElement>('[name="roles"]')?.focus();
      return;
    }
    const orgUnitId = String(data.get('orgUnitId') ?? '');
    if (!orgUnitId) {
      this._formError = () =>
        msg('Choose an org unit; the list has not loaded yet.', { id: 'enrolment.form.noOrgUnit' });
      return;
    }
    this._submitting = true;
    this._formError = undefined;
    try {
      this._created = await createEnrolmentToken({
        name: String(data.get('name') ?? '').trim(),
        orgUnitId,
        roles,
        maxUses: Number(data.get('maxUses')),
        expiresInHours: Number(data.get('expiresInHours')),
      });
      this._formOpen = false;
      void this._task.run();
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('#enrol-result-heading')?.focus();
    } catch (error) {
      this._formError = () => actionErrorMessage(error);
    } finally {
      this._submitting = false;
    }
  }

  private _dismissResult() {
    this._created = undefined;
  }

  private async _revoke(token: EnrolmentToken) {
    const { name, prefix } = token;
    const confirmed = await this._confirm.ask({
      heading: msg('Revoke enrolment token?', { id: 'enrolment.revoke.heading' }),
      message: msg(
        str`“${name}” (${prefix}…) will no longer enrol agents. Agents it already enrolled keep working.`,
        { id: 'enrolment.revoke.message' },
      ),
      confirmLabel: msg('Revoke token', { id: 'enrolment.revoke.confirm' }),
    });
    if (!confirmed) return;
    this._actionError = undefined;
    try {
      await revokeEnrolmentToken(token.id);
    } catch (error) {
      this._actionError = () =>
        msg(str`Could not revoke “${name}”: ${actionErrorMessage(error)}`, { id: 'enrolment.revoke.failed' });
    }
    void this._task.run();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-enrolment-tokens': TsEnrolmentTokens;
  }
}
