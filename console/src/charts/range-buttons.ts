/**
 * The time-range buttons of a charted detail page (link, device, port): the presets, and while a
 * zoomed or brushed window is shown, a pressed "Custom" standing for it. Styled by the page's
 * `.segmented` rule (`networkStyles`); placed in a panel's `actions` slot.
 */
import { html, nothing } from 'lit';
import { metricsRanges } from '../data/hosts.js';
import type { MetricsRange } from '../data/hosts.js';
import { customRangeButtonLabel, rangeLabel } from './time-range.js';
import type { CustomRange } from './time-range.js';

export interface RangeButtons {
  range: MetricsRange;
  custom: CustomRange | undefined;
  /** The group's accessible name, in the page's words. */
  label: string;
  testId: string;
  /** A preset was chosen: the page drops its custom window and shows the preset. */
  onSelect: (range: MetricsRange) => void;
}

export function rangeButtons(o: RangeButtons) {
  return html`<div
    class="segmented"
    role="group"
    slot="actions"
    aria-label=${o.label}
    data-testid=${o.testId}
    data-value=${o.custom ? 'custom' : o.range}
  >
    ${metricsRanges.map(
      (range) =>
        html`<button
          type="button"
          data-value=${range}
          aria-pressed=${!o.custom && range === o.range ? 'true' : 'false'}
          @click=${() => o.onSelect(range)}
        >
          ${rangeLabel(range)}
        </button>`,
    )}
    ${
      o.custom
        ? html`<button type="button" data-value="custom" aria-pressed="true" disabled>
            ${customRangeButtonLabel()}
          </button>`
        : nothing
    }
  </div>`;
}
