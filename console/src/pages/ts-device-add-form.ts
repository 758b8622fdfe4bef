import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { actionErrorMessage, errorMessage } from '../data/api.js';
import { fetchCredentials, credentialVersionText } from '../data/credentials.js';
import type { SnmpCredential } from '../data/credentials.js';
import {
  deviceRoles,
  fetchSites,
  fetchSweep,
  submitAddDevice,
  sweepEnded,
  validateAddDevice,
} from '../data/devices.js';
import type { AddDeviceField, AddDeviceForm, Site, SnmpVersion, Sweep } from '../data/devices.js';
import { formatCount } from '../common/format.js';
import { navigate } from '../common/router.js';
import { sharedStyles } from '../common/styles.js';
import { networkStyles } from './network-panels.js';
import '../components/ts-status-badge.js';

/** How often a running sweep's progress is read again. */
const sweepRefreshMillis = 2_000;

export const deviceRoleText = (role: string): string => {
  switch (role) {
    case 'core':
      return msg('core', { id: 'devices.role.core' });
    case 'aggregation':
      return msg('aggregation', { id: 'devices.role.aggregation' });
    case 'access':
      return msg('access', { id: 'devices.role.access' });
    case 'firewall':
      return msg('firewall', { id: 'devices.role.firewall' });
    case 'egress':
      return msg('egress', { id: 'devices.role.egress' });
    default:
      return role;
  }
};

const sweepStateText = (sweep: Sweep): string => {
  const probed = formatCount(sweep.probed);
  const found = formatCount(sweep.found);
  switch (sweep.state) {
    case 'pending':
      return msg('Waiting for the edge agent to start the sweep…', { id: 'devices.sweep.pending' });
    case 'running':
      return msg(str`Sweeping: ${probed} addresses probed, ${found} devices found…`, {
        id: 'devices.sweep.running',
      });
    case 'done':
      return msg(str`Sweep done: ${probed} addresses probed, ${found} devices found.`, {
        id: 'devices.sweep.done',
      });
    case 'failed':
      return msg(str`Sweep failed after ${probed} addresses probed.`, { id: 'devices.sweep.failed' });
  }
};

const emptyForm = (): AddDeviceForm => ({
  mode: 'address',
  siteId: '',
  address: '',
  cidr: '',
  version: '2c',
  credentialRef: '',
  port: '',
  role: '',
  name: '',
});

/**
 * The form that adds a device by its management address (then opens the new device's page) or starts
 * a bounded sweep of a subnet (then shows the sweep's progress and the devices it added). Each field
 * says what is wrong before anything is sent; the server's refusal is shown with its reason.
 *
 * @fires ts-device-added - A device was added or a sweep ended.
 * @fires ts-close - The user closed the form.
 */
@localized()
@customElement('ts-device-add-form')
export class TsDeviceAddForm extends LitElement {
  static override styles = [
    sharedStyles,
    networkStyles,
    css`
      :host {
        display: block;
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
      input[name='address'],
      input[name='cidr'] {
        font-family: var(--ts-font-mono);
      }
      [aria-invalid='true'] {
        border-color: var(--ts-bad) !important;
      }
      .field-error {
        display: block;
        margin-top: 3px;
        color: var(--ts-bad);
        font-weight: 400;
      }
      .mode {
        grid-column: 1 / -1;
        justify-self: start;
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
      .sweep {
        margin-top: 10px;
      }
      .sweep ul {
        margin: 6px 0 0;
        padding-left: 18px;
      }
    `,
  ];

  @state() private _form: AddDeviceForm = emptyForm();

  @state() private _errors: Partial<Record<AddDeviceField, string>> = {};

  @state() private _serverError: (() => string) | null = null;

  @state() private _submitting = false;

  @state() private _sweep: Sweep | null = null;

  @state() private _sweepError: (() => string) | null = null;

  private _sweepTimer: ReturnType<typeof setTimeout> | undefined;

  private readonly _sitesTask = new Task<[], Site[]>(this, {
    task: async (_args, { signal }) => (await fetchSites(signal)).items,
    args: () => [],
  });

