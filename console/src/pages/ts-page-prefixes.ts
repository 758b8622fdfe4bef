import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, query, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { actionErrorMessage } from '../data/api.js';
import { errorText } from '../data/error-text.js';
import { canManage } from '../data/auth.js';
import type { User } from '../data/auth.js';
import { fetchOrgUnits, orgUnitNames, orgUnitOptions } from '../data/org-units.js';
import type { OrgUnit } from '../data/org-units.js';
import {
  createPrefix,
  deletePrefix,
  fetchPrefixes,
  nestPrefixes,
  prefixPurposeHint,
  prefixPurposeText,
  prefixPurposes,
} from '../data/prefixes.js';
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

/** Every visible string of the page, in the locale in force. */
const text = () => ({
  title: msg('Addresses', { id: 'prefixes.title' }),
  subtitle: msg(
    'IP prefixes delegated down the org units; a prefix is indented under the prefixes that hold it',
    { id: 'prefixes.subtitle' },
  ),
  heading: msg('IP prefixes', { id: 'prefixes.heading' }),
  count: (shown: number, all: number) => {
    const s = formatCount(shown);
    const a = formatCount(all);
    return msg(str`${s} of ${a}`, { id: 'prefixes.shownOf' });
  },
  filterLabel: msg('Purpose', { id: 'prefixes.filter.label' }),
  filterGroup: msg('Filter by purpose', { id: 'prefixes.filter.group' }),
  purpose: (purpose: PurposeFilter) =>
    purpose === 'all' ? msg('all', { id: 'prefixes.filter.all' }) : prefixPurposeText(purpose),
  empty: msg('No IP prefixes are registered in this org unit yet.', { id: 'prefixes.empty' }),
  emptyFiltered: (purpose: PrefixPurpose) => {
    const name = prefixPurposeText(purpose);
    return msg(str`No ${name} prefixes.`, { id: 'prefixes.emptyFiltered' });
  },
  colPrefix: msg('Prefix', { id: 'prefixes.col.prefix' }),
  colPurpose: msg('Purpose', { id: 'prefixes.col.purpose' }),
  colOrgUnit: msg('Org unit', { id: 'prefixes.col.orgUnit' }),
  colDescription: msg('Description', { id: 'prefixes.col.description' }),
  colActions: msg('Actions', { id: 'prefixes.col.actions' }),
  nestedTitle: (depth: number) =>
    depth === 1
      ? msg('Inside 1 listed prefix of the same purpose', { id: 'prefixes.nested.one' })
      : msg(str`Inside ${depth} listed prefixes of the same purpose`, { id: 'prefixes.nested.other' }),
  open: msg('Delegate a prefix', { id: 'prefixes.open' }),
  formHeading: msg('Delegate a prefix', { id: 'prefixes.open' }),
  formHint: msg(
    'A prefix lies inside a prefix of the parent org unit (a delegation, made by the unit above) or of its own unit (a subdivision). The control plane checks the placement and says what is wrong.',
    { id: 'prefixes.form.hint' },
  ),
  fieldPrefix: msg('Prefix', { id: 'prefixes.col.prefix' }),
  fieldPrefixPlaceholder: msg('e.g. 10.20.16.0/20', { id: 'prefixes.form.prefixPlaceholder' }),
  fieldOrgUnit: msg('Org unit', { id: 'prefixes.col.orgUnit' }),
  fieldOrgUnitChoose: msg('Choose an org unit', { id: 'prefixes.form.chooseOrgUnit' }),
  fieldOrgUnitLoading: msg('Loading org units…', { id: 'prefixes.form.loadingOrgUnits' }),
  fieldPurpose: msg('Purpose', { id: 'prefixes.col.purpose' }),
  fieldDescription: msg('Description (optional)', { id: 'prefixes.form.description' }),
  submit: msg('Delegate prefix', { id: 'prefixes.form.submit' }),
  submitting: msg('Delegating…', { id: 'prefixes.form.submitting' }),
  cancel: msg('Cancel', { id: 'prefixes.form.cancel' }),
  noOrgUnit: msg('Choose an org unit.', { id: 'prefixes.form.noOrgUnit' }),
  created: (prefix: string, unit: string) =>
    msg(str`${prefix} is now registered for ${unit}.`, { id: 'prefixes.created' }),
  delete: msg('Delete', { id: 'prefixes.delete' }),
  deleteLabel: (prefix: string) => msg(str`Delete prefix ${prefix}`, { id: 'prefixes.deleteLabel' }),
  confirmHeading: msg('Delete prefix?', { id: 'prefixes.confirm.heading' }),
  confirmMessage: (p: Prefix, unit: string) => {
    const purpose = prefixPurposeText(p.purpose);
    return msg(
      str`${p.prefix} (${purpose}) will no longer belong to ${unit}. The control plane refuses while the prefix still holds other prefixes or management addresses of devices.`,
      { id: 'prefixes.confirm.message' },
    );
  },
  confirmLabel: msg('Delete prefix', { id: 'prefixes.confirm.ok' }),
  deleteFailed: (prefix: string, message: string) =>
    msg(str`Could not delete ${prefix}: ${message}`, { id: 'prefixes.deleteFailed' }),
});

