import {
  ApiException,
  CoreV1Api,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  Watch,
  type RequestContext,
  type V1Namespace,
  type V1ResourceQuota,
} from '@kubernetes/client-node';
import { Agent as HttpAgent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest, type RequestOptions } from 'node:https';
import type {
  AdapterFactory,
  Amounts,
  CloudAdapter,
  CloudConnection,
  ProjectState,
  ProjectTarget,
} from '../../types.js';
import { CloudError, type CloudErrorKind } from '../../types.js';
import {
  amountsFromQuantities,
  CLASS_KEYS,
  cpuOf,
  gibOf,
  hardFromAmounts,
  parseQuantity,
} from './quantity.js';

/**
 * The Kubernetes adapter, on `@kubernetes/client-node` 1.4: a namespace per Tianshu project (named
 * by the project's external name, labelled with its org unit and project) holding one
 * `ResourceQuota` named `tianshu` whose `spec.hard` is the project's quota (mapping in
 * `quantity.ts`); `status.used` is read back; a replace meeting `409 Conflict` is retried with the
 * fresh `resourceVersion` (at most {@link CONFLICT_RETRIES} times). Every failure becomes a
 * `CloudError` with the API's `Status` message and never the token.
 */

export const QUOTA_NAME = 'tianshu';
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_SELECTOR = `${MANAGED_BY}=tianshu`;
export const CONFLICT_RETRIES = 5;
const DEFAULT_TIMEOUT_MS = 15_000;
/** How long the namespaces a full read listed serve as a hint to `ensure`. */
const HINT_MS = 10 * 60_000;

interface Settings {
  caCert?: string;
  insecureSkipTlsVerify?: boolean;
  timeoutSeconds?: number;
}

function settingsOf(c: CloudConnection): Settings {
  const s = c.settings;
  return {
    ...(typeof s.caCert === 'string' && s.caCert ? { caCert: s.caCert } : {}),
    ...(s.insecureSkipTlsVerify === true ? { insecureSkipTlsVerify: true } : {}),
    ...(typeof s.timeoutSeconds === 'number' && s.timeoutSeconds > 0
      ? { timeoutSeconds: s.timeoutSeconds }
      : {}),
  };
}

/** The message of a Kubernetes `Status` body, when the body is one. */
function statusMessage(body: unknown): string | undefined {
  let b = body;
  if (typeof b === 'string') {
    try {
      b = JSON.parse(b) as unknown;
    } catch {
      return undefined;
    }
  }
  if (typeof b === 'object' && b !== null && (b as { kind?: unknown }).kind === 'Status') {
    const m = (b as { message?: unknown }).message;
    return typeof m === 'string' ? m : undefined;
  }
  return undefined;
}

function kindOfStatus(code: number): CloudErrorKind {
  if (code === 401) return 'unauthorized';
  if (code === 403) return 'forbidden';
  if (code === 404) return 'not-found';
  if (code === 409) return 'conflict';
  if (code === 408 || code === 504) return 'timeout';
  if (code === 429 || code >= 500) return 'unreachable';
  if (code >= 400) return 'rejected';
  return 'invalid-answer';
}

/** Maps anything client-node throws to a CloudError naming the operation; never includes `secret`. */
export function toCloudError(err: unknown, what: string, secret?: string): CloudError {
  if (err instanceof CloudError) return err;
  const scrub = (s: string) => (secret ? s.split(secret).join('***') : s);
  if (err instanceof ApiException) {
    const code = (err as ApiException<unknown>).code;
    const msg = statusMessage((err as ApiException<unknown>).body);
    const fallback =
      code === 401
        ? 'the API server refused the token (401 Unauthorized)'
        : `HTTP ${code}${kindOfStatus(code) === 'invalid-answer' ? ' (unexpected answer)' : ''}`;
    return new CloudError(kindOfStatus(code), scrub(`${what}: ${msg ?? fallback}`), code);
  }
  const e = err as { name?: string; code?: string; type?: string; message?: string };
  const message = scrub(String(e?.message ?? err)).slice(0, 300);
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.code === 'ETIMEDOUT') {
    return new CloudError('timeout', `${what}: no answer in time`);
  }
  if (e?.name === 'SyntaxError' || err instanceof InvalidAnswer) {
    return new CloudError('invalid-answer', `${what}: the API server's answer does not parse: ${message}`);
  }
  if (
    e?.name === 'FetchError' ||
    (typeof e?.code === 'string' && /^E[A-Z]+/.test(e.code)) ||
    /socket hang up|ECONNRESET|ECONNREFUSED|fetch failed/i.test(message)
  ) {
    return new CloudError('unreachable', `${what}: ${message}`);
  }
  return new CloudError('invalid-answer', `${what}: ${message}`);
}

