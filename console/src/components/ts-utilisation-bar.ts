import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { formatUtilisation, linkColours, utilisationBand } from '../common/link-style.js';

/**
 * A small horizontal bar for a utilisation in percent, coloured by band, with the figure beside it.
 * An optional marker shows a target, e.g. 95 % for an integration rate.
 */
@localized()
@customElement('ts-utilisation-bar')
export class TsUtilisationBar extends LitElement {
  static override styles = css`
    :host {
      display: inline-flex;
      align-items: center;
      gap: 6px;
      vertical-align: middle;
      font-variant-numeric: tabular-nums;
    }
    .track {
      position: relative;
      width: var(--ts-bar-width, 64px);
      height: 6px;
      border-radius: 3px;
      background: var(--ts-idle-soft, #eceff2);
      overflow: visible;
    }
    .fill {
      position: absolute;
      inset: 0 auto 0 0;
      border-radius: 3px;
    }
    .target {
      position: absolute;
      top: -3px;
      bottom: -3px;
      width: 2px;
      margin-left: -1px;
      background: var(--ts-text, #1d2733);
    }
    .value {
      min-width: 3.6em;
      text-align: end;
    }
    .muted {
      color: var(--ts-text-muted, #5b6876);
    }
  `;

  /** The value in percent; null or undefined when unknown. */
  @property({ type: Number }) percent: number | null | undefined = null;

  /** Colour the bar by utilisation bands (busier is worse) or, for a rate, by reaching the target. */
  @property() mode: 'utilisation' | 'rate' = 'utilisation';

  /** A target in percent, drawn as a tick on the track. */
  @property({ type: Number }) target?: number;

  /** Text for the tooltip, e.g. both directions. */
  @property() detail = '';

  override render() {
    const value = this.percent;
    const known = value !== null && value !== undefined && Number.isFinite(value);
    const width = known ? Math.max(0, Math.min(100, value)) : 0;
    let color: string = linkColours.unknown;
    if (known && this.mode === 'rate') {
      color = this.target === undefined || value >= this.target ? linkColours.low : linkColours.medium;
    } else if (known) {
      const band = utilisationBand(value);
      color = band === 'none' ? linkColours.unknown : linkColours[band];
    }
    return html`<span
        class="track"
        role="img"
        aria-label=${known ? formatUtilisation(value) : msg('unknown', { id: 'utilisation.unknown' })}
        title=${this.detail || (known ? formatUtilisation(value) : msg('not measured', { id: 'utilisation.notMeasured' }))}
      >
        <span class="fill" style="width:${width}%;background:${color}"></span>
        ${
          this.target !== undefined
            ? html`<span
                class="target"
                style="left:${this.target}%"
                title=${msg(str`target ${this.target} %`, { id: 'utilisation.target' })}
              ></span>`
            : ''
        }
      </span>
      <span class="value ${known ? '' : 'muted'}">${known ? formatUtilisation(value) : '—'}</span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-utilisation-bar': TsUtilisationBar;
  }
}
