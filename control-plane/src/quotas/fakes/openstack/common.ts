/**
 * What the fake OpenStack's services share (see `../openstack.ts`, the fake's entry, for what it is
 * and which published API references it follows): the cloud's state as the services see it, the
 * services' error shapes and default quotas.
 */
import type { IncomingMessage } from 'node:http';
import type {
  FakeApplicationCredential,
  FakeHypervisor,
  FakeOpenStackService,
  FakeProject,
} from '../openstack.js';

export type Send = (code: number, body: unknown, headers?: Record<string, string>) => void;

/** The cloud's state and the checks every service makes. */
export interface FakeCloud {
  /** `http://127.0.0.1:<port>` */
  readonly base: string;
  readonly region: string;
  readonly admin: FakeProject;
  readonly projects: Map<string, FakeProject>;
  newProject(p: Partial<FakeProject> & { name: string }): FakeProject;
  readonly credentials: Map<string, FakeApplicationCredential>;
  readonly tokens: Map<string, Token>;
  readonly ttlMs: number;
  /** Counts a token issued. */
  issued(): void;
  limits(id: string): Record<QuotaService, Record<string, number>>;
  inUse(id: string, s: QuotaService, key: string): number;
  setLimits(id: string, s: QuotaService, values: Record<string, number>): void;
  clearLimits(id: string, s: QuotaService): void;
  /** Drops a deleted project's limits and usage. */
  forget(id: string): void;
  readonly hypervisors: FakeHypervisor[];
  readonly volumePoolsGb: number[];
  readonly externalNetworks: Array<{
    id: string;
    name: string;
    cidr: string;
    totalIps: number;
    subnetId: string;
  }>;
  /** The token of the request (`X-Auth-Token`), or 401. */
  authenticate(req: IncomingMessage): Token;
  requireAdmin(t: Token, message: string): void;
  catalog(): unknown[];
}

export const DEFAULT_DOMAIN = 'default';
export const INT_MAX = 2_147_483_647;

// Nova's default quotas (nova.conf [quota]) at microversion 2.1, keys in the order the API lists them.
export const NOVA_DEFAULTS: Record<string, number> = {
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
export const NOVA_NETWORK_KEYS = [
  'fixed_ips',
  'floating_ips',
  'networks',
  'security_group_rules',
  'security_groups',
];
export const NOVA_FILE_KEYS = ['injected_file_content_bytes', 'injected_file_path_bytes', 'injected_files'];
export const NOVA_MAX_MICROVERSION = [2, 90] as const;

// Cinder's default quotas (cinder.conf), with the per-volume-type keys of the `__DEFAULT__` type.
export const CINDER_DEFAULTS: Record<string, number> = {
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
export const NEUTRON_DEFAULTS: Record<string, number> = {
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

export type QuotaService = 'compute' | 'volume' | 'network';

export class HttpError extends Error {
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

export function errorBody(service: FakeOpenStackService | 'other', status: number, message: string): unknown {
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

export interface Token {
  expiresAt: number;
  projectId: string;
  roles: string[];
  credentialId: string;
}

/** A quota value as Nova's and Neutron's schemas take it: an integer or a string of one. */
export function quotaInt(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^-?[0-9]+$/.test(value.trim())) return Number(value.trim());
  return undefined;
}

export function pyRepr(value: unknown): string {
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
