/**
 * FAKE of an OpenStack cloud's Keystone v3, Nova, Cinder v3 and Neutron APIs — the parts Tianshu's
 * quota adapter and `openstack quota show` / `openstack project list` use. It is a TEST DOUBLE and the
 * simulated province's stand-in cloud, not an OpenStack: no OpenStack can run on the development
 * machine or in the embedded province (it needs a database, a message queue, hypervisors), so the
 * adapter's tests, the embedded mode and Debian's `openstack` client (python3-openstackclient 6.0) all
 * talk to this one HTTP server on loopback.
 *
 * Written from the published API references:
 * - Keystone v3 (https://docs.openstack.org/api-ref/identity/v3/): version discovery (`GET /identity`
 *   → 300 with `versions.values`, `GET /identity/v3`), `POST /v3/auth/tokens` with the
 *   `application_credential` method (201, token in `X-Subject-Token`, body `token` with `expires_at`,
 *   `project`, `roles`, `catalog`), `GET /v3/auth/tokens` (validation), projects
 *   `GET/POST /v3/projects` (filters `name`, `domain_id`, `enabled`, `tags`, `tags-any`),
 *   `GET/PATCH/DELETE /v3/projects/{id}`, project tags (`GET/PUT /v3/projects/{id}/tags`,
 *   `GET/PUT/DELETE /v3/projects/{id}/tags/{tag}`), errors as `{"error":{"code","message","title"}}`.
 * - Nova (https://docs.openstack.org/api-ref/compute/): `os-quota-sets/{tenant_id}` (GET, PUT,
 *   `/detail` with `in_use`/`limit`/`reserved`, `/defaults`), microversion headers (2.1 … 2.90; the
 *   network keys go at 2.36, the injected-file keys at 2.57), `os-hypervisors/detail` and
 *   `os-hypervisors/statistics`; schema errors as `{"badRequest":{"code":400,"message":"Invalid input for
 *   field/attribute …"}}`; a limit below what is in use refused unless `force`.
 * - Cinder v3 (https://docs.openstack.org/api-ref/block-storage/v3/): `{project_id}/os-quota-sets/{id}`
 *   (GET with `?usage=true`, PUT, `/defaults`), `scheduler-stats/get_pools?detail=true`;
 *   "Bad key(s) in quota set" and "Quota limit must be -1 or greater." as Cinder words them.
 * - Neutron (https://docs.openstack.org/api-ref/network/v2/): `/v2.0/quotas/{project_id}` (GET, PUT,
 *   `/details.json` with `used`/`limit`/`reserved`, `/default`), external networks
 *   (`GET /v2.0/networks?router:external=true`) and `GET /v2.0/network-ip-availabilities/{id}`; errors as
 *   `{"NeutronError":{"type","message","detail"}}`.
 * Every service answers 401 (keystonemiddleware's body) without a valid, unexpired `X-Auth-Token`;
 * quota writes and project writes need the `admin` role (403 with the service's policy message).
 * Not implemented: passwords and other auth methods, domains other than `default` (listed, not
 * managed), users and role assignments, servers and volumes themselves (usage is set by tests through
 * `state.setUsage`), unified limits, pagination markers (lists are answered whole), TLS.
 *
 * This file holds the server, the state and the faults; each service is in `openstack/` (`keystone.ts`,
 * `nova.ts`, `cinder.ts`, `neutron.ts`, what they share in `common.ts`).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  CINDER_DEFAULTS,
  DEFAULT_DOMAIN,
  HttpError,
  NEUTRON_DEFAULTS,
  NOVA_DEFAULTS,
  errorBody,
  type FakeCloud,
  type QuotaService,
  type Send,
  type Token,
} from './openstack/common.js';
import { volume } from './openstack/cinder.js';
import { identity } from './openstack/keystone.js';
import { network } from './openstack/neutron.js';
import { compute } from './openstack/nova.js';

export type FakeOpenStackService = 'identity' | 'compute' | 'volume' | 'network';

export interface FakeApplicationCredential {
  id: string;
  secret: string;
  /** Roles the tokens carry on the credential's project; default `['admin', 'member', 'reader']`. */
  roles?: string[];
}

