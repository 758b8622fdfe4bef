import http from 'node:http';
import https from 'node:https';
import { randomBytes, randomUUID } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { EnrolRequest, HeartbeatRequest, ReportBatch, countSamples, paths } from '@tianshu/protocol';
import type { ErrorBody, ReportAck, AgentConfig } from '@tianshu/protocol';

/** Options of a {@link StubControlPlane}. */
export interface StubControlPlaneOptions {
  /** Bootstrap tokens accepted by enrolment (each once). */
  tokens?: string[];
  /** The config served to agents; a default is used otherwise. */
  config?: AgentConfig;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
}

/** A request the stub received, after decompression. */
export interface StubRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  /** Size of the body as it travelled (compressed if it was). */
  wireBytes: number;
}

/** A canned answer to the next request(s) on a path. */
export interface StubFault {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
  /** How many requests get this answer; 1 by default. */
  times?: number;
}

type Route = 'enrol' | 'heartbeat' | 'config' | 'reports';

function error(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/**
 * An in-process stand-in for the control plane's agent endpoints, for tests and measurements. It
 * validates every request with the protocol schemas, answers 400 with the protocol's error body
 * when one does not match, stores report batches once per batch id, and can be told to fail.
 */
export class StubControlPlane {
  readonly agents = new Map<string, { credential: string; hostname: string; revoked: boolean }>();
  /** Batches stored, in arrival order, each once. */
  readonly batches: ReportBatch[] = [];
  /** Every report post, including duplicates and refused ones, by batch id (or "invalid"). */
  readonly reportAttempts: string[] = [];
  readonly requests: StubRequest[] = [];
  readonly heartbeats: HeartbeatRequest[] = [];
  config: AgentConfig;
  readonly #tokens: Set<string>;
  readonly #faults = new Map<Route, StubFault[]>();
  readonly #rejectIf: ((batch: ReportBatch) => boolean)[] = [];
  readonly #tls: StubControlPlaneOptions['tls'];
  #server: http.Server | undefined;
  #port = 0;

  constructor(options: StubControlPlaneOptions = {}) {
    this.#tokens = new Set(options.tokens ?? ['bootstrap-token-1']);
    this.#tls = options.tls;
    this.config = options.config ?? {
      configVersion: 'v1',
      heartbeatIntervalSeconds: 30,
      host: { enabled: true, intervalSeconds: 15 },
      report: { maxSamplesPerBatch: 10_000, flushIntervalSeconds: 15 },
    };
  }

  /** Base URL, e.g. `http://127.0.0.1:40123`. */
  get url(): string {
    return `${this.#tls ? 'https' : 'http'}://127.0.0.1:${this.#port}`;
  }

  get port(): number {
    return this.#port;
  }

  get listening(): boolean {
    return this.#server !== undefined;
  }

  /** Starts listening on 127.0.0.1; on the same port as before when restarted. */
  async start(): Promise<this> {
    if (this.#server) return this;
    const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      this.#handle(req, res).catch((err: unknown) => {
        this.#send(res, 500, error('internal', (err as Error).message));
      });
    };
    const server = this.#tls ? https.createServer({ ...this.#tls }, handler) : http.createServer(handler);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => resolve());
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Stops listening and drops open connections, as a crashed server would. */
  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** Answers the next request(s) on a route with a canned status. */
  fail(route: Route, fault: StubFault): void {
    const list = this.#faults.get(route) ?? [];
    list.push({ times: 1, ...fault });
    this.#faults.set(route, list);
  }

  /** Forgets the canned answers not used yet. */
  clearFaults(): void {
    this.#faults.clear();
  }

  /** Answers 422 to every batch matching the predicate. */
  rejectBatches(predicate: (batch: ReportBatch) => boolean): void {
    this.#rejectIf.push(predicate);
  }

  /** Registers an agent directly, skipping enrolment. */
  addAgent(hostname = 'test-host'): { agentId: string; credential: string } {
    const agentId = randomUUID();
    const credential = randomBytes(24).toString('base64url');
    this.agents.set(agentId, { credential, hostname, revoked: false });
    return { agentId, credential };
  }

  revoke(agentId: string): void {
    const a = this.agents.get(agentId);
    if (a) a.revoked = true;
  }

  /** Sequence numbers of the stored batches, in arrival order. */
  sequences(): number[] {
    return this.batches.map((b) => b.sequence);
  }

  #send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.headersSent) return;
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(text);
  }

  #takeFault(route: Route): StubFault | undefined {
    const list = this.#faults.get(route);
    const f = list?.[0];
    if (!f) return undefined;
    f.times = (f.times ?? 1) - 1;
    if (f.times <= 0) list!.shift();
    return f;
  }

  #authorise(req: http.IncomingMessage, agentId: string): boolean {
    const m = /^Bearer ([^.]+)\.(.+)$/.exec(req.headers.authorization ?? '');
    const agent = this.agents.get(agentId);
    return !!m && m[1] === agentId && !!agent && !agent.revoked && agent.credential === m[2];
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    let raw = Buffer.concat(chunks);
    const wireBytes = raw.length;
    if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    let body: unknown;
    if (raw.length > 0) {
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        this.#send(res, 400, error('input.json', 'body is not valid json'));
        return;
      }
    }
    const path = (req.url ?? '/').split('?')[0]!;
    this.requests.push({ method: req.method ?? '', path, headers: req.headers, body, wireBytes });

    if (req.method === 'POST' && path === paths.enrol) return this.#enrol(res, body);
    const m = /^\/api\/v1\/agents\/([^/]+)\/(heartbeat|config|reports)$/.exec(path);
    if (!m) return this.#send(res, 404, error('route.not_found', 'no such endpoint'));
    const agentId = decodeURIComponent(m[1]!);
    const route = m[2] as Route;
    const fault = this.#takeFault(route);
    if (fault)
      return this.#send(res, fault.status, fault.body ?? error('fault', 'injected fault'), fault.headers);
    if (!this.#authorise(req, agentId)) {
      return this.#send(res, 401, error('auth.agent_credential_invalid', 'agent credential is not valid'));
    }
    if (route === 'heartbeat' && req.method === 'POST') {
      const r = HeartbeatRequest.safeParse(body);
      if (!r.success)
        return this.#send(res, 400, error('input.invalid', r.error.issues[0]?.message ?? 'invalid'));
      this.heartbeats.push(r.data);
      return this.#send(res, 200, {
        serverTime: new Date().toISOString(),
        configVersion: this.config.configVersion,
      });
    }
    if (route === 'config' && req.method === 'GET') return this.#send(res, 200, this.config);
    if (route === 'reports' && req.method === 'POST') return this.#report(res, body);
    return this.#send(res, 405, error('route.method_not_allowed', 'method not allowed'));
  }

  #enrol(res: http.ServerResponse, body: unknown): void {
    const r = EnrolRequest.safeParse(body);
    if (!r.success)
      return this.#send(res, 400, error('input.invalid', r.error.issues[0]?.message ?? 'invalid'));
    const fault = this.#takeFault('enrol');
    if (fault)
      return this.#send(res, fault.status, fault.body ?? error('fault', 'injected fault'), fault.headers);
    if (!this.#tokens.delete(r.data.token)) {
      return this.#send(
        res,
        401,
        error('auth.enrolment_token_invalid', 'bootstrap token is unknown, expired or already used'),
      );
    }
    const { agentId, credential } = this.addAgent(r.data.hostname);
    this.#send(res, 201, {
      agentId,
      credential,
      orgUnitId: 'org-root',
      configVersion: this.config.configVersion,
    });
  }

  #report(res: http.ServerResponse, body: unknown): void {
    const r = ReportBatch.safeParse(body);
    if (!r.success) {
      this.reportAttempts.push('invalid');
      return this.#send(res, 400, error('input.invalid', r.error.issues[0]?.message ?? 'invalid'));
    }
    const batch = r.data;
    this.reportAttempts.push(batch.batchId);
    if (this.#rejectIf.some((p) => p(batch))) {
      return this.#send(res, 422, error('unprocessable', `batch ${batch.sequence} cannot be stored`));
    }
    const duplicate = this.batches.some((b) => b.batchId === batch.batchId);
    if (!duplicate) this.batches.push(batch);
    const ack: ReportAck = { batchId: batch.batchId, duplicate, samples: countSamples(batch) };
    this.#send(res, 200, ack);
  }
}
