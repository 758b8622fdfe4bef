import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { formatDateTime } from '../common/format.js';
import type { CustomRange } from './time-range.js';

/**
 * The custom time window of a charted page (zoomed or brushed on one of its charts), from – to, and
 * the way back to the page's preset. Shows nothing without a `range`.
 *
 * @fires ts-range-reset - The user asked for the preset again.
 */
@localized()
@customElement('ts-range-bar')
export class TsRangeBar extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    .bar {
      display: flex;
      flex-wrap: wrap;
      align-items: center;
      gap: 8px;
      margin-bottom: 10px;
    }
    .custom {
      font-size: 12px;
      font-variant-numeric: tabular-nums;
    }
    button {
      height: 24px;
      padding: 0 9px;
      border: 1px solid var(--ts-border-strong, #c3ccd6);
      border-radius: var(--ts-radius, 4px);
      background: var(--ts-surface, #fff);
      color: var(--ts-text, #1d2733);
      font: inherit;
      font-size: 12px;
      cursor: pointer;
    }
  `;

  @property({ attribute: false }) range?: CustomRange;

  override render() {
    const range = this.range;
    if (!range) return nothing;
    const from = formatDateTime(range.from);
    const to = formatDateTime(range.to);
    return html`<div class="bar">
      <span class="custom" data-testid="range-custom" data-from=${range.from} data-to=${range.to}
        >${msg(str`Custom range: ${from} – ${to}`, { id: 'charts.range.custom' })}</span
      >
      <button
        type="button"
        data-testid="range-reset"
        @click=${() =>
          this.dispatchEvent(new CustomEvent('ts-range-reset', { bubbles: true, composed: true }))}
      >
        ${msg('Back to preset', { id: 'charts.range.reset' })}
      </button>
    </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-range-bar': TsRangeBar;
  }
}
