import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { Task } from '@lit/task';
import { actionErrorMessage, errorMessage } from '../data/api.js';
import { canManage } from '../data/auth.js';
import type { User } from '../data/auth.js';
import { fetchOrgUnits, orgUnitNames, orgUnitOptions } from '../data/org-units.js';
import type { OrgUnit } from '../data/org-units.js';
import { createPrefix, deletePrefix, fetchPrefixes, nestPrefixes, prefixPurposes } from '../data/prefixes.js';
import type { NestedPrefix, Prefix, PrefixPurpose } from '../data/prefixes.js';
import { formatCount } from '../common/format.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { DataTableColumn } from '../components/ts-data-table.js';
import type { TsConfirmDialog } from '../components/ts-confirm-dialog.js';
import { networkStyles } from './network-panels.js';
import '../components/ts-confirm-dialog.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';
import './ts-credentials-panel.js';

type PurposeFilter = PrefixPurpose | 'all';

/** Every visible string of the page, to move into the message catalogue. */
const text = {
  group: 'Network /',
  title: 'Addresses',
  subtitle: 'IP prefixes delegated down the org units; a prefix is indented under the prefixes that hold it',
  heading: 'IP prefixes',
  caption: 'IP prefixes',
  count: (shown: number, all: number) => `${formatCount(shown)} of ${formatCount(all)}`,
  filterLabel: 'Purpose',
  filterGroup: 'Filter by purpose',
  purposes: {
    all: 'all',
    management: 'management',
    hosts: 'hosts',
    egress: 'egress',
  } satisfies Record<PurposeFilter, string>,
  purposeHints: {
    management: 'routers and switches',
    hosts: 'clouds and servers',
    egress: 'internet egress',
  } satisfies Record<PrefixPurpose, string>,
  empty: 'No IP prefixes are registered in this org unit yet.',
  emptyFiltered: (purpose: string) => `No ${purpose} prefixes.`,
  colPrefix: 'Prefix',
  colPurpose: 'Purpose',
  colOrgUnit: 'Org unit',
  colDescription: 'Description',
  colActions: 'Actions',
  nestedTitle: (depth: number) =>
    `Inside ${depth} listed ${depth === 1 ? 'prefix' : 'prefixes'} of the same purpose`,
  open: 'Delegate a prefix',
  formHeading: 'Delegate a prefix',
  formHint:
    'A prefix lies inside a prefix of the parent org unit (a delegation, made by the unit above) or of its ' +
    'own unit (a subdivision). The control plane checks the placement and says what is wrong.',
  fieldPrefix: 'Prefix',
  fieldPrefixPlaceholder: 'e.g. 10.20.16.0/20',
  fieldOrgUnit: 'Org unit',
  fieldOrgUnitChoose: 'Choose an org unit',
  fieldOrgUnitLoading: 'Loading org units…',
  fieldPurpose: 'Purpose',
  fieldDescription: 'Description (optional)',
  submit: 'Delegate prefix',
  submitting: 'Delegating…',
  cancel: 'Cancel',
  noOrgUnit: 'Choose an org unit.',
  created: (prefix: string, unit: string) => `${prefix} is now registered for ${unit}.`,
  delete: 'Delete',
  deleteLabel: (prefix: string) => `Delete prefix ${prefix}`,
  confirmHeading: 'Delete prefix?',
  confirmMessage: (p: Prefix, unit: string) =>
    `${p.prefix} (${p.purpose}) will no longer belong to ${unit}. The control plane refuses while ` +
    'the prefix still holds other prefixes or management addresses of devices.',
  confirmLabel: 'Delete prefix',
  deleteFailed: (prefix: string, message: string) => `Could not delete ${prefix}: ${message}`,
};

/**
 * The IP prefix registry of the caller's scope, nested by containment and filtered by purpose; for
 * users who may write, a form that delegates a prefix and a delete action per row. Below it, for
 * callers with `network:write`, the SNMP credentials with their grants.
 */
