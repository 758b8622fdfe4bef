import { LitElement, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task } from '@lit/task';
import { query } from '../data/api.js';
import { errorText } from '../data/error-text.js';
import {
  fetchClasses,
  fetchScorecards,
  fetchShowback,
  isMonth,
  isQuotasMissing,
  monthOf,
  recentMonths,
} from '../data/quotas.js';
import type { ResourceClass, Scorecard, Showback } from '../data/quotas.js';
import { formatCount, formatNumber, formatPercent } from '../common/format.js';
import { navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import { scorecardOption, showbackOption } from '../charts/quota-charts.js';
import { amountText, classLabel, quotaStyles, quotasUnavailable, yuan } from './ts-page-quota-common.js';
import '../charts/ts-chart.js';
import '../components/ts-panel.js';

const monthFromUrl = (): string => {
  const m = new URLSearchParams(window.location.search).get('month') ?? '';
  return isMonth(m) ? m : monthOf(Date.now());
};

function monthSelect(current: string, testId: string, onChange: (m: string) => void) {
  const months = recentMonths(Date.now(), 12);
  return html`<label class="field"
    >${msg('Month', { id: 'quotas.month' })}
    <select data-testid=${testId} @change=${(e: Event) => onChange((e.target as HTMLSelectElement).value)}>
      ${(months.includes(current) ? months : [current, ...months]).map(
        (m) => html`<option value=${m} ?selected=${m === current}>${m}</option>`,
      )}
    </select></label
  >`;
}

/**
 * Showback (计量/成本展示): per org unit in scope, for a month, the quota and use per resource class
 * and the cost by the price list, with a chart of the cost stacked by class.
 */
@localized()
@customElement('ts-page-quota-showback')
export class TsPageQuotaShowback extends LitElement {
  static override styles = [sharedStyles, pageStyles, ...quotaStyles];

  @state() private _month = monthFromUrl();

  /** The unit whose children are shown (the caller's own when empty). */
  @state() private _orgUnit = new URLSearchParams(window.location.search).get('orgUnit') ?? '';

  private _go(month: string, orgUnit: string) {
    this._month = month;
    this._orgUnit = orgUnit;
    navigate(`/quotas/showback${query({ month, orgUnit: orgUnit || undefined })}`);
  }

  private readonly _task = new Task(this, {
    task: async ([month, orgUnit], { signal }): Promise<{ showback: Showback; classes: ResourceClass[] }> => {
      const [showback, classes] = await Promise.all([
        fetchShowback(month, orgUnit, signal),
        fetchClasses(signal),
      ]);
      return { showback, classes };
    },
    args: () => [this._month, this._orgUnit] as const,
  });

  override render() {
    const heading = msg('Showback', { id: 'quotas.showback.heading' });
    if (isQuotasMissing(this._task.error)) return quotasUnavailable(heading);
    return html`<div class="page-header">
        <h1>${heading}</h1>
        <span class="spacer"></span>
        ${
          this._orgUnit
            ? html`<button
                type="button"
                class="btn"
                data-testid="showback-top"
                @click=${() => this._go(this._month, '')}
              >
                ${msg('Back to the top', { id: 'quotas.tree.top' })}
              </button>`
            : nothing
        }
        ${monthSelect(this._month, 'showback-month', (m) => this._go(m, this._orgUnit))}
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value
            ? this._content(this._task.value)
            : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
        error: (e) =>
          html`<ts-panel
            heading=${heading}
            state="error"
            .error=${errorText(e)}
            @ts-retry=${() => void this._task.run()}
          ></ts-panel>`,
        complete: (v) => this._content(v),
      })}`;
  }

  private _content({ showback, classes }: { showback: Showback; classes: ResourceClass[] }) {
    const shown = classes.filter((c) => showback.items.some((i) => i.byClass[c.id]));
    const total = showback.items.reduce((s, i) => s + i.total, 0);
    return html`<div class="stack">
      <ts-panel heading=${msg('Cost per org unit', { id: 'quotas.showback.chart' })}>
        <span slot="meta" data-testid="showback-total">${yuan(total)}</span>
        ${
          showback.items.length
            ? html`<ts-chart
                class="wide"
                data-testid="showback-chart"
                .option=${showbackOption(showback, classes)}
              ></ts-chart>`
            : html`<p class="empty" data-testid="showback-empty">
                ${msg('Nothing to show for this month.', { id: 'quotas.reports.empty' })}
              </p>`
        }
      </ts-panel>
      <ts-panel heading=${msg('Per org unit and class', { id: 'quotas.showback.table' })}>
        <div style="overflow:auto">
          <table class="amounts" data-testid="showback-table">
            <thead>
              <tr>
                <th rowspan="2">${msg('Org unit', { id: 'quotas.col.orgUnit' })}</th>
                ${shown.map((c) => html`<th colspan="3">${classLabel(c.id, classes)}</th>`)}
                <th rowspan="2">${msg('Total', { id: 'quotas.col.total' })}</th>
              </tr>
              <tr>
                ${shown.map(
                  () =>
                    html`<th>${msg('Quota', { id: 'quotas.col.quota' })}</th>
                      <th>${msg('Used', { id: 'quotas.chart.used' })}</th>
                      <th>${msg('Cost', { id: 'quotas.col.cost' })}</th>`,
                )}
              </tr>
            </thead>
            <tbody>
              ${showback.items.map(
                (i) =>
                  html`<tr data-testid="showback-row" data-key=${i.orgUnitId}>
                    <td>
                      ${
                        i.orgUnitId === this._orgUnit
                          ? i.name || i.orgUnitId
                          : html`<a
                              href=${`/quotas/showback${query({ month: this._month, orgUnit: i.orgUnitId })}`}
                              @click=${(e: Event) => {
                                e.preventDefault();
                                this._go(this._month, i.orgUnitId);
                              }}
                              >${i.name || i.orgUnitId}</a
                            >`
                      }
                    </td>
                    ${shown.map((c) => {
                      const b = i.byClass[c.id];
                      return html`<td>${b ? amountText(c.id, b.quota, classes) : '—'}</td>
                        <td>${b ? amountText(c.id, b.used, classes) : '—'}</td>
                        <td>${b ? yuan(b.cost) : '—'}</td>`;
                    })}
                    <td data-field="total">${yuan(i.total)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>
      </ts-panel>
    </div>`;
  }
}

/**
 * Provider scorecards (绩效考核): per cloud for a month, availability, the median time from
 * application to enforcement, utilisation efficiency per class, drift and errors, and the score.
 */
@localized()
@customElement('ts-page-quota-scorecards')
export class TsPageQuotaScorecards extends LitElement {
  static override styles = [sharedStyles, pageStyles, ...quotaStyles];

  @state() private _month = monthFromUrl();

  private readonly _task = new Task(this, {
    task: async ([month], { signal }): Promise<{ items: Scorecard[]; classes: ResourceClass[] }> => {
      const [items, classes] = await Promise.all([fetchScorecards(month, signal), fetchClasses(signal)]);
      return { items, classes };
    },
    args: () => [this._month] as const,
  });

  override render() {
    const heading = msg('Provider scorecards', { id: 'quotas.scorecards.heading' });
    if (isQuotasMissing(this._task.error)) return quotasUnavailable(heading);
    return html`<div class="page-header">
        <h1>${heading}</h1>
        <span class="spacer"></span>
        ${monthSelect(this._month, 'scorecards-month', (m) => {
          this._month = m;
          navigate(`/quotas/scorecards?month=${m}`, { replace: true });
        })}
      </div>
      ${this._task.render({
        pending: () =>
          this._task.value
            ? this._content(this._task.value)
            : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
        error: (e) =>
          html`<ts-panel
            heading=${heading}
            state="error"
            .error=${errorText(e)}
            @ts-retry=${() => void this._task.run()}
          ></ts-panel>`,
        complete: (v) => this._content(v),
      })}`;
  }

  private _content({ items, classes }: { items: Scorecard[]; classes: ResourceClass[] }) {
    if (!items.length)
      return html`<p class="empty" data-testid="scorecards-empty">
        ${msg('Nothing to show for this month.', { id: 'quotas.reports.empty' })}
      </p>`;
    const shown = classes.filter((c) => items.some((i) => i.utilisation[c.id] !== undefined));
    return html`<div class="stack">
      <ts-panel heading=${msg('Score', { id: 'quotas.chart.score' })}>
        <ts-chart
          class="bars"
          data-testid="scorecards-chart"
          .option=${scorecardOption(items, this._month)}
        ></ts-chart>
      </ts-panel>
      <ts-panel heading=${msg('Per cloud', { id: 'quotas.scorecards.table' })}>
        <div style="overflow:auto">
          <table class="amounts" data-testid="scorecards-table">
            <thead>
              <tr>
                <th>${msg('Cloud', { id: 'quotas.col.cloud' })}</th>
                <th>${msg('Availability', { id: 'quotas.col.availability' })}</th>
                <th>${msg('Median fulfilment (hours)', { id: 'quotas.col.fulfilment' })}</th>
                ${shown.map(
                  (c) =>
                    html`<th>
                      ${msg(str`${classLabel(c.id, classes)} utilisation`, { id: 'quotas.col.classUtilisation' })}
                    </th>`,
                )}
                <th>${msg('Drift', { id: 'quotas.col.drift' })}</th>
                <th>${msg('Errors', { id: 'quotas.col.errors' })}</th>
                <th>${msg('Score', { id: 'quotas.chart.score' })}</th>
              </tr>
            </thead>
            <tbody>
              ${items.map(
                (i) =>
                  html`<tr data-testid="scorecard-row" data-key=${i.cloudId}>
                    <td>${i.name}</td>
                    <td>${i.availability === null ? '—' : formatPercent(i.availability * 100, 2)}</td>
                    <td>
                      ${i.fulfilmentHoursMedian === null ? '—' : formatNumber(i.fulfilmentHoursMedian, 1)}
                    </td>
                    ${shown.map((c) => {
                      const u = i.utilisation[c.id];
                      return html`<td>${u === undefined ? '—' : formatPercent(u * 100, 0)}</td>`;
                    })}
                    <td>${formatCount(i.drift)}</td>
                    <td>${formatCount(i.errors)}</td>
                    <td data-field="score">${i.score === null ? '—' : formatNumber(i.score, 1)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>
      </ts-panel>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-quota-showback': TsPageQuotaShowback;
    'ts-page-quota-scorecards': TsPageQuotaScorecards;
  }
}