/**
 * The IP prefix registry of the caller's scope, nested by containment and filtered by purpose; for
 * users who may write, a form that delegates a prefix and a delete action per row. Below it, for
 * callers with `network:write`, the SNMP credentials with their grants.
 */
@localized()
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

  /** What the form says is wrong, as a text made when shown so that it follows the language. */
  @state() private _formError: (() => string) | null = null;

  @state() private _notice: (() => string) | null = null;

  @state() private _actionError: (() => string) | null = null;

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
    const t = text();
    return html`
      <div class="page-header">
        <h1><span class="muted">${msg('Network /', { id: 'network.breadcrumb' })}</span> ${t.title}</h1>
        <span class="muted">${t.subtitle}</span>
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value
            ? this._panel(this._task.value, names, true)
            : html`<ts-panel class="prefixes" heading=${t.heading} state="loading"></ts-panel>`,
        complete: (prefixes) => this._panel(prefixes, names, false),
        error: (error) =>
          html`<ts-panel
            class="prefixes"
            heading=${t.heading}
            state="error"
            .error=${errorText(error)}
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
    const t = text();
    return html`<ts-panel class="prefixes" heading=${t.heading} ?busy=${busy}>
      <span slot="meta">${t.count(shown.length, prefixes.length)}</span>
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
              ${t.open}
            </button>`
          : nothing
      }
      ${this._formOpen ? this._form() : nothing}
      <p class="notice" role="status" data-testid="prefix-notice">${this._notice?.() ?? ''}</p>
      <p class="row-error" role="alert" data-testid="prefix-action-error">${this._actionError?.() ?? ''}</p>
      <div class="toolbar">
        <div class="filters" role="group" aria-label=${t.filterGroup}>
          <span class="label">${t.filterLabel}</span>
          ${(['all', ...prefixPurposes] as PurposeFilter[]).map(
            (purpose) =>
              html`<button
                type="button"
                data-testid="prefix-filter"
                data-value=${purpose}
                aria-pressed=${this._purpose === purpose ? 'true' : 'false'}
                @click=${() => (this._purpose = purpose)}
              >
                ${t.purpose(purpose)}<span class="count">${formatCount(counts.get(purpose) ?? 0)}</span>
              </button>`,
          )}
        </div>
      </div>
      <ts-data-table
        caption=${t.heading}
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
        emptyMessage=${this._purpose === 'all' ? t.empty : t.emptyFiltered(this._purpose)}
      ></ts-data-table>
    </ts-panel>`;
  }

  /** No column sorts: the order is the nesting, which sorting by a column would hide. */
  private _columns(names: Map<string, string> | undefined): DataTableColumn<NestedPrefix>[] {
    const t = text();
    const columns: DataTableColumn<NestedPrefix>[] = [
      {
        id: 'prefix',
        title: t.colPrefix,
        render: ({ item, depth }) =>
          html`<span
            class="mono"
            style="padding-inline-start:${depth * 18}px"
            title=${depth > 0 ? t.nestedTitle(depth) : nothing}
            >${depth > 0 ? html`<span class="muted" aria-hidden="true">└ </span>` : nothing}${item.prefix}</span
          >`,
      },
      {
        id: 'purpose',
        title: t.colPurpose,
        render: ({ item }) => html`<span class="chip">${prefixPurposeText(item.purpose)}</span>`,
      },
      {
        id: 'org',
        title: t.colOrgUnit,
        render: ({ item }) => names?.get(item.orgUnitId) ?? item.orgUnitId,
      },
      {
        id: 'description',
        title: t.colDescription,
        render: ({ item }) =>
          item.description
            ? html`<span class="cell-truncate" title=${item.description}>${item.description}</span>`
            : html`<span class="muted">—</span>`,
      },
    ];
    if (this._canWrite) {
      columns.push({
        id: 'actions',
        title: t.colActions,
        render: ({ item }) =>
          html`<button
            class="btn small"
            type="button"
            data-testid="prefix-delete"
            aria-label=${t.deleteLabel(item.prefix)}
            @click=${() => this._delete(item, names)}
          >
            ${t.delete}
          </button>`,
      });
    }
    return columns;
  }

  private _form() {
    const units = this._orgUnitsTask.value;
    const options = units ? orgUnitOptions(units) : undefined;
    const t = text();
    return html`<section class="section" aria-labelledby="prefix-form-heading">
      <h3 id="prefix-form-heading">${t.formHeading}</h3>
      <p class="hint">${t.formHint}</p>
      <form id="prefix-form" data-testid="prefix-form" @submit=${this._submit}>
        <label
          >${t.fieldPrefix}
          <input
            type="text"
            name="prefix"
            required
            maxlength="64"
            autocomplete="off"
            spellcheck="false"
            placeholder=${t.fieldPrefixPlaceholder}
            data-testid="prefix-text"
        /></label>
        <label
          >${t.fieldOrgUnit}
          <select name="orgUnitId" required data-testid="prefix-org-unit" ?disabled=${!options}>
            ${
              options
                ? html`<option value="">${t.fieldOrgUnitChoose}</option>
                    ${options.map((o) => html`<option value=${o.id}>${o.label}</option>`)}`
                : html`<option value="">${t.fieldOrgUnitLoading}</option>`
            }
          </select></label
        >
        <label
          >${t.fieldPurpose}
          <select name="purpose" required data-testid="prefix-purpose">
            ${prefixPurposes.map(
              (p) => html`<option value=${p}>${prefixPurposeText(p)} — ${prefixPurposeHint(p)}</option>`,
            )}
          </select></label
        >
        <label
          >${t.fieldDescription}
          <input
            type="text"
            name="description"
            maxlength="500"
            autocomplete="off"
            data-testid="prefix-description"
        /></label>
        <p class="error" role="alert" data-testid="prefix-form-error">${this._formError?.() ?? ''}</p>
        <div class="buttons">
          <button class="btn primary" type="submit" data-testid="prefix-submit" ?disabled=${this._submitting}>
            ${this._submitting ? t.submitting : t.submit}
          </button>
          <button class="btn" type="button" @click=${this._toggleForm}>${t.cancel}</button>
        </div>
      </form>
    </section>`;
  }

  private async _toggleForm() {
    this._formOpen = !this._formOpen;
    this._formError = null;
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
      this._formError = () => text().noOrgUnit;
      form.querySelector<HTMLSelectElement>('[name="orgUnitId"]')?.focus();
      return;
    }
    const purpose = String(data.get('purpose') ?? '') as PrefixPurpose;
    const description = String(data.get('description') ?? '').trim();
    this._submitting = true;
    this._formError = null;
    this._notice = null;
    try {
      const created = await createPrefix({
        prefix: String(data.get('prefix') ?? '').trim(),
        orgUnitId,
        purpose,
        ...(description ? { description } : {}),
      });
      const units = this._orgUnitsTask.value;
      const unit = (units && orgUnitNames(units).get(created.orgUnitId)) ?? created.orgUnitId;
      this._notice = () => text().created(created.prefix, unit);
      form.reset();
      void this._task.run();
    } catch (error) {
      this._formError = () => actionErrorMessage(error);
    } finally {
      this._submitting = false;
    }
  }

  private async _delete(prefix: Prefix, names: Map<string, string> | undefined) {
    const unit = names?.get(prefix.orgUnitId) ?? prefix.orgUnitId;
    const t = text();
    const confirmed = await this._confirm.ask({
      heading: t.confirmHeading,
      message: t.confirmMessage(prefix, unit),
      confirmLabel: t.confirmLabel,
    });
    if (!confirmed) return;
    this._actionError = null;
    this._notice = null;
    try {
      await deletePrefix(prefix.id);
    } catch (error) {
      this._actionError = () => text().deleteFailed(prefix.prefix, actionErrorMessage(error));
    }
    void this._task.run();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-prefixes': TsPagePrefixes;
  }
}
