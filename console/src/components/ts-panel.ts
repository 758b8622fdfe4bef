import { LitElement, css, html, nothing } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { localized, msg } from '@lit/localize';
import { sharedStyles } from '../common/styles.js';

export type PanelState = 'loading' | 'error' | 'ready';

/**
 * A titled box around one piece of the page. It shows a loading placeholder, an error with a retry
 * button, or its content; `busy` draws a thin progress bar while content is being refreshed.
 *
 * @fires ts-retry - The user asked to load the panel again after an error.
 * @slot - The content, shown in the `ready` state.
 * @slot meta - Small text beside the title, e.g. "updated live".
 * @slot actions - Controls at the right of the title bar.
 */
@localized()
@customElement('ts-panel')
export class TsPanel extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: flex;
        flex-direction: column;
        min-width: 0;
        background: var(--ts-surface);
        border: 1px solid var(--ts-border);
        border-radius: var(--ts-radius);
      }
      header {
        position: relative;
        display: flex;
        align-items: center;
        gap: 10px;
        min-height: 38px;
        padding: 6px 12px;
        border-bottom: 1px solid var(--ts-border);
      }
      h2 {
        margin: 0;
        font-size: 13px;
        font-weight: 600;
        letter-spacing: 0.01em;
      }
      .meta {
        flex: 1;
        min-width: 0;
        color: var(--ts-text-muted);
        font-size: 12px;
      }
      .progress {
        position: absolute;
        left: 0;
        right: 0;
        bottom: -1px;
        height: 2px;
        overflow: hidden;
      }
      .progress::after {
        content: '';
        position: absolute;
        top: 0;
        bottom: 0;
        width: 30%;
        background: var(--ts-accent);
        animation: slide 1.1s ease-in-out infinite;
      }
      @keyframes slide {
        from {
          left: -30%;
        }
        to {
          left: 100%;
        }
      }
      @media (prefers-reduced-motion: reduce) {
        .progress::after {
          animation: none;
          width: 100%;
          opacity: 0.5;
        }
      }
      .body {
        flex: 1;
        min-height: 0;
        padding: var(--ts-panel-padding, 12px);
      }
      .placeholder {
        display: flex;
        align-items: center;
        justify-content: center;
        gap: 10px;
        min-height: var(--ts-panel-min-height, 96px);
        color: var(--ts-text-muted);
      }
      .error {
        flex-direction: column;
        color: var(--ts-bad);
        text-align: center;
      }
      .error p {
        margin: 0;
        max-width: 48ch;
      }
    `,
  ];

  @property() heading = '';

  @property({ reflect: true }) state: PanelState = 'ready';

  /** The message shown in the `error` state. */
  @property() error = '';

  @property({ type: Boolean }) busy = false;

  override render() {
    return html`
      <header>
        <h2>${this.heading}</h2>
        <div class="meta"><slot name="meta"></slot></div>
        <slot name="actions"></slot>
        ${
          this.busy || this.state === 'loading'
            ? html`<div
                class="progress"
                role="progressbar"
                aria-label=${msg('Loading', { id: 'panel.loadingLabel' })}
              ></div>`
            : nothing
        }
      </header>
      <div class="body" aria-busy=${this.busy || this.state === 'loading' ? 'true' : 'false'}>
        ${this._renderBody()}
      </div>
    `;
  }

  private _renderBody() {
    switch (this.state) {
      case 'loading':
        return html`<div class="placeholder" role="status">${msg('Loading…', { id: 'panel.loading' })}</div>`;
      case 'error':
        return html`<div class="placeholder error" role="alert">
          <p>${this.error || msg('Something went wrong.', { id: 'panel.error' })}</p>
          <button class="btn" type="button" @click=${this._retry}>
            ${msg('Retry', { id: 'panel.retry' })}
          </button>
        </div>`;
      default:
        return html`<slot></slot>`;
    }
  }

  private _retry() {
    this.dispatchEvent(new CustomEvent<void>('ts-retry', { bubbles: true, composed: true }));
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-panel': TsPanel;
  }
  interface HTMLElementEventMap {
    'ts-retry': CustomEvent<void>;
  }
}
