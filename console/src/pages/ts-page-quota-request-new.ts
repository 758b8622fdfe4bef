import { LitElement, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { actionErrorMessage } from '../data/api.js';
import type { User } from '../data/auth.js';
import { errorText } from '../data/error-text.js';
import {
  amountIssues,
  amountProblemText,
  amountsFromInputs,
  anyAmount,
  createRequest,
  fetchCatalogue,
  fetchClasses,
  fetchClouds,
  fetchProjects,
  isQuotasMissing,
  localName,
  monthlyCost,
  packageAmounts,
} from '../data/quotas.js';
import type { Amounts, CataloguePackage, Cloud, NewRequest, Project, ResourceClass } from '../data/quotas.js';
import { navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import { amountsText, classLabel, quotaStyles, quotasUnavailable, yuan } from './ts-page-quota-common.js';
import '../components/ts-panel.js';

interface Loaded {
  clouds: Cloud[];
  classes: ResourceClass[];
  catalogue: CataloguePackage[];
  projects: Project[];
  /** Why the project list could not be read (a new project can still be applied for). */
  projectsError: string;
}

/** The requests API's project ids: 1–60 lowercase letters, digits and "-", a letter or digit at each end. */
const projectIdPattern = /^[a-z0-9]([a-z0-9-]{0,58}[a-z0-9])?$/;

/**
 * Apply for cloud resources (资源申请): the cloud, an existing project or a new one, a package of the
 * service catalogue (服务目录) × a quantity or amounts per resource class, the justification and the
 * duration; the monthly cost by the price list is shown as the form changes. Amounts are checked as
 * the API checks them (known classes, not negative, whole units where required) before sending; the
 * API's refusal is shown with its reason.
 */
@localized()
@customElement('ts-page-quota-request-new')
export class TsPageQuotaRequestNew extends LitElement {
  static override styles = [sharedStyles, pageStyles, ...quotaStyles];

  @property({ attribute: false }) user?: User;

  @state() private _cloud = '';

  @state() private _projectMode: 'existing' | 'new' = 'existing';

  @state() private _project = '';

  @state() private _newId = '';

  @state() private _newName = '';

  @state() private _mode: 'package' | 'custom' = 'package';

  @state() private _package = '';

  @state() private _quantity = '1';

  @state() private _inputs: Record<string, string> = {};

  @state() private _justification = '';

  @state() private _days = '365';

  @state() private _busy = false;

  @state() private _error = '';

  @state() private _submitted = false;

  private readonly _task = new Task(this, {
    task: async (_args, { signal }): Promise<Loaded> => {
      let projectsError = '';
      const [clouds, classes, catalogue, projects] = await Promise.all([
        fetchClouds(signal),
        fetchClasses(signal),
        fetchCatalogue(signal),
        fetchProjects('', '', signal).catch((e: unknown) => {
          projectsError = errorText(e);
          return [] as Project[];
        }),
      ]);
      if (projectsError && !projects.length) this._projectMode = 'new';
      return { clouds, classes, catalogue, projects, projectsError };
    },
    args: () => [] as const,
  });

  /** The amounts the form asks for now; NaN where a field is not a number. */
  private _amounts(v: Loaded): Amounts {
    if (this._mode === 'custom') return amountsFromInputs(this._inputs);
    const pkg = v.catalogue.find((p) => p.id === this._package);
    const q = Number(this._quantity);
    return pkg && Number.isInteger(q) && q > 0 ? packageAmounts(pkg, q) : {};
  }

  /** What is wrong with the form, in words; empty when it may be sent. */
  private _problems(v: Loaded): string[] {
    const out: string[] = [];
    if (!this._cloud) out.push(msg('Choose a cloud.', { id: 'quotas.new.needCloud' }));
    if (this._projectMode === 'existing' && !this._project)
      out.push(msg('Choose a project.', { id: 'quotas.new.needProject' }));
    if (this._projectMode === 'new') {
      if (!projectIdPattern.test(this._newId))
        out.push(
          msg(
            'The project id is 1–60 lowercase letters, digits and "-", with a letter or digit at each end.',
            {
              id: 'quotas.new.badProjectId',
            },
          ),
        );
      if (!this._newName.trim()) out.push(msg('Name the new project.', { id: 'quotas.new.needProjectName' }));
    }
    if (this._mode === 'package') {
      if (!this._package) out.push(msg('Choose a package.', { id: 'quotas.new.needPackage' }));
      const q = Number(this._quantity);
      if (!Number.isInteger(q) || q < 1)
        out.push(msg('The quantity is a whole number of at least 1.', { id: 'quotas.new.badQuantity' }));
    } else {
      const a = amountsFromInputs(this._inputs);
      for (const i of amountIssues(a, v.classes))
        out.push(`${classLabel(i.class, v.classes)}: ${amountProblemText(i.problem)}`);
      if (!anyAmount(a)) out.push(msg('Ask for at least one resource.', { id: 'quotas.new.needAmount' }));
    }
    if (this._justification.trim().length < 5)
      out.push(msg('Give a justification.', { id: 'quotas.new.needJustification' }));
    const d = Number(this._days);
    if (!Number.isInteger(d) || d < 1)
      out.push(msg('The duration is a whole number of days.', { id: 'quotas.new.badDuration' }));
    return out;
  }

  private async _submit(e: Event, v: Loaded) {
    e.preventDefault();
    this._submitted = true;
    this._error = '';
    if (this._problems(v).length) return;
    const body: NewRequest = {
      cloudId: this._cloud,
      justification: this._justification.trim(),
      durationDays: Number(this._days),
      ...(this._projectMode === 'existing'
        ? { projectId: this._project }
        : { newProject: { id: this._newId, name: this._newName.trim() } }),
      ...(this._mode === 'package'
        ? { package: this._package, quantity: Number(this._quantity) }
        : { amounts: amountsFromInputs(this._inputs) }),
    };
    this._busy = true;
    try {
      const created = await createRequest(body);
      navigate(`/quotas/requests/${encodeURIComponent(created.id)}`);
    } catch (err) {
      this._error = actionErrorMessage(err);
    } finally {
      this._busy = false;
    }
  }

  override render() {
    const heading = msg('Apply for resources', { id: 'quotas.apply' });
    if (isQuotasMissing(this._task.error)) return quotasUnavailable(heading);
    return html`<div class="page-header"><h1>${heading}</h1></div>
      ${this._task.render({
        pending: () => html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
        error: (e) =>
          html`<ts-panel
            heading=${heading}
            state="error"
            .error=${errorText(e)}
            @ts-retry=${() => void this._task.run()}
          ></ts-panel>`,
        complete: (v) => this._form(v),
      })}`;
  }

  private _form(v: Loaded) {
    const amounts = this._amounts(v);
    const valid = amountIssues(amounts, v.classes).length === 0;
    const cost = valid && anyAmount(amounts) ? monthlyCost(amounts, v.classes) : null;
    const problems = this._submitted ? this._problems(v) : [];
    const value = (e: Event) => (e.target as HTMLInputElement).value;
    return html`<form
      class="stack"
      data-testid="request-form"
      @submit=${(e: Event) => void this._submit(e, v)}
    >
      <ts-panel heading=${msg('Where', { id: 'quotas.new.where' })}>
        <div class="stack">
          <label class="field block"
            >${msg('Cloud', { id: 'quotas.col.cloud' })}
            <select
              name="cloud"
              data-testid="request-cloud"
              @change=${(e: Event) => (this._cloud = value(e))}
            >
              <option value="" ?selected=${this._cloud === ''}>
                ${msg('Choose…', { id: 'quotas.choose' })}
              </option>
              ${v.clouds.map((c) => html`<option value=${c.id} ?selected=${c.id === this._cloud}>${c.name}</option>`)}
            </select></label
          >
          <div class="row" role="radiogroup" aria-label=${msg('Project', { id: 'quotas.col.project' })}>
            <label class="field"
              ><input
                type="radio"
                name="project-mode"
                data-testid="request-project-existing"
                .checked=${this._projectMode === 'existing'}
                @change=${() => (this._projectMode = 'existing')}
              />${msg('Existing project', { id: 'quotas.new.existingProject' })}</label
            >
            <label class="field"
              ><input
                type="radio"
                name="project-mode"
                data-testid="request-project-new"
                .checked=${this._projectMode === 'new'}
                @change=${() => (this._projectMode = 'new')}
              />${msg('New project', { id: 'quotas.new.newProject' })}</label
            >
          </div>
          ${
            v.projectsError
              ? html`<p class="error" role="alert" data-testid="request-projects-error">
                  ${msg(str`The projects could not be read: ${v.projectsError}`, { id: 'quotas.new.projectsError' })}
                </p>`
              : nothing
          }
          ${
            this._projectMode === 'existing'
              ? html`<label class="field"
                  >${msg('Project', { id: 'quotas.col.project' })}
                  <select data-testid="request-project" @change=${(e: Event) => (this._project = value(e))}>
                    <option value="" ?selected=${this._project === ''}>
                      ${msg('Choose…', { id: 'quotas.choose' })}
                    </option>
                    ${v.projects.map(
                      (p) =>
                        html`<option value=${p.id} ?selected=${p.id === this._project}>
                          ${p.name} (${p.id})
                        </option>`,
                    )}
                  </select></label
                >`
              : html`<div class="row">
                  <label class="field"
                    >${msg('Project id', { id: 'quotas.new.projectId' })}
                    <input
                      type="text"
                      data-testid="request-new-id"
                      maxlength="63"
                      .value=${this._newId}
                      @input=${(e: Event) => (this._newId = value(e))}
                  /></label>
                  <label class="field"
                    >${msg('Project name', { id: 'quotas.new.projectName' })}
                    <input
                      type="text"
                      data-testid="request-new-name"
                      maxlength="200"
                      .value=${this._newName}
                      @input=${(e: Event) => (this._newName = value(e))}
                  /></label>
                </div>`
          }
        </div>
      </ts-panel>
      <ts-panel heading=${msg('What', { id: 'quotas.new.what' })}>
        <div class="stack">
          <div class="row">
            <label class="field"
              ><input
                type="radio"
                name="mode"
                data-testid="request-mode-package"
                .checked=${this._mode === 'package'}
                @change=${() => (this._mode = 'package')}
              />${msg('A package of the service catalogue', { id: 'quotas.new.modePackage' })}</label
            >
            <label class="field"
              ><input
                type="radio"
                name="mode"
                data-testid="request-mode-custom"
                .checked=${this._mode === 'custom'}
                @change=${() => (this._mode = 'custom')}
              />${msg('Resources per class', { id: 'quotas.new.modeCustom' })}</label
            >
          </div>
          ${this._mode === 'package' ? this._packages(v) : this._custom(v)}
          <p data-testid="request-amounts">${amountsText(amounts, v.classes)}</p>
          <p>
            ${msg('Monthly cost', { id: 'quotas.new.monthlyCost' })}:
            <span class="cost" data-testid="request-cost" data-value=${cost ?? ''}
              >${cost === null ? '—' : yuan(cost)}</span
            >
          </p>
        </div>
      </ts-panel>
      <ts-panel heading=${msg('Why and how long', { id: 'quotas.new.why' })}>
        <div class="stack">
          <label class="field block"
            >${msg('Justification', { id: 'quotas.col.justification' })}
            <textarea
              rows="3"
              maxlength="2000"
              data-testid="request-justification"
              .value=${this._justification}
              @input=${(e: Event) => (this._justification = value(e))}
            ></textarea>
          </label>
          <label class="field block"
            >${msg('Duration (days)', { id: 'quotas.new.duration' })}
            <input
              type="number"
              min="1"
              step="1"
              data-testid="request-duration"
              .value=${this._days}
              @input=${(e: Event) => (this._days = value(e))}
          /></label>
        </div>
      </ts-panel>
      ${
        problems.length
          ? html`<ul class="error" role="alert" data-testid="request-problems">
              ${problems.map((p) => html`<li>${p}</li>`)}
            </ul>`
          : nothing
      }
      ${this._error ? html`<p class="error" role="alert" data-testid="request-error">${this._error}</p>` : nothing}
      <div class="row">
        <button type="submit" class="btn primary" data-testid="request-submit" ?disabled=${this._busy}>
          ${msg('Submit the application', { id: 'quotas.new.submit' })}
        </button>
      </div>
    </form>`;
  }

  private _packages(v: Loaded) {
    return html`<div class="stack">
      <div class="row">
        <label class="field block"
          >${msg('Package', { id: 'quotas.col.package' })}
          <select
            data-testid="request-package"
            @change=${(e: Event) => (this._package = (e.target as HTMLSelectElement).value)}
          >
            <option value="" ?selected=${this._package === ''}>
              ${msg('Choose…', { id: 'quotas.choose' })}
            </option>
            ${v.catalogue.map(
              (p) =>
                html`<option value=${p.id} ?selected=${p.id === this._package}>
                  ${localName(p.names)}
                </option>`,
            )}
          </select></label
        >
        <label class="field block"
          >${msg('Quantity', { id: 'quotas.col.quantity' })}
          <input
            type="number"
            min="1"
            step="1"
            data-testid="request-quantity"
            .value=${this._quantity}
            @input=${(e: Event) => (this._quantity = (e.target as HTMLInputElement).value)}
        /></label>
      </div>
      <table class="amounts" data-testid="catalogue">
        <thead>
          <tr>
            <th>${msg('Package', { id: 'quotas.col.package' })}</th>
            <th>${msg('Resources', { id: 'quotas.col.resources' })}</th>
            <th>${msg('Monthly cost', { id: 'quotas.new.monthlyCost' })}</th>
          </tr>
        </thead>
        <tbody>
          ${v.catalogue.map(
            (p) =>
              html`<tr data-package=${p.id}>
                <td>
                  ${localName(p.names)}
                  ${p.description ? html`<div class="muted">${localName(p.description)}</div>` : nothing}
                </td>
                <td class="wrap">${amountsText(p.resources, v.classes)}</td>
                <td>${yuan(monthlyCost(p.resources, v.classes))}</td>
              </tr>`,
          )}
        </tbody>
      </table>
    </div>`;
  }

  private _custom(v: Loaded) {
    const issues = amountIssues(amountsFromInputs(this._inputs), v.classes);
    return html`<table class="amounts" data-testid="request-custom">
      <thead>
        <tr>
          <th>${msg('Resource class', { id: 'quotas.col.class' })}</th>
          <th>${msg('Amount', { id: 'quotas.col.amount' })}</th>
          <th>${msg('Unit price per month', { id: 'quotas.col.price' })}</th>
          <th></th>
        </tr>
      </thead>
      <tbody>
        ${v.classes.map((c) => {
          const issue = issues.find((i) => i.class === c.id);
          return html`<tr>
            <td>${localName(c.names)}</td>
            <td>
              <input
                type="text"
                inputmode="decimal"
                name=${`amount-${c.id}`}
                data-testid="request-amount"
                data-class=${c.id}
                aria-label=${msg(str`Amount of ${localName(c.names)} in ${c.unit}`, { id: 'quotas.new.amountOf' })}
                .value=${this._inputs[c.id] ?? ''}
                @input=${(e: Event) =>
                  (this._inputs = { ...this._inputs, [c.id]: (e.target as HTMLInputElement).value })}
              />
              ${c.unit}
            </td>
            <td>${yuan(c.monthlyPrice)}</td>
            <td>
              ${
                issue
                  ? html`<span class="error" data-testid="request-amount-issue" data-class=${c.id}
                      >${amountProblemText(issue.problem)}</span
                    >`
                  : nothing
              }
            </td>
          </tr>`;
        })}
      </tbody>
    </table>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-quota-request-new': TsPageQuotaRequestNew;
  }
}
