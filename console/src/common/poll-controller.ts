import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Calls a function at a fixed interval while the host element is connected. A tick is skipped while
 * the page is hidden, and the function runs once as soon as the page is shown again.
 */
export class PollController implements ReactiveController {
  private readonly _intervalMillis: number;
  private readonly _tick: () => void;
  private _timer?: number;

  constructor(host: ReactiveControllerHost, intervalMillis: number, tick: () => void) {
    if (!(intervalMillis > 0)) throw new Error('PollController requires a positive intervalMillis');
    this._intervalMillis = intervalMillis;
    this._tick = tick;
    host.addController(this);
  }

  hostConnected(): void {
    this._timer = window.setInterval(() => {
      if (!document.hidden) this._tick();
    }, this._intervalMillis);
    document.addEventListener('visibilitychange', this._onVisibility);
  }

  hostDisconnected(): void {
    window.clearInterval(this._timer);
    this._timer = undefined;
    document.removeEventListener('visibilitychange', this._onVisibility);
  }

  private _onVisibility = (): void => {
    if (!document.hidden) this._tick();
  };
}
