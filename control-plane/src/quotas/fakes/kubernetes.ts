/**
 * A FAKE Kubernetes API server — not Kubernetes. No real API server (etcd, kube-apiserver) can run
 * on this machine or in CI, so the Kubernetes adapter, the reconcile loops, Debian's `kubectl`, the
 * embedded simulated province and the bench talk to this instead. It is written from the published
 * Kubernetes API reference (kubernetes.io/docs/reference/kubernetes-api: Namespace v1, ResourceQuota
 * v1, Node v1, Status, ListMeta, WatchEvent; api-concepts: "Efficient detection of changes" (watch,
 * resourceVersion, 410 Gone, bookmarks), "Resource versions", optimistic concurrency (409 Conflict on a
 * stale `metadata.resourceVersion`), label selectors; the `resource.Quantity` format) and serves only
 * what Tianshu and kubectl use:
 *
 * - discovery: `/version`, `/api`, `/api/v1`, `/apis` (no groups); `/openapi/*` answers 404 (kubectl
 *   copes; nothing here validates against it);
 * - `namespaces` (create, get, list with `labelSelector`, merge-patch, delete — which deletes its
 *   quotas at once, without the Terminating phase);
 * - `resourcequotas` (create, get, list in one namespace or all, replace with optimistic concurrency,
 *   merge-patch (strategic-merge patches are applied as merge patches, equivalent for `spec.hard`),
 *   delete); `status.hard` follows `spec.hard`, `status.used` is set by the test (`setUsed`);
 * - `nodes` (list; `status.allocatable`, set by the test);
 * - `?watch=true` on every list: JSON lines `{"type":"ADDED"|"MODIFIED"|"DELETED"|"BOOKMARK"|"ERROR",
 *   "object":…}` from the `resourceVersion` given (410 Gone `ERROR` when it is older than the kept
 *   history), `timeoutSeconds`, `allowWatchBookmarks`;
 * - bearer token (401 `Status` Unauthorized), forbidden namespaces (403 Forbidden), 404 NotFound,
 *   409 AlreadyExists / Conflict, 422 Invalid (a bad name or quantity), every error a `Status`.
 *
 * HTTPS by default with a self-signed certificate made at start by `openssl` (for 127.0.0.1, ::1 and
 * localhost; `caCert` is what clients trust), or plain HTTP with `tls: false` (clients must then skip
 * TLS verification, as client-node refuses plain HTTP otherwise).
 * Faults for tests: `failNext(status, n)`, `down(true)` (connections reset), `garbage(true)` (200 with
 * a body that is not JSON), `staleNext(n)` (another writer bumps the object just before the next n
 * replaces, so they meet a real 409).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo, Socket } from 'node:net';
import { parseQuantity } from '../adapters/kubernetes/quantity.js';

export interface FakeObject {
  apiVersion: 'v1';
  kind: 'Namespace' | 'ResourceQuota' | 'Node';
  metadata: {
    name: string;
    namespace?: string;
    uid: string;
    resourceVersion: string;
    creationTimestamp: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: { hard?: Record<string, string> } & Record<string, unknown>;
  status?: Record<string, unknown>;
}

type Resource = 'namespaces' | 'resourcequotas' | 'nodes';

interface WatchEvent {
  rv: number;
  resource: Resource;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  object: FakeObject;
}

interface Watcher {
  resource: Resource;
  namespace: string | undefined;
  selector: Selector;
  res: ServerResponse;
}

export interface FakeKubernetes {
  url: string;
  port: number;
  /** The PEM certificate clients trust (HTTPS), or undefined with `tls: false`. */
  caCert: string | undefined;
  close(): Promise<void>;
  /** Objects by key (`<name>` for namespaces and nodes, `<namespace>/<name>` for quotas). */
  state: {
    namespaces: Map<string, FakeObject>;
    quotas: Map<string, FakeObject>;
    nodes: Map<string, FakeObject>;
    /** Requests answered, and those that changed something (POST/PUT/PATCH/DELETE that succeeded). */
    counts: { requests: number; writes: number; conflicts: number; byVerb: Record<string, number> };
    /** Namespaces every request about which is refused with 403. */
    forbidden: Set<string>;
  };
  /** Sets `status.used` of a quota, as the quota controller would after pods are admitted. */
  setUsed(namespace: string, name: string, used: Record<string, string>): void;
  /** Edits a quota's `spec.hard` as someone with `kubectl edit` would (a new resourceVersion, a watch event). */
  editHard(namespace: string, name: string, hard: Record<string, string>): void;
  /** Adds or replaces a node with its `status.allocatable`. */
  setNode(name: string, allocatable: Record<string, string>): void;
  faults: {
    /** The next `n` API requests (not discovery) answer `status` with a Status. */
    failNext(status: number, n?: number): void;
    /** While true, every connection is reset before an answer. */
    down(on: boolean): void;
    /** While true, API answers are 200 with a body that is not JSON. */
    garbage(on: boolean): void;
    /** The next `n` replaces of a quota find it bumped by another writer first (a real 409). */
    staleNext(n?: number): void;
  };
}

