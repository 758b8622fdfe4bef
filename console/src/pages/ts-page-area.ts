import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { pageStyles, sharedStyles } from '../common/styles.js';
import '../components/ts-panel.js';

/** The page of an area that is not built yet. It says so plainly and shows no made-up data. */
@customElement('ts-page-area')
export class TsPageArea extends LitElement {
  static override styles = [
    sharedStyles,
    pageStyles,
    css`
      ts-panel {
        max-width: 760px;
      }
      p {
        margin: 0 0 10px;
        max-width: 70ch;
      }
      .notice {
        font-size: 14px;
        font-weight: 500;
      }
      a {
        color: var(--ts-accent);
      }
    `,
  ];

  @property() heading = '';

  /** The navigation group the area belongs to, e.g. "Network". */
  @property() group = '';

  @property() description = '';

  override render() {
    return html`
      <div class="page-header">
        <h1>${this.group ? html`<span class="muted">${this.group} /</span> ` : nothing}${this.heading}</h1>
      </div>
      <ts-panel heading="Not available yet">
        <p class="notice" data-testid="area-later">This capability arrives in a later release.</p>
        ${this.description ? html`<p>When it does, this page will show: ${this.description}</p>` : nothing}
        <p class="muted">
          Until then, the <a href="/">overview</a> shows the cloud hosts and agents that report today.
        </p>
      </ts-panel>
    `;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-page-area': TsPageArea;
  }
}
