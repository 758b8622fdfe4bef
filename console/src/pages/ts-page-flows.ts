import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { Task, TaskStatus } from '@lit/task';
import {
  addToFilter,
  dimensionLabel,
  fetchFlowSankey,
  fetchFlowSeries,
  fetchFlowTop,
  filterErrorText,
  flowDimensions,
  flowErrorText,
  flowLimits,
  flowMeasures,
  flowQuerySearch,
  isFlowsMissing,
  keyText,
  measureLabel,
  measureOf,
  parseFlowQuery,
  queryWindow,
  ratePerSecond,
  rowClause,
  rowLabels,
  seriesStep,
  share,
  topDimensions,
} from '../data/flows.js';
import type {
  FlowDimension,
  FlowMeasure,
  FlowQuery,
  FlowSankey,
  FlowSeries,
  FlowTop,
  FlowTopItem,
  FlowView,
} from '../data/flows.js';
import type { MetricsRange } from '../data/hosts.js';
import { formatDateTime, formatPercent } from '../common/format.js';
import { locationChangedEvent, navigate } from '../common/router.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import { cachedOption, chartFigure } from '../charts/figure.js';
import {
  flowSankeyOption,
  flowSeriesLines,
  flowSeriesOption,
  formatMeasure,
  formatRate,
} from '../charts/flow-charts.js';
import { isEmpty } from '../charts/time-series.js';
import { rangeButtons } from '../charts/range-buttons.js';
import { zoomedWindow } from '../charts/time-range.js';
import type { ChartRangeDetail } from '../charts/option.js';
import type { DataTableColumn, RowSelectDetail } from '../components/ts-data-table.js';
import { networkStyles } from './network-panels.js';
import '../charts/ts-range-bar.js';
import '../components/ts-data-table.js';
import '../components/ts-panel.js';

/** A time as a `datetime-local` input shows it: local time, to the minute. */
const localInput = (t: number): string => {
  const d = new Date(t);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
};

interface Loaded<T> {
  data: T;
  window: { from: number; to: number };
}

/** A row of the top-N table: an API item, or the "other" row. */
interface TopRow {
  item: FlowTopItem;
  other: boolean;
}

/**
 * The flow explorer (流量分析): top N by one to three dimensions, the time series stacked by the
 * first, a Sankey between them; filter, measure and time range. The URL holds the whole query, so a
 * view can be shared, reloaded, and walked back and forth.
 */
