import { LitElement, css, html, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { localized, msg, str } from '@lit/localize';
import { sharedStyles } from '../common/styles.js';

/**
 * A block of text to copy, such as a secret or a command, with a Copy button. The text sits in a
 * `<code>` element that carries `codeTestId` as its `data-testid`.
 */
@localized()
@customElement('ts-secret-box')
export class TsSecretBox extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      :host {
        display: block;
      }
      .label {
        display: block;
        margin-bottom: 4px;
        color: var(--ts-text-muted);
        font-size: 12px;
        font-weight: 600;
      }
      .box {
        display: flex;
        align-items: flex-start;
        gap: 8px;
        padding: 8px 8px 8px 10px;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        background: var(--ts-surface-alt);
      }
      pre {
        flex: 1;
        min-width: 0;
        margin: 0;
        white-space: pre-wrap;
        overflow-wrap: anywhere;
        user-select: all;
      }
      .copied {
        color: var(--ts-ok);
        font-size: 12px;
      }
    `,
  ];

  /** What the text is, e.g. "Enrolment token". */
  @property() label = '';

  @property() text = '';

  /** The `data-testid` of the element that holds the text. */
  @property() codeTestId = '';

  @state() private _copied: 'yes' | 'no' | 'failed' = 'no';

  override render() {
    return html`<span class="label" id="label">${this.label}</span>
      <div class="box" role="group" aria-labelledby="label">
        <pre><code class="mono" data-testid=${this.codeTestId || nothing}>${this.text}</code></pre>
        <button
          class="btn"
          type="button"
          @click=${this._copy}
          aria-label=${msg(str`Copy ${this.label}`, { id: 'secret.copyLabel' })}
        >
          ${msg('Copy', { id: 'secret.copy' })}
        </button>
      </div>
      <span class="copied" role="status">${this._copiedText()}</span>`;
  }

  private _copiedText(): string {
    if (this._copied === 'yes') return msg('Copied.', { id: 'secret.copied' });
    if (this._copied === 'failed')
      return msg('Copy failed; select the text and copy it.', { id: 'secret.copyFailed' });
    return '';
  }

  protected override willUpdate(changed: Map<PropertyKey, unknown>) {
    if (changed.has('text')) this._copied = 'no';
  }

  private async _copy() {
    try {
      await navigator.clipboard.writeText(this.text);
      this._copied = 'yes';
    } catch {
      // Without clipboard access (an insecure origin, a denied permission) the text is selected instead.
      const code = this.renderRoot.querySelector('code');
      const selection = window.getSelection();
      if (code && selection) {
        selection.selectAllChildren(code);
      }
      this._copied = 'failed';
    }
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-secret-box': TsSecretBox;
  }
}
