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
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

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

const DEFAULT_DOMAIN = 'default';
const INT_MAX = 2_147_483_647;

// Nova's default quotas (nova.conf [quota]) at microversion 2.1, keys in the order the API lists them.
const NOVA_DEFAULTS: Record<string, number> = {
  cores: 20,
  fixed_ips: -1,
  floating_ips: -1,
  injected_file_content_bytes: 10240,
  injected_file_path_bytes: 255,
  injected_files: 5,
  instances: 10,
  key_pairs: 100,
  metadata_items: 128,
  networks: -1,
  ram: 51200,
  security_group_rules: -1,
  security_groups: -1,
  server_group_members: 10,
  server_groups: 10,
};
const NOVA_NETWORK_KEYS = [
  'fixed_ips',
  'floating_ips',
  'networks',
  'security_group_rules',
  'security_groups',
];
const NOVA_FILE_KEYS = ['injected_file_content_bytes', 'injected_file_path_bytes', 'injected_files'];
const NOVA_MAX_MICROVERSION = [2, 90] as const;

// Cinder's default quotas (cinder.conf), with the per-volume-type keys of the `__DEFAULT__` type.
const CINDER_DEFAULTS: Record<string, number> = {
  volumes: 10,
  snapshots: 10,
  gigabytes: 1000,
  backups: 10,
  backup_gigabytes: 1000,
  per_volume_gigabytes: -1,
  groups: 10,
  volumes___DEFAULT__: -1,
  snapshots___DEFAULT__: -1,
  gigabytes___DEFAULT__: -1,
};

// Neutron's default quotas (neutron.conf [quotas]).
const NEUTRON_DEFAULTS: Record<string, number> = {
  floatingip: 50,
  network: 100,
  port: 500,
  rbac_policy: 10,
  router: 10,
  security_group: 10,
  security_group_rule: 100,
  subnet: 100,
  subnetpool: -1,
};

type QuotaService = 'compute' | 'volume' | 'network';

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Request Entity Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
// Nova's (and Cinder's) fault names by status.
const FAULTS: Record<number, string> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  409: 'conflictingRequest',
  413: 'overLimit',
  500: 'computeFault',
  503: 'serviceUnavailable',
};
const NEUTRON_TYPES: Record<number, string> = {
  400: 'HTTPBadRequest',
  403: 'HTTPForbidden',
  404: 'HTTPNotFound',
  409: 'HTTPConflict',
  500: 'HTTPInternalServerError',
  503: 'HTTPServiceUnavailable',
};

function errorBody(service: FakeOpenStackService | 'other', status: number, message: string): unknown {
  if (status === 401 || service === 'identity' || service === 'other') {
    // keystonemiddleware answers 401 in Keystone's shape for every service.
    return { error: { code: status, message, title: TITLES[status] ?? 'Error' } };
  }
  if (service === 'network') {
    return { NeutronError: { type: NEUTRON_TYPES[status] ?? 'HTTPError', message, detail: '' } };
  }
  const fault = service === 'volume' && status === 500 ? 'volumeFault' : (FAULTS[status] ?? 'computeFault');
  return { [fault]: { code: status, message } };
}

interface Token {
  expiresAt: number;
  projectId: string;
  roles: string[];
  credentialId: string;
}

