import { LitElement, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { actionErrorMessage } from '../data/api.js';
import type { User } from '../data/auth.js';
import { errorText } from '../data/error-text.js';
import {
  cloudKindText,
  fetchClasses,
  fetchClouds,
  isQuotasMissing,
  mayQuotas,
  putCapacity,
  reconcileCloud,
  refreshCloud,
  tierText,
} from '../data/quotas.js';
import type { Cloud, ResourceClass } from '../data/quotas.js';
import { formatDateTime, formatNumber, formatTimeFromNow } from '../common/format.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import { cloudBarsOption } from '../charts/quota-charts.js';
import {
  amountText,
  classLabel,
  cloudErrorLine,
  cloudSyncBadge,
  quotaStyles,
  quotasUnavailable,
} from './ts-page-quota-common.js';
import '../charts/ts-chart.js';
import '../components/ts-panel.js';

interface Loaded {
  clouds: Cloud[];
  classes: ResourceClass[];
}

/**
 * The clouds (云资源) in scope: per cloud its classes as bars (allocatable = capacity × overcommit,
 * allocated, used, physically used) and as a table; its connection state with the error and its
 * reason; cloud admins enter the capacity the cloud cannot report and the overcommit (超分比), read
 * capacity from the cloud now and reconcile now.
 */
@localized()
@customElement('ts-page-quotas')
export class TsPageQuotas extends LitElement {
  static override styles = [sharedStyles, pageStyles, ...quotaStyles];

  @property({ attribute: false }) user?: User;

  /** The cloud whose capacity form is open. */
  @state() private _editing = '';

  @state() private _busy = '';

  @state() private _notice: Record<string, { ok: boolean; text: string }> = {};

  private readonly _task = new Task(this, {
    task: async (_args, { signal }): Promise<Loaded> => {
      const [clouds, classes] = await Promise.all([fetchClouds(signal), fetchClasses(signal)]);
      return { clouds, classes };
    },
    args: () => [] as const,
  });

  private async _act(cloud: Cloud, action: 'refresh' | 'reconcile') {
    this._busy = `${cloud.id}:${action}`;
    try {
      await (action === 'refresh' ? refreshCloud(cloud.id) : reconcileCloud(cloud.id));
      this._notice = {
        ...this._notice,
        [cloud.id]: {
          ok: true,
          text:
            action === 'refresh'
              ? msg('Capacity read from the cloud.', { id: 'quotas.clouds.refreshed' })
              : msg('Reconcile pass run.', { id: 'quotas.clouds.reconciled' }),
        },
      };
      await this._task.run();
    } catch (e) {
      this._notice = { ...this._notice, [cloud.id]: { ok: false, text: actionErrorMessage(e) } };
    } finally {
      this._busy = '';
    }
  }

  private async _saveCapacity(e: Event, cloud: Cloud) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const classes: Record<string, { capacity?: number; overcommit?: number }> = {};
    const problems: string[] = [];
    for (const c of cloud.classes) {
      const read = (name: string) =>
        (form.elements.namedItem(`${name}-${c.class}`) as HTMLInputElement | null)?.value.trim() ?? '';
      const entry: { capacity?: number; overcommit?: number } = {};
      const cap = read('capacity');
      const oc = read('overcommit');
      if (cap !== '' && Number(cap) !== c.capacity) {
        const n = Number(cap);
        if (!Number.isFinite(n) || n < 0) problems.push(c.class);
        else entry.capacity = n;
      }
      if (oc !== '' && Number(oc) !== c.overcommit) {
        const n = Number(oc);
        if (!Number.isFinite(n) || n < 1) problems.push(c.class);
        else entry.overcommit = n;
      }
      if (entry.capacity !== undefined || entry.overcommit !== undefined) classes[c.class] = entry;
    }
    if (problems.length) {
      this._notice = {
        ...this._notice,
        [cloud.id]: {
          ok: false,
          text: msg(str`Capacity must be a number ≥ 0 and overcommit ≥ 1: ${problems.join(', ')}`, {
            id: 'quotas.clouds.capacityInvalid',
          }),
        },
      };
      return;
    }
    this._busy = `${cloud.id}:capacity`;
    try {
      await putCapacity(cloud.id, classes);
      this._editing = '';
      this._notice = {
        ...this._notice,
        [cloud.id]: { ok: true, text: msg('Capacity saved.', { id: 'quotas.clouds.capacitySaved' }) },
      };
      await this._task.run();
    } catch (err) {
      this._notice = { ...this._notice, [cloud.id]: { ok: false, text: actionErrorMessage(err) } };
    } finally {
      this._busy = '';
    }
  }

  override render() {
    const heading = msg('Clouds', { id: 'quotas.clouds.heading' });
    if (isQuotasMissing(this._task.error)) return quotasUnavailable(heading);
    return html`<div class="page-header">
        <h1>${heading}</h1>
        <span class="spacer"></span>
        <a class="btn primary" href="/quotas/requests/new" data-testid="quotas-apply"
          >${msg('Apply for resources', { id: 'quotas.apply' })}</a
        >
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value
            ? this._clouds(this._task.value)
            : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
        error: (e) =>
          html`<ts-panel
            heading=${heading}
            state="error"
            .error=${errorText(e)}
            @ts-retry=${() => void this._task.run()}
          ></ts-panel>`,
        complete: (v) => this._clouds(v),
      })}`;
  }

  private _clouds({ clouds, classes }: Loaded) {
    if (!clouds.length)
      return html`<p class="empty" data-testid="clouds-empty">
        ${msg('No clouds in your scope.', { id: 'quotas.clouds.empty' })}
      </p>`;
    return html`<div class="cards">${clouds.map((c) => this._cloud(c, classes))}</div>`;
  }

  private _cloud(cloud: Cloud, classes: ResourceClass[]) {
    const admin = mayQuotas(this.user, 'write') && cloud.access === 'owner';
    const notice = this._notice[cloud.id];
    return html`<ts-panel heading=${cloud.name} data-testid="cloud-card" data-cloud=${cloud.id}>
      <span slot="meta">${cloudSyncBadge(cloud.sync.state)}</span>
      <div class="stack">
        <dl class="fields">
          <dt>${msg('Kind', { id: 'quotas.clouds.kind' })}</dt>
          <dd>${cloudKindText(cloud.kind)}</dd>
          <dt>${msg('Level', { id: 'quotas.clouds.tier' })}</dt>
          <dd>${tierText(cloud.tier)}</dd>
          <dt>${msg('Owner org unit', { id: 'quotas.clouds.owner' })}</dt>
          <dd>${cloud.orgUnitName || cloud.orgUnitId}</dd>
          ${
            cloud.region
              ? html`<dt>${msg('Region', { id: 'quotas.clouds.region' })}</dt>
                  <dd>${cloud.region}</dd>`
              : nothing
          }
          ${
            cloud.connection
              ? html`<dt>${msg('Endpoint', { id: 'quotas.clouds.endpoint' })}</dt>
                  <dd>${cloud.connection.endpoint}</dd>`
              : nothing
          }
          <dt>${msg('Last checked', { id: 'quotas.clouds.checked' })}</dt>
          <dd>
            ${
              cloud.sync.checkedAt
                ? html`<span title=${formatDateTime(cloud.sync.checkedAt)}
                    >${formatTimeFromNow(cloud.sync.checkedAt)}</span
                  >`
                : msg('Never', { id: 'quotas.clouds.never' })
            }
          </dd>
        </dl>
        ${cloudErrorLine(cloud.sync.error, 'cloud-error')}
        ${
          cloud.capacityRead.error
            ? html`<p class="help">
                  ${msg('Reading capacity from the cloud failed:', { id: 'quotas.clouds.readFailed' })}
                </p>
                ${cloudErrorLine(cloud.capacityRead.error, 'cloud-capacity-error')}`
            : nothing
        }
        ${
          cloud.access === 'quota-holder'
            ? html`<p class="help" data-testid="cloud-quota-holder">
                ${msg('Your org unit holds quota on this cloud; it is run by its owner.', { id: 'quotas.clouds.quotaHolder' })}
              </p>`
            : nothing
        }
        ${
          cloud.classes.length
            ? html`<ts-chart
                class="bars"
                data-testid="cloud-bars"
                .option=${cloudBarsOption(cloud, classes)}
              ></ts-chart>`
            : nothing
        }
        ${this._editing === cloud.id ? this._capacityForm(cloud, classes) : this._classTable(cloud, classes)}
        ${
          admin
            ? html`<div class="row">
                ${
                  this._editing === cloud.id
                    ? nothing
                    : html`<button
                        type="button"
                        class="btn"
                        data-testid="cloud-edit-capacity"
                        @click=${() => (this._editing = cloud.id)}
                      >
                        ${msg('Edit capacity and overcommit', { id: 'quotas.clouds.edit' })}
                      </button>`
                }
                <button
                  type="button"
                  class="btn"
                  data-testid="cloud-refresh"
                  ?disabled=${this._busy !== ''}
                  @click=${() => void this._act(cloud, 'refresh')}
                >
                  ${msg('Read capacity from the cloud', { id: 'quotas.clouds.refresh' })}
                </button>
                <button
                  type="button"
                  class="btn"
                  data-testid="cloud-reconcile"
                  ?disabled=${this._busy !== ''}
                  @click=${() => void this._act(cloud, 'reconcile')}
                >
                  ${msg('Reconcile now', { id: 'quotas.clouds.reconcile' })}
                </button>
              </div>`
            : nothing
        }
        ${
          notice
            ? html`<p
                class=${notice.ok ? 'ok-text' : 'error'}
                role=${notice.ok ? 'status' : 'alert'}
                data-testid="cloud-notice"
              >
                ${notice.text}
              </p>`
            : nothing
        }
      </div>
    </ts-panel>`;
  }

  private _classTable(cloud: Cloud, classes: ResourceClass[]) {
    const amount = (cls: string, n: number | null) => (n === null ? '—' : amountText(cls, n, classes));
    return html`<table class="amounts" data-testid="cloud-classes">
      <thead>
        <tr>
          <th>${msg('Resource class', { id: 'quotas.col.class' })}</th>
          <th>${msg('Capacity', { id: 'quotas.col.capacity' })}</th>
          <th>${msg('Overcommit', { id: 'quotas.col.overcommit' })}</th>
          <th>${msg('Allocatable', { id: 'quotas.chart.allocatable' })}</th>
          <th>${msg('Allocated', { id: 'quotas.chart.allocated' })}</th>
          <th>${msg('Used', { id: 'quotas.chart.used' })}</th>
          <th>${msg('Physically used', { id: 'quotas.chart.physical' })}</th>
        </tr>
      </thead>
      <tbody>
        ${cloud.classes.map(
          (c) =>
            html`<tr data-class=${c.class}>
              <td>${classLabel(c.class, classes)}</td>
              <td data-field="capacity">
                ${amount(c.class, c.capacity)}
                ${
                  c.capacitySource === 'manual'
                    ? html`<span class="muted">${msg('(entered)', { id: 'quotas.clouds.entered' })}</span>`
                    : c.capacitySource === 'cloud'
                      ? html`<span class="muted"
                          >${msg('(from the cloud)', { id: 'quotas.clouds.reported' })}</span
                        >`
                      : nothing
                }
              </td>
              <td data-field="overcommit">×${formatNumber(c.overcommit)}</td>
              <td data-field="allocatable">${amount(c.class, c.allocatable)}</td>
              <td data-field="allocated">${amount(c.class, c.allocated)}</td>
              <td data-field="used">${amount(c.class, c.used)}</td>
              <td data-field="physical">${amount(c.class, c.physical)}</td>
            </tr>`,
        )}
      </tbody>
    </table>`;
  }

  private _capacityForm(cloud: Cloud, classes: ResourceClass[]) {
    return html`<form
      data-testid="cloud-capacity-form"
      @submit=${(e: Event) => void this._saveCapacity(e, cloud)}
    >
      <table class="amounts">
        <thead>
          <tr>
            <th>${msg('Resource class', { id: 'quotas.col.class' })}</th>
            <th>${msg('Capacity', { id: 'quotas.col.capacity' })}</th>
            <th>${msg('Overcommit', { id: 'quotas.col.overcommit' })}</th>
          </tr>
        </thead>
        <tbody>
          ${cloud.classes.map(
            (c) =>
              html`<tr>
                <td>${classLabel(c.class, classes)}</td>
                <td>
                  <input
                    type="number"
                    min="0"
                    step="any"
                    name=${`capacity-${c.class}`}
                    aria-label=${msg(str`Capacity of ${classLabel(c.class, classes)}`, {
                      id: 'quotas.clouds.capacityOf',
                    })}
                    .value=${c.capacity === null ? '' : String(c.capacity)}
                  />
                </td>
                <td>
                  <input
                    type="number"
                    min="1"
                    step="any"
                    name=${`overcommit-${c.class}`}
                    aria-label=${msg(str`Overcommit of ${classLabel(c.class, classes)}`, {
                      id: 'quotas.clouds.overcommitOf',
                    })}
                    .value=${String(c.overcommit)}
                  />
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
      <div class="row">
        <button
          type="submit"
          class="btn primary"
          data-testid="cloud-capacity-save"
          ?disabled=${this._busy !== ''}
        >
          ${msg('Save', { id: 'quotas.save' })}
        </button>
        <button type="button" class="btn" @click=${() => (this._editing = '')}>
          ${msg('Cancel', { id: 'quotas.cancel' })}
        </button>
      </div>
    </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-quotas': TsPageQuotas;
  }
}