/* ───────────────────────────── label selectors ───────────────────────────── */

type Requirement =
  | { op: 'eq' | 'ne'; key: string; value: string }
  | { op: 'exists' | 'absent'; key: string }
  | { op: 'in' | 'notin'; key: string; values: string[] };
type Selector = Requirement[];

/** Parses an equality- or set-based label selector (`a=b,c!=d,e,!f,g in (h,i)`). */
export function parseSelector(s: string | null): Selector {
  if (!s) return [];
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  parts.push(cur);
  return parts.map((raw) => {
    const p = raw.trim();
    let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(p);
    if (m) return { op: m[2] as 'in' | 'notin', key: m[1]!, values: m[3]!.split(',').map((v) => v.trim()) };
    m = /^([\w./-]+)\s*(!=|==|=)\s*([\w.-]*)$/.exec(p);
    if (m) return { op: m[2] === '!=' ? 'ne' : 'eq', key: m[1]!, value: m[3]! };
    m = /^!([\w./-]+)$/.exec(p);
    if (m) return { op: 'absent', key: m[1]! };
    m = /^([\w./-]+)$/.exec(p);
    if (m) return { op: 'exists', key: m[1]! };
    throw new Error(`unable to parse requirement: "${p}"`);
  });
}

function matches(sel: Selector, labels: Record<string, string> | undefined): boolean {
  const l = labels ?? {};
  return sel.every((r) => {
    const v = l[r.key];
    switch (r.op) {
      case 'eq':
        return v === r.value;
      case 'ne':
        return v !== r.value;
      case 'exists':
        return v !== undefined;
      case 'absent':
        return v === undefined;
      case 'in':
        return v !== undefined && r.values.includes(v);
      case 'notin':
        return v === undefined || !r.values.includes(v);
    }
  });
}

/* ───────────────────────────── the server ───────────────────────────── */

const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const HISTORY = 100_000;

function status(code: number, reason: string, message: string, details?: Record<string, unknown>) {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    ...(details ? { details } : {}),
    code,
  };
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

class HttpError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