class InvalidAnswer extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidAnswer';
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      const e = new Error('timed out');
      e.name = 'TimeoutError';
      reject(e);
    }, ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Our amounts from a quota's hard map, each class from its first key. A class whose other keys
 * disagree (someone edited `limits.cpu` only) also reports `<class>/<key>` with that key's value, and a
 * class missing one of its keys is reported as not limited, so the difference shows as drift.
 */
export function hardOf(hard: Record<string, string> | undefined): Amounts {
  const out = amountsFromQuantities(hard);
  for (const [cls, m] of Object.entries(CLASS_KEYS)) {
    if (!(cls in out)) continue;
    for (const k of m.keys.slice(1)) {
      const q = hard?.[k];
      if (q === undefined) {
        delete out[cls];
        break;
      }
      const v = m.unit === 'cpu' ? cpuOf(q) : m.unit === 'gib' ? gibOf(q) : parseQuantity(q);
      if (v !== out[cls]) out[`${cls}/${k}`] = v;
    }
  }
  return out;
}

function checkQuota(o: unknown, what: string): V1ResourceQuota {
  const q = o as V1ResourceQuota | undefined;
  if (!q || typeof q !== 'object' || typeof q.metadata?.name !== 'string') {
    throw new InvalidAnswer(`${what}: the answer is not a ResourceQuota`);
  }
  return q;
}

function stateOf(
  externalName: string,
  q: V1ResourceQuota | undefined,
  ns: V1Namespace | undefined,
): ProjectState {
  try {
    return {
      externalName,
      exists: ns !== undefined || q !== undefined,
      hard: q ? hardOf(q.spec?.hard as Record<string, string> | undefined) : {},
      used: q ? amountsFromQuantities(q.status?.used as Record<string, string> | undefined) : {},
      ...(q?.metadata?.resourceVersion ? { version: q.metadata.resourceVersion } : {}),
      ...(ns?.metadata?.labels ? { labels: { ...ns.metadata.labels } } : {}),
    };
  } catch (err) {
    throw new InvalidAnswer(`namespace ${externalName}: ${(err as Error).message}`);
  }
}

function sameHard(a: Record<string, string>, b: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(a)) {
    const o = b?.[k];
    if (o === undefined) return false;
    if (o !== v) {
      try {
        if (parseQuantity(o) !== parseQuantity(v)) return false;
      } catch {
        return false;
      }
    }
  }
  return true;
}

function labelsMatch(want: Record<string, string>, have: Record<string, string> | undefined): boolean {
  return Object.entries(want).every(([k, v]) => have?.[k] === v);
}

/**
 * client-node builds a new HTTPS agent (a TLS context, no keep-alive) for every request; with 10,000
 * namespaces that is 40,000 handshakes. This KubeConfig hands every request one keep-alive agent
 * with the same trust settings instead. The request headers client-node's own path would set (the
 * bearer token) are worked out once through its public `applyToHTTPSOptions` and reused: the
 * configuration is built from a static token only (no exec or auth-provider plugin whose token
 * could change), so they cannot change.
 */
class PooledKubeConfig extends KubeConfig {
  agent: HttpAgent | HttpsAgent | undefined;
  private headers: Promise<Record<string, string>> | undefined;

  /** The headers client-node sets on a request of this configuration (Authorization). */
  requestHeaders(): Promise<Record<string, string>> {
    this.headers ??= (async () => {
      const opts: RequestOptions = {};
      await this.applyToHTTPSOptions(opts);
      const out: Record<string, string> = {};
      for (const [k, v] of Object.entries((opts.headers ?? {}) as OutgoingHttpHeaders)) {
        if (typeof v === 'string' || typeof v === 'number') out[k] = String(v);
      }
      if (typeof opts.auth === 'string')
        out.Authorization = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
      return out;
    })();
    this.headers.catch(() => {
      this.headers = undefined;
    });
    return this.headers;
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    if (!this.agent) return super.applySecurityAuthentication(context);
    for (const [k, v] of Object.entries(await this.requestHeaders())) context.setHeaderParam(k, v);
    context.setAgent(this.agent);
  }
}

