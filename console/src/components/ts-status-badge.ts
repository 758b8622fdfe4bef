import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';

/** How a status word is shown: its tone decides the colour. */
export type BadgeTone = 'ok' | 'warn' | 'bad' | 'critical' | 'idle' | 'info';

const toneByStatus: Record<string, BadgeTone> = {
  online: 'ok',
  success: 'ok',
  enabled: 'ok',
  active: 'ok',
  stale: 'warn',
  pending: 'warn',
  offline: 'bad',
  failure: 'bad',
  failed: 'bad',
  denied: 'bad',
  disabled: 'idle',
  never: 'idle',
  revoked: 'bad',
  expired: 'warn',
  'used-up': 'idle',
};

/** The tone for a status word; unknown words are neutral. */
export function toneFor(status: string): BadgeTone {
  return toneByStatus[status.toLowerCase()] ?? 'info';
}

/** A compact coloured label for a status such as an agent's `online` or an audit `failure`. */
@customElement('ts-status-badge')
export class TsStatusBadge extends LitElement {
  static override styles = css`
    :host {
      display: inline-flex;
      vertical-align: middle;
    }
    span {
      display: inline-flex;
      align-items: center;
      gap: 5px;
      padding: 0 7px 0 6px;
      border-radius: 10px;
      font-size: 12px;
      font-weight: 500;
      line-height: 18px;
      white-space: nowrap;
      background: var(--ts-idle-soft, #eceff2);
      color: var(--ts-idle, #6b7785);
    }
    span::before {
      content: '';
      width: 7px;
      height: 7px;
      border-radius: 50%;
      background: currentColor;
    }
    .ok {
      background: var(--ts-ok-soft, #e3f4eb);
      color: var(--ts-ok, #1d8a56);
    }
    .warn {
      background: var(--ts-warn-soft, #fdf1dc);
      color: var(--ts-warn, #b26a00);
    }
    .bad {
      background: var(--ts-bad-soft, #fbe7e6);
      color: var(--ts-bad, #c23a35);
    }
    .critical {
      background: var(--ts-bad, #c23a35);
      color: #fff;
    }
    .info {
      background: var(--ts-accent-soft, #e6effb);
      color: var(--ts-accent, #2a6fd6);
    }
  `;

  /** The status word, e.g. `online`; it also picks the colour. */
  @property() status = '';

  /** Text to show instead of the status word. */
  @property() label?: string;

  /** Overrides the colour chosen from the status word. */
  @property() tone?: BadgeTone;

  override render() {
    const tone = this.tone ?? toneFor(this.status);
    return html`<span class=${tone}>${this.label ?? this.status}</span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-status-badge': TsStatusBadge;
  }
}