function clone<T>(o: T): T {
  return structuredClone(o);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386 JSON merge patch. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const out: Record<string, unknown> = isRecord(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

/** A self-signed certificate for the loopback names, made by `openssl` (Debian's, in every image here). */
function selfSigned(): { key: string; cert: string } {
  const dir = mkdtempSync(join(tmpdir(), 'fake-k8s-'));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '30',
        '-subj', '/CN=fake-kubernetes', '-addext', 'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    return { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  } catch (err) {
    throw new Error(`the fake Kubernetes API server needs openssl for its certificate: ${(err as Error).message}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function startFakeKubernetes(opts: {
  token: string;
  port?: number;
  host?: string;
  /** Git version `/version` reports. */
  gitVersion?: string;
  /** HTTPS with a generated self-signed certificate (default), or plain HTTP. */
  tls?: boolean;
}): Promise<FakeKubernetes> {
  const host = opts.host ?? '127.0.0.1';
  let rv = 1;
  const namespaces = new Map<string, FakeObject>();
  const quotas = new Map<string, FakeObject>();
  const nodes = new Map<string, FakeObject>();
  const counts = { requests: 0, writes: 0, conflicts: 0, byVerb: {} as Record<string, number> };
  const forbidden = new Set<string>();
  const history: WatchEvent[] = [];
  const watchers = new Set<Watcher>();
  const sockets = new Set<Socket>();
  let failing: { status: number; n: number } | undefined;
  let isDown = false;
  let isGarbage = false;
  let stale = 0;

  const nextRv = () => String(++rv);
  const meta = (name: string, namespace?: string) => ({
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    uid: randomUUID(),
    resourceVersion: nextRv(),
    creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  });

  const emit = (resource: Resource, type: WatchEvent['type'], object: FakeObject) => {
    const ev: WatchEvent = { rv: Number(object.metadata.resourceVersion), resource, type, object: clone(object) };
    history.push(ev);
    if (history.length > HISTORY) history.splice(0, history.length - HISTORY);
    for (const w of watchers) send(w, ev);
  };
  const send = (w: Watcher, ev: WatchEvent) => {
    if (w.resource !== ev.resource) return;
    if (w.namespace !== undefined && ev.object.metadata.namespace !== w.namespace) return;
    if (!matches(w.selector, ev.object.metadata.labels)) return;
    w.res.write(JSON.stringify({ type: ev.type, object: ev.object }) + '\n');
  };

  const quotaStatus = (q: FakeObject) => {
    const hard = clone(q.spec?.hard ?? {});
    const prevUsed = (q.status?.used as Record<string, string> | undefined) ?? {};
    const used: Record<string, string> = {};
    for (const k of Object.keys(hard)) used[k] = prevUsed[k] ?? '0';
    q.status = { hard, used };
  };

  const validateName = (name: unknown, what: string) => {
    if (typeof name !== 'string' || name.length > 63 || !DNS1123.test(name)) {
      throw new HttpError(
        422,
        'Invalid',
        `${what} "${String(name)}" is invalid: metadata.name: Invalid value: "${String(name)}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character`,
      );
    }
  };
  const validateHard = (name: string, spec: unknown) => {
    const hard = isRecord(spec) ? spec.hard : undefined;
    if (hard === undefined) return;
    if (!isRecord(hard)) {
      throw new HttpError(422, 'Invalid', `ResourceQuota "${name}" is invalid: spec.hard: Invalid value: must be a map`);
    }
    for (const [k, v] of Object.entries(hard)) {
      let ok = typeof v === 'string';
      if (ok) {
        try {
          ok = parseQuantity(v as string) >= 0;
        } catch {
          ok = false;
        }
      }
      if (!ok) {
        throw new HttpError(
          422,
          'Invalid',
          `ResourceQuota "${name}" is invalid: spec.hard[${k}]: Invalid value: "${String(v)}": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'`,
          { name, kind: 'resourcequotas', causes: [{ reason: 'FieldValueInvalid', field: `spec.hard[${k}]` }] },
        );
      }
    }
  };

  const checkNs = (ns: string) => {
    if (forbidden.has(ns)) {
      throw new HttpError(
        403,
        'Forbidden',
        `resourcequotas is forbidden: User "system:serviceaccount:tianshu:reconciler" cannot access resources in the namespace "${ns}"`,
      );
    }
  };
  const notFound = (kind: string, name: string) =>
    new HttpError(404, 'NotFound', `${kind} "${name}" not found`, { name, kind });

  const list = (resource: Resource, items: FakeObject[], kind: string) => ({
    kind,
    apiVersion: 'v1',
    metadata: { resourceVersion: String(rv) },
    items: items.map(clone),
  });

  const readBody = async (req: IncomingMessage): Promise<unknown> => {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > 3 * 1024 * 1024) throw new HttpError(413, 'RequestEntityTooLarge', 'request entity too large');
      chunks.push(c);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HttpError(400, 'BadRequest', `the body of the request was in an unknown format: ${text.slice(0, 40)}`);
    }
  };

  const discovery = (path: string): unknown => {
    if (path === '/version') {
      return {
        major: '1',
        minor: '20',
        gitVersion: opts.gitVersion ?? 'v1.20.15-tianshu-fake',
        gitCommit: 'fake',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'go1.15',
        compiler: 'gc',
        platform: 'linux/amd64',
      };
    }
    if (path === '/api') {
      return {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: `${host}:${port}` }],
      };
    }
    if (path === '/apis') return { kind: 'APIGroupList', apiVersion: 'v1', groups: [] };
    if (path === '/api/v1') {
      const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
      return {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [
          { name: 'namespaces', singularName: '', namespaced: false, kind: 'Namespace', verbs, shortNames: ['ns'] },
          { name: 'nodes', singularName: '', namespaced: false, kind: 'Node', verbs: ['get', 'list', 'watch'], shortNames: ['no'] },
          { name: 'resourcequotas', singularName: '', namespaced: true, kind: 'ResourceQuota', verbs, shortNames: ['quota'] },
          { name: 'resourcequotas/status', singularName: '', namespaced: true, kind: 'ResourceQuota', verbs: ['get'] },
        ],
      };
    }
    return undefined;
  };

  const watch = (
    req: IncomingMessage,
    res: ServerResponse,
    resource: Resource,
    namespace: string | undefined,
    q: URLSearchParams,
  ) => {
    const selector = parseSelector(q.get('labelSelector'));
    const from = q.get('resourceVersion');
    const pool = resource === 'namespaces' ? namespaces : resource === 'nodes' ? nodes : quotas;
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    const w: Watcher = { resource, namespace, selector, res };
    if (!from || from === '0') {
      for (const o of pool.values()) send(w, { rv: Number(o.metadata.resourceVersion), resource, type: 'ADDED', object: o });
    } else {
      const since = Number(from);
      const oldest = history[0]?.rv ?? rv + 1;
      if (!Number.isFinite(since) || (since < oldest - 1 && since < rv)) {
        res.end(
          JSON.stringify({
            type: 'ERROR',
            object: status(410, 'Expired', `too old resource version: ${from} (${oldest - 1})`),
          }) + '\n',
        );
        return;
      }
      for (const ev of history) if (ev.rv > since) send(w, ev);
    }
    watchers.add(w);
    const timers: NodeJS.Timeout[] = [];
    const end = () => {
      watchers.delete(w);
      for (const t of timers) clearTimeout(t);
      if (!res.writableEnded) res.end();
    };
    const timeout = Number(q.get('timeoutSeconds') ?? '0');
    if (timeout > 0) {
      const t = setTimeout(end, timeout * 1000);
      t.unref();
      timers.push(t);
    }
    if (q.get('allowWatchBookmarks') === 'true') {
      const t = setInterval(() => {
        res.write(
          JSON.stringify({
            type: 'BOOKMARK',
            object: {
              kind: resource === 'namespaces' ? 'Namespace' : resource === 'nodes' ? 'Node' : 'ResourceQuota',
              apiVersion: 'v1',
              metadata: { resourceVersion: String(rv) },
            },
          }) + '\n',
        );
      }, 1000);
      t.unref();
      timers.push(t);
    }
    req.on('close', end);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<unknown> => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const q = url.searchParams;
    const method = req.method ?? 'GET';
    const auth = req.headers.authorization;
    if (auth !== `Bearer ${opts.token}`) throw new HttpError(401, 'Unauthorized', 'Unauthorized');
    const d = discovery(path);
    if (d !== undefined) return d;
    if (path.startsWith('/openapi')) throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
    if (failing && failing.n > 0) {
      failing.n--;
      const code = failing.status;
      if (failing.n === 0) failing = undefined;
      throw new HttpError(code, REASONS[code] ?? 'InternalError', `injected failure ${code}`);
    }
    if (isGarbage) return { garbage: true };
    const isWatch = q.get('watch') === 'true' || q.get('watch') === '1';
    const verb = `${method} ${path.replace(/\/namespaces\/[^/]+/, '/namespaces/{ns}').replace(/\/(resourcequotas|namespaces|nodes)\/[^/{}]+$/, '/$1/{name}')}${isWatch ? ' watch' : ''}`;
    counts.byVerb[verb] = (counts.byVerb[verb] ?? 0) + 1;

    let m: RegExpExecArray | null;
    // nodes
    if (path === '/api/v1/nodes' && method === 'GET') {
      if (isWatch) return watch(req, res, 'nodes', undefined, q);
      const sel = parseSelector(q.get('labelSelector'));
      return list('nodes', [...nodes.values()].filter((n) => matches(sel, n.metadata.labels)), 'NodeList');
    }
    // all quotas
    if (path === '/api/v1/resourcequotas' && method === 'GET') {
      if (isWatch) return watch(req, res, 'resourcequotas', undefined, q);
      const sel = parseSelector(q.get('labelSelector'));
      return list(
        'resourcequotas',
        [...quotas.values()].filter((o) => !forbidden.has(o.metadata.namespace!) && matches(sel, o.metadata.labels)),
        'ResourceQuotaList',
      );
    }
    // namespaces
    if (path === '/api/v1/namespaces') {
      if (method === 'GET') {
        if (isWatch) return watch(req, res, 'namespaces', undefined, q);
        const sel = parseSelector(q.get('labelSelector'));
        return list('namespaces', [...namespaces.values()].filter((n) => matches(sel, n.metadata.labels)), 'NamespaceList');
      }
      if (method === 'POST') {
        const body = await readBody(req);
        if (!isRecord(body) || !isRecord(body.metadata)) throw new HttpError(400, 'BadRequest', 'Namespace: metadata is required');
        const name = body.metadata.name;
        validateName(name, 'Namespace');
        checkNs(name as string);
        if (namespaces.has(name as string)) {
          throw new HttpError(409, 'AlreadyExists', `namespaces "${String(name)}" already exists`, { name, kind: 'namespaces' });
        }
        const o: FakeObject = {
          apiVersion: 'v1',
          kind: 'Namespace',
          metadata: {
            ...meta(name as string),
            ...(isRecord(body.metadata.labels) ? { labels: body.metadata.labels as Record<string, string> } : {}),
            ...(isRecord(body.metadata.annotations) ? { annotations: body.metadata.annotations as Record<string, string> } : {}),
          },
          spec: { finalizers: ['kubernetes'] },
          status: { phase: 'Active' },
        };
        namespaces.set(o.metadata.name, o);
        counts.writes++;
        emit('namespaces', 'ADDED', o);
        res.statusCode = 201;
        return clone(o);
      }
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(path))) {
      const name = decodeURIComponent(m[1]!);
      checkNs(name);
      const o = namespaces.get(name);
      if (!o) throw notFound('namespaces', name);
      if (method === 'GET') return clone(o);
      if (method === 'PATCH') {
        const body = await readBody(req);
        const patched = mergePatch(o, body) as FakeObject;
        patched.metadata = { ...patched.metadata, name, uid: o.metadata.uid, creationTimestamp: o.metadata.creationTimestamp, resourceVersion: nextRv() };
        namespaces.set(name, patched);
        counts.writes++;
        emit('namespaces', 'MODIFIED', patched);
        return clone(patched);
      }
      if (method === 'DELETE') {
        namespaces.delete(name);
        for (const [k, qo] of quotas) {
          if (qo.metadata.namespace === name) {
            quotas.delete(k);
            qo.metadata.resourceVersion = nextRv();
            emit('resourcequotas', 'DELETED', qo);
          }
        }
        o.metadata.resourceVersion = nextRv();
        counts.writes++;
        emit('namespaces', 'DELETED', o);
        return clone(o);
      }
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/resourcequotas$/.exec(path))) {
      const ns = decodeURIComponent(m[1]!);
      checkNs(ns);
      if (method === 'GET') {
        if (isWatch) return watch(req, res, 'resourcequotas', ns, q);
        const sel = parseSelector(q.get('labelSelector'));
        return list(
          'resourcequotas',
          [...quotas.values()].filter((o) => o.metadata.namespace === ns && matches(sel, o.metadata.labels)),
          'ResourceQuotaList',
        );
      }
      if (method === 'POST') {
        if (!namespaces.has(ns)) throw notFound('namespaces', ns);
        const body = await readBody(req);
        if (!isRecord(body) || !isRecord(body.metadata)) throw new HttpError(400, 'BadRequest', 'ResourceQuota: metadata is required');
        const name = body.metadata.name;
        validateName(name, 'ResourceQuota');
        validateHard(name as string, body.spec);
        const key = `${ns}/${String(name)}`;
        if (quotas.has(key)) {
          throw new HttpError(409, 'AlreadyExists', `resourcequotas "${String(name)}" already exists`, { name, kind: 'resourcequotas' });
        }
        const o: FakeObject = {
          apiVersion: 'v1',
          kind: 'ResourceQuota',
          metadata: {
            ...meta(name as string, ns),
            ...(isRecord(body.metadata.labels) ? { labels: body.metadata.labels as Record<string, string> } : {}),
          },
          spec: { hard: clone((isRecord(body.spec) && isRecord(body.spec.hard) ? body.spec.hard : {}) as Record<string, string>) },
        };
        quotaStatus(o);
        quotas.set(key, o);
        counts.writes++;
        emit('resourcequotas', 'ADDED', o);
        res.statusCode = 201;
        return clone(o);
      }
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/resourcequotas\/([^/]+)(\/status)?$/.exec(path))) {
      const ns = decodeURIComponent(m[1]!);
      const name = decodeURIComponent(m[2]!);
      checkNs(ns);
      const key = `${ns}/${name}`;
      const o = quotas.get(key);
      if (!o) throw notFound('resourcequotas', name);
      if (method === 'GET') return clone(o);
      if (method === 'PUT' && !m[3]) {
        const body = await readBody(req);
        if (!isRecord(body) || !isRecord(body.metadata)) throw new HttpError(400, 'BadRequest', 'ResourceQuota: metadata is required');
        if (body.metadata.name !== name) {
          throw new HttpError(400, 'BadRequest', `the name of the object (${String(body.metadata.name)}) does not match the name on the URL (${name})`);
        }
        if (stale > 0) {
          stale--;
          o.metadata.resourceVersion = nextRv();
          emit('resourcequotas', 'MODIFIED', o);
        }
        const given = body.metadata.resourceVersion;
        if (given !== undefined && given !== '' && given !== o.metadata.resourceVersion) {
          counts.conflicts++;
          throw new HttpError(
            409,
            'Conflict',
            `Operation cannot be fulfilled on resourcequotas "${name}": the object has been modified; please apply your changes to the latest version and try again`,
            { name, kind: 'resourcequotas' },
          );
        }
        validateHard(name, body.spec);
        const n: FakeObject = {
          apiVersion: 'v1',
          kind: 'ResourceQuota',
          metadata: {
            name,
            namespace: ns,
            uid: o.metadata.uid,
            creationTimestamp: o.metadata.creationTimestamp,
            resourceVersion: nextRv(),
            ...(isRecord(body.metadata.labels) ? { labels: body.metadata.labels as Record<string, string> } : {}),
          },
          spec: { hard: clone((isRecord(body.spec) && isRecord(body.spec.hard) ? body.spec.hard : {}) as Record<string, string>) },
          status: clone(o.status ?? {}),
        };
        quotaStatus(n);
        quotas.set(key, n);
        counts.writes++;
        emit('resourcequotas', 'MODIFIED', n);
        return clone(n);
      }
      if (method === 'PATCH' && !m[3]) {
        const ct = req.headers['content-type'] ?? '';
        if (!/merge-patch\+json|strategic-merge-patch\+json/.test(ct)) {
          throw new HttpError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/merge-patch+json, application/strategic-merge-patch+json`);
        }
        const body = await readBody(req);
        const patched = mergePatch(o, body) as FakeObject;
        const given = isRecord(body) && isRecord(body.metadata) ? body.metadata.resourceVersion : undefined;
        if (given !== undefined && given !== o.metadata.resourceVersion) {
          counts.conflicts++;
          throw new HttpError(409, 'Conflict', `Operation cannot be fulfilled on resourcequotas "${name}": the object has been modified; please apply your changes to the latest version and try again`);
        }
        validateHard(name, patched.spec);
        patched.metadata = { ...patched.metadata, name, namespace: ns, uid: o.metadata.uid, creationTimestamp: o.metadata.creationTimestamp, resourceVersion: nextRv() };
        quotaStatus(patched);
        quotas.set(key, patched);
        counts.writes++;
        emit('resourcequotas', 'MODIFIED', patched);
        return clone(patched);
      }
      if (method === 'DELETE' && !m[3]) {
        quotas.delete(key);
        o.metadata.resourceVersion = nextRv();
        counts.writes++;
        emit('resourcequotas', 'DELETED', o);
        return status(200, '', 'deleted');
      }
    }
    throw new HttpError(404, 'NotFound', 'the server could not find the requested resource');
  };

  const tls = opts.tls !== false ? selfSigned() : undefined;
  const onRequest = (req: IncomingMessage, res: ServerResponse) => {
    counts.requests++;
    if (isDown) {
      req.socket.destroy();
      return;
    }
    handle(req, res).then(
      (body) => {
        if (res.headersSent) return; // a watch stream
        if (isGarbage && isRecord(body) && body.garbage === true) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('<html><body>502 Bad Gateway</body></html>');
          return;
        }
        if (req.method !== 'GET' && res.statusCode < 300) {
          /* counted in the handlers */
        }
        res.writeHead(res.statusCode || 200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      },
      (err: unknown) => {
        const e =
          err instanceof HttpError
            ? err
            : new HttpError(500, 'InternalError', `Internal error occurred: ${(err as Error).message}`);
        if (res.headersSent) {
          res.end();
          return;
        }
        res.writeHead(e.code, { 'content-type': 'application/json' });
        res.end(JSON.stringify(status(e.code, e.reason, e.message, e.details)));
      },
    );
  };
  const server: Server = tls ? createHttpsServer({ key: tls.key, cert: tls.cert }, onRequest) : createServer(onRequest);
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  const fake: FakeKubernetes = {
    url: `${tls ? 'https' : 'http'}://${urlHost}:${port}`,
    port,
    caCert: tls?.cert,
    close: async () => {
      for (const w of watchers) w.res.end();
      watchers.clear();
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    state: { namespaces, quotas, nodes, counts, forbidden },
    setUsed(namespace, name, used) {
      const o = quotas.get(`${namespace}/${name}`);
      if (!o) throw new Error(`no quota ${namespace}/${name}`);
      const hard = clone(o.spec?.hard ?? {});
      o.status = { hard, used: { ...((o.status?.used as Record<string, string> | undefined) ?? {}), ...used } };
      o.metadata.resourceVersion = nextRv();
      emit('resourcequotas', 'MODIFIED', o);
    },
    editHard(namespace, name, hard) {
      const o = quotas.get(`${namespace}/${name}`);
      if (!o) throw new Error(`no quota ${namespace}/${name}`);
      o.spec = { ...o.spec, hard: { ...(o.spec?.hard ?? {}), ...hard } };
      quotaStatus(o);
      o.metadata.resourceVersion = nextRv();
      emit('resourcequotas', 'MODIFIED', o);
    },
    setNode(name, allocatable) {
      const prev = nodes.get(name);
      const o: FakeObject = {
        apiVersion: 'v1',
        kind: 'Node',
        metadata: prev ? { ...prev.metadata, resourceVersion: nextRv() } : meta(name),
        spec: {},
        status: { allocatable: clone(allocatable), capacity: clone(allocatable) },
      };
      nodes.set(name, o);
      emit('nodes', prev ? 'MODIFIED' : 'ADDED', o);
    },
    faults: {
      failNext(code, n = 1) {
        failing = { status: code, n };
      },
      down(on) {
        isDown = on;
        if (on) {
          for (const w of watchers) w.res.destroy();
          watchers.clear();
        }
      },
      garbage(on) {
        isGarbage = on;
      },
      staleNext(n = 1) {
        stale = n;
      },
    },
  };
  return fake;
}