  private readonly _credentialsTask = new Task<[], SnmpCredential[]>(this, {
    task: async (_args, { signal }) => (await fetchCredentials(signal)).items,
    args: () => [],
  });

  override disconnectedCallback() {
    super.disconnectedCallback();
    clearTimeout(this._sweepTimer);
  }

  override render() {
    const f = this._form;
    const e = this._errors;
    return html`<h3 id="device-add-heading">${msg('Add a device', { id: 'devices.add.heading' })}</h3>
      <p class="hint">
        ${msg(
          'Give the management address and the SNMP credential; discovery runs at once and fills in the device and its interfaces. Or sweep a subnet (at most a /22) to add every device that answers.',
          { id: 'devices.add.hint' },
        )}
      </p>
      <form
        data-testid="device-add-form"
        aria-labelledby="device-add-heading"
        novalidate
        @submit=${this._submit}
      >
        <div
          class="mode segmented"
          role="group"
          aria-label=${msg('Add by', { id: 'devices.add.modeLabel' })}
          data-testid="device-add-mode"
        >
          <button
            type="button"
            data-value="address"
            aria-pressed=${f.mode === 'address' ? 'true' : 'false'}
            @click=${() => this._set({ mode: 'address' })}
          >
            ${msg('One address', { id: 'devices.add.mode.address' })}
          </button>
          <button
            type="button"
            data-value="cidr"
            aria-pressed=${f.mode === 'cidr' ? 'true' : 'false'}
            @click=${() => this._set({ mode: 'cidr' })}
          >
            ${msg('Sweep a subnet', { id: 'devices.add.mode.cidr' })}
          </button>
        </div>
        ${this._siteField()}
        ${
          f.mode === 'address'
            ? html`<label
                  >${msg('Management address', { id: 'devices.add.address' })}
                  <input
                    type="text"
                    name="address"
                    autocomplete="off"
                    spellcheck="false"
                    maxlength="64"
                    placeholder=${msg('e.g. 10.20.1.1', { id: 'devices.add.addressPlaceholder' })}
                    data-testid="device-add-address"
                    aria-invalid=${e.address ? 'true' : 'false'}
                    .value=${f.address}
                    @input=${(ev: Event) => this._set({ address: (ev.target as HTMLInputElement).value })}
                  />${this._fieldError('address')}</label
                >
                <label
                  >${msg('Name (optional)', { id: 'devices.add.name' })}
                  <input
                    type="text"
                    name="name"
                    autocomplete="off"
                    maxlength="128"
                    placeholder=${msg('sysName from discovery', { id: 'devices.add.namePlaceholder' })}
                    data-testid="device-add-name"
                    .value=${f.name}
                    @input=${(ev: Event) => this._set({ name: (ev.target as HTMLInputElement).value })}
                /></label>`
            : html`<label
                >${msg('Subnet', { id: 'devices.add.cidr' })}
                <input
                  type="text"
                  name="cidr"
                  autocomplete="off"
                  spellcheck="false"
                  maxlength="64"
                  placeholder=${msg('e.g. 10.20.1.0/24', { id: 'devices.add.cidrPlaceholder' })}
                  data-testid="device-add-cidr"
                  aria-invalid=${e.cidr ? 'true' : 'false'}
                  .value=${f.cidr}
                  @input=${(ev: Event) => this._set({ cidr: (ev.target as HTMLInputElement).value })}
                />${this._fieldError('cidr')}</label
              >`
        }
        <label
          >${msg('SNMP version', { id: 'devices.add.version' })}
          <select
            name="version"
            data-testid="device-add-version"
            @change=${(ev: Event) =>
              this._set({
                version: (ev.target as HTMLSelectElement).value as SnmpVersion,
                credentialRef: '',
              })}
          >
            ${(['2c', '3'] as const).map(
              (version) =>
                html`<option value=${version} ?selected=${f.version === version}>
                  ${credentialVersionText({ version, user: null, level: null })}
                </option>`,
            )}
          </select></label
        >
        ${this._credentialField()}
        <label
          >${msg('SNMP port (optional)', { id: 'devices.add.port' })}
          <input
            type="text"
            name="port"
            inputmode="numeric"
            autocomplete="off"
            maxlength="5"
            placeholder="161"
            data-testid="device-add-port"
            aria-invalid=${e.port ? 'true' : 'false'}
            .value=${f.port}
            @input=${(ev: Event) => this._set({ port: (ev.target as HTMLInputElement).value })}
          />${this._fieldError('port')}</label
        >
        <label
          >${msg('Role (optional)', { id: 'devices.add.role' })}
          <select
            name="role"
            data-testid="device-add-role"
            @change=${(ev: Event) => this._set({ role: (ev.target as HTMLSelectElement).value })}
          >
            <option value="" ?selected=${f.role === ''}>
              ${msg('as discovered', { id: 'devices.add.roleAuto' })}
            </option>
            ${deviceRoles.map(
              (role) =>
                html`<option value=${role} ?selected=${f.role === role}>${deviceRoleText(role)}</option>`,
            )}</select
          >${this._fieldError('role')}</label
        >
        <p class="error" role="alert" data-testid="device-add-error">${this._serverError?.() ?? ''}</p>
        <div class="buttons">
          <button
            class="btn primary"
            type="submit"
            data-testid="device-add-submit"
            ?disabled=${this._submitting}
          >
            ${
              this._submitting
                ? msg('Adding…', { id: 'devices.add.submitting' })
                : f.mode === 'address'
                  ? msg('Add device', { id: 'devices.add.submit' })
                  : msg('Start sweep', { id: 'devices.add.submitSweep' })
            }
          </button>
          <button class="btn" type="button" @click=${this._close}>
            ${msg('Cancel', { id: 'devices.add.cancel' })}
          </button>
        </div>
      </form>
      ${this._renderSweep()}`;
  }

