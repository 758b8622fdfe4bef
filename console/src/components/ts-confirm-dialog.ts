import { LitElement, css, html, nothing } from 'lit';
import { customElement, query, state } from 'lit/decorators.js';
import { localized, msg } from '@lit/localize';
import { sharedStyles } from '../common/styles.js';

/** What a confirmation asks. */
export interface ConfirmRequest {
  heading: string;
  message: string;
  /** The label of the confirming button, e.g. "Revoke"; "OK" when empty. */
  confirmLabel: string;
}

/**
 * A modal question with Cancel and a confirming button (`confirm-ok`). `ask` opens it and resolves
 * true when the user confirms, false on Cancel or Escape; focus goes back where it was. The buttons
 * exist only while it is open, so a page with several of these has one `confirm-ok` at a time.
 */
@localized()
@customElement('ts-confirm-dialog')
export class TsConfirmDialog extends LitElement {
  static override styles = [
    sharedStyles,
    css`
      dialog {
        width: min(440px, 92vw);
        padding: 0;
        border: 1px solid var(--ts-border-strong);
        border-radius: var(--ts-radius);
        background: var(--ts-surface);
        color: var(--ts-text);
        box-shadow: 0 10px 30px rgba(10, 17, 24, 0.3);
      }
      dialog::backdrop {
        background: rgba(10, 17, 24, 0.35);
      }
      h2 {
        margin: 0;
        padding: 12px 16px 0;
        font-size: 15px;
        font-weight: 600;
      }
      p {
        margin: 0;
        padding: 10px 16px 16px;
      }
      .buttons {
        display: flex;
        justify-content: flex-end;
        gap: 8px;
        padding: 10px 16px;
        border-top: 1px solid var(--ts-border);
        background: var(--ts-surface-alt);
      }
      .btn.danger {
        background: var(--ts-bad);
        border-color: var(--ts-bad);
        color: #fff;
      }
    `,
  ];

  @state() private _request: ConfirmRequest = { heading: '', message: '', confirmLabel: '' };

  @state() private _open = false;

  @query('dialog') private _dialog!: HTMLDialogElement;

  private _resolve?: (confirmed: boolean) => void;

  private _returnFocus: Element | null = null;

  /** Opens the dialog; resolves whether the user confirmed. */
  async ask(request: ConfirmRequest): Promise<boolean> {
    this._resolve?.(false);
    this._request = request;
    this._open = true;
    this._returnFocus = deepActiveElement();
    await this.updateComplete;
    this._dialog.showModal();
    this.renderRoot.querySelector<HTMLButtonElement>('.cancel')?.focus();
    return new Promise<boolean>((resolve) => (this._resolve = resolve));
  }

  override render() {
    return html`<dialog aria-labelledby="confirm-heading" @close=${this._onClose}>
      ${this._open ? this._content() : nothing}
    </dialog>`;
  }

  private _content() {
    return html`<h2 id="confirm-heading">${this._request.heading}</h2>
      <p>${this._request.message}</p>
      <div class="buttons">
        <button class="btn cancel" type="button" @click=${() => this._finish(false)}>
          ${msg('Cancel', { id: 'dialog.cancel' })}
        </button>
        <button class="btn danger" type="button" data-testid="confirm-ok" @click=${() => this._finish(true)}>
          ${this._request.confirmLabel || msg('OK', { id: 'dialog.ok' })}
        </button>
      </div>`;
  }

  private _finish(confirmed: boolean) {
    const resolve = this._resolve;
    this._resolve = undefined;
    if (this._dialog.open) this._dialog.close();
    this._open = false;
    resolve?.(confirmed);
    if (this._returnFocus instanceof HTMLElement) this._returnFocus.focus();
  }

  /** Escape closes the dialog natively; that counts as Cancel. */
  private _onClose() {
    if (this._resolve) this._finish(false);
  }
}

/** The focused element, looking inside open shadow roots. */
function deepActiveElement(): Element | null {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-confirm-dialog': TsConfirmDialog;
  }
}
