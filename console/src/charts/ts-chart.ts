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
  private _element?: HTMLElement;
  private _chart?: EChartsType;
  private _chartLocale?: EngineLocale;
  /** The extras registered when the chart was created: ECharts' instances see only those. */
  private _chartExtras = new Set<string>();
  private _resizeObserver?: ResizeObserver;
  private _rangeTimer?: number;
  private _connected = false;
  /** The option being prepared, and the one last set on the chart. */
  private _drawing?: ChartOption;
  private _drawn?: ChartOption;

  /** The ECharts instance once the chart exists (for tests and for callers that need its API). */
  getEchartsInstance(): EChartsType | undefined {
    return this._chart;
  }

  override connectedCallback() {
    super.connectedCallback();
    this._connected = true;
    if (!this.dataset.state) this.dataset.state = 'loading';
    if (this.hasUpdated) void this._start();
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this._connected = false;
    window.clearTimeout(this._rangeTimer);
    this._resizeObserver?.disconnect();
    this._resizeObserver = undefined;
    this._disposeChart();
  }

  override render() {
    const style = this.height !== undefined ? `height:${this.height}px` : 'height:100%';
    return html`<div class="canvas" role="img" aria-label=${this.label || nothing} style=${style}></div>
      ${this.overlay ? html`<div class="overlay">${this.overlay}</div>` : nothing}`;
  }

  protected override firstUpdated() {
    void this._start();
  }

  protected override updated(changed: PropertyValues<this>) {
    if (this._chart && this._chartLocale !== engineLocale()) {
      // ECharts fixes its locale at init: draw anew in the new language.
      this._disposeChart();
      this._draw();
      return;
    }
    if (changed.has('option')) this._draw();
    if (changed.has('height')) this._chart?.resize();
  }

  /** Loads the engine and follows the element's size. */
  private async _start(): Promise<void> {
    const engine = await loadEngine();
    this._engine = engine;
    if (!this._connected || this._resizeObserver) return;
    const element = this.renderRoot.querySelector<HTMLElement>('.canvas');
    if (!element) return;
    this._element = element;
    this._resizeObserver = new ResizeObserver(() => {
      if (this._chart) this._chart.resize();
      else this._draw();
    });
    this._resizeObserver.observe(element);
    this._draw();
  }

  /**
   * Draws the current option: loads the series types it uses, creates the chart if needed (once the
   * element has a size: ECharts cannot draw into 0 × 0; anew when the option needs a series type
   * registered after the chart was created), then sets the option.
   */
  private _draw() {
    const engine = this._engine;
    const element = this._element;
    const option = this.option;
    if (!engine || !element || !option || !this._connected) return;
    if (element.clientWidth === 0 || element.clientHeight === 0) return;
    // Already drawn, or on its way (the size observer's first call comes while the engine prepares).
    if (this._drawing === option || (this._drawn === option && this._chart)) return;
    this._drawing = option;
    this.dataset.state = 'loading';
    engine
      .prepare(option)
      .then(() => {
        if (this._drawing === option) this._drawing = undefined;
        // A newer option may have arrived meanwhile, or the element left the page; that call draws.
        if (this.option !== option || !this._connected) return;
        const needed = engine.extrasFor(option);
        if (this._chart && !needed.every((extra) => this._chartExtras.has(extra))) this._disposeChart();
        const chart = this._chart ?? this._createChart(engine, element);
        chart.setOption(option, { notMerge: this.notMerge });
        this._drawn = option;
      })
      .catch((error: unknown) => {
        if (this._drawing === option) this._drawing = undefined;
        this.dataset.state = 'error';
        console.error(error);
      });
  }

  private _createChart(engine: Engine, element: HTMLElement): EChartsType {
    const locale = engineLocale();
    const chart = engine.createChart(element, locale);
    this._chart = chart;
    this._chartLocale = locale;
    this._chartExtras = new Set(engine.registeredExtras());
    chart.on('finished', () => {
      if (this.option) this.dataset.state = 'ready';
    });
    chart.on('click', (params) => this._onClick(params as unknown as Record<string, unknown>));
    chart.on('datazoom', () => this._onZoom());
    chart.on('restore', () => {
      window.clearTimeout(this._rangeTimer);
      this.dispatchEvent(new CustomEvent('ts-chart-reset', { bubbles: true, composed: true }));
    });
    return chart;
  }

  private _disposeChart() {
    window.clearTimeout(this._rangeTimer);
    this._chart?.dispose();
    this._chart = undefined;
    this._chartLocale = undefined;
    this._drawn = undefined;
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