  private _fieldError(field: AddDeviceField) {
    const text = this._errors[field];
    return text
      ? html`<span class="field-error" role="alert" data-testid="device-add-field-error" data-field=${field}
          >${text}</span
        >`
      : nothing;
  }

  private _siteField() {
    const sites = this._sitesTask.value;
    const failed = this._sitesTask.error;
    const f = this._form;
    return html`<label
      >${msg('Site', { id: 'devices.add.site' })}
      <select
        name="siteId"
        data-testid="device-add-site"
        aria-invalid=${this._errors.siteId ? 'true' : 'false'}
        ?disabled=${!sites}
        @change=${(ev: Event) => this._set({ siteId: (ev.target as HTMLSelectElement).value })}
      >
        ${
          sites
            ? html`<option value="" ?selected=${f.siteId === ''}>
                  ${msg('Choose a site', { id: 'devices.add.chooseSite' })}
                </option>
                ${sites.map(
                  (s) =>
                    html`<option value=${s.id} ?selected=${f.siteId === s.id}>${s.name} (${s.id})</option>`,
                )}`
            : html`<option value="">${msg('Loading sites…', { id: 'devices.add.loadingSites' })}</option>`
        }
      </select>
      ${
        failed
          ? html`<span class="field-error" role="alert"
              >${msg(str`Sites could not be loaded: ${errorMessage(failed)}`, { id: 'devices.add.sitesFailed' })}</span
            >`
          : sites && sites.length === 0
            ? html`<span class="field-error" role="alert"
                >${msg('There is no site in your scope; add one to the inventory first.', {
                  id: 'devices.add.noSites',
                })}</span
              >`
            : nothing
      }
      ${this._fieldError('siteId')}</label
    >`;
  }

