/**
 * Serving the app over HTTP(S), and draining it at shutdown:
 *
 * 1. `Lifecycle.drain()`: `/readyz` answers 503 at once (a load balancer stops sending), and SSE
 *    streams are told to end (they end cleanly, with the chunked terminator);
 * 2. the listener closes: new connections are refused;
 * 3. requests in flight get `graceMillis` to finish; their responses carry `Connection: close`, and
 *    connections that fall idle (keep-alive) are closed;
 * 4. whatever is still open at the deadline is closed by force, and the count is logged.
 */
import type { Server as HttpServerType, IncomingMessage, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import type { Logger } from '../logger.js';

/** Whether the control plane is shutting down; routes and streams read it, `stop()` sets it. */
export class Lifecycle {
  #draining = false;
  readonly #listeners = new Set<() => void>();

  get draining(): boolean {
    return this.#draining;
  }

  /** Starts draining (idempotent) and tells every listener once. */
  drain(): void {
    if (this.#draining) return;
    this.#draining = true;
    for (const fn of [...this.#listeners]) fn();
    this.#listeners.clear();
  }

  /** Calls `fn` when draining starts (at once if it has); returns a function that unsubscribes. */
  onDrain(fn: () => void): () => void {
    if (this.#draining) {
      fn();
      return () => undefined;
    }
    this.#listeners.add(fn);
    return () => void this.#listeners.delete(fn);
  }
}

export interface HttpServerOptions {
  fetch: (request: Request) => Response | Promise<Response>;
  hostname: string;
  port: number;
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: Buffer; key: Buffer } | undefined;
  lifecycle: Lifecycle;
  log: Logger;
}

export interface DrainReport {
  /** Requests that were still running at the deadline and were cut off. */
  forced: number;
  millis: number;
}

const IDLE_SWEEP_MILLIS = 50;

export class HttpServer {
  readonly #opts: HttpServerOptions;
  readonly #server: HttpServerType;
  readonly #inFlight = new Set<ServerResponse>();
  #closing: Promise<DrainReport> | undefined;

  constructor(opts: HttpServerOptions) {
    if (typeof opts?.fetch !== 'function') throw new Error('http server requires option "fetch"');
    this.#opts = opts;
    this.#server = createAdaptorServer({
      fetch: opts.fetch,
      hostname: opts.hostname,
      ...(opts.tls ? { createServer: createHttpsServer, serverOptions: opts.tls } : {}),
    }) as HttpServerType;
    // Registered before the app's listener, so every request is counted from its start.
    this.#server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
      this.#inFlight.add(res);
      if (opts.lifecycle.draining) res.setHeader('connection', 'close');
      res.once('close', () => this.#inFlight.delete(res));
    });
  }

  /** Starts listening; resolves with the address. */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#opts.port, this.#opts.hostname, () => {
        this.#server.off('error', reject);
        resolve(this.#server.address() as AddressInfo);
      });
    });
  }

  /** Requests being served now. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** Drains and closes (see the file comment); idempotent. Resolves within `graceMillis` (+ a little). */
  close(graceMillis: number): Promise<DrainReport> {
    this.#closing ??= this.#close(graceMillis);
    return this.#closing;
  }

  async #close(graceMillis: number): Promise<DrainReport> {
    const { lifecycle, log } = this.#opts;
    const started = Date.now();
    lifecycle.drain();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    for (const res of this.#inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    this.#server.closeIdleConnections();
    const deadline = started + graceMillis;
    while (this.#inFlight.size > 0 && Date.now() < deadline) {
      await new Promise((r) =>
        setTimeout(r, Math.min(IDLE_SWEEP_MILLIS, Math.max(1, deadline - Date.now()))),
      );
      this.#server.closeIdleConnections();
    }
    const forced = this.#inFlight.size;
    if (forced > 0) {
      log.warn(
        { requests: forced, graceSeconds: graceMillis / 1000 },
        'requests still running at the end of the shutdown grace period were cut off',
      );
    }
    this.#server.closeAllConnections();
    await closed;
    const millis = Date.now() - started;
    log.info({ millis, forced }, 'http server stopped');
    return { forced, millis };
  }
}