/** A quota value as Nova's and Neutron's schemas take it: an integer or a string of one. */
function quotaInt(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?[0-9]+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

function pyRepr(value: unknown): string {
  // How Nova's messages print the offending value (Python's repr of the parsed JSON).
  if (value === null) return 'None';
  if (value === true) return 'True';
  if (value === false) return 'False';
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `'${k}': ${pyRepr(v)}`)
      .join(', ')}}`;
  }
  return String(value);
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

  type Send = (code: number, body: unknown, headers?: Record<string, string>) => void;

  function route(req: IncomingMessage, url: URL, body: unknown, send: Send): void {
    const method = req.method ?? 'GET';
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const [svc, ...rest] = parts;
    switch (svc) {
      case 'identity':
        return identity(req, method, rest, url, body, send);
      case 'compute':
        return compute(req, method, rest, body, send);
      case 'volume':
        return volume(req, method, rest, url, body, send);
      case 'network':
        return network(req, method, rest, url, body, send);
      default:
        throw new HttpError(404, 'The resource could not be found.');
    }
  }

  /* ───────────── Keystone ───────────── */

  const keystoneVersion = () => ({
    id: 'v3.14',
    status: 'stable',
    updated: '2020-04-07T00:00:00Z',
    links: [{ rel: 'self', href: `${base}/identity/v3/` }],
    'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }],
  });

  const projectView = (p: FakeProject) => ({
    ...p,
    links: { self: `${base}/identity/v3/projects/${p.id}` },
  });

  function validateTags(tags: unknown): string[] {
    if (!Array.isArray(tags))
      throw new HttpError(400, "Invalid input for field 'tags': it must be an array.");
    if (tags.length > 80) throw new HttpError(400, "Invalid input for field 'tags': at most 80 tags.");
    for (const t of tags) {
      if (typeof t !== 'string' || t.length < 1 || t.length > 255 || /[,/]/.test(t)) {
        throw new HttpError(
          400,
          `Invalid input for field 'tags': ${pyRepr(t)} does not match '^[^,/]*$' or is not 1 to 255 characters.`,
        );
      }
    }
    return [...new Set(tags as string[])];
  }

  function identity(
    req: IncomingMessage,
    method: string,
    rest: string[],
    url: URL,
    body: unknown,
    send: Send,
  ): void {
    if (rest.length === 0) {
      if (method !== 'GET') throw new HttpError(405, 'Method Not Allowed');
      return send(300, { versions: { values: [keystoneVersion()] } });
    }
    if (rest[0] !== 'v3') throw new HttpError(404, 'The resource could not be found.');
    const r = rest.slice(1);
    if (r.length === 0) return send(200, { version: keystoneVersion() });
    if (r[0] === 'auth' && r[1] === 'tokens' && r.length === 2) {
      if (method === 'POST') return issueToken(body, send);
      if (method === 'GET') {
        authenticate(req);
        const subject = req.headers['x-subject-token'];
        const t = typeof subject === 'string' ? tokens.get(subject) : undefined;
        if (!t || t.expiresAt <= Date.now()) throw new HttpError(404, `Failed to validate token`);
        return send(
          200,
          { token: tokenBody(t, new Date(t.expiresAt - ttlMs)) },
          { 'x-subject-token': String(subject) },
        );
      }
      throw new HttpError(405, 'Method Not Allowed');
    }
    if (r[0] === 'domains' && r.length === 1 && method === 'GET') {
      authenticate(req);
      const name = url.searchParams.get('name');
      return send(200, {
        domains: [
          {
            id: DEFAULT_DOMAIN,
            name: 'Default',
            description: 'The default domain',
            enabled: true,
            tags: [],
            options: {},
          },
        ].filter((d) => name === null || d.name === name),
        links: { self: `${base}/identity/v3/domains`, previous: null, next: null },
      });
    }
    if (r[0] === 'projects') return projectsApi(req, method, r.slice(1), url, body, send);
    throw new HttpError(404, 'The resource could not be found.');
  }

  function tokenBody(t: Token, issuedAt: Date) {
    const p = projects.get(t.projectId) ?? admin;
    return {
      methods: ['application_credential'],
      user: {
        id: 'f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f5',
        name: 'tianshu',
        domain: { id: DEFAULT_DOMAIN, name: 'Default' },
        password_expires_at: null,
      },
      audit_ids: [randomBytes(16).toString('base64url').slice(0, 22)],
      expires_at: new Date(t.expiresAt).toISOString().replace('Z', '000Z'),
      issued_at: issuedAt.toISOString().replace('Z', '000Z'),
      project: { id: p.id, name: p.name, domain: { id: DEFAULT_DOMAIN, name: 'Default' } },
      is_domain: false,
      roles: t.roles.map((name) => ({ id: `role-${name}`, name })),
      catalog: catalog(),
      application_credential: { id: t.credentialId, name: 'tianshu', restricted: true },
    };
  }

  function issueToken(body: unknown, send: Send): void {
    const auth = (body as { auth?: { identity?: Record<string, unknown> } } | undefined)?.auth;
    const ident = auth?.identity;
    const methods = ident?.methods;
    if (!ident || !Array.isArray(methods)) {
      throw new HttpError(400, "Invalid input for field 'identity': 'methods' is a required property");
    }
    if (!methods.includes('application_credential')) {
      throw new HttpError(401, 'The request you have made requires authentication.');
    }
    const ac = ident.application_credential as { id?: unknown; secret?: unknown; name?: unknown } | undefined;
    if (!ac || typeof ac.secret !== 'string' || (typeof ac.id !== 'string' && typeof ac.name !== 'string')) {
      throw new HttpError(
        400,
        "Invalid input for field 'application_credential': 'secret' is a required property",
      );
    }
    const cred = typeof ac.id === 'string' ? credentials.get(ac.id) : undefined;
    if (!cred || cred.secret !== ac.secret) {
      throw new HttpError(401, 'The request you have made requires authentication.');
    }
    const now = new Date();
    const t: Token = {
      expiresAt: now.getTime() + ttlMs,
      projectId: admin.id,
      roles: cred.roles ?? ['admin', 'member', 'reader'],
      credentialId: cred.id,
    };
    const id = `gAAAAA${randomBytes(48).toString('base64url')}`;
    tokens.set(id, t);
    issued += 1;
    send(201, { token: tokenBody(t, now) }, { 'x-subject-token': id });
  }

  function projectsApi(
    req: IncomingMessage,
    method: string,
    r: string[],
    url: URL,
    body: unknown,
    send: Send,
  ): void {
    const t = authenticate(req);
    const denied = (action: string) =>
      `You are not authorized to perform the requested action: identity:${action}.`;
    if (r.length === 0) {
      if (method === 'GET') {
        const q = url.searchParams;
        const tagsAll = q.get('tags')?.split(',').filter(Boolean);
        const tagsAny = q.get('tags-any')?.split(',').filter(Boolean);
        const items = [...projects.values()].filter(
          (p) =>
            (!q.has('name') || p.name === q.get('name')) &&
            (!q.has('domain_id') || p.domain_id === q.get('domain_id')) &&
            (!q.has('enabled') || String(p.enabled) === q.get('enabled')?.toLowerCase()) &&
            (!tagsAll || tagsAll.every((x) => p.tags.includes(x))) &&
            (!tagsAny || tagsAny.some((x) => p.tags.includes(x))),
        );
        return send(200, {
          projects: items.map(projectView),
          links: { self: `${base}/identity/v3/projects`, previous: null, next: null },
        });
      }
      if (method === 'POST') {
        requireAdmin(t, denied('create_project'));
        const p = (body as { project?: Record<string, unknown> } | undefined)?.project;
        if (!p || typeof p !== 'object') {
          throw new HttpError(400, "Invalid input for field 'project': 'project' is a required property");
        }
        const name = p.name;
        if (typeof name !== 'string' || name.length < 1 || name.length > 64) {
          throw new HttpError(
            400,
            `Invalid input for field 'name': ${pyRepr(name)} is not 1 to 64 characters.`,
          );
        }
        const domainId = typeof p.domain_id === 'string' ? p.domain_id : DEFAULT_DOMAIN;
        if (domainId !== DEFAULT_DOMAIN) throw new HttpError(404, `Could not find domain: ${domainId}.`);
        const known = new Set([
          'name',
          'domain_id',
          'description',
          'enabled',
          'tags',
          'parent_id',
          'is_domain',
          'options',
        ]);
        for (const k of Object.keys(p)) {
          if (!known.has(k))
            throw new HttpError(
              400,
              `Invalid input for field '${k}': Additional properties are not allowed ('${k}' was unexpected)`,
            );
        }
        if ([...projects.values()].some((x) => x.name === name && x.domain_id === domainId)) {
          throw new HttpError(
            409,
            `Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : ${name}.`,
          );
        }
        const created = newProject({
          name,
          domain_id: domainId,
          description: typeof p.description === 'string' ? p.description : '',
          enabled: p.enabled !== false,
          tags: p.tags === undefined ? [] : validateTags(p.tags),
        });
        projects.set(created.id, created);
        return send(201, { project: projectView(created) });
      }
      throw new HttpError(405, 'Method Not Allowed');
    }
    const p = projects.get(r[0] ?? '');
    if (!p) throw new HttpError(404, `Could not find project: ${r[0]}.`);
    if (r.length === 1) {
      if (method === 'GET') return send(200, { project: projectView(p) });
      if (method === 'PATCH') {
        requireAdmin(t, denied('update_project'));
        const patch = (body as { project?: Record<string, unknown> } | undefined)?.project;
        if (!patch || typeof patch !== 'object') {
          throw new HttpError(400, "Invalid input for field 'project': 'project' is a required property");
        }
        if (typeof patch.name === 'string' && patch.name !== p.name) {
          if ([...projects.values()].some((x) => x.name === patch.name && x.domain_id === p.domain_id)) {
            throw new HttpError(
              409,
              `Conflict occurred attempting to store project - it is not permitted to have two projects with the same name in the same domain : ${patch.name}.`,
            );
          }
          p.name = patch.name;
        }
        if (typeof patch.description === 'string') p.description = patch.description;
        if (typeof patch.enabled === 'boolean') p.enabled = patch.enabled;
        if (patch.tags !== undefined) p.tags = validateTags(patch.tags);
        return send(200, { project: projectView(p) });
      }
      if (method === 'DELETE') {
        requireAdmin(t, denied('delete_project'));
        projects.delete(p.id);
        set.delete(p.id);
        usage.delete(p.id);
        return send(204, undefined);
      }
      throw new HttpError(405, 'Method Not Allowed');
    }
    if (r[1] === 'tags') {
      if (r.length === 2) {
        if (method === 'GET') return send(200, { tags: p.tags });
        if (method === 'PUT') {
          requireAdmin(t, denied('update_project_tags'));
          p.tags = validateTags((body as { tags?: unknown } | undefined)?.tags);
          return send(200, { tags: p.tags });
        }
        if (method === 'DELETE') {
          requireAdmin(t, denied('delete_project_tags'));
          p.tags = [];
          return send(204, undefined);
        }
      } else if (r.length === 3) {
        const tag = r[2] ?? '';
        if (method === 'GET' || method === 'HEAD') {
          if (!p.tags.includes(tag)) throw new HttpError(404, `Could not find project tag: ${tag}.`);
          return send(204, undefined);
        }
        if (method === 'PUT') {
          requireAdmin(t, denied('create_project_tag'));
          p.tags = validateTags([...p.tags, tag]);
          return send(201, undefined, {
            location: `${base}/identity/v3/projects/${p.id}/tags/${encodeURIComponent(tag)}`,
          });
        }
        if (method === 'DELETE') {
          requireAdmin(t, denied('delete_project_tag'));
          if (!p.tags.includes(tag)) throw new HttpError(404, `Could not find project tag: ${tag}.`);
          p.tags = p.tags.filter((x) => x !== tag);
          return send(204, undefined);
        }
      }
      throw new HttpError(405, 'Method Not Allowed');
    }
    throw new HttpError(404, 'The resource could not be found.');
  }

  /* ───────────── Nova ───────────── */

  function microversion(req: IncomingMessage): [number, number] {
    const legacy = req.headers['x-openstack-nova-api-version'];
    const modern = req.headers['openstack-api-version'];
    let v: string | undefined;
    if (typeof modern === 'string') v = /compute\s+([0-9.]+|latest)/i.exec(modern)?.[1];
    if (!v && typeof legacy === 'string') v = legacy.trim();
    if (!v) return [2, 1];
    if (v === 'latest') return [...NOVA_MAX_MICROVERSION];
    const m = /^(\d+)\.(\d+)$/.exec(v);
    const parsed: [number, number] | undefined = m ? [Number(m[1]), Number(m[2])] : undefined;
    if (!parsed || parsed[0] !== 2 || parsed[1] < 1 || parsed[1] > NOVA_MAX_MICROVERSION[1]) {
      throw new HttpError(
        406,
        `Version ${v} is not supported by the API. Minimum is 2.1 and maximum is 2.90.`,
      );
    }
    return parsed;
  }

  function novaKeys(mv: [number, number]): string[] {
    return Object.keys(NOVA_DEFAULTS).filter(
      (k) => !(mv[1] >= 36 && NOVA_NETWORK_KEYS.includes(k)) && !(mv[1] >= 57 && NOVA_FILE_KEYS.includes(k)),
    );
  }

  function compute(req: IncomingMessage, method: string, rest: string[], body: unknown, send: Send): void {
    const versionDoc = {
      id: 'v2.1',
      status: 'CURRENT',
      version: '2.90',
      min_version: '2.1',
      updated: '2013-07-23T11:33:21Z',
      links: [{ rel: 'self', href: `${base}/compute/v2.1/` }],
      'media-types': [
        { base: 'application/json', type: 'application/vnd.openstack.compute+json;version=2.1' },
      ],
    };
    if (rest.length === 0) return send(200, { versions: [versionDoc] });
    if (rest[0] !== 'v2.1') throw new HttpError(404, 'The resource could not be found.');
    let r = rest.slice(1);
    if (r.length === 0) return send(200, { version: versionDoc });
    const t = authenticate(req);
    const mv = microversion(req);
    const mvHeaders = {
      'openstack-api-version': `compute ${mv.join('.')}`,
      'x-openstack-nova-api-version': mv.join('.'),
      vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
    };
    // The legacy endpoint form carries the caller's project id first: /v2.1/{project_id}/os-quota-sets/…
    if (r[0] && projects.has(r[0]) && r[1]?.startsWith('os-')) r = r.slice(1);
    if (r[0] === 'os-hypervisors') {
      requireAdmin(t, "Policy doesn't allow os_compute_api:os-hypervisors:list-detail to be performed.");
      if (r[1] === 'detail' && r.length === 2 && method === 'GET') {
        return send(
          200,
          {
            hypervisors: hypervisors.map((h) => ({
              id: h.id,
              hypervisor_hostname: h.hypervisor_hostname,
              state: h.state,
              status: h.status,
              hypervisor_type: 'QEMU',
              hypervisor_version: 6002000,
              host_ip: `192.0.2.${h.id}`,
              vcpus: h.vcpus,
              memory_mb: h.memory_mb,
              local_gb: h.local_gb,
              vcpus_used: h.vcpus_used,
              memory_mb_used: h.memory_mb_used,
              local_gb_used: h.local_gb_used,
              free_ram_mb: h.memory_mb - h.memory_mb_used,
              free_disk_gb: h.local_gb - h.local_gb_used,
              disk_available_least: h.local_gb - h.local_gb_used,
              running_vms: 0,
              current_workload: 0,
              cpu_info: '{"arch": "x86_64", "model": "Cascadelake-Server", "vendor": "Intel"}',
              service: { host: h.hypervisor_hostname, id: h.id, disabled_reason: null },
            })),
          },
          mvHeaders,
        );
      }
      if (r[1] === 'statistics' && r.length === 2 && method === 'GET') {
        const sum = (f: (h: FakeHypervisor) => number) => hypervisors.reduce((a, h) => a + f(h), 0);
        return send(
          200,
          {
            hypervisor_statistics: {
              count: hypervisors.length,
              vcpus: sum((h) => h.vcpus),
              vcpus_used: sum((h) => h.vcpus_used),
              memory_mb: sum((h) => h.memory_mb),
              memory_mb_used: sum((h) => h.memory_mb_used),
              free_ram_mb: sum((h) => h.memory_mb - h.memory_mb_used),
              local_gb: sum((h) => h.local_gb),
              local_gb_used: sum((h) => h.local_gb_used),
              free_disk_gb: sum((h) => h.local_gb - h.local_gb_used),
              disk_available_least: sum((h) => h.local_gb - h.local_gb_used),
              running_vms: 0,
              current_workload: 0,
            },
          },
          mvHeaders,
        );
      }
      throw new HttpError(404, 'The resource could not be found.');
    }
    if (r[0] === 'os-quota-sets' && r[1]) {
      const id = r[1];
      const keys = novaKeys(mv);
      if (r[2] === 'defaults' && r.length === 3 && method === 'GET') {
        return send(
          200,
          { quota_set: { id, ...Object.fromEntries(keys.map((k) => [k, NOVA_DEFAULTS[k]])) } },
          mvHeaders,
        );
      }
      if (id !== t.projectId && !t.roles.includes('admin')) {
        throw new HttpError(403, "Policy doesn't allow os_compute_api:os-quota-sets:show to be performed.");
      }
      const lim = limits(id).compute;
      if (r[2] === 'detail' && r.length === 3 && method === 'GET') {
        return send(
          200,
          {
            quota_set: {
              id,
              ...Object.fromEntries(
                keys.map((k) => [k, { in_use: inUse(id, 'compute', k), limit: lim[k], reserved: 0 }]),
              ),
            },
          },
          mvHeaders,
        );
      }
      if (r.length !== 2) throw new HttpError(404, 'The resource could not be found.');
      if (method === 'GET') {
        return send(
          200,
          { quota_set: { id, ...Object.fromEntries(keys.map((k) => [k, lim[k]])) } },
          mvHeaders,
        );
      }
      if (method === 'PUT') {
        requireAdmin(t, "Policy doesn't allow os_compute_api:os-quota-sets:update to be performed.");
        const qs = (body as { quota_set?: unknown } | undefined)?.quota_set;
        if (!body || typeof body !== 'object' || Object.keys(body).some((k) => k !== 'quota_set')) {
          throw new HttpError(
            400,
            `Invalid input for field/attribute quota_set. Value: ${pyRepr(body)}. 'quota_set' is a required property`,
          );
        }
        if (!qs || typeof qs !== 'object' || Array.isArray(qs)) {
          throw new HttpError(
            400,
            `Invalid input for field/attribute quota_set. Value: ${pyRepr(qs)}. ${pyRepr(qs)} is not of type 'object'`,
          );
        }
        const entries = Object.entries(qs as Record<string, unknown>);
        const allowed = new Set([...keys, 'force']);
        const extra = entries.map(([k]) => k).filter((k) => !allowed.has(k));
        if (extra.length) {
          throw new HttpError(
            400,
            `Invalid input for field/attribute quota_set. Value: ${pyRepr(qs)}. Additional properties are not allowed (${extra.map((k) => `'${k}'`).join(', ')} ${extra.length === 1 ? 'was' : 'were'} unexpected)`,
          );
        }
        const force = (qs as Record<string, unknown>).force;
        if (force !== undefined && typeof force !== 'boolean' && !['true', 'false'].includes(String(force))) {
          throw new HttpError(
            400,
            `Invalid input for field/attribute force. Value: ${pyRepr(force)}. ${pyRepr(force)} is not of type 'boolean', 'string'`,
          );
        }
        const values: Record<string, number> = {};
        for (const [k, v] of entries) {
          if (k === 'force') continue;
          const n = quotaInt(v);
          if (n === undefined) {
            throw new HttpError(
              400,
              `Invalid input for field/attribute ${k}. Value: ${pyRepr(v)}. ${pyRepr(v)} is not of type 'integer', 'string'`,
            );
          }
          if (n < -1)
            throw new HttpError(
              400,
              `Invalid input for field/attribute ${k}. Value: ${pyRepr(v)}. ${n} is less than the minimum of -1`,
            );
          if (n > INT_MAX)
            throw new HttpError(
              400,
              `Invalid input for field/attribute ${k}. Value: ${pyRepr(v)}. ${n} is greater than the maximum of ${INT_MAX}`,
            );
          values[k] = n;
        }
        if (!projects.has(id)) throw new HttpError(400, `Project ID ${id} is not a valid project.`);
        if (force !== true && String(force) !== 'true') {
          for (const [k, n] of Object.entries(values)) {
            const used = inUse(id, 'compute', k);
            if (n !== -1 && n < used) {
              throw new HttpError(
                400,
                `Quota limit ${n} for ${k} must be greater than or equal to already used and reserved ${used}.`,
              );
            }
          }
        }
        Object.assign(slot(set, id).compute, values);
        const after = limits(id).compute;
        return send(200, { quota_set: Object.fromEntries(keys.map((k) => [k, after[k]])) }, mvHeaders);
      }
      if (method === 'DELETE') {
        requireAdmin(t, "Policy doesn't allow os_compute_api:os-quota-sets:delete to be performed.");
        if (set.get(id)) slot(set, id).compute = {};
        return send(202, undefined, mvHeaders);
      }
      throw new HttpError(405, 'Method Not Allowed');
    }
    throw new HttpError(404, 'The resource could not be found.');
  }

  /* ───────────── Cinder ───────────── */

  function volume(
    req: IncomingMessage,
    method: string,
    rest: string[],
    url: URL,
    body: unknown,
    send: Send,
  ): void {
    const versionDoc = {
      id: 'v3.0',
      status: 'CURRENT',
      version: '3.70',
      min_version: '3.0',
      updated: '2023-08-31T00:00:00Z',
      links: [{ rel: 'self', href: `${base}/volume/v3/` }],
      'media-types': [{ base: 'application/json', type: 'application/vnd.openstack.volume+json;version=3' }],
    };
    if (rest.length === 0) return send(300, { versions: [versionDoc] });
    if (rest[0] !== 'v3') throw new HttpError(404, 'The resource could not be found.');
    if (rest.length === 1) return send(200, { versions: [versionDoc] });
    const t = authenticate(req);
    const owner = rest[1] ?? '';
    if (owner !== t.projectId)
      throw new HttpError(403, 'Policy does not allow this request to be performed.');
    const r = rest.slice(2);
    const headers = { 'openstack-api-version': 'volume 3.0', vary: 'OpenStack-API-Version' };
    if (r[0] === 'scheduler-stats' && r[1] === 'get_pools' && method === 'GET') {
      requireAdmin(t, "Policy doesn't allow scheduler_extension:scheduler_stats:get_pools to be performed.");
      const detail = ['true', '1', 'yes'].includes((url.searchParams.get('detail') ?? '').toLowerCase());
      return send(
        200,
        {
          pools: volumePoolsGb.map((gb, i) => ({
            name: `cinder-volume-${i + 1}@lvm#lvm`,
            ...(detail
              ? {
                  capabilities: {
                    pool_name: 'lvm',
                    volume_backend_name: 'lvm',
                    storage_protocol: 'iSCSI',
                    vendor_name: 'Open Source',
                    driver_version: '3.0.0',
                    total_capacity_gb: gb,
                    free_capacity_gb: gb,
                    allocated_capacity_gb: 0,
                    reserved_percentage: 0,
                    max_over_subscription_ratio: '20.0',
                    thin_provisioning_support: true,
                    timestamp: new Date().toISOString(),
                  },
                }
              : {}),
          })),
        },
        headers,
      );
    }
    if (r[0] === 'os-quota-sets' && r[1]) {
      const id = r[1];
      if (r[2] === 'defaults' && r.length === 3 && method === 'GET') {
        return send(200, { quota_set: { id, ...CINDER_DEFAULTS } }, headers);
      }
      if (r.length !== 2) throw new HttpError(404, 'The resource could not be found.');
      if (id !== t.projectId && !t.roles.includes('admin'))
        throw new HttpError(403, 'Policy does not allow this request to be performed.');
      const lim = limits(id).volume;
      if (method === 'GET') {
        const usageParam = (url.searchParams.get('usage') ?? '').toLowerCase();
        const withUsage = ['true', '1', 'yes', 'on', 't', 'y'].includes(usageParam);
        return send(
          200,
          {
            quota_set: {
              id,
              ...Object.fromEntries(
                Object.keys(CINDER_DEFAULTS).map((k) => [
                  k,
                  withUsage
                    ? { limit: lim[k], in_use: inUse(id, 'volume', k), reserved: 0, allocated: 0 }
                    : lim[k],
                ]),
              ),
            },
          },
          headers,
        );
      }
      if (method === 'PUT') {
        requireAdmin(t, 'Policy does not allow this request to be performed.');
        const qs = (body as { quota_set?: unknown } | undefined)?.quota_set;
        if (!qs || typeof qs !== 'object' || Array.isArray(qs)) {
          throw new HttpError(400, 'Missing required element quota_set in request body.');
        }
        const entries = Object.entries(qs as Record<string, unknown>).filter(
          ([k]) => k !== 'tenant_id' && k !== 'id',
        );
        const bad = entries.map(([k]) => k).filter((k) => !(k in CINDER_DEFAULTS));
        if (bad.length) throw new HttpError(400, `Bad key(s) in quota set: ${bad.join(',')}`);
        const values: Record<string, number> = {};
        for (const [k, v] of entries) {
          const n = typeof v === 'number' ? (Number.isInteger(v) ? v : undefined) : quotaInt(v);
          if (n === undefined) throw new HttpError(400, 'Quota limit must be specified as an integer value.');
          if (n < -1) throw new HttpError(400, 'Quota limit must be -1 or greater.');
          if (n > INT_MAX) throw new HttpError(400, `Invalid input received: ${k} must be <= ${INT_MAX}.`);
          values[k] = n;
        }
        Object.assign(slot(set, id).volume, values);
        return send(200, { quota_set: limits(id).volume }, headers);
      }
      if (method === 'DELETE') {
        requireAdmin(t, 'Policy does not allow this request to be performed.');
        if (set.get(id)) slot(set, id).volume = {};
        return send(200, undefined, headers);
      }
      throw new HttpError(405, 'Method Not Allowed');
    }
    throw new HttpError(404, 'The resource could not be found.');
  }

  /* ───────────── Neutron ───────────── */

  function network(
    req: IncomingMessage,
    method: string,
    rest: string[],
    url: URL,
    body: unknown,
    send: Send,
  ): void {
    const versionDoc = {
      id: 'v2.0',
      status: 'CURRENT',
      links: [{ href: `${base}/network/v2.0/`, rel: 'self' }],
    };
    if (rest.length === 0) return send(200, { versions: [versionDoc] });
    if (rest[0] !== 'v2.0') throw new HttpError(404, 'The resource could not be found.');
    const r = rest.slice(1);
    const t = authenticate(req);
    if (r.length === 0) {
      return send(200, {
        resources: ['quotas', 'networks', 'subnets', 'ports', 'floatingips', 'routers'].map((n) => ({
          name: n.replace(/s$/, ''),
          collection: n,
          links: [{ href: `${base}/network/v2.0/${n}`, rel: 'self' }],
        })),
      });
    }
    if (r[0] === 'networks' && r.length === 1 && method === 'GET') {
      const filter = url.searchParams.get('router:external');
      const external = filter === null ? undefined : ['true', '1'].includes(filter.toLowerCase());
      return send(200, {
        networks: externalNetworks
          .filter(() => external !== false)
          .map((n) => ({
            id: n.id,
            name: n.name,
            status: 'ACTIVE',
            admin_state_up: true,
            shared: false,
            'router:external': true,
            subnets: [n.subnetId],
            project_id: admin.id,
            tenant_id: admin.id,
          })),
      });
    }
    if (r[0] === 'network-ip-availabilities' && r.length === 2 && method === 'GET') {
      requireAdmin(t, 'The request you have made requires admin privileges.');
      const n = externalNetworks.find((x) => x.id === r[1]);
      if (!n) throw new HttpError(404, `Network ${r[1]} could not be found.`);
      return send(200, {
        network_ip_availability: {
          network_id: n.id,
          network_name: n.name,
          project_id: admin.id,
          tenant_id: admin.id,
          total_ips: n.totalIps,
          used_ips: 0,
          subnet_ip_availability: [
            {
              subnet_id: n.subnetId,
              subnet_name: `${n.name}-subnet`,
              cidr: n.cidr,
              ip_version: 4,
              total_ips: n.totalIps,
              used_ips: 0,
            },
          ],
        },
      });
    }
    if (r[0] === 'extensions' && r.length === 1 && method === 'GET') {
      return send(200, {
        extensions: [
          {
            alias: 'quotas',
            name: 'Quota management support',
            description: 'Expose functions for quotas management per project',
            links: [],
            updated: '2012-07-29T10:00:00-00:00',
          },
          {
            alias: 'quota_details',
            name: 'Quota details management support',
            description: 'Expose functions for quotas usage statistics per project',
            links: [],
            updated: '2017-02-10T10:00:00-00:00',
          },
        ],
      });
    }
    if (r[0] === 'quotas' && r[1]) {
      const id = r[1].replace(/\.json$/, '');
      const tail = r.slice(2).map((x) => x.replace(/\.json$/, ''));
      if (tail.length === 1 && tail[0] === 'default' && method === 'GET') {
        return send(200, { quota: { ...NEUTRON_DEFAULTS } });
      }
      if (id !== t.projectId && !t.roles.includes('admin')) {
        throw new HttpError(403, 'The request you have made requires admin privileges.');
      }
      const lim = limits(id).network;
      if (tail.length === 1 && tail[0] === 'details' && method === 'GET') {
        return send(200, {
          quota: Object.fromEntries(
            Object.keys(NEUTRON_DEFAULTS).map((k) => [
              k,
              { used: inUse(id, 'network', k), limit: lim[k], reserved: 0 },
            ]),
          ),
        });
      }
      if (tail.length !== 0) throw new HttpError(404, 'The resource could not be found.');
      if (method === 'GET') return send(200, { quota: lim });
      if (method === 'PUT') {
        requireAdmin(t, 'The request you have made requires admin privileges.');
        const q = (body as { quota?: unknown } | undefined)?.quota;
        if (!q || typeof q !== 'object' || Array.isArray(q)) {
          throw new HttpError(400, 'Resource body required');
        }
        const entries = Object.entries(q as Record<string, unknown>).filter(
          ([k]) => k !== 'project_id' && k !== 'tenant_id',
        );
        const bad = entries
          .map(([k]) => k)
          .filter((k) => !(k in NEUTRON_DEFAULTS) && k !== 'force' && k !== 'check_limit');
        if (bad.length) throw new HttpError(400, `Unrecognized attribute(s) '${bad.join(', ')}'`);
        const values: Record<string, number> = {};
        for (const [k, v] of entries) {
          if (k === 'force' || k === 'check_limit') continue;
          const n = quotaInt(v);
          if (n === undefined) {
            throw new HttpError(400, `Invalid input for ${k}. Reason: '${String(v)}' is not an integer.`);
          }
          if (n < -1 || n > INT_MAX) {
            throw new HttpError(
              400,
              `Invalid input for ${k}. Reason: '${String(v)}' is not in range -1 through ${INT_MAX}.`,
            );
          }
          values[k] = n;
        }
        Object.assign(slot(set, id).network, values);
        return send(200, { quota: limits(id).network });
      }
      if (method === 'DELETE') {
        requireAdmin(t, 'The request you have made requires admin privileges.');
        if (set.get(id)) slot(set, id).network = {};
        return send(204, undefined);
      }
      throw new HttpError(405, 'Method Not Allowed');
    }
    throw new HttpError(404, 'The resource could not be found.');
  }

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
