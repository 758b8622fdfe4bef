import type { Logger } from '../../logger.js';
import type { SecurityEvents } from './service.js';

/** The control plane's own event listeners (wired to helper A's receiver after the merge). */
export class ControlPlaneListeners {
  private readonly running = new Map<string, number>();

  constructor(
    private readonly svc: SecurityEvents,
    private readonly log: Logger,
  ) {}

  reconcile(): Promise<void> {
    void this.svc;
    void this.log;
    return Promise.resolve();
  }

  ports(): Record<string, number> {
    return Object.fromEntries(this.running);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