class KubernetesAdapter implements CloudAdapter {
  readonly kind = 'kubernetes' as const;
  private readonly kc = new PooledKubeConfig();
  private readonly api: CoreV1Api;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly base: URL;
  private readonly watches = new Set<{ stop(): void }>();
  /**
   * What the last full `read()` listed: namespaces with their labels. `ensure` uses it as a hint
   * only (a namespace listed as absent is created at once; one listed with our labels is not read
   * again); a stale hint costs a 409 and the ordinary path.
   */
  private listed: { at: number; namespaces: Map<string, Record<string, string>> } | undefined;

  constructor(private readonly c: CloudConnection) {
    const s = settingsOf(c);
    this.token = c.secrets.token ?? '';
    if (!this.token)
      throw new CloudError(
        'unauthorized',
        `cloud ${c.cloudId}: no bearer token is set for the Kubernetes API`,
      );
    let server: URL;
    try {
      server = new URL(c.endpoint);
      if (server.protocol !== 'https:' && server.protocol !== 'http:') throw new Error('not http(s)');
    } catch {
      throw new CloudError(
        'rejected',
        `cloud ${c.cloudId}: the endpoint "${c.endpoint}" is not an http(s) URL`,
      );
    }
    if (server.protocol === 'http:' && !s.insecureSkipTlsVerify) {
      throw new CloudError(
        'rejected',
        `cloud ${c.cloudId}: the endpoint is plain http; use https (with caCert) or set insecureSkipTlsVerify`,
      );
    }
    this.base = server;
    this.timeoutMs = (s.timeoutSeconds ?? DEFAULT_TIMEOUT_MS / 1000) * 1000;
    this.kc.loadFromOptions({
      clusters: [
        {
          name: c.cloudId,
          server: server.toString().replace(/\/$/, ''),
          ...(s.caCert ? { caData: Buffer.from(s.caCert, 'utf8').toString('base64') } : {}),
          ...(s.insecureSkipTlsVerify ? { skipTLSVerify: true } : {}),
        },
      ],
      users: [{ name: 'tianshu', token: this.token }],
      contexts: [{ name: 'tianshu', cluster: c.cloudId, user: 'tianshu' }],
      currentContext: 'tianshu',
    });
    this.kc.agent =
      server.protocol === 'https:'
        ? new HttpsAgent({
            keepAlive: true,
            maxSockets: 32,
            ...(s.caCert ? { ca: s.caCert } : {}),
            ...(s.insecureSkipTlsVerify ? { rejectUnauthorized: false } : {}),
          })
        : new HttpAgent({ keepAlive: true, maxSockets: 32 });
    this.api = this.kc.makeApiClient(CoreV1Api);
  }

  private async call<T>(what: string, fn: () => Promise<T>, idempotent = false): Promise<T> {
    try {
      return await withTimeout(fn(), this.timeoutMs);
    } catch (err) {
      const e = toCloudError(err, what, this.token);
      // A kept-alive connection the server closed meanwhile: a read is sent again, once, on a new one.
      if (!idempotent || e.kind !== 'unreachable' || !/ECONNRESET|socket hang up/i.test(e.message)) throw e;
    }
    try {
      return await withTimeout(fn(), this.timeoutMs);
    } catch (err) {
      throw toCloudError(err, what, this.token);
    }
  }

