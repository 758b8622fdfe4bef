import { LitElement, css, html, nothing } from 'lit';
import { customElement, state } from 'lit/decorators.js';
import { localized } from '@lit/localize';
import { PollController } from '../common/poll-controller.js';
import { fetchStatus, statusMessages } from '../data/status.js';
import type { ServerStatus } from '../data/status.js';

const POLL_MILLIS = 15_000;

/**
 * A banner above every page while the control plane has an operational problem the operator must
 * see at once (a full store, a shutdown), from `GET /api/v1/status`. Shows nothing when all is well;
 * a failed status request shows nothing either (the page itself shows its own error).
 */
@localized()
@customElement('ts-status-banner')
export class TsStatusBanner extends LitElement {
  static override styles = css`
    :host {
      display: block;
    }
    div {
      padding: 8px 16px;
      background: var(--ts-bad-soft, #fbe7e6);
      color: var(--ts-bad, #c23a35);
      border-bottom: 1px solid var(--ts-bad, #c23a35);
      font-size: 13px;
      line-height: 1.5;
    }
    p {
      margin: 0;
    }
  `;

  /** The last status read; its sentences are made in `render`, so they follow a language switch. */
  @state() private _status?: ServerStatus;

  constructor() {
    super();
    new PollController(this, POLL_MILLIS, () => void this._load());
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this._load();
  }

  private async _load(): Promise<void> {
    try {
      this._status = await fetchStatus();
    } catch {
      this._status = undefined;
    }
  }

  override render() {
    const messages = this._status ? statusMessages(this._status) : [];
    if (messages.length === 0) return nothing;
    return html`<div role="alert">${messages.map((m) => html`<p>${m}</p>`)}</div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-status-banner': TsStatusBanner;
  }
}
