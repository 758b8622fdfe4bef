import { LitElement, css, html, nothing, svg } from 'lit';
import type { PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { formatDateTime, formatNumber } from '../common/format.js';
import {
  formatTimeTick,
  linePath,
  linearScale,
  nearestIndex,
  niceTicks,
  timeTicks,
  valueExtent,
} from './chart-scale.js';
import type { Point } from './chart-scale.js';

/** One line of a chart. Points are `[unixMillis, value]`, sorted by time. */
export interface ChartSeries {
  label: string;
  color: string;
  points: readonly Point[];
}

const margin = { top: 10, right: 14, bottom: 22, left: 56 };

/**
 * A time-series line chart drawn as SVG: a time axis, a value axis with units, a hover (and keyboard)
 * readout of the values at one moment, and an empty state.
 */
@customElement('ts-line-chart')
export class TsLineChart extends LitElement {
  static override styles = css`
    :host {
      display: block;
      position: relative;
      min-width: 0;
      font-size: 11px;
      color: var(--ts-text-muted, #5b6876);
    }
    .frame {
      position: relative;
      border-radius: 2px;
    }
    .frame:focus-visible {
      outline: none;
      box-shadow: var(--ts-focus-ring);
    }
    svg {
      display: block;
      overflow: visible;
    }
    .grid line {
      stroke: var(--ts-border, #d8dee5);
      stroke-width: 1;
      shape-rendering: crispEdges;
    }
    .grid line.base {
      stroke: var(--ts-border-strong, #c3ccd6);
    }
    text {
      fill: currentColor;
      font-family: inherit;
      font-variant-numeric: tabular-nums;
    }
    .series path {
      fill: none;
      stroke-width: 1.5;
      stroke-linejoin: round;
      stroke-linecap: round;
    }
    .series path.area {
      stroke: none;
      opacity: 0.08;
    }
    .guide {
      stroke: var(--ts-text-muted, #5b6876);
      stroke-dasharray: 3 3;
      shape-rendering: crispEdges;
    }
    .legend {
      display: flex;
      flex-wrap: wrap;
      gap: 4px 14px;
      margin: 0;
      padding: 0;
      list-style: none;
      font-size: 12px;
      color: var(--ts-text, #1d2733);
    }
    .swatch {
      display: inline-block;
      width: 10px;
      height: 3px;
      margin-right: 5px;
      vertical-align: middle;
      border-radius: 1px;
    }
    .head {
      display: flex;
      align-items: baseline;
      gap: 14px;
      min-height: 18px;
      margin-bottom: 2px;
    }
    .unit {
      min-width: ${margin.left - 6}px;
      text-align: end;
    }
    .empty {
      position: absolute;
      inset: 0;
      display: flex;
      align-items: center;
      justify-content: center;
      padding-left: ${margin.left}px;
      font-size: 12px;
    }
    .readout {
      position: absolute;
      top: 6px;
      z-index: 2;
      min-width: 140px;
      padding: 6px 8px;
      border: 1px solid var(--ts-border-strong, #c3ccd6);
      border-radius: 3px;
      background: rgba(255, 255, 255, 0.96);
      box-shadow: 0 2px 8px rgba(18, 27, 37, 0.12);
      color: var(--ts-text, #1d2733);
      font-size: 12px;
      pointer-events: none;
      white-space: nowrap;
    }
    .readout .time {
      margin-bottom: 3px;
      color: var(--ts-text-muted, #5b6876);
      font-variant-numeric: tabular-nums;
    }
    .readout .row {
      display: flex;
      align-items: center;
      justify-content: space-between;
      gap: 12px;
    }
    .readout .value {
      font-weight: 600;
      font-variant-numeric: tabular-nums;
    }
  `;

  @property({ attribute: false }) series: ChartSeries[] = [];

  /** Start of the time axis (unix millis); defaults to the first sample. */
  @property({ type: Number }) start?: number;

  /** End of the time axis (unix millis); defaults to the last sample. */
  @property({ type: Number }) end?: number;

  /** Fixed bottom and top of the value axis, e.g. 0 and 100 for percentages. */
  @property({ type: Number }) min?: number;
  @property({ type: Number }) max?: number;

  /** Samples further apart than this (millis) are not joined by a line. */
  @property({ type: Number }) maxGap = Infinity;

  /** The unit written above the value axis, e.g. `%` or `bit/s`. */
  @property() unit = '';

  /** Accessible name of the chart. */
  @property() label = '';

  @property({ type: Number }) height = 170;

  /** Formats values in the readout; tick labels use `formatTick` or, without it, this. */
  @property({ attribute: false }) formatValue: (value: number) => string = (v) => formatNumber(v);
  @property({ attribute: false }) formatTick?: (value: number) => string;

  @property() emptyMessage = 'No samples in this range.';

  @state() private _width = 0;

  /** The moment under the pointer or chosen with the arrow keys. */
  @state() private _hoverTime?: number;

  private _resizeObserver?: ResizeObserver;

  override connectedCallback() {
    super.connectedCallback();
    this._resizeObserver = new ResizeObserver((entries) => {
      const width = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (width !== this._width) this._width = width;
    });
    this._resizeObserver.observe(this);
  }

  override disconnectedCallback() {
    super.disconnectedCallback();
    this._resizeObserver?.disconnect();
    this._resizeObserver = undefined;
  }

  protected override willUpdate(changed: PropertyValues<this>) {
    if (changed.has('series') && this._hoverTime !== undefined) {
      const [start, end] = this._timeDomain();
      if (this._hoverTime < start || this._hoverTime > end) this._hoverTime = undefined;
    }
  }

  override render() {
    const hasData = this.series.some((s) => s.points.length > 0);
    return html`
      <div class="head">
        <span class="unit">${this.unit}</span>
        ${
          this.series.length > 1
            ? html`<ul class="legend">
                ${this.series.map(
                  (s) => html`<li><span class="swatch" style="background:${s.color}"></span>${s.label}</li>`,
                )}
              </ul>`
            : nothing
        }
      </div>
      <div
        class="frame"
        role="img"
        tabindex=${hasData ? '0' : '-1'}
        aria-label=${this._ariaLabel(hasData)}
        @pointermove=${this._onPointerMove}
        @pointerleave=${this._onPointerLeave}
        @keydown=${this._onKeyDown}
        @blur=${this._onPointerLeave}
      >
        ${this._width > 0 ? this._renderChart(hasData) : html`<div style="height:${this.height}px"></div>`}
      </div>
    `;
  }

  private _timeDomain(): [number, number] {
    let first = Infinity;
    let last = -Infinity;
    for (const s of this.series) {
      const a = s.points[0];
      const b = s.points[s.points.length - 1];
      if (a && a[0] < first) first = a[0];
      if (b && b[0] > last) last = b[0];
    }
    const start = this.start ?? (Number.isFinite(first) ? first : Date.now() - 3_600_000);
    const end = this.end ?? (Number.isFinite(last) ? last : Date.now());
    return end > start ? [start, end] : [start - 60_000, start];
  }

  private _renderChart(hasData: boolean) {
    const width = this._width;
    const height = this.height;
    const plotRight = width - margin.right;
    const plotBottom = height - margin.bottom;
    const [start, end] = this._timeDomain();
    const extent = valueExtent(this.series.map((s) => s.points)) ?? [0, 0];
    const lo = this.min ?? Math.min(0, extent[0]);
    const hi = this.max !== undefined ? Math.max(this.max, extent[1]) : extent[1];
    const yTicks = niceTicks(lo, hi, Math.max(2, Math.floor((plotBottom - margin.top) / 36)));
    const x = linearScale([start, end], [margin.left, plotRight]);
    const y = linearScale([yTicks.min, yTicks.max], [plotBottom, margin.top]);
    const xTicks = timeTicks(start, end, Math.max(2, Math.floor((plotRight - margin.left) / 64)));
    const tickFormat = this.formatTick ?? this.formatValue;

    const hover = this._hoverTime !== undefined && hasData ? this._hoverValues(this._hoverTime) : undefined;
    const hoverX = hover ? x(hover.time) : 0;

    return html`
      <svg width=${width} height=${height} viewBox="0 0 ${width} ${height}" aria-hidden="true">
        <g class="grid">
          ${yTicks.ticks.map(
            (tick, i) =>
              svg`<line class=${i === 0 ? 'base' : ''} x1=${margin.left} x2=${plotRight} y1=${Math.round(y(tick)) + 0.5} y2=${Math.round(y(tick)) + 0.5}></line>
              <text x=${margin.left - 6} y=${y(tick) + 3.5} text-anchor="end">${tickFormat(tick)}</text>`,
          )}
          ${xTicks.ticks.map(
            (tick) =>
              svg`<line x1=${Math.round(x(tick)) + 0.5} x2=${Math.round(x(tick)) + 0.5} y1=${plotBottom} y2=${plotBottom + 4}></line>
              <text x=${x(tick)} y=${height - 6} text-anchor="middle">${formatTimeTick(tick, xTicks.step)}</text>`,
          )}
        </g>
        <g class="series">
          ${this.series.map((s) => {
            const line = linePath(s.points, x, y, this.maxGap);
            return svg`${
              this.series.length === 1 && line
                ? svg`<path class="area" fill=${s.color} d=${this._areaPath(line, plotBottom)}></path>`
                : nothing
            }<path stroke=${s.color} d=${line}></path>`;
          })}
        </g>
        ${
          hover
            ? svg`<line class="guide" x1=${Math.round(hoverX) + 0.5} x2=${Math.round(hoverX) + 0.5} y1=${margin.top} y2=${plotBottom}></line>
            ${hover.values.map((v) =>
              v.value === undefined
                ? nothing
                : svg`<circle cx=${x(v.time)} cy=${y(v.value)} r="3.5" fill=${v.color} stroke="#fff" stroke-width="1.5"></circle>`,
            )}`
            : nothing
        }
      </svg>
      ${hasData ? nothing : html`<div class="empty">${this.emptyMessage}</div>`}
      ${hover ? this._renderReadout(hover, hoverX, width) : nothing}
    `;
  }

  /** Closes a line path down to the baseline, per segment, so that gaps stay open. */
  private _areaPath(line: string, baseline: number): string {
    return line
      .split('M')
      .filter((segment) => segment.length > 0)
      .map((segment) => {
        const coordinates = segment.split('L');
        const first = coordinates[0]?.split(',')[0];
        const last = coordinates[coordinates.length - 1]?.split(',')[0];
        return `M${first},${baseline}L${segment}L${last},${baseline}Z`;
      })
      .join('');
  }

  private _hoverValues(time: number) {
    const values = this.series.map((s) => {
      const index = nearestIndex(s.points, time);
      const point = index >= 0 ? s.points[index] : undefined;
      return { label: s.label, color: s.color, time: point?.[0] ?? time, value: point?.[1] };
    });
    const first = values.find((v) => v.value !== undefined);
    return { time: first?.time ?? time, values };
  }

  private _renderReadout(hover: ReturnType<TsLineChart['_hoverValues']>, hoverX: number, width: number) {
    const placeLeft = hoverX > width / 2;
    const style = placeLeft ? `right:${width - hoverX + 10}px` : `left:${hoverX + 10}px`;
    return html`<div class="readout" style=${style}>
      <div class="time">${formatDateTime(hover.time)}</div>
      ${hover.values.map(
        (v) =>
          html`<div class="row">
            <span><span class="swatch" style="background:${v.color}"></span>${v.label}</span>
            <span class="value">${v.value === undefined ? '—' : this.formatValue(v.value)}</span>
          </div>`,
      )}
    </div>`;
  }

  private _ariaLabel(hasData: boolean): string {
    if (!hasData) return `${this.label}: ${this.emptyMessage}`;
    const latest = this.series
      .map((s) => {
        const last = s.points[s.points.length - 1];
        return last ? `${s.label} ${this.formatValue(last[1])}` : undefined;
      })
      .filter((text) => text !== undefined)
      .join(', ');
    return `${this.label}. Latest: ${latest}. Use the arrow keys to read earlier values.`;
  }

  private _onPointerMove(event: PointerEvent) {
    const frame = event.currentTarget as HTMLElement;
    const rect = frame.getBoundingClientRect();
    const px = event.clientX - rect.left;
    if (px < margin.left || px > this._width - margin.right) {
      this._hoverTime = undefined;
      return;
    }
    const [start, end] = this._timeDomain();
    this._hoverTime = linearScale([margin.left, this._width - margin.right], [start, end])(px);
  }

  private _onPointerLeave() {
    this._hoverTime = undefined;
  }

  /** Left and right step through the samples of the first series; Escape hides the readout. */
  private _onKeyDown(event: KeyboardEvent) {
    const points = this.series.find((s) => s.points.length > 0)?.points;
    if (!points) return;
    if (event.key === 'Escape') {
      this._hoverTime = undefined;
      return;
    }
    if (
      event.key !== 'ArrowLeft' &&
      event.key !== 'ArrowRight' &&
      event.key !== 'Home' &&
      event.key !== 'End'
    ) {
      return;
    }
    event.preventDefault();
    const current = this._hoverTime === undefined ? points.length - 1 : nearestIndex(points, this._hoverTime);
    let next = current;
    if (event.key === 'ArrowLeft') next = Math.max(0, current - (this._hoverTime === undefined ? 0 : 1));
    if (event.key === 'ArrowRight') next = Math.min(points.length - 1, current + 1);
    if (event.key === 'Home') next = 0;
    if (event.key === 'End') next = points.length - 1;
    this._hoverTime = points[next]?.[0];
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-line-chart': TsLineChart;
  }
}