  /**
   * POSTs `body` (JSON) to `path` of the API server and returns the object it answers, on the same
   * keep-alive agent and headers as client-node. Only the two creates of the hot path (a namespace,
   * its quota: two of every new project's requests) go this way: client-node's generated client
   * (its ObjectSerializer, the rxjs-style middleware chain, node-fetch) cost more CPU per request
   * than the request itself (profile of a 2,000-namespace bench). Every other call (reads, lists,
   * replace, patch, watch, nodes) stays on client-node. An answer outside 2xx throws client-node's
   * own `ApiException` (so errors map exactly as on its path); a body that is not JSON, a
   * `SyntaxError`; a connection failure, Node's error.
   */
  private async post<T>(path: string, body: unknown): Promise<T> {
    const headers = await this.kc.requestHeaders();
    const payload = Buffer.from(JSON.stringify(body), 'utf8');
    const request = this.base.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<T>((resolve, reject) => {
      const req = request(
        `${this.base.href.replace(/\/$/, '')}${path}`,
        {
          method: 'POST',
          agent: this.kc.agent,
          headers: {
            ...headers,
            Accept: 'application/json',
            'Content-Type': 'application/json',
            'Content-Length': payload.length,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            const code = res.statusCode ?? 0;
            if (code < 200 || code > 299) {
              let parsed: unknown = text;
              try {
                parsed = JSON.parse(text) as unknown;
              } catch {
                /* not JSON: the text is the body */
              }
              reject(new ApiException(code, `HTTP ${code}`, parsed, res.headers as Record<string, string>));
              return;
            }
            try {
              resolve(JSON.parse(text) as T);
            } catch (err) {
              reject(err as Error);
            }
          });
        },
      );
      req.setTimeout(this.timeoutMs, () => {
        const e = new Error('timed out');
        e.name = 'TimeoutError';
        req.destroy(e);
      });
      req.on('error', reject);
      req.end(payload);
    });
  }

  private createNamespace(name: string, labels: Record<string, string>): Promise<V1Namespace> {
    return this.call(`namespace ${name}: create`, () =>
      this.post<V1Namespace>('/api/v1/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, labels },
      }),
    );
  }

  private async optional<T>(what: string, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.call(what, fn, true);
    } catch (err) {
      if (err instanceof CloudError && err.kind === 'not-found') return undefined;
      throw err;
    }
  }

  async capacity(): Promise<Amounts> {
    const nodes = await this.call('list nodes', () => this.api.listNode(), true);
    if (!nodes || !Array.isArray(nodes.items))
      throw new CloudError('invalid-answer', 'list nodes: the answer is not a NodeList');
    let cpu = 0;
    let mem = 0;
    let gpu = 0;
    let gpuSeen = false;
    try {
      for (const n of nodes.items) {
        const a = (n.status?.allocatable ?? {}) as Record<string, string>;
        if (a.cpu) cpu += cpuOf(a.cpu);
        if (a.memory) mem += gibOf(a.memory);
        if (a['nvidia.com/gpu']) {
          gpuSeen = true;
          gpu += parseQuantity(a['nvidia.com/gpu']);
        }
      }
    } catch (err) {
      throw new CloudError('invalid-answer', `list nodes: ${(err as Error).message}`);
    }
    const out: Amounts = { vcpu: Math.round(cpu * 1000) / 1000, memory: Math.round(mem * 1000) / 1000 };
    if (gpuSeen) out.gpu = gpu;
    return out;
  }

  private async ensureNamespace(
    t: ProjectTarget,
  ): Promise<{ ns: V1Namespace | undefined; created: boolean }> {
    const name = t.externalName;
    const labels = { ...t.labels, [MANAGED_BY]: 'tianshu' };
    const hint = this.listed && Date.now() - this.listed.at < HINT_MS ? this.listed.namespaces : undefined;
    if (hint) {
      const have = hint.get(name);
      if (have && labelsMatch(labels, have)) return { ns: undefined, created: false };
      if (!have) {
        try {
          const ns = await this.createNamespace(name, labels);
          hint.set(name, labels);
          return { ns, created: true };
        } catch (err) {
          if (!(err instanceof CloudError && err.kind === 'conflict')) throw err; // exists unlabelled: read it
        }
      }
    }
    return { ns: await this.ensureNamespaceRead(t), created: false };
  }

  private async ensureNamespaceRead(t: ProjectTarget): Promise<V1Namespace> {
    const name = t.externalName;
    const labels = { ...t.labels, [MANAGED_BY]: 'tianshu' };
    const found = await this.optional(`namespace ${name}: read`, () => this.api.readNamespace({ name }));
    if (!found) {
      try {
        return await this.createNamespace(name, labels);
      } catch (err) {
        if (!(err instanceof CloudError && err.kind === 'conflict')) throw err; // created meanwhile
        return this.ensureNamespaceRead(t);
      }
    }
    if (labelsMatch(labels, found.metadata?.labels)) return found;
    return this.call(`namespace ${name}: label`, () =>
      this.api.patchNamespace(
        { name, body: { metadata: { labels } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
  }

  async ensure(t: ProjectTarget, amounts: Amounts): Promise<ProjectState> {
    const namespace = t.externalName;
    const want = hardFromAmounts(amounts);
    const labels = { ...t.labels, [MANAGED_BY]: 'tianshu' };
    const { ns, created } = await this.ensureNamespace(t);
    for (let attempt = 0; ; attempt++) {
      // A namespace just created holds no quota yet: no need to read one.
      const current =
        created && attempt === 0
          ? undefined
          : await this.optional(`quota ${namespace}/${QUOTA_NAME}: read`, () =>
              this.api.readNamespacedResourceQuota({ name: QUOTA_NAME, namespace }),
            );
      let written: V1ResourceQuota;
      try {
        if (!current) {
          written = await this.call(`quota ${namespace}/${QUOTA_NAME}: create`, () =>
            this.post<V1ResourceQuota>(`/api/v1/namespaces/${encodeURIComponent(namespace)}/resourcequotas`, {
              apiVersion: 'v1',
              kind: 'ResourceQuota',
              metadata: { name: QUOTA_NAME, namespace, labels },
              spec: { hard: want },
            }),
          );
        } else {
          const q = checkQuota(current, `quota ${namespace}/${QUOTA_NAME}`);
          const have = (q.spec?.hard ?? {}) as Record<string, string>;
          if (sameHard(want, have) && labelsMatch(labels, q.metadata?.labels))
            return stateOf(namespace, q, ns);
          written = await this.call(`quota ${namespace}/${QUOTA_NAME}: replace`, () =>
            this.api.replaceNamespacedResourceQuota({
              name: QUOTA_NAME,
              namespace,
              body: {
                apiVersion: 'v1',
                kind: 'ResourceQuota',
                metadata: {
                  name: QUOTA_NAME,
                  namespace,
                  labels: { ...(q.metadata?.labels ?? {}), ...labels },
                  ...(q.metadata?.annotations ? { annotations: q.metadata.annotations } : {}),
                  resourceVersion: q.metadata!.resourceVersion!,
                },
                spec: { ...q.spec, hard: { ...have, ...want } },
              },
            }),
          );
        }
      } catch (err) {
        const e = toCloudError(err, `quota ${namespace}/${QUOTA_NAME}`, this.token);
        if (e.kind === 'conflict' && attempt < CONFLICT_RETRIES) continue; // stale version, or created meanwhile
        if (e.kind === 'not-found' && attempt < CONFLICT_RETRIES) {
          // The namespace went away since the listing the hint came from: make it again.
          this.listed = undefined;
          await this.ensureNamespaceRead(t);
          continue;
        }
        if (e.kind === 'conflict') {
          throw new CloudError(
            'conflict',
            `${e.message} (still conflicting after ${CONFLICT_RETRIES} retries)`,
            e.status,
          );
        }
        throw e;
      }
      return stateOf(namespace, checkQuota(written, `quota ${namespace}/${QUOTA_NAME}`), ns);
    }
  }

  async read(externalNames?: readonly string[]): Promise<ProjectState[]> {
    if (externalNames) {
      const out: ProjectState[] = [];
      for (const name of externalNames) {
        const ns = await this.optional(`namespace ${name}: read`, () => this.api.readNamespace({ name }));
        const q = ns
          ? await this.optional(`quota ${name}/${QUOTA_NAME}: read`, () =>
              this.api.readNamespacedResourceQuota({ name: QUOTA_NAME, namespace: name }),
            )
          : undefined;
        out.push(stateOf(name, q ? checkQuota(q, `quota ${name}/${QUOTA_NAME}`) : undefined, ns));
      }
      return out;
    }
    const [nsList, qList] = await Promise.all([
      this.call('list namespaces', () => this.api.listNamespace({ labelSelector: MANAGED_SELECTOR }), true),
      this.call(
        'list resource quotas',
        () => this.api.listResourceQuotaForAllNamespaces({ labelSelector: MANAGED_SELECTOR }),
        true,
      ),
    ]);
    if (!nsList || !Array.isArray(nsList.items))
      throw new CloudError('invalid-answer', 'list namespaces: the answer is not a NamespaceList');
    if (!qList || !Array.isArray(qList.items)) {
      throw new CloudError('invalid-answer', 'list resource quotas: the answer is not a ResourceQuotaList');
    }
    this.listed = {
      at: Date.now(),
      namespaces: new Map(
        nsList.items
          .filter((n) => n.metadata?.name)
          .map((n) => [n.metadata!.name!, { ...(n.metadata!.labels ?? {}) }]),
      ),
    };
    const quotas = new Map<string, V1ResourceQuota>();
    for (const q of qList.items) {
      if (q.metadata?.name === QUOTA_NAME && q.metadata.namespace) quotas.set(q.metadata.namespace, q);
    }
    const out: ProjectState[] = [];
    try {
      for (const ns of nsList.items) {
        const name = ns.metadata?.name;
        if (!name) throw new InvalidAnswer('a namespace without a name');
        out.push(stateOf(name, quotas.get(name), ns));
        quotas.delete(name);
      }
      for (const [name, q] of quotas) out.push(stateOf(name, q, undefined));
    } catch (err) {
      throw toCloudError(err, 'list namespaces', this.token);
    }
    return out;
  }

  watch(onChange: (externalName: string) => void, onError: (err: CloudError) => void): { stop(): void } {
    const w = new Watch(this.kc);
    let stopped = false;
    let resourceVersion: string | undefined;
    let controller: AbortController | undefined;
    let timer: NodeJS.Timeout | undefined;
    let failures = 0;
    const start = () => {
      if (stopped) return;
      w.watch(
        '/api/v1/resourcequotas',
        {
          labelSelector: MANAGED_SELECTOR,
          allowWatchBookmarks: true,
          ...(resourceVersion ? { resourceVersion } : {}),
        },
        (
          type: string,
          obj: {
            metadata?: { name?: string; namespace?: string; resourceVersion?: string };
            code?: number;
            message?: string;
          },
        ) => {
          if (type === 'ERROR') {
            // 410 Gone: our resourceVersion is too old; start again from now (a full pass notices the rest).
            resourceVersion = undefined;
            onError(
              new CloudError(
                'invalid-answer',
                `watch resource quotas: ${obj.message ?? 'error event'}`,
                obj.code,
              ),
            );
            return;
          }
          failures = 0;
          if (obj.metadata?.resourceVersion) resourceVersion = obj.metadata.resourceVersion;
          if (type === 'BOOKMARK') return;
          if (obj.metadata?.name === QUOTA_NAME && obj.metadata.namespace) onChange(obj.metadata.namespace);
        },
        (err: unknown) => {
          if (stopped) return;
          if (err) {
            failures++;
            onError(toCloudError(err, 'watch resource quotas', this.token));
          }
          const delay = Math.min(30_000, 500 * 2 ** Math.min(failures, 6));
          timer = setTimeout(start, err ? delay : 0);
          timer.unref();
        },
      ).then(
        (c) => {
          controller = c;
          if (stopped) c.abort();
        },
        (err: unknown) => {
          if (stopped) return;
          failures++;
          onError(toCloudError(err, 'watch resource quotas', this.token));
          timer = setTimeout(start, Math.min(30_000, 500 * 2 ** Math.min(failures, 6)));
          timer.unref();
        },
      );
    };
    start();
    const handle = {
      stop: () => {
        stopped = true;
        clearTimeout(timer);
        controller?.abort();
        this.watches.delete(handle);
      },
    };
    this.watches.add(handle);
    return handle;
  }

  close(): Promise<void> {
    for (const w of [...this.watches]) w.stop();
    this.kc.agent?.destroy();
    return Promise.resolve();
  }
}

/** Builds the adapter of a Kubernetes cloud from its connection (endpoint, token, CA or insecure). */
export const kubernetesAdapter: AdapterFactory = (connection) => new KubernetesAdapter(connection);