  private _credentialField() {
    const all = this._credentialsTask.value;
    const failed = this._credentialsTask.error;
    const f = this._form;
    const credentials = all?.filter((c) => c.version === f.version);
    return html`<label
      >${msg('SNMP credential', { id: 'devices.add.credential' })}
      <select
        name="credentialRef"
        data-testid="device-add-credential"
        aria-invalid=${this._errors.credentialRef ? 'true' : 'false'}
        ?disabled=${!credentials}
        @change=${(ev: Event) => this._set({ credentialRef: (ev.target as HTMLSelectElement).value })}
      >
        ${
          credentials
            ? html`<option value="" ?selected=${f.credentialRef === ''}>
                  ${msg('Choose a credential', { id: 'devices.add.chooseCredential' })}
                </option>
                ${credentials.map(
                  (c) =>
                    html`<option value=${c.id} ?selected=${f.credentialRef === c.id}>
                      ${c.id} · ${credentialVersionText(c)}
                    </option>`,
                )}`
            : html`<option value="">
                ${msg('Loading credentials…', { id: 'devices.add.loadingCredentials' })}
              </option>`
        }
      </select>
      ${
        failed
          ? html`<span class="field-error" role="alert"
              >${msg(str`Credentials could not be loaded: ${errorMessage(failed)}`, {
                id: 'devices.add.credentialsFailed',
              })}</span
            >`
          : credentials && credentials.length === 0
            ? html`<span class="field-error" role="alert"
                >${msg('No SNMP credential of this version is in your scope; create one under Addresses.', {
                  id: 'devices.add.noCredentials',
                })}</span
              >`
            : nothing
      }
      ${this._fieldError('credentialRef')}</label
    >`;
  }

  private _renderSweep() {
    const sweep = this._sweep;
    if (!sweep && !this._sweepError) return nothing;
    return html`<div
      class="sweep"
      data-testid="device-sweep"
      data-state=${sweep?.state ?? 'error'}
      role="status"
    >
      ${sweep ? html`<p><span class="mono">${sweep.cidr}</span> · ${sweepStateText(sweep)}</p>` : nothing}
      ${sweep?.error ? html`<p class="error">${sweep.error}</p>` : nothing}
      ${this._sweepError ? html`<p class="error">${this._sweepError()}</p>` : nothing}
      ${
        sweep && sweep.added.length > 0
          ? html`<ul>
              ${sweep.added.map(
                (id) => html`<li><a href="/network/devices/${encodeURIComponent(id)}">${id}</a></li>`,
              )}
            </ul>`
          : nothing
      }
    </div>`;
  }

  private _set(patch: Partial<AddDeviceForm>) {
    this._form = { ...this._form, ...patch };
    // A field's message goes away once the user changes the field.
    const errors = { ...this._errors };
    for (const key of Object.keys(patch)) delete errors[key as AddDeviceField];
    this._errors = errors;
  }

  private async _submit(event: SubmitEvent) {
    event.preventDefault();
    const checked = validateAddDevice(this._form);
    this._serverError = null;
    if (!checked.ok) {
      this._errors = checked.errors;
      await this.updateComplete;
      this.renderRoot.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
      return;
    }
    this._errors = {};
    this._submitting = true;
    try {
      const result = await submitAddDevice(checked.request);
      if (result.kind === 'device') {
        this.dispatchEvent(new CustomEvent('ts-device-added', { bubbles: true, composed: true }));
        navigate(`/network/devices/${encodeURIComponent(result.device.id)}`);
        return;
      }
      this._sweepError = null;
      this._sweep = {
        id: result.sweepId,
        cidr: this._form.cidr.trim(),
        state: 'pending',
        probed: 0,
        found: 0,
        added: [],
        error: null,
      };
      this._followSweep(result.sweepId);
    } catch (error) {
      this._serverError = () => actionErrorMessage(error);
    } finally {
      this._submitting = false;
    }
  }

  private _followSweep(sweepId: string) {
    clearTimeout(this._sweepTimer);
    this._sweepTimer = setTimeout(async () => {
      try {
        const sweep = await fetchSweep(sweepId);
        this._sweep = sweep;
        this._sweepError = null;
        if (sweepEnded(sweep)) {
          this.dispatchEvent(new CustomEvent('ts-device-added', { bubbles: true, composed: true }));
          return;
        }
      } catch (error) {
        // Shown, and tried again: the sweep goes on on the agent.
        this._sweepError = () =>
          msg(str`The sweep's progress could not be read: ${errorMessage(error)}`, {
            id: 'devices.sweep.readFailed',
          });
      }
      if (this.isConnected) this._followSweep(sweepId);
    }, sweepRefreshMillis);
  }

  private _close() {
    this.dispatchEvent(new CustomEvent('ts-close', { bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-device-add-form': TsDeviceAddForm;
  }
}
