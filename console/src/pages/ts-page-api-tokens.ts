import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { actionErrorMessage } from '../data/api.js';
import { errorText } from '../data/error-text.js';
import { canManage } from '../data/auth.js';
import type { User } from '../data/auth.js';
import {
  apiTokenState,
  createApiToken,
  fetchApiTokens,
  metricsExamples,
  revokeApiToken,
} from '../data/tokens.js';
import type { ApiToken, CreatedApiToken } from '../data/tokens.js';
import { formatCount, formatDateTime, formatRelativeTime, formatTimeFromNow } from '../common/format.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { DataTableColumn } from '../components/ts-data-table.js';
import type { TsConfirmDialog } from '../components/ts-confirm-dialog.js';
import '../components/ts-confirm-dialog.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';
import '../components/ts-secret-box.js';
import '../components/ts-status-badge.js';

/**
 * The signed-in user's API tokens, which act as that user from scripts and from Prometheus on
 * `/metrics`: list, create (the secret is shown once) and revoke.
 */
@localized()
@customElement('ts-page-api-tokens')
export class TsPageApiTokens extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    css`
      ts-panel {
        --ts-panel-padding: 0;
        margin-bottom: 16px;
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
        display: flex;
        flex-wrap: wrap;
        align-items: end;
        gap: 10px 16px;
      }
      label {
        display: block;
        color: var(--ts-text-muted);
        font-size: 12px;
        font-weight: 600;
      }
      input {
        display: block;
        width: 240px;
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
      input[type='number'] {
        width: 150px;
      }
      .error {
        flex-basis: 100%;
        margin: 0;
        color: var(--ts-bad);
      }
      .error:empty,
      .row-error:empty {
        display: none;
      }
      .row-error {
        margin: 0;
        padding: 8px 14px;
        color: var(--ts-bad);
        border-bottom: 1px solid var(--ts-border);
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
      .note {
        margin: 0;
        padding: 10px 14px;
        border-bottom: 1px solid var(--ts-border);
      }
      .btn.small {
        height: 22px;
        padding: 0 8px;
        font-size: 12px;
      }
    `,
  ];

  /** The signed-in user; creating and revoking are offered only to roles that may manage. */
  @property({ attribute: false }) user?: User;

  @state() private _submitting = false;

  /** Problems are kept as functions that word them, so that they follow a language switch. */
  @state() private _formError?: () => string;

  @state() private _actionError?: () => string;

  /** The token just created; its secret lives only here, until the user dismisses it. */
  @state() private _created?: CreatedApiToken;

  @state() private _now = Date.now();

  @query('ts-confirm-dialog') private _confirm!: TsConfirmDialog;

  private readonly _task = new Task<[], ApiToken[]>(this, {
    task: async (_args, { signal }) => (await fetchApiTokens(signal)).items,
    args: () => [],
  });

  override disconnectedCallback() {
    super.disconnectedCallback();
    this._created = undefined;
  }

  override render() {
    return html`
      <div class="page-header">
        <h1>${msg('API tokens', { id: 'apiTokens.heading' })}</h1>
        <span class="muted"
          >${msg('Tokens that act as you from scripts and from Prometheus', { id: 'apiTokens.subtitle' })}</span
        >
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value
            ? this._panel(this._task.value, true)
            : html`<ts-panel
                heading=${msg('Your API tokens', { id: 'apiTokens.panel.heading' })}
                state="loading"
              ></ts-panel>`,
        complete: (tokens) => this._panel(tokens, false),
        error: (error) =>
          html`<ts-panel
            heading=${msg('Your API tokens', { id: 'apiTokens.panel.heading' })}
            state="error"
            .error=${errorText(error)}
            @ts-retry=${() => this._task.run()}
          ></ts-panel>`,
      })}
      <ts-confirm-dialog></ts-confirm-dialog>
    `;
  }

  private _panel(tokens: ApiToken[], busy: boolean) {
    const sorted = [...tokens].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
    const canWrite = canManage(this.user);
    const count = formatCount(tokens.length);
    return html`<ts-panel heading=${msg('Your API tokens', { id: 'apiTokens.panel.heading' })} ?busy=${busy}>
      <span slot="meta"
        >${
          tokens.length === 1
            ? msg(str`${count} token`, { id: 'apiTokens.count.one' })
            : msg(str`${count} tokens`, { id: 'apiTokens.count.other' })
        }</span
      >
      ${
        canWrite
          ? this._form()
          : html`<p class="note muted">
              ${msg(
                'Your roles do not allow creating API tokens here. Ask an administrator if a script needs one.',
                {
                  id: 'apiTokens.notAllowed',
                },
              )}
            </p>`
      }
      ${this._created ? this._result(this._created) : nothing}
      <p class="row-error" role="alert">${this._actionError?.() ?? ''}</p>
      <ts-data-table
        caption=${msg('Your API tokens', { id: 'apiTokens.panel.heading' })}
        .columns=${this._columns(canWrite)}
        .rows=${sorted}
        .rowKey=${(t: ApiToken) => t.id}
        .rowAttributes=${(t: ApiToken) => ({
          'data-testid': 'api-token-row',
          'data-state': apiTokenState(t, this._now),
          'data-name': t.name,
        })}
        emptyMessage=${msg('You have no API tokens.', { id: 'apiTokens.empty' })}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _form() {
    return html`<section class="section" aria-labelledby="api-token-heading">
      <h3 id="api-token-heading">${msg('Create an API token', { id: 'apiTokens.form.heading' })}</h3>
      <form @submit=${this._submit}>
        <label
          >${msg('Name', { id: 'apiTokens.form.name' })}
          <input
            type="text"
            name="name"
            required
            maxlength="200"
            autocomplete="off"
            placeholder=${msg('e.g. prometheus', { id: 'apiTokens.form.namePlaceholder' })}
            data-testid="api-token-name"
        /></label>
        <label
          >${msg('Expires in (days, optional)', { id: 'apiTokens.form.expires' })}
          <input
            type="number"
            name="expiresInDays"
            min="1"
            max="3650"
            step="1"
            data-testid="api-token-expires"
        /></label>
        <button
          class="btn primary"
          type="submit"
          data-testid="api-token-submit"
          ?disabled=${this._submitting}
        >
          ${
            this._submitting
              ? msg('Creating…', { id: 'apiTokens.form.creating' })
              : msg('Create token', { id: 'apiTokens.form.submit' })
          }
        </button>
        <p class="error" role="alert">${this._formError?.() ?? ''}</p>
      </form>
    </section>`;
  }

  private _result(created: CreatedApiToken) {
    const examples = metricsExamples(window.location.origin, created.token);
    return html`<section class="section result" aria-labelledby="api-token-result-heading">
      <h3 id="api-token-result-heading" tabindex="-1">
        ${msg(str`API token “${created.name}” created`, { id: 'apiTokens.created.heading' })}
      </h3>
      <p class="warning">${this._createdWarning(created)}</p>
      <ts-secret-box
        label=${msg('API token', { id: 'apiTokens.created.token' })}
        .text=${created.token}
        codeTestId="api-token-secret"
      ></ts-secret-box>
      <p>
        ${msg(
          html`Send it as <span class="mono">authorization: Bearer …</span>, for example to read
            <span class="mono">/metrics</span>:`,
          { id: 'apiTokens.created.howTo' },
        )}
      </p>
      <ts-secret-box
        label=${msg('curl command', { id: 'apiTokens.created.curl' })}
        .text=${examples.curl}
      ></ts-secret-box>
      <p>${msg('or from a Prometheus scrape job:', { id: 'apiTokens.created.prometheusIntro' })}</p>
      <ts-secret-box
        label=${msg('Prometheus scrape job (prometheus.yml)', { id: 'apiTokens.created.prometheus' })}
        .text=${examples.prometheus}
      ></ts-secret-box>
      <button class="btn" type="button" @click=${() => (this._created = undefined)}>
        ${msg('Done, I have copied it', { id: 'apiTokens.created.done' })}
      </button>
    </section>`;
  }

  private _createdWarning(created: CreatedApiToken) {
    if (!created.expiresAt) {
      return msg(
        html`<strong>Copy the token now: it will not be shown again.</strong> It acts as you, with your roles
          and org-unit scope, until it is revoked.`,
        { id: 'apiTokens.created.warning' },
      );
    }
    const expires = formatDateTime(created.expiresAt);
    return msg(
      html`<strong>Copy the token now: it will not be shown again.</strong> It acts as you, with your roles
        and org-unit scope, until it expires (${expires}).`,
      { id: 'apiTokens.created.warningExpires' },
    );
  }

  private _columns(canWrite: boolean): DataTableColumn<ApiToken>[] {
    const time = (value: string | null) =>
      html`<span title=${formatDateTime(value)}>${formatRelativeTime(value, this._now)}</span>`;
    const columns: DataTableColumn<ApiToken>[] = [
      {
        id: 'name',
        title: msg('Name', { id: 'apiTokens.column.name' }),
        sortValue: (t) => t.name,
        render: (t) => t.name,
      },
      {
        id: 'prefix',
        title: msg('Token', { id: 'apiTokens.column.token' }),
        render: (t) =>
          html`<span
            class="mono"
            title=${msg('The start of the secret', { id: 'apiTokens.column.tokenTitle' })}
            >${t.prefix}…</span
          >`,
      },
      {
        id: 'state',
        title: msg('State', { id: 'apiTokens.column.state' }),
        sortValue: (t) => apiTokenState(t, this._now),
        render: (t) => html`<ts-status-badge .status=${apiTokenState(t, this._now)}></ts-status-badge>`,
      },
      {
        id: 'created',
        title: msg('Created', { id: 'apiTokens.column.created' }),
        sortValue: (t) => t.createdAt,
        render: (t) => time(t.createdAt),
      },
      {
        id: 'used',
        title: msg('Last used', { id: 'apiTokens.column.lastUsed' }),
        sortValue: (t) => t.lastUsedAt ?? '',
        render: (t) => time(t.lastUsedAt),
      },
      {
        id: 'expires',
        title: msg('Expires', { id: 'apiTokens.column.expires' }),
        sortValue: (t) => t.expiresAt ?? '9999',
        render: (t) =>
          t.expiresAt
            ? html`<span title=${formatDateTime(t.expiresAt)}
                >${formatTimeFromNow(t.expiresAt, this._now)}</span
              >`
            : msg('never', { id: 'apiTokens.column.neverExpires' }),
      },
    ];
    if (canWrite) {
      columns.push({
        id: 'actions',
        title: msg('Actions', { id: 'apiTokens.column.actions' }),
        render: (t) =>
          apiTokenState(t, this._now) === 'revoked'
            ? nothing
            : html`<button
                class="btn small"
                type="button"
                data-testid="api-token-revoke"
                aria-label=${msg(str`Revoke API token ${t.name}`, { id: 'apiTokens.revoke.label' })}
                @click=${() => this._revoke(t)}
              >
                ${msg('Revoke', { id: 'apiTokens.revoke.button' })}
              </button>`,
      });
    }
    return columns;
  }

  private async _submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const days = String(data.get('expiresInDays') ?? '').trim();
    this._submitting = true;
    this._formError = undefined;
    try {
      this._created = await createApiToken({
        name: String(data.get('name') ?? '').trim(),
        ...(days ? { expiresInDays: Number(days) } : {}),
      });
      form.reset();
      this._now = Date.now();
      void this._task.run();
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('#api-token-result-heading')?.focus();
    } catch (error) {
      this._formError = () => actionErrorMessage(error);
    } finally {
      this._submitting = false;
    }
  }

  private async _revoke(token: ApiToken) {
    const { name, prefix } = token;
    const confirmed = await this._confirm.ask({
      heading: msg('Revoke API token?', { id: 'apiTokens.revoke.heading' }),
      message: msg(str`Scripts and scrapers using “${name}” (${prefix}…) will be refused from now on.`, {
        id: 'apiTokens.revoke.message',
      }),
      confirmLabel: msg('Revoke token', { id: 'apiTokens.revoke.confirm' }),
    });
    if (!confirmed) return;
    this._actionError = undefined;
    try {
      await revokeApiToken(token.id);
    } catch (error) {
      this._actionError = () =>
        msg(str`Could not revoke “${name}”: ${actionErrorMessage(error)}`, { id: 'apiTokens.revoke.failed' });
    }
    this._now = Date.now();
    void this._task.run();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-api-tokens': TsPageApiTokens;
  }
}