@customElement('ts-page-prefixes')
export class TsPagePrefixes extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    networkStyles,
    css`
      .prefixes {
        --ts-panel-padding: 0;
        margin-bottom: 16px;
      }
      .toolbar {
        display: flex;
        flex-wrap: wrap;
        gap: 6px 14px;
        padding: 8px 12px;
        border-bottom: 1px solid var(--ts-border);
      }
      .section {
        padding: 12px 14px 14px;
        border-bottom: 1px solid var(--ts-border);
      }
      h3 {
        margin: 0 0 4px;
        font-size: 14px;
        font-weight: 600;
      }
      .hint {
        margin: 0 0 10px;
        color: var(--ts-text-muted);
        font-size: 12px;
      }
      form {
        display: grid;
        grid-template-columns: repeat(auto-fill, minmax(210px, 1fr));
        gap: 10px 16px;
        align-items: start;
      }
      label {
        display: block;
        color: var(--ts-text-muted);
        font-size: 12px;
        font-weight: 600;
      }
      input[type='text'],
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
      input[name='prefix'] {
        font-family: var(--ts-font-mono);
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
      .error:empty,
      .row-error:empty,
      .notice:empty {
        display: none;
      }
      .row-error {
        margin: 0;
        padding: 8px 14px;
        color: var(--ts-bad);
        border-bottom: 1px solid var(--ts-border);
      }
      .notice {
        margin: 0;
        padding: 8px 14px;
        border-bottom: 1px solid var(--ts-border);
        background: var(--ts-accent-soft);
      }
      .btn.small {
        height: 22px;
        padding: 0 8px;
        font-size: 12px;
      }
    `,
  ];

  /** The signed-in user; write actions are offered only to roles that may change the inventory. */
  @property({ attribute: false }) user?: User;

  @state() private _purpose: PurposeFilter = 'all';

  @state() private _formOpen = false;

  @state() private _submitting = false;

  @state() private _formError = '';

  @state() private _notice = '';

  @state() private _actionError = '';

  @query('ts-confirm-dialog') private _confirm!: TsConfirmDialog;

  private readonly _task = new Task<[], Prefix[]>(this, {
    task: async (_args, { signal }) => (await fetchPrefixes({}, signal)).items,
    args: () => [],
  });

  /** Org units for names and the picker; without them the table shows ids. */
  private readonly _orgUnitsTask = new Task<[], OrgUnit[]>(this, {
    task: async (_args, { signal }) => (await fetchOrgUnits(signal)).items,
    args: () => [],
  });

  override render() {
    const units = this._orgUnitsTask.value;
    const names = units ? orgUnitNames(units) : undefined;
    return html`
      <div class="page-header">
        <h1><span class="muted">${text.group}</span> ${text.title}</h1>
        <span class="muted">${text.subtitle}</span>
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value
            ? this._panel(this._task.value, names, true)
            : html`<ts-panel class="prefixes" heading=${text.heading} state="loading"></ts-panel>`,
        complete: (prefixes) => this._panel(prefixes, names, false),
        error: (error) =>
          html`<ts-panel
            class="prefixes"
            heading=${text.heading}
            state="error"
            .error=${errorMessage(error)}
            @ts-retry=${() => void this._task.run()}
          ></ts-panel>`,
      })}
      <ts-credentials-panel .orgUnitNames=${names}></ts-credentials-panel>
      <ts-confirm-dialog></ts-confirm-dialog>
    `;
  }

  private get _canWrite(): boolean {
    return canManage(this.user);
  }

  private _panel(prefixes: Prefix[], names: Map<string, string> | undefined, busy: boolean) {
    const counts = new Map<PurposeFilter, number>([['all', prefixes.length]]);
    for (const p of prefixes) counts.set(p.purpose, (counts.get(p.purpose) ?? 0) + 1);
    const shown = this._purpose === 'all' ? prefixes : prefixes.filter((p) => p.purpose === this._purpose);
    const rows = nestPrefixes(shown);
    return html`<ts-panel class="prefixes" heading=${text.heading} ?busy=${busy}>
      <span slot="meta">${text.count(shown.length, prefixes.length)}</span>
      ${
        this._canWrite
          ? html`<button
              slot="actions"
              class="btn primary"
              type="button"
              data-testid="prefix-open"
              aria-expanded=${this._formOpen ? 'true' : 'false'}
              aria-controls="prefix-form"
              @click=${this._toggleForm}
            >
              ${text.open}
            </button>`
          : nothing
      }
      ${this._formOpen ? this._form() : nothing}
      <p class="notice" role="status" data-testid="prefix-notice">${this._notice}</p>
      <p class="row-error" role="alert" data-testid="prefix-action-error">${this._actionError}</p>
      <div class="toolbar">
        <div class="filters" role="group" aria-label=${text.filterGroup}>
          <span class="label">${text.filterLabel}</span>
          ${(['all', ...prefixPurposes] as PurposeFilter[]).map(
            (purpose) =>
              html`<button
                type="button"
                data-testid="prefix-filter"
                data-value=${purpose}
                aria-pressed=${this._purpose === purpose ? 'true' : 'false'}
                @click=${() => (this._purpose = purpose)}
              >
                ${text.purposes[purpose]}<span class="count">${counts.get(purpose) ?? 0}</span>
              </button>`,
          )}
        </div>
      </div>
      <ts-data-table
        caption=${text.caption}
        .columns=${this._columns(names)}
        .rows=${rows}
        .rowKey=${(r: NestedPrefix) => r.item.id}
        .rowAttributes=${(r: NestedPrefix) => ({
          'data-testid': 'prefix-row',
          'data-prefix': r.item.prefix,
          'data-purpose': r.item.purpose,
          'data-org-unit-id': r.item.orgUnitId,
          'data-depth': String(r.depth),
        })}
        emptyMessage=${
          this._purpose === 'all' ? text.empty : text.emptyFiltered(text.purposes[this._purpose])
        }
      ></ts-data-table>
    </ts-panel>`;
  }

  /** No column sorts: the order is the nesting, which sorting by a column would hide. */
  private _columns(names: Map<string, string> | undefined): DataTableColumn<NestedPrefix>[] {
    const columns: DataTableColumn<NestedPrefix>[] = [
      {
        id: 'prefix',
        title: text.colPrefix,
        render: ({ item, depth }) =>
          html`<span
            class="mono"
            style="padding-inline-start:${depth * 18}px"
            title=${depth > 0 ? text.nestedTitle(depth) : nothing}
            >${depth > 0 ? html`<span class="muted" aria-hidden="true">└ </span>` : nothing}${item.prefix}</span
          >`,
      },
      {
        id: 'purpose',
        title: text.colPurpose,
        render: ({ item }) => html`<span class="chip">${text.purposes[item.purpose] ?? item.purpose}</span>`,
      },
      {
        id: 'org',
        title: text.colOrgUnit,
        render: ({ item }) => names?.get(item.orgUnitId) ?? item.orgUnitId,
      },
      {
        id: 'description',
        title: text.colDescription,
        render: ({ item }) =>
          item.description
            ? html`<span class="cell-truncate" title=${item.description}>${item.description}</span>`
            : html`<span class="muted">—</span>`,
      },
    ];
    if (this._canWrite) {
      columns.push({
        id: 'actions',
        title: text.colActions,
        render: ({ item }) =>
          html`<button
            class="btn small"
            type="button"
            data-testid="prefix-delete"
            aria-label=${text.deleteLabel(item.prefix)}
            @click=${() => this._delete(item, names)}
          >
            ${text.delete}
          </button>`,
      });
    }
    return columns;
  }

  private _form() {
    const units = this._orgUnitsTask.value;
    const options = units ? orgUnitOptions(units) : undefined;
    return html`<section class="section" aria-labelledby="prefix-form-heading">
      <h3 id="prefix-form-heading">${text.formHeading}</h3>
      <p class="hint">${text.formHint}</p>
      <form id="prefix-form" data-testid="prefix-form" @submit=${this._submit}>
        <label
          >${text.fieldPrefix}
          <input
            type="text"
            name="prefix"
            required
            maxlength="64"
            autocomplete="off"
            spellcheck="false"
            placeholder=${text.fieldPrefixPlaceholder}
            data-testid="prefix-text"
        /></label>
        <label
          >${text.fieldOrgUnit}
          <select name="orgUnitId" required data-testid="prefix-org-unit" ?disabled=${!options}>
            ${
              options
                ? html`<option value="">${text.fieldOrgUnitChoose}</option>
                    ${options.map((o) => html`<option value=${o.id}>${o.label}</option>`)}`
                : html`<option value="">${text.fieldOrgUnitLoading}</option>`
            }
          </select></label
        >
        <label
          >${text.fieldPurpose}
          <select name="purpose" required data-testid="prefix-purpose">
            ${prefixPurposes.map(
              (p) => html`<option value=${p}>${text.purposes[p]} — ${text.purposeHints[p]}</option>`,
            )}
          </select></label
        >
        <label
          >${text.fieldDescription}
          <input
            type="text"
            name="description"
            maxlength="500"
            autocomplete="off"
            data-testid="prefix-description"
        /></label>
        <p class="error" role="alert" data-testid="prefix-form-error">${this._formError}</p>
        <div class="buttons">
          <button class="btn primary" type="submit" data-testid="prefix-submit" ?disabled=${this._submitting}>
            ${this._submitting ? text.submitting : text.submit}
          </button>
          <button class="btn" type="button" @click=${this._toggleForm}>${text.cancel}</button>
        </div>
      </form>
    </section>`;
  }

  private async _toggleForm() {
    this._formOpen = !this._formOpen;
    this._formError = '';
    await this.updateComplete;
    if (this._formOpen)
      this.renderRoot.querySelector<HTMLInputElement>('[data-testid="prefix-text"]')?.focus();
    else this.renderRoot.querySelector<HTMLElement>('[data-testid="prefix-open"]')?.focus();
  }

  private async _submit(event: SubmitEvent) {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const orgUnitId = String(data.get('orgUnitId') ?? '');
    if (!orgUnitId) {
      this._formError = text.noOrgUnit;
      form.querySelector<HTMLSelectElement>('[name="orgUnitId"]')?.focus();
      return;
    }
    const purpose = String(data.get('purpose') ?? '') as PrefixPurpose;
    const description = String(data.get('description') ?? '').trim();
    this._submitting = true;
    this._formError = '';
    this._notice = '';
    try {
      const created = await createPrefix({
        prefix: String(data.get('prefix') ?? '').trim(),
        orgUnitId,
        purpose,
        ...(description ? { description } : {}),
      });
      const units = this._orgUnitsTask.value;
      const unit = (units && orgUnitNames(units).get(created.orgUnitId)) ?? created.orgUnitId;
      this._notice = text.created(created.prefix, unit);
      form.reset();
      void this._task.run();
    } catch (error) {
      this._formError = actionErrorMessage(error);
    } finally {
      this._submitting = false;
    }
  }

  private async _delete(prefix: Prefix, names: Map<string, string> | undefined) {
    const unit = names?.get(prefix.orgUnitId) ?? prefix.orgUnitId;
    const confirmed = await this._confirm.ask({
      heading: text.confirmHeading,
      message: text.confirmMessage(prefix, unit),
      confirmLabel: text.confirmLabel,
    });
    if (!confirmed) return;
    this._actionError = '';
    this._notice = '';
    try {
      await deletePrefix(prefix.id);
    } catch (error) {
      this._actionError = text.deleteFailed(prefix.prefix, actionErrorMessage(error));
    }
    void this._task.run();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-prefixes': TsPagePrefixes;
  }
}