export interface FakeOpenStackOptions {
  applicationCredentials: FakeApplicationCredential[];
  /** Port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Region of every endpoint in the catalog; default `RegionOne`. */
  region?: string;
  /** Lifetime of issued tokens in seconds; default 3600. */
  tokenTtlSeconds?: number;
  /** Hypervisors (capacity); default two of 64 vCPU, 256 GiB, 2 TB local disk. */
  hypervisors?: Array<Partial<FakeHypervisor>>;
  /** Cinder pools' total capacity in GiB; default one pool of 10240 GiB. */
  volumePoolsGb?: number[];
  /**
   * External (floating-IP) networks with the size of their IPv4 allocation pools; default one,
   * `public`, 203.0.113.0/24 with 253 addresses.
   */
  externalNetworks?: Array<{ name: string; cidr: string; totalIps: number }>;
  /** Services left out of the catalog (a cloud without Cinder, say); they still answer. */
  omitServices?: Array<'compute' | 'volume' | 'network'>;
}

export interface FakeProject {
  id: string;
  name: string;
  domain_id: string;
  description: string;
  enabled: boolean;
  parent_id: string;
  is_domain: boolean;
  tags: string[];
  options: Record<string, unknown>;
}

export interface FakeHypervisor {
  id: number;
  hypervisor_hostname: string;
  state: 'up' | 'down';
  status: 'enabled' | 'disabled';
  vcpus: number;
  memory_mb: number;
  local_gb: number;
  vcpus_used: number;
  memory_mb_used: number;
  local_gb_used: number;
}

export interface FakeOpenStackRequest {
  method: string;
  path: string;
  service: FakeOpenStackService | 'other';
  status: number;
  /** The catalog interface the URL belongs to. */
  iface: string;
}

export interface FakeOpenStack {
  /** Keystone v3 base: `http://127.0.0.1:<port>/identity/v3`. */
  url: string;
  region: string;
  close(): Promise<void>;
  state: {
    /** Projects by id (the credentials' own project, `admin`, included). */
    projects: Map<string, FakeProject>;
    /** The project the application credentials are scoped to. */
    adminProjectId: string;
    hypervisors: FakeHypervisor[];
    volumePoolsGb: number[];
    externalNetworks: Array<{ id: string; name: string; cidr: string; totalIps: number; subnetId: string }>;
    /** Every request answered, in order. */
    requests: FakeOpenStackRequest[];
    /** Tokens issued so far. */
    tokensIssued(): number;
    /** Makes every issued token expired (the next service call answers 401). */
    expireTokens(): void;
    /** Effective limits (defaults overlaid by what was set) of a project per service. */
    limits(projectId: string): Record<'compute' | 'volume' | 'network', Record<string, number>>;
    /** Sets what a project uses of a quota key (`cores`, `ram`, `gigabytes`, `floatingip`, …). */
    setUsage(projectId: string, service: 'compute' | 'volume' | 'network', key: string, inUse: number): void;
    /** Sets a limit directly, as another administrator would (drift). */
    setLimit(projectId: string, service: 'compute' | 'volume' | 'network', key: string, limit: number): void;
    projectByName(name: string): FakeProject | undefined;
  };
  faults: {
    /** While on, every connection is destroyed at once (as a host that is down). */
    down(on: boolean): void;
    /** While on, every answer is 200 with an HTML body (as a misconfigured proxy). */
    garbage(on: boolean): void;
    /**
     * The next `n` requests to `service` (of `method` when given) answer `status` with the service's
     * error body.
     */
    failNext(service: FakeOpenStackService, status: number, n?: number, method?: string): void;
  };
}

