import { LitElement, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { actionErrorMessage } from '../data/api.js';
import { errorText } from '../data/error-text.js';
import {
  addRule,
  deleteRule,
  fetchRules,
  isSecurityMissing,
  ruleStatusText,
  ruleStatusTone,
  ruleStatuses,
  severityText,
} from '../data/security.js';
import type { Rule, RuleList, RuleStatus } from '../data/security.js';
import { formatCount, formatDateTime } from '../common/format.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import type { DataTableColumn } from '../components/ts-data-table.js';
import { attackChips, securityStyles } from './ts-page-security-common.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';
import '../components/ts-status-badge.js';

/**
 * Detection rules (检测规则): every Sigma rule with its status (compiled, unsupported with the reason
 * and not run, invalid with the reason), hits, last hit and evaluation errors; a rule added as YAML
 * shows its compile result; rules added through the API can be deleted.
 */
@localized()
@customElement('ts-page-security-rules')
export class TsPageSecurityRules extends LitElement {
  static override styles = [sharedStyles, pageStyles, securityStyles];

  @state() private _status: RuleStatus | '' = '';

  @state() private _yaml = '';

  @state() private _busy = false;

  @state() private _added?: Rule;

  @state() private _error = '';

  private readonly _task = new Task(this, {
    task: (_args, { signal }) => fetchRules(signal),
    args: () => [] as const,
  });

  private async _add(e: Event) {
    e.preventDefault();
    if (!this._yaml.trim()) return;
    this._busy = true;
    this._error = '';
    this._added = undefined;
    try {
      this._added = await addRule(this._yaml);
      await this._task.run();
    } catch (err) {
      this._error = actionErrorMessage(err);
    } finally {
      this._busy = false;
    }
  }

  private async _delete(rule: Rule) {
    this._error = '';
    try {
      await deleteRule(rule.id);
      await this._task.run();
    } catch (err) {
      this._error = actionErrorMessage(err);
    }
  }

  override render() {
    const heading = msg('Detection rules', { id: 'security.rules.heading' });
    if (isSecurityMissing(this._task.error))
      return html`<div class="page-header"><h1>${heading}</h1></div>
        <p class="unavailable" data-testid="security-unavailable">
          ${msg('Security situational awareness is not available on this server.', { id: 'security.unavailable' })}
        </p>`;
    return html`<div class="page-header"><h1>${heading}</h1></div>
      <div class="stack">
        ${this._task.render({
          pending: () =>
            this._task.value
              ? this._table(this._task.value, true)
              : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
          error: (e) =>
            html`<ts-panel
              heading=${heading}
              state="error"
              .error=${errorText(e)}
              @ts-retry=${() => void this._task.run()}
            ></ts-panel>`,
          complete: (list) => this._table(list, false),
        })}
        ${this._renderAdd()}
      </div>`;
  }

  private _table(list: RuleList, busy: boolean) {
    const rows = this._status ? list.items.filter((r) => r.status === this._status) : list.items;
    const columns: DataTableColumn<Rule>[] = [
      {
        id: 'status',
        title: msg('Status', { id: 'security.col.status' }),
        render: (r) =>
          html`<ts-status-badge
            data-status=${r.status}
            .status=${r.status}
            .label=${ruleStatusText(r.status)}
            .tone=${ruleStatusTone(r.status)}
          ></ts-status-badge>`,
        sortValue: (r) => r.status,
      },
      {
        id: 'title',
        title: msg('Rule', { id: 'security.col.rule' }),
        render: (r) =>
          html`<span class="cell-stack"
            ><span>${r.title || r.id}</span><span class="cell-sub mono">${r.file || r.id}</span></span
          >`,
        sortValue: (r) => r.title,
      },
      {
        id: 'reason',
        title: msg('Reason', { id: 'security.col.reason' }),
        render: (r) =>
          r.reason ? html`<span class="cell-wrap" data-testid="rule-reason">${r.reason}</span>` : '',
      },
      {
        id: 'kind',
        title: msg('Kind', { id: 'security.col.kind' }),
        render: (r) =>
          r.kind === 'correlation' ? msg('correlation', { id: 'security.rules.correlation' }) : 'Sigma',
      },
      {
        id: 'level',
        title: msg('Level', { id: 'security.col.level' }),
        render: (r) => severityText(r.level),
      },
      {
        id: 'attack',
        title: msg('ATT&CK', { id: 'security.col.attack' }),
        render: (r) => attackChips(r.attack),
      },
      {
        id: 'hits',
        title: msg('Hits', { id: 'security.col.hits' }),
        align: 'end',
        render: (r) => formatCount(r.hits),
        sortValue: (r) => r.hits,
      },
      {
        id: 'lastHit',
        title: msg('Last hit', { id: 'security.col.lastHit' }),
        render: (r) => (r.lastHitAt ? formatDateTime(r.lastHitAt) : ''),
        sortValue: (r) => r.lastHitAt ?? '',
      },
      {
        id: 'errors',
        title: msg('Errors', { id: 'security.col.errors' }),
        align: 'end',
        render: (r) => (r.errors > 0 ? html`<span class="cell-bad">${formatCount(r.errors)}</span>` : '0'),
        sortValue: (r) => r.errors,
      },
      {
        id: 'delete',
        title: '',
        render: (r) =>
          r.origin === 'api'
            ? html`<button
                type="button"
                class="btn"
                data-testid="rule-delete"
                @click=${() => void this._delete(r)}
              >
                ${msg('Delete', { id: 'security.rules.delete' })}
              </button>`
            : '',
      },
    ];
    const s = list.summary;
    return html`<ts-panel heading=${msg('Detection rules', { id: 'security.rules.heading' })} ?busy=${busy}>
      <span
        slot="meta"
        data-testid="rules-summary"
        data-compiled=${s.compiled}
        data-unsupported=${s.unsupported}
        data-invalid=${s.invalid}
        >${msg(str`${formatCount(s.compiled)} compiled · ${formatCount(s.unsupported)} unsupported · ${formatCount(s.invalid)} invalid`, { id: 'security.rules.summary' })}</span
      >
      <label slot="actions" class="field"
        >${msg('Status', { id: 'security.col.status' })}
        <select
          data-testid="rules-status"
          @change=${(e: Event) => (this._status = (e.target as HTMLSelectElement).value as RuleStatus | '')}
        >
          <option value="">${msg('All', { id: 'security.incidents.all' })}</option>
          ${ruleStatuses.map((st) => html`<option value=${st} ?selected=${st === this._status}>${ruleStatusText(st)}</option>`)}
        </select></label
      >
      <ts-data-table
        data-testid="rules-table"
        caption=${msg('Detection rules', { id: 'security.rules.heading' })}
        .columns=${columns}
        .rows=${rows}
        .rowKey=${(r: Rule) => r.id}
        .rowAttributes=${(r: Rule) => ({ 'data-testid': 'rule-row', 'data-key': r.id, 'data-status': r.status })}
        emptyMessage=${msg('No rules.', { id: 'security.rules.empty' })}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _renderAdd() {
    const a = this._added;
    return html`<ts-panel heading=${msg('Add a rule', { id: 'security.rules.add' })}>
      <form class="stack" @submit=${(e: Event) => void this._add(e)}>
        <textarea
          rows="12"
          data-testid="rule-yaml"
          spellcheck="false"
          aria-label=${msg('Sigma rule (YAML)', { id: 'security.rules.yaml' })}
          placeholder=${msg('A Sigma rule in YAML (specification 2.x)', { id: 'security.rules.yamlPlaceholder' })}
          .value=${this._yaml}
          @input=${(e: Event) => (this._yaml = (e.target as HTMLTextAreaElement).value)}
        ></textarea>
        <div class="row">
          <button
            type="submit"
            class="btn primary"
            data-testid="rule-add"
            ?disabled=${this._busy || !this._yaml.trim()}
          >
            ${msg('Compile and add', { id: 'security.rules.addApply' })}
          </button>
          ${
            a
              ? html`<span role="status" data-testid="rule-added" data-status=${a.status}
                  >${msg(str`${a.title || a.id}: ${ruleStatusText(a.status)}`, { id: 'security.rules.added' })}${a.reason ? ` — ${a.reason}` : ''}</span
                >`
              : nothing
          }
        </div>
        ${this._error ? html`<p class="error" role="alert" data-testid="rule-error">${this._error}</p>` : nothing}
      </form>
    </ts-panel>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-security-rules': TsPageSecurityRules;
  }
}
