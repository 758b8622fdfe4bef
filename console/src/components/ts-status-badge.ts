import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { localized, msg } from '@lit/localize';

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

/**
 * The word shown for a status in the console's language; a status the console does not know (a new
 * value from the server) is shown as it comes.
 */
export function statusLabel(status: string): string {
  switch (status.toLowerCase()) {
    case 'online':
      return msg('online', { id: 'status.online' });
    case 'stale':
      return msg('stale', { id: 'status.stale' });
    case 'offline':
      return msg('offline', { id: 'status.offline' });
    case 'never':
      return msg('never', { id: 'status.never' });
    case 'success':
      return msg('success', { id: 'status.success' });
    case 'failure':
      return msg('failure', { id: 'status.failure' });
    case 'failed':
      return msg('failed', { id: 'status.failed' });
    case 'denied':
      return msg('denied', { id: 'status.denied' });
    case 'enabled':
      return msg('enabled', { id: 'status.enabled' });
    case 'disabled':
      return msg('disabled', { id: 'status.disabled' });
    case 'active':
      return msg('active', { id: 'status.active' });
    case 'pending':
      return msg('pending', { id: 'status.pending' });
    case 'revoked':
      return msg('revoked', { id: 'status.revoked' });
    case 'expired':
      return msg('expired', { id: 'status.expired' });
    case 'used-up':
      return msg('used up', { id: 'status.usedUp' });
    case 'up':
      return msg('up', { id: 'status.up' });
    case 'down':
      return msg('down', { id: 'status.down' });
    case 'unknown':
      return msg('unknown', { id: 'status.unknown' });
    case 'flapping':
      return msg('flapping', { id: 'status.flapping' });
    case 'failed over':
      return msg('failed over', { id: 'status.failedOver' });
    case 'failover':
      return msg('failover', { id: 'status.failover' });
    case 'failback':
      return msg('failback', { id: 'status.failback' });
    case 'flap':
      return msg('flap', { id: 'status.flap' });
    case 'met':
      return msg('met', { id: 'status.met' });
    case 'not met':
      return msg('not met', { id: 'status.notMet' });
    case 'critical':
      return msg('critical', { id: 'status.critical' });
    case 'major':
      return msg('major', { id: 'status.major' });
    case 'minor':
      return msg('minor', { id: 'status.minor' });
    case 'warning':
      return msg('warning', { id: 'status.warning' });
    case 'ok':
      return msg('ok', { id: 'status.ok' });
    case 'below':
      return msg('below', { id: 'status.below' });
    case 'firing':
      return msg('firing', { id: 'status.firing' });
    case 'resolved':
      return msg('resolved', { id: 'status.resolved' });
    default:
      return status;
  }
}

/** A compact coloured label for a status such as an agent's `online` or an audit `failure`. */
@localized()
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

  /** Text to show instead of the status word (which is otherwise shown in the console's language). */
  @property() label?: string;

  /** Overrides the colour chosen from the status word. */
  @property() tone?: BadgeTone;

  override render() {
    const tone = this.tone ?? toneFor(this.status);
    return html`<span class=${tone}>${this.label ?? statusLabel(this.status)}</span>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'ts-status-badge': TsStatusBadge;
  }
}