export async function startFakeOpenStack(options: FakeOpenStackOptions): Promise<FakeOpenStack> {
  const region = options.region ?? 'RegionOne';
  const omit = new Set<string>(options.omitServices ?? []);
  const ttlMs = (options.tokenTtlSeconds ?? 3600) * 1000;
  const credentials = new Map(options.applicationCredentials.map((c) => [c.id, c]));
  const tokens = new Map<string, Token>();
  let issued = 0;
  let isDown = false;
  let isGarbage = false;
  const failures = new Map<FakeOpenStackService, { status: number; n: number; method: string | undefined }>();
  const requests: FakeOpenStackRequest[] = [];
  const sockets = new Set<Socket>();

  const projects = new Map<string, FakeProject>();
  const newProject = (p: Partial<FakeProject> & { name: string }): FakeProject => ({
    id: p.id ?? randomUUID().replaceAll('-', ''),
    name: p.name,
    domain_id: p.domain_id ?? DEFAULT_DOMAIN,
    description: p.description ?? '',
    enabled: p.enabled ?? true,
    parent_id: p.parent_id ?? p.domain_id ?? DEFAULT_DOMAIN,
    is_domain: false,
    tags: p.tags ?? [],
    options: {},
  });
  const admin = newProject({ name: 'admin', description: 'Bootstrap project for initializing the cloud.' });
  projects.set(admin.id, admin);
  const set = new Map<string, Record<QuotaService, Record<string, number>>>();
  const usage = new Map<string, Record<QuotaService, Record<string, number>>>();
  const slot = (m: typeof set, id: string) => {
    let v = m.get(id);
    if (!v) m.set(id, (v = { compute: {}, volume: {}, network: {} }));
    return v;
  };
  const limits = (id: string) => ({
    compute: { ...NOVA_DEFAULTS, ...set.get(id)?.compute },
    volume: { ...CINDER_DEFAULTS, ...set.get(id)?.volume },
    network: { ...NEUTRON_DEFAULTS, ...set.get(id)?.network },
  });
  const inUse = (id: string, s: QuotaService, key: string) => usage.get(id)?.[s][key] ?? 0;

  const hypervisors: FakeHypervisor[] = (
    options.hypervisors ?? [{ hypervisor_hostname: 'compute-1' }, { hypervisor_hostname: 'compute-2' }]
  ).map((h, i) => ({
    id: i + 1,
    hypervisor_hostname: h.hypervisor_hostname ?? `compute-${i + 1}`,
    state: h.state ?? 'up',
    status: h.status ?? 'enabled',
    vcpus: h.vcpus ?? 64,
    memory_mb: h.memory_mb ?? 262_144,
    local_gb: h.local_gb ?? 2048,
    vcpus_used: h.vcpus_used ?? 0,
    memory_mb_used: h.memory_mb_used ?? 0,
    local_gb_used: h.local_gb_used ?? 0,
  }));
  const volumePoolsGb = options.volumePoolsGb ?? [10_240];
  const externalNetworks = (
    options.externalNetworks ?? [{ name: 'public', cidr: '203.0.113.0/24', totalIps: 253 }]
  ).map((n) => ({ ...n, id: randomUUID(), subnetId: randomUUID() }));

  let base = '';

  const catalog = () => {
    const endpoint = (type: string, name: string, url: string) => ({
      id: randomUUID().replaceAll('-', '').slice(0, 32),
      type,
      name,
      // The internal and admin endpoints are the same server under `/internal`, `/admin`, so a
      // test sees which interface a client used.
      endpoints: ['public', 'internal', 'admin'].map((iface) => ({
        id: `${name}-${iface}`,
        interface: iface,
        region_id: region,
        region,
        url: iface === 'public' ? `${base}${url}` : `${base}/${iface}${url}`,
      })),
    });
    return [
      endpoint('identity', 'keystone', '/identity'),
      endpoint('compute', 'nova', '/compute/v2.1'),
      endpoint('volumev3', 'cinderv3', `/volume/v3/${admin.id}`),
      endpoint('block-storage', 'cinder', `/volume/v3/${admin.id}`),
      endpoint('network', 'neutron', '/network'),
    ].filter((e) => !omit.has(e.type === 'volumev3' || e.type === 'block-storage' ? 'volume' : e.type));
  };

  const server = createServer((req, res) => {
    if (isDown) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 1_048_576) chunks.push(c);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const iface = /^\/(internal|admin)\//.exec(url.pathname)?.[1] ?? 'public';
      if (iface !== 'public') url.pathname = url.pathname.slice(iface.length + 1);
      const service = serviceOf(url.pathname);
      let status = 500;
      const send = (code: number, body: unknown, headers: Record<string, string> = {}) => {
        status = code;
        const text = body === undefined ? '' : JSON.stringify(body);
        res.writeHead(code, {
          ...(text ? { 'content-type': 'application/json' } : {}),
          'x-openstack-request-id': `req-${randomUUID()}`,
          ...headers,
        });
        res.end(text);
      };
      try {
        if (size > 1_048_576) throw new HttpError(413, 'Request is too large.');
        if (isGarbage) {
          status = 200;
          res.writeHead(200, { 'content-type': 'text/html' });
          res.end('<html><body><h1>502 Bad Gateway</h1>nginx</body></html>');
          return;
        }
        const failure = service === 'other' ? undefined : failures.get(service);
        if (failure && failure.n > 0 && (failure.method === undefined || failure.method === req.method)) {
          failure.n -= 1;
          send(failure.status, errorBody(service, failure.status, `Injected failure (${failure.status}).`));
          return;
        }
        const raw = Buffer.concat(chunks).toString('utf8');
        let body: unknown = undefined;
        if (raw.trim()) {
          try {
            body = JSON.parse(raw);
          } catch {
            throw new HttpError(400, 'Malformed request body');
          }
        }
        route(req, url, body, send);
      } catch (err) {
        const code = err instanceof HttpError ? err.status : 500;
        const message = err instanceof Error ? err.message : String(err);
        send(code, errorBody(service, code, message));
      } finally {
        requests.push({
          method: req.method ?? 'GET',
          path: url.pathname + url.search,
          service,
          status,
          iface,
        });
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  function serviceOf(path: string): FakeOpenStackService | 'other' {
    if (path.startsWith('/identity')) return 'identity';
    if (path.startsWith('/compute')) return 'compute';
    if (path.startsWith('/volume')) return 'volume';
    if (path.startsWith('/network')) return 'network';
    return 'other';
  }

  function authenticate(req: IncomingMessage): Token {
    const header = req.headers['x-auth-token'];
    const t = typeof header === 'string' ? tokens.get(header) : undefined;
    if (!t || t.expiresAt <= Date.now()) {
      throw new HttpError(401, 'The request you have made requires authentication.');
    }
    return t;
  }

  function requireAdmin(t: Token, message: string): void {
    if (!t.roles.includes('admin')) throw new HttpError(403, message);
  }

  function route(req: IncomingMessage, url: URL, body: unknown, send: Send): void {
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [svc, ...rest] = parts;
    switch (svc) {
      case 'identity':
        return identity(ctx, req, method, rest, url, body, send);
      case 'compute':
        return compute(ctx, req, method, rest, body, send);
      case 'volume':
        return volume(ctx, req, method, rest, url, body, send);
      case 'network':
        return network(ctx, req, method, rest, url, body, send);
      default:
        throw new HttpError(404, 'The resource could not be found.');
    }
  }

  const ctx: FakeCloud = {
    get base() {
      return base;
    },
    region,
    admin,
    projects,
    newProject,
    credentials,
    tokens,
    ttlMs,
    issued: () => {
      issued += 1;
    },
    limits,
    inUse,
    setLimits: (id, s, values) => {
      Object.assign(slot(set, id)[s], values);
    },
    clearLimits: (id, s) => {
      if (set.get(id)) slot(set, id)[s] = {};
    },
    forget: (id) => {
      set.delete(id);
      usage.delete(id);
    },
    hypervisors,
    volumePoolsGb,
    externalNetworks,
    authenticate,
    requireAdmin,
    catalog,
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  base = `http://127.0.0.1:${port}`;

  return {
    url: `${base}/identity/v3`,
    region,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
    state: {
      projects,
      adminProjectId: admin.id,
      hypervisors,
      volumePoolsGb,
      externalNetworks,
      requests,
      tokensIssued: () => issued,
      expireTokens() {
        for (const t of tokens.values()) t.expiresAt = Date.now() - 1;
      },
      limits,
      setUsage(projectId, service, key, n) {
        slot(usage, projectId)[service][key] = n;
      },
      setLimit(projectId, service, key, n) {
        slot(set, projectId)[service][key] = n;
      },
      projectByName: (name) => [...projects.values()].find((p) => p.name === name),
    },
    faults: {
      down(on) {
        isDown = on;
        if (on) for (const s of sockets) s.destroy();
      },
      garbage(on) {
        isGarbage = on;
      },
      failNext(service, status, n = 1, method) {
        failures.set(service, { status, n, method: method?.toUpperCase() });
      },
    },
  };
}
