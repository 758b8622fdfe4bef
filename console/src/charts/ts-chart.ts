import { LitElement, css, html, nothing } from 'lit';
import type { PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { localized } from '@lit/localize';
import { currentLocale } from '../i18n/locale.js';
import type { ChartClickDetail, ChartOption, ChartRangeDetail } from './option.js';
import type * as EngineModule from './engine.js';
import type { EChartsType, EngineLocale } from './engine.js';

export type { ChartClickDetail, ChartOption, ChartRangeDetail } from './option.js';

type Engine = typeof EngineModule;

let enginePromise: Promise<Engine> | undefined;

/** Loads ECharts once, on the first chart shown; every later chart shares the module. */
function loadEngine(): Promise<Engine> {
  enginePromise ??= import('./engine.js');
  return enginePromise;
}

const engineLocale = (): EngineLocale => (currentLocale() === 'zh-CN' ? 'ZH' : 'EN');

/** Zoom events arrive per wheel step or drag frame; the range is reported once the user pauses. */
const rangeSettleMillis = 350;

interface ZoomState {
  start?: number;
  end?: number;
  startValue?: number | string | Date;
  endValue?: number | string | Date;
}

const toMillis = (value: unknown): number | undefined => {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
};

/**
 * The console's one chart element: Apache ECharts (loaded lazily, canvas renderer) drawing the
 * typed `option` built by the builders in `src/charts/`. Series types beyond `line` are loaded the
 * first time an option uses one (`engine.ts`).
 *
 * - `option` is applied with `setOption(option, { notMerge })` (`notMerge` true by default, so
 *   series that disappear are removed); the chart follows its element's size and is disposed when
 *   the element leaves the page.
 * - ECharts' own texts follow the console's language (`ZH`/`EN`).
 * - Events: `ts-chart-click` (detail `ChartClickDetail`), `ts-chart-range` (detail
 *   `{from, to}` in unix millis, after the user zoomed or brushed a time axis), `ts-chart-reset`
 *   (the toolbox's restore).
 * - `data-state` is `loading` until the chart has drawn its option, then `ready` (`error` when the
 *   option uses a series type the engine does not know);
 *   `getEchartsInstance()` gives tests the ECharts instance.
 */
@localized()
@customElement('ts-chart')
export class TsChart extends LitElement {
  static override styles = css`
    :host {
      display: block;
      position: relative;
      min-width: 0;
    }
    .canvas {
      width: 100%;
      height: 100%;
    }
    .overlay {
      position: absolute;
      inset: 0;
      display: flex;
      align-items: center;
      justify-content: center;
      color: var(--ts-text-muted, #5b6876);
      font-size: 12px;
      pointer-events: none;
    }
  `;

  /** What to draw; built by a builder of `src/charts/`. */
  @property({ attribute: false }) option?: ChartOption;

  /** Replace the previous option entirely (true) or merge into it (false). */
  @property({ type: Boolean, attribute: 'not-merge' }) notMerge = true;

  /** Height of the drawing in CSS pixels; without it the element's own height (CSS) is used. */
  @property({ type: Number }) height?: number;

  /** Accessible name of the chart. */
  @property() label = '';

  /** A text shown over the chart, e.g. that the range holds no samples. */
  @property() overlay = '';

  private _engine?: Engine;
  private _chart?: EChartsType;
  private _chartLocale?: EngineLocale;
  private _resizeObserver?: ResizeObserver;
  private _rangeTimer?: number;
  private _connected = false;

  /** The ECharts instance once the chart exists (for tests and for callers that need its API). */
  getEchartsInstance(): EChartsType | undefined {
    return this._chart;
  }

  override connectedCallback() {
    super.connectedCallback();
    this._connected = true;
    if (!this.dataset.state) this.dataset.state = 'loading';
    if (this.hasUpdated) void this._ensureChart();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this._connected = false;
    this._dispose();
  }

  override render() {
    const style = this.height !== undefined ? `height:${this.height}px` : 'height:100%';
    return html`<div class="canvas" role="img" aria-label=${this.label || nothing} style=${style}></div>
      ${this.overlay ? html`<div class="overlay">${this.overlay}</div>` : nothing}`;
  }

  protected override firstUpdated() {
    void this._ensureChart();
  }

  protected override updated(changed: PropertyValues<this>) {
    const chart = this._chart;
    if (!chart) return;
    if (this._chartLocale !== engineLocale()) {
      // ECharts fixes its locale at init: draw anew in the new language.
      this._dispose();
      void this._ensureChart();
      return;
    }
    if (changed.has('option')) this._apply(chart);
    if (changed.has('height')) chart.resize();
  }

  private async _ensureChart(): Promise<void> {
    const engine = await loadEngine();
    this._engine = engine;
    if (!this._connected || this._chart) return;
    const element = this.renderRoot.querySelector<HTMLElement>('.canvas');
    if (!element) return;
    this._resizeObserver = new ResizeObserver(() => this._onResize(engine, element));
    this._resizeObserver.observe(element);
    this._onResize(engine, element);
  }

  /** Creates the chart once its element has a size (ECharts cannot draw into 0 × 0), then resizes. */
  private _onResize(engine: Engine, element: HTMLElement) {
    if (element.clientWidth === 0 || element.clientHeight === 0) return;
    if (this._chart) {
      this._chart.resize();
      return;
    }
    const locale = engineLocale();
    const chart = engine.createChart(element, locale);
    this._chart = chart;
    this._chartLocale = locale;
    chart.on('finished', () => {
      if (this.option) this.dataset.state = 'ready';
    });
    chart.on('click', (params) => this._onClick(params as unknown as Record<string, unknown>));
    chart.on('datazoom', () => this._onZoom());
    chart.on('restore', () => {
      window.clearTimeout(this._rangeTimer);
      this.dispatchEvent(new CustomEvent('ts-chart-reset', { bubbles: true, composed: true }));
    });
    this._apply(chart);
  }

  /** Draws the current option, once the series types it uses are registered. */
  private _apply(chart: EChartsType) {
    const option = this.option;
    if (!option) return;
    this.dataset.state = 'loading';
    void this._engine
      ?.prepare(option)
      .then(() => {
        // A newer option or a new chart may have arrived meanwhile; that call draws it.
        if (this._chart !== chart || this.option !== option) return;
        chart.setOption(option, { notMerge: this.notMerge });
      })
      .catch((error: unknown) => {
        this.dataset.state = 'error';
        console.error(error);
      });
  }

  private _dispose() {
    window.clearTimeout(this._rangeTimer);
    this._resizeObserver?.disconnect();
    this._resizeObserver = undefined;
    this._chart?.dispose();
    this._chart = undefined;
    this._chartLocale = undefined;
    this.dataset.state = 'loading';
  }

  private _onClick(params: Record<string, unknown>) {
    const detail: ChartClickDetail = {
      data: params.data,
      name: typeof params.name === 'string' ? params.name : '',
      value: params.value,
      seriesIndex: typeof params.seriesIndex === 'number' ? params.seriesIndex : -1,
      seriesName: typeof params.seriesName === 'string' ? params.seriesName : '',
      seriesType: typeof params.seriesType === 'string' ? params.seriesType : '',
      dataIndex: typeof params.dataIndex === 'number' ? params.dataIndex : -1,
      ...(typeof params.dataType === 'string' ? { dataType: params.dataType } : {}),
    };
    this.dispatchEvent(new CustomEvent('ts-chart-click', { detail, bubbles: true, composed: true }));
  }

  private _onZoom() {
    window.clearTimeout(this._rangeTimer);
    this._rangeTimer = window.setTimeout(() => {
      const range = this.zoomedRange();
      if (range)
        this.dispatchEvent(
          new CustomEvent<ChartRangeDetail>('ts-chart-range', {
            detail: range,
            bubbles: true,
            composed: true,
          }),
        );
    }, rangeSettleMillis);
  }

  /**
   * The time window the first time axis is zoomed to, or undefined when the chart has no time axis or
   * shows it whole.
   */
  zoomedRange(): ChartRangeDetail | undefined {
    const chart = this._chart;
    if (!chart) return undefined;
    const option = chart.getOption() as { xAxis?: { type?: string }[]; dataZoom?: ZoomState[] };
    if (option.xAxis?.[0]?.type !== 'time') return undefined;
    const zoom = option.dataZoom?.[0];
    if (!zoom) return undefined;
    if ((zoom.start ?? 0) <= 0 && (zoom.end ?? 100) >= 100) return undefined;
    const from = toMillis(zoom.startValue);
    const to = toMillis(zoom.endValue);
    if (from === undefined || to === undefined || !(to > from)) return undefined;
    return { from: Math.round(from), to: Math.round(to) };
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-chart': TsChart;
  }
}