@localized()
@customElement('ts-page-flows')
export class TsPageFlows extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    networkStyles,
    css`
      .query {
        display: grid;
        gap: 10px;
      }
      .row {
        display: flex;
        flex-wrap: wrap;
        align-items: center;
        gap: 8px 14px;
      }
      label.field {
        display: inline-flex;
        align-items: center;
        gap: 6px;
        font-size: 12px;
        color: var(--ts-text-muted);
      }
      select,
      input[type='text'],
      input[type='datetime-local'] {
        height: 28px;
        padding: 0 6px;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        background: var(--ts-surface);
        color: var(--ts-text);
        font: inherit;
      }
      form.filter {
        display: flex;
        gap: 6px;
        align-items: flex-start;
      }
      form.filter .box {
        flex: 1;
        display: grid;
        gap: 4px;
      }
      form.filter input {
        width: 100%;
        box-sizing: border-box;
        font-family: var(--ts-mono, monospace);
      }
      form.filter input[aria-invalid='true'] {
        border-color: var(--ts-bad);
      }
      .filter-error {
        margin: 0;
        color: var(--ts-bad);
        font-size: 12px;
      }
      .help {
        color: var(--ts-text-muted);
        font-size: 12px;
      }
      .help code {
        font-family: var(--ts-mono, monospace);
      }
      button.action {
        height: 28px;
        padding: 0 12px;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        background: var(--ts-surface);
        color: var(--ts-text);
        font: inherit;
        cursor: pointer;
      }
      button.primary {
        background: var(--ts-accent);
        border-color: var(--ts-accent);
        color: #fff;
      }
      .results {
        display: grid;
        gap: 12px;
        margin-top: 12px;
      }
      .dims {
        display: inline-flex;
        flex-wrap: wrap;
        gap: 6px;
        align-items: center;
      }
      figure {
        margin: 0;
      }
      figcaption {
        margin-bottom: 4px;
        font-weight: 600;
        font-size: 12px;
      }
      .share {
        display: inline-flex;
        align-items: center;
        gap: 6px;
      }
      .share .bar {
        display: inline-block;
        height: 6px;
        background: var(--ts-accent);
        border-radius: 3px;
      }
      .total {
        color: var(--ts-text-muted);
        font-size: 12px;
      }
    `,
  ];

  @state() private _query: FlowQuery = parseFlowQuery(window.location.search);

  /** The filter as being typed; applied on submit. */
  @state() private _draft = this._query.filter;

  @state() private _now = Date.now();

  override connectedCallback() {
    super.connectedCallback();
    window.addEventListener('popstate', this._onLocation);
    window.addEventListener(locationChangedEvent, this._onLocation);
    // A shared URL that left parts out gets them written in, without a history entry.
    const search = flowQuerySearch(this._query);
    if (window.location.search !== search) navigate(`/flows${search}`, { replace: true });
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    window.removeEventListener('popstate', this._onLocation);
    window.removeEventListener(locationChangedEvent, this._onLocation);
  }

  private _onLocation = () => {
    if (window.location.pathname !== '/flows') return;
    const next = parseFlowQuery(window.location.search);
    if (flowQuerySearch(next) === flowQuerySearch(this._query)) return;
    this._query = next;
    this._draft = next.filter;
    this._now = Date.now();
  };

  /** Changes the query: a new history entry, so that back returns to the previous view. */
  private _set(change: Partial<FlowQuery>) {
    const next: FlowQuery = { ...this._query, ...change };
    if (next.custom === undefined) delete next.custom;
    this._query = next;
    this._now = Date.now();
    navigate(`/flows${flowQuerySearch(next)}`);
  }

  private _window() {
    return queryWindow(this._query, this._now);
  }

  // Task arguments compare by identity: the dimensions go in as the query's own array, and the
  // table's first two are taken inside (a new array per render would load again on every render).
  private readonly _topTask = new Task(this, {
    task: async (
      [by, measure, filter, limit, from, to]: [FlowDimension[], FlowMeasure, string, number, number, number],
      { signal },
    ): Promise<Loaded<FlowTop>> => ({
      data: await fetchFlowTop({ by: topDimensions(by), measure, filter, limit, from, to }, signal),
      window: { from, to },
    }),
    args: () => {
      const w = this._window();
      return [this._query.by, this._query.measure, this._query.filter, this._query.limit, w.from, w.to] as [
        FlowDimension[],
        FlowMeasure,
        string,
        number,
        number,
        number,
      ];
    },
  });

  private readonly _seriesTask = new Task(this, {
    task: async (
      [view, by, measure, filter, limit, from, to]: [
        FlowView,
        FlowDimension[],
        FlowMeasure,
        string,
        number,
        number,
        number,
      ],
      { signal },
    ): Promise<Loaded<FlowSeries> | undefined> => {
      if (view !== 'series') return undefined;
      const step = seriesStep({ from, to });
      return {
        data: await fetchFlowSeries({ by, measure, filter, limit, from, to, step }, signal),
        window: { from, to },
      };
    },
    args: () => {
      const w = this._window();
      const q = this._query;
      return [q.view, q.by, q.measure, q.filter, q.limit, w.from, w.to] as [
        FlowView,
        FlowDimension[],
        FlowMeasure,
        string,
        number,
        number,
        number,
      ];
    },
  });

  private readonly _sankeyTask = new Task(this, {
    task: async (
      [view, by, measure, filter, limit, from, to]: [
        FlowView,
        FlowDimension[],
        FlowMeasure,
        string,
        number,
        number,
        number,
      ],
      { signal },
    ): Promise<Loaded<FlowSankey> | undefined> => {
      if (view !== 'sankey' || by.length < 2) return undefined;
      return {
        data: await fetchFlowSankey({ by, measure, filter, limit, from, to }, signal),
        window: { from, to },
      };
    },
    args: () => {
      const w = this._window();
      const q = this._query;
      return [q.view, q.by, q.measure, q.filter, q.limit, w.from, w.to] as [
        FlowView,
        FlowDimension[],
        FlowMeasure,
        string,
        number,
        number,
        number,
      ];
    },
  });

  override render() {
    const missing = isFlowsMissing(this._topTask.error);
    return html`
      <div class="page-header">
        <h1>${msg('Flow explorer', { id: 'flows.explorer.heading' })}</h1>
        <span class="muted">${this._windowText()}</span>
      </div>
      ${
        missing
          ? html`<ts-panel heading=${msg('Flow explorer', { id: 'flows.explorer.heading' })}>
              <p class="unavailable" data-testid="flows-unavailable">
                ${msg('Flow analysis is not available on this server.', { id: 'flows.unavailable' })}
              </p>
            </ts-panel>`
          : html`${this._renderQuery()}
              <div class="results">${this._renderTop()} ${this._renderChart()}</div>`
      }
    `;
  }

  private _windowText() {
    const w = this._window();
    const from = formatDateTime(w.from);
    const to = formatDateTime(w.to);
    return msg(str`${from} – ${to}`, { id: 'flows.window' });
  }

  private _renderQuery() {
    const q = this._query;
    // Only the answer to the filter in force: a failed earlier one stops counting once it is changed.
    const filterError =
      this._topTask.status === TaskStatus.ERROR ? filterErrorText(this._topTask.error) : undefined;
    return html`<ts-panel heading=${msg('Query', { id: 'flows.query.heading' })}>
      ${rangeButtons({
        range: q.range,
        custom: q.custom,
        label: msg('Time range', { id: 'flows.range.label' }),
        testId: 'flows-range',
        onSelect: (range: MetricsRange) => this._set({ range, custom: undefined }),
      })}
      <div class="query">
        <div class="row">
          <span class="dims" role="group" aria-label=${msg('Dimensions', { id: 'flows.dims.label' })}>
            ${q.by.map((d, i) => this._dimensionSelect(d, i))}
            ${
              q.by.length < 3
                ? html`<button
                    type="button"
                    class="action"
                    data-testid="flows-dim-add"
                    @click=${() => this._addDimension()}
                  >
                    ${msg('+ Dimension', { id: 'flows.dims.add' })}
                  </button>`
                : nothing
            }
          </span>
          <label class="field"
            >${msg('Measure', { id: 'flows.measure.label' })}
            <select
              data-testid="flows-measure"
              .value=${q.measure}
              @change=${(e: Event) => this._set({ measure: (e.target as HTMLSelectElement).value as FlowMeasure })}
            >
              ${flowMeasures.map((m) => html`<option value=${m} ?selected=${m === q.measure}>${measureLabel(m)}</option>`)}
            </select></label
          >
          <label class="field"
            >${msg('Top', { id: 'flows.limit.label' })}
            <select
              data-testid="flows-limit"
              @change=${(e: Event) => this._set({ limit: Number((e.target as HTMLSelectElement).value) })}
            >
              ${flowLimits.map((n) => html`<option value=${n} ?selected=${n === q.limit}>${n}</option>`)}
            </select></label
          >
          <span
            class="segmented"
            role="group"
            aria-label=${msg('Chart', { id: 'flows.view.label' })}
            data-testid="flows-view"
            data-value=${q.view}
          >
            <button
              type="button"
              data-value="series"
              aria-pressed=${q.view === 'series' ? 'true' : 'false'}
              @click=${() => this._set({ view: 'series' })}
            >
              ${msg('Time series', { id: 'flows.view.series' })}
            </button>
            <button
              type="button"
              data-value="sankey"
              aria-pressed=${q.view === 'sankey' ? 'true' : 'false'}
              @click=${() => this._set({ view: 'sankey' })}
            >
              ${msg('Sankey', { id: 'flows.view.sankey' })}
            </button>
          </span>
        </div>
        <form class="filter" @submit=${this._applyFilter}>
          <div class="box">
            <input
              type="text"
              name="filter"
              data-testid="flows-filter"
              spellcheck="false"
              autocomplete="off"
              aria-label=${msg('Filter', { id: 'flows.filter.label' })}
              aria-invalid=${filterError ? 'true' : 'false'}
              aria-describedby="filter-help filter-error"
              placeholder=${msg('Filter, e.g. srcOrgUnit = "成都市" AND proto = tcp AND NOT dstPort IN (80, 443)', { id: 'flows.filter.placeholder' })}
              .value=${this._draft}
              @input=${(e: Event) => (this._draft = (e.target as HTMLInputElement).value)}
            />
            ${
              filterError
                ? html`<p
                    class="filter-error"
                    id="filter-error"
                    role="alert"
                    data-testid="flows-filter-error"
                  >
                    ${filterError}
                  </p>`
                : nothing
            }
            <span class="help" id="filter-help"
              >${msg(
                html`Operators: <code>= != &lt; &gt; &lt;= &gt;= IN (…) ~ CIDR</code>, combined with
                  <code>AND OR NOT</code> and parentheses. Click a row to add it.`,
                { id: 'flows.filter.help' },
              )}</span
            >
          </div>
          <button type="submit" class="action primary" data-testid="flows-filter-apply">
            ${msg('Apply', { id: 'flows.filter.apply' })}
          </button>
          ${
            q.filter
              ? html`<button
                  type="button"
                  class="action"
                  data-testid="flows-filter-clear"
                  @click=${() => this._setFilter('')}
                >
                  ${msg('Clear', { id: 'flows.filter.clear' })}
                </button>`
              : nothing
          }
        </form>
        <form class="row" data-testid="flows-custom-range" @submit=${this._applyCustom}>
          <label class="field"
            >${msg('From', { id: 'flows.custom.from' })}
            <input type="datetime-local" name="from" required .value=${localInput(this._window().from)}
          /></label>
          <label class="field"
            >${msg('To', { id: 'flows.custom.to' })}
            <input type="datetime-local" name="to" required .value=${localInput(this._window().to)}
          /></label>
          <button type="submit" class="action" data-testid="flows-custom-apply">
            ${msg('Show this range', { id: 'flows.custom.apply' })}
          </button>
          ${
            this._customError
              ? html`<span class="filter-error" role="alert" data-testid="flows-custom-error"
                  >${this._customError}</span
                >`
              : nothing
          }
          ${
            q.custom
              ? html`<ts-range-bar
                  .range=${q.custom}
                  @ts-range-reset=${() => this._set({ range: q.range, custom: undefined })}
                ></ts-range-bar>`
              : nothing
          }
        </form>
      </div>
    </ts-panel>`;
  }

  @state() private _customError = '';

  private _applyCustom = (event: Event) => {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const value = (name: string) => (form.elements.namedItem(name) as HTMLInputElement | null)?.value ?? '';
    const from = Date.parse(value('from'));
    const to = Date.parse(value('to'));
    const custom =
      Number.isFinite(from) && Number.isFinite(to) ? zoomedWindow({ from, to }, Date.now()) : undefined;
    if (!custom) {
      this._customError = msg('Choose a start before the end, not in the future.', {
        id: 'flows.custom.invalid',
      });
      return;
    }
    this._customError = '';
    this._set({ custom });
  };

  private _dimensionSelect(current: FlowDimension, index: number) {
    const q = this._query;
    const taken = new Set(q.by.filter((_, i) => i !== index));
    return html`<span class="dims">
      <select
        data-testid="flows-dim-${index}"
        aria-label=${msg(str`Dimension ${index + 1}`, { id: 'flows.dims.one' })}
        @change=${(e: Event) => {
          const by = [...q.by];
          by[index] = (e.target as HTMLSelectElement).value as FlowDimension;
          this._set({ by });
        }}
      >
        ${flowDimensions
          .filter((d) => !taken.has(d))
          .map((d) => html`<option value=${d} ?selected=${d === current}>${dimensionLabel(d)}</option>`)}
      </select>
      ${
        q.by.length > 1
          ? html`<button
              type="button"
              class="action"
              data-testid="flows-dim-remove-${index}"
              aria-label=${msg(str`Remove dimension ${index + 1}`, { id: 'flows.dims.remove' })}
              @click=${() => this._set({ by: q.by.filter((_, i) => i !== index) })}
            >
              ×
            </button>`
          : nothing
      }
    </span>`;
  }

  private _addDimension() {
    const q = this._query;
    const next = flowDimensions.find((d) => !q.by.includes(d));
    if (next && q.by.length < 3) this._set({ by: [...q.by, next] });
  }

  private _applyFilter = (event: Event) => {
    event.preventDefault();
    this._setFilter(this._draft);
  };

  private _setFilter(filter: string) {
    this._draft = filter;
    if (filter.trim() === this._query.filter.trim()) {
      // The same filter again: load again (e.g. after the server's data changed).
      this._now = Date.now();
      return;
    }
    this._set({ filter: filter.trim() });
  }

  private _renderTop() {
    const heading = msg('Top', { id: 'flows.top.heading' });
    return this._topTask.render({
      pending: () =>
        this._topTask.value
          ? this._topPanel(this._topTask.value, true)
          : html`<ts-panel heading=${heading} state="loading"></ts-panel>`,
      complete: (value) => this._topPanel(value, false),
      error: (error) =>
        filterErrorText(error)
          ? html`<ts-panel heading=${heading}
              ><p class="unavailable">
                ${msg('Correct the filter to see flows.', { id: 'flows.filter.correct' })}
              </p></ts-panel
            >`
          : html`<ts-panel
              heading=${heading}
              state="error"
              .error=${flowErrorText(error)}
              @ts-retry=${() => void this._topTask.run()}
            ></ts-panel>`,
    });
  }

  private _topColumns(top: Loaded<FlowTop>): DataTableColumn<TopRow>[] {
    const { measure } = this._query;
    const by = topDimensions(this._query.by);
    const total = measureOf(top.data.total, measure);
    const seconds = (top.window.to - top.window.from) / 1000;
    const dims: DataTableColumn<TopRow>[] = by.map((d, i) => ({
      id: `dim-${i}`,
      title: dimensionLabel(d),
      render: (row) =>
        row.other
          ? html`<span class="muted">${msg('Other', { id: 'flows.other' })}</span>`
          : (rowLabels(by, row.item)[i] ?? ''),
    }));
    const value = (m: FlowMeasure): DataTableColumn<TopRow> => ({
      id: m,
      title: measureLabel(m),
      align: 'end',
      render: (row) => formatMeasure(m, row.item[m]),
      sortValue: (row) => row.item[m],
    });
    return [
      ...dims,
      {
        id: 'rate',
        title:
          measure === 'bytes'
            ? msg('Average rate', { id: 'flows.top.rate' })
            : msg(str`${measureLabel(measure)} per second`, { id: 'flows.top.ratePer' }),
        align: 'end',
        render: (row) => formatRate(measure, ratePerSecond(measure, row.item[measure], seconds)),
        sortValue: (row) => row.item[measure],
      },
      {
        id: 'share',
        title: msg('Share', { id: 'flows.top.share' }),
        align: 'end',
        render: (row) => {
          const pct = share(row.item[measure], total);
          return html`<span class="share" data-share=${pct ?? ''}
            ><span class="bar" style="width:${Math.round((pct ?? 0) * 0.6)}px"></span
            >${formatPercent(pct)}</span
          >`;
        },
        sortValue: (row) => row.item[measure],
      },
      value('bytes'),
      value('packets'),
      value('flows'),
    ];
  }

  private _topPanel(top: Loaded<FlowTop>, busy: boolean) {
    const { measure } = this._query;
    const by = topDimensions(this._query.by);
    const rows: TopRow[] = top.data.items.map((item) => ({ item, other: false }));
    const other = top.data.other;
    if (other && measureOf(other, measure) > 0) rows.push({ item: { key: '', ...other }, other: true });
    const totalText = formatMeasure(measure, measureOf(top.data.total, measure));
    const dims = by.map(dimensionLabel).join(' × ');
    return html`<ts-panel heading=${msg(str`Top by ${dims}`, { id: 'flows.top.by' })} ?busy=${busy}>
      <span
        slot="meta"
        class="total"
        data-testid="flows-total"
        data-total=${measureOf(top.data.total, measure)}
        >${msg(str`Total ${totalText}`, { id: 'flows.top.total' })}</span
      >
      <ts-data-table
        data-testid="flows-top"
        caption=${msg('Top flows', { id: 'flows.top.caption' })}
        selectable
        .columns=${this._topColumns(top)}
        .rows=${rows}
        .rowKey=${(row: TopRow) => (row.other ? '__other__' : keyText(row.item.key))}
        .rowAttributes=${(row: TopRow) => ({
          'data-testid': row.other ? 'flows-top-other' : 'flows-top-row',
          'data-key': row.other ? '' : keyText(row.item.key),
        })}
        emptyMessage=${msg('No flows match in this time range.', { id: 'flows.top.empty' })}
        @ts-row-select=${(e: CustomEvent<RowSelectDetail<TopRow>>) => this._onRow(e.detail.row)}
      ></ts-data-table>
    </ts-panel>`;
  }

  private _onRow(row: TopRow) {
    if (row.other) return;
    this._setFilter(addToFilter(this._query.filter, rowClause(topDimensions(this._query.by), row.item)));
  }

  private _onChartRange(event: CustomEvent<ChartRangeDetail>) {
    const custom = zoomedWindow(event.detail, Date.now());
    if (custom) this._set({ custom });
  }

  private _renderChart() {
    const q = this._query;
    const ranges = nothing;
    if (q.view === 'sankey') {
      const heading = msg('Sankey', { id: 'flows.sankey.heading' });
      if (q.by.length < 2)
        return html`<ts-panel heading=${heading}>
          <p class="unavailable" data-testid="flows-sankey-hint">
            ${msg('Choose two or three dimensions to see how traffic flows between them.', { id: 'flows.sankey.needTwo' })}
          </p>
        </ts-panel>`;
      return this._sankeyTask.render({
        pending: () => {
          const v = this._sankeyTask.value;
          return v
            ? this._sankeyPanel(v, true)
            : html`<ts-panel heading=${heading} state="loading"></ts-panel>`;
        },
        complete: (v) => (v ? this._sankeyPanel(v, false) : nothing),
        error: (error) =>
          filterErrorText(error)
            ? nothing
            : html`<ts-panel
                heading=${heading}
                state="error"
                .error=${flowErrorText(error)}
                @ts-retry=${() => void this._sankeyTask.run()}
              ></ts-panel>`,
      });
    }
    const heading = msg('Over time', { id: 'flows.series.heading' });
    return this._seriesTask.render({
      pending: () => {
        const v = this._seriesTask.value;
        return v
          ? this._seriesPanel(v, ranges, true)
          : html`<ts-panel heading=${heading} state="loading">${ranges}</ts-panel>`;
      },
      complete: (v) => (v ? this._seriesPanel(v, ranges, false) : nothing),
      error: (error) =>
        filterErrorText(error)
          ? nothing
          : html`<ts-panel
              heading=${heading}
              state="error"
              .error=${flowErrorText(error)}
              @ts-retry=${() => void this._seriesTask.run()}
              >${ranges}</ts-panel
            >`,
    });
  }

  private _seriesPanel(v: Loaded<FlowSeries>, ranges: unknown, busy: boolean) {
    const { by, measure } = this._query;
    const dimension = by[0] as FlowDimension;
    const dim = dimensionLabel(dimension);
    const title =
      measure === 'bytes'
        ? msg(str`Traffic by ${dim} (bit/s)`, { id: 'flows.series.bits' })
        : msg(str`${measureLabel(measure)} per second by ${dim}`, { id: 'flows.series.per' });
    const span = { start: v.window.from, end: v.window.to };
    return html`<ts-panel heading=${msg('Over time', { id: 'flows.series.heading' })} ?busy=${busy}>
      <span slot="meta" data-testid="flows-step" data-step=${v.data.step}
        >${msg(str`step ${v.data.step} s`, { id: 'flows.series.step' })}</span
      >
      ${ranges}
      <div
        @ts-chart-range=${this._onChartRange}
        @ts-chart-reset=${() => this._set({ range: this._query.range, custom: undefined })}
      >
        ${chartFigure({
          testId: 'chart-flows-series',
          title,
          subject: dim,
          option: cachedOption(v, `series:${dimension}:${measure}`, () =>
            flowSeriesOption(dimension, measure, v.data, span),
          ),
          empty: isEmpty(flowSeriesLines(dimension, measure, v.data)),
          height: 300,
        })}
      </div>
    </ts-panel>`;
  }

  private _sankeyPanel(v: Loaded<FlowSankey>, busy: boolean) {
    const { by, measure } = this._query;
    const dims = by.map(dimensionLabel).join(' → ');
    const chart = cachedOption(
      v,
      `sankey:${measure}:${by.join(',')}`,
      () => flowSankeyOption(measure, v.data).option,
    );
    const empty = flowSankeyOption(measure, v.data).empty;
    return html`<ts-panel heading=${msg('Sankey', { id: 'flows.sankey.heading' })} ?busy=${busy}>
      <span
        slot="meta"
        data-testid="flows-sankey-meta"
        data-nodes=${v.data.nodes.length}
        data-links=${v.data.links.length}
        >${dims}</span
      >
      ${chartFigure({
        testId: 'chart-flows-sankey',
        title: msg(str`${measureLabel(measure)}: ${dims}`, { id: 'flows.sankey.title' }),
        subject: dims,
        option: chart,
        empty,
        height: Math.max(320, Math.min(900, v.data.nodes.length * 22)),
      })}
    </ts-panel>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-flows': TsPageFlows;
  }
}
